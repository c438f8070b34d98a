/* The lwip target (lib/target/lwip) on Debian's liblwip: that lwIP runs on
 * the target's virtual clock (its sys_now is ours), a passive open with
 * bytes in and out, lwIP's states as the target reports them, that each
 * case starts clean, that the send window is honoured whatever lwIP's
 * segmentation, and the findings docs/lwip-findings.md reports (a
 * predictable ISN; SYN retransmissions without backoff). Built without
 * liblwip-dev, every test is reported skipped with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "seg/seg.h"
#include "target/target.h"

#ifdef TC_HAVE_LWIP
#include "lwip/priv/tcp_priv.h"
#include "target/lwip/lwip_pcb.h"
#include "target/lwip/lwip_world.h"
#include "target/lwip/target_lwip.h"
#endif

#define PORT 8080
#define PEER_PORT 40000
#define PEER_ISN 1000000u
#define SEC 1000000ull
#define MS 1000ull

#ifdef TC_HAVE_LWIP

struct fx {
	int family;
	struct tc_target_run *run;
	struct tc_target *t;
	struct seg_addr me, peer;
	uint32_t iss; /* lwIP's ISN, from its SYN or SYN-ACK */
};

static void fx_open(struct fx *fx, int family, uint16_t peer_port)
{
	struct tc_run_conf rc = {.jobs = 1};
	struct tc_target_conf conf = {0};
	struct tc_err err = {0};

	fx->family = family;
	engine_addrs(family, &fx->me, &fx->peer);
	if (!fx->run) {
		fx->run = target_run_open(&target_lwip_ops, &rc, &err);
		if (!fx->run)
			fail_msg("run_open: %s", err.msg);
	}
	conf.target_addr = fx->me;
	conf.peer_addr = fx->peer;
	conf.port = PORT;
	conf.peer_port = peer_port;
	fx->t = target_open(fx->run, &conf, &err);
	if (!fx->t)
		fail_msg("open: %s", err.msg);
}

static void fx_close_case(struct fx *fx)
{
	target_close(fx->t);
	fx->t = NULL;
}

static int setup(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof(fx));
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	target_close(fx->t);
	target_run_close(fx->run);
	return 0;
}

static void app(struct fx *fx, enum tc_app_verb verb, uint32_t n)
{
	struct tc_app a = {.verb = verb, .n = n};
	struct tc_err err = {0};

	struct tc_app_result res;

	if (target_app(fx->t, &a, &res, &err) != 0)
		fail_msg("app %s: %s", tc_app_verb_name(verb), err.msg);
	if (res.err_no)
		fail_msg("app %s: errno %d", tc_app_verb_name(verb), res.err_no);
}

static void app_send_text(struct fx *fx, const char *text)
{
	struct tc_app a = {.verb = TC_APP_SEND, .len = (uint16_t)strlen(text)};
	struct tc_err err = {0};

	struct tc_app_result res;

	memcpy(a.data, text, a.len);
	if (target_app(fx->t, &a, &res, &err) != 0)
		fail_msg("app send: %s", err.msg);
	if (res.err_no || res.value != a.len)
		fail_msg("app send: errno %d, %lld bytes queued", res.err_no, (long long)res.value);
}

/* From the peer: seq and ack relative to the peer's and lwIP's ISNs. */
static void inject(struct fx *fx, uint16_t peer_port, uint16_t flags, uint32_t seq, uint32_t ack,
		   uint16_t win, const char *data)
{
	struct tc_seg s = {0};
	struct tc_err err = {0};

	s.src = fx->peer;
	s.dst = fx->me;
	s.sport = peer_port;
	s.dport = PORT;
	s.flags = flags;
	s.seq = PEER_ISN + seq;
	s.ack = (flags & SEG_ACK) ? fx->iss + ack : 0;
	s.win = win;
	if (flags & SEG_SYN) {
		struct seg_opt mss = {.kind = SEG_OPT_MSS, .u.mss = 1460};
		seg_add_opt(&s, &mss);
	}
	if (data) {
		s.len = (uint16_t)strlen(data);
		memcpy(s.payload, data, s.len);
	}
	if (target_inject(fx->t, &s, &err) != 0)
		fail_msg("inject: %s", err.msg);
}

/* The next segment lwIP sends by deadline (relative to now); fails when
 * none comes. */
static struct tc_seg capture(struct fx *fx, uint64_t within_us, uint64_t *at_us)
{
	struct tc_seg s;
	struct tc_err err = {0};
	uint64_t at = 0;
	int rc = target_capture(fx->t, target_now(fx->t) + within_us, &s, &at, &err);

