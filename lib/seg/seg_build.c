/* Segment -> IP packet bytes, assembled by libnet.
 *
 * The context is LIBNET_NONE: it opens no socket, so building needs no
 * privileges. libnet_pblock_coalesce() treats that type like the advanced
 * modes and skips the "is there a layer-2/IPv4/IPv6 header" sanity switch,
 * so an IPv6 header built with libnet_build_ipv6() assembles and gets its TCP
 * checksum exactly as an IPv4 one does; the injection type matters only for
 * writing, which we never do. */
#include "seg.h"
#include "seg_bytes.h"
#include "seg_ip.h"

#include <libnet.h>
#include <string.h>

#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define TCP_HLEN 20
#define TCP_CSUM_OFF 16 /* 9293 3.1: checksum field */
#define TCP_OFF_WORD 12 /* 9293 3.1: data offset, reserved, AE and flags */

/* libnet's messages end in a newline; ours are one line. */
static int libnet_fail(struct tc_err *err, const char *what, const char *msg)
{
	size_t n = strcspn(msg, "\n");

	return tc_err_set(err, TC_ERR_SEG_BUILD, "libnet %s failed: %.*s", what, (int)n, msg);
}

static int check_seg(const struct tc_seg *s, struct tc_err *err)
{
	if (s->src.family != 4 && s->src.family != 6)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "source address family %u (want 4 or 6)", s->src.family);
	if (s->dst.family != s->src.family)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "address families differ: source IPv%u, destination IPv%u",
				  s->src.family, s->dst.family);
	if (s->len > SEG_MAX_PAYLOAD)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "payload of %u bytes, at most %d allowed", s->len,
				  SEG_MAX_PAYLOAD);
	return 0;
}

/* Options padded with EOL (kind 0) to a multiple of 4, because the data
 * offset counts 32-bit words (9293 3.1). Returns the padded length. */
static int build_opts(const struct tc_seg *s, uint8_t opts[SEG_OPT_SPACE], struct tc_err *err)
{
	size_t wire = seg_opts_wire_len(s);
	int n;

	if (wire > SEG_OPT_SPACE)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "options take %zu bytes, a TCP header holds at most %d",
				  wire, SEG_OPT_SPACE);
	n = seg_emit_opts(s, opts, SEG_OPT_SPACE, err);
	if (n < 0)
		return -1;
	while (n % 4)
		opts[n++] = SEG_OPT_EOL;
	return n;
}

static int put_ip(libnet_t *l, const struct tc_seg *s, size_t tcp_len, struct tc_err *err)
{
	uint8_t ttl = s->ttl ? s->ttl : 64;
	libnet_ptag_t t;

	if (s->src.family == 4) {
		uint32_t src, dst;

		memcpy(&src, s->src.bytes, 4);
		memcpy(&dst, s->dst.bytes, 4);
		t = libnet_build_ipv4((uint16_t)(IPV4_HLEN + tcp_len), s->tos, 0, 0, ttl, IPPROTO_TCP, 0, src, dst, NULL,
				      0, l, 0);
	} else {
		struct libnet_in6_addr src, dst;

		memcpy(&src, s->src.bytes, 16);
		memcpy(&dst, s->dst.bytes, 16);
		/* The length here is the IPv6 payload length, not the total. */
		t = libnet_build_ipv6(s->tos, 0, (uint16_t)tcp_len, IPPROTO_TCP, ttl, src, dst, NULL, 0, l, 0);
	}
	if (t == -1)
		return libnet_fail(err, s->src.family == 4 ? "build_ipv4" : "build_ipv6", libnet_geterror(l));
	return 0;
}

