/* Target `lwip`: Debian's lwIP 2.1.3 (liblwip.so), in process, driven from
 * the thread that runs the case, in virtual time (lwip_world.c interposes
 * sys_now). Segments go in as IP packets built by lib/seg, through the
 * netif's input; what lwIP sends comes out of the netif's output hooks and
 * is parsed by lib/seg. Application actions use lwIP's raw API
 * (lwip_app.c); states are read from its PCB lists (lwip_pcb.c).
 *
 * lwIP is one global stack per process, so the target runs one case at a
 * time (max_jobs 1) and each case starts with every PCB of the previous one
 * removed. What cannot be reset (the ISN counter private to tcp.c, the
 * phase of its cyclic non-TCP timers) no verdict depends on: the engine
 * learns the ISN from the first SYN. */
#include "target_lwip.h"

#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/opt.h"
#include "lwip/priv/tcp_priv.h"

#include "../../engine/engine.h"
#include "lwip_app.h"
#include "lwip_pcb.h"
#include "lwip_world.h"

#define LWIP_QUEUE 64
#define LWIP_PKT_MAX (SEG_MAX_PAYLOAD + 40 + SEG_IPOPT_SPACE + 60) /* IPv6, destination options, TCP header */

/* The values come from lwIP's headers where they are macros, so a rebuilt
 * lwIP with other options fails to compile here rather than lie. */
_Static_assert(TCP_MSL == 60000UL, "LWIP_PROFILE_MSL_US follows TCP_MSL");
_Static_assert(TCP_SLOW_INTERVAL * 1000u == LWIP_PROFILE_TICK_US, "the tick is TCP_SLOW_INTERVAL");
_Static_assert(TCP_FAST_INTERVAL * 1000u == LWIP_PROFILE_DELACK_US, "delayed ACK on tcp_fasttmr");

struct lwip_pkt {
	uint64_t at_us;
	size_t len;
	uint8_t bytes[LWIP_PKT_MAX];
};

struct target_lwip {
	struct tc_target base;
	struct lwip_app *app;
	struct tc_profile prof;
	struct seg_addr peer_addr;
	uint16_t port, peer_port;
	/* Packets lwIP sent and the engine has not captured yet. */
	struct lwip_pkt queue[LWIP_QUEUE];
	unsigned q_head, q_len;
	bool q_overflow;
	/* lwIP reports no transitions: the case's state is sampled after every
	 * call into lwIP (an input, a batch of timers, an action), so a state
	 * held for no longer than one call (FIN-WAIT-1 on the way to
	 * TIME-WAIT within one segment) is not seen. */
	enum tc_state last_state;
	struct tc_transitions trans;
};

/* lwIP's timing, Debian's build (docs/targets.md, lwip). */
static const struct tc_profile lwip_profile = {
	.msl_us = LWIP_PROFILE_MSL_US,
	.rto_us = LWIP_PROFILE_RTO_US,
	/* RTOs count slow-timer ticks (tcp_slowtmr): none is shorter than one */
	.rto_min_us = LWIP_PROFILE_TICK_US,
	/* the initial RTO shifted by the largest entry of tcp_backoff[] (7) */
	.rto_max_us = (uint64_t)LWIP_PROFILE_RTO_US << 7,
	.delack_us = LWIP_PROFILE_DELACK_US,
	/* Virtual time is exact, but lwIP's timers are not: a retransmission
	 * waits for the slow-timer tick (every 500 ms) after its RTO ran out
	 * counted from a send at any point between ticks, so it comes up to a
	 * tick early. */
	.tolerance_us = LWIP_PROFILE_TICK_US,
	/* virtual time: past TIME-WAIT (2 * MSL) and every retransmission */
	.quiet_us = 2 * LWIP_PROFILE_MSL_US,
};

static const struct tc_profile *lwip_default_profile(void)
{
	return &lwip_profile;
}

/* What a case may pin that lwIP cannot change (all compile-time options in
 * 2.1.3, or constants of tcp.c): the case is skipped with the reason, never
 * run against a profile it did not ask for. */