	if (rc < 0)
		fail_msg("capture: %s", err.msg);
	if (rc == 0)
		fail_msg("nothing captured within %llu us", (unsigned long long)within_us);
	if (at_us)
		*at_us = at;
	return s;
}

static void expect_nothing(struct fx *fx, uint64_t for_us)
{
	struct tc_seg s;
	struct tc_err err = {0};
	uint64_t at;
	int rc = target_capture(fx->t, target_now(fx->t) + for_us, &s, &at, &err);

	if (rc != 0)
		fail_msg("expected silence, got rc %d (flags 0x%x)", rc, rc > 0 ? s.flags : 0);
}

static enum tc_state state(struct fx *fx)
{
	enum tc_state st;
	struct tc_err err = {0};

	if (target_state(fx->t, &st, NULL, &err) != 0)
		fail_msg("state: %s", err.msg);
	return st;
}

static void check_state(struct fx *fx, enum tc_state want)
{
	enum tc_state got = state(fx);

	if (got != want)
		fail_msg("state expected %s, got %s", tc_state_name(want), tc_state_name(got));
}

/* listen, SYN in, SYN-ACK out, ACK in, accept: ESTABLISHED on PEER_PORT */
static void passive_open(struct fx *fx, uint16_t peer_port)
{
	struct tc_seg sa;

	app(fx, TC_APP_LISTEN, 0);
	inject(fx, peer_port, SEG_SYN, 0, 0, 65535, NULL);
	sa = capture(fx, 1 * MS, NULL);
	assert_int_equal(sa.flags, SEG_SYN | SEG_ACK);
	assert_int_equal(sa.ack, PEER_ISN + 1);
	fx->iss = sa.seq;
	inject(fx, peer_port, SEG_ACK, 1, 1, 65535, NULL);
	app(fx, TC_APP_ACCEPT, 0);
}

/* ---- the clock ---- */

/* lwIP's timers run on the target's clock: lwIP reads it through sys_now,
 * which the target defines over liblwip's own. The SYN goes at once; its
 * retransmission comes exactly when lwIP's timers say on the virtual clock
 * (the first of the 500 ms slow ticks after the 3 s RTO ran out, counted
 * from a tick grid that starts with the connection), with no wall time
 * spent; were lwIP reading its own clock (CLOCK_MONOTONIC), no timer would
 * be due and nothing would come. */
static void test_clock_interposed(void **state)
{
	struct fx *fx = *state;
	struct timespec w0, w1;
	uint64_t t0, at;
	struct tc_seg s;

	fx_open(fx, 4, PEER_PORT);
	t0 = target_now(fx->t);
	assert_int_equal(lwip_world_sys_now_ms(), (uint32_t)(t0 / 1000));
	clock_gettime(CLOCK_MONOTONIC, &w0);
	app(fx, TC_APP_CONNECT, 0);
	s = capture(fx, 1 * MS, &at);
	assert_int_equal(s.flags, SEG_SYN);
	assert_true(at == t0);
	s = capture(fx, 10 * SEC, &at);
	assert_int_equal(s.flags, SEG_SYN);
	/* 6 slow ticks (rto = 3000 / TCP_SLOW_INTERVAL) counted from the
	 * first one, 250 ms after the PCB started the TCP timer */
	if (at - t0 != 2750 * MS)
		fail_msg("SYN retransmitted %llu us after the first, expected 2750000",
			 (unsigned long long)(at - t0));
	assert_int_equal(lwip_world_sys_now_ms(), (uint32_t)(at / 1000));
	clock_gettime(CLOCK_MONOTONIC, &w1);
	/* virtual: 2.75 s of lwIP's time in well under a wall second */
	assert_true(w1.tv_sec - w0.tv_sec < 2);
}

/* Finding (docs/lwip-findings.md): lwIP 2.1.3 backs the RTO off only
 * outside SYN-SENT (tcp_slowtmr), so its SYNs go every 3 s, where RFC 6298
 * 5.5 says the timer MUST double; after TCP_SYNMAXRTX (6) retransmissions
 * it gives up. */
