/* A scripted fake target for the engine's tests: in process, sends nothing
 * anywhere. A test writes what the "stack" does (segments with their arrival
 * times on a virtual clock, answers to state reads, results of application
 * actions, a broken open or capture) and reads back what the engine
 * injected. The engine sees it through the ordinary ops struct, so every
 * verdict it gives here it gives the same way on the real targets.
 *
 * Script times are relative to the case's start; the fake's clock starts at
 * FAKE_T0, not 0, so an engine that confuses the target's clock with time
 * since the case began is caught. */
#ifndef FAKE_TARGET_H
#define FAKE_TARGET_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "target/target.h"

#define MS 1000ull
#define SEC 1000000ull
#define FAKE_T0 (7 * SEC)
#define FAKE_TOL (2 * MS)
#define FAKE_LATE_PCT 10
#define FAKE_ISN 5000u /* the fake stack's ISN */
#define FAKE_PEER_ISN TC_DEFAULT_PEER_ISN
#define FAKE_WIN 1000
#define FAKE_MAX 32

struct fake_out {
	uint64_t at; /* on the fake's clock */
	struct tc_seg seg;
};

struct fake_app_result {
	enum tc_errcode code; /* TC_OK: the call is made */
	const char *msg;
	/* the call's result when it is made (has_result; else the verb's
	 * default: send and recv their count, poll ready) */
	bool has_result;
	struct tc_app_result res;
};

struct fake {
	/* the engine's run and instance point into the fake itself */
	struct tc_target_run run;
	struct tc_target tgt;
	struct tc_target_ops ops; /* a copy: tests change caps */
	struct tc_profile prof;

	/* ---- the script ---- */
	int nout, outpos;
	struct fake_out out[FAKE_MAX];
	int nstates, statepos;
	enum tc_state states[FAKE_MAX];
	int napps, apppos; /* past the list, actions succeed */
	struct fake_app_result apps[FAKE_MAX];
	/* Time an inject, app or state call takes: a segment scripted inside
	 * that interval arrives while the action runs. */
	uint64_t action_us;
	int capture_fails_at; /* the n-th capture call (1-based) errors; 0 never */
	enum tc_errcode open_code; /* TC_OK: open succeeds */
	/* A real-time capture may hand over a segment that arrived a little
	 * after its deadline; 0 = the fake honours deadlines exactly. */
	uint64_t overshoot_us;

	/* ---- what happened ---- */
	uint64_t now;
	int ncaptures, opened, closed;
	uint64_t last_deadline;
	struct tc_target_conf conf;
	int ninj;
	struct tc_seg inj[FAKE_MAX];
	uint64_t inj_at[FAKE_MAX]; /* relative to the case's start */
	struct tc_app last_app; /* the last action as the engine made it */
};

static inline struct fake *fake_of(struct tc_target *t)
{
	return (struct fake *)((char *)t - offsetof(struct fake, tgt));
}

static inline void fake_tick(struct fake *f)
{
	f->now += f->action_us;
}

static inline const struct tc_profile *fake_default_profile(void)
{
	static const struct tc_profile p = {
		.msl_us = 1 * SEC,
		.rto_us = 200 * MS,
		.rto_min_us = 200 * MS,
		.rto_max_us = 120 * SEC,
		.delack_us = 40 * MS,
		.tolerance_us = FAKE_TOL,
		.quiet_us = 3 * SEC,
		.late_pct = FAKE_LATE_PCT,
	};
	return &p;
}

static struct tc_target_ops fake_ops_template;

static inline struct tc_target_run *fake_run_open(const struct tc_run_conf *conf, struct tc_err *err)
{
	struct fake *f = calloc(1, sizeof(*f));

	(void)conf;
	if (!f) {
		tc_err_set(err, TC_ERR_NOMEM, "fake: no memory");
		return NULL;
	}
	f->ops = fake_ops_template;
	f->run.ops = &f->ops;
	f->tgt.ops = &f->ops;
	f->tgt.run = &f->run;
	f->prof = *fake_default_profile();
	f->now = FAKE_T0;
	return &f->run;
}

static inline void fake_run_close(struct tc_target_run *run)
{
	free(run);
}

static inline struct tc_target *fake_open(struct tc_target_run *run, const struct tc_target_conf *conf,
					  struct tc_err *err)
{
	struct fake *f = (struct fake *)run;

	if (f->open_code != TC_OK) {
		tc_err_set(err, f->open_code, "fake cannot open this case");
		return NULL;
	}
	f->opened++;
	f->conf = *conf;
	return &f->tgt;
}

static inline void fake_close(struct tc_target *t)
{
	fake_of(t)->closed++;
}

static inline int fake_inject(struct tc_target *t, const struct tc_seg *s, struct tc_err *err)
{
	struct fake *f = fake_of(t);

	if (f->ninj >= FAKE_MAX)
		return tc_err_set(err, TC_ERR_SYSTEM, "fake: too many injected segments");
	f->inj_at[f->ninj] = f->now - FAKE_T0;
	f->inj[f->ninj++] = *s;
	fake_tick(f);
	return 0;
}

static inline int fake_capture(struct tc_target *t, uint64_t deadline_us, struct tc_seg *out, uint64_t *at_us,
			       struct tc_err *err)
{
	struct fake *f = fake_of(t);

