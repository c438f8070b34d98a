/* The linux target's application helper: a forked process in the target
 * namespace that performs application actions on kernel sockets, one
 * request and one reply per SEQPACKET message. See linux_app.h. */
#include "linux_app.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LA_MSG_MAX 256
/* Beyond the action's own wait, how long the helper may take to answer
 * before the harness stops waiting for it. */
#define LA_GRACE_US 1000000ull
#define LA_START_US 2000000ull
#define LA_STOP_US 1000000ull
#define LA_BACKLOG 16
#define LA_MAX_LISTENERS 8
/* Connections replaced by a later connect or accept stay open, untouched,
 * until the helper ends: closing them would put segments on the wire that
 * no case asked for. */
#define LA_MAX_OLD 16
/* 'a' + i % 26 repeated; sends start at offset i % 26 into it. */
#define LA_PATTERN_LEN (26 * 630)

struct la_req {
	uint32_t seq;
	uint64_t timeout_us;
	struct tc_app act;
};

struct la_reply {
	uint32_t seq; /* the request's; 0 for the start-up report */
	int32_t failed;
	int32_t err_no; /* errno of the call that failed; 0 when none did */
	int32_t so_error; /* the connection's pending error, read after a failure */
	uint32_t count; /* bytes queued (send) or read (recv) */
	char msg[LA_MSG_MAX];
	/* The TCP call's own result, for the engine to judge (failed stays
	 * for what is no call's answer: no connection, the helper's limits) */
	int32_t call_errno;
	int64_t value; /* bytes queued or read, an option's value, 1 ready */
	uint32_t more; /* recv: bytes still readable */
	uint32_t ndata;
	uint8_t data[SEG_MAX_PAYLOAD];
};

struct linux_app {
	pid_t pid;
	int fd; /* our end of the socketpair; -1 once closed */
	int pidfd; /* -1 when the kernel has no pidfd_open */
	bool reaped;
	uint32_t seq;
	char ended[160]; /* how the helper ended; "" while it runs */
	struct linux_app_conf conf;
	char congestion[LINUX_APP_CC_MAX];
};

static uint64_t la_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t la_deadline(uint64_t timeout_us)
{
	uint64_t now = la_now_us();

	return timeout_us > UINT64_MAX - now ? UINT64_MAX : now + timeout_us;
}

/* 1 = ready, 0 = the deadline passed, -1 = poll failed. ppoll for
 * microsecond deadlines: a case's timeouts can be shorter than 1 ms. */
