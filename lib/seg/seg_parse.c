/* IP packet bytes -> segment, with our own parser (libnet only builds).
 * Every rejection names the field, its value and the limit it broke, since
 * the message is all a person sees of a malformed capture. */
#include "seg.h"
#include "seg_bytes.h"
#include "seg_ip.h"

#include <string.h>

#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define TCP_HLEN 20
#define PROTO_TCP 6

/* ---- checksum ---- */

/* One's-complement sum of big-endian 16-bit words (RFC 1071); an odd last
 * byte is padded with zero, which is why only the last chunk may be odd. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += get16(p);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* 9293 3.1 (IPv4 pseudo-header) and RFC 8200 8.1 (IPv6): addresses, the
 * protocol and the TCP length, then the segment with its checksum field.
 * A correct segment sums to 0xffff. */
static bool tcp_csum_ok(uint8_t family, const uint8_t *src, const uint8_t *dst, const uint8_t *tcp, size_t len)
{
	size_t alen = family == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = csum_add(sum, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += PROTO_TCP;
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	sum = csum_add(sum, tcp, len);
	return csum_fold(sum) == 0xffff;
}

/* ---- options ---- */

static int add_opt(struct tc_seg *s, const struct seg_opt *o, size_t off, struct tc_err *err)
{
	if (seg_add_opt(s, o) < 0)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "option at offset %zu: more than %d options", off,
				  SEG_MAX_OPTS);
	return 0;
}

/* Decodes a known kind whose length is the one its RFC gives; false keeps the
 * option raw so a malformed one is shown, not dropped. */
static bool decode_known(const uint8_t *p, uint8_t len, struct seg_opt *o)
{
	switch (p[0]) {
	case SEG_OPT_MSS: /* 9293 3.2 */
		if (len != 4)
			return false;
		o->u.mss = get16(p + 2);
		break;
	case SEG_OPT_WSCALE: /* 7323 2.2 */
		if (len != 3)
			return false;
		o->u.wscale = p[2];
		break;
	case SEG_OPT_SACK_PERM: /* 2018 2 */
		if (len != 2)
			return false;
		break;
	case SEG_OPT_SACK: /* 2018 3: 2 + 8n bytes, n blocks of left and right edge */
		if (len < 10 || (len - 2) % 8 || (len - 2) / 8 > SEG_MAX_SACK_BLOCKS)
			return false;
		o->u.sack.n = (uint8_t)((len - 2) / 8);
		for (size_t b = 0; b < o->u.sack.n; b++) {
			o->u.sack.b[b].left = get32(p + 2 + 8 * b);
			o->u.sack.b[b].right = get32(p + 6 + 8 * b);
		}
		break;
	case SEG_OPT_TS: /* 7323 3.2 */
		if (len != 10)
			return false;
		o->u.ts.val = get32(p + 2);
		o->u.ts.ecr = get32(p + 6);
		break;
	default:
		return false;
	}
	o->kind = p[0];
	return true;
}

/* A kind with a length byte (9293 3.2 case 2). Returns the bytes it took. */
static int parse_long_opt(const uint8_t *p, size_t off, size_t len, struct tc_seg *s, struct tc_err *err)
{
	struct seg_opt o;
	uint8_t olen;

	if (off + 1 >= len)
		return tc_err_set(err, TC_ERR_SEG_PARSE,
				  "option kind %u at offset %zu: no length byte (options area is %zu bytes)", p[off],
				  off, len);
	olen = p[off + 1];
	if (olen < 2)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "option kind %u at offset %zu: length %u is less than 2",
				  p[off], off, olen);
	if (off + olen > len)
		return tc_err_set(err, TC_ERR_SEG_PARSE,
				  "option kind %u at offset %zu: length %u runs past the header (options area is %zu bytes)",
				  p[off], off, olen, len);
	memset(&o, 0, sizeof(o));
	if (!decode_known(p + off, olen, &o)) {
		o.kind = SEG_OPT_RAW;
		o.u.raw.len = olen;
		memcpy(o.u.raw.data, p + off, olen);
	}
	if (add_opt(s, &o, off, err) < 0)
		return -1;
	return olen;
}

