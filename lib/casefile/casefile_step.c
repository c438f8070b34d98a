/* Steps: each a mapping with exactly one key naming its kind. send and
 * expect share one segment template; the tables below say which keys each
 * accepts. */
#include "casefile_int.h"
#include "../case/tc_errno.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A set of flag letters; `what` names the key in messages. */
static int read_flags(struct cf *cf, yaml_node_t *v, const char *what, const char *meaning, bool allow_none,
		      uint16_t *out)
{
	const char *text;
	char shown[64];

	if (cf_string(cf, v, what, &text))
		return -1;
	if (seg_flags_parse(text, out) || (!allow_none && *out == 0))
		return cf_fail(cf, v, "%s: %s is not a set of flags%s (letters F S R P A U E C N, each once%s)", what,
			       cf_found(v, shown, sizeof(shown)), meaning, allow_none ? ", or . for none" : "");
	return 0;
}

static int k_flags(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (read_flags(cf, v, "flags", "", true, &s->flags))
		return -1;
	s->fields |= TC_F_FLAGS;
	return 0;
}

static int k_flags_any(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (read_flags(cf, v, "flags_any", " that may be set or not", false, &s->flags_any))
		return -1;
	s->fields |= TC_F_FLAGS_ANY;
	return 0;
}

/* seq, ack and their _abs forms: one number each, so seq and seq_abs
 * together are a contradiction, not an override. */
static int seq_or_ack(struct cf *cf, yaml_node_t *v, struct tc_segspec *s, bool is_ack, bool abs)
{
	const char *name = is_ack ? "ack" : "seq";
	unsigned bit = is_ack ? TC_F_ACK : TC_F_SEQ;
	char what[16];
	int64_t x;

	snprintf(what, sizeof(what), "%s%s", name, abs ? "_abs" : "");
	if (s->fields & bit)
		return cf_fail(cf, v, "%s: give only one of %s and %s_abs", what, name, name);
	/* Relative numbers may be negative (an ACK below the ISN) and wrap. */
	if (cf_int(cf, v, what, abs ? 0 : INT32_MIN, UINT32_MAX, &x))
		return -1;
	if (is_ack) {
		s->ack = (uint32_t)x;
		s->abs_ack = abs;
	} else {
		s->seq = (uint32_t)x;
		s->abs_seq = abs;
	}
	s->fields |= bit;
	return 0;
}

static int k_seq(struct cf *cf, yaml_node_t *v, void *obj)
{
	return seq_or_ack(cf, v, obj, false, false);
}

static int k_ack(struct cf *cf, yaml_node_t *v, void *obj)
{
	return seq_or_ack(cf, v, obj, true, false);
}

static int k_seq_abs(struct cf *cf, yaml_node_t *v, void *obj)
{
	return seq_or_ack(cf, v, obj, false, true);
}

static int k_ack_abs(struct cf *cf, yaml_node_t *v, void *obj)
{
	return seq_or_ack(cf, v, obj, true, true);
}

static int k_win(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (s->fields & TC_F_WIN_REL)
		return cf_fail(cf, v, "win: give only one of win and win_rel");
	if (cf_int(cf, v, "win", 0, 65535, &x))
		return -1;
	s->win = (uint16_t)x;
	s->fields |= TC_F_WIN;
	return 0;
}

static int k_win_rel(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (s->fields & TC_F_WIN)
		return cf_fail(cf, v, "win_rel: give only one of win and win_rel");
	if (cf_int(cf, v, "win_rel", -65535, 65535, &x))
		return -1;
	s->win_rel = (int32_t)x;
	s->fields |= TC_F_WIN_REL;
	return 0;
}

/* "02 04 05 b4": the options area in hex, one or two digits a byte,
 * blank-separated; "" for a header without options. */
static int k_opt_bytes(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	const char *p;
	unsigned n = 0;

	if (cf_string(cf, v, "opt_bytes", &p))
		return -1;
	for (;;) {
		unsigned b = 0, digits = 0;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (; digits < 3 && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
				      (*p >= 'A' && *p <= 'F'));
		     p++, digits++)
			b = b * 16 + (unsigned)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
		if (digits == 0 || digits > 2 || (*p && *p != ' '))
			return cf_fail(cf, v, "opt_bytes: bytes in hex, one or two digits each, separated by blanks "
					      "(\"02 04 05 b4\")");
		if (n == SEG_OPT_SPACE)
			return cf_fail(cf, v, "opt_bytes: more than the %d bytes a TCP header's options take",
				       SEG_OPT_SPACE);
		s->opt_bytes[n++] = (uint8_t)b;
	}
	if (n % 4)
		return cf_fail(cf, v, "opt_bytes: %u bytes; the options area is a whole number of 32-bit words "
				      "(9293 3.1: the data offset counts words), so padding included it is 0, 4, ... 40",
			       n);
	s->nopt_bytes = (uint8_t)n;
	s->fields |= TC_F_OPT_BYTES;
	return 0;
}

