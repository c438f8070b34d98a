/* The harness's side of the agent protocol (docs/agent-protocol.md): one
 * control connection to a `tcpconform agent` (or a vendor's agent on a
 * device), authenticated with a token file, one request and one answer at
 * a time. Used by the ref-net target and the remote target's app and
 * state reads.
 *
 * Errors: an action the stack refused comes back as TC_ERR_TARGET with the
 * stack's own text; a case the stack cannot run (a config it cannot pin)
 * as TC_ERR_UNSUPPORTED; a broken or silent control connection, or an
 * agent that breaks the protocol, as TC_ERR_SYSTEM naming the agent. After
 * a TC_ERR_SYSTEM the client is broken: every later call fails at once. */
#ifndef TC_AGENT_CLIENT_H
#define TC_AGENT_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "../case/tc_case.h"
#include "../case/tc_profile.h"
#include "../case/tc_state.h"
#include "../err/tc_err.h"
#include "../seg/seg.h"
#include "agent_proto.h"

struct agent_client;

/* Connects to HOST:PORT ("192.0.2.1:7000", "[2001:db8::1]:7000", a name
 * getaddrinfo resolves) and says HELLO with the token file's bytes. */
struct agent_client *agent_connect(const char *hostport, const char *token_file, struct tc_err *err);

/* The same over a connected stream socket the caller made (a socketpair to
 * an agent it started); the client owns fd from here. name says in errors
 * which agent it is ("ref-net agent (pid 1234)"). */
struct agent_client *agent_attach(int fd, const char *name, const char *token_file, struct tc_err *err);

/* The connection a case is about: the stack's port, the peer and its port
 * (the peer's address family is the case's). */
int agent_case_begin(struct agent_client *c, int family, uint16_t local_port, const struct seg_addr *peer,
		     uint16_t peer_port, struct tc_err *err);
/* The same with the stack's own address and the case's config (durations
 * resolved against prof). */
int agent_case_begin_conf(struct agent_client *c, const struct agent_case *ac, const struct tc_profile *prof,
			  struct tc_err *err);

/* One application action; the agent may wait up to timeout_us for it. */
int agent_app(struct agent_client *c, const struct tc_app *act, uint64_t timeout_us, struct tc_app_result *res,
	      struct tc_err *err);

/* The case connection's state and (since may be NULL) the transitions
 * since the last read; none when the stack cannot tell (agent_transitions). */
int agent_state(struct agent_client *c, enum tc_state *out, struct tc_transitions *since, struct tc_err *err);

/* Every socket of the case is closed on the agent. */
int agent_case_end(struct agent_client *c, struct tc_err *err);

/* BYE (when the connection still works), then the connection is closed
 * and c freed. NULL is allowed. */
void agent_close(struct agent_client *c);

/* What HELLO's answer said. */
const char *agent_stack_name(const struct agent_client *c);
bool agent_transitions(const struct agent_client *c);

#endif
