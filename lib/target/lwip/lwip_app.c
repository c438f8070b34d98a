/* Application actions on lwIP's raw API: see lwip_app.h. */
#include "lwip_app.h"

#include <stdlib.h>
#include <string.h>

#include "lwip/errno.h"
#include "lwip/tcp.h"

#include "lwip_pcb.h"

/* Connections lwIP handed over (accepted) or the app made (connect). A case
 * has one connection at a time; a few more slots cover a new connection
 * while an old one is still held. */
#define APP_CONNS 4
#define APP_LISTENERS 4
/* Received and not read: at most the largest window lwIP offers (TCP_WND,
 * 0xFFFF in Debian's build; its window scale shift is 1, so up to twice
 * that when the peer asks for scaling). */
#define APP_RX_MAX (2u * 0xFFFFu)

struct lwip_conn {
	struct lwip_app *app;
	struct tcp_pcb *pcb; /* NULL once lwIP freed it (reset, timeout) or the app closed it */
	bool used; /* holds a connection, live or gone */
	bool app_owned; /* accepted by `app: accept`, or made by connect */
	bool eof; /* the peer's FIN was delivered */
	bool connected; /* connect: lwIP reported the handshake done */
	err_t err; /* why lwIP freed the PCB (on_err): ERR_RST, ERR_ABRT */
	uint32_t rx_len;
	uint8_t rx[APP_RX_MAX];
};

struct lwip_app {
	struct seg_addr local, peer;
	uint16_t port, peer_port;
	bool overflow;
	/* setsockopt before a connection exists: applied at connect and
	 * accept (-1: not set) */
	int nodelay, keepalive;
	int64_t linger_s; /* SO_LINGER: -1 off; 0 makes close an abort */
	struct tcp_pcb *listeners[APP_LISTENERS];
	struct lwip_conn conns[APP_CONNS];
};

struct lwip_app *lwip_app_new(const struct seg_addr *local, uint16_t port,
			      const struct seg_addr *peer, uint16_t peer_port)
{
	struct lwip_app *app = calloc(1, sizeof(*app));

	if (!app)
		return NULL;
	app->local = *local;
	app->peer = *peer;
	app->port = port;
	app->peer_port = peer_port;
	app->nodelay = app->keepalive = -1;
	app->linger_s = -1;
	for (int i = 0; i < APP_CONNS; i++)
		app->conns[i].app = app;
	return app;
}

void lwip_app_free(struct lwip_app *app)
{
	free(app);
}

bool lwip_app_overflowed(const struct lwip_app *app)
{
	return app->overflow;
}

static int lwip_fail(struct tc_err *err, const char *verb, const char *call, err_t e)
{
	return tc_err_set(err, TC_ERR_TARGET, "%s: %s failed: %s (lwIP err %d)", verb, call,
			  strerror(err_to_errno(e)), (int)e);
}

static void conn_clear(struct lwip_conn *c)
{
	c->pcb = NULL;
	c->used = c->app_owned = c->eof = c->connected = false;
	c->err = ERR_OK;
	c->rx_len = 0;
}

/* ---- callbacks lwIP makes (tcp_arg is the connection, or the app for a
 * listener) ---- */