static int k_urp(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (cf_int(cf, v, "urp", 0, 65535, &x))
		return -1;
	s->urp = (uint16_t)x;
	s->fields |= TC_F_URP;
	return 0;
}

static int k_opts_send(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (cf_load_opts(cf, v, false, s))
		return -1;
	s->fields |= TC_F_OPTS;
	return 0;
}

static int k_opts_expect(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (cf_load_opts(cf, v, true, s))
		return -1;
	s->fields |= TC_F_OPTS;
	return 0;
}

/* data and len may both be given (then they must agree), in either order;
 * whichever comes second is checked against the first. */
static int k_data(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	const char *text;
	size_t len;

	if (cf_scalar(cf, v, "data", &text, &len))
		return -1;
	if (len > SEG_MAX_PAYLOAD)
		return cf_fail(cf, v, "data: %zu bytes, more than the %d a segment can carry", len,
			       SEG_MAX_PAYLOAD);
	if ((s->fields & TC_F_LEN) && len != s->len)
		return cf_fail(cf, v, "data: %zu bytes, but len says %u", len, (unsigned)s->len);
	memcpy(s->data, text, len);
	s->len = (uint16_t)len;
	s->fields |= TC_F_DATA;
	return 0;
}

static int k_len(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (cf_int(cf, v, "len", 0, SEG_MAX_PAYLOAD, &x))
		return -1;
	if ((s->fields & TC_F_DATA) && (uint16_t)x != s->len)
		return cf_fail(cf, v, "len: %u does not match the %u bytes of data", (unsigned)x,
			       (unsigned)s->len);
	s->len = (uint16_t)x;
	s->fields |= TC_F_LEN;
	return 0;
}

static int k_bad_csum(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	bool b;

	if (cf_bool(cf, v, "bad_csum", &b))
		return -1;
	s->bad_csum = b;
	/* Only a true value marks the field, so "bad_csum: false" can never
	 * be read as a request for a bad checksum. */
	if (b)
		s->fields |= TC_F_BAD_CSUM;
	return 0;
}

static int k_within(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (cf_dur(cf, v, "within", &s->within))
		return -1;
	s->fields |= TC_F_WITHIN;
	return 0;
}

static int k_after(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (cf_dur(cf, v, "after", &s->after))
		return -1;
	s->fields |= TC_F_AFTER;
	return 0;
}

static int k_tolerance(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (cf_dur(cf, v, "tolerance", &s->tolerance))
		return -1;
	s->fields |= TC_F_TOLERANCE;
	return 0;
}

/* A saved sequence number's name: 1..15 of [A-Za-z0-9_-]. */
static int read_seqname(struct cf *cf, yaml_node_t *v, const char *what, char *dst)
{
	char shown[64];
	const char *t;
	size_t n;

	if (cf_string(cf, v, what, &t))
		return -1;
	n = strlen(t);
	if (n == 0 || n >= TC_SEQNAME_MAX || strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n)
		return cf_fail(cf, v, "%s: %s is not a name (1..%d letters, digits, _ or -)", what,
			       cf_found(v, shown, sizeof(shown)), TC_SEQNAME_MAX - 1);
	memcpy(dst, t, n + 1);
	return 0;
}

static int k_save_seq(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (read_seqname(cf, v, "save_seq", s->save_seq))
		return -1;
	s->fields |= TC_F_SAVE_SEQ;
	return 0;
}

/* seq_from: {of: NAME, rate: [LO, HI], outside: BOOL} or {of: NAME,
 * differs: true}; the rate in sequence numbers per second. */
struct seqfrom_read {
	struct tc_seqrel *r;
	bool has_rate, outside, differs;
};

static int k_sf_of(struct cf *cf, yaml_node_t *v, void *obj)
{
	return read_seqname(cf, v, "seq_from: of", ((struct seqfrom_read *)obj)->r->of);
}

