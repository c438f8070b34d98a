/* The agent's side of one control connection: HELLO and the token first,
 * then CASE-BEGIN, APP, STATE, CASE-END and BYE in order, each answered
 * with one line (docs/agent-protocol.md). Between requests the stack is
 * serviced (frames, timers) from the same poll(). */
#ifndef TC_AGENT_SESSION_H
#define TC_AGENT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "../err/tc_err.h"
#include "agent_stack.h"

struct agent_session_conf {
	int fd; /* the control connection; the session does not close it */
	/* A listening socket whose new connections are answered ERR BUSY and
	 * closed while this one is served; -1 for none. */
	int listen_fd;
	struct agent_stack *stack;
	const uint8_t *token;
	size_t token_len;
};

/* How a session ended. */
enum agent_session_end {
	AGENT_END_BYE, /* the client said BYE */
	AGENT_END_EOF, /* the client closed the connection (or it broke) */
	AGENT_END_REFUSED, /* not authenticated: wrong token, version, no HELLO in time */
};

/* Serves the connection until it ends; the case still open then is ended
 * (CASE-END) on every path. -1 with err set when the agent itself fails
 * (poll, the stack's link). */
int agent_session_serve(const struct agent_session_conf *c, enum agent_session_end *how, struct tc_err *err);

#endif
