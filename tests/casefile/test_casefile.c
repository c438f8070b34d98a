/* lib/casefile: good cases load into exact values, every bad input is one
 * error at an exact line:col, and no input crashes the loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "casefile/casefile.h"

static int load(const char *yaml, struct tc_case *c, struct tc_err *e)
{
	tc_err_clear(e);
	return casefile_load_string(yaml, strlen(yaml), "t.yaml", c, e);
}

/* Loads a case that must be good, failing with the loader's own message. */
static void load_ok(const char *yaml, struct tc_case *c)
{
	struct tc_err e;

	if (load(yaml, c, &e) != 0)
		fail_msg("load failed: %s", e.msg);
	assert_int_equal(e.code, TC_OK);
}

static const char example[] =
	"name: FIN+ACK in FIN-WAIT-1 goes straight to TIME-WAIT\n"
	"rfc: [\"9293 3.6\", \"9293 3.10.7.4\"]\n"
	"tags: [close, time-wait]\n"
	"requires: [app, state]\n"
	"port: 8080\n"
	"config: {msl: 2s}\n"
	"steps:\n"
	"  - app: listen\n"
	"  - send:   {flags: S, seq: 0, win: 65535, options: [mss 1460]}\n"
	"  - expect: {flags: SA, ack: 1, within: 50ms, options: [mss]}\n"
	"  - state: SYN-RECEIVED\n"
	"  - send:   {flags: A, seq: 1, ack: 1}\n"
	"  - state: ESTABLISHED\n"
	"  - app: accept\n"
	"  - app: close\n"
	"  - expect: {flags: FA, seq: 1, ack: 1}\n"
	"  - state: FIN-WAIT-1\n"
	"  - send:   {flags: FA, seq: 1, ack: 2}\n"
	"  - expect: {flags: A, seq: 2, ack: 2}\n"
	"  - state: TIME-WAIT\n"
	"  - wait: 2msl\n"
	"  - state: CLOSED\n";

static void assert_dur(const struct tc_dur *d, enum tc_dur_unit unit, uint64_t us, double mult)
{
	assert_int_equal(d->unit, unit);
	assert_int_equal(d->us, us);
	assert_true(d->mult == mult);
}

static void assert_state_step(const struct tc_step *s, enum tc_state st)
{
	assert_int_equal(s->kind, TC_STEP_STATE);
	assert_int_equal(s->u.state, st);
}

static void assert_seg(const struct tc_step *s, enum tc_step_kind kind, unsigned fields, uint16_t flags,
		       uint32_t seq, uint32_t ack)
{
	assert_int_equal(s->kind, kind);
	assert_int_equal(s->u.seg.fields, fields);
	assert_int_equal(s->u.seg.flags, flags);
	assert_int_equal(s->u.seg.seq, seq);
	assert_int_equal(s->u.seg.ack, ack);
	assert_false(s->u.seg.abs_seq);
	assert_false(s->u.seg.abs_ack);
}

static void test_example_header(void **state)
{
	struct tc_case c;

	(void)state;
	load_ok(example, &c);
	assert_string_equal(c.path, "t.yaml");
	assert_string_equal(c.name, "FIN+ACK in FIN-WAIT-1 goes straight to TIME-WAIT");
	assert_int_equal(c.nrfc, 2);
	assert_string_equal(c.rfc[0], "9293 3.6");
	assert_string_equal(c.rfc[1], "9293 3.10.7.4");
	assert_int_equal(c.ntags, 2);
	assert_string_equal(c.tags[0], "close");
	assert_string_equal(c.tags[1], "time-wait");
	assert_int_equal(c.requires, TC_REQ_APP | TC_REQ_STATE);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.peer_port, TC_DEFAULT_PEER_PORT);
	assert_int_equal(c.peer_isn, TC_DEFAULT_PEER_ISN);
	assert_int_equal(c.conf.fields, TC_C_MSL);
	assert_dur(&c.conf.msl, TC_DUR_ABS, 2000000, 0);
	assert_int_equal(c.nsteps, 15);
	for (int i = 0; i < c.nsteps; i++) {
		assert_int_equal(c.steps[i].loc.line, 8 + i);
		assert_int_equal(c.steps[i].loc.col, 5);
	}
	casefile_free(&c);
	assert_null(c.steps);
	assert_int_equal(c.nsteps, 0);
}

static void test_example_steps(void **state)
{
	const struct tc_step *s;
	struct tc_case c;

	(void)state;
	load_ok(example, &c);
	s = c.steps;
	assert_int_equal(s[0].kind, TC_STEP_APP);
	assert_int_equal(s[0].u.app.verb, TC_APP_LISTEN);
	assert_int_equal(s[0].u.app.port, 0);
	assert_seg(&s[1], TC_STEP_SEND, TC_F_FLAGS | TC_F_SEQ | TC_F_WIN | TC_F_OPTS, SEG_SYN, 0, 0);
	assert_int_equal(s[1].u.seg.win, 65535);
	assert_int_equal(s[1].u.seg.nopts, 1);
	assert_int_equal(s[1].u.seg.opts[0].kind, SEG_OPT_MSS);
	assert_int_equal(s[1].u.seg.opts[0].u.mss, 1460);
	assert_false(s[1].u.seg.opt_anyval[0]);
	assert_seg(&s[2], TC_STEP_EXPECT, TC_F_FLAGS | TC_F_ACK | TC_F_WITHIN | TC_F_OPTS, SEG_SYN | SEG_ACK, 0, 1);
	assert_dur(&s[2].u.seg.within, TC_DUR_ABS, 50000, 0);
	assert_int_equal(s[2].u.seg.nopts, 1);
	assert_int_equal(s[2].u.seg.opts[0].kind, SEG_OPT_MSS);
	assert_true(s[2].u.seg.opt_anyval[0]);
	assert_state_step(&s[3], TC_SYN_RECEIVED);
	assert_seg(&s[4], TC_STEP_SEND, TC_F_FLAGS | TC_F_SEQ | TC_F_ACK, SEG_ACK, 1, 1);
	assert_state_step(&s[5], TC_ESTABLISHED);
	assert_int_equal(s[6].kind, TC_STEP_APP);
	assert_int_equal(s[6].u.app.verb, TC_APP_ACCEPT);
	assert_int_equal(s[7].kind, TC_STEP_APP);
	assert_int_equal(s[7].u.app.verb, TC_APP_CLOSE);
	assert_seg(&s[8], TC_STEP_EXPECT, TC_F_FLAGS | TC_F_SEQ | TC_F_ACK, SEG_FIN | SEG_ACK, 1, 1);
	assert_state_step(&s[9], TC_FIN_WAIT_1);
	assert_seg(&s[10], TC_STEP_SEND, TC_F_FLAGS | TC_F_SEQ | TC_F_ACK, SEG_FIN | SEG_ACK, 1, 2);
	assert_seg(&s[11], TC_STEP_EXPECT, TC_F_FLAGS | TC_F_SEQ | TC_F_ACK, SEG_ACK, 2, 2);
	assert_state_step(&s[12], TC_TIME_WAIT);
	assert_int_equal(s[13].kind, TC_STEP_WAIT);
	assert_dur(&s[13].u.dur, TC_DUR_MSL, 0, 2.0);
	assert_state_step(&s[14], TC_CLOSED);
	casefile_free(&c);
}

#define HEAD "name: n\nrfc: [\"9293\"]\n"

/* open-port holds a case to listen on its own port (given after the
 * steps too) and accept; closed-port to no app step at all. */
static void test_port_needs(void **state)
{
	struct tc_case c;

	(void)state;
	load_ok(HEAD "requires: [app, state, open-port]\nsteps:\n  - app: listen 9000\n  - app: accept\n"
		"  - state: LISTEN\nport: 9000\n", &c);
	assert_int_equal(c.requires, TC_REQ_APP | TC_REQ_STATE | TC_REQ_OPEN_PORT);
	casefile_free(&c);
	load_ok(HEAD "requires: [closed-port]\nsteps:\n  - state: CLOSED\n  - send: {flags: S}\n", &c);
	assert_int_equal(c.requires, TC_REQ_CLOSED_PORT);
	casefile_free(&c);
}

static void test_defaults(void **state)
{
	struct tc_case c;

	(void)state;
	load_ok(HEAD "steps: [{wait: 0s}]\n", &c);
	assert_string_equal(c.name, "n");
	assert_int_equal(c.nrfc, 1);
	assert_string_equal(c.rfc[0], "9293");
	assert_int_equal(c.ntags, 0);
	assert_int_equal(c.requires, 0);
	assert_int_equal(c.port, TC_DEFAULT_PORT);
	assert_int_equal(c.peer_port, TC_DEFAULT_PEER_PORT);
	assert_int_equal(c.peer_isn, TC_DEFAULT_PEER_ISN);
	assert_int_equal(c.conf.fields, 0);
	assert_int_equal(c.profile, TC_SP_UNSET);
	assert_int_equal(c.nsteps, 1);
	assert_int_equal(c.steps[0].kind, TC_STEP_WAIT);
	assert_dur(&c.steps[0].u.dur, TC_DUR_ABS, 0, 0);
	/* A flow sequence's item starts at its '{'. */
	assert_int_equal(c.steps[0].loc.line, 3);
	assert_int_equal(c.steps[0].loc.col, 9);
	casefile_free(&c);
}

/* `- use: NAME` expands to the prologue's steps, each located at the use
 * line and counted as the case's own; the steps after it keep their place. */
static void test_use_prologue(void **state)
{
	struct tc_case c;

	(void)state;
	load_ok(HEAD "steps:\n"
		     "  - wait: 1ms\n"
		     "  - use: passive-open\n"
		     "  - use: active-open\n"
		     "  - state: CLOSED\n",
		&c);
	assert_int_equal(c.nsteps, 1 + 7 + 6 + 1);
	assert_int_equal(c.steps[0].kind, TC_STEP_WAIT);
	assert_int_equal(c.steps[1].kind, TC_STEP_APP);
	assert_int_equal(c.steps[1].u.app.verb, TC_APP_LISTEN);
	assert_int_equal(c.steps[1].loc.line, 5);
	assert_int_equal(c.steps[7].kind, TC_STEP_STATE);
	assert_int_equal(c.steps[7].u.state, TC_ESTABLISHED);
	assert_int_equal(c.steps[7].loc.line, 5);
	assert_int_equal(c.steps[8].u.app.verb, TC_APP_CONNECT);
	assert_int_equal(c.steps[8].loc.line, 6);
	/* the prologue's own per-target expectation comes with it */
	assert_int_equal(c.steps[9].kind, TC_STEP_EXPECT);
	assert_int_equal(c.steps[9].novr, 1);
	assert_string_equal(c.steps[9].ovr[0].target, "lwip");
	assert_int_equal(c.steps[14].kind, TC_STEP_STATE);
	assert_int_equal(c.steps[14].u.state, TC_CLOSED);
	assert_int_equal(c.steps[14].loc.line, 7);
	casefile_free(&c);
}

/* nagle, delayed_ack and keepalive read on and off; keepalive on is the
 * target's own default */
