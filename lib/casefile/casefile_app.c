/* Application actions: one string per step, "VERB ARGS", as a person
 * would say it ("listen 8080", "send 100", "send \"GET /\"", "close",
 * "setsockopt TCP_NODELAY 1", "poll readable within 200ms"). */
#include "casefile_int.h"

#include <stdio.h>
#include <string.h>

#define VERB_LIST                                                                               \
	"listen [PORT|any], connect [multicast|broadcast|from second|from any], connect-result, accept, send N|\"text\", send_urgent N|\"text\", "   \
	"recv N|\"text\", recv_atleast N, shutdown [wr|rd|rdwr], close, abort, close-listener, "        \
	"setsockopt NAME VALUE|\"hex\", getsockopt NAME, poll readable|writable|urgent|atmark [none] [within DURATION]"

enum app_arg {
	ARG_NONE,
	ARG_PORT, /* optional; or `any` */
	ARG_FROM, /* optional `from second` */
	ARG_SEND, /* a count or "text" */
	ARG_RECV, /* a count or "text" */
	ARG_COUNT, /* a count */
	ARG_SHUT, /* optional wr, rd, rdwr */
	ARG_SETOPT, /* NAME VALUE */
	ARG_GETOPT, /* NAME */
	ARG_POLL, /* readable|writable|urgent|atmark [none] [within DURATION] */
	ARG_CONNECT, /* optional multicast, broadcast */
};

static const struct {
	const char *name;
	enum tc_app_verb verb;
	enum app_arg arg;
} verbs[] = {
	{"listen", TC_APP_LISTEN, ARG_PORT},
	{"connect", TC_APP_CONNECT, ARG_CONNECT},
	{"accept", TC_APP_ACCEPT, ARG_NONE},
	{"send", TC_APP_SEND, ARG_SEND},
	{"send_urgent", TC_APP_SEND, ARG_SEND},
	{"recv", TC_APP_RECV, ARG_RECV},
	{"recv_atleast", TC_APP_RECV, ARG_COUNT},
	{"shutdown", TC_APP_SHUTDOWN, ARG_SHUT},
	{"close", TC_APP_CLOSE, ARG_NONE},
	{"abort", TC_APP_ABORT, ARG_NONE},
	{"close-listener", TC_APP_CLOSE_LISTENER, ARG_NONE},
	{"connect-result", TC_APP_CONNECT_RESULT, ARG_NONE},
	{"setsockopt", TC_APP_SETSOCKOPT, ARG_SETOPT},
	{"getsockopt", TC_APP_GETSOCKOPT, ARG_GETOPT},
	{"poll", TC_APP_POLL, ARG_POLL},
};

struct appctx {
	struct cf *cf;
	const yaml_node_t *node;
	char shown[64];
};

