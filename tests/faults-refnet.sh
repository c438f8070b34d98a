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
mss-on-every-segment:cases/handshake/active-open.yaml
no-persist-probe:cases/window/zero-window-probe.yaml
persist-no-backoff:cases/window/zero-window-probe-backoff.yaml
no-sender-sws:cases/window/sender-sws-small-window.yaml
syn-data-dropped:cases/handshake/syn-data-queued.yaml
window-update-any-ack:cases/window/wl1-older-segment-no-window-update.yaml
no-rst-on-data-lost:cases/close/close-with-unread-data-rst.yaml
isn-constant:cases/isn/isn-clock-advances.yaml
rfc1337-ignored:cases/timewait/rfc1337-rst-ignored.yaml
challenge-ack-unthrottled:cases/robust/challenge-ack-limit-shared.yaml
time-wait-reopen-low-isn:cases/timewait/time-wait-syn-reopen-larger-isn.yaml
window-signed:cases/window/window-unsigned-40000.yaml
header-padding-nonzero:cases/options/header-padding-zero-syn.yaml
no-psh:cases/data/psh-on-last-segment-of-write.yaml
no-receiver-sws:cases/window/receiver-sws-small-read.yaml
karn-violated:cases/rtt/karn-no-sample-from-retransmission.yaml
rto-not-backed-off:cases/handshake/syn-retransmit-backoff.yaml
rto-below-min:cases/rtt/rto-min-after-sample.yaml
backoff-reset-on-ack:cases/rtt/karn-no-sample-from-retransmission.yaml
no-rto-3s-after-syn-loss:cases/rtt/syn-lost-rto-three-seconds.yaml
icmp-unreach-aborts:cases/icmp/unreach-host-no-abort.yaml
syn-to-multicast-accepted:cases/ip/syn-to-multicast-dropped.yaml
syn-from-multicast-accepted:cases/ip/syn-from-multicast-dropped.yaml
ip-options-dropped:cases/ip/ip-option-unknown-ignored.yaml
return-route-ignored:cases/ip/source-route-return-route-saved.yaml
nagle-ignored:cases/window/nagle-holds-second-write.yaml
delack-past-500ms:cases/ack/delayed-ack-under-500ms.yaml
no-delack-every-second-segment:cases/ack/delayed-ack-every-second-segment.yaml
no-paws-check:cases/rfc7323/paws-drops-old-timestamp.yaml
no-window-scaling-applied:cases/rfc7323/wscale-applied-both-ways.yaml
ts-recent-from-any-segment:cases/rfc7323/ts-recent-invalid-ack.yaml
no-tsopt-on-fin:cases/rfc7323/ts-on-fin.yaml
sack-oldest-first:cases/sack/out-of-order-sack-blocks.yaml
rst-error-lost:cases/app/recv-after-rst.yaml
tsopt-missing-accepted:cases/rfc7323/ts-missing-after-negotiation.yaml
ack-every-segment:cases/ack/ack-aggregates-two-segments.yaml
ack-before-queued-text:cases/ack/queued-segments-one-ack.yaml
rttm-ignored:cases/rtt/rttm-synack-retransmitted.yaml
rttm-on-duplicate-ack:cases/rtt/rttm-duplicate-ack-no-sample.yaml
source-quench-honoured:cases/icmp/source-quench-discarded.yaml
soft-error-lost:cases/icmp/soft-error-reported-on-timeout.yaml
iw-too-large:cases/cc/iw-three-segments.yaml"

