/* The reference stack's encoder (refstack_encode) against lib/seg's libnet
 * builder (seg_build): the same segment must give the same bytes, every one
 * of them (IP header, TCP header, options, padding, payload, checksums), on
 * both families, for every flag and every option kind, for payloads of odd
 * and even lengths split into two pieces anywhere. What one refuses the
 * other refuses too. A failure names the case and the first byte that
 * differs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "refstack/refstack_codec.h"
#include "seg/seg.h"

#define PKT_MAX (REFSTACK_IPV6_HLEN + 60 + SEG_MAX_PAYLOAD)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A fixed-seed generator, so a failure repeats. */
struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

static void seg_base(struct tc_seg *s, uint8_t family)
{
	static const uint8_t a4[2][4] = {{192, 0, 2, 1}, {198, 51, 100, 254}};
	static const uint8_t a6[2][16] = {
		{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01},
		{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44},
	};

	memset(s, 0, sizeof(*s));
	s->src.family = s->dst.family = family;
	memcpy(s->src.bytes, family == 4 ? a4[0] : a6[0], family == 4 ? 4 : 16);
	memcpy(s->dst.bytes, family == 4 ? a4[1] : a6[1], family == 4 ? 4 : 16);
	/* every field byte distinct, so a swapped or misplaced byte shows */
	s->sport = 0x1234;
	s->dport = 0xfedc;
	s->seq = 0x89abcdefu;
	s->ack = 0x01234567u;
	s->win = 0xa55a;
	s->urp = 0x3cc3;
	s->ttl = 0; /* the builders' default, 64 */
}