static int k_sf_rate(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct seqfrom_read *sr = obj;
	int64_t lo, hi;

	if (cf_want(cf, v, YAML_SEQUENCE_NODE, "seq_from: rate"))
		return -1;
	if (cf_len(v) != 2)
		return cf_fail(cf, v, "seq_from: rate: expected [LOW, HIGH], sequence numbers per second");
	if (cf_int(cf, cf_node(cf, v->data.sequence.items.start[0]), "seq_from: rate", 0, UINT32_MAX, &lo) ||
	    cf_int(cf, cf_node(cf, v->data.sequence.items.start[1]), "seq_from: rate", 0, UINT32_MAX, &hi))
		return -1;
	if (lo > hi)
		return cf_fail(cf, v, "seq_from: rate: LOW %lld is above HIGH %lld", (long long)lo, (long long)hi);
	sr->r->lo = (uint64_t)lo;
	sr->r->hi = (uint64_t)hi;
	sr->has_rate = true;
	return 0;
}

static int k_sf_outside(struct cf *cf, yaml_node_t *v, void *obj)
{
	return cf_bool(cf, v, "seq_from: outside", &((struct seqfrom_read *)obj)->outside);
}

static int k_sf_differs(struct cf *cf, yaml_node_t *v, void *obj)
{
	return cf_bool(cf, v, "seq_from: differs", &((struct seqfrom_read *)obj)->differs);
}

static const struct cf_key seqfrom_keys[] = {
	{"of", k_sf_of, true},
	{"rate", k_sf_rate, false},
	{"outside", k_sf_outside, false},
	{"differs", k_sf_differs, false},
};

static int k_seq_from(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	struct seqfrom_read sr = {.r = &s->seq_from};

	memset(&s->seq_from, 0, sizeof(s->seq_from));
	if (cf_walk_map(cf, v, "seq_from", seqfrom_keys, sizeof(seqfrom_keys) / sizeof(seqfrom_keys[0]), &sr))
		return -1;
	if (sr.has_rate == sr.differs)
		return cf_fail(cf, v, "seq_from: give rate: [LOW, HIGH] or differs: true, one of them");
	if (sr.outside && !sr.has_rate)
		return cf_fail(cf, v, "seq_from: outside goes with a rate");
	s->seq_from.kind = sr.differs ? TC_SR_DIFFERS : sr.outside ? TC_SR_OUTSIDE : TC_SR_RATE;
	s->fields |= TC_F_SEQ_FROM;
	return 0;
}

static int k_port(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (cf_int(cf, v, "port", 1, 65535, &x))
		return -1;
	s->port = (uint16_t)x;
	s->fields |= TC_F_PORT;
	return 0;
}

/* IP-level fields (RFC 791 3.1, RFC 8200 3): the TTL or hop limit and the
 * TOS or traffic class byte, on send and expect alike. */
static int k_ttl(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (cf_int(cf, v, "ttl", 1, 255, &x))
		return -1;
	s->ttl = (uint8_t)x;
	s->fields |= TC_F_TTL;
	return 0;
}

static int k_tos(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (cf_int(cf, v, "tos", 0, 255, &x))
		return -1;
	s->tos = (uint8_t)x;
	s->fields |= TC_F_TOS;
	return 0;
}

/* ip_options: the IPv4 option bytes in hex, two digits a byte, spaces
 * between bytes allowed ("01 01 9e 04 00 00 00 00"); RFC 791 3.1: the
 * header is counted in 32-bit words, so the bytes are a multiple of 4. On
 * IPv6 (under `on: v6`) the options of a Destination Options header, RFC
 * 8200 4.6: 6 + 8k bytes. */
static int ip_options(struct cf *cf, yaml_node_t *v, struct tc_segspec *s, bool expect)
{
	const char *text;
	size_t n = 0;
	int rc;

	if (cf_string(cf, v, "ip_options", &text))
		return -1;
	rc = tc_hex_bytes(text, strlen(text), s->ipopts, SEG_IPOPT_SPACE, &n);
	if (rc == -1)
		return cf_fail(cf, v, "ip_options: \"%s\" is not hex bytes (two digits each, e.g. \"01 01 01 00\")",
			       text);
	if (rc < 0)
		return cf_fail(cf, v, "ip_options: more than %d bytes (an IPv4 header holds at most %d)",
			       SEG_IPOPT_SPACE, SEG_IPOPT_SPACE);
	/* the family is the run's: either length may be meant */
	if (expect && n == 0)
		; /* expect: "" = the segment carries no IP options */
	else if (n == 0 || (n % 4 && (n + 2) % 8))
		return cf_fail(cf, v,
			       "ip_options: %zu bytes; IPv4 options are a multiple of 4 (pad with 01 NOP or 00 EOL), IPv6 destination options 6 + 8k",
			       n);
	s->ipopt_len = (uint8_t)n;
	s->fields |= TC_F_IPOPTS;
	return 0;
}

