/* The veth between the two namespaces, its addresses and the target's
 * neighbours, through rtnetlink (libmnl). One netlink socket per namespace:
 * a socket acts on the namespace it was made in. */
#include "netns_int.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Replies to a GETLINK carry every statistic and per-family setting. */
#define NL_BUF 32768
#define LINK_UP_WAIT_US 2000000
#define NL_REPLY_WAIT_S 5

struct nl {
	struct mnl_socket *sock;
	unsigned portid, seq;
	const char *ns; /* "target" or "harness", for messages */
};

static int nl_open(struct nl *nl, int ns_fd, const char *ns, struct tc_err *err)
{
	struct timeval limit = {.tv_sec = NL_REPLY_WAIT_S};
	int fd, one = 1;

	nl->sock = NULL;
	nl->seq = 0;
	nl->ns = ns;
	fd = netns_socket(ns_fd, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, err);
	if (fd < 0)
		return -1;
	/* A reply the kernel dropped on a full socket would otherwise be
	 * waited for forever. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) < 0) {
		int e = errno;

		close(fd);
		return tc_err_set(err, TC_ERR_SYSTEM, "netlink socket timeout in the %s namespace: %s", ns,
				  strerror(e));
	}
	nl->sock = mnl_socket_fdopen(fd);
	if (!nl->sock) {
		int e = errno;

		close(fd);
		return tc_err_set(err, TC_ERR_SYSTEM, "netlink socket in the %s namespace: %s", ns, strerror(e));
	}
	/* Link notifications: how wait_running() learns that a link came up. */
	if (mnl_socket_bind(nl->sock, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "bind netlink socket in the %s namespace: %s", ns,
				  strerror(errno));
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* The kernel's own words on a refused request, and acks without the
	 * request echoed back. Older kernels lack them; the errno still tells. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* The NLMSGERR_ATTR_MSG of an extended ack, or NULL. */
static const char *ext_ack_msg(const struct nlmsghdr *h, const struct nlmsgerr *e)
{
	const uint8_t *payload = mnl_nlmsg_get_payload(h);
	size_t plen = mnl_nlmsg_get_payload_len(h);
	const struct nlattr *attr;
	size_t off;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	off = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = MNL_ALIGN(off);
	if (off >= plen)
		return NULL;
	mnl_attr_for_each_payload((const struct nlattr *)(payload + off), plen - off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

typedef int (*nl_reply_fn)(const struct nlmsghdr *h, void *data);

/* Sends one request and reads until its ack; replies before the ack go to
 * fn. what names the request in messages. */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, nl_reply_fn fn, void *data, const char *what,
		   struct tc_err *err)
{
	static _Thread_local uint8_t buf[NL_BUF];
	bool fn_failed = false;

	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "%s in the %s namespace: netlink send: %s", what, nl->ns,
				  strerror(errno));
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		int len;

		/* ENOBUFS: notifications were lost, which wait_running() survives by
		 * asking again. */
		if (n < 0 && (errno == EINTR || errno == ENOBUFS))
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return tc_err_set(err, TC_ERR_SYSTEM, "%s in the %s namespace: no netlink answer within %d s",
					  what, nl->ns, NL_REPLY_WAIT_S);
		if (n < 0)
			return tc_err_set(err, TC_ERR_SYSTEM, "%s in the %s namespace: netlink receive: %s", what,
					  nl->ns, strerror(errno));
		for (len = (int)n; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e;
			const char *msg;

			if (h->nlmsg_seq != nl->seq || h->nlmsg_pid != nl->portid)
				continue;
			if (h->nlmsg_type != NLMSG_ERROR) {
				if (fn && !fn_failed && fn(h, data) < 0)
					fn_failed = true;
				continue;
			}
			if (h->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return tc_err_set(err, TC_ERR_SYSTEM, "%s in the %s namespace: truncated netlink ack",
						  what, nl->ns);
			e = mnl_nlmsg_get_payload(h);
			if (e->error == 0) {
				if (fn_failed)
					return tc_err_set(err, TC_ERR_SYSTEM,
							  "%s in the %s namespace: reply not understood", what, nl->ns);
				return 0;
			}
			msg = ext_ack_msg(h, e);
			if (msg)
				return tc_err_set(err, TC_ERR_SYSTEM, "%s in the %s namespace: %s (kernel: %s)", what,
						  nl->ns, strerror(-e->error), msg);
			return tc_err_set(err, TC_ERR_SYSTEM, "%s in the %s namespace: %s", what, nl->ns,
					  strerror(-e->error));
		}
	}
}

static struct nlmsghdr *nl_start(uint8_t *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	return h;
}

/* ---- links ---- */

/* Locally administered, fixed per worker, so pcaps of two runs compare
 * byte for byte. The namespaces are private: no other host sees them. */
static void end_mac(uint8_t mac[NETNS_MAC_LEN], unsigned worker, uint8_t role)
{
	mac[0] = 0x02;
	mac[1] = 't';
	mac[2] = 'c';
	mac[3] = (uint8_t)(worker >> 8);
	mac[4] = (uint8_t)worker;
	mac[5] = role;
}

/* The harness end is made in the harness namespace; its peer is born
 * straight into the target namespace, so neither end ever appears in the
 * namespace the process started in. */
static int make_veth(struct nl *harness, const struct netns_pair *p, unsigned worker, struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t hmac[NETNS_MAC_LEN], tmac[NETNS_MAC_LEN];
	struct nlmsghdr *h = nl_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	struct nlattr *linkinfo, *data, *peer;
	char what[128];

	end_mac(hmac, worker, 'h');
	end_mac(tmac, worker, 't');
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, p->harness.ifname);
	mnl_attr_put(h, IFLA_ADDRESS, sizeof(hmac), hmac);
	linkinfo = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
	/* The peer's attributes follow an ifinfomsg of their own. */
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, p->target.ifname);
	mnl_attr_put(h, IFLA_ADDRESS, sizeof(tmac), tmac);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)p->target.ns_fd);
	mnl_attr_nest_end(h, peer);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, linkinfo);
	snprintf(what, sizeof(what), "create veth %s (target end %s)", p->harness.ifname, p->target.ifname);
	return nl_talk(harness, h, NULL, NULL, what, err);
}

