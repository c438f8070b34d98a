/* See agent_session.h. */
#include "agent_session.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct session {
	const struct agent_session_conf *c;
	bool authed, in_case, done;
	enum agent_session_end how;
	char in[2 * AGENT_LINE_MAX];
	size_t inlen;
	char out[AGENT_LINE_MAX + 1];
};

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static void answer(struct session *s, int len)
{
	if (len < 0 || !write_all(s->c->fd, s->out, (size_t)len)) {
		s->done = true;
		s->how = AGENT_END_EOF;
	}
}

static void ok(struct session *s, const char *words)
{
	answer(s, agent_fmt_ok(s->out, sizeof(s->out), words));
}

static void fail(struct session *s, enum agent_errclass cls, const char *msg)
{
	answer(s, agent_fmt_err(s->out, sizeof(s->out), cls, msg));
	/* a client that is not who it must be gets nothing more */
	if (cls == AGENT_ERR_AUTH || cls == AGENT_ERR_VERSION) {
		s->done = true;
		s->how = AGENT_END_REFUSED;
	}
}

static enum agent_errclass class_of(const struct tc_err *e)
{
	switch (e->code) {
	case TC_ERR_TARGET: return AGENT_ERR_STACK;
	case TC_ERR_UNSUPPORTED: return AGENT_ERR_UNSUPPORTED;
	default: return AGENT_ERR_INTERNAL;
	}
}

static void end_case(struct session *s)
{
	if (s->in_case)
		s->c->stack->ops->case_end(s->c->stack);
	s->in_case = false;
}

static void hello(struct session *s, const struct agent_req *r)
{
	char words[128];

	if (!agent_token_equal(r->token, r->token_len, s->c->token, s->c->token_len)) {
		fail(s, AGENT_ERR_AUTH, "wrong token");
		return;
	}
	s->authed = true;
	/* in the client's version: every version 1 request means the same in 2 */
	snprintf(words, sizeof(words), "%u stack=%s transitions=%s", r->version, s->c->stack->ops->name,
		 s->c->stack->ops->transitions ? "yes" : "no");
	ok(s, words);
}

static void request(struct session *s, const char *line)
{
	struct agent_stack *st = s->c->stack;
	enum agent_errclass cls = AGENT_ERR_SYNTAX;
	struct tc_err e = {0};
	struct agent_req r;

	if (agent_parse_req(line, &r, &cls, &e) != 0) {
		/* before HELLO every failure is a refusal */
		fail(s, s->authed ? cls : (cls == AGENT_ERR_VERSION ? cls : AGENT_ERR_AUTH), e.msg);
		return;
	}
	if (!s->authed) {
		if (r.kind != AGENT_REQ_HELLO)
			fail(s, AGENT_ERR_AUTH, "HELLO VERSION TOKEN first");
		else
			hello(s, &r);
		return;
	}
	/* what has arrived on the wire is processed before the request */
	if (st->ops->service && st->ops->service(st, &e) != 0) {
		fail(s, AGENT_ERR_INTERNAL, e.msg);
		return;
	}
	switch (r.kind) {
	case AGENT_REQ_HELLO:
		fail(s, AGENT_ERR_ORDER, "HELLO was already accepted");
		return;
	case AGENT_REQ_CASE_BEGIN:
		if (s->in_case) {
			fail(s, AGENT_ERR_ORDER, "a case is open: CASE-END first");
			return;
		}
		if (st->ops->case_begin(st, &r.c, &e) != 0) {
			fail(s, class_of(&e), e.msg);
			return;
		}
		s->in_case = true;
		ok(s, NULL);
		return;
	case AGENT_REQ_APP:
		if (!s->in_case) {
			fail(s, AGENT_ERR_ORDER, "APP outside a case: CASE-BEGIN first");
			return;
		}
		{
			struct tc_app_result res = {0};
			char words[AGENT_LINE_MAX];

			if (st->ops->app(st, &r.act, r.timeout_us, &res, &e) != 0) {
				fail(s, class_of(&e), e.msg);
				return;
			}
			agent_fmt_result(words, sizeof(words), &res);
			ok(s, words);
		}
		return;
	case AGENT_REQ_STATE: {
		struct tc_transitions tr = {0};
		enum tc_state state;
		char words[AGENT_LINE_MAX];

		if (!s->in_case) {
			fail(s, AGENT_ERR_ORDER, "STATE outside a case: CASE-BEGIN first");
			return;
		}
		if (st->ops->state(st, &state, &tr, &e) != 0) {
			fail(s, class_of(&e), e.msg);
			return;
		}
		if (agent_fmt_state_words(words, sizeof(words), state, &tr) < 0) {
			fail(s, AGENT_ERR_INTERNAL, "the state answer does not fit a line");
			return;
		}
		ok(s, words);
		return;
	}
	case AGENT_REQ_CASE_END:
		if (!s->in_case) {
			fail(s, AGENT_ERR_ORDER, "no case is open");
			return;
		}
		end_case(s);
		ok(s, NULL);
		return;
	case AGENT_REQ_BYE:
		end_case(s);
		ok(s, "bye");
		s->done = true;
		s->how = AGENT_END_BYE;
		return;
	}
}