static void test_syn_retransmissions_not_backed_off(void **state)
{
	struct fx *fx = *state;
	uint64_t prev, at;
	struct tc_seg s;
	int n = 0;

	fx_open(fx, 6, PEER_PORT);
	app(fx, TC_APP_CONNECT, 0);
	s = capture(fx, 1 * MS, &prev);
	assert_int_equal(s.flags, SEG_SYN);
	s = capture(fx, 10 * SEC, &prev);
	for (;;) {
		struct tc_err err = {0};
		int rc = target_capture(fx->t, prev + 60 * SEC, &s, &at, &err);

		assert_true(rc >= 0);
		if (rc == 0)
			break;
		assert_int_equal(s.flags, SEG_SYN);
		if (at - prev != 3 * SEC)
			fail_msg("SYN retransmission %d came %llu us after the previous, expected 3 s", n + 2,
				 (unsigned long long)(at - prev));
		prev = at;
		n++;
	}
	/* the first retransmission was read above */
	assert_int_equal(n + 1, TCP_SYNMAXRTX);
	check_state(fx, TC_CLOSED);
}

/* ---- bytes in and out ---- */

static void test_passive_open_bytes(void **state)
{
	struct fx *fx = *state;
	struct tc_seg s;
	struct tc_err err = {0};
	struct tc_app recv_wrong = {.verb = TC_APP_RECV, .n = 4};
	struct tc_app_result res;

	fx_open(fx, 6, PEER_PORT);
	check_state(fx, TC_CLOSED);
	app(fx, TC_APP_LISTEN, 0);
	check_state(fx, TC_LISTEN);
	inject(fx, PEER_PORT, SEG_SYN, 0, 0, 65535, NULL);
	s = capture(fx, 1 * MS, NULL);
	assert_int_equal(s.flags, SEG_SYN | SEG_ACK);
	assert_int_equal(s.ack, PEER_ISN + 1);
	assert_int_equal(s.sport, PORT);
	assert_int_equal(s.dport, PEER_PORT);
	assert_true(seg_addr_eq(&s.src, &fx->me));
	/* RFC 6691 2: 1500 less 40 bytes of IPv6 and 20 of TCP */
	assert_non_null(seg_find_opt(&s, SEG_OPT_MSS));
	assert_int_equal(seg_find_opt(&s, SEG_OPT_MSS)->u.mss, 1440);
	fx->iss = s.seq;
	check_state(fx, TC_SYN_RECEIVED);
	inject(fx, PEER_PORT, SEG_ACK, 1, 1, 65535, NULL);
	check_state(fx, TC_ESTABLISHED);
	app(fx, TC_APP_ACCEPT, 0);

	inject(fx, PEER_PORT, SEG_ACK | SEG_PSH, 1, 1, 65535, "hello");
	/* one segment: lwIP delays its ACK to the next fast-timer tick */
	s = capture(fx, 500 * MS, NULL);
	assert_int_equal(s.flags, SEG_ACK);
	assert_int_equal(s.ack, PEER_ISN + 6);
	assert_int_equal(s.len, 0);
	/* the bytes received are readable: a read of 4 leaves one more */
	assert_int_equal(target_app(fx->t, &recv_wrong, &res, &err), 0);
	assert_int_equal(res.value, 4);
	assert_true(res.more);
	assert_memory_equal(res.data, "hell", 4);
	app(fx, TC_APP_RECV, 1);
	assert_int_equal(target_app(fx->t, &recv_wrong, &res, &err), 0);
	assert_int_equal(res.err_no, EAGAIN);

	app_send_text(fx, "world");
	s = capture(fx, 1 * MS, NULL);
	assert_int_equal(s.seq, fx->iss + 1);
	assert_int_equal(s.ack, PEER_ISN + 6);
	assert_int_equal(s.len, 5);
	assert_memory_equal(s.payload, "world", 5);
	assert_true(s.flags & SEG_ACK);
}

/* ---- states ---- */

