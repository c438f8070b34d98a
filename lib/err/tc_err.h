/* Errors are values: a code from one list and a message a person can act on.
 * Library code fills a caller-owned struct tc_err; only harness/ prints. */
#ifndef TC_ERR_H
#define TC_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* X(code, name, exit-class, default message)
 * exit-class: 2 = bad input from the user, 3 = the target or the system broke */
#define TC_ERR_LIST(X)                                                        \
	X(TC_OK, "ok", 0, "no error")                                         \
	X(TC_ERR_USAGE, "usage", 2, "bad command line")                        \
	X(TC_ERR_CASE, "bad-case", 2, "bad case file")                         \
	X(TC_ERR_IO, "io", 2, "cannot read or write a file")                   \
	X(TC_ERR_SEG_BUILD, "seg-build", 2, "cannot build the segment")        \
	X(TC_ERR_SEG_PARSE, "seg-parse", 3, "malformed segment")               \
	X(TC_ERR_UNSUPPORTED, "unsupported", 0, "not supported by this target") \
	X(TC_ERR_TARGET, "target", 3, "the target failed")                     \
	X(TC_ERR_NOMEM, "nomem", 3, "out of memory")                           \
	X(TC_ERR_SYSTEM, "system", 3, "a system call failed")

enum tc_errcode {
#define TC_ERR_ENUM(code, name, cls, msg) code,
	TC_ERR_LIST(TC_ERR_ENUM)
#undef TC_ERR_ENUM
	TC_ERR__COUNT
};

#define TC_ERR_MSG_MAX 1024

struct tc_err {
	enum tc_errcode code;
	char msg[TC_ERR_MSG_MAX];
};

const char *tc_err_name(enum tc_errcode code);
const char *tc_err_default_message(enum tc_errcode code);
int tc_err_exit_class(enum tc_errcode code);

/* Sets err (if non-NULL) and returns -1, so a failing path can
 * `return tc_err_set(err, TC_ERR_CASE, "...", ...);` */
int tc_err_set(struct tc_err *err, enum tc_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tc_err_vset(struct tc_err *err, enum tc_errcode code, const char *fmt, va_list ap);
/* Prepends "prefix: " to an existing message (for adding file/step context). */
void tc_err_prefix(struct tc_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tc_err_clear(struct tc_err *err);

#endif
