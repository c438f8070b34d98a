/* The reference stack: configuration, memory, lookup, the one set_state,
 * and the application interface (RFC 9293 3.10.1 - 3.10.6). */
#include "refstack_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[REFSTACK_CLOSED] = "CLOSED",
	[REFSTACK_LISTEN] = "LISTEN",
	[REFSTACK_SYN_SENT] = "SYN-SENT",
	[REFSTACK_SYN_RECEIVED] = "SYN-RECEIVED",
	[REFSTACK_ESTABLISHED] = "ESTABLISHED",
	[REFSTACK_FIN_WAIT_1] = "FIN-WAIT-1",
	[REFSTACK_FIN_WAIT_2] = "FIN-WAIT-2",
	[REFSTACK_CLOSE_WAIT] = "CLOSE-WAIT",
	[REFSTACK_CLOSING] = "CLOSING",
	[REFSTACK_LAST_ACK] = "LAST-ACK",
	[REFSTACK_TIME_WAIT] = "TIME-WAIT",
};

static const char *const drop_names[] = {
#define REFSTACK_DROP_NAME(e, str) [e] = str,
	REFSTACK_DROP_LIST(REFSTACK_DROP_NAME)
#undef REFSTACK_DROP_NAME
};

static const char *const cause_names[] = {
#define REFSTACK_CAUSE_NAME(e, str) [e] = str,
	REFSTACK_CAUSE_LIST(REFSTACK_CAUSE_NAME)
#undef REFSTACK_CAUSE_NAME
};

const char *refstack_state_name(enum refstack_state st)
{
	return (unsigned)st < sizeof(state_names) / sizeof(state_names[0]) ? state_names[st] : "?";
}

const char *refstack_drop_name(enum refstack_drop d)
{
	return (unsigned)d < REFSTACK_DROP__COUNT ? drop_names[d] : "?";
}

const char *refstack_cause_name(enum refstack_cause c)
{
	return (unsigned)c < REFSTACK_CAUSE__COUNT ? cause_names[c] : "?";
}

void refstack_config_default(struct refstack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->msl_us = REFSTACK_DEFAULT_MSL_US;
	cfg->rto_initial_us = REFSTACK_DEFAULT_RTO_US;
	cfg->rto_min_us = REFSTACK_DEFAULT_RTO_MIN_US;
	cfg->rto_max_us = REFSTACK_DEFAULT_RTO_MAX_US;
	cfg->delack_us = REFSTACK_DEFAULT_DELACK_US;
	cfg->syn_retries = REFSTACK_DEFAULT_SYN_RETRIES;
	cfg->retries = 15;
	cfg->rcv_wnd = 65535;
	cfg->mss = 1460;
	cfg->iss = 0;
	cfg->iss_mode = REFSTACK_ISS_RFC6528;
	cfg->challenge_ack_limit = REFSTACK_DEFAULT_CHALLENGE_ACK_LIMIT;
	cfg->challenge_ack_period_us = REFSTACK_DEFAULT_CHALLENGE_ACK_PERIOD_US;
	cfg->snd_buf = REFSTACK_SND_BUF_MAX;
	/* 9293 3.8.2 (MUST-19): slow start and congestion avoidance */
	cfg->cc = true;
	cfg->ttl = REFSTACK_TTL;
}

size_t refstack_size(void)
{
	return sizeof(struct refstack);
}

struct refstack *refstack_init(void *mem, const struct refstack_config *cfg,
			       const struct refstack_io *io)
{
	struct refstack *s = mem;

	if (!mem || !cfg || (cfg->addr.family != 4 && cfg->addr.family != 6) || cfg->rcv_wnd == 0 ||
	    cfg->snd_buf == 0 || (cfg->addr2.family && cfg->addr2.family != cfg->addr.family))
		return NULL;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (s->cfg.rcv_wnd > REFSTACK_RCV_BUF_MAX)
		s->cfg.rcv_wnd = REFSTACK_RCV_BUF_MAX;
	if (s->cfg.snd_buf > REFSTACK_SND_BUF_MAX)
		s->cfg.snd_buf = REFSTACK_SND_BUF_MAX;
	/* 9293 3.8.6.3 (MUST-40): "The delay MUST be less than 0.5 seconds" */
	if (s->cfg.delack_us > REFSTACK_DELACK_MAX_US)
		s->cfg.delack_us = REFSTACK_DELACK_MAX_US;
	if (io)
		s->io = *io;
	s->next_ephemeral = REFSTACK_EPHEMERAL_FIRST;
	for (unsigned i = 0; i < REFSTACK_MAX_CONNS; i++) {
		s->conns[i].snd_buf = s->snd_mem[i];
		s->conns[i].rcv_buf = s->rcv_mem[i];
	}
	return s;
}

