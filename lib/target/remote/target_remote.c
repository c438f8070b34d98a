/* Target `remote`: a TCP stack on another host, reached over a real
 * interface of the prober (docs/targets.md, "remote").
 *
 * The injector plays the peer from the prober's own address on the
 * interface the route to ADDR uses, from a source-port range of the run's
 * own; the prober's kernel would answer the far host's segments with
 * resets (it owns no socket there), so a table of ours drops exactly those
 * (remote_nft). Every destination is checked before anything is sent
 * (remote_conf: --allow, forbidden addresses; remote_route: local,
 * broadcast and loopback routes). Segments leave through a token bucket
 * (--rate) and a connection cap (--max-connections); a liveness handshake
 * before and after every case (remote_live) stops the run when the far
 * host stops answering.
 *
 * Without an agent the run has no application control and no state
 * reads: it runs the cases that need only an open port (the far host's
 * listener on PORT) or a closed port (--closed-port), one at a time.
 *
 * With one (--agent HOST:PORT --token-file F, docs/agent-protocol.md) the
 * far host's agent performs the application actions and reads the states,
 * and every case runs: each case run gets a port of its own on the far
 * host (REMOTE_CASE_PORT_BASE on), so runs never meet there, and the run
 * may have several workers (--jobs), each with its own control connection
 * (one agent session each) and its own capture filtered to its case's
 * four-tuple. What the workers share (the token bucket, the connection
 * count, the liveness handshakes on the run's own wire, the broken flag)
 * is behind the run's locks. */
#include "target_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../agent/agent_client.h"
#include "../../wire/wire.h"
#include "remote_bucket.h"
#include "remote_conf.h"
#include "remote_live.h"
#include "remote_nft.h"
#include "remote_route.h"

/* Source ports of a run: the first for the liveness handshakes, the rest
 * one per case run (its run index modulo the count). */
#define REMOTE_PORT_SPAN 512
/* How long the kernel may take to resolve the next hop's MAC. */
#define REMOTE_NEIGH_WAIT_US 3000000u
#define REMOTE_NEIGH_POLL_US 20000u
/* With an agent: workers at most, and the far host's ports for the case
 * runs (one each, by run number; PORT and --closed-port are skipped). */
#define REMOTE_MAX_JOBS 16
#define REMOTE_CASE_PORT_BASE 10000u
#define REMOTE_CASE_PORT_SPAN 20000u
/* How long an agent's action may wait on the far host (accept, recv,
 * send), as on linux: a bound, not a delay. */
#define REMOTE_APP_TIMEOUT_US 500000u

/* A host that runs no stack we know of: RFC values (RFC 9293 3.4.2 MSL of
 * two minutes, RFC 6298 2.1 and 2.4 for the RTO), a real-time tolerance. */
static const struct tc_profile remote_generic_profile = {
	.msl_us = 120000000,
	.rto_us = 1000000,
	.rto_min_us = 1000000,
	.rto_max_us = 60000000,
	.delack_us = 200000,
	.tolerance_us = 15000,
	.quiet_us = 3000000,
	.late_pct = 13,
};

/* What one worker keeps from case to case; touched by its thread only. */
struct remote_worker {
	struct wire *wire; /* the interface, filtered to the case's four-tuple */
	struct agent_client *agent; /* its own session with the far host's agent */
};

struct remote_run {
	struct tc_target_run base;
	/* mu: bucket, connections, broken, why. live_mu: the liveness
	 * handshake and the run's wire. Never both at once but live_mu then
	 * mu (a liveness SYN takes a token). */
	pthread_mutex_t mu, live_mu;
	unsigned nworkers;
	struct remote_worker *workers;
	struct remote_conf conf;
	struct seg_addr addr; /* the far host */
	uint16_t port; /* its open port */
	char stack[TC_TARGET_NAME_MAX]; /* --stack, "" = none */
	struct tc_profile profile;
	struct remote_path path;
	struct remote_nft *nft;
	struct wire *wire; /* the liveness handshakes' */
	struct remote_bucket bucket;
	uint16_t port_lo, port_hi;
	struct remote_live live;
	unsigned connections; /* SYNs sent in the run */
	bool broken; /* the run cannot go on: why */
	char why[TC_ERR_MSG_MAX];
	bool agent; /* the agent performs app actions and reads states */
};

