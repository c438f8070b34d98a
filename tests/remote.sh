#!/bin/sh
# The remote target against a "remote host" made here: two namespaces
# joined by a veth, the prober in one (where tcpconform runs), a Linux host
# in the other (198.51.100.2/24 and 2001:db8::2/64, TCP pinned as the linux
# target pins it, a listener on 8080, nothing on 8081). Checks:
#   - the agentless subset passes on IPv4 and on IPv6 (>= 20 case runs
#     passed, 0 failed), the other family's runs skipped with the reason;
#   - a destination outside --allow, multicast, broadcast (limited and the
#     subnet's), unspecified, loopback and the prober's own address are
#     refused with exit 2 and nothing reaches the host's veth;
#   - --rate 20 holds: in no second of the host's capture more than
#     rate + burst segments from the prober;
#   - --max-connections stops the run (exit 1), and so does a host that
#     stops answering;
#   - after SIGINT, SIGTERM and SIGKILL of a run no nftables table of ours
#     is left in the prober namespace;
#   - refused before any case: a wrong token (the agent says AUTH), an agent
#     outside --allow, --agent without --token-file, --jobs 2 without an
#     agent;
#   - with `tcpconform agent --stack linux` in the host namespace (token
#     file 0600 in the test's own folder), the WHOLE suite on IPv4 and on
#     IPv6, several workers at once: 0 failed, passed > 0, every skip with
#     its reason; then the host's TCP set to the kernel's defaults and the
#     `profile: default` cases (skipped on the pinned host) run there;
#   - at the end (trap, every exit path) no agent, namespace or veth of
#     ours is left.
#   tests/remote.sh [BUILD_DIR]
# REMOTE_SUITE (default cases/) and REMOTE_JOBS (default 8) change what
# the agent's runs take, REMOTE_AGENT_ONLY=1 runs only them: for debugging.
set -u
build=${1:-build}
prog="$build/tcpconform"
host_helper="$build/tests-remote/remote_host"
status=0
P=tcrt$$p H=tcrt$$h VP=tcrt$$a VH=tcrt$$b
A4=198.51.100.2 A6=2001:db8::2
tmp=$(mktemp -d)

skip() { echo "remote: SKIP: $*"; rm -rf "$tmp"; exit 0; }
fail() { echo "remote: FAIL: $*"; status=1; }
say() { echo "remote: $*"; }

why=$(unshare -n true 2>&1) || skip "cannot create a network namespace: ${why##*: }"
why=$(unshare -n nft add table inet tcpconform_probe 2>&1) || skip "nftables does not work in a namespace: $why"

