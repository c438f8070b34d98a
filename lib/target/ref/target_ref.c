/* Target `ref`: the bundled reference stack, in process and in virtual
 * time. Segments go in as bytes built by lib/seg and come out as bytes parsed
 * by lib/seg, so the byte path is the same as on a real wire; the clock only
 * moves when the engine waits, jumping straight to the next timer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../refstack/refstack.h"
#include "../../seg/seg.h" /* seg_build and seg_parse: the byte path of a real wire */
#include "ref_setup.h"
#include "target_ref.h"

#define REF_QUEUE 64
#define REF_PKT_MAX (SEG_MAX_PAYLOAD + 40 + SEG_IPOPT_SPACE + 60) /* IPv6, destination options, TCP header */

struct ref_pkt {
	uint64_t at_us;
	size_t len;
	uint8_t bytes[REF_PKT_MAX];
};

/* The run: the fault every case of the run gets. */
struct ref_run {
	struct tc_target_run base;
#ifdef REFSTACK_FAULTS
	enum refstack_fault fault;
#endif
};

struct target_ref {
	struct tc_target base;
	struct refstack *stack;
	uint64_t now_us;
	struct tc_profile prof;
	struct seg_addr peer_addr, addr2;
	uint16_t port, peer_port;
	/* Packets the stack sent and the engine has not captured yet. */
	struct ref_pkt queue[REF_QUEUE];
	unsigned q_head, q_len;
	bool q_overflow;
	struct tc_transitions trans;
	/* The application's side: its connection (kept after the TCB is
	 * deleted, for the error), SO_LINGER (-1 off, else seconds) and
	 * TCP_USER_TIMEOUT (ms, 0 none) set before there was a connection,
	 * for the one connect or accept gives. */
	struct refstack_conn *conn;
	int64_t linger_s;
	/* TCP_NODELAY set before there was a connection: -1 none, else the
	 * value for every connection connect or accept makes from then on */
	int nodelay;
	int64_t user_timeout_ms;
	/* IP_TTL and IP_TOS as the application set them (9293 3.9.2) */
	uint8_t ttl, tos;
};

static void ref_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct target_ref *t = ctx;
	struct ref_pkt *slot;

	if (t->q_len == REF_QUEUE || len > REF_PKT_MAX) {
		t->q_overflow = true;
		return;
	}
	slot = &t->queue[(t->q_head + t->q_len) % REF_QUEUE];
	slot->at_us = t->now_us;
	slot->len = len;
	memcpy(slot->bytes, pkt, len);
	t->q_len++;
}

static void ref_transition(void *ctx, const struct refstack_conn *c, enum refstack_state from,
			   enum refstack_state to, enum refstack_cause cause)
{
	struct target_ref *t = ctx;

	(void)cause;
	if (refstack_conn_lport(c) != t->port || t->trans.n == TC_MAX_TRANSITIONS)
		return;
	t->trans.from[t->trans.n] = ref_setup_state(from);
	t->trans.to[t->trans.n] = ref_setup_state(to);
	t->trans.n++;
}

static struct tc_target_run *ref_run_open(const struct tc_run_conf *conf, struct tc_err *err)
{
	struct ref_run *run = calloc(1, sizeof(*run));

	if (!run) {
		tc_err_set(err, TC_ERR_NOMEM, "ref target: out of memory");
		return NULL;
	}
	run->base.ops = &target_ref_ops;
#ifdef REFSTACK_FAULTS
	if (conf->fault && refstack_fault_parse(conf->fault, &run->fault) != 0) {
		tc_err_set(err, TC_ERR_USAGE, "unknown fault '%s' (--list-faults lists them)",
			   conf->fault);
		free(run);
		return NULL;
	}
#else
	if (conf->fault) {
		tc_err_set(err, TC_ERR_USAGE,
			   "this build has no seeded faults; use tcpconform-faults");
		free(run);
		return NULL;
	}
#endif
	return &run->base;
}

