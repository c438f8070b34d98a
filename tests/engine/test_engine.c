/* lib/engine: every verdict engine_run can give, each path on its own,
 * driven against the scripted fake target of fake_target.h. Cases are
 * written in YAML, as a reader of the suite knows them; every failure is
 * checked for its verdict, the step it names and what its message says, so
 * a change to the verdict logic fails here (tests/engine-mutants.sh proves
 * it does). */
#include "fake_target.h"

#include <errno.h>
#include <stdio.h>

#include "casefile/casefile.h"

struct t {
	struct fake *f;
	struct engine_result *r;
	struct tc_case c;
	bool loaded;
	int family; /* 0: IPv4 */
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct tc_run_conf rc = {.jobs = 1};
	struct tc_err e = {0};

	if (!t)
		return -1;
	t->r = calloc(1, sizeof(*t->r));
	t->f = (struct fake *)target_run_open(&fake_ops_template, &rc, &e);
	if (!t->r || !t->f)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	engine_result_free(t->r);
	if (t->loaded)
		casefile_free(&t->c);
	target_run_close(&t->f->run);
	free(t->r);
	free(t);
	return 0;
}

#define CASE_HEAD "name: engine test\nrfc: [\"9293\"]\n"

static void load(struct t *t, const char *body)
{
	char text[8192];
	struct tc_err e = {0};

	snprintf(text, sizeof(text), "%s%s", CASE_HEAD, body);
	if (t->loaded)
		casefile_free(&t->c);
	t->loaded = false;
	if (casefile_load_string(text, strlen(text), "t.yaml", &t->c, &e) != 0)
		fail_msg("the test's case does not load: %s", e.msg);
	t->loaded = true;
}

/* Runs the case loaded last; every instance opened must be closed again. */
static enum tc_verdict run_loaded(struct t *t)
{
	struct engine_opts o = {.run = &t->f->run, .family = t->family ? t->family : 4, .trace = true};

	engine_result_free(t->r);
	enum tc_verdict v = engine_run(&t->c, &o, t->r);
	assert_int_equal(v, t->r->verdict);
	assert_int_equal(t->f->opened, t->f->closed);
	return v;
}

static enum tc_verdict run(struct t *t, const char *body)
{
	load(t, body);
	return run_loaded(t);
}

/* failed_step is 0-based, as in struct engine_result (-1: none); frag must
 * occur in the message (NULL: not checked). */
#define assert_verdict(t, v, step, frag) check_verdict((t), (v), (step), (frag), __FILE__, __LINE__)
static void check_verdict(const struct t *t, enum tc_verdict v, int step, const char *frag, const char *file,
			  int line)
{
	const struct engine_result *r = t->r;

	if (r->verdict == v && r->failed_step == step && (!frag || strstr(r->msg, frag)))
		return;
	print_error("verdict %s, failed step %d; wanted %s, failed step %d, a message with \"%s\"\n"
		    "message: %s\n",
		    tc_verdict_name(r->verdict), r->failed_step, tc_verdict_name(v), step, frag ? frag : "",
		    r->msg);
	_fail(file, line);
}

/* ---- timing: within, after, tolerance, late_pct ------------------------ */

static const char connect_expect_syn[] =
	"steps:\n"
	"  - app: connect\n"
	"  - expect: {flags: S, within: 100ms}\n";

static void test_expect_on_time(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 50 * MS, SEG_SYN, 0, 0);
	assert_int_equal(run(t, connect_expect_syn), TC_PASS);
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->r->nevents, 1);
	assert_true(t->r->events[0].from_target);
	assert_int_equal(t->r->events[0].at_us, 50 * MS);
	assert_int_equal(t->r->target_isn, FAKE_ISN);
	assert_int_equal(t->r->peer_isn, FAKE_PEER_ISN);
	assert_int_equal(t->r->case_time_us, 50 * MS);
	assert_non_null(t->r->log);
}

/* The deadline is within + tolerance + late_pct of within: 100 + 2 + 10. */
static void test_expect_late_share_is_allowed(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 112 * MS, SEG_SYN, 0, 0);
	run(t, connect_expect_syn);
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->last_deadline, FAKE_T0 + 112 * MS);
}

static void test_expect_missing(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 112 * MS + 1, SEG_SYN, 0, 0);
	run(t, connect_expect_syn);
	assert_verdict(t, TC_FAIL, 1, "expected flags [S] within 100.000 ms");
	assert_non_null(strstr(t->r->msg, "nothing arrived (waited 112.000 ms"));
	assert_int_equal(t->r->failed_loc.line, 5);
}

static void test_expect_default_within(void **state)
{
	struct t *t = *state;

	run(t, "steps:\n  - expect: {flags: S}\n");
	/* 500 ms, + 2 ms tolerance, + 10% of 500 ms */
	assert_verdict(t, TC_FAIL, 0, "expected flags [S] within 500.000 ms");
	assert_non_null(strstr(t->r->msg, "nothing arrived (waited 552.000 ms"));
}

/* A real-time capture may hand over a segment past its deadline: the
 * engine itself must call it late. */
static void test_expect_late(void **state)
{
	struct t *t = *state;

	t->f->overshoot_us = 5 * MS;
	fake_emit(t->f, 113 * MS, SEG_SYN, 0, 0);
	run(t, connect_expect_syn);
	assert_verdict(t, TC_FAIL, 1, "arrived too late: ");
	assert_non_null(strstr(t->r->msg, "113.000 ms"));
	assert_non_null(strstr(t->r->msg, "expected within 100.000 ms"));
}

static const char expect_after[] =
	"steps:\n"
	"  - app: connect\n"
	"  - expect: {flags: S, after: 100ms, within: 200ms}\n";

static void test_expect_early(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 97 * MS, SEG_SYN, 0, 0);
	run(t, expect_after);
	assert_verdict(t, TC_FAIL, 1, "arrived too early: ");
	assert_non_null(strstr(t->r->msg, "97.000 ms"));
	assert_non_null(strstr(t->r->msg, "expected no earlier than 100.000 ms (tolerance 2.000 ms)"));
}

static void test_expect_early_within_tolerance(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 98 * MS, SEG_SYN, 0, 0);
	run(t, expect_after);
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->r->required_us, 100 * MS);
}

/* after and within count from the start of the expect step, not the case. */
static void test_expect_after_counts_from_step_start(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 120 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - wait: 50ms\n"
	       "  - expect: {flags: S, after: 100ms, within: 200ms}\n");
	assert_verdict(t, TC_FAIL, 1, "arrived too early: ");
	assert_non_null(strstr(t->r->msg, "70.000 ms"));
}

static void test_expect_within_counts_from_step_start(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 140 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - wait: 50ms\n"
	       "  - expect: {flags: S, within: 90ms}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_expect_tolerance_key(void **state)
{
	struct t *t = *state;
	static const char body[] = "steps:\n"
				   "  - expect: {flags: S, after: 100ms, within: 200ms, tolerance: 10ms}\n";

	fake_emit(t->f, 91 * MS, SEG_SYN, 0, 0);
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");

	t->f->outpos = t->f->nout = 0;
	t->f->now = FAKE_T0;
	fake_emit(t->f, 89 * MS, SEG_SYN, 0, 0);
	run(t, body);
	assert_verdict(t, TC_FAIL, 0, "expected no earlier than 100.000 ms (tolerance 10.000 ms)");
	assert_non_null(strstr(t->r->msg, "89.000 ms"));
}

/* Without `within`, the default window opens at `after`: a segment due
 * after 1 s is read, not refused as missing at 500 ms. */
static void test_after_without_within(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * SEC, SEG_SYN, 0, 0);
	run(t, "steps:\n  - expect: {flags: S, after: 1s}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* An `after` past the step's `within` can match nothing: the case is wrong,
 * not the stack. */
static void test_after_beyond_within_is_error(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * SEC, SEG_SYN, 0, 0);
	run(t, "steps:\n  - expect: {flags: S, after: 2s, within: 1s}\n");
	assert_verdict(t, TC_ERROR, 0, "is later than within");
}

/* ---- time that only passes: wait, expect_none ------------------------- */

static void test_wait_quiet_then_expect(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 150 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - wait: 100ms\n"
	       "  - expect: {flags: S, within: 100ms}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->r->required_us, 100 * MS);
	assert_int_equal(t->r->case_time_us, 150 * MS);
}

static void test_segment_during_wait(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 40 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - app: listen\n"
	       "  - wait: 100ms\n");
	assert_verdict(t, TC_FAIL, 1, "wait 100.000 ms: a segment no step expects arrived 40.000 ms into it");
}

/* A segment that arrived while an action ran and that no expect read is
 * the wait's failure too, and the message says when it came. */
static void test_segment_before_wait(void **state)
{
	struct t *t = *state;

	t->f->action_us = 10 * MS;
	fake_emit(t->f, 5 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - app: connect\n"
	       "  - wait: 100ms\n");
	assert_verdict(t, TC_FAIL, 1, "wait 100.000 ms: a segment no step expects arrived 5.000 ms before it began");
}

/* flags_any leaves those flags out of the comparison, and only those. */
static void test_flags_any(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_PSH | SEG_ACK, 1, 1);
	fake_emit(t->f, 2 * MS, SEG_FIN | SEG_ACK, 1, 1);
	run(t, "steps:\n"
	       "  - expect: {flags: A, flags_any: P}\n"
	       "  - expect: {flags: A, flags_any: P}\n");
	assert_verdict(t, TC_FAIL, 1, "flags expected [A] (P either way), got [FA]");
}

/* An action took effect somewhere between its start and its end: `within`
 * counts from the end, so a send that took 30 ms (a preempted write on a
 * busy machine) does not eat the answer's 10 ms budget... */