struct refstack *refstack_new(const struct refstack_config *cfg, const struct refstack_io *io)
{
	void *mem = malloc(refstack_size());
	struct refstack *s;

	if (!mem)
		return NULL;
	s = refstack_init(mem, cfg, io);
	if (!s)
		free(mem);
	return s;
}

void refstack_free(struct refstack *s)
{
	free(s);
}

/* Every state change, listeners' included, goes through here. */
void refstack_set_state(struct refstack *s, struct refstack_conn *c, enum refstack_state to,
			enum refstack_cause cause)
{
	enum refstack_state from = c->state;

	c->state = to;
	if (s->io.transition)
		s->io.transition(s->io.ctx, c, from, to, cause);
}

void refstack_conn_delete(struct refstack *s, struct refstack_conn *c)
{
	(void)s;
	c->used = false;
	c->rexmit_at = REFSTACK_TIMER_OFF;
	c->delack_at = REFSTACK_TIMER_OFF;
	c->timewait_at = REFSTACK_TIMER_OFF;
	c->persist_at = REFSTACK_TIMER_OFF;
	c->probe_since_us = REFSTACK_TIMER_OFF;
	c->keep_at = REFSTACK_TIMER_OFF;
	c->ack_pending = false;
}

void refstack_conn_closed(struct refstack *s, struct refstack_conn *c, enum refstack_cause cause,
			  int error)
{
	c->error = error;
	refstack_set_state(s, c, REFSTACK_CLOSED, cause);
	refstack_conn_delete(s, c);
}

struct refstack_conn *refstack_conn_alloc(struct refstack *s)
{
	for (unsigned k = 0; k < REFSTACK_MAX_CONNS; k++) {
		unsigned i = (s->next_slot + k) % REFSTACK_MAX_CONNS;
		struct refstack_conn *c = &s->conns[i];
		uint8_t *sb, *rb;

		if (c->used)
			continue;
		sb = c->snd_buf;
		rb = c->rcv_buf;
		memset(c, 0, sizeof(*c));
		c->snd_buf = sb;
		c->rcv_buf = rb;
		c->used = true;
		c->state = REFSTACK_CLOSED;
		s->next_slot = (i + 1) % REFSTACK_MAX_CONNS;
		return c;
	}
	return NULL;
}

void refstack_conn_setup(struct refstack *s, struct refstack_conn *c, const struct seg_addr *laddr,
			 uint16_t lport, const struct seg_addr *raddr, uint16_t rport)
{
	c->lport = lport;
	c->rport = rport;
	c->raddr = *raddr;
	c->laddr = laddr ? *laddr : s->cfg.addr;
	/* 9293 3.4.1: the ISS from the injected source, RFC 6528 or fixed */
	c->iss = refstack_iss_choose(s, &c->laddr, lport, raddr, rport);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->snd_buf_seq = c->iss + 1;
	c->snd_cap = s->cfg.snd_buf;
	c->rcv_cap = s->cfg.rcv_wnd;
	c->rcv_wnd = s->cfg.rcv_wnd;
	c->snd_mss = s->cfg.addr.family == 6 ? REFSTACK_DEFAULT_MSS_V6 : REFSTACK_DEFAULT_MSS_V4;
	c->rto_us = refstack_rto_initial(s);
	c->rexmit_at = REFSTACK_TIMER_OFF;
	c->delack_at = REFSTACK_TIMER_OFF;
	c->timewait_at = REFSTACK_TIMER_OFF;
	c->persist_at = REFSTACK_TIMER_OFF;
	c->probe_since_us = REFSTACK_TIMER_OFF;
	c->keep_at = REFSTACK_TIMER_OFF;
	c->nagle = s->cfg.nagle;
	/* 9293 3.8.4 (MUST-25): keep-alive is off unless asked for */
	c->keep_idle_us = s->cfg.keepalive_us;
#ifdef REFSTACK_FAULTS
	/* fault keepalive-on-by-default: on, two hours, for everyone */
	if (refstack_fault_on(s, REFSTACK_FAULT_KEEPALIVE_ON_BY_DEFAULT) && c->keep_idle_us == 0)
		c->keep_idle_us = REFSTACK_DEFAULT_KEEPALIVE_US;
#endif
	c->keep_intvl_us = s->cfg.keepalive_intvl_us;
	c->user_timeout_us = s->cfg.user_timeout_us;
	c->ttl = s->cfg.ttl;
	c->tos = s->cfg.tos;
}

