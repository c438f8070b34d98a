#!/bin/sh
# Outputs never destroy, and bad paths never hang (issue 7): --junit
# through a symlink, into a FIFO and to /dev/stdout keeps each what it is;
# a report into a missing folder refuses the run before any case; SIGINT
# mid-run still writes the cases that finished; `| head -1` leaves no
# tracefs instance; control characters come out escaped; a FIFO as PATH
# and a 100,000-deep YAML are refused with exit 2 in under a second.
# Files and FIFOs go only to a folder of its own.
#   tests/outputs.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
status=0
n=0

[ -x "$prog" ] || { echo "outputs: $prog not built" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/tcpconform-outputs.XXXXXX")
bg=""
cleanup() {
	for p in $bg; do kill "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() { echo "outputs: FAIL: $*"; status=1; }
pass() { n=$((n + 1)); echo "outputs: ok: $*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# well-formed XML with the given number of <testcase> elements
xml_ok() { # $1 file, $2 testcases
	if command -v xmllint >/dev/null 2>&1; then
		xmllint --noout "$1" 2>/dev/null || return 1
	fi
	[ "$(grep -c '<testcase ' "$1")" -eq "$2" ]
}
quick=cases/handshake
# its case runs: every case on both families
nquick=$(( $("$prog" run --list "$quick" | wc -l) * 2 ))

# --- a symlink to a regular file: the link stays, the file gets the XML
echo old >"$dir/real.xml"
ln -s real.xml "$dir/link.xml"
"$prog" run -q --junit "$dir/link.xml" "$quick" >/dev/null 2>&1
if [ -L "$dir/link.xml" ] && [ "$(readlink "$dir/link.xml")" = real.xml ] && [ -f "$dir/real.xml" ] &&
	xml_ok "$dir/real.xml" "$nquick"; then
	pass "--junit to a symlink: still a symlink, its file holds the report"
else
	fail "--junit to a symlink: $(ls -l "$dir" | tr '\n' ' ')"
fi
[ -z "$(ls -A "$dir" | grep '^\.')" ] || fail "a temporary file was left: $(ls -A "$dir")"

# --- a FIFO: written through, still a FIFO after
mkfifo "$dir/fifo"
cat "$dir/fifo" >"$dir/fifo.out" &
cat_pid=$!
bg="$bg $cat_pid"
timeout 20 "$prog" run -q --junit "$dir/fifo" "$quick" >/dev/null 2>&1
rc=$?
# a harness that replaced the FIFO never opened it: cat would wait forever
sleep 0.2
if kill -0 "$cat_pid" 2>/dev/null; then
	kill "$cat_pid"
	rc="$rc (the FIFO was never written)"
fi
wait "$cat_pid" 2>/dev/null
if [ "$rc" = 0 ] && [ -p "$dir/fifo" ] && xml_ok "$dir/fifo.out" "$nquick"; then
	pass "--junit to a FIFO: read whole by cat, still a FIFO"
else
	fail "--junit to a FIFO: exit $rc, $(ls -l "$dir/fifo")"
fi

# --- /dev/stdout of this process, piped into a file. As root a harness
# that renames over it would replace the host's /dev/stdout: the run then
# gets a private /dev (a mount namespace) holding only what it needs.
private_dev() {
	[ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null || return 1
	mkdir "$dir/dev" && ln -s /proc/self/fd/1 "$dir/dev/stdout" && ln -s /proc/self/fd/2 "$dir/dev/stderr" &&
		cp -a /dev/null /dev/zero /dev/urandom "$dir/dev/"
}
if private_dev; then
	timeout 20 unshare -m --propagation private sh -c 'mount --bind "$0/dev" /dev && exec "$@"' "$dir" \
		"$prog" run -q --junit /dev/stdout "$quick" 2>/dev/null | cat >"$dir/stdout.out"
	[ -L "$dir/dev/stdout" ] || fail "--junit /dev/stdout: /dev/stdout is no longer a symlink"
else
	timeout 20 "$prog" run -q --junit /dev/stdout "$quick" 2>/dev/null | cat >"$dir/stdout.out"
fi
sed -n '/^<?xml/,$p' "$dir/stdout.out" >"$dir/stdout.xml"
if xml_ok "$dir/stdout.xml" "$nquick" && grep -qx "$nquick passed, 0 failed, 0 skipped" "$dir/stdout.out"; then
	pass "--junit /dev/stdout: the XML follows the console in the pipe"
else
	fail "--junit /dev/stdout: $(head -c 300 "$dir/stdout.out")"
fi

# --- a missing folder: exit 2 naming the path, before any case runs
out=$("$prog" run --junit "$dir/missing/report.xml" "$quick" 2>&1)
rc=$?
case "$out" in
*PASS*) fail "--junit into a missing folder: cases ran" ;;
*"$dir/missing/report.xml"*) [ "$rc" -eq 2 ] && pass "--junit into a missing folder: exit 2, no case ran" ||
	fail "--junit into a missing folder: exit $rc" ;;
*) fail "--junit into a missing folder: message does not name the path: $out" ;;
esac

# --- control characters in a case's name come out escaped
sed 's/^name: .*/name: "evil \\e[2J\\a name"/' cases/handshake/passive-open.yaml >"$dir/evil.yaml"
"$prog" run --junit "$dir/evil.xml" "$dir/evil.yaml" >"$dir/evil.out" 2>&1
if grep -q 'evil \\x1b\[2J\\x07 name' "$dir/evil.out" && ! grep -q "$(printf '\033')" "$dir/evil.out" &&
	grep -q 'evil \\x1b\[2J\\x07 name' "$dir/evil.xml" && ! grep -q "$(printf '\033')" "$dir/evil.xml"; then
	pass "control characters in a case name: \\x1b on the console and in the XML"
else
	fail "control characters: $(cat -v "$dir/evil.out" | head -3)"
fi

# --- a FIFO named x.yaml as PATH, and inside a folder
mkdir "$dir/fifos"
mkfifo "$dir/fifos/x.yaml"
t0=$(now_ms)
err=$(timeout 5 "$prog" run "$dir/fifos/x.yaml" 2>&1)
rc=$?
t1=$(now_ms)
if [ "$rc" -eq 2 ] && [ $((t1 - t0)) -lt 1000 ]; then
	case "$err" in
	*"$dir/fifos/x.yaml: a FIFO"*) pass "a FIFO as PATH: exit 2 in $((t1 - t0)) ms" ;;
	*) fail "a FIFO as PATH: message: $err" ;;
	esac