/* lwIP has freed the PCB (an RST came, a retransmission timer gave up). */
static void on_err(void *arg, err_t e)
{
	struct lwip_conn *c = arg;

	if (c) {
		c->pcb = NULL;
		c->err = e;
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t e)
{
	struct lwip_conn *c = arg;

	(void)pcb;
	(void)e;
	if (!p) {
		c->eof = true;
		return ERR_OK;
	}
	/* lwIP keeps a refused pbuf and offers it again later */
	if (c->rx_len + p->tot_len > sizeof(c->rx))
		return ERR_MEM;
	pbuf_copy_partial(p, c->rx + c->rx_len, p->tot_len, 0);
	c->rx_len += p->tot_len;
	pbuf_free(p);
	return ERR_OK;
}

static void conn_attach(struct lwip_conn *c, struct tcp_pcb *pcb)
{
	c->pcb = pcb;
	c->used = true;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_err(pcb, on_err);
}

static void conn_detach(struct lwip_conn *c)
{
	tcp_arg(c->pcb, NULL);
	tcp_recv(c->pcb, NULL);
	tcp_err(c->pcb, NULL);
}

static struct lwip_conn *conn_free_slot(struct lwip_app *app)
{
	for (int i = 0; i < APP_CONNS; i++)
		if (!app->conns[i].used)
			return &app->conns[i];
	/* a connection lwIP freed and the app never took */
	for (int i = 0; i < APP_CONNS; i++)
		if (!app->conns[i].pcb && !app->conns[i].app_owned) {
			conn_clear(&app->conns[i]);
			return &app->conns[i];
		}
	return NULL;
}

/* The options set before the connection existed. */
static void apply_pending(const struct lwip_app *app, struct tcp_pcb *pcb)
{
	if (app->nodelay == 1)
		tcp_nagle_disable(pcb);
	else if (app->nodelay == 0)
		tcp_nagle_enable(pcb);
	if (app->keepalive == 1)
		ip_set_option(pcb, SOF_KEEPALIVE);
	else if (app->keepalive == 0)
		ip_reset_option(pcb, SOF_KEEPALIVE);
}

/* A connection completed its handshake on one of our listeners. */
static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t e)
{
	struct lwip_app *app = arg;
	struct lwip_conn *c;

	if (e != ERR_OK || !pcb || !app)
		return ERR_VAL;
	c = conn_free_slot(app);
	if (!c) {
		app->overflow = true;
		return ERR_MEM; /* lwIP aborts the connection */
	}
	conn_attach(c, pcb);
	apply_pending(app, pcb);
	return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t e)
{
	struct lwip_conn *c = arg;

	(void)pcb;
	if (c && e == ERR_OK)
		c->connected = true;
	return ERR_OK;
}


/* ---- the actions ---- */

static uint8_t ip_type(const struct seg_addr *a)
{
	return a->family == 6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4;
}

static int do_listen(struct lwip_app *app, uint16_t port, struct tc_err *err)
{
	int slot = -1;
	struct tcp_pcb *pcb, *lpcb;
	err_t e;

	for (int i = 0; i < APP_LISTENERS; i++)
		if (!app->listeners[i]) {
			slot = i;
			break;
		}
	if (slot < 0)
		return tc_err_set(err, TC_ERR_TARGET, "listen: more than %d listeners", APP_LISTENERS);
	pcb = tcp_new_ip_type(ip_type(&app->local));
	if (!pcb)
		return tc_err_set(err, TC_ERR_TARGET, "listen: tcp_new failed");
	e = tcp_bind(pcb, app->local.family == 6 ? IP6_ADDR_ANY : IP4_ADDR_ANY, port);
	if (e != ERR_OK) {
		tcp_close(pcb);
		return lwip_fail(err, "listen", "tcp_bind", e);
	}
	lpcb = tcp_listen_with_backlog_and_err(pcb, TCP_DEFAULT_LISTEN_BACKLOG, &e);
	if (!lpcb) {
		tcp_close(pcb);
		return lwip_fail(err, "listen", "tcp_listen", e);
	}
	tcp_arg(lpcb, app);
	tcp_accept(lpcb, on_accept);
	app->listeners[slot] = lpcb;
	return 0;
}

static int do_close_listener(struct lwip_app *app, uint16_t port, struct tc_err *err)
{
	for (int i = 0; i < APP_LISTENERS; i++) {
		struct tcp_pcb *l = app->listeners[i];

		if (!l || l->local_port != port)
			continue;
		tcp_arg(l, NULL);
		tcp_accept(l, NULL);
		err_t e = tcp_close(l);
		if (e != ERR_OK)
			return lwip_fail(err, "close-listener", "tcp_close", e);
		app->listeners[i] = NULL;
		return 0;
	}
	return tc_err_set(err, TC_ERR_TARGET, "close-listener: nothing listens on port %u", port);
}

