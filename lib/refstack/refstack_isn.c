/* Initial sequence numbers (RFC 9293 3.4.1; RFC 6528 3).
 *
 * ISN = M + F(localip, localport, remoteip, remoteport, secretkey): M is a
 * timer ticking every 4 microseconds of the injected clock (9293 3.4.1,
 * MUST-8: "a clock-driven ISN generator component"), F a keyed
 * pseudorandom function of the connection-id (SHLD-1), so that numbers of
 * different four-tuples are unrelated while one four-tuple's numbers
 * advance with the clock (RFC 6528 3). F is SipHash-2-4 (Aumasson and
 * Bernstein, "SipHash: a fast short-input PRF", 2012), written here from
 * the paper's description and truncated to its low 32 bits. */
#include "refstack_internal.h"

#include <string.h>

static uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

/* little-endian 64-bit word of the paper's message parsing */
static uint64_t le64(const uint8_t *p, size_t n)
{
	uint64_t w = 0;

	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

/* The paper's SipRound. */
static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

static void sip_compress(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v); /* c = 2 compression rounds */
	sip_round(v);
	v[0] ^= m;
}

uint64_t refstack_siphash24(const uint8_t key[16], const uint8_t *msg, size_t len)
{
	uint64_t k0 = le64(key, 8), k1 = le64(key + 8, 8);
	/* initialisation: "somepseudorandomlygeneratedbytes" */
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ull,
		k1 ^ 0x646f72616e646f6dull,
		k0 ^ 0x6c7967656e657261ull,
		k1 ^ 0x7465646279746573ull,
	};
	size_t whole = len - len % 8;

	for (size_t i = 0; i < whole; i += 8)
		sip_compress(v, le64(msg + i, 8));
	/* the last word: the remaining bytes, and len mod 256 in the top byte */
	sip_compress(v, le64(msg + whole, len % 8) | (uint64_t)(len & 0xff) << 56);
	/* finalisation: d = 4 rounds */
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static size_t put_endpoint(uint8_t *p, const struct seg_addr *a, uint16_t port)
{
	size_t n = a->family == 6 ? 16 : 4;

	memcpy(p, a->bytes, n);
	p[n] = (uint8_t)(port >> 8);
	p[n + 1] = (uint8_t)port;
	return n + 2;
}

uint32_t refstack_isn_rfc6528(const struct refstack *s, const struct seg_addr *laddr, uint16_t lport,
			      const struct seg_addr *raddr, uint16_t rport, uint64_t now_us)
{
	uint8_t id[36];
	/* localip is the connection's own: a multihomed stack's second
	 * address makes another four-tuple */
	size_t n;

#ifdef REFSTACK_FAULTS
	/* fault isn-first-address-hashed: localip is always the first address */
	if (refstack_fault_on(s, REFSTACK_FAULT_ISN_FIRST_ADDRESS_HASHED))
		laddr = &s->cfg.addr;
#endif
	n = put_endpoint(id, laddr, lport);
	/* RFC 6528 3: M, "a 4 microsecond timer" */
	uint32_t m = (uint32_t)(now_us / 4u);

	n += put_endpoint(id + n, raddr, rport);
#ifdef REFSTACK_FAULTS
	/* fault isn-constant: no clock component (MUST-8), the hash alone */
	if (refstack_fault_on(s, REFSTACK_FAULT_ISN_CONSTANT))
		m = 0;
#endif
	/* RFC 6528 3: F(localip, localport, remoteip, remoteport, secretkey) */
	return m + (uint32_t)refstack_siphash24(s->cfg.iss_secret, id, n);
}

uint32_t refstack_iss_choose(struct refstack *s, const struct seg_addr *laddr, uint16_t lport,
			     const struct seg_addr *raddr, uint16_t rport)
{
	/* RFC 1122 4.2.2.13 (1): a reopen from TIME-WAIT names its ISS */
	if (s->iss_next_on) {
		s->iss_next_on = false;
		return s->iss_next;
	}
	if (s->io.iss)
		return s->io.iss(s->io.ctx);
	if (s->cfg.iss_mode == REFSTACK_ISS_RFC6528)
		return refstack_isn_rfc6528(s, laddr, lport, raddr, rport, s->now_us);
	return s->cfg.iss;
}
