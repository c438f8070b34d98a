#include "engine_match.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Padding is not part of what a stack means to say: NOP and EOL are left
 * out when option lists are compared. */
static bool is_padding(const struct seg_opt *o)
{
	return o->kind == SEG_OPT_NOP || o->kind == SEG_OPT_EOL;
}

/* One timestamp value of `ts val V ecr E` against the one that came. */
static bool tsv_match(const struct tc_tsv *t, uint32_t got, const struct engine_isn *isn)
{
	int64_t off;

	switch ((enum tc_tsv_kind)t->kind) {
	case TC_TSV_NUM: return got == t->v;
	case TC_TSV_ANY: return true;
	case TC_TSV_PEER: return isn->peer_ts_known && got == isn->peer_ts;
	case TC_TSV_REL:
		if (!isn->target_ts_known)
			return false;
		/* modular, as RFC 7323 5.2 compares timestamps */
		off = (int32_t)(got - (isn->target_ts0 + t->v));
		return off >= -(int64_t)t->tol && off <= (int64_t)t->tol;
	case TC_TSV_TARGET: break; /* a send's value, never expected */
	}
	return false;
}

static bool opt_equal(const struct seg_opt *a, const struct tc_optval *v, const struct seg_opt *b, bool anyval,
		      const struct engine_isn *isn)
{
	uint32_t base = v->sack_rel ? isn->peer : 0;

	if (a->kind != b->kind)
		return false;
	if (anyval)
		return true;
	switch (a->kind) {
	case SEG_OPT_MSS: return a->u.mss == b->u.mss;
	case SEG_OPT_WSCALE: return a->u.wscale == b->u.wscale;
	case SEG_OPT_TS:
		if (v->ts_spec)
			return tsv_match(&v->val, b->u.ts.val, isn) && tsv_match(&v->ecr, b->u.ts.ecr, isn);
		return a->u.ts.val == b->u.ts.val && a->u.ts.ecr == b->u.ts.ecr;
	case SEG_OPT_SACK:
		/* relative blocks count from the injector's ISN, as expect.ack */
		if (a->u.sack.n != b->u.sack.n)
			return false;
		for (int i = 0; i < a->u.sack.n; i++)
			if (base + a->u.sack.b[i].left != b->u.sack.b[i].left ||
			    base + a->u.sack.b[i].right != b->u.sack.b[i].right)
				return false;
		return true;
	case SEG_OPT_RAW:
		return a->u.raw.len == b->u.raw.len && memcmp(a->u.raw.data, b->u.raw.data, a->u.raw.len) == 0;
	default:
		return true; /* SACK-permitted, NOP, EOL: the kind says it all */
	}
}

static void tsv_format(const struct tc_tsv *t, char *buf, size_t cap)
{
	switch ((enum tc_tsv_kind)t->kind) {
	case TC_TSV_NUM: snprintf(buf, cap, "%u", t->v); return;
	case TC_TSV_ANY: snprintf(buf, cap, "any"); return;
	case TC_TSV_PEER: snprintf(buf, cap, "peer"); return;
	case TC_TSV_TARGET: snprintf(buf, cap, "target"); return;
	case TC_TSV_REL: snprintf(buf, cap, "+%u~%u", t->v, t->tol); return;
	}
	snprintf(buf, cap, "?");
}

/* An option whose value is more than numbers, as the case wrote it; 0
 * when it is plain. */
static int optval_format(const struct seg_opt *o, const struct tc_optval *v, char *item, size_t cap)
{
	char a[40], b[40];
	size_t len;

	if (o->kind == SEG_OPT_TS && v->ts_spec) {
		tsv_format(&v->val, a, sizeof(a));
		tsv_format(&v->ecr, b, sizeof(b));
		return snprintf(item, cap, "TS val %s ecr %s", a, b);
	}
	if (o->kind != SEG_OPT_SACK || !v->sack_rel)
		return 0;
	len = (size_t)snprintf(item, cap, "sack");
	for (int k = 0; k < o->u.sack.n && len < cap; k++)
		len += (size_t)snprintf(item + len, cap - len, " %u-%u (relative)", o->u.sack.b[k].left,
					o->u.sack.b[k].right);
	return 1;
}