static void ref_run_close(struct tc_target_run *base)
{
	free(base);
}

static const struct tc_profile *ref_default_profile(void)
{
	return ref_setup_default_profile();
}

static struct tc_target *ref_open(struct tc_target_run *runbase, const struct tc_target_conf *conf,
				  struct tc_err *err)
{
	struct target_ref *t = calloc(1, sizeof(*t));
	struct refstack_config cfg;
	struct refstack_io io = {0};

	/* RFC 1122 3.3.5: the reference stack always takes source routes */
	if (conf->case_conf && (conf->case_conf->fields & TC_C_ACCEPT_SOURCE_ROUTE) &&
	    !conf->case_conf->accept_source_route) {
		free(t);
		tc_err_set(err, TC_ERR_UNSUPPORTED,
			   "ref target: the reference stack always takes source-routed datagrams (accept_source_route: off)");
		return NULL;
	}
	/* RFC 8985 7: the reference stack sends no tail loss probes */
	if (conf->case_conf && (conf->case_conf->fields & TC_C_TLP) && conf->case_conf->tlp) {
		free(t);
		tc_err_set(err, TC_ERR_UNSUPPORTED, "ref target: the reference stack has no tail loss probes (tlp: on)");
		return NULL;
	}
	if (!t) {
		tc_err_set(err, TC_ERR_NOMEM, "ref target: out of memory");
		return NULL;
	}
	t->base.ops = &target_ref_ops;
	t->base.run = runbase;
	t->now_us = REF_EPOCH_US;
	t->peer_addr = conf->peer_addr;
	t->port = conf->port;
	t->peer_port = conf->peer_port;
	t->linger_s = -1;
	t->nodelay = -1;
	t->ttl = 64; /* the stack's default (refstack_config_default) */

	ref_setup_config(&cfg, &t->prof, ref_setup_default_profile(), &conf->target_addr, conf->case_conf,
			 conf->profile);
	/* a multihomed host (9293 3.9.1.1): the run's second address */
	cfg.addr2 = conf->target_addr2;
	t->addr2 = conf->target_addr2;
#ifdef REFSTACK_FAULTS
	cfg.fault = ((struct ref_run *)runbase)->fault;
#endif
	io.ctx = t;
	io.output = ref_output;
	io.transition = ref_transition;
	t->stack = refstack_new(&cfg, &io);
	if (!t->stack) {
		tc_err_set(err, TC_ERR_NOMEM, "ref target: cannot create the reference stack");
		free(t);
		return NULL;
	}
	return &t->base;
}

static void ref_close(struct tc_target *base)
{
	struct target_ref *t = (struct target_ref *)base;

	refstack_free(t->stack);
	free(t);
}

static int ref_inject(struct tc_target *base, const struct tc_seg *s, struct tc_err *err)
{
	struct target_ref *t = (struct target_ref *)base;
	uint8_t pkt[REF_PKT_MAX];
	int len = seg_build(s, pkt, sizeof(pkt), err);

	if (len < 0)
		return -1;
	/* The drop reason is the stack's business: the engine judges only what
	 * the stack does on the wire and in its state. */
	(void)refstack_input(t->stack, pkt, (size_t)len, t->now_us);
	return 0;
}

/* Let virtual time run to `until`, firing timers on the way; stops early at
 * the first timer that makes the stack send when stop_on_output is set. */
static void ref_advance(struct target_ref *t, uint64_t until, bool stop_on_output)
{
	for (;;) {
		if (stop_on_output && t->q_len > 0)
			return;
		uint64_t next = refstack_next_deadline(t->stack);
		if (next > until)
			break;
		if (next > t->now_us)
			t->now_us = next;
		refstack_timers(t->stack, t->now_us);
	}
	if (until > t->now_us)
		t->now_us = until;
}

