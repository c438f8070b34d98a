/* The errors an application call may report, by name, and what RFC 9293
 * 3.10 calls each: the one table that maps the RFC's user-call responses
 * ("error: connection reset", "connection refused", "connection closing")
 * onto the errno names a case writes (`error: ECONNRESET`) and targets
 * report (the sockets API's names, as POSIX and Linux give them). */
#ifndef TC_ERRNO_H
#define TC_ERRNO_H

/* -1 for a name not in the table */
int tc_errno_parse(const char *name, int *out);
/* "ECONNRESET"; "?" for a value not in the table */
const char *tc_errno_name(int e);
/* The RFC 9293 response and section the errno stands for ("connection
 * reset (3.10.7.4 step 2)"), or "" when the RFC names none. */
const char *tc_errno_rfc(int e);
/* Every name, comma-separated, for messages. */
const char *tc_errno_names(void);

#endif
