#!/bin/sh
# The linux target on this machine's kernel (needs network namespaces and
# tracefs; skipped, and said so, without): a quick part of the suite on both
# families must pass, a failing case must leave a pcapng that tshark reads, comments on,
# and nothing of ours may be left afterwards. The whole suite takes minutes: bench/suite-linux runs it.
#   tests/linux-target.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
status=0

probe_name=linux-target
. "$(dirname "$0")/common/linux_probe.sh"
fail() { echo "linux-target: FAIL: $*"; status=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# A quick part of the suite: handshakes, closed ports, data.
out=$("$prog" run --target linux -q \
	-f 'cases/handshake/passive-open.yaml' -f 'cases/handshake/active-open.yaml' \
	-f 'cases/handshake/simultaneous-open.yaml' -f 'cases/handshake/listen-*' \
	-f 'cases/handshake/syn-sent-*' -f 'cases/handshake/syn-received-bad-ack.yaml' \
	-f 'cases/rst/closed-port-*' -f 'cases/rst/rst-in-window-challenge-ack.yaml' \
	-f 'cases/data/receive-in-order.yaml' -f 'cases/data/unacceptable-segment-acked.yaml' \
	-f 'cases/data/ack-of-unsent-data.yaml' -f 'cases/close/close-wait-sends-data.yaml' \
	cases/ 2>&1)
rc=$?
last=$(echo "$out" | tail -n 1)
echo "linux-target: quick suite: $last"
[ "$rc" -eq 0 ] || fail "quick suite exit $rc: $out"
case "$last" in
*" 0 failed"*) ;;
*) fail "quick suite: $last" ;;
esac
passed=$(echo "$last" | awk '{print $1}')
[ "$passed" -ge 30 ] || fail "quick suite: only $passed passed"

# A failing case writes its exchange as a pcap that tshark reads.
out=$("$prog" run --target linux --family 4 --pcap-dir "$tmp/pcap" tests/linux-cases/wrong-window.yaml 2>&1)
rc=$?
[ "$rc" -eq 1 ] || fail "wrong-window: exit $rc, want 1: $out"
pcap=$(ls "$tmp"/pcap/*.pcapng 2>/dev/null | head -n 1)
if [ -z "$pcap" ]; then
	fail "wrong-window: no pcapng written: $out"
elif command -v tshark >/dev/null 2>&1; then
	n=$(tshark -r "$pcap" 2>/dev/null | wc -l)
	[ "$n" -ge 2 ] || fail "tshark reads $n packets from $pcap, want the SYN and the SYN-ACK"
	tshark -r "$pcap" 2>/dev/null | grep -q 'SYN, ACK' || fail "tshark does not show the SYN-ACK in $pcap"
	# the engine's comments matched onto the wire's frames
	tshark -r "$pcap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==1' -T fields -e frame.comment 2>/dev/null |
		grep -q 'step 3 (tests/linux-cases/wrong-window.yaml:8:5) expect,FAILED: win expected 1' ||
		fail "the SYN-ACK in $pcap does not carry step 3's comment and its failure"
	echo "linux-target: a failing case's pcapng holds $n packets, tshark shows the SYN-ACK with its FAILED comment"
else
	fail "tshark is not installed (ci/install-deps.sh installs it)"
fi

# Nothing of ours is left.
[ -z "$(ip netns list 2>/dev/null | grep tcpconform)" ] || fail "named namespaces left"
[ -z "$(ip -o link show type veth 2>/dev/null | grep tcv)" ] || fail "veth links left"
# instances of runs still going (another terminal, CI job) are theirs
for inst in $(ls /sys/kernel/tracing/instances 2>/dev/null | grep '^tcpconform-'); do
	owner=$(echo "$inst" | cut -d- -f2)
	[ -d "/proc/$owner" ] || fail "tracefs instance $inst left by a run that has ended"
done
exit "$status"