static void refuse_newcomer(int listen_fd)
{
	char line[128];
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int len;

	if (fd < 0)
		return;
	len = agent_fmt_err(line, sizeof(line), AGENT_ERR_BUSY, "another client is connected");
	if (len > 0)
		(void)!send(fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* Every whole line received so far. */
static void take_lines(struct session *s)
{
	while (!s->done) {
		size_t used = 0;
		int n = agent_line_take(s->in, s->inlen, &used);

		if (n == 0)
			return;
		if (n < 0) {
			fail(s, s->authed ? AGENT_ERR_SYNTAX : AGENT_ERR_AUTH, "a line longer than 8192 bytes");
			s->done = true;
			if (s->how != AGENT_END_REFUSED)
				s->how = AGENT_END_EOF;
			return;
		}
		request(s, s->in);
		memmove(s->in, s->in + used, s->inlen - used);
		s->inlen -= used;
	}
}

int agent_session_serve(const struct agent_session_conf *c, enum agent_session_end *how, struct tc_err *err)
{
	struct session s = {.c = c};
	uint64_t hello_deadline = agent_now_us() + AGENT_HELLO_TIMEOUT_US;
	struct agent_stack *st = c->stack;
	int rc = 0;

	while (!s.done) {
		struct pollfd p[3] = {{.fd = c->fd, .events = POLLIN},
				      {.fd = st->ops->poll_fd ? st->ops->poll_fd(st) : -1, .events = POLLIN},
				      {.fd = c->listen_fd, .events = POLLIN}};
		uint64_t now = agent_now_us();
		uint64_t until = st->ops->next_deadline_us ? st->ops->next_deadline_us(st) : UINT64_MAX;
		int ms = -1, n;

		if (!s.authed && hello_deadline < until)
			until = hello_deadline;
		if (until != UINT64_MAX)
			ms = until <= now ? 0 : (int)((until - now + 999) / 1000 > 60000 ? 60000 : (until - now + 999) / 1000);
		n = poll(p, 3, ms);
		if (n < 0 && errno != EINTR) {
			rc = tc_err_set(err, TC_ERR_SYSTEM, "poll: %s", strerror(errno));
			break;
		}
		if (st->ops->service && st->ops->service(st, err) != 0) {
			rc = -1;
			break;
		}
		if (n > 0 && (p[2].revents & POLLIN))
			refuse_newcomer(c->listen_fd);
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = recv(c->fd, s.in + s.inlen, sizeof(s.in) - s.inlen, 0);

			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				s.done = true;
				s.how = AGENT_END_EOF;
				break;
			}
			s.inlen += (size_t)got;
			take_lines(&s);
		}
		if (!s.done && !s.authed && agent_now_us() >= hello_deadline)
			fail(&s, AGENT_ERR_AUTH, "no HELLO within 10 s");
	}
	end_case(&s);
	*how = s.how;
	return rc;
}
