/* What the agent drives: a TCP stack behind one ops struct. The agent's
 * session (agent_session) turns protocol requests into these calls; a
 * stack that runs its own timers and frames (ref) also gives the session a
 * descriptor and a deadline to poll on, and is serviced before every
 * request so that whatever has arrived is processed first.
 *
 * Errors: TC_ERR_TARGET is the stack refusing (answered ERR STACK, the
 * case's business), TC_ERR_UNSUPPORTED a case the stack cannot run
 * (ERR UNSUPPORTED), anything else the agent breaking (ERR INTERNAL). */
#ifndef TC_AGENT_STACK_H
#define TC_AGENT_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "../case/tc_case.h"
#include "../case/tc_profile.h"
#include "../err/tc_err.h"
#include "agent_proto.h"

struct agent_stack;

struct agent_stack_ops {
	const char *name;
	bool transitions; /* STATE answers carry the transitions since the last read */
	int (*case_begin)(struct agent_stack *s, const struct agent_case *c, struct tc_err *err);
	/* Waits up to timeout_us where the action must (accept, recv, send). */
	/* What the call returned goes into *res (an errno is a result, not a
	 * failure); a failure of the stack itself is -1 with err. */
	int (*app)(struct agent_stack *s, const struct tc_app *act, uint64_t timeout_us, struct tc_app_result *res,
		   struct tc_err *err);
	int (*state)(struct agent_stack *s, enum tc_state *out, struct tc_transitions *since, struct tc_err *err);
	/* Every socket and every trace of the case goes. */
	void (*case_end)(struct agent_stack *s);
	/* For the session's poll: a descriptor (-1: none) and the next
	 * timer (UINT64_MAX: none), and the work when either is due. May be
	 * NULL for a stack that needs no servicing. */
	int (*poll_fd)(struct agent_stack *s);
	uint64_t (*next_deadline_us)(struct agent_stack *s);
	int (*service)(struct agent_stack *s, struct tc_err *err);
	void (*free)(struct agent_stack *s);
};

struct agent_stack {
	const struct agent_stack_ops *ops;
};

/* CLOCK_MONOTONIC in microseconds: the clock of the agent and its stacks. */
uint64_t agent_now_us(void);

/* --stack linux: the kernel of the namespace the agent runs in. */
struct agent_stack *agent_stack_linux_new(struct tc_err *err);

/* --stack ref: the bundled stack on a packet socket of ifname. */
#define AGENT_MAX_NEIGH 8
struct agent_ref_conf {
	const char *ifname;
	/* The stack's own addresses (at most one per family): it answers ARP
	 * and neighbour solicitations for them and TCP to them. */
	bool have4, have6;
	struct seg_addr addr4, addr6;
	/* Permanent neighbours: where frames for these addresses go. Others
	 * are learnt from the frames they send. */
	int nneigh;
	struct seg_addr neigh_addr[AGENT_MAX_NEIGH];
	uint8_t neigh_mac[AGENT_MAX_NEIGH][6];
	const char *fault; /* faults build only; NULL = none */
};
struct agent_stack *agent_stack_ref_new(const struct agent_ref_conf *conf, struct tc_err *err);

static inline void agent_stack_free(struct agent_stack *s)
{
	if (s)
		s->ops->free(s);
}

#endif
