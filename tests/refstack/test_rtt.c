/* The RTO from RTT samples (RFC 6298 2, 3, 5.5, 5.7; RFC 7323 4.1) and R2
 * as a time (9293 3.8.3, RFC 5482): SRTT and RTTVAR to the microsecond,
 * Karn's algorithm, the TSecr sample, the 3 s after a lost SYN. */
#include "refstack_fixture.h"

#define MS 1000ull

static void add_ts(struct tc_seg *seg, uint32_t val, uint32_t ecr)
{
	struct seg_opt o = {.kind = SEG_OPT_TS, .u.ts = {.val = val, .ecr = ecr}};

	assert_int_equal(seg_add_opt(seg, &o), 0);
}

/* Passive open with the peer's ACK 300 ms after the SYN,ACK: SRTT 300 ms,
 * RTTVAR 150 ms, RTO 900 ms (2.2); a second sample of 100 ms: RTTVAR =
 * 3/4 * 150 + 1/4 * |300 - 100| = 162.5 ms, SRTT = 7/8 * 300 + 1/8 * 100 =
 * 275 ms, RTO = 275 + 650 = 925 ms (2.3). */
static void test_estimator_figures(void **state)
{
	struct fx *fx = *state;
	struct refstack_conn *a = NULL;

	fx->cfg.rto_min_us = 200 * MS;
	fx_start(fx);
	fx_syn_received(fx);
	fx->now = 300 * MS;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, fx->pack), ACCEPTED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	FX_CHECK(fx, "srtt", 300 * MS, refstack_conn_srtt(fx->c));
	FX_CHECK(fx, "rto", 900 * MS, refstack_conn_rto(fx->c));
	fx->now = 1 * SEC;
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"x", 1, fx->now), 1);
	FX_CHECK(fx, "deadline", 1 * SEC + 900 * MS, refstack_next_deadline(fx->s));
	fx->now = 1 * SEC + 100 * MS;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, FX_ISS + 2), ACCEPTED);
	FX_CHECK(fx, "srtt", 275 * MS, refstack_conn_srtt(fx->c));
	FX_CHECK(fx, "rto", 925 * MS, refstack_conn_rto(fx->c));
}

/* 2.4: a computed RTO below RTO.min is rounded up; G (1 ms) keeps
 * SRTT + max(G, 4 RTTVAR) above 0 when RTO.min is 0. */
static void test_rto_min_and_granularity(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	FX_CHECK(fx, "rto at RTO.min", 1 * SEC, refstack_conn_rto(fx->c));
	fx_teardown(state);
	fx_setup_nostart(state);
	fx = *state;
	fx->cfg.rto_min_us = 0;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	FX_CHECK(fx, "rto = G", REFSTACK_RTT_G_US, refstack_conn_rto(fx->c));
}

/* Karn (3, MUST-18): the ACK of a retransmitted segment is no sample, the
 * backed-off RTO stays (5.7); the next new segment is timed again. */
static void test_karn(void **state)
{
	struct fx *fx = *state;

	fx->cfg.rto_min_us = 200 * MS;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	FX_CHECK(fx, "rto", 200 * MS, refstack_conn_rto(fx->c));
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"ab", 2, fx->now), 2);
	fx_clear(fx);
	fx_at(fx, 200 * MS);
	EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "backed off", 400 * MS, refstack_conn_rto(fx->c));
	fx->now = 201 * MS;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, FX_ISS + 3), ACCEPTED);
	FX_CHECK(fx, "no sample: still backed off", 400 * MS, refstack_conn_rto(fx->c));
	FX_CHECK(fx, "srtt from the handshake", 0, refstack_conn_srtt(fx->c));
	/* new data, acknowledged 50 ms later: a sample, the backoff ends */
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"cd", 2, fx->now), 2);
	fx->now = 251 * MS;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, FX_ISS + 5), ACCEPTED);
	/* RTTVAR = (3 * 0 + 50) / 4 = 12.5 ms, SRTT = 50 / 8 = 6.25 ms:
	 * 56.25 ms, up to RTO.min */
	FX_CHECK(fx, "srtt", 6250, refstack_conn_srtt(fx->c));
	FX_CHECK(fx, "rto", 200 * MS, refstack_conn_rto(fx->c));
}

