/* The path to a remote host, as the prober's kernel sees it, read over
 * rtnetlink (libmnl): the route (interface, our own source address, the
 * next hop), the interface's MAC, and the next hop's MAC from the
 * neighbour table. Reading sends nothing onto any network. */
#ifndef TC_REMOTE_ROUTE_H
#define TC_REMOTE_ROUTE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../err/tc_err.h"
#include "../../seg/seg.h"

#define REMOTE_MAC_LEN 6

struct remote_path {
	struct seg_addr dst; /* the remote host */
	struct seg_addr src; /* the prober's own address on the way there */
	struct seg_addr nexthop; /* the gateway, or dst itself on a link */
	bool via_gateway;
	int ifindex;
	char ifname[IFNAMSIZ];
	uint8_t src_mac[REMOTE_MAC_LEN], dst_mac[REMOTE_MAC_LEN];
	bool have_dst_mac;
};

/* RTM_GETROUTE for p->dst (set by the caller), then the link. Refused
 * (TC_ERR_USAGE): a route that is local (the prober's own address), a
 * broadcast or multicast route, a loopback or non-Ethernet interface, an
 * address that is the subnet broadcast or network address of one of the
 * interface's IPv4 prefixes. No route: TC_ERR_SYSTEM. */
int remote_path_find(struct remote_path *p, struct tc_err *err);

/* The next hop's MAC from the neighbour table, if it has a usable one
 * (reachable, stale, delay, probe, permanent, noarp): 1 found, 0 not, -1
 * error. */
int remote_path_neighbour(struct remote_path *p, struct tc_err *err);

#endif
