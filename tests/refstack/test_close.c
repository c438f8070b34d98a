/* Closing: 9293 3.10.4 CLOSE and 3.10.7.4 steps 5 and 8; the three paths
 * into TIME-WAIT and its 2*MSL end (3.4.2, 3.10.8). */
#include "refstack_fixture.h"

#define MSL (120 * SEC)

/* ESTABLISHED -close-> FIN-WAIT-1 -ACK-> FIN-WAIT-2 -FIN-> TIME-WAIT
 * -2*MSL-> CLOSED */
static void test_active_close(void **state)
{
	struct fx *fx = *state;
	uint64_t t_tw = 5 * SEC;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG_WL(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 0);
	EXPECT_TR(fx, fx->c, ESTABLISHED, FIN_WAIT_1, APP_CLOSE);
	/* the FIN is under the retransmission timer */
	assert_true(refstack_next_deadline(fx->s) == 1 * SEC);

	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, FIN_WAIT_2, RCV_ACK);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);

	fx->now = t_tw;
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 2);
	EXPECT_TR(fx, fx->c, FIN_WAIT_2, TIME_WAIT, RCV_FIN);
	assert_true(refstack_conn_eof(fx->c));

	/* 9293 3.4.2: exactly 2*MSL */
	FX_CHECK(fx, "deadline", t_tw + 2 * MSL, refstack_next_deadline(fx->s));
	fx_at(fx, t_tw + 2 * MSL - 1);
	EXPECT_STATE(fx, fx->c, TIME_WAIT);
	EXPECT_NO_TR(fx);
	fx_at(fx, t_tw + 2 * MSL);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, TIMEOUT_2MSL);
	EXPECT_STATE(fx, fx->c, CLOSED);
	assert_null(refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT));
	assert_int_equal(refstack_conn_error(fx->c), 0);
	EXPECT_NO_SEG(fx);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	/* no TCB any more: the listener answers (3.10.7.2) */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 2), LISTEN_ACK);
	EXPECT_SEG(fx, SEG_RST, FX_ISS + 2, 0);
}

/* ESTABLISHED -FIN-> CLOSE-WAIT -close-> LAST-ACK -ACK-> CLOSED */
static void test_passive_close(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[4];

	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 2);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSE_WAIT, RCV_FIN);
	/* end of stream */
	assert_true(refstack_conn_eof(fx->c));
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 0);

	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 2);
	EXPECT_TR(fx, fx->c, CLOSE_WAIT, LAST_ACK, APP_CLOSE);
	/* an ACK that does not cover the FIN changes nothing */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 1), ACCEPTED);
	EXPECT_NO_TR(fx);
	EXPECT_STATE(fx, fx->c, LAST_ACK);
	/* 9293 3.10.7.4 step 5 LAST-ACK: our FIN acked -> CLOSED */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 2), ACCEPTED);
	EXPECT_TR(fx, fx->c, LAST_ACK, CLOSED, RCV_ACK);
	EXPECT_STATE(fx, fx->c, CLOSED);
	EXPECT_NO_SEG(fx);
	assert_null(refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT));
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* Simultaneous close: FIN-WAIT-1 -FIN-> CLOSING -ACK-> TIME-WAIT */
static void test_simultaneous_close(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_FIN_WAIT_1);
	/* the peer's FIN, not acknowledging ours */
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 2);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, CLOSING, RCV_FIN);
	EXPECT_NO_TR(fx);
	/* 9293 3.10.7.4 step 5 CLOSING: "otherwise, ignore the segment" */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 1), ACCEPTED);
	EXPECT_NO_TR(fx);
	EXPECT_NO_SEG(fx);
	/* the ACK of our FIN */
	fx->now = 3 * SEC;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 2), ACCEPTED);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, CLOSING, TIME_WAIT, RCV_ACK);
	FX_CHECK(fx, "deadline", 3 * SEC + 2 * MSL, refstack_next_deadline(fx->s));
	fx_at(fx, 3 * SEC + 2 * MSL - 1);
	EXPECT_NO_TR(fx);
	fx_at(fx, 3 * SEC + 2 * MSL);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, TIMEOUT_2MSL);
}

/* FIN-WAIT-1 + FIN whose ACK covers our FIN -> TIME-WAIT directly
 * (9293 3.10.7.4 step 8: "If our FIN has been ACKed (perhaps in this
 * segment), then enter TIME-WAIT") */
static void test_finack_to_time_wait(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_FIN_WAIT_1);
	fx->now = 7 * SEC;
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 2);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, TIME_WAIT, RCV_FIN);
	EXPECT_NO_TR(fx);
	FX_CHECK(fx, "deadline", 7 * SEC + 2 * MSL, refstack_next_deadline(fx->s));
	fx_at(fx, 7 * SEC + 2 * MSL);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, TIMEOUT_2MSL);
}