static int k_ip_options(struct cf *cf, yaml_node_t *v, void *obj)
{
	return ip_options(cf, v, obj, false);
}

/* expect: the IP options the target's segment carries, byte for byte (RFC
 * 1122 4.2.3.8, RFC 9293 3.9.2.1 MUST-51..53: a source route it uses); ""
 * is none at all */
static int k_ip_options_expect(struct cf *cf, yaml_node_t *v, void *obj)
{
	return ip_options(cf, v, obj, true);
}

/* src and dst: an address no unicast host may have, in place of the run's */
static int addr_kind(struct cf *cf, yaml_node_t *v, const char *what, uint8_t *out)
{
	char shown[64];
	const char *text;

	if (cf_string(cf, v, what, &text))
		return -1;
	if (strcmp(text, "broadcast") == 0)
		*out = TC_ADDR_BROADCAST;
	else if (strcmp(text, "multicast") == 0)
		*out = TC_ADDR_MULTICAST;
	else if (strcmp(what, "dst") == 0 && strcmp(text, "second") == 0)
		*out = TC_ADDR_SECOND;
	else if (strcmp(what, "dst") == 0 && strcmp(text, "same") == 0)
		*out = TC_ADDR_SAME;
	else
		return cf_fail(cf, v, "%s: %s is not an address kind; expected broadcast or multicast%s", what,
			       cf_found(v, shown, sizeof(shown)), strcmp(what, "dst") == 0 ? " (or second, same)" : "");
	return 0;
}

/* expect src: target|second|same|own: which of the target's addresses
 * sends it (same: the one its previous segment came from, 9293 MUST-45;
 * own: either) */
static int k_expect_src(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	char shown[64];
	const char *text;

	if (cf_string(cf, v, "src", &text))
		return -1;
	if (strcmp(text, "target") == 0)
		s->expect_src = TC_ADDR_TARGET;
	else if (strcmp(text, "second") == 0)
		s->expect_src = TC_ADDR_SECOND;
	else if (strcmp(text, "same") == 0)
		s->expect_src = TC_ADDR_SAME;
	else if (strcmp(text, "own") == 0)
		s->expect_src = TC_ADDR_OWN;
	else
		return cf_fail(cf, v, "src: %s is not one of the target's addresses; expected target, second, same or own",
			       cf_found(v, shown, sizeof(shown)));
	s->fields |= TC_F_EXPECT_SRC;
	return 0;
}

static int k_src(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (addr_kind(cf, v, "src", &s->src_kind))
		return -1;
	s->fields |= TC_F_SRC;
	return 0;
}

static int k_dst(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;

	if (addr_kind(cf, v, "dst", &s->dst_kind))
		return -1;
	s->fields |= TC_F_DST;
	return 0;
}

/* icmp: TYPE, code: CODE, info: N: an ICMP (IPv4) or ICMPv6 error about
 * the latest segment the target sent (RFC 792, RFC 4443); the numbers are
 * the family's own, so a case gives the IPv6 ones under `on: v6`. */
static int k_icmp(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (cf_int(cf, v, "icmp", 0, 255, &x))
		return -1;
	s->icmp_type = (uint8_t)x;
	s->fields |= TC_F_ICMP;
	return 0;
}

static int k_icmp_code(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (cf_int(cf, v, "code", 0, 255, &x))
		return -1;
	s->icmp_code = (uint8_t)x;
	s->fields |= TC_F_ICMP_CODE;
	return 0;
}

static int k_icmp_info(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_segspec *s = obj;
	int64_t x;

	if (cf_int(cf, v, "info", 0, UINT32_MAX, &x))
		return -1;
	s->icmp_info = (uint32_t)x;
	s->fields |= TC_F_ICMP_CODE;
	return 0;
}