host_pid=""
agent_pid=""
cleanup() {
	[ -z "$agent_pid" ] || kill "$agent_pid" 2>/dev/null
	[ -z "$host_pid" ] || kill "$host_pid" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	ip netns del "$H" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

inp() { ip netns exec "$P" "$@"; }
inh() { ip netns exec "$H" "$@"; }

# ---- the pair ----
ip netns add "$P" && ip netns add "$H" || skip "cannot name namespaces (ip netns add)"
# no router solicitations from either end: the captures below count frames
for ns in "$P" "$H"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0
done
ip link add "$VP" netns "$P" type veth peer name "$VH" netns "$H" || { fail "veth"; exit 1; }
for ns in "$P" "$H"; do
	ip -n "$ns" link set lo up
done
ip -n "$P" addr add 198.51.100.1/24 dev "$VP"
ip -n "$P" addr add 2001:db8::1/64 dev "$VP" nodad
ip -n "$H" addr add "$A4/24" dev "$VH"
ip -n "$H" addr add "$A6/64" dev "$VH" nodad
ip -n "$P" link set "$VP" up
ip -n "$H" link set "$VH" up
inp "$host_helper" offloads "$VP" && inh "$host_helper" offloads "$VH" || fail "offloads off"
# the host's TCP pinned as the linux target pins its namespace
for kv in tcp_timestamps=0 tcp_sack=0 tcp_window_scaling=0 tcp_ecn=0 tcp_syn_retries=6 \
	tcp_synack_retries=5 tcp_retries2=15 tcp_fin_timeout=60 tcp_rfc1337=0 tcp_syncookies=0 \
	tcp_fastopen=0 tcp_mtu_probing=0 tcp_slow_start_after_idle=0 tcp_no_metrics_save=1; do
	inh sysctl -qw "net.ipv4.$kv" || fail "sysctl $kv"
done
start_host() {
	inh "$host_helper" listen "$A4" 8080 "$A6" 8080 >"$tmp/host.out" 2>&1 &
	host_pid=$!
	i=0
	while ! grep -q ready "$tmp/host.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	grep -q ready "$tmp/host.out" || { fail "the host's listener did not start: $(cat "$tmp/host.out")"; exit 1; }
}
start_host
# the link takes a moment to carry frames
i=0
until inp ip -6 route get "$A6" >/dev/null 2>&1 && [ "$(ip -n "$P" -o link show "$VP" | grep -c LOWER_UP)" = 1 ] || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done

subset=$(grep -l -E '^requires: .*(open|closed)-port' cases/*/*.yaml)
nsubset=$(echo "$subset" | wc -l)
[ "$nsubset" -ge 10 ] || fail "only $nsubset cases are marked open-port or closed-port"

if [ -z "${REMOTE_AGENT_ONLY:-}" ]; then
# ---- the subset on both families ----
passed=0
for fam in 4 6; do
	if [ $fam = 4 ]; then t="remote:$A4:8080"; allow=198.51.100.0/24; else t="remote:[$A6]:8080"; allow=2001:db8::/32; fi
	inp "$prog" run --target "$t" --allow "$allow" --stack linux --closed-port 8081 $subset >"$tmp/run$fam.out" 2>&1
	rc=$?
	last=$(tail -1 "$tmp/run$fam.out")
	p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1/p')
	f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\2/p')
	other=$((10 - fam))
	nother=$(grep -c "^SKIP .*\[v$other\]" "$tmp/run$fam.out")
	reason=$(grep -c "no IPv$other runs" "$tmp/run$fam.out")
	if [ "$rc" != 0 ] || [ "${f:-x}" != 0 ] || [ "${p:-0}" -lt "$nsubset" ] || [ "$nother" != "$nsubset" ] || [ "$reason" -lt 1 ]; then
		fail "IPv$fam subset: exit $rc, '$last', $nother IPv$other runs skipped; output:"
		cat "$tmp/run$fam.out"
	else
		say "IPv$fam: $last (the $nother IPv$other runs skipped: the far host's address is IPv$fam)"
	fi
	passed=$((passed + ${p:-0}))
done
[ "$passed" -ge 20 ] || fail "$passed case runs passed over the two families, want >= 20"
say "the agentless subset: $passed case runs passed over IPv4 and IPv6"

# ---- refused before any packet ----
# a capture on the host's veth during every refused run: none may reach it
inh dumpcap -q -i "$VH" -w "$tmp/refused.pcapng" >/dev/null 2>&1 &
cap_pid=$!
sleep 1
refuse() { # $1: what; rest: the run's options
	what=$1
	shift
	inp "$prog" run "$@" cases/rst/closed-port-syn.yaml >"$tmp/refuse.out" 2>&1
	rc=$?
	if [ "$rc" != 2 ] || ! grep -q "nothing was sent\|refused" "$tmp/refuse.out"; then
		fail "$what: exit $rc, want 2 with a refusal: $(cat "$tmp/refuse.out")"
	else
		say "refused ($what): $(grep -m1 tcpconform: "$tmp/refuse.out")"
	fi
}
refuse "outside --allow" --target "remote:$A4:8080" --allow 203.0.113.0/24
refuse "no --allow" --target "remote:$A4:8080"
refuse "other family's --allow" --target "remote:$A4:8080" --allow 2001:db8::/32
refuse "multicast" --target remote:224.0.0.1:8080 --allow 224.0.0.0/4
refuse "IPv6 multicast" --target "remote:[ff02::1]:8080" --allow ff00::/8
refuse "limited broadcast" --target remote:255.255.255.255:8080 --allow 255.255.255.255/32
refuse "subnet broadcast" --target remote:198.51.100.255:8080 --allow 198.51.100.0/24
refuse "network address" --target remote:198.51.100.0:8080 --allow 198.51.100.0/24
refuse "unspecified" --target remote:0.0.0.0:8080 --allow 0.0.0.0/0
refuse "IPv6 unspecified" --target "remote:[::]:8080" --allow ::/0
refuse "loopback" --target remote:127.0.0.1:8080 --allow 127.0.0.0/8
refuse "the prober itself" --target remote:198.51.100.1:8080 --allow 198.51.100.0/24
sleep 1
kill "$cap_pid" 2>/dev/null
wait "$cap_pid" 2>/dev/null
# everything but the kernels' own link-local IPv6 chatter (neighbour and
# router discovery, MLD), which no run of ours sends
n=$(tshark -r "$tmp/refused.pcapng" -Y 'ip or arp or (ipv6 and not ipv6.src == fe80::/10)' 2>/dev/null | wc -l)
if [ "$n" != 0 ]; then
	fail "the refused runs put $n frames on the host's veth"
	tshark -r "$tmp/refused.pcapng" 2>/dev/null | head
else
	say "the refused runs put nothing on the host's veth"
fi

# ---- --rate 20 ----
inh dumpcap -q -i "$VH" -f "tcp and src host 198.51.100.1" -w "$tmp/rate.pcapng" >/dev/null 2>&1 &
cap_pid=$!
sleep 1
inp "$prog" run --target "remote:$A4:8080" --allow 198.51.100.0/24 --stack linux --closed-port 8081 --rate 20 \
	--family 4 cases/rst/closed-port-*.yaml cases/handshake/listen-*.yaml cases/handshake/passive-open.yaml \
	cases/handshake/syn-received-bad-ack.yaml >"$tmp/rate.out" 2>&1
rc=$?
sleep 1
kill "$cap_pid" 2>/dev/null
wait "$cap_pid" 2>/dev/null
# the most frames in any window of one second, from each frame on
worst=$(tshark -r "$tmp/rate.pcapng" -T fields -e frame.time_epoch 2>/dev/null | awk '
	{ t[NR] = $1 }
	END { j = 1; best = 0
	      for (i = 1; i <= NR; i++) { while (t[i] - t[j] >= 1.0) j++; if (i - j + 1 > best) best = i - j + 1 }
	      print best + 0; print NR > "/dev/stderr" }' 2>"$tmp/rate.n")
total=$(cat "$tmp/rate.n")
if [ "$rc" != 0 ] || [ "$total" -lt 30 ] || [ "$worst" -gt 22 ]; then
	fail "--rate 20: exit $rc, $total segments, at most $worst in one second (want <= 20 + burst 2, and >= 30 segments to judge)"
	cat "$tmp/rate.out"
else
	say "--rate 20: $total segments, at most $worst in any second (rate 20 + burst 2)"
fi

# ---- --max-connections: the run stops, exit 1 ----
inp "$prog" run --target "remote:$A4:8080" --allow 198.51.100.0/24 --stack linux --closed-port 8081 \
	--max-connections 4 --family 4 $subset >"$tmp/maxc.out" 2>&1
rc=$?
if [ "$rc" != 1 ] || ! grep -q "the run stopped: .*--max-connections 4 reached" "$tmp/maxc.out"; then
	fail "--max-connections 4: exit $rc, want 1 and the run stopped; output:"
	cat "$tmp/maxc.out"
else
	say "--max-connections 4: $(grep 'the run stopped' "$tmp/maxc.out")"
fi

# ---- a host that stops answering: the run stops, exit 1 ----
inp "$prog" run --target "remote:$A4:8080" --allow 198.51.100.0/24 --stack linux --family 4 \
	cases/rst/rst-in-syn-received.yaml cases/handshake/passive-open.yaml >"$tmp/dead.out" 2>&1 &
run_pid=$!
sleep 3
ip -n "$H" link set "$VH" down
wait "$run_pid"
rc=$?
ip -n "$H" link set "$VH" up
if [ "$rc" != 1 ] || ! grep -q "the run stopped: .*did not answer" "$tmp/dead.out"; then
	fail "a host that stops answering: exit $rc, want 1 and the run stopped; output:"
	cat "$tmp/dead.out"
else
	say "a silent host: $(grep 'the run stopped' "$tmp/dead.out" | cut -c1-150)"
fi

# ---- signals: no table of ours left ----
ours() { inp nft list tables 2>/dev/null | grep -c 'tcpconform_' ; }
for sig in INT TERM KILL; do
	# `ip netns exec` runs the program in a child of its own: the shell
	# tells its PID, then becomes the program, so the signal reaches it
	rm -f "$tmp/pid"
	inp sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$tmp/pid" "$prog" run --target "remote:$A4:8080" \
		--allow 198.51.100.0/24 --stack linux --family 4 cases/rst/rst-in-syn-received.yaml >/dev/null 2>&1 &
	ip_pid=$!
	i=0
	while [ ! -s "$tmp/pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	run_pid=$(cat "$tmp/pid")
	i=0
	while [ "$(ours)" = 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(ours)" = 1 ] || fail "SIG$sig: the run's table never showed (so this check could not fail)"
	sleep 1
	kill -s "$sig" "$run_pid"
	wait "$ip_pid" 2>/dev/null
	sleep 0.2
	n=$(ours)
	if [ "$n" != 0 ]; then
		fail "SIG$sig: $n nftables tables of ours left: $(inp nft list tables)"
	else
		say "SIG$sig: no table of ours left"
	fi
done

fi # REMOTE_AGENT_ONLY

# ---- with the agent: the whole suite ----
# the silent-host check took the host's veth down, and its IPv6 address
# with it (keep_addr_on_down 0)
ip -n "$H" addr replace "$A6/64" dev "$VH" nodad
i=0
until inh ip -6 addr show dev "$VH" | grep -q "$A6" && [ "$(ip -n "$H" -o link show "$VH" | grep -c LOWER_UP)" = 1 ] || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
suite=${REMOTE_SUITE:-cases/}
jobs=${REMOTE_JOBS:-8}
head -c 32 /dev/urandom >"$tmp/token"
chmod 600 "$tmp/token"
# `ip netns exec` runs the agent in a child: the shell inside tells the
# agent's own PID, which is what is ended afterwards
start_agent() { # $1: where it listens
	rm -f "$tmp/agent.pid"
	: >"$tmp/agent.err"
	inh sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$tmp/agent.pid" "$prog" agent --listen "$1" \
		--token-file "$tmp/token" --stack linux 2>>"$tmp/agent.err" &
	i=0
	while ! grep -q listening "$tmp/agent.err" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	agent_pid=$(cat "$tmp/agent.pid" 2>/dev/null)
	grep -q listening "$tmp/agent.err" || { fail "the agent did not start: $(cat "$tmp/agent.err")"; exit 1; }
}
stop_agent() {
	[ -z "$agent_pid" ] || kill "$agent_pid" 2>/dev/null
	i=0
	while [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	agent_pid=""
}
# $1: family, $2: log, rest: cases. Sets p f k (passed failed skipped).
agent_run() {
	fam=$1 log=$2
	shift 2
	if [ "$fam" = 4 ]; then t="remote:$A4:8080" allow=198.51.100.0/24 ag="$A4:7000"
	else t="remote:[$A6]:8080" allow=2001:db8::/32 ag="[$A6]:7000"; fi
	start_agent "$ag"
	t0=$(date +%s)
	inp "$prog" run --target "$t" --allow "$allow" --agent "$ag" --token-file "$tmp/token" --stack linux \
		--closed-port 8081 --family "$fam" --jobs "$jobs" --rate 1000 --max-connections 5000 "$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	stop_agent
	last=$(tail -1 "$log")
	p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1/p')
	f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\2/p')
	k=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\3/p')
}
# every SKIP line says why: "SKIP name [vN] (...): reason" or with a reason after it
skips_reasoned() { # $1: log
	grep '^SKIP' "$1" | grep -v -E '^SKIP .*\[v[46]\] .*\(.{8,}' | head -3
}
# refused before any case: a wrong token, an agent outside --allow, and
# without an agent more than one worker
head -c 32 /dev/urandom >"$tmp/other"
chmod 600 "$tmp/other"
start_agent "$A4:7000"
refused_agent() { # $1: what, $2: exit status wanted, $3: text wanted; rest: options
	what=$1 want=$2 text=$3
	shift 3
	inp "$prog" run --target "remote:$A4:8080" --allow 198.51.100.0/24 --stack linux --family 4 "$@" \
		cases/handshake/passive-open.yaml >"$tmp/refa.out" 2>&1
	rc=$?
	if [ "$rc" != "$want" ] || ! grep -q "$text" "$tmp/refa.out" || grep -q '^PASS\|^FAIL' "$tmp/refa.out"; then
		fail "$what: exit $rc, want $want and '$text' before any case: $(cat "$tmp/refa.out")"
	else
		say "refused ($what): $(grep -m1 tcpconform: "$tmp/refa.out" | cut -c1-150)"
	fi
}
refused_agent "a wrong token" 1 "AUTH wrong token" --agent "$A4:7000" --token-file "$tmp/other"
refused_agent "an agent outside --allow" 2 "outside every --allow" --agent 203.0.113.5:7000 --token-file "$tmp/token"
refused_agent "--agent without --token-file" 2 "go together" --agent "$A4:7000"
refused_agent "--jobs 2 without an agent" 2 "without an agent one case at a time" --jobs 2 cases/rst/closed-port-syn.yaml
stop_agent

for fam in 4 6; do
	agent_run $fam "$tmp/agent$fam.out" $suite
	noreason=$(skips_reasoned "$tmp/agent$fam.out")
	if [ "$rc" != 0 ] || [ "${f:-x}" != 0 ] || [ "${p:-0}" -lt 1 ] || [ -n "$noreason" ]; then
		fail "IPv$fam, the suite with the agent: exit $rc, '$last'${noreason:+, skips without a reason: $noreason}; output:"
		grep -v '^PASS' "$tmp/agent$fam.out"
	else
		say "IPv$fam with the agent, the whole suite ($jobs jobs, ${secs}s): $last"
	fi
	# the skips, grouped by their reason
	grep '^SKIP' "$tmp/agent$fam.out" | sed "s/^SKIP  [^ ]* \\[v[46]\\]  //" | cut -c1-110 | sort | uniq -c | sort -rn |
		sed 's/^/remote:   skipped: /'
done
# The host as the kernel comes (timestamps, SACK, window scaling on): the
# cases written for `profile: default` run there, those for minimal are
# skipped by the agent (the host is not minimal), with the reason.
defaults=$(grep -l -E '^profile: default' $(find $suite -name '*.yaml' | sort) 2>/dev/null)
if [ -n "$defaults" ]; then
	for kv in tcp_timestamps=1 tcp_sack=1 tcp_window_scaling=1 tcp_ecn=2; do
		inh sysctl -qw "net.ipv4.$kv" || fail "sysctl $kv"
	done
	# few cases, some of them bound the TSval to 100 ms of the first: two
	# workers, so a loaded machine does not stretch the agent's round trips
	main_jobs=$jobs
	jobs=2
	for fam in 4 6; do
		agent_run $fam "$tmp/agentdef$fam.out" $defaults
		noreason=$(skips_reasoned "$tmp/agentdef$fam.out")
		if [ "$rc" != 0 ] || [ "${f:-x}" != 0 ] || [ "${p:-0}" -lt 1 ] || [ -n "$noreason" ]; then
			fail "IPv$fam, the profile: default cases on a default host: exit $rc, '$last'; output:"
			grep -v '^PASS' "$tmp/agentdef$fam.out"
		else
			say "IPv$fam with the agent, the profile: default cases on a host at the kernel's defaults ($jobs jobs, ${secs}s): $last"
		fi
	done
	jobs=$main_jobs
	for kv in tcp_timestamps=0 tcp_sack=0 tcp_window_scaling=0 tcp_ecn=0; do
		inh sysctl -qw "net.ipv4.$kv"
	done
fi

# ---- nothing of ours left after the test ----
kill "$host_pid" 2>/dev/null
wait "$host_pid" 2>/dev/null
host_pid=""
ip netns del "$P"
ip netns del "$H"
left=$(ip netns list | grep -c "tcrt$$")
if pgrep -f "$tmp/token" >/dev/null 2>&1; then
	fail "an agent of ours is left: $(pgrep -a -f "$tmp/token")"
fi
vleft=$(ip -o link show 2>/dev/null | grep -c "tcrt$$")
if [ "$left" != 0 ] || [ "$vleft" != 0 ]; then
	fail "left behind: $left namespaces, $vleft veths"
else
	say "no namespace or veth of ours left"
fi
exit "$status"
