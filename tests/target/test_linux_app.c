/* lib/target/linux/linux_app on the real kernel: a helper in the target
 * namespace of a netns pair performs each application action, and the wire
 * on the harness end shows what the kernel did about it. Sequence numbers
 * are relative: the kernel's ISN is taken from its SYN-ACK or SYN. Needs
 * root (network namespaces); without it every test is reported skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../common/root_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns/netns.h"
#include "seg/seg.h"
#include "engine/engine_app.h"
#include "target/linux/linux_app.h"
#include "wire/wire.h"

#define PORT 8080
#define PEER_PORT 40000
#define PEER_ISN 1000000u
#define SEC 1000000u
#define MS 1000u

/* ---- fixture: teardown undoes whatever a test made, even after a failed
 * assertion ---- */

struct fx {
	int family;
	struct netns_pair p;
	struct wire *w;
	struct linux_app *a;
	uint32_t iss; /* the kernel's ISN, from its SYN or SYN-ACK */
};

static unsigned next_worker = 20;

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	linux_app_stop(fx->a);
	wire_close(fx->w);
	netns_pair_destroy(&fx->p);
	free(fx);
	return 0;
}

static void check_u(const char *field, unsigned long long want, unsigned long long got)
{
	if (want != got)
		fail_msg("%s expected %llu (0x%llx), got %llu (0x%llx)", field, want, want, got, got);
}

static void check_msg(const struct tc_err *err, enum tc_errcode code, const char *want)
{
	if (strcmp(err->msg, want) != 0)
		fail_msg("error message expected \"%s\", got \"%s\"", want, err->msg);
	check_u("error code", code, err->code);
}

static struct linux_app_conf app_conf(const struct fx *fx)
{
	return (struct linux_app_conf){
		.target_ns_fd = fx->p.target.ns_fd,
		.family = fx->family,
		.local = fx->family == 4 ? fx->p.target.addr4 : fx->p.target.addr6,
		.peer = fx->family == 4 ? fx->p.harness.addr4 : fx->p.harness.addr6,
		.port = PORT,
		.peer_port = PEER_PORT,
		.nodelay = true,
	};
}

/* A pair and a wire; the helper is started by the caller (conf varies). */
static struct fx *pair_fx(void **state, int family)
{
	struct fx *fx = *state;
	struct netns_pair_conf conf = {.worker = next_worker++};
	struct tc_err err = {0};

	need_root_for("network namespaces");
	fx->family = family;
	if (netns_pair_create(&fx->p, &conf, &err) < 0)
		fail_msg("netns_pair_create: %s", err.msg);
	fx->w = wire_open(&fx->p, "tcp port 8080", &err);
	if (!fx->w)
		fail_msg("wire_open: %s", err.msg);
	return fx;
}

static struct fx *app_fx(void **state, int family)
{
	struct fx *fx = pair_fx(state, family);
	struct linux_app_conf conf = app_conf(fx);
	struct tc_err err = {0};

	fx->a = linux_app_start(&conf, &err);
	if (!fx->a)
		fail_msg("linux_app_start: %s", err.msg);
	return fx;
}

/* Whether pid has ended but is not reaped yet. */
static bool is_zombie(pid_t pid)
{
	char path[64], buf[256];
	FILE *f;
	bool z = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		const char *p = strrchr(buf, ')');

		z = p && p[1] == ' ' && p[2] == 'Z';
	}
	fclose(f);
	return z;
}

static struct tc_app act(enum tc_app_verb verb)
{
	struct tc_app a;

	memset(&a, 0, sizeof(a));
	a.verb = verb;
	return a;
}

static struct tc_app act_text(const char *text)
{
	struct tc_app a = act(TC_APP_SEND);

	a.len = (uint16_t)strlen(text);
	memcpy(a.data, text, a.len);
	return a;
}

static struct tc_app act_n(enum tc_app_verb verb, uint32_t n)
{
	struct tc_app a = act(verb);

	a.n = n;
	return a;
}

