/* --stack ref: the bundled stack (lib/refstack) in real time behind a
 * packet socket (agent_link). One refstack per case, made at CASE-BEGIN
 * with the case's config (ref_setup, as the ref target does) and freed at
 * CASE-END; between cases no stack answers, so nothing is sent. Its clock
 * is CLOCK_MONOTONIC and its timers run from the session's poll()
 * timeouts; actions that must wait (accept, recv, send on a full buffer)
 * keep servicing the link and the timers until they can finish or their
 * deadline passes. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../refstack/refstack.h"
#include "../target/ref/ref_setup.h"
#include "agent_link.h"
#include "agent_stack.h"

struct agent_ref {
	struct agent_stack base;
	struct agent_ref_conf conf;
	struct agent_link *link;
#ifdef REFSTACK_FAULTS
	enum refstack_fault fault;
#endif
	/* during a case */
	struct refstack *stack;
	int family;
	struct seg_addr peer;
	uint16_t port, peer_port;
	/* The application's connection, as a socket holds it: the one connect
	 * or accept gave, kept after a reset or a timeout deleted its TCB,
	 * which then still reads as CLOSED with the error the application is
	 * to be told (refstack.h), as on the ref target */
	struct refstack_conn *conn;
	struct tc_transitions trans;
	bool trans_overflow;
	/* the first send failure since the last state read (no MAC for the
	 * peer): told with the next answer rather than lost */
	char send_error[256];
	/* a `send N`'s filler: as much as the send buffer takes goes to the
	 * stack in one SEND, as the ref target does, so a write is cut into
	 * segments (and pushed, 3.9.1) as one write, not as 2048-byte ones */
	uint8_t buf[REFSTACK_SND_BUF_MAX];
};

static void ref_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct agent_ref *s = ctx;
	struct tc_err e = {0};

	if (agent_link_send_ip(s->link, pkt, len, &e) != 0 && !s->send_error[0])
		snprintf(s->send_error, sizeof(s->send_error), "%.200s", e.msg);
}

static void ref_transition(void *ctx, const struct refstack_conn *c, enum refstack_state from, enum refstack_state to,
			   enum refstack_cause cause)
{
	struct agent_ref *s = ctx;

	(void)cause;
	if (refstack_conn_lport(c) != s->port)
		return;
	if (s->trans.n == TC_MAX_TRANSITIONS) {
		s->trans_overflow = true;
		return;
	}
	s->trans.from[s->trans.n] = ref_setup_state(from);
	s->trans.to[s->trans.n] = ref_setup_state(to);
	s->trans.n++;
}

/* Every frame already queued, then every timer due. */
static int rs_service(struct agent_stack *base, struct tc_err *err)
{
	struct agent_ref *s = (struct agent_ref *)base;
	const uint8_t *ip;
	size_t len;
	int rc;

	while ((rc = agent_link_recv(s->link, &ip, &len, err)) != 0) {
		if (rc < 0)
			return -1;
		/* between cases, or another family: nobody answers */
		if (rc == 1 && s->stack && (ip[0] >> 4) == s->family)
			(void)refstack_input(s->stack, ip, len, agent_now_us());
	}
	if (s->stack) {
		uint64_t now = agent_now_us();

		if (refstack_next_deadline(s->stack) <= now)
			refstack_timers(s->stack, now);
	}
	return 0;
}

static int rs_poll_fd(struct agent_stack *base)
{
	return agent_link_fd(((struct agent_ref *)base)->link);
}

static uint64_t rs_next_deadline(struct agent_stack *base)
{
	struct agent_ref *s = (struct agent_ref *)base;

	return s->stack ? refstack_next_deadline(s->stack) : UINT64_MAX;
}

/* Services the link and the timers until deadline_us or a frame or timer
 * has been handled; 0 when the deadline passed. */