# Faults whose cases ref-net cannot run yet, each with why: what agent
# protocol 2 does not carry, what the agent's ref stack cannot do yet, or
# what needs virtual time (the ref target catches them: tests/faults.sh).
exempt="keepalive-on-by-default:its case needs virtual time (3 idle hours)
urgent-pointer-last-octet:the agent's ref stack has no send_urgent yet
ts-recent-never-expires:its case needs virtual time (24 idle days)
urgent-not-signalled:ref-net has no urgent capability (the agent's ref stack has no send_urgent or poll urgent yet)
atmark-never:ref-net has no urgent capability (the agent's ref stack has no poll atmark yet)
connect-multicast:ref-net has no connect-invalid capability (APP connect carries no address in agent protocol 1)
user-timeout-ignored:the agent's ref stack has no socket options (TCP_USER_TIMEOUT) yet
user-timeout-ignores-probes:the agent's ref stack has no socket options (TCP_USER_TIMEOUT) yet
user-timeout-ends-answered-probes:the agent's ref stack has no socket options (TCP_USER_TIMEOUT) yet
syn-r2-under-3-minutes:its case needs three minutes of SYNs and connect-result (cases/rtt/syn-r2-three-minutes)
no-fast-retransmit:agent protocol 2 does not carry config initial_window (CASE-BEGIN has no word for it)
no-slow-start:agent protocol 2 does not carry config initial_window (CASE-BEGIN has no word for it)
no-idle-restart:agent protocol 2 does not carry config initial_window (CASE-BEGIN has no word for it)
cwnd-not-reduced-on-rto:agent protocol 2 does not carry config initial_window (CASE-BEGIN has no word for it)
newreno-partial-ack-ignored:agent protocol 2 does not carry config initial_window (CASE-BEGIN has no word for it)
no-limited-transmit:agent protocol 2 does not carry config initial_window (CASE-BEGIN has no word for it)
sack-retransmits-sacked-data:agent protocol 2 does not carry config initial_window (CASE-BEGIN has no word for it)
icmp-hard-error-ignored:the agent's ref stack has no connect-result yet
ttl-option-ignored:the agent's ref stack has no IP_TTL socket option yet
tos-option-ignored:the agent's ref stack has no IP_TOS socket option yet
send-from-first-address:ref-net's agent plays one address per family (its cases need multihomed)
app-route-ignored:the agent's ref stack has no IP_OPTIONS socket option (agent protocol 2 carries integer values only)
app-route-overridden:the agent's ref stack has no IP_OPTIONS socket option (agent protocol 2 carries integer values only)
isn-first-address-hashed:ref-net's agent plays one address per family (its case needs multihomed)"

# every fault compiled in is in one list or the other
for f in $("$faulty" run --list-faults); do
	if echo "$exempt" | grep -q "^$f:"; then
		echo "faults-refnet: not on ref-net: $f: $(echo "$exempt" | sed -n "s/^$f://p")"
		continue
	fi
	echo "$pairs" | grep -q "^$f:" || fail "fault $f has no case here: add one (or say in exempt why ref-net cannot run it)"
done

# the normal build refuses a fault on ref-net
out=$("$build/tcpconform" run --target ref-net --ref-fault no-time-wait cases/rst/rst-in-time-wait.yaml 2>&1)
[ $? -eq 2 ] || fail "the normal build took --ref-fault on ref-net: $out"

# without a fault the cases pass (those that need no long wait)
"$faulty" run --target ref-net -q --pcap none cases/rst/rst-in-time-wait.yaml cases/handshake/passive-open.yaml \
	cases/rst/rst-in-syn-received.yaml cases/handshake/syn-retransmit-backoff.yaml cases/handshake/active-open.yaml \
	cases/window/zero-window-probe.yaml cases/window/zero-window-probe-backoff.yaml \
	cases/window/sender-sws-small-window.yaml cases/handshake/syn-data-queued.yaml \
	cases/window/wl1-older-segment-no-window-update.yaml cases/close/close-with-unread-data-rst.yaml \
	cases/isn/isn-clock-advances.yaml cases/timewait/rfc1337-rst-ignored.yaml \
	cases/robust/challenge-ack-limit-shared.yaml cases/timewait/time-wait-syn-reopen-larger-isn.yaml \
	cases/rtt/karn-no-sample-from-retransmission.yaml cases/rtt/rto-min-after-sample.yaml \
	cases/rtt/syn-lost-rto-three-seconds.yaml \
	cases/icmp/unreach-host-no-abort.yaml cases/ip/syn-to-multicast-dropped.yaml \
	cases/ip/syn-from-multicast-dropped.yaml cases/ip/ip-option-unknown-ignored.yaml \
	cases/window/nagle-holds-second-write.yaml cases/ack/delayed-ack-under-500ms.yaml \
	cases/ack/delayed-ack-every-second-segment.yaml cases/rfc7323/paws-drops-old-timestamp.yaml \
	cases/rfc7323/wscale-applied-both-ways.yaml cases/rfc7323/ts-recent-invalid-ack.yaml cases/rfc7323/ts-on-fin.yaml \
	cases/sack/out-of-order-sack-blocks.yaml cases/app/recv-after-rst.yaml \
	cases/rfc7323/ts-missing-after-negotiation.yaml cases/ack/ack-aggregates-two-segments.yaml \
	cases/ack/queued-segments-one-ack.yaml cases/rtt/rttm-synack-retransmitted.yaml \
	cases/rtt/rttm-duplicate-ack-no-sample.yaml cases/icmp/source-quench-discarded.yaml \
	cases/icmp/soft-error-reported-on-timeout.yaml cases/cc/iw-three-segments.yaml \
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
[ "$status" -eq 0 ] && echo "faults-refnet: every seeded fault ref-net can run is caught on ref-net ($(echo "$exempt" | wc -l) not runnable there, listed above)"
exit "$status"