struct target_remote {
	struct tc_target base;
	struct remote_run *run;
	struct remote_worker *w;
	uint16_t port, peer_port;
	bool paced; /* a token is held for the next inject */
	bool in_case; /* the agent holds the case: CASE-END at close */
};

/* ---- the run's rails: rate and connections ---- */

static void mark_broken(struct remote_run *run, const struct tc_err *err)
{
	pthread_mutex_lock(&run->mu);
	if (!run->broken) {
		run->broken = true;
		snprintf(run->why, sizeof(run->why), "%s", err->msg);
	}
	pthread_mutex_unlock(&run->mu);
}

static bool is_broken(struct remote_run *run, char *why, size_t cap)
{
	bool b;

	pthread_mutex_lock(&run->mu);
	b = run->broken;
	if (b && why)
		snprintf(why, cap, "%s", run->why);
	pthread_mutex_unlock(&run->mu);
	return b;
}

/* ---- the agent ---------------------------------------------------------
 * With `--agent HOST:PORT --token-file F` the far host's agent performs the
 * application actions and reads the states (lib/agent/agent_client.h).
 * Each worker has a control connection of its own, made when it opens its
 * first case; the first is made at run_open, so a wrong token or a missing
 * agent stops the run before any case. */

/* The agent is reached by the kernel's own TCP, not through our rails: its
 * address must be numeric and inside --allow like the target's (loopback
 * allowed, for a tunnel to it). */
static int agent_dest_check(const struct remote_run *run, struct tc_err *err)
{
	const char *hp = run->conf.agent;
	char host[64];
	size_t n;
	struct seg_addr a;

	if (hp[0] == '[') {
		const char *e = strchr(hp, ']');

		n = e ? (size_t)(e - hp - 1) : sizeof(host);
		hp++;
	} else {
		const char *c = strrchr(hp, ':');

		n = c ? (size_t)(c - hp) : sizeof(host);
	}
	if (n >= sizeof(host))
		return tc_err_set(err, TC_ERR_USAGE, "--agent %s: want ADDR:PORT or [IPV6]:PORT", run->conf.agent);
	memcpy(host, hp, n);
	host[n] = '\0';
	if (seg_addr_parse(host, &a) != 0)
		return tc_err_set(err, TC_ERR_USAGE, "--agent %s: a numeric address (the agent must lie inside --allow)",
				  run->conf.agent);
	if ((a.family == 4 && a.bytes[0] == 127) ||
	    (a.family == 6 && memcmp(a.bytes, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0))
		return 0;
	if (remote_dest_check(&run->conf, &a, err) != 0) {
		tc_err_prefix(err, "--agent %s", run->conf.agent);
		return -1;
	}
	return 0;
}

static struct agent_client *worker_agent(struct remote_run *run, struct remote_worker *w, struct tc_err *err)
{
	if (!w->agent)
		w->agent = agent_connect(run->conf.agent, run->conf.token_file, err);
	return w->agent;
}

static int remote_agent_attach(struct remote_run *run, unsigned jobs, struct tc_err *err)
{
	struct agent_client *c;

	if (!run->conf.agent && !run->conf.token_file) {
		if (jobs != 1)
			return tc_err_set(err, TC_ERR_USAGE,
					  "remote target: --jobs %u: without an agent one case at a time against a remote host",
					  jobs);
		return 0;
	}
	if (!run->conf.agent || !run->conf.token_file)
		return tc_err_set(err, TC_ERR_USAGE, "remote target: --agent HOST:PORT and --token-file F go together");
	if (jobs < 1 || jobs > REMOTE_MAX_JOBS)
		return tc_err_set(err, TC_ERR_USAGE, "remote target: --jobs %u: 1 to %d workers with an agent", jobs,
				  REMOTE_MAX_JOBS);
	if (agent_dest_check(run, err) != 0)
		return -1;
	c = worker_agent(run, &run->workers[0], err);
	if (!c) {
		tc_err_prefix(err, "remote target");
		return -1;
	}
	if (run->stack[0] && strcmp(run->stack, agent_stack_name(c)) != 0)
		return tc_err_set(err, TC_ERR_USAGE,
				  "remote target: --stack %s, but the agent at %s says its stack is %s", run->stack,
				  run->conf.agent, agent_stack_name(c));
	run->agent = true;
	run->base.caps = TC_CAP_APP | TC_CAP_STATE | TC_CAP_URGENT;
	return 0;
}

/* A broken control connection stops the run: the far host's side of the
 * cases can no longer be driven. */
static int agent_trouble(struct target_remote *t, struct tc_err *err)
{
	if (err->code == TC_ERR_SYSTEM)
		mark_broken(t->run, err);
	return -1;
}

static int remote_app(struct tc_target *base, const struct tc_app *act, struct tc_app_result *res,
		      struct tc_err *err)
{
	struct target_remote *t = (struct target_remote *)base;
	/* a poll waits as long as its step says */
	uint64_t wait = act->within_us > REMOTE_APP_TIMEOUT_US ? act->within_us : REMOTE_APP_TIMEOUT_US;

	if (!t->run->agent)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "remote target: no agent, no application control");
	if (agent_app(t->w->agent, act, wait, res, err) != 0)
		return agent_trouble(t, err);
	return 0;
}

