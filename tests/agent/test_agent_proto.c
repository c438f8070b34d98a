/* The agent protocol: the codec both ways, the token file's checks and
 * the constant-time compare, and the agent's session (auth first, order,
 * error classes) against a scripted stack, through the real client over a
 * socketpair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_client.h"
#include "agent/agent_proto.h"
#include "agent/agent_session.h"

static char line[AGENT_LINE_MAX + 1];

static void strip_nl(void)
{
	size_t n = strlen(line);

	assert_true(n > 0 && line[n - 1] == '\n');
	line[n - 1] = '\0';
}

static void test_app_round_trip(void **state)
{
	struct tc_app act = {.verb = TC_APP_SEND, .len = 5};
	struct agent_req r;
	enum agent_errclass cls;
	struct tc_err err;

	(void)state;
	memcpy(act.data, "a \"b\\", 5);
	assert_true(agent_fmt_app(line, sizeof(line), &act, 250000, &err) > 0);
	assert_string_equal(line, "APP 250000 send \"a \\x22b\\x5c\"\n");
	strip_nl();
	assert_int_equal(agent_parse_req(line, &r, &cls, &err), 0);
	assert_int_equal(r.kind, AGENT_REQ_APP);
	assert_int_equal(r.timeout_us, 250000);
	assert_int_equal(r.act.verb, TC_APP_SEND);
	assert_int_equal(r.act.len, 5);
	assert_memory_equal(r.act.data, "a \"b\\", 5);

	act = (struct tc_app){.verb = TC_APP_RECV, .n = 1200};
	assert_true(agent_fmt_app(line, sizeof(line), &act, 0, &err) > 0);
	assert_string_equal(line, "APP 0 recv 1200\n");
	act = (struct tc_app){.verb = TC_APP_LISTEN, .port = 9000};
	assert_true(agent_fmt_app(line, sizeof(line), &act, 1, &err) > 0);
	strip_nl();
	assert_int_equal(agent_parse_req(line, &r, &cls, &err), 0);
	assert_int_equal(r.act.verb, TC_APP_LISTEN);
	assert_int_equal(r.act.port, 9000);
	assert_int_equal(agent_parse_req("APP 5 close-listener", &r, &cls, &err), 0);
	assert_int_equal(r.act.verb, TC_APP_CLOSE_LISTENER);
	assert_int_equal(r.act.port, 0);
}

/* Version 2's actions: each written as the case writes it, and back. */
static void test_app_v2_round_trip(void **state)
{
	static const struct {
		struct tc_app act;
		const char *line;
	} rows[] = {
		{{.verb = TC_APP_SEND, .n = 3, .urgent = true}, "APP 7 send_urgent 3"},
		{{.verb = TC_APP_SHUTDOWN, .shut = TC_SHUT_RD}, "APP 7 shutdown rd"},
		{{.verb = TC_APP_SHUTDOWN, .shut = TC_SHUT_RDWR}, "APP 7 shutdown rdwr"},
		{{.verb = TC_APP_SHUTDOWN, .shut = TC_SHUT_WR}, "APP 7 shutdown"},
		{{.verb = TC_APP_SETSOCKOPT, .opt = TC_SO_TCP_USER_TIMEOUT, .optval = 3000}, "APP 7 setsockopt TCP_USER_TIMEOUT 3000"},
		{{.verb = TC_APP_SETSOCKOPT, .opt = TC_SO_LINGER, .optval = 0}, "APP 7 setsockopt SO_LINGER 0"},
		{{.verb = TC_APP_GETSOCKOPT, .opt = TC_SO_TCP_MAXSEG}, "APP 7 getsockopt TCP_MAXSEG"},
		{{.verb = TC_APP_POLL, .poll = TC_POLL_WRITABLE, .within_us = 200000}, "APP 7 poll writable 200000"},
		{{.verb = TC_APP_POLL, .poll = TC_POLL_URGENT, .within_us = 0}, "APP 7 poll urgent 0"},
		{{.verb = TC_APP_POLL, .poll = TC_POLL_ATMARK, .within_us = 1000}, "APP 7 poll atmark 1000"},
	};
	struct agent_req r;
	enum agent_errclass cls;
	struct tc_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct tc_app *a = &rows[i].act;

		assert_true(agent_fmt_app(line, sizeof(line), a, 7, &err) > 0);
		strip_nl();
		assert_string_equal(line, rows[i].line);
		assert_int_equal(agent_parse_req(line, &r, &cls, &err), 0);
		assert_int_equal(r.act.verb, a->verb);
		assert_int_equal(r.act.urgent, a->urgent);
		assert_int_equal(r.act.n, a->n);
		assert_int_equal(r.act.shut, a->shut);
		assert_int_equal(r.act.opt, a->opt);
		assert_int_equal(r.act.optval, a->optval);
		assert_int_equal(r.act.poll, a->poll);
		assert_int_equal(r.act.within_us, a->within_us);
	}
	assert_int_equal(agent_parse_req("APP 7 setsockopt SO_NONSENSE 1", &r, &cls, &err), -1);
	assert_int_equal(agent_parse_req("APP 7 getsockopt", &r, &cls, &err), -1);
	assert_int_equal(agent_parse_req("APP 7 poll sideways 5", &r, &cls, &err), -1);
	assert_int_equal(agent_parse_req("APP 7 shutdown up", &r, &cls, &err), -1);
}