int refstack_set_ip(struct refstack *s, struct refstack_conn *c, uint8_t ttl, uint8_t tos)
{
	(void)s;
	if (!c || !c->used || c->listener)
		return -ENOTCONN;
	c->ttl = ttl;
	c->tos = tos;
	return 0;
}

void refstack_set_ip_defaults(struct refstack *s, uint8_t ttl, uint8_t tos)
{
	s->cfg.ttl = ttl;
	s->cfg.tos = tos;
}

int refstack_set_route(struct refstack *s, struct refstack_conn *c, const uint8_t *opts, size_t n)
{
	struct refstack_app_route r;
	int rc = refstack_route_app(opts, n, &r);

	if (rc < 0)
		return rc;
	s->app_route = r;
	if (c && c->used && !c->listener)
		refstack_route_apply(&r, c);
	return 0;
}

struct refstack_conn *refstack_find(struct refstack *s, uint16_t lport,
				    const struct seg_addr *raddr, uint16_t rport)
{
	for (unsigned i = 0; i < REFSTACK_MAX_CONNS; i++) {
		struct refstack_conn *c = &s->conns[i];

		if (c->used && c->lport == lport && c->rport == rport && refstack_addr_eq(&c->raddr, raddr))
			return c;
	}
	return NULL;
}

struct refstack_conn *refstack_listener_find(struct refstack *s, uint16_t port)
{
	for (unsigned i = 0; i < REFSTACK_MAX_LISTENERS; i++) {
		struct refstack_conn *l = &s->listeners[i];

		if (l->used && l->lport == port)
			return l;
	}
	return NULL;
}

bool refstack_listening(const struct refstack *s, uint16_t port)
{
	for (unsigned i = 0; i < REFSTACK_MAX_LISTENERS; i++)
		if (s->listeners[i].used && s->listeners[i].lport == port)
			return true;
	return false;
}

bool refstack_addr_eq(const struct seg_addr *a, const struct seg_addr *b)
{
	/* constant lengths, so the compiler compares in place */
	if (a->family != b->family)
		return false;
	return a->family == 4 ? memcmp(a->bytes, b->bytes, 4) == 0 : memcmp(a->bytes, b->bytes, 16) == 0;
}

uint32_t refstack_eff_mss(const struct refstack *s, const struct refstack_rx_seg *syn)
{
	/* 9293 3.7.1 (MUST-15), RFC 6691: no option -> 536 (IPv4) / 1220 (IPv6) */
	uint32_t mss = syn->has_mss ? syn->mss
			 : (s->cfg.addr.family == 6 ? REFSTACK_DEFAULT_MSS_V6 : REFSTACK_DEFAULT_MSS_V4);

	/* never more than we announced ourselves */
	if (s->cfg.mss && s->cfg.mss < mss)
		mss = s->cfg.mss;
	/* never more than one struct tc_seg carries */
	if (mss > SEG_MAX_PAYLOAD)
		mss = SEG_MAX_PAYLOAD;
	/* an MSS option of 0 would stall the connection: send 1-byte segments */
	if (mss == 0)
		mss = 1;
	return mss;
}

bool refstack_fin_acked(const struct refstack_conn *c)
{
	return c->fin_sent && seq_gt(c->snd_una, c->fin_seq);
}

