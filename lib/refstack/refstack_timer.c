/* Timers: retransmission (RFC 6298), delayed ACK (9293 3.8.6.3), 2*MSL
 * (9293 3.4.2, 3.10.7.4 step 8); the persist timer and keep-alive have
 * files of their own and are fired from here. All of them are absolute times in a TCB;
 * time itself only arrives as now_us. */
#include "refstack_internal.h"

#include <errno.h>

uint64_t refstack_rto_initial(const struct refstack *s)
{
	uint64_t rto = s->cfg.rto_initial_us;

	/* RFC 6298 2.4: never below RTO.min; 2.5: a maximum may be placed */
	if (rto < s->cfg.rto_min_us)
		rto = s->cfg.rto_min_us;
	if (s->cfg.rto_max_us && rto > s->cfg.rto_max_us)
		rto = s->cfg.rto_max_us;
	return rto;
}

void refstack_rexmit_start(struct refstack_conn *c, uint64_t now_us)
{
	/* RFC 6298 5.1: "If it is not running, start the timer running so that
	 * it will expire after RTO seconds" */
	if (c->rexmit_at == REFSTACK_TIMER_OFF)
		c->rexmit_at = now_us + c->rto_us;
}

void refstack_rexmit_acked(const struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	/* RFC 6298 5.7: the RTO stays as refstack_rtt_acked left it: from a
	 * new sample, or still backed off when the ACK gave none (the
	 * acknowledged data was retransmitted) */
#ifdef REFSTACK_FAULTS
	/* fault backoff-reset-on-ack: any ACK of new data undoes the backoff */
	if (refstack_fault_on(s, REFSTACK_FAULT_BACKOFF_RESET_ON_ACK) && c->rexmit_count)
		c->rto_us = refstack_rto_initial(s);
#else
	(void)s;
#endif
	c->rexmit_count = 0;
	if (c->snd_una == c->snd_nxt)
		/* RFC 6298 5.2: all outstanding data acknowledged: stop */
		c->rexmit_at = REFSTACK_TIMER_OFF;
	else
		/* RFC 6298 5.3: new data acknowledged: restart */
		c->rexmit_at = now_us + c->rto_us;
}

void refstack_delack_text(const struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	uint64_t delay = s->cfg.delack_us;

#ifdef REFSTACK_FAULTS
	/* fault no-delack-every-second-segment: a second segment waits for
	 * the timer armed by the first */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_DELACK_EVERY_SECOND_SEGMENT) && delay &&
	    c->delack_at != REFSTACK_TIMER_OFF)
		return;
	/* fault ack-every-segment: no ACK waits to cover a later segment
	 * (9293 3.8.6.3, MUST-58: aggregate ACKs) */
	if (refstack_fault_on(s, REFSTACK_FAULT_ACK_EVERY_SEGMENT))
		delay = 0;
	/* fault delack-past-500ms: the delay is 600 ms */
	if (refstack_fault_on(s, REFSTACK_FAULT_DELACK_PAST_500MS) && delay)
		delay = 600000;
#endif
	if (delay == 0 || c->ack_pending || c->delack_at != REFSTACK_TIMER_OFF) {
		/* no delayed ACK configured, or already owed, or the second
		 * segment not yet acknowledged (9293 3.8.6.3, SHLD-19: "an ACK
		 * SHOULD be generated for at least every second full-sized
		 * segment"; here: every second text segment, of any size) */
		c->ack_pending = true;
		return;
	}
	/* 9293 3.8.6.3 (SHLD-18): delay the ACK by delack_us, which
	 * refstack_init kept under 0.5 s (MUST-40) */
	c->delack_at = now_us + delay;
}

static uint64_t time_wait_us(const struct refstack *s)
{
#ifdef REFSTACK_FAULTS
	/* fault short-msl: TIME-WAIT lasts 1*MSL */
	if (refstack_fault_on(s, REFSTACK_FAULT_SHORT_MSL))
		return s->cfg.msl_us;
#endif
	/* 9293 3.4.2: TIME-WAIT lasts 2*MSL */
	return 2 * s->cfg.msl_us;
}

void refstack_time_wait_restart(const struct refstack *s, struct refstack_conn *c,
				uint64_t now_us)
{
	c->timewait_at = now_us + time_wait_us(s);
}

void refstack_enter_time_wait(struct refstack *s, struct refstack_conn *c,
			      enum refstack_cause cause, uint64_t now_us)
{
#ifdef REFSTACK_FAULTS
	/* fault no-time-wait: straight to CLOSED, on every path into TIME-WAIT */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_TIME_WAIT)) {
		refstack_conn_closed(s, c, cause, 0);
		return;
	}
