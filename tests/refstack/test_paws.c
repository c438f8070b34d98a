/* PAWS and the validity of TS.Recent (RFC 7323 5.3, 5.5): a segment whose
 * TSval is older than TS.Recent is dropped with an ACK while TS.Recent is
 * valid; once the connection has been idle more than 24 days since
 * TS.Recent was last set, TS.Recent is invalid, the segment is taken and
 * its TSval becomes TS.Recent. */
#include "refstack_fixture.h"

#define DAY (86400 * SEC)

static void add_ts(struct tc_seg *seg, uint32_t val, uint32_t ecr)
{
	struct seg_opt o = {.kind = SEG_OPT_TS, .u.ts = {.val = val, .ecr = ecr}};

	assert_int_equal(seg_add_opt(seg, &o), 0);
}

/* The TSecr of the ACK just popped. */
static uint32_t ecr_of(const struct tc_seg *o)
{
	const struct seg_opt *ts = seg_find_opt(o, SEG_OPT_TS);

	assert_non_null(ts);
	return ts->u.ts.ecr;
}

/* Passive open with timestamps at time 0: the SYN's TSval 100, the ACK's
 * 200, which is TS.Recent from then on. */
static void open_with_ts(struct fx *fx)
{
	struct tc_seg syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0), s;
	struct refstack_conn *a = NULL;

	fx->cfg.timestamps = true;
	fx_start(fx);
	fx_listen(fx);
	fx_add_mss(&syn, 1460);
	add_ts(&syn, 100, 0);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	fx->c = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT);
	assert_non_null(fx->c);
	s = fx_mkseg(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1);
	add_ts(&s, 200, 0);
	EXPECT_DROP(fx, fx_feed(fx, &s), ACCEPTED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
	fx->pseq = FX_PISS + 1;
	fx->pack = FX_ISS + 1;
	fx_clear(fx);
}

/* Five bytes from the peer at fx->pseq with TSval val. */
static enum refstack_drop data_ts(struct fx *fx, uint32_t val)
{
	struct tc_seg s = fx_mkseg(fx, SEG_PSH | SEG_ACK, fx->pseq, fx->pack);

	fx_set_data(&s, "hello", 5);
	add_ts(&s, val, 0);
	return fx_feed(fx, &s);
}

/* 5.5: idle 24 days and 1 us after TS.Recent was set: invalid. The older
 * TSval 150 passes, is acknowledged and echoed (R3 took it); TS.Recent is
 * valid again at once: 140 is then dropped by PAWS, echoing 150. */
static void test_invalid_after_24_days(void **state)
{
	struct fx *fx = *state;

	open_with_ts(fx);
	fx->now = 24 * DAY + 1;
	EXPECT_DROP(fx, data_ts(fx, 150), ACCEPTED);
	FX_CHECK(fx, "TSecr", 150, ecr_of(EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6)));
	fx->pseq += 5;
	EXPECT_DROP(fx, data_ts(fx, 140), PAWS);
	FX_CHECK(fx, "TSecr", 150, ecr_of(EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6)));
	EXPECT_NO_SEG(fx);
}

/* 5.5 invalidates only after "more than 24 days": at exactly 24 days PAWS
 * still drops the older TSval with an ACK echoing TS.Recent (5.3 R1), and
 * TS.Recent is left as it was. */
static void test_valid_at_24_days(void **state)
{
	struct fx *fx = *state;

	open_with_ts(fx);
	fx->now = 24 * DAY;
	EXPECT_DROP(fx, data_ts(fx, 150), PAWS);
	FX_CHECK(fx, "TSecr", 200, ecr_of(EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1)));
	EXPECT_DROP(fx, data_ts(fx, 201), ACCEPTED);
	FX_CHECK(fx, "TSecr", 201, ecr_of(EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6)));
}

/* The idle time counts from the last update of TS.Recent, not from the
 * open: a segment on day 20 sets it again, so on day 44 it is still
 * valid and 1 us later it is not. */
static void test_idle_counts_from_last_update(void **state)
{
	struct fx *fx = *state;

	open_with_ts(fx);
	fx->now = 20 * DAY;
	EXPECT_DROP(fx, data_ts(fx, 300), ACCEPTED);
	FX_CHECK(fx, "TSecr", 300, ecr_of(EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6)));
	fx->pseq += 5;
	fx->now = 44 * DAY;
	EXPECT_DROP(fx, data_ts(fx, 250), PAWS);
	FX_CHECK(fx, "TSecr", 300, ecr_of(EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6)));
	fx->now = 44 * DAY + 1;
	EXPECT_DROP(fx, data_ts(fx, 250), ACCEPTED);
	FX_CHECK(fx, "TSecr", 250, ecr_of(EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 11)));
}

/* A segment dropped by PAWS is no update: PAWS drops at day 23 do not
 * keep TS.Recent valid, so just past 24 days from the open it is
 * invalid. */
static void test_paws_drop_is_no_update(void **state)
{
	struct fx *fx = *state;

	open_with_ts(fx);
	fx->now = 23 * DAY;
	EXPECT_DROP(fx, data_ts(fx, 150), PAWS);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	fx->now = 24 * DAY + 1;
	EXPECT_DROP(fx, data_ts(fx, 150), ACCEPTED);
	FX_CHECK(fx, "TSecr", 150, ecr_of(EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_invalid_after_24_days, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_valid_at_24_days, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_idle_counts_from_last_update, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_paws_drop_is_no_update, fx_setup_nostart, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