static int rs_wait(struct agent_ref *s, uint64_t deadline_us, struct tc_err *err)
{
	uint64_t now = agent_now_us(), until = deadline_us, next = rs_next_deadline(&s->base);
	struct pollfd p = {.fd = agent_link_fd(s->link), .events = POLLIN};
	int ms;

	if (now >= deadline_us)
		return 0;
	if (next < until)
		until = next;
	ms = until <= now ? 0 : (int)((until - now + 999) / 1000);
	if (poll(&p, 1, ms) < 0 && errno != EINTR)
		return tc_err_set(err, TC_ERR_SYSTEM, "poll: %s", strerror(errno));
	if (rs_service(&s->base, err))
		return -1;
	return 1;
}

static int rs_case_begin(struct agent_stack *base, const struct agent_case *c, struct tc_err *err)
{
	struct agent_ref *s = (struct agent_ref *)base;
	const struct seg_addr *own = c->family == 4 ? (s->conf.have4 ? &s->conf.addr4 : NULL)
						   : (s->conf.have6 ? &s->conf.addr6 : NULL);
	struct refstack_config cfg;
	struct tc_profile prof;
	struct refstack_io io = {.ctx = s, .output = ref_output, .transition = ref_transition};
	char a[64];

	if (!own)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "this agent has no IPv%d address (--address)", c->family);
	if (c->has_local && !seg_addr_eq(&c->local, own))
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "this agent's IPv%d address is %s, not the case's", c->family,
				  seg_addr_format(own, a, sizeof(a)));
	/* the case's profile (protocol 2; none said: minimal, ref's default),
	 * and its config, nagle, delayed_ack and keepalive included, as the ref
	 * target sets them up */
	ref_setup_config(&cfg, &prof, ref_setup_default_profile(), own, &c->conf,
			 c->profile == TC_SP_UNSET ? TC_SP_MINIMAL : c->profile);
#ifdef REFSTACK_FAULTS
	cfg.fault = s->fault;
#endif
	s->stack = refstack_new(&cfg, &io);
	if (!s->stack)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "the reference stack refuses the case's config");
	s->family = c->family;
	s->peer = c->peer;
	s->port = c->local_port;
	s->peer_port = c->peer_port;
	s->conn = NULL;
	s->trans.n = 0;
	s->trans_overflow = false;
	s->send_error[0] = '\0';
	return 0;
}

/* The TCB of the case's four-tuple, else the application's deleted one
 * while its slot is not reused (its ports still the case's). */
static struct refstack_conn *app_conn(struct agent_ref *s)
{
	struct refstack_conn *c = refstack_find(s->stack, s->port, &s->peer, s->peer_port);

	if (c) {
		s->conn = c;
		return c;
	}
	if (s->conn && refstack_conn_lport(s->conn) == s->port && refstack_conn_rport(s->conn) == s->peer_port)
		return s->conn;
	return NULL;
}

static void fill_pattern(uint8_t *buf, size_t n, size_t offset)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)('a' + (offset + i) % 26);
}

/* The bytes queued go into res->value and a refusal's errno into
 * res->err_no: the application's answers, judged by the engine. */
static int rs_send(struct agent_ref *s, struct refstack_conn *c, const struct tc_app *act, uint64_t deadline_us,
		   struct tc_app_result *res, struct tc_err *err)
{
	uint32_t total = act->len ? act->len : act->n, sent = 0;

	while (sent < total) {
		uint32_t chunk = total - sent;
		const uint8_t *p;
		int rc;

		if (act->len) {
			p = act->data + sent;
		} else {
			if (chunk > sizeof(s->buf))
				chunk = sizeof(s->buf);
			fill_pattern(s->buf, chunk, sent);
			p = s->buf;
		}
		rc = refstack_send(s->stack, c, p, chunk, agent_now_us());
		if (rc < 0 && rc != -ENOBUFS && rc != -EAGAIN) {
			res->err_no = -rc;
			return 0;
		}
		if (rc > 0) {
			sent += (uint32_t)rc;
			continue;
		}
		rc = rs_wait(s, deadline_us, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}
	res->value = sent;
	return 0;
}

/* Up to want bytes, waiting for them until the deadline; what was read
 * (and its first bytes), whether more stayed readable, or the errno. */
static int rs_recv(struct agent_ref *s, struct refstack_conn *c, uint32_t want, uint64_t deadline_us,
		   struct tc_app_result *res, struct tc_err *err)
{
	uint32_t got = 0;