static int ref_capture(struct tc_target *base, uint64_t deadline_us, struct tc_seg *out,
		       uint64_t *at_us, struct tc_err *err)
{
	struct target_ref *t = (struct target_ref *)base;
	struct ref_pkt *p;

	if (t->q_len == 0)
		ref_advance(t, deadline_us, true);
	if (t->q_overflow)
		return tc_err_set(err, TC_ERR_TARGET,
				  "ref target: more than %d segments sent without being captured",
				  REF_QUEUE);
	if (t->q_len == 0)
		return 0;
	p = &t->queue[t->q_head];
	t->q_head = (t->q_head + 1) % REF_QUEUE;
	t->q_len--;
	if (seg_parse(p->bytes, p->len, out, err) != 0) {
		tc_err_prefix(err, "ref target sent a segment that does not parse");
		return -1;
	}
	*at_us = p->at_us;
	return 1;
}

static void fill_pattern(uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)('a' + i % 26);
}

static struct refstack_conn *ref_conn(struct target_ref *t)
{
	return refstack_find(t->stack, t->port, &t->peer_addr, t->peer_port);
}

/* The application's connection, as a socket would hold it: the TCB of
 * the case's four-tuple, or the one connect or accept gave, which after a
 * reset or a timeout is deleted but still reads as CLOSED with the error
 * the application is to be told (refstack.h). */
static struct refstack_conn *app_conn(struct target_ref *t)
{
	struct refstack_conn *c = ref_conn(t);

	if (c) {
		t->conn = c;
		return c;
	}
	if (t->conn && refstack_conn_lport(t->conn) == t->port && refstack_conn_rport(t->conn) == t->peer_port)
		return t->conn;
	return NULL;
}

static void set_errno(struct tc_app_result *res, int rc)
{
	if (rc < 0)
		res->err_no = -rc;
	else
		res->value = rc;
}

static void ref_send(struct target_ref *t, struct refstack_conn *c, const struct tc_app *act,
		     struct tc_app_result *res, struct tc_err *err)
{
	const uint8_t *data = act->data;
	uint8_t *buf = NULL;
	size_t n = act->len;
	int rc;

	if (!n) {
		n = act->n;
		buf = malloc(n);
		if (!buf) {
			tc_err_set(err, TC_ERR_NOMEM, "ref target: no memory for a %zu-byte send", n);
			return;
		}
		fill_pattern(buf, n);
		data = buf;
	}
	/* one call, as one write(): the stack cuts it into segments itself */
	rc = act->urgent ? refstack_send_urgent(t->stack, c, data, n, t->now_us)
			 : refstack_send(t->stack, c, data, n, t->now_us);
	set_errno(res, rc);
	free(buf);
}

/* Up to N bytes, the first kept for the engine to compare; an empty
 * queue is the end of stream once the peer's FIN was read, else a call
 * that would wait (EAGAIN: in virtual time nothing arrives during it). */
static void ref_recv(struct target_ref *t, struct refstack_conn *c, uint32_t want, struct tc_app_result *res)
{
	uint8_t buf[SEG_MAX_PAYLOAD];
	uint64_t total = 0;
	int rc = 0;

	while (total < want) {
		size_t chunk = want - total < sizeof(buf) ? want - total : sizeof(buf);

		rc = refstack_recv(t->stack, c, buf, chunk, t->now_us);
		if (rc <= 0)
			break;
		if (total < sizeof(res->data)) {
			size_t keep = sizeof(res->data) - total < (size_t)rc ? sizeof(res->data) - total : (size_t)rc;
			memcpy(res->data + total, buf, keep);
			res->ndata = (uint16_t)(total + keep);
		}
		total += (uint64_t)rc;
	}
	res->value = (int64_t)total;
	if (total == 0 && want > 0) {
		if (rc < 0)
			res->err_no = -rc;
		else if (!refstack_conn_eof(c))
			res->err_no = EAGAIN;
	}
	res->more = refstack_conn_readable(c) > 0;
}

/* Readiness now: in virtual time no segment arrives during an app step,
 * so waiting would change nothing the case could see. */
