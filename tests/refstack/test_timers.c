/* Timers: retransmission with backoff (RFC 6298), giving up (9293 3.8.3),
 * 2*MSL (3.4.2), next_deadline. Time only through now_us. */
#include "refstack_fixture.h"

/* RFC 6298 5.5: the SYN at 0, retransmitted at 1, 3, 7, 15, 31, 63, 123 s
 * (RTO 1, 2, 4, 8, 16, 32, 60 s: RTO.max); after syn_retries = 7
 * retransmissions the next timeout (60 s later, at 183 s) gives up:
 * 9293 3.8.3 MUST-23, at least 3 minutes for a SYN. */
static void test_syn_backoff_and_give_up(void **state)
{
	struct fx *fx = *state;
	static const uint64_t at[] = {1, 3, 7, 15, 31, 63, 123};

	fx_goto(fx, REFSTACK_SYN_SENT);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		const struct tc_seg *o;

		FX_CHECK(fx, "deadline", at[i] * SEC, refstack_next_deadline(fx->s));
		fx_at(fx, at[i] * SEC - 1);
		EXPECT_NO_SEG(fx);
		fx_at(fx, at[i] * SEC);
		o = EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
		EXPECT_SENT_AT(fx, at[i] * SEC);
		/* the retransmitted SYN still carries the MSS option */
		assert_non_null(seg_find_opt(o, SEG_OPT_MSS));
		EXPECT_NO_SEG(fx);
	}
	FX_CHECK(fx, "deadline", 183 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, 183 * SEC - 1);
	EXPECT_NO_TR(fx);
	fx_at(fx, 183 * SEC);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, SYN_SENT, CLOSED, TIMEOUT_RETRANSMIT);
	assert_int_equal(refstack_conn_error(fx->c), -ETIMEDOUT);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* A SYN-ACK after a retransmission stops the timer. */
static void test_syn_retransmit_then_answer(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	fx_at(fx, 1 * SEC);
	EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
	fx->now = 1500000;
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* Passive SYN-RECEIVED: the SYN-ACK is retransmitted likewise; giving up
 * reports SYN-RECEIVED -> CLOSED and deletes the TCB; the listener stays. */
static void test_synack_backoff_and_give_up(void **state)
{
	struct fx *fx = *state;
	static const uint64_t at[] = {1, 3, 7, 15, 31, 63, 123};

	fx_goto(fx, REFSTACK_SYN_RECEIVED);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		fx_at(fx, at[i] * SEC - 1);
		EXPECT_NO_SEG(fx);
		fx_at(fx, at[i] * SEC);
		EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	}
	fx_at(fx, 183 * SEC);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, CLOSED, TIMEOUT_RETRANSMIT);
	assert_null(refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT));
	assert_true(refstack_listening(fx->s, FX_PORT));
	EXPECT_NO_TR(fx);
}

/* syn_retries = 0: no retransmission at all, give up at the first timeout */
static void test_syn_retries_zero(void **state)
{
	struct fx *fx = *state;

	fx->cfg.syn_retries = 0;
	fx_start(fx);
	fx_goto(fx, REFSTACK_SYN_SENT);
	fx_at(fx, 1 * SEC);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, SYN_SENT, CLOSED, TIMEOUT_RETRANSMIT);
}

/* Text: retransmission of the earliest unacknowledged segment with backoff;
 * an ACK of retransmitted data gives no RTT sample (Karn, RFC 6298 3) and
 * the backed-off RTO stays until one does (5.7). */