/* The action, judged as the engine judges it (engine_app.c): -1 with err
 * saying why when the helper could not make the call or its result is not
 * what the action expects. */
static int app_do(struct fx *fx, struct tc_app *a, uint64_t timeout_us, struct tc_err *err)
{
	struct tc_app_result res;
	char why[512];

	memset(&res, 0, sizeof(res));
	if (linux_app_do(fx->a, a, timeout_us, &res, err) < 0)
		return -1;
	if (engine_app_judge(a, &res, why, sizeof(why)) != 0)
		return tc_err_set(err, TC_ERR_TARGET, "%s: %s", tc_app_verb_name(a->verb), why);
	return 0;
}

static void app_ok(struct fx *fx, struct tc_app a, uint64_t timeout_us)
{
	struct tc_err err = {0};

	if (app_do(fx, &a, timeout_us, &err) < 0)
		fail_msg("%s: %s", tc_app_verb_name(a.verb), err.msg);
}

/* The action must fail; err gets why. */
static void app_fails(struct fx *fx, struct tc_app a, uint64_t timeout_us, struct tc_err *err)
{
	if (app_do(fx, &a, timeout_us, err) == 0)
		fail_msg("%s succeeded, want a failure", tc_app_verb_name(a.verb));
}

/* A segment from the peer; seq counts from PEER_ISN, ack from the kernel's
 * ISN. */
static struct tc_seg peer_seg(const struct fx *fx, uint16_t flags, uint32_t seq, uint32_t ack, const char *data)
{
	struct tc_seg s;

	memset(&s, 0, sizeof(s));
	s.src = fx->family == 4 ? fx->p.harness.addr4 : fx->p.harness.addr6;
	s.dst = fx->family == 4 ? fx->p.target.addr4 : fx->p.target.addr6;
	s.sport = PEER_PORT;
	s.dport = PORT;
	s.seq = PEER_ISN + seq;
	s.ack = (flags & SEG_ACK) ? fx->iss + ack : 0;
	s.flags = flags;
	s.win = 65535;
	if (flags & SEG_SYN) {
		struct seg_opt mss = {.kind = SEG_OPT_MSS, .u.mss = 1460};

		seg_add_opt(&s, &mss);
	}
	if (data) {
		s.len = (uint16_t)strlen(data);
		memcpy(s.payload, data, s.len);
	}
	return s;
}

static void inject(struct fx *fx, const struct tc_seg *s)
{
	struct tc_err err = {0};

	if (wire_inject(fx->w, s, &err) < 0)
		fail_msg("wire_inject: %s", err.msg);
}

/* The next segment from the kernel, within 1 s. */
static struct tc_seg expect_seg(struct fx *fx, const char *what)
{
	struct tc_err err = {0};
	struct tc_seg got;
	char line[512];
	int rc = wire_capture(fx->w, wire_now_us() + SEC, &got, NULL, &err);

	if (rc < 0)
		fail_msg("wire_capture: %s", err.msg);
	if (rc == 0)
		fail_msg("no %s from the kernel within 1 s", what);
	seg_format(&got, line, sizeof(line));
	print_message("  %s: %s\n", what, line);
	return got;
}

static void check_flags(uint16_t want, uint16_t got)
{
	char a[16], b[16];

	if (want != got)
		fail_msg("flags expected [%s], got [%s]", seg_flags_format(want, a, sizeof(a)),
			 seg_flags_format(got, b, sizeof(b)));
}

/* seq relative to the kernel's ISN, ack relative to ours. */
static void check_seq_ack(const struct fx *fx, const struct tc_seg *got, uint32_t seq, uint32_t ack)
{
	check_u("seq (relative)", seq, got->seq - fx->iss);
	check_u("ack (relative)", ack, got->ack - PEER_ISN);
}

