/* The case's application, through lwIP's raw API (tcp_new, tcp_bind,
 * tcp_listen, tcp_accept, tcp_connect, tcp_write + tcp_output, tcp_recv +
 * tcp_recved, tcp_shutdown, tcp_close, tcp_abort). It keeps what a socket
 * layer would: the connections lwIP handed over and the bytes received and
 * not yet read (the window stays closed by them until `recv` reads them:
 * tcp_recved is called only then). */
#ifndef TC_LWIP_APP_H
#define TC_LWIP_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "../../case/tc_case.h"
#include "../../err/tc_err.h"
#include "../../seg/seg.h"

struct lwip_app;

/* The case's ends: the target's address and port, the peer's. */
struct lwip_app *lwip_app_new(const struct seg_addr *local, uint16_t port,
			      const struct seg_addr *peer, uint16_t peer_port);
/* Only after lwip_pcb_remove_all (which detaches every callback that could
 * still point here). */
void lwip_app_free(struct lwip_app *app);

/* One action: 0 when the call was made, with its errno (lwIP's err_t
 * through err_to_errno) and value in *res; -1 with TC_ERR_TARGET when
 * there is nothing to act on (no connection, no listener). */
int lwip_app_do(struct lwip_app *app, const struct tc_app *act, struct tc_app_result *res, struct tc_err *err);

/* lwIP handed over more connections than the app keeps (it then aborted
 * the extra one): an error of the target, reported at the next capture. */
bool lwip_app_overflowed(const struct lwip_app *app);

#endif