static int check_case_conf(const struct tc_case_conf *cc, int family, struct tc_err *err)
{
	/* tcp_eff_send_mss_netif: TCP_MSS, at most the MTU (1500) less the
	 * IP and TCP headers */
	unsigned mss = family == 6 ? 1440 : TCP_MSS;

	if (!cc)
		return 0;
	if ((cc->fields & TC_C_MSL) && tc_dur_us(&cc->msl, &lwip_profile) != lwip_profile.msl_us)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3 fixes MSL at build time (TCP_MSL 60 s: TIME-WAIT 120 s)");
	if ((cc->fields & TC_C_RTO) && tc_dur_us(&cc->rto, &lwip_profile) != lwip_profile.rto_us)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3 fixes the initial RTO at 3 s (tcp_alloc)");
	if (cc->fields & (TC_C_RTO_MIN | TC_C_RTO_MAX))
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "lwIP 2.1.3 has no settable RTO bounds");
	if (cc->fields & TC_C_DELACK)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3 sends a delayed ACK on its 250 ms fast timer: not settable");
	if (cc->fields & TC_C_ISS)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3 chooses its ISN (tcp_next_iss, no ISN hook in Debian's build)");
	if (cc->fields & TC_C_ISS_RFC6528)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3's tcp_next_iss is a counter, not RFC 6528's clock plus keyed hash");
	if (cc->fields & TC_C_TIME_WAIT_REOPEN)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3 has no switch for reopening a connection from TIME-WAIT");
	if (cc->fields & (TC_C_RFC1337 | TC_C_CHALLENGE_ACK_LIMIT))
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3 has no RFC 1337 option and no challenge-ACK limit to set");
	if ((cc->fields & TC_C_WINDOW) && cc->window != TCP_WND)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "lwIP 2.1.3 fixes its window at build time (TCP_WND %u)",
				  (unsigned)TCP_WND);
	if ((cc->fields & TC_C_MSS) && cc->mss != mss)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "lwIP 2.1.3 fixes its MSS at build time (%u here)", mss);
	if ((cc->fields & TC_C_SYN_RETRIES) && cc->syn_retries != TCP_SYNMAXRTX)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3 fixes its SYN retries at build time (TCP_SYNMAXRTX %d)", TCP_SYNMAXRTX);
	if ((cc->fields & TC_C_RETRIES) && cc->retries != TCP_MAXRTX)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "lwIP 2.1.3 fixes its retries at build time (TCP_MAXRTX %d)", TCP_MAXRTX);
	/* on is what lwIP does anyway: the Nagle algorithm (tcp_output) and
	 * delayed ACKs on its fast timer */
	if ((cc->fields & TC_C_NAGLE) && !cc->nagle)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "the lwip target runs lwIP 2.1.3 with the Nagle algorithm on (no tcp_nagle_disable)");
	if ((cc->fields & TC_C_DELAYED_ACK) && !cc->delayed_ack)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "lwIP 2.1.3 always delays ACKs (TF_ACK_DELAY)");
	if ((cc->fields & TC_C_KEEPALIVE) && cc->keepalive_mode != TC_KEEPALIVE_OFF)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "the lwip target does not turn keep-alive on yet (SOF_KEEPALIVE and keep_idle are not wired up)");
	/* lwIP 2.1.3 always runs its congestion control (tcp_in.c), with an
	 * initial window fixed at build time (LWIP_TCP_CALC_INITIAL_CWND) */
	if ((cc->fields & TC_C_CC) && !cc->cc)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "lwIP 2.1.3 cannot turn congestion control off");
	if (cc->fields & TC_C_INITIAL_WINDOW)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "lwIP 2.1.3 fixes its initial window at build time");
	if ((cc->fields & TC_C_TLP) && cc->tlp)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "lwIP 2.1.3 sends no tail loss probes");
	return 0;
}

