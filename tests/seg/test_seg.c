/* lib/seg: build -> parse round trips, golden bytes and lines, and every
 * rejection of the parser and the builder. Tables where the rule repeats; a
 * failing row prints its name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "seg/seg.h"
#include "seg/seg_ip.h"

#define PKT_MAX 4096
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- option literals ---- */

#define MSS(v) {.kind = SEG_OPT_MSS, .u.mss = (v)}
#define WS(v) {.kind = SEG_OPT_WSCALE, .u.wscale = (v)}
#define SACKOK {.kind = SEG_OPT_SACK_PERM}
#define SACK(n, ...) {.kind = SEG_OPT_SACK, .u.sack = {(n), {__VA_ARGS__}}}
#define TS(v, e) {.kind = SEG_OPT_TS, .u.ts = {(v), (e)}}
#define NOP {.kind = SEG_OPT_NOP}
#define EOL {.kind = SEG_OPT_EOL}
#define RAW(n, ...) {.kind = SEG_OPT_RAW, .u.raw = {(n), {__VA_ARGS__}}}
#define OPTS(field, ...)                                                                                       \
	.field = {__VA_ARGS__}, .n##field = sizeof((struct seg_opt[]){__VA_ARGS__}) / sizeof(struct seg_opt)

/* ---- checks that name what differs ---- */

static void check_u(const char *ctx, const char *field, unsigned long long want, unsigned long long got)
{
	if (want != got)
		fail_msg("%s: %s expected %llu (0x%llx), got %llu (0x%llx)", ctx, field, want, want, got, got);
}

static void check_str(const char *ctx, const char *want, const char *got)
{
	if (strcmp(want, got) != 0)
		fail_msg("%s:\n  expected \"%s\"\n       got \"%s\"", ctx, want, got);
}

static void check_opt(const char *ctx, size_t i, const struct seg_opt *w, const struct seg_opt *g)
{
	char what[64];

	snprintf(what, sizeof(what), "opts[%zu].kind", i);
	check_u(ctx, what, w->kind, g->kind);
	switch (w->kind) {
	case SEG_OPT_MSS:
		check_u(ctx, "mss", w->u.mss, g->u.mss);
		break;
	case SEG_OPT_WSCALE:
		check_u(ctx, "wscale", w->u.wscale, g->u.wscale);
		break;
	case SEG_OPT_TS:
		check_u(ctx, "ts.val", w->u.ts.val, g->u.ts.val);
		check_u(ctx, "ts.ecr", w->u.ts.ecr, g->u.ts.ecr);
		break;
	case SEG_OPT_SACK:
		check_u(ctx, "sack.n", w->u.sack.n, g->u.sack.n);
		for (size_t b = 0; b < w->u.sack.n; b++) {
			check_u(ctx, "sack left", w->u.sack.b[b].left, g->u.sack.b[b].left);
			check_u(ctx, "sack right", w->u.sack.b[b].right, g->u.sack.b[b].right);
		}
		break;
	case SEG_OPT_RAW:
		check_u(ctx, "raw.len", w->u.raw.len, g->u.raw.len);
		if (memcmp(w->u.raw.data, g->u.raw.data, w->u.raw.len) != 0)
			fail_msg("%s: opts[%zu] raw bytes differ", ctx, i);
		break;
	default:
		break;
	}
}

static void check_opts(const char *ctx, const struct seg_opt *want, size_t n, const struct tc_seg *got)
{
	check_u(ctx, "nopts", n, got->nopts);
	for (size_t i = 0; i < n; i++)
		check_opt(ctx, i, &want[i], &got->opts[i]);
}

static void check_addr(const char *ctx, const char *field, const struct seg_addr *w, const struct seg_addr *g)
{
	char a[64], b[64];

	if (!seg_addr_eq(w, g))
		fail_msg("%s: %s expected %s, got %s", ctx, field, seg_addr_format(w, a, sizeof(a)),
			 seg_addr_format(g, b, sizeof(b)));
}

/* Every field of the model. */
static void check_seg(const char *ctx, const struct tc_seg *w, const struct tc_seg *g)
{
	check_addr(ctx, "src", &w->src, &g->src);
	check_addr(ctx, "dst", &w->dst, &g->dst);
	check_u(ctx, "ttl", w->ttl, g->ttl);
	check_u(ctx, "sport", w->sport, g->sport);
	check_u(ctx, "dport", w->dport, g->dport);
	check_u(ctx, "seq", w->seq, g->seq);
	check_u(ctx, "ack", w->ack, g->ack);
	check_u(ctx, "flags", w->flags, g->flags);
	check_u(ctx, "win", w->win, g->win);
	check_u(ctx, "urp", w->urp, g->urp);
	check_opts(ctx, w->opts, w->nopts, g);
	check_u(ctx, "len", w->len, g->len);
	if (memcmp(w->payload, g->payload, w->len) != 0)
		fail_msg("%s: payload differs", ctx);
	check_u(ctx, "bad_csum", w->bad_csum, g->bad_csum);
}

/* ---- fixtures ---- */

static struct seg_addr addr(const char *text)
{
	struct seg_addr a;

	if (seg_addr_parse(text, &a) != 0)
		fail_msg("cannot parse address %s", text);
	return a;
}

/* A plain ACK; each test changes what it is about. */
static struct tc_seg mkseg(int family)
{
	struct tc_seg s;

	memset(&s, 0, sizeof(s));
	s.src = addr(family == 4 ? "192.0.2.2" : "2001:db8::2");
	s.dst = addr(family == 4 ? "192.0.2.1" : "2001:db8::1");
	s.sport = 40000;
	s.dport = 8080;
	s.seq = 1000;
	s.ack = 2001;
	s.flags = SEG_ACK;
	s.win = 65535;
	return s;
}

static void set_opts(struct tc_seg *s, const struct seg_opt *o, size_t n)
{
	s->nopts = (uint8_t)n;
	memcpy(s->opts, o, n * sizeof(*o));
}

static int build_ok(const char *ctx, const struct tc_seg *s, uint8_t *buf)
{
	struct tc_err err = {0};
	int n = seg_build(s, buf, PKT_MAX, &err);

	if (n < 0)
		fail_msg("%s: seg_build failed: %s", ctx, err.msg);
	return n;
}

static void parse_ok(const char *ctx, const uint8_t *buf, size_t len, struct tc_seg *out)
{
	struct tc_err err = {0};

	if (seg_parse(buf, len, out, &err) != 0)
		fail_msg("%s: seg_parse failed: %s", ctx, err.msg);
}

/* Builds, parses back and compares with want (the parse the input should
 * give, which differs from it only by ttl default and EOL padding). */
static void roundtrip(const char *ctx, const struct tc_seg *in, const struct tc_seg *want)
{
	static uint8_t buf[PKT_MAX];
	static struct tc_seg got;
	int n = build_ok(ctx, in, buf);

	parse_ok(ctx, buf, (size_t)n, &got);
	check_seg(ctx, want, &got);
}

static const int families[] = {4, 6};

/* ---- independent checksum, to judge the builder without the parser ---- */

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* One's-complement total of pseudo-header + segment; 0xffff when valid. */
static uint16_t tcp_total(const uint8_t *pkt)
{
	uint8_t ph[40] = {0};
	size_t hl, tl, alen;

	if (pkt[0] >> 4 == 4) {
		hl = (pkt[0] & 0xf) * 4u;
		tl = ((size_t)pkt[2] << 8 | pkt[3]) - hl;
		alen = 4;
		memcpy(ph, pkt + 12, 8);
	} else {
		hl = 40;
		tl = (size_t)pkt[4] << 8 | pkt[5];
		alen = 16;
		memcpy(ph, pkt + 8, 32);
	}
	return fold(sum16(sum16(6 + (uint32_t)tl, ph, 2 * alen), pkt + hl, tl));
}

/* ---- round trips ---- */

struct hdr_row {
	const char *name;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t win, urp;
	uint8_t ttl;
};

