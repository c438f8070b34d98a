/* Segment fields -> IP packet bytes, into the caller's buffer. */
#include "refstack_codec.h"
#include "refstack_csum.h"

#include <string.h>

#define IP_PROTO_TCP 6
#define DEFAULT_TTL 64
#define OPT_SPACE 40 /* RFC 9293 3.1: data offset 15 words at most */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Bytes the option takes on the wire; 0 when it has no encoding. */
static size_t opt_len(const struct seg_opt *o)
{
	switch ((enum seg_opt_kind)o->kind) {
	case SEG_OPT_EOL:
	case SEG_OPT_NOP:
		return 1; /* RFC 9293 3.2: the single-octet kinds */
	case SEG_OPT_MSS:
		return 4; /* RFC 9293 3.2 */
	case SEG_OPT_WSCALE:
		return 3; /* RFC 7323 2.2 */
	case SEG_OPT_SACK_PERM:
		return 2; /* RFC 2018 2 */
	case SEG_OPT_SACK:
		/* RFC 2018 3: 2 + 8 octets per block */
		return o->u.sack.n >= 1 && o->u.sack.n <= SEG_MAX_SACK_BLOCKS ? 2 + 8u * o->u.sack.n : 0;
	case SEG_OPT_TS:
		return 10; /* RFC 7323 3.2 */
	case SEG_OPT_RAW:
		return o->u.raw.len <= OPT_SPACE ? o->u.raw.len : 0;
	}
	return 0;
}

static void opt_put(const struct seg_opt *o, uint8_t *p, size_t n)
{
	switch ((enum seg_opt_kind)o->kind) {
	case SEG_OPT_EOL:
	case SEG_OPT_NOP:
		p[0] = (uint8_t)o->kind;
		return;
	case SEG_OPT_MSS:
		p[0] = SEG_OPT_MSS, p[1] = 4;
		put16(p + 2, o->u.mss);
		return;
	case SEG_OPT_WSCALE:
		p[0] = SEG_OPT_WSCALE, p[1] = 3, p[2] = o->u.wscale;
		return;
	case SEG_OPT_SACK_PERM:
		p[0] = SEG_OPT_SACK_PERM, p[1] = 2;
		return;
	case SEG_OPT_SACK:
		p[0] = SEG_OPT_SACK, p[1] = (uint8_t)n;
		for (unsigned b = 0; b < o->u.sack.n; b++) {
			put32(p + 2 + 8 * b, o->u.sack.b[b].left);
			put32(p + 6 + 8 * b, o->u.sack.b[b].right);
		}
		return;
	case SEG_OPT_TS:
		p[0] = SEG_OPT_TS, p[1] = 10;
		put32(p + 2, o->u.ts.val);
		put32(p + 6, o->u.ts.ecr);
		return;
	case SEG_OPT_RAW:
		/* kind, length and data exactly as given */
		memcpy(p, o->u.raw.data, n);
		return;
	}
}

/* RFC 9293 3.2: the options, then EOL up to the next 32-bit boundary (the
 * data offset counts words). Returns the padded length, or -1. */
static int put_opts(const struct refstack_tx_seg *s, uint8_t *p)
{
	size_t off = 0;

	for (unsigned i = 0; i < s->nopts; i++) {
		size_t n = opt_len(&s->opts[i]);

		if (n == 0 || off + n > OPT_SPACE)
			return -1;
		opt_put(&s->opts[i], p + off, n);
		off += n;
	}
	while (off % 4)
		p[off++] = SEG_OPT_EOL;
	return (int)off;
}

/* RFC 791 3.1: version 4, ID 0, no flags, the options given (IHL counts
 * them in 32-bit words); a source route's first hop as the destination. */
static void put_ipv4(const struct refstack_tx_seg *s, uint8_t *ip, size_t total)
{
	struct refstack_csum c = {0};
	size_t hlen = REFSTACK_IPV4_HLEN + s->ipopt_len;
	uint16_t sum;

	ip[0] = (uint8_t)(0x40 | hlen / 4);
	ip[1] = s->tos;
	put16(ip + 2, (uint16_t)total);
	memset(ip + 4, 0, 4); /* identification, flags, fragment offset */
	ip[8] = s->ttl ? s->ttl : DEFAULT_TTL;
	ip[9] = IP_PROTO_TCP;
	memset(ip + 10, 0, 2);
	memcpy(ip + 12, s->src.bytes, 4);
	memcpy(ip + 16, s->hop.family == 4 ? s->hop.bytes : s->dst.bytes, 4);
	if (s->ipopt_len)
		memcpy(ip + REFSTACK_IPV4_HLEN, s->ipopts, s->ipopt_len);
	/* RFC 791 3.1: the header checksum over the header alone */
	refstack_csum_add(&c, ip, hlen);
	sum = (uint16_t)~refstack_csum_fold(&c);
	memcpy(ip + 10, &sum, 2); /* native order: see refstack_csum.h */
}