#endif
	/* 9293 3.10.7.4 step 8: "enter the TIME-WAIT state, start the
	 * time-wait timer, turn off the other timers" */
	refstack_set_state(s, c, REFSTACK_TIME_WAIT, cause);
	c->rexmit_at = REFSTACK_TIMER_OFF;
	c->delack_at = REFSTACK_TIMER_OFF;
	c->persist_at = REFSTACK_TIMER_OFF;
	c->keep_at = REFSTACK_TIMER_OFF;
	refstack_time_wait_restart(s, c, now_us);
}

/* 9293 3.8.3: R2 is reached. As a time (the user timeout, RFC 5482) when
 * one is set: the oldest unacknowledged segment has waited that long; else
 * as a count: syn_retries (SYN, SYN-ACK) or retries (text, FIN)
 * retransmissions were made and the RTO after the last one expired. */
static bool r2_reached(const struct refstack *s, const struct refstack_conn *c, uint64_t now_us)
{
	bool syn = seq_leq(c->snd_una, c->iss);

	if (c->user_timeout_us) {
#ifdef REFSTACK_FAULTS
		/* fault user-timeout-ignored: kept, never checked */
		if (refstack_fault_on(s, REFSTACK_FAULT_USER_TIMEOUT_IGNORED))
			return c->rexmit_count >= (syn ? s->cfg.syn_retries : s->cfg.retries);
#endif
		return now_us - c->una_since_us >= c->user_timeout_us;
	}
#ifdef REFSTACK_FAULTS
	/* fault syn-r2-under-3-minutes: the old default of 5 SYN retries */
	if (syn && refstack_fault_on(s, REFSTACK_FAULT_SYN_R2_UNDER_3_MINUTES) && c->rexmit_count >= 5)
		return true;
#endif
	return c->rexmit_count >= (syn ? s->cfg.syn_retries : s->cfg.retries);
}

/* RFC 6298 5.4 - 5.6: retransmit the earliest unacknowledged segment, back
 * off, restart; past R2 give up (9293 3.8.3, MUST-20: "close the
 * connection"; the application learns ETIMEDOUT, or the soft error an ICMP message left). */
static void rexmit_timeout(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	if (r2_reached(s, c, now_us)) {
		refstack_conn_closed(s, c, REFSTACK_CAUSE_TIMEOUT_RETRANSMIT, refstack_timeout_error(s, c));
		return;
	}
	/* RFC 5681 3.1: the timeout is a congestion signal (not on a SYN) */
	if (!seq_leq(c->snd_una, c->iss))
		refstack_cc_timeout(s, c);
	c->rexmit_count++;
	refstack_retransmit(s, c, now_us);
	/* RFC 6298 5.5 */
	refstack_rtt_backoff(s, c);
	/* RFC 6298 5.6; with a user timeout the timer fires no later than
	 * the moment it runs out, so the connection ends on time (as
	 * Linux's TCP_USER_TIMEOUT does) */
	c->rexmit_at = now_us + c->rto_us;
	if (c->user_timeout_us && c->una_since_us + c->user_timeout_us < c->rexmit_at
#ifdef REFSTACK_FAULTS
	    && !refstack_fault_on(s, REFSTACK_FAULT_USER_TIMEOUT_IGNORED)
#endif
	)
		c->rexmit_at = c->una_since_us + c->user_timeout_us;
}

void refstack_timers(struct refstack *s, uint64_t now_us)
{
	s->now_us = now_us;
	for (unsigned i = 0; i < REFSTACK_MAX_CONNS; i++) {
		struct refstack_conn *c = &s->conns[i];

		if (!c->used)
			continue;
		/* 9293 3.10.8 TIME-WAIT TIMEOUT: "delete the TCB, enter the
		 * CLOSED state, and return" */
		if (c->timewait_at <= now_us) {
			refstack_conn_closed(s, c, REFSTACK_CAUSE_TIMEOUT_2MSL, 0);
			continue;
		}
		if (c->rexmit_at <= now_us) {
			rexmit_timeout(s, c, now_us);
			if (!c->used)
				continue;
		}
		if (refstack_persist_deadline(s, c) <= now_us) {
			refstack_persist_timeout(s, c, now_us);
			if (!c->used)
				continue;
		}
		if (c->keep_at <= now_us) {
			refstack_keepalive_timeout(s, c, now_us);
			if (!c->used)
				continue;
		}
		if (c->delack_at <= now_us)
			refstack_out_ack(s, c);
	}
}

uint64_t refstack_next_deadline(const struct refstack *s)
{
	uint64_t t = REFSTACK_TIMER_OFF;

	for (unsigned i = 0; i < REFSTACK_MAX_CONNS; i++) {
		const struct refstack_conn *c = &s->conns[i];

		if (!c->used)
			continue;
		if (c->rexmit_at < t)
			t = c->rexmit_at;
		if (c->delack_at < t)
			t = c->delack_at;
		if (c->timewait_at < t)
			t = c->timewait_at;
		if (refstack_persist_deadline(s, c) < t)
			t = refstack_persist_deadline(s, c);
		if (c->keep_at < t)
			t = c->keep_at;
	}
	return t;
}