static int remote_state(struct tc_target *base, enum tc_state *out, struct tc_transitions *since,
			struct tc_err *err)
{
	struct target_remote *t = (struct target_remote *)base;

	if (!t->run->agent)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "remote target: no agent, no state reads");
	if (agent_state(t->w->agent, out, since, err) != 0)
		return agent_trouble(t, err);
	return 0;
}


static int sleep_us(uint64_t us, struct tc_err *err)
{
	struct timespec ts = {.tv_sec = (time_t)(us / 1000000u), .tv_nsec = (long)(us % 1000000u) * 1000};
	int rc;

	while ((rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts)) == EINTR)
		;
	if (rc != 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "clock_nanosleep: %s", strerror(rc));
	return 0;
}

/* The token is taken under the lock; the wait for it is not. */
static int take_token(struct remote_run *run, struct tc_err *err)
{
	uint64_t wait;

	pthread_mutex_lock(&run->mu);
	wait = remote_bucket_take(&run->bucket, wire_now_us());
	pthread_mutex_unlock(&run->mu);
	return wait ? sleep_us(wait, err) : 0;
}

/* Every segment the run sends goes through here, after its token. */
static int send_counted(struct remote_run *run, struct wire *wire, const struct tc_seg *s, struct tc_err *err)
{
	if ((s->flags & SEG_SYN) && !(s->flags & SEG_ACK)) {
		bool over;

		pthread_mutex_lock(&run->mu);
		over = run->connections >= run->conf.max_connections;
		if (!over)
			run->connections++;
		pthread_mutex_unlock(&run->mu);
		if (over) {
			tc_err_set(err, TC_ERR_TARGET,
				   "remote target: --max-connections %u reached: no more SYNs to the far host in this run",
				   run->conf.max_connections);
			mark_broken(run, err);
			return -1;
		}
	}
	return wire_inject(wire, s, err);
}

static int live_send(void *ctx, const struct tc_seg *s, struct tc_err *err)
{
	struct remote_run *run = ctx;

	if (take_token(run, err) != 0)
		return -1;
	return send_counted(run, run->wire, s, err);
}

/* One handshake at a time on the run's wire, whichever worker asks. */
static int live_check(struct remote_run *run, const char *when, uint64_t *rtt, struct tc_err *err)
{
	uint64_t scratch;
	int rc;

	pthread_mutex_lock(&run->live_mu);
	rc = remote_live_check(&run->live, rtt ? rtt : &scratch, err);
	/* nothing of it is kept: it is in no case's exchange */
	wire_history_clear(run->wire);
	pthread_mutex_unlock(&run->live_mu);
	if (rc == 0)
		return 0;
	tc_err_prefix(err, "remote target, %s", when);
	mark_broken(run, err);
	return -1;
}

/* ---- opening the run ---- */

/* Our source ports lie outside the kernel's ephemeral range, so no socket
 * of the prober's own is caught by the table; two runs (by PID) usually
 * get different ranges. */
