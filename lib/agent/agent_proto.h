/* The agent control protocol (docs/agent-protocol.md): one text line per
 * request, one text line per answer, both sides in step. This module is the
 * codec only (no sockets): it turns requests and answers into lines and
 * back, and checks the token. The client (agent_client) and the agent's
 * session (agent_session) both use it, so they cannot drift apart.
 *
 * A line is printable ASCII ending in "\n" (a "\r" before it is allowed),
 * at most AGENT_LINE_MAX bytes with the newline; words are separated by one
 * space. */
#ifndef TC_AGENT_PROTO_H
#define TC_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../case/tc_case.h"
#include "../case/tc_profile.h"
#include "../case/tc_state.h"
#include "../err/tc_err.h"
#include "../seg/seg.h"

/* Version 2 added CASE-BEGIN's profile=, nagle=, delayed_ack= and
 * keepalive=; a version 1 client never sends them, so an agent speaks
 * both (AGENT_PROTO_MIN_VERSION up to AGENT_PROTO_VERSION) and answers in
 * the client's. */
#define AGENT_PROTO_VERSION 2
#define AGENT_PROTO_MIN_VERSION 1
#define AGENT_LINE_MAX 8192
/* A token file holds between these many bytes (the bytes are the token). */
#define AGENT_TOKEN_MIN 16
#define AGENT_TOKEN_MAX 1024
/* The agent waits this long for HELLO before it closes the connection. */
#define AGENT_HELLO_TIMEOUT_US 10000000ull
/* Beyond an APP request's own deadline, how long the client waits for its
 * answer; other requests get AGENT_REPLY_TIMEOUT_US. */
#define AGENT_APP_GRACE_US 2000000ull
#define AGENT_REPLY_TIMEOUT_US 5000000ull

enum agent_req_kind {
	AGENT_REQ_HELLO,
	AGENT_REQ_CASE_BEGIN,
	AGENT_REQ_APP,
	AGENT_REQ_STATE,
	AGENT_REQ_CASE_END,
	AGENT_REQ_BYE,
};

/* What a case asks of the stack: the connection it is about and what it
 * pins. */
struct agent_case {
	int family; /* 4 or 6 */
	uint16_t local_port;
	struct seg_addr peer;
	uint16_t peer_port;
	bool has_local; /* local= given: the stack's own address for the case */
	struct seg_addr local;
	/* The case's config: durations are TC_DUR_ABS on the wire. */
	struct tc_case_conf conf;
	/* The case's `profile:` (profile=); TC_SP_UNSET: not said (version 1). */
	enum tc_stack_profile profile;
};

struct agent_req {
	enum agent_req_kind kind;
	/* HELLO */
	unsigned version;
	size_t token_len;
	uint8_t token[AGENT_TOKEN_MAX];
	/* CASE-BEGIN */
	struct agent_case c;
	/* APP */
	uint64_t timeout_us;
	struct tc_app act;
};

/* The error classes of an ERR answer. */
#define AGENT_ERR_LIST(X)                                                          \
	X(AGENT_ERR_AUTH, "AUTH") /* no HELLO first, or a wrong token: closed */       \
	X(AGENT_ERR_VERSION, "VERSION") /* a version the agent does not speak: closed */ \
	X(AGENT_ERR_SYNTAX, "SYNTAX") /* the line does not parse */                    \
	X(AGENT_ERR_ORDER, "ORDER") /* e.g. APP outside a case */                       \
	X(AGENT_ERR_UNSUPPORTED, "UNSUPPORTED") /* the stack cannot do what the case pins */ \
	X(AGENT_ERR_STACK, "STACK") /* the stack refused the action (the case's verdict) */ \
	X(AGENT_ERR_BUSY, "BUSY") /* another client holds the agent: closed */          \
	X(AGENT_ERR_INTERNAL, "INTERNAL") /* the agent itself broke */

enum agent_errclass {
#define AGENT_ERR_ENUM(e, s) e,
	AGENT_ERR_LIST(AGENT_ERR_ENUM)
#undef AGENT_ERR_ENUM
	AGENT_ERR__COUNT
};

const char *agent_errclass_name(enum agent_errclass e);

/* An answer: OK with its words, or ERR with a class and a message. */
struct agent_reply {
	bool ok;
	enum agent_errclass err; /* !ok */
	char text[AGENT_LINE_MAX]; /* OK: the words after "OK" ("" for none); ERR: the message */
};

/* ---- requests ---- */

/* Each writes one line, newline included, into buf; returns its length or
 * -1 with err set when it does not fit. */
int agent_fmt_hello(char *buf, size_t cap, const uint8_t *token, size_t token_len, struct tc_err *err);
/* conf durations are resolved against prof (may be NULL when conf has no
 * durations, or conf NULL). */
int agent_fmt_case_begin(char *buf, size_t cap, const struct agent_case *c, const struct tc_profile *prof,
			 struct tc_err *err);
int agent_fmt_app(char *buf, size_t cap, const struct tc_app *act, uint64_t timeout_us, struct tc_err *err);
/* STATE, CASE-END, BYE */
int agent_fmt_simple(char *buf, size_t cap, enum agent_req_kind kind, struct tc_err *err);

/* One request line (without its newline). -1 with err set and *cls the
 * class to answer with (SYNTAX or VERSION). */
int agent_parse_req(const char *line, struct agent_req *out, enum agent_errclass *cls, struct tc_err *err);

/* ---- answers ---- */

int agent_fmt_ok(char *buf, size_t cap, const char *words);
/* An APP call's result as the words of its OK: "errno=NAME" when it
 * failed, else "value=N" and for a read "more=0|1 data=HEX" (at most
 * AGENT_RESULT_DATA bytes of it). */
#define AGENT_RESULT_DATA 256
void agent_fmt_result(char *buf, size_t cap, const struct tc_app_result *res);
/* The words back into res; -1 with err on a malformed one. */
int agent_parse_result(const char *words, struct tc_app_result *res, struct tc_err *err);
int agent_fmt_err(char *buf, size_t cap, enum agent_errclass cls, const char *msg);
int agent_parse_reply(const char *line, struct agent_reply *out, struct tc_err *err);

/* The STATE answer's words: "ESTABLISHED LISTEN>SYN-RECEIVED ..." */
int agent_fmt_state_words(char *buf, size_t cap, enum tc_state st, const struct tc_transitions *tr);
int agent_parse_state_words(const char *words, enum tc_state *st, struct tc_transitions *tr, struct tc_err *err);

/* ---- the token ---- */

/* Reads a token file: refused when it is not a regular file, when anyone
 * but its owner may read or write it (world- or group-readable: the token
 * would be no secret), or when it holds fewer than AGENT_TOKEN_MIN or more
 * than AGENT_TOKEN_MAX bytes. The bytes are the token, whatever they are. */
int agent_token_load(const char *path, uint8_t *out, size_t *len, struct tc_err *err);

/* Constant time in the longer of the two lengths: which byte differs
 * leaks nothing. */
bool agent_token_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Splits one line off buf[0..*len): returns the line's length (the "\n"
 * and a "\r" before it replaced by NUL) and leaves *used its bytes with the
 * newline; 0 when no whole line is there yet; -1 when AGENT_LINE_MAX bytes
 * hold no newline. */
int agent_line_take(char *buf, size_t len, size_t *used);

#endif
