/* Segment helpers that need no packet library: addresses, flag letters, the
 * option list, the option wire encoding and the one-line printer. */
#include "seg.h"
#include "seg_bytes.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Letters in bit order, so bit i of the flags word is flag_letters[i]. */
static const char flag_letters[] = "FSRPAUECN";

/* ---- addresses ---- */

int seg_addr_parse(const char *text, struct seg_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return -1;
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = 6;
		return 0;
	}
	return -1;
}

const char *seg_addr_format(const struct seg_addr *a, char *buf, size_t cap)
{
	int af = a->family == 4 ? AF_INET : a->family == 6 ? AF_INET6 : -1;

	if (cap == 0)
		return buf;
	/* A printer never fails: an unusable address or a short buffer still
	 * yields a string the caller can show. */
	if (af < 0 || !inet_ntop(af, a->bytes, buf, (socklen_t)cap))
		snprintf(buf, cap, "?");
	return buf;
}

bool seg_addr_eq(const struct seg_addr *a, const struct seg_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

/* ---- flags ---- */

int seg_flags_parse(const char *text, uint16_t *flags)
{
	uint16_t f = 0;

	if (!text)
		return -1;
	if (strcmp(text, ".") == 0) {
		*flags = 0;
		return 0;
	}
	for (const char *c = text; *c; c++) {
		const char *hit = strchr(flag_letters, *c);
		uint16_t bit;

		if (!hit)
			return -1;
		bit = (uint16_t)(1u << (hit - flag_letters));
		/* A repeated letter is a typo in a case file, not a no-op. */
		if (f & bit)
			return -1;
		f |= bit;
	}
	*flags = f;
	return 0;
}

const char *seg_flags_format(uint16_t flags, char *buf, size_t cap)
{
	char tmp[sizeof(flag_letters)];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(flag_letters) - 1; i++)
		if (flags & (1u << i))
			tmp[n++] = flag_letters[i];
	if (n == 0)
		tmp[n++] = '.';
	tmp[n] = '\0';
	if (cap)
		snprintf(buf, cap, "%s", tmp);
	return buf;
}

/* ---- option list ---- */

int seg_add_opt(struct tc_seg *s, const struct seg_opt *o)
{
	if (s->nopts >= SEG_MAX_OPTS)
		return -1;
	s->opts[s->nopts++] = *o;
	return 0;
}

const struct seg_opt *seg_find_opt(const struct tc_seg *s, enum seg_opt_kind kind)
{
	for (size_t i = 0; i < s->nopts && i < SEG_MAX_OPTS; i++)
		if (s->opts[i].kind == kind)
			return &s->opts[i];
	return NULL;
}

/* Bytes one option takes on the wire; 0 for a kind we cannot encode. */
static size_t opt_wire_len(const struct seg_opt *o)
{
	switch ((enum seg_opt_kind)o->kind) {
	case SEG_OPT_EOL:
	case SEG_OPT_NOP:
		return 1; /* 9293 3.2: the two single-byte kinds */
	case SEG_OPT_MSS:
		return 4; /* 9293 3.2 */
	case SEG_OPT_WSCALE:
		return 3; /* 7323 2.2 */
	case SEG_OPT_SACK_PERM:
		return 2; /* 2018 2 */
	case SEG_OPT_SACK:
		return 2 + 8u * o->u.sack.n; /* 2018 3 */
	case SEG_OPT_TS:
		return 10; /* 7323 3.2 */
	case SEG_OPT_RAW:
		return o->u.raw.len;
	}
	return 0;
}

size_t seg_opts_wire_len(const struct tc_seg *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nopts && i < SEG_MAX_OPTS; i++)
		n += opt_wire_len(&s->opts[i]);
	return n;
}

/* ---- option encoding ---- */

/* Refuses what has no faithful encoding; a deliberately malformed option is
 * spelled as SEG_OPT_RAW instead. */
static int opt_check(const struct seg_opt *o, size_t i, struct tc_err *err)
{
	switch ((enum seg_opt_kind)o->kind) {
	case SEG_OPT_SACK:
		if (o->u.sack.n < 1 || o->u.sack.n > SEG_MAX_SACK_BLOCKS)
			return tc_err_set(err, TC_ERR_SEG_BUILD,
					  "option %zu: SACK with %u blocks (1 to %d allowed; use a raw option for others)",
					  i, o->u.sack.n, SEG_MAX_SACK_BLOCKS);
		return 0;
	case SEG_OPT_RAW:
		if (o->u.raw.len < 1 || o->u.raw.len > SEG_OPT_SPACE)
			return tc_err_set(err, TC_ERR_SEG_BUILD, "option %zu: raw option of %u bytes (1 to %d allowed)",
					  i, o->u.raw.len, SEG_OPT_SPACE);
		return 0;
	case SEG_OPT_EOL:
	case SEG_OPT_NOP:
	case SEG_OPT_MSS:
	case SEG_OPT_WSCALE:
	case SEG_OPT_SACK_PERM:
	case SEG_OPT_TS:
		return 0;
	}
	return tc_err_set(err, TC_ERR_SEG_BUILD, "option %zu: unknown kind %u (use SEG_OPT_RAW for other kinds)", i,
			  o->kind);
}

