/* See agent_client.h. */
#include "agent_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 5000

struct agent_client {
	int fd;
	bool broken;
	bool transitions;
	char name[160];
	char stack[32];
	char in[2 * AGENT_LINE_MAX];
	size_t inlen;
	char line[AGENT_LINE_MAX + 1];
	struct agent_reply reply;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

__attribute__((format(printf, 3, 4))) static int broke(struct agent_client *c, struct tc_err *err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->broken = true;
	return tc_err_set(err, TC_ERR_SYSTEM, "agent %s: %s", c->name, msg);
}

static int send_line(struct agent_client *c, const char *line, size_t len, struct tc_err *err)
{
	while (len > 0) {
		ssize_t n = send(c->fd, line, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return broke(c, err, "the control connection is gone (%s): the agent has died or closed it",
				     n < 0 ? strerror(errno) : "short write");
		line += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The next answer line, within timeout_us. */
static int recv_reply(struct agent_client *c, const char *what, uint64_t timeout_us, struct tc_err *err)
{
	uint64_t deadline = now_us() + timeout_us;

	for (;;) {
		size_t used = 0;
		int n = agent_line_take(c->in, c->inlen, &used);

		if (n < 0)
			return broke(c, err, "%s: an answer longer than %d bytes", what, AGENT_LINE_MAX);
		if (n > 0) {
			memcpy(c->line, c->in, (size_t)n + 1);
			memmove(c->in, c->in + used, c->inlen - used);
			c->inlen -= used;
			if (agent_parse_reply(c->line, &c->reply, err) != 0) {
				c->broken = true;
				tc_err_prefix(err, "agent %s: %s", c->name, what);
				return -1;
			}
			return 0;
		}
		uint64_t now = now_us();
		if (now >= deadline)
			return broke(c, err, "%s: no answer within %llu ms", what,
				     (unsigned long long)(timeout_us / 1000));
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int ms = (int)((deadline - now + 999) / 1000);
		int w = poll(&p, 1, ms);

		if (w < 0 && errno != EINTR)
			return broke(c, err, "%s: poll: %s", what, strerror(errno));
		if (w <= 0)
			continue;
		ssize_t got = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);

		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return broke(c, err, "%s: the control connection closed (%s): the agent has died or hung up", what,
				     got < 0 ? strerror(errno) : "end of stream");
		c->inlen += (size_t)got;
	}
}

/* One request and its answer. An ERR answer is turned into err: STACK is
 * the stack's refusal (TC_ERR_TARGET, its text as it is), UNSUPPORTED a
 * case it cannot run, anything else a broken exchange. */
static int exchange(struct agent_client *c, const char *what, int len, uint64_t timeout_us, struct tc_err *err)
{
	if (c->broken)
		return tc_err_set(err, TC_ERR_SYSTEM, "agent %s: %s: the control connection broke earlier", c->name,
				  what);
	if (len < 0)
		return -1;
	if (send_line(c, c->line, (size_t)len, err) || recv_reply(c, what, timeout_us, err))
		return -1;
	if (c->reply.ok)
		return 0;
	switch (c->reply.err) {
	case AGENT_ERR_STACK:
		return tc_err_set(err, TC_ERR_TARGET, "%s", c->reply.text);
	case AGENT_ERR_UNSUPPORTED:
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "agent %s: %s", c->name, c->reply.text);
	case AGENT_ERR_AUTH:
	case AGENT_ERR_VERSION:
	case AGENT_ERR_BUSY:
		c->broken = true;
		/* fallthrough */
	default:
		return tc_err_set(err, TC_ERR_SYSTEM, "agent %s: %s: %s %s", c->name, what,
				  agent_errclass_name(c->reply.err), c->reply.text);
	}
}

static int say_hello(struct agent_client *c, const char *token_file, struct tc_err *err)
{
	uint8_t token[AGENT_TOKEN_MAX];
	size_t tlen = 0;
	int len;

	if (agent_token_load(token_file, token, &tlen, err) != 0)
		return -1;
	len = agent_fmt_hello(c->line, sizeof(c->line), token, tlen, err);
	memset(token, 0, sizeof(token));
	if (exchange(c, "HELLO", len, AGENT_REPLY_TIMEOUT_US, err) != 0)
		return -1;
	/* "1 stack=NAME transitions=yes|no" */
	unsigned v = 0;
	char tr[8] = "";
	if (sscanf(c->reply.text, "%u stack=%31s transitions=%7s", &v, c->stack, tr) != 3 ||
	    v != AGENT_PROTO_VERSION)
		return broke(c, err, "HELLO: the answer 'OK %.80s' is not 'OK %d stack=NAME transitions=yes|no'",
			     c->reply.text, AGENT_PROTO_VERSION);
	c->transitions = strcmp(tr, "yes") == 0;
	memset(c->line, 0, sizeof(c->line));
	return 0;
}

struct agent_client *agent_attach(int fd, const char *name, const char *token_file, struct tc_err *err)
{
	struct agent_client *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		tc_err_set(err, TC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	c->fd = fd;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (say_hello(c, token_file, err) != 0) {
		close(c->fd);
		free(c);
		return NULL;
	}
	return c;
}

/* "host:port" or "[v6]:port" */
static int split_hostport(const char *hp, char *host, size_t cap, char *port, size_t pcap)
{
	const char *colon;
	size_t hl;

	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');

		if (!end || end[1] != ':')
			return -1;
		hl = (size_t)(end - hp - 1);
		colon = end + 1;
		if (hl >= cap)
			return -1;
		memcpy(host, hp + 1, hl);
	} else {
		colon = strrchr(hp, ':');
		if (!colon || strchr(hp, ':') != colon)
			return -1;
		hl = (size_t)(colon - hp);
		if (hl >= cap)
			return -1;
		memcpy(host, hp, hl);
	}
	host[hl] = '\0';
	if (hl == 0 || !colon[1] || strlen(colon + 1) >= pcap)
		return -1;
	snprintf(port, pcap, "%s", colon + 1);
	return 0;
}

static int connect_timeout(const struct addrinfo *ai, struct tc_err *err, const char *hostport)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	struct pollfd p;
	int e = 0;
	socklen_t el = sizeof(e);

	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "agent %s: socket: %s", hostport, strerror(errno));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		e = errno;
		goto fail;
	}
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, CONNECT_TIMEOUT_MS) <= 0) {
		e = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0)
		goto fail;
	/* answers are awaited with poll(); blocking writes of one line */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:
	close(fd);
	return tc_err_set(err, TC_ERR_SYSTEM, "agent %s: connect: %s (is `tcpconform agent --listen %s` running?)",
			  hostport, strerror(e), hostport);
}