void refstack_snd_acked(struct refstack_conn *c)
{
	uint32_t n;

	/* 9293 3.8.5: the urgent data is acknowledged: urgent mode ends */
	if (c->snd_urg && !seq_lt(c->snd_una, c->snd_up))
		c->snd_urg = false;

	if (!seq_gt(c->snd_una, c->snd_buf_seq))
		return;
	n = c->snd_una - c->snd_buf_seq;
	if (n > c->snd_len)
		n = c->snd_len; /* the rest of the acknowledged range is our FIN */
	c->snd_head = refstack_ring_pos(c->snd_cap, c->snd_head, n);
	c->snd_len -= n;
	c->snd_buf_seq += n;
}

void refstack_rcv_put(struct refstack_conn *c, const uint8_t *data, uint32_t len)
{
	refstack_ring_write(c->rcv_buf, c->rcv_cap, refstack_ring_pos(c->rcv_cap, c->rcv_head, c->rcv_len),
			    data, len);
	c->rcv_len += len;
}

void refstack_enter_established(struct refstack *s, struct refstack_conn *c,
				enum refstack_cause cause, uint64_t now_us)
{
	c->was_established = true;
	c->est_order = ++s->est_counter;
	refstack_set_state(s, c, REFSTACK_ESTABLISHED, cause);
	/* RFC 5681 3.1: the initial window, once SMSS is known */
	refstack_cc_init(s, c);
	/* 3.10.7.2: text that came on the SYN is processed now */
	refstack_syn_text_take(c);
	refstack_keepalive_heard(s, c, now_us);
	/* 9293 3.10.4 SYN-RECEIVED: a CLOSE with pending data waits for
	 * ESTABLISHED, then the FIN follows the data. */
	if (c->fin_queued)
		refstack_set_state(s, c, REFSTACK_FIN_WAIT_1, REFSTACK_CAUSE_APP_CLOSE);
}

/* 9293 3.10.1 OPEN, passive */
int refstack_listen(struct refstack *s, uint16_t port, uint64_t now_us)
{
	s->now_us = now_us;
	if (port == 0)
		return -EINVAL;
	if (refstack_listener_find(s, port))
		return -EADDRINUSE;
	for (unsigned i = 0; i < REFSTACK_MAX_LISTENERS; i++) {
		struct refstack_conn *l = &s->listeners[i];

		if (l->used)
			continue;
		memset(l, 0, sizeof(*l));
		l->used = true;
		l->listener = true;
		l->lport = port;
		l->state = REFSTACK_CLOSED;
		l->rexmit_at = REFSTACK_TIMER_OFF;
		l->delack_at = REFSTACK_TIMER_OFF;
		l->timewait_at = REFSTACK_TIMER_OFF;
		l->persist_at = REFSTACK_TIMER_OFF;
		l->probe_since_us = REFSTACK_TIMER_OFF;
		l->keep_at = REFSTACK_TIMER_OFF;
		refstack_set_state(s, l, REFSTACK_LISTEN, REFSTACK_CAUSE_APP_LISTEN);
		return 0;
	}
	return -ENOBUFS;
}

/* 9293 3.10.4 CLOSE, LISTEN STATE: "Any outstanding RECEIVEs are returned
 * ... delete TCB". Only the listener goes: a connection a SYN made from it
 * is a TCB of its own (in the RFC it is the former LISTEN TCB itself) and
 * lives on; refstack_find reaches it, refstack_accept still hands it out. */
int refstack_close_listener(struct refstack *s, uint16_t port, uint64_t now_us)
{
	struct refstack_conn *l = refstack_listener_find(s, port);

	(void)now_us;
	if (!l)
		return -ENOTCONN;
	refstack_set_state(s, l, REFSTACK_CLOSED, REFSTACK_CAUSE_APP_CLOSE);
	l->used = false;
	return 0;
}

static bool lport_in_use(const struct refstack *s, uint16_t port)
{
	for (unsigned i = 0; i < REFSTACK_MAX_CONNS; i++)
		if (s->conns[i].used && s->conns[i].lport == port)
			return true;
	return refstack_listening(s, port);
}

