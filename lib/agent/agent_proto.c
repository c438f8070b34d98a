/* The agent protocol's codec. See agent_proto.h and docs/agent-protocol.md. */
#include "agent_proto.h"
#include "../case/tc_errno.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const errclass_names[] = {
#define AGENT_ERR_NAME(e, s) s,
	AGENT_ERR_LIST(AGENT_ERR_NAME)
#undef AGENT_ERR_NAME
};

const char *agent_errclass_name(enum agent_errclass e)
{
	return (unsigned)e < AGENT_ERR__COUNT ? errclass_names[e] : "INTERNAL";
}

/* ---- writing lines ---- */

struct line {
	char *buf;
	size_t cap, len;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= l->cap - l->len) {
		l->overflow = true;
		return;
	}
	l->len += (size_t)n;
}

/* The newline, and the length; the line must leave room for it within
 * AGENT_LINE_MAX too, or the other side would refuse it. */
static int finish(struct line *l, struct tc_err *err)
{
	put(l, "\n");
	if (l->overflow || l->len > AGENT_LINE_MAX)
		return tc_err_set(err, TC_ERR_USAGE, "agent protocol: the line would be longer than %d bytes",
				  AGENT_LINE_MAX);
	return (int)l->len;
}

static void put_hex(struct line *l, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(l, "%02x", b[i]);
}

int agent_fmt_hello(char *buf, size_t cap, const uint8_t *token, size_t token_len, struct tc_err *err)
{
	struct line l = {buf, cap, 0, false};

	put(&l, "HELLO %d ", AGENT_PROTO_VERSION);
	put_hex(&l, token, token_len);
	return finish(&l, err);
}

/* The case config on the wire: every duration in microseconds. */
static void put_conf(struct line *l, const struct tc_case_conf *cc, const struct tc_profile *prof)
{
	static const struct tc_profile zero;

	if (!prof)
		prof = &zero;
	if (cc->fields & TC_C_MSL)
		put(l, " msl=%" PRIu64, tc_dur_us(&cc->msl, prof));
	if (cc->fields & TC_C_RTO)
		put(l, " rto=%" PRIu64, tc_dur_us(&cc->rto, prof));
	if (cc->fields & TC_C_RTO_MIN)
		put(l, " rto_min=%" PRIu64, tc_dur_us(&cc->rto_min, prof));
	if (cc->fields & TC_C_RTO_MAX)
		put(l, " rto_max=%" PRIu64, tc_dur_us(&cc->rto_max, prof));
	if (cc->fields & TC_C_DELACK)
		put(l, " delack=%" PRIu64, tc_dur_us(&cc->delack, prof));
	if (cc->fields & TC_C_WINDOW)
		put(l, " window=%" PRIu32, cc->window);
	if (cc->fields & TC_C_MSS)
		put(l, " mss=%u", (unsigned)cc->mss);
	if (cc->fields & TC_C_ISS)
		put(l, " iss=%" PRIu32, cc->iss);
	if (cc->fields & TC_C_SYN_RETRIES)
		put(l, " syn_retries=%" PRIu32, cc->syn_retries);
	if (cc->fields & TC_C_RETRIES)
		put(l, " retries=%" PRIu32, cc->retries);
	if (cc->fields & TC_C_ISS_RFC6528)
		put(l, " iss_rfc6528=1");
	if (cc->fields & TC_C_RFC1337)
		put(l, " rfc1337=%d", cc->rfc1337 ? 1 : 0);
	if (cc->fields & TC_C_CHALLENGE_ACK_LIMIT)
		put(l, " challenge_ack_limit=%" PRIu32, cc->challenge_ack_limit);
	if (cc->fields & TC_C_TIME_WAIT_REOPEN)
		put(l, " time_wait_reopen=%d", cc->time_wait_reopen ? 1 : 0);
	/* version 2 */
	if (cc->fields & TC_C_NAGLE)
		put(l, " nagle=%s", cc->nagle ? "on" : "off");
	if (cc->fields & TC_C_DELAYED_ACK)
		put(l, " delayed_ack=%s", cc->delayed_ack ? "on" : "off");
	if (cc->fields & TC_C_KEEPALIVE) {
		if (cc->keepalive_mode == TC_KEEPALIVE_AFTER)
			put(l, " keepalive=%" PRIu64, tc_dur_us(&cc->keepalive, prof));
		else
			put(l, " keepalive=%s", cc->keepalive_mode == TC_KEEPALIVE_DEFAULT ? "on" : "off");
	}
}

