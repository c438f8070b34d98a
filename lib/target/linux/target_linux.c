/* Target `linux`: the kernel under test lives in a namespace of its own
 * (lib/netns); the injector and the capture sit on the other end of a veth
 * (lib/wire); application actions run in a helper process inside the target
 * namespace (linux_app); states come from sock_diag (linux_diag) and
 * transitions from the sock:inet_sock_set_state tracepoint in a tracefs
 * instance of ours (linux_trace). Real time: a wait sleeps to its deadline. */
#include "target_linux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../netns/netns.h"
#include "../../wire/wire.h"
#include "../veth/veth_wire.h"
#include "linux_app.h"
#include "linux_diag.h"
#include "linux_trace.h"

/* How long an application action may wait inside the helper (accept for a
 * connection, recv for bytes). The kernel completes a handshake on a veth
 * before the injecting write returns, so this is a bound, not a delay. */
#define LINUX_APP_TIMEOUT_US 500000u

/* Facts of Linux, not settings (include/net/tcp.h): TIME-WAIT lasts
 * TCP_TIMEWAIT_LEN = 60 s, so MSL is 30 s in the RFC's terms; the initial
 * RTO is TCP_TIMEOUT_INIT = 1 s, its floor TCP_RTO_MIN = 200 ms, its ceiling
 * TCP_RTO_MAX = 120 s; the delayed ACK waits at least TCP_DELACK_MIN = 40 ms.
 * Timers fire on jiffies (4 ms at HZ=250 here), so a tolerance below a tick
 * would flake; 15 ms leaves room for a loaded machine. The timer wheel
 * (kernel/time/timer.c) files a timeout in a level whose granularity is up
 * to 1/8 of it and rounds up: a 1 s RTO fires up to 32 ms late, a 4 s one up
 * to 256 ms, TIME-WAIT's 60 s up to 7.5 s. */
static const struct tc_profile linux_profile = {
	.msl_us = 30000000,
	.rto_us = 1000000,
	.rto_min_us = 200000,
	.rto_max_us = 120000000,
	.delack_us = 40000,
	.tolerance_us = 15000,
	.quiet_us = 3000000, /* several RTOs: whatever was still due has come */
	.late_pct = 13,
};

/* The `minimal` profile: the namespace's TCP pinned to a plain RFC 9293
 * stack, without timestamps, SACK, window scaling or ECN, so the host's
 * defaults never leak into a verdict. The `default` profile (and a case
 * naming none) gives every one of these the value it had when the
 * namespace was new, the kernel's own configuration, except those in
 * default_pinned. */
static const struct {
	const char *name, *value;
} pinned_sysctls[] = {
	{"net.ipv4.tcp_timestamps", "0"},
	{"net.ipv4.tcp_sack", "0"},
	{"net.ipv4.tcp_window_scaling", "0"},
	{"net.ipv4.tcp_ecn", "0"},
	{"net.ipv4.tcp_syn_retries", "6"},
	{"net.ipv4.tcp_synack_retries", "5"},
	{"net.ipv4.tcp_retries2", "15"},
	{"net.ipv4.tcp_fin_timeout", "60"},
	{"net.ipv4.tcp_rfc1337", "0"},
	{"net.ipv4.tcp_syncookies", "0"},
	{"net.ipv4.tcp_fastopen", "0"},
	{"net.ipv4.tcp_mtu_probing", "0"},
	{"net.ipv4.tcp_slow_start_after_idle", "0"},
	/* tail loss probes (RFC 8985 7) as the kernel has them: without
	 * SACK (minimal) they never run; `tlp: off` sets 0 */
	{"net.ipv4.tcp_early_retrans", "3"},
	/* no RTT or cwnd learnt by an earlier case on this namespace */
	{"net.ipv4.tcp_no_metrics_save", "1"},
};
#define LINUX_NPINNED (sizeof(pinned_sysctls) / sizeof(pinned_sysctls[0]))

/* What the `default` profile pins all the same, for runs independent of
 * each other and exact: no metrics kept from an earlier case (a learnt
 * RTT would change RTOs), and no SYN cookies (a fresh namespace has
 * tcp_syncookies 1: should a listen queue ever overflow, the cookie
 * SYN,ACK's TSval carries the encoded options instead of the clock and
 * drops SACK and window scaling without timestamps). */
static const char *const default_pinned[] = {"net.ipv4.tcp_no_metrics_save", "net.ipv4.tcp_syncookies"};

static bool default_pins(const char *name)
{
	for (size_t i = 0; i < sizeof(default_pinned) / sizeof(default_pinned[0]); i++)
		if (strcmp(default_pinned[i], name) == 0)
			return true;
	return false;
}