static void test_config_onoff(void **state)
{
	struct tc_case c;

	(void)state;
	load_ok(HEAD "config: {nagle: off, delayed_ack: on, keepalive: on}\nsteps: [{wait: 1us}]\n", &c);
	assert_int_equal(c.conf.fields, TC_C_NAGLE | TC_C_DELAYED_ACK | TC_C_KEEPALIVE);
	assert_false(c.conf.nagle);
	assert_true(c.conf.delayed_ack);
	assert_int_equal(c.conf.keepalive_mode, TC_KEEPALIVE_DEFAULT);
	casefile_free(&c);
	load_ok(HEAD "config: {keepalive: off}\nsteps: [{wait: 1us}]\n", &c);
	assert_int_equal(c.conf.fields, TC_C_KEEPALIVE);
	assert_int_equal(c.conf.keepalive_mode, TC_KEEPALIVE_OFF);
	casefile_free(&c);
}

static void test_header_and_config(void **state)
{
	struct tc_case c;

	(void)state;
	load_ok("name: every key\n"
		"description: |\n  free text, ignored\n"
		"rfc: [\"9293\", \"7323 2.3\", \"2018 4\", \"5961 3.2\", \"6298 2\", \"1122 4.2.2.13\", \"6691 2\", \"1337\"]\n"
		"tags: [a, b-c, \"0123456789012345678901234567890\"]\n"
		"requires: [app, state, virtual-time]\n"
		"requirements: [MUST-36, SHLD-5, MAY-12]\n"
		"port: 0x1bb\n"
		"peer_port: 65535\n"
		"peer_isn: 4294967295\n"
		"config:\n"
		"  msl: 500ms\n  rto: 1s\n  rto_min: 200ms\n  rto_max: 60s\n  delack: 40000us\n"
		"  window: 1073725440\n  mss: 536\n  iss: 0xDEADbeef\n  syn_retries: 0\n  retries: 100\n"
		"  nagle: on\n  delayed_ack: off\n  keepalive: 2.5s\n"
		"steps: [{wait: 1us}]\n",
		&c);
	assert_string_equal(c.name, "every key");
	assert_int_equal(c.nrfc, 8);
	assert_int_equal(c.nreqs, 3);
	assert_string_equal(c.reqs[0], "MUST-36");
	assert_string_equal(c.reqs[2], "MAY-12");
	assert_string_equal(c.rfc[1], "7323 2.3");
	assert_string_equal(c.rfc[5], "1122 4.2.2.13");
	assert_string_equal(c.rfc[7], "1337");
	assert_int_equal(c.ntags, 3);
	assert_string_equal(c.tags[1], "b-c");
	assert_string_equal(c.tags[2], "0123456789012345678901234567890");
	assert_int_equal(c.requires, TC_REQ_APP | TC_REQ_STATE | TC_REQ_VIRTUAL_TIME);
	assert_int_equal(c.port, 443);
	assert_int_equal(c.peer_port, 65535);
	assert_int_equal(c.peer_isn, 4294967295u);
	assert_int_equal(c.conf.fields, TC_C_MSL | TC_C_RTO | TC_C_RTO_MIN | TC_C_RTO_MAX | TC_C_DELACK |
						TC_C_WINDOW | TC_C_MSS | TC_C_ISS | TC_C_SYN_RETRIES | TC_C_RETRIES |
						TC_C_NAGLE | TC_C_DELAYED_ACK | TC_C_KEEPALIVE);
	assert_true(c.conf.nagle);
	assert_false(c.conf.delayed_ack);
	assert_int_equal(c.conf.keepalive_mode, TC_KEEPALIVE_AFTER);
	assert_dur(&c.conf.keepalive, TC_DUR_ABS, 2500000, 0);
	assert_dur(&c.conf.msl, TC_DUR_ABS, 500000, 0);
	assert_dur(&c.conf.rto, TC_DUR_ABS, 1000000, 0);
	assert_dur(&c.conf.rto_min, TC_DUR_ABS, 200000, 0);
	assert_dur(&c.conf.rto_max, TC_DUR_ABS, 60000000, 0);
	assert_dur(&c.conf.delack, TC_DUR_ABS, 40000, 0);
	assert_int_equal(c.conf.window, 1073725440u);
	assert_int_equal(c.conf.mss, 536);
	assert_int_equal(c.conf.iss, 0xdeadbeefu);
	assert_int_equal(c.conf.syn_retries, 0);
	assert_int_equal(c.conf.retries, 100);
	assert_int_equal(c.nsteps, 1);
	assert_dur(&c.steps[0].u.dur, TC_DUR_ABS, 1, 0);
	casefile_free(&c);
}

static void test_send_every_key(void **state)
{
	const struct tc_segspec *s;
	struct tc_case c;

	(void)state;
	load_ok(HEAD "steps:\n"
		     "  - send:\n"
		     "      flags: SEN\n      seq: -1\n      ack: 4294967295\n      win: 0\n      urp: 0xffff\n"
		     "      bad_csum: true\n      data: \"h\\0i\"\n      len: 3\n"
		     "      options: [mss 1460, wscale 255, sackOK, ts 4294967295 0x10, nop, eol, raw 1e 4 a B]\n"
		     "  - send: {flags: ., seq_abs: 0xffffffff, ack_abs: 0, len: 2048, bad_csum: false,\n"
		     "           options: [sack 1:2 3:4 4294967295:0 0x10:0x20]}\n"
		     "  - send: {flags: \"\", seq: -2147483648, ack: 0x10, options: []}\n",
		&c);
	assert_int_equal(c.nsteps, 3);
	s = &c.steps[0].u.seg;
	assert_int_equal(c.steps[0].kind, TC_STEP_SEND);
	assert_int_equal(c.steps[0].loc.line, 4);
	assert_int_equal(c.steps[0].loc.col, 5);
	assert_int_equal(s->fields, TC_F_FLAGS | TC_F_SEQ | TC_F_ACK | TC_F_WIN | TC_F_URP | TC_F_BAD_CSUM |
					    TC_F_DATA | TC_F_LEN | TC_F_OPTS);
	assert_int_equal(s->flags, SEG_SYN | SEG_ECE | SEG_AE);
	assert_int_equal(s->seq, 0xffffffffu);
	assert_int_equal(s->ack, 0xffffffffu);
	assert_false(s->abs_seq);
	assert_int_equal(s->win, 0);
	assert_int_equal(s->urp, 0xffff);
	assert_true(s->bad_csum);
	assert_int_equal(s->len, 3);
	assert_memory_equal(s->data, "h\0i", 3);
	assert_int_equal(s->nopts, 7);
	assert_int_equal(s->opts[0].kind, SEG_OPT_MSS);
	assert_int_equal(s->opts[0].u.mss, 1460);
	assert_int_equal(s->opts[1].kind, SEG_OPT_WSCALE);
	assert_int_equal(s->opts[1].u.wscale, 255);
	assert_int_equal(s->opts[2].kind, SEG_OPT_SACK_PERM);
	assert_int_equal(s->opts[3].kind, SEG_OPT_TS);
	assert_int_equal(s->opts[3].u.ts.val, 4294967295u);
	assert_int_equal(s->opts[3].u.ts.ecr, 16);
	assert_int_equal(s->opts[4].kind, SEG_OPT_NOP);
	assert_int_equal(s->opts[5].kind, SEG_OPT_EOL);
	assert_int_equal(s->opts[6].kind, SEG_OPT_RAW);
	assert_int_equal(s->opts[6].u.raw.len, 4);
	assert_memory_equal(s->opts[6].u.raw.data, "\x1e\x04\x0a\x0b", 4);
	for (int i = 0; i < 7; i++)
		assert_false(s->opt_anyval[i]);

	s = &c.steps[1].u.seg;
	assert_int_equal(s->fields, TC_F_FLAGS | TC_F_SEQ | TC_F_ACK | TC_F_LEN | TC_F_OPTS);
	assert_int_equal(s->flags, 0);
	assert_true(s->abs_seq);
	assert_true(s->abs_ack);
	assert_int_equal(s->seq, 0xffffffffu);
	assert_int_equal(s->ack, 0);
	assert_int_equal(s->len, 2048);
	assert_false(s->bad_csum);
	assert_int_equal(s->nopts, 1);
	assert_int_equal(s->opts[0].kind, SEG_OPT_SACK);
	assert_int_equal(s->opts[0].u.sack.n, 4);
	assert_int_equal(s->opts[0].u.sack.b[0].left, 1);
	assert_int_equal(s->opts[0].u.sack.b[0].right, 2);
	assert_int_equal(s->opts[0].u.sack.b[1].left, 3);
	assert_int_equal(s->opts[0].u.sack.b[1].right, 4);
	assert_int_equal(s->opts[0].u.sack.b[2].left, 4294967295u);
	assert_int_equal(s->opts[0].u.sack.b[2].right, 0);
	assert_int_equal(s->opts[0].u.sack.b[3].left, 16);
	assert_int_equal(s->opts[0].u.sack.b[3].right, 32);

	s = &c.steps[2].u.seg;
	assert_int_equal(s->fields, TC_F_FLAGS | TC_F_SEQ | TC_F_ACK | TC_F_OPTS);
	assert_int_equal(s->flags, 0);
	assert_int_equal(s->seq, 0x80000000u);
	assert_int_equal(s->ack, 16);
	assert_int_equal(s->nopts, 0);
	casefile_free(&c);
}

static void test_expect_every_key(void **state)
{
	const struct tc_segspec *s;
	struct tc_case c;

	(void)state;
	load_ok(HEAD "steps:\n"
		     "  - expect: {flags: RA, seq_abs: 5, ack_abs: 0x10, win: 65535, urp: 1, len: 3,\n"
		     "             within: 1.5rto, after: 2delack, tolerance: 3ms,\n"
		     "             options: [mss, wscale, ts, sack, sackOK, nop, ts 1 2]}\n"
		     "  - expect: {data: abc, seq: 7}\n"
		     "  - expect: {}\n"
		     "  - expect_none: 2tolerance\n"
		     "  - expect_none: 0.25s\n",
		&c);
	assert_int_equal(c.nsteps, 5);
	s = &c.steps[0].u.seg;
	assert_int_equal(c.steps[0].kind, TC_STEP_EXPECT);
	assert_int_equal(s->fields, TC_F_FLAGS | TC_F_SEQ | TC_F_ACK | TC_F_WIN | TC_F_URP | TC_F_LEN |
					    TC_F_WITHIN | TC_F_AFTER | TC_F_TOLERANCE | TC_F_OPTS);
	assert_int_equal(s->flags, SEG_RST | SEG_ACK);
	assert_true(s->abs_seq);
	assert_true(s->abs_ack);
	assert_int_equal(s->seq, 5);
	assert_int_equal(s->ack, 16);
	assert_int_equal(s->win, 65535);
	assert_int_equal(s->urp, 1);
	assert_int_equal(s->len, 3);
	assert_dur(&s->within, TC_DUR_RTO, 0, 1.5);
	assert_dur(&s->after, TC_DUR_DELACK, 0, 2.0);
	assert_dur(&s->tolerance, TC_DUR_ABS, 3000, 0);
	assert_int_equal(s->nopts, 7);
	{
		static const uint16_t kinds[] = {SEG_OPT_MSS, SEG_OPT_WSCALE, SEG_OPT_TS, SEG_OPT_SACK,
						 SEG_OPT_SACK_PERM, SEG_OPT_NOP, SEG_OPT_TS};
		static const bool any[] = {true, true, true, true, false, false, false};

		for (int i = 0; i < 7; i++) {
			assert_int_equal(s->opts[i].kind, kinds[i]);
			assert_int_equal(s->opt_anyval[i], any[i]);
		}
	}
	assert_int_equal(s->opts[6].u.ts.val, 1);
	assert_int_equal(s->opts[6].u.ts.ecr, 2);

	s = &c.steps[1].u.seg;
	assert_int_equal(s->fields, TC_F_DATA | TC_F_SEQ);
	assert_int_equal(s->len, 3);
	assert_memory_equal(s->data, "abc", 3);
	assert_int_equal(s->seq, 7);
	assert_int_equal(c.steps[2].kind, TC_STEP_EXPECT);
	assert_int_equal(c.steps[2].u.seg.fields, 0);
	assert_int_equal(c.steps[3].kind, TC_STEP_EXPECT_NONE);
	assert_dur(&c.steps[3].u.dur, TC_DUR_TOLERANCE, 0, 2.0);
	assert_dur(&c.steps[4].u.dur, TC_DUR_ABS, 250000, 0);
	casefile_free(&c);
}

