#!/bin/sh
# Capture files on the ref target (issue 10): a failing run leaves pcapng
# files that tshark reads, every packet commented with its step and the
# failing step's packet with why; no checksum errors except where a case
# asks for a bad one; --pcap all writes one per case run, --pcap none none;
# --pcap-format pcap writes classic pcap; names from odd paths are safe;
# bad values are refused with exit 2. Everything goes to a folder of its own.
#   tests/pcap.sh [BUILD_DIR]
set -u
build=${1:-build}
status=0
n=0

fail() { echo "pcap: FAIL: $*"; status=1; }
pass() { n=$((n + 1)); echo "pcap: ok: $*"; }

for p in "$build/tcpconform" "$build/tcpconform-faults"; do
	[ -x "$p" ] || { echo "pcap: $p not built" >&2; exit 2; }
done
for t in tshark capinfos; do
	command -v "$t" >/dev/null 2>&1 || { echo "pcap: SKIP: $t is not installed"; exit 0; }
done
prog=$(cd "$build" && pwd)/tcpconform
faulty=$(cd "$build" && pwd)/tcpconform-faults
repo=$(pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/tcpconform-pcap.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

comments() { tshark -r "$1" -T fields -e frame.number -e frame.comment 2>/dev/null; }
packets() { tshark -r "$1" 2>/dev/null | wc -l; }
section_comment() { capinfos -k "$1" 2>/dev/null | sed -n 's/^Capture comment: *//p'; }
# "N passed, N failed, N skipped" -> the sum of the first two
runs_of() { echo "$1" | tail -n 1 | awk '{print $1 + $3}'; }

# --- a wrong segment: the comment goes on the packet the failing step read
out=$("$faulty" run --ref-fault synack-ack-off-by-one --family 4 --pcap-dir "$dir/wrong" \
	cases/handshake/passive-open.yaml 2>&1)
f="$dir/wrong/handshake-passive-open-v4.pcapng"
if [ ! -f "$f" ]; then
	fail "synack-ack-off-by-one: no $f: $out"
else
	c=$(comments "$f")
	np=$(packets "$f")
	# where steps 4 and 5 (the SYN sent, the SYN-ACK expected) are written:
	# the first send and expect lines of the case, read from the file
	l4=$(grep -n '^  - send:' cases/handshake/passive-open.yaml | head -n 1 | cut -d: -f1)
	l5=$(grep -n '^  - expect:' cases/handshake/passive-open.yaml | head -n 1 | cut -d: -f1)
	[ "$np" -ge 2 ] || fail "wrong segment: tshark reads $np packets from $f"
	# every packet names its step, file:line:col and kind
	nstep=$(echo "$c" | grep -c '	step [0-9]* (cases/handshake/passive-open.yaml:[0-9]*:[0-9]*) [a-z_]*')
	[ "$nstep" -eq "$np" ] || fail "wrong segment: $nstep of $np packets have a step comment: $c"
	echo "$c" | grep -q "	step 4 (cases/handshake/passive-open.yaml:$l4:5) send\$" ||
		fail "wrong segment: the SYN is not commented as step 4's send: $c"
	line=$(echo "$c" | grep 'FAILED:')
	[ "$(echo "$c" | grep -c 'FAILED:')" -eq 1 ] || fail "wrong segment: want one FAILED comment: $c"
	case "$line" in
	*"step 5 (cases/handshake/passive-open.yaml:$l5:5) expect,FAILED: ack expected 1"*"expected: flags [SA]"*"got: 192.0.2.1.8080 > 192.0.2.2."*) ;;
	*) fail "wrong segment: the FAILED comment is not on step 5's SYN-ACK with expected and got: $line" ;;
	esac
	s=$(section_comment "$f")
	case "$s" in
	*"FAIL at step 5 (cases/handshake/passive-open.yaml:$l5:5) expect: ack expected 1"*) ;;
	*) fail "wrong segment: the section comment does not name the failing step: $s" ;;
	esac
	[ $status -eq 0 ] && pass "a wrong SYN-ACK: $np packets with step comments, FAILED on step 5's packet"
fi

