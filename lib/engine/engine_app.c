/* Application results against the step: see engine_app.h. */
#include "engine_app.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../case/tc_errno.h"

static const char *shut_name(enum tc_shut s)
{
	return s == TC_SHUT_RD ? "rd" : s == TC_SHUT_RDWR ? "rdwr" : "wr";
}

void engine_app_format(const struct tc_app *a, char *buf, size_t cap)
{
	const char *verb = tc_app_verb_name(a->verb);

	switch (a->verb) {
	case TC_APP_SEND:
		snprintf(buf, cap, "%s %" PRIu32 "%s", a->urgent ? "send_urgent" : "send", a->n,
			 a->len ? " (text)" : "");
		return;
	case TC_APP_RECV:
		snprintf(buf, cap, "%s %" PRIu32, a->at_least ? "recv_atleast" : "recv", a->n);
		return;
	case TC_APP_SHUTDOWN:
		snprintf(buf, cap, "shutdown %s", shut_name(a->shut));
		return;
	case TC_APP_SETSOCKOPT:
		if (tc_sockopt_bytes(a->opt))
			snprintf(buf, cap, "setsockopt %s (%u bytes)", tc_sockopt_name(a->opt), (unsigned)a->len);
		else
			snprintf(buf, cap, "setsockopt %s %" PRId64, tc_sockopt_name(a->opt), a->optval);
		return;
	case TC_APP_GETSOCKOPT:
		snprintf(buf, cap, "getsockopt %s", tc_sockopt_name(a->opt));
		return;
	case TC_APP_POLL:
		snprintf(buf, cap, "poll %s%s within %.3f ms", tc_poll_what_name(a->poll),
			 a->poll_none ? " none" : "", (double)a->within_us / 1000.0);
		return;
	case TC_APP_CONNECT:
		if (a->connect_to != TC_CONNECT_PEER) {
			snprintf(buf, cap, "connect %s",
				 a->connect_to == TC_CONNECT_MULTICAST ? "multicast" : "broadcast");
			return;
		}
		break;
	case TC_APP_LISTEN:
	case TC_APP_ACCEPT:
	case TC_APP_CLOSE:
	case TC_APP_ABORT:
	case TC_APP_CLOSE_LISTENER:
	case TC_APP_CONNECT_RESULT:
	case TC_APP__COUNT:
		break;
	}
	snprintf(buf, cap, "%s", verb);
}

static void err_text(int e, char *buf, size_t cap)
{
	const char *rfc = tc_errno_rfc(e);

	if (rfc[0])
		snprintf(buf, cap, "%s (%s)", tc_errno_name(e), rfc);
	else
		snprintf(buf, cap, "%s (errno %d)", tc_errno_name(e), e);
}

/* The value the call must return when the step gives no `returns`; false
 * when the verb has none to check. */
static bool default_value(const struct tc_app *a, int64_t *want)
{
	switch (a->verb) {
	case TC_APP_SEND:
	case TC_APP_RECV:
		*want = a->len ? a->len : a->n;
		return true;
	case TC_APP_POLL:
		*want = a->poll_none ? 0 : 1;
		return true;
	case TC_APP_LISTEN:
	case TC_APP_CONNECT:
	case TC_APP_ACCEPT:
	case TC_APP_SHUTDOWN:
	case TC_APP_CLOSE:
	case TC_APP_ABORT:
	case TC_APP_CLOSE_LISTENER:
	case TC_APP_CONNECT_RESULT:
	case TC_APP_SETSOCKOPT:
	case TC_APP_GETSOCKOPT:
	case TC_APP__COUNT:
		break;
	}
	return false;
}

static const char *value_words(const struct tc_app *a)
{
	switch (a->verb) {
	case TC_APP_SEND: return " bytes queued";
	case TC_APP_RECV: return " bytes read";
	case TC_APP_POLL: return " (1 ready, 0 not)";
	case TC_APP_LISTEN:
	case TC_APP_CONNECT:
	case TC_APP_ACCEPT:
	case TC_APP_SHUTDOWN:
	case TC_APP_CLOSE:
	case TC_APP_ABORT:
	case TC_APP_CLOSE_LISTENER:
	case TC_APP_CONNECT_RESULT:
	case TC_APP_SETSOCKOPT:
	case TC_APP_GETSOCKOPT:
	case TC_APP__COUNT:
		break;
	}
	return "";
}

/* The first byte where what recv read differs from what it had to. */
static int judge_bytes(const struct tc_app *a, const struct tc_app_result *res, char *msg, size_t cap)
{
	size_t n = a->len < res->ndata ? a->len : res->ndata;

	for (size_t i = 0; i < n; i++)
		if (res->data[i] != a->data[i]) {
			snprintf(msg, cap, "read byte %zu as 0x%02x '%c', expected 0x%02x '%c'", i, res->data[i],
				 res->data[i] >= 0x20 && res->data[i] < 0x7f ? res->data[i] : '.', a->data[i],
				 a->data[i] >= 0x20 && a->data[i] < 0x7f ? a->data[i] : '.');
			return -1;
		}
	if (res->ndata < a->len) {
		snprintf(msg, cap, "read %u bytes, expected the %u given", (unsigned)res->ndata, (unsigned)a->len);
		return -1;
	}
	return 0;
}

int engine_app_judge(const struct tc_app *a, const struct tc_app_result *res, char *msg, size_t cap)
{
	char want[160], got[160];
	int64_t v;

	if (a->x.fields & TC_AX_ERROR) {
		err_text(a->x.error, want, sizeof(want));
		if (res->err_no == a->x.error)
			return 0;
		if (res->err_no)
			err_text(res->err_no, got, sizeof(got));
		else
			snprintf(got, sizeof(got), "success: returned %" PRId64 "%s", res->value, value_words(a));
		snprintf(msg, cap, "expected error %s, got %s", want, got);
		return -1;
	}
	if (res->err_no) {
		err_text(res->err_no, got, sizeof(got));
		snprintf(msg, cap, "failed with %s", got);
		return -1;
	}
	if ((a->x.fields & TC_AX_RETURNS) || default_value(a, &v)) {
		if (a->x.fields & TC_AX_RETURNS)
			v = a->x.returns;
		if (res->value != v) {
			snprintf(msg, cap, "returned %" PRId64 "%s, expected %" PRId64, res->value, value_words(a), v);
			return -1;
		}
	}
	if (a->verb != TC_APP_RECV)
		return 0;
	/* recv N reads exactly N: bytes still readable after them fail it
	 * (recv_atleast N lets them stay) */
	if (!a->at_least && res->more) {
		snprintf(msg, cap, "read %" PRId64 " bytes and more were readable: expected exactly %" PRIu32
			 " (recv_atleast allows more)", res->value, a->n);
		return -1;
	}
	return a->len ? judge_bytes(a, res, msg, cap) : 0;
}
