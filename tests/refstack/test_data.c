/* Text both ways: 9293 3.10.7.4 step 7 (receive), 3.10.2 SEND and the
 * window (3.8.6), the receive window shrinking and reopening (3.8.6.2.2),
 * delayed ACKs (3.8.6.3). */
#include "refstack_fixture.h"

static void fill(uint8_t *p, size_t n, size_t base)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)('a' + (base + i) % 26);
}

/* In-order text: buffered, RCV.NXT advances, the window shrinks, ACK. */
static void test_receive_in_order(void **state)
{
	struct fx *fx = *state;
	uint8_t d[200], buf[300];

	fill(d, sizeof(d), 0);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK | SEG_PSH, FX_PISS + 1, FX_ISS + 1, d, 100), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 101, 65535 - 100, 0);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 101, FX_ISS + 1, d + 100, 100), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 201, 65535 - 200, 0);
	EXPECT_NO_SEG(fx);
	/* short reads */
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, 50, fx->now), 50);
	assert_memory_equal(buf, d, 50);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 150);
	assert_memory_equal(buf, d + 50, 150);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 0);
	assert_false(refstack_conn_eof(fx->c));
	/* 200 bytes read is less than min(RCV.BUFF/2, MSS): no window update */
	EXPECT_NO_SEG(fx);
	/* 1500 more received and read: the right edge moves, an update says so
	 * (the cases' data/receive-in-order) */
	{
		uint8_t big[1500];

		fill(big, sizeof(big), 200);
		EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 201, FX_ISS + 1, big, 1000), ACCEPTED);
		EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1201, 65535 - 1200, 0);
		EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1201, FX_ISS + 1, big + 1000, 500),
			    ACCEPTED);
		EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1701, 65535 - 1700, 0);
		assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 300);
		EXPECT_NO_SEG(fx);
		assert_int_equal(refstack_recv(fx->s, fx->c, big, sizeof(big), fx->now), 1200);
		EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1701, 65535, 0);
		EXPECT_NO_SEG(fx);
	}
}

/* The window shrinks to zero and reopens only by at least
 * min(RCV.BUFF/2, Eff.snd.MSS) (9293 3.8.6.2.2), each time with a window
 * update. */
static void test_receive_window_shrinks_and_reopens(void **state)
{
	struct fx *fx = *state;
	uint8_t d[4000], buf[4000];
	uint32_t seq;

	fx->cfg.rcv_wnd = 4000;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED); /* peer MSS 1460 */
	fill(d, sizeof(d), 0);
	seq = FX_PISS + 1;
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, seq, FX_ISS + 1, d, 1460), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, seq + 1460, 4000 - 1460, 0);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, seq + 1460, FX_ISS + 1, d + 1460, 1460), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, seq + 2920, 4000 - 2920, 0);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, seq + 2920, FX_ISS + 1, d + 2920, 1080), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, seq + 4000, 0, 0);
	/* zero window: one more byte is not acceptable */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, seq + 4000, FX_ISS + 1, "x", 1), SEQ_UNACCEPTABLE);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, seq + 4000, 0, 0);
	/* reading 1000 (< 1460) keeps the window shut */
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, 1000, fx->now), 1000);
	EXPECT_NO_SEG(fx);
	/* reading 500 more opens it by 1500: a window update */
	assert_int_equal(refstack_recv(fx->s, fx->c, buf + 1000, 500, fx->now), 500);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, seq + 4000, 1500, 0);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf + 1500, 4000, fx->now), 2500);
	assert_memory_equal(buf, d, 4000);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, seq + 4000, 4000, 0);
	/* and text flows again */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, seq + 4000, FX_ISS + 1, "y", 1), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, seq + 4001, 3999, 0);
}

/* Text beyond the window is cut off (3.10.7.4 step 1, idealized segment). */
static void test_receive_trimmed_to_window(void **state)
{
	struct fx *fx = *state;
	uint8_t d[1500], buf[1500];

	fx->cfg.rcv_wnd = 1000;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	fill(d, sizeof(d), 0);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK | SEG_FIN, FX_PISS + 1, FX_ISS + 1, d, 1500), ACCEPTED);
	/* the first 1000 bytes; the FIN lay beyond the window */
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1001, 0, 0);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 1000);
	assert_memory_equal(buf, d, 1000);
}

/* Text partly before RCV.NXT: only the new part is taken. */
static void test_receive_overlap(void **state)
{
	struct fx *fx = *state;
	uint8_t d[20], buf[20];

	fx_goto(fx, REFSTACK_ESTABLISHED);
	fill(d, sizeof(d), 0);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, d, 10), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 11);
	/* bytes 7..19: 7, 8, 9 are old */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 8, FX_ISS + 1, d + 7, 13), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 21, 65535 - 20, 0);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 20);
	assert_memory_equal(buf, d, 20);
}