static void test_len_without_data(void **state)
{
	const struct tc_segspec *s;
	struct tc_case c;

	(void)state;
	load_ok(HEAD "steps:\n  - send: {flags: PA, len: 100}\n  - send: {flags: PA, len: 2, data: ab}\n", &c);
	s = &c.steps[0].u.seg;
	assert_int_equal(s->fields, TC_F_FLAGS | TC_F_LEN);
	assert_int_equal(s->len, 100);
	assert_int_equal(s->data[0], 0);
	s = &c.steps[1].u.seg;
	assert_int_equal(s->fields, TC_F_FLAGS | TC_F_LEN | TC_F_DATA);
	assert_int_equal(s->len, 2);
	assert_memory_equal(s->data, "ab", 2);
	casefile_free(&c);
}

static void test_overrides_and_deviations(void **state)
{
	struct tc_case c;
	const struct tc_override *o;

	(void)state;
	load_ok(HEAD "deviations: {linux: {reason: \"answers X (Linux 6.18)\", step: 3, fails: \"state expected\"}}\n"
		     "skip: {other: no sockets API for this}\n"
		     "steps:\n"
		     "  - expect: {flags: SA, ack: 1, win: 65535}\n"
		     "    on: {linux: {win: 64240, reason: first window from tcp_rmem}}\n"
		     "  - on: {linux: {duration: 60s, reason: fixed TIME-WAIT}, other: {skip: true, reason: r}}\n"
		     "    wait: 2msl\n"
		     "  - state: SYN-RECEIVED\n"
		     "    on: {linux: {state: LISTEN, reason: request socks}}\n"
		     "  - app: close\n",
		&c);
	assert_int_equal(c.ndeviations, 1);
	assert_string_equal(c.deviations[0].target, "linux");
	assert_string_equal(c.deviations[0].reason, "answers X (Linux 6.18)");
	assert_int_equal(c.deviations[0].loc.line, 3);
	assert_int_equal(c.deviations[0].step, 3);
	assert_string_equal(c.deviations[0].fails, "state expected");
	assert_int_equal(c.nskips, 1);
	assert_string_equal(c.skips[0].target, "other");
	assert_string_equal(c.skips[0].reason, "no sockets API for this");
	assert_int_equal(c.steps[0].novr, 1);
	o = &c.steps[0].ovr[0];
	assert_string_equal(o->target, "linux");
	assert_string_equal(o->reason, "first window from tcp_rmem");
	assert_false(o->skip);
	assert_int_equal(o->u.seg.fields, TC_F_WIN);
	assert_int_equal(o->u.seg.win, 64240);
	assert_int_equal(c.steps[1].kind, TC_STEP_WAIT);
	assert_int_equal(c.steps[1].novr, 2);
	assert_true(c.steps[1].ovr[0].has_value);
	assert_int_equal(c.steps[1].ovr[0].u.dur.unit, TC_DUR_ABS);
	assert_int_equal(c.steps[1].ovr[0].u.dur.us, 60000000);
	assert_true(c.steps[1].ovr[1].skip);
	assert_string_equal(c.steps[1].ovr[1].target, "other");
	assert_int_equal(c.steps[2].ovr[0].u.state, TC_LISTEN);
	assert_int_equal(c.steps[3].novr, 0);
	assert_null(c.steps[3].ovr);
	casefile_free(&c);
}

static void test_app_and_state(void **state)
{
	static const struct {
		enum tc_app_verb verb;
		uint16_t port;
		uint32_t n;
		uint16_t len;
		const char *data;
	} want[] = {
		{TC_APP_LISTEN, 0, 0, 0, ""},
		{TC_APP_LISTEN, 9000, 0, 0, ""},
		{TC_APP_CONNECT, 0, 0, 0, ""},
		{TC_APP_ACCEPT, 0, 0, 0, ""},
		{TC_APP_SEND, 0, 100, 0, ""},
		{TC_APP_SEND, 0, 2048, 0, ""},
		{TC_APP_SEND, 0, 6, 6, "a\"b\n\x01\\"},
		{TC_APP_SEND, 0, 4, 4, "x: y"},
		{TC_APP_SEND, 0, 2, 2, "\0\t"},
		{TC_APP_RECV, 0, 0, 0, ""},
		{TC_APP_RECV, 0, 4294967295u, 0, ""},
		{TC_APP_SHUTDOWN, 0, 0, 0, ""},
		{TC_APP_CLOSE, 0, 0, 0, ""},
		{TC_APP_ABORT, 0, 0, 0, ""},
		{TC_APP_CLOSE_LISTENER, 0, 0, 0, ""},
	};
	const size_t napp = sizeof(want) / sizeof(want[0]);
	struct tc_case c;

	(void)state;
	load_ok(HEAD "steps:\n"
		     "  - app: listen\n"
		     "  - app: \"  listen   9000 \"\n"
		     "  - app: connect\n"
		     "  - app: accept\n"
		     "  - app: send 100\n"
		     "  - app: send 0x800\n"
		     "  - app: send \"a\\\"b\\n\\x01\\\\\"\n"
		     "  - app: 'send \"x: y\"'\n"
		     "  - app: send \"\\0\\t\"\n"
		     "  - app: recv 0\n"
		     "  - app: recv 4294967295\n"
		     "  - app: shutdown\n"
		     "  - app: close\n"
		     "  - app: abort\n"
		     "  - app: close-listener\n"
		     "  - state: time_wait\n"
		     "  - state: Syn-Sent\n",
		&c);
	assert_int_equal(c.nsteps, (int)napp + 2);
	for (size_t i = 0; i < napp; i++) {
		const struct tc_app *a = &c.steps[i].u.app;

		assert_int_equal(c.steps[i].kind, TC_STEP_APP);
		assert_int_equal(a->verb, want[i].verb);
		assert_int_equal(a->port, want[i].port);
		assert_int_equal(a->n, want[i].n);
		assert_int_equal(a->len, want[i].len);
		assert_memory_equal(a->data, want[i].data, want[i].len);
	}
	assert_state_step(&c.steps[napp], TC_TIME_WAIT);
	assert_state_step(&c.steps[napp + 1], TC_SYN_SENT);
	casefile_free(&c);
}

/* The new verbs, an app step's results and its per-target results. */
static void test_app_results(void **state)
{
	struct tc_case c;
	const struct tc_step *st;

	(void)state;
	load_ok(HEAD "requires: [app, urgent, TCP_NODELAY, SO_LINGER]\n"
		     "steps:\n"
		     "  - app: connect-result\n"
		     "    error: ECONNREFUSED\n"
		     "  - app: recv 10\n"
		     "    returns: 0\n"
		     "  - app: recv 3\n"
		     "    data: abc\n"
		     "  - app: recv_atleast 5\n"
		     "  - app: 'recv \"x: y\"'\n"
		     "  - app: send_urgent 1048576\n"
		     "  - app: shutdown rd\n"
		     "  - app: shutdown rdwr\n"
		     "  - app: shutdown wr\n"
		     "  - app: setsockopt SO_LINGER -1\n"
		     "  - app: getsockopt TCP_NODELAY\n"
		     "    returns: 1\n"
		     "  - app: poll readable none within 1.5rto\n"
		     "  - app: poll writable\n"
		     "  - app: send 10\n"
		     "    error: EPIPE\n"
		     "    on: {linux: {reason: r, error: ECONNRESET}, lwip: {reason: s, returns: 3}}\n"
		     "  - app: 'setsockopt IP_OPTIONS \"83 07 04 c0 00 02 02\"'\n"
		     "  - app: 'setsockopt IPV6_RTHDR \"\"'\n",
		&c);
	assert_int_equal(c.requires, TC_REQ_APP | TC_REQ_URGENT);
	assert_int_equal(c.requires_sockopts, 1u << TC_SO_TCP_NODELAY | 1u << TC_SO_LINGER);
	st = c.steps;
	assert_int_equal(st[0].u.app.verb, TC_APP_CONNECT_RESULT);
	assert_int_equal(st[0].u.app.x.fields, TC_AX_ERROR);
	assert_int_equal(st[0].u.app.x.error, ECONNREFUSED);
	assert_int_equal(st[1].u.app.x.fields, TC_AX_RETURNS);
	assert_int_equal(st[1].u.app.x.returns, 0);
	assert_int_equal(st[2].u.app.len, 3);
	assert_memory_equal(st[2].u.app.data, "abc", 3);
	assert_true(st[3].u.app.at_least);
	assert_int_equal(st[3].u.app.n, 5);
	assert_int_equal(st[4].u.app.len, 4);
	assert_memory_equal(st[4].u.app.data, "x: y", 4);
	assert_true(st[5].u.app.urgent);
	assert_int_equal(st[5].u.app.n, 1048576);
	assert_int_equal(st[6].u.app.shut, TC_SHUT_RD);
	assert_int_equal(st[7].u.app.shut, TC_SHUT_RDWR);
	assert_int_equal(st[8].u.app.shut, TC_SHUT_WR);
	assert_int_equal(st[9].u.app.opt, TC_SO_LINGER);
	assert_int_equal(st[9].u.app.optval, -1);
	assert_int_equal(st[10].u.app.verb, TC_APP_GETSOCKOPT);
	assert_int_equal(st[10].u.app.opt, TC_SO_TCP_NODELAY);
	assert_int_equal(st[11].u.app.poll, TC_POLL_READABLE);
	assert_true(st[11].u.app.poll_none);
	assert_true(st[11].u.app.has_within);
	assert_int_equal(st[11].u.app.within.unit, TC_DUR_RTO);
	assert_int_equal(st[12].u.app.poll, TC_POLL_WRITABLE);
	assert_false(st[12].u.app.poll_none);
	assert_false(st[12].u.app.has_within);
	assert_int_equal(st[13].novr, 2);
	assert_int_equal(st[13].ovr[0].u.app.fields, TC_AX_ERROR);
	assert_int_equal(st[13].ovr[0].u.app.error, ECONNRESET);
	assert_int_equal(st[13].ovr[1].u.app.fields, TC_AX_RETURNS);
	assert_int_equal(st[13].ovr[1].u.app.returns, 3);
	assert_int_equal(st[14].u.app.opt, TC_SO_IP_OPTIONS);
	assert_int_equal(st[14].u.app.len, 7);
	assert_memory_equal(st[14].u.app.data, "\x83\x07\x04\xc0\x00\x02\x02", 7);
	assert_int_equal(st[15].u.app.opt, TC_SO_IPV6_RTHDR);
	assert_int_equal(st[15].u.app.len, 0);
	casefile_free(&c);
}

