/* IP packet bytes -> segment fields. The payload is not copied: the decoded
 * segment points into the packet. It accepts and refuses exactly what
 * lib/seg's parser (seg_parse) does, so the stack drops the same packets as
 * malformed as it did when it used that parser. */
#include "refstack_codec.h"
#include "refstack_csum.h"

#include <string.h>

#define IP_PROTO_TCP 6
#define IP6_DSTOPTS 60 /* RFC 8200 4.6: Destination Options */
#define IPV4_FRAG_MASK 0x3fff /* RFC 791 3.1: MF (0x2000) and the fragment offset */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

/* RFC 9293 3.1 and RFC 8200 8.1: the pseudo-header, then the segment with
 * its checksum field; a correct segment sums to 0xffff (either zero). The
 * addresses are summed where they lie in the IP header (source, then
 * destination: 8 bytes on IPv4, 32 on IPv6). */
static bool tcp_csum_ok(const uint8_t *addrs, size_t alen, const uint8_t *tcp, size_t len)
{
	struct refstack_csum c = {0};
	uint8_t tail[8] = {0};

	refstack_csum_add(&c, addrs, 2 * alen);
	/* the length as 32 bits and the protocol in the last octet (RFC 8200
	 * 8.1); for IPv4 this sums to the same as its zero, PTCL, 16-bit length */
	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	tail[7] = IP_PROTO_TCP;
	refstack_csum_add(&c, tail, sizeof(tail));
	refstack_csum_add(&c, tcp, len);
	return refstack_csum_fold(&c) == 0xffff;
}

/* RFC 9293 3.2: EOL ends the list, NOP is one octet, every other kind has a
 * length octet. The first MSS, window scale, timestamps and SACK option of
 * its right length are kept; a known kind with another length is not that
 * option. */
static int decode_opts(const uint8_t *p, size_t len, struct refstack_rx_seg *out)
{
	size_t off = 0;

	while (off < len) {
		uint8_t kind = p[off], olen;

		if (kind == SEG_OPT_EOL)
			return 0;
		if (kind == SEG_OPT_NOP) {
			off++;
			continue;
		}
		if (off + 1 >= len)
			return -1; /* no length octet */
		olen = p[off + 1];
		if (olen < 2 || off + olen > len)
			return -1;
		if (kind == SEG_OPT_MSS && olen == 4 && !out->has_mss) {
			out->has_mss = true;
			out->mss = get16(p + off + 2);
		} else if (kind == SEG_OPT_WSCALE && olen == 3 && !out->has_wscale) {
			out->has_wscale = true;
			out->wscale = p[off + 2];
		} else if (kind == SEG_OPT_TS && olen == 10 && !out->has_ts) {
			out->has_ts = true;
			out->ts_val = get32(p + off + 2);
			out->ts_ecr = get32(p + off + 6);
		} else if (kind == SEG_OPT_SACK_PERM && olen == 2) {
			out->sack_perm = true;
		} else if (kind == SEG_OPT_SACK && olen >= 10 && (olen - 2) % 8 == 0 &&
			   (olen - 2) / 8 <= SEG_MAX_SACK_BLOCKS && out->nsack == 0) {
			out->nsack = (uint8_t)((olen - 2) / 8);
			for (unsigned i = 0; i < out->nsack; i++) {
				out->sack[i].left = get32(p + off + 2 + 8 * i);
				out->sack[i].right = get32(p + off + 6 + 8 * i);
			}
		}
		off += olen;
	}
	return 0;
}

/* The segment as the IP layer delimits it; the addresses are already in
 * out, and at addrs in the IP header. */
static int decode_tcp(const uint8_t *addrs, const uint8_t *tcp, size_t len, struct refstack_rx_seg *out)
{
	size_t hlen;

	if (len < REFSTACK_TCP_HLEN)
		return -1;
	hlen = (size_t)(tcp[12] >> 4) * 4;
	if (hlen < REFSTACK_TCP_HLEN || hlen > len || len - hlen > SEG_MAX_PAYLOAD)
		return -1;
	/* RFC 9293 3.1; AE is the low bit of octet 12 (RFC 3540) */
	out->sport = get16(tcp);
	out->dport = get16(tcp + 2);
	out->seq = get32(tcp + 4);
	out->ack = get32(tcp + 8);
	out->flags = (uint16_t)((tcp[12] & 0x01) << 8 | tcp[13]);
	out->win = get16(tcp + 14);
	out->urp = get16(tcp + 18);
	if (decode_opts(tcp + REFSTACK_TCP_HLEN, hlen - REFSTACK_TCP_HLEN, out) < 0)
		return -1;
	out->len = (uint16_t)(len - hlen);
	out->payload = tcp + hlen;
	out->bad_csum = !tcp_csum_ok(addrs, out->src.family == 4 ? 4 : 16, tcp, len);
	return 0;
}

/* RFC 791 3.1. The header checksum is not checked (lib/seg does not either). */
static int decode_ipv4(const uint8_t *p, size_t len, struct refstack_rx_seg *out)
{
	size_t hlen, total;

	if (len < REFSTACK_IPV4_HLEN)
		return -1;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	total = get16(p + 2);
	if (hlen < REFSTACK_IPV4_HLEN || hlen > len || total < hlen || total > len)
		return -1;
	if (p[9] != IP_PROTO_TCP || (get16(p + 6) & IPV4_FRAG_MASK))
		return -1;
	out->src.family = out->dst.family = 4;
	memcpy(out->src.bytes, p + 12, 4);
	memcpy(out->dst.bytes, p + 16, 4);
	out->ttl = p[8];
	out->ipopt_len = (uint8_t)(hlen - REFSTACK_IPV4_HLEN);
	memcpy(out->ipopts, p + REFSTACK_IPV4_HLEN, out->ipopt_len);
	/* octets past the total length (link-layer padding) are not the segment */
	return decode_tcp(p + 12, p + hlen, total - hlen, out);
}

/* RFC 8200 3: TCP follows the fixed header, or one Destination Options
 * header (4.6) whose options the stack does not act on (9293 3.9.2,
 * MUST-50; an option type a node must not skip is IP's business, RFC 8200
 * 4.2); any other extension header is refused, as lib/seg refuses it. */
static int decode_ipv6(const uint8_t *p, size_t len, struct refstack_rx_seg *out)
{
	size_t plen, hlen = REFSTACK_IPV6_HLEN;
	uint8_t nh;

	if (len < REFSTACK_IPV6_HLEN)
		return -1;
	plen = get16(p + 4);
	if (REFSTACK_IPV6_HLEN + plen > len)
		return -1;
	nh = p[6];
	if (nh == IP6_DSTOPTS) {
		size_t ext;

		if (plen < 8)
			return -1;
		ext = ((size_t)p[hlen + 1] + 1) * 8;
		if (ext > plen || ext - 2 > SEG_IPOPT_SPACE)
			return -1;
		nh = p[hlen];
		hlen += ext;
		plen -= ext;
	}
	if (nh != IP_PROTO_TCP)
		return -1;
	out->src.family = out->dst.family = 6;
	memcpy(out->src.bytes, p + 8, 16);
	memcpy(out->dst.bytes, p + 24, 16);
	out->ttl = p[7];
	return decode_tcp(p + 8, p + hlen, plen, out);
}

int refstack_decode(const uint8_t *pkt, size_t len, struct refstack_rx_seg *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -1;
	switch (pkt[0] >> 4) {
	case 4:
		return decode_ipv4(pkt, len, out);
	case 6:
		return decode_ipv6(pkt, len, out);
	default:
		return -1;
	}
}
