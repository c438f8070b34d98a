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
return-route-ignored:cases/ip/source-route-return-route-saved.yaml"

# Faults whose cases ref-net cannot run yet, each with why: what agent
# protocol 1 does not carry (the ref target catches them: tests/faults.sh).
exempt="nagle-ignored:config nagle is not in CASE-BEGIN yet
delack-past-500ms:config delayed_ack is not in CASE-BEGIN yet
no-delack-every-second-segment:config delayed_ack is not in CASE-BEGIN yet
keepalive-on-by-default:its case needs virtual time (3 idle hours)
no-paws-check:profile default is not in CASE-BEGIN yet
no-window-scaling-applied:profile default is not in CASE-BEGIN yet
ts-recent-from-any-segment:profile default is not in CASE-BEGIN yet
no-tsopt-on-fin:profile default is not in CASE-BEGIN yet
sack-oldest-first:profile default is not in CASE-BEGIN yet
urgent-pointer-last-octet:the agent's ref stack has no send_urgent yet
rst-error-lost:the agent's ref stack forgets a connection an RST deleted
tsopt-missing-accepted:profile default is not in CASE-BEGIN yet
ts-recent-never-expires:its case needs virtual time (24 idle days)
urgent-not-signalled:ref-net has no urgent capability (poll urgent is not in agent protocol 1)
atmark-never:ref-net has no urgent capability (poll atmark is not in agent protocol 1)
connect-multicast:ref-net has no connect-invalid capability (APP connect carries no address in agent protocol 1)
ack-every-segment:config delayed_ack is not in CASE-BEGIN yet
ack-before-queued-text:profile default is not in CASE-BEGIN yet
rttm-ignored:profile default (timestamps) is not in CASE-BEGIN yet
rttm-on-duplicate-ack:profile default (timestamps) is not in CASE-BEGIN yet
user-timeout-ignored:the agent's ref stack has no socket options (TCP_USER_TIMEOUT) yet
user-timeout-ignores-probes:the agent's ref stack has no socket options (TCP_USER_TIMEOUT) yet
user-timeout-ends-answered-probes:the agent's ref stack has no socket options (TCP_USER_TIMEOUT) yet
syn-r2-under-3-minutes:its case needs three minutes of SYNs and connect-result (cases/rtt/syn-r2-three-minutes)
no-fast-retransmit:config initial_window is not in CASE-BEGIN yet
no-slow-start:config initial_window is not in CASE-BEGIN yet
no-idle-restart:profile default and config initial_window are not in CASE-BEGIN yet
cwnd-not-reduced-on-rto:config initial_window is not in CASE-BEGIN yet
newreno-partial-ack-ignored:config initial_window is not in CASE-BEGIN yet
no-limited-transmit:config initial_window is not in CASE-BEGIN yet
sack-retransmits-sacked-data:profile default and config initial_window are not in CASE-BEGIN yet
iw-too-large:its cases skip ref-net: the agent hands a write to the stack in 2048-byte calls, each pushed at once
source-quench-honoured:its case reads the error of a connection the stack deleted, which the agent's ref stack forgets
soft-error-lost:its case reads the error of a connection the stack deleted, which the agent's ref stack forgets
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