static void check_ends(const struct fx *fx, const struct tc_seg *got)
{
	char a[64], b[64];
	const struct seg_addr *src = fx->family == 4 ? &fx->p.target.addr4 : &fx->p.target.addr6;
	const struct seg_addr *dst = fx->family == 4 ? &fx->p.harness.addr4 : &fx->p.harness.addr6;

	if (!seg_addr_eq(src, &got->src) || !seg_addr_eq(dst, &got->dst))
		fail_msg("addresses expected %s > %s, got %s > %s", seg_addr_format(src, a, sizeof(a)),
			 seg_addr_format(dst, b, sizeof(b)), seg_addr_format(&got->src, a, sizeof(a)),
			 seg_addr_format(&got->dst, b, sizeof(b)));
	check_u("sport", PORT, got->sport);
	check_u("dport", PEER_PORT, got->dport);
}

/* listen, SYN in, SYN-ACK out (the kernel's ISN noted), ACK in, accept. */
static void establish_passive(struct fx *fx)
{
	struct tc_seg s, got;

	app_ok(fx, act(TC_APP_LISTEN), 0);
	s = peer_seg(fx, SEG_SYN, 0, 0, NULL);
	inject(fx, &s);
	got = expect_seg(fx, "SYN-ACK");
	check_flags(SEG_SYN | SEG_ACK, got.flags);
	check_ends(fx, &got);
	fx->iss = got.seq;
	check_seq_ack(fx, &got, 0, 1);
	s = peer_seg(fx, SEG_ACK, 1, 1, NULL);
	inject(fx, &s);
	app_ok(fx, act(TC_APP_ACCEPT), SEC);
}

/* connect, SYN out (the kernel's ISN noted), SYN-ACK in, ACK out. */
static void establish_active(struct fx *fx)
{
	struct tc_seg s, got;

	app_ok(fx, act(TC_APP_CONNECT), 0);
	got = expect_seg(fx, "SYN");
	check_flags(SEG_SYN, got.flags);
	check_ends(fx, &got);
	check_u("ack", 0, got.ack);
	fx->iss = got.seq;
	s = peer_seg(fx, SEG_SYN | SEG_ACK, 0, 1, NULL);
	inject(fx, &s);
	got = expect_seg(fx, "ACK of the SYN-ACK");
	check_flags(SEG_ACK, got.flags);
	check_seq_ack(fx, &got, 1, 1);
}

static void check_payload(const struct tc_seg *got, const char *want)
{
	size_t n = strlen(want);

	check_u("payload length", n, got->len);
	if (memcmp(got->payload, want, n) != 0)
		fail_msg("payload expected \"%s\", got \"%.*s\"", want, (int)got->len, (const char *)got->payload);
}

/* ---- tests ---- */

static void test_handshake_accept_v4(void **state)
{
	establish_passive(app_fx(state, 4));
}

static void test_handshake_accept_v6(void **state)
{
	establish_passive(app_fx(state, 6));
}

static void test_send_text_and_pattern(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_seg got;

	establish_passive(fx);
	app_ok(fx, act_text("hello"), SEC);
	got = expect_seg(fx, "data");
	check_flags(SEG_PSH | SEG_ACK, got.flags);
	check_seq_ack(fx, &got, 1, 1);
	check_payload(&got, "hello");
	/* send N: the pattern 'a' + i % 26, as the ref target sends it. */
	app_ok(fx, act_n(TC_APP_SEND, 30), SEC);
	got = expect_seg(fx, "data");
	check_seq_ack(fx, &got, 6, 1);
	check_payload(&got, "abcdefghijklmnopqrstuvwxyzabcd");
}