static void test_bad_requests(void **state)
{
	static const char *const bad[] = {
		"", "HELLO", "HELLO 1 abc", "HELLO 1 zz", "APP 5", "APP x close", "APP 5 fly", "APP 5 close now",
		"APP 5 recv -3", "APP 5 send \"unterminated", "APP 5 send \"\\q\"", "APP 5 listen 70000",
		"CASE-BEGIN 5 80 192.0.2.2 1", "CASE-BEGIN 4 80 2001:db8::2 1", "CASE-BEGIN 4 0 192.0.2.2 1",
		"CASE-BEGIN 4 80 192.0.2.2 1 msl=abc", "CASE-BEGIN 4 80 192.0.2.2 1 colour=red", "STATE now",
		"state", "BYE\t", "CASE-END x", "CASE-BEGIN 4 80 192.0.2.2 1 profile=full",
		"CASE-BEGIN 4 80 192.0.2.2 1 nagle=yes", "CASE-BEGIN 4 80 192.0.2.2 1 keepalive=0",
		"CASE-BEGIN 4 80 192.0.2.2 1 delayed_ack=",
	};
	struct agent_req r;
	enum agent_errclass cls;
	struct tc_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cls = AGENT_ERR_INTERNAL;
		if (agent_parse_req(bad[i], &r, &cls, &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(cls, AGENT_ERR_SYNTAX);
	}
	assert_int_equal(agent_parse_req("HELLO 3 00112233445566778899aabbccddeeff", &r, &cls, &err), -1);
	assert_int_equal(cls, AGENT_ERR_VERSION);
}

static void test_case_begin_round_trip(void **state)
{
	static const struct tc_profile prof = {.msl_us = 120000000, .rto_us = 1000000};
	struct agent_case c = {.family = 6, .local_port = 8080, .peer_port = 40001, .has_local = true};
	struct agent_req r;
	enum agent_errclass cls;
	struct tc_err err;

	(void)state;
	seg_addr_parse("2001:db8::2", &c.peer);
	seg_addr_parse("2001:db8::1", &c.local);
	c.conf.fields = TC_C_MSL | TC_C_RTO | TC_C_MSS | TC_C_SYN_RETRIES;
	c.conf.msl = (struct tc_dur){.unit = TC_DUR_ABS, .us = 30000000};
	c.conf.rto = (struct tc_dur){.unit = TC_DUR_RTO, .mult = 2.0}; /* resolved: 2 s */
	c.conf.mss = 536;
	c.conf.syn_retries = 2;
	assert_true(agent_fmt_case_begin(line, sizeof(line), &c, &prof, &err) > 0);
	assert_string_equal(line, "CASE-BEGIN 6 8080 2001:db8::2 40001 local=2001:db8::1 msl=30000000 rto=2000000 "
				  "mss=536 syn_retries=2\n");
	strip_nl();
	assert_int_equal(agent_parse_req(line, &r, &cls, &err), 0);
	assert_int_equal(r.c.family, 6);
	assert_int_equal(r.c.local_port, 8080);
	assert_int_equal(r.c.peer_port, 40001);
	assert_true(seg_addr_eq(&r.c.peer, &c.peer));
	assert_true(r.c.has_local && seg_addr_eq(&r.c.local, &c.local));
	assert_int_equal(r.c.conf.fields, c.conf.fields);
	assert_int_equal(r.c.conf.rto.unit, TC_DUR_ABS);
	assert_int_equal(r.c.conf.rto.us, 2000000);
	assert_int_equal(r.c.conf.mss, 536);
	assert_int_equal(r.c.conf.syn_retries, 2);
}

/* Version 2's words: the profile, nagle, delayed_ack and keepalive. */
static void test_case_begin_v2_round_trip(void **state)
{
	struct agent_case c = {.family = 4, .local_port = 10001, .peer_port = 40002, .profile = TC_SP_DEFAULT};
	struct agent_req r;
	enum agent_errclass cls;
	struct tc_err err;

	(void)state;
	seg_addr_parse("198.51.100.1", &c.peer);
	c.conf.fields = TC_C_NAGLE | TC_C_DELAYED_ACK | TC_C_KEEPALIVE;
	c.conf.nagle = true;
	c.conf.delayed_ack = true;
	c.conf.keepalive_mode = TC_KEEPALIVE_AFTER;
	c.conf.keepalive = (struct tc_dur){.unit = TC_DUR_ABS, .us = 2000000};
	assert_true(agent_fmt_case_begin(line, sizeof(line), &c, NULL, &err) > 0);
	assert_string_equal(line, "CASE-BEGIN 4 10001 198.51.100.1 40002 profile=default nagle=on delayed_ack=on "
				  "keepalive=2000000\n");
	strip_nl();
	assert_int_equal(agent_parse_req(line, &r, &cls, &err), 0);
	assert_int_equal(r.c.profile, TC_SP_DEFAULT);
	assert_int_equal(r.c.conf.fields, c.conf.fields);
	assert_true(r.c.conf.nagle && r.c.conf.delayed_ack);
	assert_int_equal(r.c.conf.keepalive_mode, TC_KEEPALIVE_AFTER);
	assert_int_equal(r.c.conf.keepalive.us, 2000000);
	assert_int_equal(agent_parse_req("CASE-BEGIN 4 1 192.0.2.2 2 profile=minimal keepalive=on nagle=off", &r, &cls,
					 &err), 0);
	assert_int_equal(r.c.profile, TC_SP_MINIMAL);
	assert_int_equal(r.c.conf.keepalive_mode, TC_KEEPALIVE_DEFAULT);
	assert_false(r.c.conf.nagle);
	/* a version 1 client is still served, in its version */
	assert_int_equal(agent_parse_req("HELLO 1 00112233445566778899aabbccddeeff", &r, &cls, &err), 0);
	assert_int_equal(r.version, 1);
	assert_int_equal(agent_parse_req("HELLO 2 00112233445566778899aabbccddeeff", &r, &cls, &err), 0);
	assert_int_equal(agent_parse_req("HELLO 0 00112233445566778899aabbccddeeff", &r, &cls, &err), -1);
	assert_int_equal(cls, AGENT_ERR_VERSION);
}

/* The RFC 6528, RFC 1337, RFC 5961 7 and RFC 1122 4.2.2.13 settings. */
static void test_case_begin_isn_keys(void **state)
{
	struct agent_case c = {.family = 4, .local_port = 8080, .peer_port = 40001};
	struct agent_req r;
	enum agent_errclass cls;
	struct tc_err err;

	(void)state;
	seg_addr_parse("192.0.2.2", &c.peer);
	c.conf.fields = TC_C_ISS_RFC6528 | TC_C_RFC1337 | TC_C_CHALLENGE_ACK_LIMIT | TC_C_TIME_WAIT_REOPEN;
	c.conf.rfc1337 = true;
	c.conf.challenge_ack_limit = 7;
	c.conf.time_wait_reopen = false;
	assert_true(agent_fmt_case_begin(line, sizeof(line), &c, NULL, &err) > 0);
	assert_string_equal(line, "CASE-BEGIN 4 8080 192.0.2.2 40001 iss_rfc6528=1 rfc1337=1 challenge_ack_limit=7 "
				  "time_wait_reopen=0\n");
	strip_nl();
	assert_int_equal(agent_parse_req(line, &r, &cls, &err), 0);
	assert_int_equal(r.c.conf.fields, c.conf.fields);
	assert_true(r.c.conf.rfc1337);
	assert_int_equal(r.c.conf.challenge_ack_limit, 7);
	assert_false(r.c.conf.time_wait_reopen);
	assert_int_equal(agent_parse_req("CASE-BEGIN 4 8080 192.0.2.2 40001 rfc1337=2", &r, &cls, &err), -1);
	assert_int_equal(cls, AGENT_ERR_SYNTAX);
}

static void test_replies(void **state)
{
	struct agent_reply rep;
	struct tc_transitions tr = {.n = 2, .from = {TC_LISTEN, TC_SYN_RECEIVED}, .to = {TC_SYN_RECEIVED, TC_ESTABLISHED}};
	struct tc_transitions got;
	enum tc_state st;
	char words[256];
	struct tc_err err;

	(void)state;
	assert_true(agent_fmt_err(line, sizeof(line), AGENT_ERR_STACK, "recv: 5 bytes expected\n2 readable") > 0);
	assert_string_equal(line, "ERR STACK recv: 5 bytes expected?2 readable\n");
	strip_nl();
	assert_int_equal(agent_parse_reply(line, &rep, &err), 0);
	assert_false(rep.ok);
	assert_int_equal(rep.err, AGENT_ERR_STACK);
	assert_string_equal(rep.text, "recv: 5 bytes expected?2 readable");
	assert_int_equal(agent_parse_reply("OK", &rep, &err), 0);
	assert_true(rep.ok);
	assert_string_equal(rep.text, "");
	assert_int_equal(agent_parse_reply("OKAY", &rep, &err), -1);

	assert_true(agent_fmt_state_words(words, sizeof(words), TC_ESTABLISHED, &tr) > 0);
	assert_string_equal(words, "ESTABLISHED LISTEN>SYN-RECEIVED SYN-RECEIVED>ESTABLISHED");
	assert_int_equal(agent_parse_state_words(words, &st, &got, &err), 0);
	assert_int_equal(st, TC_ESTABLISHED);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.to[1], TC_ESTABLISHED);
	assert_int_equal(agent_parse_state_words("OPEN", &st, &got, &err), -1);
	assert_int_equal(agent_parse_state_words("CLOSED LISTEN-CLOSED", &st, &got, &err), -1);
}