static int la_wait(int fd, short events, uint64_t deadline_us)
{
	for (;;) {
		uint64_t now = la_now_us();
		struct pollfd p = {.fd = fd, .events = events};
		struct timespec ts;
		uint64_t left;
		int n;

		if (now >= deadline_us)
			return 0;
		left = deadline_us - now;
		ts.tv_sec = (time_t)(left / 1000000u);
		ts.tv_nsec = (long)(left % 1000000u) * 1000;
		n = ppoll(&p, 1, &ts, NULL);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* ---- the helper process ---- */

struct la_listener {
	uint16_t port;
	int fd;
};

/* One socket option's value: an integer, or bytes (IP_OPTIONS). */
struct la_opt {
	enum tc_sockopt opt;
	int64_t val;
	uint8_t len;
	uint8_t bytes[TC_SOCKOPT_BYTES_MAX];
};

struct la_helper {
	const struct linux_app_conf *conf;
	int conn; /* "the connection"; -1 when none */
	int nlisteners;
	struct la_listener listeners[LA_MAX_LISTENERS];
	int nold;
	int old[LA_MAX_OLD];
	/* setsockopt before there is a connection: set on every socket made
	 * or accepted from then on */
	int npend;
	struct la_opt pend[TC_SO__COUNT];
	uint8_t pattern[LA_PATTERN_LEN];
	uint8_t scratch[65536];
};

__attribute__((format(printf, 3, 4))) static void la_fail(struct la_reply *r, int err_no, const char *fmt, ...)
{
	va_list ap;

	r->failed = 1;
	r->err_no = err_no;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

/* After a failed operation on the connection: what the kernel has pending
 * for it (an RST, an ICMP error) often says more than the call's errno. */
static void la_note_so_error(const struct la_helper *h, struct la_reply *r)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (h->conn >= 0 && getsockopt(h->conn, SOL_SOCKET, SO_ERROR, &e, &len) == 0)
		r->so_error = e;
}

static socklen_t la_sockaddr(const struct linux_app_conf *c, const struct seg_addr *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->bytes, 4);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	memcpy(&in6->sin6_addr, a->bytes, 16);
	return sizeof(*in6);
}

static int la_setopt(int fd, int level, int name, const char *what, const void *val, socklen_t len,
		     const char *verb, struct la_reply *r)
{
	if (setsockopt(fd, level, name, val, len) == 0)
		return 0;
	la_fail(r, errno, "%s: setsockopt %s", verb, what);
	return -1;
}

static int la_setopt_int(int fd, int level, int name, const char *what, int val, const char *verb,
			 struct la_reply *r)
{
	return la_setopt(fd, level, name, what, &val, sizeof(val), verb, r);
}

/* SO_KEEPALIVE and its times (9293 3.8.4); accepted sockets inherit them. */
static int la_keepalive(int fd, const struct linux_app_conf *c, const char *verb, struct la_reply *r)
{
	if (c->keepalive == 0)
		return 0;
	if (la_setopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1, verb, r) < 0)
		return -1;
	if (c->keepalive < 0)
		return 0;
	if (la_setopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", c->keepalive, verb, r) < 0)
		return -1;
	return la_setopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", c->keepalive, verb, r);
}

/* The Linux level and name of a case's socket option. */
static void la_opt_name(int fd, enum tc_sockopt o, int *level, int *name)
{
	static const int map[TC_SO__COUNT][2] = {
		[TC_SO_TCP_NODELAY] = {IPPROTO_TCP, TCP_NODELAY},
		[TC_SO_KEEPALIVE] = {SOL_SOCKET, SO_KEEPALIVE},
		[TC_SO_TCP_KEEPIDLE] = {IPPROTO_TCP, TCP_KEEPIDLE},
		[TC_SO_TCP_KEEPINTVL] = {IPPROTO_TCP, TCP_KEEPINTVL},
		[TC_SO_TCP_KEEPCNT] = {IPPROTO_TCP, TCP_KEEPCNT},
		[TC_SO_RCVBUF] = {SOL_SOCKET, SO_RCVBUF},
		[TC_SO_SNDBUF] = {SOL_SOCKET, SO_SNDBUF},
		[TC_SO_TCP_MAXSEG] = {IPPROTO_TCP, TCP_MAXSEG},
		[TC_SO_LINGER] = {SOL_SOCKET, SO_LINGER},
		[TC_SO_TCP_USER_TIMEOUT] = {IPPROTO_TCP, TCP_USER_TIMEOUT},
		[TC_SO_OOBINLINE] = {SOL_SOCKET, SO_OOBINLINE},
		[TC_SO_TCP_QUICKACK] = {IPPROTO_TCP, TCP_QUICKACK},
		[TC_SO_IP_TTL] = {IPPROTO_IP, IP_TTL},
		[TC_SO_IP_TOS] = {IPPROTO_IP, IP_TOS},
		[TC_SO_IP_OPTIONS] = {IPPROTO_IP, IP_OPTIONS},
		[TC_SO_IPV6_RTHDR] = {IPPROTO_IPV6, IPV6_RTHDR},
	};
	int domain = AF_INET;
	socklen_t len = sizeof(domain);

	*level = map[o][0];
	*name = map[o][1];
	/* 9293 3.9.2: on an IPv6 socket the hop limit and traffic class are
	 * IPv6's own options */
	if ((o == TC_SO_IP_TTL || o == TC_SO_IP_TOS) && getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
	    domain == AF_INET6) {
		*level = IPPROTO_IPV6;
		*name = o == TC_SO_IP_TTL ? IPV6_UNICAST_HOPS : IPV6_TCLASS;
	}
}

/* 0 or the errno of setsockopt. SO_LINGER's value is seconds, -1 off; a
 * bytes option goes as it is (IP_OPTIONS: Linux's own form, the first
 * hop of a source route first). */
static int la_opt_set(int fd, const struct la_opt *o)
{
	int level, name, v = (int)o->val;
	struct linger lg = {.l_onoff = o->val >= 0, .l_linger = o->val >= 0 ? (int)o->val : 0};
	int rc;

	la_opt_name(fd, o->opt, &level, &name);
	if (tc_sockopt_bytes(o->opt))
		rc = setsockopt(fd, level, name, o->bytes, o->len);
	else if (o->opt == TC_SO_LINGER)
		rc = setsockopt(fd, level, name, &lg, sizeof(lg));
	else
		rc = setsockopt(fd, level, name, &v, sizeof(v));
	return rc == 0 ? 0 : errno;
}

static int la_opt_get(int fd, enum tc_sockopt o, int64_t *val)
{
	int level, name, v = 0;
	struct linger lg = {0};
	socklen_t len = o == TC_SO_LINGER ? sizeof(lg) : sizeof(v);

	la_opt_name(fd, o, &level, &name);
	if (getsockopt(fd, level, name, o == TC_SO_LINGER ? (void *)&lg : (void *)&v, &len) != 0)
		return errno;
	*val = o == TC_SO_LINGER ? (lg.l_onoff ? lg.l_linger : -1) : v;
	return 0;
}

/* The options a case set before its connection, on a new socket. */
static int la_opt_pending(const struct la_helper *h, int fd, struct la_reply *r)
{
	for (int i = 0; i < h->npend; i++) {
		int e = la_opt_set(fd, &h->pend[i]);

		if (e) {
			r->call_errno = e;
			return -1;
		}
	}
	return 0;
}

/* A non-blocking TCP socket with the case's options, bound to the target
 * address and port; -1 with r filled. */
static int la_socket(const struct la_helper *h, uint16_t port, uint8_t local, const char *verb, struct la_reply *r)
{
	const struct linux_app_conf *c = h->conf;
	struct sockaddr_storage ss;
	socklen_t len;
	char addr[64];
	int fd;

	fd = socket(c->family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		la_fail(r, errno, "%s: socket", verb);
		return -1;
	}
	if (la_setopt_int(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1, verb, r) < 0)
		goto fail;
	if (c->congestion &&
	    la_setopt(fd, IPPROTO_TCP, TCP_CONGESTION, "TCP_CONGESTION", c->congestion,
		      (socklen_t)strlen(c->congestion), verb, r) < 0)
		goto fail;
	if (c->rcvbuf && la_setopt_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", c->rcvbuf, verb, r) < 0)
		goto fail;
	if (c->sndbuf && la_setopt_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", c->sndbuf, verb, r) < 0)
		goto fail;
	if (c->mss && la_setopt_int(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", c->mss, verb, r) < 0)
		goto fail;
	if (c->nodelay && la_setopt_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1, verb, r) < 0)
		goto fail;
	if (la_keepalive(fd, c, verb, r) < 0 || la_opt_pending(h, fd, r) < 0)
		goto fail;
	/* 9293 3.9.1.1: the local address OPEN names (MUST-43), or none, and
	 * IP chooses (MUST-44) */
	{
		struct seg_addr any = {.family = (uint8_t)c->family};

		len = la_sockaddr(c, local == TC_LOCAL_SECOND ? &c->local2 : local == TC_LOCAL_ANY ? &any : &c->local,
				  port, &ss);
	}
	if (local == TC_LOCAL_SECOND && c->local2.family == 0) {
		la_fail(r, 0, "%s: the target has no second address", verb);
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		/* the application's answer (EADDRINUSE), not the helper's */
		(void)addr;
		r->call_errno = errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static struct la_listener *la_find_listener(struct la_helper *h, uint16_t port)
{
	for (int i = 0; i < h->nlisteners; i++)
		if (h->listeners[i].port == port)
			return &h->listeners[i];
	return NULL;
}

/* Checked before a connect or accept makes a connection, so that a full
 * list never costs one that the kernel has already set up. */
static int la_conn_room(const struct la_helper *h, const char *verb, struct la_reply *r)
{
	if (h->conn >= 0 && h->nold == LA_MAX_OLD) {
		la_fail(r, 0, "%s: more than %d earlier connections are still open", verb, LA_MAX_OLD);
		return -1;
	}
	return 0;
}

/* Makes fd the connection; the one it replaces stays open. */
static void la_set_conn(struct la_helper *h, int fd)
{
	if (h->conn >= 0)
		h->old[h->nold++] = h->conn;
	h->conn = fd;
}

static void la_listen(struct la_helper *h, uint16_t port, uint8_t local, struct la_reply *r)
{
	int fd;

	if (h->nlisteners == LA_MAX_LISTENERS) {
		la_fail(r, 0, "listen: more than %d listeners", LA_MAX_LISTENERS);
		return;
	}
	fd = la_socket(h, port, local, "listen", r);
	if (fd < 0)
		return;
	if (listen(fd, LA_BACKLOG) < 0) {
		r->call_errno = errno;
		close(fd);
		return;
	}
	h->listeners[h->nlisteners++] = (struct la_listener){.port = port, .fd = fd};
}

static void la_close_listener(struct la_helper *h, uint16_t port, struct la_reply *r)
{
	struct la_listener *l = la_find_listener(h, port);

	if (!l) {
		la_fail(r, 0, "close-listener: there is no listener on port %u", port);
		return;
	}
	close(l->fd);
	*l = h->listeners[--h->nlisteners];
}

static void la_connect(struct la_helper *h, enum tc_connect_to to, uint8_t local, struct la_reply *r)
{
	const struct linux_app_conf *c = h->conf;
	struct sockaddr_storage ss;
	struct seg_addr dst = c->peer;
	socklen_t len;
	char addr[64];
	int fd;

	/* an address that names no host: the kernel must refuse it (MUST-46) */
	if (to != TC_CONNECT_PEER)
		tc_connect_addr(to, c->family, &dst);
	if (la_conn_room(h, "connect", r) < 0)
		return;
	fd = la_socket(h, c->port, local, "connect", r);
	if (fd < 0)
		return;
	len = la_sockaddr(c, &dst, c->peer_port, &ss);
	/* EINPROGRESS: the SYN is on its way, which is all a case waits for
	 * before it expects the SYN on the wire. */
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		(void)addr;
		r->call_errno = errno;
		close(fd);
		return;
	}
	la_set_conn(h, fd);
}

static void la_accept(struct la_helper *h, uint64_t deadline_us, struct la_reply *r)
{
	uint16_t port = h->conf->port;
	struct la_listener *l = la_find_listener(h, port);
	int fd, w;

	if (!l) {
		la_fail(r, 0, "accept: there is no listener on port %u", port);
		return;
	}
	if (la_conn_room(h, "accept", r) < 0)
		return;
	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			r->call_errno = errno;
			return;
		}
		w = la_wait(l->fd, POLLIN, deadline_us);
		if (w < 0) {
			la_fail(r, errno, "accept: poll");
			return;
		}
		if (w == 0) {
			la_fail(r, 0, "accept: no established connection is waiting on port %u", port);
			return;
		}
	}
	/* Stated again rather than trusted to be inherited from the listener. */
	if (h->conf->nodelay && la_setopt_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1, "accept", r) < 0) {
		close(fd);
		return;
	}
	if (la_opt_pending(h, fd, r) < 0) {
		close(fd);
		return;
	}
	la_set_conn(h, fd);
}

static void la_send(struct la_helper *h, const struct tc_app *act, uint64_t deadline_us, struct la_reply *r)
{
	uint32_t total = act->len ? act->len : act->n;
	uint32_t sent = 0;
	int e = 0;

	while (sent < total) {
		const uint8_t *p;
		size_t len;
		ssize_t n;

		if (act->len) {
			p = act->data + sent;
			len = total - sent;
		} else {
			p = h->pattern + sent % 26;
			len = total - sent;
			if (len > LA_PATTERN_LEN - 26)
				len = LA_PATTERN_LEN - 26;
		}
		/* MSG_OOB: the urgent pointer goes past the last byte of
		 * the call (RFC 9293 3.8.5, MUST-62) */
		n = send(h->conn, p, len, MSG_NOSIGNAL | (act->urgent ? MSG_OOB : 0));
		if (n > 0) {
			sent += (uint32_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			e = errno;
			break;
		}
		int w = la_wait(h->conn, POLLOUT, deadline_us);

		if (w < 0)
			e = errno;
		if (w <= 0)
			break;
	}
	r->count = sent;
	r->value = sent;
	/* a short count is the engine's to judge; an error only when no
	 * byte went (as one send() call reports it) */
	if (sent == 0)
		r->call_errno = e;
}

/* Up to want bytes, waiting for them until the deadline; the first are
 * kept for the engine to compare. 0 bytes: the end of stream, the call's
 * error, or EAGAIN when nothing came in time. */
static void la_recv(struct la_helper *h, uint32_t want, uint64_t deadline_us, struct la_reply *r)
{
	uint32_t got = 0;
	bool eof = false;
	int e = 0;

	while (got < want) {
		size_t len = want - got;
		ssize_t n;

		if (len > sizeof(h->scratch))
			len = sizeof(h->scratch);
		n = recv(h->conn, h->scratch, len, 0);
		if (n > 0) {
			if (got < sizeof(r->data)) {
				size_t keep = sizeof(r->data) - got < (size_t)n ? sizeof(r->data) - got : (size_t)n;
				memcpy(r->data + got, h->scratch, keep);
				r->ndata = got + (uint32_t)keep;
			}
			got += (uint32_t)n;
			continue;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			e = errno;
			break;
		}
		int w = la_wait(h->conn, POLLIN, deadline_us);

		if (w < 0)
			e = errno;
		if (w <= 0)
			break;
	}
	r->count = got;
	r->value = got;
	if (got == 0 && want > 0 && !eof)
		r->call_errno = e ? e : EAGAIN;
	/* more readable? Not after an error or the end: a peek would take
	 * the pending error a later call is to report. */
	if (!eof && !e && recv(h->conn, h->scratch, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		r->more = 1;
}

/* Readiness within the step's `within`, checked at least once. */
static void la_poll(struct la_helper *h, const struct tc_app *act, struct la_reply *r)
{
	uint64_t deadline = la_deadline(act->within_us);
	/* urgent: POLLPRI, the kernel's word that urgent data came (tcp_poll:
	 * TCP_URG_VALID), 9293 3.8.5 MUST-32 */
	short ev = act->poll == TC_POLL_READABLE ? POLLIN : act->poll == TC_POLL_URGENT ? POLLPRI : POLLOUT;
	struct pollfd p = {.fd = h->conn, .events = ev};
	int mark = 0;

	if (act->poll == TC_POLL_ATMARK) {
		/* SIOCATMARK: the next octet read is the urgent mark's (MUST-33) */
		if (ioctl(h->conn, SIOCATMARK, &mark) < 0)
			r->call_errno = errno;
		r->value = mark != 0;
		return;
	}
	if (poll(&p, 1, 0) > 0)
		r->value = 1;
	else
		r->value = la_wait(h->conn, ev, deadline) > 0;
}

/* The pending connect's outcome: it completed (0), failed (its error,
 * SO_ERROR) or is still under way by the deadline (EINPROGRESS). */
static void la_connect_result(struct la_helper *h, uint64_t deadline_us, struct la_reply *r)
{
	struct pollfd p = {.fd = h->conn, .events = POLLOUT};
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int e = 0, w;
	socklen_t elen = sizeof(e);

	w = poll(&p, 1, 0) > 0 ? 1 : la_wait(h->conn, POLLOUT, deadline_us);
	if (getsockopt(h->conn, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e) {
		r->call_errno = e;
		return;
	}
	if (w <= 0)
		r->call_errno = EINPROGRESS;
	else if (getpeername(h->conn, (struct sockaddr *)&ss, &len) < 0)
		r->call_errno = errno;
}

static void la_sockopt(struct la_helper *h, const struct tc_app *act, struct la_reply *r)
{
	if (act->verb == TC_APP_GETSOCKOPT) {
		if (h->conn < 0)
			r->call_errno = ENOTCONN;
		else
			r->call_errno = la_opt_get(h->conn, act->opt, &r->value);
		return;
	}
	struct la_opt o = {.opt = act->opt, .val = act->optval};
	int i = 0;

	if (tc_sockopt_bytes(act->opt)) {
		o.len = (uint8_t)(act->len < sizeof(o.bytes) ? act->len : sizeof(o.bytes));
		memcpy(o.bytes, act->data, o.len);
	}
	if (h->conn >= 0) {
		r->call_errno = la_opt_set(h->conn, &o);
		return;
	}
	/* Kept for the sockets made from now on, but answered now, as the
	 * kernel answers it on a fresh socket of the family: a value it
	 * refuses (an IPv6 type 0 routing header, RFC 5095) is refused by
	 * this call, not by a later connect. */
	int fd = socket(h->conf->family == 4 ? AF_INET : AF_INET6, SOCK_STREAM, IPPROTO_TCP);

	if (fd < 0) {
		r->call_errno = errno;
		return;
	}
	r->call_errno = la_opt_set(fd, &o);
	close(fd);
	if (r->call_errno)
		return;
	while (i < h->npend && h->pend[i].opt != act->opt)
		i++;
	h->pend[i] = o;
	if (i == h->npend)
		h->npend++;
}

static void la_serve(struct la_helper *h, const struct la_req *q, struct la_reply *r)
{
	const struct tc_app *act = &q->act;
	const char *verb = tc_app_verb_name(act->verb);
	uint64_t deadline_us = la_deadline(q->timeout_us);
	uint16_t port = act->port ? act->port : h->conf->port;

	switch (act->verb) {
	case TC_APP_SEND:
	case TC_APP_RECV:
	case TC_APP_SHUTDOWN:
	case TC_APP_CLOSE:
	case TC_APP_ABORT:
	case TC_APP_CONNECT_RESULT:
	case TC_APP_POLL:
		if (h->conn < 0) {
			la_fail(r, 0, "%s: there is no connection", verb);
			return;
		}
		break;
	case TC_APP_LISTEN:
	case TC_APP_CONNECT:
	case TC_APP_ACCEPT:
	case TC_APP_CLOSE_LISTENER:
	case TC_APP_SETSOCKOPT:
	case TC_APP_GETSOCKOPT:
		break;
	case TC_APP__COUNT:
		la_fail(r, 0, "unknown application action %d", (int)act->verb);
		return;
	}

	switch (act->verb) {
	case TC_APP_LISTEN:
		la_listen(h, port, act->local, r);
		break;
	case TC_APP_CLOSE_LISTENER:
		la_close_listener(h, port, r);
		break;
	case TC_APP_CONNECT:
		la_connect(h, act->connect_to, act->local, r);
		break;
	case TC_APP_ACCEPT:
		la_accept(h, deadline_us, r);
		break;
	case TC_APP_SEND:
		la_send(h, act, deadline_us, r);
		break;
	case TC_APP_RECV:
		la_recv(h, act->n, deadline_us, r);
		break;
	case TC_APP_SHUTDOWN:
		if (shutdown(h->conn, act->shut == TC_SHUT_RD ? SHUT_RD : act->shut == TC_SHUT_RDWR ? SHUT_RDWR : SHUT_WR) < 0)
			r->call_errno = errno;
		break;
	case TC_APP_CONNECT_RESULT:
		la_connect_result(h, deadline_us, r);
		break;
	case TC_APP_SETSOCKOPT:
	case TC_APP_GETSOCKOPT:
		la_sockopt(h, act, r);
		break;
	case TC_APP_POLL:
		la_poll(h, act, r);
		break;
	case TC_APP_CLOSE:
		close(h->conn);
		h->conn = -1;
		break;
	case TC_APP_ABORT: {
		/* 9293 3.10.5: ABORT sends RST; Linux does so on close() with
		 * a zero linger time. */
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		if (la_setopt(h->conn, SOL_SOCKET, SO_LINGER, "SO_LINGER", &lg, sizeof(lg), "abort", r) < 0) {
			la_note_so_error(h, r);
			break;
		}
		close(h->conn);
		h->conn = -1;
		break;
	}
	case TC_APP__COUNT:
		break;
	}
}

/* Linux answers close() with an RST instead of a FIN when received data was
 * never read (RFC 2525 2.17); reading it first keeps the end quiet. */
static void la_close_quietly(struct la_helper *h, int fd)
{
	while (recv(fd, h->scratch, sizeof(h->scratch), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static void la_helper_cleanup(struct la_helper *h)
{
	for (int i = 0; i < h->nlisteners; i++) {
		int fd;

		/* Established connections nobody accepted would be reset with
		 * their listener. */
		while ((fd = accept4(h->listeners[i].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
			la_close_quietly(h, fd);
		close(h->listeners[i].fd);
	}
	for (int i = 0; i < h->nold; i++)
		la_close_quietly(h, h->old[i]);
	if (h->conn >= 0)
		la_close_quietly(h, h->conn);
}

/* The harness may catch or block any signal (its cleanup handlers, a
 * thread's mask); none of that makes sense in a copy of it. sigaction
 * rather than signal(): it is async-signal-safe, and the child of a
 * threaded process should call nothing else before it has settled. */
static void la_reset_signals(void)
{
	/* Terminal signals reach the whole process group; the harness decides
	 * how a run ends and the helper follows it (EOF or PDEATHSIG). Its
	 * writes use MSG_NOSIGNAL, so SIGPIPE only matters if one is missed. */
	static const int ignore[] = {SIGINT, SIGQUIT, SIGTSTP, SIGPIPE};
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	/* SIGKILL, SIGSTOP and the C library's own real-time signals refuse
	 * with EINVAL, which leaves them as they must be. */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	for (size_t i = 0; i < sizeof(ignore) / sizeof(ignore[0]); i++)
		sigaction(ignore[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static bool la_send_reply(int sock, const struct la_reply *r)
{
	return send(sock, r, sizeof(*r), MSG_NOSIGNAL) == (ssize_t)sizeof(*r);
}

/* A start-up failure the harness should hear about; stderr only when the
 * socketpair cannot carry it. */
__attribute__((noreturn)) static void la_helper_fatal(int sock, const struct la_reply *r)
{
	if (!la_send_reply(sock, r))
		dprintf(2, "tcpconform linux app helper (pid %d): %s: %s\n", (int)getpid(), r->msg,
			strerror(r->err_no));
	_exit(1);
}

/* The child after fork(): only its own memory, the socketpair end and the
 * namespace descriptor matter; it leaves through _exit so nothing of the
 * harness (stdio buffers, atexit handlers) runs twice. */
__attribute__((noreturn)) static void la_helper_main(const struct linux_app_conf *conf, int sock, pid_t parent)
{
	struct la_helper *h;
	struct la_reply r;
	struct la_req q;

	memset(&r, 0, sizeof(r));
	/* Dies with the thread that forked it, so no socket outlives a killed
	 * harness; getppid() catches a parent that died before prctl() took
	 * effect. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	la_reset_signals();
	if (setns(conf->target_ns_fd, CLONE_NEWNET) < 0) {
		la_fail(&r, errno, "setns into the target namespace (fd %d)", conf->target_ns_fd);
		la_helper_fatal(sock, &r);
	}
	/* Inherited descriptors would keep the harness's sockets, other
	 * helpers' socketpair ends and the namespaces alive for as long as this
	 * process runs. */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0u, 0);

	h = calloc(1, sizeof(*h));
	if (!h) {
		la_fail(&r, ENOMEM, "helper state");
		la_helper_fatal(sock, &r);
	}
	h->conf = conf;
	h->conn = -1;
	for (size_t i = 0; i < LA_PATTERN_LEN; i++)
		h->pattern[i] = (uint8_t)('a' + i % 26);
	if (!la_send_reply(sock, &r))
		_exit(1);

	for (;;) {
		ssize_t n = recv(sock, &q, sizeof(q), 0);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		memset(&r, 0, sizeof(r));
		if ((size_t)n != sizeof(q)) {
			la_fail(&r, 0, "malformed request (%zd bytes)", n);
		} else {
			r.seq = q.seq;
			la_serve(h, &q, &r);
		}
		if (!la_send_reply(sock, &r))
			break;
	}
	la_helper_cleanup(h);
	_exit(0);
}

/* ---- the harness side ---- */

/* Reaps the helper if it ends within timeout_us: true when it is gone. */
static bool la_reap(struct linux_app *a, uint64_t timeout_us)
{
	uint64_t deadline_us = la_deadline(timeout_us);
	int status;

	if (a->reaped)
		return true;
	for (;;) {
		pid_t p = waitpid(a->pid, &status, WNOHANG);

		if (p == a->pid) {
			if (WIFEXITED(status))
				snprintf(a->ended, sizeof(a->ended), "exited with status %d", WEXITSTATUS(status));
			else if (WIFSIGNALED(status))
				snprintf(a->ended, sizeof(a->ended), "killed by signal %d (%s)%s", WTERMSIG(status),
					 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
			else
				snprintf(a->ended, sizeof(a->ended), "wait status 0x%x", (unsigned)status);
			a->reaped = true;
			return true;
		}
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0) {
			/* ECHILD: SIGCHLD is ignored in this process and the
			 * kernel reaped it already. */
			snprintf(a->ended, sizeof(a->ended), "reaped elsewhere (waitpid: %s)", strerror(errno));
			a->reaped = true;
			return true;
		}
		if (la_now_us() >= deadline_us)
			return false;
		if (a->pidfd >= 0) {
			/* Readable once the process has ended. */
			if (la_wait(a->pidfd, POLLIN, deadline_us) < 0)
				return false;
		} else {
			struct timespec ts = {.tv_nsec = 1000000};

			nanosleep(&ts, NULL);
		}
	}
}

/* Only ever our own unreaped child: until it is reaped its PID cannot name
 * another process, and the pidfd is exact even then. */
static void la_kill(struct linux_app *a)
{
	if (a->reaped)
		return;
	if (a->pidfd < 0 || syscall(SYS_pidfd_send_signal, a->pidfd, SIGKILL, NULL, 0) < 0)
		kill(a->pid, SIGKILL);
}

static void la_end(struct linux_app *a)
{
	if (a->fd >= 0) {
		close(a->fd);
		a->fd = -1;
	}
	if (!la_reap(a, LA_STOP_US)) {
		la_kill(a);
		la_reap(a, LA_STOP_US);
	}
}

/* The error for a helper that has ended: TC_ERR_SYSTEM, because the tool
 * broke, not the stack under test (the engine counts TC_ERR_TARGET from an
 * action as the stack's failure). */
static int la_died(const struct linux_app *a, const char *verb, struct tc_err *err)
{
	return tc_err_set(err, TC_ERR_SYSTEM, "%s: the application helper (pid %d) died: %s", verb, (int)a->pid,
			  a->ended);
}

/* The socketpair broke: the helper is gone or going. */
static int la_gone(struct linux_app *a, const char *verb, struct tc_err *err)
{
	la_end(a);
	if (!a->reaped)
		return tc_err_set(err, TC_ERR_SYSTEM,
				  "%s: the application helper (pid %d) closed its socket and does not end even "
				  "after SIGKILL",
				  verb, (int)a->pid);
	return la_died(a, verb, err);
}

/* Waits for the reply to request seq, dropping late replies to requests
 * that were given up on. */
static int la_recv_reply(struct linux_app *a, uint32_t seq, uint64_t timeout_us, const char *verb,
			 struct la_reply *r, struct tc_err *err)
{
	uint64_t deadline_us = la_deadline(timeout_us);

	for (;;) {
		int w = la_wait(a->fd, POLLIN, deadline_us);
		ssize_t n;

		if (w < 0)
			return tc_err_set(err, TC_ERR_SYSTEM, "%s: poll on the application helper's socket: %s", verb,
					  strerror(errno));
		if (w == 0) {
			/* A helper that died holds its socket open no longer, but
			 * say so rather than "no answer" if it died just now. */
			if (la_reap(a, 0))
				return la_gone(a, verb, err);
			return tc_err_set(err, TC_ERR_SYSTEM,
					  "%s: the application helper (pid %d) did not answer within %llu ms", verb,
					  (int)a->pid, (unsigned long long)(timeout_us / 1000));
		}
		n = recv(a->fd, r, sizeof(*r), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return la_gone(a, verb, err);
		if ((size_t)n != sizeof(*r))
			return tc_err_set(err, TC_ERR_SYSTEM, "%s: the application helper (pid %d) sent %zd bytes, want %zu",
					  verb, (int)a->pid, n, sizeof(*r));
		if (r->seq == seq)
			return 0;
	}
}

static int la_reply_error(const struct la_reply *r, enum tc_errcode code, struct tc_err *err)
{
	char so[128] = "";

	if (r->so_error && r->so_error != r->err_no)
		snprintf(so, sizeof(so), " (socket error: %s)", strerror(r->so_error));
	if (r->err_no)
		return tc_err_set(err, code, "%.*s: %s%s", LA_MSG_MAX, r->msg, strerror(r->err_no), so);
	return tc_err_set(err, code, "%.*s%s", LA_MSG_MAX, r->msg, so);
}

struct linux_app *linux_app_start(const struct linux_app_conf *conf, struct tc_err *err)
{
	struct linux_app *a;
	struct la_reply r;
	pid_t parent = getpid();
	int sv[2];

	if (conf->family != 4 && conf->family != 6) {
		tc_err_set(err, TC_ERR_USAGE, "linux app: address family %d (want 4 or 6)", conf->family);
		return NULL;
	}
	if (conf->local.family != conf->family || conf->peer.family != conf->family) {
		tc_err_set(err, TC_ERR_USAGE, "linux app: the addresses are not IPv%d", conf->family);
		return NULL;
	}
	if (conf->congestion && strlen(conf->congestion) >= LINUX_APP_CC_MAX) {
		tc_err_set(err, TC_ERR_USAGE, "linux app: congestion control name '%s' is longer than %d bytes",
			   conf->congestion, LINUX_APP_CC_MAX - 1);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		tc_err_set(err, TC_ERR_NOMEM, "linux app: out of memory");
		return NULL;
	}
	a->conf = *conf;
	if (conf->congestion) {
		snprintf(a->congestion, sizeof(a->congestion), "%s", conf->congestion);
		a->conf.congestion = a->congestion;
	}
	a->fd = a->pidfd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "linux app: socketpair: %s", strerror(errno));
		free(a);
		return NULL;
	}
	a->pid = fork();
	if (a->pid < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "linux app: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(a);
		return NULL;
	}
	if (a->pid == 0) {
		close(sv[0]);
		la_helper_main(&a->conf, sv[1], parent);
	}
	close(sv[1]);
	a->fd = sv[0];
	a->pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);

	memset(&r, 0, sizeof(r));
	if (la_recv_reply(a, 0, LA_START_US, "linux app start", &r, err) < 0) {
		linux_app_stop(a);
		return NULL;
	}
	if (r.failed) {
		la_reply_error(&r, TC_ERR_SYSTEM, err);
		tc_err_prefix(err, "linux app helper (pid %d)", (int)a->pid);
		linux_app_stop(a);
		return NULL;
	}
	return a;
}

int linux_app_do(struct linux_app *a, const struct tc_app *act, uint64_t timeout_us, struct tc_app_result *res,
		 struct tc_err *err)
{
	const char *verb = tc_app_verb_name(act->verb);
	struct la_req q;
	struct la_reply r;
	uint64_t wait_us;

	/* A helper that died between actions (killed, crashed) is found here,
	 * before the request could be mistaken for one it refused. */
	if (a->fd >= 0 && !a->reaped && la_reap(a, 0))
		return la_gone(a, verb, err);
	if (a->reaped)
		return la_died(a, verb, err);
	if (a->fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "%s: the application helper (pid %d) was stopped", verb,
				  (int)a->pid);
	memset(&q, 0, sizeof(q));
	if (++a->seq == 0)
		++a->seq;
	q.seq = a->seq;
	q.timeout_us = timeout_us;
	q.act = *act;
	if (send(a->fd, &q, sizeof(q), MSG_NOSIGNAL) != (ssize_t)sizeof(q)) {
		if (errno == EPIPE || errno == ECONNRESET)
			return la_gone(a, verb, err);
		return tc_err_set(err, TC_ERR_SYSTEM, "%s: send to the application helper (pid %d): %s", verb,
				  (int)a->pid, strerror(errno));
	}
	wait_us = timeout_us > UINT64_MAX - LA_GRACE_US ? UINT64_MAX : timeout_us + LA_GRACE_US;
	memset(&r, 0, sizeof(r));
	if (la_recv_reply(a, q.seq, wait_us, verb, &r, err) < 0)
		return -1;
	if (r.failed)
		return la_reply_error(&r, TC_ERR_TARGET, err);
	res->err_no = r.call_errno;
	res->value = r.value;
	res->more = r.more != 0;
	res->ndata = (uint16_t)(r.ndata < sizeof(res->data) ? r.ndata : sizeof(res->data));
	memcpy(res->data, r.data, res->ndata);
	return 0;
}

void linux_app_stop(struct linux_app *a)
{
	if (!a)
		return;
	la_end(a);
	if (a->pidfd >= 0)
		close(a->pidfd);
	free(a);
}

pid_t linux_app_pid(const struct linux_app *a)
{
	return a->pid;
}