/* Bad inputs: each row is one error at an exact position. */
struct bad {
	const char *name;
	const char *yaml;
	int line, col;
	const char *phrase;
};

#define STEPS HEAD "steps:\n"
#define VERBS                                                                                              \
	"verbs: listen [PORT|any], connect [multicast|broadcast|from second|from any], connect-result, accept, send N|\"text\", send_urgent N|\"text\", recv " \
	"N|\"text\", recv_atleast N, shutdown [wr|rd|rdwr], close, abort, close-listener, setsockopt NAME VALUE|\"hex\", " \
	"getsockopt NAME, poll readable|writable|urgent|atmark [none] [within DURATION]"

static const struct bad bad_rows[] = {
	/* the document */
	{"empty", "", 1, 1, "empty case file"},
	{"comment only", "# nothing\n", 1, 1, "empty case file"},
	{"scalar top", "hello\n", 1, 1, "the case: expected a mapping, found 'hello'"},
	{"list top", "- a\n- b\n", 1, 1, "the case: expected a mapping, found a list"},
	{"second document", STEPS "  - wait: 1s\n---\nname: b\n", 6, 1, "a second YAML document"},
	{"syntax: unclosed flow", "name: [a\n", 2, 1, "did not find expected ',' or ']'"},
	{"syntax: mapping in plain", "name: a: b\n", 1, 8, "mapping values are not allowed in this context"},
	{"syntax: undefined alias", "name: *x\n", 1, 7, "found undefined alias"},
	{"syntax: tab indent", "name: a\n\tb: c\n", 2, 1, "found a tab character that violates indentation"},
	{"syntax: bad utf-8", "name: a\nrfc: \xff\n", 2, 6, "invalid leading UTF-8 octet (#FF)"},
	{"syntax: control char", "name: a\x01\n", 1, 8, "control characters are not allowed (#1)"},
	{"syntax: in second document", STEPS "  - wait: 1s\n---\n[\n", 7, 1, "did not find expected node content"},
	/* top-level keys */
	{"missing name", "rfc: [\"9293\"]\nsteps: [{wait: 1s}]\n", 1, 1, "missing required key 'name' in the case"},
	{"missing rfc", "name: n\nsteps: [{wait: 1s}]\n", 1, 1, "missing required key 'rfc' in the case"},
	{"missing steps", HEAD, 1, 1, "missing required key 'steps' in the case"},
	{"unknown top key", STEPS "  - wait: 1s\ntimeout: 1\n", 5, 1,
	 "unknown key 'timeout' in the case; expected one of: name, rfc, tags, requirements, requires, profile, port, peer_port, peer_isn, config, deviations, skip, steps, description"},
	{"duplicate key", "name: a\nname: b\n", 2, 1, "duplicate key 'name' in the case"},
	{"key not a scalar", "? [a]\n: b\n", 1, 3, "the case: expected a key name, found a list"},
	{"key with NUL", "\"na\\0me\": x\n", 1, 1, "unknown key 'na?me' in the case"},
	{"name list", "name: [a]\n", 1, 7, "name: expected a single value, found a list"},
	{"name null", "name: ~\n", 1, 7, "name: expected a single value, found nothing"},
	{"name empty", "name: \"\"\n", 1, 7, "name: must not be empty"},
	{"name NUL", "name: \"a\\0b\"\n", 1, 7, "name: contains a NUL character"},
	{"rfc scalar", "name: n\nrfc: \"9293\"\n", 2, 6, "rfc: expected a list, found '9293'"},
	{"rfc empty", "name: n\nrfc: []\n", 2, 6, "rfc: expected 1..8 references, found 0"},
	{"rfc nine", "name: n\nrfc: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n", 2, 6, "rfc: expected 1..8 references, found 9"},
	{"rfc no number", "name: n\nrfc: [\"9293\", \"RFC 9293\"]\n", 2, 15,
	 "rfc: 'RFC 9293': expected an RFC number and an optional section"},
	{"rfc trailing space", "name: n\nrfc: [\"9293 \"]\n", 2, 7, "expected an RFC number"},
	{"rfc too long", "name: n\nrfc: [\"9293 0123456789012345678901234567890123456789012345678901234567890\"]\n", 2,
	 7, "rfc: longer than 63 characters"},
	{"tags scalar", HEAD "tags: close\n", 3, 7, "tags: expected a list, found 'close'"},
	{"tags seventeen", HEAD "tags: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q]\n", 3, 7, "tags: 17 tags, more than 16"},
	{"tag too long", HEAD "tags: [a, 01234567890123456789012345678901]\n", 3, 11, "tags: longer than 31 characters"},
	{"requirement not of appendix B", HEAD "requirements: [MUST-1, RFC-2]\n", 3, 24,
	 "requirements: 'RFC-2': expected a requirement of RFC 9293 Appendix B, e.g. MUST-36 or SHLD-5"},
	{"requirement number zero", HEAD "requirements: [MUST-0]\n", 3, 16, "requirements: 'MUST-0': expected a requirement"},
	{"requirement past the table", HEAD "requirements: [MUST-70]\n", 3, 16,
	 "requirements: MUST-70 is not in RFC 9293 Appendix B (MUST-1..69, SHLD-1..31, MAY-1..18)"},
	{"requirement twice", HEAD "requirements: [SHLD-2, SHLD-2]\n", 3, 24, "requirements: SHLD-2 given twice"},
	{"requirements scalar", HEAD "requirements: MUST-1\n", 3, 15, "requirements: expected a list, found 'MUST-1'"},
	{"tag mapping", HEAD "tags: [{a: b}]\n", 3, 8, "tags: expected a single value, found a mapping"},
	{"requires unknown", HEAD "requires: [app, time]\n", 3, 17,
	 "requires: unknown requirement 'time'; expected one of: app, state, virtual-time, open-port, closed-port, urgent, connect-invalid, ip-level, multihomed, or a socket option"},
	{"open-port and closed-port", HEAD "requires: [open-port, closed-port]\nsteps: [{wait: 1s}]\n", 3, 11,
	 "requires: open-port and closed-port exclude each other"},
	{"open-port connects", HEAD "requires: [open-port]\nsteps:\n  - app: listen\n  - app: connect\n", 6, 5,
	 "app connect: a case that requires open-port may only listen on its port and accept"},
	{"open-port listens elsewhere", HEAD "requires: [open-port]\nsteps:\n  - app: listen 9000\n", 5, 5,
	 "app listen: a case that requires open-port may only listen on its port and accept"},
	{"closed-port listens", HEAD "requires: [closed-port]\nsteps:\n  - wait: 1s\n  - app: listen\n", 6, 5,
	 "app listen: a case that requires closed-port has no app steps"},
	{"port zero", HEAD "port: 0\n", 3, 7, "port: '0' is out of range 1..65535"},
	{"port big", HEAD "port: 65536\n", 3, 7, "port: '65536' is out of range 1..65535"},
	{"port huge", HEAD "port: 99999999999999999999999999\n", 3, 7, "out of range 1..65535"},
	{"port text", HEAD "port: http\n", 3, 7, "port: expected an integer in 1..65535, found 'http'"},
	{"port float", HEAD "port: 80.0\n", 3, 7, "port: expected an integer in 1..65535, found '80.0'"},
	{"port bare 0x", HEAD "port: 0x\n", 3, 7, "expected an integer"},
	{"peer_port", HEAD "peer_port: -1\n", 3, 12, "peer_port: '-1' is out of range 1..65535"},
	{"peer_isn big", HEAD "peer_isn: 4294967296\n", 3, 11, "peer_isn: '4294967296' is out of range 0..4294967295"},
	{"peer_isn neg", HEAD "peer_isn: -1\n", 3, 11, "out of range 0..4294967295"},
	/* config */
	{"config list", HEAD "config: [msl]\n", 3, 9, "config: expected a mapping, found a list"},
	{"config unknown", HEAD "config: {msl: 1s, mtu: 1500}\n", 3, 19,
	 "unknown key 'mtu' in config; expected one of: msl, rto, rto_min, rto_max, delack, window, mss, iss, syn_retries, retries, nagle, delayed_ack, keepalive"},
	{"config dup", HEAD "config: {rto: 1s, rto: 2s}\n", 3, 19, "duplicate key 'rto' in config"},
	{"config relative", HEAD "config: {msl: 2rto}\n", 3, 15, "msl: must be an absolute duration (us, ms, s) in config"},
	{"config no unit", HEAD "config: {delack: 40}\n", 3, 18,
	 "delack: '40': duration needs a unit (us, ms, s, msl, rto, delack, tolerance, quiet)"},
	{"config window", HEAD "config: {window: 1073725441}\n", 3, 18, "window: '1073725441' is out of range 0..1073725440"},
	{"config mss", HEAD "config: {mss: 0}\n", 3, 15, "mss: '0' is out of range 1..65535"},
	{"config iss", HEAD "config: {iss: 0x100000000}\n", 3, 15, "out of range 0..4294967295"},
	{"config retries", HEAD "config: {retries: 101}\n", 3, 19, "retries: '101' is out of range 0..100"},
	{"config syn_retries", HEAD "config: {syn_retries: x}\n", 3, 23, "expected an integer in 0..100"},
	{"config nagle", HEAD "config: {nagle: true}\n", 3, 17, "nagle: expected on or off, found 'true'"},
	{"config nagle list", HEAD "config: {nagle: [on]}\n", 3, 17, "nagle: expected"},
	{"config delayed_ack", HEAD "config: {delayed_ack: yes}\n", 3, 23, "delayed_ack: expected on or off, found 'yes'"},
	{"config keepalive word", HEAD "config: {keepalive: always}\n", 3, 21, "keepalive: 'always': "},
	{"config keepalive relative", HEAD "config: {keepalive: 2rto}\n", 3, 21,
	 "keepalive: expected on, off or an absolute duration above 0 (us, ms, s)"},
	{"config keepalive zero", HEAD "config: {keepalive: 0s}\n", 3, 21,
	 "keepalive: expected on, off or an absolute duration above 0 (us, ms, s)"},
	/* steps */
	{"steps empty", HEAD "steps: []\n", 3, 8, "steps: expected at least one step"},
	{"steps null", HEAD "steps:\n", 3, 7, "steps: expected a list, found nothing"},
	{"steps mapping", HEAD "steps: {wait: 1s}\n", 3, 8, "steps: expected a list, found a mapping"},
	{"step scalar", STEPS "  - wait\n", 4, 5,
	 "step: expected a mapping with one of: send, expect, expect_none, state, app, wait; found 'wait'"},
	{"step empty", STEPS "  - {}\n", 4, 5, "empty step; expected one of: send"},
	{"step two keys", STEPS "  - wait: 1s\n    state: CLOSED\n", 5, 5,
	 "a step has exactly one of: send, expect, expect_none, state, app, wait; 'state' follows 'wait'"},
	{"win and win_rel", STEPS "  - expect: {win: 1, win_rel: -1}\n", 4, 31, "win_rel: give only one of win and win_rel"},
	{"flags_any none", STEPS "  - expect: {flags: A, flags_any: .}\n", 4, 35, "flags_any: '.' is not a set of flags that may be set or not"},
	{"flags_any in send", STEPS "  - send: {flags: A, flags_any: P}\n", 4, 22, "unknown key 'flags_any' in send"},
	{"win_rel in send", STEPS "  - send: {flags: A, win_rel: -1}\n", 4, 22, "unknown key 'win_rel' in send"},
	{"win_rel range", STEPS "  - expect: {win_rel: 70000}\n", 4, 23, "win_rel: '70000' is out of range"},
	/* per-target expectations and known deviations */
	{"on: bad target name", STEPS "  - state: CLOSED\n    on: {Linux!: {state: LISTEN, reason: r}}\n", 5, 10,
	 "on: 'Linux!' is not a target name"},
	{"on: no reason", STEPS "  - expect: {flags: SA}\n    on: {linux: {win: 64240}}\n", 5, 17,
	 "missing required key 'reason' in an expect override"},
	{"on: empty reason", STEPS "  - expect: {flags: SA}\n    on: {linux: {win: 1, reason: \"\"}}\n", 5, 34,
	 "reason: must not be empty"},
	{"on: no value", STEPS "  - state: CLOSED\n    on: {linux: {reason: r}}\n", 5, 17,
	 "override: give the value this target expects, or skip: true"},
	{"on: app without skip", STEPS "  - app: close\n    on: {linux: {reason: r}}\n", 5, 17,
	 "override: give the value this target expects, or skip: true"},
	{"on: wrong key for kind", STEPS "  - wait: 1s\n    on: {linux: {state: LISTEN, reason: r}}\n", 5, 18,
	 "unknown key 'state' in a duration override"},
	{"on: target twice", STEPS "  - wait: 1s\n    on: {linux: {skip: true, reason: r}, linux: {skip: true, reason: r}}\n", 5, 42,
	 "on: target 'linux' given twice"},
	{"on only", STEPS "  - on: {linux: {skip: true, reason: r}}\n", 4, 5, "a step with only 'on'"},
	{"on and two kinds", STEPS "  - wait: 1s\n    on: {}\n    state: CLOSED\n", 6, 5,
	 "a step has exactly one of"},
	{"deviations: family 5", STEPS "  - wait: 1s\ndeviations: {linux: {reason: r, step: 1, family: 5}}\n", 5, 50,
	 "deviations: family: 5 is not an IP version (4 or 6)"},
	{"deviations: family 3", STEPS "  - wait: 1s\ndeviations: {linux: {reason: r, step: 1, family: 3}}\n", 5, 50,
	 "deviations: family: '3' is out of range 4..6"},
	{"use: unknown prologue", STEPS "  - use: half-open\n", 4, 10,
	 "use: 'half-open' is not a prologue (active-open, passive-open)"},
	{"use: with other keys", STEPS "  - use: active-open\n    on: {linux: {skip: true, reason: r}}\n", 4, 5,
	 "use: a step that uses a prologue has no other keys"},
	{"use: a list", STEPS "  - use: [active-open]\n", 4, 10, "use: expected"},
	{"deviations: not a mapping", STEPS "  - wait: 1s\ndeviations: [linux]\n", 5, 13,
	 "deviations: expected a mapping"},
	{"deviations: a bare reason", STEPS "  - wait: 1s\ndeviations: {linux: \"\"}\n", 5, 21,
	 "deviations: linux: name the failure it records: {reason: \"...\", step: N"},
	{"deviations: empty reason", STEPS "  - wait: 1s\ndeviations: {linux: {reason: \"\", step: 1}}\n", 5, 30,
	 "deviations: reason: must not be empty"},
	{"deviations: no step", STEPS "  - wait: 1s\ndeviations: {linux: {reason: r}}\n", 5, 21,
	 "missing required key 'step' in deviations"},
	{"deviations: step 0", STEPS "  - wait: 1s\ndeviations: {linux: {reason: r, step: 0}}\n", 5, 39,
	 "deviations: step: '0' is out of range"},
	{"deviations: step past the end", STEPS "  - wait: 1s\ndeviations: {linux: {reason: r, step: 2}}\n", 5, 39,
	 "deviations: linux: step 2, but the case has 1 steps"},
	{"deviations: unknown key", STEPS "  - wait: 1s\ndeviations: {linux: {reason: r, step: 1, why: x}}\n", 5, 42,
	 "unknown key 'why' in deviations"},
	{"step unknown", STEPS "  - wait: 1s\n  - sleep: 1s\n", 5, 5,
	 "unknown key 'sleep' in a step; expected one of: send, expect, expect_none, state, app, wait"},
	/* send and expect */
	{"send no flags", STEPS "  - send: {seq: 0}\n", 4, 11, "missing required key 'flags' in send"},
	{"send null", STEPS "  - send:\n", 4, 10, "send: expected a mapping, found nothing"},
	{"send bad flag", STEPS "  - send: {flags: SX}\n", 4, 19,
	 "flags: 'SX' is not a set of flags (letters F S R P A U E C N, each once, or . for none)"},
	{"send twice flag", STEPS "  - send: {flags: SS}\n", 4, 19, "is not a set of flags"},
	{"send seq and seq_abs", STEPS "  - send: {flags: S, seq: 1, seq_abs: 5}\n", 4, 39,
	 "seq_abs: give only one of seq and seq_abs"},
	{"send ack_abs and ack", STEPS "  - send: {flags: S, ack_abs: 1, ack: 5}\n", 4, 39, "ack: give only one of ack and ack_abs"},
	{"send seq low", STEPS "  - send: {flags: S, seq: -2147483649}\n", 4, 27,
	 "seq: '-2147483649' is out of range -2147483648..4294967295"},
	{"send seq high", STEPS "  - send: {flags: S, seq: 4294967296}\n", 4, 27, "out of range -2147483648..4294967295"},
	{"send seq_abs neg", STEPS "  - send: {flags: S, seq_abs: -1}\n", 4, 31, "seq_abs: '-1' is out of range 0..4294967295"},
	{"send win", STEPS "  - send: {flags: A, win: 65536}\n", 4, 27, "win: '65536' is out of range 0..65535"},
	{"send urp", STEPS "  - send: {flags: A, urp: -5}\n", 4, 27, "urp: '-5' is out of range 0..65535"},
	{"send len", STEPS "  - send: {flags: A, len: 2049}\n", 4, 27, "len: '2049' is out of range 0..2048"},
	{"send len then data", STEPS "  - send: {flags: A, len: 2, data: abc}\n", 4, 36, "data: 3 bytes, but len says 2"},
	{"send data then len", STEPS "  - send: {flags: A, data: abc, len: 4}\n", 4, 38, "len: 4 does not match the 3 bytes of data"},
	{"send data list", STEPS "  - send: {flags: A, data: [1]}\n", 4, 28, "data: expected a single value, found a list"},
	{"send bad_csum", STEPS "  - send: {flags: A, bad_csum: yes}\n", 4, 32, "bad_csum: expected true or false, found 'yes'"},
	{"send within", STEPS "  - send: {flags: A, within: 1s}\n", 4, 22,
	 "unknown key 'within' in send; expected one of: flags, seq, ack, seq_abs, ack_abs, win, urp, options, data, len, bad_csum"},
	{"expect bad_csum", STEPS "  - expect: {bad_csum: true}\n", 4, 14,
	 "unknown key 'bad_csum' in expect; expected one of: flags, seq, ack, seq_abs, ack_abs, win, win_rel, flags_any, urp, options, data, len, within, after, tolerance"},
	{"expect dup", STEPS "  - expect: {seq: 1, seq: 1}\n", 4, 22, "duplicate key 'seq' in expect"},
	{"expect within", STEPS "  - expect: {within: 50}\n", 4, 22, "within: '50': duration needs a unit"},
	{"expect after", STEPS "  - expect: {after: soon}\n", 4, 21, "after: 'soon': expected a duration such as 50ms"},
	{"expect tolerance", STEPS "  - expect: {tolerance: 1.5min}\n", 4, 25, "tolerance: '1.5min': unknown duration unit"},
	/* options */
	{"opts scalar", STEPS "  - send: {flags: S, options: mss 1460}\n", 4, 31, "options: expected a list, found 'mss 1460'"},
	{"opts unknown", STEPS "  - send: {flags: S, options: [mss 1460, md5 1]}\n", 4, 42,
	 "options: unknown option 'md5 1'; expected one of: mss, wscale, sackOK, sack, ts, nop, eol, raw"},
	{"opts empty", STEPS "  - send: {flags: S, options: [\"  \"]}\n", 4, 32, "options: '  ': empty option"},
	{"opts bare in send", STEPS "  - send: {flags: S, options: [ts]}\n", 4, 32,
	 "options: 'ts': needs a value in a send (written bare it means any value, in an expect only)"},
	{"opts mss range", STEPS "  - send: {flags: S, options: [mss 65536]}\n", 4, 32,
	 "options: 'mss 65536': mss takes one value 0..65535"},
	{"opts mss two", STEPS "  - expect: {options: [mss 1 2]}\n", 4, 24, "mss takes one value 0..65535"},
	{"opts wscale", STEPS "  - send: {flags: S, options: [wscale 256]}\n", 4, 32, "wscale takes one value 0..255"},
	{"opts sackOK arg", STEPS "  - send: {flags: S, options: [sackOK 1]}\n", 4, 32, "options: 'sackOK 1': takes no value"},
	{"opts nop arg", STEPS "  - send: {flags: S, options: [nop nop]}\n", 4, 32, "options: 'nop nop': takes no value"},
	{"opts sack five", STEPS "  - expect: {options: [sack 1:2 3:4 5:6 7:8 9:10]}\n", 4, 24, "sack takes 1..4 blocks LEFT:RIGHT"},
	{"opts sack mixed", STEPS "  - send: {flags: A, options: [sack 1-2 3:4]}\n", 4, 32,
	 "options: 'sack 1-2 3:4': sack blocks are all LEFT:RIGHT (absolute) or all LEFT-RIGHT (relative)"},
	{"opts sack no sep", STEPS "  - send: {flags: A, options: [sack 12]}\n", 4, 32,
	 "sack takes 1..4 blocks LEFT:RIGHT (absolute) or LEFT-RIGHT (relative to the ISN)"},
	{"opts sack rel range", STEPS "  - expect: {options: [sack 1-4294967296]}\n", 4, 24, "sack takes 1..4 blocks"},
	{"opts sack rel neg", STEPS "  - expect: {options: [sack -1-5]}\n", 4, 24, "sack takes 1..4 blocks"},
	/* ts val V ecr E */
	{"opts ts val peer in send", STEPS "  - send: {flags: A, options: [ts val peer ecr 0]}\n", 4, 32,
	 "options: 'ts val peer ecr 0': ts val V ecr E in a send: V a number 0..4294967295, E a number or target"},
	{"opts ts val any in send", STEPS "  - send: {flags: A, options: [ts val 1 ecr any]}\n", 4, 32, "in a send: V a number"},
	{"opts ts val rel in send", STEPS "  - send: {flags: A, options: [ts val +1~2 ecr 0]}\n", 4, 32, "in a send: V a number"},
	{"opts ts target as val", STEPS "  - send: {flags: A, options: [ts val target ecr 0]}\n", 4, 32, "in a send: V a number"},
	{"opts ts target in expect", STEPS "  - expect: {options: [ts val 1 ecr target]}\n", 4, 24,
	 "options: 'ts val 1 ecr target': ts val V ecr E: V and E each a number 0..4294967295, any, peer or +N~T"},
	{"opts ts rel empty", STEPS "  - expect: {options: [ts val + ecr 0]}\n", 4, 24, "any, peer or +N~T"},
	{"opts ts rel bad tol", STEPS "  - expect: {options: [ts val +1~x ecr 0]}\n", 4, 24, "any, peer or +N~T"},
	{"opts ts rel range", STEPS "  - expect: {options: [ts val +4294967296 ecr 0]}\n", 4, 24, "any, peer or +N~T"},
	{"opts ts val word", STEPS "  - expect: {options: [ts value 1 ecr 0]}\n", 4, 24,
	 "ts takes two values 0..4294967295: TSval TSecr, or val V ecr E"},
	{"opts ts val four", STEPS "  - expect: {options: [ts val 1 ecr]}\n", 4, 24, "or val V ecr E"},
	/* profile */
	{"profile unknown", HEAD "profile: modern\nsteps: [{wait: 1s}]\n", 3, 10,
	 "profile: unknown profile 'modern'; expected one of: minimal, default"},
	{"profile list", HEAD "profile: [minimal]\nsteps: [{wait: 1s}]\n", 3, 10, "profile: expected a single value, found a list"},
	{"profile dup", HEAD "profile: minimal\nprofile: default\nsteps: [{wait: 1s}]\n", 4, 1, "duplicate key 'profile' in the case"},
	{"profile case", HEAD "profile: Minimal\nsteps: [{wait: 1s}]\n", 3, 10, "unknown profile 'Minimal'"},
	{"opts sack range", STEPS "  - send: {flags: A, options: [sack 1:4294967296]}\n", 4, 32, "sack takes 1..4 blocks"},
	{"opts sack empty right", STEPS "  - send: {flags: A, options: [\"sack 1:\"]}\n", 4, 32, "sack takes 1..4 blocks"},
	{"opts ts one", STEPS "  - send: {flags: A, options: [ts 1]}\n", 4, 32, "ts takes two values 0..4294967295: TSval TSecr"},
	{"opts raw short", STEPS "  - send: {flags: A, options: [raw 1e]}\n", 4, 32, "raw takes 2..40 hex bytes"},
	{"opts raw bad hex", STEPS "  - send: {flags: A, options: [raw 1e 02 zz]}\n", 4, 32, "raw takes 2..40 hex bytes"},
	{"opts raw 3 digits", STEPS "  - send: {flags: A, options: [raw 1e 002]}\n", 4, 32, "raw takes 2..40 hex bytes"},
	{"opts raw 41", STEPS "  - send: {flags: A, options: [raw 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01"
			  " 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01]}\n",
	 4, 32, "raw takes 2..40 hex bytes"},
	{"opts over 40", STEPS "  - send: {flags: A, options: [ts 1 2, ts 1 2, ts 1 2, ts 1 2, nop]}\n", 4, 64,
	 "options: more than 40 bytes of options (41 with this one)"},
	{"opts bare over 40", STEPS "  - expect: {options: [sack, sack, sack, sack, mss]}\n", 4, 48,
	 "more than 40 bytes of options (44 with this one)"},
	{"opts not string", STEPS "  - send: {flags: A, options: [[mss]]}\n", 4, 32, "options: expected a single value, found a list"},
	/* durations, states, apps */
	{"wait no unit", STEPS "  - wait: 5\n", 4, 11,
	 "wait: '5': duration needs a unit (us, ms, s, msl, rto, delack, tolerance, quiet)"},
	{"wait over a day", STEPS "  - wait: 86401s\n", 4, 11, "wait: '86401s': longer than 1 day (86400s)"},
	{"wait sub-us", STEPS "  - wait: 0.5us\n", 4, 11, "finer than 1us"},
	{"wait overflow", STEPS "  - wait: 99999999999999999999999ms\n", 4, 11, "duration overflows"},
	{"wait negative", STEPS "  - wait: -1s\n", 4, 11, "expected a duration such as"},
	{"wait mapping", STEPS "  - wait: {s: 1}\n", 4, 11, "wait: expected a single value, found a mapping"},
	{"expect_none list", STEPS "  - expect_none: [1s]\n", 4, 18, "expect_none: expected a single value, found a list"},
	{"expect_none mult", STEPS "  - expect_none: 1001msl\n", 4, 18, "more than 1000 times a profile value"},
	{"state unknown", STEPS "  - state: SYN-RCVD\n", 4, 12,
	 "state: unknown state 'SYN-RCVD'; expected one of: CLOSED, LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, "
	 "FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT"},
	{"state list", STEPS "  - state: [CLOSED]\n", 4, 12, "state: expected a single value, found a list"},
	{"app unknown", STEPS "  - app: fly away\n", 4, 10,
	 "app: unknown verb 'fly away'; expected one of: listen [PORT|any], connect [multicast|broadcast|from second|from any], connect-result, accept"},
	{"app empty", STEPS "  - app: \"\"\n", 4, 10, "app: unknown verb ''"},
	{"app listen 0", STEPS "  - app: listen 0\n", 4, 10, "app: 'listen 0': PORT must be an integer in 1..65535; " VERBS},
	{"app listen two", STEPS "  - app: listen 1 2\n", 4, 10, "PORT must be an integer in 1..65535"},
	{"app connect arg", STEPS "  - app: connect 80\n", 4, 10, "app: 'connect 80': connect takes nothing (the peer), multicast, broadcast, `from second` (the target's second address) or `from any` (no local address: IP chooses); " VERBS},
	{"connect multicast without requires", STEPS "  - app: connect multicast\n", 4, 5,
	 "connect multicast: list connect-invalid in requires:"},
	{"poll urgent without requires", STEPS "  - app: poll urgent\n", 4, 5, "poll urgent: list urgent in requires:"},
	{"poll atmark without requires", STEPS "  - app: poll atmark none\n", 4, 5, "poll atmark: list urgent in requires:"},
	{"opt_bytes not hex", STEPS "  - expect: {opt_bytes: \"02 04 zz b4\"}\n", 4, 25, "opt_bytes: bytes in hex"},
	{"opt_bytes three digits", STEPS "  - expect: {opt_bytes: \"020 04 05 b4\"}\n", 4, 25, "opt_bytes: bytes in hex"},
	{"opt_bytes not words", STEPS "  - expect: {opt_bytes: \"02 04 05\"}\n", 4, 25,
	 "opt_bytes: 3 bytes; the options area is a whole number of 32-bit words"},
	{"opt_bytes in a send", STEPS "  - send: {flags: S, opt_bytes: \"\"}\n", 4, 22, "unknown key 'opt_bytes' in send"},
	{"app close arg", STEPS "  - app: close now\n", 4, 10, "this verb takes no argument"},
	{"app send none", STEPS "  - app: send\n", 4, 10, "send takes a byte count 1..1048576 or \"text\""},
	{"app send 0", STEPS "  - app: send 0\n", 4, 10, "send takes a byte count 1..1048576"},
	{"app send past 1 MiB", STEPS "  - app: send 1048577\n", 4, 10, "send takes a byte count 1..1048576"},
	/* app results and the new verbs */
	{"app error unknown", STEPS "  - app: recv 1\n    error: EOOPS\n", 5, 12,
	 "error: unknown error 'EOOPS'; expected one of: ECONNRESET, ECONNREFUSED, EPIPE"},
	{"app error and returns", STEPS "  - app: recv 1\n    returns: 0\n    error: EPIPE\n", 6, 12,
	 "error: give returns or error, not both"},
	{"app returns range", STEPS "  - app: recv 1\n    returns: 4294967296\n", 5, 14, "returns: '4294967296' is out of range"},
	{"app returns not int", STEPS "  - app: recv 1\n    returns: many\n", 5, 14, "returns"},
	{"returns on a wait", STEPS "  - wait: 1s\n    returns: 0\n", 5, 14,
	 "returns, error and data (beside the step's kind) belong to app steps only"},
	{"data on a send verb", STEPS "  - app: send 3\n    data: abc\n", 5, 11,
	 "data: only recv N takes data"},
	{"data length differs", STEPS "  - app: recv 4\n    data: abc\n", 5, 11, "data: 3 bytes, but recv reads 4"},
	{"data with recv text", STEPS "  - app: recv \"abc\"\n    data: abc\n", 5, 11,
	 "data: recv \"text\" gives the bytes already"},
	{"data on recv_atleast", STEPS "  - app: recv_atleast 3\n    data: abc\n", 5, 11, "data: only recv N takes data"},
	{"app shutdown bad", STEPS "  - app: shutdown both\n", 4, 10, "shutdown takes wr, rd or rdwr (nothing: wr)"},
	{"app setsockopt unknown", STEPS "  - app: setsockopt SO_FOO 1\n", 4, 10,
	 "app: 'setsockopt SO_FOO 1': unknown socket option 'SO_FOO'; expected one of: TCP_NODELAY, SO_KEEPALIVE"},
	{"app setsockopt no value", STEPS "  - app: setsockopt TCP_NODELAY\n", 4, 10,
	 "setsockopt takes NAME VALUE, VALUE an integer -1..2147483647"},
	{"app setsockopt -2", STEPS "  - app: setsockopt SO_LINGER -2\n", 4, 10, "setsockopt takes NAME VALUE"},
	{"app setsockopt bytes unquoted", STEPS "  - app: setsockopt IP_OPTIONS 83\n", 4, 10,
	 "setsockopt IP_OPTIONS takes its bytes in hex within quotes"},
	{"app setsockopt bytes odd digit", STEPS "  - app: 'setsockopt IP_OPTIONS \"83 7\"'\n", 4, 10,
	 "setsockopt IP_OPTIONS takes its bytes in hex within quotes"},
	{"app setsockopt bytes too many", STEPS "  - app: 'setsockopt IPV6_RTHDR \"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\"'\n",
	 4, 10, "setsockopt IPV6_RTHDR: more than 40 bytes"},
	{"app getsockopt bytes", STEPS "  - app: getsockopt IP_OPTIONS\n", 4, 10,
	 "getsockopt reads integer options only; this one's value is bytes"},
	{"app getsockopt value", STEPS "  - app: getsockopt TCP_NODELAY 1\n", 4, 10, "getsockopt takes only the option's name"},
	{"app poll what", STEPS "  - app: poll soon\n", 4, 10, "poll takes readable, writable, urgent or atmark"},
	{"app poll within bad", STEPS "  - app: poll readable within 5\n", 4, 10, "app: 'poll readable within 5': within:"},
	{"app poll trailing", STEPS "  - app: poll readable none within 1s now\n", 4, 10,
	 "poll takes readable|writable|urgent|atmark [none] [within DURATION]"},
	{"app recv_atleast text", STEPS "  - app: recv_atleast \"ab\"\n", 4, 10, "recv takes a byte count"},
	{"send_urgent without requires", STEPS "  - app: send_urgent 1\n", 4, 5,
	 "send_urgent: list urgent in requires:"},
	{"requires unknown option", HEAD "requires: [app, SO_FOO]\n", 3, 17, "requires: unknown requirement 'SO_FOO'"},
	{"on: app error unknown", STEPS "  - app: recv 1\n    on: {linux: {reason: r, error: EX}}\n", 5, 36,
	 "error: unknown error 'EX'"},
	{"on: app error and returns", STEPS "  - app: recv 1\n    on: {linux: {reason: r, error: EPIPE, returns: 0}}\n", 5,
	 52, "returns: give returns or error, not both"},
	{"app send empty text", STEPS "  - app: send \"\"\n", 4, 10, "the text is empty"},
	{"app send unclosed", STEPS "  - app: send \"abc\n", 4, 10, "the text has no closing quote"},
	{"app send escape", STEPS "  - app: send \"a\\qb\"\n", 4, 10, "unknown escape in the text"},
	{"app send short hex", STEPS "  - app: send \"\\x4\"\n", 4, 10, "unknown escape in the text"},
	{"app send trailing", STEPS "  - app: send \"a\" b\n", 4, 10, "unexpected words after the closing quote"},
	{"app recv negative", STEPS "  - app: recv -1\n", 4, 10, "recv takes a byte count 0..4294967295 (or \"text\"; recv_atleast a count); " VERBS},
	{"app list", STEPS "  - app: [listen]\n", 4, 10, "app: expected a single value, found a list"},
	/* the first error wins */
	{"first error", STEPS "  - wait: 5\n  - state: NOPE\n", 4, 11, "duration needs a unit"},
};

