/* remote_live.h */
#include "remote_live.h"

#include <stdio.h>
#include <string.h>

#include "../../wire/wire.h"

static void make_seg(const struct remote_live *l, struct tc_seg *s, uint16_t flags, uint32_t seq)
{
	memset(s, 0, sizeof(*s));
	s->src = l->local;
	s->dst = l->remote;
	s->sport = l->local_port;
	s->dport = l->remote_port;
	s->flags = flags;
	s->seq = seq;
	s->win = 65535;
}

/* The answer to our SYN of isn, or 0 by the deadline; other segments on
 * the wire (a case's late leftovers) are not ours and are passed over. */
static int await_answer(struct remote_live *l, uint32_t isn, uint64_t deadline, struct tc_seg *got,
			uint64_t *at, struct tc_err *err)
{
	for (;;) {
		int rc = wire_capture(l->wire, deadline, got, at, err);

		if (rc <= 0)
			return rc;
		if (got->sport == l->remote_port && got->dport == l->local_port && (got->flags & SEG_ACK) &&
		    got->ack == isn + 1)
			return 1;
	}
}

int remote_live_check(struct remote_live *l, uint64_t *rtt_us, struct tc_err *err)
{
	char who[64];

	seg_addr_format(&l->remote, who, sizeof(who));
	for (int i = 0; i < REMOTE_LIVE_TRIES; i++) {
		struct tc_seg syn, got;
		uint64_t sent, at = 0;
		int rc;

		l->isn += 0x01000193u; /* a fresh sequence space each attempt */
		make_seg(l, &syn, SEG_SYN, l->isn);
		if (l->send(l->ctx, &syn, err) != 0)
			return -1;
		sent = wire_now_us();
		rc = await_answer(l, l->isn, sent + REMOTE_LIVE_WAIT_US, &got, &at, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (got.flags & SEG_RST)
			return tc_err_set(err, TC_ERR_TARGET,
					  "liveness: %s port %u answered our SYN with a reset: nothing listens there",
					  who, l->remote_port);
		if ((got.flags & (SEG_SYN | SEG_ACK)) != (SEG_SYN | SEG_ACK))
			continue;
		*rtt_us = at > sent ? at - sent : 0;
		struct tc_seg rst;
		make_seg(l, &rst, SEG_RST, l->isn + 1);
		return l->send(l->ctx, &rst, err);
	}
	return tc_err_set(err, TC_ERR_TARGET,
			  "liveness: %s port %u did not answer %d SYNs %u ms apart with a SYN,ACK: the host stopped answering",
			  who, l->remote_port, REMOTE_LIVE_TRIES, REMOTE_LIVE_WAIT_US / 1000);
}
