/* Congestion control: RFC 5681 (slow start, congestion avoidance, fast
 * retransmit, fast recovery), RFC 6582 (NewReno partial ACKs), RFC 3042
 * (limited transmit); where SACK was negotiated the loss recovery is RFC
 * 6675's (the scoreboard is refstack_sack_send.c). On per connection when
 * cfg.cc; off, the peer's window alone limits sending, as RFC 9293 alone
 * has it. The input side (refstack_cc_ack) runs before SND.UNA moves and
 * only changes variables; what it owes goes out when the send path runs
 * (refstack_cc_output first, then new data up to refstack_cc_room). */
#include "refstack_internal.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

uint32_t refstack_smss(const struct refstack_conn *c)
{
	uint32_t room = c->snd_mss;

	/* 9293 3.7.1: Eff.snd.MSS counts the TCP header with its options, so
	 * the 12 bytes of a TSopt on every segment (RFC 7323 3.2) come off
	 * the text */
	if (c->ts_ok)
		room = room > 12 + 1 ? room - 12 : 1;
	return room;
}

/* 5681 2: FlightSize, the data sent and not yet cumulatively acknowledged */
static uint32_t flight_size(const struct refstack_conn *c)
{
	return c->snd_nxt - c->snd_una;
}

/* 5681 3.1 eq. (4): ssthresh = max (FlightSize / 2, 2*SMSS) */
static uint32_t half_flight(const struct refstack_conn *c)
{
	return max_u32(flight_size(c) / 2, 2 * refstack_smss(c));
}

static bool after_rto(const struct refstack_conn *c)
{
	return seq_lt(c->snd_una, c->rtx_end);
}

void refstack_cc_init(const struct refstack *s, struct refstack_conn *c)
{
	uint32_t smss = refstack_smss(c), segs;

	c->cc_on = s->cfg.cc;
	/* 5681 3.1: IW = 2, 3 or 4 segments by SMSS (an upper bound) */
	if (smss > 2190)
		segs = 2;
	else if (smss > 1095)
		segs = 3;
	else
		segs = 4;
	if (s->cfg.cc_iw)
		segs = s->cfg.cc_iw;
#ifdef REFSTACK_FAULTS
	/* fault iw-too-large: RFC 6928's ten segments without being asked */
	if (refstack_fault_on(s, REFSTACK_FAULT_IW_TOO_LARGE))
		segs = 10;
#endif
	c->cwnd = segs * smss;
	c->iw = c->cwnd;
	c->last_data_us = REFSTACK_TIMER_OFF; /* no text sent yet */
	/* 5681 3.1: "The initial value of ssthresh SHOULD be set arbitrarily
	 * high (e.g., to the size of the largest possible advertised window)" */
	c->ssthresh = 65535u << REFSTACK_WSCALE_MAX;
	c->ca_acked = 0;
	c->dupacks = 0;
	c->in_recovery = false;
	c->sack_recovery = false;
	c->rexmit_owed = false;
	/* 6582 3.2 step 1: "recover is set to the initial send sequence number" */
	c->recover = c->iss;
	c->rtx_nxt = c->rtx_end = c->snd_una;
	refstack_sb_clear(c);
	c->high_rxt = c->snd_una;
}

void refstack_cc_text_sent(struct refstack_conn *c, uint64_t now_us)
{
	c->last_data_us = now_us;
}

void refstack_cc_idle(const struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	if (!c->cc_on || c->snd_una != c->snd_nxt || c->last_data_us == REFSTACK_TIMER_OFF || refstack_unsent(c) == 0)
		return;
	/* 5681 4.1: "if the TCP has not sent data in an interval exceeding the
	 * retransmission timeout", cwnd = min(RW, cwnd) with RW = min(IW, cwnd) */
	if (now_us - c->last_data_us <= c->rto_us)
		return;
#ifdef REFSTACK_FAULTS
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_IDLE_RESTART))
		return;
#else
	(void)s;