/* RFC 1122 4.2.3.10 (9293 3.9.2.1, MUST-46): "A TCP implementation MUST
 * reject as an error a local OPEN call for an invalid remote IP address
 * (e.g., a broadcast or multicast address)". Invalid here: unspecified
 * (0.0.0.0, ::), limited broadcast 255.255.255.255, class D and E
 * (224/4, 240/4: RFC 1112 4, RFC 1122 3.2.1.3) and IPv6 multicast
 * (ff00::/8, RFC 4291 2.7). */
static bool unicast_host(const struct refstack *s, const struct seg_addr *a)
{
	static const uint8_t zero[16];

	(void)s;
#ifdef REFSTACK_FAULTS
	/* fault connect-multicast: any address goes */
	if (refstack_fault_on(s, REFSTACK_FAULT_CONNECT_MULTICAST))
		return true;
#endif
	if (a->family == 4)
		return memcmp(a->bytes, zero, 4) != 0 && a->bytes[0] < 224;
	return memcmp(a->bytes, zero, 16) != 0 && a->bytes[0] != 0xff;
}

/* 9293 3.10.1 OPEN, active: <SEQ=ISS><CTL=SYN>, enter SYN-SENT */
int refstack_connect(struct refstack *s, uint16_t lport, const struct seg_addr *raddr,
		     uint16_t rport, uint64_t now_us, struct refstack_conn **out)
{
	return refstack_connect_from(s, NULL, lport, raddr, rport, now_us, out);
}

bool refstack_addr_own(const struct refstack *s, const struct seg_addr *a)
{
	return refstack_addr_eq(a, &s->cfg.addr) || (s->cfg.addr2.family && refstack_addr_eq(a, &s->cfg.addr2));
}

int refstack_connect_from(struct refstack *s, const struct seg_addr *laddr, uint16_t lport,
			  const struct seg_addr *raddr, uint16_t rport, uint64_t now_us, struct refstack_conn **out)
{
	struct refstack_conn *c;

	s->now_us = now_us;
	if (!raddr || raddr->family != s->cfg.addr.family || rport == 0)
		return -EINVAL;
	if (!unicast_host(s, raddr))
		return -ENETUNREACH;
	if (laddr && !refstack_addr_own(s, laddr))
		return -EADDRNOTAVAIL;
	if (lport == 0) {
		for (unsigned k = 0; k < 65536u - REFSTACK_EPHEMERAL_FIRST && lport == 0; k++) {
			uint16_t p = s->next_ephemeral;

			s->next_ephemeral = p == 65535 ? REFSTACK_EPHEMERAL_FIRST : (uint16_t)(p + 1);
			if (!lport_in_use(s, p))
				lport = p;
		}
		if (lport == 0)
			return -EADDRINUSE;
	}
	if (refstack_find(s, lport, raddr, rport))
		return -EADDRINUSE;
	c = refstack_conn_alloc(s);
	if (!c)
		return -ENOBUFS;
	refstack_conn_setup(s, c, laddr, lport, raddr, rport);
	/* 9293 3.9.2.1 (MUST-51): the application's route, from the SYN on */
#ifdef REFSTACK_FAULTS
	if (!refstack_fault_on(s, REFSTACK_FAULT_APP_ROUTE_IGNORED))
#endif
		refstack_route_apply(&s->app_route, c);
	c->accepted = true;
	refstack_set_state(s, c, REFSTACK_SYN_SENT, REFSTACK_CAUSE_APP_CONNECT);
	refstack_out_syn(s, c, now_us);
	if (out)
		*out = c;
	return 0;
}

int refstack_accept(struct refstack *s, uint16_t lport, struct refstack_conn **out)
{
	struct refstack_conn *best = NULL;

	for (unsigned i = 0; i < REFSTACK_MAX_CONNS; i++) {
		struct refstack_conn *c = &s->conns[i];

		if (c->used && c->passive && !c->accepted && c->was_established && c->lport == lport &&
		    (!best || c->est_order < best->est_order))
			best = c;
	}
	if (!best)
		return -EAGAIN;
	best->accepted = true;
	if (out)
		*out = best;
	return 0;
}