static const struct hdr_row hdr_rows[] = {
	{"typical", 40000, 8080, 0xfedcba98, 0x01234567, 0xabcd, 0x1234, 17},
	{"all ones", 65535, 65534, 0xffffffff, 0xfffffffe, 65535, 65535, 255},
	{"small", 1, 2, 0, 1, 0, 0, 1},
	{"byte order", 0x0102, 0x0304, 0x05060708, 0x090a0b0c, 0x0d0e, 0x0f10, 0x11},
};

static void test_roundtrip_header(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		for (size_t i = 0; i < ARRAY_LEN(hdr_rows); i++) {
			const struct hdr_row *r = &hdr_rows[i];
			struct tc_seg s = mkseg(families[f]);
			char ctx[96];

			snprintf(ctx, sizeof(ctx), "IPv%d %s", families[f], r->name);
			s.sport = r->sport, s.dport = r->dport;
			s.seq = r->seq, s.ack = r->ack;
			s.win = r->win, s.urp = r->urp;
			s.ttl = r->ttl;
			s.flags = SEG_ACK | SEG_URG;
			roundtrip(ctx, &s, &s);
		}
	}
}

static void test_roundtrip_addresses(void **state)
{
	static const char *pairs[][2] = {
		{"10.0.0.1", "10.255.0.2"},
		{"255.255.255.254", "0.0.0.1"},
		{"fe80::1:2:3:4", "2001:db8:ffff:1::9"},
		{"::1", "ff02::1:ff00:1"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(pairs); i++) {
		struct tc_seg s = mkseg(strchr(pairs[i][0], ':') ? 6 : 4);

		s.src = addr(pairs[i][0]);
		s.dst = addr(pairs[i][1]);
		s.ttl = 9;
		roundtrip(pairs[i][0], &s, &s);
	}
}

static const struct {
	const char *name;
	uint16_t flags;
} flag_rows[] = {
	{"FIN", SEG_FIN},
	{"SYN", SEG_SYN},
	{"RST", SEG_RST},
	{"PSH", SEG_PSH},
	{"ACK", SEG_ACK},
	{"URG", SEG_URG},
	{"ECE", SEG_ECE},
	{"CWR", SEG_CWR},
	{"AE", SEG_AE},
	{"none", 0},
	{"SYN-ACK", SEG_SYN | SEG_ACK},
	{"FIN-ACK", SEG_FIN | SEG_ACK},
	{"RST-ACK", SEG_RST | SEG_ACK},
	{"PSH-ACK", SEG_PSH | SEG_ACK},
	{"ECN SYN", SEG_SYN | SEG_ECE | SEG_CWR},
	{"AE-ACK", SEG_AE | SEG_ACK},
	{"all nine", SEG_FLAGS_ALL},
};

/* AE is patched in after libnet, so the checksum must still verify. */
static void test_roundtrip_flags(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		for (size_t i = 0; i < ARRAY_LEN(flag_rows); i++) {
			struct tc_seg s = mkseg(families[f]);
			char ctx[96];

			snprintf(ctx, sizeof(ctx), "IPv%d flags %s", families[f], flag_rows[i].name);
			s.flags = flag_rows[i].flags;
			s.ttl = 64;
			roundtrip(ctx, &s, &s);
		}
	}
}

struct opt_row {
	const char *name;
	struct seg_opt in[12];
	size_t nin;
	struct seg_opt want[12]; /* as parsed: EOL padding shows as one EOL */
	size_t nwant;
};

static const struct opt_row opt_rows[] = {
	{"mss", OPTS(in, MSS(1460)), OPTS(want, MSS(1460))},
	{"wscale", OPTS(in, WS(14)), OPTS(want, WS(14), EOL)},
	{"sackOK", OPTS(in, SACKOK), OPTS(want, SACKOK, EOL)},
	{"sack 1", OPTS(in, SACK(1, {1, 2})), OPTS(want, SACK(1, {1, 2}), EOL)},
	{"sack 2", OPTS(in, SACK(2, {1000, 2000}, {3000, 4000})),
	 OPTS(want, SACK(2, {1000, 2000}, {3000, 4000}), EOL)},
	{"sack 3", OPTS(in, SACK(3, {1, 2}, {3, 4}, {0xfffffff0, 0x10})),
	 OPTS(want, SACK(3, {1, 2}, {3, 4}, {0xfffffff0, 0x10}), EOL)},
	{"sack 4", OPTS(in, SACK(4, {1, 2}, {3, 4}, {5, 6}, {0x01020304, 0x05060708})),
	 OPTS(want, SACK(4, {1, 2}, {3, 4}, {5, 6}, {0x01020304, 0x05060708}), EOL)},
	{"ts", OPTS(in, TS(0x01020304, 0xfffffffe)), OPTS(want, TS(0x01020304, 0xfffffffe), EOL)},
	{"nop", OPTS(in, NOP), OPTS(want, NOP, EOL)},
	{"eol", OPTS(in, EOL), OPTS(want, EOL)},
	{"raw unknown kind", OPTS(in, RAW(3, 0x1e, 0x03, 0x01)), OPTS(want, RAW(3, 0x1e, 0x03, 0x01), EOL)},
	{"raw 4 bytes", OPTS(in, RAW(4, 0xfd, 0x04, 0xab, 0xcd)), OPTS(want, RAW(4, 0xfd, 0x04, 0xab, 0xcd))},
	{"syn set", OPTS(in, MSS(1460), SACKOK, TS(1, 0), NOP, WS(7)),
	 OPTS(want, MSS(1460), SACKOK, TS(1, 0), NOP, WS(7))},
	{"full 40 bytes", OPTS(in, NOP, NOP, TS(7, 8), SACK(3, {1, 2}, {3, 4}, {5, 6}), NOP, NOP),
	 OPTS(want, NOP, NOP, TS(7, 8), SACK(3, {1, 2}, {3, 4}, {5, 6}), NOP, NOP)},
};

static void test_roundtrip_options(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		for (size_t i = 0; i < ARRAY_LEN(opt_rows); i++) {
			const struct opt_row *r = &opt_rows[i];
			struct tc_seg in = mkseg(families[f]), want;
			char ctx[96];

			snprintf(ctx, sizeof(ctx), "IPv%d options %s", families[f], r->name);
			in.ttl = 64;
			set_opts(&in, r->in, r->nin);
			want = in;
			set_opts(&want, r->want, r->nwant);
			roundtrip(ctx, &in, &want);
		}
	}
}

static void test_roundtrip_payload(void **state)
{
	static const uint16_t sizes[] = {1, 2, 3, 1459, 1460, SEG_MAX_PAYLOAD};
	static const struct seg_opt ws[] = {WS(2), EOL};

	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
			struct tc_seg s = mkseg(families[f]), want;
			char ctx[96];

			snprintf(ctx, sizeof(ctx), "IPv%d payload %u", families[f], sizes[i]);
			s.ttl = 64;
			s.flags = SEG_PSH | SEG_ACK;
			s.len = sizes[i];
			for (size_t b = 0; b < s.len; b++)
				s.payload[b] = (uint8_t)(b * 7 + 1);
			set_opts(&s, ws, 1); /* options and payload together */
			want = s;
			set_opts(&want, ws, 2);
			roundtrip(ctx, &s, &want);
		}
	}
}

static void test_ttl_default(void **state)
{
	static uint8_t buf[PKT_MAX];

	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		struct tc_seg s = mkseg(families[f]), got;
		const char *ctx = families[f] == 4 ? "IPv4 ttl 0" : "IPv6 hop limit 0";
		int n;

		s.ttl = 0;
		n = build_ok(ctx, &s, buf);
		check_u(ctx, "ttl byte", 64, buf[families[f] == 4 ? 8 : 7]);
		parse_ok(ctx, buf, (size_t)n, &got);
		check_u(ctx, "parsed ttl", 64, got.ttl);
	}
}

/* ---- checksums ---- */