const struct cf_key cf_send_keys[] = {
	{"flags", k_flags, false},    {"seq", k_seq, false},	    {"ack", k_ack, false},
	{"seq_abs", k_seq_abs, false}, {"ack_abs", k_ack_abs, false}, {"win", k_win, false},
	{"urp", k_urp, false},	       {"options", k_opts_send, false}, {"data", k_data, false},
	{"len", k_len, false},	       {"bad_csum", k_bad_csum, false}, {"port", k_port, false},
	{"ttl", k_ttl, false},
	{"tos", k_tos, false},	       {"ip_options", k_ip_options, false}, {"src", k_src, false},
	{"dst", k_dst, false},	       {"icmp", k_icmp, false},	    {"code", k_icmp_code, false},
	{"info", k_icmp_info, false},
};

const struct cf_key cf_expect_keys[] = {
	{"flags", k_flags, false},	{"seq", k_seq, false},	    {"ack", k_ack, false},
	{"seq_abs", k_seq_abs, false},	{"ack_abs", k_ack_abs, false}, {"win", k_win, false},
	{"win_rel", k_win_rel, false},	{"flags_any", k_flags_any, false},
	{"urp", k_urp, false},		{"options", k_opts_expect, false}, {"data", k_data, false},
	{"len", k_len, false},		{"within", k_within, false},   {"after", k_after, false},
	{"tolerance", k_tolerance, false}, {"port", k_port, false},
	{"save_seq", k_save_seq, false}, {"seq_from", k_seq_from, false},
	{"opt_bytes", k_opt_bytes, false}, {"ttl", k_ttl, false},	{"tos", k_tos, false},
	{"src", k_expect_src, false},	{"ip_options", k_ip_options_expect, false},
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

const size_t cf_nsend_keys = NKEYS(cf_send_keys);
const size_t cf_nexpect_keys = NKEYS(cf_expect_keys);

int cf_load_segspec(struct cf *cf, yaml_node_t *map, bool expect, struct tc_segspec *s)
{
	memset(s, 0, sizeof(*s));
	if (expect)
		return cf_walk_map(cf, map, "expect", cf_expect_keys, cf_nexpect_keys, s);
	return cf_walk_map(cf, map, "send", cf_send_keys, cf_nsend_keys, s);
}

/* A step being read: its kind comes from the one kind key, and `on:` is
 * read once the kind is known, whatever the order of the keys. */
struct step_read {
	struct tc_step *st;
	yaml_node_t *on;
	/* an app step's result keys, read once the kind is known */
	yaml_node_t *returns, *error, *data;
	bool has_kind;
};

/* The TCP fields an ICMP send has no use for. */
#define ICMP_NOT_TCP (TC_F_FLAGS | TC_F_SEQ | TC_F_ACK | TC_F_WIN | TC_F_URP | TC_F_OPTS | TC_F_LEN | TC_F_DATA | \
		      TC_F_BAD_CSUM | TC_F_IPOPTS | TC_F_SRC | TC_F_DST)

static int st_send(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_step *st = ((struct step_read *)obj)->st;
	struct tc_segspec *s = &st->u.seg;

	st->kind = TC_STEP_SEND;
	if (cf_load_segspec(cf, v, false, s))
		return -1;
	/* flags is required of a TCP segment; an ICMP error has none */
	if (!(s->fields & (TC_F_FLAGS | TC_F_ICMP)))
		return cf_fail(cf, v, "missing required key 'flags' in send");
	if ((s->fields & TC_F_ICMP) && (s->fields & ICMP_NOT_TCP))
		return cf_fail(cf, v,
			       "send: icmp is an ICMP error quoting the target's latest segment; it takes only code, info, ttl and tos, no TCP or address fields");
	if ((s->fields & TC_F_ICMP_CODE) && !(s->fields & TC_F_ICMP))
		return cf_fail(cf, v, "send: code and info belong to an icmp send");
	return 0;
}

static int st_expect(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_step *st = ((struct step_read *)obj)->st;

	st->kind = TC_STEP_EXPECT;
	return cf_load_segspec(cf, v, true, &st->u.seg);
}

static int st_expect_none(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_step *st = ((struct step_read *)obj)->st;

	st->kind = TC_STEP_EXPECT_NONE;
	return cf_dur(cf, v, "expect_none", &st->u.dur);
}

