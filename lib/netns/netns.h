/* Network namespaces for running a real kernel's TCP against the injector.
 *
 * A pair is two fresh namespaces joined by one veth:
 *
 *   target ns                              harness ns
 *   lo (up)                                 (nothing but the veth)
 *   tcv<pid>w<worker>t  <---- veth ---->    tcv<pid>w<worker>h
 *   192.0.2.1/24, 2001:db8::1/64            no address, IPv6 disabled,
 *   neighbours 192.0.2.2, 2001:db8::2       forwarding off
 *     -> harness MAC (NUD_PERMANENT)
 *
 * The peer addresses 192.0.2.2 and 2001:db8::2 are configured nowhere: the
 * injector plays them from the harness end, and no kernel owns them, so no
 * kernel answers the target's segments with an RST. Offloads that merge,
 * split or defer checksums of segments are off on both ends, so what the
 * capture sees is what each TCP put on the wire.
 *
 * The namespaces are unnamed and held only by file descriptors of this
 * process: when it ends, even by SIGKILL, they and the veth vanish. Only
 * conf.keep (for debugging) names them under /run/netns, which outlives a
 * killed process.
 *
 * Namespace switches (netns_enter, netns_return) apply to the calling thread
 * only; sockets keep the namespace they were made in, so the usual pattern is
 * enter, socket(), return. */
#ifndef TC_NETNS_H
#define TC_NETNS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "../err/tc_err.h"
#include "../seg/seg.h"

#define NETNS_MAC_LEN 6
/* "/run/netns/tcpconform-<pid>-<worker>-harness" */
#define NETNS_PATH_MAX 96

struct netns_pair_conf {
	/* Worker number within the run; part of interface and mount names. */
	unsigned worker;
	/* Also bind-mount both namespaces as
	 * /run/netns/tcpconform-<pid>-<worker>-{target,harness} so that
	 * `ip netns exec` can enter them. They then outlive a killed process
	 * until someone unmounts them. */
	bool keep;
	/* Interface names are <prefix>w<worker>t and <prefix>w<worker>h, at
	 * most IFNAMSIZ - 1 bytes; NULL means "tcv<pid % 100000>". The kernel
	 * rejects names with '/', ':' or white space. */
	const char *ifname_prefix;
	/* The target end gets no address, no neighbours and no IPv6: the
	 * target namespace's kernel then owns nothing on the link and drops
	 * whatever arrives, for a stack of our own on a packet socket there
	 * (the ref-net target) that plays the target addresses instead. */
	bool bare_target;
};

/* One end of the veth and the namespace it lives in. */
struct netns_end {
	int ns_fd; /* -1 when not held */
	char ifname[IFNAMSIZ];
	int ifindex; /* in this end's namespace */
	uint8_t mac[NETNS_MAC_LEN];
	/* Target end: configured on the interface. Harness end: the peer the
	 * injector plays, configured nowhere. */
	struct seg_addr addr4, addr6;
	/* Target end: a second address of each family on the same interface
	 * and subnet (a multihomed host, RFC 9293 3.9.1.1); unused on the
	 * harness end. */
	struct seg_addr addr4b, addr6b;
	char mount_path[NETNS_PATH_MAX]; /* "" unless kept */
};

struct netns_pair {
	int orig_fd; /* the namespace the creating thread was in; -1 when not held */
	struct netns_end target, harness;
	unsigned held; /* what destroy must undo; zero for an empty pair */
};

/* Builds the pair described above. conf may be NULL (worker 0, not kept).
 * Must run as root (CAP_SYS_ADMIN and CAP_NET_ADMIN). On failure everything
 * made so far is removed and p is left empty (destroy is still allowed). The
 * calling thread ends in the namespace it started in, on every path. */
int netns_pair_create(struct netns_pair *p, const struct netns_pair_conf *conf, struct tc_err *err);

/* Returns the calling thread to the original namespace, closes every
 * descriptor (the namespaces and the veth go with the last reference),
 * unmounts and removes what keep made. Safe on a half-made pair, on a
 * zeroed struct, and twice. */
void netns_pair_destroy(struct netns_pair *p);

/* Async-signal-safe: removes the /run/netns names keep made (for a signal
 * handler; the namespaces go with the process). Destroy still works after. */
void netns_pair_unname_signal_safe(struct netns_pair *p);

/* Removes the /run/netns/tcpconform-<pid>-* names of processes that no
 * longer exist (a --keep-netns run killed by SIGKILL). Returns how many, or
 * -1 with err set. */
int netns_remove_stale(struct tc_err *err);

/* setns() of the calling thread into a namespace, and back to the one the
 * pair was created from. */
int netns_enter(int ns_fd, struct tc_err *err);
int netns_return(const struct netns_pair *p, struct tc_err *err);

/* A socket made inside ns_fd; the calling thread ends where it started. */
int netns_socket(int ns_fd, int domain, int type, int protocol, struct tc_err *err);

/* Writes (reads) /proc/sys/<name> inside ns_fd: enter, write, return to the
 * namespace the thread was in. name is in sysctl(8) form,
 * "net.ipv4.tcp_timestamps" (dots become slashes), or already a path below
 * /proc/sys, "net/ipv6/conf/eth0.5/accept_dad", for names holding a dot.
 * get writes the value without its trailing newline into buf. */
int netns_sysctl_set(int ns_fd, const char *name, const char *value, struct tc_err *err);
int netns_sysctl_get(int ns_fd, const char *name, char *buf, size_t cap, struct tc_err *err);

/* One ethtool feature ("rx-gro", "tx-checksum-ip-generic", ...) of an
 * interface in ns_fd: 1 on, 0 off, -1 with err set (also when the device has
 * no such feature). */
int netns_feature_get(int ns_fd, const char *ifname, const char *feature, struct tc_err *err);

#endif