struct agent_client *agent_connect(const char *hostport, const char *token_file, struct tc_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char host[256], port[16];
	int fd = -1, rc;

	if (split_hostport(hostport, host, sizeof(host), port, sizeof(port)) != 0) {
		tc_err_set(err, TC_ERR_USAGE, "agent '%s': want HOST:PORT or [IPV6]:PORT", hostport);
		return NULL;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		tc_err_set(err, TC_ERR_USAGE, "agent %s: %s", hostport, gai_strerror(rc));
		return NULL;
	}
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_timeout(ai, err, hostport);
	freeaddrinfo(res);
	if (fd < 0)
		return NULL;
	return agent_attach(fd, hostport, token_file, err);
}

int agent_case_begin_conf(struct agent_client *c, const struct agent_case *ac, const struct tc_profile *prof,
			  struct tc_err *err)
{
	return exchange(c, "CASE-BEGIN", agent_fmt_case_begin(c->line, sizeof(c->line), ac, prof, err),
			AGENT_REPLY_TIMEOUT_US, err);
}

int agent_case_begin(struct agent_client *c, int family, uint16_t local_port, const struct seg_addr *peer,
		     uint16_t peer_port, struct tc_err *err)
{
	struct agent_case ac;

	memset(&ac, 0, sizeof(ac));
	ac.family = family;
	ac.local_port = local_port;
	ac.peer = *peer;
	ac.peer_port = peer_port;
	return agent_case_begin_conf(c, &ac, NULL, err);
}

int agent_app(struct agent_client *c, const struct tc_app *act, uint64_t timeout_us, struct tc_app_result *res,
	      struct tc_err *err)
{
	uint64_t wait = timeout_us > UINT64_MAX - AGENT_APP_GRACE_US ? UINT64_MAX : timeout_us + AGENT_APP_GRACE_US;
	struct tc_app_result scratch;

	if (exchange(c, tc_app_verb_name(act->verb), agent_fmt_app(c->line, sizeof(c->line), act, timeout_us, err),
		     wait, err))
		return -1;
	if (agent_parse_result(c->reply.text, res ? res : &scratch, err) != 0) {
		c->broken = true;
		tc_err_prefix(err, "agent %s", c->name);
		return -1;
	}
	return 0;
}

int agent_state(struct agent_client *c, enum tc_state *out, struct tc_transitions *since, struct tc_err *err)
{
	struct tc_transitions scratch;

	if (exchange(c, "STATE", agent_fmt_simple(c->line, sizeof(c->line), AGENT_REQ_STATE, err),
		     AGENT_REPLY_TIMEOUT_US, err))
		return -1;
	if (agent_parse_state_words(c->reply.text, out, since ? since : &scratch, err) != 0) {
		c->broken = true;
		tc_err_prefix(err, "agent %s", c->name);
		return -1;
	}
	return 0;
}

int agent_case_end(struct agent_client *c, struct tc_err *err)
{
	return exchange(c, "CASE-END", agent_fmt_simple(c->line, sizeof(c->line), AGENT_REQ_CASE_END, err),
			AGENT_REPLY_TIMEOUT_US, err);
}

void agent_close(struct agent_client *c)
{
	struct tc_err e;

	if (!c)
		return;
	if (!c->broken)
		(void)exchange(c, "BYE", agent_fmt_simple(c->line, sizeof(c->line), AGENT_REQ_BYE, &e), 1000000u, &e);
	close(c->fd);
	free(c);
}

const char *agent_stack_name(const struct agent_client *c)
{
	return c->stack;
}

bool agent_transitions(const struct agent_client *c)
{
	return c->transitions;
}