	f->ncaptures++;
	f->last_deadline = deadline_us;
	if (f->capture_fails_at == f->ncaptures)
		return tc_err_set(err, TC_ERR_SYSTEM, "fake capture broke");
	if (f->outpos < f->nout && f->out[f->outpos].at <= deadline_us + f->overshoot_us) {
		const struct fake_out *o = &f->out[f->outpos++];
		/* a segment that arrived earlier was kept: time does not go back */
		if (o->at > f->now)
			f->now = o->at;
		*out = o->seg;
		*at_us = o->at;
		return 1;
	}
	if (deadline_us > f->now)
		f->now = deadline_us;
	return 0;
}

static inline int fake_app(struct tc_target *t, const struct tc_app *act, struct tc_app_result *res,
			   struct tc_err *err)
{
	struct fake *f = fake_of(t);

	fake_tick(f);
	if (act->verb == TC_APP_SEND || act->verb == TC_APP_RECV)
		res->value = act->len ? act->len : act->n;
	if (act->verb == TC_APP_RECV) {
		res->ndata = act->len;
		memcpy(res->data, act->data, act->len);
	}
	if (act->verb == TC_APP_POLL)
		res->value = 1;
	if (f->apppos < f->napps) {
		const struct fake_app_result *a = &f->apps[f->apppos++];
		if (a->code != TC_OK)
			return tc_err_set(err, a->code, "%s", a->msg);
		if (a->has_result)
			*res = a->res;
	}
	f->last_app = *act;
	return 0;
}

static inline int fake_state(struct tc_target *t, enum tc_state *out, struct tc_transitions *since,
			     struct tc_err *err)
{
	struct fake *f = fake_of(t);

	fake_tick(f);
	if (f->statepos >= f->nstates)
		return tc_err_set(err, TC_ERR_SYSTEM, "fake: the script has no state for this read");
	*out = f->states[f->statepos++];
	if (since)
		since->n = 0;
	return 0;
}

static inline uint64_t fake_now(struct tc_target *t)
{
	return fake_of(t)->now;
}

static inline int fake_sleep_until(struct tc_target *t, uint64_t t_us, struct tc_err *err)
{
	struct fake *f = fake_of(t);

	(void)err;
	if (t_us > f->now)
		f->now = t_us;
	return 0;
}

static inline const struct tc_profile *fake_profile(struct tc_target *t)
{
	return &fake_of(t)->prof;
}

static struct tc_target_ops fake_ops_template = {
	.name = "fake",
	.description = "a scripted fake target for the engine tests",
	.caps = TC_CAP_APP | TC_CAP_STATE | TC_CAP_VIRTUAL_TIME | TC_CAP_URGENT | TC_CAP_IP_LEVEL | TC_CAP_MULTIHOMED,
	.sockopts = (1u << TC_SO__COUNT) - 1,
	.default_profile = fake_default_profile,
	.run_open = fake_run_open,
	.run_close = fake_run_close,
	.open = fake_open,
	.close = fake_close,
	.inject = fake_inject,
	.capture = fake_capture,
	.app = fake_app,
	.state = fake_state,
	.now = fake_now,
	.sleep_until = fake_sleep_until,
	.profile = fake_profile,
};

/* ---- writing the script ---- */

/* The stack sends a segment at_us after the case began. seq counts from
 * the fake's ISN, ack from the injector's, as a case writes them. Scripts
 * are written in arrival order. */
static inline struct tc_seg *fake_emit(struct fake *f, uint64_t at_us, uint16_t flags, uint32_t seq,
				       uint32_t ack)
{
	assert_true(f->nout < FAKE_MAX);
	assert_true(f->nout == 0 || f->out[f->nout - 1].at <= FAKE_T0 + at_us);
	struct fake_out *o = &f->out[f->nout++];
	memset(o, 0, sizeof(*o));
	o->at = FAKE_T0 + at_us;
	engine_addrs(4, &o->seg.src, &o->seg.dst);
	o->seg.sport = TC_DEFAULT_PORT;
	o->seg.dport = TC_DEFAULT_PEER_PORT;
	o->seg.flags = flags;
	o->seg.seq = FAKE_ISN + seq;
	o->seg.ack = (flags & SEG_ACK) ? FAKE_PEER_ISN + ack : 0;
	o->seg.win = FAKE_WIN;
	return &o->seg;
}

static inline void fake_add_opt(struct tc_seg *s, uint16_t kind, uint32_t value)
{
	struct seg_opt o = {.kind = kind};

	if (kind == SEG_OPT_MSS)
		o.u.mss = (uint16_t)value;
	else if (kind == SEG_OPT_WSCALE)
		o.u.wscale = (uint8_t)value;
	assert_int_equal(seg_add_opt(s, &o), 0);
}

static inline void fake_state_answer(struct fake *f, enum tc_state st)
{
	assert_true(f->nstates < FAKE_MAX);
	f->states[f->nstates++] = st;
}

static inline void fake_app_answer(struct fake *f, enum tc_errcode code, const char *msg)
{
	assert_true(f->napps < FAKE_MAX);
	f->apps[f->napps++] = (struct fake_app_result){.code = code, .msg = msg};
}

/* The next action is made and gives this result: errno, value, whether
 * more bytes stayed readable, the bytes a recv read. */
static inline void fake_app_result(struct fake *f, int err_no, int64_t value, bool more, const char *data)
{
	assert_true(f->napps < FAKE_MAX);
	struct fake_app_result *a = &f->apps[f->napps++];
	memset(a, 0, sizeof(*a));
	a->code = TC_OK;
	a->has_result = true;
	a->res.err_no = err_no;
	a->res.value = value;
	a->res.more = more;
	if (data) {
		a->res.ndata = (uint16_t)strlen(data);
		memcpy(a->res.data, data, a->res.ndata);
	}
}

#endif
