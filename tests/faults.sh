#!/bin/sh
# Proves the suite can fail: every seeded fault of the reference stack must
# turn at least one case from pass to fail, and the normal build must carry
# no fault code at all.
#   tests/faults.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
faulty="$build/tcpconform-faults"
cases=${CASES:-cases/}
status=0

fail() { echo "faults: FAIL: $*"; status=1; }

# The normal build knows no fault option and holds no fault name.
"$prog" run --ref-fault no-time-wait "$cases" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "normal build accepted --ref-fault (exit $rc, want 2)"
if grep -q -a 'finack-to-closing' "$prog"; then
	fail "normal build $prog contains fault code (found 'finack-to-closing')"
fi

# The faults build without a fault passes the whole suite, like the normal one.
out=$("$faulty" run -q "$cases" 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "faults build with no fault selected: exit $rc; $(echo "$out" | tail -n 1)"

faults=$("$faulty" run --list-faults)
[ -n "$faults" ] || fail "no faults listed"
for want in no-time-wait finack-to-closing synack-ack-off-by-one ignore-rst-in-synrcvd short-msl no-syn-retransmit mss-on-every-segment \
	no-persist-probe persist-no-backoff no-sender-sws nagle-ignored delack-past-500ms \
	no-delack-every-second-segment syn-data-dropped keepalive-on-by-default \
	no-paws-check no-window-scaling-applied ts-recent-from-any-segment no-tsopt-on-fin sack-oldest-first \
	urgent-pointer-last-octet rst-error-lost window-update-any-ack tsopt-missing-accepted \
	no-rst-on-data-lost \
	isn-constant rfc1337-ignored challenge-ack-unthrottled \
	time-wait-reopen-low-isn \
	window-signed no-receiver-sws no-psh urgent-not-signalled \
	atmark-never connect-multicast header-padding-nonzero ack-every-segment ack-before-queued-text \
	karn-violated rto-not-backed-off rttm-ignored rto-below-min backoff-reset-on-ack user-timeout-ignored \
	user-timeout-ignores-probes user-timeout-ends-answered-probes \
	no-rto-3s-after-syn-loss syn-r2-under-3-minutes rttm-on-duplicate-ack \
	no-fast-retransmit iw-too-large no-slow-start no-idle-restart \
	cwnd-not-reduced-on-rto newreno-partial-ack-ignored no-limited-transmit sack-retransmits-sacked-data \
	icmp-unreach-aborts source-quench-honoured icmp-hard-error-ignored soft-error-lost \
	syn-to-multicast-accepted syn-from-multicast-accepted ip-options-dropped ttl-option-ignored \
	tos-option-ignored send-from-first-address return-route-ignored app-route-ignored \
	app-route-overridden isn-first-address-hashed ts-recent-never-expires; do
	echo "$faults" | grep -qx "$want" || fail "fault $want is not compiled in"
done

for f in $faults; do
	# --pcap none: the failing runs would leave their captures under reports/
	out=$("$faulty" run -q --pcap none --ref-fault "$f" "$cases" 2>&1)
	rc=$?
	nfail=$(echo "$out" | grep -c '^FAIL')
	last=$(echo "$out" | tail -n 1)
	if [ "$rc" -ne 1 ] || [ "$nfail" -eq 0 ]; then
		fail "fault $f: exit $rc, $nfail failing case runs (want exit 1 and at least one): $last"
	else
		caught=$(echo "$out" | grep '^FAIL' | awk '{print $2}' | sort -u | tr '\n' ' ')
		echo "faults: $f caught by $nfail case runs: $caught"
	fi
done

[ "$status" -eq 0 ] && echo "faults: every seeded fault is caught"
exit "$status"
