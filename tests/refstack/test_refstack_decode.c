/* The reference stack's decoder (refstack_decode) against lib/seg's parser
 * (seg_parse), which the stack used before: on well-formed packets, packets
 * with a byte changed, truncated packets and packets with a header field
 * pushed to its limits, both must accept or refuse alike, and where they
 * accept they must agree on every field the stack reads (addresses, ports,
 * numbers, flags, window, urgent pointer, the first MSS option, the payload,
 * the checksum verdict). So the stack drops as malformed exactly what it
 * dropped before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "refstack/refstack_codec.h"
#include "seg/seg.h"

#define PKT_MAX (REFSTACK_IPV6_HLEN + SEG_IPOPT_SPACE + 60 + SEG_MAX_PAYLOAD + 16)

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

static void check_u(const char *ctx, const char *field, unsigned long long want, unsigned long long got)
{
	if (want != got)
		fail_msg("%s: %s: seg_parse %llu (0x%llx), refstack_decode %llu (0x%llx)", ctx, field, want, want,
			 got, got);
}

/* Both decoders on the same bytes. Returns whether they accepted. The
 * decoder reads a copy at an offset that moves with the bytes, so its
 * checksum runs over every alignment. */
static bool check_agree(const char *ctx, const uint8_t *bytes, size_t len)
{
	_Alignas(16) uint8_t buf[PKT_MAX + 16];
	uint8_t *pkt = buf + (len + (len ? bytes[len - 1] : 0)) % 16;
	struct tc_seg want;
	struct refstack_rx_seg got;
	struct tc_err err;
	int rw, rg;
	const struct seg_opt *mss, *sack;

	memcpy(pkt, bytes, len);
	rw = seg_parse(pkt, len, &want, &err);
	rg = refstack_decode(pkt, len, &got);

	if (rw != rg)
		fail_msg("%s: seg_parse %s (%s), refstack_decode %s", ctx, rw ? "refused" : "accepted",
			 rw ? err.msg : "", rg ? "refused" : "accepted");
	if (rw != 0)
		return false;
	check_u(ctx, "family", want.src.family, got.src.family);
	if (!seg_addr_eq(&want.src, &got.src) || !seg_addr_eq(&want.dst, &got.dst))
		fail_msg("%s: addresses differ", ctx);
	check_u(ctx, "ttl", want.ttl, got.ttl);
	check_u(ctx, "sport", want.sport, got.sport);
	check_u(ctx, "dport", want.dport, got.dport);
	check_u(ctx, "seq", want.seq, got.seq);
	check_u(ctx, "ack", want.ack, got.ack);
	check_u(ctx, "flags", want.flags, got.flags);
	check_u(ctx, "win", want.win, got.win);
	check_u(ctx, "urp", want.urp, got.urp);
	mss = seg_find_opt(&want, SEG_OPT_MSS);
	check_u(ctx, "has mss", mss != NULL, got.has_mss);
	if (mss)
		check_u(ctx, "mss", mss->u.mss, got.mss);
	/* RFC 2018 3: the first SACK option's blocks */
	sack = seg_find_opt(&want, SEG_OPT_SACK);
	check_u(ctx, "sack blocks", sack ? sack->u.sack.n : 0, got.nsack);
	for (unsigned i = 0; sack && i < sack->u.sack.n && i < got.nsack; i++) {
		check_u(ctx, "sack left", sack->u.sack.b[i].left, got.sack[i].left);
		check_u(ctx, "sack right", sack->u.sack.b[i].right, got.sack[i].right);
	}
	check_u(ctx, "len", want.len, got.len);
	if (want.len && memcmp(want.payload, got.payload, want.len) != 0)
		fail_msg("%s: payload differs", ctx);
	check_u(ctx, "bad_csum", want.bad_csum, got.bad_csum);
	return true;
}