int agent_fmt_case_begin(char *buf, size_t cap, const struct agent_case *c, const struct tc_profile *prof,
			 struct tc_err *err)
{
	struct line l = {buf, cap, 0, false};
	char a[64];

	if (c->family != 4 && c->family != 6)
		return tc_err_set(err, TC_ERR_USAGE, "agent: CASE-BEGIN: family %d (want 4 or 6)", c->family);
	if (c->peer.family != c->family || (c->has_local && c->local.family != c->family))
		return tc_err_set(err, TC_ERR_USAGE, "agent: CASE-BEGIN: the addresses are not IPv%d", c->family);
	put(&l, "CASE-BEGIN %d %u %s %u", c->family, (unsigned)c->local_port, seg_addr_format(&c->peer, a, sizeof(a)),
	    (unsigned)c->peer_port);
	if (c->has_local)
		put(&l, " local=%s", seg_addr_format(&c->local, a, sizeof(a)));
	if (c->profile != TC_SP_UNSET)
		put(&l, " profile=%s", tc_stack_profile_name(c->profile));
	put_conf(&l, &c->conf, prof);
	return finish(&l, err);
}

/* Text as the case writes it: printable ASCII as is, '"' and '\' and every
 * other byte as \xHH. */
static void put_quoted(struct line *l, const uint8_t *b, size_t n)
{
	put(l, "\"");
	for (size_t i = 0; i < n; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\')
			put(l, "%c", b[i]);
		else
			put(l, "\\x%02x", b[i]);
	}
	put(l, "\"");
}

int agent_fmt_app(char *buf, size_t cap, const struct tc_app *act, uint64_t timeout_us, struct tc_err *err)
{
	struct line l = {buf, cap, 0, false};

	if ((unsigned)act->verb >= TC_APP__COUNT)
		return tc_err_set(err, TC_ERR_USAGE, "agent: APP: unknown action %d", (int)act->verb);
	/* version 2: send_urgent, shutdown's direction, the socket options and
	 * poll's words, as the case writes them */
	put(&l, "APP %" PRIu64 " %s", timeout_us,
	    act->verb == TC_APP_SEND && act->urgent ? "send_urgent" : tc_app_verb_name(act->verb));
	switch (act->verb) {
	case TC_APP_LISTEN:
	case TC_APP_CLOSE_LISTENER:
		if (act->port)
			put(&l, " %u", (unsigned)act->port);
		break;
	case TC_APP_SEND:
		if (act->len) {
			put(&l, " ");
			put_quoted(&l, act->data, act->len);
		} else
			put(&l, " %" PRIu32, act->n);
		break;
	case TC_APP_RECV:
		put(&l, " %" PRIu32, act->n);
		break;
	case TC_APP_SHUTDOWN:
		if (act->shut != TC_SHUT_WR)
			put(&l, " %s", act->shut == TC_SHUT_RD ? "rd" : "rdwr");
		break;
	case TC_APP_SETSOCKOPT:
		put(&l, " %s %" PRId64, tc_sockopt_name(act->opt), act->optval);
		break;
	case TC_APP_GETSOCKOPT:
		put(&l, " %s", tc_sockopt_name(act->opt));
		break;
	case TC_APP_POLL:
		put(&l, " %s %" PRIu64, tc_poll_what_name(act->poll), act->within_us);
		break;
	default:
		break;
	}
	return finish(&l, err);
}

int agent_fmt_simple(char *buf, size_t cap, enum agent_req_kind kind, struct tc_err *err)
{
	struct line l = {buf, cap, 0, false};

	switch (kind) {
	case AGENT_REQ_STATE: put(&l, "STATE"); break;
	case AGENT_REQ_CASE_END: put(&l, "CASE-END"); break;
	case AGENT_REQ_BYE: put(&l, "BYE"); break;
	default: return tc_err_set(err, TC_ERR_USAGE, "agent: request %d is not a simple one", (int)kind);
	}
	return finish(&l, err);
}

