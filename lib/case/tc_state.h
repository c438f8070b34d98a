/* The eleven states of RFC 9293 3.3.2. Shared by the reference stack, the
 * targets, the engine and the case loader. */
#ifndef TC_STATE_H
#define TC_STATE_H

#define TC_STATE_LIST(X)                 \
	X(TC_CLOSED, "CLOSED")            \
	X(TC_LISTEN, "LISTEN")            \
	X(TC_SYN_SENT, "SYN-SENT")        \
	X(TC_SYN_RECEIVED, "SYN-RECEIVED") \
	X(TC_ESTABLISHED, "ESTABLISHED")  \
	X(TC_FIN_WAIT_1, "FIN-WAIT-1")    \
	X(TC_FIN_WAIT_2, "FIN-WAIT-2")    \
	X(TC_CLOSE_WAIT, "CLOSE-WAIT")    \
	X(TC_CLOSING, "CLOSING")          \
	X(TC_LAST_ACK, "LAST-ACK")        \
	X(TC_TIME_WAIT, "TIME-WAIT")

enum tc_state {
#define TC_STATE_ENUM(e, s) e,
	TC_STATE_LIST(TC_STATE_ENUM)
#undef TC_STATE_ENUM
	TC_STATE__COUNT
};

const char *tc_state_name(enum tc_state s);
/* Accepts the RFC spelling ("SYN-RECEIVED"), also with '_' for '-' and in
 * any case. Returns 0, or -1 for an unknown name. */
int tc_state_parse(const char *text, enum tc_state *out);

#endif