/* 5.7: a SYN timed out and the SYN,ACK gave no sample: 3 s for data. */
static void test_syn_lost_three_seconds(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	fx_at(fx, 1 * SEC);
	EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
	fx->now = 1 * SEC + 10 * MS;
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), ACCEPTED);
	FX_CHECK(fx, "rto", 3 * SEC, refstack_conn_rto(fx->c));
	FX_CHECK(fx, "srtt", 0, refstack_conn_srtt(fx->c));
}

/* RFC 7323 4.1: with timestamps the TSecr of an ACK that advances SND.UNA
 * is a sample, a retransmitted segment's too; one that does not advance
 * it is none. */
static void test_rttm_tsecr(void **state)
{
	struct fx *fx = *state;
	struct tc_seg syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0), s;
	struct refstack_conn *a = NULL;
	const struct tc_seg *o;
	uint32_t tsv;

	fx->cfg.timestamps = true;
	fx->cfg.rto_min_us = 0;
	fx_start(fx);
	fx_listen(fx);
	fx_add_mss(&syn, 1460);
	add_ts(&syn, 7, 0);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	tsv = seg_find_opt(o, SEG_OPT_TS)->u.ts.val;
	fx->c = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT);
	/* the SYN,ACK times out: retransmitted at 1 s, no timed sample left */
	fx_at(fx, 1 * SEC);
	o = EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	/* the ACK 40 ms later echoes the first SYN,ACK: RTT 1040 ms by TSecr */
	fx->now = 1 * SEC + 40 * MS;
	s = fx_mkseg(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1);
	add_ts(&s, 8, tsv);
	EXPECT_DROP(fx, fx_feed(fx, &s), ACCEPTED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	FX_CHECK(fx, "srtt by TSecr", 1040 * MS, refstack_conn_srtt(fx->c));
	FX_CHECK(fx, "rto", 1040 * MS + 4 * 520 * MS, refstack_conn_rto(fx->c));
	/* a duplicate ACK with a TSecr is no sample */
	s = fx_mkseg(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1);
	add_ts(&s, 9, tsv);
	fx->now = 2 * SEC;
	EXPECT_DROP(fx, fx_feed(fx, &s), ACCEPTED);
	FX_CHECK(fx, "srtt unchanged", 1040 * MS, refstack_conn_srtt(fx->c));
}

/* R2 as a time: the connection ends when the oldest unacknowledged
 * segment has waited the user timeout, the timer clamped to that moment. */
static void test_user_timeout(void **state)
{
	struct fx *fx = *state;

	fx->cfg.rto_min_us = 200 * MS;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_set_user_timeout(fx->s, fx->c, 1 * SEC, fx->now), 0);
	FX_CHECK(fx, "user timeout", 1 * SEC, refstack_conn_user_timeout(fx->c));
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"x", 1, fx->now), 1);
	fx_clear(fx);
	fx_at(fx, 200 * MS);
	EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	fx_at(fx, 600 * MS);
	EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	/* next RTO would be at 1.4 s: clamped to 1 s */
	FX_CHECK(fx, "deadline", 1 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, 1 * SEC);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSED, TIMEOUT_RETRANSMIT);
	assert_int_equal(refstack_conn_error(fx->c), -ETIMEDOUT);
}

/* A user timeout set while the timer runs for long (backed off to 8 s)
 * ends the connection on time, not at the next expiry. */
static void test_user_timeout_set_late(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"x", 1, fx->now), 1);
	fx_at(fx, 1 * SEC);
	fx_at(fx, 3 * SEC);
	fx_at(fx, 7 * SEC);
	FX_CHECK(fx, "deadline", 15 * SEC, refstack_next_deadline(fx->s));
	assert_int_equal(refstack_set_user_timeout(fx->s, fx->c, 10 * SEC, fx->now), 0);
	FX_CHECK(fx, "clamped", 10 * SEC, refstack_next_deadline(fx->s));
	fx_clear(fx);
	fx_at(fx, 10 * SEC);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_conn_error(fx->c), -ETIMEDOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_estimator_figures, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rto_min_and_granularity, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_karn, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_lost_three_seconds, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rttm_tsecr, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_user_timeout, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_user_timeout_set_late, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
