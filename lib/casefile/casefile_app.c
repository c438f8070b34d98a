/* Application actions: one string per step, "VERB ARGS", as a person
 * would say it ("listen 8080", "send 100", "send \"GET /\"", "close"). */
#include "casefile_int.h"

#include <string.h>

#define VERB_LIST                                                                      \
	"listen [PORT], connect, accept, send N, send \"text\", recv N, shutdown, close, " \
	"abort, close-listener"

enum app_arg {
	ARG_NONE,
	ARG_PORT, /* optional */
	ARG_SEND, /* a count or "text" */
	ARG_COUNT,
};

static const struct {
	const char *name;
	enum tc_app_verb verb;
	enum app_arg arg;
} verbs[] = {
	{"listen", TC_APP_LISTEN, ARG_PORT},
	{"connect", TC_APP_CONNECT, ARG_NONE},
	{"accept", TC_APP_ACCEPT, ARG_NONE},
	{"send", TC_APP_SEND, ARG_SEND},
	{"recv", TC_APP_RECV, ARG_COUNT},
	{"shutdown", TC_APP_SHUTDOWN, ARG_NONE},
	{"close", TC_APP_CLOSE, ARG_NONE},
	{"abort", TC_APP_ABORT, ARG_NONE},
	{"close-listener", TC_APP_CLOSE_LISTENER, ARG_NONE},
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

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
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
	if (*p == 'x' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
		*out = (uint8_t)(hexval(p[1]) * 16 + hexval(p[2]));
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

static int parse_arg(struct appctx *a, enum app_arg arg, const char *p, struct tc_app *app)
{
	int64_t v;

	switch (arg) {
	case ARG_NONE:
		return *p ? bad(a, "this verb takes no argument") : 0;
	case ARG_PORT:
		if (*p == '\0')
			return 0;
		if (arg_int(p, 1, 65535, &v))
			return bad(a, "PORT must be an integer in 1..65535");
		app->port = (uint16_t)v;
		return 0;
	case ARG_SEND:
		if (*p == '"')
			return parse_text(a, p, app);
		if (arg_int(p, 1, SEG_MAX_PAYLOAD, &v))
			return bad(a, "send takes a byte count 1..2048 or \"text\"");
		app->n = (uint32_t)v;
		return 0;
	case ARG_COUNT:
		if (arg_int(p, 0, UINT32_MAX, &v))
			return bad(a, "recv takes a byte count 0..4294967295");
		app->n = (uint32_t)v;
		return 0;
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
			return parse_arg(&a, verbs[i].arg, skip_space(end), app);
		}
	}
	return cf_fail(cf, n, "app: unknown verb %s; expected one of: " VERB_LIST, a.shown);
}
