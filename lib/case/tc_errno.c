/* RFC 9293 3.10 user-call responses and the errno names that stand for
 * them. Where the RFC's words and the sockets API's name differ (a reset
 * answering our SYN is "connection reset" in 3.10.7.3, ECONNREFUSED in
 * POSIX connect()), the row says both. */
#include "tc_errno.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name;
	int value;
	const char *rfc;
} table[] = {
	/* 3.10.7.4 step 2 (RST in a synchronized state), 3.10.7.3 (RST in
	 * SYN-SENT answering a connect is reported as ECONNREFUSED, below) */
	{"ECONNRESET", ECONNRESET, "connection reset (3.10.7.4 step 2; 3.10.7.3)"},
	/* 3.10.7.4 step 2 SYN-RECEIVED from an active OPEN: "connection
	 * refused"; 3.10.7.3 SYN-SENT: "connection reset", which POSIX
	 * connect() names ECONNREFUSED (the peer refused the request) */
	{"ECONNREFUSED", ECONNREFUSED, "connection refused (3.10.7.4 step 2); connection reset in SYN-SENT (3.10.7.3)"},
	/* 3.10.2 SEND in FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK, TIME-WAIT:
	 * "error: connection closing" (POSIX send(): EPIPE, shut down for
	 * writing or no longer connected) */
	{"EPIPE", EPIPE, "connection closing (3.10.2, 3.10.4)"},
	/* 3.8.3 R2 / user timeout: "connection aborted due to user timeout"
	 * (3.10.8); and a connect whose SYNs go unanswered (3.8.3, MUST-22) */
	{"ETIMEDOUT", ETIMEDOUT, "connection aborted due to user timeout (3.8.3, 3.10.8)"},
	/* 3.10.2 - 3.10.5 CLOSED STATE: "error: connection does not exist" */
	{"ENOTCONN", ENOTCONN, "connection does not exist (3.10.2 - 3.10.5)"},
	/* 3.10.1 OPEN: "error: connection already exists" */
	{"EISCONN", EISCONN, "connection already exists (3.10.1)"},
	{"EADDRINUSE", EADDRINUSE, "connection already exists (3.10.1)"},
	/* 3.10.1 OPEN, 3.10.2 SEND: "error: insufficient resources" */
	{"ENOBUFS", ENOBUFS, "insufficient resources (3.10.1, 3.10.2)"},
	/* 3.10.1 OPEN: "error: remote socket unspecified" */
	{"EDESTADDRREQ", EDESTADDRREQ, "remote socket unspecified (3.10.1, 3.10.2)"},
	/* 3.10.3 RECEIVE in LISTEN, SYN-SENT, SYN-RECEIVED: "queue for
	 * processing"; a non-blocking call that would wait */
	{"EAGAIN", EAGAIN, "queued for processing: nothing yet (3.10.3)"},
	{"EINPROGRESS", EINPROGRESS, "the connection is still being set up (3.10.1)"},
	/* lwIP's name for a connection it gave up on */
	{"ECONNABORTED", ECONNABORTED, "connection aborted (3.10.5)"},
	{"EINVAL", EINVAL, ""},
	{"ENOPROTOOPT", ENOPROTOOPT, ""},
	{"EOPNOTSUPP", EOPNOTSUPP, ""},
	/* 9293 3.9.2.2: what ICMP errors tell the application (MUST-47) */
	{"EHOSTUNREACH", EHOSTUNREACH, "ICMP host unreachable, time exceeded (3.9.2.2)"},
	{"ENETUNREACH", ENETUNREACH, "ICMP network unreachable (3.9.2.2)"},
	{"EPROTO", EPROTO, "ICMP parameter problem (3.9.2.2)"},
	{"EMSGSIZE", EMSGSIZE, "ICMP fragmentation needed (3.9.2.2)"},
	{"EACCES", EACCES, "ICMPv6 administratively prohibited (3.9.2.2)"},
};

#define NROWS (sizeof(table) / sizeof(table[0]))

int tc_errno_parse(const char *name, int *out)
{
	for (size_t i = 0; i < NROWS; i++)
		if (strcmp(name, table[i].name) == 0) {
			*out = table[i].value;
			return 0;
		}
	return -1;
}

const char *tc_errno_name(int e)
{
	for (size_t i = 0; i < NROWS; i++)
		if (table[i].value == e)
			return table[i].name;
	return "?";
}

const char *tc_errno_rfc(int e)
{
	for (size_t i = 0; i < NROWS; i++)
		if (table[i].value == e)
			return table[i].rfc;
	return "";
}

const char *tc_errno_names(void)
{
	return "ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, ENOTCONN, EISCONN, EADDRINUSE, ENOBUFS, "
	       "EDESTADDRREQ, EAGAIN, EINPROGRESS, ECONNABORTED, EINVAL, ENOPROTOOPT, EOPNOTSUPP, "
	       "EHOSTUNREACH, ENETUNREACH";
}
