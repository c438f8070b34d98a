/* The ref-net target's agent process: `tcpconform agent --stack ref
 * --control-fd 3 ...` of this very program (/proc/self/exe, so the faults
 * build's agent has the faults), started inside the target namespace with
 * one end of a socketpair as its control connection. It dies with the
 * thread that started it (PR_SET_PDEATHSIG), and is ended by its PID
 * (through a pidfd when the kernel has them): BYE first, SIGKILL after a
 * second. */
#ifndef TC_REFNET_AGENT_H
#define TC_REFNET_AGENT_H

#include <sys/types.h>

#include "../../agent/agent_client.h"
#include "../../err/tc_err.h"
#include "../../netns/netns.h"

struct refnet_agent_conf {
	int target_ns_fd;
	const char *ifname; /* the target end of the veth, in that namespace */
	struct seg_addr addr4, addr6; /* the stack's own addresses */
	struct seg_addr peer4, peer6; /* the injector's, at peer_mac */
	const uint8_t *peer_mac;
	const char *token_file;
	const char *fault; /* NULL: none */
};

struct refnet_agent;

/* Started, and HELLO answered. */
struct refnet_agent *refnet_agent_start(const struct refnet_agent_conf *conf, struct tc_err *err);
struct agent_client *refnet_agent_client(struct refnet_agent *a);
pid_t refnet_agent_pid(const struct refnet_agent *a);
/* How the process ended, "" while it runs: for an error that names it. */
const char *refnet_agent_ended(struct refnet_agent *a);
/* BYE, then reaped (SIGKILL after 1 s). NULL is allowed. */
void refnet_agent_stop(struct refnet_agent *a);

#endif
