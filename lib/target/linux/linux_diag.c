/* sock_diag over libmnl: one dump request per read, narrowed in the kernel
 * by inet_diag bytecode to the sockets on the case's port that are either
 * the connection's peer or listeners, then matched against the 4-tuple
 * here. A filtered dump rather than an exact-match lookup, because the
 * lookup cannot tell a listener on the port from a connection, nor a
 * timewait entry from a live socket of the same 4-tuple.
 *
 * The request is the old TCPDIAG_GETSOCK one: the kernel runs it with
 * address family AF_UNSPEC, so one dump covers IPv4 and IPv6 sockets
 * alike. SOCK_DIAG_BY_FAMILY would need a dump per family, and an IPv4
 * connection may belong to a dual-stack IPv6 socket. Most of a dump's cost
 * is the kernel walking its whole established hash (shared by every
 * namespace unless net.ipv4.tcp_child_ehash_entries gave this one its
 * own), so halving the dumps halves the read. */
#include "linux_diag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../../netns/netns.h"

/* Every state up to TCP_NEW_SYN_RECV: listeners, request socks and
 * timewait entries are each dumped only when their bit is asked for.
 * TCP_BOUND_INACTIVE is left out: such a socket has no peer to match. */
#define DIAG_STATES ((1u << (LINUX_TCP_NEW_SYN_RECV + 1)) - 2u)

/* inet_twsk_diag_fill marks timewait entries with this timer kind. */
#define DIAG_TIMER_TIMEWAIT 3

#define DIAG_BUF (32u << 10)

struct linux_diag {
	struct mnl_socket *nl;
	unsigned portid;
	unsigned seq;
	unsigned dumped; /* sockets the last read's dump returned */
	uint8_t buf[DIAG_BUF];
};

int linux_tcp_state_map(int linux_state, enum tc_state *out)
{
	switch (linux_state) {
	case LINUX_TCP_ESTABLISHED: *out = TC_ESTABLISHED; return 0;
	case LINUX_TCP_SYN_SENT: *out = TC_SYN_SENT; return 0;
	case LINUX_TCP_SYN_RECV: *out = TC_SYN_RECEIVED; return 0;
	case LINUX_TCP_FIN_WAIT1: *out = TC_FIN_WAIT_1; return 0;
	case LINUX_TCP_FIN_WAIT2: *out = TC_FIN_WAIT_2; return 0;
	case LINUX_TCP_TIME_WAIT: *out = TC_TIME_WAIT; return 0;
	case LINUX_TCP_CLOSE: *out = TC_CLOSED; return 0;
	case LINUX_TCP_CLOSE_WAIT: *out = TC_CLOSE_WAIT; return 0;
	case LINUX_TCP_LAST_ACK: *out = TC_LAST_ACK; return 0;
	case LINUX_TCP_LISTEN: *out = TC_LISTEN; return 0;
	case LINUX_TCP_CLOSING: *out = TC_CLOSING; return 0;
	case LINUX_TCP_NEW_SYN_RECV: *out = TC_SYN_RECEIVED; return 0;
	case LINUX_TCP_BOUND_INACTIVE: *out = TC_CLOSED; return 0;
	}
	return -1;
}

struct linux_diag *linux_diag_open(int target_ns_fd, struct tc_err *err)
{
	struct timeval tv = {.tv_sec = LINUX_DIAG_TIMEOUT_MS / 1000,
			     .tv_usec = (LINUX_DIAG_TIMEOUT_MS % 1000) * 1000};
	struct linux_diag *d;
	int fd;

	d = calloc(1, sizeof(*d));
	if (!d) {
		tc_err_set(err, TC_ERR_NOMEM, "sock_diag: out of memory");
		return NULL;
	}
	/* sock_diag answers for the namespace the socket was made in. */
	fd = netns_socket(target_ns_fd, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG, err);
	if (fd < 0) {
		tc_err_prefix(err, "sock_diag");
		free(d);
		return NULL;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "sock_diag: SO_RCVTIMEO: %s", strerror(errno));
		close(fd);
		free(d);
		return NULL;
	}
	d->nl = mnl_socket_fdopen(fd);
	if (!d->nl) {
		tc_err_set(err, TC_ERR_SYSTEM, "sock_diag: mnl_socket_fdopen: %s", strerror(errno));
		close(fd);
		free(d);
		return NULL;
	}
	if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "sock_diag: bind: %s", strerror(errno));
		linux_diag_close(d);
		return NULL;
	}
	d->portid = mnl_socket_get_portid(d->nl);
	d->seq = (unsigned)time(NULL);
	return d;
}

void linux_diag_close(struct linux_diag *d)
{
	if (!d)
		return;
	if (d->nl)
		mnl_socket_close(d->nl);
	free(d);
}

/* ---- matching ---- */

/* An address as the query sees it: family 4 or 6, and IPv4 in the first
 * four bytes. */
struct diag_addr {
	int family;
	uint8_t b[16];
};