/* libnet pblocks go on innermost first: options, TCP (with payload), IP. */
static int put_blocks(libnet_t *l, const struct tc_seg *s, const uint8_t *opts, int optlen, struct tc_err *err)
{
	size_t tcp_len = TCP_HLEN + (size_t)optlen + s->len;

	if (optlen && libnet_build_tcp_options(opts, (uint32_t)optlen, l, 0) == -1)
		return libnet_fail(err, "build_tcp_options", libnet_geterror(l));
	/* Only the low eight flags fit libnet's control byte; AE is patched in
	 * by set_ae(). A zero checksum asks libnet to compute it. */
	if (libnet_build_tcp(s->sport, s->dport, s->seq, s->ack, (uint8_t)(s->flags & 0xff), s->win, 0, s->urp,
			     (uint16_t)tcp_len, s->len ? s->payload : NULL, s->len, l, 0) == -1)
		return libnet_fail(err, "build_tcp", libnet_geterror(l));
	return put_ip(l, s, tcp_len, err);
}

static int assemble(libnet_t *l, uint8_t *buf, size_t want, struct tc_err *err)
{
	uint8_t *pkt = NULL;
	uint32_t size = 0;

	if (libnet_pblock_coalesce(l, &pkt, &size) == -1)
		return libnet_fail(err, "pblock_coalesce", libnet_geterror(l));
	if (size != want) {
		libnet_adv_free_packet(l, pkt);
		return tc_err_set(err, TC_ERR_SEG_BUILD, "libnet assembled %u bytes, expected %zu", size, want);
	}
	memcpy(buf, pkt, size);
	libnet_adv_free_packet(l, pkt);
	return 0;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), updating a checksum for one
 * changed 16-bit word without summing the segment again. */
static uint16_t csum_update(uint16_t hc, uint16_t m_old, uint16_t m_new)
{
	uint32_t sum = (uint16_t)~hc + (uint32_t)(uint16_t)~m_old + m_new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* AE (RFC 3540 / 9768) is the low bit of the byte holding the data offset,
 * which libnet_build_tcp() always writes as zero. */
static void set_ae(uint8_t *tcp)
{
	uint16_t old = get16(tcp + TCP_OFF_WORD);
	uint16_t new = old | SEG_AE;

	put16(tcp + TCP_OFF_WORD, new);
	put16(tcp + TCP_CSUM_OFF, csum_update(get16(tcp + TCP_CSUM_OFF), old, new));
}

int seg_build(const struct tc_seg *s, uint8_t *buf, size_t cap, struct tc_err *err)
{
	char errbuf[LIBNET_ERRBUF_SIZE] = "";
	uint8_t opts[SEG_OPT_SPACE];
	size_t ip_hlen, total;
	int optlen, rc;
	libnet_t *l;

	if (check_seg(s, err) < 0)
		return -1;
	if (s->icmp)
		return seg_build_icmp(s, buf, cap, err);
	optlen = build_opts(s, opts, err);
	if (optlen < 0)
		return -1;
	ip_hlen = s->src.family == 4 ? IPV4_HLEN : IPV6_HLEN;
	total = ip_hlen + TCP_HLEN + (size_t)optlen + s->len;
	if (total > cap)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "packet needs %zu bytes, the buffer holds %zu", total, cap);

	l = libnet_init(LIBNET_NONE, NULL, errbuf);
	if (!l)
		return libnet_fail(err, "init", errbuf);
	rc = put_blocks(l, s, opts, optlen, err);
	if (rc == 0)
		rc = assemble(l, buf, total, err);
	libnet_destroy(l);
	if (rc < 0)
		return -1;

	if (s->flags & SEG_AE)
		set_ae(buf + ip_hlen);
	/* Wrong on purpose: the right value + 1 (mod 2^16) never verifies. A
	 * computed checksum is never 0xffff (the pseudo-header is not all zero,
	 * so the sum is never +0), hence + 1 cannot land on the other zero. */
	if (s->bad_csum)
		put16(buf + ip_hlen + TCP_CSUM_OFF, (uint16_t)(get16(buf + ip_hlen + TCP_CSUM_OFF) + 1));
	/* RFC 791 3.1: options sit between the IPv4 header and TCP */
	return seg_put_ipopts(s, buf, total, cap, err);
}