static int choose_ports(struct remote_run *run, struct tc_err *err)
{
	unsigned lo = 32768, hi = 60999, slot = (unsigned)getpid() % 8;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2) {
			lo = 32768;
			hi = 60999;
		}
		fclose(f);
	}
	for (unsigned k = 0; k < 8; k++) {
		unsigned s = (slot + k) % 8, above = hi + 1 + s * REMOTE_PORT_SPAN;
		unsigned below = lo >= 1024 + (s + 1) * REMOTE_PORT_SPAN ? lo - (s + 1) * REMOTE_PORT_SPAN : 0;

		if (above + REMOTE_PORT_SPAN - 1 <= 65535) {
			run->port_lo = (uint16_t)above;
			break;
		}
		if (below) {
			run->port_lo = (uint16_t)below;
			break;
		}
	}
	if (!run->port_lo)
		return tc_err_set(err, TC_ERR_SYSTEM,
				  "remote target: no %u source ports outside the ephemeral range %u-%u", REMOTE_PORT_SPAN,
				  lo, hi);
	run->port_hi = (uint16_t)(run->port_lo + REMOTE_PORT_SPAN - 1);
	return 0;
}

/* The next hop's MAC. When the neighbour table lacks it, the kernel is
 * made to resolve it by the least that reaches the far host at all: one
 * TCP connect() to the open port, closed at once with an RST (SO_LINGER
 * 0), which is what a liveness handshake sends anyway; only after every
 * destination check passed. Counted as a connection. */
static int resolve_neighbour(struct remote_run *run, struct tc_err *err)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int fd, rc;
	uint64_t until;

	rc = remote_path_neighbour(&run->path, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (run->connections >= run->conf.max_connections)
		return tc_err_set(err, TC_ERR_TARGET, "remote target: --max-connections %u reached",
				  run->conf.max_connections);
	if (run->addr.family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(run->port);
		memcpy(&s6->sin6_addr, run->addr.bytes, 16);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(run->port);
		memcpy(&s4->sin_addr, run->addr.bytes, 4);
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "remote target: socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	run->connections++;
	if (take_token(run, err) != 0 ||
	    (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS &&
	     tc_err_set(err, TC_ERR_SYSTEM, "remote target: connect to resolve the next hop: %s", strerror(errno)))) {
		close(fd);
		return -1;
	}
	until = wire_now_us() + REMOTE_NEIGH_WAIT_US;
	while ((rc = remote_path_neighbour(&run->path, err)) == 0 && wire_now_us() < until)
		if (sleep_us(REMOTE_NEIGH_POLL_US, err) != 0)
			break;
	/* let the handshake finish so that the close is an RST the far host
	 * takes, not a SYN it keeps answering */
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	poll(&pfd, 1, 1000);
	close(fd);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		char s[64];

		seg_addr_format(&run->path.nexthop, s, sizeof(s));
		return tc_err_set(err, TC_ERR_SYSTEM,
				  "remote target: the next hop %s on %s has no neighbour entry and did not resolve within %u s "
				  "(add one: ip neigh replace %s lladdr MAC dev %s)",
				  s, run->path.ifname, REMOTE_NEIGH_WAIT_US / 1000000u, s, run->path.ifname);
	}
	return 0;
}

/* Only the far host's segments to our address and port lo..hi: the run's
 * wire takes the liveness port, a worker's the port of its case. */
static void wire_filter(const struct remote_run *run, uint16_t far_port, uint16_t lo, uint16_t hi, char *bpf,
			size_t cap)
{
	char dst[64], src[64], fp[32] = "";
	const char *ip = run->addr.family == 6 ? "ip6" : "ip";

	seg_addr_format(&run->addr, dst, sizeof(dst));
	seg_addr_format(&run->path.src, src, sizeof(src));
	if (far_port)
		snprintf(fp, sizeof(fp), " and tcp src port %u", far_port);
	snprintf(bpf, cap, "%s src host %s and %s dst host %s and tcp dst portrange %u-%u%s", ip, dst, ip, src, lo, hi,
		 fp);
}

static struct wire *open_wire(const struct remote_run *run, uint16_t far_port, uint16_t lo, uint16_t hi,
			      struct tc_err *err)
{
	struct wire_link l = {.ifname = run->path.ifname};
	char bpf[256];