static int do_connect(struct lwip_app *app, struct tc_err *err)
{
	struct lwip_conn *c = conn_free_slot(app);
	ip_addr_t local, peer;
	struct tcp_pcb *pcb;
	err_t e;

	if (!c)
		return tc_err_set(err, TC_ERR_TARGET, "connect: more than %d connections", APP_CONNS);
	pcb = tcp_new_ip_type(ip_type(&app->local));
	if (!pcb)
		return tc_err_set(err, TC_ERR_TARGET, "connect: tcp_new failed");
	lwip_addr_from_seg(&local, &app->local);
	lwip_addr_from_seg(&peer, &app->peer);
	e = tcp_bind(pcb, &local, app->port);
	if (e != ERR_OK) {
		tcp_close(pcb);
		return lwip_fail(err, "connect", "tcp_bind", e);
	}
	conn_attach(c, pcb);
	c->app_owned = true;
	apply_pending(app, pcb);
	e = tcp_connect(pcb, &peer, app->peer_port, on_connected);
	if (e != ERR_OK) {
		conn_detach(c);
		tcp_abort(pcb);
		conn_clear(c);
		return lwip_fail(err, "connect", "tcp_connect", e);
	}
	return 0;
}

static bool conn_is_case(const struct lwip_app *app, const struct lwip_conn *c)
{
	ip_addr_t peer;

	lwip_addr_from_seg(&peer, &app->peer);
	return c->pcb->local_port == app->port && c->pcb->remote_port == app->peer_port &&
	       ip_addr_cmp(&c->pcb->remote_ip, &peer);
}

static int do_accept(struct lwip_app *app, struct tc_err *err)
{
	for (int i = 0; i < APP_CONNS; i++) {
		struct lwip_conn *c = &app->conns[i];

		if (c->used && !c->app_owned && (c->pcb || c->rx_len || c->eof)) {
			c->app_owned = true;
			return 0;
		}
	}
	return tc_err_set(err, TC_ERR_TARGET,
			  "accept: no established connection is waiting on port %u", app->port);
}

/* The connection the app holds for the case's four-tuple. */
static struct lwip_conn *case_conn(struct lwip_app *app, const char *verb, struct tc_err *err)
{
	bool gone = false;

	for (int i = APP_CONNS - 1; i >= 0; i--) {
		struct lwip_conn *c = &app->conns[i];

		if (!c->used || !c->app_owned)
			continue;
		if (c->pcb && !lwip_pcb_alive(c->pcb, c))
			c->pcb = NULL;
		if (c->pcb && conn_is_case(app, c))
			return c;
		if (!c->pcb)
			gone = true;
	}
	/* a connection lwIP freed: the calls on it report why */
	for (int i = APP_CONNS - 1; gone && i >= 0; i--)
		if (app->conns[i].used && app->conns[i].app_owned && !app->conns[i].pcb)
			return &app->conns[i];
	if (gone)
		tc_err_set(err, TC_ERR_TARGET,
			   "%s: the connection is gone (lwIP freed it: reset or timed out)", verb);
	else
		tc_err_set(err, TC_ERR_TARGET, "%s: there is no connection", verb);
	return NULL;
}

static void fill_pattern(uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)('a' + i % 26);
}

/* The errno a call on a connection lwIP freed reports: why it went
 * (ERR_RST: ECONNRESET; ERR_ABRT, its retransmissions given up:
 * ECONNABORTED), or ENOTCONN when it just closed. */
static int gone_errno(const struct lwip_conn *c)
{
	return c->err != ERR_OK ? err_to_errno(c->err) : ENOTCONN;
}

/* Queues what fits lwIP's send buffer, as a non-blocking socket would:
 * the count is the engine's to judge. */
static int do_send(struct lwip_conn *c, const struct tc_app *act, struct tc_app_result *res,
		   struct tc_err *err)
{
	uint8_t *buf = NULL;
	const uint8_t *data = act->data;
	uint32_t n = act->len, room;
	err_t e;

