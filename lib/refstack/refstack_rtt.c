/* The retransmission timeout from measured round-trip times: RFC 6298
 * (SRTT, RTTVAR, RTO, Karn's algorithm, the backed-off RTO kept until a new
 * sample, 3 s after a lost SYN) and RFC 7323 4 (RTTM: samples from the
 * TSecr of ACKs that advance SND.UNA). Without timestamps one segment at a
 * time is timed (RFC 6298 3, "at least one RTT measurement per RTT"); with
 * them every ACK that advances SND.UNA gives a sample.
 *
 * The stack's clock is microseconds; timestamps tick every 1 ms (RFC 7323
 * 5.4), so a TSecr sample is whole milliseconds: G, the clock granularity of
 * RFC 6298 2, is the coarser of the two. */
#include "refstack_internal.h"

/* RFC 6298 2: alpha = 1/8, beta = 1/4, K = 4 */
#define RTT_K 4u

/* How much an RTT sample may be, at most: a TSecr further back than this
 * echoes something we never sent in this connection (a peer echoing
 * garbage), not a round trip (RFC 7323 5.2's window of 2^31 ticks is far
 * wider than any RTO.max). */
#define RTT_SAMPLE_MAX_US (600ull * 1000000)

/* RFC 6298 2.4, 2.5: RTO.min below, RTO.max above. */
static uint64_t rto_bounded(const struct refstack *s, uint64_t rto)
{
#ifdef REFSTACK_FAULTS
	/* fault rto-below-min: RTO.min is never applied to a computed RTO */
	if (refstack_fault_on(s, REFSTACK_FAULT_RTO_BELOW_MIN))
		goto no_min;
#endif
	/* 2.4: "Whenever RTO is computed, if it is less than 1 second, then
	 * the RTO SHOULD be rounded up to 1 second" (RTO.min, configurable) */
	if (rto < s->cfg.rto_min_us)
		rto = s->cfg.rto_min_us;
#ifdef REFSTACK_FAULTS
no_min:
#endif
	/* 2.5: "A maximum value MAY be placed on RTO provided it is at least
	 * 60 seconds" (0 = none) */
	if (s->cfg.rto_max_us && rto > s->cfg.rto_max_us)
		rto = s->cfg.rto_max_us;
	return rto;
}

/* RFC 6298 2.2, 2.3: one RTT measurement r_us into SRTT and RTTVAR, and the
 * RTO from them. A new sample also ends any backoff (5.7: the backed-off
 * RTO is kept only "until an acknowledgment is received for data that
 * was not retransmitted"; a sample is exactly that). */
static void rtt_sample(const struct refstack *s, struct refstack_conn *c, uint64_t r_us)
{
	uint64_t var;

	if (!c->rtt_valid) {
		/* 2.2: "SRTT <- R, RTTVAR <- R/2" */
		c->srtt_us = r_us;
		c->rttvar_us = r_us / 2;
		c->rtt_valid = true;
	} else {
		/* 2.3: "RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|"
		 * first, with the SRTT before this sample, then "SRTT <-
		 * (1 - alpha) * SRTT + alpha * R'" */
		uint64_t diff = c->srtt_us > r_us ? c->srtt_us - r_us : r_us - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + diff) / 4;
		c->srtt_us = (7 * c->srtt_us + r_us) / 8;
	}
	/* 2.2, 2.3: "RTO <- SRTT + max (G, K*RTTVAR)" */
	var = RTT_K * c->rttvar_us;
	if (var < REFSTACK_RTT_G_US)
		var = REFSTACK_RTT_G_US;
	c->rto_us = rto_bounded(s, c->srtt_us + var);
}

void refstack_rtt_sent(const struct refstack *s, struct refstack_conn *c, uint32_t seq,
		       uint32_t end, uint64_t now_us)
{
	(void)s;
	/* R2 counts from the oldest unacknowledged transmission (9293 3.8.3,
	 * RFC 5482): a segment into an empty flight starts that clock */
	if (c->snd_una == seq)
		c->una_since_us = now_us;
	/* RFC 6298 3: Karn's algorithm for taking RTT samples, and about one
	 * measurement per RTT: one segment is timed at a time, always a
	 * first transmission (new data or our SYN), so its ACK is
	 * unambiguous until it is retransmitted */
	if (c->rtt_timing)
		return;
	c->rtt_timing = true;
	c->rtt_start = seq;
	c->rtt_end = end;
	c->rtt_sent_us = now_us;
}