static void ref_poll(const struct refstack *s, struct refstack_conn *c, const struct tc_app *act,
		     struct tc_app_result *res)
{
	bool broken = refstack_conn_state(c) == REFSTACK_CLOSED || refstack_conn_error(c);

	switch (act->poll) {
	case TC_POLL_READABLE:
		res->value = refstack_conn_readable(c) > 0 || refstack_conn_eof(c) || broken;
		return;
	case TC_POLL_WRITABLE:
		res->value = refstack_conn_snd_space(c) > 0 || broken;
		return;
	case TC_POLL_URGENT:
		/* 9293 3.10.7.4 step 6: the user is told of urgent data (MUST-32) */
		res->value = refstack_conn_urgent(s, c) > 0;
		return;
	case TC_POLL_ATMARK:
		/* MUST-33: the user learns where the urgent data ends */
		res->value = refstack_conn_atmark(s, c);
		return;
	}
}

static void ref_connect_result(struct refstack_conn *c, struct tc_app_result *res)
{
	switch (refstack_conn_state(c)) {
	case REFSTACK_SYN_SENT:
	case REFSTACK_SYN_RECEIVED:
		res->err_no = EINPROGRESS;
		return;
	case REFSTACK_CLOSED:
		res->err_no = refstack_conn_error(c) ? -refstack_conn_error(c) : ENOTCONN;
		return;
	case REFSTACK_LISTEN:
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		break;
	}
}

/* A TCP_NODELAY or TCP_USER_TIMEOUT set before the connection existed
 * reaches it now. */
static void ref_conn_inherit(struct target_ref *t, struct refstack_conn *c)
{
	if (t->nodelay >= 0)
		(void)refstack_set_nagle(t->stack, c, t->nodelay == 0, t->now_us);
	if (t->user_timeout_ms)
		refstack_set_user_timeout(t->stack, c, (uint64_t)t->user_timeout_ms * 1000, t->now_us);
}

/* SO_LINGER is the application's side of close (a linger of 0 makes close
 * an ABORT, 3.10.5); TCP_MAXSEG reads Eff.snd.MSS and cannot be set (the
 * stack's MSS is its configuration); TCP_NODELAY is the connection's Nagle
 * algorithm turned off (9293 3.7.4, MUST-17); TCP_USER_TIMEOUT is R2 as a
 * time (9293 3.8.3 MUST-21, RFC 5482), in milliseconds as Linux takes it.
 * Both, set before there is a connection, are kept for the next one. */
static void ref_sockopt(struct target_ref *t, struct refstack_conn *c, const struct tc_app *act,
			struct tc_app_result *res)
{
	bool set = act->verb == TC_APP_SETSOCKOPT;