static void test_checksum_verifies(void **state)
{
	static uint8_t buf[PKT_MAX];

	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		for (size_t i = 0; i < ARRAY_LEN(opt_rows); i++) {
			struct tc_seg s = mkseg(families[f]);
			char ctx[96];

			snprintf(ctx, sizeof(ctx), "IPv%d %s", families[f], opt_rows[i].name);
			set_opts(&s, opt_rows[i].in, opt_rows[i].nin);
			s.flags = SEG_AE | SEG_ACK | SEG_PSH;
			s.len = (uint16_t)(i + 1); /* odd and even lengths */
			memset(s.payload, 0xa5, s.len);
			build_ok(ctx, &s, buf);
			check_u(ctx, "TCP checksum total", 0xffff, tcp_total(buf));
			if (families[f] == 4)
				check_u(ctx, "IPv4 header checksum total", 0xffff, fold(sum16(0, buf, 20)));
		}
	}
}

static uint16_t csum_field(const uint8_t *pkt, int family)
{
	const uint8_t *p = pkt + (family == 4 ? 20 : 40) + 16;

	return (uint16_t)(p[0] << 8 | p[1]);
}

static void test_bad_csum(void **state)
{
	static const uint16_t flags[] = {SEG_ACK, SEG_AE | SEG_SYN};
	static uint8_t good[PKT_MAX], bad[PKT_MAX];

	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		for (size_t i = 0; i < ARRAY_LEN(flags); i++) {
			int fam = families[f];
			size_t off = (fam == 4 ? 20 : 40) + 16;
			struct tc_seg s = mkseg(fam), got;
			char ctx[96];
			int n;

			snprintf(ctx, sizeof(ctx), "IPv%d bad_csum flags 0x%x", fam, flags[i]);
			s.flags = flags[i];
			s.len = 3;
			memcpy(s.payload, "xyz", 3);
			n = build_ok(ctx, &s, good);
			s.bad_csum = true;
			check_u(ctx, "length", (unsigned)n, (unsigned)build_ok(ctx, &s, bad));
			check_u(ctx, "checksum", (uint16_t)(csum_field(good, fam) + 1), csum_field(bad, fam));
			if (memcmp(good, bad, off) != 0 || memcmp(good + off + 2, bad + off + 2, (size_t)n - off - 2))
				fail_msg("%s: bytes other than the checksum differ", ctx);
			if (tcp_total(bad) == 0xffff)
				fail_msg("%s: the wrong checksum verifies", ctx);
			parse_ok(ctx, bad, (size_t)n, &got);
			check_u(ctx, "parsed bad_csum", 1, got.bad_csum);
			parse_ok(ctx, good, (size_t)n, &got);
			check_u(ctx, "parsed bad_csum of the good one", 0, got.bad_csum);
		}
	}
}

/* ---- golden bytes: checksums computed apart from libnet and our parser ---- */

/* 192.0.2.2.40000 > 192.0.2.1.8080 SYN seq 1000 win 65535 ttl 64,
 * options mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7. */