# --- nothing arrived: the comment goes on the last packet before the step
out=$("$faulty" run --ref-fault no-syn-retransmit --family 6 --pcap-dir "$dir/none-arrived" \
	cases/handshake/syn-retransmit-backoff.yaml 2>&1)
f="$dir/none-arrived/handshake-syn-retransmit-backoff-v6.pcapng"
if [ ! -f "$f" ]; then
	fail "no-syn-retransmit: no $f: $out"
else
	c=$(comments "$f")
	last=$(echo "$c" | tail -n 1)
	case "$last" in
	*"FAILED: step 3 (cases/handshake/syn-retransmit-backoff.yaml:"*") expect, after this packet: expected flags [S]"*"nothing arrived"*) ;;
	*) fail "nothing arrived: the last packet does not carry the failure: $c" ;;
	esac
	s=$(section_comment "$f")
	case "$s" in
	*"FAIL at step 3 ("*"nothing arrived"*"its comment is on packet"*) ;;
	*) fail "nothing arrived: the section comment does not say where the failure went: $s" ;;
	esac
	pass "nothing arrived: FAILED on the last packet before step 3, the section comment says so"
fi

# --- checksums: none bad on a plain case; a bad_csum send keeps its bad one
mkdir -p "$dir/src"
cat >"$dir/src/bad-csum.yaml" <<'EOF'
name: a SYN with a bad checksum is dropped
rfc: ["9293 3.1"]
steps:
  - app: listen
  - send: {flags: S, seq: 0, bad_csum: true}
  - expect_none: 100ms
  - send: {flags: S, seq: 0}
  - expect: {flags: SA, ack: 1}
EOF
out=$("$prog" run --pcap all --pcap-dir "$dir/csum" cases/handshake/passive-open.yaml "$dir/src/bad-csum.yaml" 2>&1)
good="$dir/csum/handshake-passive-open-v4.pcapng"
bad=$(ls "$dir"/csum/*bad-csum-v6.pcapng 2>/dev/null)
bad_filter='tcp.checksum.status==bad || ip.checksum.status==bad'
csum() { tshark -r "$1" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -Y "$bad_filter" 2>/dev/null | wc -l; }
if [ ! -f "$good" ] || [ -z "$bad" ]; then
	fail "checksums: --pcap all did not write both files: $(ls "$dir/csum" 2>&1); $out"
else
	ng=$(csum "$good")
	nb=$(csum "$bad")
	[ "$ng" -eq 0 ] || fail "checksums: $ng packets with a bad checksum in $good"
	[ "$nb" -eq 1 ] || fail "checksums: $nb packets with a bad checksum in $bad, want the one bad_csum SYN"
	[ "$(packets "$bad")" -eq 3 ] || fail "checksums: $(packets "$bad") packets in $bad, want 3"
	[ "$ng" -eq 0 ] && [ "$nb" -eq 1 ] && pass "checksums: none bad in passive-open ($(packets "$good") packets), the bad_csum SYN alone bad"
fi

# --- --pcap all: one file per case run; the default writes passes none
out=$("$prog" run -q --pcap all --pcap-dir "$dir/all" cases/ 2>&1)
want=$(runs_of "$out")
skipped=$(echo "$out" | tail -n 1 | awk '{print $5}')
got=$(ls "$dir/all" | grep -c '\.pcapng$')
# a skipped case run exchanged nothing: it writes no file
if [ "$got" -ne "$want" ] || [ "$want" -lt 2 ]; then
	fail "--pcap all: $got files for $want case runs ($skipped skipped): $(echo "$out" | tail -n 1)"
else
	pass "--pcap all: $got files for $want case runs ($skipped skipped, none for them)"
fi
out=$("$prog" run -q --pcap-dir "$dir/default" cases/handshake/ 2>&1)
[ ! -e "$dir/default" ] || fail "passing cases with the default --pcap failed made $dir/default: $(ls "$dir/default")"
out=$("$faulty" run -q --ref-fault no-time-wait --pcap none --pcap-dir "$dir/none" cases/close/ 2>&1)
rc=$?
if [ "$rc" -ne 1 ] || [ -e "$dir/none" ]; then
	fail "--pcap none: exit $rc (want 1, the cases fail) and $dir/none is $( [ -e "$dir/none" ] && echo there || echo absent)"
else
	pass "--pcap none: failing cases, no folder made; passing cases by default: none"
fi
out=$("$faulty" run -q --ref-fault no-time-wait --pcap-dir "$dir/failed" cases/close/ 2>&1)
nf=$(echo "$out" | grep -c '^FAIL')
got=$(ls "$dir/failed" 2>/dev/null | wc -l)
[ "$nf" -gt 0 ] && [ "$got" -eq "$nf" ] || fail "--pcap failed (default): $got files for $nf failing runs"

# --- classic pcap
out=$("$prog" run --pcap all --pcap-format pcap --family 4 --pcap-dir "$dir/classic" cases/handshake/passive-open.yaml 2>&1)
f="$dir/classic/handshake-passive-open-v4.pcap"
if [ ! -f "$f" ]; then
	fail "--pcap-format pcap: no $f: $(ls "$dir/classic" 2>&1)"
else
	magic=$(od -An -tx1 -N4 "$f" | tr -d ' ')
	type=$(capinfos -t "$f" 2>/dev/null | sed -n 's/^File type: *//p')
	np=$(packets "$f")
	[ "$magic" = d4c3b2a1 ] || fail "--pcap-format pcap: magic $magic"
	case "$type" in *pcapng*|"") fail "--pcap-format pcap: capinfos says '$type'" ;; esac
	[ "$np" -ge 3 ] || fail "--pcap-format pcap: tshark reads $np packets"
	[ "$magic" = d4c3b2a1 ] && [ "$np" -ge 3 ] && pass "--pcap-format pcap: $type, $np packets"