static void test_data_retransmit(void **state)
{
	struct fx *fx = *state;
	uint8_t d[3000];
	const struct tc_seg *o;

	memset(d, 'q', sizeof(d));
	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_send(fx->s, fx->c, d, sizeof(d), 0), 3000);
	FX_CHECK(fx, "segments", 3, fx->nout);
	fx_clear(fx);
	fx_at(fx, 1 * SEC);
	/* only the earliest, one MSS */
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "length", 1460, o->len);
	EXPECT_NO_SEG(fx);
	fx_at(fx, 3 * SEC - 1);
	EXPECT_NO_SEG(fx);
	fx_at(fx, 3 * SEC);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	/* the first segment acknowledged at 3.5 s: no sample, the RTO stays
	 * 4 s, restarted (5.3) */
	fx->now = 3500000;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1461), ACCEPTED);
	FX_CHECK(fx, "rto", 4 * SEC, refstack_conn_rto(fx->c));
	FX_CHECK(fx, "deadline", 7500000, refstack_next_deadline(fx->s));
	fx_at(fx, 7500000);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1461, FX_PISS + 1);
	FX_CHECK(fx, "length", 1460, o->len);
	FX_CHECK(fx, "deadline", 15500000, refstack_next_deadline(fx->s));
	/* all acknowledged: timer off */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 3001), ACCEPTED);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	/* new text later: still the backed-off 8 s (5.7) */
	fx->now = 10 * SEC;
	assert_int_equal(refstack_send(fx->s, fx->c, d, 10, fx->now), 10);
	FX_CHECK(fx, "deadline", 18 * SEC, refstack_next_deadline(fx->s));
	/* its ACK 100 ms later is a sample: RTO from SRTT and RTTVAR, at
	 * least RTO.min (1 s) */
	fx->now = 10 * SEC + 100000;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 3011), ACCEPTED);
	FX_CHECK(fx, "rto", 1 * SEC, refstack_conn_rto(fx->c));
}

/* retries = 3: retransmissions at 1, 3, 7 s; giving up at 15 s */
static void test_data_give_up(void **state)
{
	struct fx *fx = *state;

	fx->cfg.retries = 3;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"lost", 4, 0), 4);
	EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	fx_at(fx, 1 * SEC);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 4);
	fx_at(fx, 3 * SEC);
	EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	fx_at(fx, 7 * SEC);
	EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	fx_at(fx, 15 * SEC - 1);
	EXPECT_NO_TR(fx);
	fx_at(fx, 15 * SEC);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSED, TIMEOUT_RETRANSMIT);
	assert_int_equal(refstack_conn_error(fx->c), -ETIMEDOUT);
}

/* RFC 6298 2.5: the backoff stops at RTO.max */
static void test_rto_max(void **state)
{
	struct fx *fx = *state;
	static const uint64_t at[] = {1, 3, 7, 11, 15, 19};

	fx->cfg.rto_max_us = 4 * SEC;
	fx->cfg.syn_retries = 10;
	fx_start(fx);
	fx_goto(fx, REFSTACK_SYN_SENT);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		FX_CHECK(fx, "deadline", at[i] * SEC, refstack_next_deadline(fx->s));
		fx_at(fx, at[i] * SEC);
		EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
	}
}

/* RFC 6298 2.4: RTO never below RTO.min */
static void test_rto_min(void **state)
{
	struct fx *fx = *state;

	fx->cfg.rto_initial_us = 200000;
	fx->cfg.rto_min_us = 1 * SEC;
	fx_start(fx);
	fx_goto(fx, REFSTACK_SYN_SENT);
	FX_CHECK(fx, "deadline", 1 * SEC, refstack_next_deadline(fx->s));
}

/* A shorter configured RTO: 200 ms, 400 ms, 800 ms */
static void test_rto_configured(void **state)
{
	struct fx *fx = *state;

	fx->cfg.rto_initial_us = 200000;
	fx->cfg.rto_min_us = 200000;
	fx_start(fx);
	fx_goto(fx, REFSTACK_SYN_SENT);
	fx_at(fx, 200000);
	EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
	fx_at(fx, 600000);
	EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
	FX_CHECK(fx, "deadline", 1400000, refstack_next_deadline(fx->s));
}

/* A late timer call fires once and re-arms from the time of the call. */
static void test_late_timer_call(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	fx_at(fx, 5 * SEC);
	EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
	EXPECT_NO_SEG(fx);
	FX_CHECK(fx, "deadline", 7 * SEC, refstack_next_deadline(fx->s));
}

/* FIN retransmission in FIN-WAIT-1 and in LAST-ACK */
static void test_fin_retransmit(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_FIN_WAIT_1);
	fx_at(fx, 1 * SEC);
	EXPECT_SEG_WL(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 0);
	fx_at(fx, 3 * SEC);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, FIN_WAIT_2, RCV_ACK);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

static void test_last_ack_fin_retransmit(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_LAST_ACK);
	fx_at(fx, 1 * SEC);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 2);
	fx_at(fx, 3 * SEC);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 2);
}

