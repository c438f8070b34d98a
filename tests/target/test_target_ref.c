/* The ref target's application side (lib/target/ref): what each call
 * reports to the engine, beyond what the cases can see on the wire: recv
 * reads exactly what it is asked and says whether more is readable, keeps
 * the bytes, tells EAGAIN from the end of the stream, and a reset
 * connection still answers with its error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine/engine.h"
#include "seg/seg.h"
#include "target/ref/target_ref.h"
#include "target/target.h"

#define PORT 8080
#define PEER_PORT 40000
#define PEER_ISN 1000000u

struct fx {
	struct tc_target_run *run;
	struct tc_target *t;
	struct seg_addr me, peer;
	uint32_t iss;
};

static struct tc_app_result call(struct fx *fx, struct tc_app a)
{
	struct tc_app_result res;
	struct tc_err err = {0};

	if (target_app(fx->t, &a, &res, &err) != 0)
		fail_msg("app %s: %s", tc_app_verb_name(a.verb), err.msg);
	return res;
}

static void inject(struct fx *fx, uint16_t flags, uint32_t seq, uint32_t ack, const char *data)
{
	struct tc_seg s = {0};
	struct tc_err err = {0};

	s.src = fx->peer;
	s.dst = fx->me;
	s.sport = PEER_PORT;
	s.dport = PORT;
	s.flags = flags;
	s.seq = PEER_ISN + seq;
	s.ack = (flags & SEG_ACK) ? fx->iss + ack : 0;
	s.win = 65535;
	if (data) {
		s.len = (uint16_t)strlen(data);
		memcpy(s.payload, data, s.len);
	}
	if (target_inject(fx->t, &s, &err) != 0)
		fail_msg("inject: %s", err.msg);
}

static struct tc_seg capture(struct fx *fx)
{
	struct tc_seg s;
	struct tc_err err = {0};
	uint64_t at;

	if (target_capture(fx->t, target_now(fx->t) + 1000, &s, &at, &err) != 1)
		fail_msg("nothing captured: %s", err.msg);
	return s;
}

/* An established connection from an active open. */
static void establish(struct fx *fx)
{
	struct tc_run_conf rc = {.jobs = 1};
	struct tc_target_conf conf = {0};
	struct tc_err err = {0};
	struct tc_seg s;

	engine_addrs(4, &fx->me, &fx->peer);
	fx->run = target_run_open(&target_ref_ops, &rc, &err);
	assert_non_null(fx->run);
	conf.target_addr = fx->me;
	conf.peer_addr = fx->peer;
	conf.port = PORT;
	conf.peer_port = PEER_PORT;
	fx->t = target_open(fx->run, &conf, &err);
	assert_non_null(fx->t);
	assert_int_equal(call(fx, (struct tc_app){.verb = TC_APP_CONNECT}).err_no, 0);
	s = capture(fx);
	fx->iss = s.seq;
	assert_int_equal(call(fx, (struct tc_app){.verb = TC_APP_CONNECT_RESULT}).err_no, EINPROGRESS);
	inject(fx, SEG_SYN | SEG_ACK, 0, 1, NULL);
	s = capture(fx);
	assert_int_equal(s.flags, SEG_ACK);
	assert_int_equal(call(fx, (struct tc_app){.verb = TC_APP_CONNECT_RESULT}).err_no, 0);
}

static void done(struct fx *fx)
{
	target_close(fx->t);
	target_run_close(fx->run);
}

static void test_recv_exact_and_eof(void **state)
{
	struct fx fx = {0};
	struct tc_app_result r;

	(void)state;
	establish(&fx);
	r = call(&fx, (struct tc_app){.verb = TC_APP_RECV, .n = 1});
	assert_int_equal(r.err_no, EAGAIN); /* nothing yet, not the end */
	inject(&fx, SEG_PSH | SEG_ACK, 1, 1, "hello");
	capture(&fx);
	r = call(&fx, (struct tc_app){.verb = TC_APP_RECV, .n = 3});
	assert_int_equal(r.value, 3);
	assert_true(r.more);
	assert_int_equal(r.ndata, 3);
	assert_memory_equal(r.data, "hel", 3);
	r = call(&fx, (struct tc_app){.verb = TC_APP_RECV, .n = 10});
	assert_int_equal(r.value, 2);
	assert_false(r.more);
	assert_memory_equal(r.data, "lo", 2);
	inject(&fx, SEG_FIN | SEG_ACK, 6, 1, NULL);
	capture(&fx);
	r = call(&fx, (struct tc_app){.verb = TC_APP_RECV, .n = 10});
	assert_int_equal(r.err_no, 0);
	assert_int_equal(r.value, 0);
	done(&fx);
}

/* After an RST the TCB is gone, and the calls say why. */
static void test_reset_reported(void **state)
{
	struct fx fx = {0};
	struct tc_app_result r;

	(void)state;
	establish(&fx);
	inject(&fx, SEG_RST, 1, 0, NULL);
	r = call(&fx, (struct tc_app){.verb = TC_APP_RECV, .n = 1});
	assert_int_equal(r.err_no, ECONNRESET);
	r = call(&fx, (struct tc_app){.verb = TC_APP_SEND, .n = 5});
	assert_int_equal(r.err_no, ECONNRESET);
	r = call(&fx, (struct tc_app){.verb = TC_APP_POLL, .poll = TC_POLL_READABLE});
	assert_int_equal(r.value, 1);
	done(&fx);
}

/* A send queues what the 64 KiB buffer holds, in one call. */
static void test_send_large(void **state)
{
	struct fx fx = {0};
	struct tc_app_result r;

	(void)state;
	establish(&fx);
	r = call(&fx, (struct tc_app){.verb = TC_APP_SEND, .n = 1u << 20});
	assert_int_equal(r.err_no, 0);
	assert_int_equal(r.value, 65536);
	r = call(&fx, (struct tc_app){.verb = TC_APP_POLL, .poll = TC_POLL_WRITABLE});
	assert_int_equal(r.value, 0);
	done(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recv_exact_and_eof),
		cmocka_unit_test(test_reset_reported),
		cmocka_unit_test(test_send_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
