/* Flow control timers and choices: the persist timer (9293 3.8.6.1),
 * sender SWS avoidance (3.8.6.2.1), Nagle (3.7.4), delayed ACK (3.8.6.3),
 * keep-alive (3.8.4) and text on a SYN (3.10.7.2). Time only through
 * now_us. */
#include "refstack_fixture.h"

/* The peer closes its window with data waiting: one probe of one new octet
 * after one RTO, answered by a zero window; the next after two RTOs, the
 * same octet; then the window opens and all of it goes from SND.UNA. */
static void test_persist_probe_backoff(void **state)
{
	struct fx *fx = *state;
	const struct tc_seg *o;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"hello", 5, fx->now), 5);
	EXPECT_NO_SEG(fx);
	FX_CHECK(fx, "persist deadline", fx->now + SEC, refstack_next_deadline(fx->s));
	fx_at(fx, fx->now + SEC - 1);
	EXPECT_NO_SEG(fx);
	fx_at(fx, fx->now + 1);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "probe length", 1, o->len);
	FX_CHECK(fx, "probe octet", 'h', o->payload[0]);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
	EXPECT_NO_SEG(fx);
	FX_CHECK(fx, "second probe (2 RTO)", fx->now + 2 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, fx->now + 2 * SEC);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "probe again", 1, o->len);
	FX_CHECK(fx, "third probe (4 RTO)", fx->now + 4 * SEC, refstack_next_deadline(fx->s));
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 1000), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "all of it", 5, o->len);
	assert_memory_equal(o->payload, "hello", 5);
	EXPECT_NO_SEG(fx);
	/* now the retransmission timer, one RTO */
	FX_CHECK(fx, "retransmission deadline", fx->now + SEC, refstack_next_deadline(fx->s));
}

/* MUST-37: with one retry allowed, ten probes answered by a zero window
 * leave the connection alone; a probe whose octet is accepted moves on to
 * the next octet. The backoff stops at RTO.max. */
static void test_persist_never_gives_up(void **state)
{
	struct fx *fx = *state;
	const struct tc_seg *o;

	fx->cfg.retries = 1;
	fx->cfg.rto_max_us = 8 * SEC;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"ab", 2, fx->now), 2);
	for (int i = 0; i < 10; i++) {
		uint64_t next = refstack_next_deadline(fx->s);

		FX_CHECK(fx, "interval", i < 3 ? SEC << i : 8 * SEC, next - fx->now);
		fx_at(fx, next);
		o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
		FX_CHECK(fx, "probe", 1, o->len);
		EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
		EXPECT_STATE(fx, fx->c, ESTABLISHED);
	}
	/* the receiver takes the probe's octet and stays closed */
	fx_at(fx, refstack_next_deadline(fx->s));
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2, 0), ACCEPTED);
	EXPECT_NO_SEG(fx);
	fx_at(fx, refstack_next_deadline(fx->s));
	o = EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 2, FX_PISS + 1);
	FX_CHECK(fx, "next octet", 'b', o->payload[0]);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
	EXPECT_NO_TR(fx);
}

/* RFC 5482 with 9293 3.8.6.1: a user timeout of 5 s; the probes at 1 and
 * 3 s go unanswered, the next would come at 7 s, but 5 s after the first
 * probe the timer wakes and the connection is closed: ETIMEDOUT, no RST. */
static void test_persist_user_timeout_unanswered(void **state)
{
	struct fx *fx = *state;
	uint64_t first;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_set_user_timeout(fx->s, fx->c, 5 * SEC, fx->now), 0);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"hello", 5, fx->now), 5);
	fx_at(fx, fx->now + SEC);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	first = fx->now;
	FX_CHECK(fx, "second probe (2 RTO)", first + 2 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, first + 2 * SEC);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
	FX_CHECK(fx, "woken when the user timeout runs out", first + 5 * SEC,
		 refstack_next_deadline(fx->s));
	fx_at(fx, first + 5 * SEC - 1);
	EXPECT_NO_SEG(fx);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
	fx_at(fx, first + 5 * SEC);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSED, TIMEOUT_PROBE);
	FX_CHECK(fx, "error", -ETIMEDOUT, refstack_conn_error(fx->c));
}

/* MUST-37 with a user timeout of 1.5 s: each answer starts its clock
 * again, so the timer wakes for the next probe (2 RTO later), not when
 * 1.5 s have passed since the first; ten answered probes, 8 s apart at
 * the end, and the connection is still open. */
static void test_persist_user_timeout_answered(void **state)
{
	struct fx *fx = *state;

	fx->cfg.rto_max_us = 8 * SEC;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_set_user_timeout(fx->s, fx->c, 1500000, fx->now), 0);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"ab", 2, fx->now), 2);
	fx_at(fx, fx->now + SEC);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "unanswered: woken at the user timeout", fx->now + 1500000,
		 refstack_next_deadline(fx->s));
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
	FX_CHECK(fx, "answered: the next probe", fx->now + 2 * SEC, refstack_next_deadline(fx->s));
	for (int i = 1; i < 10; i++) {
		fx_at(fx, refstack_next_deadline(fx->s));
		EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
		EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
		EXPECT_STATE(fx, fx->c, ESTABLISHED);
	}
	EXPECT_NO_TR(fx);
	/* the window opens: all of it goes */
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 1000), ACCEPTED);
	EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
}

/* Only a FIN waits: it probes the zero window itself. */
static void test_persist_fin_probe(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_TR(fx, fx->c, ESTABLISHED, FIN_WAIT_1, APP_CLOSE);
	EXPECT_NO_SEG(fx);
	fx_at(fx, fx->now + SEC);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2, 0), ACCEPTED);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, FIN_WAIT_2, RCV_ACK);
}