/* RFC 8200 3: version 6, the traffic class, flow label 0. */
static void put_ipv6(const struct refstack_tx_seg *s, uint8_t *ip, size_t tcp_len)
{
	put32(ip, 0x60000000u | (uint32_t)s->tos << 20);
	put16(ip + 4, (uint16_t)tcp_len); /* payload length: what follows the header */
	ip[6] = IP_PROTO_TCP;
	ip[7] = s->ttl ? s->ttl : DEFAULT_TTL;
	memcpy(ip + 8, s->src.bytes, 16);
	memcpy(ip + 24, s->dst.bytes, 16);
}

/* RFC 9293 3.1 (IPv4 pseudo-header: source, destination, zero, PTCL, TCP
 * length) and RFC 8200 8.1 (IPv6: source, destination, upper-layer length
 * as 32 bits, three zero octets, next header), then the whole segment. The
 * addresses are summed where the IP header just put them. */
static void put_tcp_csum(const uint8_t *src, const uint8_t *dst, size_t alen, uint8_t *tcp, size_t tcp_len)
{
	struct refstack_csum c = {0};
	uint8_t tail[8];
	uint16_t sum;

	refstack_csum_add(&c, src, alen);
	refstack_csum_add(&c, dst, alen);
	/* the length as 32 bits and the protocol in the last octet: for IPv4
	 * this sums to the same as its zero, PTCL, 16-bit length */
	put32(tail, (uint32_t)tcp_len);
	put32(tail + 4, IP_PROTO_TCP);
	refstack_csum_add(&c, tail, sizeof(tail));
	refstack_csum_add(&c, tcp, tcp_len);
	sum = (uint16_t)~refstack_csum_fold(&c);
	memcpy(tcp + 16, &sum, 2);
}

size_t refstack_encode(const struct refstack_tx_seg *s, uint8_t *buf, size_t cap)
{
	uint8_t opts[OPT_SPACE];
	size_t ip_hlen, tcp_len, total, data_len;
	uint8_t *tcp;
	int optlen;

	if ((s->src.family != 4 && s->src.family != 6) || s->dst.family != s->src.family)
		return 0;
	optlen = put_opts(s, opts);
	if (optlen < 0)
		return 0;
	data_len = (size_t)s->data_len[0] + s->data_len[1];
	if (s->ipopt_len && (s->src.family != 4 || s->ipopt_len % 4 || s->ipopt_len > SEG_IPOPT_SPACE))
		return 0;
	ip_hlen = s->src.family == 4 ? REFSTACK_IPV4_HLEN + (size_t)s->ipopt_len : REFSTACK_IPV6_HLEN;
	tcp_len = REFSTACK_TCP_HLEN + (size_t)optlen + data_len;
	total = ip_hlen + tcp_len;
	/* RFC 791 total length and RFC 8200 payload length are 16 bits */
	if (total > cap || (s->src.family == 4 ? total : tcp_len) > 0xffff)
		return 0;

	tcp = buf + ip_hlen;
	/* RFC 9293 3.1: the header */
	put16(tcp, s->sport);
	put16(tcp + 2, s->dport);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	/* data offset in words, three reserved bits, AE (RFC 3540), then the
	 * eight flags of the next octet */
	tcp[12] = (uint8_t)(((REFSTACK_TCP_HLEN + optlen) / 4) << 4 | ((s->flags & SEG_AE) ? 1 : 0));
	tcp[13] = (uint8_t)(s->flags & 0xff);
	put16(tcp + 14, s->win);
	memset(tcp + 16, 0, 2);
	put16(tcp + 18, s->urp);
	memcpy(tcp + REFSTACK_TCP_HLEN, opts, (size_t)optlen);
	/* the payload: at most two copies */
	if (s->data_len[0])
		memcpy(tcp + REFSTACK_TCP_HLEN + optlen, s->data[0], s->data_len[0]);
	if (s->data_len[1])
		memcpy(tcp + REFSTACK_TCP_HLEN + optlen + s->data_len[0], s->data[1], s->data_len[1]);

	if (s->src.family == 4) {
		put_ipv4(s, buf, total);
		/* RFC 9293 3.1: the final destination, not a route's next hop */
		put_tcp_csum(s->src.bytes, s->dst.bytes, 4, tcp, tcp_len);
	} else {
		put_ipv6(s, buf, tcp_len);
		put_tcp_csum(s->src.bytes, s->dst.bytes, 16, tcp, tcp_len);
	}
	return total;
}