static int conn_gone(const struct refstack_conn *c)
{
	return c->error ? c->error : -ENOTCONN;
}

/* 9293 3.10.2 SEND */
int refstack_send(struct refstack *s, struct refstack_conn *c, const uint8_t *data,
		  size_t len, uint64_t now_us)
{
	uint32_t space, n;

	s->now_us = now_us;
	if (!c || !c->used || c->listener)
		return c ? conn_gone(c) : -EINVAL;
	switch (c->state) {
	case REFSTACK_SYN_SENT:
	case REFSTACK_SYN_RECEIVED:
	case REFSTACK_ESTABLISHED:
	case REFSTACK_CLOSE_WAIT:
		/* SYN-SENT, SYN-RECEIVED: queued until ESTABLISHED */
		if (c->fin_queued)
			return -EPIPE;
		break;
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* "error: connection closing" */
		return -EPIPE;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
		return -ENOTCONN;
	}
	space = c->snd_cap - c->snd_len;
	if (len == 0)
		return 0;
	if (space == 0)
		return -EAGAIN;
	n = len < space ? (uint32_t)len : space;
	refstack_ring_write(c->snd_buf, c->snd_cap, refstack_ring_pos(c->snd_cap, c->snd_head, c->snd_len),
			    data, n);
	c->snd_len += n;
	refstack_output(s, c, now_us);
	return (int)n;
}

/* 9293 3.10.2 SEND, URGENT flag: "If the urgent flag is set, then SND.UP
 * <- SND.NXT and set the urgent pointer in the outgoing segments"; with
 * queued text SND.NXT is where the queue ends, the octet after the urgent
 * data (3.8.5). The pointer is set before the bytes go out, so the first
 * segment carrying them carries URG too. */
int refstack_send_urgent(struct refstack *s, struct refstack_conn *c, const uint8_t *data,
			 size_t len, uint64_t now_us)
{
	uint32_t space;

	if (!c || !c->used || c->listener || len == 0)
		return refstack_send(s, c, data, len, now_us);
	space = c->snd_cap - c->snd_len;
	if (space && (c->state == REFSTACK_ESTABLISHED || c->state == REFSTACK_CLOSE_WAIT) && !c->fin_queued) {
		c->snd_up = c->snd_buf_seq + c->snd_len + (len < space ? (uint32_t)len : space);
		c->snd_urg = true;
	}
	return refstack_send(s, c, data, len, now_us);
}

/* 9293 3.10.3 RECEIVE */
int refstack_recv(struct refstack *s, struct refstack_conn *c, uint8_t *buf, size_t cap,
		  uint64_t now_us)
{
	uint32_t n, free_space, grow, threshold;

	s->now_us = now_us;
	if (!c || !c->used || c->listener)
		return c ? conn_gone(c) : -EINVAL;
	n = cap < c->rcv_len ? (uint32_t)cap : c->rcv_len;
	refstack_ring_read(c->rcv_buf, c->rcv_cap, c->rcv_head, buf, n);
	c->rcv_head = refstack_ring_pos(c->rcv_cap, c->rcv_head, n);
	c->rcv_len -= n;
	if (n == 0)
		return c->error;

	/* 9293 3.8.6.2.2 receiver SWS avoidance: the right window edge moves
	 * only by at least min(RCV.BUFF / 2, Eff.snd.MSS); when it moves, a
	 * window update tells the peer (which may be waiting for it). */
	free_space = c->rcv_cap - c->rcv_len;
	grow = free_space - c->rcv_wnd;
	threshold = c->rcv_cap / 2 < c->snd_mss ? c->rcv_cap / 2 : c->snd_mss;
	if (threshold == 0)
		threshold = 1;
#ifdef REFSTACK_FAULTS
	/* fault no-receiver-sws: any octet freed opens the window */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_RECEIVER_SWS))
		threshold = 1;
#endif
	if (grow < threshold)
		return (int)n;
	c->rcv_wnd = free_space;
	switch (c->state) {
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
		refstack_out_ack(s, c);
		break;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
	case REFSTACK_SYN_RECEIVED:
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* the peer sends no more text: no update needed */
		break;
	}
	return (int)n;
}