/* MUST-38: 100 octets of window after 65535, 1000 waiting: nothing at
 * once; the override timeout (one RTO) sends the 100. */
static void test_sender_sws(void **state)
{
	struct fx *fx = *state;
	uint8_t d[1000];
	const struct tc_seg *o;

	memset(d, 'x', sizeof(d));
	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 100), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, d, sizeof(d), fx->now), 1000);
	EXPECT_NO_SEG(fx);
	fx_at(fx, fx->now + SEC);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "what the window takes", 100, o->len);
	EXPECT_NO_SEG(fx);
	/* half the largest window is enough: 32767 octets open sends at once */
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 101, 32767), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 101, FX_PISS + 1);
	FX_CHECK(fx, "the rest", 900, o->len);
}

/* 3.7.4 Nagle: the second small write waits for the first's ACK; turning
 * Nagle off (MUST-17) sends it; a CLOSE does too. */
static void test_nagle(void **state)
{
	struct fx *fx = *state;

	fx->cfg.nagle = true;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"aaaa", 4, fx->now), 4);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 4);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"bbbb", 4, fx->now), 4);
	EXPECT_NO_SEG(fx);
	/* the ACK of the first lets the second go */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 5), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 5, FX_PISS + 1, 65535, 4);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"cccc", 4, fx->now), 4);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_set_nagle(fx->s, fx->c, false, fx->now), 0);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 9, FX_PISS + 1, 65535, 4);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"dddd", 4, fx->now), 4);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 13, FX_PISS + 1, 65535, 4);
	assert_int_equal(refstack_set_nagle(fx->s, fx->c, true, fx->now), 0);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"eeee", 4, fx->now), 4);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG_WL(fx, SEG_FIN | SEG_PSH | SEG_ACK, FX_ISS + 17, FX_PISS + 1, 65535, 4);
	assert_int_equal(refstack_set_nagle(fx->s, NULL, true, fx->now), -EINVAL);
}

/* MUST-40: a delayed-ACK delay of 2 s is kept under 0.5 s. */
static void test_delack_clamped(void **state)
{
	struct fx *fx = *state;

	fx->cfg.delack_us = 2 * SEC;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, "x", 1), ACCEPTED);
	EXPECT_NO_SEG(fx);
	FX_CHECK(fx, "delayed ACK deadline", fx->now + REFSTACK_DELACK_MAX_US, refstack_next_deadline(fx->s));
	/* SHLD-19: the second segment forces it out */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 1, "y", 1), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 3);
}

/* MUST-25: no keep-alive unless asked for. */
static void test_keepalive_off(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* Keep-alive after 10 s idle: <SEQ=SND.NXT-1><ACK=RCV.NXT>; an answer
 * restarts the idle time; unanswered probes every 75 s, and after 9 of
 * them the connection is dropped (one lost answer is not enough, MUST-29). */
static void test_keepalive_probes(void **state)
{
	struct fx *fx = *state;
	const struct tc_seg *o;

	fx->cfg.keepalive_us = 10 * SEC;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	FX_CHECK(fx, "idle deadline", fx->now + 10 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, fx->now + 10 * SEC);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS, FX_PISS + 1);
	FX_CHECK(fx, "no text", 0, o->len);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	FX_CHECK(fx, "idle again", fx->now + 10 * SEC, refstack_next_deadline(fx->s));
	fx_at(fx, fx->now + 10 * SEC);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS, FX_PISS + 1);
	for (int i = 1; i < (int)REFSTACK_KEEPALIVE_PROBES; i++) {
		fx_at(fx, fx->now + REFSTACK_DEFAULT_KEEPALIVE_INTVL_US);
		EXPECT_SEG(fx, SEG_ACK, FX_ISS, FX_PISS + 1);
		EXPECT_STATE(fx, fx->c, ESTABLISHED);
	}
	fx_at(fx, fx->now + REFSTACK_DEFAULT_KEEPALIVE_INTVL_US);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSED, TIMEOUT_KEEPALIVE);
	FX_CHECK(fx, "error", -ETIMEDOUT, refstack_conn_error(fx->c));
}

/* MUST-24, MUST-27: one connection's keep-alive, on and off. */
static void test_set_keepalive(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_set_keepalive(fx->s, fx->c, 3 * SEC, SEC, fx->now), 0);
	fx_at(fx, fx->now + 3 * SEC);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS, FX_PISS + 1);
	fx_at(fx, fx->now + SEC);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS, FX_PISS + 1);
	assert_int_equal(refstack_set_keepalive(fx->s, fx->c, 0, 0, fx->now), 0);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* 3.10.7.2: text on a SYN is held, the SYN,ACK acknowledges the SYN only;
 * the ACK completing the handshake lets the text in, acknowledged at once. */
static void test_syn_text(void **state)
{
	struct fx *fx = *state;
	struct tc_seg syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	struct refstack_conn *a = NULL;
	uint8_t buf[8];

	fx_listen(fx);
	fx_set_data(&syn, "hi!", 3);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	fx->c = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT);
	assert_non_null(fx->c);
	FX_CHECK(fx, "nothing readable yet", 0, refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now));
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 4, FX_ISS + 1), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 4, 65535 - 3, 0);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	assert_int_equal(refstack_recv(fx->s, a, buf, sizeof(buf), fx->now), 3);
	assert_memory_equal(buf, "hi!", 3);
	/* the peer sends it again anyway: a duplicate, acknowledged */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, "hi!", 3), SEQ_UNACCEPTABLE);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_persist_probe_backoff, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_persist_never_gives_up, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_persist_user_timeout_unanswered, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_persist_user_timeout_answered, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_persist_fin_probe, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sender_sws, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nagle, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delack_clamped, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_off, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_probes, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_set_keepalive, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_text, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