/* FIN-WAIT-1: FIN with text, acking our FIN: the text is taken, then
 * TIME-WAIT */
static void test_finack_with_data_to_time_wait(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[8];

	fx_goto(fx, REFSTACK_FIN_WAIT_1);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 2, "bye", 3), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 5);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, TIME_WAIT, RCV_FIN);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 3);
	assert_memory_equal(buf, "bye", 3);
	assert_true(refstack_conn_eof(fx->c));
}

/* 9293 3.10.7.4 step 8 TIME-WAIT: a retransmitted FIN is acknowledged and
 * restarts the 2 MSL timeout */
static void test_time_wait_fin_retransmit(void **state)
{
	struct fx *fx = *state;
	uint64_t t1 = 30 * SEC;

	fx_goto(fx, REFSTACK_TIME_WAIT); /* entered at t = 0 */
	FX_CHECK(fx, "deadline", 2 * MSL, refstack_next_deadline(fx->s));
	fx_at(fx, t1);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 2);
	EXPECT_NO_SEG(fx);
	FX_CHECK(fx, "deadline", t1 + 2 * MSL, refstack_next_deadline(fx->s));
	fx_at(fx, 2 * MSL);
	EXPECT_NO_TR(fx);
	fx_at(fx, t1 + 2 * MSL - 1);
	EXPECT_STATE(fx, fx->c, TIME_WAIT);
	fx_at(fx, t1 + 2 * MSL);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, TIMEOUT_2MSL);
}

/* Other segments in TIME-WAIT: a plain ACK changes nothing; new text is
 * answered with an ACK (3.10.7.4 step 1) and ignored. */
static void test_time_wait_other_segments(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_TIME_WAIT);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 2), ACCEPTED);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 2, "late", 4), ACCEPTED);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2, "old", 1), SEQ_UNACCEPTABLE);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 2);
	EXPECT_NO_TR(fx);
	FX_CHECK(fx, "deadline", 2 * MSL, refstack_next_deadline(fx->s));
}

/* 9293 3.10.4 SYN-RECEIVED: CLOSE with nothing queued -> FIN, FIN-WAIT-1 */
static void test_syn_received_close(void **state)
{
	struct fx *fx = *state;

	fx_syn_received_active(fx);
	fx_clear(fx);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, FIN_WAIT_1, APP_CLOSE);
	/* the SYN is not acknowledged yet: the timer retransmits the SYN-ACK */
	fx_at(fx, 1 * SEC);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	/* an ACK of SYN and FIN */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, FIN_WAIT_2, RCV_ACK);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* The same from a passive open: the peer's ACK of the SYN-ACK alone leaves
 * FIN-WAIT-1, the ACK of the FIN moves on. */
static void test_syn_received_passive_close(void **state)
{
	struct fx *fx = *state;
	struct refstack_conn *a = NULL;

	fx_goto(fx, REFSTACK_SYN_RECEIVED);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, FIN_WAIT_1, APP_CLOSE);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	EXPECT_NO_TR(fx);
	EXPECT_STATE(fx, fx->c, FIN_WAIT_1);
	/* never ESTABLISHED: nothing to accept */
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), -EAGAIN);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, FIN_WAIT_2, RCV_ACK);
	EXPECT_NO_SEG(fx);
}

/* 9293 3.10.4 SYN-SENT: CLOSE deletes the TCB, nothing sent */
static void test_syn_sent_close(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_TR(fx, fx->c, SYN_SENT, CLOSED, APP_CLOSE);
	EXPECT_NO_SEG(fx);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), -ENOTCONN);
}

/* Shutdown in SYN-SENT: the FIN follows as soon as the connection is up. */
static void test_syn_sent_shutdown(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	assert_int_equal(refstack_shutdown(fx->s, fx->c, fx->now), 0);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), ACCEPTED);
	/* the ACK rides on the FIN */
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, SYN_SENT, ESTABLISHED, RCV_SYNACK);
	EXPECT_TR(fx, fx->c, ESTABLISHED, FIN_WAIT_1, APP_CLOSE);
}