static void test_within_counts_from_the_action_end(void **state)
{
	struct t *t = *state;

	t->f->action_us = 30 * MS;
	fake_emit(t->f, 38 * MS, SEG_ACK, 1, 1);
	run(t, "steps:\n"
	       "  - send: {flags: A, seq: 1, ack: 1}\n"
	       "  - expect: {flags: A, within: 10ms}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* ...and `after` from its start, so the harness's delay never makes an
 * answer look early either. */
static void test_after_counts_from_the_action_start(void **state)
{
	struct t *t = *state;

	t->f->action_us = 30 * MS;
	fake_emit(t->f, 110 * MS, SEG_ACK, 1, 1);
	run(t, "steps:\n"
	       "  - send: {flags: A, seq: 1, ack: 1}\n"
	       "  - expect: {flags: A, after: 100ms, within: 200ms}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_expect_none_quiet(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 250 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - expect_none: 200ms\n"
	       "  - expect: {flags: S, within: 100ms}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->r->required_us, 200 * MS);
}

/* `quiet` is the target's own silence (3 s on the fake profile): a
 * segment inside it fails, one just after it is the next step's. */
static void test_expect_none_profile_quiet(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 3 * SEC + 10 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - expect_none: quiet\n"
	       "  - expect: {flags: S, within: 100ms}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->r->required_us, 3 * SEC);
}

static void test_segment_inside_profile_quiet(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 2900 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - expect_none: quiet\n");
	assert_verdict(t, TC_FAIL, 0, "");
}

static void test_segment_during_expect_none(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 150 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - app: connect\n"
	       "  - expect_none: 200ms\n");
	assert_verdict(t, TC_FAIL, 1, "expect_none 200.000 ms: a segment no step expects arrived 150.000 ms into it");
}

/* The timeline is exact: a SYN sent at connect and not read by an expect
 * is not read by a later one as if it were a retransmission. */
static void test_stale_syn_fails_at_wait(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 0, SEG_SYN, 0, 0);
	fake_emit(t->f, 1 * SEC, SEG_SYN, 0, 0);
	fake_emit(t->f, 3 * SEC, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - app: connect\n"
	       "  - wait: 5s\n"
	       "  - expect: {flags: S, within: 1ms}\n"
	       "  - expect: {flags: S, within: 1ms}\n");
	assert_verdict(t, TC_FAIL, 1, "wait 5000.000 ms: a segment no step expects arrived 0.000 ms into it");
}

/* ---- segments that arrive while an action runs ------------------------- */

static void test_segment_during_actions_read_by_next_expect(void **state)
{
	struct t *t = *state;

	t->f->action_us = 10 * MS;
	fake_emit(t->f, 5 * MS, SEG_SYN, 0, 0); /* during app connect, 0..10 ms */
	fake_emit(t->f, 15 * MS, SEG_ACK, 1, 1); /* during the send, 10..20 ms */
	fake_state_answer(t->f, TC_ESTABLISHED);
	fake_emit(t->f, 25 * MS, SEG_ACK | SEG_PSH, 1, 1)->len = 3; /* during the state read, 20..30 ms */
	run(t, "steps:\n"
	       "  - app: connect\n"
	       "  - expect: {flags: S, within: 10ms}\n"
	       "  - send: {flags: SA, seq: 0, ack: 1}\n"
	       "  - expect: {flags: A, within: 10ms}\n"
	       "  - state: ESTABLISHED\n"
	       "  - expect: {flags: PA, len: 3, within: 10ms}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->r->nevents, 4);
	assert_int_equal(t->r->events[0].at_us, 5 * MS);
	assert_int_equal(t->r->events[1].at_us, 10 * MS);
	assert_false(t->r->events[1].from_target);
	assert_int_equal(t->r->events[2].at_us, 15 * MS);
	assert_int_equal(t->r->events[3].at_us, 25 * MS);
	/* each segment names the step that read or sent it, for the reports */
	assert_int_equal(t->r->events[0].step, 1);
	assert_int_equal(t->r->events[1].step, 2);
	assert_int_equal(t->r->events[2].step, 3);
	assert_int_equal(t->r->events[3].step, 5);
	/* the steps without a segment leave marks, with when they ran */
	assert_int_equal(t->r->nmarks, 2);
	assert_int_equal(t->r->marks[0].step, 0);
	assert_string_equal(t->r->marks[0].text, "app connect");
	assert_int_equal(t->r->marks[0].start_us, 0);
	assert_int_equal(t->r->marks[0].end_us, 10 * MS);
	assert_int_equal(t->r->marks[1].step, 4);
	assert_string_equal(t->r->marks[1].text, "state ESTABLISHED");
	assert_int_equal(t->r->marks[1].start_us, 20 * MS);
	assert_int_equal(t->r->marks[1].end_us, 30 * MS);
	assert_int_equal(t->r->nsteps_run, 6);
}

/* Such a segment came too soon for an expect whose `after` had not passed
 * when it arrived. */
static void test_segment_during_action_and_after(void **state)
{
	struct t *t = *state;

	t->f->action_us = 10 * MS;
	fake_emit(t->f, 5 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - app: connect\n"
	       "  - expect: {flags: S, after: 10ms}\n");
	assert_verdict(t, TC_FAIL, 1, "arrived too early: ");
}

/* The history is in time order although the segment that arrived during
 * the app action is read only after the next send was recorded. */
static void test_history_in_time_order(void **state)
{
	struct t *t = *state;

	t->f->action_us = 10 * MS;
	fake_emit(t->f, 5 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 30 * MS, SEG_ACK, 1, 1);
	run(t, "steps:\n"
	       "  - app: connect\n"
	       "  - send: {flags: SA, seq: 0, ack: 1}\n"
	       "  - expect: {flags: S, seq: 0}\n"
	       "  - expect: {flags: A, seq: 1, ack: 1}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->r->nevents, 3);
	assert_true(t->r->events[0].from_target);
	assert_int_equal(t->r->events[0].at_us, 5 * MS);
	assert_int_equal(t->r->events[0].seg.flags, SEG_SYN);
	assert_false(t->r->events[1].from_target);
	assert_int_equal(t->r->events[1].at_us, 10 * MS);
	assert_int_equal(t->r->events[1].seg.flags, SEG_SYN | SEG_ACK);
	assert_true(t->r->events[2].from_target);
	assert_int_equal(t->r->events[2].at_us, 30 * MS);
}

/* ---- after the last step ------------------------------------------------ */

static void test_leftover_segment(void **state)
{
	struct t *t = *state;

	t->f->action_us = 10 * MS;
	fake_emit(t->f, 12 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 15 * MS, SEG_FIN | SEG_ACK, 1, 1); /* during app close */
	run(t, "steps:\n"
	       "  - app: connect\n"
	       "  - expect: {flags: S}\n"
	       "  - app: close\n");
	assert_verdict(t, TC_FAIL, 2, "the target sent a segment no step expected");
	assert_non_null(strstr(t->r->msg, "Flags [FA]"));
}

/* Only what has arrived by the end counts: the engine does not wait for
 * more. */
static void test_segment_after_the_end_is_not_read(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 12 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 10 * SEC, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - app: connect\n"
	       "  - expect: {flags: S}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* ---- fields ----------------------------------------------------------- */

static void test_flags_mismatch(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n  - expect: {flags: SA}\n");
	assert_verdict(t, TC_FAIL, 0, "flags expected [SA], got [S]");
}

static const char handshake[] =
	"steps:\n"
	"  - app: connect\n"
	"  - expect: {flags: S, seq: 0}\n"
	"  - send: {flags: SA, seq: 0, ack: 1}\n";

static void test_seq_relative_to_target_isn(void **state)
{
	struct t *t = *state;
	char body[512];

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 2 * MS, SEG_ACK, 1, 1);
	snprintf(body, sizeof(body), "%s  - expect: {flags: A, seq: 1, ack: 1}\n", handshake);
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_seq_mismatch(void **state)
{
	struct t *t = *state;
	char body[512];

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 2 * MS, SEG_ACK, 1, 1);
	snprintf(body, sizeof(body), "%s  - expect: {flags: A, seq: 2}\n", handshake);
	run(t, body);
	assert_verdict(t, TC_FAIL, 3, "seq expected 2 (abs 5002), got 1 (abs 5001)");
}

static void test_seq_abs(void **state)
{
	struct t *t = *state;
	char body[512];

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 2 * MS, SEG_ACK, 1, 1);
	snprintf(body, sizeof(body), "%s  - expect: {flags: A, seq_abs: 5001}\n", handshake);
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
}

/* Before the target has sent a SYN there is no ISN: seq is absolute. */
static void test_seq_before_syn_is_absolute(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_RST, 7, 0);
	run(t, "steps:\n  - expect: {flags: R, seq: 5007}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_ack_relative_to_peer_isn(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN | SEG_ACK, 0, 1);
	run(t, "steps:\n  - expect: {flags: SA, seq: 0, ack: 1}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_ack_mismatch(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN | SEG_ACK, 0, 2);
	run(t, "steps:\n  - expect: {flags: SA, ack: 1}\n");
	assert_verdict(t, TC_FAIL, 0, "ack expected 1 (abs 1000001), got 2 (abs 1000002)");
}

static void test_win_mismatch(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run(t, "steps:\n  - expect: {flags: S, win: 1000}\n");
	assert_verdict(t, TC_FAIL, 0, "win expected 1000 (0x3e8), got 2000 (0x7d0)");
}

static void test_win_match(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run(t, "steps:\n  - expect: {flags: S, win: 2000}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* ---- IP level: ttl and tos on expect, IP fields and ICMP on send ---- */

static void test_ttl_match(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->ttl = 7;
	run(t, "steps:\n  - expect: {flags: S, ttl: 7}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_ttl_mismatch(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->ttl = 64;
	run(t, "steps:\n  - expect: {flags: S, ttl: 7}\n");
	assert_verdict(t, TC_FAIL, 0, "ttl expected 7 (0x7), got 64 (0x40)");
}

/* RFC 9293 3.9.2.1 (MUST-51..53): the IP options, byte for byte; "" = none */
static void test_ipopts_match(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);

	s->ipopt_len = 8;
	memcpy(s->ipopts, "\x01\x83\x07\x04\xc6\x33\x64\x05", 8);
	run(t, "steps:\n  - expect: {flags: S, ip_options: \"01 83 07 04 c6 33 64 05\"}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_ipopts_mismatch(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);

	s->ipopt_len = 8;
	memcpy(s->ipopts, "\x01\x83\x07\x04\xc6\x33\x64\x06", 8);
	run(t, "steps:\n  - expect: {flags: S, ip_options: \"01 83 07 04 c6 33 64 05\"}\n");
	assert_verdict(t, TC_FAIL, 0, "ip_options expected 01 83 07 04 c6 33 64 05, got 01 83 07 04 c6 33 64 06");
}

static void test_ipopts_none_expected(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);

	s->ipopt_len = 4;
	memcpy(s->ipopts, "\x01\x01\x01\x00", 4);
	run(t, "steps:\n  - expect: {flags: S, ip_options: \"\"}\n");
	assert_verdict(t, TC_FAIL, 0, "ip_options expected none, got 01 01 01 00");
}

static void test_tos_mismatch(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->tos = 0x20;
	run(t, "steps:\n  - expect: {flags: S, tos: 0x28}\n");
	assert_verdict(t, TC_FAIL, 0, "tos expected 0x28, got 0x20");
}

static void test_tos_match(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->tos = 0x28;
	run(t, "steps:\n  - expect: {flags: S, tos: 40}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* ttl, tos, IP options and an address override reach the injected segment */
static void test_send_ip_fields(void **state)
{
	struct t *t = *state;
	struct seg_addr target, peer;

	run(t, "requires: [ip-level]\nsteps:\n  - send: {flags: S, seq: 0, ttl: 3, tos: 0x48, ip_options: \"01 01 01 00\", dst: multicast}\n"
	       "  - send: {flags: S, seq: 0, src: broadcast}\n");
	assert_verdict(t, TC_PASS, -1, "");
	engine_addrs(4, &target, &peer);
	assert_int_equal(t->f->ninj, 2);
	assert_int_equal(t->f->inj[0].ttl, 3);
	assert_int_equal(t->f->inj[0].tos, 0x48);
	assert_int_equal(t->f->inj[0].ipopt_len, 4);
	assert_memory_equal(t->f->inj[0].ipopts, "\x01\x01\x01\x00", 4);
	assert_memory_equal(t->f->inj[0].dst.bytes, "\xe0\x00\x00\x01", 4);
	assert_true(seg_addr_eq(&t->f->inj[0].src, &peer));
	assert_memory_equal(t->f->inj[1].src.bytes, "\xff\xff\xff\xff", 4);
	assert_true(seg_addr_eq(&t->f->inj[1].dst, &target));
	assert_int_equal(t->f->inj[1].ttl, 0);
	assert_int_equal(t->f->inj[1].ipopt_len, 0);
}

/* An ICMP error quotes the target's latest segment (IP header and 8 bytes:
 * the ports and its sequence number) and moves no sequence number. */
static void test_icmp_quotes_latest_segment(void **state)
{
	struct t *t = *state;
	const struct tc_seg *q;
	uint8_t want[4];
	char body[512];

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 2 * MS, SEG_ACK | SEG_PSH, 1, 1)->len = 10;
	snprintf(body, sizeof(body),
		 "requires: [ip-level]\n%s  - expect: {flags: PA, seq: 1, len: 10}\n"
		 "  - send: {icmp: 3, code: 1}\n"
		 "  - send: {flags: A}\n",
		 handshake);
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->ninj, 3);
	q = &t->f->inj[1];
	assert_true(q->icmp);
	assert_int_equal(q->icmp_type, 3);
	assert_int_equal(q->icmp_code, 1);
	assert_int_equal(q->icmp_qlen, 20 + 8);
	want[0] = (uint8_t)((FAKE_ISN + 1) >> 24);
	want[1] = (uint8_t)((FAKE_ISN + 1) >> 16);
	want[2] = (uint8_t)((FAKE_ISN + 1) >> 8);
	want[3] = (uint8_t)(FAKE_ISN + 1);
	assert_memory_equal(q->icmp_quote + 20 + 4, want, 4);
	assert_int_equal(q->icmp_quote[20] << 8 | q->icmp_quote[21], TC_DEFAULT_PORT);
	/* the ACK after it continues where the SYN,ACK left off */
	assert_int_equal(t->f->inj[2].seq, FAKE_PEER_ISN + 1);
}

static void test_icmp_before_any_target_segment(void **state)
{
	struct t *t = *state;

	run(t, "requires: [ip-level]\nsteps:\n  - send: {icmp: 3, code: 1}\n");
	assert_verdict(t, TC_ERROR, 0, "icmp: the target has sent no segment the error could quote");
}

/* a target whose wire is a real network is not sent ICMP errors */
static void test_ip_level_needs_the_cap(void **state)
{
	struct t *t = *state;

	t->f->ops.caps &= ~(unsigned)TC_CAP_IP_LEVEL;
	run(t, "requires: [ip-level]\nsteps:\n  - send: {flags: S, seq: 0, dst: multicast}\n");
	assert_verdict(t, TC_SKIP, -1, "ICMP errors and broadcast or multicast addresses");
	assert_int_equal(t->f->ninj, 0);
}

/* expect src (9293 3.9.1.1): the target's first or second address, the
 * same as before, or either; send dst: second, same */
static void test_expect_src_second_mismatch(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	run(t, "requires: [multihomed]\nsteps:\n  - expect: {flags: S, src: second}\n");
	assert_verdict(t, TC_FAIL, 0, "src expected 192.0.2.3 (its second address), got 192.0.2.1");
}

static void test_expect_src_same_and_dst_same(void **state)
{
	struct t *t = *state;
	struct seg_addr second;

	engine_addr2(4, &second);
	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->src = second;
	fake_emit(t->f, 5 * MS, SEG_ACK, 1, 1)->src = second;
	run(t, "requires: [multihomed]\nsteps:\n  - expect: {flags: S, src: own}\n"
	       "  - send: {flags: SA, seq: 0, ack: 1, dst: same}\n"
	       "  - expect: {flags: A, src: same}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_true(seg_addr_eq(&t->f->inj[0].dst, &second));
}

static void test_expect_src_same_changed(void **state)
{
	struct t *t = *state;
	struct seg_addr second;

	engine_addr2(4, &second);
	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->src = second;
	fake_emit(t->f, 5 * MS, SEG_ACK, 1, 1);
	run(t, "requires: [multihomed]\nsteps:\n  - expect: {flags: S, src: second}\n"
	       "  - send: {flags: SA, seq: 0, ack: 1, dst: second}\n"
	       "  - expect: {flags: A, src: same}\n");
	assert_verdict(t, TC_FAIL, 2, "src expected 192.0.2.3 (the address of its previous segment), got 192.0.2.1");
}

static const char syn_then_ack[] =
	"steps:\n"
	"  - expect: {flags: S}\n"
	"  - send: {flags: SA, seq: 0, ack: 1}\n";

static void test_win_rel(void **state)
{
	struct t *t = *state;
	char body[512];

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 1000;
	fake_emit(t->f, 2 * MS, SEG_ACK, 1, 1)->win = 900;
	snprintf(body, sizeof(body), "%s  - expect: {flags: A, win_rel: -100}\n", syn_then_ack);
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_win_rel_mismatch(void **state)
{
	struct t *t = *state;
	char body[512];

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 1000;
	fake_emit(t->f, 2 * MS, SEG_ACK, 1, 1)->win = 900;
	snprintf(body, sizeof(body), "%s  - expect: {flags: A, win_rel: -50}\n", syn_then_ack);
	run(t, body);
	assert_verdict(t, TC_FAIL, 2, "win expected 950 (first window 1000 -50), got 900 (first window -100)");
}

static void test_win_rel_on_the_syn_itself(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 1000;
	run(t, "steps:\n  - expect: {flags: S, win_rel: 0}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_win_rel_without_syn(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_RST, 0, 0);
	run(t, "steps:\n  - expect: {flags: R, win_rel: 0}\n");
	assert_verdict(t, TC_FAIL, 0, "win_rel +0: the target has sent no SYN");
}

static void test_urp_mismatch(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_ACK | SEG_URG, 1, 1)->urp = 3;
	run(t, "steps:\n  - expect: {flags: UA, urp: 4}\n");
	assert_verdict(t, TC_FAIL, 0, "urp expected 4 (0x4), got 3 (0x3)");
}

static void test_urp_match(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_ACK | SEG_URG, 1, 1)->urp = 3;
	run(t, "steps:\n  - expect: {flags: UA, urp: 3}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_options_empty_vs_one(void **state)
{
	struct t *t = *state;

	fake_add_opt(fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0), SEG_OPT_MSS, 1460);
	run(t, "steps:\n  - expect: {flags: S, options: []}\n");
	assert_verdict(t, TC_FAIL, 0, "options expected [], got [mss 1460]");
}

static void test_options_padding_ignored(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);

	fake_add_opt(s, SEG_OPT_NOP, 0);
	fake_add_opt(s, SEG_OPT_MSS, 1460);
	fake_add_opt(s, SEG_OPT_NOP, 0);
	fake_add_opt(s, SEG_OPT_WSCALE, 7);
	fake_add_opt(s, SEG_OPT_EOL, 0);
	run(t, "steps:\n  - expect: {flags: S, options: [mss 1460, nop, wscale 7]}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_options_only_padding_is_empty(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);

	fake_add_opt(s, SEG_OPT_NOP, 0);
	fake_add_opt(s, SEG_OPT_EOL, 0);
	run(t, "steps:\n  - expect: {flags: S, options: []}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* 9293 3.1 (MUST-69): opt_bytes compares the options area byte for byte,
 * padding included, which the option list's parse never reads. */
static void test_opt_bytes_match(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	static const uint8_t area[8] = {2, 4, 5, 0xb4, 0, 0, 0, 0};

	fake_add_opt(s, SEG_OPT_MSS, 1460);
	fake_add_opt(s, SEG_OPT_EOL, 0);
	s->optlen = sizeof(area);
	memcpy(s->optraw, area, sizeof(area));
	run(t, "steps:\n  - expect: {flags: S, opt_bytes: \"02 04 05 b4 00 00 00 0\"}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_opt_bytes_nonzero_padding(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	static const uint8_t area[8] = {2, 4, 5, 0xb4, 0, 0xaa, 0, 0};

	fake_add_opt(s, SEG_OPT_MSS, 1460);
	fake_add_opt(s, SEG_OPT_EOL, 0);
	s->optlen = sizeof(area);
	memcpy(s->optraw, area, sizeof(area));
	run(t, "steps:\n  - expect: {flags: S, options: [mss 1460], opt_bytes: \"02 04 05 b4 00 00 00 00\"}\n");
	assert_verdict(t, TC_FAIL, 0, "opt_bytes expected [02 04 05 b4 00 00 00 00], got [02 04 05 b4 00 aa 00 00]");
}

static void test_opt_bytes_shorter_area(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	static const uint8_t area[4] = {2, 4, 5, 0xb4};

	fake_add_opt(s, SEG_OPT_MSS, 1460);
	s->optlen = sizeof(area);
	memcpy(s->optraw, area, sizeof(area));
	run(t, "steps:\n  - expect: {flags: S, opt_bytes: \"02 04 05 b4 00 00 00 00\"}\n");
	assert_verdict(t, TC_FAIL, 0, "opt_bytes expected [02 04 05 b4 00 00 00 00], got [02 04 05 b4]");
}

static void test_options_value_mismatch(void **state)
{
	struct t *t = *state;

	fake_add_opt(fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0), SEG_OPT_MSS, 536);
	run(t, "steps:\n  - expect: {flags: S, options: [mss 1460]}\n");
	assert_verdict(t, TC_FAIL, 0, "options expected [mss 1460], got [mss 536]");
}

static void test_options_any_value(void **state)
{
	struct t *t = *state;

	fake_add_opt(fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0), SEG_OPT_MSS, 536);
	run(t, "steps:\n  - expect: {flags: S, options: [mss]}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_options_any_value_wrong_kind(void **state)
{
	struct t *t = *state;

	fake_add_opt(fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0), SEG_OPT_WSCALE, 7);
	run(t, "steps:\n  - expect: {flags: S, options: [mss]}\n");
	assert_verdict(t, TC_FAIL, 0, "options expected [mss (any value)], got [wscale 7]");
}

static void test_options_missing_one(void **state)
{
	struct t *t = *state;

	fake_add_opt(fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0), SEG_OPT_MSS, 1460);
	run(t, "steps:\n  - expect: {flags: S, options: [mss 1460, sackOK]}\n");
	assert_verdict(t, TC_FAIL, 0, "options expected [mss 1460,sackOK], got [mss 1460]");
}

/* ---- RFC 7323 timestamps and RFC 2018 SACK blocks as cases name them -- */

static void add_ts(struct tc_seg *s, uint32_t val, uint32_t ecr)
{
	struct seg_opt o = {.kind = SEG_OPT_TS};

	o.u.ts.val = val;
	o.u.ts.ecr = ecr;
	assert_int_equal(seg_add_opt(s, &o), 0);
}

static void add_sack(struct tc_seg *s, uint32_t left, uint32_t right)
{
	struct seg_opt o = {.kind = SEG_OPT_SACK};

	o.u.sack.n = 1;
	o.u.sack.b[0].left = left;
	o.u.sack.b[0].right = right;
	assert_int_equal(seg_add_opt(s, &o), 0);
}

static const char send_ts77[] = "steps:\n  - send: {flags: A, options: [ts val 77 ecr 0]}\n";

static void test_ts_ecr_peer_match(void **state)
{
	struct t *t = *state;
	char body[256];

	add_ts(fake_emit(t->f, 1 * MS, SEG_ACK, 1, 1), 9, 77);
	snprintf(body, sizeof(body), "%s  - expect: {flags: A, options: [ts val any ecr peer]}\n", send_ts77);
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_ts_ecr_peer_mismatch(void **state)
{
	struct t *t = *state;
	char body[256];

	add_ts(fake_emit(t->f, 1 * MS, SEG_ACK, 1, 1), 9, 76);
	snprintf(body, sizeof(body), "%s  - expect: {flags: A, options: [ts val any ecr peer]}\n", send_ts77);
	run(t, body);
	assert_verdict(t, TC_FAIL, 1,
		       "options expected [TS val any ecr peer], got [TS val 9 ecr 76] (peer's latest TSval 77,");
}

/* `peer` is the latest TSval sent, not the first */
static void test_ts_ecr_peer_is_latest(void **state)
{
	struct t *t = *state;
	char body[384];

	add_ts(fake_emit(t->f, 1 * MS, SEG_ACK, 1, 1), 9, 77);
	snprintf(body, sizeof(body), "%s  - send: {flags: A, options: [ts val 78 ecr 0]}\n"
		 "  - expect: {flags: A, options: [ts val any ecr peer]}\n", send_ts77);
	run(t, body);
	assert_verdict(t, TC_FAIL, 2, "got [TS val 9 ecr 77] (peer's latest TSval 78,");
}

static void test_ts_ecr_peer_before_any_send(void **state)
{
	struct t *t = *state;

	add_ts(fake_emit(t->f, 1 * MS, SEG_ACK, 1, 1), 9, 0);
	run(t, "steps:\n  - expect: {flags: A, options: [ts val any ecr peer]}\n");
	assert_verdict(t, TC_FAIL, 0, "(peer's latest TSval none yet, target's first TSval 9)");
}

static void test_ts_val_any_checks_ecr(void **state)
{
	struct t *t = *state;

	add_ts(fake_emit(t->f, 1 * MS, SEG_ACK, 1, 1), 9, 4);
	run(t, "steps:\n  - expect: {flags: A, options: [ts val any ecr 5]}\n");
	assert_verdict(t, TC_FAIL, 0, "options expected [TS val any ecr 5], got [TS val 9 ecr 4]");
}

/* +N~T: from the target's first TSval, T ticks either side */
static void run_ts_rel(struct t *t, uint32_t first, uint32_t later, const char *spec)
{
	char body[256];

	add_ts(fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0), first, 0);
	add_ts(fake_emit(t->f, 2 * MS, SEG_ACK, 1, 1), later, 0);
	snprintf(body, sizeof(body),
		 "steps:\n  - expect: {flags: S, options: [ts val +0 ecr 0]}\n  - expect: {flags: A, options: [ts val %s ecr 0]}\n",
		 spec);
	run(t, body);
}

static void test_ts_rel_late_edge(void **state)
{
	run_ts_rel(*state, 1000, 1105, "+100~5");
	assert_verdict(*state, TC_PASS, -1, "");
}

static void test_ts_rel_past_late_edge(void **state)
{
	run_ts_rel(*state, 1000, 1106, "+100~5");
	assert_verdict(*state, TC_FAIL, 1, "options expected [TS val +100~5 ecr 0], got [TS val 1106 ecr 0]");
}

static void test_ts_rel_early_edge(void **state)
{
	run_ts_rel(*state, 1000, 1095, "+100~5");
	assert_verdict(*state, TC_PASS, -1, "");
}

static void test_ts_rel_past_early_edge(void **state)
{
	run_ts_rel(*state, 1000, 1094, "+100~5");
	assert_verdict(*state, TC_FAIL, 1, "got [TS val 1094 ecr 0]");
}

static void test_ts_rel_exact_without_tolerance(void **state)
{
	run_ts_rel(*state, 1000, 1101, "+100");
	assert_verdict(*state, TC_FAIL, 1, "got [TS val 1101 ecr 0]");
}

/* RFC 7323 5.2: modulo 2^32 */
static void test_ts_rel_wraps(void **state)
{
	run_ts_rel(*state, 4294967290u, 10, "+16~0");
	assert_verdict(*state, TC_PASS, -1, "");
}

static void test_sack_relative_to_peer_isn(void **state)
{
	struct t *t = *state;

	add_sack(fake_emit(t->f, 1 * MS, SEG_ACK, 1, 1), FAKE_PEER_ISN + 101, FAKE_PEER_ISN + 151);
	run(t, "steps:\n  - expect: {flags: A, options: [sack 101-151]}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_sack_relative_mismatch(void **state)
{
	struct t *t = *state;

	add_sack(fake_emit(t->f, 1 * MS, SEG_ACK, 1, 1), FAKE_PEER_ISN + 101, FAKE_PEER_ISN + 152);
	run(t, "steps:\n  - expect: {flags: A, options: [sack 101-151]}\n");
	assert_verdict(t, TC_FAIL, 0, "options expected [sack 101-151 (relative)], got [sack");
}

static void test_sack_absolute_stays_absolute(void **state)
{
	struct t *t = *state;

	add_sack(fake_emit(t->f, 1 * MS, SEG_ACK, 1, 1), FAKE_PEER_ISN + 101, FAKE_PEER_ISN + 151);
	run(t, "steps:\n  - expect: {flags: A, options: [sack 101:151]}\n");
	assert_verdict(t, TC_FAIL, 0, "options expected [sack 1 {101:151}]");
}

/* a send's `ecr target` echoes the target's latest TSval */
static void test_send_ecr_target(void **state)
{
	struct t *t = *state;

	add_ts(fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0), 4242, 0);
	add_ts(fake_emit(t->f, 2 * MS, SEG_ACK, 1, 1), 4300, 0);
	run(t, "steps:\n  - expect: {flags: S}\n  - send: {flags: SA, options: [ts val 1 ecr target]}\n"
	       "  - expect: {flags: A}\n  - send: {flags: A, options: [ts val 2 ecr target]}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->ninj, 2);
	assert_int_equal(t->f->inj[0].opts[0].u.ts.val, 1);
	assert_int_equal(t->f->inj[0].opts[0].u.ts.ecr, 4242);
	assert_int_equal(t->f->inj[1].opts[0].u.ts.ecr, 4300);
}

/* a send's relative SACK blocks count from the target's ISN */
static void test_send_sack_relative(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n  - expect: {flags: S}\n  - send: {flags: A, options: [sack 1-11]}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->inj[0].opts[0].u.sack.b[0].left, FAKE_ISN + 1);
	assert_int_equal(t->f->inj[0].opts[0].u.sack.b[0].right, FAKE_ISN + 11);
}

/* the case's profile reaches the target */
static void test_profile_reaches_target(void **state)
{
	struct t *t = *state;

	run(t, "profile: default\nsteps: [{wait: 1ms}]\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->conf.profile, TC_SP_DEFAULT);
}

static void test_payload_length_mismatch(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_ACK | SEG_PSH, 1, 1)->len = 4;
	run(t, "steps:\n  - expect: {flags: PA, len: 3}\n");
	assert_verdict(t, TC_FAIL, 0, "payload length expected 3 (0x3), got 4 (0x4)");
}

static struct tc_seg *emit_data(struct fake *f, const char *text)
{
	struct tc_seg *s = fake_emit(f, 1 * MS, SEG_ACK | SEG_PSH, 1, 1);

	s->len = (uint16_t)strlen(text);
	memcpy(s->payload, text, s->len);
	return s;
}

static void test_payload_bytes_mismatch(void **state)
{
	struct t *t = *state;

	emit_data(t->f, "abd");
	run(t, "steps:\n  - expect: {flags: PA, data: \"abc\"}\n");
	assert_verdict(t, TC_FAIL, 0, "payload byte 2 expected 0x63, got 0x64");
}

static void test_payload_bytes_match(void **state)
{
	struct t *t = *state;

	emit_data(t->f, "abc");
	run(t, "steps:\n  - expect: {flags: PA, data: \"abc\", len: 3}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_bad_checksum(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->bad_csum = true;
	run(t, "steps:\n  - expect: {flags: S}\n");
	assert_verdict(t, TC_FAIL, 0, "the segment's checksum is wrong");
}

/* ---- every field that differs, not only the first --------------------- */

/* The message's first line: the summary deviations' `fails:` match on. */
static void first_line(const struct t *t, char *buf, size_t cap)
{
	size_t n = strcspn(t->r->msg, "\n");

	snprintf(buf, cap, "%.*s", (int)n, t->r->msg);
}

/* frag occurs in the message after position *at; *at moves past it (but
 * not past a final newline, which the next line's fragment starts with),
 * so a series of calls checks the order too. */
static void assert_after(const struct t *t, const char **at, const char *frag)
{
	const char *p = strstr(*at, frag);

	if (!p)
		fail_msg("\"%s\" not found (in this order) in: %s", frag, t->r->msg);
	*at = p + strlen(frag) - (frag[0] && frag[strlen(frag) - 1] == '\n');
}

static void test_every_differing_field_listed(void **state)
{
	struct t *t = *state;
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN | SEG_ACK | SEG_ECE, 1, 2);
	char first[512];
	const char *at;

	s->win = 2000;
	s->urp = 3;
	s->bad_csum = true;
	fake_add_opt(s, SEG_OPT_MSS, 536);
	/* seq_abs: a relative seq would count from this very SYN */
	run(t, "steps:\n  - expect: {flags: SA, seq_abs: 5000, ack: 1, win: 1000, urp: 4, options: [mss 1460]}\n");
	first_line(t, first, sizeof(first));
	assert_string_equal(first, "flags expected [SA], got [SAE] (and 6 more fields below)");
	assert_verdict(t, TC_FAIL, 0, "flags expected [SA], got [SAE]");
	at = t->r->msg;
	assert_after(t, &at, "\n  expected: ");
	assert_after(t, &at, "\n  got:      ");
	assert_after(t, &at, "\n  flags: expected [SA], got [SAE]\n");
	assert_after(t, &at, "\n  seq: expected 5000 (abs 5000), got 5001 (abs 5001)\n");
	assert_after(t, &at, "\n  ack: expected 1 (abs 1000001), got 2 (abs 1000002)\n");
	assert_after(t, &at, "\n  win: expected 1000 (0x3e8), got 2000 (0x7d0)\n");
	assert_after(t, &at, "\n  urp: expected 4 (0x4), got 3 (0x3)\n");
	assert_after(t, &at, "\n  options: expected [mss 1460], got [mss 536]\n");
	assert_after(t, &at, "\n  the segment's checksum is wrong\n");
	assert_after(t, &at, "\n  last segments");
}

/* One field that differs: the message is what it always was, no list. */
static void test_one_differing_field_no_list(void **state)
{
	struct t *t = *state;
	char first[512];

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run(t, "steps:\n  - expect: {flags: S, seq: 0, win: 1000}\n");
	first_line(t, first, sizeof(first));
	assert_string_equal(first, "win expected 1000 (0x3e8), got 2000 (0x7d0)");
	assert_null(strstr(t->r->msg, "\n  win:"));
	assert_null(strstr(t->r->msg, "more field"));
}

static const char alphabet40[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD";

/* 16 bytes before the first difference and 16 after, both sides, hex and
 * ASCII, each row with its offset; nothing further away. */
static void test_payload_diff_window(void **state)
{
	struct t *t = *state;
	char got[64], body[256];
	const char *at;

	snprintf(got, sizeof(got), "%s", alphabet40);
	got[20] = 'X'; /* was 'k' */
	emit_data(t->f, got);
	snprintf(body, sizeof(body), "steps:\n  - expect: {flags: PA, data: \"%s\"}\n", alphabet40);
	run(t, body);
	assert_verdict(t, TC_FAIL, 0, "payload byte 20 expected 0x6b, got 0x58");
	at = t->r->msg;
	assert_after(t, &at, "\n  payload: first difference at byte 20 (expected 40 bytes, got 40):");
	assert_after(t, &at, "\n    expected     4  34 35 36 37 38 39 61 62 63 64 65 66 67 68 69 6a  |456789abcdefghij|");
	assert_after(t, &at, "\n                20  6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a  |klmnopqrstuvwxyz|");
	assert_after(t, &at, "\n                36  41 ");
	assert_after(t, &at, "|A|");
	assert_after(t, &at, "\n    got          4  34 35 36 37 38 39 61 62 63 64 65 66 67 68 69 6a  |456789abcdefghij|");
	assert_after(t, &at, "\n                20  58 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a  |Xlmnopqrstuvwxyz|");
	assert_after(t, &at, "|A|");
	assert_null(strstr(t->r->msg, "|0123")); /* byte 3 is 17 before */
	assert_null(strstr(t->r->msg, "|AB")); /* byte 37 is 17 after */
	/* one field differs: no field list, the window is there all the same */
	assert_null(strstr(t->r->msg, "\n  payload byte 20:"));
}

/* A length that differs no longer hides the bytes that differ. */
static void test_payload_length_and_bytes(void **state)
{
	struct t *t = *state;
	const char *at;

	emit_data(t->f, "abdzz");
	run(t, "steps:\n  - expect: {flags: PA, data: \"abc\"}\n");
	assert_verdict(t, TC_FAIL, 0, "payload length expected 3 (0x3), got 5 (0x5) (and 1 more field below)");
	at = t->r->msg;
	assert_after(t, &at, "\n  payload length: expected 3 (0x3), got 5 (0x5)\n");
	assert_after(t, &at, "\n  payload byte 2: expected 0x63, got 0x64\n");
	assert_after(t, &at, "\n  payload: first difference at byte 2 (expected 3 bytes, got 5):");
	assert_after(t, &at, "|abc|");
	assert_after(t, &at, "|abdzz|");
}

/* The bytes agree as far as the shorter side goes: the window shows where
 * one side ends. */
static void test_payload_short_prefix(void **state)
{
	struct t *t = *state;
	const char *at;

	emit_data(t->f, "abc");
	run(t, "steps:\n  - expect: {flags: PA, data: \"abcdef\"}\n");
	assert_verdict(t, TC_FAIL, 0, "payload length expected 6 (0x6), got 3 (0x3)");
	assert_null(strstr(t->r->msg, "more field"));
	at = t->r->msg;
	assert_after(t, &at, "\n  payload: first difference at byte 3 (expected 6 bytes, got 3):");
	assert_after(t, &at, "|abcdef|");
	assert_after(t, &at, "|abc|");
}

/* A payload that differs at byte 0 has nothing before it. */
static void test_payload_diff_at_start(void **state)
{
	struct t *t = *state;
	const char *at;

	emit_data(t->f, "Xbc");
	run(t, "steps:\n  - expect: {flags: PA, data: \"abc\"}\n");
	assert_verdict(t, TC_FAIL, 0, "payload byte 0 expected 0x61, got 0x58");
	at = t->r->msg;
	assert_after(t, &at, "\n  payload: first difference at byte 0 (expected 3 bytes, got 3):");
	assert_after(t, &at, "\n    expected     0  61 62 63 ");
	assert_after(t, &at, "\n    got          0  58 62 63 ");
}

/* expect: {} takes any segment. */
static void test_expect_anything(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_FIN | SEG_ACK, 9, 9)->win = 7;
	run(t, "steps:\n  - expect: {}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* ---- what the injector sends ------------------------------------------ */

static void test_send_fills_from_the_connection(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN | SEG_ACK, 0, 1);
	run(t, "steps:\n"
	       "  - send: {flags: S}\n"
	       "  - expect: {flags: SA, seq: 0, ack: 1}\n"
	       "  - send: {flags: A}\n"
	       "  - send: {flags: PA, data: \"hi\", win: 512}\n"
	       "  - send: {flags: A, seq: 10, ack: 5, bad_csum: true}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->ninj, 4);
	assert_int_equal(t->f->inj[0].seq, FAKE_PEER_ISN);
	assert_int_equal(t->f->inj[0].win, 65535);
	assert_int_equal(t->f->inj[0].dport, TC_DEFAULT_PORT);
	assert_int_equal(t->f->inj[0].sport, t->f->conf.peer_port);
	assert_int_equal(t->f->inj[1].seq, FAKE_PEER_ISN + 1);
	assert_int_equal(t->f->inj[1].ack, FAKE_ISN + 1);
	assert_int_equal(t->f->inj[2].seq, FAKE_PEER_ISN + 1);
	assert_int_equal(t->f->inj[2].len, 2);
	assert_memory_equal(t->f->inj[2].payload, "hi", 2);
	assert_int_equal(t->f->inj[2].win, 512);
	assert_int_equal(t->f->inj[3].seq, FAKE_PEER_ISN + 10);
	assert_int_equal(t->f->inj[3].ack, FAKE_ISN + 5);
	assert_true(t->f->inj[3].bad_csum);
	assert_int_equal(t->f->inj_at[1], 1 * MS);
}

/* ---- state, app, and the target breaking -------------------------------- */

static void test_state_match(void **state)
{
	struct t *t = *state;

	fake_state_answer(t->f, TC_LISTEN);
	run(t, "requires: [state]\nsteps:\n  - app: listen\n  - state: LISTEN\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_state_mismatch(void **state)
{
	struct t *t = *state;

	fake_state_answer(t->f, TC_LISTEN);
	run(t, "requires: [state]\nsteps:\n  - app: listen\n  - state: ESTABLISHED\n");
	assert_verdict(t, TC_FAIL, 1, "state expected ESTABLISHED, got LISTEN");
}

static void test_state_read_error(void **state)
{
	struct t *t = *state;

	run(t, "steps:\n  - state: LISTEN\n");
	assert_verdict(t, TC_ERROR, 0, "state: fake: the script has no state");
}

static void test_app_fails_target(void **state)
{
	struct t *t = *state;

	fake_app_answer(t->f, TC_OK, NULL);
	fake_app_answer(t->f, TC_ERR_TARGET, "connection refused");
	run(t, "steps:\n  - app: listen\n  - app: connect\n");
	assert_verdict(t, TC_FAIL, 1, "app connect: connection refused");
}

static void test_app_fails_system(void **state)
{
	struct t *t = *state;

	fake_app_answer(t->f, TC_ERR_SYSTEM, "the helper died");
	run(t, "steps:\n  - app: connect\n");
	assert_verdict(t, TC_ERROR, 0, "app connect: the helper died");
}


/* ---- app results: error, returns, recv's bytes, poll ------------------- */

/* error: the call must fail with exactly that errno. */
static void test_app_error_expected(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, ECONNRESET, 0, false, NULL);
	run(t, "steps:\n  - app: recv 1\n    error: ECONNRESET\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_app_error_expected_success_fails(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 0, false, NULL);
	run(t, "steps:\n  - app: recv 1\n    returns: 0\n  - app: recv 1\n    error: ECONNRESET\n");
	assert_verdict(t, TC_FAIL, 1, "app recv 1: expected error ECONNRESET (connection reset");
	assert_non_null(strstr(t->r->msg, "got success: returned 1 bytes read"));
}

static void test_app_error_other_errno_fails(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, EPIPE, 0, false, NULL);
	run(t, "steps:\n  - app: send 3\n    error: ECONNRESET\n");
	assert_verdict(t, TC_FAIL, 0, "expected error ECONNRESET");
	assert_non_null(strstr(t->r->msg, "got EPIPE (connection closing"));
}

/* A call that fails where the step expects success fails the step. */
static void test_app_unexpected_errno_fails(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, ECONNREFUSED, 0, false, NULL);
	run(t, "steps:\n  - app: connect-result\n");
	assert_verdict(t, TC_FAIL, 0, "app connect-result: failed with ECONNREFUSED");
}

/* returns: the value must be exactly that. */
static void test_app_returns(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 0, false, NULL);
	fake_app_result(t->f, 0, 2, false, "ab");
	run(t, "steps:\n  - app: recv 10\n    returns: 0\n  - app: recv 10\n    returns: 0\n");
	assert_verdict(t, TC_FAIL, 1, "app recv 10: returned 2 bytes read, expected 0");
}

static void test_app_getsockopt_returns(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 1000, false, NULL);
	fake_app_result(t->f, 0, 536, false, NULL);
	run(t, "requires: [TCP_MAXSEG]\nsteps:\n  - app: getsockopt TCP_MAXSEG\n    returns: 1000\n"
	       "  - app: getsockopt TCP_MAXSEG\n    returns: 1000\n");
	assert_verdict(t, TC_FAIL, 1, "app getsockopt TCP_MAXSEG: returned 536, expected 1000");
}

/* send queues every byte unless returns says otherwise. */
static void test_app_send_short(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 4096, false, NULL);
	run(t, "steps:\n  - app: send 65536\n");
	assert_verdict(t, TC_FAIL, 0, "app send 65536: returned 4096 bytes queued, expected 65536");
}

/* recv N reads exactly N: fewer, or more still readable, fail it. */
static void test_app_recv_exact(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 5, false, NULL);
	fake_app_result(t->f, 0, 5, true, NULL);
	run(t, "steps:\n  - app: recv 5\n  - app: recv 5\n");
	assert_verdict(t, TC_FAIL, 1, "read 5 bytes and more were readable: expected exactly 5");
}

static void test_app_recv_fewer(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 3, false, NULL);
	run(t, "steps:\n  - app: recv 5\n");
	assert_verdict(t, TC_FAIL, 0, "returned 3 bytes read, expected 5");
}

static void test_app_recv_atleast(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 5, true, NULL);
	run(t, "steps:\n  - app: recv_atleast 5\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* recv "text" and recv N + data compare the bytes read. */
static void test_app_recv_bytes(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 5, false, "hello");
	fake_app_result(t->f, 0, 5, false, "help!");
	run(t, "steps:\n  - app: recv \"hello\"\n  - app: recv 5\n    data: hello\n");
	assert_verdict(t, TC_FAIL, 1, "app recv 5: read byte 3 as 0x70 'p', expected 0x6c 'l'");
}

/* poll: ready unless `none`; within is resolved on the target's profile. */
static void test_app_poll(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 1, false, NULL);
	fake_app_result(t->f, 0, 1, false, NULL);
	run(t, "steps:\n  - app: poll readable within 2rto\n  - app: poll readable none\n");
	assert_verdict(t, TC_FAIL, 1, "app poll readable none within 0.000 ms: returned 1 (1 ready, 0 not), expected 0");
}

static void test_app_poll_within_resolved(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, 0, 0, false, NULL);
	run(t, "steps:\n  - app: poll writable within 2rto\n");
	assert_verdict(t, TC_FAIL, 0, "returned 0 (1 ready, 0 not), expected 1");
	assert_int_equal(t->f->last_app.within_us, 2 * t->f->prof.rto_us);
}

/* on: TARGET: error/returns replace the step's there. */
static void test_app_override_result(void **state)
{
	struct t *t = *state;

	fake_app_result(t->f, EPIPE, 0, false, NULL);
	run(t, "steps:\n  - app: send 1\n    error: ECONNRESET\n    on: {fake: {reason: r, error: EPIPE}}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* A case needing a socket option the target lacks is skipped, naming it. */
static void test_requires_sockopt(void **state)
{
	struct t *t = *state;

	t->f->ops.sockopts = 1u << TC_SO_LINGER;
	run(t, "requires: [SO_LINGER, TCP_NODELAY]\nsteps:\n  - app: setsockopt TCP_NODELAY 1\n");
	assert_verdict(t, TC_SKIP, -1, "target fake lacks the socket option TCP_NODELAY");
}

static void test_requires_urgent(void **state)
{
	struct t *t = *state;

	t->f->ops.caps &= ~(unsigned)TC_CAP_URGENT;
	run(t, "requires: [urgent]\nsteps:\n  - app: send_urgent 1\n");
	assert_verdict(t, TC_SKIP, -1, "target fake lacks urgent data");
}

static void test_capture_error(void **state)
{
	struct t *t = *state;

	t->f->capture_fails_at = 1;
	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n  - app: connect\n  - expect: {flags: S}\n");
	assert_verdict(t, TC_ERROR, 1, "expect: fake capture broke");
}

static void test_capture_error_in_wait(void **state)
{
	struct t *t = *state;

	t->f->capture_fails_at = 1;
	run(t, "steps:\n  - wait: 1s\n");
	assert_verdict(t, TC_ERROR, 0, "wait: fake capture broke");
}

static void test_capture_error_after_last_step(void **state)
{
	struct t *t = *state;

	t->f->capture_fails_at = 2;
	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n  - app: connect\n  - expect: {flags: S}\n");
	assert_verdict(t, TC_ERROR, 1, "after the last step: fake capture broke");
}

static void test_open_unsupported_is_skip(void **state)
{
	struct t *t = *state;

	t->f->open_code = TC_ERR_UNSUPPORTED;
	run(t, "steps:\n  - app: connect\n");
	assert_verdict(t, TC_SKIP, -1, "fake cannot open this case");
}

static void test_open_error_is_error(void **state)
{
	struct t *t = *state;

	t->f->open_code = TC_ERR_SYSTEM;
	run(t, "steps:\n  - app: connect\n");
	assert_verdict(t, TC_ERROR, -1, "target fake: fake cannot open this case");
}

/* ---- what runs where: capabilities, skip, on ---------------------------- */

static void test_requires_state_without_cap(void **state)
{
	struct t *t = *state;

	t->f->ops.caps = TC_CAP_APP;
	run(t, "requires: [state]\nsteps:\n  - state: LISTEN\n");
	assert_verdict(t, TC_SKIP, -1, "target fake lacks exact state reads");
	assert_int_equal(t->f->opened, 0);
}

static void test_requires_app_without_cap(void **state)
{
	struct t *t = *state;

	t->f->ops.caps = TC_CAP_STATE;
	run(t, "requires: [app]\nsteps:\n  - app: listen\n");
	assert_verdict(t, TC_SKIP, -1, "target fake lacks application control");
}

static void test_requires_virtual_time_without_cap(void **state)
{
	struct t *t = *state;

	t->f->ops.caps = TC_CAP_APP | TC_CAP_STATE;
	run(t, "requires: [virtual-time]\nsteps:\n  - wait: 1s\n");
	assert_verdict(t, TC_SKIP, -1, "target fake lacks virtual time");
}

static void test_requires_met(void **state)
{
	struct t *t = *state;

	fake_state_answer(t->f, TC_CLOSED);
	run(t, "requires: [app, state, virtual-time]\nsteps:\n  - app: listen\n  - state: CLOSED\n");
	assert_verdict(t, TC_PASS, -1, "");
}


/* ---- a run that offers ports instead of app and state (remote) ---------- */

static const char open_port_case[] =
	"requires: [app, state, open-port]\n"
	"steps:\n"
	"  - app: listen\n"
	"  - state: LISTEN\n"
	"  - send: {flags: S, seq: 0}\n"
	"  - expect: {flags: SA, ack: 1, within: 100ms}\n"
	"  - app: accept\n";

/* The far host's listener stands for listen and accept, and the state step
 * is informational: neither reaches the target (a scripted failing app and
 * a wrong state would fail the case if they did), the segments still
 * decide. */
static void test_open_port_without_app(void **state)
{
	struct t *t = *state;

	t->f->ops.caps = TC_CAP_OPEN_PORT;
	fake_app_answer(t->f, TC_ERR_TARGET, "the app was driven");
	fake_state_answer(t->f, TC_CLOSED);
	fake_emit(t->f, 10 * MS, SEG_SYN | SEG_ACK, 0, 1);
	run(t, open_port_case);
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->apppos, 0);
	assert_int_equal(t->f->statepos, 0);
	assert_non_null(strstr(t->r->log, "listening port stands for it"));
	/* the segments are still checked: a wrong answer fails */
	t->f->nout = t->f->outpos = 0;
	fake_emit(t->f, 10 * MS, SEG_RST | SEG_ACK, 0, 1);
	run(t, open_port_case);
	assert_verdict(t, TC_FAIL, 3, "flags");
}

static void test_port_needs_without_cap(void **state)
{
	struct t *t = *state;

	/* a case that needs app for more than a port */
	t->f->ops.caps = TC_CAP_OPEN_PORT | TC_CAP_CLOSED_PORT;
	run(t, "requires: [app]\nsteps:\n  - app: connect\n");
	assert_verdict(t, TC_SKIP, -1, "target fake lacks application control");
	/* a closed port the run does not offer */
	t->f->ops.caps = TC_CAP_OPEN_PORT;
	run(t, "requires: [closed-port]\nsteps:\n  - state: CLOSED\n");
	assert_verdict(t, TC_SKIP, -1, "target fake lacks a closed port");
	/* with state reads and app, ports need nothing more */
	t->f->ops.caps = TC_CAP_APP | TC_CAP_STATE;
	fake_state_answer(t->f, TC_CLOSED);
	run(t, "requires: [closed-port]\nsteps:\n  - state: CLOSED\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->statepos, 1);
	/* the run's caps win over the ops' */
	t->f->ops.caps = TC_CAP_APP | TC_CAP_STATE;
	t->f->run.caps = TC_CAP_STATE;
	run(t, "requires: [app]\nsteps:\n  - app: connect\n");
	t->f->run.caps = 0;
	assert_verdict(t, TC_SKIP, -1, "target fake lacks application control");
}

static int addrs_remote(struct tc_target_run *run, int family, struct tc_case_addrs *io, struct tc_err *err)
{
	(void)run;
	if (family != 4)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "fake: IPv4 only");
	assert_int_equal(io->port, 8080);
	assert_int_equal(io->needs, TC_REQ_CLOSED_PORT);
	seg_addr_parse("198.51.100.2", &io->target);
	seg_addr_parse("198.51.100.1", &io->peer);
	io->port = 9999;
	io->peer_port = (uint16_t)(61001 + io->run_index);
	return 0;
}

static void test_run_addrs(void **state)
{
	struct t *t = *state;
	struct seg_addr want_dst, want_src;

	t->f->ops.run_addrs = addrs_remote;
	run(t, "requires: [closed-port]\nsteps:\n  - send: {flags: S, seq: 0}\n");
	assert_verdict(t, TC_PASS, -1, "");
	seg_addr_parse("198.51.100.2", &want_dst);
	seg_addr_parse("198.51.100.1", &want_src);
	assert_int_equal(t->f->ninj, 1);
	assert_memory_equal(&t->f->inj[0].dst, &want_dst, sizeof(want_dst));
	assert_memory_equal(&t->f->inj[0].src, &want_src, sizeof(want_src));
	assert_int_equal(t->f->inj[0].dport, 9999);
	assert_int_equal(t->f->inj[0].sport, 61001);
	assert_int_equal(t->f->conf.port, 9999);
	t->family = 6;
	run(t, "requires: [closed-port]\nsteps:\n  - send: {flags: S, seq: 0}\n");
	assert_verdict(t, TC_SKIP, -1, "fake: IPv4 only");
	assert_int_equal(t->f->ninj, 1);
}

/* --stack: the run's override name picks on:, deviations: and skip:. */
static void test_override_name(void **state)
{
	struct t *t = *state;
	static const char body[] =
		"steps:\n"
		"  - expect: {flags: S, within: 10ms}\n"
		"    on:\n"
		"      linux: {skip: true, reason: \"linux sends nothing here\"}\n";

	run(t, body);
	assert_verdict(t, TC_FAIL, 0, "nothing arrived");
	t->f->run.override_name = "linux";
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
	run(t, "skip: {linux: \"not on linux\"}\nsteps:\n  - wait: 1s\n");
	assert_verdict(t, TC_SKIP, -1, "not for linux: not on linux");
	run(t, "deviations: {linux: {reason: \"r\", step: 1}}\nsteps:\n  - expect: {flags: S, within: 10ms}\n");
	assert_verdict(t, TC_SKIP, 0, "known deviation on linux");
	t->f->run.override_name = NULL;
}

/* A target that inherits (ref-net from ref) takes the base's override of
 * a step that names none for it, and only its own where it names one. */
static void test_override_inherited(void **state)
{
	struct t *t = *state;
	static const char body[] =
		"steps:\n"
		"  - expect: {flags: S, within: 10ms}\n"
		"    on:\n"
		"      ref: {skip: true, reason: \"ref sends nothing here\"}\n"
		"  - expect: {flags: S, within: 10ms}\n"
		"    on:\n"
		"      ref: {skip: true, reason: \"ref sends nothing here\"}\n"
		"      ref-net: {win: 7, reason: \"ref-net's own\"}\n";

	t->f->run.override_name = "ref-net";
	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 7;
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
	assert_non_null(strstr(t->r->log, "skipped on ref: ref sends nothing here"));
	t->f->run.override_name = NULL;
}

/* A rate limit holds a segment back before its stamp: `after` counts from
 * when it really left. */
static int pace_100ms(struct tc_target *tt, struct tc_err *err)
{
	(void)err;
	fake_of(tt)->now += 100 * MS;
	return 0;
}

static void test_pace_before_stamp(void **state)
{
	struct t *t = *state;

	t->f->ops.pace = pace_100ms;
	fake_emit(t->f, 130 * MS, SEG_SYN | SEG_ACK, 0, 1);
	run(t, "steps:\n  - send: {flags: S, seq: 0}\n  - expect: {flags: SA, after: 50ms, within: 100ms}\n");
	assert_verdict(t, TC_FAIL, 1, "arrived too early: 30.000 ms since step 1 (send)");
	assert_int_equal(t->f->inj_at[0], 100 * MS);
}

static void test_case_skip_for_target(void **state)
{
	struct t *t = *state;

	run(t, "skip: {fake: \"its sockets cannot say this\"}\nsteps:\n  - app: connect\n");
	assert_verdict(t, TC_SKIP, -1, "not for fake: its sockets cannot say this");
	assert_int_equal(t->f->opened, 0);
}

static void test_case_skip_for_other_target(void **state)
{
	struct t *t = *state;

	run(t, "skip: {other: \"not this one\"}\nsteps:\n  - app: connect\n");
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_override_replaces_field(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run(t, "steps:\n"
	       "  - expect: {flags: S, win: 1000}\n"
	       "    on: {fake: {win: 2000, reason: \"the fake starts wider\"}}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_non_null(strstr(t->r->log, "changed on fake: the fake starts wider"));
}

/* The fields the override does not give stay: flags are still checked. */
static void test_override_keeps_other_fields(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN | SEG_ACK, 0, 1)->win = 2000;
	run(t, "steps:\n"
	       "  - expect: {flags: S, win: 1000}\n"
	       "    on: {fake: {win: 2000, reason: \"the fake starts wider\"}}\n");
	assert_verdict(t, TC_FAIL, 0, "flags expected [S], got [SA]");
}

static void test_override_for_other_target(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run(t, "steps:\n"
	       "  - expect: {flags: S, win: 1000}\n"
	       "    on: {other: {win: 2000, reason: \"another stack\"}}\n");
	assert_verdict(t, TC_FAIL, 0, "win expected 1000");
}

/* `on: v6:` applies on IPv6 only. */
static void test_override_for_family(void **state)
{
	struct t *t = *state;
	static const char body[] = "steps:\n"
				   "  - expect: {flags: S, win: 1000}\n"
				   "    on: {v6: {win: 2000, reason: \"wider on IPv6\"}}\n";

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	t->family = 6;
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
	assert_non_null(strstr(t->r->log, "changed on v6: wider on IPv6"));
	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	t->family = 4;
	run(t, body);
	assert_verdict(t, TC_FAIL, 0, "win expected 1000");
}

/* A target's override goes on top of the family's: the fields it gives
 * win, the family's others stay. */
static void test_override_target_over_family(void **state)
{
	struct t *t = *state;
	static const char body[] = "steps:\n"
				   "  - expect: {flags: S, win: 1000, len: 0}\n"
				   "    on:\n"
				   "      v6: {win: 2000, len: 4, reason: \"IPv6 differs\"}\n"
				   "      fake: {win: 3000, reason: \"the fake differs more\"}\n";
	struct tc_seg *s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);

	s->win = 3000;
	s->len = 4;
	t->family = 6;
	run(t, body);
	assert_verdict(t, TC_PASS, -1, "");
	s = fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	s->win = 2000;
	s->len = 4;
	run(t, body);
	assert_verdict(t, TC_FAIL, 0, "win expected 3000");
}

static void test_override_skip(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 200 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - wait: 1s\n"
	       "    on: {fake: {skip: true, reason: \"not on the fake\"}}\n"
	       "  - expect: {flags: S, within: 300ms}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_non_null(strstr(t->r->log, "skipped on fake: not on the fake"));
}

static void test_override_duration(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 20 * MS, SEG_SYN, 0, 0);
	run(t, "steps:\n"
	       "  - wait: 1s\n"
	       "    on: {fake: {duration: 10ms, reason: \"shorter here\"}}\n"
	       "  - expect: {flags: S}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* ---- known deviations ------------------------------------------------- */

static const char dev_steps[] =
	"steps:\n"
	"  - app: connect\n"
	"  - expect: {flags: S, win: 1000}\n"
	"  - expect: {flags: S, win: 1000}\n";

static void run_dev(struct t *t, const char *dev)
{
	char body[1024];

	snprintf(body, sizeof(body), "deviations: {%s}\n%s", dev, dev_steps);
	run(t, body);
}

/* A deviation's text matches the summary line only, never a field listed
 * below it: "win expected" is the second field here. */
static void test_deviation_text_not_from_field_list(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN | SEG_ACK, 0, 0)->win = 2000;
	run_dev(t, "fake: {reason: \"the fake opens wide\", step: 2, fails: \"win expected\"}");
	assert_verdict(t, TC_FAIL, 1, "flags expected [S], got [SA] (and 1 more field below)");
	assert_non_null(strstr(t->r->msg, "\n  win: expected 1000 (0x3e8), got 2000 (0x7d0)"));
	assert_non_null(strstr(t->r->msg, "not the known deviation"));
	assert_false(t->r->known_deviation);
}

static void test_deviation_recorded_failure_is_skip(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run_dev(t, "fake: {reason: \"the fake opens wide\", step: 2}");
	assert_verdict(t, TC_SKIP, 1,
		       "known deviation on fake: the fake opens wide (it failed as recorded: step 2: win expected 1000");
	assert_true(t->r->known_deviation);
}

static void test_deviation_with_text_is_skip(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run_dev(t, "fake: {reason: \"the fake opens wide\", step: 2, fails: \"got 2000\"}");
	assert_verdict(t, TC_SKIP, 1, "known deviation on fake");
	assert_true(t->r->known_deviation);
}

/* `family: 6` excuses the failure on IPv6 only; on IPv4 the case runs as
 * written, so the same failure fails and a pass passes. */
static void test_deviation_for_one_family(void **state)
{
	struct t *t = *state;
	static const char dev[] = "fake: {reason: \"the fake opens wide on IPv6\", step: 2, family: 6}";

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	t->family = 6;
	run_dev(t, dev);
	assert_verdict(t, TC_SKIP, 1, "known deviation on fake");
	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	t->family = 4;
	run_dev(t, dev);
	assert_verdict(t, TC_FAIL, 1, "win expected 1000");
	assert_false(t->r->known_deviation);
	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 1000;
	fake_emit(t->f, 2 * MS, SEG_SYN, 0, 0)->win = 1000;
	run_dev(t, dev);
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_deviation_other_step_is_fail(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 2 * MS, SEG_SYN, 0, 0)->win = 2000;
	run_dev(t, "fake: {reason: \"the fake opens wide\", step: 2}");
	assert_verdict(t, TC_FAIL, 2, "win expected 1000");
	assert_non_null(strstr(t->r->msg, "not the known deviation (t.yaml:3:14), which records step 2"));
	assert_false(t->r->known_deviation);
}

static void test_deviation_other_text_is_fail(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run_dev(t, "fake: {reason: \"the fake opens wide\", step: 2, fails: \"flags expected\"}");
	assert_verdict(t, TC_FAIL, 1, "win expected 1000");
	assert_non_null(strstr(t->r->msg, "not the known deviation"));
	assert_non_null(strstr(t->r->msg, "which records step 2 failing with \"flags expected\""));
	assert_false(t->r->known_deviation);
}

static void test_deviation_passing_is_fail(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 2 * MS, SEG_SYN, 0, 0);
	run_dev(t, "fake: {reason: \"the fake opens wide\", step: 2}");
	assert_verdict(t, TC_FAIL, -1, "the deviation no longer holds, remove it");
	assert_non_null(strstr(t->r->msg, "\"the fake opens wide\""));
	assert_false(t->r->known_deviation);
}

static void test_deviation_of_other_target(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN, 0, 0)->win = 2000;
	run_dev(t, "other: {reason: \"another stack\", step: 2}");
	assert_verdict(t, TC_FAIL, 1, "win expected 1000");
	assert_null(strstr(t->r->msg, "known deviation"));
}

/* An error is not the stack's failure: no deviation excuses it. */
static void test_deviation_does_not_excuse_error(void **state)
{
	struct t *t = *state;

	t->f->capture_fails_at = 1;
	run_dev(t, "fake: {reason: \"the fake opens wide\", step: 2}");
	assert_verdict(t, TC_ERROR, 1, "expect: fake capture broke");
	assert_false(t->r->known_deviation);
}

/* ---- planning: demand and default jobs ---------------------------------- */

static void test_case_demand(void **state)
{
	struct t *t = *state;
	const struct tc_profile *p = fake_default_profile();

	load(t, "steps:\n"
		"  - wait: 1s\n"
		"  - expect_none: 200ms\n"
		"  - expect: {flags: S, after: 50ms}\n"
		"  - expect: {flags: S, within: 5s}\n"
		"  - wait: 2msl\n"
		"    on: {fake: {duration: 10ms, reason: \"shorter here\"}}\n"
		"  - expect_none: 1s\n"
		"    on: {fake: {skip: true, reason: \"not here\"}}\n"
		"  - expect: {flags: A, after: 1s}\n"
		"    on: {fake: {after: 300ms, reason: \"sooner here\"}}\n"
		"  - app: connect\n");
	/* 2msl on this profile is 2 s; an expect without after demands nothing */
	assert_int_equal(engine_case_demand_us(&t->c, "other", p), (1000 + 200 + 50 + 2000 + 1000 + 1000) * MS);
	assert_int_equal(engine_case_demand_us(&t->c, "fake", p), (1000 + 200 + 50 + 10 + 300) * MS);
}

static void test_default_jobs(void **state)
{
	struct tc_target_ops cpu = {.name = "cpu"}, rt = {.name = "rt", .real_time = true};
	struct tc_target_ops rt4 = {.name = "rt4", .real_time = true, .max_jobs = 4};
	struct tc_target_ops cpu3 = {.name = "cpu3", .max_jobs = 3};

	(void)state;
	/* a computing target: one worker per CPU, waits do not matter */
	assert_int_equal(target_default_jobs(&cpu, 4, 100, 0, 0), 4);
	assert_int_equal(target_default_jobs(&cpu, 2, 100, 100 * SEC, 1 * SEC), 2);
	assert_int_equal(target_default_jobs(&cpu, 0, 100, 0, 0), 1);
	/* never more than the runs, nor than the target takes */
	assert_int_equal(target_default_jobs(&cpu, 8, 3, 0, 0), 3);
	assert_int_equal(target_default_jobs(&cpu, 8, 0, 0, 0), 1);
	assert_int_equal(target_default_jobs(&cpu3, 8, 100, 0, 0), 3);
	/* a real-time target: the summed waits fit in the longest case */
	assert_int_equal(target_default_jobs(&rt, 2, 100, 10 * SEC, 2 * SEC), 6);
	assert_int_equal(target_default_jobs(&rt, 2, 100, 10 * SEC, 3 * SEC), 5);
	assert_int_equal(target_default_jobs(&rt, 8, 100, 1 * SEC, 1 * SEC), 8);
	assert_int_equal(target_default_jobs(&rt, 2, 100, 0, 0), 2);
	assert_int_equal(target_default_jobs(&rt, 2, 3, 10 * SEC, 1 * SEC), 3);
	assert_int_equal(target_default_jobs(&rt4, 2, 100, 10 * SEC, 1 * SEC), 4);
	/* a remote host: several workers only when the run asks for them */
	struct tc_target_ops far = {.name = "far", .real_time = true, .max_jobs = 16, .default_jobs_max = 1};
	assert_int_equal(target_default_jobs(&far, 2, 100, 10 * SEC, 1 * SEC), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)


/* ---- save_seq, seq_from, port --------------------------------------- */

static const char save_then_rate[] =
	"steps:\n"
	"  - expect: {flags: S, save_seq: a, within: 200ms}\n"
	"  - expect: {flags: S, seq_from: {of: a, rate: [240, 260]}, within: 2s}\n";

/* The rate counts between the two arrivals (100 ms and 1100 ms): 250 in
 * one second, not in the 1.1 s since the case began. */
static void test_seq_from_rate_pass(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 1100 * MS, SEG_SYN, 250, 0);
	run(t, save_then_rate);
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_seq_from_rate_too_slow(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 1100 * MS, SEG_SYN, 100, 0);
	run(t, save_then_rate);
	assert_verdict(t, TC_FAIL, 1, "seq_from a: advanced 100");
	assert_non_null(strstr(t->r->msg, "100 per second; expected 240..260 per second"));
}

static void test_seq_from_rate_too_fast(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 1100 * MS, SEG_SYN, 400, 0);
	run(t, save_then_rate);
	assert_verdict(t, TC_FAIL, 1, "400 per second; expected 240..260");
}

/* Modulo 2^32: a number that wrapped still advanced. */
static void test_seq_from_rate_wraps(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0)->seq = 0xffffff00u;
	fake_emit(t->f, 1100 * MS, SEG_SYN, 0, 0)->seq = 0xffffff00u + 250;
	run(t, save_then_rate);
	assert_verdict(t, TC_PASS, -1, "");
}

static const char save_then_outside[] =
	"steps:\n"
	"  - expect: {flags: S, save_seq: a, within: 200ms}\n"
	"  - expect: {flags: S, seq_from: {of: a, rate: [0, 1000], outside: true}, within: 2s}\n";

static void test_seq_from_outside_pass(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 1100 * MS, SEG_SYN, 123456789, 0);
	run(t, save_then_outside);
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_seq_from_outside_fail(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 1100 * MS, SEG_SYN, 250, 0);
	run(t, save_then_outside);
	assert_verdict(t, TC_FAIL, 1, "inside 0..1000 per second: the seq follows a's clock");
}