/* What a worker keeps from case to case: making namespaces, a capture and
 * a tracefs instance costs about 100 ms, mostly in the kernel's teardown
 * (RCU grace periods when packet sockets close, ring buffers when an
 * instance goes). A case starts clean all the same: its own peer port (the
 * engine gives every case run one), so what earlier cases left in the
 * namespace (TIME-WAIT entries, orphans still retransmitting) has another
 * four-tuple, and a capture filter on the case's ports; the sysctls are
 * pinned again and the application helper is new. */
/* Workers one run may have: each holds a tracefs instance. */
#define LINUX_MAX_WORKERS LINUX_TRACE_MAX

struct linux_env {
	bool ready;
	struct veth_wire vw; /* the pair and the wire on its harness end */
	struct linux_diag *diag;
	struct linux_trace *trace;
	uint16_t trace_port;
	/* pinned_sysctls' values in the namespace when it was new */
	char fresh[LINUX_NPINNED][32];
};

/* The run: one env per worker, each touched only by its worker's thread;
 * the tracefs registry the signal path reads. */
struct linux_run {
	struct tc_target_run base;
	bool keep_netns;
	unsigned nenvs;
	struct linux_env *envs;
	struct linux_trace_reg *trace_reg;
};

struct target_linux {
	struct tc_target base;
	struct linux_env *env;
	struct linux_app *app;
	bool broken; /* an error mid-case: do not hand the env to the next case */
	int family;
	struct seg_addr local, peer;
	uint16_t port, peer_port;
};

static void env_destroy(struct linux_env *e)
{
	linux_trace_close(e->trace);
	linux_diag_close(e->diag);
	veth_wire_destroy(&e->vw);
	memset(e, 0, sizeof(*e));
}

static int env_make(struct linux_env *e, unsigned worker, bool keep, struct tc_err *err)
{
	struct netns_pair_conf nc = {.worker = worker, .keep = keep};

	memset(e, 0, sizeof(*e));
	if (veth_wire_make(&e->vw, &nc, err) != 0)
		return -1;
	e->diag = linux_diag_open(e->vw.ns.target.ns_fd, err);
	if (!e->diag)
		goto fail;
	/* the kernel's own configuration, before any case pins anything */
	for (size_t i = 0; i < LINUX_NPINNED; i++) {
		if (netns_sysctl_get(e->vw.ns.target.ns_fd, pinned_sysctls[i].name, e->fresh[i], sizeof(e->fresh[i]), err))
			goto fail;
		e->fresh[i][strcspn(e->fresh[i], "\n")] = '\0';
	}
	e->ready = true;
	return 0;
fail:
	env_destroy(e);
	return -1;
}

/* The tracepoint filter is on the case's port: a case on another port
 * needs another instance. Events still pending are read and dropped. */
static int env_trace_for(struct linux_run *run, struct linux_env *e, uint16_t port, struct tc_err *err)
{
	struct tc_transitions scratch;
	static const struct seg_addr none = {.family = 4};

	if (e->trace && e->trace_port != port) {
		linux_trace_close(e->trace);
		e->trace = NULL;
	}
	if (!e->trace) {
		e->trace = linux_trace_open(run->trace_reg, port, err);
		if (!e->trace)
			return -1;
		e->trace_port = port;
	}
	scratch.n = 0;
	return linux_trace_read(e->trace, 4, &none, port, &none, 0, &scratch, err);
}

static void linux_close(struct tc_target *base)
{
	struct target_linux *t = (struct target_linux *)base;

	if (!t)
		return;
	linux_app_stop(t->app);
	if (t->broken && t->env)
		env_destroy(t->env);
	free(t);
}

static struct tc_target_run *linux_run_open(const struct tc_run_conf *conf, struct tc_err *err)
{
	struct linux_run *run;