static void test_recv(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	struct tc_seg s;
	uint64_t t0;

	establish_passive(fx);
	s = peer_seg(fx, SEG_PSH | SEG_ACK, 1, 1, "world");
	inject(fx, &s);
	app_ok(fx, act_n(TC_APP_RECV, 5), SEC);
	t0 = wire_now_us();
	app_fails(fx, act_n(TC_APP_RECV, 3), 100 * MS, &err);
	if (wire_now_us() - t0 < 100 * MS)
		fail_msg("recv gave up after %llu us, before its timeout", (unsigned long long)(wire_now_us() - t0));
	check_msg(&err, TC_ERR_TARGET, "recv: failed with EAGAIN (queued for processing: nothing yet (3.10.3))");
	/* What arrived is read, and the rest is missing. */
	s = peer_seg(fx, SEG_PSH | SEG_ACK, 6, 1, "ab");
	inject(fx, &s);
	app_fails(fx, act_n(TC_APP_RECV, 5), 100 * MS, &err);
	check_msg(&err, TC_ERR_TARGET, "recv: returned 2 bytes read, expected 5");
	/* After the peer's FIN the stream has ended. */
	s = peer_seg(fx, SEG_FIN | SEG_ACK, 8, 1, NULL);
	inject(fx, &s);
	app_fails(fx, act_n(TC_APP_RECV, 1), SEC, &err);
	check_msg(&err, TC_ERR_TARGET, "recv: returned 0 bytes read, expected 1");
	/* ... which a read of any size reports as 0 bytes, and more than
	 * asked for is no exact read */
	{
		struct tc_app a = act_n(TC_APP_RECV, 1);
		struct tc_app_result res;

		a.x.fields = TC_AX_RETURNS;
		a.x.returns = 0;
		app_ok(fx, a, SEC);
		memset(&res, 0, sizeof(res));
		if (linux_app_do(fx->a, &a, SEC, &res, &err) < 0 || res.value != 0 || res.err_no || res.more)
			fail_msg("recv at the end of stream: value %lld errno %d more %d", (long long)res.value,
				 res.err_no, res.more);
	}
}

/* recv waits for bytes that arrive while it waits. */
static void test_recv_waits(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	struct tc_seg s;

	establish_passive(fx);
	s = peer_seg(fx, SEG_PSH | SEG_ACK, 1, 1, "abc");
	inject(fx, &s);
	app_fails(fx, act_n(TC_APP_RECV, 6), 0, &err);
	check_msg(&err, TC_ERR_TARGET, "recv: returned 3 bytes read, expected 6");
	s = peer_seg(fx, SEG_PSH | SEG_ACK, 4, 1, "defghi");
	inject(fx, &s);
	app_ok(fx, act_n(TC_APP_RECV, 6), SEC);
}

static void test_close_sends_fin(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	struct tc_seg got;

	establish_passive(fx);
	app_ok(fx, act(TC_APP_CLOSE), 0);
	got = expect_seg(fx, "FIN");
	check_flags(SEG_FIN | SEG_ACK, got.flags);
	check_seq_ack(fx, &got, 1, 1);
	app_fails(fx, act_text("late"), SEC, &err);
	check_msg(&err, TC_ERR_TARGET, "send: there is no connection");
}

/* shutdown sends a FIN and leaves the receive side open. */
static void test_shutdown_half_closes(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	struct tc_seg s, got;

	establish_passive(fx);
	app_ok(fx, act(TC_APP_SHUTDOWN), 0);
	got = expect_seg(fx, "FIN");
	check_flags(SEG_FIN | SEG_ACK, got.flags);
	check_seq_ack(fx, &got, 1, 1);
	s = peer_seg(fx, SEG_PSH | SEG_ACK, 1, 2, "still");
	inject(fx, &s);
	app_ok(fx, act_n(TC_APP_RECV, 5), SEC);
	app_fails(fx, act_text("x"), SEC, &err);
	check_msg(&err, TC_ERR_TARGET, "send: failed with EPIPE (connection closing (3.10.2, 3.10.4))");
}

static void test_abort_sends_rst(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	struct tc_seg got;

	establish_passive(fx);
	app_ok(fx, act(TC_APP_ABORT), 0);
	got = expect_seg(fx, "RST");
	if (!(got.flags & SEG_RST))
		check_flags(SEG_RST | SEG_ACK, got.flags);
	check_u("seq (relative)", 1, got.seq - fx->iss);
	app_fails(fx, act(TC_APP_ABORT), 0, &err);
	check_msg(&err, TC_ERR_TARGET, "abort: there is no connection");
}