/* The expected options as the case wrote them: a kind expected with any
 * value prints bare ("mss"), not with the zero the spec holds. */
static size_t spec_opts_format(const struct tc_segspec *sp, char *buf, size_t cap)
{
	struct tc_seg one;
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < sp->nopts && len + 1 < cap; i++) {
		char item[160];

		one.nopts = 1;
		one.opts[0] = sp->opts[i];
		if (!optval_format(&sp->opts[i], &sp->optv[i], item, sizeof(item)))
			seg_opts_format(&one, item, sizeof(item));
		if (sp->opt_anyval[i]) {
			item[strcspn(item, " ")] = '\0'; /* the kind's name only */
			strncat(item, " (any value)", sizeof(item) - strlen(item) - 1);
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "", item);
	}
	return len < cap ? len : cap - 1;
}

/* One field that differs: the summary line names the first one as
 * "FIELD MESSAGE" (what deviations' `fails:` texts match on), the detail
 * gets "  FIELD: MESSAGE" for every one. */
static void differ(struct engine_diff *d, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void differ(struct engine_diff *d, const char *field, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->n++ == 0)
		snprintf(d->summary, sizeof(d->summary), "%s%s%s", field, field[0] ? " " : "", msg);
	if (d->len < sizeof(d->fields))
		d->len += (size_t)snprintf(d->fields + d->len, sizeof(d->fields) - d->len, "\n  %s%s%s",
					   field[0] ? field : "", field[0] ? ": " : "", msg);
}

/* " (peer TSval 1234, target's first TSval 5678)" */
static const char *ts_context(const struct engine_isn *isn, char *buf, size_t cap)
{
	char p[16] = "none yet", t[16] = "none yet";

	if (isn->peer_ts_known)
		snprintf(p, sizeof(p), "%u", isn->peer_ts);
	if (isn->target_ts_known)
		snprintf(t, sizeof(t), "%u", isn->target_ts0);
	snprintf(buf, cap, " (peer's latest TSval %s, target's first TSval %s)", p, t);
	return buf;
}

static void match_opts(const struct tc_segspec *sp, const struct tc_seg *got, const struct engine_isn *isn,
		       struct engine_diff *d)
{
	int gi = 0, si = 0;
	char want[512], have[512], ctx[128];

	for (;;) {
		while (si < sp->nopts && is_padding(&sp->opts[si]))
			si++;
		while (gi < got->nopts && is_padding(&got->opts[gi]))
			gi++;
		if (si == sp->nopts && gi == got->nopts)
			return;
		if (si == sp->nopts || gi == got->nopts ||
		    !opt_equal(&sp->opts[si], &sp->optv[si], &got->opts[gi], sp->opt_anyval[si], isn))
			break;
		si++;
		gi++;
	}
	spec_opts_format(sp, want, sizeof(want));
	seg_opts_format(got, have, sizeof(have));
	/* what `peer` and `+N~T` stood for on this connection */
	differ(d, "options", "expected [%s], got [%s]%s", want, have,
	       isn->peer_ts_known || isn->target_ts_known ? ts_context(isn, ctx, sizeof(ctx)) : "");
}

static void mismatch_num(struct engine_diff *d, const char *field, uint32_t want, uint32_t got)
{
	differ(d, field, "expected %u (0x%x), got %u (0x%x)", want, want, got, got);
}

static void mismatch_seq(struct engine_diff *d, const char *field, uint32_t base, uint32_t want_abs,
			 uint32_t got_abs)
{
	differ(d, field, "expected %u (abs %u), got %u (abs %u)", want_abs - base, want_abs, got_abs - base, got_abs);
}