static void random_seg(struct rng *r, struct tc_seg *s)
{
	uint8_t family = (rnd(r) & 1) ? 6 : 4;
	size_t room = SEG_OPT_SPACE;

	memset(s, 0, sizeof(*s));
	s->src.family = s->dst.family = family;
	for (int b = 0; b < (family == 4 ? 4 : 16); b++) {
		s->src.bytes[b] = (uint8_t)rnd(r);
		s->dst.bytes[b] = (uint8_t)rnd(r);
	}
	s->ttl = (uint8_t)rnd(r);
	s->tos = (uint8_t)rnd(r);
	/* IPv4 options or an IPv6 Destination Options header, both skipped */
	if (rnd(r) % 4 == 0) {
		s->ipopt_len = (uint8_t)(family == 4 ? 4 * (1 + rnd(r) % 10) : 6 + 8 * (rnd(r) % 5));
		for (unsigned b = 0; b < s->ipopt_len; b++)
			s->ipopts[b] = (uint8_t)rnd(r);
	}
	s->sport = (uint16_t)rnd(r);
	s->dport = (uint16_t)rnd(r);
	s->seq = rnd(r);
	s->ack = rnd(r);
	s->flags = (uint16_t)(rnd(r) & SEG_FLAGS_ALL);
	s->win = (uint16_t)rnd(r);
	s->urp = (uint16_t)rnd(r);
	while (s->nopts < 10) {
		struct seg_opt o;
		size_t need;

		memset(&o, 0, sizeof(o));
		switch (rnd(r) % 8) {
		case 0: o.kind = SEG_OPT_NOP; need = 1; break;
		case 1: o.kind = SEG_OPT_MSS; o.u.mss = (uint16_t)rnd(r); need = 4; break;
		case 2: o.kind = SEG_OPT_TS; o.u.ts.val = rnd(r); need = 10; break;
		case 3: o.kind = SEG_OPT_WSCALE; o.u.wscale = 7; need = 3; break;
		case 4: o.kind = SEG_OPT_EOL; need = 1; break;
		case 6:
			o.kind = SEG_OPT_SACK;
			o.u.sack.n = (uint8_t)(1 + rnd(r) % 3);
			for (unsigned b = 0; b < o.u.sack.n; b++)
				o.u.sack.b[b] = (struct seg_sack_block){rnd(r), rnd(r)};
			need = 2 + 8u * o.u.sack.n;
			break;
		case 5:
			/* kind, length, data at random: malformed as often as not */
			o.kind = SEG_OPT_RAW;
			o.u.raw.len = (uint8_t)(1 + rnd(r) % 6);
			for (unsigned b = 0; b < o.u.raw.len; b++)
				o.u.raw.data[b] = (uint8_t)(b == 0 ? rnd(r) % 6 : rnd(r) % 8);
			need = o.u.raw.len;
			break;
		default:
			need = SEG_OPT_SPACE + 1;
			break;
		}
		if (need > room)
			break;
		room -= need;
		s->opts[s->nopts++] = o;
	}
	s->len = (uint16_t)(rnd(r) % 4 == 0 ? rnd(r) % (SEG_MAX_PAYLOAD + 1) : rnd(r) % 64);
	for (uint16_t i = 0; i < s->len; i++)
		s->payload[i] = (uint8_t)rnd(r);
	s->bad_csum = rnd(r) % 8 == 0;
}

/* Well-formed packets, then each with bytes changed and cut short. */
static void test_random_and_mutated(void **state)
{
	struct rng r = {0x243f6a8885a308d3ull};
	unsigned accepted = 0, refused = 0;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		uint8_t pkt[PKT_MAX], mut[PKT_MAX];
		struct tc_seg s;
		struct tc_err err;
		char ctx[80];
		int n;

		random_seg(&r, &s);
		n = seg_build(&s, pkt, sizeof(pkt), &err);
		if (n < 0)
			continue;
		snprintf(ctx, sizeof(ctx), "packet %d", i);
		check_agree(ctx, pkt, (size_t)n);
		for (int m = 0; m < 12; m++) {
			size_t len = (size_t)n;

			memcpy(mut, pkt, len);
			/* mostly the headers, where the rules are */
			for (int k = 0; k < 1 + (int)(rnd(&r) % 3); k++) {
				size_t at = rnd(&r) % 2 ? rnd(&r) % (len < 100 ? len : 100) : rnd(&r) % len;

				mut[at] = (uint8_t)(rnd(&r) % 2 ? rnd(&r) : mut[at] ^ (1u << (rnd(&r) % 8)));
			}
			if (rnd(&r) % 4 == 0)
				len = rnd(&r) % (len + 1);
			else if (rnd(&r) % 4 == 0)
				len += rnd(&r) % 16; /* trailing bytes: link-layer padding */
			snprintf(ctx, sizeof(ctx), "packet %d mutation %d", i, m);
			if (check_agree(ctx, mut, len))
				accepted++;
			else
				refused++;
		}
	}
	/* the mutations must reach both outcomes, or they test nothing */
	assert_true(accepted > 1000);
	assert_true(refused > 1000);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Each header field the rules read, at and around its limits. */
