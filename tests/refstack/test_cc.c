/* Congestion control (lib/refstack/refstack_cc.c) and SACK loss recovery
 * as a sender (refstack_sack_send.c): RFC 5681 3.1 initial window and slow
 * start, 3.2 fast retransmit, 4.1 restart after idle; RFC 6582 partial
 * ACKs; RFC 3042 limited transmit; RFC 6675 holes only. Byte in, byte out. */
#include "refstack_fixture.h"

#define MSS 1000u
#define UNA (FX_ISS + 1) /* our first data octet */

static uint8_t buf[65536];

/* Passive open with the peer's MSS 1000 (and SACK-permitted when sack). */
static void established(struct fx *fx, bool sack)
{
	struct tc_seg syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	struct refstack_conn *a = NULL;

	if (sack) {
		struct seg_opt o = {.kind = SEG_OPT_SACK_PERM};

		fx->cfg.sack_permitted = true;
		fx_start(fx);
		fx_add_mss(&syn, MSS);
		assert_int_equal(seg_add_opt(&syn, &o), 0);
	} else {
		fx_start(fx);
		fx_add_mss(&syn, MSS);
	}
	fx_listen(fx);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	fx->c = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT);
	assert_non_null(fx->c);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	fx_clear(fx);
}

static void send_n(struct fx *fx, size_t n)
{
	assert_int_equal(refstack_send(fx->s, fx->c, buf, n, fx->now), (int)n);
}

/* n data segments of MSS from seq on, the last with PSH when last. */
static void expect_data(struct fx *fx, uint32_t seq, unsigned n, bool last)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t f = SEG_ACK | (last && i == n - 1 ? SEG_PSH : 0);
		const struct tc_seg *o = EXPECT_SEG(fx, f, seq + i * MSS, FX_PISS + 1);

		FX_CHECK(fx, "length", MSS, o->len);
	}
}

static void ack(struct fx *fx, uint32_t a)
{
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, a), ACCEPTED);
}

static void sack(struct fx *fx, uint32_t a, uint32_t l, uint32_t r, uint32_t l2, uint32_t r2)
{
	struct tc_seg seg = fx_mkseg(fx, SEG_ACK, FX_PISS + 1, a);
	struct seg_opt o = {.kind = SEG_OPT_SACK};

	o.u.sack.b[0] = (struct seg_sack_block){l, r};
	o.u.sack.n = 1;
	if (r2) {
		o.u.sack.b[1] = (struct seg_sack_block){l2, r2};
		o.u.sack.n = 2;
	}
	assert_int_equal(seg_add_opt(&seg, &o), 0);
	EXPECT_DROP(fx, fx_feed(fx, &seg), ACCEPTED);
}

/* 5681 3.1: SMSS 1000 <= 1095: IW = 4 segments; an ACK adds one SMSS. */
static void test_initial_window_and_slow_start(void **state)
{
	struct fx *fx = *state;

	established(fx, false);
	send_n(fx, 10000);
	expect_data(fx, UNA, 4, false);
	EXPECT_NO_SEG(fx);
	ack(fx, UNA + 4000);
	expect_data(fx, UNA + 4000, 5, false);
	EXPECT_NO_SEG(fx);
}

/* cc off: the peer's window alone limits sending. */
static void test_cc_off(void **state)
{
	struct fx *fx = *state;

	fx->cfg.cc = false;
	established(fx, false);
	send_n(fx, 10000);
	expect_data(fx, UNA, 10, true);
	EXPECT_NO_SEG(fx);
}

/* 3042 on the first two duplicate ACKs, 5681 3.2 on the third, 6582 on
 * the partial ACK, then the full ACK. */
static void test_fast_retransmit_newreno(void **state)
{
	struct fx *fx = *state;

	fx->cfg.cc_iw = 10;
	established(fx, false);
	send_n(fx, 12000);
	expect_data(fx, UNA, 10, false);
	EXPECT_NO_SEG(fx);
	ack(fx, UNA);
	expect_data(fx, UNA + 10000, 1, false);
	ack(fx, UNA);
	expect_data(fx, UNA + 11000, 1, true);
	EXPECT_NO_SEG(fx);
	ack(fx, UNA);
	expect_data(fx, UNA, 1, false);
	EXPECT_NO_SEG(fx);
	/* partial: covers 1..2000, not recover */
	ack(fx, UNA + 2000);
	expect_data(fx, UNA + 2000, 1, false);
	EXPECT_NO_SEG(fx);
	ack(fx, UNA + 12000);
	EXPECT_NO_SEG(fx);
}

