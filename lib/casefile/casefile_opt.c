/* TCP options as written in a case: one string per option, in the words
 * tcpdump prints ("mss 1460", "sackOK", "ts 100 0"), plus "raw" bytes for
 * anything malformed on purpose. */
#include "casefile_int.h"

#include <stdio.h>
#include <string.h>

#define OPT_NAMES "mss, wscale, sackOK, sack, ts, nop, eol, raw"
/* "raw" plus 40 bytes is the longest option a case can write; a few words
 * more so that one byte too many gets raw's own message. */
#define MAX_WORDS (SEG_OPT_SPACE + 8)

struct words {
	int n;
	char *w[MAX_WORDS];
	char buf[256];
};

/* One option being read: where it is, for messages, and where it goes. */
struct optctx {
	struct cf *cf;
	const yaml_node_t *node;
	const char *shown;
	struct seg_opt *opt;
	struct tc_optval *val; /* what the numbers alone cannot say */
	bool expect;
	size_t bytes; /* on the wire */
};

static int split(const char *s, struct words *w)
{
	char *p = w->buf;
	size_t len = strlen(s);

	if (len >= sizeof(w->buf))
		return -1;
	memcpy(w->buf, s, len + 1);
	w->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		if (w->n == MAX_WORDS)
			return -1;
		w->w[w->n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

static int bad(struct optctx *o, const char *usage)
{
	return cf_fail(o->cf, o->node, "options: %s: %s", o->shown, usage);
}

static int word_u32(const char *w, int64_t max, uint32_t *out)
{
	int64_t v;

	if (cf_parse_int(w, 0, max, &v) != CF_INT_OK)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int opt_mss(struct optctx *o, const struct words *w)
{
	uint32_t v;

	if (w->n != 2 || word_u32(w->w[1], 65535, &v))
		return bad(o, "mss takes one value 0..65535");
	o->opt->u.mss = (uint16_t)v;
	o->bytes = 4;
	return 0;
}

static int opt_wscale(struct optctx *o, const struct words *w)
{
	uint32_t v;

	/* Up to 255, not 14: a case may send a shift count RFC 7323 2.3
	 * tells the receiver to clamp. */
	if (w->n != 2 || word_u32(w->w[1], 255, &v))
		return bad(o, "wscale takes one value 0..255");
	o->opt->u.wscale = (uint8_t)v;
	o->bytes = 3;
	return 0;
}

static int opt_noarg(struct optctx *o, const struct words *w)
{
	static const size_t len[] = {[SEG_OPT_EOL] = 1, [SEG_OPT_NOP] = 1, [SEG_OPT_SACK_PERM] = 2};

	if (w->n != 1)
		return bad(o, "takes no value");
	o->bytes = len[o->opt->kind];
	return 0;
}

/* Blocks LEFT:RIGHT are absolute sequence numbers; LEFT-RIGHT count from
 * an ISN as seq and ack do (an expect's from the injector's, whose data the
 * target acknowledges; a send's from the target's). One form per option. */
static int opt_sack(struct optctx *o, const struct words *w)
{
	static const char usage[] = "sack takes 1..4 blocks LEFT:RIGHT (absolute) or LEFT-RIGHT (relative to the ISN), "
				    "each value 0..4294967295";
	int nb = w->n - 1;

	if (nb < 1 || nb > SEG_MAX_SACK_BLOCKS)
		return bad(o, usage);
	for (int i = 0; i < nb; i++) {
		char *left = w->w[i + 1], *colon = strchr(left, ':'), *dash = strchr(left, '-');
		struct seg_sack_block *b = &o->opt->u.sack.b[i];
		bool rel = !colon && dash;

		if (!colon && !dash)
			return bad(o, usage);
		if (i > 0 && rel != o->val->sack_rel)
			return bad(o, "sack blocks are all LEFT:RIGHT (absolute) or all LEFT-RIGHT (relative)");
		o->val->sack_rel = rel;
		if (rel)
			colon = dash;
		*colon = '\0';
		if (word_u32(left, UINT32_MAX, &b->left) || word_u32(colon + 1, UINT32_MAX, &b->right))
			return bad(o, usage);
	}
	o->opt->u.sack.n = (uint8_t)nb;
	o->bytes = 2 + 8 * (size_t)nb;
	return 0;
}

/* One value of `ts val V ecr E`: a number; in an expect `any`, `peer` (the
 * injector's latest TSval) or `+N~T` (the target's first TSval + N, give or
 * take T); in a send `target` (the target's latest TSval). */
static int ts_value(struct optctx *o, const char *word, uint32_t *num, struct tc_tsv *t)
{
	static const char expect_usage[] =
		"ts val V ecr E: V and E each a number 0..4294967295, any, peer or +N~T (N and T 0..4294967295)";
	static const char send_usage[] = "ts val V ecr E in a send: V a number 0..4294967295, E a number or target";
	const char *usage = o->expect ? expect_usage : send_usage;
	char buf[32];

	memset(t, 0, sizeof(*t));
	if (strcmp(word, "any") == 0 || strcmp(word, "peer") == 0) {
		if (!o->expect)
			return bad(o, send_usage);
		t->kind = word[0] == 'a' ? TC_TSV_ANY : TC_TSV_PEER;
		return 0;
	}
	if (strcmp(word, "target") == 0) {
		if (o->expect || num != &o->opt->u.ts.ecr)
			return bad(o, usage);
		t->kind = TC_TSV_TARGET;
		return 0;
	}
	if (word[0] == '+') {
		const char *tilde = strchr(word, '~');
		size_t n = tilde ? (size_t)(tilde - word - 1) : strlen(word + 1);

		if (!o->expect || n == 0 || n >= sizeof(buf))
			return bad(o, usage);
		memcpy(buf, word + 1, n);
		buf[n] = '\0';
		if (word_u32(buf, UINT32_MAX, &t->v) || (tilde && word_u32(tilde + 1, UINT32_MAX, &t->tol)))
			return bad(o, usage);
		t->kind = TC_TSV_REL;
		return 0;
	}
	if (word_u32(word, UINT32_MAX, num))
		return bad(o, usage);
	t->kind = TC_TSV_NUM;
	t->v = *num;
	return 0;
}

static int opt_ts(struct optctx *o, const struct words *w)
{
	o->bytes = 10;
	if (w->n == 5 && strcmp(w->w[1], "val") == 0 && strcmp(w->w[3], "ecr") == 0) {
		o->val->ts_spec = true;
		if (ts_value(o, w->w[2], &o->opt->u.ts.val, &o->val->val) ||
		    ts_value(o, w->w[4], &o->opt->u.ts.ecr, &o->val->ecr))
			return -1;
		return 0;
	}
	if (w->n != 3 || word_u32(w->w[1], UINT32_MAX, &o->opt->u.ts.val) ||
	    word_u32(w->w[2], UINT32_MAX, &o->opt->u.ts.ecr))
		return bad(o, "ts takes two values 0..4294967295: TSval TSecr, or val V ecr E");
	return 0;
}

static int hex_byte(const char *w, uint8_t *out)
{
	unsigned v = 0;
	size_t len = strlen(w);

	if (len < 1 || len > 2)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = w[i];
		unsigned d = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
			     : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
			     : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10)
						      : 16u;
		if (d == 16u)
			return -1;
		v = v * 16 + d;
	}
	*out = (uint8_t)v;
	return 0;
}

static int opt_raw(struct optctx *o, const struct words *w)
{
	static const char usage[] = "raw takes 2..40 hex bytes (kind, length, data), e.g. raw 1e 04 01 02";
	int nb = w->n - 1;

	/* The length byte is not checked against the count: a wrong length is
	 * what raw options are for. */
	if (nb < 2 || nb > SEG_OPT_SPACE)
		return bad(o, usage);
	for (int i = 0; i < nb; i++)
		if (hex_byte(w->w[i + 1], &o->opt->u.raw.data[i]))
			return bad(o, usage);
	o->opt->u.raw.len = (uint8_t)nb;
	o->bytes = (size_t)nb;
	return 0;
}

static const struct optdef {
	const char *name;
	uint16_t kind;
	int (*parse)(struct optctx *o, const struct words *w);
	size_t bare_bytes; /* nonzero: may be written bare in an expect */
} optdefs[] = {
	{"mss", SEG_OPT_MSS, opt_mss, 4},
	{"wscale", SEG_OPT_WSCALE, opt_wscale, 3},
	{"sackOK", SEG_OPT_SACK_PERM, opt_noarg, 0},
	{"sack", SEG_OPT_SACK, opt_sack, 10},
	{"ts", SEG_OPT_TS, opt_ts, 10},
	{"nop", SEG_OPT_NOP, opt_noarg, 0},
	{"eol", SEG_OPT_EOL, opt_noarg, 0},
	{"raw", SEG_OPT_RAW, opt_raw, 0},
};

static const struct optdef *find_opt(const char *name)
{
	for (size_t i = 0; i < sizeof(optdefs) / sizeof(optdefs[0]); i++)
		if (strcmp(optdefs[i].name, name) == 0)
			return &optdefs[i];
	return NULL;
}

/* One option string -> o->opt; *anyval when written bare in an expect. */
static int load_opt(struct optctx *o, bool expect, bool *anyval)
{
	const struct optdef *def;
	struct words w;
	const char *s;

	if (cf_string(o->cf, o->node, "options", &s))
		return -1;
	if (split(s, &w))
		return bad(o, "too long for an option");
	if (w.n == 0)
		return bad(o, "empty option; expected one of: " OPT_NAMES);
	def = find_opt(w.w[0]);
	if (!def)
		return cf_fail(o->cf, o->node, "options: unknown option %s; expected one of: " OPT_NAMES,
			       o->shown);
	memset(o->opt, 0, sizeof(*o->opt));
	memset(o->val, 0, sizeof(*o->val));
	o->opt->kind = def->kind;
	*anyval = false;
	if (w.n == 1 && def->bare_bytes) {
		if (!expect)
			return bad(o, "needs a value in a send (written bare it means any value, in an expect only)");
		*anyval = true;
		o->bytes = def->bare_bytes;
		return 0;
	}
	return def->parse(o, &w);
}

int cf_load_opts(struct cf *cf, yaml_node_t *seq, bool expect, struct tc_segspec *s)
{
	size_t total = 0;

	if (cf_want(cf, seq, YAML_SEQUENCE_NODE, "options"))
		return -1;
	s->nopts = 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		struct seg_opt opt;
		struct tc_optval val;
		char shown[64];
		bool anyval;
		struct optctx o = {cf, cf_node(cf, *it), shown, &opt, &val, expect, 0};

		if (!o.node)
			return cf_fail(cf, seq, "options: malformed list");
		cf_found(o.node, shown, sizeof(shown));
		if (load_opt(&o, expect, &anyval))
			return -1;
		/* Every option takes at least one byte, so the byte limit also
		 * bounds the count; check both before storing anyway. */
		if (total + o.bytes > SEG_OPT_SPACE || s->nopts >= SEG_MAX_OPTS)
			return cf_fail(cf, o.node, "options: more than %d bytes of options (%zu with this one)",
				       SEG_OPT_SPACE, total + o.bytes);
		total += o.bytes;
		s->opts[s->nopts] = opt;
		s->opt_anyval[s->nopts] = anyval;
		s->optv[s->nopts] = val;
		s->nopts++;
	}
	return 0;
}