static void test_connect_sends_syn_v4(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_seg got;

	establish_active(fx);
	app_ok(fx, act_text("hi"), SEC);
	got = expect_seg(fx, "data");
	check_seq_ack(fx, &got, 1, 1);
	check_payload(&got, "hi");
}

static void test_connect_sends_syn_v6(void **state)
{
	establish_active(app_fx(state, 6));
}

/* A refused connect shows as the error of the next action on it. */
static void test_connect_refused(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	struct tc_seg s, got;

	app_ok(fx, act(TC_APP_CONNECT), 0);
	got = expect_seg(fx, "SYN");
	fx->iss = got.seq;
	s = peer_seg(fx, SEG_RST | SEG_ACK, 0, 1, NULL);
	inject(fx, &s);
	app_fails(fx, act_text("x"), SEC, &err);
	check_msg(&err, TC_ERR_TARGET, "send: failed with ECONNREFUSED (connection refused (3.10.7.4 step 2); connection reset in SYN-SENT (3.10.7.3))");
}

static void test_accept_nothing_waiting(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	uint64_t t0, elapsed;

	app_ok(fx, act(TC_APP_LISTEN), 0);
	t0 = wire_now_us();
	app_fails(fx, act(TC_APP_ACCEPT), 200 * MS, &err);
	elapsed = wire_now_us() - t0;
	check_msg(&err, TC_ERR_TARGET, "accept: no established connection is waiting on port 8080");
	if (elapsed < 200 * MS || elapsed > 700 * MS)
		fail_msg("accept failed after %llu us, timeout 200000 us", (unsigned long long)elapsed);
	/* A half-open connection (SYN-RECEIVED) is not one either. */
	struct tc_seg s = peer_seg(fx, SEG_SYN, 0, 0, NULL);

	inject(fx, &s);
	fx->iss = expect_seg(fx, "SYN-ACK").seq;
	app_fails(fx, act(TC_APP_ACCEPT), 50 * MS, &err);
	check_msg(&err, TC_ERR_TARGET, "accept: no established connection is waiting on port 8080");
}

static void test_no_connection(void **state)
{
	static const struct {
		enum tc_app_verb verb;
		const char *msg;
	} rows[] = {
		{TC_APP_SEND, "send: there is no connection"},
		{TC_APP_RECV, "recv: there is no connection"},
		{TC_APP_SHUTDOWN, "shutdown: there is no connection"},
		{TC_APP_CLOSE, "close: there is no connection"},
		{TC_APP_ABORT, "abort: there is no connection"},
	};
	struct fx *fx = app_fx(state, 4);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tc_err err = {0};

		app_fails(fx, act_n(rows[i].verb, 1), 0, &err);
		check_msg(&err, TC_ERR_TARGET, rows[i].msg);
	}
	/* Nothing on the wire for any of them. */
	struct tc_err err = {0};
	struct tc_seg got;

	check_u("segments", 0, (unsigned)wire_capture(fx->w, wire_now_us() + 50 * MS, &got, NULL, &err));
}

/* A second accept makes the new connection "the connection" and leaves the
 * first one open and quiet. */
