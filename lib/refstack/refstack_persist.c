/* The persist timer, RFC 9293 3.8.6.1 and 3.8.6.2.1.
 *
 * It runs while text or a FIN waits to be sent and nothing is in flight
 * (so no retransmission timer will wake the sender): when the peer's
 * window is zero, or when sender SWS avoidance holds a sliver back.
 *
 * Zero window (3.8.6.1): "The sending TCP peer must regularly transmit at
 * least one octet of new data (if available), or retransmit to the
 * receiving TCP peer even if the send window is zero, in order to 'probe'
 * the window" (MUST-36). The first probe goes one RTO after the window
 * closed (SHLD-29) and the interval doubles per probe (SHLD-30), up to
 * RTO.max. The reference stack probes with one octet of new data beyond
 * the window, SND.NXT advancing over it, and sends that octet again while
 * it is unanswered (Linux instead sends a zero-length segment at
 * SND.UNA-1). Probes count toward no retry limit: while they are answered
 * the window may stay zero for ever (MUST-37: "As long as the receiving
 * TCP peer continues to send acknowledgments in response to the probe
 * segments, the sending TCP peer MUST allow the connection to stay open"),
 * with a user timeout too.
 *
 * The user timeout (RFC 5482: "how long transmitted data may remain
 * unacknowledged before a connection is forcefully closed"; 9293 3.8.3 R2
 * as a time) bounds unanswered probes: the probe's octet is such data.
 * It counts from the first probe sent since the peer last answered one
 * (any acceptable ACK), and when it runs out the connection is closed as
 * at R2: no RST, the application told ETIMEDOUT. The RFCs leave the start
 * of that clock and the reset open; this is what Linux 6.18 does when
 * the probes go unanswered (icsk_probes_tstamp is set at the first probe,
 * the probe timer is clamped to fire when the timeout runs out). Linux
 * also ends answered probes that way, which MUST-37 forbids; here an
 * answer starts the clock again.
 *
 * A window that is open but too small (3.8.6.2.1 (4)): when the timer runs
 * out the sender sends what the window takes, the "override timeout"
 * (0.1 - 1.0 s; here the RTO, 1 s by default). */
#include "refstack_internal.h"

static bool waiting(const struct refstack_conn *c)
{
	return refstack_unsent(c) > 0 || (c->fin_queued && !c->fin_sent);
}

static void persist_stop(struct refstack_conn *c)
{
	c->persist_at = REFSTACK_TIMER_OFF;
	c->persist_us = 0;
	c->probing = false;
	c->probe_since_us = REFSTACK_TIMER_OFF;
}

/* A probe's octet (or FIN) is out, unacknowledged: SND.NXT covers it and
 * nothing else */
static bool probe_out(const struct refstack_conn *c)
{
	return c->probing && c->snd_nxt != c->snd_una;
}

void refstack_persist_window(struct refstack_conn *c)
{
	if (!probe_out(c) || c->snd_wnd == 0)
		return;
	/* The window opened while a probe was unanswered (a receiver with
	 * a zero window drops its octet): send from SND.UNA again, the
	 * probe's octet first, and un-send a probing FIN. */
	c->snd_nxt = c->snd_una;
	if (c->fin_sent && !seq_lt(c->fin_seq, c->snd_una))
		c->fin_sent = false;
	persist_stop(c);
}

void refstack_persist_heard(const struct refstack *s, struct refstack_conn *c)
{
	if (!c->probing)
		return;
#ifdef REFSTACK_FAULTS
	/* fault user-timeout-ends-answered-probes: an answer does not count,
	 * the clock runs from the first probe (as Linux's does) */
	if (refstack_fault_on(s, REFSTACK_FAULT_USER_TIMEOUT_ENDS_ANSWERED_PROBES))
		return;
#else
	(void)s;
#endif
	/* MUST-37: the peer answers, the connection stays open */
	c->probe_since_us = REFSTACK_TIMER_OFF;
}

/* The moment unanswered probes have run out the user timeout, or
 * REFSTACK_TIMER_OFF. */
static uint64_t probe_give_up_at(const struct refstack *s, const struct refstack_conn *c)
{
#ifdef REFSTACK_FAULTS
	/* fault user-timeout-ignores-probes: the probes never end */
	if (refstack_fault_on(s, REFSTACK_FAULT_USER_TIMEOUT_IGNORES_PROBES))
		return REFSTACK_TIMER_OFF;
#else
	(void)s;
#endif
	if (!c->user_timeout_us || c->probe_since_us == REFSTACK_TIMER_OFF ||
	    c->probe_since_us > REFSTACK_TIMER_OFF - c->user_timeout_us)
		return REFSTACK_TIMER_OFF;
	return c->probe_since_us + c->user_timeout_us;
}

uint64_t refstack_persist_deadline(const struct refstack *s, const struct refstack_conn *c)
{
	uint64_t give_up;

	if (c->persist_at == REFSTACK_TIMER_OFF)
		return REFSTACK_TIMER_OFF;
	/* the timer wakes when the user timeout runs out, not at the next
	 * probe after it, so the connection ends on time (Linux:
	 * tcp_clamp_probe0_to_user_timeout) */
	give_up = probe_give_up_at(s, c);
	return give_up < c->persist_at ? give_up : c->persist_at;
}

void refstack_persist_check(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	if (probe_out(c))
		return; /* probing: the timer keeps its backoff */
	if (!waiting(c) || c->snd_nxt != c->snd_una || c->fin_sent) {
		/* nothing waits, or something is in flight: the
		 * retransmission timer is in charge */
		persist_stop(c);
		return;
	}
	if (c->persist_at != REFSTACK_TIMER_OFF)
		return;
	(void)s;
	/* SHLD-29: the first probe one RTO after the window closed */
	c->persist_us = c->rto_us;
	c->persist_at = now_us + c->persist_us;
}

void refstack_persist_timeout(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	if (c->snd_wnd > 0 && !probe_out(c)) {
		/* 3.8.6.2.1 (4): the override timeout sends what fits; the
		 * retransmission timer takes it from there */
		persist_stop(c);
		if (refstack_out_force(s, c, now_us) == 0)
			refstack_persist_check(s, c, now_us);
		return;
	}
	/* RFC 5482: the probes went unanswered for the user timeout */
	if (probe_give_up_at(s, c) <= now_us) {
		refstack_conn_closed(s, c, REFSTACK_CAUSE_TIMEOUT_PROBE, refstack_timeout_error(s, c));
		return;
	}
	if (c->persist_at > now_us)
		return; /* woken for the user timeout, which an answer has reset */
#ifdef REFSTACK_FAULTS
	/* fault no-persist-probe: the timer runs, no probe goes out */
	if (!refstack_fault_on(s, REFSTACK_FAULT_NO_PERSIST_PROBE))
#endif
		refstack_out_window_probe(s, c);
	c->probing = true;
	if (c->probe_since_us == REFSTACK_TIMER_OFF)
		c->probe_since_us = now_us;
	/* SHLD-30: "increase exponentially the interval between successive
	 * probes", capped at RTO.max (RFC 6298 2.5) */
#ifdef REFSTACK_FAULTS
	/* fault persist-no-backoff: the interval stays one RTO */
	if (!refstack_fault_on(s, REFSTACK_FAULT_PERSIST_NO_BACKOFF))
#endif
		if (c->persist_us <= UINT64_MAX / 4)
			c->persist_us *= 2;
	if (s->cfg.rto_max_us && c->persist_us > s->cfg.rto_max_us)
		c->persist_us = s->cfg.rto_max_us;
	c->persist_at = now_us + c->persist_us;
}