/* Returns whether the row held; prints why not, so one run shows every
 * failing row instead of the first. */
static bool check_bad(const struct bad *row)
{
	char prefix[64];
	struct tc_case c;
	struct tc_err e;
	int rc;

	memset(&c, 0xa5, sizeof(c));
	rc = load(row->yaml, &c, &e);
	snprintf(prefix, sizeof(prefix), "t.yaml:%d:%d: ", row->line, row->col);
	if (rc != -1) {
		print_error("row '%s': loaded, want %s%s\n", row->name, prefix, row->phrase);
		casefile_free(&c);
		return false;
	}
	if (e.code != TC_ERR_CASE || strncmp(e.msg, prefix, strlen(prefix)) != 0 ||
	    !strstr(e.msg + strlen(prefix), row->phrase)) {
		print_error("row '%s':\n  want %s...%s...\n  got  %s (%s)\n", row->name, prefix, row->phrase, e.msg,
			    tc_err_name(e.code));
		return false;
	}
	/* Nothing is kept on error: the case is left empty. */
	if (c.steps || c.nsteps || c.name[0]) {
		print_error("row '%s': the case was not emptied\n", row->name);
		return false;
	}
	return true;
}

/* profile: and the option values beyond numbers: relative SACK blocks and
 * `ts val V ecr E` with any, peer, +N~T and (in a send) target. */