else
	fail "a FIFO as PATH: exit $rc after $((t1 - t0)) ms"
fi
cp cases/handshake/passive-open.yaml "$dir/fifos/a.yaml"
err=$(timeout 5 "$prog" run "$dir/fifos" 2>&1)
rc=$?
case "$rc:$err" in
2:*"$dir/fifos/x.yaml: a FIFO"*) case "$err" in
	*PASS*) fail "a FIFO in a folder: the run went on" ;;
	*) pass "a FIFO in a folder: an error naming it, exit 2" ;;
	esac ;;
*) fail "a FIFO in a folder: exit $rc: $err" ;;
esac

# --- 100,000 levels of nesting: refused at file:line:col in under a second
{ printf 'name: '; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; echo; } \
	>"$dir/deep.yaml"
t0=$(now_ms)
err=$(timeout 5 "$prog" run "$dir/deep.yaml" 2>&1)
rc=$?
t1=$(now_ms)
case "$err" in
*"$dir/deep.yaml:1:70: nested deeper than 64 levels"*)
	if [ "$rc" -eq 2 ] && [ $((t1 - t0)) -lt 1000 ]; then
		pass "100,000-deep YAML: exit 2 at 1:70 in $((t1 - t0)) ms"
	else
		fail "100,000-deep YAML: exit $rc after $((t1 - t0)) ms"
	fi ;;
*) fail "100,000-deep YAML: exit $rc: $err" ;;
esac

# --- the linux target: SIGINT mid-case, and `| head -1`
tracefs=/sys/kernel/tracing
instances_of() { ls "$tracefs/instances" 2>/dev/null | grep "^tcpconform-$1-" || true; }
if [ "$(id -u)" -ne 0 ]; then
	echo "outputs: SKIP: SIGINT and | head -1 on the linux target: needs root"
elif ! unshare -n true 2>/dev/null; then
	echo "outputs: SKIP: SIGINT and | head -1 on the linux target: cannot create a network namespace"
else
	# passive-open finishes in a moment; TIME-WAIT lasts a minute (both
	# start at once: longest first, two workers)
	long=cases/timewait/time-wait-lasts-2msl.yaml
	"$prog" run --target linux --family 4 -j 2 --junit "$dir/int.xml" cases/handshake/passive-open.yaml \
		"$long" >"$dir/int.out" 2>"$dir/int.err" &
	pid=$!
	bg="$bg $pid"
	i=0
	while ! grep -q '^PASS' "$dir/int.out" && [ "$i" -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ "$i" -lt 200 ] || fail "SIGINT: the quick case never passed: $(cat "$dir/int.err")"
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	sleep 0.3
	if [ "$rc" -eq 130 ] && xml_ok "$dir/int.xml" 1 && grep -q 'passive-open' "$dir/int.xml" &&
		grep -q 'tests="1"' "$dir/int.xml" && [ -z "$(instances_of "$pid")" ]; then
		pass "SIGINT mid-case: died of SIGINT, the report holds the case that finished, no tracefs instance left"
	else
		fail "SIGINT mid-case: exit $rc, instances: $(instances_of "$pid"), stderr: $(cat "$dir/int.err"), xml: $(head -c 400 "$dir/int.xml" 2>&1)"
	fi

	sh -c '"$0" run --target linux --family 4 -j 1 cases/handshake/active-open.yaml cases/handshake/passive-open.yaml & echo $! >"$1"; wait $!; echo $? >"$2"' \
		"$prog" "$dir/head.pid" "$dir/head.rc" 2>"$dir/head.err" | head -n 1 >"$dir/head.out"
	# the run notices the closed pipe at its next line, after a case
	i=0
	while [ ! -s "$dir/head.rc" ] && [ "$i" -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	pid=$(cat "$dir/head.pid")
	rc=$(cat "$dir/head.rc" 2>/dev/null)
	if [ "$rc" = 141 ] && [ -z "$(instances_of "$pid")" ] && grep -q '^tcpconform: ' "$dir/head.out"; then
		pass "| head -1: died of SIGPIPE, no tracefs instance left"
	else
		fail "| head -1: exit ${rc:-none}, instances: $(instances_of "$pid"), stderr: $(cat "$dir/head.err")"
	fi
fi

[ "$status" -eq 0 ] && echo "outputs: $n checks passed"
exit "$status"