/* EOL or NOP (9293 3.2 case 1): one byte, no length. */
static int parse_short_opt(uint8_t kind, size_t off, struct tc_seg *s, struct tc_err *err)
{
	struct seg_opt o;

	memset(&o, 0, sizeof(o)); /* unused bytes too, so parsed segments compare with memcmp */
	o.kind = kind;
	return add_opt(s, &o, off, err) < 0 ? -1 : 1;
}

int seg_parse_opts(const uint8_t *p, size_t len, struct tc_seg *s, struct tc_err *err)
{
	size_t off = 0;

	s->nopts = 0;
	if (len > SEG_OPT_SPACE)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "options area of %zu bytes, a TCP header holds at most %d",
				  len, SEG_OPT_SPACE);
	while (off < len) {
		bool eol = p[off] == SEG_OPT_EOL;
		int n = eol || p[off] == SEG_OPT_NOP ? parse_short_opt(p[off], off, s, err)
						     : parse_long_opt(p, off, len, s, err);

		if (n < 0)
			return -1;
		/* 9293 3.2: EOL ends the list and what follows is padding; the
		 * EOL itself is kept so the printed segment shows the wire. */
		if (eol)
			return 0;
		off += (size_t)n;
	}
	return 0;
}

/* ---- TCP ---- */

/* The segment as delimited by the IP layer; addresses already in out. */
static int parse_tcp(const uint8_t *tcp, size_t len, struct tc_seg *out, struct tc_err *err)
{
	size_t doff, hlen;

	if (len < TCP_HLEN)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "truncated TCP header: %zu bytes, need %d", len, TCP_HLEN);
	doff = tcp[12] >> 4;
	hlen = doff * 4;
	if (doff < 5)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "TCP data offset %zu (%zu bytes) is less than 5", doff, hlen);
	if (hlen > len)
		return tc_err_set(err, TC_ERR_SEG_PARSE,
				  "TCP data offset %zu (%zu bytes) runs past the segment (%zu bytes)", doff, hlen, len);
	if (len - hlen > SEG_MAX_PAYLOAD)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "TCP payload of %zu bytes, at most %d supported",
				  len - hlen, SEG_MAX_PAYLOAD);

	/* 9293 3.1 header layout; AE is the low bit of byte 12 (RFC 3540). */
	out->sport = get16(tcp);
	out->dport = get16(tcp + 2);
	out->seq = get32(tcp + 4);
	out->ack = get32(tcp + 8);
	out->flags = (uint16_t)((tcp[12] & 0x01) << 8 | tcp[13]);
	out->win = get16(tcp + 14);
	out->urp = get16(tcp + 18);
	out->bad_csum = !tcp_csum_ok(out->src.family, out->src.bytes, out->dst.bytes, tcp, len);
	if (seg_parse_opts(tcp + TCP_HLEN, hlen - TCP_HLEN, out, err) < 0)
		return -1;
	/* seg_parse_opts refused an area over SEG_OPT_SPACE bytes */
	out->optlen = (uint8_t)(hlen - TCP_HLEN);
	memcpy(out->optraw, tcp + TCP_HLEN, out->optlen);
	out->len = (uint16_t)(len - hlen);
	memcpy(out->payload, tcp + hlen, out->len);
	return 0;
}

/* ---- IP ---- */

static int parse_ipv4(const uint8_t *p, size_t len, struct tc_seg *out, struct tc_err *err)
{
	size_t ihl, hlen, total;
	uint16_t frag;
	uint8_t final[4];

	if (len < IPV4_HLEN)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "truncated IPv4 header: %zu bytes, need %d", len, IPV4_HLEN);
	ihl = p[0] & 0x0f;
	hlen = ihl * 4;
	total = get16(p + 2);
	frag = get16(p + 6);
	if (ihl < 5)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv4 IHL %zu (%zu bytes) is less than 5", ihl, hlen);
	if (hlen > len)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv4 IHL %zu (%zu bytes) runs past the buffer (%zu bytes)",
				  ihl, hlen, len);
	if (total < hlen)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv4 total length %zu is less than the header (%zu bytes)",
				  total, hlen);
	if (total > len)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv4 total length %zu runs past the buffer (%zu bytes)",
				  total, len);
	if (p[9] != PROTO_TCP)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv4 protocol %u is not TCP (6)", p[9]);
	/* RFC 791 3.1: MF is 0x2000, the offset the low 13 bits. A fragment
	 * holds part of a segment; reassembly is not ours to do. */
	if (frag & 0x3fff)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv4 fragment (MF %u, offset %u) not supported",
				  (frag >> 13) & 1u, frag & 0x1fffu);
	out->src.family = out->dst.family = 4;
	memcpy(out->src.bytes, p + 12, 4);
	memcpy(out->dst.bytes, p + 16, 4);
	out->ttl = p[8];
	out->tos = p[1];
	out->ipopt_len = (uint8_t)(hlen - IPV4_HLEN);
	memcpy(out->ipopts, p + IPV4_HLEN, out->ipopt_len);
	/* RFC 9293 3.1: a segment still on its source route is summed over
	 * the route's final destination, not the next hop in the header */
	if (seg_ipv4_route_final(out->ipopts, out->ipopt_len, final)) {
		struct seg_addr hop = out->dst;
		int rc;

		memcpy(out->dst.bytes, final, 4);
		rc = parse_tcp(p + hlen, total - hlen, out, err);
		out->dst = hop;
		return rc;
	}
	/* Bytes past the total length (Ethernet padding) are not the segment. */
	return parse_tcp(p + hlen, total - hlen, out, err);
}