/* ACKs of a zero window are no duplicate ACKs (the probe's octet is out). */
static void test_zero_window_acks_are_not_dupacks(void **state)
{
	struct fx *fx = *state;

	established(fx, false);
	send_n(fx, 1000);
	expect_data(fx, UNA, 1, true);
	EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, UNA + 1000, 0), ACCEPTED);
	send_n(fx, 100);
	EXPECT_NO_SEG(fx);
	for (int i = 0; i < 4; i++)
		EXPECT_DROP(fx, fx_in_win(fx, SEG_ACK, FX_PISS + 1, UNA + 1000, 0), ACCEPTED);
	EXPECT_NO_SEG(fx);
}

/* 6675: holes at 1 and 2001 are retransmitted, the SACKed 1001 never. */
static void test_sack_holes_only(void **state)
{
	struct fx *fx = *state;

	fx->cfg.cc_iw = 10;
	established(fx, true);
	send_n(fx, 10000);
	expect_data(fx, UNA, 10, true);
	sack(fx, UNA, UNA + 1000, UNA + 2000, 0, 0);
	sack(fx, UNA, UNA + 3000, UNA + 4000, UNA + 1000, UNA + 2000);
	EXPECT_NO_SEG(fx);
	sack(fx, UNA, UNA + 3000, UNA + 5000, UNA + 1000, UNA + 2000);
	expect_data(fx, UNA, 1, false);
	EXPECT_NO_SEG(fx);
	sack(fx, UNA, UNA + 3000, UNA + 6000, UNA + 1000, UNA + 2000);
	EXPECT_NO_SEG(fx);
	sack(fx, UNA, UNA + 3000, UNA + 7000, UNA + 1000, UNA + 2000);
	expect_data(fx, UNA + 2000, 1, false);
	EXPECT_NO_SEG(fx);
	ack(fx, UNA + 10000);
	EXPECT_NO_SEG(fx);
}

/* SACK negotiated, but the peer's duplicate ACKs carry no blocks: 5681
 * fast retransmit and 6582 recovery all the same. */
static void test_sack_peer_without_blocks(void **state)
{
	struct fx *fx = *state;

	fx->cfg.cc_iw = 10;
	established(fx, true);
	send_n(fx, 10000);
	expect_data(fx, UNA, 10, true);
	ack(fx, UNA);
	ack(fx, UNA);
	EXPECT_NO_SEG(fx);
	ack(fx, UNA);
	expect_data(fx, UNA, 1, false);
	ack(fx, UNA + 2000);
	expect_data(fx, UNA + 2000, 1, false);
	EXPECT_NO_SEG(fx);
}

/* 5681 3.1: the timeout leaves one segment of window, ssthresh half the
 * flight; the ACK of it lets two of the rest go again. */
static void test_timeout_window(void **state)
{
	struct fx *fx = *state;

	fx->cfg.cc_iw = 10;
	established(fx, false);
	send_n(fx, 10000);
	expect_data(fx, UNA, 10, true);
	fx_at(fx, fx->now + 1 * SEC);
	expect_data(fx, UNA, 1, false);
	EXPECT_NO_SEG(fx);
	ack(fx, UNA + 1000);
	expect_data(fx, UNA + 1000, 2, false);
	EXPECT_NO_SEG(fx);
}

/* 5681 4.1: after more than an RTO without sending, cwnd <= IW. */
static void test_restart_after_idle(void **state)
{
	struct fx *fx = *state;

	established(fx, false);
	send_n(fx, 4000);
	expect_data(fx, UNA, 4, true);
	ack(fx, UNA + 4000); /* cwnd 5 segments */
	fx->now += 2 * SEC;
	send_n(fx, 6000);
	expect_data(fx, UNA + 4000, 4, false);
	EXPECT_NO_SEG(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_window_and_slow_start, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cc_off, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fast_retransmit_newreno, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zero_window_acks_are_not_dupacks, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sack_holes_only, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sack_peer_without_blocks, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_timeout_window, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restart_after_idle, fx_setup_nostart, fx_teardown),
	};

	return cmocka_run_group_tests_name("refstack congestion control", tests, NULL, NULL);
}