static char printable(uint8_t c)
{
	return c >= 0x20 && c < 0x7f ? (char)c : '.';
}

/* Rows of 16 bytes of p[from, to), hex then ASCII, each row starting with
 * its offset: what `hexdump -C` shows, so a reader finds the byte. */
static void hex_rows(struct engine_diff *d, const char *side, const uint8_t *p, size_t from, size_t to)
{
	if (from >= to) {
		if (d->window_len < sizeof(d->window))
			d->window_len += (size_t)snprintf(d->window + d->window_len, sizeof(d->window) - d->window_len,
							  "\n    %-8s (ends at byte %zu)", side, from);
		return;
	}
	for (size_t row = from; row < to; row += 16) {
		char hex[16 * 3 + 1], ascii[17];
		size_t k = 0;

		for (; k < 16 && row + k < to; k++) {
			snprintf(hex + 3 * k, sizeof(hex) - 3 * k, "%02x ", p[row + k]);
			ascii[k] = printable(p[row + k]);
		}
		ascii[k] = '\0';
		if (d->window_len < sizeof(d->window))
			d->window_len += (size_t)snprintf(d->window + d->window_len, sizeof(d->window) - d->window_len,
							  "\n    %-8s %5zu  %-48s |%s|", row == from ? side : "", row, hex,
							  ascii);
	}
}

/* The payload bytes around the first byte that differs: 16 before and 16
 * after, both sides, so a reader sees what came out of place. */
static void payload_window(struct engine_diff *d, const uint8_t *want, size_t wlen, const uint8_t *got, size_t glen,
			   size_t k)
{
	size_t from = k >= 16 ? k - 16 : 0, to = k + 17;

	d->window_len = (size_t)snprintf(d->window, sizeof(d->window),
					 "\n  payload: first difference at byte %zu (expected %zu bytes, got %zu):", k,
					 wlen, glen);
	hex_rows(d, "expected", want, from, to < wlen ? to : wlen);
	hex_rows(d, "got", got, from, to < glen ? to : glen);
}

static void match_payload(const struct tc_segspec *sp, const struct tc_seg *got, struct engine_diff *d)
{
	size_t common = sp->len < got->len ? sp->len : got->len, k = 0;

	if ((sp->fields & (TC_F_LEN | TC_F_DATA)) && sp->len != got->len)
		mismatch_num(d, "payload length", sp->len, got->len);
	if (!(sp->fields & TC_F_DATA))
		return;
	while (k < common && sp->data[k] == got->payload[k])
		k++;
	if (k < common) {
		char field[32];

		snprintf(field, sizeof(field), "payload byte %zu", k);
		differ(d, field, "expected 0x%02x, got 0x%02x", sp->data[k], got->payload[k]);
	}
	if (k < common || sp->len != got->len)
		payload_window(d, sp->data, sp->len, got->payload, got->len, k);
}

/* seq_from: the seq against one saved earlier. A rate is the advance
 * (modulo 2^32, forward) per second of the time between the two
 * arrivals: RFC 6528's clock component, measured. */
static void match_seq_from(const struct tc_segspec *sp, const struct tc_seg *got, const struct engine_isn *isn,
			   struct engine_diff *d)
{
	const struct tc_seqrel *r = &sp->seq_from;
	const struct engine_saved_seq *sv = NULL;
	uint32_t adv;
	uint64_t dt;
	double rate;
	bool inside;