	memcpy(l.src_mac, run->path.src_mac, sizeof(l.src_mac));
	memcpy(l.dst_mac, run->path.dst_mac, sizeof(l.dst_mac));
	wire_filter(run, far_port, lo, hi, bpf, sizeof(bpf));
	return wire_open_link(&l, bpf, err);
}

static int set_profile(struct remote_run *run, const struct tc_run_conf *conf, struct tc_err *err)
{
	const struct tc_target_ops *stack = NULL;

	if (conf->stack) {
		stack = target_find(conf->stack);
		if (!stack || stack == &target_remote_ops)
			return tc_err_set(err, TC_ERR_USAGE,
					  "--stack %s: not a target of this build whose expectations could apply",
					  conf->stack);
		snprintf(run->stack, sizeof(run->stack), "%s", conf->stack);
		run->base.override_name = run->stack;
	}
	run->profile = stack ? *stack->default_profile() : remote_generic_profile;
	/* the far host's own stack may be in virtual time elsewhere; here it
	 * is on a wire: real-time tolerance at least */
	if (run->profile.tolerance_us < remote_generic_profile.tolerance_us)
		run->profile.tolerance_us = remote_generic_profile.tolerance_us;
	if (run->profile.quiet_us < remote_generic_profile.quiet_us)
		run->profile.quiet_us = remote_generic_profile.quiet_us;
	if (run->profile.late_pct < remote_generic_profile.late_pct)
		run->profile.late_pct = remote_generic_profile.late_pct;
	return 0;
}

static void remote_run_close(struct tc_target_run *base)
{
	struct remote_run *run = (struct remote_run *)base;

	if (!run)
		return;
	for (unsigned i = 0; i < run->nworkers; i++) {
		agent_close(run->workers[i].agent);
		wire_close(run->workers[i].wire);
	}
	free(run->workers);
	pthread_mutex_destroy(&run->mu);
	pthread_mutex_destroy(&run->live_mu);
	wire_close(run->wire);
	/* closing the owning socket removes the table */
	remote_nft_close(run->nft);
	free(run);
}

static struct tc_target_run *remote_run_open(const struct tc_run_conf *conf, struct tc_err *err)
{
	struct remote_run *run;
	uint64_t rtt = 0;

	if (conf->fault) {
		tc_err_set(err, TC_ERR_USAGE, "seeded faults exist only in the ref target");
		return NULL;
	}
	if (!conf->param || !conf->remote) {
		tc_err_set(err, TC_ERR_USAGE, "target remote needs the far host: --target remote:ADDR[:PORT]");
		return NULL;
	}
	run = calloc(1, sizeof(*run));
	if (!run || !(run->workers = calloc(conf->jobs ? conf->jobs : 1, sizeof(*run->workers)))) {
		free(run);
		tc_err_set(err, TC_ERR_NOMEM, "remote target: out of memory");
		return NULL;
	}
	pthread_mutex_init(&run->mu, NULL);
	pthread_mutex_init(&run->live_mu, NULL);
	run->nworkers = conf->jobs ? conf->jobs : 1;
	run->base.ops = &target_remote_ops;
	run->conf = *conf->remote;
	/* Nothing leaves before every check of the destination passed. */
	if (remote_target_parse(conf->param, &run->addr, &run->port, err) != 0 ||
	    remote_dest_check(&run->conf, &run->addr, err) != 0 || set_profile(run, conf, err) != 0 ||
	    remote_agent_attach(run, conf->jobs, err) != 0)
		goto fail;
	run->path.dst = run->addr;
	if (remote_path_find(&run->path, err) != 0 || choose_ports(run, err) != 0)
		goto fail;
	run->nft = remote_nft_open(&run->addr, run->port_lo, run->port_hi, err);
	if (!run->nft)
		goto fail;
	remote_bucket_init(&run->bucket, run->conf.rate, wire_now_us());
	if (resolve_neighbour(run, err) != 0 || !(run->wire = open_wire(run, 0, run->port_lo, run->port_lo, err)))
		goto fail;
	run->live = (struct remote_live){
		.wire = run->wire, .send = live_send, .ctx = run, .local = run->path.src, .remote = run->addr,
		.local_port = run->port_lo, .remote_port = run->port, .isn = (uint32_t)wire_now_us(),
	};
	if (live_check(run, "before the first case", &rtt, err) != 0)
		goto fail;
	/* a timed expect counts from our send: the round trip is the wire's */
	run->profile.tolerance_us += 2 * rtt;
	if (!run->agent)
		run->base.caps = TC_CAP_OPEN_PORT | (run->conf.closed_port ? TC_CAP_CLOSED_PORT : 0);
	return &run->base;
fail:
	remote_run_close(&run->base);
	return NULL;
}