struct link_info {
	int ifindex;
	unsigned flags;
	uint8_t mac[NETNS_MAC_LEN];
	bool have_mac;
	char qdisc[32];
};

static int link_attr(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	if (mnl_attr_get_type(a) == IFLA_ADDRESS && mnl_attr_get_payload_len(a) == NETNS_MAC_LEN) {
		memcpy(li->mac, mnl_attr_get_payload(a), NETNS_MAC_LEN);
		li->have_mac = true;
	}
	if (mnl_attr_get_type(a) == IFLA_QDISC && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(li->qdisc, sizeof(li->qdisc), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int link_reply(const struct nlmsghdr *h, void *data)
{
	struct link_info *li = data;
	const struct ifinfomsg *ifi;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -1;
	ifi = mnl_nlmsg_get_payload(h);
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	return mnl_attr_parse(h, sizeof(*ifi), link_attr, li) == MNL_CB_ERROR ? -1 : 0;
}

static int get_link(struct nl *nl, const char *ifname, struct link_info *li, struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = nl_start(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	char what[64];

	memset(li, 0, sizeof(*li));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, ifname);
	snprintf(what, sizeof(what), "look up link %s", ifname);
	if (nl_talk(nl, h, link_reply, li, what, err) < 0)
		return -1;
	if (li->ifindex <= 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "%s in the %s namespace: no interface index in the reply", what,
				  nl->ns);
	return 0;
}

static int link_up(struct nl *nl, int ifindex, const char *ifname, struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = nl_start(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	char what[64];

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	snprintf(what, sizeof(what), "bring %s up", ifname);
	return nl_talk(nl, h, NULL, NULL, what, err);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* IFF_UP is not yet "can send": the carrier and the queueing discipline
 * come from the kernel's link watch a moment later, and until then a frame
 * written to the link meets the noop qdisc and is dropped. */
static int wait_running(struct nl *nl, const struct netns_end *e, struct tc_err *err)
{
	uint64_t deadline = mono_us() + LINK_UP_WAIT_US;

	for (;;) {
		struct pollfd pfd = {.fd = mnl_socket_get_fd(nl->sock), .events = POLLIN};
		struct link_info li;
		uint64_t now;
		int rc;

		if (get_link(nl, e->ifname, &li, err) < 0)
			return -1;
		if ((li.flags & IFF_RUNNING) && li.qdisc[0] && strcmp(li.qdisc, "noop") != 0)
			return 0;
		now = mono_us();
		if (now >= deadline)
			return tc_err_set(err, TC_ERR_SYSTEM,
					  "link %s in the %s namespace not running %d ms after going up "
					  "(flags 0x%x, qdisc %s)",
					  e->ifname, nl->ns, LINK_UP_WAIT_US / 1000, li.flags, li.qdisc[0] ? li.qdisc : "?");
		/* The next link notification (or the deadline), then ask again. */
		rc = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
		if (rc < 0 && errno != EINTR)
			return tc_err_set(err, TC_ERR_SYSTEM, "poll on netlink in the %s namespace: %s", nl->ns,
					  strerror(errno));
	}
}

/* ---- addresses and neighbours ---- */

static int add_addr(struct nl *nl, const struct netns_end *e, const struct seg_addr *a, struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = nl_start(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	size_t alen = a->family == 4 ? 4 : 16;
	/* No duplicate address detection: the address must be usable at once,
	 * and nobody else is on this link. */
	uint32_t flags = IFA_F_PERMANENT | (a->family == 6 ? IFA_F_NODAD : 0);
	char what[128], text[64];

	ifa->ifa_family = a->family == 4 ? AF_INET : AF_INET6;
	ifa->ifa_prefixlen = a->family == 4 ? NETNS_PREFIX_LEN4 : NETNS_PREFIX_LEN6;
	ifa->ifa_flags = (uint8_t)flags;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)e->ifindex;
	mnl_attr_put(h, IFA_LOCAL, alen, a->bytes);
	mnl_attr_put(h, IFA_ADDRESS, alen, a->bytes);
	mnl_attr_put_u32(h, IFA_FLAGS, flags);
	snprintf(what, sizeof(what), "add address %s/%u to %s", seg_addr_format(a, text, sizeof(text)),
		 ifa->ifa_prefixlen, e->ifname);
	return nl_talk(nl, h, NULL, NULL, what, err);
}

static int add_neigh(struct nl *nl, const struct netns_end *on, const struct seg_addr *a, const uint8_t *mac,
		     struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = nl_start(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(h, sizeof(*nd));
	char what[128], text[64];

	nd->ndm_family = a->family == 4 ? AF_INET : AF_INET6;
	nd->ndm_ifindex = on->ifindex;
	/* Permanent: never probed, never aged out, so the target sends to the
	 * peer without ARP or neighbour discovery that nobody would answer. */
	nd->ndm_state = NUD_PERMANENT;
	mnl_attr_put(h, NDA_DST, a->family == 4 ? 4 : 16, a->bytes);
	mnl_attr_put(h, NDA_LLADDR, NETNS_MAC_LEN, mac);
	snprintf(what, sizeof(what), "add neighbour %s on %s", seg_addr_format(a, text, sizeof(text)), on->ifname);
	return nl_talk(nl, h, NULL, NULL, what, err);
}

/* ---- sysctls ---- */

static int iface_sysctl(int ns_fd, const char *family, const char *ifname, const char *key, const char *value,
			struct tc_err *err)
{
	char name[128];

	/* The path form: an interface name may hold a dot. */
	snprintf(name, sizeof(name), "net/%s/conf/%s/%s", family, ifname, key);
	return netns_sysctl_set(ns_fd, name, value, err);
}

/* Before the links go up, so nothing is sent under the old settings. */
static int set_sysctls(const struct netns_pair *p, bool bare_target, struct tc_err *err)
{
	int t = p->target.ns_fd, h = p->harness.ns_fd;

	/* The harness kernel owns no address and must neither answer nor
	 * route what the target sends to the peer: a new namespace may have
	 * inherited forwarding from the host. Without IPv6 on its veth it does
	 * not even solicit routers or join groups. */
	if (netns_sysctl_set(h, "net.ipv4.ip_forward", "0", err) < 0 ||
	    netns_sysctl_set(h, "net.ipv6.conf.all.forwarding", "0", err) < 0 ||
	    iface_sysctl(h, "ipv6", p->harness.ifname, "disable_ipv6", "1", err) < 0)
		return -1;
	/* DAD runs when either "all" or the interface asks for it; the
	 * link-local address gets none either. Router solicitations would only
	 * be noise in the capture. */
	if (netns_sysctl_set(t, "net.ipv4.ip_forward", "0", err) < 0 ||
	    netns_sysctl_set(t, "net.ipv6.conf.all.forwarding", "0", err) < 0 ||
	    netns_sysctl_set(t, "net.ipv6.conf.all.accept_dad", "0", err) < 0 ||
	    iface_sysctl(t, "ipv6", p->target.ifname, "accept_dad", "0", err) < 0 ||
	    iface_sysctl(t, "ipv6", p->target.ifname, "router_solicitations", "0", err) < 0)
		return -1;
	if (bare_target && iface_sysctl(t, "ipv6", p->target.ifname, "disable_ipv6", "1", err) < 0)
		return -1;
	return 0;
}

/* ---- the whole link ---- */

static int fill_end(struct nl *nl, struct netns_end *e, struct tc_err *err)
{
	struct link_info li;

	if (get_link(nl, e->ifname, &li, err) < 0)
		return -1;
	if (!li.have_mac)
		return tc_err_set(err, TC_ERR_SYSTEM, "link %s in the %s namespace has no MAC address", e->ifname,
				  nl->ns);
	e->ifindex = li.ifindex;
	memcpy(e->mac, li.mac, NETNS_MAC_LEN);
	return 0;
}

static int setup(struct nl *tnl, struct nl *hnl, struct netns_pair *p, const struct netns_pair_conf *conf,
		 struct tc_err *err)
{
	struct link_info lo;

	if (make_veth(hnl, p, conf->worker, err) < 0)
		return -1;
	if (fill_end(hnl, &p->harness, err) < 0 || fill_end(tnl, &p->target, err) < 0)
		return -1;
	if (set_sysctls(p, conf->bare_target, err) < 0)
		return -1;
	if (netns_offloads_off(p->target.ns_fd, p->target.ifname, err) < 0 ||
	    netns_offloads_off(p->harness.ns_fd, p->harness.ifname, err) < 0)
		return -1;
	/* the first address of each family first: it is the primary one IP
	 * chooses for an unbound connect (RFC 1122 3.3.4.3) */
	if (!conf->bare_target && (add_addr(tnl, &p->target, &p->target.addr4, err) < 0 ||
				   add_addr(tnl, &p->target, &p->target.addr6, err) < 0 ||
				   add_addr(tnl, &p->target, &p->target.addr4b, err) < 0 ||
				   add_addr(tnl, &p->target, &p->target.addr6b, err) < 0))
		return -1;
	if (get_link(tnl, "lo", &lo, err) < 0 || link_up(tnl, lo.ifindex, "lo", err) < 0)
		return -1;
	if (link_up(tnl, p->target.ifindex, p->target.ifname, err) < 0 ||
	    link_up(hnl, p->harness.ifindex, p->harness.ifname, err) < 0)
		return -1;
	if (wait_running(tnl, &p->target, err) < 0 || wait_running(hnl, &p->harness, err) < 0)
		return -1;
	/* After the link is up: taking a link down flushes even permanent
	 * entries. */
	if (conf->bare_target)
		return 0;
	if (add_neigh(tnl, &p->target, &p->harness.addr4, p->harness.mac, err) < 0 ||
	    add_neigh(tnl, &p->target, &p->harness.addr6, p->harness.mac, err) < 0)
		return -1;
	return 0;
}

int netns_link_setup(struct netns_pair *p, const struct netns_pair_conf *conf, struct tc_err *err)
{
	struct nl tnl = {0}, hnl = {0};
	int rc = -1;

	if (nl_open(&tnl, p->target.ns_fd, "target", err) == 0 && nl_open(&hnl, p->harness.ns_fd, "harness", err) == 0)
		rc = setup(&tnl, &hnl, p, conf, err);
	/* The sockets hold their namespaces: closed on every path, or a failed
	 * pair would outlive its descriptors. */
	nl_close(&tnl);
	nl_close(&hnl);
	return rc;
}
