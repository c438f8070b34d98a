/* The liveness handshake of a remote run: a SYN from the run's own
 * liveness port to the far host's open port, its SYN,ACK awaited, then an
 * RST at exactly the far host's RCV.NXT (RFC 9293 3.10.7.4: an RST whose
 * sequence number is RCV.NXT resets the connection), so the far host
 * keeps nothing. Made before and after every case: a host that stops
 * answering stops the run. */
#ifndef TC_REMOTE_LIVE_H
#define TC_REMOTE_LIVE_H

#include <stdint.h>

#include "../../err/tc_err.h"
#include "../../seg/seg.h"

struct wire;

/* How a segment leaves: through the run's rate limit and connection cap.
 * Returns 0, or -1 with err set. */
typedef int (*remote_send_fn)(void *ctx, const struct tc_seg *s, struct tc_err *err);

struct remote_live {
	struct wire *wire;
	remote_send_fn send;
	void *ctx;
	struct seg_addr local, remote;
	uint16_t local_port, remote_port;
	uint32_t isn; /* moved on by every attempt */
};

/* Up to REMOTE_LIVE_TRIES SYNs, REMOTE_LIVE_WAIT_US apart. 0 and *rtt_us
 * (SYN to SYN,ACK) when the far host answered; -1 with the reason
 * (TC_ERR_TARGET: it answered RST, or nothing). */
#define REMOTE_LIVE_TRIES 3
#define REMOTE_LIVE_WAIT_US 1000000u
int remote_live_check(struct remote_live *l, uint64_t *rtt_us, struct tc_err *err);

#endif
