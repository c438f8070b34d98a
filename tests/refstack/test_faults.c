/* The seeded faults break exactly the rule they name. Meaningful only in
 * the faults build (-DREFSTACK_FAULTS, the library compiled the same way);
 * in the normal build the one test here is skipped. */
#include "refstack_fixture.h"

#ifdef REFSTACK_FAULTS

#define MSL (120 * SEC)

static int setup_fault(void **state, enum refstack_fault f)
{
	struct fx *fx = fx_alloc();

	fx->cfg.fault = f;
	fx_start(fx);
	*state = fx;
	return 0;
}

#define FAULT_SETUP(name, f)                                  \
	static int setup_##name(void **state)                 \
	{                                                     \
		return setup_fault(state, REFSTACK_FAULT_##f); \
	}
FAULT_SETUP(none, NONE)
FAULT_SETUP(no_time_wait, NO_TIME_WAIT)
FAULT_SETUP(finack_to_closing, FINACK_TO_CLOSING)
FAULT_SETUP(synack_off, SYNACK_ACK_OFF_BY_ONE)
FAULT_SETUP(ignore_rst, IGNORE_RST_IN_SYNRCVD)
FAULT_SETUP(short_msl, SHORT_MSL)
FAULT_SETUP(no_syn_rexmit, NO_SYN_RETRANSMIT)
FAULT_SETUP(mss_every, MSS_ON_EVERY_SEGMENT)

static void test_names(void **state)
{
	enum refstack_fault f;

	(void)state;
	for (int i = 0; i < REFSTACK_FAULT__COUNT; i++) {
		assert_int_equal(refstack_fault_parse(refstack_fault_name((enum refstack_fault)i), &f), 0);
		assert_int_equal(f, i);
		assert_non_null(refstack_fault_description((enum refstack_fault)i));
	}
	assert_int_equal(refstack_fault_parse("no-such-fault", &f), -1);
	assert_string_equal(refstack_fault_name(REFSTACK_FAULT_SHORT_MSL), "short-msl");
}

/* With fault "none" the faults build behaves as the normal one. */
static void test_none(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_TIME_WAIT);
	fx_at(fx, 2 * MSL);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, TIMEOUT_2MSL);
}

/* no-time-wait: each of the three paths into TIME-WAIT goes to CLOSED, the
 * final ACK still sent */
static void test_no_time_wait_fin_wait_2(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_FIN_WAIT_2);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 2);
	EXPECT_TR(fx, fx->c, FIN_WAIT_2, CLOSED, RCV_FIN);
}

static void test_no_time_wait_closing(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_CLOSING);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 2, FX_ISS + 2), ACCEPTED);
	EXPECT_TR(fx, fx->c, CLOSING, CLOSED, RCV_ACK);
}

static void test_no_time_wait_finack(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_FIN_WAIT_1);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 2);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, CLOSED, RCV_FIN);
}

static void test_finack_to_closing(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_FIN_WAIT_1);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 2, FX_PISS + 2);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, CLOSING, RCV_FIN);
	/* the other path into CLOSING is unchanged */
}

static void test_synack_off_by_one(void **state)
{
	struct fx *fx = *state;

	fx_listen(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, FX_PISS, 0), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 2);
}

static void test_ignore_rst_in_synrcvd(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_RECEIVED);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, FX_PISS + 1, 0), ACCEPTED);
	EXPECT_NO_TR(fx);
	EXPECT_STATE(fx, fx->c, SYN_RECEIVED);
	/* elsewhere an RST still resets */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, ESTABLISHED, RCV_ACK);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, FX_PISS + 1, 0), ACCEPTED);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSED, RCV_RST);
}

static void test_short_msl(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_TIME_WAIT);
	FX_CHECK(fx, "deadline", MSL, refstack_next_deadline(fx->s));
	fx_at(fx, MSL);
	EXPECT_TR(fx, fx->c, TIME_WAIT, CLOSED, TIMEOUT_2MSL);
}