static void test_header_limits(void **state)
{
	struct tc_seg s;
	struct tc_err err;
	uint8_t pkt[PKT_MAX], mut[PKT_MAX];
	char ctx[80];

	(void)state;
	for (uint8_t family = 4; family <= 6; family += 2) {
		size_t iph = family == 4 ? REFSTACK_IPV4_HLEN : REFSTACK_IPV6_HLEN;
		int n;

		memset(&s, 0, sizeof(s));
		s.src.family = s.dst.family = family;
		s.src.bytes[0] = 10;
		s.dst.bytes[0] = 11;
		s.flags = SEG_SYN;
		s.nopts = 1;
		s.opts[0].kind = SEG_OPT_MSS;
		s.opts[0].u.mss = 1460;
		s.len = 10;
		n = seg_build(&s, pkt, sizeof(pkt), &err);
		assert_true(n > 0);
		/* the version nibble */
		for (unsigned v = 0; v < 16; v++) {
			memcpy(mut, pkt, (size_t)n);
			mut[0] = (uint8_t)(v << 4 | (mut[0] & 0x0f));
			snprintf(ctx, sizeof(ctx), "IPv%u version %u", family, v);
			check_agree(ctx, mut, (size_t)n);
		}
		/* the length field: every value near the real one */
		for (int d = -30; d <= 30; d++) {
			memcpy(mut, pkt, (size_t)n);
			put16(mut + (family == 4 ? 2 : 4), (uint16_t)((family == 4 ? n : n - 40) + d));
			snprintf(ctx, sizeof(ctx), "IPv%u length %+d", family, d);
			check_agree(ctx, mut, (size_t)n);
		}
		/* protocol / next header: every value */
		for (unsigned p = 0; p < 256; p++) {
			memcpy(mut, pkt, (size_t)n);
			mut[family == 4 ? 9 : 6] = (uint8_t)p;
			snprintf(ctx, sizeof(ctx), "IPv%u protocol %u", family, p);
			check_agree(ctx, mut, (size_t)n);
		}
		/* the TCP data offset: every value */
		for (unsigned d = 0; d < 16; d++) {
			memcpy(mut, pkt, (size_t)n);
			mut[iph + 12] = (uint8_t)(d << 4 | (mut[iph + 12] & 0x0f));
			snprintf(ctx, sizeof(ctx), "IPv%u data offset %u", family, d);
			check_agree(ctx, mut, (size_t)n);
		}
		/* the MSS option's kind and length octets: every value */
		for (unsigned k = 0; k < 256; k++)
			for (unsigned pos = 0; pos < 2; pos++) {
				memcpy(mut, pkt, (size_t)n);
				mut[iph + 20 + pos] = (uint8_t)k;
				snprintf(ctx, sizeof(ctx), "IPv%u option octet %u = %u", family, pos, k);
				check_agree(ctx, mut, (size_t)n);
			}
		/* every length from empty to whole */
		for (int len = 0; len <= n; len++) {
			snprintf(ctx, sizeof(ctx), "IPv%u cut to %d bytes", family, len);
			check_agree(ctx, pkt, (size_t)len);
		}
		if (family == 4) {
			/* IHL and the fragment field */
			for (unsigned ihl = 0; ihl < 16; ihl++) {
				memcpy(mut, pkt, (size_t)n);
				mut[0] = (uint8_t)(0x40 | ihl);
				snprintf(ctx, sizeof(ctx), "IPv4 IHL %u", ihl);
				check_agree(ctx, mut, (size_t)n);
			}
			for (unsigned f = 0; f < 16; f++) {
				memcpy(mut, pkt, (size_t)n);
				put16(mut + 6, (uint16_t)(f << 12 | (f & 1)));
				snprintf(ctx, sizeof(ctx), "IPv4 fragment field 0x%x", f << 12 | (f & 1));
				check_agree(ctx, mut, (size_t)n);
			}
		}
	}
}

/* More payload than SEG_MAX_PAYLOAD: both refuse; exactly that much: both
 * accept. The IPv4 total length may not exceed the buffer. */
static void test_payload_limit(void **state)
{
	static uint8_t pkt[REFSTACK_IPV4_HLEN + REFSTACK_TCP_HLEN + SEG_MAX_PAYLOAD + 1];
	struct tc_seg s;
	struct tc_err err;
	int n;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.src.family = s.dst.family = 4;
	s.len = SEG_MAX_PAYLOAD;
	n = seg_build(&s, pkt, sizeof(pkt), &err);
	assert_true(n > 0);
	assert_true(check_agree("max payload", pkt, (size_t)n));
	/* one byte more: patch the total length and append a byte */
	pkt[n] = 0;
	put16(pkt + 2, (uint16_t)(n + 1));
	assert_false(check_agree("max payload + 1", pkt, (size_t)n + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_and_mutated),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_payload_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