/* RFC 8200 4 and the IANA list of extension headers that may precede TCP. */
static bool ipv6_ext_header(uint8_t nh)
{
	switch (nh) {
	case 0:   /* Hop-by-Hop */
	case 43:  /* Routing */
	case 44:  /* Fragment */
	case 50:  /* ESP */
	case 51:  /* AH */
	case 60:  /* Destination Options */
	case 135: /* Mobility */
	case 139: /* HIP */
	case 140: /* Shim6 */
	case 253: /* experimental */
	case 254:
		return true;
	default:
		return false;
	}
}

static int parse_ipv6(const uint8_t *p, size_t len, struct tc_seg *out, struct tc_err *err)
{
	size_t plen, hlen = IPV6_HLEN;
	uint8_t nh;

	if (len < IPV6_HLEN)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "truncated IPv6 header: %zu bytes, need %d", len, IPV6_HLEN);
	plen = get16(p + 4);
	if (IPV6_HLEN + plen > len)
		return tc_err_set(err, TC_ERR_SEG_PARSE,
				  "IPv6 payload length %zu runs past the buffer (%zu bytes after the 40-byte header)",
				  plen, len - IPV6_HLEN);
	nh = p[6];
	/* RFC 8200 4.6: one Destination Options header before TCP is kept
	 * (its options in ipopts); any other extension header is refused */
	if (nh == 60) {
		size_t ext;

		if (plen < 8)
			return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv6 destination options header truncated");
		ext = ((size_t)p[IPV6_HLEN + 1] + 1) * 8;
		if (ext > plen || ext - 2 > SEG_IPOPT_SPACE)
			return tc_err_set(err, TC_ERR_SEG_PARSE,
					  "IPv6 destination options header of %zu bytes (payload %zu, at most %d supported)",
					  ext, plen, SEG_IPOPT_SPACE + 2);
		nh = p[IPV6_HLEN];
		out->ipopt_len = (uint8_t)(ext - 2);
		memcpy(out->ipopts, p + IPV6_HLEN + 2, out->ipopt_len);
		hlen += ext;
		plen -= ext;
	}
	if (ipv6_ext_header(nh))
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv6 extension header %u not supported", nh);
	if (nh != PROTO_TCP)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IPv6 next header %u is not TCP (6)", nh);
	out->src.family = out->dst.family = 6;
	memcpy(out->src.bytes, p + 8, 16);
	memcpy(out->dst.bytes, p + 24, 16);
	out->ttl = p[7];
	out->tos = (uint8_t)(get16(p) >> 4); /* RFC 8200 3: traffic class after the version */
	return parse_tcp(p + hlen, plen, out, err);
}

int seg_parse(const uint8_t *pkt, size_t len, struct tc_seg *out, struct tc_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return tc_err_set(err, TC_ERR_SEG_PARSE, "empty packet");
	switch (pkt[0] >> 4) {
	case 4:
		return parse_ipv4(pkt, len, out, err);
	case 6:
		return parse_ipv6(pkt, len, out, err);
	default:
		return tc_err_set(err, TC_ERR_SEG_PARSE, "IP version %u not supported (first byte 0x%02x)",
				  pkt[0] >> 4, pkt[0]);
	}
}