static void test_second_accept(void **state)
{
	struct fx *fx = app_fx(state, 4);
	uint32_t first_iss;
	struct tc_seg s, got;
	struct tc_err err = {0};

	establish_passive(fx);
	first_iss = fx->iss;
	s = peer_seg(fx, SEG_SYN, 0, 0, NULL);
	s.sport = PEER_PORT + 1;
	inject(fx, &s);
	got = expect_seg(fx, "second SYN-ACK");
	check_u("dport", PEER_PORT + 1, got.dport);
	fx->iss = got.seq;
	s = peer_seg(fx, SEG_ACK, 1, 1, NULL);
	s.sport = PEER_PORT + 1;
	inject(fx, &s);
	app_ok(fx, act(TC_APP_ACCEPT), SEC);
	app_ok(fx, act_text("two"), SEC);
	got = expect_seg(fx, "data");
	check_u("dport", PEER_PORT + 1, got.dport);
	check_seq_ack(fx, &got, 1, 1);
	check_payload(&got, "two");
	check_u("segments", 0, (unsigned)wire_capture(fx->w, wire_now_us() + 50 * MS, &got, NULL, &err));
	/* Both end with a FIN when the helper stops. */
	linux_app_stop(fx->a);
	fx->a = NULL;
	for (int i = 0; i < 2; i++) {
		got = expect_seg(fx, "FIN");
		check_flags(SEG_FIN | SEG_ACK, got.flags);
		check_u("seq (relative)", 1, got.seq - (got.dport == PEER_PORT ? first_iss : fx->iss + 3));
	}
}

static void test_close_listener(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	struct tc_seg s, got;

	app_ok(fx, act(TC_APP_LISTEN), 0);
	app_fails(fx, act(TC_APP_LISTEN), 0, &err);
	check_msg(&err, TC_ERR_TARGET, "listen: failed with EADDRINUSE (connection already exists (3.10.1))");
	app_ok(fx, act(TC_APP_CLOSE_LISTENER), 0);
	/* 9293 3.10.7.1: a SYN to a closed port gets RST+ACK. */
	s = peer_seg(fx, SEG_SYN, 0, 0, NULL);
	inject(fx, &s);
	got = expect_seg(fx, "RST");
	check_flags(SEG_RST | SEG_ACK, got.flags);
	check_u("ack (relative)", 1, got.ack - PEER_ISN);
	app_fails(fx, act(TC_APP_CLOSE_LISTENER), 0, &err);
	check_msg(&err, TC_ERR_TARGET, "close-listener: there is no listener on port 8080");
	app_fails(fx, act(TC_APP_ACCEPT), 0, &err);
	check_msg(&err, TC_ERR_TARGET, "accept: there is no listener on port 8080");
}

/* listen PORT: another port than the case's. */
static void test_listen_other_port(void **state)
{
	struct fx *fx = pair_fx(state, 4);
	struct linux_app_conf conf = app_conf(fx);
	struct tc_err err = {0};
	struct tc_app l = act(TC_APP_LISTEN);
	struct tc_seg s, got;

	wire_close(fx->w);
	fx->w = wire_open(&fx->p, "tcp port 9090", &err);
	if (!fx->w)
		fail_msg("wire_open: %s", err.msg);
	fx->a = linux_app_start(&conf, &err);
	if (!fx->a)
		fail_msg("linux_app_start: %s", err.msg);
	l.port = 9090;
	app_ok(fx, l, 0);
	s = peer_seg(fx, SEG_SYN, 0, 0, NULL);
	s.dport = 9090;
	inject(fx, &s);
	got = expect_seg(fx, "SYN-ACK");
	check_flags(SEG_SYN | SEG_ACK, got.flags);
	check_u("sport", 9090, got.sport);
	l.verb = TC_APP_CLOSE_LISTENER;
	app_ok(fx, l, 0);
}

/* The socket options reach the kernel: TCP_MAXSEG shows in the SYN-ACK's
 * MSS option; a congestion control the kernel does not have is refused. */