	switch (act->opt) {
	case TC_SO_LINGER:
		if (set)
			t->linger_s = act->optval;
		else
			res->value = t->linger_s;
		return;
	case TC_SO_TCP_USER_TIMEOUT:
		if (set && act->optval < 0) {
			res->err_no = EINVAL;
		} else if (set) {
			t->user_timeout_ms = act->optval;
			if (c)
				set_errno(res, refstack_set_user_timeout(t->stack, c, (uint64_t)act->optval * 1000,
									 t->now_us));
		} else {
			res->value = c ? (int64_t)(refstack_conn_user_timeout(c) / 1000) : t->user_timeout_ms;
		}
		return;
	case TC_SO_IP_TTL:
	case TC_SO_IP_TOS:
		/* 9293 3.9.2 (MUST-49, MUST-48): the socket's connection now,
		 * and the connections it makes or accepts from now on */
		if (!set) {
			res->value = act->opt == TC_SO_IP_TTL ? t->ttl : t->tos;
			return;
		}
		if (act->optval < (act->opt == TC_SO_IP_TTL ? 1 : 0) || act->optval > 255) {
			res->err_no = EINVAL;
			return;
		}
		if (act->opt == TC_SO_IP_TTL)
			t->ttl = (uint8_t)act->optval;
		else
			t->tos = (uint8_t)act->optval;
		refstack_set_ip_defaults(t->stack, t->ttl, t->tos);
		if (c)
			(void)refstack_set_ip(t->stack, c, t->ttl, t->tos);
		return;
	case TC_SO_IP_OPTIONS:
		/* 9293 3.9.2.1 (MUST-51): the route the active opens take;
		 * on an IPv6 connection it is kept and sends nothing, as on
		 * Linux */
		set_errno(res, refstack_set_route(t->stack, c, act->data, act->len));
		return;
	case TC_SO_IPV6_RTHDR:
		/* RFC 5095 3: "IPv6 nodes MUST NOT originate IPv6 packets
		 * containing a Type 0 Routing header"; the stack sends no
		 * routing header of another type either, and Linux answers
		 * a type it does not take with EINVAL too */
		res->err_no = EINVAL;
		return;
	case TC_SO_TCP_MAXSEG:
		if (set)
			res->err_no = ENOPROTOOPT;
		else if (!c)
			res->err_no = ENOTCONN;
		else
			res->value = refstack_conn_snd_mss(c);
		return;
	case TC_SO_TCP_NODELAY:
		if (set && c)
			set_errno(res, refstack_set_nagle(t->stack, c, act->optval == 0, t->now_us));
		else if (set)
			t->nodelay = act->optval != 0;
		else if (c)
			res->value = !refstack_conn_nagle(c);
		else
			res->err_no = ENOTCONN;
		return;
	default:
		res->err_no = ENOPROTOOPT;
		return;
	}
}

static int ref_app(struct tc_target *base, const struct tc_app *act, struct tc_app_result *res,
		   struct tc_err *err)
{
	struct target_ref *t = (struct target_ref *)base;
	const char *verb = tc_app_verb_name(act->verb);
	struct refstack_conn *c = NULL;
	int rc = 0;

	switch (act->verb) {
	case TC_APP_LISTEN:
		set_errno(res, refstack_listen(t->stack, act->port ? act->port : t->port, t->now_us));
		return 0;
	case TC_APP_CLOSE_LISTENER:
		set_errno(res, refstack_close_listener(t->stack, act->port ? act->port : t->port, t->now_us));
		return 0;
	case TC_APP_CONNECT: {
		struct seg_addr dst = t->peer_addr;

		if (act->connect_to != TC_CONNECT_PEER)
			tc_connect_addr(act->connect_to, t->peer_addr.family, &dst);
		/* 9293 3.9.1.1 (MUST-43): the local address the OPEN names */
		rc = refstack_connect_from(t->stack, act->local == TC_LOCAL_SECOND ? &t->addr2 : NULL, t->port, &dst,
					   t->peer_port, t->now_us, &c);
		if (rc == 0) {
			t->conn = c;
			ref_conn_inherit(t, c);
		}
		set_errno(res, rc);
		return 0;
	}
	case TC_APP_ACCEPT:
		rc = refstack_accept(t->stack, t->port, &c);
		if (rc == -EAGAIN)
			return tc_err_set(err, TC_ERR_TARGET,
					  "accept: no established connection is waiting on port %u",
					  t->port);
		if (rc == 0) {
			t->conn = c;
			ref_conn_inherit(t, c);
		}
		set_errno(res, rc);
		return 0;
	case TC_APP_SETSOCKOPT:
	case TC_APP_GETSOCKOPT:
		ref_sockopt(t, app_conn(t), act, res);
		return 0;
	case TC_APP_SEND:
	case TC_APP_RECV:
	case TC_APP_SHUTDOWN:
	case TC_APP_CLOSE:
	case TC_APP_ABORT:
	case TC_APP_CONNECT_RESULT:
	case TC_APP_POLL:
		c = app_conn(t);
		if (!c)
			return tc_err_set(err, TC_ERR_TARGET, "%s: there is no connection", verb);
		break;
	case TC_APP__COUNT:
		return tc_err_set(err, TC_ERR_TARGET, "unknown application action");
	}

