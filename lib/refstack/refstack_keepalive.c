/* Keep-alive, RFC 9293 3.8.4: off unless the application turns it on
 * (MUST-24, MUST-25); after keep_idle_us in which nothing arrived from the
 * peer and nothing we sent is outstanding (MUST-26), a probe
 * <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>; an unanswered probe is sent again
 * every keep_intvl_us and only REFSTACK_KEEPALIVE_PROBES of them in a row
 * end the connection (MUST-29: one lost ACK is no dead peer). The idle
 * time is per connection (MUST-27) and defaults to two hours (MUST-28,
 * REFSTACK_DEFAULT_KEEPALIVE_US). */
#include "refstack_internal.h"

#include <errno.h>

static bool keepalive_state(enum refstack_state st)
{
	/* a connection that is open and idle; the closing states have their
	 * own timers (retransmission of the FIN, 2*MSL) */
	return st == REFSTACK_ESTABLISHED || st == REFSTACK_CLOSE_WAIT;
}

void refstack_keepalive_heard(const struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	(void)s;
	c->keep_probes = 0;
	if (c->keep_idle_us == 0 || !keepalive_state(c->state)) {
		c->keep_at = REFSTACK_TIMER_OFF;
		return;
	}
	c->keep_at = now_us + c->keep_idle_us;
}

void refstack_keepalive_timeout(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	if (c->keep_idle_us == 0 || !keepalive_state(c->state)) {
		c->keep_at = REFSTACK_TIMER_OFF;
		return;
	}
	/* MUST-26: "only when no sent data is outstanding": the
	 * retransmission timer watches the peer meanwhile */
	if (c->snd_una != c->snd_nxt || refstack_unsent(c)) {
		c->keep_probes = 0;
		c->keep_at = now_us + c->keep_idle_us;
		return;
	}
	if (c->keep_probes >= REFSTACK_KEEPALIVE_PROBES) {
		refstack_conn_closed(s, c, REFSTACK_CAUSE_TIMEOUT_KEEPALIVE, refstack_timeout_error(s, c));
		return;
	}
	refstack_out_keepalive(s, c);
	c->keep_probes++;
	c->keep_at = now_us + (c->keep_intvl_us ? c->keep_intvl_us : REFSTACK_DEFAULT_KEEPALIVE_INTVL_US);
}
