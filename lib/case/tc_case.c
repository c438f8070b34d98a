#include "tc_case.h"

#include <string.h>

static const char *const app_verb_names[TC_APP__COUNT] = {
	[TC_APP_LISTEN] = "listen",
	[TC_APP_CONNECT] = "connect",
	[TC_APP_ACCEPT] = "accept",
	[TC_APP_SEND] = "send",
	[TC_APP_RECV] = "recv",
	[TC_APP_SHUTDOWN] = "shutdown",
	[TC_APP_CLOSE] = "close",
	[TC_APP_ABORT] = "abort",
	[TC_APP_CLOSE_LISTENER] = "close-listener",
	[TC_APP_CONNECT_RESULT] = "connect-result",
	[TC_APP_SETSOCKOPT] = "setsockopt",
	[TC_APP_GETSOCKOPT] = "getsockopt",
	[TC_APP_POLL] = "poll",
};

static const char *const sockopt_names[TC_SO__COUNT] = {
#define TC_SOCKOPT_NAME(e, name, meaning) [e] = name,
	TC_SOCKOPT_LIST(TC_SOCKOPT_NAME)
#undef TC_SOCKOPT_NAME
};

const char *tc_sockopt_name(enum tc_sockopt o)
{
	return (unsigned)o < TC_SO__COUNT ? sockopt_names[o] : "?";
}

bool tc_sockopt_bytes(enum tc_sockopt o)
{
	return o == TC_SO_IP_OPTIONS || o == TC_SO_IPV6_RTHDR;
}

int tc_sockopt_parse(const char *name, enum tc_sockopt *out)
{
	for (int i = 0; i < TC_SO__COUNT; i++)
		if (strcmp(name, sockopt_names[i]) == 0) {
			*out = (enum tc_sockopt)i;
			return 0;
		}
	return -1;
}

int tc_hex_bytes(const char *text, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < len;) {
		if (text[i] == ' ') {
			i++;
			continue;
		}
		if (i + 1 >= len || tc_hexval(text[i]) < 0 || tc_hexval(text[i + 1]) < 0)
			return -1;
		if (k == cap)
			return -2;
		out[k++] = (uint8_t)(tc_hexval(text[i]) << 4 | tc_hexval(text[i + 1]));
		i += 2;
	}
	*n = k;
	return 0;
}

const char *tc_app_verb_name(enum tc_app_verb v)
{
	return (unsigned)v < TC_APP__COUNT ? app_verb_names[v] : "?";
}

const char *tc_step_kind_name(enum tc_step_kind k)
{
	switch (k) {
	case TC_STEP_SEND: return "send";
	case TC_STEP_EXPECT: return "expect";
	case TC_STEP_EXPECT_NONE: return "expect_none";
	case TC_STEP_STATE: return "state";
	case TC_STEP_APP: return "app";
	case TC_STEP_WAIT: return "wait";
	}
	return "?";
}

const char *tc_stack_profile_name(enum tc_stack_profile p)
{
	switch (p) {
	case TC_SP_UNSET: return "(target default)";
	case TC_SP_MINIMAL: return "minimal";
	case TC_SP_DEFAULT: return "default";
	}
	return "?";
}

const char *tc_poll_what_name(enum tc_poll_what w)
{
	switch (w) {
	case TC_POLL_READABLE: return "readable";
	case TC_POLL_WRITABLE: return "writable";
	case TC_POLL_URGENT: return "urgent";
	case TC_POLL_ATMARK: return "atmark";
	}
	return "?";
}

void tc_connect_addr(enum tc_connect_to to, int family, struct seg_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	if (family == 6) {
		/* ff02::1, all nodes on the link (RFC 4291 2.7.1) */
		out->bytes[0] = 0xff, out->bytes[1] = 0x02, out->bytes[15] = 1;
		return;
	}
	if (to == TC_CONNECT_BROADCAST)
		memset(out->bytes, 0xff, 4); /* 255.255.255.255 (RFC 919 7) */
	else
		out->bytes[0] = 224, out->bytes[3] = 1; /* 224.0.0.1, all hosts (RFC 1112 4) */
}

int tc_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
