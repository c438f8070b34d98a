/* rtnetlink reads for remote_route.h: one request, its answers through a
 * callback, on a socket of the calling thread's namespace. */
#include "remote_route.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NL_BUF 32768

static int nl_query(struct nlmsghdr *req, mnl_cb_t cb, void *data, const char *what, struct tc_err *err)
{
	uint8_t buf[NL_BUF];
	struct timeval limit = {.tv_sec = 5};
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	unsigned portid;
	int rc;

	if (!nl)
		return tc_err_set(err, TC_ERR_SYSTEM, "%s: netlink socket: %s", what, strerror(errno));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = tc_err_set(err, TC_ERR_SYSTEM, "%s: netlink bind: %s", what, strerror(errno));
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	/* a single answer ends with an ack (a dump with NLMSG_DONE): either
	 * makes mnl_cb_run say stop */
	if (!(req->nlmsg_flags & NLM_F_DUMP))
		req->nlmsg_flags |= NLM_F_ACK;
	req->nlmsg_seq = (unsigned)time(NULL);
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		rc = tc_err_set(err, TC_ERR_SYSTEM, "%s: netlink send: %s", what, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			rc = tc_err_set(err, TC_ERR_SYSTEM, "%s: netlink receive: %s", what, strerror(errno));
			break;
		}
		rc = mnl_cb_run(buf, (size_t)n, req->nlmsg_seq, portid, cb, data);
		if (rc == MNL_CB_STOP) {
			rc = 0;
			break;
		}
		if (rc < 0) {
			rc = tc_err_set(err, errno == ENETUNREACH || errno == EHOSTUNREACH ? TC_ERR_USAGE : TC_ERR_SYSTEM,
					"%s: %s", what, strerror(errno));
			break;
		}
	}
out:
	mnl_socket_close(nl);
	return rc;
}

static int family_af(const struct seg_addr *a)
{
	return a->family == 6 ? AF_INET6 : AF_INET;
}

static size_t addr_len(const struct seg_addr *a)
{
	return a->family == 6 ? 16 : 4;
}

static void addr_from(struct seg_addr *a, int family, const void *bytes)
{
	memset(a, 0, sizeof(*a));
	a->family = family == AF_INET6 ? 6 : 4;
	memcpy(a->bytes, bytes, addr_len(a));
}

/* ---- the route ---- */

struct route_ans {
	struct remote_path *p;
	unsigned char type;
	bool got, have_src;
};

