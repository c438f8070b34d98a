#!/bin/sh
# `tcpconform agent --stack linux` in a network namespace of its own, driven
# through the client library by tests/agent/agent_drive.c, which plays the
# peer on that namespace's loopback and checks each state the agent reports
# against the kernel's /proc/net/tcp; a wrong token and a world-readable
# token file refused; a dead agent reported as an error naming it. The
# namespace goes with its last process; every agent is ended by its PID.
#   tests/agent.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
drive="$build/tests/agent-drive"
status=0

skip() { echo "agent: SKIP: $*"; exit 0; }
why=$(unshare -n true 2>&1) || skip "cannot create a network namespace: ${why##*: }"
[ -x "$drive" ] || { echo "agent: FAIL: $drive is not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/agent-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
head -c 32 /dev/urandom >"$tmp/token"
chmod 600 "$tmp/token"
head -c 32 /dev/urandom >"$tmp/other"
chmod 600 "$tmp/other"
cp "$tmp/token" "$tmp/open"
chmod 644 "$tmp/open"

# Everything below runs inside one fresh namespace: the agent listens on its
# loopback only.
cat >"$tmp/inside.sh" <<'INSIDE'
set -u
prog=$1 drive=$2 tmp=$3
status=0
fail() { echo "agent: FAIL: $*"; status=1; }
ip link set lo up
agent_pid=
stop_agent() {
	[ -n "$agent_pid" ] || return 0
	kill "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	agent_pid=
}
trap 'stop_agent' EXIT
start_agent() {
	"$prog" agent --listen 127.0.0.1:7000 --token-file "$tmp/token" 2>"$tmp/agent.err" &
	agent_pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		grep -q listening "$tmp/agent.err" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the agent did not start: $(cat "$tmp/agent.err")"
}

# a world-readable token file is refused before anything listens
out=$("$prog" agent --listen 127.0.0.1:7001 --token-file "$tmp/open" 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "world-readable token: exit $rc, want 2: $out"
echo "$out" | grep -q "readable or writable by others" || fail "world-readable token: $out"
echo "agent: a world-readable token file is refused: $out"
# no default address to listen on
out=$("$prog" agent --token-file "$tmp/token" 2>&1)
[ $? -eq 2 ] || fail "an agent without --listen started: $out"

start_agent
# the whole exchange: listen, accept, recv, send, close, state reads
"$drive" session 127.0.0.1:7000 "$tmp/token" || fail "the session failed"
# a wrong token gets an error and nothing else; the agent serves the next client
out=$("$drive" hello 127.0.0.1:7000 "$tmp/other" 2>&1) && fail "a wrong token was accepted"
echo "$out" | grep -q "AUTH wrong token" || fail "wrong token: $out"
echo "agent: a wrong token is refused: $out"
"$drive" hello 127.0.0.1:7000 "$tmp/token" || fail "the agent did not serve the next client"
# a dead agent: the client's error names it
"$drive" dead 127.0.0.1:7000 "$tmp/token" "$agent_pid" || fail "the dead agent was not reported"
wait "$agent_pid" 2>/dev/null
agent_pid=
exit $status
INSIDE
unshare -n sh "$tmp/inside.sh" "$prog" "$drive" "$tmp" || status=1

# nothing of ours is left: no agent process, no veth
if pgrep -f "$prog agent --listen 127.0.0.1:7000" >/dev/null 2>&1; then
	echo "agent: FAIL: an agent process is left"
	status=1
fi
[ "$status" -eq 0 ] && echo "agent: the linux agent works, refuses bad tokens and is reported when dead"
exit "$status"