/* Out-of-order text is not queued: dropped, duplicate ACK at once. */
static void test_receive_out_of_order(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[16];

	fx->cfg.delack_us = 100000; /* out-of-order is acknowledged at once anyway */
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 11, FX_ISS + 1, "later", 5), OUT_OF_ORDER);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 0);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 0);
	/* an out-of-order FIN neither */
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 5, FX_ISS + 1), OUT_OF_ORDER);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_NO_TR(fx);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
}

/* Text and FIN together: both acknowledged, CLOSE-WAIT, EOF after reading. */
static void test_receive_data_and_fin(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[16];

	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_FIN | SEG_PSH | SEG_ACK, FX_PISS + 1, FX_ISS + 1, "last", 4),
		    ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6, 65535 - 4, 0);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSE_WAIT, RCV_FIN);
	assert_false(refstack_conn_eof(fx->c));
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 4);
	assert_true(refstack_conn_eof(fx->c));
}

/* The third segment of the handshake may carry text. */
static void test_receive_on_handshake_ack(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[8];

	fx_goto(fx, REFSTACK_SYN_RECEIVED);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK | SEG_PSH, FX_PISS + 1, FX_ISS + 1, "GET", 3), ACCEPTED);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, ESTABLISHED, RCV_ACK);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 4, 65535 - 3, 0);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 3);
	assert_memory_equal(buf, "GET", 3);
}

/* The urgent pointer is recorded; the text itself is ordinary text. */
static void test_receive_urgent(void **state)
{
	struct fx *fx = *state;
	struct tc_seg seg;
	uint8_t buf[8];

	fx_goto(fx, REFSTACK_ESTABLISHED);
	seg = fx_mkseg(fx, SEG_ACK | SEG_URG, FX_PISS + 1, FX_ISS + 1);
	fx_set_data(&seg, "urg!", 4);
	seg.urp = 4;
	EXPECT_DROP(fx, fx_feed(fx, &seg), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 5);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 4);
}

/* 9293 3.10.7.4 step 6, 3.8.5 (MUST-32, MUST-33): the user is told of
 * urgent data while RCV.UP is ahead of what it read, and learns how much
 * is left; at the mark one urgent octet (the last) remains. */
static void test_receive_urgent_told(void **state)
{
	struct fx *fx = *state;
	struct tc_seg seg;
	uint8_t buf[8];

	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK | SEG_PSH, FX_PISS + 1, FX_ISS + 1, "ab", 2), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 3);
	assert_int_equal(refstack_conn_urgent(fx->s, fx->c), 0);
	seg = fx_mkseg(fx, SEG_ACK | SEG_URG, FX_PISS + 3, FX_ISS + 1);
	fx_set_data(&seg, "cde", 3);
	seg.urp = 3;
	EXPECT_DROP(fx, fx_feed(fx, &seg), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6);
	assert_int_equal(refstack_conn_urgent(fx->s, fx->c), 5);
	assert_false(refstack_conn_atmark(fx->s, fx->c));
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, 4, fx->now), 4);
	assert_int_equal(refstack_conn_urgent(fx->s, fx->c), 1);
	assert_true(refstack_conn_atmark(fx->s, fx->c));
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 1);
	assert_int_equal(refstack_conn_urgent(fx->s, fx->c), 0);
	assert_false(refstack_conn_atmark(fx->s, fx->c));
}

/* Zero receive window: text refused, but the segment's ACK is processed
 * (3.10.7.4 step 1, "special allowance ... valid ACKs"). */