static const uint8_t golden_v4_syn[] = {
	0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0xf6, 0xb8,
	0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x9c, 0x40, 0x1f, 0x90,
	0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff, 0xff,
	0x04, 0x43, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* 2001:db8::2.40000 > 2001:db8::1.8080 PSH|ACK seq 1 ack 2 win 512 hop
 * limit 64, payload "hello" (odd, so the checksum pads a byte). */
static const uint8_t golden_v6_psh[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x19, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x02, 0x50, 0x18, 0x02, 0x00, 0x52, 0xad, 0x00, 0x00,
	0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

static struct tc_seg golden_v4_seg(void)
{
	static const struct seg_opt o[] = {MSS(1460), SACKOK, TS(1, 0), NOP, WS(7)};
	struct tc_seg s = mkseg(4);

	s.flags = SEG_SYN;
	s.ack = 0;
	s.ttl = 64;
	set_opts(&s, o, ARRAY_LEN(o));
	return s;
}

static struct tc_seg golden_v6_seg(void)
{
	struct tc_seg s = mkseg(6);

	s.flags = SEG_PSH | SEG_ACK;
	s.seq = 1, s.ack = 2, s.win = 512;
	s.ttl = 64;
	s.len = 5;
	memcpy(s.payload, "hello", 5);
	return s;
}

static void check_bytes(const char *ctx, const uint8_t *want, size_t wlen, const uint8_t *got, size_t glen)
{
	check_u(ctx, "length", wlen, glen);
	for (size_t i = 0; i < wlen; i++)
		if (want[i] != got[i])
			fail_msg("%s: byte %zu expected 0x%02x, got 0x%02x", ctx, i, want[i], got[i]);
}

static void test_golden_bytes(void **state)
{
	static uint8_t buf[PKT_MAX];
	const struct {
		const char *name;
		struct tc_seg seg;
		const uint8_t *bytes;
		size_t len;
	} rows[] = {
		{"IPv4 SYN", golden_v4_seg(), golden_v4_syn, sizeof(golden_v4_syn)},
		{"IPv6 PSH", golden_v6_seg(), golden_v6_psh, sizeof(golden_v6_psh)},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct tc_seg got;
		int n = build_ok(rows[i].name, &rows[i].seg, buf);

		check_bytes(rows[i].name, rows[i].bytes, rows[i].len, buf, (size_t)n);
		parse_ok(rows[i].name, rows[i].bytes, rows[i].len, &got);
		check_seg(rows[i].name, &rows[i].seg, &got);
	}
}

/* ---- padding ---- */

static const struct {
	const char *name;
	struct seg_opt in[12];
	size_t nin;
	size_t wire, doff;
} pad_rows[] = {
	{"none", .nin = 0, .wire = 0, .doff = 5},
	{"nop", OPTS(in, NOP), .wire = 1, .doff = 6},
	{"sackOK", OPTS(in, SACKOK), .wire = 2, .doff = 6},
	{"wscale", OPTS(in, WS(1)), .wire = 3, .doff = 6},
	{"mss", OPTS(in, MSS(536)), .wire = 4, .doff = 6},
	{"mss wscale", OPTS(in, MSS(536), WS(1)), .wire = 7, .doff = 7},
	{"ts", OPTS(in, TS(1, 2)), .wire = 10, .doff = 8},
	{"sack 4", OPTS(in, SACK(4, {1, 2}, {3, 4}, {5, 6}, {7, 8})), .wire = 34, .doff = 14},
	{"40 bytes", OPTS(in, TS(1, 2), TS(3, 4), TS(5, 6), TS(7, 8)), .wire = 40, .doff = 15},
};

static void test_option_padding(void **state)
{
	static uint8_t buf[PKT_MAX];

	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		for (size_t i = 0; i < ARRAY_LEN(pad_rows); i++) {
			size_t ip = families[f] == 4 ? 20 : 40;
			struct tc_seg s = mkseg(families[f]);
			char ctx[96];
			int n;

			snprintf(ctx, sizeof(ctx), "IPv%d padding %s", families[f], pad_rows[i].name);
			set_opts(&s, pad_rows[i].in, pad_rows[i].nin);
			check_u(ctx, "seg_opts_wire_len", pad_rows[i].wire, seg_opts_wire_len(&s));
			n = build_ok(ctx, &s, buf);
			check_u(ctx, "packet length", ip + pad_rows[i].doff * 4, (size_t)n);
			check_u(ctx, "data offset", pad_rows[i].doff, buf[ip + 12] >> 4);
			for (size_t b = ip + 20 + pad_rows[i].wire; b < (size_t)n; b++)
				check_u(ctx, "padding byte", SEG_OPT_EOL, buf[b]);
		}
	}
}

/* ---- builder rejections ---- */

static void mod_opts_41(struct tc_seg *s)
{
	static const struct seg_opt o[] = {TS(1, 2), TS(3, 4), TS(5, 6), TS(7, 8), NOP};

	set_opts(s, o, ARRAY_LEN(o));
}
static void mod_family_mix(struct tc_seg *s) { s->dst = addr("2001:db8::1"); }
static void mod_family_zero(struct tc_seg *s) { memset(&s->src, 0, sizeof(s->src)); }
static void mod_payload_big(struct tc_seg *s) { s->len = SEG_MAX_PAYLOAD + 1; }
static void mod_sack0(struct tc_seg *s)
{
	static const struct seg_opt o[] = {SACK(0, {0, 0})};

	set_opts(s, o, 1);
}
static void mod_sack5(struct tc_seg *s)
{
	static const struct seg_opt o[] = {NOP, SACK(5, {0, 0})};

	set_opts(s, o, 2);
}
static void mod_raw0(struct tc_seg *s)
{
	static const struct seg_opt o[] = {RAW(0, 0)};

	set_opts(s, o, 1);
}
static void mod_kind7(struct tc_seg *s)
{
	static const struct seg_opt o[] = {{.kind = 7}};

	set_opts(s, o, 1);
}
static void mod_nopts(struct tc_seg *s) { s->nopts = SEG_MAX_OPTS + 1; }

static void test_build_rejects(void **state)
{
	static const struct {
		const char *name;
		void (*mod)(struct tc_seg *);
		size_t cap;
		const char *want;
	} rows[] = {
		{"options over 40 bytes", mod_opts_41, PKT_MAX, "options take 41 bytes, a TCP header holds at most 40"},
		{"buffer too small", NULL, 39, "packet needs 40 bytes, the buffer holds 39"},
		{"families differ", mod_family_mix, PKT_MAX,
		 "address families differ: source IPv4, destination IPv6"},
		{"no family", mod_family_zero, PKT_MAX, "source address family 0 (want 4 or 6)"},
		{"payload too long", mod_payload_big, PKT_MAX, "payload of 2049 bytes, at most 2048 allowed"},
		{"sack 0 blocks", mod_sack0, PKT_MAX,
		 "option 0: SACK with 0 blocks (1 to 4 allowed; use a raw option for others)"},
		{"sack 5 blocks", mod_sack5, PKT_MAX, "options take 43 bytes, a TCP header holds at most 40"},
		{"raw 0 bytes", mod_raw0, PKT_MAX, "option 0: raw option of 0 bytes (1 to 40 allowed)"},
		{"unknown kind", mod_kind7, PKT_MAX, "option 0: unknown kind 7 (use SEG_OPT_RAW for other kinds)"},
		{"too many options", mod_nopts, PKT_MAX, "41 options, at most 40 allowed"},
	};
	static uint8_t buf[PKT_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct tc_seg s = mkseg(4);
		struct tc_err err = {0};
		int rc;

		if (rows[i].mod)
			rows[i].mod(&s);
		rc = seg_build(&s, buf, rows[i].cap, &err);
		check_u(rows[i].name, "return", (unsigned long long)-1, (unsigned long long)rc);
		check_u(rows[i].name, "code", TC_ERR_SEG_BUILD, err.code);
		check_str(rows[i].name, rows[i].want, err.msg);
	}
}

/* A SACK with 5 blocks is too long for the header, and seg_emit_opts alone
 * refuses it even with room to spare. */
static void test_emit_opts(void **state)
{
	static const struct seg_opt syn[] = {MSS(1460), SACKOK, TS(1, 0), NOP, WS(7)};
	static const uint8_t want[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00,
				       0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};
	static const struct seg_opt sack5[] = {SACK(5, {0, 0})};
	uint8_t buf[64];
	struct tc_seg s = mkseg(4);
	struct tc_err err = {0};
	int n;

	(void)state;
	set_opts(&s, syn, ARRAY_LEN(syn));
	n = seg_emit_opts(&s, buf, sizeof(buf), &err);
	check_bytes("emit syn options", want, sizeof(want), buf, (size_t)n);

	check_u("emit into 19 bytes", "return", (unsigned long long)-1,
		(unsigned long long)seg_emit_opts(&s, buf, 19, &err));
	check_str("emit into 19 bytes", "options need 20 bytes, only 19 fit (option 4, kind 3)", err.msg);

	set_opts(&s, sack5, 1);
	check_u("emit sack 5", "return", (unsigned long long)-1,
		(unsigned long long)seg_emit_opts(&s, buf, sizeof(buf), &err));
	check_str("emit sack 5", "option 0: SACK with 5 blocks (1 to 4 allowed; use a raw option for others)",
		  err.msg);
}

/* ---- parser rejections ---- */

enum base { V4, V4_OPT40, V4_MAX, V6 };

static struct tc_seg base_seg(enum base b)
{
	static const struct seg_opt nop4[] = {NOP, NOP, NOP, NOP};
	struct tc_seg s = mkseg(b == V6 ? 6 : 4);

	set_opts(&s, nop4, 4);
	if (b == V4_OPT40) {
		s.nopts = 40;
		for (size_t i = 0; i < 40; i++)
			s.opts[i].kind = SEG_OPT_NOP;
	}
	if (b == V4_MAX)
		s.len = SEG_MAX_PAYLOAD;
	return s;
}

struct patch {
	uint16_t off;
	uint8_t val;
};

struct reject_row {
	const char *name;
	enum base base;
	struct patch p[3];
	size_t np;
	int len; /* -1: as built */
	const char *want;
};

/* IPv4 base: header 0..19, TCP 20..39, options 40..43 (four NOPs).
 * IPv6 base: header 0..39, TCP 40..59, options 60..63. */
static const struct reject_row reject_rows[] = {
	{"empty buffer", V4, {{0}}, 0, 0, "empty packet"},
	{"IP version 5", V4, {{0, 0x55}}, 1, -1, "IP version 5 not supported (first byte 0x55)"},
	{"truncated IPv4 header", V4, {{0}}, 0, 19, "truncated IPv4 header: 19 bytes, need 20"},
	{"IHL < 5", V4, {{0, 0x44}}, 1, -1, "IPv4 IHL 4 (16 bytes) is less than 5"},
	{"IHL past buffer", V4, {{0, 0x4f}}, 1, 40, "IPv4 IHL 15 (60 bytes) runs past the buffer (40 bytes)"},
	{"total length < header", V4, {{2, 0}, {3, 19}}, 2, -1,
	 "IPv4 total length 19 is less than the header (20 bytes)"},
	{"total length beyond buffer", V4, {{2, 0}, {3, 45}}, 2, -1,
	 "IPv4 total length 45 runs past the buffer (44 bytes)"},
	{"not TCP", V4, {{9, 17}}, 1, -1, "IPv4 protocol 17 is not TCP (6)"},
	{"fragment MF", V4, {{6, 0x20}}, 1, -1, "IPv4 fragment (MF 1, offset 0) not supported"},
	{"fragment offset", V4, {{6, 0x01}, {7, 0x02}}, 2, -1, "IPv4 fragment (MF 0, offset 258) not supported"},
	{"truncated TCP header", V4, {{2, 0}, {3, 39}}, 2, 39, "truncated TCP header: 19 bytes, need 20"},
	{"data offset < 5", V4, {{32, 0x40}}, 1, -1, "TCP data offset 4 (16 bytes) is less than 5"},
	{"data offset beyond segment", V4, {{32, 0x70}}, 1, -1,
	 "TCP data offset 7 (28 bytes) runs past the segment (24 bytes)"},
	{"option length 0", V4, {{40, 0x1e}, {41, 0}}, 2, -1, "option kind 30 at offset 0: length 0 is less than 2"},
	{"option length 1", V4, {{41, 2}, {42, 1}}, 2, -1, "option kind 2 at offset 1: length 1 is less than 2"},
	{"option past header", V4, {{40, 2}, {41, 8}}, 2, -1,
	 "option kind 2 at offset 0: length 8 runs past the header (options area is 4 bytes)"},
	{"option without length", V4, {{43, 8}}, 1, -1,
	 "option kind 8 at offset 3: no length byte (options area is 4 bytes)"},
	{"too-long SACK", V4_OPT40, {{40, 5}, {41, 42}}, 2, -1,
	 "option kind 5 at offset 0: length 42 runs past the header (options area is 40 bytes)"},
	{"SACK past header", V4, {{42, 5}, {43, 10}}, 2, -1,
	 "option kind 5 at offset 2: length 10 runs past the header (options area is 4 bytes)"},
	{"payload too long", V4_MAX, {{2, 0x08}, {3, 0x2d}}, 2, 2093, "TCP payload of 2049 bytes, at most 2048 supported"},
	{"IPv6 truncated", V6, {{0}}, 0, 39, "truncated IPv6 header: 39 bytes, need 40"},
	{"IPv6 payload length beyond buffer", V6, {{5, 25}}, 1, -1,
	 "IPv6 payload length 25 runs past the buffer (24 bytes after the 40-byte header)"},
	{"IPv6 hop-by-hop", V6, {{6, 0}}, 1, -1, "IPv6 extension header 0 not supported"},
	{"IPv6 fragment header", V6, {{6, 44}}, 1, -1, "IPv6 extension header 44 not supported"},
	{"IPv6 not TCP", V6, {{6, 17}}, 1, -1, "IPv6 next header 17 is not TCP (6)"},
	{"IPv6 truncated TCP header", V6, {{5, 10}}, 1, -1, "truncated TCP header: 10 bytes, need 20"},
	{"IPv6 option past header", V6, {{62, 3}, {63, 3}}, 2, -1,
	 "option kind 3 at offset 2: length 3 runs past the header (options area is 4 bytes)"},
};

static void test_parse_rejects(void **state)
{
	static uint8_t buf[PKT_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(reject_rows); i++) {
		const struct reject_row *r = &reject_rows[i];
		struct tc_seg s = base_seg(r->base), got;
		struct tc_err err = {0};
		int n, rc;

		memset(buf, 0, sizeof(buf));
		n = build_ok(r->name, &s, buf);
		for (size_t k = 0; k < r->np; k++)
			buf[r->p[k].off] = r->p[k].val;
		rc = seg_parse(buf, r->len < 0 ? (size_t)n : (size_t)r->len, &got, &err);
		check_u(r->name, "return", (unsigned long long)-1, (unsigned long long)rc);
		check_u(r->name, "code", TC_ERR_SEG_PARSE, err.code);
		check_str(r->name, r->want, err.msg);
	}
}

/* What the parser must let through: DF, trailing link padding, IPv4
 * options. */
static void test_parse_accepts(void **state)
{
	static uint8_t buf[PKT_MAX], opt[PKT_MAX];
	struct tc_seg s = mkseg(4), got;
	int n;

	(void)state;
	s.len = 3;
	memcpy(s.payload, "abc", 3);
	s.ttl = 64;

	n = build_ok("DF", &s, buf);
	buf[6] = 0x40;
	parse_ok("DF", buf, (size_t)n, &got);
	check_seg("DF", &s, &got);

	/* Ethernet pads short frames; the IP total length says where we end. */
	memset(buf + n, 0xee, 6);
	parse_ok("trailing bytes", buf, (size_t)n + 6, &got);
	check_seg("trailing bytes", &s, &got);

	/* IHL 6: a 4-byte IP option (NOP x3, EOL) before the TCP header. */
	memcpy(opt, buf, 20);
	memcpy(opt + 20, "\x01\x01\x01\x00", 4);
	memcpy(opt + 24, buf + 20, (size_t)n - 20);
	opt[0] = 0x46;
	opt[3] = (uint8_t)(n + 4);
	parse_ok("IPv4 options", opt, (size_t)n + 4, &got);
	check_seg("IPv4 options", &s, &got);

	s = mkseg(6);
	s.ttl = 3;
	n = build_ok("IPv6 trailing", &s, buf);
	memset(buf + n, 0xee, 2);
	parse_ok("IPv6 trailing", buf, (size_t)n + 2, &got);
	check_seg("IPv6 trailing", &s, &got);
}

/* The whole struct is defined after a parse, unused bytes included, so
 * segments compare with memcmp whatever the destination held before. */
static void test_parse_clears_output(void **state)
{
	static struct tc_seg clean, dirty;

	(void)state;
	memset(&clean, 0, sizeof(clean));
	memset(&dirty, 0xff, sizeof(dirty));
	parse_ok("clean", golden_v4_syn, sizeof(golden_v4_syn), &clean);
	parse_ok("dirty", golden_v4_syn, sizeof(golden_v4_syn), &dirty);
	if (memcmp(&clean, &dirty, sizeof(clean)) != 0)
		fail_msg("parse left bytes of the previous contents");
}

/* ---- option parsing ---- */

struct popt_row {
	const char *name;
	uint8_t bytes[40];
	size_t len;
	struct seg_opt want[8];
	size_t nwant;
};

static const struct popt_row popt_rows[] = {
	/* 9293 3.2 / 7323 / 2018: each kind decoded from its bytes */
	{"mss", {2, 4, 0x05, 0xb4}, 4, OPTS(want, MSS(1460))},
	{"wscale", {3, 3, 14}, 3, OPTS(want, WS(14))},
	{"sackOK", {4, 2}, 2, OPTS(want, SACKOK)},
	{"sack 1", {5, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 10, OPTS(want, SACK(1, {1, 2}))},
	{"sack 2", {5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3}, 18,
	 OPTS(want, SACK(2, {1, 2}, {0xffffffff, 3}))},
	{"ts", {8, 10, 1, 2, 3, 4, 5, 6, 7, 8}, 10, OPTS(want, TS(0x01020304, 0x05060708))},
	{"nop nop", {1, 1}, 2, OPTS(want, NOP, NOP)},
	{"empty", {0}, 0, .nwant = 0},
	/* EOL ends the list: what follows would be an error if read */
	{"eol stops", {1, 0, 0xff, 0xff}, 4, OPTS(want, NOP, EOL)},
	{"eol first", {0, 2, 4, 5, 0xb4}, 5, OPTS(want, EOL)},
	/* a known kind with the wrong length is kept raw */
	{"mss len 3", {2, 3, 5, 0}, 4, OPTS(want, RAW(3, 2, 3, 5), EOL)},
	{"mss len 5", {2, 5, 5, 0xb4, 9}, 5, OPTS(want, RAW(5, 2, 5, 5, 0xb4, 9))},
	{"wscale len 4", {3, 4, 7, 7}, 4, OPTS(want, RAW(4, 3, 4, 7, 7))},
	{"wscale len 2", {3, 2}, 2, OPTS(want, RAW(2, 3, 2))},
	{"sackOK len 3", {4, 3, 9}, 3, OPTS(want, RAW(3, 4, 3, 9))},
	{"sack no blocks", {5, 2}, 2, OPTS(want, RAW(2, 5, 2))},
	{"sack len 11", {5, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 11, OPTS(want, RAW(11, 5, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9))},
	{"ts len 8", {8, 8, 1, 2, 3, 4, 5, 6}, 8, OPTS(want, RAW(8, 8, 8, 1, 2, 3, 4, 5, 6))},
	{"unknown kind 30", {30, 4, 0xab, 0xcd}, 4, OPTS(want, RAW(4, 30, 4, 0xab, 0xcd))},
	{"unknown kind 254 len 2", {254, 2, 1}, 3, OPTS(want, RAW(2, 254, 2), NOP)},
};

static void test_parse_opts(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(popt_rows); i++) {
		const struct popt_row *r = &popt_rows[i];
		static const struct seg_opt stale[] = {MSS(1), MSS(2), MSS(3)};
		struct tc_seg s = mkseg(4);
		struct tc_err err = {0};

		/* seg_parse_opts replaces the list, it does not append */
		set_opts(&s, stale, ARRAY_LEN(stale));
		if (seg_parse_opts(r->bytes, r->len, &s, &err) != 0)
			fail_msg("%s: seg_parse_opts failed: %s", r->name, err.msg);
		check_opts(r->name, r->want, r->nwant, &s);
	}
}

static void test_parse_opts_area_too_big(void **state)
{
	uint8_t nops[41];
	struct tc_seg s = mkseg(4);
	struct tc_err err = {0};

	(void)state;
	memset(nops, SEG_OPT_NOP, sizeof(nops));
	assert_int_equal(seg_parse_opts(nops, 41, &s, &err), -1);
	assert_int_equal(err.code, TC_ERR_SEG_PARSE);
	assert_string_equal(err.msg, "options area of 41 bytes, a TCP header holds at most 40");
	assert_int_equal(seg_parse_opts(nops, 40, &s, &err), 0);
	assert_int_equal(s.nopts, 40);
}

/* A wrong-length known option goes out as raw bytes and comes back raw. */
static void test_wrong_length_roundtrip(void **state)
{
	static const struct seg_opt in[] = {RAW(3, 2, 3, 5), RAW(4, 8, 4, 1, 2)};
	static const struct seg_opt want[] = {RAW(3, 2, 3, 5), RAW(4, 8, 4, 1, 2), EOL};

	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		struct tc_seg s = mkseg(families[f]), w;

		s.ttl = 64;
		set_opts(&s, in, ARRAY_LEN(in));
		w = s;
		set_opts(&w, want, ARRAY_LEN(want));
		roundtrip(families[f] == 4 ? "IPv4 raw mss/ts" : "IPv6 raw mss/ts", &s, &w);
	}
}

/* ---- printing ---- */

static struct tc_seg fmt_synack(void)
{
	static const struct seg_opt o[] = {MSS(1460), SACKOK, TS(1, 0), NOP, WS(7)};
	struct tc_seg s = mkseg(4);

	s.flags = SEG_SYN | SEG_ACK;
	set_opts(&s, o, ARRAY_LEN(o));
	return s;
}

static struct tc_seg fmt_urg(void)
{
	struct tc_seg s = mkseg(4);

	s.flags = SEG_URG | SEG_ACK;
	s.seq = 5, s.ack = 6, s.win = 100, s.urp = 3, s.len = 4;
	return s;
}

static struct tc_seg fmt_bad(void)
{
	struct tc_seg s = mkseg(6);

	s.flags = 0;
	s.seq = 0, s.ack = 0, s.win = 0;
	s.urp = 9; /* not printed: URG is not set */
	s.bad_csum = true;
	return s;
}

static struct tc_seg fmt_all(void)
{
	struct tc_seg s = mkseg(4);

	s.flags = SEG_FLAGS_ALL;
	s.urp = 65535;
	return s;
}

static struct tc_seg fmt_odd_opts(void)
{
	static const struct seg_opt o[] = {SACK(2, {1000, 2000}, {3000, 4000}), RAW(3, 0x1e, 0x04, 0x01), EOL};
	struct tc_seg s = mkseg(6);

	s.sport = 1, s.dport = 65535;
	set_opts(&s, o, ARRAY_LEN(o));
	return s;
}

static void test_format_golden(void **state)
{
	const struct {
		const char *name;
		struct tc_seg seg;
		const char *want;
	} rows[] = {
		{"syn-ack", fmt_synack(),
		 "192.0.2.2.40000 > 192.0.2.1.8080: Flags [SA], seq 1000, ack 2001, win 65535, "
		 "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"},
		{"ipv6 payload", golden_v6_seg(),
		 "2001:db8::2.40000 > 2001:db8::1.8080: Flags [PA], seq 1, ack 2, win 512, length 5"},
		{"urgent", fmt_urg(),
		 "192.0.2.2.40000 > 192.0.2.1.8080: Flags [AU], seq 5, ack 6, win 100, urg 3, length 4"},
		{"bad csum", fmt_bad(),
		 "2001:db8::2.40000 > 2001:db8::1.8080: Flags [.], seq 0, ack 0, win 0, length 0 [bad csum]"},
		{"all flags", fmt_all(),
		 "192.0.2.2.40000 > 192.0.2.1.8080: Flags [FSRPAUECN], seq 1000, ack 2001, win 65535, urg 65535, "
		 "length 0"},
		{"sack raw eol", fmt_odd_opts(),
		 "2001:db8::2.1 > 2001:db8::1.65535: Flags [A], seq 1000, ack 2001, win 65535, "
		 "options [sack 2 {1000:2000}{3000:4000},raw 0x1e0401,eol], length 0"},
	};
	char line[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		size_t n = seg_format(&rows[i].seg, line, sizeof(line));

		check_str(rows[i].name, rows[i].want, line);
		check_u(rows[i].name, "returned length", strlen(rows[i].want), n);
	}
}

/* What the capture side prints: bytes from the wire, parsed, then printed. */
static void test_format_parsed(void **state)
{
	struct tc_seg s;
	char line[512];

	(void)state;
	parse_ok("golden v4", golden_v4_syn, sizeof(golden_v4_syn), &s);
	seg_format(&s, line, sizeof(line));
	check_str("golden v4", "192.0.2.2.40000 > 192.0.2.1.8080: Flags [S], seq 1000, ack 0, win 65535, "
			       "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
		  line);
}

static void test_format_truncates(void **state)
{
	struct tc_seg s = fmt_synack();
	char line[16];
	char opts[8];

	(void)state;
	memset(line, 'x', sizeof(line));
	assert_int_equal(seg_format(&s, line, sizeof(line)), 15);
	assert_string_equal(line, "192.0.2.2.40000");
	assert_int_equal(seg_opts_format(&s, opts, sizeof(opts)), 7);
	assert_string_equal(opts, "mss 146");
	assert_int_equal(seg_opts_format(&s, NULL, 0), 0);
}

static void test_opts_format(void **state)
{
	struct tc_seg s = fmt_synack();
	char buf[256];

	(void)state;
	assert_int_equal(seg_opts_format(&s, buf, sizeof(buf)), strlen("mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7"));
	assert_string_equal(buf, "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7");
	s.nopts = 0;
	buf[0] = 'x';
	assert_int_equal(seg_opts_format(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

/* ---- flags ---- */

static void test_flags_roundtrip_all(void **state)
{
	(void)state;
	for (unsigned f = 0; f <= SEG_FLAGS_ALL; f++) {
		char text[16], ctx[32];
		uint16_t back = 0xffff;
		size_t want_len = f ? (size_t)__builtin_popcount(f) : 1;

		snprintf(ctx, sizeof(ctx), "flags 0x%03x", f);
		seg_flags_format((uint16_t)f, text, sizeof(text));
		check_u(ctx, "letters", want_len, strlen(text));
		if (seg_flags_parse(text, &back) != 0)
			fail_msg("%s: \"%s\" does not parse back", ctx, text);
		check_u(ctx, "parsed back", f, back);
	}
}

static void test_flags_parse(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint16_t flags; /* on failure: left untouched */
	} rows[] = {
		{"S", 0, SEG_SYN},
		{"SA", 0, SEG_SYN | SEG_ACK},
		{"AS", 0, SEG_SYN | SEG_ACK},
		{"FA", 0, SEG_FIN | SEG_ACK},
		{"RA", 0, SEG_RST | SEG_ACK},
		{"P", 0, SEG_PSH},
		{"U", 0, SEG_URG},
		{"E", 0, SEG_ECE},
		{"C", 0, SEG_CWR},
		{"N", 0, SEG_AE},
		{"NCEUAPRSF", 0, SEG_FLAGS_ALL},
		{".", 0, 0},
		{"", 0, 0},
		{"X", -1, 0x5a5a},
		{"s", -1, 0x5a5a},
		{"SS", -1, 0x5a5a},
		{"SAS", -1, 0x5a5a},
		{"S.", -1, 0x5a5a},
		{"..", -1, 0x5a5a},
		{" S", -1, 0x5a5a},
		{"FSRPAUECNF", -1, 0x5a5a},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		uint16_t f = 0x5a5a;
		char ctx[48];

		snprintf(ctx, sizeof(ctx), "flags \"%s\"", rows[i].text);
		check_u(ctx, "return", (unsigned long long)rows[i].rc,
			(unsigned long long)seg_flags_parse(rows[i].text, &f));
		check_u(ctx, "flags", rows[i].flags, f);
	}
	assert_int_equal(seg_flags_parse(NULL, NULL), -1);
}

static void test_flags_format(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(seg_flags_format(0, buf, sizeof(buf)), ".");
	assert_string_equal(seg_flags_format(SEG_ACK | SEG_SYN, buf, sizeof(buf)), "SA");
	assert_string_equal(seg_flags_format(SEG_AE | SEG_FIN, buf, sizeof(buf)), "FN");
	/* bits above the nine are not flags */
	assert_string_equal(seg_flags_format(0x200 | SEG_SYN, buf, sizeof(buf)), "S");
	assert_string_equal(seg_flags_format(SEG_ACK | SEG_SYN, buf, 2), "S");
}

/* ---- sequence space ---- */

static void test_seq_compare(void **state)
{
	static const struct {
		uint32_t a, b;
		bool lt, leq, gt, geq;
	} rows[] = {
		{1, 2, true, true, false, false},
		{2, 1, false, false, true, true},
		{7, 7, false, true, false, true},
		{0xffffffff, 0, true, true, false, false},
		{0, 0xffffffff, false, false, true, true},
		{0xfffffff0, 0x10, true, true, false, false},
		{0x10, 0xfffffff0, false, false, true, true},
		{0, 0x7fffffff, true, true, false, false},
		{0x7fffffff, 0, false, false, true, true},
		{0x80000001, 0, true, true, false, false}, /* more than 2^31 ahead is behind */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "a 0x%08x b 0x%08x", rows[i].a, rows[i].b);
		check_u(ctx, "seq_lt", rows[i].lt, seq_lt(rows[i].a, rows[i].b));
		check_u(ctx, "seq_leq", rows[i].leq, seq_leq(rows[i].a, rows[i].b));
		check_u(ctx, "seq_gt", rows[i].gt, seq_gt(rows[i].a, rows[i].b));
		check_u(ctx, "seq_geq", rows[i].geq, seq_geq(rows[i].a, rows[i].b));
	}
}

static void test_seq_in(void **state)
{
	static const struct {
		uint32_t x, a, b;
		bool in;
	} rows[] = {
		{5, 5, 10, true},
		{9, 5, 10, true},
		{10, 5, 10, false},
		{4, 5, 10, false},
		{0xfffffff0, 0xfffffff0, 0x10, true},
		{0xffffffff, 0xfffffff0, 0x10, true},
		{0, 0xfffffff0, 0x10, true},
		{0xf, 0xfffffff0, 0x10, true},
		{0x10, 0xfffffff0, 0x10, false},
		{0xffffffef, 0xfffffff0, 0x10, false},
		{5, 5, 5, false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "x 0x%08x in [0x%08x, 0x%08x)", rows[i].x, rows[i].a, rows[i].b);
		check_u(ctx, "seq_in", rows[i].in, seq_in(rows[i].x, rows[i].a, rows[i].b));
	}
}

static void test_seg_seq_len(void **state)
{
	static const struct {
		uint16_t flags, len;
		uint32_t want;
	} rows[] = {
		{SEG_SYN, 0, 1}, {SEG_ACK, 0, 0}, {SEG_ACK, 100, 100}, {SEG_FIN | SEG_ACK, 100, 101},
		{SEG_SYN | SEG_FIN, 5, 7}, {SEG_RST, 3, 3},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct tc_seg s = mkseg(4);
		char ctx[48];

		snprintf(ctx, sizeof(ctx), "flags 0x%x len %u", rows[i].flags, rows[i].len);
		s.flags = rows[i].flags;
		s.len = rows[i].len;
		check_u(ctx, "seg_seq_len", rows[i].want, seg_seq_len(&s));
	}
}

/* ---- addresses and the option list ---- */

static void test_addr(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint8_t family;
		uint8_t bytes[16];
		const char *printed;
	} rows[] = {
		{"192.0.2.1", 0, 4, {192, 0, 2, 1}, "192.0.2.1"},
		{"2001:db8::1", 0, 6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, "2001:db8::1"},
		{"2001:DB8:0:0::1", 0, 6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, "2001:db8::1"},
		{"::ffff:192.0.2.1", 0, 6, {[10] = 0xff, 0xff, 192, 0, 2, 1}, "::ffff:192.0.2.1"},
		{"192.0.2.256", -1, 0, {0}, NULL},
		{"bogus", -1, 0, {0}, NULL},
		{"", -1, 0, {0}, NULL},
		{"192.0.2.1 ", -1, 0, {0}, NULL},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct seg_addr a;
		char buf[64];
		const char *ctx = rows[i].text;

		memset(&a, 0x77, sizeof(a));
		check_u(ctx, "return", (unsigned long long)rows[i].rc, (unsigned long long)seg_addr_parse(ctx, &a));
		check_u(ctx, "family", rows[i].family, a.family);
		if (rows[i].rc != 0)
			continue;
		if (memcmp(a.bytes, rows[i].bytes, sizeof(a.bytes)) != 0)
			fail_msg("%s: address bytes differ", ctx);
		check_str(ctx, rows[i].printed, seg_addr_format(&a, buf, sizeof(buf)));
	}
	assert_int_equal(seg_addr_parse(NULL, &(struct seg_addr){0}), -1);
}

static void test_addr_format_odd(void **state)
{
	struct seg_addr a = {.family = 5};
	char buf[64], tiny[4];

	(void)state;
	assert_string_equal(seg_addr_format(&a, buf, sizeof(buf)), "?");
	a = addr("192.0.2.1");
	assert_string_equal(seg_addr_format(&a, tiny, sizeof(tiny)), "?");
}

static void test_addr_eq(void **state)
{
	struct seg_addr a = addr("192.0.2.1"), b = addr("192.0.2.1");
	struct seg_addr c = addr("192.0.2.2");
	struct seg_addr v6 = addr("2001:db8::1"), v6b = addr("2001:db8::1");
	struct seg_addr v6c = addr("2001:db8::2");
	struct seg_addr v6as4 = v6;

	(void)state;
	assert_true(seg_addr_eq(&a, &b));
	assert_false(seg_addr_eq(&a, &c));
	assert_true(seg_addr_eq(&v6, &v6b));
	assert_false(seg_addr_eq(&v6, &v6c));
	/* same leading bytes, different family */
	v6as4.family = 4;
	assert_false(seg_addr_eq(&v6, &v6as4));
	/* IPv4 uses only the first four bytes */
	b.bytes[10] = 0x99;
	assert_true(seg_addr_eq(&a, &b));
}

static void test_opt_list(void **state)
{
	struct tc_seg s = mkseg(4);
	struct seg_opt mss1 = MSS(1), mss2 = MSS(2), nop = NOP;

	(void)state;
	assert_null(seg_find_opt(&s, SEG_OPT_MSS));
	assert_int_equal(seg_add_opt(&s, &nop), 0);
	assert_int_equal(seg_add_opt(&s, &mss1), 0);
	assert_int_equal(seg_add_opt(&s, &mss2), 0);
	assert_ptr_equal(seg_find_opt(&s, SEG_OPT_MSS), &s.opts[1]);
	assert_int_equal(seg_find_opt(&s, SEG_OPT_MSS)->u.mss, 1);
	assert_null(seg_find_opt(&s, SEG_OPT_TS));
	while (s.nopts < SEG_MAX_OPTS)
		assert_int_equal(seg_add_opt(&s, &nop), 0);
	assert_int_equal(seg_add_opt(&s, &mss1), -1);
	assert_int_equal(s.nopts, SEG_MAX_OPTS);
}

static void test_opts_wire_len(void **state)
{
	static const struct {
		const char *name;
		struct seg_opt in[8];
		size_t nin;
		size_t want;
	} rows[] = {
		{"none", .nin = 0, .want = 0},
		{"eol nop", OPTS(in, EOL, NOP), .want = 2},
		{"mss", OPTS(in, MSS(1)), .want = 4},
		{"wscale", OPTS(in, WS(1)), .want = 3},
		{"sackOK", OPTS(in, SACKOK), .want = 2},
		{"sack 1", OPTS(in, SACK(1, {0, 0})), .want = 10},
		{"sack 4", OPTS(in, SACK(4, {0, 0})), .want = 34},
		{"ts", OPTS(in, TS(0, 0)), .want = 10},
		{"raw 7", OPTS(in, RAW(7, 0)), .want = 7},
		{"syn set", OPTS(in, MSS(1460), SACKOK, TS(1, 0), NOP, WS(7)), .want = 20},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct tc_seg s = mkseg(4);

		set_opts(&s, rows[i].in, rows[i].nin);
		check_u(rows[i].name, "seg_opts_wire_len", rows[i].want, seg_opts_wire_len(&s));
	}
}

/* RFC 9293 3.1: a segment on an unfinished source route (LSRR, pointer at
 * its only address 198.51.100.5) is summed over that final destination:
 * built and parsed so it is sound, and its checksum field differs from the
 * same segment's with the route completed (summed over the IP destination) */
static void test_source_route_pseudo_header(void **state)
{
	static uint8_t buf[PKT_MAX];
	static struct tc_seg got;
	struct tc_seg s = mkseg(4);
	static const uint8_t open_route[8] = {1, 0x83, 7, 4, 198, 51, 100, 5};
	static const uint8_t done_route[8] = {1, 0x83, 7, 8, 198, 51, 100, 5};
	uint8_t final[4];
	uint16_t c_open, c_done;
	int n;

	(void)state;
	assert_true(seg_ipv4_route_final(open_route, 8, final));
	assert_memory_equal(final, open_route + 4, 4);
	assert_false(seg_ipv4_route_final(done_route, 8, final));
	s.ipopt_len = 8;
	memcpy(s.ipopts, open_route, 8);
	n = build_ok("open route", &s, buf);
	c_open = (uint16_t)(buf[28 + 16] << 8 | buf[28 + 17]);
	parse_ok("open route", buf, (size_t)n, &got);
	assert_false(got.bad_csum);
	assert_memory_equal(got.dst.bytes, s.dst.bytes, 4); /* the header's, as sent */
	memcpy(s.ipopts, done_route, 8);
	n = build_ok("completed route", &s, buf);
	c_done = (uint16_t)(buf[28 + 16] << 8 | buf[28 + 17]);
	parse_ok("completed route", buf, (size_t)n, &got);
	assert_false(got.bad_csum);
	assert_int_not_equal(c_open, c_done);
}

/* TOS, IPv4 options and the IPv6 Destination Options header go on the wire
 * where RFC 791 3.1 and RFC 8200 4.6 put them and come back. */
static void test_roundtrip_ip_level(void **state)
{
	static uint8_t buf[PKT_MAX];
	static struct tc_seg got;
	struct tc_seg s4 = mkseg(4), s6 = mkseg(6);
	static const uint8_t o4[8] = {0x9e, 4, 0, 0, 1, 1, 1, 0};
	static const uint8_t o6[6] = {0x1e, 4, 1, 2, 3, 4};
	int n;

	(void)state;
	s4.tos = 0x28;
	s4.ipopt_len = sizeof(o4);
	memcpy(s4.ipopts, o4, sizeof(o4));
	n = build_ok("IPv4 options", &s4, buf);
	assert_int_equal(buf[0], 0x47); /* IHL 7 */
	assert_int_equal(buf[1], 0x28);
	assert_int_equal(buf[2] << 8 | buf[3], n);
	assert_int_equal(fold(sum16(0, buf, 28)), 0xffff); /* the header checksum covers the options */
	assert_memory_equal(buf + 20, o4, sizeof(o4));
	parse_ok("IPv4 options", buf, (size_t)n, &got);
	assert_false(got.bad_csum);
	assert_int_equal(got.tos, 0x28);
	assert_int_equal(got.ipopt_len, sizeof(o4));
	assert_memory_equal(got.ipopts, o4, sizeof(o4));
	assert_int_equal(got.seq, s4.seq);

	s6.tos = 0xb8;
	s6.ipopt_len = sizeof(o6);
	memcpy(s6.ipopts, o6, sizeof(o6));
	n = build_ok("IPv6 destination options", &s6, buf);
	assert_int_equal(buf[6], 60);
	assert_int_equal(buf[40], 6); /* TCP after the extension header */
	assert_int_equal(buf[41], 0); /* 8 octets */
	assert_int_equal((buf[0] & 0x0f) << 4 | buf[1] >> 4, 0xb8);
	parse_ok("IPv6 destination options", buf, (size_t)n, &got);
	assert_false(got.bad_csum);
	assert_int_equal(got.tos, 0xb8);
	assert_int_equal(got.ipopt_len, sizeof(o6));
	assert_memory_equal(got.ipopts, o6, sizeof(o6));
	assert_int_equal(got.seq, s6.seq);

	s4.ipopt_len = 3; /* not a multiple of 4 */
	{
		struct tc_err err;

		assert_true(seg_build(&s4, buf, sizeof(buf), &err) < 0);
		s6.ipopt_len = 8; /* not 6 + 8k */
		assert_true(seg_build(&s6, buf, sizeof(buf), &err) < 0);
	}
}

/* An ICMP error: the IP header's protocol, the message's checksum (over
 * the message on IPv4, with the pseudo-header on IPv6), the quote. */
static void test_build_icmp(void **state)
{
	static uint8_t buf[PKT_MAX];
	struct tc_err err;

	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(families); f++) {
		struct tc_seg m = mkseg(families[f]);
		size_t hl = families[f] == 4 ? 20 : 40;
		uint32_t sum = 0;
		int n;

		m.icmp = true;
		m.icmp_type = 3;
		m.icmp_code = 1;
		m.icmp_info = 0x01020304;
		m.icmp_qlen = 28;
		for (int b = 0; b < 28; b++)
			m.icmp_quote[b] = (uint8_t)(b * 7);
		n = seg_build(&m, buf, sizeof(buf), &err);
		assert_int_equal(n, (int)hl + 8 + 28);
		assert_int_equal(families[f] == 4 ? buf[9] : buf[6], families[f] == 4 ? 1 : 58);
		if (families[f] == 4) {
			assert_int_equal(fold(sum16(0, buf, 20)), 0xffff);
		} else {
			sum = sum16(0, buf + 8, 32);
			sum += 8 + 28 + 58;
		}
		assert_int_equal(fold(sum16(sum, buf + hl, 8 + 28)), 0xffff);
		assert_int_equal(buf[hl], 3);
		assert_int_equal(buf[hl + 1], 1);
		assert_int_equal(buf[hl + 4], 1);
		assert_int_equal(buf[hl + 7], 4);
		assert_memory_equal(buf + hl + 8, m.icmp_quote, 28);
		/* not a TCP segment: the parser refuses it */
		assert_true(seg_parse(buf, (size_t)n, &m, &err) < 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_header),
		cmocka_unit_test(test_roundtrip_addresses),
		cmocka_unit_test(test_roundtrip_flags),
		cmocka_unit_test(test_roundtrip_options),
		cmocka_unit_test(test_roundtrip_payload),
		cmocka_unit_test(test_roundtrip_ip_level),
		cmocka_unit_test(test_source_route_pseudo_header),
		cmocka_unit_test(test_build_icmp),
		cmocka_unit_test(test_ttl_default),
		cmocka_unit_test(test_checksum_verifies),
		cmocka_unit_test(test_bad_csum),
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_option_padding),
		cmocka_unit_test(test_build_rejects),
		cmocka_unit_test(test_emit_opts),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_clears_output),
		cmocka_unit_test(test_parse_opts),
		cmocka_unit_test(test_parse_opts_area_too_big),
		cmocka_unit_test(test_wrong_length_roundtrip),
		cmocka_unit_test(test_format_golden),
		cmocka_unit_test(test_format_parsed),
		cmocka_unit_test(test_format_truncates),
		cmocka_unit_test(test_opts_format),
		cmocka_unit_test(test_flags_roundtrip_all),
		cmocka_unit_test(test_flags_parse),
		cmocka_unit_test(test_flags_format),
		cmocka_unit_test(test_seq_compare),
		cmocka_unit_test(test_seq_in),
		cmocka_unit_test(test_seg_seq_len),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_format_odd),
		cmocka_unit_test(test_addr_eq),
		cmocka_unit_test(test_opt_list),
		cmocka_unit_test(test_opts_wire_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
