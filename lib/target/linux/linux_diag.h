/* The current state of one connection of the kernel's TCP, read with
 * sock_diag (NETLINK_SOCK_DIAG, inet_diag) inside the target namespace, as
 * `ss -tan state all` shows it.
 *
 * sock_diag sees three kinds of entry, and each has a state the tracepoint
 * cannot give (see docs/linux-states.md):
 *   - full sockets: their own state;
 *   - request socks: a passive open between the SYN and the ACK that
 *     completes it lives only as one of these, reported as SYN-RECEIVED;
 *   - timewait entries: TIME-WAIT, and also FIN-WAIT-2 of a socket the
 *     application closed (the kernel frees the full socket and keeps a
 *     timewait entry with substate FIN_WAIT2).
 * Every read is one request, filtered in the kernel to the case's ports,
 * and one bounded round trip: a reply that takes longer than
 * LINUX_DIAG_TIMEOUT_MS is an error, never a hang. */
#ifndef TC_LINUX_DIAG_H
#define TC_LINUX_DIAG_H

#include <stdint.h>

#include "../../case/tc_state.h"
#include "../../err/tc_err.h"
#include "../../seg/seg.h"

#define LINUX_DIAG_TIMEOUT_MS 1000

/* The kernel's TCP states (include/net/tcp_states.h), which are ABI: both
 * sock_diag and the tracepoint report these numbers. */
enum linux_tcp_state {
	LINUX_TCP_ESTABLISHED = 1,
	LINUX_TCP_SYN_SENT = 2,
	LINUX_TCP_SYN_RECV = 3,
	LINUX_TCP_FIN_WAIT1 = 4,
	LINUX_TCP_FIN_WAIT2 = 5,
	LINUX_TCP_TIME_WAIT = 6,
	LINUX_TCP_CLOSE = 7,
	LINUX_TCP_CLOSE_WAIT = 8,
	LINUX_TCP_LAST_ACK = 9,
	LINUX_TCP_LISTEN = 10,
	LINUX_TCP_CLOSING = 11,
	LINUX_TCP_NEW_SYN_RECV = 12,
	LINUX_TCP_BOUND_INACTIVE = 13, /* bound, neither listening nor connected */
};

/* The RFC 9293 state of a kernel state; -1 for a number the kernel does not
 * define. TCP_NEW_SYN_RECV (a request sock) is SYN-RECEIVED and
 * TCP_BOUND_INACTIVE is CLOSED. */
int linux_tcp_state_map(int linux_state, enum tc_state *out);

struct linux_diag;

/* A NETLINK_SOCK_DIAG socket made inside the target namespace. */
struct linux_diag *linux_diag_open(int target_ns_fd, struct tc_err *err);
void linux_diag_close(struct linux_diag *d);

/* The state of the connection local:port <-> peer:peer_port (family 4 or 6)
 * in the target namespace. A full socket or a request sock wins over a
 * timewait entry when both carry the 4-tuple. IPv4
 * connections of dual-stack IPv6 sockets (::ffff:a.b.c.d) count as IPv4.
 * LISTEN when no connection exists but a listener on port does (bound to
 * local or to the wildcard address); CLOSED when nothing is there. */
int linux_diag_state(struct linux_diag *d, int family, const struct seg_addr *local, uint16_t port,
		     const struct seg_addr *peer, uint16_t peer_port, enum tc_state *out, struct tc_err *err);

/* How many sockets the kernel returned for the last linux_diag_state: its
 * filter lets through only those whose source port is port and whose far
 * end is peer:peer_port or nobody (listeners), so a namespace full of other
 * sockets costs no more. For tests and diagnostics. */
unsigned linux_diag_last_dumped(const struct linux_diag *d);

#endif