static bool remote_run_broken(struct tc_target_run *base, char *why, size_t cap)
{
	return is_broken((struct remote_run *)base, why, cap);
}

/* With an agent, the far host's port of a case run: its own, by number. */
static uint16_t case_port(const struct remote_run *run, unsigned run_index)
{
	unsigned k = run_index % REMOTE_CASE_PORT_SPAN;

	for (;;) {
		unsigned p = REMOTE_CASE_PORT_BASE + k;

		if (p != run->port && p != run->conf.closed_port)
			return (uint16_t)p;
		k = (k + 1) % REMOTE_CASE_PORT_SPAN;
	}
}

/* One family (ADDR's), the far host's ports, and a source port of ours. */
static int remote_run_addrs(struct tc_target_run *base, int family, struct tc_case_addrs *io, struct tc_err *err)
{
	struct remote_run *run = (struct remote_run *)base;

	if (family != run->addr.family)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "remote target: the far host's address is IPv%d: no IPv%d runs",
				  run->addr.family, family);
	if (run->agent) {
		/* the agent makes a listening port or leaves one closed itself */
		io->port = (io->needs & TC_REQ_CLOSED_PORT) && run->conf.closed_port ? run->conf.closed_port
										       : case_port(run, io->run_index);
	} else if (io->needs & TC_REQ_CLOSED_PORT) {
		if (!run->conf.closed_port)
			return tc_err_set(err, TC_ERR_UNSUPPORTED,
					  "remote target: the case needs a closed port of the far host: --closed-port PORT");
		io->port = run->conf.closed_port;
	} else if (io->needs & TC_REQ_OPEN_PORT) {
		io->port = run->port;
	} else {
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "remote target without an agent runs only cases that need an open or a closed port");
	}
	io->target = run->addr;
	io->peer = run->path.src;
	io->peer_port = (uint16_t)(run->port_lo + 1 + io->run_index % (REMOTE_PORT_SPAN - 1));
	return 0;
}

/* ---- a case ---- */

/* What a case may pin that the far host does not show us: skipped with
 * the reason, never run against a profile it did not ask for. */
static int check_case_conf(const struct remote_run *run, const struct tc_case_conf *cc, struct tc_err *err)
{
	/* with an agent the far host's agent says what it can pin */
	if (run->agent || !cc || !cc->fields)
		return 0;
	if ((cc->fields & TC_C_MSL) && tc_dur_us(&cc->msl, &run->profile) != run->profile.msl_us)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "remote target cannot set the far host's MSL");
	if ((cc->fields & TC_C_RTO) && tc_dur_us(&cc->rto, &run->profile) != run->profile.rto_us)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "remote target cannot set the far host's initial RTO");
	if (cc->fields & ~(unsigned)(TC_C_MSL | TC_C_RTO))
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "remote target cannot set the far host's settings (config: beyond msl and rto as its profile has them)");
	return 0;
}

static void remote_close(struct tc_target *base);

/* The case as the far host's agent is to set it up: its port, our address
 * and port, its profile and config (durations on the stack's profile). */
static int agent_begin(struct target_remote *t, const struct tc_target_conf *conf, struct tc_err *err)
{
	struct remote_run *run = t->run;
	struct agent_case ac = {0};
	struct agent_client *c = worker_agent(run, t->w, err);

	if (!c) {
		tc_err_prefix(err, "remote target");
		mark_broken(run, err);
		return -1;
	}
	ac.family = run->addr.family;
	ac.local_port = conf->port;
	ac.peer = conf->peer_addr;
	ac.peer_port = conf->peer_port;
	ac.has_local = true;
	ac.local = conf->target_addr;
	ac.profile = conf->profile;
	if (conf->case_conf)
		ac.conf = *conf->case_conf;
	/* settings agent protocol 2 has no word for: the far host's agent
	 * could neither pin nor check them, so the case would run against a
	 * host configured some other way */
	if (ac.conf.fields & (TC_C_CC | TC_C_INITIAL_WINDOW | TC_C_TLP | TC_C_ACCEPT_SOURCE_ROUTE))
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "remote target: agent protocol 2 does not carry config: cc, initial_window, tlp or accept_source_route");
	if (agent_case_begin_conf(c, &ac, &run->profile, err) != 0) {
		if (err->code == TC_ERR_SYSTEM)
			mark_broken(run, err);
		return -1;
	}
	t->in_case = true;
	return 0;
}