/* The FIN goes after all queued text, even when the window holds it back. */
static void test_fin_after_queued_data(void **state)
{
	struct fx *fx = *state;
	uint8_t data[100];

	memset(data, 'd', sizeof(data));
	fx_goto(fx, REFSTACK_ESTABLISHED);
	/* the peer's window: 50 bytes */
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 50), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, data, sizeof(data), fx->now), 100);
	/* 9293 3.8.6.2.1 (MUST-38): 50 octets are less than a segment, less
	 * than the data and less than half the largest window (65535): held
	 * until the override timeout, one RTO */
	EXPECT_NO_SEG(fx);
	fx->now += SEC;
	refstack_timers(fx->s, fx->now);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 50);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_TR(fx, fx->c, ESTABLISHED, FIN_WAIT_1, APP_CLOSE);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_send(fx->s, fx->c, data, 1, fx->now), -EPIPE);
	/* the window opens: the rest and the FIN in one segment */
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 51, 1000), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_FIN | SEG_PSH | SEG_ACK, FX_ISS + 51, FX_PISS + 1, 65535, 50);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 102), ACCEPTED);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, FIN_WAIT_2, RCV_ACK);
}

/* The FIN takes one sequence number: with the window exactly full of text
 * it waits for one more byte of window. */
static void test_fin_needs_window(void **state)
{
	struct fx *fx = *state;
	uint8_t data[10] = "0123456789";

	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 10), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, data, 10, fx->now), 10);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 10);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 11, 10), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_FIN | SEG_ACK, FX_ISS + 11, FX_PISS + 1, 65535, 0);
}

/* 9293 3.6.1, RFC 1122 4.2.2.13 (SHLD-3): CLOSE with received text unread
 * resets the connection to show that data was lost */
static void test_close_with_unread_text_resets(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, "lost", 4), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 5);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG_WL(fx, SEG_RST, FX_ISS + 1, 0, 0, 0);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSED, DATA_LOST);
	EXPECT_NO_SEG(fx);
}

/* The same for text that arrives after CLOSE (not after a half-close) */
static void test_text_after_close_resets(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_TR(fx, fx->c, ESTABLISHED, FIN_WAIT_1, APP_CLOSE);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, FIN_WAIT_2, RCV_ACK);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2, "late", 4), TEXT_AFTER_CLOSE);
	EXPECT_SEG_WL(fx, SEG_RST, FX_ISS + 2, 0, 0, 0);
	EXPECT_TR(fx, fx->c, FIN_WAIT_2, CLOSED, DATA_LOST);
	EXPECT_NO_SEG(fx);
}

/* Half close: text still flows to us in FIN-WAIT-2. */
static void test_fin_wait_2_receives(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[8];

	fx_goto(fx, REFSTACK_FIN_WAIT_2);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2, "more", 4), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 5, 65535 - 4, 0);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 4);
	assert_memory_equal(buf, "more", 4);
	EXPECT_STATE(fx, fx->c, FIN_WAIT_2);
}

/* 9293 3.10.7.4 step 7 CLOSE-WAIT: "Ignore the segment text." */
static void test_close_wait_ignores_text(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[8];

	fx_goto(fx, REFSTACK_CLOSE_WAIT);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 1, "zz", 2), ACCEPTED);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 0);
	/* sending still works in CLOSE-WAIT */
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"ok", 2, fx->now), 2);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 2, 65535, 2);
}

/* 9293 3.10.5 ABORT */
static void test_abort(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_ESTABLISHED);
	assert_int_equal(refstack_abort(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG_WL(fx, SEG_RST, FX_ISS + 1, 0, 0, 0);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSED, APP_ABORT);
	assert_int_equal(refstack_abort(fx->s, fx->c, fx->now), -ENOTCONN);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"x", 1, fx->now), -ENOTCONN);
}

/* 9293 3.10.5 SYN-RECEIVED: <SEQ=SND.NXT><CTL=RST> */
static void test_abort_syn_received(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_RECEIVED);
	assert_int_equal(refstack_abort(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG_WL(fx, SEG_RST, FX_ISS + 1, 0, 0, 0);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, CLOSED, APP_ABORT);
	assert_true(refstack_listening(fx->s, FX_PORT));
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

static void test_abort_time_wait(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_TIME_WAIT);
	assert_int_equal(refstack_abort(fx->s, fx->c, fx->now), 0);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, APP_ABORT);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

static void test_abort_syn_sent(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	assert_int_equal(refstack_abort(fx->s, fx->c, fx->now), 0);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, SYN_SENT, CLOSED, APP_ABORT);
}

/* Close and shutdown once closing: nothing more happens. */
static void test_close_twice(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_FIN_WAIT_1);
	assert_int_equal(refstack_shutdown(fx->s, fx->c, fx->now), 0);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_active_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_passive_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_finack_to_time_wait, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_finack_with_data_to_time_wait, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_fin_retransmit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_other_segments, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_received_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_received_passive_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_shutdown, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fin_after_queued_data, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fin_needs_window, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fin_wait_2_receives, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_with_unread_text_resets, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_text_after_close_resets, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_wait_ignores_text, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_abort, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_abort_syn_received, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_abort_time_wait, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_abort_syn_sent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_twice, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("refstack close", tests, NULL, NULL);
}