static void test_line_take(void **state)
{
	char buf[AGENT_LINE_MAX + 8];
	size_t used = 0;

	(void)state;
	strcpy(buf, "STATE\r\nBYE\n");
	assert_int_equal(agent_line_take(buf, strlen("STATE\r\nBYE\n"), &used), 5);
	assert_string_equal(buf, "STATE");
	assert_int_equal(used, 7);
	strcpy(buf, "STA");
	assert_int_equal(agent_line_take(buf, 3, &used), 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(agent_line_take(buf, AGENT_LINE_MAX, &used), -1);
}

/* ---- the token ---- */

static char tmpdir[64];

static const char *token_file(const char *name, const void *bytes, size_t n, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_token_file(void **state)
{
	uint8_t tok[AGENT_TOKEN_MAX], big[AGENT_TOKEN_MAX + 1];
	size_t n = 0;
	struct tc_err err;

	(void)state;
	assert_int_equal(agent_token_load(token_file("ok", "0123456789abcdef", 16, 0600), tok, &n, &err), 0);
	assert_int_equal(n, 16);
	assert_memory_equal(tok, "0123456789abcdef", 16);
	assert_int_equal(agent_token_load(token_file("world", "0123456789abcdef", 16, 0604), tok, &n, &err), -1);
	assert_non_null(strstr(err.msg, "readable or writable by others"));
	assert_int_equal(agent_token_load(token_file("group", "0123456789abcdef", 16, 0640), tok, &n, &err), -1);
	assert_int_equal(agent_token_load(token_file("short", "0123456789abcde", 15, 0600), tok, &n, &err), -1);
	assert_non_null(strstr(err.msg, "at least 16"));
	memset(big, 7, sizeof(big));
	assert_int_equal(agent_token_load(token_file("big", big, sizeof(big), 0600), tok, &n, &err), -1);
	assert_int_equal(agent_token_load(token_file("max", big, AGENT_TOKEN_MAX, 0400), tok, &n, &err), 0);
	assert_int_equal(n, AGENT_TOKEN_MAX);
	assert_int_equal(agent_token_load(tmpdir, tok, &n, &err), -1);
	assert_int_equal(agent_token_load("/nonexistent/token", tok, &n, &err), -1);
}

static void test_token_equal(void **state)
{
	(void)state;
	assert_true(agent_token_equal((const uint8_t *)"abcdef", 6, (const uint8_t *)"abcdef", 6));
	assert_false(agent_token_equal((const uint8_t *)"abcdef", 6, (const uint8_t *)"abcdeg", 6));
	assert_false(agent_token_equal((const uint8_t *)"Xbcdef", 6, (const uint8_t *)"abcdef", 6));
	/* a prefix is not the token, nor is the token with more after it */
	assert_false(agent_token_equal((const uint8_t *)"abc", 3, (const uint8_t *)"abcdef", 6));
	assert_false(agent_token_equal((const uint8_t *)"abcdef", 6, (const uint8_t *)"abc", 3));
	assert_false(agent_token_equal((const uint8_t *)"abc\0", 4, (const uint8_t *)"abc", 3));
}

/* ---- the session against a scripted stack, through the client ---- */

struct fake {
	struct agent_stack base;
	int begun, ended, apps;
	struct agent_case last_case;
	struct tc_app last_app;
	uint64_t last_timeout;
};

static int fake_begin(struct agent_stack *s, const struct agent_case *c, struct tc_err *err)
{
	struct fake *f = (struct fake *)s;

	if (c->conf.fields & TC_C_WINDOW)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "no window here");
	f->begun++;
	f->last_case = *c;
	return 0;
}

static int fake_app(struct agent_stack *s, const struct tc_app *act, uint64_t timeout_us, struct tc_app_result *res,
		    struct tc_err *err)
{
	struct fake *f = (struct fake *)s;

	(void)res;
	f->apps++;
	f->last_app = *act;
	f->last_timeout = timeout_us;
	if (act->verb == TC_APP_ACCEPT)
		return tc_err_set(err, TC_ERR_TARGET, "accept: no established connection is waiting on port 8080");
	return 0;
}

static int fake_state(struct agent_stack *s, enum tc_state *out, struct tc_transitions *since, struct tc_err *err)
{
	(void)s;
	(void)err;
	*out = TC_SYN_SENT;
	since->n = 1;
	since->from[0] = TC_CLOSED;
	since->to[0] = TC_SYN_SENT;
	return 0;
}

static void fake_end(struct agent_stack *s)
{
	((struct fake *)s)->ended++;
}

static void fake_free(struct agent_stack *s)
{
	(void)s;
}

static const struct agent_stack_ops fake_ops = {
	.name = "fake",
	.transitions = true,
	.case_begin = fake_begin,
	.app = fake_app,
	.state = fake_state,
	.case_end = fake_end,
	.free = fake_free,
};

struct served {
	struct agent_session_conf conf;
	enum agent_session_end how;
	int rc;
};

static void *serve(void *arg)
{
	struct served *s = arg;
	struct tc_err err;

	s->rc = agent_session_serve(&s->conf, &s->how, &err);
	close(s->conf.fd);
	return NULL;
}

static const uint8_t secret[] = "0123456789abcdef0123";

static void start(struct served *s, struct fake *f, int *client_fd, pthread_t *th)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	f->base.ops = &fake_ops;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(s, 0, sizeof(*s));
	s->conf.fd = sv[1];
	s->conf.listen_fd = -1;
	s->conf.stack = &f->base;
	s->conf.token = secret;
	s->conf.token_len = 20;
	*client_fd = sv[0];
	assert_int_equal(pthread_create(th, NULL, serve, s), 0);
}