	while (got < want) {
		size_t cap = want - got < sizeof(s->buf) ? want - got : sizeof(s->buf);
		int rc = refstack_recv(s->stack, c, s->buf, cap, agent_now_us());

		/* an error after some bytes: they are the call's answer, the
		 * error the next one's (as on the ref target) */
		if (rc < 0 && got > 0)
			break;
		if (rc < 0) {
			res->err_no = -rc;
			return 0;
		}
		if (rc > 0) {
			if (got < sizeof(res->data)) {
				size_t k = (size_t)rc < sizeof(res->data) - got ? (size_t)rc : sizeof(res->data) - got;

				memcpy(res->data + got, s->buf, k);
				res->ndata = (uint16_t)(got + k);
			}
			got += (uint32_t)rc;
			continue;
		}
		if (refstack_conn_eof(c))
			break;
		rc = rs_wait(s, deadline_us, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}
	/* nothing came by the deadline and the stream has not ended: what a
	 * non-blocking socket answers (the linux agent's EAGAIN), not a read
	 * of 0, which means end of stream */
	if (got == 0 && want > 0 && !refstack_conn_eof(c)) {
		res->err_no = EAGAIN;
		return 0;
	}
	res->value = got;
	res->more = refstack_conn_readable(c) > 0;
	return 0;
}

static int rs_app(struct agent_stack *base, const struct tc_app *act, uint64_t timeout_us, struct tc_app_result *res,
		  struct tc_err *err)
{
	struct agent_ref *s = (struct agent_ref *)base;
	const char *verb = tc_app_verb_name(act->verb);
	uint64_t now = agent_now_us();
	uint64_t deadline_us = timeout_us > UINT64_MAX - now ? UINT64_MAX : now + timeout_us;
	uint16_t port = act->port ? act->port : s->port;
	struct refstack_conn *c = NULL;
	int rc = 0;

