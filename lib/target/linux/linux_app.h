/* The application side of the linux target: a helper process inside the
 * target namespace owns the sockets and performs a case's application
 * actions (listen, connect, accept, send, recv, shutdown, close, abort,
 * close-listener) on the local kernel's TCP, one request at a time over a
 * SEQPACKET socketpair.
 *
 * A process rather than a thread that switches namespaces: the sockets must
 * live in the target namespace, blocking waits (accept, recv, send on a full
 * buffer) must not hold up the harness's capture, and the helper's sockets
 * die with it if the harness is killed, so no TCP state outlives the run.
 *
 * The helper is bound to the thread that started it: it is sent SIGKILL when
 * that thread ends (PR_SET_PDEATHSIG), so start and stop it from a thread
 * that lives as long as the case. It keeps no descriptor of the harness but
 * its end of the socketpair, and never writes to stdout or stderr except one
 * line when it cannot report a fatal error any other way.
 *
 * Errors from the kernel come back as values: "connect: Connection refused",
 * "recv: 5 bytes expected, 2 readable", with the connection's pending socket
 * error (SO_ERROR) appended when there is one. */
#ifndef TC_LINUX_APP_H
#define TC_LINUX_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../case/tc_case.h"
#include "../../err/tc_err.h"
#include "../../seg/seg.h"

/* The longest congestion control name the kernel accepts, NUL included
 * (TCP_CA_NAME_MAX). */
#define LINUX_APP_CC_MAX 16

struct linux_app;

struct linux_app_conf {
	int target_ns_fd; /* the namespace the helper's sockets live in */
	int family; /* 4 or 6 */
	struct seg_addr local; /* the target's address: listen and connect bind here */
	/* its second address (family 0: none): `connect from second` binds it */
	struct seg_addr local2;
	struct seg_addr peer; /* where connect goes */
	uint16_t port; /* the case's target port: listen's default, connect's bound source port */
	uint16_t peer_port; /* connect's destination port */
	/* Applied to every socket the helper makes, before bind, connect or
	 * listen; accepted sockets inherit them from the listener. */
	const char *congestion; /* TCP_CONGESTION, e.g. "reno"; NULL = the namespace's default */
	int rcvbuf, sndbuf; /* SO_RCVBUF / SO_SNDBUF; 0 = leave */
	int mss; /* TCP_MAXSEG; 0 = leave */
	/* TCP_NODELAY, also set on accepted sockets. Cases expect data to
	 * leave at once, so callers normally want true; a zeroed conf leaves
	 * Nagle on. */
	bool nodelay;
	/* SO_KEEPALIVE: 0 = off (the default), -1 = on with the namespace's
	 * times, N > 0 = on with TCP_KEEPIDLE and TCP_KEEPINTVL N seconds */
	int keepalive;
};

/* Forks the helper, which enters conf->target_ns_fd and reports ready; a
 * helper that cannot enter the namespace is reaped and its reason returned.
 * conf->congestion is copied. NULL with err set on failure. */
struct linux_app *linux_app_start(const struct linux_app_conf *conf, struct tc_err *err);

/* Performs one action. Where the action must wait (accept for a connection,
 * recv for its bytes, send for buffer space) the helper waits up to
 * timeout_us; 0 means "only what is possible right now". Returns 0 when
 * the call was made, with its errno, value and the bytes a recv read in
 * *res; -1 with err set (TC_ERR_TARGET when there is nothing to act on, no
 * connection or no listener; TC_ERR_SYSTEM when the helper is gone or does
 * not answer). Before a connection exists, setsockopt is kept and set on
 * every socket listen, connect and accept make from then on. */
int linux_app_do(struct linux_app *a, const struct tc_app *act, uint64_t timeout_us, struct tc_app_result *res,
		 struct tc_err *err);

/* Ends the helper: it closes every socket (unread data is drained first so
 * the kernel closes with a FIN, not an RST; only abort sends RST) and exits.
 * Waits up to 1 s for it, then sends it SIGKILL, and reaps it by its PID.
 * NULL is allowed. */
void linux_app_stop(struct linux_app *a);

/* The helper's PID (kept after it is reaped, for the caller's records). */
pid_t linux_app_pid(const struct linux_app *a);

#endif