static void test_profile_and_option_values(void **state)
{
	struct tc_case c;
	const struct tc_segspec *e, *sd;

	(void)state;
	load_ok(HEAD "profile: default\nsteps:\n"
		     "  - send: {flags: A, options: [ts val 7 ecr target, \"sack 1-101 201-0x12d\"]}\n"
		     "  - expect: {options: [ts val +1000~20 ecr peer, ts val any ecr 5, ts 1 2, sack 3-4]}\n"
		     "  - expect: {options: [sack 5:6, ts val +3 ecr any]}\n",
		&c);
	assert_int_equal(c.profile, TC_SP_DEFAULT);
	assert_int_equal(c.profile_loc.line, 3);
	assert_int_equal(c.profile_loc.col, 10);
	sd = &c.steps[0].u.seg;
	assert_true(sd->optv[0].ts_spec);
	assert_int_equal(sd->opts[0].u.ts.val, 7);
	assert_int_equal(sd->optv[0].val.kind, TC_TSV_NUM);
	assert_int_equal(sd->optv[0].ecr.kind, TC_TSV_TARGET);
	assert_true(sd->optv[1].sack_rel);
	assert_int_equal(sd->opts[1].u.sack.n, 2);
	assert_int_equal(sd->opts[1].u.sack.b[1].left, 201);
	assert_int_equal(sd->opts[1].u.sack.b[1].right, 301);
	e = &c.steps[1].u.seg;
	assert_int_equal(e->nopts, 4);
	assert_int_equal(e->optv[0].val.kind, TC_TSV_REL);
	assert_int_equal(e->optv[0].val.v, 1000);
	assert_int_equal(e->optv[0].val.tol, 20);
	assert_int_equal(e->optv[0].ecr.kind, TC_TSV_PEER);
	assert_int_equal(e->optv[1].val.kind, TC_TSV_ANY);
	assert_int_equal(e->optv[1].ecr.kind, TC_TSV_NUM);
	assert_int_equal(e->opts[1].u.ts.ecr, 5);
	assert_false(e->optv[2].ts_spec);
	assert_int_equal(e->opts[2].u.ts.val, 1);
	assert_true(e->optv[3].sack_rel);
	e = &c.steps[2].u.seg;
	assert_false(e->optv[0].sack_rel);
	assert_int_equal(e->optv[1].val.tol, 0);
	assert_int_equal(e->optv[1].val.v, 3);
	casefile_free(&c);
	load_ok(HEAD "profile: minimal\nsteps: [{wait: 1s}]\n", &c);
	assert_int_equal(c.profile, TC_SP_MINIMAL);
	casefile_free(&c);
}

