/* lwIP's PCBs as the target sees them: addresses between lib/seg and
 * lwIP, lwIP's states as RFC 9293 3.3.2 names them, the PCB of a case's
 * four-tuple, and removing them all between cases. Includes lwIP's headers:
 * only the lwip target's own files use it. */
#ifndef TC_LWIP_PCB_H
#define TC_LWIP_PCB_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/tcp.h"

#include "../../case/tc_state.h"
#include "../../seg/seg.h"

void lwip_addr_from_seg(ip_addr_t *out, const struct seg_addr *a);

/* lwIP's enum tcp_state (tcpbase.h) in RFC 9293 terms: the names match one
 * for one (SYN_RCVD is SYN-RECEIVED). */
enum tc_state lwip_state_to_tc(enum tcp_state st);

/* The case's connection: a PCB of tcp_active_pcbs or tcp_tw_pcbs with local
 * port `port` and remote peer:peer_port; NULL when there is none. */
struct tcp_pcb *lwip_pcb_find(uint16_t port, const struct seg_addr *peer, uint16_t peer_port);
bool lwip_pcb_listening(uint16_t port);

/* Whether lwIP still holds pcb in one of its lists with `arg` as its
 * callback argument. lwIP frees a TIME-WAIT PCB when 2*MSL ends without
 * telling the application (no error callback), so a pointer kept across
 * calls is checked before use; the argument tells a reused address apart. */
bool lwip_pcb_alive(const struct tcp_pcb *pcb, const void *arg);

/* What the target reads as the case's state: its connection's, else
 * LISTEN when a listener holds the port, else CLOSED. */
enum tc_state lwip_pcb_case_state(uint16_t port, const struct seg_addr *peer, uint16_t peer_port);

/* Every PCB of every list removed, callbacks detached first so none of
 * them reaches a case that is gone, and no RST sent. */
void lwip_pcb_remove_all(void);
bool lwip_pcb_all_empty(void);

#endif