	switch (act->verb) {
	case TC_APP_SEND:
		ref_send(t, c, act, res, err);
		return err->code ? -1 : 0;
	case TC_APP_RECV:
		ref_recv(t, c, act->n, res);
		return 0;
	case TC_APP_SHUTDOWN:
		/* RFC 9293 has no receive-side shutdown (3.10.4 CLOSE closes
		 * the sending side): rd changes nothing in TCP, the stack
		 * keeps receiving and acknowledging */
		if (act->shut == TC_SHUT_RD)
			rc = refstack_conn_state(c) == REFSTACK_CLOSED ? -ENOTCONN : 0;
		else
			rc = refstack_shutdown(t->stack, c, t->now_us);
		break;
	case TC_APP_CLOSE:
		/* SO_LINGER 0: close is an ABORT (3.10.5) */
		rc = t->linger_s == 0 ? refstack_abort(t->stack, c, t->now_us)
				      : refstack_close(t->stack, c, t->now_us);
		break;
	case TC_APP_ABORT:
		rc = refstack_abort(t->stack, c, t->now_us);
		break;
	case TC_APP_CONNECT_RESULT:
		ref_connect_result(c, res);
		return 0;
	case TC_APP_POLL:
		ref_poll(t->stack, c, act, res);
		return 0;
	case TC_APP_LISTEN:
	case TC_APP_CLOSE_LISTENER:
	case TC_APP_CONNECT:
	case TC_APP_ACCEPT:
	case TC_APP_SETSOCKOPT:
	case TC_APP_GETSOCKOPT:
	case TC_APP__COUNT:
		break;
	}
	set_errno(res, rc);
	return 0;
}

static int ref_state(struct tc_target *base, enum tc_state *out, struct tc_transitions *since,
		     struct tc_err *err)
{
	struct target_ref *t = (struct target_ref *)base;
	struct refstack_conn *c = ref_conn(t);

	(void)err;
	if (c)
		*out = ref_setup_state(refstack_conn_state(c));
	else
		*out = refstack_listening(t->stack, t->port) ? TC_LISTEN : TC_CLOSED;
	if (since)
		*since = t->trans;
	t->trans.n = 0;
	return 0;
}

static uint64_t ref_now(struct tc_target *base)
{
	return ((struct target_ref *)base)->now_us;
}

static int ref_sleep_until(struct tc_target *base, uint64_t t_us, struct tc_err *err)
{
	(void)err;
	ref_advance((struct target_ref *)base, t_us, false);
	return 0;
}

static const struct tc_profile *ref_profile(struct tc_target *base)
{
	return &((struct target_ref *)base)->prof;
}


const struct tc_target_ops target_ref_ops = {
	.name = "ref",
	.description = "the bundled reference stack (RFC 9293), in process, virtual time",
	.caps = TC_CAP_APP | TC_CAP_STATE | TC_CAP_VIRTUAL_TIME | TC_CAP_URGENT | TC_CAP_CONNECT_INVALID |
		TC_CAP_IP_LEVEL | TC_CAP_MULTIHOMED,
	.sockopts = 1u << TC_SO_LINGER | 1u << TC_SO_TCP_MAXSEG | 1u << TC_SO_TCP_NODELAY |
		    1u << TC_SO_TCP_USER_TIMEOUT | 1u << TC_SO_IP_TTL | 1u << TC_SO_IP_TOS | 1u << TC_SO_IP_OPTIONS |
		    1u << TC_SO_IPV6_RTHDR,
	.run_open = ref_run_open,
	.run_close = ref_run_close,
	.default_profile = ref_default_profile,
	.open = ref_open,
	.close = ref_close,
	.inject = ref_inject,
	.capture = ref_capture,
	.app = ref_app,
	.state = ref_state,
	.now = ref_now,
	.sleep_until = ref_sleep_until,
	.profile = ref_profile,
#ifdef REFSTACK_FAULTS
	.faults = ref_setup_fault_names,
#endif
};
