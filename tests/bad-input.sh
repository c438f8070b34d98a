#!/bin/sh
# Bad input is refused with a clear error and exit 2, never a crash:
# every file in tests/bad-cases/ names on its first line the
# "LINE:COL: phrase" its error must carry.
#   tests/bad-input.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
dir=tests/bad-cases
status=0
n=0

fail() { echo "bad-input: FAIL: $*"; status=1; }

for f in "$dir"/*.yaml; do
	n=$((n + 1))
	want=$(head -n 1 "$f" | sed -n 's/^# expect: //p')
	if [ -z "$want" ]; then
		fail "$f: first line must be '# expect: LINE:COL: phrase'"
		continue
	fi
	err=$("$prog" run "$f" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -eq 2 ] || fail "$f: exit $rc, want 2 (stderr: $err)"
	case "$err" in
	*"$f:$want"*) ;;
	*) fail "$f: error does not contain '$f:$want'; got: $err" ;;
	esac
done

# Errors of the command line and of paths.
check_cli() {
	want_text=$1
	shift
	err=$(timeout 10 "$prog" "$@" 2>&1 >/dev/null)
	rc=$?
	n=$((n + 1))
	[ "$rc" -eq 2 ] || fail "tcpconform $*: exit $rc, want 2"
	case "$err" in
	*"$want_text"*) ;;
	*) fail "tcpconform $*: stderr lacks '$want_text': $err" ;;
	esac
}
check_cli "unknown command" frobnicate
check_cli "unknown option" run --no-such-option cases/
check_cli "needs a value" run cases/ --target
check_cli "unknown target" run --target nosuch cases/
check_cli "No such file or directory" run cases/does-not-exist
check_cli "not a case file" run README.md
check_cli "--cases-dir $(pwd)/no-such-cases: No such file or directory" run --cases-dir "$(pwd)/no-such-cases"
check_cli "give one or the other" run --cases-dir cases cases/
check_cli "is not 4, 6 or both" run --family 5 cases/
check_cli "no case matched" run --filter 'no-such-case*' cases/

check_cli "a character device; a PATH is a case file or a folder of them" run /dev/null
check_cli "folder $(pwd)/no-such-folder does not exist" run --junit "$(pwd)/no-such-folder/r.xml" cases/
check_cli "is a folder; the report needs a file name" run --junit tests cases/

# A FIFO as PATH, or inside a folder, is refused without being opened
# (opening it would wait for a writer).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bad-input.XXXXXX")
mkfifo "$tmp/x.yaml"
check_cli "$tmp/x.yaml: a FIFO" run "$tmp/x.yaml"
check_cli "$tmp/x.yaml: a FIFO, not a case file" run "$tmp"
rm -rf "$tmp"

# A bad file among good ones stops the run before anything runs.
out=$("$prog" run cases/handshake/passive-open.yaml "$dir/unknown-key.yaml" 2>&1)
rc=$?
n=$((n + 1))
[ "$rc" -eq 2 ] || fail "good + bad case: exit $rc, want 2"
case "$out" in
*PASS*) fail "good + bad case: a case ran although another was bad" ;;
esac

[ "$status" -eq 0 ] && echo "bad-input: $n bad inputs refused with exit 2 and a located message"
exit "$status"