static struct tc_target *remote_open(struct tc_target_run *base, const struct tc_target_conf *conf,
				     struct tc_err *err)
{
	struct remote_run *run = (struct remote_run *)base;
	struct target_remote *t;
	char bpf[256], why[TC_ERR_MSG_MAX];

	if (is_broken(run, why, sizeof(why))) {
		tc_err_set(err, TC_ERR_TARGET, "remote target: the run stopped: %s", why);
		return NULL;
	}
	if (conf->worker >= run->nworkers) {
		tc_err_set(err, TC_ERR_USAGE, "remote target: worker %u of a run with %u", conf->worker, run->nworkers);
		return NULL;
	}
	if (check_case_conf(run, conf->case_conf, err) != 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		tc_err_set(err, TC_ERR_NOMEM, "remote target: out of memory");
		return NULL;
	}
	t->base.ops = &target_remote_ops;
	t->base.run = base;
	t->run = run;
	t->w = &run->workers[conf->worker];
	t->port = conf->port;
	t->peer_port = conf->peer_port;
	/* the agent first: a case it cannot run is skipped before anything
	 * goes on the wire */
	if (run->agent && agent_begin(t, conf, err) != 0)
		goto fail;
	if (live_check(run, "before the case", NULL, err) != 0)
		goto fail;
	/* the case's exchange starts here, on its four-tuple only */
	wire_filter(run, t->port, t->peer_port, t->peer_port, bpf, sizeof(bpf));
	if (!t->w->wire)
		t->w->wire = open_wire(run, t->port, t->peer_port, t->peer_port, err);
	else if (wire_set_filter(t->w->wire, bpf, err) != 0) {
		wire_close(t->w->wire);
		t->w->wire = NULL;
	}
	if (!t->w->wire) {
		tc_err_prefix(err, "remote target");
		goto fail;
	}
	return &t->base;
fail:
	if (t->in_case) {
		struct tc_err e = {0};

		(void)agent_case_end(t->w->agent, &e);
	}
	free(t);
	return NULL;
}

/* The far host keeps nothing of ours after a case: an RST at the last
 * acknowledgment it sent (not counting its resets), which is its RCV.NXT
 * (RFC 9293 3.10.7.4). An RST to a connection already gone is dropped
 * there without an answer (3.10.7.1). */
static int reset_leftover(struct target_remote *t, struct tc_err *err)
{
	struct remote_run *run = t->run;
	struct tc_seg last, s;
	bool have = false;

	for (size_t i = wire_history_count(t->w->wire); i-- > 0;) {
		const struct wire_rec *r = wire_history_at(t->w->wire, i);
		struct tc_err perr = {0};

		if (r->dir != WIRE_IN || r->len < 14 || seg_parse(r->frame + 14, r->len - 14, &s, &perr) != 0)
			continue;
		if (s.sport != t->port || s.dport != t->peer_port)
			continue;
		/* an RST of the far host need not have ended the connection (an
		 * unacceptable ACK in SYN-RECEIVED is answered with one, and the
		 * connection stays, 9293 3.10.7.4): look further back */
		if (s.flags & SEG_RST)
			continue;
		if (s.flags & SEG_ACK) {
			last = s;
			have = true;
		}
		break;
	}
	if (!have)
		return 0;
	memset(&s, 0, sizeof(s));
	s.src = last.dst;
	s.dst = last.src;
	s.sport = t->peer_port;
	s.dport = t->port;
	s.flags = SEG_RST;
	s.seq = last.ack;
	if (take_token(run, err) != 0)
		return -1;
	return send_counted(run, t->w->wire, &s, err);
}