	if (!c->pcb) {
		res->err_no = gone_errno(c);
		return 0;
	}
	if (!n)
		n = act->n;
	room = tcp_sndbuf(c->pcb);
	if (n > room)
		n = room;
	if (n == 0) {
		res->err_no = EAGAIN;
		return 0;
	}
	if (!act->len) {
		buf = malloc(n);
		if (!buf)
			return tc_err_set(err, TC_ERR_NOMEM, "send: no memory for %u bytes", n);
		fill_pattern(buf, n);
		data = buf;
	}
	e = tcp_write(c->pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY);
	free(buf);
	if (e != ERR_OK) {
		res->err_no = err_to_errno(e);
		return 0;
	}
	res->value = n;
	e = tcp_output(c->pcb);
	return e == ERR_OK ? 0 : lwip_fail(err, "send", "tcp_output", e);
}

static void do_recv(struct lwip_conn *c, uint32_t want, struct tc_app_result *res)
{
	uint32_t n = want < c->rx_len ? want : c->rx_len;

	if (!c->pcb && c->rx_len == 0 && !c->eof) {
		res->err_no = gone_errno(c);
		return;
	}
	memcpy(res->data, c->rx, n < sizeof(res->data) ? n : sizeof(res->data));
	res->ndata = (uint16_t)(n < sizeof(res->data) ? n : sizeof(res->data));
	memmove(c->rx, c->rx + n, c->rx_len - n);
	c->rx_len -= n;
	res->value = n;
	res->more = c->rx_len > 0;
	if (n == 0 && want > 0 && !c->eof)
		res->err_no = EAGAIN;
	/* the bytes are read: lwIP may open its window again (RFC 9293 3.8.6.2.2) */
	while (c->pcb && n > 0) {
		u16_t chunk = n > 0xFFFFu ? 0xFFFFu : (u16_t)n;

		tcp_recved(c->pcb, chunk);
		n -= chunk;
	}
}

static void do_poll(struct lwip_conn *c, const struct tc_app *act, struct tc_app_result *res)
{
	if (!c->pcb)
		res->value = 1; /* an error is ready to be read */
	else if (act->poll == TC_POLL_READABLE)
		res->value = c->rx_len > 0 || c->eof;
	else
		res->value = (c->pcb->state == ESTABLISHED || c->pcb->state == CLOSE_WAIT) && tcp_sndbuf(c->pcb) > 0;
}

static void do_connect_result(struct lwip_conn *c, struct tc_app_result *res)
{
	if (!c->pcb)
		res->err_no = gone_errno(c);
	else if (!c->connected && c->pcb->state != ESTABLISHED && c->pcb->state != CLOSE_WAIT)
		res->err_no = EINPROGRESS;
}

/* Options on the connection, or kept for the next one. */
static void do_sockopt(struct lwip_app *app, const struct tc_app *act, struct tc_app_result *res)
{
	struct lwip_conn *c = NULL;
	struct tc_err ignore = {0};
	bool set = act->verb == TC_APP_SETSOCKOPT;

	c = case_conn(app, tc_app_verb_name(act->verb), &ignore);
	if (c && !c->pcb)
		c = NULL;
	switch (act->opt) {
	case TC_SO_TCP_NODELAY:
		if (!set)
			res->value = c ? tcp_nagle_disabled(c->pcb) != 0 : app->nodelay == 1;
		else if (!c)
			app->nodelay = act->optval != 0;
		else if (act->optval) {
			tcp_nagle_disable(c->pcb);
			tcp_output(c->pcb); /* what Nagle held goes now, as on Linux */
		} else
			tcp_nagle_enable(c->pcb);
		return;
	case TC_SO_KEEPALIVE:
		if (!set)
			res->value = c ? ip_get_option(c->pcb, SOF_KEEPALIVE) != 0 : app->keepalive == 1;
		else if (!c)
			app->keepalive = act->optval != 0;
		else if (act->optval)
			ip_set_option(c->pcb, SOF_KEEPALIVE);
		else
			ip_reset_option(c->pcb, SOF_KEEPALIVE);
		return;
	case TC_SO_LINGER:
		if (set)
			app->linger_s = act->optval;
		else
			res->value = app->linger_s;
		return;
	case TC_SO_TCP_MAXSEG:
		/* read-only here: lwIP's MSS is a build-time value */
		if (set)
			res->err_no = ENOPROTOOPT;
		else if (!c)
			res->err_no = ENOTCONN;
		else
			res->value = tcp_mss(c->pcb);
		return;
	default:
		res->err_no = ENOPROTOOPT;
		return;
	}
}