int cf_load_state(struct cf *cf, yaml_node_t *v, enum tc_state *out)
{
	char shown[64], names[256];
	const char *text;
	size_t o = 0;

	if (cf_string(cf, v, "state", &text))
		return -1;
	if (tc_state_parse(text, out) == 0)
		return 0;
	names[0] = '\0';
	for (int i = 0; i < TC_STATE__COUNT && o < sizeof(names); i++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
				      tc_state_name((enum tc_state)i));
	return cf_fail(cf, v, "state: unknown state %s; expected one of: %s", cf_found(v, shown, sizeof(shown)),
		       names);
}

static int st_state(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_step *st = ((struct step_read *)obj)->st;

	st->kind = TC_STEP_STATE;
	return cf_load_state(cf, v, &st->u.state);
}

static int st_app(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_step *st = ((struct step_read *)obj)->st;

	st->kind = TC_STEP_APP;
	return cf_load_app(cf, v, &st->u.app);
}

static int st_wait(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_step *st = ((struct step_read *)obj)->st;

	st->kind = TC_STEP_WAIT;
	return cf_dur(cf, v, "wait", &st->u.dur);
}

static int st_on(struct cf *cf, yaml_node_t *v, void *obj)
{
	(void)cf;
	((struct step_read *)obj)->on = v;
	return 0;
}

static int st_returns(struct cf *cf, yaml_node_t *v, void *obj)
{
	(void)cf;
	((struct step_read *)obj)->returns = v;
	return 0;
}

static int st_error(struct cf *cf, yaml_node_t *v, void *obj)
{
	(void)cf;
	((struct step_read *)obj)->error = v;
	return 0;
}

static int st_data(struct cf *cf, yaml_node_t *v, void *obj)
{
	(void)cf;
	((struct step_read *)obj)->data = v;
	return 0;
}

static const struct cf_key step_keys[] = {
	{"send", st_send, false},   {"expect", st_expect, false}, {"expect_none", st_expect_none, false},
	{"state", st_state, false}, {"app", st_app, false},	  {"wait", st_wait, false},
	{"on", st_on, false},	    {"returns", st_returns, false}, {"error", st_error, false},
	{"data", st_data, false},
};
/* The kind keys: the first six; `on` and an app step's result keys follow. */
#define NKINDS 6

static bool is_kind_key(const yaml_node_t *k)
{
	if (!k || k->type != YAML_SCALAR_NODE)
		return true;
	for (size_t i = NKINDS; i < NKEYS(step_keys); i++)
		if (k->data.scalar.length == strlen(step_keys[i].name) &&
		    memcmp(k->data.scalar.value, step_keys[i].name, k->data.scalar.length) == 0)
			return false;
	return true;
}

int cf_load_app_error(struct cf *cf, yaml_node_t *v, const char *what, int *out)
{
	char shown[64];
	const char *s;

	if (cf_string(cf, v, what, &s))
		return -1;
	if (tc_errno_parse(s, out) == 0)
		return 0;
	return cf_fail(cf, v, "%s: unknown error %s; expected one of: %s", what, cf_found(v, shown, sizeof(shown)),
		       tc_errno_names());
}

/* returns and error: what the call must give back. One or the other: a
 * call that fails returns nothing. */
int cf_load_app_expect(struct cf *cf, yaml_node_t *returns, yaml_node_t *error, struct tc_app_expect *x)
{
	if (returns && error)
		return cf_fail(cf, error, "error: give returns or error, not both (a failed call returns nothing)");
	if (returns) {
		if (cf_int(cf, returns, "returns", INT32_MIN, UINT32_MAX, &x->returns))
			return -1;
		x->fields |= TC_AX_RETURNS;
	}
	if (error) {
		if (cf_load_app_error(cf, error, "error", &x->error))
			return -1;
		x->fields |= TC_AX_ERROR;
	}
	return 0;
}

/* recv's data: the bytes it must read (the count must agree). */
static int load_recv_data(struct cf *cf, yaml_node_t *v, struct tc_app *a)
{
	const char *text;
	size_t len;

	if (a->verb != TC_APP_RECV || a->at_least)
		return cf_fail(cf, v, "data: only recv N takes data (the bytes it must read)");
	if (a->len)
		return cf_fail(cf, v, "data: recv \"text\" gives the bytes already");
	if (cf_scalar(cf, v, "data", &text, &len))
		return -1;
	if (len == 0 || len > SEG_MAX_PAYLOAD)
		return cf_fail(cf, v, "data: %zu bytes; give 1..%d", len, SEG_MAX_PAYLOAD);
	if (len != a->n)
		return cf_fail(cf, v, "data: %zu bytes, but recv reads %u", len, (unsigned)a->n);
	memcpy(a->data, text, len);
	a->len = (uint16_t)len;
	return 0;
}

