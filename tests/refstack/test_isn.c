/* ISNs (RFC 6528, RFC 9293 3.4.1), RFC 1337, the RFC 5961 7
 * challenge-ACK throttle and the reopen from TIME-WAIT (RFC 1122
 * 4.2.2.13). */
#include "refstack_fixture.h"

/* The SipHash paper's test vector (Appendix A): key 00..0f, the 15-byte
 * message 00..0e. */
static void test_siphash_vector(void **state)
{
	uint8_t key[16], msg[15];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	assert_true(refstack_siphash24(key, msg, sizeof(msg)) == 0xa129ca6149be45e5ull);
	/* one bit of the key changes the value */
	key[0] ^= 1;
	assert_true(refstack_siphash24(key, msg, sizeof(msg)) != 0xa129ca6149be45e5ull);
}

/* The SYN's ISN of a connect from lport at time t (then the TCB is
 * dropped again: close in SYN-SENT deletes it). */
static uint32_t syn_isn(struct fx *fx, uint16_t lport, uint64_t t)
{
	struct refstack_conn *c = NULL;
	const struct tc_seg *o;

	fx->now = t;
	assert_int_equal(refstack_connect(fx->s, lport, &fx->peer, FX_PPORT, fx->now, &c), 0);
	assert_true(fx->outpos < fx->nout);
	o = &fx->out[fx->outpos++];
	assert_true(o->flags == SEG_SYN);
	assert_int_equal(refstack_close(fx->s, c, fx->now), 0);
	fx->trpos = fx->ntr;
	return o->seq;
}

static int setup_rfc6528(void **state)
{
	struct fx *fx = fx_alloc();

	fx->cfg.iss_mode = REFSTACK_ISS_RFC6528;
	memcpy(fx->cfg.iss_secret, "0123456789abcdef", 16);
	fx_start(fx);
	*state = fx;
	return 0;
}

/* MUST-8: one four-tuple's ISN advances with the clock, one per 4 us. */
static void test_isn_clock(void **state)
{
	struct fx *fx = *state;
	uint32_t a = syn_isn(fx, FX_PORT, SEC);
	uint32_t b = syn_isn(fx, FX_PORT, SEC + 4);
	uint32_t c = syn_isn(fx, FX_PORT, 2 * SEC);

	FX_CHECK(fx, "ISN after 4 us", a + 1, b);
	FX_CHECK(fx, "ISN after 1 s", a + 250000u, c);
}

/* SHLD-1: other four-tuples at the same time get numbers of their own,
 * and another secret gives other numbers. */
static void test_isn_per_tuple(void **state)
{
	struct fx *fx = *state;
	uint32_t a = syn_isn(fx, FX_PORT, SEC);
	uint32_t b = syn_isn(fx, FX_PORT + 1, SEC);
	uint32_t a2;

	assert_true(a != b);
	refstack_free(fx->s);
	fx->cfg.iss_secret[0] ^= 1;
	fx_start(fx);
	a2 = syn_isn(fx, FX_PORT, SEC);
	assert_true(a2 != a);
}

/* RFC 6528 3: F hashes the connection's own local address. A multihomed
 * stack's connection from its second address is another four-tuple: at
 * the same time and ports its ISN differs from the first address's, and
 * its SYN leaves from that address. */
static void test_isn_local_address(void **state)
{
	struct fx *fx = *state;
	struct refstack_conn *c = NULL;
	const struct tc_seg *o;
	uint32_t first = syn_isn(fx, FX_PORT, SEC);

	refstack_free(fx->s);
	assert_int_equal(seg_addr_parse("192.0.2.3", &fx->cfg.addr2), 0);
	fx_start(fx);
	FX_CHECK(fx, "first address, same four-tuple, same time", first, syn_isn(fx, FX_PORT, SEC));
	assert_int_equal(refstack_connect_from(fx->s, &fx->cfg.addr2, FX_PORT, &fx->peer, FX_PPORT, SEC, &c), 0);
	assert_true(fx->outpos < fx->nout);
	o = &fx->out[fx->outpos++];
	FX_CHECK(fx, "SYN from the second address", 0, memcmp(o->src.bytes, fx->cfg.addr2.bytes, 4));
	assert_true(o->seq != first);
}

/* io.iss wins; REFSTACK_ISS_FIXED gives cfg.iss. */
static uint32_t fixed_iss(void *ctx)
{
	(void)ctx;
	return 77;
}

static void test_isn_sources(void **state)
{
	struct fx *fx = *state;
	struct refstack_io io = {.ctx = fx, .output = fx_output, .transition = fx_transition, .iss = fixed_iss};

	FX_CHECK(fx, "fixed ISS", FX_ISS, syn_isn(fx, FX_PORT, SEC));
	refstack_free(fx->s);
	fx->s = refstack_new(&fx->cfg, &io);
	assert_non_null(fx->s);
	FX_CHECK(fx, "io.iss", 77, syn_isn(fx, FX_PORT, SEC));
	refstack_free(fx->s);
	refstack_config_default(&fx->cfg);
	assert_int_equal(fx->cfg.iss_mode, REFSTACK_ISS_RFC6528);
	assert_int_equal(fx->cfg.challenge_ack_limit, 10);
	assert_true(fx->cfg.challenge_ack_period_us == 5 * SEC);
	assert_false(fx->cfg.rfc1337);
	fx->s = NULL;
}