static int do_close(struct lwip_conn *c, struct tc_err *err)
{
	if (!c->pcb) {
		conn_clear(c);
		return 0;
	}
	/* lwIP owns the PCB after tcp_close (it may free it at any time): no
	 * callback of ours may run on it any more. With bytes unread it sends
	 * an RST instead of a FIN (RFC 9293 3.10.4 allows a reset then, as
	 * sockets do). */
	conn_detach(c);
	err_t e = tcp_close(c->pcb);
	if (e != ERR_OK) {
		conn_attach(c, c->pcb);
		return lwip_fail(err, "close", "tcp_close", e);
	}
	conn_clear(c);
	return 0;
}

static void do_abort(struct lwip_conn *c)
{
	if (!c->pcb) {
		conn_clear(c);
		return;
	}
	conn_detach(c);
	tcp_abort(c->pcb); /* RFC 9293 3.10.5: an RST, the PCB freed */
	conn_clear(c);
}

static void do_shutdown(struct lwip_conn *c, enum tc_shut how, struct tc_app_result *res)
{
	err_t e;

	if (!c->pcb) {
		res->err_no = gone_errno(c);
		return;
	}
	if (how == TC_SHUT_RDWR) {
		/* both sides is lwIP's close: the PCB is lwIP's from now on */
		conn_detach(c);
		e = tcp_shutdown(c->pcb, 1, 1);
		if (e != ERR_OK) {
			conn_attach(c, c->pcb);
			res->err_no = err_to_errno(e);
			return;
		}
		conn_clear(c);
		return;
	}
	e = tcp_shutdown(c->pcb, how == TC_SHUT_RD, how == TC_SHUT_WR);
	if (e != ERR_OK)
		res->err_no = err_to_errno(e);
}

int lwip_app_do(struct lwip_app *app, const struct tc_app *act, struct tc_app_result *res, struct tc_err *err)
{
	const char *verb = tc_app_verb_name(act->verb);
	struct lwip_conn *c;

	switch (act->verb) {
	case TC_APP_LISTEN:
		return do_listen(app, act->port ? act->port : app->port, err);
	case TC_APP_CLOSE_LISTENER:
		return do_close_listener(app, act->port ? act->port : app->port, err);
	case TC_APP_CONNECT:
		return do_connect(app, err);
	case TC_APP_ACCEPT:
		return do_accept(app, err);
	case TC_APP_SETSOCKOPT:
	case TC_APP_GETSOCKOPT:
		do_sockopt(app, act, res);
		return 0;
	case TC_APP_SEND:
	case TC_APP_RECV:
	case TC_APP_SHUTDOWN:
	case TC_APP_CLOSE:
	case TC_APP_ABORT:
	case TC_APP_CONNECT_RESULT:
	case TC_APP_POLL:
		break;
	case TC_APP__COUNT:
		return tc_err_set(err, TC_ERR_TARGET, "unknown application action");
	}
	c = case_conn(app, verb, err);
	if (!c)
		return -1;
	switch (act->verb) {
	case TC_APP_SEND:
		return do_send(c, act, res, err);
	case TC_APP_RECV:
		do_recv(c, act->n, res);
		return 0;
	case TC_APP_SHUTDOWN:
		do_shutdown(c, act->shut, res);
		return 0;
	case TC_APP_CLOSE:
		/* SO_LINGER 0: close is an abort (RFC 9293 3.10.5) */
		if (app->linger_s == 0) {
			do_abort(c);
			return 0;
		}
		return do_close(c, err);
	case TC_APP_ABORT:
		do_abort(c);
		return 0;
	case TC_APP_CONNECT_RESULT:
		do_connect_result(c, res);
		return 0;
	case TC_APP_POLL:
		do_poll(c, act, res);
		return 0;
	default:
		return tc_err_set(err, TC_ERR_TARGET, "unknown application action");
	}
}