#endif
	if (c->cwnd > c->iw)
		c->cwnd = c->iw;
}

/* 5681 2 DUPLICATE ACKNOWLEDGMENT: (a) data outstanding, (b) no data, (c)
 * neither SYN nor FIN, (d) SEG.ACK = SND.UNA, (e) the same window. A zero
 * window is left out: those ACKs answer window probes (9293 3.8.6.1), the
 * octet outstanding is the probe's, and nothing was lost. */
static bool is_dupack(const struct refstack_conn *c, const struct refstack_rx_seg *seg, uint32_t wnd)
{
	return c->snd_nxt != c->snd_una && seg->len == 0 && !(seg->flags & (SEG_SYN | SEG_FIN)) &&
	       seg->ack == c->snd_una && wnd == c->snd_wnd && wnd != 0;
}

/* Fast retransmit (5681 3.2 step 2, 6582 3.2 step 2) or the start of SACK
 * loss recovery (6675 5 step 4). */
static void enter_recovery(const struct refstack *s, struct refstack_conn *c)
{
	uint32_t smss = refstack_smss(c);

#ifdef REFSTACK_FAULTS
	/* fault no-fast-retransmit: the loss is left to the timer */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_FAST_RETRANSMIT))
		return;
#else
	(void)s;
#endif
	/* 6582 3.2 step 2: only when the cumulative ACK covers more than
	 * recover; otherwise no fast retransmit and ssthresh stays */
	if (!seq_gt(c->snd_una, c->recover))
		return;
	c->ssthresh = half_flight(c);
	/* 6582 3.2 step 2: recover <- the highest sequence number sent; 6675
	 * 5 step 4.1: RecoveryPoint = HighData */
	c->recover = c->snd_nxt - 1;
	c->in_recovery = true;
	c->rexmit_owed = true;
	/* RFC 6675 needs SACK information; a peer that negotiated SACK and
	 * sends none gets RFC 6582's recovery */
	c->sack_recovery = c->sack_ok && c->nsacked > 0;
	if (c->sack_recovery) {
		/* 6675 5 step 4.2: cwnd = ssthresh */
		c->cwnd = c->ssthresh;
		c->high_rxt = c->snd_una;
	} else {
		/* 5681 3.2 step 3: cwnd = ssthresh + 3*SMSS, for the three
		 * segments that left the network */
		c->cwnd = c->ssthresh + 3 * smss;
	}
}

static void on_dupack(const struct refstack *s, struct refstack_conn *c)
{
	if (c->in_recovery) {
		/* 5681 3.2 step 4: inflate by SMSS per further duplicate ACK;
		 * 6675 recovery counts what left through pipe instead */
		if (!c->sack_recovery)
			c->cwnd += refstack_smss(c);
		return;
	}
	c->dupacks++;
	/* 5681 3.2 step 2; 6675 5 step 4: DupAcks = DupThresh, or the first
	 * unacknowledged segment is already lost by the SACK rule */
	if (c->dupacks >= REFSTACK_DUPTHRESH || (c->sack_ok && refstack_sb_is_lost(c, c->snd_una)))
		enter_recovery(s, c);
}

/* The cumulative ACK moved to ack while in recovery. */
static void recovery_ack(const struct refstack *s, struct refstack_conn *c, uint32_t ack)
{
	uint32_t acked = ack - c->snd_una, smss = refstack_smss(c);

	(void)s;
	if (seq_gt(ack, c->recover)) {
		/* 6582 3.2 step 3 (full acknowledgment) option (2): cwnd =
		 * ssthresh; 6675 5: loss recovery ends at RecoveryPoint */
		c->cwnd = c->ssthresh;
		c->in_recovery = false;
		c->sack_recovery = false;
		c->dupacks = 0;
		return;
	}
	if (c->sack_recovery) {
		/* 6675 5 (C): pipe shrinks with what the ACK covers;
		 * HighRxt never below HighACK */
		if (seq_lt(c->high_rxt, ack))
			c->high_rxt = ack;
		return;
	}
	/* 6582 3.2 step 4 (partial acknowledgment): retransmit the first
	 * unacknowledged segment, deflate cwnd by the amount acknowledged and
	 * add back SMSS when that was at least SMSS */
#ifdef REFSTACK_FAULTS
	/* fault newreno-partial-ack-ignored: no retransmission */
	if (!refstack_fault_on(s, REFSTACK_FAULT_NEWRENO_PARTIAL_ACK_IGNORED))
#endif
		c->rexmit_owed = true;
	c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
	if (acked >= smss)
		c->cwnd += smss;
	if (c->cwnd < smss)
		c->cwnd = smss;
}

