/* Reading single YAML nodes into C values, and walking a mapping against a
 * table of its keys. Each reader reports the first problem with the node's
 * position, so callers only propagate -1. */
#include "casefile_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail_va(struct cf *cf, int line, int col, const char *fmt, va_list ap)
{
	char msg[TC_ERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return tc_err_set(cf->err, TC_ERR_CASE, "%s:%d:%d: %s", cf->name, line, col, msg);
}

int cf_fail_at(struct cf *cf, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_va(cf, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

int cf_fail(struct cf *cf, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* libyaml counts from 0; editors and compilers count from 1. */
	fail_va(cf, (int)at->start_mark.line + 1, (int)at->start_mark.column + 1, fmt, ap);
	va_end(ap);
	return -1;
}

yaml_node_t *cf_node(struct cf *cf, int index)
{
	return yaml_document_get_node(cf->doc, index);
}

size_t cf_len(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (n->type == YAML_MAPPING_NODE)
		return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	return 0;
}

/* YAML's spellings of null; only unquoted, since "~" in quotes is text. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	if (strlen(v) != n->data.scalar.length)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(v, nulls[i]) == 0)
			return true;
	return false;
}

/* Quoted and cut short so that a megabyte of garbage stays one readable
 * line; control bytes become '?' so a message never moves the cursor. */
static const char *quote(const yaml_node_t *n, char *buf, size_t cap)
{
	const unsigned char *v = n->data.scalar.value;
	size_t len = n->data.scalar.length, max = 40, o = 0;
	bool cut = len > max;

	if (cut) {
		len = max;
		/* Back off to a UTF-8 boundary: never print half a character. */
		while (len > 0 && (v[len] & 0xc0) == 0x80)
			len--;
	}
	if (cap < 8)
		return "";
	buf[o++] = '\'';
	for (size_t i = 0; i < len && o + 5 < cap; i++)
		buf[o++] = (v[i] < 0x20 || v[i] == 0x7f) ? '?' : (char)v[i];
	if (cut && o + 5 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

const char *cf_found(const yaml_node_t *n, char *buf, size_t cap)
{
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SCALAR_NODE:
		return is_null(n) ? "nothing" : quote(n, buf, cap);
	case YAML_NO_NODE:
		break;
	}
	return "nothing";
}

int cf_want(struct cf *cf, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	char shown[64];
	const char *want = type == YAML_MAPPING_NODE	? "a mapping"
			   : type == YAML_SEQUENCE_NODE ? "a list"
							: "a single value";

	if (n->type == type && !(type == YAML_SCALAR_NODE && is_null(n)))
		return 0;
	return cf_fail(cf, n, "%s: expected %s, found %s", what, want, cf_found(n, shown, sizeof(shown)));
}

int cf_scalar(struct cf *cf, const yaml_node_t *n, const char *what, const char **s, size_t *len)
{
	if (cf_want(cf, n, YAML_SCALAR_NODE, what))
		return -1;
	*s = (const char *)n->data.scalar.value;
	*len = n->data.scalar.length;
	return 0;
}

int cf_string(struct cf *cf, const yaml_node_t *n, const char *what, const char **s)
{
	size_t len;

	if (cf_scalar(cf, n, what, s, &len))
		return -1;
	/* A "\0" escape would silently cut the C string short. */
	if (strlen(*s) != len)
		return cf_fail(cf, n, "%s: contains a NUL character", what);
	return 0;
}

int cf_text(struct cf *cf, const yaml_node_t *n, const char *what, char *dst, size_t cap)
{
	const char *s;
	size_t len;

	if (cf_string(cf, n, what, &s))
		return -1;
	len = strlen(s);
	if (len == 0)
		return cf_fail(cf, n, "%s: must not be empty", what);
	if (len >= cap)
		return cf_fail(cf, n, "%s: longer than %zu characters", what, cap - 1);
	memcpy(dst, s, len + 1);
	return 0;
}

static int digit_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

enum cf_int_res cf_parse_int(const char *t, int64_t min, int64_t max, int64_t *out)
{
	bool neg = false, big = false;
	uint64_t v = 0;
	unsigned base = 10;
	int64_t value;

	if (*t == '-') {
		neg = true;
		t++;
	}
	if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
		base = 16;
		t += 2;
	}
	if (*t == '\0')
		return CF_INT_SYNTAX;
	/* Keep scanning past an overflow: "99999999999999999999x" is a
	 * syntax error, not a range error. */
	for (; *t; t++) {
		int d = digit_value(*t);

		if (d < 0 || (unsigned)d >= base)
			return CF_INT_SYNTAX;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			big = true;
		else
			v = v * base + (unsigned)d;
	}
	if (big || v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return CF_INT_RANGE;
	if (neg)
		value = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
	else
		value = (int64_t)v;
	if (value < min || value > max)
		return CF_INT_RANGE;
	*out = value;
	return CF_INT_OK;
}

int cf_int(struct cf *cf, const yaml_node_t *n, const char *what, int64_t min, int64_t max,
	   int64_t *out)
{
	char shown[64];
	const char *s;

	if (cf_string(cf, n, what, &s))
		return -1;
	switch (cf_parse_int(s, min, max, out)) {
	case CF_INT_OK:
		return 0;
	case CF_INT_SYNTAX:
		return cf_fail(cf, n, "%s: expected an integer in %" PRId64 "..%" PRId64 ", found %s", what,
			       min, max, cf_found(n, shown, sizeof(shown)));
	case CF_INT_RANGE:
		break;
	}
	return cf_fail(cf, n, "%s: %s is out of range %" PRId64 "..%" PRId64, what,
		       cf_found(n, shown, sizeof(shown)), min, max);
}

int cf_bool(struct cf *cf, const yaml_node_t *n, const char *what, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};
	char shown[64];
	const char *s;

	if (cf_string(cf, n, what, &s))
		return -1;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
			*out = strcmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return cf_fail(cf, n, "%s: expected true or false, found %s", what,
		       cf_found(n, shown, sizeof(shown)));
}

int cf_dur(struct cf *cf, const yaml_node_t *n, const char *what, struct tc_dur *out)
{
	char shown[64];
	const char *s, *why = NULL;

	if (cf_string(cf, n, what, &s))
		return -1;
	if (cf_parse_dur(s, out, &why) == 0)
		return 0;
	return cf_fail(cf, n, "%s: %s: %s", what, cf_found(n, shown, sizeof(shown)), why);
}

const char *cf_key_list(const struct cf_key *keys, size_t nkeys, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nkeys && o < cap; i++) {
		int w = snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", keys[i].name);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	return buf;
}

static size_t find_key(const yaml_node_t *k, const struct cf_key *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++) {
		size_t len = strlen(keys[i].name);

		/* Length first: a key with a "\0" escape must not match. */
		if (k->data.scalar.length == len && memcmp(k->data.scalar.value, keys[i].name, len) == 0)
			return i;
	}
	return nkeys;
}

int cf_walk_map(struct cf *cf, yaml_node_t *map, const char *where, const struct cf_key *keys,
		size_t nkeys, void *obj)
{
	char shown[64], list[512];
	uint64_t seen = 0;

	if (cf_want(cf, map, YAML_MAPPING_NODE, where))
		return -1;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cf_node(cf, p->key), *v = cf_node(cf, p->value);
		size_t i;

		if (!k || !v)
			return cf_fail(cf, map, "%s: malformed mapping", where);
		if (k->type != YAML_SCALAR_NODE)
			return cf_fail(cf, k, "%s: expected a key name, found %s", where,
				       cf_found(k, shown, sizeof(shown)));
		i = find_key(k, keys, nkeys);
		if (i == nkeys)
			return cf_fail(cf, k, "unknown key %s in %s; expected one of: %s",
				       cf_found(k, shown, sizeof(shown)), where,
				       cf_key_list(keys, nkeys, list, sizeof(list)));
		if (seen & (UINT64_C(1) << i))
			return cf_fail(cf, k, "duplicate key '%s' in %s", keys[i].name, where);
		seen |= UINT64_C(1) << i;
		if (keys[i].fn(cf, v, obj))
			return -1;
	}
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].required && !(seen & (UINT64_C(1) << i)))
			return cf_fail(cf, map, "missing required key '%s' in %s", keys[i].name, where);
	return 0;
}
