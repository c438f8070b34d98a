/* The agent's Ethernet link for a stack of its own (--stack ref): a packet
 * socket on one interface that takes in the frames for the stack's own
 * addresses and sends the stack's IP packets in frames. It answers ARP
 * requests and IPv6 neighbour solicitations for its own addresses itself,
 * so any harness can find it, and it learns the peer's MAC from the frames
 * the peer sends (or is told it, --neighbour). The interface's kernel must
 * own none of these addresses, or it would answer as well. */
#ifndef TC_AGENT_LINK_H
#define TC_AGENT_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err/tc_err.h"
#include "../seg/seg.h"

#define AGENT_LINK_NEIGH_MAX 16

struct agent_link;

/* own4 / own6 may be NULL (no address of that family). */
struct agent_link *agent_link_open(const char *ifname, const struct seg_addr *own4, const struct seg_addr *own6,
				   struct tc_err *err);
void agent_link_close(struct agent_link *l);
int agent_link_fd(const struct agent_link *l);

/* A permanent neighbour: never replaced by what is learnt. */
int agent_link_add_neigh(struct agent_link *l, const struct seg_addr *a, const uint8_t mac[6], struct tc_err *err);

/* The next frame, without blocking. 1: *ip and *len are an IP packet (v4
 * or v6) addressed to one of our own addresses (valid until the next
 * call); 2: a frame was handled here (ARP, neighbour discovery) or is not
 * ours: call again; 0: nothing more is queued; -1: error. */
int agent_link_recv(struct agent_link *l, const uint8_t **ip, size_t *len, struct tc_err *err);

/* One IP packet in a frame to the MAC of its destination. TC_ERR_TARGET
 * when that MAC is not known. */
int agent_link_send_ip(struct agent_link *l, const uint8_t *ip, size_t len, struct tc_err *err);

#endif