static void test_zero_window_processes_ack(void **state)
{
	struct fx *fx = *state;
	uint8_t d[100];

	fx->cfg.rcv_wnd = 100;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	fill(d, sizeof(d), 0);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, d, 100), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 101, 0, 0);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"ping", 4, fx->now), 4);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 101, 0, 4);
	assert_true(refstack_next_deadline(fx->s) == 1 * SEC);
	/* the peer answers with text, acknowledging ours */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 101, FX_ISS + 5, "pong", 4), SEQ_UNACCEPTABLE);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 5, FX_PISS + 101, 0, 0);
	EXPECT_NO_SEG(fx);
	/* our text was acknowledged: nothing outstanding, no timer */
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* Sending: segments of Eff.snd.MSS, PSH on the last, all acknowledged. */
static void test_send_segments(void **state)
{
	struct fx *fx = *state;
	uint8_t d[3000];
	const struct tc_seg *o;

	fx_goto(fx, REFSTACK_ESTABLISHED); /* peer MSS 1460 */
	fill(d, sizeof(d), 0);
	assert_int_equal(refstack_send(fx->s, fx->c, d, sizeof(d), fx->now), 3000);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "length", 1460, o->len);
	assert_memory_equal(o->payload, d, 1460);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1461, FX_PISS + 1);
	FX_CHECK(fx, "length", 1460, o->len);
	assert_memory_equal(o->payload, d + 1460, 1460);
	o = EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 2921, FX_PISS + 1);
	FX_CHECK(fx, "length", 80, o->len);
	assert_memory_equal(o->payload, d + 2920, 80);
	EXPECT_NO_SEG(fx);
	FX_CHECK(fx, "deadline", 1 * SEC, refstack_next_deadline(fx->s));
	/* partial ACK: the timer restarts */
	fx->now = 300000;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1461), ACCEPTED);
	FX_CHECK(fx, "deadline", 300000 + 1 * SEC, refstack_next_deadline(fx->s));
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 3001), ACCEPTED);
	EXPECT_NO_SEG(fx);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* More than the peer's window: the rest waits for the window to open. */
static void test_send_window_limited(void **state)
{
	struct fx *fx = *state;
	uint8_t d[3000];
	const struct tc_seg *o;

	/* the peer's window from its SYN on: 1000, so that 600 octets are more
	 * than half of its largest and pass sender SWS avoidance (3.8.6.2.1) */
	fx->pwin = 1000;
	fx_goto(fx, REFSTACK_ESTABLISHED);
	fill(d, sizeof(d), 0);
	/* the peer's window: 1000 */
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 1000), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, d, sizeof(d), fx->now), 3000);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "length", 1000, o->len);
	EXPECT_NO_SEG(fx);
	/* 1000 acknowledged, window 1000 again: the next 1000 */
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1001, 1000), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1001, FX_PISS + 1);
	FX_CHECK(fx, "length", 1000, o->len);
	assert_memory_equal(o->payload, d + 1000, 1000);
	EXPECT_NO_SEG(fx);
	/* acknowledged, but the window closes: nothing, and the persist
	 * timer runs for one RTO (9293 3.8.6.1) */
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2001, 0), ACCEPTED);
	EXPECT_NO_SEG(fx);
	assert_true(refstack_next_deadline(fx->s) == fx->now + SEC);
	/* a window update (same SEG.SEQ and SEG.ACK: SND.WL1/WL2 allow it) */
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2001, 600), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2001, FX_PISS + 1);
	FX_CHECK(fx, "length", 600, o->len);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 2601, 5000), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 2601, FX_PISS + 1);
	FX_CHECK(fx, "length", 400, o->len);
	assert_memory_equal(o->payload, d + 2600, 400);
	EXPECT_NO_SEG(fx);
}

/* A window advertised by an older segment (SEG.SEQ < SND.WL1) is not taken
 * (9293 3.10.7.4 step 5). */
static void test_send_window_old_segment_ignored(void **state)
{
	struct fx *fx = *state;
	uint8_t d[20];

	fx_goto(fx, REFSTACK_ESTABLISHED);
	fill(d, sizeof(d), 0);
	/* the peer sends 10 bytes, then closes its window at SEG.SEQ = 11 */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, d, 10), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 11);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 11, FX_ISS + 1, 0), ACCEPTED);
	/* a segment from earlier in the peer's sequence space (SEG.SEQ = 6),
	 * partly new text: the text is taken, the window it carries is older
	 * than SND.WL1 and is not */
	{
		struct tc_seg seg = fx_mkseg(fx, SEG_ACK, FX_PISS + 6, FX_ISS + 1);

		seg.win = 5000;
		fx_set_data(&seg, d + 5, 10);
		EXPECT_DROP(fx, fx_feed(fx, &seg), ACCEPTED);
	}
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 16);
	assert_int_equal(refstack_send(fx->s, fx->c, d, 10, fx->now), 10);
	EXPECT_NO_SEG(fx);
}