static void test_session_through_client(void **state)
{
	const char *tok = token_file("session", secret, 20, 0600);
	struct served s;
	struct fake f;
	pthread_t th;
	int fd;
	struct tc_err err;
	struct agent_client *c;
	struct seg_addr peer;
	struct tc_app act = {.verb = TC_APP_SEND, .n = 1200};
	struct tc_transitions tr;
	enum tc_state st;

	(void)state;
	start(&s, &f, &fd, &th);
	c = agent_attach(fd, "test agent", tok, &err);
	assert_non_null(c);
	assert_string_equal(agent_stack_name(c), "fake");
	assert_true(agent_transitions(c));
	seg_addr_parse("192.0.2.2", &peer);
	/* APP before a case is out of order: a protocol error, not the stack's */
	assert_int_equal(agent_app(c, &act, 1000, NULL, &err), -1);
	assert_int_equal(err.code, TC_ERR_SYSTEM);
	assert_non_null(strstr(err.msg, "ORDER"));
	assert_int_equal(f.apps, 0);
	assert_int_equal(agent_case_begin(c, 4, 8080, &peer, 40001, &err), 0);
	assert_int_equal(f.begun, 1);
	assert_int_equal(f.last_case.local_port, 8080);
	assert_true(seg_addr_eq(&f.last_case.peer, &peer));
	assert_int_equal(agent_case_begin(c, 4, 8080, &peer, 40001, &err), -1);
	assert_non_null(strstr(err.msg, "ORDER"));
	assert_int_equal(agent_app(c, &act, 123456, NULL, &err), 0);
	assert_int_equal(f.last_app.verb, TC_APP_SEND);
	assert_int_equal(f.last_app.n, 1200);
	assert_int_equal(f.last_timeout, 123456);
	/* the stack's refusal is TC_ERR_TARGET with its own words */
	act = (struct tc_app){.verb = TC_APP_ACCEPT};
	assert_int_equal(agent_app(c, &act, 0, NULL, &err), -1);
	assert_int_equal(err.code, TC_ERR_TARGET);
	assert_string_equal(err.msg, "accept: no established connection is waiting on port 8080");
	assert_int_equal(agent_state(c, &st, &tr, &err), 0);
	assert_int_equal(st, TC_SYN_SENT);
	assert_int_equal(tr.n, 1);
	assert_int_equal(tr.from[0], TC_CLOSED);
	assert_int_equal(agent_case_end(c, &err), 0);
	assert_int_equal(f.ended, 1);
	assert_int_equal(agent_case_end(c, &err), -1);
	/* a config the stack cannot take: TC_ERR_UNSUPPORTED (the case is skipped) */
	struct agent_case ac = {.family = 4, .local_port = 1, .peer = peer, .peer_port = 2};
	ac.conf.fields = TC_C_WINDOW;
	ac.conf.window = 1000;
	assert_int_equal(agent_case_begin_conf(c, &ac, NULL, &err), -1);
	assert_int_equal(err.code, TC_ERR_UNSUPPORTED);
	/* a case left open is ended when the client says BYE */
	assert_int_equal(agent_case_begin(c, 4, 8080, &peer, 40001, &err), 0);
	agent_close(c);
	pthread_join(th, NULL);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.how, AGENT_END_BYE);
	assert_int_equal(f.ended, 2);
}