static void payload_fill(struct tc_seg *s, uint16_t len, uint32_t seed)
{
	s->len = len;
	for (uint16_t i = 0; i < len; i++)
		s->payload[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* The same segment as the stack's encoder takes it: the payload split in
 * two pieces at split, the way a ring buffer's wrap splits it. */
static void to_tx(const struct tc_seg *s, uint16_t split, struct refstack_tx_seg *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->src = s->src;
	tx->dst = s->dst;
	tx->ttl = s->ttl;
	tx->sport = s->sport;
	tx->dport = s->dport;
	tx->seq = s->seq;
	tx->ack = s->ack;
	tx->flags = s->flags;
	tx->win = s->win;
	tx->urp = s->urp;
	tx->nopts = s->nopts;
	tx->opts = s->opts;
	if (split > s->len)
		split = s->len;
	tx->data[0] = s->payload;
	tx->data_len[0] = split;
	tx->data[1] = s->payload + split;
	tx->data_len[1] = (uint32_t)(s->len - split);
}

/* Both builders, byte for byte. Returns the packet length. The encoder
 * writes at an offset of its buffer that moves with the segment, so the
 * checksum runs over every alignment. */
static size_t check_same(const char *ctx, const struct tc_seg *s, uint16_t split)
{
	_Alignas(16) uint8_t want[PKT_MAX], buf[PKT_MAX + 16];
	uint8_t *got = buf + (s->seq + s->len + split + s->nopts) % 16;
	struct refstack_tx_seg tx;
	struct tc_err err;
	struct tc_seg back;
	int n;
	size_t m;

	memset(want, 0xaa, sizeof(want));
	memset(got, 0x55, PKT_MAX);
	n = seg_build(s, want, sizeof(want), &err);
	if (n < 0)
		fail_msg("%s: seg_build refused it: %s", ctx, err.msg);
	to_tx(s, split, &tx);
	m = refstack_encode(&tx, got, PKT_MAX);
	if (m != (size_t)n)
		fail_msg("%s: refstack_encode wrote %zu bytes, seg_build %d", ctx, m, n);
	for (size_t i = 0; i < m; i++)
		if (want[i] != got[i])
			fail_msg("%s: byte %zu of %zu differs: seg_build 0x%02x, refstack_encode 0x%02x", ctx, i, m,
				 want[i], got[i]);
	/* and the checksum verifies on its own terms: lib/seg's parser (which
	 * refuses raw options made malformed on purpose) */
	for (size_t i = 0; i < s->nopts; i++)
		if (s->opts[i].kind == SEG_OPT_RAW)
			return m;
	if (seg_parse(got, m, &back, &err) != 0)
		fail_msg("%s: seg_parse refused the encoded packet: %s", ctx, err.msg);
	if (back.bad_csum)
		fail_msg("%s: the encoded checksum does not verify", ctx);
	return m;
}

/* Every flag alone, none, all, and common pairs; both families. */
static void test_flags(void **state)
{
	static const uint16_t sets[] = {
		0, SEG_FIN, SEG_SYN, SEG_RST, SEG_PSH, SEG_ACK, SEG_URG, SEG_ECE, SEG_CWR, SEG_AE,
		SEG_SYN | SEG_ACK, SEG_FIN | SEG_ACK, SEG_RST | SEG_ACK, SEG_PSH | SEG_ACK, SEG_AE | SEG_ACK,
		SEG_FLAGS_ALL,
	};
	(void)state;
	for (uint8_t family = 4; family <= 6; family += 2)
		for (size_t i = 0; i < ARRAY_LEN(sets); i++) {
			struct tc_seg s;
			char ctx[64];

			seg_base(&s, family);
			s.flags = sets[i];
			snprintf(ctx, sizeof(ctx), "IPv%u flags 0x%03x", family, sets[i]);
			check_same(ctx, &s, 0);
		}
}

/* Every header field: all-zero, all-ones and distinct-byte values, the hop
 * limit given or defaulted. */
static void test_fields(void **state)
{
	static const uint32_t vals[] = {0, 0xffffffffu, 0x80000001u, 0x01020304u};
	static const uint8_t ttls[] = {0, 1, 64, 255};

	(void)state;
	for (uint8_t family = 4; family <= 6; family += 2)
		for (size_t v = 0; v < ARRAY_LEN(vals); v++)
			for (size_t t = 0; t < ARRAY_LEN(ttls); t++) {
				struct tc_seg s;
				char ctx[80];

				seg_base(&s, family);
				s.sport = (uint16_t)vals[v];
				s.dport = (uint16_t)(vals[v] >> 16);
				s.seq = vals[v];
				s.ack = ~vals[v];
				s.win = (uint16_t)(vals[v] >> 8);
				s.urp = (uint16_t)(vals[v] * 3);
				s.ttl = ttls[t];
				s.flags = SEG_ACK | SEG_URG;
				snprintf(ctx, sizeof(ctx), "IPv%u value 0x%08x ttl %u", family, vals[v], ttls[t]);
				check_same(ctx, &s, 0);
			}
}

#define MSS(v) {.kind = SEG_OPT_MSS, .u.mss = (v)}
#define WS(v) {.kind = SEG_OPT_WSCALE, .u.wscale = (v)}
#define SACKOK {.kind = SEG_OPT_SACK_PERM}
#define SACK(n, ...) {.kind = SEG_OPT_SACK, .u.sack = {(n), {__VA_ARGS__}}}
#define TS(v, e) {.kind = SEG_OPT_TS, .u.ts = {(v), (e)}}
#define NOP {.kind = SEG_OPT_NOP}
#define EOL {.kind = SEG_OPT_EOL}
#define RAW(n, ...) {.kind = SEG_OPT_RAW, .u.raw = {(n), {__VA_ARGS__}}}

struct opt_row {
	const char *name;
	uint8_t n;
	struct seg_opt o[12];
};

/* Each kind alone (so the EOL padding to 4 is checked at every remainder),
 * and the lists real stacks send. */
static const struct opt_row opt_rows[] = {
	{"mss", 1, {MSS(1460)}},
	{"mss 0xffff", 1, {MSS(0xffff)}},
	{"nop", 1, {NOP}},
	{"eol", 1, {EOL}},
	{"nop nop nop", 3, {NOP, NOP, NOP}},
	{"wscale", 1, {WS(14)}},
	{"sackOK", 1, {SACKOK}},
	{"timestamps", 1, {TS(0xdeadbeefu, 0x01020304u)}},
	{"sack 1", 1, {SACK(1, {0x11111111u, 0x22222222u})}},
	{"sack 2", 1, {SACK(2, {1, 2}, {0xfffffff0u, 0x0000000fu})}},
	{"sack 3", 1, {SACK(3, {1, 2}, {3, 4}, {5, 6})}},
	{"sack 4", 1, {SACK(4, {1, 2}, {3, 4}, {5, 6}, {0x80000000u, 0x7fffffffu})}},
	{"raw 1", 1, {RAW(1, 0xfe)}},
	{"raw kind 30", 1, {RAW(5, 30, 5, 0xab, 0xcd, 0xef)}},
	{"raw bad mss", 1, {RAW(3, 2, 3, 0x05)}},
	{"linux syn", 5, {MSS(1460), SACKOK, TS(12345, 0), NOP, WS(7)}},
	{"bsd syn", 8, {MSS(1460), NOP, WS(6), SACKOK, TS(1, 0), EOL, EOL, EOL}},
	{"ts ack", 3, {NOP, NOP, TS(0x12345678u, 0x9abcdef0u)}},
	{"sack ack", 4, {NOP, NOP, TS(5, 6), SACK(3, {1, 2}, {3, 4}, {5, 6})}},
	{"mss then eol then nop", 3, {MSS(536), EOL, NOP}},
	{"40 bytes", 3, {MSS(1), TS(2, 3), SACK(3, {4, 5}, {6, 7}, {8, 9})}},
};

static void test_options(void **state)
{
	(void)state;
	for (uint8_t family = 4; family <= 6; family += 2)
		for (size_t i = 0; i < ARRAY_LEN(opt_rows); i++) {
			const struct opt_row *r = &opt_rows[i];
			struct tc_seg s;
			char ctx[80];

			seg_base(&s, family);
			s.flags = SEG_SYN | SEG_ACK;
			s.nopts = r->n;
			memcpy(s.opts, r->o, r->n * sizeof(r->o[0]));
			snprintf(ctx, sizeof(ctx), "IPv%u options %s", family, r->name);
			check_same(ctx, &s, 0);
			/* with a payload too: the options before it, padded */
			payload_fill(&s, 33, (uint32_t)i);
			snprintf(ctx, sizeof(ctx), "IPv%u options %s, 33-byte payload", family, r->name);
			check_same(ctx, &s, 17);
		}
}

/* Payload lengths odd and even, up to SEG_MAX_PAYLOAD, split at odd and even
 * offsets, the ends included: the checksum's odd byte and the two copies. */
static void test_payload(void **state)
{
	static const uint16_t lens[] = {1, 2, 3, 7, 8, 9, 31, 536, 1219, 1220, 1459, 1460, 1461, 2047,
					SEG_MAX_PAYLOAD};

	(void)state;
	for (uint8_t family = 4; family <= 6; family += 2)
		for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
			uint16_t len = lens[i];
			uint16_t splits[] = {0, 1, (uint16_t)(len / 2), (uint16_t)(len / 2 + 1), (uint16_t)(len - 1),
					     len};

			for (size_t k = 0; k < ARRAY_LEN(splits); k++) {
				struct tc_seg s;
				char ctx[80];

				seg_base(&s, family);
				s.flags = SEG_PSH | SEG_ACK;
				payload_fill(&s, len, (uint32_t)(i + k));
				snprintf(ctx, sizeof(ctx), "IPv%u payload %u split at %u", family, len, splits[k]);
				check_same(ctx, &s, splits[k]);
			}
		}
}

/* Payload bytes of 0xff and 0x00 and checksums that fold to either zero:
 * the corners of one's-complement addition. */
static void test_checksum_corners(void **state)
{
	(void)state;
	for (uint8_t family = 4; family <= 6; family += 2)
		for (uint16_t len = 0; len < 64; len++)
			for (int fill = 0; fill < 2; fill++) {
				struct tc_seg s;
				char ctx[80];

				seg_base(&s, family);
				s.flags = SEG_ACK;
				s.len = len;
				memset(s.payload, fill ? 0xff : 0x00, len);
				/* walk the sequence number so the sum takes many values */
				for (uint32_t q = 0; q < 16; q++) {
					s.seq = q * 0x1111u;
					snprintf(ctx, sizeof(ctx), "IPv%u %u bytes of 0x%02x seq 0x%x", family, len,
						 fill ? 0xff : 0, s.seq);
					check_same(ctx, &s, (uint16_t)(len / 3));
				}
			}
}

static void random_opts(struct rng *r, struct tc_seg *s)
{
	size_t room = SEG_OPT_SPACE;

	s->nopts = 0;
	while (s->nopts < 12) {
		struct seg_opt o;
		size_t need;

		memset(&o, 0, sizeof(o));
		switch (rnd(r) % 9) {
		case 0: o.kind = SEG_OPT_EOL; need = 1; break;
		case 1: o.kind = SEG_OPT_NOP; need = 1; break;
		case 2: o.kind = SEG_OPT_MSS; o.u.mss = (uint16_t)rnd(r); need = 4; break;
		case 3: o.kind = SEG_OPT_WSCALE; o.u.wscale = (uint8_t)rnd(r); need = 3; break;
		case 4: o.kind = SEG_OPT_SACK_PERM; need = 2; break;
		case 5: o.kind = SEG_OPT_TS; o.u.ts.val = rnd(r); o.u.ts.ecr = rnd(r); need = 10; break;
		case 6:
			o.kind = SEG_OPT_SACK;
			o.u.sack.n = (uint8_t)(1 + rnd(r) % SEG_MAX_SACK_BLOCKS);
			for (unsigned b = 0; b < o.u.sack.n; b++) {
				o.u.sack.b[b].left = rnd(r);
				o.u.sack.b[b].right = rnd(r);
			}
			need = 2 + 8u * o.u.sack.n;
			break;
		case 7:
			o.kind = SEG_OPT_RAW;
			o.u.raw.len = (uint8_t)(1 + rnd(r) % 8);
			for (unsigned b = 0; b < o.u.raw.len; b++)
				o.u.raw.data[b] = (uint8_t)rnd(r);
			need = o.u.raw.len;
			break;
		default:
			return;
		}
		if (need > room)
			return;
		room -= need;
		s->opts[s->nopts++] = o;
	}
}

/* Many random segments: family, flags, fields, options, payload, split. */
static void test_random(void **state)
{
	struct rng r = {0x9e3779b97f4a7c15ull};

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct tc_seg s;
		char ctx[64];

		seg_base(&s, (rnd(&r) & 1) ? 6 : 4);
		s.flags = (uint16_t)(rnd(&r) & SEG_FLAGS_ALL);
		s.sport = (uint16_t)rnd(&r);
		s.dport = (uint16_t)rnd(&r);
		s.seq = rnd(&r);
		s.ack = rnd(&r);
		s.win = (uint16_t)rnd(&r);
		s.urp = (uint16_t)rnd(&r);
		s.ttl = (uint8_t)rnd(&r);
		for (int b = 0; b < (s.src.family == 4 ? 4 : 16); b++) {
			s.src.bytes[b] = (uint8_t)rnd(&r);
			s.dst.bytes[b] = (uint8_t)rnd(&r);
		}
		random_opts(&r, &s);
		payload_fill(&s, (uint16_t)(rnd(&r) % (SEG_MAX_PAYLOAD + 1)), rnd(&r));
		snprintf(ctx, sizeof(ctx), "random segment %d", i);
		check_same(ctx, &s, (uint16_t)(s.len ? rnd(&r) % (s.len + 1u) : 0));
	}
}

