/* See veth_wire.h. */
#include "veth_wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int veth_wire_make(struct veth_wire *w, const struct netns_pair_conf *conf, struct tc_err *err)
{
	memset(w, 0, sizeof(*w));
	w->ns.orig_fd = w->ns.target.ns_fd = w->ns.harness.ns_fd = -1;
	if (netns_pair_create(&w->ns, conf, err) != 0)
		return -1;
	/* the filter is set per case */
	w->wire = wire_open(&w->ns, NULL, err);
	if (!w->wire) {
		veth_wire_destroy(w);
		return -1;
	}
	w->ready = true;
	return 0;
}

void veth_wire_destroy(struct veth_wire *w)
{
	wire_close(w->wire);
	netns_pair_destroy(&w->ns);
	memset(w, 0, sizeof(*w));
	w->ns.orig_fd = w->ns.target.ns_fd = w->ns.harness.ns_fd = -1;
}

int veth_wire_set_case(struct veth_wire *w, uint16_t port, uint16_t peer_port, struct tc_err *err)
{
	char bpf[64];

	/* The peer's port alone: every case run has one of its own, and a
	 * case may open a second connection on another port of the target
	 * (an expect's `port:`, to compare ISNs across four-tuples). */
	(void)port;
	snprintf(bpf, sizeof(bpf), "tcp port %u", peer_port);
	return wire_set_filter(w->wire, bpf, err);
}

int veth_wire_sleep_until(uint64_t t_us, struct tc_err *err)
{
	struct timespec ts = {.tv_sec = (time_t)(t_us / 1000000u), .tv_nsec = (long)(t_us % 1000000u) * 1000};
	int rc;

	while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
		;
	if (rc != 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "clock_nanosleep: %s", strerror(rc));
	return 0;
}