/* One line: the words, printable ASCII only (a message may have spaces). */
static void put_clean(struct line *l, const char *s)
{
	for (; *s; s++)
		put(l, "%c", (*s >= 0x20 && *s < 0x7f) ? *s : '?');
}

int agent_fmt_ok(char *buf, size_t cap, const char *words)
{
	struct line l = {buf, cap, 0, false};

	put(&l, "OK");
	if (words && *words) {
		put(&l, " ");
		put_clean(&l, words);
	}
	return finish(&l, NULL);
}

int agent_fmt_err(char *buf, size_t cap, enum agent_errclass cls, const char *msg)
{
	struct line l = {buf, cap, 0, false};
	size_t room;

	put(&l, "ERR %s ", agent_errclass_name(cls));
	/* A long message is cut, never the line lost. */
	room = (cap < AGENT_LINE_MAX ? cap : AGENT_LINE_MAX) - l.len - 2;
	for (size_t i = 0; msg[i] && i < room; i++)
		put(&l, "%c", (msg[i] >= 0x20 && msg[i] < 0x7f) ? msg[i] : '?');
	return finish(&l, NULL);
}

/* ---- reading lines ---- */

int agent_line_take(char *buf, size_t len, size_t *used)
{
	char *nl = memchr(buf, '\n', len);
	size_t n;

	if (!nl)
		return len >= AGENT_LINE_MAX ? -1 : 0;
	n = (size_t)(nl - buf);
	if (n + 1 > AGENT_LINE_MAX)
		return -1;
	*used = n + 1;
	*nl = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return (int)n;
}

/* Splits line into words at single spaces, in place. With keep_rest the
 * max-th word keeps whatever spaces remain; otherwise more words than max
 * is -1. */
static int split_words(char *line, char **w, int max, bool keep_rest)
{
	int n = 0;

	if (!*line)
		return 0;
	for (char *p = line;;) {
		w[n++] = p;
		if (n == max && keep_rest)
			break;
		p = strchr(p, ' ');
		if (!p)
			break;
		if (n == max)
			return -1;
		*p++ = '\0';
	}
	return n;
}