/* Two segments at the same instant: no rate; outside holds only for a
 * number that moved at all. */
static void test_seq_from_no_time(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	run(t, save_then_outside);
	assert_verdict(t, TC_FAIL, 1, "with no time between the two segments");
}

static void test_seq_from_no_time_moved(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 100 * MS, SEG_SYN, 77, 0);
	run(t, save_then_outside);
	assert_verdict(t, TC_PASS, -1, "");
}

static void test_seq_from_differs(void **state)
{
	struct t *t = *state;
	static const char body[] = "steps:\n"
				   "  - expect: {flags: S, save_seq: a}\n"
				   "  - expect: {flags: S, seq_from: {of: a, differs: true}}\n";

	fake_emit(t->f, 100 * MS, SEG_SYN, 5, 0);
	fake_emit(t->f, 200 * MS, SEG_SYN, 5, 0);
	run(t, body);
	assert_verdict(t, TC_FAIL, 1, "expected a seq other than a's 5005, got the same");
}

/* A target's own rate in an override; the step's stays for the others. */
static void test_seq_from_override(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 100 * MS, SEG_SYN, 0, 0);
	fake_emit(t->f, 1100 * MS, SEG_SYN, 5000, 0);
	run(t, "steps:\n"
	       "  - expect: {flags: S, save_seq: a, within: 200ms}\n"
	       "  - expect: {flags: S, seq_from: {of: a, rate: [240, 260]}, within: 2s}\n"
	       "    on: {fake: {seq_from: {of: a, rate: [4900, 5100]}, reason: \"the fake's clock is faster\"}}\n");
	assert_verdict(t, TC_PASS, -1, "");
}