/* The last text and the FIN outstanding: the retransmission carries both. */
static void test_data_and_fin_retransmit(void **state)
{
	struct fx *fx = *state;
	const struct tc_seg *o;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"tail", 4, 0), 4);
	assert_int_equal(refstack_close(fx->s, fx->c, 0), 0);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 4);
	EXPECT_SEG_WL(fx, SEG_FIN | SEG_ACK, FX_ISS + 5, FX_PISS + 1, 65535, 0);
	fx_at(fx, 1 * SEC);
	o = EXPECT_SEG(fx, SEG_FIN | SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "length", 4, o->len);
	assert_memory_equal(o->payload, "tail", 4);
	/* the text acknowledged, the FIN not: the FIN alone next time */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 5), ACCEPTED);
	EXPECT_STATE(fx, fx->c, FIN_WAIT_1);
	/* the acknowledged text was retransmitted: no sample, RTO still 2 s */
	FX_CHECK(fx, "deadline", 3 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, 3 * SEC);
	EXPECT_SEG_WL(fx, SEG_FIN | SEG_ACK, FX_ISS + 5, FX_PISS + 1, 65535, 0);
}

/* 2*MSL with a configured MSL, exact to the microsecond */
static void test_time_wait_configured_msl(void **state)
{
	struct fx *fx = *state;

	fx->cfg.msl_us = 1000;
	fx_start(fx);
	fx_goto(fx, REFSTACK_TIME_WAIT);
	FX_CHECK(fx, "deadline", 2000, refstack_next_deadline(fx->s));
	fx_at(fx, 1999);
	EXPECT_STATE(fx, fx->c, TIME_WAIT);
	fx_at(fx, 2000);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, TIMEOUT_2MSL);
}

/* TIME-WAIT turns the other timers off (9293 3.10.7.4 step 8). */
static void test_time_wait_stops_other_timers(void **state)
{
	struct fx *fx = *state;

	fx->cfg.delack_us = 400000;
	fx_start(fx);
	fx_goto(fx, REFSTACK_FIN_WAIT_2);
	/* text (delayed ACK armed), then the FIN */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2, "x", 1), ACCEPTED);
	EXPECT_NO_SEG(fx);
	FX_CHECK(fx, "deadline", 400000, refstack_next_deadline(fx->s));
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 2, FX_ISS + 2), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 3);
	FX_CHECK(fx, "deadline", 240 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, 400000);
	EXPECT_NO_SEG(fx);
}

/* next_deadline: the earliest over all connections */
static void test_next_deadline_many(void **state)
{
	struct fx *fx = *state;
	struct refstack_conn *a = NULL, *b = NULL;
	struct seg_addr other;

	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	assert_int_equal(seg_addr_parse("192.0.2.3", &other), 0);
	fx->now = 5 * SEC;
	assert_int_equal(refstack_connect(fx->s, 1000, &fx->peer, 80, fx->now, &a), 0);
	FX_CHECK(fx, "deadline", 6 * SEC, refstack_next_deadline(fx->s));
	fx->now = 5 * SEC + 100;
	assert_int_equal(refstack_connect(fx->s, 1001, &other, 80, fx->now, &b), 0);
	FX_CHECK(fx, "deadline", 6 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, 6 * SEC);
	FX_CHECK(fx, "segments", 3, fx->nout);
	FX_CHECK(fx, "deadline", 6 * SEC + 100, refstack_next_deadline(fx->s));
	fx_at(fx, 6 * SEC + 100);
	FX_CHECK(fx, "segments", 4, fx->nout);
	FX_CHECK(fx, "deadline", 8 * SEC, refstack_next_deadline(fx->s));
	assert_int_equal(refstack_abort(fx->s, a, fx->now), 0);
	FX_CHECK(fx, "deadline", 8 * SEC + 100, refstack_next_deadline(fx->s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syn_backoff_and_give_up, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_retransmit_then_answer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synack_backoff_and_give_up, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_retries_zero, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_data_retransmit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_data_give_up, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rto_max, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rto_min, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rto_configured, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_late_timer_call, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fin_retransmit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_last_ack_fin_retransmit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_data_and_fin_retransmit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_configured_msl, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_stops_other_timers, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_next_deadline_many, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("refstack timers", tests, NULL, NULL);
}