/* RFC 1337 off (9293 3.10.7.4 step 2): an RST ends TIME-WAIT. */
static void test_time_wait_rst_default(void **state)
{
	struct fx *fx = *state;

	fx_time_wait(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, fx->pseq, 0), ACCEPTED);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, RCV_RST);
	EXPECT_NO_SEG(fx);
}

/* RFC 1337 4 on: the RST is ignored, TIME-WAIT goes on to its 2*MSL. */
static void test_time_wait_rst_rfc1337(void **state)
{
	struct fx *fx = *state;

	refstack_free(fx->s);
	fx->cfg.rfc1337 = true;
	fx_start(fx);
	fx_time_wait(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, fx->pseq, 0), TIME_WAIT_RST);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST | SEG_ACK, fx->pseq, fx->pack), TIME_WAIT_RST);
	EXPECT_NO_TR(fx);
	EXPECT_NO_SEG(fx);
	EXPECT_STATE(fx, fx->c, TIME_WAIT);
}

/* RFC 5961 7: ten challenge ACKs in 5 s, the eleventh not; the next
 * period sends again. RST and SYN challenges share the count. */
static void test_challenge_throttle(void **state)
{
	struct fx *fx = *state;

	fx_established(fx);
	for (int i = 0; i < 9; i++) {
		EXPECT_DROP(fx, fx_in(fx, SEG_RST, fx->pseq + 10 + (uint32_t)i, 0), RST_CHALLENGE);
		EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	}
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, fx->pseq + 100, 0), SYN_CHALLENGE);
	EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, fx->pseq + 50, 0), CHALLENGE_THROTTLED);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, fx->pseq + 100, 0), CHALLENGE_THROTTLED);
	EXPECT_NO_SEG(fx);
	fx->now += 5 * SEC - 1;
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, fx->pseq + 50, 0), CHALLENGE_THROTTLED);
	fx->now += 1;
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, fx->pseq + 50, 0), RST_CHALLENGE);
	EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
}

/* A limit of 0: no throttle at all. */
static void test_challenge_unlimited(void **state)
{
	struct fx *fx = *state;

	refstack_free(fx->s);
	fx->cfg.challenge_ack_limit = 0;
	fx_start(fx);
	fx_established(fx);
	for (int i = 0; i < 30; i++) {
		EXPECT_DROP(fx, fx_in(fx, SEG_RST, fx->pseq + 10, 0), RST_CHALLENGE);
		EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	}
}

/* RFC 1122 4.2.2.13 (MAY-2) on: a SYN above RCV.NXT reopens with an ISS
 * above the old SND.NXT; a SYN below RCV.NXT is an old duplicate (ACK). */
static void test_time_wait_reopen(void **state)
{
	struct fx *fx = *state;
	struct refstack_conn *n;

	refstack_free(fx->s);
	fx->cfg.time_wait_reopen = true;
	fx_start(fx);
	fx_time_wait(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, fx->pseq - 10, 0), SEQ_UNACCEPTABLE);
	EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	EXPECT_STATE(fx, fx->c, TIME_WAIT);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, fx->pseq + 100000, 0), TIME_WAIT_REOPEN);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, fx->pack + 65537, fx->pseq + 100001);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, RCV_SYN);
	n = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT);
	assert_non_null(n);
	EXPECT_TR(fx, n, LISTEN, SYN_RECEIVED, RCV_SYN);
	EXPECT_STATE(fx, n, SYN_RECEIVED);
}

/* Off (the default): the same SYN, beyond the window, gets the ACK of
 * 9293 3.10.7.4 step 1 (the bytes of a challenge ACK), TIME-WAIT stays. */
static void test_time_wait_reopen_off(void **state)
{
	struct fx *fx = *state;

	fx_time_wait(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, fx->pseq + 100000, 0), SEQ_UNACCEPTABLE);
	EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	EXPECT_STATE(fx, fx->c, TIME_WAIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vector),
		cmocka_unit_test_setup_teardown(test_isn_clock, setup_rfc6528, fx_teardown),
		cmocka_unit_test_setup_teardown(test_isn_per_tuple, setup_rfc6528, fx_teardown),
		cmocka_unit_test_setup_teardown(test_isn_local_address, setup_rfc6528, fx_teardown),
		cmocka_unit_test_setup_teardown(test_isn_sources, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_rst_default, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_rst_rfc1337, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_throttle, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_unlimited, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_reopen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_reopen_off, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