static void test_socket_options(void **state)
{
	struct fx *fx = pair_fx(state, 4);
	struct linux_app_conf conf = app_conf(fx);
	struct tc_err err = {0};
	const struct seg_opt *mss;
	struct tc_seg s, got;

	conf.mss = 1000;
	conf.congestion = "reno";
	conf.rcvbuf = 65536;
	conf.sndbuf = 65536;
	fx->a = linux_app_start(&conf, &err);
	if (!fx->a)
		fail_msg("linux_app_start: %s", err.msg);
	app_ok(fx, act(TC_APP_LISTEN), 0);
	s = peer_seg(fx, SEG_SYN, 0, 0, NULL);
	inject(fx, &s);
	got = expect_seg(fx, "SYN-ACK");
	mss = seg_find_opt(&got, SEG_OPT_MSS);
	if (!mss)
		fail_msg("SYN-ACK without an MSS option");
	check_u("SYN-ACK mss", 1000, mss->u.mss);
	linux_app_stop(fx->a);

	conf.congestion = "no-such-cc";
	fx->a = linux_app_start(&conf, &err);
	if (!fx->a)
		fail_msg("linux_app_start: %s", err.msg);
	app_fails(fx, act(TC_APP_LISTEN), 0, &err);
	check_msg(&err, TC_ERR_TARGET, "listen: setsockopt TCP_CONGESTION: No such file or directory");

	conf.congestion = "a-name-longer-than-15";
	linux_app_stop(fx->a);
	fx->a = linux_app_start(&conf, &err);
	assert_null(fx->a);
	check_u("error code", TC_ERR_USAGE, err.code);
}

/* A namespace descriptor that is no namespace: the helper's setns fails and
 * start says so; the helper is reaped. */
static void test_start_bad_namespace(void **state)
{
	struct fx *fx = pair_fx(state, 4);
	struct linux_app_conf conf = app_conf(fx);
	struct tc_err err = {0};
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	conf.target_ns_fd = fd;
	fx->a = linux_app_start(&conf, &err);
	close(fd);
	assert_null(fx->a);
	check_u("error code", TC_ERR_SYSTEM, err.code);
	if (!strstr(err.msg, "setns into the target namespace") || !strstr(err.msg, "Invalid argument"))
		fail_msg("unexpected message: %s", err.msg);
	print_message("  %s\n", err.msg);
	/* This process has no other children. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	check_u("errno", ECHILD, (unsigned)errno);
}

static void test_helper_killed(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	pid_t pid = linux_app_pid(fx->a);
	char want[128];

	app_ok(fx, act(TC_APP_LISTEN), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	app_fails(fx, act(TC_APP_ACCEPT), SEC, &err);
	snprintf(want, sizeof(want), "accept: the application helper (pid %d) died: killed by signal 9 (Killed)",
		 (int)pid);
	check_msg(&err, TC_ERR_SYSTEM, want);
	/* Reaped already, and the next action is refused at once. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	check_u("errno", ECHILD, (unsigned)errno);
	app_fails(fx, act(TC_APP_LISTEN), SEC, &err);
	snprintf(want, sizeof(want), "listen: the application helper (pid %d) died: killed by signal 9 (Killed)",
		 (int)pid);
	check_msg(&err, TC_ERR_SYSTEM, want);
}

/* A helper killed between actions: the next action is an error of the tool
 * (TC_ERR_SYSTEM, which the engine reports as ERROR), never the stack's
 * failure, and it names the helper and how it ended. */
static void test_dead_helper_is_system_error(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	pid_t pid = linux_app_pid(fx->a);
	char want[160];

	app_ok(fx, act(TC_APP_LISTEN), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* Dead before the request, so only the liveness check can tell. */
	while (kill(pid, 0) == 0 && !is_zombie(pid))
		usleep(1000);
	app_fails(fx, act(TC_APP_CONNECT), SEC, &err);
	snprintf(want, sizeof(want), "connect: the application helper (pid %d) died: killed by signal 9 (Killed)",
		 (int)pid);
	check_msg(&err, TC_ERR_SYSTEM, want);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	check_u("errno", ECHILD, (unsigned)errno);
}

/* A helper that does not answer (stopped) is an error once its time is up,
 * and the same helper killed afterwards is reported dead, not silent. */
static void test_silent_then_dead_helper(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_err err = {0};
	pid_t pid = linux_app_pid(fx->a);
	char want[160];

	assert_int_equal(kill(pid, SIGSTOP), 0);
	app_fails(fx, act(TC_APP_LISTEN), 0, &err);
	snprintf(want, sizeof(want), "listen: the application helper (pid %d) did not answer within 1000 ms", (int)pid);
	check_msg(&err, TC_ERR_SYSTEM, want);
	assert_int_equal(kill(pid, SIGKILL), 0);
	app_fails(fx, act(TC_APP_LISTEN), 0, &err);
	snprintf(want, sizeof(want), "listen: the application helper (pid %d) died: killed by signal 9 (Killed)",
		 (int)pid);
	check_msg(&err, TC_ERR_SYSTEM, want);
}

/* One hexadecimal signal mask line ("SigBlk:", ...) of /proc/PID/status. */
static unsigned long long proc_sigmask(pid_t pid, const char *key)
{
	char path[64], line[256];
	unsigned long long v = ~0ull;
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0)
			v = strtoull(line + klen, NULL, 16);
	fclose(f);
	return v;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* The harness blocks and catches signals; its helper starts with none of
 * that: nothing blocked, nothing caught, only the terminal signals and
 * SIGPIPE ignored. */
static void test_helper_signals_reset(void **state)
{
	struct fx *fx = pair_fx(state, 4);
	struct linux_app_conf conf = app_conf(fx);
	struct tc_err err = {0};
	static const int ignored[] = {SIGINT, SIGQUIT, SIGTSTP, SIGPIPE};
	struct sigaction sa = {.sa_handler = on_usr1}, old_usr1, old_winch;
	sigset_t block, old_mask;
	unsigned long long ign, want_ign = 0;
	pid_t pid;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old_usr1);
	sigaction(SIGWINCH, &sa, &old_winch);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGRTMIN + 3);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);
	fx->a = linux_app_start(&conf, &err);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	if (!fx->a)
		fail_msg("linux_app_start: %s", err.msg);
	pid = linux_app_pid(fx->a);
	check_u("SigBlk", 0, proc_sigmask(pid, "SigBlk:"));
	check_u("SigCgt", 0, proc_sigmask(pid, "SigCgt:"));
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		want_ign |= 1ull << (ignored[i] - 1);
	ign = proc_sigmask(pid, "SigIgn:");
	/* Signals 32 .. SIGRTMIN-1 belong to the C library, which refuses to
	 * change them: whatever the parent (make, a CI runner) left there is
	 * not the helper's to reset. */
	for (int sig = 32; sig < SIGRTMIN; sig++)
		ign &= ~(1ull << (sig - 1));
	check_u("SigIgn", want_ign, ign);
	app_ok(fx, act(TC_APP_LISTEN), 0);
}