struct diag_query {
	int family;
	struct diag_addr local, peer;
	uint16_t port, peer_port;
	/* Results: the best connection match (rank 0 = none) and whether a
	 * listener serves the port. */
	int rank;
	int linux_state;
	bool listener;
	unsigned dumped;
	const char *bad; /* why a message was malformed, NULL when none was */
};

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* A dumped address, with an IPv6 socket's ::ffff:a.b.c.d turned into the
 * IPv4 address it carries (a dual-stack socket's IPv4 connection). */
static void diag_addr_from(int af, const __be32 raw[4], struct diag_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (af == AF_INET) {
		out->family = 4;
		memcpy(out->b, raw, 4);
		return;
	}
	if (memcmp(raw, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		out->family = 4;
		memcpy(out->b, (const uint8_t *)raw + 12, 4);
		return;
	}
	out->family = 6;
	memcpy(out->b, raw, 16);
}

static bool diag_addr_eq(const struct diag_addr *a, const struct diag_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

static bool diag_addr_any(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* Does the listener bound to af/raw (v6only as the kernel said) accept
 * connections to the query's local address? */
static bool listener_serves(const struct diag_query *q, int af, const __be32 raw[4], bool v6only)
{
	struct diag_addr a;

	if (af == AF_INET6 && diag_addr_any((const uint8_t *)raw, 16))
		return q->family == 6 || !v6only;
	if (af == AF_INET && diag_addr_any((const uint8_t *)raw, 4))
		return q->family == 4;
	diag_addr_from(af, raw, &a);
	return diag_addr_eq(&a, &q->local);
}

static bool diag_v6only(const struct nlmsghdr *h)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, h, sizeof(struct inet_diag_msg)) {
		if (mnl_attr_get_type(attr) == INET_DIAG_SKV6ONLY && mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
			return mnl_attr_get_u8(attr) != 0;
	}
	return false;
}

static int diag_msg_cb(const struct nlmsghdr *h, void *data)
{
	struct diag_query *q = data;
	const struct inet_diag_msg *r;
	struct diag_addr src, dst;
	int rank;

	/* Replies carry the request's type; older kernels used their own. */
	if (h->nlmsg_type != TCPDIAG_GETSOCK && h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(h) < sizeof(*r)) {
		q->bad = "a message shorter than struct inet_diag_msg";
		return MNL_CB_ERROR;
	}
	r = mnl_nlmsg_get_payload(h);
	if (r->idiag_family != AF_INET && r->idiag_family != AF_INET6)
		return MNL_CB_OK;
	q->dumped++;
	if (ntohs(r->id.idiag_sport) != q->port)
		return MNL_CB_OK;
	if (r->idiag_state == LINUX_TCP_LISTEN) {
		if (listener_serves(q, r->idiag_family, r->id.idiag_src,
				    r->idiag_family == AF_INET6 && diag_v6only(h)))
			q->listener = true;
		return MNL_CB_OK;
	}
	if (ntohs(r->id.idiag_dport) != q->peer_port)
		return MNL_CB_OK;
	diag_addr_from(r->idiag_family, r->id.idiag_src, &src);
	diag_addr_from(r->idiag_family, r->id.idiag_dst, &dst);
	if (!diag_addr_eq(&src, &q->local) || !diag_addr_eq(&dst, &q->peer))
		return MNL_CB_OK;
	/* A timewait entry is what is left of an earlier connection with the
	 * same 4-tuple; anything else is the live one. */
	rank = r->idiag_timer == DIAG_TIMER_TIMEWAIT ? 1 : 2;
	if (rank > q->rank) {
		q->rank = rank;
		q->linux_state = r->idiag_state;
	}
	return MNL_CB_OK;
}

/* ---- the kernel-side filter ---- */

/* inet_diag bytecode is a list of conditional forward jumps: each op goes
 * on to op + yes when its condition holds and to op + no when it does not;
 * a socket is dumped when the jumps land exactly on the end. The kernel's
 * audit (inet_diag_bc_audit) walks the program through the yes offsets
 * only, so every yes must be the op's own length and every no must land on
 * an op that walk reaches, on the end, or 4 bytes past the end, which is
 * how a program rejects. The program here:
 *
 *   A  S_COND  any address, port         no: reject
 *   B  D_COND  peer address, peer_port   no: C
 *   J  JMP                               always to the end: accept
 *   C  D_COND  any address, port 0       no: reject
 *
 * that is, "source port is ours, and the far end is the peer or nobody"
 * (a listener's destination port is 0). For an IPv4 peer the kernel also
 * matches B against a dual-stack IPv6 socket's ::ffff:a.b.c.d. */

#define BC_MAX 64

static size_t bc_put_op(uint8_t *bc, size_t off, uint8_t code, size_t yes, size_t no)
{
	struct inet_diag_bc_op op = {.code = code, .yes = (unsigned char)yes, .no = (unsigned short)no};

	memcpy(bc + off, &op, sizeof(op));
	return off + sizeof(op);
}

/* An S_COND or D_COND op with its host condition; alen address bytes. */
static size_t bc_put_cond(uint8_t *bc, size_t off, uint8_t code, size_t no, uint8_t family, const uint8_t *addr,
			  size_t alen, int port)
{
	struct inet_diag_hostcond hc = {.family = family, .prefix_len = (uint8_t)(alen * 8), .port = port};
	size_t len = sizeof(struct inet_diag_bc_op) + sizeof(hc) + alen;

	off = bc_put_op(bc, off, code, len, no);
	memcpy(bc + off, &hc, sizeof(hc));
	off += sizeof(hc);
	if (alen)
		memcpy(bc + off, addr, alen);
	return off + alen;
}

static size_t bc_build(const struct diag_query *q, uint8_t bc[BC_MAX])
{
	const size_t op = sizeof(struct inet_diag_bc_op), any = op + sizeof(struct inet_diag_hostcond);
	size_t alen = q->family == 4 ? 4 : 16;
	size_t peer = any + alen;
	size_t total = any + peer + op + any;
	size_t off = 0;

	off = bc_put_cond(bc, off, INET_DIAG_BC_S_COND, total + 4, AF_UNSPEC, NULL, 0, q->port);
	off = bc_put_cond(bc, off, INET_DIAG_BC_D_COND, peer + op, q->family == 4 ? AF_INET : AF_INET6, q->peer.b,
			  alen, q->peer_port);
	off = bc_put_op(bc, off, INET_DIAG_BC_JMP, op, op + any);
	off = bc_put_cond(bc, off, INET_DIAG_BC_D_COND, any + 4, AF_UNSPEC, NULL, 0, 0);
	return off;
}

/* The one dump of a read: both address families, filtered by bc_build. */
static int diag_dump(struct linux_diag *d, struct diag_query *q, struct tc_err *err)
{
	struct nlmsghdr *h;
	struct inet_diag_req *req;
	uint8_t bc[BC_MAX];
	size_t bc_len;
	unsigned seq = ++d->seq;
	ssize_t n;
	int rc;

	h = mnl_nlmsg_put_header(d->buf);
	h->nlmsg_type = TCPDIAG_GETSOCK;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	h->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(h, sizeof(*req));
	req->idiag_family = AF_UNSPEC;
	req->idiag_states = DIAG_STATES;
	req->id.idiag_cookie[0] = req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	bc_len = bc_build(q, bc);
	mnl_attr_put(h, INET_DIAG_REQ_BYTECODE, bc_len, bc);
	if (mnl_socket_sendto(d->nl, h, h->nlmsg_len) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "sock_diag: send: %s", strerror(errno));
	for (;;) {
		n = mnl_socket_recvfrom(d->nl, d->buf, sizeof(d->buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return tc_err_set(err, TC_ERR_SYSTEM, "sock_diag: no answer within %d ms",
						  LINUX_DIAG_TIMEOUT_MS);
			if (errno == EINTR)
				continue;
			return tc_err_set(err, TC_ERR_SYSTEM, "sock_diag: receive: %s", strerror(errno));
		}
		rc = mnl_cb_run(d->buf, (size_t)n, seq, d->portid, diag_msg_cb, q);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0) {
			if (q->bad)
				return tc_err_set(err, TC_ERR_SYSTEM, "sock_diag: %s", q->bad);
			return tc_err_set(err, TC_ERR_SYSTEM, "sock_diag: filtered dump: %s", strerror(errno));
		}
	}
}

int linux_diag_state(struct linux_diag *d, int family, const struct seg_addr *local, uint16_t port,
		     const struct seg_addr *peer, uint16_t peer_port, enum tc_state *out, struct tc_err *err)
{
	struct diag_query q;
	int rc;

	d->dumped = 0;
	if (family != 4 && family != 6)
		return tc_err_set(err, TC_ERR_USAGE, "sock_diag: address family %d is neither 4 nor 6", family);
	if (local->family != family || peer->family != family)
		return tc_err_set(err, TC_ERR_USAGE, "sock_diag: addresses of family %d/%d asked as family %d",
				  local->family, peer->family, family);
	memset(&q, 0, sizeof(q));
	q.family = family;
	q.local.family = q.peer.family = family;
	memcpy(q.local.b, local->bytes, family == 4 ? 4 : 16);
	memcpy(q.peer.b, peer->bytes, family == 4 ? 4 : 16);
	q.port = port;
	q.peer_port = peer_port;
	rc = diag_dump(d, &q, err);
	d->dumped = q.dumped;
	if (rc < 0)
		return -1;
	if (q.rank > 0) {
		if (linux_tcp_state_map(q.linux_state, out) < 0)
			return tc_err_set(err, TC_ERR_TARGET, "sock_diag: unknown TCP state %d", q.linux_state);
		return 0;
	}
	*out = q.listener ? TC_LISTEN : TC_CLOSED;
	return 0;
}

unsigned linux_diag_last_dumped(const struct linux_diag *d)
{
	return d->dumped;
}