/* 5681 3.1: the window grows on an ACK of new data outside recovery. */
static void grow(const struct refstack *s, struct refstack_conn *c, uint32_t acked)
{
	uint32_t smss = refstack_smss(c);
	bool slow_start = c->cwnd < c->ssthresh;

#ifdef REFSTACK_FAULTS
	/* fault no-slow-start: congestion avoidance from the first ACK */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_SLOW_START))
		slow_start = false;
#else
	(void)s;
#endif
	if (slow_start) {
		/* eq. (2): cwnd += min (N, SMSS) */
		c->cwnd += min_u32(acked, smss);
		return;
	}
	/* congestion avoidance by byte counting (5681 3.1, RFC 3465): one
	 * SMSS once a whole cwnd of data was acknowledged */
	c->ca_acked += acked;
	if (c->ca_acked >= c->cwnd) {
		c->ca_acked -= c->cwnd;
		c->cwnd += smss;
	}
}

void refstack_cc_ack(const struct refstack *s, struct refstack_conn *c,
		     const struct refstack_rx_seg *seg, uint32_t wnd)
{
	uint32_t ack = seg->ack;
	bool newly_sacked;

	if (!c->cc_on)
		return;
	newly_sacked = c->sack_ok && refstack_sb_update(c, seg, ack);
	if (seq_gt(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;

		if (after_rto(c) && seq_lt(c->rtx_nxt, ack))
			c->rtx_nxt = ack;
		if (c->in_recovery) {
			recovery_ack(s, c, ack);
			return;
		}
		c->dupacks = 0;
		grow(s, c, acked);
		return;
	}
	/* 6675 2: with SACK, a duplicate ACK is one that SACKs new data (one
	 * without any SACK option counts as 5681 has it) */
	if (is_dupack(c, seg, wnd) && (!c->sack_ok || newly_sacked || seg->nsack == 0))
		on_dupack(s, c);
}

void refstack_cc_timeout(const struct refstack *s, struct refstack_conn *c)
{
	uint32_t smss = refstack_smss(c);
	uint32_t data_end = c->fin_sent ? c->fin_seq : c->snd_nxt;

	if (!c->cc_on)
		return;
	/* 5681 3.1: ssthresh by eq. (4) on the first timeout of a segment;
	 * "held constant" when it was already retransmitted by the timer */
	if (c->rexmit_count == 0)
		c->ssthresh = half_flight(c);
#ifdef REFSTACK_FAULTS
	/* fault cwnd-not-reduced-on-rto: cwnd stays */
	if (!refstack_fault_on(s, REFSTACK_FAULT_CWND_NOT_REDUCED_ON_RTO))
#else
	(void)s;
#endif
		/* 5681 3.1: cwnd = LW (1 SMSS) */
		c->cwnd = smss;
	c->ca_acked = 0;
	c->dupacks = 0;
	c->in_recovery = false;
	c->sack_recovery = false;
	c->rexmit_owed = false;
	/* 6582 3.2: "After a retransmit timeout, record the highest sequence
	 * number transmitted in the variable recover"; 6675 5.1 likewise */
	c->recover = c->snd_nxt - 1;
	/* RFC 2018 8: the receiver may have discarded what it SACKed */
	refstack_sb_clear(c);
	/* what the timer's retransmission (refstack_retransmit) does not
	 * cover is sent again as the window opens (slow start) */
	c->rtx_end = c->snd_nxt;
	c->rtx_nxt = c->snd_una + min_u32(smss, seq_lt(c->snd_una, data_end) ? data_end - c->snd_una : 0);
	if (c->fin_sent && c->rtx_nxt == c->fin_seq)
		c->rtx_nxt++;
	c->high_rxt = c->snd_una;
}

/* The data the network holds by the sender's estimate. */
static uint32_t pipe(const struct refstack_conn *c)
{
	if (c->sack_recovery)
		return refstack_sb_pipe(c);
	if (after_rto(c)) {
		uint32_t resent = seq_gt(c->rtx_nxt, c->snd_una) ? c->rtx_nxt - c->snd_una : 0;

		return resent + (c->snd_nxt - c->rtx_end);
	}
	return flight_size(c);
}

/* What cwnd leaves beside pipe; with_lt: RFC 3042's allowance for new
 * data on the first two duplicate ACKs counts too. */
static uint32_t cwnd_room(const struct refstack *s, const struct refstack_conn *c, bool with_lt)
{
	uint32_t allowed = c->cwnd, p;

	/* RFC 3042 2: on the first and second duplicate ACK one new segment
	 * each, "FlightSize <= cwnd + 2*SMSS", cwnd itself unchanged; only
	 * "previously unsent data", never a retransmission */
	if (with_lt && !c->in_recovery && c->dupacks > 0 && c->dupacks < REFSTACK_DUPTHRESH) {
#ifdef REFSTACK_FAULTS
		if (!refstack_fault_on(s, REFSTACK_FAULT_NO_LIMITED_TRANSMIT))
#endif
			allowed += c->dupacks * refstack_smss(c);
	}
	(void)s;
	p = pipe(c);
	if (c->sack_recovery && allowed - min_u32(allowed, p) < refstack_smss(c))
		return 0; /* 6675 5 (C): only while cwnd - pipe >= 1 SMSS */
	return allowed > p ? allowed - p : 0;
}

uint32_t refstack_cc_room(const struct refstack *s, const struct refstack_conn *c)
{
	if (!c->cc_on)
		return UINT32_MAX;
	return cwnd_room(s, c, true);
}

void refstack_cc_output(struct refstack *s, struct refstack_conn *c)
{
	uint32_t smss = refstack_smss(c), seq, len;

	if (!c->cc_on)
		return;
	if (c->rexmit_owed) {
		/* 5681 3.2 step 2, 6582 3.2 step 4, 6675 5 step 4.3: the
		 * segment at SND.UNA, whatever cwnd says */
		uint32_t n = refstack_out_resend(s, c, c->snd_una, smss);

		c->rexmit_owed = false;
		if (c->sack_recovery && seq_lt(c->high_rxt, c->snd_una + n))
			c->high_rxt = c->snd_una + n;
	}
	/* 6675 5 (C): while cwnd - pipe >= 1 SMSS, NextSeg rule 1: the holes
	 * taken as lost; rule 2 (new data) is the send path's */
	while (c->sack_recovery && c->cwnd > refstack_sb_pipe(c) &&
	       c->cwnd - refstack_sb_pipe(c) >= smss && refstack_sb_next_hole(s, c, &seq, &len)) {
		uint32_t n = refstack_out_resend(s, c, seq, len);

		if (n == 0)
			break;
		c->high_rxt = seq + n;
	}
	/* after a timeout: go back to the unacknowledged data as cwnd opens */
	while (after_rto(c) && seq_lt(c->rtx_nxt, c->rtx_end)) {
		uint32_t room = cwnd_room(s, c, false), n;

		if (room < min_u32(smss, c->rtx_end - c->rtx_nxt))
			break;
		n = refstack_out_resend(s, c, c->rtx_nxt, smss);
		if (n == 0)
			break;
		c->rtx_nxt += n;
	}
}