static int load_app_results(struct cf *cf, struct step_read *rd)
{
	struct tc_step *st = rd->st;
	yaml_node_t *first = rd->returns ? rd->returns : rd->error ? rd->error : rd->data;

	if (!first)
		return 0;
	if (st->kind != TC_STEP_APP)
		return cf_fail(cf, first, "returns, error and data (beside the step's kind) belong to app steps only");
	if (cf_load_app_expect(cf, rd->returns, rd->error, &st->u.app.x))
		return -1;
	return rd->data ? load_recv_data(cf, rd->data, &st->u.app) : 0;
}

static int load_step(struct cf *cf, yaml_node_t *n, struct tc_step *st)
{
	char shown[64], shown1[64], list[128];
	struct step_read rd = {.st = st};
	yaml_node_t *first = NULL;
	size_t kinds = 0;

	cf_key_list(step_keys, NKINDS, list, sizeof(list));
	if (n->type != YAML_MAPPING_NODE)
		return cf_fail(cf, n, "step: expected a mapping with one of: %s; found %s", list,
			       cf_found(n, shown, sizeof(shown)));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cf_node(cf, p->key);
		if (!is_kind_key(k))
			continue;
		if (kinds++ == 1 && first && k)
			return cf_fail(cf, k, "a step has exactly one of: %s; %s follows %s", list,
				       cf_found(k, shown, sizeof(shown)),
				       cf_found(first, shown1, sizeof(shown1)));
		first = k;
	}
	if (kinds == 0)
		return cf_fail(cf, n, "%s; expected one of: %s",
			       cf_len(n) ? "a step with only 'on' (or an app step's results)" : "empty step", list);
	if (cf_walk_map(cf, n, "a step", step_keys, NKEYS(step_keys), &rd))
		return -1;
	if (load_app_results(cf, &rd))
		return -1;
	return rd.on ? cf_load_overrides(cf, rd.on, st) : 0;
}

/* The `use` key of a step, or NULL when the step is not a `- use: NAME`. */
static yaml_node_t *use_key(struct cf *cf, yaml_node_t *item)
{
	if (item->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cf_node(cf, p->key);

		if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, "use") == 0)
			return k;
	}
	return NULL;
}

/* Room for one more step; the array grows as prologues expand. */
static struct tc_step *next_step(struct cf *cf, struct tc_case *c, size_t *cap)
{
	if ((size_t)c->nsteps == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct tc_step *p = realloc(c->steps, ncap * sizeof(*p));

		if (!p) {
			tc_err_set(cf->err, TC_ERR_NOMEM, "%s: no memory for %zu steps", cf->name, ncap);
			return NULL;
		}
		memset(p + *cap, 0, (ncap - *cap) * sizeof(*p));
		c->steps = p;
		*cap = ncap;
	}
	if (c->nsteps >= CF_MAX_STEPS) {
		tc_err_set(cf->err, TC_ERR_CASE, "%s: more than %d steps (prologues included)", cf->name, CF_MAX_STEPS);
		return NULL;
	}
	return &c->steps[c->nsteps];
}

/* A step loaded into the next slot, located at loc; counted on success. */
static int add_step(struct cf *cf, yaml_node_t *node, struct tc_loc loc, struct tc_case *c, size_t *cap)
{
	struct tc_step *st = next_step(cf, c, cap);

	if (!st)
		return -1;
	memset(st, 0, sizeof(*st));
	st->loc = loc;
	if (load_step(cf, node, st)) {
		/* casefile_free sees only the steps counted so far */
		free(st->ovr);
		st->ovr = NULL;
		return -1;
	}
	c->nsteps++;
	return 0;
}

