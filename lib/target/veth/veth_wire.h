/* The wire side shared by the targets that put a stack on a veth in a
 * namespace of its own (linux, ref-net): the namespace pair (lib/netns) and
 * the injector and capture on its harness end (lib/wire), kept by a worker
 * from case to case, and the real clock those targets run on. */
#ifndef TC_VETH_WIRE_H
#define TC_VETH_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../err/tc_err.h"
#include "../../netns/netns.h"
#include "../../wire/wire.h"

struct veth_wire {
	bool ready;
	struct netns_pair ns;
	struct wire *wire;
};

/* The pair and a wire on it with no filter yet. On failure everything made
 * is gone again and w is not ready. */
int veth_wire_make(struct veth_wire *w, const struct netns_pair_conf *conf, struct tc_err *err);
/* Safe on a wire that was never made. */
void veth_wire_destroy(struct veth_wire *w);

/* The capture filter for a case: its two ports. */
int veth_wire_set_case(struct veth_wire *w, uint16_t port, uint16_t peer_port, struct tc_err *err);

/* Real time: sleeps to t_us on CLOCK_MONOTONIC (wire_now_us()). */
int veth_wire_sleep_until(uint64_t t_us, struct tc_err *err);

#endif
