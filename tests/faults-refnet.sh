#!/bin/sh
# The seeded faults are compiled into the faults build's agent too, and the
# suite catches them on ref-net, through the wire: each fault below (all of
# them) is run against a case that catches it on ref, and that case must
# fail; without a fault the same cases pass. The runs go in parallel (each
# has its own namespaces). Root; SKIP without network namespaces.
#   tests/faults-refnet.sh [BUILD_DIR]
set -u
build=${1:-build}
faulty="$build/tcpconform-faults"
status=0

skip() { echo "faults-refnet: SKIP: $*"; exit 0; }
why=$(unshare -n true 2>&1) || skip "cannot create a network namespace: ${why##*: }"
fail() { echo "faults-refnet: FAIL: $*"; status=1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/faults-refnet.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# fault : a case that catches it (quickly: before any long wait)
pairs="no-time-wait:cases/rst/rst-in-time-wait.yaml
finack-to-closing:cases/close/finack-in-fin-wait-1.yaml
synack-ack-off-by-one:cases/handshake/passive-open.yaml
ignore-rst-in-synrcvd:cases/rst/rst-in-syn-received.yaml
short-msl:cases/timewait/time-wait-lasts-2msl.yaml
no-syn-retransmit:cases/handshake/syn-retransmit-backoff.yaml
mss-on-every-segment:cases/handshake/active-open.yaml"

# every fault compiled in is in the list
for f in $("$faulty" run --list-faults); do
	echo "$pairs" | grep -q "^$f:" || fail "fault $f has no case here: add one"
done

# the normal build refuses a fault on ref-net
out=$("$build/tcpconform" run --target ref-net --ref-fault no-time-wait cases/rst/rst-in-time-wait.yaml 2>&1)
[ $? -eq 2 ] || fail "the normal build took --ref-fault on ref-net: $out"

# without a fault the cases pass (those that need no long wait)
"$faulty" run --target ref-net -q --pcap none cases/rst/rst-in-time-wait.yaml cases/handshake/passive-open.yaml \
	cases/rst/rst-in-syn-received.yaml cases/handshake/syn-retransmit-backoff.yaml cases/handshake/active-open.yaml \
	>"$tmp/none.out" 2>&1 &
for p in $pairs; do
	f=${p%%:*}
	c=${p#*:}
	"$faulty" run --target ref-net -q --pcap none --family 4 --ref-fault "$f" "$c" >"$tmp/$f.out" 2>&1 &
done
wait

last=$(tail -n 1 "$tmp/none.out")
case "$last" in
*" 0 failed"*) echo "faults-refnet: no fault: $last" ;;
*) fail "the faults build with no fault: $(cat "$tmp/none.out")" ;;
esac
for p in $pairs; do
	f=${p%%:*}
	c=${p#*:}
	if grep -q "^FAIL  $c" "$tmp/$f.out"; then
		echo "faults-refnet: $f caught by $c on ref-net: $(grep -A1 '^FAIL' "$tmp/$f.out" | sed -n 2p | sed 's/^ *//')"
	else
		fail "fault $f not caught by $c on ref-net: $(cat "$tmp/$f.out")"
	fi
done
[ "$status" -eq 0 ] && echo "faults-refnet: every seeded fault is caught on ref-net"
exit "$status"