static int bad(struct appctx *a, const char *why)
{
	return cf_fail(a->cf, a->node, "app: %s: %s; verbs: " VERB_LIST, a->shown, why);
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* The argument as one integer; trailing blanks (possible in a quoted YAML
 * string) are not part of it. */
static int arg_int(const char *p, int64_t min, int64_t max, int64_t *out)
{
	char buf[32];
	size_t len = strlen(p);

	while (len > 0 && is_space(p[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return cf_parse_int(buf, min, max, out) == CF_INT_OK ? 0 : -1;
}

/* One escape after a backslash; returns the bytes consumed or -1. */
static int unescape(const char *p, uint8_t *out)
{
	static const char from[] = "\\\"nrt0", to[] = "\\\"\n\r\t";
	const char *hit = *p ? strchr(from, *p) : NULL;

	if (hit) {
		*out = (uint8_t)to[hit - from]; /* "0" maps onto the final NUL of to[] */
		return 1;
	}
	if (*p == 'x' && tc_hexval(p[1]) >= 0 && tc_hexval(p[2]) >= 0) {
		*out = (uint8_t)(tc_hexval(p[1]) * 16 + tc_hexval(p[2]));
		return 3;
	}
	return -1;
}

/* "text" with C-like escapes, so payloads may hold any byte. */
static int parse_text(struct appctx *a, const char *p, struct tc_app *app)
{
	size_t n = 0;

	for (p++; *p != '"'; p++) {
		uint8_t byte = (uint8_t)*p;
		int used = 0;

		if (*p == '\0')
			return bad(a, "the text has no closing quote");
		if (*p == '\\') {
			used = unescape(p + 1, &byte);
			if (used < 0)
				return bad(a, "unknown escape in the text (use \\\\ \\\" \\n \\r \\t \\0 \\xHH)");
		}
		if (n == SEG_MAX_PAYLOAD)
			return bad(a, "the text is longer than 2048 bytes");
		app->data[n++] = byte;
		p += used;
	}
	if (*skip_space(p + 1) != '\0')
		return bad(a, "unexpected words after the closing quote");
	if (n == 0)
		return bad(a, "the text is empty");
	app->len = (uint16_t)n;
	app->n = (uint32_t)n;
	return 0;
}

/* The next blank-separated word of p into buf; returns what follows it. */
static const char *next_word(const char *p, char *buf, size_t cap)
{
	size_t n = 0;

	p = skip_space(p);
	while (*p && !is_space(*p)) {
		if (n + 1 < cap)
			buf[n++] = *p;
		p++;
	}
	buf[n] = '\0';
	return skip_space(p);
}

static bool word_is(const char *w, const char *want)
{
	return strcmp(w, want) == 0;
}

/* A bytes option's value: "hex", two digits a byte, blanks between
 * allowed, as ip_options writes them; "" clears the option. */
static int parse_opt_bytes(struct appctx *a, const char *p, struct tc_app *app)
{
	const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
	char why[160];
	size_t n = 0;
	int rc;

	snprintf(why, sizeof(why), "setsockopt %s takes its bytes in hex within quotes (\"83 07 04 c0 00 02 02\")",
		 tc_sockopt_name(app->opt));
	if (!end || *skip_space(end + 1) != '\0')
		return bad(a, why);
	rc = tc_hex_bytes(p + 1, (size_t)(end - p - 1), app->data, TC_SOCKOPT_BYTES_MAX, &n);
	if (rc == -2)
		snprintf(why, sizeof(why), "setsockopt %s: more than %d bytes", tc_sockopt_name(app->opt),
			 TC_SOCKOPT_BYTES_MAX);
	if (rc < 0)
		return bad(a, why);
	app->len = (uint16_t)n;
	return 0;
}

static int parse_sockopt(struct appctx *a, const char *p, bool with_value, struct tc_app *app)
{
	char name[32], list[512];
	size_t o = 0;

	p = next_word(p, name, sizeof(name));
	if (tc_sockopt_parse(name, &app->opt) != 0) {
		for (int i = 0; i < TC_SO__COUNT && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
					      tc_sockopt_name((enum tc_sockopt)i));
		return cf_fail(a->cf, a->node, "app: %s: unknown socket option '%s'; expected one of: %s", a->shown,
			       name, list);
	}
	if (!with_value && tc_sockopt_bytes(app->opt))
		return bad(a, "getsockopt reads integer options only; this one's value is bytes");
	if (!with_value)
		return *p ? bad(a, "getsockopt takes only the option's name") : 0;
	if (tc_sockopt_bytes(app->opt))
		return parse_opt_bytes(a, p, app);
	if (arg_int(p, -1, INT32_MAX, &app->optval))
		return bad(a, "setsockopt takes NAME VALUE, VALUE an integer -1..2147483647");
	return 0;
}

static int parse_poll(struct appctx *a, const char *p, struct tc_app *app)
{
	char w[32];
	const char *why;

	p = next_word(p, w, sizeof(w));
	if (word_is(w, "readable"))
		app->poll = TC_POLL_READABLE;
	else if (word_is(w, "writable"))
		app->poll = TC_POLL_WRITABLE;
	else if (word_is(w, "urgent"))
		app->poll = TC_POLL_URGENT;
	else if (word_is(w, "atmark"))
		app->poll = TC_POLL_ATMARK;
	else
		return bad(a, "poll takes readable, writable, urgent or atmark");
	p = next_word(p, w, sizeof(w));
	if (word_is(w, "none")) {
		app->poll_none = true;
		p = next_word(p, w, sizeof(w));
	}
	if (word_is(w, "within")) {
		p = next_word(p, w, sizeof(w));
		if (cf_parse_dur(w, &app->within, &why) != 0)
			return cf_fail(a->cf, a->node, "app: %s: within: %s", a->shown, why);
		app->has_within = true;
		p = next_word(p, w, sizeof(w));
	}
	if (w[0] || *p)
		return bad(a, "poll takes readable|writable|urgent|atmark [none] [within DURATION]");
	return 0;
}

static int parse_arg(struct appctx *a, enum app_arg arg, const char *p, struct tc_app *app)
{
	int64_t v;

	switch (arg) {
	case ARG_NONE:
		return *p ? bad(a, "this verb takes no argument") : 0;
	case ARG_FROM:
	connect_from:
		/* 9293 3.9.1.1 (MUST-43): OPEN's optional local address */
		if (*p == '\0')
			return 0;
		if (strncmp(p, "from", 4) == 0 && is_space(p[4])) {
			const char *w = skip_space(p + 4);

			if (strncmp(w, "second", 6) == 0 && *skip_space(w + 6) == '\0') {
				app->local = TC_LOCAL_SECOND;
				return 0;
			}
			/* no local address: IP chooses one (MUST-44) */
			if (strncmp(w, "any", 3) == 0 && *skip_space(w + 3) == '\0') {
				app->local = TC_LOCAL_ANY;
				return 0;
			}
		}
		return bad(a, "connect takes nothing (the peer), multicast, broadcast, `from second` (the target's second address) or `from any` (no local address: IP chooses)");
	case ARG_PORT:
		if (*p == '\0')
			return 0;
		/* listen [PORT] any: on no address in particular (9293 3.9.1.1) */
		if (strncmp(p, "any", 3) == 0 && *skip_space(p + 3) == '\0') {
			app->local = TC_LOCAL_ANY;
			return 0;
		}
		if (arg_int(p, 1, 65535, &v))
			return bad(a, "PORT must be an integer in 1..65535");
		app->port = (uint16_t)v;
		return 0;
	case ARG_SEND:
		if (*p == '"')
			return parse_text(a, p, app);
		if (arg_int(p, 1, TC_APP_SEND_MAX, &v))
			return bad(a, "send takes a byte count 1..1048576 or \"text\"");
		app->n = (uint32_t)v;
		return 0;
	case ARG_RECV:
		if (*p == '"')
			return parse_text(a, p, app);
		/* fall through */
	case ARG_COUNT:
		if (arg_int(p, 0, UINT32_MAX, &v))
			return bad(a, "recv takes a byte count 0..4294967295 (or \"text\"; recv_atleast a count)");
		app->n = (uint32_t)v;
		return 0;
	case ARG_SHUT: {
		char w[16];

		p = next_word(p, w, sizeof(w));
		if (*p || !(w[0] == '\0' || word_is(w, "wr") || word_is(w, "rd") || word_is(w, "rdwr")))
			return bad(a, "shutdown takes wr, rd or rdwr (nothing: wr)");
		app->shut = word_is(w, "rd") ? TC_SHUT_RD : word_is(w, "rdwr") ? TC_SHUT_RDWR : TC_SHUT_WR;
		return 0;
	}
	case ARG_SETOPT:
		return parse_sockopt(a, p, true, app);
	case ARG_GETOPT:
		return parse_sockopt(a, p, false, app);
	case ARG_POLL:
		return parse_poll(a, p, app);
	case ARG_CONNECT: {
		char w[16];

		if (strncmp(p, "from", 4) == 0 && is_space(p[4]))
			goto connect_from;
		p = next_word(p, w, sizeof(w));
		if (*p || !(w[0] == '\0' || word_is(w, "multicast") || word_is(w, "broadcast")))
			return bad(a, "connect takes nothing (the peer), multicast, broadcast, `from second` (the target's second address) or `from any` (no local address: IP chooses)");
		app->connect_to = word_is(w, "multicast")   ? TC_CONNECT_MULTICAST
				  : word_is(w, "broadcast") ? TC_CONNECT_BROADCAST
							    : TC_CONNECT_PEER;
		return 0;
	}
	}
	return bad(a, "internal: unknown argument kind");
}

int cf_load_app(struct cf *cf, yaml_node_t *n, struct tc_app *app)
{
	struct appctx a = {.cf = cf, .node = n};
	const char *s, *p, *end;
	size_t len;

	if (cf_string(cf, n, "app", &s))
		return -1;
	cf_found(n, a.shown, sizeof(a.shown));
	memset(app, 0, sizeof(*app));
	p = skip_space(s);
	for (end = p; *end && !is_space(*end); end++)
		;
	len = (size_t)(end - p);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].name) == len && memcmp(verbs[i].name, p, len) == 0) {
			app->verb = verbs[i].verb;
			app->urgent = strcmp(verbs[i].name, "send_urgent") == 0;
			app->at_least = strcmp(verbs[i].name, "recv_atleast") == 0;
			return parse_arg(&a, verbs[i].arg, skip_space(end), app);
		}
	}
	return cf_fail(cf, n, "app: unknown verb %s; expected one of: " VERB_LIST, a.shown);
}