void refstack_rtt_retransmitted(const struct refstack *s, struct refstack_conn *c, uint32_t seq,
				uint32_t end, uint64_t now_us)
{
	(void)s;
	(void)now_us;
	if (seq_leq(c->snd_una, c->iss))
		/* 5.7: the SYN (or SYN,ACK) timed out: the 3 s rule applies
		 * unless a sample comes from the handshake after all */
		c->syn_rexmitted = true;
	if (!c->rtt_timing || !seq_lt(seq, c->rtt_end) || !seq_lt(c->rtt_start, end))
		return;
#ifdef REFSTACK_FAULTS
	/* fault karn-violated: the measurement goes on, timed from the
	 * retransmission, so the ACK (of either copy) gives a sample */
	if (refstack_fault_on(s, REFSTACK_FAULT_KARN_VIOLATED)) {
		c->rtt_sent_us = now_us;
		return;
	}
#endif
	/* RFC 6298 3, RFC 9293 3.8.1 (MUST-18): "RTT samples MUST NOT be made
	 * using segments that were retransmitted (and thus for which it is
	 * ambiguous whether the reply was for the first instance of the
	 * packet or a later instance)" */
	c->rtt_timing = false;
}

/* RFC 7323 4.1: the sample a TSecr gives, or false. */
static bool ts_sample(const struct refstack *s, const struct refstack_conn *c,
		      const struct refstack_rx_seg *seg, uint64_t *r_us)
{
	uint32_t ticks;

	if (!c->ts_ok || !seg->has_ts)
		return false;
#ifdef REFSTACK_FAULTS
	/* fault rttm-ignored: the TSecr is never used for an RTT sample */
	if (refstack_fault_on(s, REFSTACK_FAULT_RTTM_IGNORED))
		return false;
#endif
	/* "RTT = current time - TSecr", modulo 2^32 (5.2); an echo from
	 * the future or from before anything plausible is no round trip */
	ticks = refstack_ts_clock(s) - seg->ts_ecr;
	if ((int32_t)ticks < 0 || (uint64_t)ticks * 1000u > RTT_SAMPLE_MAX_US)
		return false;
	*r_us = (uint64_t)ticks * 1000u;
	return true;
}

void refstack_rtt_acked(const struct refstack *s, struct refstack_conn *c,
			const struct refstack_rx_seg *seg, uint32_t ack, uint64_t now_us)
{
	bool syn_acked = seq_leq(c->snd_una, c->iss) && seq_gt(ack, c->iss);
	bool timed_acked = c->rtt_timing && seq_geq(ack, c->rtt_end);
	uint64_t r_us;

	if (timed_acked)
		c->rtt_timing = false;
	/* RFC 7323 4.1: "A TSecr value received in a segment MAY be used to
	 * update the averaged RTT measurement only if the segment advances
	 * the left edge of the send window, i.e., SND.UNA is increased" (our
	 * caller's condition); every such ACK is a sample (RTTM). The TSecr
	 * names the transmission it answers, so retransmitted segments give
	 * samples too (RFC 6298 3: "the timestamp option removes the
	 * ambiguity"). TS.Recent's rules (4.3) keep the peer's echo on the
	 * earliest unacknowledged segment (4.2). */
	if (ts_sample(s, c, seg, &r_us))
		rtt_sample(s, c, r_us);
	else if (timed_acked)
		rtt_sample(s, c, now_us - c->rtt_sent_us);
	/* RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN
	 * segment and the TCP implementation is using an RTO less than 3
	 * seconds, the RTO MUST be re-initialized to 3 seconds when data
	 * transmission begins (i.e., after the three-way handshake
	 * completes)" -- unless the handshake still gave a sample */
	if (syn_acked && c->syn_rexmitted && !c->rtt_valid && c->rto_us < REFSTACK_RTO_SYN_LOST_US
#ifdef REFSTACK_FAULTS
	    /* fault no-rto-3s-after-syn-loss: the backed-off RTO stays */
	    && !refstack_fault_on(s, REFSTACK_FAULT_NO_RTO_3S_AFTER_SYN_LOSS)
#endif
	)
		c->rto_us = rto_bounded(s, REFSTACK_RTO_SYN_LOST_US);
	/* the oldest unacknowledged data is younger now (R2's clock) */
	c->una_since_us = now_us;
}

void refstack_rtt_backoff(const struct refstack *s, struct refstack_conn *c)
{
#ifdef REFSTACK_FAULTS
	/* fault rto-not-backed-off: the RTO stays as it was */
	if (refstack_fault_on(s, REFSTACK_FAULT_RTO_NOT_BACKED_OFF))
		return;
#endif
	/* RFC 6298 5.5: "RTO <- RTO * 2 ('back off the timer')", capped at
	 * RTO.max (2.5; 0 = no cap) */
	if (c->rto_us <= UINT64_MAX / 4)
		c->rto_us *= 2;
	if (s->cfg.rto_max_us && c->rto_us > s->cfg.rto_max_us)
		c->rto_us = s->cfg.rto_max_us;
}

uint64_t refstack_conn_rto(const struct refstack_conn *c)
{
	return c->rto_us;
}

uint64_t refstack_conn_srtt(const struct refstack_conn *c)
{
	return c->rtt_valid ? c->srtt_us : 0;
}