	for (int i = 0; i < isn->nsaved; i++)
		if (strcmp(isn->saved[i].name, r->of) == 0)
			sv = &isn->saved[i];
	if (!sv) {
		differ(d, "seq_from", "nothing was saved as %s on this target (its step did not run here)", r->of);
		return;
	}
	adv = got->seq - sv->seq;
	if (r->kind == TC_SR_DIFFERS) {
		if (adv == 0)
			differ(d, "seq_from", "expected a seq other than %s's %u, got the same", r->of, sv->seq);
		return;
	}
	dt = isn->at_us > sv->at_us ? isn->at_us - sv->at_us : 0;
	if (dt == 0) {
		/* no time: only a number that moved at all is off every clock */
		if (r->kind == TC_SR_RATE || adv == 0)
			differ(d, "seq_from", "%s: seq %u %s %u with no time between the two segments: no rate to measure",
			       r->of, got->seq, adv ? "against" : "equal to", sv->seq);
		return;
	}
	rate = (double)adv * 1e6 / (double)dt;
	inside = rate >= (double)r->lo && rate <= (double)r->hi;
	if (r->kind == TC_SR_RATE && !inside)
		differ(d, "seq_from", "%s: advanced %u (abs %u -> %u) in %.3f ms, %.0f per second; expected %llu..%llu per second",
		       r->of, adv, sv->seq, got->seq, (double)dt / 1000.0, rate, (unsigned long long)r->lo,
		       (unsigned long long)r->hi);
	if (r->kind == TC_SR_OUTSIDE && inside)
		differ(d, "seq_from", "%s: advanced %u (abs %u -> %u) in %.3f ms, %.0f per second, inside %llu..%llu per second: the seq follows %s's clock",
		       r->of, adv, sv->seq, got->seq, (double)dt / 1000.0, rate, (unsigned long long)r->lo,
		       (unsigned long long)r->hi, r->of);
}

static void bytes_hex(const uint8_t *b, unsigned n, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && len + 4 < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%02x", i ? " " : "", b[i]);
	if (n == 0)
		snprintf(buf, cap, "none");
}