static void test_state_mapping_table(void **state)
{
	static const struct {
		enum tcp_state lwip;
		enum tc_state tc;
	} map[] = {
		{CLOSED, TC_CLOSED},           {LISTEN, TC_LISTEN},         {SYN_SENT, TC_SYN_SENT},
		{SYN_RCVD, TC_SYN_RECEIVED},   {ESTABLISHED, TC_ESTABLISHED}, {FIN_WAIT_1, TC_FIN_WAIT_1},
		{FIN_WAIT_2, TC_FIN_WAIT_2},   {CLOSE_WAIT, TC_CLOSE_WAIT}, {CLOSING, TC_CLOSING},
		{LAST_ACK, TC_LAST_ACK},       {TIME_WAIT, TC_TIME_WAIT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (lwip_state_to_tc(map[i].lwip) != map[i].tc)
			fail_msg("lwIP state %d maps to %s, expected %s", (int)map[i].lwip,
				 tc_state_name(lwip_state_to_tc(map[i].lwip)), tc_state_name(map[i].tc));
}

/* An active close through FIN-WAIT-1, FIN-WAIT-2 and TIME-WAIT (a PCB of
 * tcp_tw_pcbs), which lasts 2 * TCP_MSL counted in slow ticks. */
static void test_states_active_close(void **state)
{
	struct fx *fx = *state;
	struct tc_seg s;
	uint64_t tw_start;

	fx_open(fx, 4, PEER_PORT);
	passive_open(fx, PEER_PORT);
	app(fx, TC_APP_CLOSE_LISTENER, 0);
	check_state(fx, TC_ESTABLISHED);
	app(fx, TC_APP_CLOSE, 0);
	s = capture(fx, 1 * MS, NULL);
	assert_int_equal(s.flags, SEG_FIN | SEG_ACK);
	check_state(fx, TC_FIN_WAIT_1);
	inject(fx, PEER_PORT, SEG_ACK, 1, 2, 65535, NULL);
	check_state(fx, TC_FIN_WAIT_2);
	inject(fx, PEER_PORT, SEG_FIN | SEG_ACK, 1, 2, 65535, NULL);
	s = capture(fx, 1 * MS, NULL);
	assert_int_equal(s.flags, SEG_ACK);
	assert_int_equal(s.ack, PEER_ISN + 2);
	check_state(fx, TC_TIME_WAIT);
	assert_non_null(tcp_tw_pcbs);
	tw_start = target_now(fx->t);
	assert_int_equal(target_sleep_until(fx->t, tw_start + 2 * LWIP_PROFILE_MSL_US, NULL), 0);
	check_state(fx, TC_TIME_WAIT);
	assert_int_equal(target_sleep_until(fx->t, tw_start + 2 * LWIP_PROFILE_MSL_US + LWIP_PROFILE_TICK_US + 1, NULL), 0);
	check_state(fx, TC_CLOSED);
}

/* A passive close: CLOSE-WAIT on the peer's FIN, LAST-ACK on close. */
static void test_states_passive_close(void **state)
{
	struct fx *fx = *state;
	struct tc_seg s;

	fx_open(fx, 6, PEER_PORT);
	passive_open(fx, PEER_PORT);
	inject(fx, PEER_PORT, SEG_FIN | SEG_ACK, 1, 1, 65535, NULL);
	s = capture(fx, 1 * MS, NULL);
	assert_int_equal(s.ack, PEER_ISN + 2);
	check_state(fx, TC_CLOSE_WAIT);
	app(fx, TC_APP_CLOSE, 0);
	s = capture(fx, 1 * MS, NULL);
	assert_int_equal(s.flags, SEG_FIN | SEG_ACK);
	check_state(fx, TC_LAST_ACK);
	inject(fx, PEER_PORT, SEG_ACK, 2, 2, 65535, NULL);
	/* the listener is still there */
	check_state(fx, TC_LISTEN);
}

/* ---- clean start ---- */

/* A case leaves a listener, an established connection, one in TIME-WAIT
 * and one half-open; the next case sees none of them, and their removal
 * sent nothing. */
static void test_clean_start(void **state)
{
	struct fx *fx = *state;
	struct tc_seg s;

	fx_open(fx, 4, PEER_PORT);
	passive_open(fx, PEER_PORT); /* stays ESTABLISHED */
	inject(fx, PEER_PORT + 1, SEG_SYN, 0, 0, 65535, NULL); /* a half-open one */
	s = capture(fx, 1 * MS, NULL);
	assert_int_equal(s.flags, SEG_SYN | SEG_ACK);
	assert_non_null(tcp_active_pcbs);
	assert_non_null(tcp_listen_pcbs.listen_pcbs);
	fx_close_case(fx);

	assert_true(lwip_pcb_all_empty());
	fx_open(fx, 4, PEER_PORT);
	assert_true(lwip_pcb_all_empty());
	check_state(fx, TC_CLOSED);
	/* no RST or retransmission from what the last case left */
	expect_nothing(fx, 10 * SEC);
	/* no listener left: a SYN is refused */
	inject(fx, PEER_PORT, SEG_SYN, 0, 0, 65535, NULL);
	s = capture(fx, 1 * MS, NULL);
	assert_true(s.flags & SEG_RST);
	check_state(fx, TC_CLOSED);
}

/* lwIP is one stack per process: a second case while one is open is
 * refused, not shared. */
static void test_one_case_at_a_time(void **state)
{
	struct fx *fx = *state;
	struct tc_target_conf conf = {0};
	struct tc_err err = {0};

	fx_open(fx, 4, PEER_PORT);
	conf.target_addr = fx->me;
	conf.peer_addr = fx->peer;
	conf.port = PORT;
	conf.peer_port = PEER_PORT;
	assert_null(target_open(fx->run, &conf, &err));
	assert_int_equal(err.code, TC_ERR_TARGET);
	assert_int_equal(target_lwip_ops.max_jobs, 1);
}

/* ---- sending within the window ---- */

/* The peer offers 100 bytes; lwIP may cut 300 as it likes, but no byte
 * beyond SND.UNA + SND.WND goes out (RFC 9293 3.8.6) until the window
 * moves. */
static void test_send_window_honoured(void **state)
{
	struct fx *fx = *state;
	struct tc_seg s;
	struct tc_err err = {0};
	uint64_t at;
	uint32_t sent_to = 1, limit = 101;
	int rc;

	fx_open(fx, 4, PEER_PORT);
	app(fx, TC_APP_CONNECT, 0);
	s = capture(fx, 1 * MS, NULL);
	fx->iss = s.seq;
	inject(fx, PEER_PORT, SEG_SYN | SEG_ACK, 0, 1, 100, NULL);
	s = capture(fx, 1 * MS, NULL);
	assert_int_equal(s.flags, SEG_ACK);
	app(fx, TC_APP_SEND, 300);
	for (int round = 0; round < 4 && sent_to < 301; round++) {
		/* shorter than the RTO: nothing is retransmitted meanwhile */
		while ((rc = target_capture(fx->t, target_now(fx->t) + 100 * MS, &s, &at, &err)) == 1) {
			uint32_t end = s.seq - fx->iss + s.len;

			assert_int_equal(s.seq - fx->iss, sent_to);
			if (end > limit)
				fail_msg("sent up to %u, the window ends at %u", end, limit);
			sent_to = end;
		}
		assert_int_equal(rc, 0);
		/* it used the window it had, less at most one short segment
		 * Nagle holds (RFC 9293 3.7.4) */
		if (sent_to + 50 < (limit < 301 ? limit : 301))
			fail_msg("sent up to %u of a window to %u", sent_to, limit);
		inject(fx, PEER_PORT, SEG_ACK, 1, sent_to, 200, NULL);
		limit = sent_to + 200;
	}
	assert_int_equal(sent_to, 301);
}

/* ---- the ISN ---- */

/* Finding (docs/lwip-findings.md): lwIP 2.1.3's ISN is a fixed start
 * (6510) plus the sum of its tick counter at each connection (tcp_next_iss:
 * iss += tcp_ticks), not a clock plus a secret hash of the four-tuple as
 * RFC 6528 and RFC 9293 3.4.1 (MUST-8) require: knowing one ISN and the
 * ticks since gives the next. */
static void test_isn_predictable(void **state)
{
	struct fx *fx = *state;
	struct tc_seg s;
	uint32_t isn1, isn2, ticks;

	fx_open(fx, 4, PEER_PORT);
	app(fx, TC_APP_CONNECT, 0);
	isn1 = capture(fx, 1 * MS, NULL).seq;
	fx_close_case(fx);

	/* another four-tuple, another family, some time later */
	fx_open(fx, 6, PEER_PORT + 7);
	assert_int_equal(target_sleep_until(fx->t, target_now(fx->t) + 5 * SEC, NULL), 0);
	ticks = tcp_ticks;
	app(fx, TC_APP_CONNECT, 0);
	s = capture(fx, 1 * MS, NULL);
	isn2 = s.seq;
	assert_int_equal(s.flags, SEG_SYN);
	if (isn2 != isn1 + ticks)
		fail_msg("ISN %u after %u: expected the last plus tcp_ticks (%u)", isn2, isn1, ticks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clock_interposed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_retransmissions_not_backed_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_open_bytes, setup, teardown),
		cmocka_unit_test(test_state_mapping_table),
		cmocka_unit_test_setup_teardown(test_states_active_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_states_passive_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_case_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_window_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isn_predictable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* !TC_HAVE_LWIP */

static void test_not_built(void **state)
{
	(void)state;
	/* the harness names the target and what to install */
	assert_non_null(target_not_built("lwip"));
	assert_null(target_find("lwip"));
	print_message("SKIP: the lwip target is not built: liblwip-dev is not installed\n");
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_built),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
