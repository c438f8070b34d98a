#include "tc_err.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int cls;
	const char *msg;
} err_table[] = {
#define TC_ERR_ROW(code, name, cls, msg) [code] = {name, cls, msg},
	TC_ERR_LIST(TC_ERR_ROW)
#undef TC_ERR_ROW
};

const char *tc_err_name(enum tc_errcode code)
{
	return (unsigned)code < TC_ERR__COUNT ? err_table[code].name : "unknown";
}

const char *tc_err_default_message(enum tc_errcode code)
{
	return (unsigned)code < TC_ERR__COUNT ? err_table[code].msg : "unknown error";
}

int tc_err_exit_class(enum tc_errcode code)
{
	return (unsigned)code < TC_ERR__COUNT ? err_table[code].cls : 3;
}

int tc_err_vset(struct tc_err *err, enum tc_errcode code, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	err->code = code;
	if (fmt)
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	else
		snprintf(err->msg, sizeof(err->msg), "%s", tc_err_default_message(code));
	return -1;
}

int tc_err_set(struct tc_err *err, enum tc_errcode code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tc_err_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

void tc_err_prefix(struct tc_err *err, const char *fmt, ...)
{
	char old[TC_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (!err)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= sizeof(err->msg))
		return;
	err->msg[n] = ':';
	err->msg[n + 1] = ' ';
	/* The old message is cut, not the context, when both do not fit. */
	memcpy(err->msg + n + 2, old, sizeof(err->msg) - (size_t)n - 2);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

void tc_err_clear(struct tc_err *err)
{
	if (!err)
		return;
	err->code = TC_OK;
	err->msg[0] = '\0';
}