	if (conf->fault) {
		tc_err_set(err, TC_ERR_USAGE, "seeded faults exist only in the ref target");
		return NULL;
	}
	if (conf->jobs < 1 || conf->jobs > LINUX_MAX_WORKERS) {
		tc_err_set(err, TC_ERR_USAGE, "linux target: --jobs %u: 1 to %d workers", conf->jobs,
			   LINUX_MAX_WORKERS);
		return NULL;
	}
	run = calloc(1, sizeof(*run));
	if (!run || !(run->envs = calloc(conf->jobs, sizeof(*run->envs)))) {
		free(run);
		tc_err_set(err, TC_ERR_NOMEM, "linux target: out of memory");
		return NULL;
	}
	run->base.ops = &target_linux_ops;
	run->keep_netns = conf->keep_netns;
	run->nenvs = conf->jobs;
	run->trace_reg = linux_trace_reg_new(err);
	if (!run->trace_reg)
		goto fail;
	/* What a run killed by SIGKILL could not remove: its tracefs
	 * instances and the names of its kept namespaces. */
	if (linux_trace_remove_stale(run->trace_reg, err) < 0 || netns_remove_stale(err) < 0)
		goto fail;
	return &run->base;
fail:
	tc_err_prefix(err, "linux target");
	linux_trace_reg_free(run->trace_reg);
	free(run->envs);
	free(run);
	return NULL;
}

static void linux_run_close(struct tc_target_run *base)
{
	struct linux_run *run = (struct linux_run *)base;

	for (unsigned i = 0; i < run->nenvs; i++)
		if (run->envs[i].ready)
			env_destroy(&run->envs[i]);
	linux_trace_reg_free(run->trace_reg);
	free(run->envs);
	free(run);
}

/* Async-signal-safe: the tracefs instances, and the names --keep-netns gave
 * the namespaces (the namespaces themselves go with the process). */
static void linux_run_signal_cleanup(struct tc_target_run *base)
{
	struct linux_run *run = (struct linux_run *)base;

	linux_trace_remove_all_signal_safe(run->trace_reg);
	for (unsigned i = 0; i < run->nenvs; i++)
		netns_pair_unname_signal_safe(&run->envs[i].vw.ns);
}

static const struct tc_profile *linux_default_profile(void)
{
	return &linux_profile;
}

/* What a case may pin that Linux cannot: the case is skipped with the
 * reason, never run against a profile it did not ask for. */
static int check_case_conf(const struct tc_case_conf *cc, struct tc_err *err)
{
	if (!cc)
		return 0;
	if ((cc->fields & TC_C_MSL) && tc_dur_us(&cc->msl, &linux_profile) != linux_profile.msl_us)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux cannot set MSL: TIME-WAIT is fixed at 60 s (MSL 30 s)");
	if ((cc->fields & TC_C_RTO) && tc_dur_us(&cc->rto, &linux_profile) != linux_profile.rto_us)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "linux cannot set the initial RTO (fixed at 1 s)");
	/* Linux's own bounds (TCP_RTO_MIN 200 ms, TCP_RTO_MAX 120 s) may be
	 * pinned, so a case can ask another target for them */
	if ((cc->fields & TC_C_RTO_MIN) && tc_dur_us(&cc->rto_min, &linux_profile) != linux_profile.rto_min_us)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux: RTO bounds are not settable per case (RTO.min is 200 ms)");
	if ((cc->fields & TC_C_RTO_MAX) && tc_dur_us(&cc->rto_max, &linux_profile) != linux_profile.rto_max_us)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux: RTO bounds are not settable per case (RTO.max is 120 s)");
	if (cc->fields & TC_C_DELACK)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "linux: the delayed-ACK timeout is not settable");
	if (cc->fields & TC_C_ISS)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "linux chooses its ISN (RFC 6528); it cannot be pinned");
	if (cc->fields & TC_C_WINDOW)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "linux: the receive window is not settable exactly");
	if ((cc->fields & TC_C_TIME_WAIT_REOPEN) && !cc->time_wait_reopen)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux always reopens from TIME-WAIT on a SYN above RCV.NXT (tcp_timewait_state_process): it cannot be turned off");
	if (cc->fields & TC_C_CHALLENGE_ACK_LIMIT)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux limits challenge ACKs per second per namespace (tcp_challenge_ack_limit) and one per socket per tcp_invalid_ratelimit, not N per 5 s");
	if ((cc->fields & TC_C_DELAYED_ACK) && !cc->delayed_ack)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux cannot turn delayed ACKs off for good (TCP_QUICKACK is not sticky)");
	if ((cc->fields & TC_C_KEEPALIVE) && cc->keepalive_mode == TC_KEEPALIVE_AFTER &&
	    (cc->keepalive.us % 1000000 || cc->keepalive.us > 32767ull * 1000000))
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux sets the keep-alive time in whole seconds, 1..32767 (TCP_KEEPIDLE)");
	/* Linux always runs congestion control (the host's default, PRR in
	 * recovery) with an initial window of TCP_INIT_CWND = 10 (RFC 6928) */
	if ((cc->fields & TC_C_CC) && !cc->cc)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "linux cannot turn congestion control off");
	if ((cc->fields & TC_C_INITIAL_WINDOW) && cc->initial_window != 10)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux: the initial window is 10 segments (TCP_INIT_CWND, RFC 6928); initcwnd per route is not set per case");
	return 0;
}

