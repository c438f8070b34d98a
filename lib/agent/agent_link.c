/* See agent_link.h. Frames are parsed with fixed offsets: Ethernet II
 * without VLAN tags, IPv6 neighbour solicitations without extension headers
 * (RFC 4861 7.1.1 requires hop limit 255 and allows nothing else here in
 * practice). */
#include "agent_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define ETH_HDR 14
#define FRAME_MAX 65536
#define ETH_P_IPV6_ 0x86dd

struct neigh {
	struct seg_addr addr;
	uint8_t mac[6];
	bool permanent;
};

struct agent_link {
	int fd;
	int ifindex;
	char ifname[IFNAMSIZ];
	uint8_t mac[6];
	bool have4, have6;
	struct seg_addr own4, own6;
	int nneigh;
	struct neigh neigh[AGENT_LINK_NEIGH_MAX];
	unsigned next_evict;
	uint8_t rx[FRAME_MAX];
	uint8_t tx[FRAME_MAX];
};

struct agent_link *agent_link_open(const char *ifname, const struct seg_addr *own4, const struct seg_addr *own6,
				   struct tc_err *err)
{
	struct agent_link *l;
	struct sockaddr_ll sll;
	struct ifreq ifr;

	if (strlen(ifname) >= IFNAMSIZ) {
		tc_err_set(err, TC_ERR_USAGE, "interface name '%s' is too long", ifname);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		tc_err_set(err, TC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	if (own4) {
		l->have4 = true;
		l->own4 = *own4;
	}
	if (own6) {
		l->have6 = true;
		l->own6 = *own6;
	}
	l->ifindex = (int)if_nametoindex(ifname);
	if (l->ifindex == 0) {
		tc_err_set(err, TC_ERR_USAGE, "no interface '%s' here: %s", ifname, strerror(errno));
		free(l);
		return NULL;
	}
	l->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (l->fd < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "packet socket: %s (needs CAP_NET_RAW)", strerror(errno));
		free(l);
		return NULL;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = l->ifindex;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (bind(l->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 || ioctl(l->fd, SIOCGIFHWADDR, &ifr) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "packet socket on %s: %s", ifname, strerror(errno));
		agent_link_close(l);
		return NULL;
	}
	memcpy(l->mac, ifr.ifr_hwaddr.sa_data, 6);
	/* A kernel on the other end of a veth hands over its segments with the
	 * checksum still to be filled in (checksum offload): the aux data
	 * says so, and the checksum is completed here. */
	int one = 1;
	if (setsockopt(l->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "PACKET_AUXDATA on %s: %s", ifname, strerror(errno));
		agent_link_close(l);
		return NULL;
	}
	return l;
}

void agent_link_close(struct agent_link *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

int agent_link_fd(const struct agent_link *l)
{
	return l->fd;
}

static struct neigh *neigh_find(struct agent_link *l, const struct seg_addr *a)
{
	for (int i = 0; i < l->nneigh; i++)
		if (seg_addr_eq(&l->neigh[i].addr, a))
			return &l->neigh[i];
	return NULL;
}

static void neigh_put(struct agent_link *l, const struct seg_addr *a, const uint8_t *mac, bool permanent)
{
	struct neigh *n = neigh_find(l, a);

	if (n && n->permanent && !permanent)
		return;
	if (!n && l->nneigh < AGENT_LINK_NEIGH_MAX)
		n = &l->neigh[l->nneigh++];
	if (!n) {
		/* full: replace a learnt entry, round robin */
		for (int k = 0; k < AGENT_LINK_NEIGH_MAX && !n; k++) {
			struct neigh *c = &l->neigh[l->next_evict++ % AGENT_LINK_NEIGH_MAX];

			if (!c->permanent)
				n = c;
		}
		if (!n)
			return;
	}
	n->addr = *a;
	memcpy(n->mac, mac, 6);
	n->permanent = permanent;
}

int agent_link_add_neigh(struct agent_link *l, const struct seg_addr *a, const uint8_t mac[6], struct tc_err *err)
{
	if (!neigh_find(l, a) && l->nneigh == AGENT_LINK_NEIGH_MAX)
		return tc_err_set(err, TC_ERR_USAGE, "more than %d neighbours", AGENT_LINK_NEIGH_MAX);
	neigh_put(l, a, mac, true);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int send_frame(struct agent_link *l, size_t len, struct tc_err *err)
{
	ssize_t n;

	do
		n = send(l->fd, l->tx, len, 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		return tc_err_set(err, TC_ERR_SYSTEM, "send on %s: %s", l->ifname, n < 0 ? strerror(errno) : "short write");
	return 0;
}

static void eth_header(struct agent_link *l, const uint8_t *dst, uint16_t type)
{
	memcpy(l->tx, dst, 6);
	memcpy(l->tx + 6, l->mac, 6);
	put16(l->tx + 12, type);
}

/* RFC 826: a request for our IPv4 address gets a reply from us. */
static int handle_arp(struct agent_link *l, const uint8_t *f, size_t len, struct tc_err *err)
{
	const uint8_t *a = f + ETH_HDR;
	struct seg_addr sender = {.family = 4}, target = {.family = 4};

	if (len < ETH_HDR + 28 || get16(a) != 1 || get16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4)
		return 2;
	memcpy(sender.bytes, a + 14, 4);
	memcpy(target.bytes, a + 24, 4);
	if (!l->have4 || !seg_addr_eq(&target, &l->own4))
		return 2;
	neigh_put(l, &sender, a + 8, false);
	if (get16(a + 6) != 1) /* not a request */
		return 2;
	eth_header(l, a + 8, ETH_P_ARP);
	uint8_t *r = l->tx + ETH_HDR;
	put16(r, 1);
	put16(r + 2, ETH_P_IP);
	r[4] = 6;
	r[5] = 4;
	put16(r + 6, 2);
	memcpy(r + 8, l->mac, 6);
	memcpy(r + 14, l->own4.bytes, 4);
	memcpy(r + 18, a + 8, 6);
	memcpy(r + 24, a + 14, 4);
	return send_frame(l, ETH_HDR + 28, err) ? -1 : 2;
}

static uint16_t icmp6_csum(const uint8_t *src, const uint8_t *dst, const uint8_t *msg, size_t len)
{
	uint32_t sum = 0;

	for (int i = 0; i < 16; i += 2)
		sum += (uint32_t)get16(src + i) + get16(dst + i);
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + 58;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(msg + i);
	if (len & 1)
		sum += (uint32_t)msg[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 4861 7.2.4: a solicitation for our IPv6 address gets an
 * advertisement with our MAC. */
static int handle_ns(struct agent_link *l, const uint8_t *f, size_t len, struct tc_err *err)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	static const uint8_t unspecified[16];
	const uint8_t *ip = f + ETH_HDR, *icmp = ip + 40;
	struct seg_addr target = {.family = 6}, src = {.family = 6};
	bool from_unspecified;
	const uint8_t *dst, *dmac;

	if (len < ETH_HDR + 40 + 24 || ip[6] != 58 || ip[7] != 255 || icmp[0] != 135 || icmp[1] != 0)
		return 2;
	memcpy(target.bytes, icmp + 8, 16);
	if (!l->have6 || !seg_addr_eq(&target, &l->own6))
		return 2;
	from_unspecified = memcmp(ip + 8, unspecified, 16) == 0;
	memcpy(src.bytes, ip + 8, 16);
	if (!from_unspecified)
		neigh_put(l, &src, f + 6, false);
	dst = from_unspecified ? all_nodes : ip + 8;
	dmac = from_unspecified ? all_nodes_mac : f + 6;
	eth_header(l, dmac, ETH_P_IPV6_);
	uint8_t *r = l->tx + ETH_HDR, *m = r + 40;
	const size_t mlen = 32;
	memset(r, 0, 40 + mlen);
	r[0] = 0x60;
	put16(r + 4, (uint16_t)mlen);
	r[6] = 58;
	r[7] = 255;
	memcpy(r + 8, l->own6.bytes, 16);
	memcpy(r + 24, dst, 16);
	m[0] = 136;
	/* Solicited when answering a unicast source, Override: we are it. */
	m[4] = from_unspecified ? 0x20 : 0x60;
	memcpy(m + 8, l->own6.bytes, 16);
	m[24] = 2; /* target link-layer address */
	m[25] = 1;
	memcpy(m + 26, l->mac, 6);
	put16(m + 2, icmp6_csum(r + 8, r + 24, m, mlen));
	return send_frame(l, ETH_HDR + 40 + mlen, err) ? -1 : 2;
}

/* The TCP checksum of an IP packet whose sender left it to the hardware
 * (no IPv4 options or IPv6 extension headers are expected from a kernel's
 * own TCP segments; anything else is left as it is). */
static void complete_tcp_csum(uint8_t *ip, size_t len)
{
	uint32_t sum = 0;
	size_t hl, tl;
	uint8_t *tcp;

	if ((ip[0] >> 4) == 4) {
		hl = (size_t)(ip[0] & 15) * 4;
		if (ip[9] != 6 || len < hl + 20)
			return;
		tl = len - hl;
		for (int i = 12; i < 20; i += 2)
			sum += get16(ip + i);
	} else {
		hl = 40;
		if (ip[6] != 6 || len < hl + 20)
			return;
		tl = len - hl;
		for (int i = 8; i < 40; i += 2)
			sum += get16(ip + i);
	}
	tcp = ip + hl;
	sum += 6 + (uint32_t)(tl >> 16) + (uint32_t)(tl & 0xffff);
	put16(tcp + 16, 0);
	for (size_t i = 0; i + 1 < tl; i += 2)
		sum += get16(tcp + i);
	if (tl & 1)
		sum += (uint32_t)tcp[tl - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(tcp + 16, (uint16_t)~sum);
}

/* What a host's IP layer delivers besides its own address: the limited
 * broadcast (RFC 919 7) and the all-hosts / all-nodes groups every host is
 * a member of (RFC 1112 4, RFC 4291 2.7.1). TCP must then discard a
 * segment to them itself (RFC 9293 3.9.2.3, MUST-57), so they reach the
 * stack. */
static bool always_joined(const struct seg_addr *a)
{
	static const uint8_t bcast[4] = {255, 255, 255, 255}, all_hosts[4] = {224, 0, 0, 1};
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};

	if (a->family == 4)
		return memcmp(a->bytes, bcast, 4) == 0 || memcmp(a->bytes, all_hosts, 4) == 0;
	return memcmp(a->bytes, all_nodes, 16) == 0;
}

int agent_link_recv(struct agent_link *l, const uint8_t **ip, size_t *len, struct tc_err *err)
{
	struct sockaddr_ll from;
	struct seg_addr src, dst;
	union {
		struct cmsghdr h;
		uint8_t buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct iovec iov = {.iov_base = l->rx, .iov_len = sizeof(l->rx)};
	struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	bool csum_not_ready = false;
	ssize_t n;
	uint16_t type;

	n = recvmsg(l->fd, &mh, 0);
	for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
			struct tpacket_auxdata aux;

			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			csum_not_ready = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
		}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EINTR)
			return 2;
		return tc_err_set(err, TC_ERR_SYSTEM, "recv on %s: %s", l->ifname, strerror(errno));
	}
	/* our own frames come back on a packet socket: not for us */
	if (from.sll_pkttype == PACKET_OUTGOING || n < ETH_HDR)
		return 2;
	type = get16(l->rx + 12);
	if (type == ETH_P_ARP)
		return handle_arp(l, l->rx, (size_t)n, err);
	if (type == ETH_P_IP && n >= ETH_HDR + 20 && (l->rx[ETH_HDR] >> 4) == 4) {
		src = (struct seg_addr){.family = 4};
		dst = (struct seg_addr){.family = 4};
		memcpy(src.bytes, l->rx + ETH_HDR + 12, 4);
		memcpy(dst.bytes, l->rx + ETH_HDR + 16, 4);
		if (!l->have4 || !(seg_addr_eq(&dst, &l->own4) || always_joined(&dst)))
			return 2;
	} else if (type == ETH_P_IPV6_ && n >= ETH_HDR + 40 && (l->rx[ETH_HDR] >> 4) == 6) {
		if (l->rx[ETH_HDR + 6] == 58 && n > ETH_HDR + 40 && l->rx[ETH_HDR + 40] == 135)
			return handle_ns(l, l->rx, (size_t)n, err);
		src = (struct seg_addr){.family = 6};
		dst = (struct seg_addr){.family = 6};
		memcpy(src.bytes, l->rx + ETH_HDR + 8, 16);
		memcpy(dst.bytes, l->rx + ETH_HDR + 24, 16);
		if (!l->have6 || !(seg_addr_eq(&dst, &l->own6) || always_joined(&dst)))
			return 2;
	} else {
		return 2;
	}
	neigh_put(l, &src, l->rx + 6, false);
	/* a short frame may carry Ethernet padding after the IP packet */
	size_t iplen = type == ETH_P_IP ? get16(l->rx + ETH_HDR + 2) : (size_t)get16(l->rx + ETH_HDR + 4) + 40;
	if (iplen < (size_t)n - ETH_HDR)
		n = (ssize_t)(iplen + ETH_HDR);
	if (csum_not_ready)
		complete_tcp_csum(l->rx + ETH_HDR, (size_t)n - ETH_HDR);
	*ip = l->rx + ETH_HDR;
	*len = (size_t)n - ETH_HDR;
	return 1;
}

int agent_link_send_ip(struct agent_link *l, const uint8_t *ip, size_t len, struct tc_err *err)
{
	struct seg_addr dst;
	struct neigh *n;
	char a[64];

	if (len < 20 || len > sizeof(l->tx) - ETH_HDR)
		return tc_err_set(err, TC_ERR_TARGET, "an IP packet of %zu bytes cannot be framed", len);
	memset(&dst, 0, sizeof(dst));
	if ((ip[0] >> 4) == 4) {
		dst.family = 4;
		memcpy(dst.bytes, ip + 16, 4);
	} else if ((ip[0] >> 4) == 6 && len >= 40) {
		dst.family = 6;
		memcpy(dst.bytes, ip + 24, 16);
	} else {
		return tc_err_set(err, TC_ERR_TARGET, "not an IP packet (version %u)", ip[0] >> 4);
	}
	n = neigh_find(l, &dst);
	if (!n)
		return tc_err_set(err, TC_ERR_TARGET,
				  "no link-layer address for %s: it has sent nothing yet and no --neighbour names it",
				  seg_addr_format(&dst, a, sizeof(a)));
	eth_header(l, n->mac, dst.family == 4 ? ETH_P_IP : ETH_P_IPV6_);
	memcpy(l->tx + ETH_HDR, ip, len);
	return send_frame(l, ETH_HDR + len, err);
}