	switch (act->verb) {
	case TC_APP_LISTEN:
		rc = refstack_listen(s->stack, port, now);
		break;
	case TC_APP_CLOSE_LISTENER:
		rc = refstack_close_listener(s->stack, port, now);
		break;
	case TC_APP_CONNECT:
		rc = refstack_connect(s->stack, s->port, &s->peer, s->peer_port, now, &c);
		if (rc == 0)
			s->conn = c;
		break;
	case TC_APP_ACCEPT:
		while ((rc = refstack_accept(s->stack, s->port, &c)) == -EAGAIN) {
			int w = rs_wait(s, deadline_us, err);

			if (w < 0)
				return -1;
			if (w == 0)
				return tc_err_set(err, TC_ERR_TARGET,
						  "accept: no established connection is waiting on port %u", s->port);
		}
		if (rc == 0)
			s->conn = c;
		break;
	case TC_APP_SEND:
	case TC_APP_RECV:
	case TC_APP_SHUTDOWN:
	case TC_APP_CLOSE:
	case TC_APP_ABORT:
		c = app_conn(s);
		if (!c)
			return tc_err_set(err, TC_ERR_TARGET, "%s: there is no connection", verb);
		break;
	case TC_APP__COUNT:
		return tc_err_set(err, TC_ERR_TARGET, "unknown application action");
	default:
		/* connect-result, socket options, poll, urgent: not in the
		 * agent's ref stack yet */
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "%s: not in the agent's ref stack yet", verb);
	}
	switch (act->verb) {
	case TC_APP_SEND:
		return rs_send(s, c, act, deadline_us, res, err);
	case TC_APP_RECV:
		return rs_recv(s, c, act->n, deadline_us, res, err);
	case TC_APP_SHUTDOWN:
		/* as on the ref target: RFC 9293 has no receive-side shutdown, so
		 * rd changes nothing; wr and rdwr are its CLOSE of the sending side
		 * (3.10.4) */
		if (act->shut == TC_SHUT_RD)
			rc = refstack_conn_state(c) == REFSTACK_CLOSED ? -ENOTCONN : 0;
		else
			rc = refstack_shutdown(s->stack, c, now);
		break;
	case TC_APP_CLOSE:
		rc = refstack_close(s->stack, c, now);
		break;
	case TC_APP_ABORT:
		rc = refstack_abort(s->stack, c, now);
		break;
	default:
		break;
	}
	/* the call's errno is the application's answer (9293 3.10) */
	if (rc < 0)
		res->err_no = -rc;
	return 0;
}

static int rs_state(struct agent_stack *base, enum tc_state *out, struct tc_transitions *since, struct tc_err *err)
{
	struct agent_ref *s = (struct agent_ref *)base;
	struct refstack_conn *c;

	if (s->send_error[0]) {
		tc_err_set(err, TC_ERR_SYSTEM, "the stack could not send: %s", s->send_error);
		s->send_error[0] = '\0';
		return -1;
	}
	if (s->trans_overflow)
		return tc_err_set(err, TC_ERR_SYSTEM, "more than %d transitions between two state reads",
				  TC_MAX_TRANSITIONS);
	c = refstack_find(s->stack, s->port, &s->peer, s->peer_port);
	if (c)
		*out = ref_setup_state(refstack_conn_state(c));
	else
		*out = refstack_listening(s->stack, s->port) ? TC_LISTEN : TC_CLOSED;
	if (since)
		*since = s->trans;
	s->trans.n = 0;
	return 0;
}

static void rs_case_end(struct agent_stack *base)
{
	struct agent_ref *s = (struct agent_ref *)base;

	/* Its connections vanish with it, without a segment: the case is
	 * over, and nothing may reach the wire that no step asked for. */
	refstack_free(s->stack);
	s->stack = NULL;
}

static void rs_free(struct agent_stack *base)
{
	struct agent_ref *s = (struct agent_ref *)base;

	rs_case_end(base);
	agent_link_close(s->link);
	free(s);
}

static const struct agent_stack_ops ref_ops = {
	.name = "ref",
	.transitions = true,
	.case_begin = rs_case_begin,
	.app = rs_app,
	.state = rs_state,
	.case_end = rs_case_end,
	.poll_fd = rs_poll_fd,
	.next_deadline_us = rs_next_deadline,
	.service = rs_service,
	.free = rs_free,
};

struct agent_stack *agent_stack_ref_new(const struct agent_ref_conf *conf, struct tc_err *err)
{
	struct agent_ref *s;

	if (!conf->ifname) {
		tc_err_set(err, TC_ERR_USAGE, "--stack ref needs --netdev IFACE");
		return NULL;
	}
	if (!conf->have4 && !conf->have6) {
		tc_err_set(err, TC_ERR_USAGE, "--stack ref needs its own address (--address, IPv4 and/or IPv6)");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		tc_err_set(err, TC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->base.ops = &ref_ops;
	s->conf = *conf;
#ifdef REFSTACK_FAULTS
	if (conf->fault && refstack_fault_parse(conf->fault, &s->fault) != 0) {
		tc_err_set(err, TC_ERR_USAGE, "unknown fault '%s' (tcpconform-faults run --list-faults lists them)",
			   conf->fault);
		free(s);
		return NULL;
	}
#else
	if (conf->fault) {
		tc_err_set(err, TC_ERR_USAGE, "this build has no seeded faults; use tcpconform-faults");
		free(s);
		return NULL;
	}
#endif
	s->link = agent_link_open(conf->ifname, conf->have4 ? &conf->addr4 : NULL, conf->have6 ? &conf->addr6 : NULL,
				  err);
	if (!s->link) {
		free(s);
		return NULL;
	}
	for (int i = 0; i < conf->nneigh; i++)
		if (agent_link_add_neigh(s->link, &conf->neigh_addr[i], conf->neigh_mac[i], err)) {
			rs_free(&s->base);
			return NULL;
		}
	return &s->base;
}
