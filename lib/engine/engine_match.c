#include "engine_match.h"

#include <stdio.h>
#include <string.h>

/* Padding is not part of what a stack means to say: NOP and EOL are left
 * out when option lists are compared. */
static bool is_padding(const struct seg_opt *o)
{
	return o->kind == SEG_OPT_NOP || o->kind == SEG_OPT_EOL;
}

static bool opt_equal(const struct seg_opt *a, const struct seg_opt *b, bool anyval)
{
	if (a->kind != b->kind)
		return false;
	if (anyval)
		return true;
	switch (a->kind) {
	case SEG_OPT_MSS: return a->u.mss == b->u.mss;
	case SEG_OPT_WSCALE: return a->u.wscale == b->u.wscale;
	case SEG_OPT_TS: return a->u.ts.val == b->u.ts.val && a->u.ts.ecr == b->u.ts.ecr;
	case SEG_OPT_SACK:
		if (a->u.sack.n != b->u.sack.n)
			return false;
		for (int i = 0; i < a->u.sack.n; i++)
			if (a->u.sack.b[i].left != b->u.sack.b[i].left ||
			    a->u.sack.b[i].right != b->u.sack.b[i].right)
				return false;
		return true;
	case SEG_OPT_RAW:
		return a->u.raw.len == b->u.raw.len && memcmp(a->u.raw.data, b->u.raw.data, a->u.raw.len) == 0;
	default:
		return true; /* SACK-permitted, NOP, EOL: the kind says it all */
	}
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
		seg_opts_format(&one, item, sizeof(item));
		if (sp->opt_anyval[i]) {
			item[strcspn(item, " ")] = '\0'; /* the kind's name only */
			strncat(item, " (any value)", sizeof(item) - strlen(item) - 1);
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "", item);
	}
	return len < cap ? len : cap - 1;
}

static int match_opts(const struct tc_segspec *sp, const struct tc_seg *got, char *why, size_t cap)
{
	int gi = 0, si = 0;
	char want[512], have[512];

	for (;;) {
		while (si < sp->nopts && is_padding(&sp->opts[si]))
			si++;
		while (gi < got->nopts && is_padding(&got->opts[gi]))
			gi++;
		if (si == sp->nopts && gi == got->nopts)
			return 0;
		if (si == sp->nopts || gi == got->nopts ||
		    !opt_equal(&sp->opts[si], &got->opts[gi], sp->opt_anyval[si]))
			break;
		si++;
		gi++;
	}
	spec_opts_format(sp, want, sizeof(want));
	seg_opts_format(got, have, sizeof(have));
	snprintf(why, cap, "options expected [%s], got [%s]", want, have);
	return -1;
}

static int mismatch_num(char *why, size_t cap, const char *field, uint32_t want, uint32_t got)
{
	snprintf(why, cap, "%s expected %u (0x%x), got %u (0x%x)", field, want, want, got, got);
	return -1;
}

static int mismatch_seq(char *why, size_t cap, const char *field, uint32_t base, uint32_t want_abs,
			uint32_t got_abs)
{
	snprintf(why, cap, "%s expected %u (abs %u), got %u (abs %u)", field, want_abs - base, want_abs,
		 got_abs - base, got_abs);
	return -1;
}

int engine_match(const struct tc_segspec *sp, const struct tc_seg *got,
		 const struct engine_isn *isn, char *why, size_t cap)
{
	uint16_t any = (sp->fields & TC_F_FLAGS_ANY) ? sp->flags_any : 0;
	if ((sp->fields & TC_F_FLAGS) && (sp->flags & ~any) != (got->flags & ~any)) {
		char w[16], g[16], a[16];
		snprintf(why, cap, "flags expected [%s]%s%s%s, got [%s]", seg_flags_format(sp->flags, w, sizeof(w)),
			 any ? " (" : "", any ? seg_flags_format(any, a, sizeof(a)) : "", any ? " either way)" : "",
			 seg_flags_format(got->flags, g, sizeof(g)));
		return -1;
	}
	if (sp->fields & TC_F_SEQ) {
		uint32_t base = sp->abs_seq ? 0 : isn->target;
		if (base + sp->seq != got->seq)
			return mismatch_seq(why, cap, "seq", base, base + sp->seq, got->seq);
	}
	if (sp->fields & TC_F_ACK) {
		uint32_t base = sp->abs_ack ? 0 : isn->peer;
		if (base + sp->ack != got->ack)
			return mismatch_seq(why, cap, "ack", base, base + sp->ack, got->ack);
	}
	if ((sp->fields & TC_F_WIN) && sp->win != got->win)
		return mismatch_num(why, cap, "win", sp->win, got->win);
	if (sp->fields & TC_F_WIN_REL) {
		if (!isn->win0_known) {
			snprintf(why, cap, "win_rel %+d: the target has sent no SYN whose window it could count from",
				 (int)sp->win_rel);
			return -1;
		}
		int32_t want = (int32_t)isn->win0 + sp->win_rel;
		if (want != (int32_t)got->win) {
			snprintf(why, cap, "win expected %d (first window %u %+d), got %u (first window %+d)", (int)want,
				 isn->win0, (int)sp->win_rel, got->win, (int)got->win - (int)isn->win0);
			return -1;
		}
	}
	if ((sp->fields & TC_F_URP) && sp->urp != got->urp)
		return mismatch_num(why, cap, "urp", sp->urp, got->urp);
	if ((sp->fields & (TC_F_LEN | TC_F_DATA)) && sp->len != got->len)
		return mismatch_num(why, cap, "payload length", sp->len, got->len);
	if ((sp->fields & TC_F_DATA) && memcmp(sp->data, got->payload, sp->len) != 0) {
		size_t k = 0;
		while (sp->data[k] == got->payload[k])
			k++;
		snprintf(why, cap, "payload byte %zu expected 0x%02x, got 0x%02x", k, sp->data[k],
			 got->payload[k]);
		return -1;
	}
	if ((sp->fields & TC_F_OPTS) && match_opts(sp, got, why, cap) != 0)
		return -1;
	if (got->bad_csum) {
		snprintf(why, cap, "the segment's checksum is wrong");
		return -1;
	}
	return 0;
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
	if (sp->fields & TC_F_OPTS) {
		spec_opts_format(sp, tmp, sizeof(tmp));
		ADD("%soptions [%s]", len ? " " : "", tmp);
	}
	if (len == 0)
		ADD("any segment");
#undef ADD
	return len;
}