/* What seg_build refuses, refstack_encode refuses (returns 0). */
static void test_refusals(void **state)
{
	uint8_t buf[PKT_MAX];
	struct refstack_tx_seg tx;
	struct tc_err err;
	struct tc_seg s;
	size_t n;

	(void)state;
	/* families differ */
	seg_base(&s, 4);
	s.dst.family = 6;
	assert_true(seg_build(&s, buf, sizeof(buf), &err) < 0);
	to_tx(&s, 0, &tx);
	assert_int_equal(refstack_encode(&tx, buf, sizeof(buf)), 0);
	/* no family */
	seg_base(&s, 4);
	s.src.family = s.dst.family = 5;
	to_tx(&s, 0, &tx);
	assert_int_equal(refstack_encode(&tx, buf, sizeof(buf)), 0);
	/* options over 40 bytes: 41 NOPs */
	seg_base(&s, 6);
	s.nopts = SEG_MAX_OPTS;
	for (int i = 0; i < SEG_MAX_OPTS; i++)
		s.opts[i].kind = SEG_OPT_NOP;
	to_tx(&s, 0, &tx);
	n = refstack_encode(&tx, buf, sizeof(buf));
	assert_int_equal(n, (size_t)seg_build(&s, buf, sizeof(buf), &err)); /* 40 fit */
	s.opts[SEG_MAX_OPTS - 1].kind = SEG_OPT_MSS;
	assert_true(seg_build(&s, buf, sizeof(buf), &err) < 0);
	to_tx(&s, 0, &tx);
	assert_int_equal(refstack_encode(&tx, buf, sizeof(buf)), 0);
	/* SACK with 0 and 5 blocks, raw of 0 bytes, an unknown kind */
	{
		static const struct seg_opt bad[] = {
			{.kind = SEG_OPT_SACK, .u.sack = {.n = 0}},
			{.kind = SEG_OPT_SACK, .u.sack = {.n = 5}},
			{.kind = SEG_OPT_RAW, .u.raw = {.len = 0}},
			{.kind = 77},
		};

		for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
			seg_base(&s, 4);
			s.nopts = 1;
			s.opts[0] = bad[i];
			assert_true(seg_build(&s, buf, sizeof(buf), &err) < 0);
			to_tx(&s, 0, &tx);
			assert_int_equal(refstack_encode(&tx, buf, sizeof(buf)), 0);
		}
	}
	/* a buffer one byte short, then exactly big enough */
	seg_base(&s, 4);
	payload_fill(&s, 100, 1);
	to_tx(&s, 50, &tx);
	assert_int_equal(refstack_encode(&tx, buf, 20 + 20 + 100 - 1), 0);
	assert_int_equal(refstack_encode(&tx, buf, 20 + 20 + 100), 140);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_checksum_corners),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
