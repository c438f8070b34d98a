/* Shared between the files of lib/netns only. */
#ifndef TC_NETNS_INT_H
#define TC_NETNS_INT_H

#include "netns.h"

/* Bits of netns_pair.held: what netns_pair_destroy has to undo. */
enum {
	NETNS_HELD_ORIG = 1u << 0,
	NETNS_HELD_TARGET = 1u << 1,
	NETNS_HELD_HARNESS = 1u << 2,
	NETNS_HELD_MNT_TARGET = 1u << 3,
	NETNS_HELD_MNT_HARNESS = 1u << 4,
	NETNS_HELD_RUNDIR = 1u << 5, /* this pair made /run/netns */
};

#define NETNS_PREFIX_LEN4 24
#define NETNS_PREFIX_LEN6 64

/* The thread's current network namespace as an fd, and the way back to it
 * (closes saved). */
int netns_save(struct tc_err *err);
int netns_restore(int saved, struct tc_err *err);

/* netns_link.c: the veth, its addresses, neighbours, sysctls and links up,
 * on a pair whose namespaces and names exist. Fills ifindex and mac. */
int netns_link_setup(struct netns_pair *p, const struct netns_pair_conf *conf, struct tc_err *err);

/* netns_ethtool.c: merging, splitting and checksum offloads off, then
 * checked off; names any that stayed on. */
int netns_offloads_off(int ns_fd, const char *ifname, struct tc_err *err);

#endif