static void remote_close(struct tc_target *base)
{
	struct target_remote *t = (struct target_remote *)base;
	struct tc_err err = {0};

	if (!t)
		return;
	/* the far host's connection reset first, then its sockets closed */
	if (!is_broken(t->run, NULL, 0) && reset_leftover(t, &err) != 0)
		mark_broken(t->run, &err);
	if (t->in_case && agent_case_end(t->w->agent, &err) != 0) {
		tc_err_prefix(&err, "remote target, the agent's CASE-END");
		mark_broken(t->run, &err);
	}
	if (!is_broken(t->run, NULL, 0) && live_check(t->run, "after a case", NULL, &err) != 0)
		mark_broken(t->run, &err);
	free(t);
}

static int remote_pace(struct tc_target *base, struct tc_err *err)
{
	struct target_remote *t = (struct target_remote *)base;

	if (t->paced)
		return 0;
	if (take_token(t->run, err) != 0)
		return -1;
	t->paced = true;
	return 0;
}

static int remote_inject(struct tc_target *base, const struct tc_seg *s, struct tc_err *err)
{
	struct target_remote *t = (struct target_remote *)base;

	if (remote_pace(base, err) != 0)
		return -1;
	t->paced = false;
	return send_counted(t->run, t->w->wire, s, err);
}

/* Only the case's own four-tuple: a late answer to a liveness SYN is not
 * the case's. */
static int remote_capture(struct tc_target *base, uint64_t deadline_us, struct tc_seg *out, uint64_t *at_us,
			  struct tc_err *err)
{
	struct target_remote *t = (struct target_remote *)base;

	for (;;) {
		int rc = wire_capture(t->w->wire, deadline_us, out, at_us, err);

		if (rc <= 0 || (out->sport == t->port && out->dport == t->peer_port))
			return rc;
	}
}

static uint64_t remote_now(struct tc_target *base)
{
	(void)base;
	return wire_now_us();
}

static int remote_sleep_until(struct tc_target *base, uint64_t t_us, struct tc_err *err)
{
	uint64_t now = wire_now_us();

	(void)base;
	return t_us > now ? sleep_us(t_us - now, err) : 0;
}

static const struct tc_profile *remote_profile_get(struct tc_target *base)
{
	return &((struct target_remote *)base)->run->profile;
}

static const struct tc_profile *remote_default_profile(void)
{
	return &remote_generic_profile;
}

static int remote_save_pcap(struct tc_target *base, const struct capfile_request *req, const char *path,
			    struct tc_err *err)
{
	return wire_pcap_write(((struct target_remote *)base)->w->wire, req, path, err);
}

const struct tc_target_ops target_remote_ops = {
	.name = "remote",
	.description = "a remote host's TCP, remote:ADDR[:PORT], real time (root; --allow required)",
	/* a run's own: without an agent the ports, with one app, state and
	 * urgent data (run caps) */
	.caps = TC_CAP_OPEN_PORT | TC_CAP_CLOSED_PORT | TC_CAP_URGENT,
	/* the options go to the agent, which answers UNSUPPORTED for those its
	 * stack lacks; agent protocol 2 carries integer values only, so not
	 * IP_OPTIONS or IPV6_RTHDR (and a source route names the addresses
	 * of the pair it was written for) */
	.sockopts = ((1u << TC_SO__COUNT) - 1) & ~(1u << TC_SO_IP_OPTIONS | 1u << TC_SO_IPV6_RTHDR),
	.max_jobs = REMOTE_MAX_JOBS,
	.default_jobs_max = 1, /* several only when asked for, with an agent */
	.real_time = true,
	.takes_param = true,
	.default_profile = remote_default_profile,
	.run_open = remote_run_open,
	.run_close = remote_run_close,
	.run_addrs = remote_run_addrs,
	.run_broken = remote_run_broken,
	.open = remote_open,
	.close = remote_close,
	.pace = remote_pace,
	.inject = remote_inject,
	.capture = remote_capture,
	.app = remote_app,
	.state = remote_state,
	.now = remote_now,
	.sleep_until = remote_sleep_until,
	.profile = remote_profile_get,
	.save_pcap = remote_save_pcap,
};
