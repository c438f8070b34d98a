#!/bin/sh
# A linux-target run ended by SIGINT, SIGTERM or SIGKILL leaves nothing of
# ours: no namespace (named or not: none of our processes may survive to
# hold one), no veth, no tracefs instance, no mount, no helper process. A
# SIGKILLed run cannot clean its tracefs instance; the next run must.
#   tests/linux-cleanup.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
status=0
case_file=cases/timewait/time-wait-lasts-2msl.yaml   # a minute of real time

probe_name=linux-cleanup
. "$(dirname "$0")/common/linux_probe.sh"

fail() { echo "linux-cleanup: FAIL: $*"; status=1; }

tracefs=/sys/kernel/tracing
instances() { ls "$tracefs/instances" 2>/dev/null | grep '^tcpconform-' || true; }

leftovers() { # $1: the PID of the run
	left=""
	n=$(ip netns list 2>/dev/null | grep -c tcpconform)
	[ "$n" -eq 0 ] || left="$left named-netns:$n"
	n=$(ip -o link show type veth 2>/dev/null | grep -c 'tcv')
	[ "$n" -eq 0 ] || left="$left veth:$n"
	[ -z "$(instances | grep "^tcpconform-$1-")" ] || left="$left tracefs:$(instances | tr '\n' ' ')"
	# the helper process and any worker: children of the run
	n=$(ps -eo ppid= | grep -cx " *$1")
	[ "$n" -eq 0 ] || left="$left children:$n"
	grep -q "^/run/netns/tcpconform" /proc/mounts && left="$left netns-mount"
	echo "$left"
}

for sig in INT TERM KILL; do
	"$prog" run --target linux --family 4 -j 1 "$case_file" >/dev/null 2>&1 &
	pid=$!
	# wait until the run is inside the case: its tracefs instance exists
	i=0
	while [ -z "$(instances | grep "^tcpconform-$pid-")" ] && [ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ "$i" -lt 100 ] || fail "SIG$sig: the run never reached its case"
	sleep 0.3
	kill -s "$sig" "$pid"
	wait "$pid" 2>/dev/null
	# the kernel reaps a dead parent's helper a moment later (PDEATHSIG)
	sleep 0.3
	if [ "$sig" = KILL ]; then
		# SIGKILL cannot be caught: the instance stays (which shows this
		# script sees instances at all) until the next run sweeps it
		[ -n "$(instances | grep "^tcpconform-$pid-")" ] ||
			fail "SIGKILL: no stale instance seen, so this check could not fail"
		"$prog" run --target linux --family 4 -j 1 cases/handshake/passive-open.yaml >/dev/null 2>&1 ||
			fail "SIGKILL: the run after it failed"
	fi
	left=$(leftovers "$pid")
	if [ -n "$left" ]; then
		fail "SIG$sig: left behind:$left"
	else
		echo "linux-cleanup: SIG$sig: nothing left behind"
	fi
done
exit "$status"
