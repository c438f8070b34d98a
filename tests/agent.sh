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
# several clients at once: one holds an authenticated session open while
# the whole exchange (listen, accept, recv, send, close, state reads) runs
# on a second; an agent serving one at a time would tell the second BUSY
/usr/bin/python3 - "$tmp/token" >"$tmp/holder.out" 2>&1 <<'HOLD' &
import socket, sys, time
tok = open(sys.argv[1], 'rb').read().hex()
s = socket.create_connection(('127.0.0.1', 7000), timeout=5)
s.sendall(('HELLO 2 %s\n' % tok).encode())
print(s.recv(200).decode().strip(), flush=True)
time.sleep(3)
s.sendall(b'STATE\n')
print(s.recv(200).decode().strip(), flush=True)
s.sendall(b'BYE\n')
print(s.recv(200).decode().strip(), flush=True)
HOLD
holder=$!
sleep 0.5
"$drive" session 127.0.0.1:7000 "$tmp/token" || fail "the session failed (with another client connected)"
wait "$holder"
grep -q "^OK 2 stack=linux transitions=no$" "$tmp/holder.out" && grep -q "^ERR ORDER" "$tmp/holder.out" &&
	grep -q "^OK bye$" "$tmp/holder.out" || fail "the first client's session: $(cat "$tmp/holder.out")"
echo "agent: two clients at once, each its own session: $(tr '\n' ';' <"$tmp/holder.out")"
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

# --stack ref on a veth whose far end is a real kernel: it must answer that
# kernel's ARP and neighbour solicitations itself and take its connections.
a=tcagent-$$-a
b=tcagent-$$-b
cleanup_ns() {
	[ -n "${ref_pid:-}" ] && kill "$ref_pid" 2>/dev/null && wait "$ref_pid" 2>/dev/null
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
}
trap 'cleanup_ns; rm -rf "$tmp"' EXIT
if ip netns add "$a" 2>/dev/null && ip netns add "$b"; then
	ip -n "$a" link add tca type veth peer name tcb netns "$b"
	ip netns exec "$a" sysctl -qw net.ipv6.conf.tca.disable_ipv6=1
	ip -n "$a" link set lo up
	ip -n "$a" link set tca up
	ip netns exec "$b" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.tcb.accept_dad=0
	ip -n "$b" addr add 192.0.2.2/24 dev tcb
	ip -n "$b" addr add 2001:db8::2/64 dev tcb nodad
	ip -n "$b" link set tcb up
	ip netns exec "$a" "$prog" agent --listen 127.0.0.1:7002 --token-file "$tmp/token" --stack ref \
		--netdev tca --address 192.0.2.1 --address 2001:db8::1 2>"$tmp/ref.err" &
	ref_pid=$!
	sleep 0.5
	for fam in 4 6; do
		if [ "$fam" = 4 ]; then me=192.0.2.2 it=192.0.2.1; else me=2001:db8::2 it=2001:db8::1; fi
		ip netns exec "$b" python3 -c "
import socket, sys, time
fam = socket.AF_INET if '$fam' == '4' else socket.AF_INET6
for _ in range(40):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('$me', 40001)); s.settimeout(1.0)
    try:
        s.connect(('$it', 8080)); s.send(b'hello'); time.sleep(1); sys.exit(0)
    except OSError:
        s.close(); time.sleep(0.1)
sys.exit(1)" &
		peer=$!
		ip netns exec "$a" "$drive" listen 127.0.0.1:7002 "$tmp/token" "$fam" "$me" ||
			{ echo "agent: FAIL: the ref agent took no IPv$fam connection from a kernel: $(cat "$tmp/ref.err")"; status=1; }
		wait "$peer"
	done
	ip -n "$b" neigh show dev tcb | grep -q "192.0.2.1 .*lladdr" || { echo "agent: FAIL: no ARP answer from the ref agent"; status=1; }
	ip -n "$b" neigh show dev tcb | grep -q "2001:db8::1 .*lladdr" || { echo "agent: FAIL: no neighbour advertisement from the ref agent"; status=1; }
	echo "agent: the ref agent answers ARP and neighbour solicitations: $(ip -n "$b" neigh show dev tcb | tr '\n' ';')"
	cleanup_ns
	ref_pid=
else
	echo "agent: SKIP the ref agent part: ip netns add failed"
fi

# nothing of ours is left: no agent process, no namespace
if pgrep -f "$prog agent --listen 127.0.0.1:7000" >/dev/null 2>&1; then
	echo "agent: FAIL: an agent process is left"
	status=1
fi
ip netns list 2>/dev/null | grep -q "tcagent-$$-" && { echo "agent: FAIL: a namespace is left"; status=1; }
[ "$status" -eq 0 ] && echo "agent: the linux agent works, refuses bad tokens and is reported when dead"
exit "$status"