static void note_state(struct target_lwip *t)
{
	enum tc_state st = lwip_pcb_case_state(t->port, &t->peer_addr, t->peer_port);

	if (st == t->last_state)
		return;
	if (t->trans.n < TC_MAX_TRANSITIONS) {
		t->trans.from[t->trans.n] = t->last_state;
		t->trans.to[t->trans.n] = st;
		t->trans.n++;
	}
	t->last_state = st;
}

static void lwip_sink(void *ctx, const uint8_t *pkt, size_t len)
{
	struct target_lwip *t = ctx;
	struct lwip_pkt *slot;

	if (t->q_len == LWIP_QUEUE || len > LWIP_PKT_MAX) {
		t->q_overflow = true;
		return;
	}
	slot = &t->queue[(t->q_head + t->q_len) % LWIP_QUEUE];
	slot->at_us = lwip_world_now_us();
	slot->len = len;
	memcpy(slot->bytes, pkt, len);
	t->q_len++;
}

struct lwip_run {
	struct tc_target_run base;
};

static struct tc_target_run *lwip_run_open(const struct tc_run_conf *conf, struct tc_err *err)
{
	struct lwip_run *run;

	if (conf->fault) {
		tc_err_set(err, TC_ERR_USAGE, "the lwip target has no seeded faults");
		return NULL;
	}
	run = calloc(1, sizeof(*run));
	if (!run) {
		tc_err_set(err, TC_ERR_NOMEM, "lwip target: out of memory");
		return NULL;
	}
	run->base.ops = &target_lwip_ops;
	return &run->base;
}

static void lwip_run_close(struct tc_target_run *base)
{
	free(base);
}

static void lwip_close(struct tc_target *base)
{
	struct target_lwip *t = (struct target_lwip *)base;

	if (lwip_world_held())
		lwip_world_release(); /* detaches every callback into t->app */
	lwip_app_free(t->app);
	free(t);
}

static struct tc_target *lwip_open(struct tc_target_run *runbase, const struct tc_target_conf *conf,
				   struct tc_err *err)
{
	struct seg_addr a4, a6, peer;
	struct target_lwip *t;

	if (check_case_conf(conf->case_conf, conf->target_addr.family, err) != 0)
		return NULL;
	/* The `default` profile means window scale, SACK-permitted and
	 * timestamps offered, as a modern stack: Debian's build has window
	 * scaling only (LWIP_WND_SCALE 1; LWIP_TCP_TIMESTAMPS and
	 * LWIP_TCP_SACK_OUT keep opt.h's 0). Its `minimal` is that build, the
	 * wscale on its SYN included (the cases say so per step). */
	if (conf->profile == TC_SP_DEFAULT) {
		tc_err_set(err, TC_ERR_UNSUPPORTED,
			   "lwIP 2.1.3 (Debian's build) has no `default` profile: no timestamps (LWIP_TCP_TIMESTAMPS 0) "
			   "and no SACK (LWIP_TCP_SACK_OUT 0), only window scaling");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		tc_err_set(err, TC_ERR_NOMEM, "lwip target: out of memory");
		return NULL;
	}
	t->base.ops = &target_lwip_ops;
	t->base.run = runbase;
	t->peer_addr = conf->peer_addr;
	t->port = conf->port;
	t->peer_port = conf->peer_port;
	t->prof = lwip_profile;
	t->last_state = TC_CLOSED;
	t->app = lwip_app_new(&conf->target_addr, conf->port, &conf->peer_addr, conf->peer_port);
	if (!t->app) {
		tc_err_set(err, TC_ERR_NOMEM, "lwip target: out of memory");
		free(t);
		return NULL;
	}
	/* the netif carries both families, whichever the first case runs on */
	engine_addrs(4, &a4, &peer);
	engine_addrs(6, &a6, &peer);
	if (lwip_world_acquire(&a4, &a6, lwip_sink, t, err) != 0) {
		lwip_app_free(t->app);
		free(t);
		return NULL;
	}
	return &t->base;
}