/* send port: the segment goes to that port of the target; expect port:
 * it must come from it. */
static void test_port_send_and_expect(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN | SEG_ACK, 0, 1)->sport = 8081;
	run(t, "steps:\n"
	       "  - send: {flags: S, seq: 0, port: 8081}\n"
	       "  - expect: {flags: SA, port: 8081}\n");
	assert_verdict(t, TC_PASS, -1, "");
	assert_int_equal(t->f->inj[0].dport, 8081);
}

static void test_port_expect_other(void **state)
{
	struct t *t = *state;

	fake_emit(t->f, 1 * MS, SEG_SYN | SEG_ACK, 0, 1);
	run(t, "steps:\n"
	       "  - send: {flags: S, seq: 0}\n"
	       "  - expect: {flags: SA, port: 8081}\n");
	assert_verdict(t, TC_FAIL, 1, "port expected 8081");
	assert_int_equal(t->f->inj[0].dport, TC_DEFAULT_PORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_expect_on_time),
		T(test_expect_late_share_is_allowed),
		T(test_expect_missing),
		T(test_expect_default_within),
		T(test_expect_late),
		T(test_expect_early),
		T(test_expect_early_within_tolerance),
		T(test_expect_after_counts_from_step_start),
		T(test_expect_within_counts_from_step_start),
		T(test_expect_tolerance_key),
		T(test_after_without_within),
		T(test_after_beyond_within_is_error),
		T(test_within_counts_from_the_action_end),
		T(test_flags_any),
		T(test_after_counts_from_the_action_start),
		T(test_wait_quiet_then_expect),
		T(test_segment_during_wait),
		T(test_segment_before_wait),
		T(test_expect_none_quiet),
		T(test_expect_none_profile_quiet),
		T(test_segment_inside_profile_quiet),
		T(test_segment_during_expect_none),
		T(test_stale_syn_fails_at_wait),
		T(test_segment_during_actions_read_by_next_expect),
		T(test_segment_during_action_and_after),
		T(test_history_in_time_order),
		T(test_leftover_segment),
		T(test_segment_after_the_end_is_not_read),
		T(test_flags_mismatch),
		T(test_seq_relative_to_target_isn),
		T(test_seq_mismatch),
		T(test_seq_abs),
		T(test_seq_before_syn_is_absolute),
		T(test_ack_relative_to_peer_isn),
		T(test_ack_mismatch),
		T(test_win_mismatch),
		T(test_win_match),
		T(test_win_rel),
		T(test_ttl_match),
		T(test_ttl_mismatch),
		T(test_ipopts_match),
		T(test_ipopts_mismatch),
		T(test_ipopts_none_expected),
		T(test_tos_mismatch),
		T(test_tos_match),
		T(test_send_ip_fields),
		T(test_icmp_quotes_latest_segment),
		T(test_icmp_before_any_target_segment),
		T(test_ip_level_needs_the_cap),
		T(test_expect_src_second_mismatch),
		T(test_expect_src_same_and_dst_same),
		T(test_expect_src_same_changed),
		T(test_win_rel_mismatch),
		T(test_win_rel_on_the_syn_itself),
		T(test_win_rel_without_syn),
		T(test_urp_mismatch),
		T(test_urp_match),
		T(test_options_empty_vs_one),
		T(test_options_padding_ignored),
		T(test_options_only_padding_is_empty),
		T(test_opt_bytes_match),
		T(test_opt_bytes_nonzero_padding),
		T(test_opt_bytes_shorter_area),
		T(test_options_value_mismatch),
		T(test_options_any_value),
		T(test_options_any_value_wrong_kind),
		T(test_options_missing_one),
		T(test_ts_ecr_peer_match),
		T(test_ts_ecr_peer_mismatch),
		T(test_ts_ecr_peer_is_latest),
		T(test_ts_ecr_peer_before_any_send),
		T(test_ts_val_any_checks_ecr),
		T(test_ts_rel_late_edge),
		T(test_ts_rel_past_late_edge),
		T(test_ts_rel_early_edge),
		T(test_ts_rel_past_early_edge),
		T(test_ts_rel_exact_without_tolerance),
		T(test_ts_rel_wraps),
		T(test_sack_relative_to_peer_isn),
		T(test_sack_relative_mismatch),
		T(test_sack_absolute_stays_absolute),
		T(test_send_ecr_target),
		T(test_send_sack_relative),
		T(test_profile_reaches_target),
		T(test_payload_length_mismatch),
		T(test_payload_bytes_mismatch),
		T(test_every_differing_field_listed),
		T(test_one_differing_field_no_list),
		T(test_deviation_text_not_from_field_list),
		T(test_payload_diff_window),
		T(test_payload_length_and_bytes),
		T(test_payload_short_prefix),
		T(test_payload_diff_at_start),
		T(test_payload_bytes_match),
		T(test_bad_checksum),
		T(test_expect_anything),
		T(test_send_fills_from_the_connection),
		T(test_state_match),
		T(test_state_mismatch),
		T(test_state_read_error),
		T(test_app_fails_target),
		T(test_app_fails_system),
		T(test_app_error_expected),
		T(test_app_error_expected_success_fails),
		T(test_app_error_other_errno_fails),
		T(test_app_unexpected_errno_fails),
		T(test_app_returns),
		T(test_app_getsockopt_returns),
		T(test_app_send_short),
		T(test_app_recv_exact),
		T(test_app_recv_fewer),
		T(test_app_recv_atleast),
		T(test_app_recv_bytes),
		T(test_app_poll),
		T(test_app_poll_within_resolved),
		T(test_app_override_result),
		T(test_requires_sockopt),
		T(test_requires_urgent),
		T(test_capture_error),
		T(test_capture_error_in_wait),
		T(test_capture_error_after_last_step),
		T(test_open_unsupported_is_skip),
		T(test_open_error_is_error),
		T(test_requires_state_without_cap),
		T(test_requires_app_without_cap),
		T(test_requires_virtual_time_without_cap),
		T(test_requires_met),
		T(test_open_port_without_app),
		T(test_port_needs_without_cap),
		T(test_run_addrs),
		T(test_override_name),
		T(test_override_inherited),
		T(test_pace_before_stamp),
		T(test_case_skip_for_target),
		T(test_case_skip_for_other_target),
		T(test_seq_from_rate_pass),
		T(test_seq_from_rate_too_slow),
		T(test_seq_from_rate_too_fast),
		T(test_seq_from_rate_wraps),
		T(test_seq_from_outside_pass),
		T(test_seq_from_outside_fail),
		T(test_seq_from_no_time),
		T(test_seq_from_no_time_moved),
		T(test_seq_from_differs),
		T(test_seq_from_override),
		T(test_port_send_and_expect),
		T(test_port_expect_other),
		T(test_override_replaces_field),
		T(test_override_keeps_other_fields),
		T(test_override_for_other_target),
		T(test_override_for_family),
		T(test_override_target_over_family),
		T(test_override_skip),
		T(test_override_duration),
		T(test_deviation_recorded_failure_is_skip),
		T(test_deviation_with_text_is_skip),
		T(test_deviation_for_one_family),
		T(test_deviation_other_step_is_fail),
		T(test_deviation_other_text_is_fail),
		T(test_deviation_passing_is_fail),
		T(test_deviation_of_other_target),
		T(test_deviation_does_not_excuse_error),
		T(test_case_demand),
		cmocka_unit_test(test_default_jobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