/* `- use: NAME`: the prologue's steps, each located at the use line. */
static int add_prologue(struct cf *cf, yaml_node_t *item, yaml_node_t *key, struct tc_case *c, size_t *cap)
{
	struct tc_loc loc = {(int)item->start_mark.line + 1, (int)item->start_mark.column + 1};
	yaml_node_t *v = NULL;
	char names[128], shown[64];
	const char *name, *text;
	yaml_parser_t p;
	yaml_document_t doc;
	int rc = 0;

	if (cf_len(item) != 1)
		return cf_fail(cf, key, "use: a step that uses a prologue has no other keys");
	v = cf_node(cf, item->data.mapping.pairs.start->value);
	if (!v || cf_string(cf, v, "use", &name))
		return v ? -1 : cf_fail(cf, key, "use: malformed step");
	cf_prologue_names(names, sizeof(names));
	text = cf_prologue_steps(name);
	if (!text)
		return cf_fail(cf, v, "use: %s is not a prologue (%s)", cf_found(v, shown, sizeof(shown)), names);
	if (!yaml_parser_initialize(&p))
		return tc_err_set(cf->err, TC_ERR_NOMEM, "%s: out of memory reading YAML", cf->name);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&p, &doc)) {
		yaml_parser_delete(&p);
		return tc_err_set(cf->err, TC_ERR_CASE, "prologue %s does not parse (a bug of tcpconform)", name);
	}
	/* the prologue's own nodes: its errors (a bug of ours) name it */
	struct cf sub = {.name = "prologue", .err = cf->err, .doc = &doc};
	yaml_node_t *root = yaml_document_get_root_node(&doc);

	for (size_t i = 0; root && root->type == YAML_SEQUENCE_NODE && i < cf_len(root) && rc == 0; i++) {
		yaml_node_t *node = cf_node(&sub, root->data.sequence.items.start[i]);

		rc = node ? add_step(&sub, node, loc, c, cap) : -1;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return rc;
}

int cf_load_steps(struct cf *cf, yaml_node_t *seq, struct tc_case *c)
{
	size_t n, cap = 0;

	if (cf_want(cf, seq, YAML_SEQUENCE_NODE, "steps"))
		return -1;
	n = cf_len(seq);
	if (n == 0)
		return cf_fail(cf, seq, "steps: expected at least one step");
	if (n > CF_MAX_STEPS)
		return cf_fail(cf, seq, "steps: %zu steps, more than %d", n, CF_MAX_STEPS);
	c->nsteps = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = cf_node(cf, seq->data.sequence.items.start[i]);
		yaml_node_t *use;

		if (!item)
			return cf_fail(cf, seq, "steps: malformed list");
		use = use_key(cf, item);
		if (use ? add_prologue(cf, item, use, c, &cap)
			: add_step(cf, item, (struct tc_loc){(int)item->start_mark.line + 1, (int)item->start_mark.column + 1},
				   c, &cap))
			return -1;
	}
	return 0;
}

/* Every seq_from (the step's and its overrides') names a save_seq of an
 * earlier expect, and no name is saved twice. */
int cf_check_seq_names(struct cf *cf, const struct tc_case *c)
{
	char saved[TC_MAX_SAVED_SEQ][TC_SEQNAME_MAX];
	int nsaved = 0;

	for (int i = 0; i < c->nsteps; i++) {
		const struct tc_step *st = &c->steps[i];
		const struct tc_segspec *specs[1 + 16];
		int nspecs = 0;
		bool known;

		if (st->kind != TC_STEP_EXPECT)
			continue;
		specs[nspecs++] = &st->u.seg;
		for (int k = 0; k < st->novr && nspecs < 17; k++)
			if (!st->ovr[k].skip)
				specs[nspecs++] = &st->ovr[k].u.seg;
		for (int k = 0; k < nspecs; k++) {
			if (!(specs[k]->fields & TC_F_SEQ_FROM))
				continue;
			known = false;
			for (int j = 0; j < nsaved; j++)
				known = known || strcmp(saved[j], specs[k]->seq_from.of) == 0;
			if (!known)
				return cf_fail_at(cf, st->loc.line, st->loc.col,
						  "seq_from: no earlier expect saves '%s' (save_seq: %s)",
						  specs[k]->seq_from.of, specs[k]->seq_from.of);
		}
		if (!(st->u.seg.fields & TC_F_SAVE_SEQ))
			continue;
		for (int j = 0; j < nsaved; j++)
			if (strcmp(saved[j], st->u.seg.save_seq) == 0)
				return cf_fail_at(cf, st->loc.line, st->loc.col, "save_seq: '%s' is saved twice",
						  st->u.seg.save_seq);
		if (nsaved == TC_MAX_SAVED_SEQ)
			return cf_fail_at(cf, st->loc.line, st->loc.col, "save_seq: at most %d names in a case",
					  TC_MAX_SAVED_SEQ);
		memcpy(saved[nsaved++], st->u.seg.save_seq, TC_SEQNAME_MAX);
	}
	return 0;
}
