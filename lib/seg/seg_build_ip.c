/* IPv4 options and ICMP errors, written byte by byte: libnet's builders
 * would need a context per message for what is a fixed layout. */
#include "seg_ip.h"
#include "seg_bytes.h"

#include <string.h>

#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define ICMP_HLEN 8 /* RFC 792 / RFC 4443 2.1: type, code, checksum, 32 bits */
#define PROTO_ICMP 1
#define PROTO_ICMPV6 58

/* RFC 1071: one's-complement sum of big-endian 16-bit words. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += get16(p);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t seg_ipv4_hdr_csum(const uint8_t *ip, size_t hlen)
{
	uint32_t sum = sum16(0, ip, 10);

	return fold(sum16(sum, ip + 12, hlen - 12));
}

/* RFC 8200 4.6: a Destination Options header between the IPv6 header and
 * TCP: next header, length in 8-octet units after the first 8, options.
 * The TCP checksum's pseudo-header counts TCP's own length (8.1), so it
 * stays as built. */
static int put_dstopts(const struct tc_seg *s, uint8_t *buf, size_t len, size_t cap, struct tc_err *err)
{
	size_t n = s->ipopt_len, ext = n + 2;

	if (ext % 8 || n > SEG_IPOPT_SPACE - 2)
		return tc_err_set(err, TC_ERR_SEG_BUILD,
				  "IPv6 destination options of %zu bytes: 6 + 8k (the header is 8-octet units), at most %d",
				  n, SEG_IPOPT_SPACE - 2);
	if (len + ext > cap)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "packet needs %zu bytes, the buffer holds %zu", len + ext, cap);
	memmove(buf + IPV6_HLEN + ext, buf + IPV6_HLEN, len - IPV6_HLEN);
	buf[IPV6_HLEN] = buf[6]; /* TCP follows the extension header */
	buf[IPV6_HLEN + 1] = (uint8_t)(ext / 8 - 1);
	memcpy(buf + IPV6_HLEN + 2, s->ipopts, n);
	buf[6] = 60; /* Destination Options */
	put16(buf + 4, (uint16_t)(get16(buf + 4) + ext));
	return (int)(len + ext);
}

bool seg_ipv4_route_final(const uint8_t *opts, size_t n, uint8_t final[4])
{
	for (size_t i = 0; i < n;) {
		size_t olen, ptr;

		if (opts[i] == 0) /* EOL */
			return false;
		if (opts[i] == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= n || opts[i + 1] < 2 || i + opts[i + 1] > n)
			return false;
		olen = opts[i + 1];
		if ((opts[i] == 0x83 || opts[i] == 0x89) && olen >= 7) {
			ptr = i + 2 < n ? opts[i + 2] : 0;
			/* the pointer (from 1, the type octet) names the next
			 * address; past the last one the route is complete */
			if (ptr < 4 || ptr > olen || (olen - 3) % 4)
				return false;
			memcpy(final, opts + i + olen - 4, 4);
			return true;
		}
		i += olen;
	}
	return false;
}

/* RFC 1624 eqn. 3: a checksum updated for one 16-bit word changed */
static uint16_t csum_replace(uint16_t hc, uint16_t m_old, uint16_t m_new)
{
	uint32_t sum = (uint16_t)~hc + (uint32_t)(uint16_t)~m_old + m_new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int seg_put_ipopts(const struct tc_seg *s, uint8_t *buf, size_t len, size_t cap, struct tc_err *err)
{
	uint8_t final[4];

	size_t n = s->ipopt_len;

	if (n == 0)
		return (int)len;
	if (s->src.family == 6)
		return put_dstopts(s, buf, len, cap, err);
	if (n % 4 || n > SEG_IPOPT_SPACE)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "IP options of %zu bytes: a multiple of 4, at most %d", n,
				  SEG_IPOPT_SPACE);
	if (len + n > cap)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "packet needs %zu bytes, the buffer holds %zu", len + n, cap);
	memmove(buf + IPV4_HLEN + n, buf + IPV4_HLEN, len - IPV4_HLEN);
	memcpy(buf + IPV4_HLEN, s->ipopts, n);
	buf[0] = (uint8_t)(0x40 | (IPV4_HLEN + n) / 4); /* RFC 791 3.1: IHL in 32-bit words */
	put16(buf + 2, (uint16_t)(len + n));
	put16(buf + 10, seg_ipv4_hdr_csum(buf, IPV4_HLEN + n));
	/* RFC 9293 3.1: a source-routed segment's checksum is over its final
	 * destination, not the next hop the IP header names */
	if (seg_ipv4_route_final(s->ipopts, n, final) && len - IPV4_HLEN >= 18) {
		uint8_t *csum = buf + IPV4_HLEN + n + 16;
		uint16_t c = get16(csum);

		for (int w = 0; w < 4; w += 2)
			c = csum_replace(c, get16(buf + 16 + w), get16(final + w));
		put16(csum, c);
	}
	return (int)(len + n);
}

int seg_build_icmp(const struct tc_seg *s, uint8_t *buf, size_t cap, struct tc_err *err)
{
	bool v4 = s->src.family == 4;
	size_t hlen = v4 ? IPV4_HLEN : IPV6_HLEN;
	size_t mlen = ICMP_HLEN + s->icmp_qlen; /* the ICMP message */
	uint8_t ttl = s->ttl ? s->ttl : 64;
	uint8_t *m = buf + hlen;
	uint32_t sum = 0;

	if (s->icmp_qlen > SEG_ICMP_QUOTE_MAX)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "ICMP quote of %u bytes, at most %d", s->icmp_qlen,
				  SEG_ICMP_QUOTE_MAX);
	if (s->ipopt_len)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "IP options on an ICMP message are not supported");
	if (hlen + mlen > cap)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "packet needs %zu bytes, the buffer holds %zu", hlen + mlen,
				  cap);
	memset(buf, 0, hlen + ICMP_HLEN);
	if (v4) {
		/* RFC 791 3.1 */
		buf[0] = 0x45;
		buf[1] = s->tos;
		put16(buf + 2, (uint16_t)(hlen + mlen));
		buf[8] = ttl;
		buf[9] = PROTO_ICMP;
		memcpy(buf + 12, s->src.bytes, 4);
		memcpy(buf + 16, s->dst.bytes, 4);
		put16(buf + 10, seg_ipv4_hdr_csum(buf, IPV4_HLEN));
	} else {
		/* RFC 8200 3 */
		put32(buf, 0x60000000u | (uint32_t)s->tos << 20);
		put16(buf + 4, (uint16_t)mlen);
		buf[6] = PROTO_ICMPV6;
		buf[7] = ttl;
		memcpy(buf + 8, s->src.bytes, 16);
		memcpy(buf + 24, s->dst.bytes, 16);
		/* RFC 4443 2.3 / RFC 8200 8.1: the checksum covers a
		 * pseudo-header of addresses, length and next header */
		sum = sum16(sum, buf + 8, 32);
		sum += (uint32_t)(mlen >> 16) + (uint32_t)(mlen & 0xffff) + PROTO_ICMPV6;
	}
	m[0] = s->icmp_type;
	m[1] = s->icmp_code;
	put32(m + 4, s->icmp_info);
	memcpy(m + ICMP_HLEN, s->icmp_quote, s->icmp_qlen);
	/* RFC 792: the ICMPv4 checksum covers the message alone */
	put16(m + 2, fold(sum16(sum, m, mlen)));
	return (int)(hlen + mlen);
}