static void test_no_syn_retransmit(void **state)
{
	struct fx *fx = *state;
	static const uint64_t at[] = {1, 3, 7, 15, 31, 63, 123};

	fx_goto(fx, REFSTACK_SYN_SENT);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		fx_at(fx, at[i] * SEC);
	EXPECT_NO_SEG(fx);
	/* the timer still runs out: no retransmission, same give-up time */
	fx_at(fx, 183 * SEC);
	EXPECT_TR(fx, fx->c, SYN_SENT, CLOSED, TIMEOUT_RETRANSMIT);
	/* the SYN-ACK of a passive open is still retransmitted */
	fx_listen(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, FX_PISS, 0), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	fx_at(fx, 184 * SEC);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
}

/* Exactly one option, the stack's own MSS: the fault must add it to
 * non-SYN segments without doubling it on a SYN. */
static void check_only_mss(struct fx *fx, const struct tc_seg *o, const char *what)
{
	const struct seg_opt *mss = seg_find_opt(o, SEG_OPT_MSS);

	fx->ctx = what;
	FX_CHECK(fx, "options", 1, o->nopts);
	assert_non_null(mss);
	FX_CHECK(fx, "MSS option", fx->cfg.mss, mss->u.mss);
	fx->ctx = NULL;
}

static void test_mss_on_every_segment(void **state)
{
	struct fx *fx = *state;
	const struct tc_seg *o;

	/* the SYN-ACK keeps its single MSS option, not a second one */
	fx_syn_received(fx);
	check_only_mss(fx, &fx->out[fx->outpos - 1], "SYN-ACK");
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, fx->pack), ACCEPTED);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, ESTABLISHED, RCV_ACK);
	/* an ACK of data, a data segment, a FIN and an RST: all carry it */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_PSH | SEG_ACK, fx->pseq, fx->pack, "abc", 3), ACCEPTED);
	fx->pseq += 3;
	fx_at(fx, fx->now + 2 * SEC);
	o = EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	check_only_mss(fx, o, "ACK");
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"xy", 2, fx->now), 2);
	o = EXPECT_SEG(fx, SEG_PSH | SEG_ACK, fx->pack, fx->pseq);
	check_only_mss(fx, o, "data");
	FX_CHECK(fx, "length", 2, o->len);
	fx->pack += 2;
	assert_int_equal(refstack_shutdown(fx->s, fx->c, fx->now), 0); /* half-close: "abc" is unread */
	o = EXPECT_SEG(fx, SEG_FIN | SEG_ACK, fx->pack, fx->pseq);
	check_only_mss(fx, o, "FIN");
	EXPECT_TR(fx, fx->c, ESTABLISHED, FIN_WAIT_1, APP_CLOSE);
	assert_int_equal(refstack_abort(fx->s, fx->c, fx->now), 0);
	o = EXPECT_SEG(fx, SEG_RST, fx->pack + 1, 0);
	check_only_mss(fx, o, "RST");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_none, setup_none, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_time_wait_fin_wait_2, setup_no_time_wait, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_time_wait_closing, setup_no_time_wait, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_time_wait_finack, setup_no_time_wait, fx_teardown),
		cmocka_unit_test_setup_teardown(test_finack_to_closing, setup_finack_to_closing, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synack_off_by_one, setup_synack_off, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ignore_rst_in_synrcvd, setup_ignore_rst, fx_teardown),
		cmocka_unit_test_setup_teardown(test_short_msl, setup_short_msl, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_syn_retransmit, setup_no_syn_rexmit, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mss_on_every_segment, setup_mss_every, fx_teardown),
	};

	return cmocka_run_group_tests_name("refstack faults", tests, NULL, NULL);
}

#else

static void test_faults_build_only(void **state)
{
	(void)state;
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_build_only),
	};

	return cmocka_run_group_tests_name("refstack faults (faults build only)", tests, NULL, NULL);
}

#endif