static int on_route(const struct nlmsghdr *h, void *data)
{
	struct route_ans *a = data;
	const struct rtmsg *rm = mnl_nlmsg_get_payload(h);
	const struct nlattr *attr;

	if (h->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	a->got = true;
	a->type = rm->rtm_type;
	mnl_attr_for_each(attr, h, sizeof(*rm)) {
		switch (mnl_attr_get_type(attr)) {
		case RTA_OIF:
			a->p->ifindex = (int)mnl_attr_get_u32(attr);
			break;
		case RTA_PREFSRC:
			if (mnl_attr_get_payload_len(attr) == addr_len(&a->p->dst)) {
				addr_from(&a->p->src, rm->rtm_family, mnl_attr_get_payload(attr));
				a->have_src = true;
			}
			break;
		case RTA_GATEWAY:
			if (mnl_attr_get_payload_len(attr) == addr_len(&a->p->dst)) {
				addr_from(&a->p->nexthop, rm->rtm_family, mnl_attr_get_payload(attr));
				a->p->via_gateway = true;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

static const char *route_type_refused(unsigned char type)
{
	switch (type) {
	case RTN_UNICAST: return NULL;
	case RTN_LOCAL: return "it is an address of the prober itself (a local route), not a remote host";
	case RTN_BROADCAST: return "the route is a broadcast route";
	case RTN_MULTICAST: return "the route is a multicast route";
	case RTN_ANYCAST: return "the route is an anycast route";
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT: return "the route refuses traffic (blackhole, unreachable or prohibit)";
	default: return "the route is not a unicast route";
	}
}

static int route_get(struct remote_path *p, struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct rtmsg *rm;
	struct route_ans a = {.p = p};
	char s[64];

	h->nlmsg_type = RTM_GETROUTE;
	h->nlmsg_flags = NLM_F_REQUEST;
	rm = mnl_nlmsg_put_extra_header(h, sizeof(*rm));
	rm->rtm_family = (unsigned char)family_af(&p->dst);
	rm->rtm_dst_len = (unsigned char)(addr_len(&p->dst) * 8);
	mnl_attr_put(h, RTA_DST, addr_len(&p->dst), p->dst.bytes);
	seg_addr_format(&p->dst, s, sizeof(s));
	p->nexthop = p->dst;
	p->via_gateway = false;
	if (nl_query(h, on_route, &a, "route to the remote host", err) != 0) {
		tc_err_prefix(err, "remote target %s", s);
		return -1;
	}
	if (!a.got || !p->ifindex)
		return tc_err_set(err, TC_ERR_SYSTEM, "remote target %s: the kernel gave no route", s);
	if (route_type_refused(a.type))
		return tc_err_set(err, TC_ERR_USAGE, "remote target %s refused: %s; nothing was sent", s,
				  route_type_refused(a.type));
	if (!a.have_src)
		return tc_err_set(err, TC_ERR_SYSTEM,
				  "remote target %s: the route names no source address of ours (configure an address on the way there)",
				  s);
	return 0;
}

/* ---- the link ---- */

struct link_ans {
	struct remote_path *p;
	unsigned type, flags;
	bool got;
};

static int on_link(const struct nlmsghdr *h, void *data)
{
	struct link_ans *a = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	const struct nlattr *attr;

	if (h->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	a->got = true;
	a->type = ifi->ifi_type;
	a->flags = ifi->ifi_flags;
	mnl_attr_for_each(attr, h, sizeof(*ifi)) {
		if (mnl_attr_get_type(attr) == IFLA_IFNAME)
			snprintf(a->p->ifname, sizeof(a->p->ifname), "%s", mnl_attr_get_str(attr));
		else if (mnl_attr_get_type(attr) == IFLA_ADDRESS && mnl_attr_get_payload_len(attr) == REMOTE_MAC_LEN)
			memcpy(a->p->src_mac, mnl_attr_get_payload(attr), REMOTE_MAC_LEN);
	}
	return MNL_CB_OK;
}

static int link_get(struct remote_path *p, struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct link_ans a = {.p = p};

	h->nlmsg_type = RTM_GETLINK;
	h->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = p->ifindex;
	if (nl_query(h, on_link, &a, "the interface to the remote host", err) != 0)
		return -1;
	if (!a.got)
		return tc_err_set(err, TC_ERR_SYSTEM, "interface %d vanished", p->ifindex);
	if (a.flags & IFF_LOOPBACK)
		return tc_err_set(err, TC_ERR_USAGE,
				  "remote target refused: its route goes out of the loopback interface %s; nothing was sent",
				  p->ifname);
	if (a.type != ARPHRD_ETHER)
		return tc_err_set(err, TC_ERR_USAGE,
				  "remote target refused: interface %s is not Ethernet (type %u); the injector writes Ethernet frames",
				  p->ifname, a.type);
	if (!(a.flags & IFF_UP))
		return tc_err_set(err, TC_ERR_SYSTEM, "remote target: interface %s is down", p->ifname);
	return 0;
}

/* ---- the interface's own IPv4 prefixes: subnet broadcast and network ---- */

struct addr_ans {
	const struct remote_path *p;
	const char *why;
};

static int on_addr(const struct nlmsghdr *h, void *data)
{
	struct addr_ans *a = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
	const struct nlattr *attr;

	if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET || (int)ifa->ifa_index != a->p->ifindex ||
	    ifa->ifa_prefixlen >= 31)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, h, sizeof(*ifa)) {
		uint32_t mine, dst, mask;

		if (mnl_attr_get_type(attr) != IFA_LOCAL || mnl_attr_get_payload_len(attr) != 4)
			continue;
		memcpy(&mine, mnl_attr_get_payload(attr), 4);
		memcpy(&dst, a->p->dst.bytes, 4);
		mask = htonl(ifa->ifa_prefixlen ? ~0u << (32 - ifa->ifa_prefixlen) : 0);
		if ((mine & mask) != (dst & mask))
			continue;
		if ((dst & ~mask) == ~mask)
			a->why = "it is the subnet broadcast address of a prefix on the way there";
		else if ((dst & ~mask) == 0)
			a->why = "it is the network address of a prefix on the way there";
	}
	return MNL_CB_OK;
}

static int subnet_check(const struct remote_path *p, struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct addr_ans a = {.p = p};
	char s[64];

	if (p->dst.family != 4)
		return 0;
	h->nlmsg_type = RTM_GETADDR;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	if (nl_query(h, on_addr, &a, "the interface's addresses", err) != 0)
		return -1;
	seg_addr_format(&p->dst, s, sizeof(s));
	if (a.why)
		return tc_err_set(err, TC_ERR_USAGE, "remote target %s refused: %s; nothing was sent", s, a.why);
	return 0;
}

int remote_path_find(struct remote_path *p, struct tc_err *err)
{
	if (route_get(p, err) != 0 || link_get(p, err) != 0 || subnet_check(p, err) != 0)
		return -1;
	return 0;
}

/* ---- the neighbour ---- */

struct neigh_ans {
	struct remote_path *p;
	bool found;
};

static int on_neigh(const struct nlmsghdr *h, void *data)
{
	struct neigh_ans *a = data;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(h);
	const struct nlattr *attr;
	const void *dst = NULL, *ll = NULL;
	unsigned usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;

	if (h->nlmsg_type != RTM_NEWNEIGH || nd->ndm_ifindex != a->p->ifindex || !(nd->ndm_state & usable))
		return MNL_CB_OK;
	mnl_attr_for_each(attr, h, sizeof(*nd)) {
		if (mnl_attr_get_type(attr) == NDA_DST && mnl_attr_get_payload_len(attr) == addr_len(&a->p->nexthop))
			dst = mnl_attr_get_payload(attr);
		else if (mnl_attr_get_type(attr) == NDA_LLADDR && mnl_attr_get_payload_len(attr) == REMOTE_MAC_LEN)
			ll = mnl_attr_get_payload(attr);
	}
	if (dst && ll && memcmp(dst, a->p->nexthop.bytes, addr_len(&a->p->nexthop)) == 0) {
		memcpy(a->p->dst_mac, ll, REMOTE_MAC_LEN);
		a->found = true;
	}
	return MNL_CB_OK;
}

int remote_path_neighbour(struct remote_path *p, struct tc_err *err)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;
	struct neigh_ans a = {.p = p};

	h->nlmsg_type = RTM_GETNEIGH;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nd = mnl_nlmsg_put_extra_header(h, sizeof(*nd));
	nd->ndm_family = (unsigned char)family_af(&p->nexthop);
	if (nl_query(h, on_neigh, &a, "the neighbour table", err) != 0)
		return -1;
	p->have_dst_mac = a.found;
	return a.found ? 1 : 0;
}