static int pin_sysctls(struct target_linux *t, const struct tc_case_conf *cc, enum tc_stack_profile prof,
		       struct tc_err *err)
{
	char v[32];

	for (size_t i = 0; i < LINUX_NPINNED; i++) {
		const char *name = pinned_sysctls[i].name;
		const char *value = prof == TC_SP_MINIMAL || default_pins(name) ? pinned_sysctls[i].value
										 : t->env->fresh[i];

		if (netns_sysctl_set(t->env->vw.ns.target.ns_fd, name, value, err))
			return -1;
	}
	if (cc && (cc->fields & TC_C_SYN_RETRIES)) {
		snprintf(v, sizeof(v), "%u", cc->syn_retries);
		if (netns_sysctl_set(t->env->vw.ns.target.ns_fd, "net.ipv4.tcp_syn_retries", v, err) ||
		    netns_sysctl_set(t->env->vw.ns.target.ns_fd, "net.ipv4.tcp_synack_retries", v, err))
			return -1;
	}
	/* RFC 8985 7: tail loss probes off (0) or as the kernel has them */
	if (cc && (cc->fields & TC_C_TLP) && !cc->tlp &&
	    netns_sysctl_set(t->env->vw.ns.target.ns_fd, "net.ipv4.tcp_early_retrans", "0", err))
		return -1;
	if (cc && (cc->fields & TC_C_RETRIES)) {
		snprintf(v, sizeof(v), "%u", cc->retries);
		if (netns_sysctl_set(t->env->vw.ns.target.ns_fd, "net.ipv4.tcp_retries2", v, err))
			return -1;
	}
	/* RFC 1122 3.3.5: source-routed datagrams. Linux takes them where
	 * "all" and the device both say so (devices are 1 by default, "all"
	 * 0: it drops them); set on every case, as the namespace is reused */
	if (netns_sysctl_set(t->env->vw.ns.target.ns_fd, "net.ipv4.conf.all.accept_source_route",
			     cc && (cc->fields & TC_C_ACCEPT_SOURCE_ROUTE) && cc->accept_source_route ? "1" : "0", err))
		return -1;
	/* RFC 1337 4: Linux's own switch for it */
	if (cc && (cc->fields & TC_C_RFC1337) &&
	    netns_sysctl_set(t->env->vw.ns.target.ns_fd, "net.ipv4.tcp_rfc1337", cc->rfc1337 ? "1" : "0", err))
		return -1;
	return 0;
}

static struct tc_target *linux_open(struct tc_target_run *runbase, const struct tc_target_conf *conf,
				    struct tc_err *err)
{
	struct linux_run *run = (struct linux_run *)runbase;
	struct target_linux *t;
	struct linux_app_conf ac = {0};
	if (conf->worker >= run->nenvs) {
		tc_err_set(err, TC_ERR_USAGE, "linux target: worker %u of a run with %u", conf->worker,
			   run->nenvs);
		return NULL;
	}
	if (check_case_conf(conf->case_conf, err))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		tc_err_set(err, TC_ERR_NOMEM, "linux target: out of memory");
		return NULL;
	}
	t->base.ops = &target_linux_ops;
	t->base.run = runbase;
	t->family = conf->target_addr.family;
	t->local = conf->target_addr;
	t->peer = conf->peer_addr;
	t->port = conf->port;
	t->peer_port = conf->peer_port;
	t->env = &run->envs[conf->worker];
	/* Until the case is set up, a failure leaves the env unusable. */
	t->broken = true;

	if (!t->env->ready && env_make(t->env, conf->worker, run->keep_netns, err) != 0)
		goto fail;
	if (pin_sysctls(t, conf->case_conf, conf->profile, err) != 0)
		goto fail;
	if (veth_wire_set_case(&t->env->vw, conf->port, conf->peer_port, err) != 0)
		goto fail;
	if (env_trace_for(run, t->env, conf->port, err) != 0)
		goto fail;
	ac.target_ns_fd = t->env->vw.ns.target.ns_fd;
	ac.family = t->family;
	ac.local = t->local;
	/* a multihomed target (9293 3.9.1.1): the namespace's second address */
	if (conf->target_addr2.family)
		ac.local2 = t->family == 4 ? t->env->vw.ns.target.addr4b : t->env->vw.ns.target.addr6b;
	ac.peer = t->peer;
	ac.port = conf->port;
	ac.peer_port = conf->peer_port;
	/* Nagle off unless the case turns it on: cases expect data to leave
	 * at once, as on ref (9293 3.7.4, MUST-17: TCP_NODELAY) */
	ac.nodelay = !(conf->case_conf && (conf->case_conf->fields & TC_C_NAGLE) && conf->case_conf->nagle);
	if (conf->case_conf && (conf->case_conf->fields & TC_C_KEEPALIVE))
		ac.keepalive = conf->case_conf->keepalive_mode == TC_KEEPALIVE_DEFAULT ? -1
			       : conf->case_conf->keepalive_mode == TC_KEEPALIVE_AFTER
				       ? (int)(conf->case_conf->keepalive.us / 1000000)
				       : 0;
	if (conf->case_conf && (conf->case_conf->fields & TC_C_MSS))
		ac.mss = conf->case_conf->mss;
	t->app = linux_app_start(&ac, err);
	if (!t->app)
		goto fail;
	t->broken = false;
	return &t->base;