static void opt_put(const struct seg_opt *o, uint8_t *p)
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
		p[0] = SEG_OPT_SACK, p[1] = (uint8_t)opt_wire_len(o);
		for (size_t b = 0; b < o->u.sack.n; b++) {
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
		memcpy(p, o->u.raw.data, o->u.raw.len);
		return;
	}
}

int seg_emit_opts(const struct tc_seg *s, uint8_t *buf, size_t cap, struct tc_err *err)
{
	size_t off = 0;

	if (s->nopts > SEG_MAX_OPTS)
		return tc_err_set(err, TC_ERR_SEG_BUILD, "%u options, at most %d allowed", s->nopts, SEG_MAX_OPTS);
	for (size_t i = 0; i < s->nopts; i++) {
		const struct seg_opt *o = &s->opts[i];
		size_t n;

		if (opt_check(o, i, err) < 0)
			return -1;
		n = opt_wire_len(o);
		if (off + n > cap)
			return tc_err_set(err, TC_ERR_SEG_BUILD,
					  "options need %zu bytes, only %zu fit (option %zu, kind %u)",
					  seg_opts_wire_len(s), cap, i, o->kind);
		opt_put(o, buf + off);
		off += n;
	}
	return (int)off;
}

/* ---- printing ---- */

/* Appends to a fixed buffer; output past the end is dropped but the string
 * stays terminated, so a short buffer yields a truncated line, never junk. */
struct out {
	char *buf;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3))) static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n;
	if (o->len >= o->cap)
		o->len = o->cap - 1;
}

static void out_opt(struct out *o, const struct seg_opt *opt)
{
	switch ((enum seg_opt_kind)opt->kind) {
	case SEG_OPT_EOL:
		out_add(o, "eol");
		return;
	case SEG_OPT_NOP:
		out_add(o, "nop");
		return;
	case SEG_OPT_MSS:
		out_add(o, "mss %u", opt->u.mss);
		return;
	case SEG_OPT_WSCALE:
		out_add(o, "wscale %u", opt->u.wscale);
		return;
	case SEG_OPT_SACK_PERM:
		out_add(o, "sackOK");
		return;
	case SEG_OPT_SACK:
		out_add(o, "sack %u ", opt->u.sack.n);
		for (size_t b = 0; b < opt->u.sack.n && b < SEG_MAX_SACK_BLOCKS; b++)
			out_add(o, "{%u:%u}", opt->u.sack.b[b].left, opt->u.sack.b[b].right);
		return;
	case SEG_OPT_TS:
		out_add(o, "TS val %u ecr %u", opt->u.ts.val, opt->u.ts.ecr);
		return;
	case SEG_OPT_RAW:
		out_add(o, "raw 0x");
		for (size_t i = 0; i < opt->u.raw.len && i < SEG_OPT_SPACE; i++)
			out_add(o, "%02x", opt->u.raw.data[i]);
		return;
	}
	out_add(o, "?kind %u", opt->kind);
}

static void out_opts(struct out *o, const struct tc_seg *s)
{
	for (size_t i = 0; i < s->nopts && i < SEG_MAX_OPTS; i++) {
		if (i)
			out_add(o, ",");
		out_opt(o, &s->opts[i]);
	}
}

size_t seg_opts_format(const struct tc_seg *s, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};

	if (cap)
		buf[0] = '\0';
	out_opts(&o, s);
	return o.len;
}

size_t seg_format(const struct tc_seg *s, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};
	char src[64], dst[64], flags[16];

	if (cap)
		buf[0] = '\0';
	if (s->icmp) {
		out_add(&o, "%s > %s: ICMP%s type %u code %u", seg_addr_format(&s->src, src, sizeof(src)),
			seg_addr_format(&s->dst, dst, sizeof(dst)), s->src.family == 6 ? "v6" : "", s->icmp_type,
			s->icmp_code);
		if (s->icmp_info)
			out_add(&o, " info %u", s->icmp_info);
		out_add(&o, ", quoting %u bytes", s->icmp_qlen);
		return o.len;
	}
	out_add(&o, "%s.%u > %s.%u: Flags [%s], seq %u, ack %u, win %u", seg_addr_format(&s->src, src, sizeof(src)),
		s->sport, seg_addr_format(&s->dst, dst, sizeof(dst)), s->dport,
		seg_flags_format(s->flags, flags, sizeof(flags)), s->seq, s->ack, s->win);
	if (s->flags & SEG_URG)
		out_add(&o, ", urg %u", s->urp);
	if (s->nopts) {
		out_add(&o, ", options [");
		out_opts(&o, s);
		out_add(&o, "]");
	}
	out_add(&o, ", length %u", s->len);
	/* IP-level fields only when a case set them: the usual line stays short */
	if (s->tos)
		out_add(&o, ", tos 0x%02x", s->tos);
	if (s->ipopt_len)
		out_add(&o, ", ip options %u bytes", s->ipopt_len);
	if (s->bad_csum)
		out_add(&o, " [bad csum]");
	return o.len;
}
