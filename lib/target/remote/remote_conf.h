/* The settings of a remote run (`--target remote:ADDR[:PORT]` and the
 * options that go with it), and the address checks made before anything
 * is sent. Pure: no I/O, so the safety rules are unit-tested. */
#ifndef TC_REMOTE_CONF_H
#define TC_REMOTE_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "../../err/tc_err.h"
#include "../../seg/seg.h"

#define REMOTE_ALLOW_MAX 16
#define REMOTE_DEFAULT_PORT 8080 /* the port the suite's cases use */
#define REMOTE_DEFAULT_RATE 100 /* injected segments per second */
#define REMOTE_DEFAULT_MAX_CONNECTIONS 1000

/* A prefix ADDR/LEN of one family. */
struct remote_cidr {
	struct seg_addr addr;
	unsigned len;
};

struct remote_conf {
	int nallow;
	struct remote_cidr allow[REMOTE_ALLOW_MAX]; /* --allow, repeatable */
	unsigned rate; /* --rate PPS: segments we inject per second, >= 1 */
	unsigned max_connections; /* --max-connections: SYNs we may send in the run */
	uint16_t closed_port; /* --closed-port: a port nobody listens on; 0 = none */
	/* --agent HOST:PORT and --token-file F: the far host's agent (not in
	 * this build yet; see target_remote.c, "agent hook"). NULL = none. */
	const char *agent, *token_file;
};

/* The defaults above, no --allow. */
void remote_conf_init(struct remote_conf *rc);

/* "198.51.100.0/24", "2001:db8::/32"; a bare address is a /32 or /128.
 * Bits past the prefix must be zero (a typo in the prefix is refused
 * rather than widened). */
int remote_cidr_parse(const char *text, struct remote_cidr *out, struct tc_err *err);
bool remote_cidr_contains(const struct remote_cidr *c, const struct seg_addr *a);

/* "ADDR[:PORT]", IPv6 in brackets: "[2001:db8::5]:8080". PORT defaults to
 * REMOTE_DEFAULT_PORT. */
int remote_target_parse(const char *text, struct seg_addr *addr, uint16_t *port, struct tc_err *err);

/* Why an address may never be a remote target, whatever --allow says:
 * unspecified, loopback, multicast, limited broadcast, link-local (no
 * zone to name it by), IPv4-mapped IPv6 (an IPv4 host behind another
 * family's checks), the reserved 240.0.0.0/4. NULL when none applies. */
const char *remote_addr_forbidden(const struct seg_addr *a);

/* The whole check of a destination before anything is sent: not
 * forbidden, and inside one --allow prefix. TC_ERR_USAGE (exit 2). */
int remote_dest_check(const struct remote_conf *rc, const struct seg_addr *a, struct tc_err *err);

#endif