static int split(char *line, char **w, int max)
{
	return split_words(line, w, max, false);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = tc_hexval(s[2 * i]), lo = tc_hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

__attribute__((format(printf, 3, 4))) static int syntax(enum agent_errclass *cls, struct tc_err *err,
							  const char *fmt, ...)
{
	va_list ap;

	*cls = AGENT_ERR_SYNTAX;
	va_start(ap, fmt);
	tc_err_vset(err, TC_ERR_USAGE, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_port(const char *s, uint16_t *out)
{
	uint64_t v;

	if (parse_u64(s, 65535, &v) || v == 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_conf_word(const char *w, struct agent_case *c, struct tc_err *err, enum agent_errclass *cls)
{
	static const struct {
		const char *key;
		unsigned field;
	} durs[] = {
		{"msl", TC_C_MSL}, {"rto", TC_C_RTO}, {"rto_min", TC_C_RTO_MIN}, {"rto_max", TC_C_RTO_MAX},
		{"delack", TC_C_DELACK},
	};
	const char *eq = strchr(w, '=');
	struct tc_case_conf *cc = &c->conf;
	char key[24];
	uint64_t v;
	size_t klen;

	if (!eq || (klen = (size_t)(eq - w)) == 0 || klen >= sizeof(key))
		return syntax(cls, err, "CASE-BEGIN: '%s' is not key=value", w);
	memcpy(key, w, klen);
	key[klen] = '\0';
	if (strcmp(key, "local") == 0) {
		if (seg_addr_parse(eq + 1, &c->local) != 0 || c->local.family != c->family)
			return syntax(cls, err, "CASE-BEGIN: local=%s is not an IPv%d address", eq + 1, c->family);
		c->has_local = true;
		return 0;
	}
	if (strcmp(key, "profile") == 0) {
		if (strcmp(eq + 1, "minimal") == 0)
			c->profile = TC_SP_MINIMAL;
		else if (strcmp(eq + 1, "default") == 0)
			c->profile = TC_SP_DEFAULT;
		else
			return syntax(cls, err, "CASE-BEGIN: profile=%s (want minimal or default)", eq + 1);
		return 0;
	}
	if (strcmp(key, "nagle") == 0 || strcmp(key, "delayed_ack") == 0) {
		bool on = strcmp(eq + 1, "on") == 0;

		if (!on && strcmp(eq + 1, "off") != 0)
			return syntax(cls, err, "CASE-BEGIN: %s=%s (want on or off)", key, eq + 1);
		if (key[0] == 'n') {
			cc->nagle = on;
			cc->fields |= TC_C_NAGLE;
		} else {
			cc->delayed_ack = on;
			cc->fields |= TC_C_DELAYED_ACK;
		}
		return 0;
	}
	if (strcmp(key, "keepalive") == 0) {
		if (strcmp(eq + 1, "on") == 0) {
			cc->keepalive_mode = TC_KEEPALIVE_DEFAULT;
		} else if (strcmp(eq + 1, "off") == 0) {
			cc->keepalive_mode = TC_KEEPALIVE_OFF;
		} else if (parse_u64(eq + 1, UINT64_MAX, &v) == 0 && v > 0) {
			cc->keepalive_mode = TC_KEEPALIVE_AFTER;
			cc->keepalive = (struct tc_dur){.unit = TC_DUR_ABS, .us = v};
		} else {
			return syntax(cls, err, "CASE-BEGIN: keepalive=%s (want off, on or microseconds above 0)", eq + 1);
		}
		cc->fields |= TC_C_KEEPALIVE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		if (strcmp(key, durs[i].key) != 0)
			continue;
		if (parse_u64(eq + 1, UINT64_MAX, &v))
			return syntax(cls, err, "CASE-BEGIN: %s=%s is not microseconds", key, eq + 1);
		struct tc_dur d = {.unit = TC_DUR_ABS, .us = v};
		switch (durs[i].field) {
		case TC_C_MSL: cc->msl = d; break;
		case TC_C_RTO: cc->rto = d; break;
		case TC_C_RTO_MIN: cc->rto_min = d; break;
		case TC_C_RTO_MAX: cc->rto_max = d; break;
		default: cc->delack = d; break;
		}
		cc->fields |= durs[i].field;
		return 0;
	}
	if (parse_u64(eq + 1, UINT32_MAX, &v))
		return syntax(cls, err, "CASE-BEGIN: %s=%s is not a number", key, eq + 1);
	if (strcmp(key, "window") == 0) {
		cc->window = (uint32_t)v;
		cc->fields |= TC_C_WINDOW;
	} else if (strcmp(key, "mss") == 0 && v <= 65535) {
		cc->mss = (uint16_t)v;
		cc->fields |= TC_C_MSS;
	} else if (strcmp(key, "iss") == 0) {
		cc->iss = (uint32_t)v;
		cc->fields |= TC_C_ISS;
	} else if (strcmp(key, "syn_retries") == 0) {
		cc->syn_retries = (uint32_t)v;
		cc->fields |= TC_C_SYN_RETRIES;
	} else if (strcmp(key, "retries") == 0) {
		cc->retries = (uint32_t)v;
		cc->fields |= TC_C_RETRIES;
	} else if (strcmp(key, "iss_rfc6528") == 0 && v == 1) {
		cc->fields |= TC_C_ISS_RFC6528;
	} else if (strcmp(key, "rfc1337") == 0 && v <= 1) {
		cc->rfc1337 = v == 1;
		cc->fields |= TC_C_RFC1337;
	} else if (strcmp(key, "time_wait_reopen") == 0 && v <= 1) {
		cc->time_wait_reopen = v == 1;
		cc->fields |= TC_C_TIME_WAIT_REOPEN;
	} else if (strcmp(key, "challenge_ack_limit") == 0) {
		cc->challenge_ack_limit = (uint32_t)v;
		cc->fields |= TC_C_CHALLENGE_ACK_LIMIT;
	} else {
		return syntax(cls, err, "CASE-BEGIN: unknown key '%s' (or its value is out of range)", key);
	}
	return 0;
}

/* "TEXT" with \xHH escapes (and \\ and \" for convenience). */
static int parse_quoted(const char *s, struct tc_app *act)
{
	size_t n = strlen(s), end, out = 0;

	if (n < 3 || s[0] != '"' || s[n - 1] != '"')
		return -1;
	end = n - 1; /* the closing quote */
	for (size_t i = 1; i < end; i++) {
		uint8_t b = (uint8_t)s[i];

		if (b == '"')
			return -1;
		if (b == '\\') {
			if (i + 1 < end && (s[i + 1] == '\\' || s[i + 1] == '"')) {
				b = (uint8_t)s[++i];
			} else if (i + 3 < end && s[i + 1] == 'x' && tc_hexval(s[i + 2]) >= 0 && tc_hexval(s[i + 3]) >= 0) {
				b = (uint8_t)(tc_hexval(s[i + 2]) << 4 | tc_hexval(s[i + 3]));
				i += 3;
			} else {
				return -1;
			}
		}
		if (out == sizeof(act->data))
			return -1;
		act->data[out++] = b;
	}
	act->len = (uint16_t)out;
	return 0;
}

static int parse_app(char **w, int nw, struct agent_req *r, enum agent_errclass *cls, struct tc_err *err)
{
	struct tc_app *act = &r->act;
	int verb = -1;
	uint64_t v;

	if (nw < 3)
		return syntax(cls, err, "APP: want APP TIMEOUT_US ACTION");
	if (parse_u64(w[1], UINT64_MAX, &r->timeout_us))
		return syntax(cls, err, "APP: timeout '%s' is not microseconds", w[1]);
	for (int i = 0; i < TC_APP__COUNT; i++)
		if (strcmp(w[2], tc_app_verb_name((enum tc_app_verb)i)) == 0)
			verb = i;
	if (strcmp(w[2], "send_urgent") == 0) {
		verb = TC_APP_SEND;
		act->urgent = true;
	}
	if (verb < 0)
		return syntax(cls, err, "APP: unknown action '%s'", w[2]);
	act->verb = (enum tc_app_verb)verb;
	switch (act->verb) {
	case TC_APP_SHUTDOWN:
		if (nw == 3)
			return 0;
		if (strcmp(w[3], "wr") == 0)
			act->shut = TC_SHUT_WR;
		else if (strcmp(w[3], "rd") == 0)
			act->shut = TC_SHUT_RD;
		else if (strcmp(w[3], "rdwr") == 0)
			act->shut = TC_SHUT_RDWR;
		else
			return syntax(cls, err, "APP: shutdown takes wr, rd or rdwr");
		return 0;
	case TC_APP_SETSOCKOPT:
	case TC_APP_GETSOCKOPT: {
		char name[32], extra;
		long long val = 0;
		int want = act->verb == TC_APP_SETSOCKOPT ? 2 : 1;

		if (nw != 4 || (want == 2 ? sscanf(w[3], "%31s %lld %c", name, &val, &extra)
					  : sscanf(w[3], "%31s %c", name, &extra)) != want ||
		    tc_sockopt_parse(name, &act->opt) != 0)
			return syntax(cls, err, "APP: %s takes %s", w[2],
				      want == 2 ? "an option name and a value" : "an option name");
		act->optval = val;
		return 0;
	}
	case TC_APP_POLL: {
		char what[16], extra;
		unsigned long long within;

		if (nw != 4 || sscanf(w[3], "%15s %llu %c", what, &within, &extra) != 2)
			return syntax(cls, err, "APP: poll takes readable|writable|urgent|atmark and the microseconds it may wait");
		if (strcmp(what, "readable") == 0)
			act->poll = TC_POLL_READABLE;
		else if (strcmp(what, "writable") == 0)
			act->poll = TC_POLL_WRITABLE;
		else if (strcmp(what, "urgent") == 0) /* version 2: POLLPRI (RFC 9293 MUST-32) */
			act->poll = TC_POLL_URGENT;
		else if (strcmp(what, "atmark") == 0) /* version 2: SIOCATMARK (MUST-33) */
			act->poll = TC_POLL_ATMARK;
		else
			return syntax(cls, err, "APP: poll takes readable|writable|urgent|atmark and the microseconds it may wait");
		act->has_within = true;
		act->within_us = within;
		act->within = (struct tc_dur){.unit = TC_DUR_ABS, .us = within};
		return 0;
	}
	case TC_APP_LISTEN:
	case TC_APP_CLOSE_LISTENER:
		if (nw == 4 && (strchr(w[3], ' ') || parse_port(w[3], &act->port)))
			return syntax(cls, err, "APP: %s takes at most a port (1-65535)", w[2]);
		return 0;
	case TC_APP_SEND:
		if (nw < 4)
			return syntax(cls, err, "APP: send takes a byte count or \"text\"");
		if (w[3][0] == '"') {
			if (parse_quoted(w[3], act))
				return syntax(cls, err, "APP: send: bad quoted text (1 to %d bytes, \\xHH escapes)",
					      SEG_MAX_PAYLOAD);
			return 0;
		}
		/* fallthrough */
	case TC_APP_RECV:
		if (nw != 4 || strchr(w[3], ' ') || parse_u64(w[3], UINT32_MAX, &v))
			return syntax(cls, err, "APP: %s takes a byte count", w[2]);
		act->n = (uint32_t)v;
		return 0;
	default:
		if (nw != 3)
			return syntax(cls, err, "APP: %s takes no argument", w[2]);
		return 0;
	}
}

int agent_parse_req(const char *text, struct agent_req *r, enum agent_errclass *cls, struct tc_err *err)
{
	char line[AGENT_LINE_MAX];
	char *w[64];
	int nw;
	uint64_t v;

	memset(r, 0, sizeof(*r));
	if (strlen(text) >= sizeof(line))
		return syntax(cls, err, "the line is longer than %d bytes", AGENT_LINE_MAX);
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return syntax(cls, err, "the line holds a byte that is not printable ASCII (0x%02x)",
				      (unsigned char)*p);
	strcpy(line, text);
	/* APP's last word may be a quoted text holding spaces: it keeps them */
	if (strncmp(line, "APP ", 4) == 0)
		nw = split_words(line, w, 4, true);
	else
		nw = split(line, w, 64);
	if (nw == 0)
		return syntax(cls, err, "empty line");
	if (nw < 0)
		return syntax(cls, err, "too many words");
	if (strcmp(w[0], "HELLO") == 0) {
		r->kind = AGENT_REQ_HELLO;
		if (nw != 3)
			return syntax(cls, err, "HELLO: want HELLO VERSION TOKEN_HEX");
		if (parse_u64(w[1], UINT32_MAX, &v))
			return syntax(cls, err, "HELLO: version '%s' is not a number", w[1]);
		r->version = (unsigned)v;
		if (r->version < AGENT_PROTO_MIN_VERSION || r->version > AGENT_PROTO_VERSION) {
			*cls = AGENT_ERR_VERSION;
			return tc_err_set(err, TC_ERR_USAGE, "this agent speaks versions %d to %d, not %u",
					  AGENT_PROTO_MIN_VERSION, AGENT_PROTO_VERSION, r->version);
		}
		if (parse_hex(w[2], r->token, sizeof(r->token), &r->token_len))
			return syntax(cls, err, "HELLO: the token is not hex of at most %d bytes", AGENT_TOKEN_MAX);
		return 0;
	}
	if (strcmp(w[0], "CASE-BEGIN") == 0) {
		r->kind = AGENT_REQ_CASE_BEGIN;
		if (nw < 5)
			return syntax(cls, err, "CASE-BEGIN: want CASE-BEGIN FAMILY LOCAL_PORT PEER_ADDR PEER_PORT [KEY=VALUE...]");
		if (strcmp(w[1], "4") && strcmp(w[1], "6"))
			return syntax(cls, err, "CASE-BEGIN: family '%s' (want 4 or 6)", w[1]);
		r->c.family = w[1][0] - '0';
		if (parse_port(w[2], &r->c.local_port))
			return syntax(cls, err, "CASE-BEGIN: local port '%s' (want 1-65535)", w[2]);
		if (seg_addr_parse(w[3], &r->c.peer) || r->c.peer.family != r->c.family)
			return syntax(cls, err, "CASE-BEGIN: peer '%s' is not an IPv%d address", w[3], r->c.family);
		if (parse_port(w[4], &r->c.peer_port))
			return syntax(cls, err, "CASE-BEGIN: peer port '%s' (want 1-65535)", w[4]);
		for (int i = 5; i < nw; i++)
			if (parse_conf_word(w[i], &r->c, err, cls))
				return -1;
		return 0;
	}
	if (strcmp(w[0], "APP") == 0) {
		r->kind = AGENT_REQ_APP;
		return parse_app(w, nw, r, cls, err);
	}
	static const struct {
		const char *name;
		enum agent_req_kind kind;
	} simple[] = {{"STATE", AGENT_REQ_STATE}, {"CASE-END", AGENT_REQ_CASE_END}, {"BYE", AGENT_REQ_BYE}};
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(w[0], simple[i].name) != 0)
			continue;
		r->kind = simple[i].kind;
		if (nw != 1)
			return syntax(cls, err, "%s takes no argument", w[0]);
		return 0;
	}
	return syntax(cls, err, "unknown request '%.32s'", w[0]);
}

int agent_parse_reply(const char *line, struct agent_reply *out, struct tc_err *err)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(line, "OK") == 0 || strncmp(line, "OK ", 3) == 0) {
		out->ok = true;
		snprintf(out->text, sizeof(out->text), "%s", line[2] ? line + 3 : "");
		return 0;
	}
	if (strncmp(line, "ERR ", 4) == 0) {
		const char *cls = line + 4, *sp = strchr(cls, ' ');
		size_t n = sp ? (size_t)(sp - cls) : strlen(cls);

		out->err = AGENT_ERR_INTERNAL;
		for (int i = 0; i < AGENT_ERR__COUNT; i++)
			if (strlen(errclass_names[i]) == n && strncmp(cls, errclass_names[i], n) == 0)
				out->err = (enum agent_errclass)i;
		snprintf(out->text, sizeof(out->text), "%s", sp ? sp + 1 : "");
		return 0;
	}
	return tc_err_set(err, TC_ERR_SYSTEM, "the agent answered '%.80s', neither OK nor ERR", line);
}

int agent_fmt_state_words(char *buf, size_t cap, enum tc_state st, const struct tc_transitions *tr)
{
	struct line l = {buf, cap, 0, false};

	put(&l, "%s", tc_state_name(st));
	for (int i = 0; tr && i < tr->n; i++)
		put(&l, " %s>%s", tc_state_name(tr->from[i]), tc_state_name(tr->to[i]));
	return l.overflow ? -1 : (int)l.len;
}

int agent_parse_state_words(const char *words, enum tc_state *st, struct tc_transitions *tr, struct tc_err *err)
{
	char copy[AGENT_LINE_MAX];
	char *w[TC_MAX_TRANSITIONS + 2];
	int nw;

	snprintf(copy, sizeof(copy), "%s", words);
	nw = split(copy, w, TC_MAX_TRANSITIONS + 1);
	if (nw <= 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "the agent's STATE answer '%.80s' names no state (or too many transitions)",
				  words);
	if (tc_state_parse(w[0], st) != 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "the agent's STATE answer names an unknown state '%.40s'", w[0]);
	if (tr)
		tr->n = 0;
	for (int i = 1; i < nw; i++) {
		char *gt = strchr(w[i], '>');
		enum tc_state a, b;

		if (!gt)
			return tc_err_set(err, TC_ERR_SYSTEM, "the agent's STATE answer: '%.40s' is not FROM>TO", w[i]);
		*gt = '\0';
		if (tc_state_parse(w[i], &a) || tc_state_parse(gt + 1, &b))
			return tc_err_set(err, TC_ERR_SYSTEM, "the agent's STATE answer: unknown state in '%.40s>%.40s'",
					  w[i], gt + 1);
		if (tr) {
			tr->from[tr->n] = a;
			tr->to[tr->n] = b;
			tr->n++;
		}
	}
	return 0;
}

/* ---- the token ---- */

int agent_token_load(const char *path, uint8_t *out, size_t *len, struct tc_err *err)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return tc_err_set(err, TC_ERR_IO, "token file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		tc_err_set(err, TC_ERR_IO, "token file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		tc_err_set(err, TC_ERR_IO, "token file %s is not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		tc_err_set(err, TC_ERR_IO,
			   "token file %s is readable or writable by others (mode %03o): the token would be no secret; "
			   "chmod 600 it",
			   path, (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	while (got < AGENT_TOKEN_MAX + 1 && (n = read(fd, out + got, got < AGENT_TOKEN_MAX ? AGENT_TOKEN_MAX - got : 0)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tc_err_set(err, TC_ERR_IO, "token file %s: %s", path, strerror(errno));
			goto fail;
		}
		got += (size_t)n;
		if (got == AGENT_TOKEN_MAX) {
			uint8_t extra;

			if (read(fd, &extra, 1) > 0) {
				tc_err_set(err, TC_ERR_IO, "token file %s holds more than %d bytes", path, AGENT_TOKEN_MAX);
				goto fail;
			}
			break;
		}
	}
	close(fd);
	if (got < AGENT_TOKEN_MIN)
		return tc_err_set(err, TC_ERR_IO,
				  "token file %s holds %zu bytes, want at least %d random ones "
				  "(head -c 32 /dev/urandom > FILE)",
				  path, got, AGENT_TOKEN_MIN);
	*len = got;
	return 0;
fail:
	close(fd);
	return -1;
}

bool agent_token_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen > blen ? alen : blen;
	volatile uint8_t diff = (uint8_t)(alen != blen);

	for (size_t i = 0; i < n; i++) {
		uint8_t x = i < alen ? a[i] : 0, y = i < blen ? b[i] : 0;

		diff |= (uint8_t)(x ^ y);
	}
	return diff == 0;
}

void agent_fmt_result(char *buf, size_t cap, const struct tc_app_result *res)
{
	size_t n = 0;
	int w;

	buf[0] = '\0';
	if (res->err_no) {
		snprintf(buf, cap, "errno=%s", tc_errno_name(res->err_no));
		return;
	}
	w = snprintf(buf, cap, "value=%" PRId64 " more=%d", res->value, res->more ? 1 : 0);
	if (w < 0 || (size_t)w >= cap)
		return;
	n = (size_t)w;
	if (res->ndata && n + 6 < cap) {
		memcpy(buf + n, " data=", 6);
		n += 6;
		for (uint16_t i = 0; i < res->ndata && i < AGENT_RESULT_DATA && n + 3 < cap; i++)
			n += (size_t)snprintf(buf + n, cap - n, "%02x", res->data[i]);
	}
}


int agent_parse_result(const char *words, struct tc_app_result *res, struct tc_err *err)
{
	const char *p = words;

	memset(res, 0, sizeof(*res));
	while (*p) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char w[2 * AGENT_RESULT_DATA + 16];

		if (len >= sizeof(w))
			return tc_err_set(err, TC_ERR_SYSTEM, "APP result: a word of %zu bytes", len);
		memcpy(w, p, len);
		w[len] = '\0';
		if (strncmp(w, "errno=", 6) == 0) {
			if (tc_errno_parse(w + 6, &res->err_no) != 0)
				return tc_err_set(err, TC_ERR_SYSTEM, "APP result: unknown errno '%s'", w + 6);
		} else if (strncmp(w, "value=", 6) == 0) {
			char *e;
			long long v = strtoll(w + 6, &e, 10);

			if (*e)
				return tc_err_set(err, TC_ERR_SYSTEM, "APP result: '%s' is not value=N", w);
			res->value = v;
		} else if (strcmp(w, "more=1") == 0 || strcmp(w, "more=0") == 0) {
			res->more = w[5] == '1';
		} else if (strncmp(w, "data=", 5) == 0) {
			size_t hl = len - 5;

			if (hl % 2 || hl / 2 > AGENT_RESULT_DATA)
				return tc_err_set(err, TC_ERR_SYSTEM, "APP result: malformed data");
			for (size_t i = 0; i < hl / 2; i++) {
				int hi = tc_hexval(w[5 + 2 * i]), lo = tc_hexval(w[6 + 2 * i]);

				if (hi < 0 || lo < 0)
					return tc_err_set(err, TC_ERR_SYSTEM, "APP result: malformed data");
				res->data[i] = (uint8_t)(hi << 4 | lo);
			}
			res->ndata = (uint16_t)(hl / 2);
		} else {
			return tc_err_set(err, TC_ERR_SYSTEM, "APP result: unknown word '%s'", w);
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}