/* 9293 3.10.4 CLOSE, the half that queues the FIN */
int refstack_shutdown(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	s->now_us = now_us;
	if (!c || !c->used || c->listener)
		return c ? conn_gone(c) : -EINVAL;
	switch (c->state) {
	case REFSTACK_SYN_SENT:
		/* the FIN follows once ESTABLISHED (refstack_enter_established) */
		c->fin_queued = true;
		return 0;
	case REFSTACK_SYN_RECEIVED:
		/* 9293 3.10.4 SYN-RECEIVED: "If no SENDs have been issued and
		 * there is no pending data to send, then form a FIN segment and
		 * send it, and enter FIN-WAIT-1 state; otherwise, queue for
		 * processing after entering ESTABLISHED state." */
		c->fin_queued = true;
		if (c->snd_len == 0) {
			refstack_set_state(s, c, REFSTACK_FIN_WAIT_1, REFSTACK_CAUSE_APP_CLOSE);
			refstack_output(s, c, now_us);
		}
		return 0;
	case REFSTACK_ESTABLISHED:
		/* 9293 3.10.4 ESTABLISHED: FIN after the queued SENDs, FIN-WAIT-1 */
		c->fin_queued = true;
		refstack_set_state(s, c, REFSTACK_FIN_WAIT_1, REFSTACK_CAUSE_APP_CLOSE);
		refstack_output(s, c, now_us);
		return 0;
	case REFSTACK_CLOSE_WAIT:
		/* 9293 3.10.4 CLOSE-WAIT: FIN after the queued SENDs, LAST-ACK */
		c->fin_queued = true;
		refstack_set_state(s, c, REFSTACK_LAST_ACK, REFSTACK_CAUSE_APP_CLOSE);
		refstack_output(s, c, now_us);
		return 0;
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* already closing: nothing more to do */
		return 0;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
		return -ENOTCONN;
	}
	return -ENOTCONN;
}

int refstack_close(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	if (!c || !c->used || c->listener)
		return c ? conn_gone(c) : -EINVAL;
	/* 9293 3.10.4 SYN-SENT: "Delete the TCB" */
	if (c->state == REFSTACK_SYN_SENT) {
		refstack_conn_closed(s, c, REFSTACK_CAUSE_APP_CLOSE, 0);
		return 0;
	}
	/* 9293 3.6.1, RFC 1122 4.2.2.13 (SHLD-3): "If such a host issues a
	 * CLOSE call while received data is still pending in TCP ..., its
	 * TCP SHOULD send a RST to show that data was lost": the ABORT's
	 * reset (3.10.5), the TCB deleted */
	bool data_lost = c->rcv_len > 0;

#ifdef REFSTACK_FAULTS
	/* fault no-rst-on-data-lost: the unread text is dropped silently */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_RST_ON_DATA_LOST))
		data_lost = false;
#endif
	if (data_lost) {
		s->now_us = now_us;
		refstack_out_rst(s, c);
		refstack_conn_closed(s, c, REFSTACK_CAUSE_DATA_LOST, 0);
		return 0;
	}
	c->app_closed = true;
	return refstack_shutdown(s, c, now_us);
}

/* 9293 3.10.5 ABORT */
int refstack_abort(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	s->now_us = now_us;
	if (!c || !c->used || c->listener)
		return c ? conn_gone(c) : -EINVAL;
	switch (c->state) {
	case REFSTACK_SYN_SENT:
		/* "delete the TCB" */
		break;
	case REFSTACK_SYN_RECEIVED:
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSE_WAIT:
		/* "Send a reset segment: <SEQ=SND.NXT><CTL=RST>" */
		refstack_out_rst(s, c);
		break;
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* "Respond with 'ok' and delete the TCB" */
		break;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
		return -ENOTCONN;
	}
	refstack_conn_closed(s, c, REFSTACK_CAUSE_APP_ABORT, 0);
	return 0;
}

int refstack_set_nagle(struct refstack *s, struct refstack_conn *c, bool on, uint64_t now_us)
{
	if (!c || !c->used || c->listener)
		return c ? conn_gone(c) : -EINVAL;
	c->nagle = on;
	/* turned off, held text may go now (as TCP_NODELAY pushes it) */
	if (!on)
		refstack_output(s, c, now_us);
	return 0;
}