static int lwip_inject(struct tc_target *base, const struct tc_seg *s, struct tc_err *err)
{
	struct target_lwip *t = (struct target_lwip *)base;
	uint8_t pkt[LWIP_PKT_MAX];
	int len = seg_build(s, pkt, sizeof(pkt), err);

	if (len < 0)
		return -1;
	if (lwip_world_input(pkt, (size_t)len, err) != 0)
		return -1;
	note_state(t);
	return 0;
}

static bool stop_on_output(void *ctx)
{
	struct target_lwip *t = ctx;

	note_state(t);
	return t->q_len > 0;
}

static bool never_stop(void *ctx)
{
	note_state(ctx);
	return false;
}

static int lwip_capture(struct tc_target *base, uint64_t deadline_us, struct tc_seg *out,
			uint64_t *at_us, struct tc_err *err)
{
	struct target_lwip *t = (struct target_lwip *)base;
	struct lwip_pkt *p;

	if (t->q_len == 0)
		lwip_world_advance(deadline_us, stop_on_output, t);
	if (t->q_overflow)
		return tc_err_set(err, TC_ERR_TARGET,
				  "lwip target: more than %d segments sent without being captured", LWIP_QUEUE);
	if (lwip_app_overflowed(t->app))
		return tc_err_set(err, TC_ERR_TARGET,
				  "lwip target: lwIP handed over more connections than the target keeps");
	if (t->q_len == 0)
		return 0;
	p = &t->queue[t->q_head];
	t->q_head = (t->q_head + 1) % LWIP_QUEUE;
	t->q_len--;
	if (seg_parse(p->bytes, p->len, out, err) != 0) {
		tc_err_prefix(err, "lwIP sent a segment that does not parse");
		return -1;
	}
	*at_us = p->at_us;
	return 1;
}

static int lwip_app_action(struct tc_target *base, const struct tc_app *act, struct tc_app_result *res,
			   struct tc_err *err)
{
	struct target_lwip *t = (struct target_lwip *)base;
	int rc = lwip_app_do(t->app, act, res, err);

	note_state(t);
	return rc;
}

static int lwip_state(struct tc_target *base, enum tc_state *out, struct tc_transitions *since,
		      struct tc_err *err)
{
	struct target_lwip *t = (struct target_lwip *)base;

	(void)err;
	note_state(t);
	*out = t->last_state;
	if (since)
		*since = t->trans;
	t->trans.n = 0;
	return 0;
}

static uint64_t lwip_now(struct tc_target *base)
{
	(void)base;
	return lwip_world_now_us();
}

static int lwip_sleep_until(struct tc_target *base, uint64_t t_us, struct tc_err *err)
{
	(void)err;
	lwip_world_advance(t_us, never_stop, base);
	return 0;
}

static const struct tc_profile *lwip_profile_of(struct tc_target *base)
{
	return &((struct target_lwip *)base)->prof;
}

const struct tc_target_ops target_lwip_ops = {
	.name = "lwip",
	.description = "Debian's lwIP " LWIP_VERSION_STRING " (liblwip), in process, single-threaded, virtual time",
	.caps = TC_CAP_APP | TC_CAP_STATE | TC_CAP_VIRTUAL_TIME | TC_CAP_IP_LEVEL,
	/* lwIP's raw API has no urgent send; of the options, what a PCB holds */
	.sockopts = 1u << TC_SO_TCP_NODELAY | 1u << TC_SO_KEEPALIVE | 1u << TC_SO_LINGER | 1u << TC_SO_TCP_MAXSEG,
	/* one global stack per process: never two cases at once */
	.max_jobs = 1,
	.run_open = lwip_run_open,
	.run_close = lwip_run_close,
	.default_profile = lwip_default_profile,
	.open = lwip_open,
	.close = lwip_close,
	.inject = lwip_inject,
	.capture = lwip_capture,
	.app = lwip_app_action,
	.state = lwip_state,
	.now = lwip_now,
	.sleep_until = lwip_sleep_until,
	.profile = lwip_profile_of,
};