/* stop closes the connection with a FIN (unread data and all), reaps the
 * helper, and with the pair destroyed nothing is left in the namespace. */
static void test_stop_leaves_nothing(void **state)
{
	struct fx *fx = app_fx(state, 4);
	struct tc_seg s, got;
	pid_t pid = linux_app_pid(fx->a);
	unsigned long tino = ns_inode(fx->p.target.ns_fd);

	establish_passive(fx);
	s = peer_seg(fx, SEG_PSH | SEG_ACK, 1, 1, "unread");
	inject(fx, &s);
	got = expect_seg(fx, "ACK of the data");
	check_flags(SEG_ACK, got.flags);
	assert_true(ns_held(tino, NS_HELD_BY_PROCESS));
	linux_app_stop(fx->a);
	fx->a = NULL;
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	check_u("errno", ECHILD, (unsigned)errno);
	got = expect_seg(fx, "FIN");
	check_flags(SEG_FIN | SEG_ACK, got.flags);
	check_seq_ack(fx, &got, 1, 7);
	wire_close(fx->w);
	fx->w = NULL;
	netns_pair_destroy(&fx->p);
	if (ns_held(tino, NS_HELD_BY_PROCESS))
		fail_msg("a process is still in the destroyed target namespace");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_accept_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_accept_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_text_and_pattern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_sends_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_half_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_sends_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_sends_syn_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_sends_syn_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_nothing_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_listener, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_other_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_bad_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_helper_is_system_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_then_dead_helper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_signals_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