fi

# --- names: a path outside cases/, a leading '-' folder, spaces, a tab
mkdir -p "$dir/src/-odd dir" "$dir/names"
cp cases/handshake/passive-open.yaml "$dir/src/-odd dir/x y.yaml"
cp cases/handshake/passive-open.yaml "$dir/src/tab	name.yaml"
out=$(cd "$dir/src" && "$prog" run --pcap all --family 4 --pcap-dir ../names -- "-odd dir" "tab	name.yaml" 2>&1)
rc=$?
ls "$dir/names" >"$dir/names.txt"
[ "$rc" -eq 0 ] || fail "names: exit $rc: $out"
for want in "_odd_dir-x_y-v4.pcapng" "tab_name-v4.pcapng"; do
	grep -qx "$want" "$dir/names.txt" || fail "names: no $want in $(tr '\n' ' ' <"$dir/names.txt")"
done
if grep -q '^-\|^\.\|[[:space:][:cntrl:]]' "$dir/names.txt"; then
	fail "names: an unsafe name: $(cat "$dir/names.txt")"
fi
out=$("$prog" run --pcap all --family 4 --pcap-dir "$dir/abs" "$dir/src/-odd dir/x y.yaml" 2>&1)
abs=$(ls "$dir/abs")
case "$abs" in
*-src--odd_dir-x_y-v4.pcapng) ;;
*) fail "names: an absolute path outside cases/ gave '$abs'" ;;
esac
case "$abs" in -*|.*|*" "*) fail "names: unsafe name '$abs'" ;; esac
[ $status -eq 0 ] && pass "names: $(tr '\n' ' ' <"$dir/names.txt")and $abs"

# --- bad values: exit 2, the option and the value named, nothing made
for args in "--pcap sometimes" "--pcap-format pcapx" "--pcap"; do
	# shellcheck disable=SC2086
	out=$("$prog" run --pcap-dir "$dir/bad" cases/handshake/passive-open.yaml $args 2>&1)
	rc=$?
	opt=${args%% *}
	val=${args#* }
	[ "$rc" -eq 2 ] || fail "run $args: exit $rc, want 2"
	echo "$out" | grep -q -- "$opt" || fail "run $args: the message does not name $opt: $out"
	[ "$val" = "$args" ] || echo "$out" | grep -q -- "'$val'" || fail "run $args: the message does not name '$val': $out"
	[ ! -e "$dir/bad" ] || fail "run $args made $dir/bad"
done
[ $status -eq 0 ] && pass "bad --pcap and --pcap-format values: exit 2, named, nothing made"

cd "$repo" || exit 2
if [ $status -eq 0 ]; then
	echo "pcap: $n checks passed"
fi
exit $status