static void test_session_wrong_token(void **state)
{
	static const uint8_t other[] = "0123456789abcdef0124";
	const char *tok = token_file("wrong", other, 20, 0600);
	struct served s;
	struct fake f;
	pthread_t th;
	int fd;
	struct tc_err err;

	(void)state;
	start(&s, &f, &fd, &th);
	assert_null(agent_attach(fd, "test agent", tok, &err));
	assert_int_equal(err.code, TC_ERR_SYSTEM);
	assert_non_null(strstr(err.msg, "AUTH wrong token"));
	pthread_join(th, NULL);
	assert_int_equal(s.how, AGENT_END_REFUSED);
	assert_int_equal(f.begun, 0);
}

/* Before HELLO nothing is served: one error, then the connection closes. */
static void test_session_no_hello(void **state)
{
	struct served s;
	struct fake f;
	pthread_t th;
	int fd;
	char buf[512];
	ssize_t n, total = 0;

	(void)state;
	start(&s, &f, &fd, &th);
	const char *req = "CASE-BEGIN 4 8080 192.0.2.2 40001\nSTATE\n";
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((n = read(fd, buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
		total += n;
	buf[total] = '\0';
	assert_string_equal(buf, "ERR AUTH HELLO VERSION TOKEN first\n");
	close(fd);
	pthread_join(th, NULL);
	assert_int_equal(s.how, AGENT_END_REFUSED);
	assert_int_equal(f.begun, 0);
}

/* The agent goes away: the client says so, names it, and stays broken. */
static void test_client_dead_agent(void **state)
{
	const char *tok = token_file("dead", secret, 20, 0600);
	struct served s;
	struct fake f;
	pthread_t th;
	int fd;
	struct tc_err err;
	struct agent_client *c;
	enum tc_state st;

	(void)state;
	start(&s, &f, &fd, &th);
	c = agent_attach(fd, "test agent (pid 42)", tok, &err);
	assert_non_null(c);
	shutdown(s.conf.fd, SHUT_RDWR);
	pthread_join(th, NULL);
	assert_int_equal(agent_state(c, &st, NULL, &err), -1);
	assert_int_equal(err.code, TC_ERR_SYSTEM);
	assert_non_null(strstr(err.msg, "agent test agent (pid 42)"));
	assert_int_equal(agent_case_end(c, &err), -1);
	assert_non_null(strstr(err.msg, "broke earlier"));
	agent_close(c);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-agent-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_round_trip),
		cmocka_unit_test(test_app_v2_round_trip),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_case_begin_round_trip),
		cmocka_unit_test(test_case_begin_isn_keys),
		cmocka_unit_test(test_case_begin_v2_round_trip),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_line_take),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_token_equal),
		cmocka_unit_test(test_session_through_client),
		cmocka_unit_test(test_session_wrong_token),
		cmocka_unit_test(test_session_no_hello),
		cmocka_unit_test(test_client_dead_agent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