/* the IP options as hex bytes, "none" when there are none */
static void ipopts_format(const uint8_t *b, unsigned n, char *out, size_t cap)
{
	size_t len = 0;

	snprintf(out, cap, "none");
	for (unsigned i = 0; i < n && len + 4 < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%02x", i ? " " : "", b[i]);
}

static void match_ipopts_differ(const struct tc_segspec *sp, const struct tc_seg *got, struct engine_diff *d)
{
	char w[3 * SEG_IPOPT_SPACE + 8], g[3 * SEG_IPOPT_SPACE + 8];

	ipopts_format(sp->ipopts, sp->ipopt_len, w, sizeof(w));
	ipopts_format(got->ipopts, got->ipopt_len, g, sizeof(g));
	differ(d, "ip_options", "expected %s, got %s", w, g);
}

/* 9293 3.1 (MUST-69): the header as the data offset delimits it, byte for
 * byte, so padding that is not zeros shows (the option list's parse stops
 * at an EOL and never reads it). */
static void match_opt_bytes(const struct tc_segspec *sp, const struct tc_seg *got, struct engine_diff *d)
{
	char w[3 * SEG_OPT_SPACE + 8], g[3 * SEG_OPT_SPACE + 8];

	if (sp->nopt_bytes == got->optlen && memcmp(sp->opt_bytes, got->optraw, got->optlen) == 0)
		return;
	bytes_hex(sp->opt_bytes, sp->nopt_bytes, w, sizeof(w));
	bytes_hex(got->optraw, got->optlen, g, sizeof(g));
	differ(d, "opt_bytes", "expected [%s], got [%s]", w, g);
}

int engine_match(const struct tc_segspec *sp, const struct tc_seg *got,
		 const struct engine_isn *isn, struct engine_diff *d)
{
	uint16_t any = (sp->fields & TC_F_FLAGS_ANY) ? sp->flags_any : 0;

	memset(d, 0, offsetof(struct engine_diff, fields));
	d->fields[0] = d->window[0] = d->summary[0] = '\0';
	if ((sp->fields & TC_F_FLAGS) && (sp->flags & ~any) != (got->flags & ~any)) {
		char w[16], g[16], a[16];
		differ(d, "flags", "expected [%s]%s%s%s, got [%s]", seg_flags_format(sp->flags, w, sizeof(w)),
		       any ? " (" : "", any ? seg_flags_format(any, a, sizeof(a)) : "", any ? " either way)" : "",
		       seg_flags_format(got->flags, g, sizeof(g)));
	}
	if (sp->fields & TC_F_SEQ) {
		uint32_t base = sp->abs_seq ? 0 : isn->target;
		if (base + sp->seq != got->seq)
			mismatch_seq(d, "seq", base, base + sp->seq, got->seq);
	}
	if (sp->fields & TC_F_SEQ_FROM)
		match_seq_from(sp, got, isn, d);
	if (sp->fields & TC_F_ACK) {
		uint32_t base = sp->abs_ack ? 0 : isn->peer;
		if (base + sp->ack != got->ack)
			mismatch_seq(d, "ack", base, base + sp->ack, got->ack);
	}
	if ((sp->fields & TC_F_WIN) && sp->win != got->win)
		mismatch_num(d, "win", sp->win, got->win);
	if (sp->fields & TC_F_WIN_REL) {
		int32_t want = (int32_t)isn->win0 + sp->win_rel;
		if (!isn->win0_known)
			differ(d, "win_rel", "%+d: the target has sent no SYN whose window it could count from",
			       (int)sp->win_rel);
		else if (want != (int32_t)got->win)
			differ(d, "win", "expected %d (first window %u %+d), got %u (first window %+d)", (int)want,
			       isn->win0, (int)sp->win_rel, got->win, (int)got->win - (int)isn->win0);
	}
	if ((sp->fields & TC_F_URP) && sp->urp != got->urp)
		mismatch_num(d, "urp", sp->urp, got->urp);
	/* RFC 9293 3.9.1.1 (MUST-43 - MUST-45): the local address in use */
	if (sp->fields & TC_F_EXPECT_SRC) {
		const struct seg_addr *want = sp->expect_src == TC_ADDR_SECOND ? &isn->target_addr2
					      : sp->expect_src == TC_ADDR_SAME	  ? &isn->prev_src
										  : &isn->target_addr;
		const char *which = sp->expect_src == TC_ADDR_SECOND ? "its second address"
				    : sp->expect_src == TC_ADDR_SAME ? "the address of its previous segment"
								     : "its first address";
		char w[64], g[64];

		if (sp->expect_src == TC_ADDR_OWN) {
			if (!seg_addr_eq(&isn->target_addr, &got->src) && !seg_addr_eq(&isn->target_addr2, &got->src))
				differ(d, "src", "expected one of the target's addresses, got %s",
				       seg_addr_format(&got->src, g, sizeof(g)));
		} else if (!seg_addr_eq(want, &got->src))
			differ(d, "src", "expected %s (%s), got %s", want->family ? seg_addr_format(want, w, sizeof(w)) : "none",
			       which, seg_addr_format(&got->src, g, sizeof(g)));
	}
	/* RFC 9293 3.9.2 (MUST-48, MUST-49): what the application set */
	if ((sp->fields & TC_F_TTL) && sp->ttl != got->ttl)
		mismatch_num(d, "ttl", sp->ttl, got->ttl);
	if ((sp->fields & TC_F_TOS) && sp->tos != got->tos)
		differ(d, "tos", "expected 0x%02x, got 0x%02x", sp->tos, got->tos);
	/* RFC 9293 3.9.2.1 (MUST-51..53): the source route it was given or saved */
	if ((sp->fields & TC_F_IPOPTS) &&
	    (sp->ipopt_len != got->ipopt_len || memcmp(sp->ipopts, got->ipopts, sp->ipopt_len) != 0))
		match_ipopts_differ(sp, got, d);
	match_payload(sp, got, d);
	if (sp->fields & TC_F_OPTS)
		match_opts(sp, got, isn, d);
	if ((sp->fields & TC_F_PORT) && sp->port != got->sport)
		mismatch_num(d, "port", sp->port, got->sport);
	if (sp->fields & TC_F_OPT_BYTES)
		match_opt_bytes(sp, got, d);
	if (got->bad_csum)
		differ(d, "", "the segment's checksum is wrong");
	if (d->n > 1 && strlen(d->summary) + 40 < sizeof(d->summary))
		snprintf(d->summary + strlen(d->summary), sizeof(d->summary) - strlen(d->summary),
			 " (and %d more field%s below)", d->n - 1, d->n == 2 ? "" : "s");
	return d->n ? -1 : 0;
}

size_t engine_spec_format(const struct tc_segspec *sp, char *buf, size_t cap)
{
	size_t len = 0;
	char tmp[512];

#define ADD(...)                                                                        \
	do {                                                                            \
		if (len < cap)                                                          \
			len += (size_t)snprintf(buf + len, cap - len, __VA_ARGS__);      \
	} while (0)
	buf[0] = '\0';
	if (sp->fields & TC_F_FLAGS)
		ADD("flags [%s]", seg_flags_format(sp->flags, tmp, sizeof(tmp)));
	if (sp->fields & TC_F_FLAGS_ANY)
		ADD("%s(%s either way)", len ? " " : "", seg_flags_format(sp->flags_any, tmp, sizeof(tmp)));
	if (sp->fields & TC_F_SEQ)
		ADD("%sseq %s%u", len ? " " : "", sp->abs_seq ? "abs " : "", sp->seq);
	if (sp->fields & TC_F_SEQ_FROM) {
		const struct tc_seqrel *r = &sp->seq_from;
		if (r->kind == TC_SR_DIFFERS)
			ADD("%sseq other than %s", len ? " " : "", r->of);
		else
			ADD("%sseq from %s at %s%llu..%llu/s", len ? " " : "", r->of, r->kind == TC_SR_OUTSIDE ? "not " : "",
			    (unsigned long long)r->lo, (unsigned long long)r->hi);
	}
	if (sp->fields & TC_F_ACK)
		ADD("%sack %s%u", len ? " " : "", sp->abs_ack ? "abs " : "", sp->ack);
	if (sp->fields & TC_F_WIN)
		ADD("%swin %u", len ? " " : "", sp->win);
	if (sp->fields & TC_F_WIN_REL)
		ADD("%swin first%+d", len ? " " : "", (int)sp->win_rel);
	if (sp->fields & TC_F_URP)
		ADD("%surg %u", len ? " " : "", sp->urp);
	if (sp->fields & (TC_F_LEN | TC_F_DATA))
		ADD("%slength %u", len ? " " : "", sp->len);
	if (sp->fields & TC_F_EXPECT_SRC)
		ADD("%sfrom the %s address", len ? " " : "",
		    sp->expect_src == TC_ADDR_SECOND ? "second"
		    : sp->expect_src == TC_ADDR_SAME ? "same"
		    : sp->expect_src == TC_ADDR_OWN  ? "target's own"
						     : "first");
	if (sp->fields & TC_F_TTL)
		ADD("%sttl %u", len ? " " : "", sp->ttl);
	if (sp->fields & TC_F_TOS)
		ADD("%stos 0x%02x", len ? " " : "", sp->tos);
	if (sp->fields & TC_F_IPOPTS)
		ADD("%sip options %u bytes", len ? " " : "", sp->ipopt_len);
	if (sp->fields & TC_F_OPTS) {
		spec_opts_format(sp, tmp, sizeof(tmp));
		ADD("%soptions [%s]", len ? " " : "", tmp);
	}
	if (sp->fields & TC_F_PORT)
		ADD("%sport %u", len ? " " : "", sp->port);
	if (sp->fields & TC_F_OPT_BYTES) {
		bytes_hex(sp->opt_bytes, sp->nopt_bytes, tmp, sizeof(tmp));
		ADD("%sopt_bytes [%s]", len ? " " : "", tmp);
	}
	if (len == 0)
		ADD("any segment");
#undef ADD
	return len;
}