static void test_bad_inputs(void **state)
{
	size_t failed = 0, n = sizeof(bad_rows) / sizeof(bad_rows[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		if (!check_bad(&bad_rows[i]))
			failed++;
	if (failed)
		fail_msg("%zu of %zu bad-input rows failed", failed, n);
}

/* Builds HEAD "steps:\n" plus n copies of a step line. */
static char *many_steps(int n, const char *line)
{
	size_t ll = strlen(line), hl = strlen(STEPS);
	char *s = malloc(hl + (size_t)n * ll + 1);

	assert_non_null(s);
	memcpy(s, STEPS, hl);
	for (int i = 0; i < n; i++)
		memcpy(s + hl + (size_t)i * ll, line, ll);
	s[hl + (size_t)n * ll] = '\0';
	return s;
}

static void test_too_many_steps(void **state)
{
	char *yaml = many_steps(4097, "  - wait: 1s\n");
	struct tc_case c;
	struct tc_err e;

	(void)state;
	assert_int_equal(load(yaml, &c, &e), -1);
	assert_int_equal(e.code, TC_ERR_CASE);
	assert_string_equal(e.msg, "t.yaml:4:3: steps: 4097 steps, more than 4096");
	free(yaml);

	yaml = many_steps(4096, "  - wait: 1s\n");
	load_ok(yaml, &c);
	assert_int_equal(c.nsteps, 4096);
	assert_int_equal(c.steps[4095].kind, TC_STEP_WAIT);
	assert_int_equal(c.steps[4095].loc.line, 4 + 4095);
	casefile_free(&c);
	free(yaml);
}

/* An error after the steps were read must free them (ASan reports leaks). */
static void test_error_after_steps(void **state)
{
	struct tc_case c;
	struct tc_err e;

	(void)state;
	assert_int_equal(load("steps: [{wait: 1s}, {wait: 2s}]\nname: n\nrfc: [x]\n", &c, &e), -1);
	assert_string_equal(e.msg, "t.yaml:3:7: rfc: 'x': expected an RFC number and an optional section, e.g. \"9293 3.10.7.4\"");
	assert_null(c.steps);
	assert_int_equal(c.nsteps, 0);
}

static void test_long_values(void **state)
{
	char yaml[4096];
	char longname[300];
	char data[2100];
	struct tc_case c;
	struct tc_err e;

	(void)state;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	snprintf(yaml, sizeof(yaml), "name: %s\n", longname);
	assert_int_equal(load(yaml, &c, &e), -1);
	assert_string_equal(e.msg, "t.yaml:1:7: name: longer than 199 characters");

	memset(longname, 'y', 199);
	longname[199] = '\0';
	snprintf(yaml, sizeof(yaml), "name: %s\nrfc: [\"1\"]\nsteps: [{wait: 1s}]\n", longname);
	load_ok(yaml, &c);
	assert_string_equal(c.name, longname);
	casefile_free(&c);

	memset(data, 'd', 2049);
	data[2049] = '\0';
	snprintf(yaml, sizeof(yaml), STEPS "  - send: {flags: A, data: %s}\n", data);
	assert_int_equal(load(yaml, &c, &e), -1);
	assert_string_equal(e.msg, "t.yaml:4:28: data: 2049 bytes, more than the 2048 a segment can carry");
	data[2048] = '\0';
	snprintf(yaml, sizeof(yaml), STEPS "  - send: {flags: A, data: %s}\n", data);
	load_ok(yaml, &c);
	assert_int_equal(c.steps[0].u.seg.len, 2048);
	assert_int_equal(c.steps[0].u.seg.data[2047], 'd');
	casefile_free(&c);

	/* A value quoted in a message is cut at 40 characters. */
	snprintf(yaml, sizeof(yaml), "port: %s\n", longname);
	assert_int_equal(load(yaml, &c, &e), -1);
	assert_string_equal(e.msg, "t.yaml:1:7: port: expected an integer in 1..65535, found "
				   "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...'");
}

static void test_deep_nesting(void **state)
{
	const int depth = 100000;
	size_t hl = strlen("name: ");
	char *yaml = malloc(hl + 2 * (size_t)depth + 2);
	struct tc_case c;
	struct tc_err e;
	struct timespec t0, t1;

	(void)state;
	assert_non_null(yaml);
	memcpy(yaml, "name: ", hl);
	memset(yaml + hl, '[', (size_t)depth);
	memset(yaml + hl + depth, ']', (size_t)depth);
	strcpy(yaml + hl + 2 * (size_t)depth, "\n");
	/* Refused from the event stream at the 65th level (the root mapping
	 * is the first), before a document is built: it once took 44 s. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(load(yaml, &c, &e), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(e.code, TC_ERR_CASE);
	assert_string_equal(e.msg, "t.yaml:1:70: nested deeper than 64 levels of lists and mappings");
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	assert_null(c.steps);

	/* Unbalanced: the same refusal, not a crash. */
	yaml[hl + depth] = '\0';
	assert_int_equal(load(yaml, &c, &e), -1);
	assert_string_equal(e.msg, "t.yaml:1:70: nested deeper than 64 levels of lists and mappings");

	/* Mappings count too. */
	size_t n = 0;
	for (int i = 0; i < 70; i++)
		n += (size_t)sprintf(yaml + n, "{a: ");
	for (int i = 0; i < 70; i++)
		yaml[n++] = '}';
	yaml[n] = '\0';
	assert_int_equal(load(yaml, &c, &e), -1);
	assert_string_equal(e.msg, "t.yaml:1:257: nested deeper than 64 levels of lists and mappings");

	/* 64 levels are within the limit: the case's own check speaks. */
	memcpy(yaml, "name: ", hl);
	memset(yaml + hl, '[', 63);
	memset(yaml + hl + 63, ']', 63);
	strcpy(yaml + hl + 126, "\n");
	assert_int_equal(load(yaml, &c, &e), -1);
	assert_string_equal(e.msg, "t.yaml:1:7: name: expected a single value, found a list");

	/* A syntax error before the limit is reported as before. */
	assert_int_equal(load("name: [[[\n- x", &c, &e), -1);
	assert_int_equal(e.code, TC_ERR_CASE);
	assert_int_equal(strncmp(e.msg, "t.yaml:2:", 9), 0);
	free(yaml);
}

static void test_binary_garbage(void **state)
{
	static const char garbage[] = "\x00\x01\xfe\xff\x7fname\x00: [\x80";
	struct tc_case c;
	struct tc_err e;

	(void)state;
	tc_err_clear(&e);
	assert_int_equal(casefile_load_string(garbage, sizeof(garbage) - 1, "g.bin", &c, &e), -1);
	assert_int_equal(e.code, TC_ERR_CASE);
	assert_string_equal(e.msg, "g.bin:1:1: control characters are not allowed (#0)");

	assert_int_equal(casefile_load_string(NULL, 0, NULL, &c, &e), -1);
	assert_string_equal(e.msg, "<string>:1:1: empty case file; expected a mapping with name, rfc and steps");
}

/* Deterministic mutations of a good case: whatever comes out is either a
 * case or one positioned TC_ERR_CASE error, never a crash or a leak. */
static void test_mutations(void **state)
{
	static const char alphabet[] = " :-[]{}\"'\n#&*!|>,?%@`0123456789SAFRmsx\\\t\xff\x01";
	uint32_t x = 2463534242u;
	size_t len = strlen(example);
	char *buf = malloc(len + 1);
	int loaded = 0, refused = 0;

	(void)state;
	assert_non_null(buf);
	for (int round = 0; round < 3000; round++) {
		struct tc_case c;
		struct tc_err e;
		size_t n = len;
		int line, col;

		memcpy(buf, example, len + 1);
		for (int k = 0; k < 1 + round % 4; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[x % len] = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
		}
		if (round % 7 == 0)
			n = (x >> 3) % len;
		tc_err_clear(&e);
		if (casefile_load_string(buf, n, "m.yaml", &c, &e) == 0) {
			assert_true(c.nsteps > 0);
			assert_non_null(c.steps);
			casefile_free(&c);
			loaded++;
			continue;
		}
		if (e.code != TC_ERR_CASE || sscanf(e.msg, "m.yaml:%d:%d: ", &line, &col) != 2 || line < 1 || col < 1)
			fail_msg("round %d: %s: %s", round, tc_err_name(e.code), e.msg);
		assert_null(c.steps);
		refused++;
	}
	free(buf);
	/* Both outcomes happen, so the loop really exercised the loader. */
	assert_true(loaded > 0);
	assert_true(refused > 0);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_casefile_XXXXXX";
	struct tc_case c;
	struct tc_err e;
	int fd;
	FILE *f;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(example, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	tc_err_clear(&e);
	assert_int_equal(casefile_load(path, &c, &e), 0);
	assert_string_equal(c.path, path);
	assert_int_equal(c.nsteps, 15);
	assert_int_equal(c.steps[14].u.state, TC_CLOSED);
	casefile_free(&c);
	casefile_free(&c);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("name: n\nrfc: [\"1\"]\nsteps: [{wait: 5}]\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(casefile_load(path, &c, &e), -1);
	assert_int_equal(e.code, TC_ERR_CASE);
	{
		char want[256];

		snprintf(want, sizeof(want),
			 "%s:3:16: wait: '5': duration needs a unit (us, ms, s, msl, rto, delack, tolerance, quiet)", path);
		assert_string_equal(e.msg, want);
	}

	/* Beyond the size limit: refused before parsing. */
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 20000; i++)
		fputs("# padding padding padding padding padding padding padding\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(casefile_load(path, &c, &e), -1);
	assert_int_equal(e.code, TC_ERR_CASE);
	assert_non_null(strstr(e.msg, ":1:1: 1048577 bytes, more than a case file may hold (1048576)"));
	assert_int_equal(unlink(path), 0);

	assert_int_equal(casefile_load("/nonexistent/dir/x.yaml", &c, &e), -1);
	assert_int_equal(e.code, TC_ERR_IO);
	assert_string_equal(e.msg, "/nonexistent/dir/x.yaml: cannot open: No such file or directory");
	assert_null(c.steps);

	assert_int_equal(casefile_load("/tmp", &c, &e), -1);
	assert_int_equal(e.code, TC_ERR_IO);
	assert_string_equal(e.msg, "/tmp: a folder, not a case file; a case file is a regular file");

	/* A FIFO under a case's name: refused at once, never waited on for
	 * a writer (the test would hang here if it were). */
	char dir[] = "/tmp/test_casefile.XXXXXX", fifo[64];
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/x.yaml", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(casefile_load(fifo, &c, &e), -1);
	assert_int_equal(e.code, TC_ERR_IO);
	char fifo_msg[128];
	snprintf(fifo_msg, sizeof(fifo_msg), "%s: a FIFO, not a case file; a case file is a regular file", fifo);
	assert_string_equal(e.msg, fifo_msg);
	assert_int_equal(unlink(fifo), 0);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(casefile_load("/dev/null", &c, &e), -1);
	assert_string_equal(e.msg, "/dev/null: a character device, not a case file; a case file is a regular file");
}

static void test_free_empty(void **state)
{
	struct tc_case c;

	(void)state;
	memset(&c, 0, sizeof(c));
	casefile_free(&c);
	casefile_free(NULL);
	assert_null(c.steps);
}

static void test_duration_good(void **state)
{
	static const struct {
		const char *text;
		enum tc_dur_unit unit;
		uint64_t us;
		double mult;
	} rows[] = {
		{"0s", TC_DUR_ABS, 0, 0},
		{"1us", TC_DUR_ABS, 1, 0},
		{"50ms", TC_DUR_ABS, 50000, 0},
		{"1.5ms", TC_DUR_ABS, 1500, 0},
		{"2s", TC_DUR_ABS, 2000000, 0},
		{"0.000001s", TC_DUR_ABS, 1, 0},
		{"0.100000000s", TC_DUR_ABS, 100000, 0},
		{"007ms", TC_DUR_ABS, 7000, 0},
		{"86400s", TC_DUR_ABS, 86400000000u, 0},
		{"86400000ms", TC_DUR_ABS, 86400000000u, 0},
		{"2msl", TC_DUR_MSL, 0, 2.0},
		{"msl", TC_DUR_MSL, 0, 1.0},
		{"rto", TC_DUR_RTO, 0, 1.0},
		{"1.5rto", TC_DUR_RTO, 0, 1.5},
		{"delack", TC_DUR_DELACK, 0, 1.0},
		{"0.25delack", TC_DUR_DELACK, 0, 0.25},
		{"tolerance", TC_DUR_TOLERANCE, 0, 1.0},
		{"3tolerance", TC_DUR_TOLERANCE, 0, 3.0},
		{"quiet", TC_DUR_QUIET, 0, 1.0},
		{"2quiet", TC_DUR_QUIET, 0, 2.0},
		{"0msl", TC_DUR_MSL, 0, 0.0},
		{"1000msl", TC_DUR_MSL, 0, 1000.0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tc_dur d = {TC_DUR_TOLERANCE, 12345, 99.0};

		if (casefile_parse_duration(rows[i].text, &d) != 0)
			fail_msg("'%s' refused", rows[i].text);
		if (d.unit != rows[i].unit || d.us != rows[i].us || d.mult != rows[i].mult)
			fail_msg("'%s': got unit %d us %llu mult %g", rows[i].text, (int)d.unit,
				 (unsigned long long)d.us, d.mult);
	}
}

static void test_duration_bad(void **state)
{
	static const char *const rows[] = {
		"", "5", "0", "ms", "s", "us", "5 ms", " 5ms", "5ms ", "-5ms", "+5ms", "5.ms", ".5ms",
		"5min", "5MS", "5Msl", "1h", "86400.000001s", "86401s", "0.5us", "0.0000001s",
		"1.0000000001s", "99999999999999999999999ms", "18446744073709551616us", "1001msl",
		"1000.5rto", "5msl5", "msl2", "2 msl", "1e3ms", "0x10ms", "5ms5ms", "rtos",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tc_dur d = {TC_DUR_TOLERANCE, 12345, 99.0};

		if (casefile_parse_duration(rows[i], &d) != -1)
			fail_msg("'%s' accepted", rows[i]);
		/* A refusal leaves the output alone. */
		assert_int_equal(d.unit, TC_DUR_TOLERANCE);
		assert_int_equal(d.us, 12345);
	}
	assert_int_equal(casefile_parse_duration(NULL, &(struct tc_dur){0}), -1);
	assert_int_equal(casefile_parse_duration("1s", NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_header),
		cmocka_unit_test(test_example_steps),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_port_needs),
		cmocka_unit_test(test_header_and_config),
		cmocka_unit_test(test_use_prologue),
		cmocka_unit_test(test_config_onoff),
		cmocka_unit_test(test_send_every_key),
		cmocka_unit_test(test_expect_every_key),
		cmocka_unit_test(test_len_without_data),
		cmocka_unit_test(test_app_and_state),
		cmocka_unit_test(test_app_results),
		cmocka_unit_test(test_overrides_and_deviations),
		cmocka_unit_test(test_profile_and_option_values),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_too_many_steps),
		cmocka_unit_test(test_error_after_steps),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_binary_garbage),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_free_empty),
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