/* The send buffer is finite: what does not fit is refused. */
static void test_send_buffer_full(void **state)
{
	struct fx *fx = *state;
	uint8_t d[150];

	fx->cfg.snd_buf = 100;
	fx_start(fx);
	fx->pwin = 60;
	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 0), ACCEPTED);
	fill(d, sizeof(d), 0);
	assert_int_equal(refstack_send(fx->s, fx->c, d, sizeof(d), fx->now), 100);
	assert_int_equal(refstack_send(fx->s, fx->c, d, 1, fx->now), -EAGAIN);
	assert_int_equal(refstack_send(fx->s, fx->c, d, 0, fx->now), 0);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, 60), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 60);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 61, 60), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 61, FX_PISS + 1, 65535, 40);
	/* 60 acknowledged: 60 bytes of room again, the ring wraps; the 20
	 * octets the window has room for are less than half its largest (60)
	 * and data is in flight: sender SWS avoidance waits for the ACK */
	assert_int_equal(refstack_send(fx->s, fx->c, d + 100, 50, fx->now), 50);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 101, 1000), ACCEPTED);
	{
		const struct tc_seg *o = EXPECT_SEG(fx, SEG_PSH | SEG_ACK, FX_ISS + 101, FX_PISS + 1);

		FX_CHECK(fx, "length", 50, o->len);
		assert_memory_equal(o->payload, d + 100, 50);
	}
}

/* Sending before the connection is up: queued, sent with the handshake ACK. */
static void test_send_queued_in_syn_sent(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"early", 5, fx->now), 5);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 5);
	EXPECT_NO_SEG(fx);
}

/* Send and receive at once: our ACK rides on our text. */
static void test_both_ways(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[8];

	fx->cfg.delack_us = 40000;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_PSH | SEG_ACK, FX_PISS + 1, FX_ISS + 1, "ping", 4), ACCEPTED);
	EXPECT_NO_SEG(fx); /* delayed */
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 4);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"pong", 4, fx->now), 4);
	/* 4 bytes read do not move the right edge (3.8.6.2.2): window 65531 */
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, FX_ISS + 1, FX_PISS + 5, 65531, 4);
	EXPECT_NO_SEG(fx);
	/* the delayed ACK went with the text: no timer but retransmission */
	FX_CHECK(fx, "deadline", 1 * SEC, refstack_next_deadline(fx->s));
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 5, FX_ISS + 5), ACCEPTED);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* Delayed ACK (9293 3.8.6.3): after delack_us, or at the second segment. */
static void test_delayed_ack(void **state)
{
	struct fx *fx = *state;
	uint64_t t0 = 10 * SEC;

	fx->cfg.delack_us = 200000;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	fx->now = t0;
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, "a", 1), ACCEPTED);
	EXPECT_NO_SEG(fx);
	FX_CHECK(fx, "deadline", t0 + 200000, refstack_next_deadline(fx->s));
	fx_at(fx, t0 + 199999);
	EXPECT_NO_SEG(fx);
	fx_at(fx, t0 + 200000);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 2);
	EXPECT_SENT_AT(fx, t0 + 200000);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	/* two segments: the second is acknowledged at once */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 1, "b", 1), ACCEPTED);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 3, FX_ISS + 1, "c", 1), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 4);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	/* a FIN is acknowledged at once */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 4, FX_ISS + 1, "d", 1), ACCEPTED);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 5, FX_ISS + 1), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6);
	EXPECT_NO_SEG(fx);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* Text both ways with both sequence spaces wrapping past 2^32. */
static void test_sequence_wrap(void **state)
{
	struct fx *fx = *state;
	uint8_t d[1000], buf[1000];
	struct tc_seg syn;
	uint32_t piss = 0xffffff00u;
	struct refstack_conn *a;

	fx->cfg.iss = 0xffffff80u;
	fx_start(fx);
	fx_listen(fx);
	syn = fx_mkseg(fx, SEG_SYN, piss, 0);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, 0xffffff80u, piss + 1);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, piss + 1, 0xffffff81u), ACCEPTED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	fill(d, sizeof(d), 3);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, piss + 1, 0xffffff81u, d, 500), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, 0xffffff81u, piss + 501);
	assert_int_equal(refstack_recv(fx->s, a, buf, sizeof(buf), fx->now), 500);
	assert_memory_equal(buf, d, 500);
	assert_int_equal(refstack_send(fx->s, a, d, 500, fx->now), 500);
	/* 500 read < min(RCV.BUFF/2, 536): the window stays at 65035 */
	EXPECT_SEG_WL(fx, SEG_PSH | SEG_ACK, 0xffffff81u, piss + 501, 65035, 500);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, piss + 501, 0xffffff81u + 500), ACCEPTED);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_receive_in_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_window_shrinks_and_reopens, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_trimmed_to_window, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_overlap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_out_of_order, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_data_and_fin, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_on_handshake_ack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_urgent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_urgent_told, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zero_window_processes_ack, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_send_segments, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_send_window_limited, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_send_window_old_segment_ignored, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_send_buffer_full, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_send_queued_in_syn_sent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_both_ways, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delayed_ack, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sequence_wrap, fx_setup_nostart, fx_teardown),
	};

	return cmocka_run_group_tests_name("refstack data", tests, NULL, NULL);
}