int refstack_set_keepalive(struct refstack *s, struct refstack_conn *c, uint64_t idle_us,
			   uint64_t intvl_us, uint64_t now_us)
{
	if (!c || !c->used || c->listener)
		return c ? conn_gone(c) : -EINVAL;
	c->keep_idle_us = idle_us;
	c->keep_intvl_us = intvl_us;
	refstack_keepalive_heard(s, c, now_us);
	return 0;
}

int refstack_set_user_timeout(struct refstack *s, struct refstack_conn *c, uint64_t timeout_us,
			      uint64_t now_us)
{
	uint64_t end;

	(void)s;
	if (!c || !c->used || c->listener)
		return c ? conn_gone(c) : -EINVAL;
	c->user_timeout_us = timeout_us;
	/* a retransmission timer already running fires no later than the
	 * new limit (refstack_timer.c clamps it on every restart) */
	if (timeout_us && c->rexmit_at != REFSTACK_TIMER_OFF) {
		end = c->una_since_us + timeout_us;
		if (end < now_us)
			end = now_us;
		if (end < c->rexmit_at)
			c->rexmit_at = end;
	}
	return 0;
}

uint64_t refstack_conn_user_timeout(const struct refstack_conn *c)
{
	return c->user_timeout_us;
}

enum refstack_state refstack_conn_state(const struct refstack_conn *c)
{
	return c->used ? c->state : REFSTACK_CLOSED;
}

uint16_t refstack_conn_lport(const struct refstack_conn *c)
{
	return c->lport;
}

uint16_t refstack_conn_rport(const struct refstack_conn *c)
{
	return c->rport;
}

bool refstack_conn_eof(const struct refstack_conn *c)
{
	return c->rcv_fin && c->rcv_len == 0;
}

int refstack_conn_error(const struct refstack_conn *c)
{
	return c->error;
}

uint32_t refstack_conn_readable(const struct refstack_conn *c)
{
	return c->used ? c->rcv_len : 0;
}

uint32_t refstack_conn_snd_space(const struct refstack_conn *c)
{
	if (!c->used || c->listener || c->fin_queued)
		return 0;
	switch (c->state) {
	case REFSTACK_SYN_SENT:
	case REFSTACK_SYN_RECEIVED:
	case REFSTACK_ESTABLISHED:
	case REFSTACK_CLOSE_WAIT:
		return c->snd_cap - c->snd_len;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		break;
	}
	return 0;
}

uint32_t refstack_conn_snd_mss(const struct refstack_conn *c)
{
	return c->snd_mss;
}

bool refstack_conn_nagle(const struct refstack_conn *c)
{
	return c->nagle;
}

/* The sequence number of the next octet the application reads: RCV.NXT
 * less what is held unread (and less the FIN, which takes a number but is
 * no octet). */
static uint32_t read_seq(const struct refstack_conn *c)
{
	return c->rcv_nxt - c->rcv_len - (c->rcv_fin ? 1u : 0u);
}

uint32_t refstack_conn_urgent(const struct refstack *s, const struct refstack_conn *c)
{
	uint32_t at;

	(void)s;
	if (!c->used || c->listener)
		return 0;
#ifdef REFSTACK_FAULTS
	/* fault urgent-not-signalled: RCV.UP is kept, the user never hears */
	if (refstack_fault_on(s, REFSTACK_FAULT_URGENT_NOT_SIGNALLED))
		return 0;
#endif
	at = read_seq(c);
	/* 9293 3.10.7.4 step 6: "signal the user that the remote side has
	 * urgent data if the urgent pointer (RCV.UP) is in advance of the
	 * data consumed" */
	return seq_gt(c->rcv_up, at) ? c->rcv_up - at : 0;
}

bool refstack_conn_atmark(const struct refstack *s, const struct refstack_conn *c)
{
#ifdef REFSTACK_FAULTS
	/* fault atmark-never */
	if (refstack_fault_on(s, REFSTACK_FAULT_ATMARK_NEVER))
		return false;
#endif
	return refstack_conn_urgent(s, c) == 1;
}