fail:
	tc_err_prefix(err, "linux target");
	linux_close(&t->base);
	return NULL;
}

static int linux_inject(struct tc_target *base, const struct tc_seg *s, struct tc_err *err)
{
	struct target_linux *t = (struct target_linux *)base;

	if (wire_inject(t->env->vw.wire, s, err) != 0) {
		t->broken = true;
		return -1;
	}
	return 0;
}

static int linux_capture(struct tc_target *base, uint64_t deadline_us, struct tc_seg *out,
			 uint64_t *at_us, struct tc_err *err)
{
	struct target_linux *t = (struct target_linux *)base;
	int rc = wire_capture(t->env->vw.wire, deadline_us, out, at_us, err);

	/* a malformed segment from the kernel is a finding, not a broken env */
	if (rc < 0 && err->code != TC_ERR_SEG_PARSE)
		t->broken = true;
	return rc;
}

static int linux_app(struct tc_target *base, const struct tc_app *act, struct tc_app_result *res,
		     struct tc_err *err)
{
	/* a poll waits as long as its step says */
	uint64_t wait = act->within_us > LINUX_APP_TIMEOUT_US ? act->within_us : LINUX_APP_TIMEOUT_US;

	return linux_app_do(((struct target_linux *)base)->app, act, wait, res, err);
}

static int linux_state(struct tc_target *base, enum tc_state *out, struct tc_transitions *since,
		       struct tc_err *err)
{
	struct target_linux *t = (struct target_linux *)base;

	if (linux_diag_state(t->env->diag, t->family, &t->local, t->port, &t->peer, t->peer_port, out, err))
		goto broken;
	if (since) {
		since->n = 0;
		if (linux_trace_read(t->env->trace, t->family, &t->local, t->port, &t->peer, t->peer_port, since,
				     err))
			goto broken;
	}
	return 0;
broken:
	t->broken = true;
	return -1;
}

static uint64_t linux_now(struct tc_target *base)
{
	(void)base;
	return wire_now_us();
}

static int linux_sleep_until(struct tc_target *base, uint64_t t_us, struct tc_err *err)
{
	(void)base;
	return veth_wire_sleep_until(t_us, err);
}

static const struct tc_profile *linux_profile_get(struct tc_target *base)
{
	(void)base;
	return &linux_profile;
}

static int linux_save_pcap(struct tc_target *base, const struct capfile_request *req, const char *path,
			   struct tc_err *err)
{
	return wire_pcap_write(((struct target_linux *)base)->env->vw.wire, req, path, err);
}

const struct tc_target_ops target_linux_ops = {
	.name = "linux",
	.description = "the local Linux kernel in network namespaces, real time (root)",
	.caps = TC_CAP_APP | TC_CAP_STATE | TC_CAP_URGENT | TC_CAP_CONNECT_INVALID | TC_CAP_IP_LEVEL | TC_CAP_MULTIHOMED,
	.sockopts = (1u << TC_SO__COUNT) - 1, /* every one the case format names */
	.max_jobs = LINUX_MAX_WORKERS,
	.real_time = true,
	.default_profile = linux_default_profile,
	.run_open = linux_run_open,
	.run_close = linux_run_close,
	.run_signal_cleanup = linux_run_signal_cleanup,
	.open = linux_open,
	.close = linux_close,
	.inject = linux_inject,
	.capture = linux_capture,
	.app = linux_app,
	.state = linux_state,
	.now = linux_now,
	.sleep_until = linux_sleep_until,
	.profile = linux_profile_get,
	.save_pcap = linux_save_pcap,
};
