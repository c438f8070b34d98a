/* SEGMENT ARRIVES, RFC 9293 3.10.7: one function per subsection, and for
 * 3.10.7.4 one function per step. RFC 5961 (blind in-window attacks) is
 * folded in where 9293 points to it. */
#include "refstack_internal.h"

#include <errno.h>

/* One arriving segment on its way through the steps of 3.10.7.4. */
struct rx {
	struct refstack *s;
	struct refstack_conn *c;
	const struct refstack_rx_seg *seg;
	uint64_t now_us;
	/* The segment's text as trimmed to the window (3.10.7.4 step 1): the
	 * sequence number of its first octet (after the SYN, if any), where
	 * it is, how long, and whether the FIN is still inside the window. */
	uint32_t seq;
	const uint8_t *data;
	uint32_t len;
	bool fin;
	/* The segment's SYN is the one we already have (simultaneous open,
	 * see step1_seq): steps 4 and 5 take it as a segment without SYN. */
	bool syn_dup;
	enum refstack_drop drop;
};

/* Each step either lets processing go on to the next one or ends it. */
enum step {
	STEP_NEXT,
	STEP_DONE,
};

static bool has(const struct refstack_rx_seg *seg, uint16_t flag)
{
	return (seg->flags & flag) != 0;
}

static enum step done(struct rx *rx, enum refstack_drop drop)
{
	rx->drop = drop;
	return STEP_DONE;
}

/* 9293 3.10.7.4 step 1: "In the following it is assumed that the segment is
 * the idealized segment that begins at RCV.NXT and does not exceed the
 * window": cut what lies before RCV.NXT and what lies beyond RCV.NXT +
 * RCV.WND. A FIN survives only if its own sequence number is inside. */
static void rx_trim(struct rx *rx)
{
	const struct refstack_rx_seg *seg = rx->seg;
	const struct refstack_conn *c = rx->c;
	uint32_t seq = seg->seq + (has(seg, SEG_SYN) ? 1u : 0u);
	uint32_t fin_seq = seq + seg->len;
	uint32_t right = c->rcv_nxt + c->rcv_wnd;

	rx->seq = seq;
	rx->data = seg->payload;
	rx->len = seg->len;
	rx->fin = has(seg, SEG_FIN);
	if (seq_lt(rx->seq, c->rcv_nxt)) {
		uint32_t cut = c->rcv_nxt - rx->seq;

		if (cut > rx->len)
			cut = rx->len;
		rx->data += cut;
		rx->len -= cut;
		rx->seq += cut;
		if (rx->fin && seq_lt(fin_seq, c->rcv_nxt))
			rx->fin = false; /* a FIN we already have */
	}
	if (seq_gt(rx->seq + rx->len, right)) {
		rx->len = seq_lt(rx->seq, right) ? right - rx->seq : 0;
		rx->fin = false;
	}
	if (rx->fin && !seq_lt(rx->seq + rx->len, right))
		rx->fin = false; /* the FIN itself is beyond the window */
}

/* ---- 3.10.7.1 CLOSED ---------------------------------------------------- */

static enum refstack_drop seg_arrives_closed(struct refstack *s, const struct refstack_rx_seg *seg)
{
	/* 9293 3.10.7.1: "An incoming segment containing a RST is discarded." */
	if (has(seg, SEG_RST))
		return REFSTACK_DROP_CLOSED_RST;
	if (has(seg, SEG_ACK))
		/* 9293 3.10.7.1: ACK on: <SEQ=SEG.ACK><CTL=RST> */
		refstack_out_rst_reply(s, seg, seg->ack, 0, SEG_RST);
	else
		/* 9293 3.10.7.1: ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		refstack_out_rst_reply(s, seg, 0, seg->seq + refstack_rx_seq_len(seg), SEG_RST | SEG_ACK);
	return REFSTACK_DROP_CLOSED_REPLY;
}

/* ---- 3.10.7.2 LISTEN ---------------------------------------------------- */

static void syn_text_hold(const struct refstack *s, struct refstack_conn *c,
			  const struct refstack_rx_seg *seg)
{
	uint32_t n = seg->len < c->rcv_wnd ? seg->len : c->rcv_wnd;

#ifdef REFSTACK_FAULTS
	/* fault syn-data-dropped: the text is thrown away */
	if (refstack_fault_on(s, REFSTACK_FAULT_SYN_DATA_DROPPED))
		n = 0;
#endif
	(void)s;
	/* past the ring's readable part: nothing reads or writes there
	 * before ESTABLISHED */
	refstack_ring_write(c->rcv_buf, c->rcv_cap, refstack_ring_pos(c->rcv_cap, c->rcv_head, c->rcv_len),
			    seg->payload, n);
	c->syn_text = n;
}

void refstack_syn_text_take(struct refstack_conn *c)
{
	if (c->syn_text == 0)
		return;
	/* 3.10.7.4 step 7 for the held text: RCV.NXT advances over it, the
	 * window shrinks by it, and it is acknowledged now (the SYN,ACK did
	 * not), so the peer need not send it again */
	c->rcv_len += c->syn_text;
	c->rcv_nxt += c->syn_text;
	c->rcv_wnd -= c->syn_text;
	c->syn_text = 0;
	c->ack_pending = true;
}

static enum refstack_drop seg_arrives_listen(struct refstack *s, struct refstack_conn *l,
					     const struct refstack_rx_seg *seg, uint64_t now_us)
{
	struct refstack_conn *c;

	/* 9293 3.10.7.2 first: "An incoming RST segment could not be valid ...
	 * should be ignored." */
	if (has(seg, SEG_RST))
		return REFSTACK_DROP_LISTEN_RST;
	/* 9293 3.10.7.2 second: "Any acknowledgment is bad if it arrives on a
	 * connection still in the LISTEN state": <SEQ=SEG.ACK><CTL=RST> */
	if (has(seg, SEG_ACK)) {
		refstack_out_rst_reply(s, seg, seg->ack, 0, SEG_RST);
		return REFSTACK_DROP_LISTEN_ACK;
	}
	/* 9293 3.10.7.2 fourth: "Any other control or text-bearing segment
	 * (not containing SYN) ... drop it and return." */
	if (!has(seg, SEG_SYN))
		return REFSTACK_DROP_LISTEN_NO_SYN;

	/* 9293 3.10.7.2 third: SYN. A new TCB; the listener stays in LISTEN. */
	c = refstack_conn_alloc(s);
	if (!c)
		return REFSTACK_DROP_LISTEN_FULL;
	/* 9293 3.9.1.1 (MUST-45): answer from the address the SYN came to */
	refstack_conn_setup(s, c, &seg->dst, l->lport, &seg->src, seg->sport);
	/* 9293 3.9.2.1 (MUST-53, RFC 1122 4.2.3.8): a SYN that came by a
	 * completed source route leaves its reversal for every segment of
	 * the connection */
#ifdef REFSTACK_FAULTS
	if (!refstack_fault_on(s, REFSTACK_FAULT_RETURN_ROUTE_IGNORED))
#endif
		(void)refstack_route_return(seg->ipopts, seg->ipopt_len, &seg->src, c->route, &c->route_len,
					    &c->route_hop);
	c->passive = true;
	c->state = REFSTACK_LISTEN; /* the new TCB starts as a copy of the listener */
	/* "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ, and any other
	 * control or text should be queued for processing later": the text
	 * (as much as the window takes) is held until ESTABLISHED, when it
	 * is taken and acknowledged (refstack_syn_text_take); the SYN,ACK
	 * acknowledges the SYN alone. A FIN on the SYN is not kept: the peer
	 * sends it again. */
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_up = c->rcv_nxt;
	syn_text_hold(s, c, seg);
	c->snd_wnd = seg->win;
	c->max_snd_wnd = seg->win;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	/* 9293 3.7.1: the peer's MSS option bounds what we send */
	c->snd_mss = refstack_eff_mss(s, seg);
	/* RFC 7323 2.2, 3.2; RFC 2018 2: what both SYNs will have offered */
	refstack_opts_negotiate(s, c, seg);
	/* "SND.NXT is set to ISS+1 and SND.UNA to ISS. The connection state
	 * should be changed to SYN-RECEIVED." (set by refstack_conn_setup) */
	refstack_set_state(s, c, REFSTACK_SYN_RECEIVED, REFSTACK_CAUSE_RCV_SYN);
	/* <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
	refstack_out_synack(s, c, now_us);
	return REFSTACK_ACCEPTED;
}

/* ---- 3.10.7.4 steps 6 - 8, shared with SYN-SENT ------------------------- */

static enum step step6_urg(struct rx *rx);
static enum step step7_text(struct rx *rx);
static enum step step8_fin(struct rx *rx);

static void run_steps(struct rx *rx, enum step (*const *steps)(struct rx *), unsigned n)
{
	for (unsigned i = 0; i < n && rx->c->used; i++)
		if (steps[i](rx) == STEP_DONE)
			break;
	/* what is owed goes out now: text and FIN the window allows, the ACK */
	if (rx->c->used)
		refstack_output(rx->s, rx->c, rx->now_us);
}

/* ---- 3.10.7.3 SYN-SENT -------------------------------------------------- */

static enum refstack_drop seg_arrives_syn_sent(struct refstack *s, struct refstack_conn *c,
					       const struct refstack_rx_seg *seg, uint64_t now_us)
{
	static enum step (*const rest[])(struct rx *) = {step6_urg, step7_text, step8_fin};
	bool ack = has(seg, SEG_ACK);
	struct rx rx = {.s = s, .c = c, .seg = seg, .now_us = now_us, .drop = REFSTACK_ACCEPTED};

	/* 9293 3.10.7.3 first, the ACK: "If SEG.ACK =< ISS or SEG.ACK >
	 * SND.NXT, send a reset (unless the RST bit is set, if so drop the
	 * segment and return) <SEQ=SEG.ACK><CTL=RST>" */
	if (ack && (seq_leq(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_nxt))) {
		if (!has(seg, SEG_RST))
			refstack_out_rst_reply(s, seg, seg->ack, 0, SEG_RST);
		return REFSTACK_DROP_SYNSENT_BAD_ACK;
	}
	/* 9293 3.10.7.3 second, the RST (RFC 5961 3.2: acceptable only when
	 * the ACK acknowledges the SYN) */
	if (has(seg, SEG_RST)) {
		if (!ack)
			return REFSTACK_DROP_SYNSENT_RST_NO_ACK;
		/* "signal to the user 'error: connection reset', drop the
		 * segment, enter CLOSED state, delete TCB" */
		refstack_conn_closed(s, c, REFSTACK_CAUSE_RCV_RST, -ECONNREFUSED);
		return REFSTACK_ACCEPTED;
	}
	/* 9293 3.10.7.3 third (security) does not apply. */
	/* 9293 3.10.7.3 fifth: "If neither of the SYN or RST bits is set, then
	 * drop the segment and return." */
	if (!has(seg, SEG_SYN))
		return REFSTACK_DROP_SYNSENT_NO_SYN;

	/* 9293 3.10.7.3 fourth, the SYN: "RCV.NXT is set to SEG.SEQ+1, IRS is
	 * set to SEG.SEQ. SND.UNA should be advanced to equal SEG.ACK (if there
	 * is an ACK)" */
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_up = c->rcv_nxt;
	c->snd_mss = refstack_eff_mss(s, seg);
	/* 9293 3.9.2.1 (MUST-52, RFC 1122 4.2.3.8): an active open keeps the
	 * route the application gave it (or none): a source route on the
	 * SYN,ACK changes nothing */
#ifdef REFSTACK_FAULTS
	if (refstack_fault_on(s, REFSTACK_FAULT_APP_ROUTE_OVERRIDDEN))
		(void)refstack_route_return(seg->ipopts, seg->ipopt_len, &seg->src, c->route, &c->route_len,
					    &c->route_hop);
#endif
	/* RFC 7323 2.2, 3.2; RFC 2018 2: our SYN offered, this one answers
	 * (a SYN,ACK) or offers too (simultaneous open) */
	refstack_opts_negotiate(s, c, seg);
	/* RFC 7323 2.3: a SYN's window is never scaled */
	c->snd_wnd = seg->win;
	c->max_snd_wnd = seg->win;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (ack) {
		refstack_rtt_acked(s, c, seg, seg->ack, now_us);
		c->snd_una = seg->ack;
		refstack_snd_acked(c);
		refstack_rexmit_acked(s, c, now_us);
	}
	if (seq_gt(c->snd_una, c->iss)) {
		/* "If SND.UNA > ISS (our SYN has been ACKed), change the
		 * connection state to ESTABLISHED, form an ACK segment
		 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it ... If there
		 * are other controls or text in the segment, then continue
		 * processing at the sixth step" */
		refstack_enter_established(s, c, REFSTACK_CAUSE_RCV_SYNACK, now_us);
		c->ack_pending = true;
		rx_trim(&rx);
		run_steps(&rx, rest, sizeof(rest) / sizeof(rest[0]));
		return rx.drop;
	}
	/* 3.10.7.3 fourth, simultaneous open: "enter SYN-RECEIVED, form a
	 * SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it".
	 * Text and controls on the SYN are not queued. The SYN stays
	 * unacknowledged: the retransmission timer keeps running and now
	 * retransmits the SYN-ACK. */
	refstack_set_state(s, c, REFSTACK_SYN_RECEIVED, REFSTACK_CAUSE_RCV_SYN);
	refstack_out_synack(s, c, now_us);
	return REFSTACK_ACCEPTED;
}

/* ---- 3.10.7.4 the other states ----------------------------------------- */

/* 9293 3.10.7.4 step 1: the four cases of the acceptability test */
static bool seq_acceptable(const struct refstack_conn *c, const struct refstack_rx_seg *seg)
{
	uint32_t seg_len = refstack_rx_seq_len(seg);
	uint32_t nxt = c->rcv_nxt, wnd = c->rcv_wnd;

	if (seg_len == 0 && wnd == 0)
		return seg->seq == nxt;
	if (seg_len == 0)
		return seq_in(seg->seq, nxt, nxt + wnd);
	if (wnd == 0)
		return false;
	return seq_in(seg->seq, nxt, nxt + wnd) || seq_in(seg->seq + seg_len - 1, nxt, nxt + wnd);
}

static enum step step1_seq(struct rx *rx)
{
	struct refstack_conn *c = rx->c;
	const struct refstack_rx_seg *seg = rx->seg;

	/* RFC 7323 3.2: without TSopt on a connection that negotiated it,
	 * silently dropped (an RST is not: it goes on to its checks) */
	if (refstack_tsopt_missing(rx->s, c, seg))
		return done(rx, REFSTACK_DROP_NO_TSOPT);
	/* RFC 7323 5.3 R1, before the sequence test (R2): PAWS. "Send an
	 * acknowledgment in reply ... and drop the segment." An RST is never
	 * rejected by its timestamp. */
	if (refstack_paws_reject(rx->s, c, seg)) {
		c->ack_pending = true;
		return done(rx, REFSTACK_DROP_PAWS);
	}
#ifdef REFSTACK_FAULTS
	/* fault ts-recent-from-any-segment: TS.Recent from every arrival,
	 * before anything checked that the segment is acceptable */
	if (refstack_fault_on(rx->s, REFSTACK_FAULT_TS_RECENT_FROM_ANY_SEGMENT) && c->ts_ok && seg->has_ts)
		c->ts_recent = seg->ts_val;
#endif
	if (seq_acceptable(c, seg)) {
		rx_trim(rx);
		return STEP_NEXT;
	}
	/* 9293 3.5 Figure 8 (simultaneous open), line 6: in SYN-RECEIVED from
	 * an active open, the peer's SYN,ACK repeats the SYN we already have
	 * (SEG.SEQ = IRS, so the test above fails) and its ACK completes the
	 * open: "ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>". The
	 * segment goes on as if it had no SYN; nothing new needs an ACK. */
	if (c->state == REFSTACK_SYN_RECEIVED && !c->passive && has(seg, SEG_SYN) &&
	    has(seg, SEG_ACK) && seg->seq == c->irs) {
		rx->syn_dup = true;
		rx_trim(rx);
		return STEP_NEXT;
	}
	/* 9293 3.10.7.4 step 1: "send an acknowledgment in reply (unless the
	 * RST bit is set, if so drop the segment and return)"; RFC 5961 3.2
	 * (1): an RST outside the window is dropped silently */
	if (has(seg, SEG_RST))
		return done(rx, REFSTACK_DROP_RST_OUT_OF_WINDOW);
	/* 9293 3.10.7.4 step 8, TIME-WAIT: "The only thing that can arrive in
	 * this state is a retransmission of the remote FIN. Acknowledge it,
	 * and restart the 2 MSL timeout." Such a FIN lies just before RCV.NXT
	 * and so fails the test above; this is where it is recognised. */
	if (c->state == REFSTACK_TIME_WAIT && has(seg, SEG_FIN) &&
	    seg->seq + refstack_rx_seq_len(seg) == c->rcv_nxt) {
		refstack_out_ack(rx->s, c);
		refstack_time_wait_restart(rx->s, c, rx->now_us);
		return done(rx, REFSTACK_ACCEPTED);
	}
	c->ack_pending = true;
	/* 9293 3.10.7.4 step 1: "If the RCV.WND is zero, no segments will be
	 * acceptable, but special allowance should be made to accept valid
	 * ACKs, URGs, and RSTs": a segment at RCV.NXT goes on without its text
	 * and FIN, and is answered with an ACK. */
	if (c->rcv_wnd == 0 && seg->seq == c->rcv_nxt) {
		rx->seq = c->rcv_nxt;
		rx->data = seg->payload;
		rx->len = 0;
		rx->fin = false;
		rx->drop = REFSTACK_DROP_SEQ_UNACCEPTABLE;
		return STEP_NEXT;
	}
	return done(rx, REFSTACK_DROP_SEQ_UNACCEPTABLE);
}

/* RFC 5961 7: "An implementation SHOULD include an ACK throttling
 * mechanism": at most cfg.challenge_ack_limit challenge ACKs in a period of
 * cfg.challenge_ack_period_us, counted for the whole stack (the period
 * starts at the first challenge ACK after the last one ended). The
 * segment is dropped either way; over the limit no ACK goes. */
static enum step challenge_ack(struct rx *rx, enum refstack_drop why)
{
	struct refstack *s = rx->s;
	uint32_t limit = s->cfg.challenge_ack_limit;

	if (limit) {
		if (!s->challenge_period_on || rx->now_us - s->challenge_period_start >= s->cfg.challenge_ack_period_us) {
			s->challenge_period_on = true;
			s->challenge_period_start = rx->now_us;
			s->challenge_sent = 0;
		}
#ifdef REFSTACK_FAULTS
		/* fault challenge-ack-unthrottled: the limit is never reached */
		if (refstack_fault_on(s, REFSTACK_FAULT_CHALLENGE_ACK_UNTHROTTLED))
			s->challenge_sent = 0;
#endif
		if (s->challenge_sent >= limit)
			return done(rx, REFSTACK_DROP_CHALLENGE_THROTTLED);
		s->challenge_sent++;
	}
	rx->c->ack_pending = true;
	return done(rx, why);
}

static enum step step2_rst(struct rx *rx)
{
	struct refstack *s = rx->s;
	struct refstack_conn *c = rx->c;
	const struct refstack_rx_seg *seg = rx->seg;

	if (!has(seg, SEG_RST))
		return STEP_NEXT;
	/* RFC 1337 4, fix (1): "Ignore RST segments in TIME-WAIT state" (an
	 * option: 9293 3.10.7.4 step 2 closes TIME-WAIT on an RST) */
	if (c->state == REFSTACK_TIME_WAIT && s->cfg.rfc1337) {
#ifdef REFSTACK_FAULTS
		/* fault rfc1337-ignored: the option is set, the RST still kills */
		if (!refstack_fault_on(s, REFSTACK_FAULT_RFC1337_IGNORED))
#endif
			return done(rx, REFSTACK_DROP_TIME_WAIT_RST);
	}
	if (seg->seq != c->rcv_nxt) {
		/* 9293 3.10.7.4 step 2; 5961 3.2 (3): in window but not exact
		 * -> challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop */
		if (c->rcv_wnd && seq_in(seg->seq, c->rcv_nxt, c->rcv_nxt + c->rcv_wnd))
			return challenge_ack(rx, REFSTACK_DROP_RST_CHALLENGE);
		/* 5961 3.2 (1): outside the window (here: an RST whose text
		 * reaches into the window but which starts before it) */
		return done(rx, REFSTACK_DROP_RST_OUT_OF_WINDOW);
	}
	/* 5961 3.2 (2): exactly RCV.NXT: reset, as the state says */
	switch (c->state) {
	case REFSTACK_SYN_RECEIVED:
#ifdef REFSTACK_FAULTS
		/* fault ignore-rst-in-synrcvd: the RST has no effect */
		if (refstack_fault_on(s, REFSTACK_FAULT_IGNORE_RST_IN_SYNRCVD))
			return done(rx, REFSTACK_ACCEPTED);
#endif
		if (c->passive) {
			/* 9293 3.10.7.4 step 2 SYN-RECEIVED: "If this connection
			 * was initiated with a passive OPEN (i.e., came from the
			 * LISTEN state), then return this connection to LISTEN
			 * state and return." The TCB goes; its listener stays. */
			refstack_set_state(s, c, REFSTACK_LISTEN, REFSTACK_CAUSE_RCV_RST);
			refstack_conn_delete(s, c);
		} else {
			/* "If this connection was initiated with an active OPEN
			 * ... then the connection was refused" */
			refstack_conn_closed(s, c, REFSTACK_CAUSE_RCV_RST, -ECONNREFUSED);
		}
		break;
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSE_WAIT:
		/* 9293 3.10.7.4 step 2: "any outstanding RECEIVEs and SEND
		 * should receive 'reset' responses ... Enter the CLOSED state,
		 * delete the TCB" */
#ifdef REFSTACK_FAULTS
		/* fault rst-error-lost: the TCB goes, the application is not
		 * told why (MUST-12) */
		if (refstack_fault_on(s, REFSTACK_FAULT_RST_ERROR_LOST)) {
			refstack_conn_closed(s, c, REFSTACK_CAUSE_RCV_RST, 0);
			break;
		}
#endif
		refstack_conn_closed(s, c, REFSTACK_CAUSE_RCV_RST, -ECONNRESET);
		break;
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* 9293 3.10.7.4 step 2: "enter the CLOSED state, delete the
		 * TCB, and return" */
		refstack_conn_closed(s, c, REFSTACK_CAUSE_RCV_RST, 0);
		break;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
		/* 3.10.7.1 - 3.10.7.3, never here */
		break;
	}
	return done(rx, REFSTACK_ACCEPTED);
}

/* 9293 3.10.7.4 step 4; 5961 4.2: challenge ACK, drop */
static enum step syn_challenge(struct rx *rx)
{
	return challenge_ack(rx, REFSTACK_DROP_SYN_CHALLENGE);
}

static enum step step4_syn(struct rx *rx)
{
	struct refstack_conn *c = rx->c;

	if (!has(rx->seg, SEG_SYN) || rx->syn_dup)
		return STEP_NEXT;
	switch (c->state) {
	case REFSTACK_SYN_RECEIVED:
		/* 9293 3.10.7.4 step 4 SYN-RECEIVED: "If the connection was
		 * initiated with a passive OPEN, then return this connection
		 * to the LISTEN state and return. Otherwise, handle per the
		 * directions for synchronized states below." */
		if (c->passive) {
			refstack_set_state(rx->s, c, REFSTACK_LISTEN, REFSTACK_CAUSE_RCV_SYN);
			refstack_conn_delete(rx->s, c);
			return done(rx, REFSTACK_DROP_SYNRCVD_SYN);
		}
		return syn_challenge(rx);
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* 9293 3.10.7.4 step 4; 5961 4.2: "if the SYN bit is set,
		 * irrespective of the sequence number, TCP endpoints MUST send
		 * a 'challenge ACK' ... MUST drop the unacceptable segment" */
		return syn_challenge(rx);
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
		/* 3.10.7.1 - 3.10.7.3, never here */
		break;
	}
	return STEP_NEXT;
}

/* 9293 3.10.7.4 step 5, ESTABLISHED (and the states that do "the processing
 * for the ESTABLISHED state" first). */
static enum step ack_established(struct rx *rx)
{
	struct refstack_conn *c = rx->c;
	const struct refstack_rx_seg *seg = rx->seg;
	uint32_t ack = seg->ack;
	uint32_t wnd = refstack_seg_wnd(rx->s, c, seg);
	bool window_ok;

	/* "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then
	 * send an ACK, drop the segment, and return." */
	if (seq_gt(ack, c->snd_nxt)) {
		c->ack_pending = true;
		return done(rx, REFSTACK_DROP_ACK_UNSENT);
	}
	/* 5961 5.2: acceptable only if (SND.UNA - MAX.SND.WND) =< SEG.ACK;
	 * otherwise discard and send an ACK */
	if (seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
		c->ack_pending = true;
		return done(rx, REFSTACK_DROP_ACK_TOO_OLD);
	}
	/* RFC 7323 4.3: the segment is in the window (step 1) and its ACK is
	 * acceptable: only now may its TSval become TS.Recent */
	refstack_ts_recent_update(rx->s, c, seg);
	/* RFC 5681, 6582, 6675: the congestion state sees the ACK first */
	refstack_cc_ack(rx->s, c, seg, wnd);
	/* "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
	 * updated" (with SND.UNA as it was on arrival) */
	window_ok = seq_leq(c->snd_una, ack);
	/* "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any
	 * segments on the retransmission queue that are thereby entirely
	 * acknowledged are removed." A duplicate ACK (SEG.ACK =< SND.UNA) is
	 * otherwise ignored. */
	if (seq_lt(c->snd_una, ack)) {
		/* RFC 6298 2, RFC 7323 4.1: the RTT sample this ACK gives */
		refstack_rtt_acked(rx->s, c, seg, ack, rx->now_us);
		c->snd_una = ack;
		/* the path works again: a soft error no longer explains anything */
		c->soft_error = 0;
		refstack_snd_acked(c);
		refstack_rexmit_acked(rx->s, c, rx->now_us);
	}
#ifdef REFSTACK_FAULTS
	/* fault rttm-on-duplicate-ack: a TSecr sample from an ACK that moves
	 * nothing */
	else if (ack == c->snd_una && refstack_fault_on(rx->s, REFSTACK_FAULT_RTTM_ON_DUPLICATE_ACK))
		refstack_rtt_acked(rx->s, c, seg, ack, rx->now_us);
#endif
	/* "If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =<
	 * SEG.ACK)), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set
	 * SND.WL2 <- SEG.ACK." */
#ifdef REFSTACK_FAULTS
	/* fault window-update-any-ack: no SND.WL1/SND.WL2 rule, old ACKs too */
	if (refstack_fault_on(rx->s, REFSTACK_FAULT_WINDOW_UPDATE_ANY_ACK)) {
		window_ok = true;
		c->snd_wl1 = seg->seq - 1;
	}
#endif
	if (window_ok && (seq_lt(c->snd_wl1, seg->seq) ||
			  (c->snd_wl1 == seg->seq && seq_leq(c->snd_wl2, ack)))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
	}
	/* 9293 3.8.6.1: an acceptable ACK answers a zero-window probe */
	refstack_persist_heard(rx->s, c);
	return STEP_NEXT;
}

/* The FIN carried by this segment is in order: step 8 will take it. */
static bool rx_fin_in_order(const struct rx *rx)
{
	return rx->fin && rx->seq == rx->c->rcv_nxt;
}

static enum step step5_ack(struct rx *rx)
{
	struct refstack *s = rx->s;
	struct refstack_conn *c = rx->c;
	const struct refstack_rx_seg *seg = rx->seg;

	/* 9293 3.10.7.4 step 5: "if the ACK bit is off, drop the segment and
	 * return" */
	if (!has(seg, SEG_ACK))
		return done(rx, REFSTACK_DROP_NO_ACK);
	switch (c->state) {
	case REFSTACK_SYN_RECEIVED:
		/* "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state
		 * and continue processing with the variables below set to:
		 * SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK" */
		if (seq_lt(c->snd_una, seg->ack) && seq_leq(seg->ack, c->snd_nxt)) {
			/* RFC 7323 2.3: scaled, unless this is the SYN,ACK of a
			 * simultaneous open */
			c->snd_wnd = refstack_seg_wnd(s, c, seg);
			c->snd_wl1 = seg->seq;
			c->snd_wl2 = seg->ack;
			if (c->snd_wnd > c->max_snd_wnd)
				c->max_snd_wnd = c->snd_wnd;
			refstack_enter_established(s, c,
						   rx->syn_dup ? REFSTACK_CAUSE_RCV_SYNACK : REFSTACK_CAUSE_RCV_ACK,
						   rx->now_us);
			/* RCV.NXT may have moved over the SYN's text: this
			 * segment's own text is cut to the window again */
			rx_trim(rx);
			return ack_established(rx);
		}
		/* "If the segment acknowledgment is not acceptable, form a reset
		 * segment <SEQ=SEG.ACK><CTL=RST> and send it." */
		refstack_out_rst_reply(s, seg, seg->ack, 0, SEG_RST);
		return done(rx, REFSTACK_DROP_ACK_UNACCEPTABLE);
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSE_WAIT:
		/* FIN-WAIT-2: "In addition to the processing for the ESTABLISHED
		 * state, if the retransmission queue is empty, the user's CLOSE
		 * can be acknowledged" (nothing to do here). CLOSE-WAIT: "Do the
		 * same processing as for the ESTABLISHED state." */
		return ack_established(rx);
	case REFSTACK_FIN_WAIT_1:
		if (ack_established(rx) == STEP_DONE)
			return STEP_DONE;
		/* "if the FIN segment is now acknowledged, then enter FIN-WAIT-2
		 * and continue processing in that state" -- unless this segment
		 * also carries the peer's FIN: then step 8 goes straight to
		 * TIME-WAIT ("If our FIN has been ACKed (perhaps in this
		 * segment), then enter TIME-WAIT") */
		if (refstack_fin_acked(c) && !rx_fin_in_order(rx))
			refstack_set_state(s, c, REFSTACK_FIN_WAIT_2, REFSTACK_CAUSE_RCV_ACK);
		return STEP_NEXT;
	case REFSTACK_CLOSING:
		if (ack_established(rx) == STEP_DONE)
			return STEP_DONE;
		/* "if the ACK acknowledges our FIN, then enter the TIME-WAIT
		 * state; otherwise, ignore the segment" */
		if (!refstack_fin_acked(c))
			return done(rx, REFSTACK_ACCEPTED);
		refstack_enter_time_wait(s, c, REFSTACK_CAUSE_RCV_ACK, rx->now_us);
		return STEP_NEXT;
	case REFSTACK_LAST_ACK:
		if (ack_established(rx) == STEP_DONE)
			return STEP_DONE;
		/* "If our FIN is now acknowledged, delete the TCB, enter the
		 * CLOSED state, and return." */
		if (refstack_fin_acked(c)) {
			refstack_conn_closed(s, c, REFSTACK_CAUSE_RCV_ACK, 0);
			return done(rx, REFSTACK_ACCEPTED);
		}
		return STEP_NEXT;
	case REFSTACK_TIME_WAIT:
		/* "The only thing that can arrive in this state is a
		 * retransmission of the remote FIN": see step 1 and step 8. */
		return STEP_NEXT;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
		/* 3.10.7.1 - 3.10.7.3, never here */
		break;
	}
	return STEP_NEXT;
}

/* 9293 3.10.7.4 step 6: the urgent pointer is recorded, nothing more */
static enum step step6_urg(struct rx *rx)
{
	struct refstack_conn *c = rx->c;
	uint32_t up;

	if (!has(rx->seg, SEG_URG))
		return STEP_NEXT;
	switch (c->state) {
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
		/* "If the URG bit is set, RCV.UP <- max(RCV.UP,SEG.UP)" */
		up = rx->seg->seq + rx->seg->urp;
		if (seq_gt(up, c->rcv_up))
			c->rcv_up = up;
		break;
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* "This should not occur since a FIN has been received from the
		 * remote side. Ignore the URG." */
		break;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
	case REFSTACK_SYN_RECEIVED:
		/* not here: step 5 left SYN-RECEIVED */
		break;
	}
	return STEP_NEXT;
}

/* 9293 3.6.1, RFC 1122 4.2.2.13 (SHLD-3): "if new data is received after
 * CLOSE is called, its TCP SHOULD send a RST to show that data was lost".
 * The application closed (not half-closed): nobody will read the text.
 * <SEQ=SND.NXT><CTL=RST> as an ABORT sends it (3.10.5), the TCB deleted. */
static bool text_after_close(struct rx *rx)
{
	struct refstack_conn *c = rx->c;

	if (rx->len == 0 || !c->app_closed ||
	    (c->state != REFSTACK_FIN_WAIT_1 && c->state != REFSTACK_FIN_WAIT_2))
		return false;
#ifdef REFSTACK_FAULTS
	/* fault no-rst-on-data-lost: the text is taken as after a half-close */
	if (refstack_fault_on(rx->s, REFSTACK_FAULT_NO_RST_ON_DATA_LOST))
		return false;
#endif
	refstack_out_rst(rx->s, c);
	refstack_conn_closed(rx->s, c, REFSTACK_CAUSE_DATA_LOST, 0);
	return true;
}

/* 9293 3.10.7.4 step 7: in-order text into the receive buffer. Text beyond
 * RCV.NXT is not queued: it is dropped and answered with a duplicate ACK. */
static enum step step7_text(struct rx *rx)
{
	struct refstack_conn *c = rx->c;

	if (rx->len == 0 && !rx->fin)
		return STEP_NEXT;
	if (text_after_close(rx))
		return done(rx, REFSTACK_DROP_TEXT_AFTER_CLOSE);
	switch (c->state) {
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
		if (rx->seq != c->rcv_nxt) {
			/* RFC 2018 4: with SACK on, the text is held and the
			 * duplicate ACK reports it; its FIN is not (the peer
			 * sends it again) */
			bool held = c->sack_ok && refstack_ooo_put(c, rx->seq, rx->data, rx->len);

			rx->len = 0;
			rx->fin = false;
			c->ack_pending = true;
			if (!held)
				rx->drop = REFSTACK_DROP_OUT_OF_ORDER;
			return STEP_NEXT;
		}
		if (rx->len == 0)
			break;
		/* "Once the TCP endpoint takes responsibility for the data, it
		 * advances RCV.NXT over the data accepted, and adjusts RCV.WND
		 * as appropriate to the current buffer availability." The
		 * right edge stays where it is: the window shrinks by the text. */
		refstack_rcv_put(c, rx->data, rx->len);
		c->rcv_nxt += rx->len;
		c->rcv_wnd -= rx->len;
		/* RFC 2018: held text the new bytes reach is in order now;
		 * RFC 5681 4.2: a segment that fills a gap is ACKed at once,
		 * after every held segment it reaches is taken in (RFC 1122
		 * 4.2.2.21, 9293 MUST-59: process all queued segments before
		 * sending any ACK) */
#ifdef REFSTACK_FAULTS
		/* fault ack-before-queued-text: the gap's own ACK goes out
		 * before the held text is taken in */
		if (c->nooo && refstack_fault_on(rx->s, REFSTACK_FAULT_ACK_BEFORE_QUEUED_TEXT))
			refstack_out_ack(rx->s, c);
#endif
		if (c->nooo && refstack_ooo_advance(c))
			c->ack_pending = true;
		/* "send an acknowledgment of the form:
		 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" (maybe delayed, 3.8.6.3) */
		refstack_delack_text(rx->s, c, rx->now_us);
		break;
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* "This should not occur since a FIN has been received from the
		 * remote side. Ignore the segment text." */
		break;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
	case REFSTACK_SYN_RECEIVED:
		/* not here: step 5 left SYN-RECEIVED */
		break;
	}
	return STEP_NEXT;
}

/* 9293 3.10.7.4 step 8: the FIN, when it is next in sequence */
static enum step step8_fin(struct rx *rx)
{
	struct refstack *s = rx->s;
	struct refstack_conn *c = rx->c;

	if (!rx->fin || rx->seq + rx->len != c->rcv_nxt)
		return STEP_NEXT;
	switch (c->state) {
	case REFSTACK_SYN_RECEIVED:
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
		/* "advance RCV.NXT over the FIN, and send an acknowledgment for
		 * the FIN" -- before the state changes, so that it goes out on
		 * every path */
		c->rcv_nxt++;
		c->rcv_fin = true;
		refstack_out_ack(s, c);
		break;
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
	case REFSTACK_TIME_WAIT:
		/* the peer's FIN was taken already: acknowledge again */
		refstack_out_ack(s, c);
		break;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
		/* "Do not process the FIN if the state is CLOSED, LISTEN, or
		 * SYN-SENT since the SEG.SEQ cannot be validated" */
		return done(rx, rx->drop);
	}
	switch (c->state) {
	case REFSTACK_SYN_RECEIVED:
	case REFSTACK_ESTABLISHED:
		/* "Enter the CLOSE-WAIT state." */
		refstack_set_state(s, c, REFSTACK_CLOSE_WAIT, REFSTACK_CAUSE_RCV_FIN);
		break;
	case REFSTACK_FIN_WAIT_1:
		/* "If our FIN has been ACKed (perhaps in this segment), then
		 * enter TIME-WAIT, start the time-wait timer, turn off the other
		 * timers; otherwise, enter the CLOSING state." */
		if (!refstack_fin_acked(c)) {
			refstack_set_state(s, c, REFSTACK_CLOSING, REFSTACK_CAUSE_RCV_FIN);
			break;
		}
#ifdef REFSTACK_FAULTS
		/* fault finack-to-closing: CLOSING although our FIN is acked */
		if (refstack_fault_on(s, REFSTACK_FAULT_FINACK_TO_CLOSING)) {
			refstack_set_state(s, c, REFSTACK_CLOSING, REFSTACK_CAUSE_RCV_FIN);
			break;
		}
#endif
		refstack_enter_time_wait(s, c, REFSTACK_CAUSE_RCV_FIN, rx->now_us);
		break;
	case REFSTACK_FIN_WAIT_2:
		/* "Enter the TIME-WAIT state. Start the time-wait timer, turn
		 * off the other timers." */
		refstack_enter_time_wait(s, c, REFSTACK_CAUSE_RCV_FIN, rx->now_us);
		break;
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
		/* "Remain in the ... state." */
		break;
	case REFSTACK_TIME_WAIT:
		/* "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait
		 * timeout." */
		refstack_time_wait_restart(s, c, rx->now_us);
		break;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
		break;
	}
	return STEP_NEXT;
}

/* 9293 3.10.7.4: SYN-RECEIVED and the synchronized states. Step 3
 * (security) does not apply. */
static enum refstack_drop seg_arrives_other(struct refstack *s, struct refstack_conn *c,
					    const struct refstack_rx_seg *seg, uint64_t now_us)
{
	static enum step (*const steps[])(struct rx *) = {
		step1_seq, step2_rst, step4_syn, step5_ack, step6_urg, step7_text, step8_fin,
	};
	struct rx rx = {.s = s, .c = c, .seg = seg, .now_us = now_us, .drop = REFSTACK_ACCEPTED};

	run_steps(&rx, steps, sizeof(steps) / sizeof(steps[0]));
	/* 3.8.4: anything from the peer shows it is alive */
	if (c->used && c->keep_at != REFSTACK_TIMER_OFF)
		refstack_keepalive_heard(s, c, now_us);
	return rx.drop;
}

/* RFC 1122 4.2.2.13 (9293 MAY-2): "When a connection is closed actively, it
 * MUST linger in TIME-WAIT state ... However, it MAY accept a new SYN from
 * the remote TCP to reopen the connection directly from TIME-WAIT state,
 * if it: (1) assigns its initial sequence number for the new connection
 * to be larger than the largest sequence number it used on the previous
 * connection incarnation, and (2) returns to TIME-WAIT state if the SYN
 * turns out to be an old duplicate." A SYN (no ACK, no RST) above RCV.NXT
 * (RFC 6191 2 without timestamps), with a listener on the port. (2) is
 * not done: an old duplicate SYN lies below RCV.NXT and never gets here. */
static bool time_wait_reopens(struct refstack *s, const struct refstack_conn *c,
			      const struct refstack_rx_seg *seg)
{
	return s->cfg.time_wait_reopen && has(seg, SEG_SYN) && !has(seg, SEG_ACK) && !has(seg, SEG_RST) &&
	       seq_gt(seg->seq, c->rcv_nxt) && refstack_listener_find(s, c->lport);
}

static enum refstack_drop time_wait_reopen(struct refstack *s, struct refstack_conn *c,
					   const struct refstack_rx_seg *seg, uint64_t now_us)
{
	struct refstack_conn *l = refstack_listener_find(s, c->lport);
	/* (1): past SND.NXT by more than any window the old incarnation
	 * could have offered (65535), so no old segment of ours is inside
	 * the new connection's numbers */
	uint32_t iss = c->snd_nxt + 65535u + 2u;

#ifdef REFSTACK_FAULTS
	/* fault time-wait-reopen-low-isn: the reopen takes the ISS any new
	 * connection would get */
	if (refstack_fault_on(s, REFSTACK_FAULT_TIME_WAIT_REOPEN_LOW_ISN))
		iss = refstack_iss_choose(s, &c->laddr, c->lport, &c->raddr, c->rport);
#endif
	refstack_set_state(s, c, REFSTACK_CLOSED, REFSTACK_CAUSE_RCV_SYN);
	refstack_conn_delete(s, c);
	s->iss_next = iss;
	s->iss_next_on = true;
	(void)seg_arrives_listen(s, l, seg, now_us);
	s->iss_next_on = false;
	return REFSTACK_DROP_TIME_WAIT_REOPEN;
}

/* 9293 3.10.7: SEGMENT ARRIVES */
enum refstack_drop refstack_input(struct refstack *s, const uint8_t *pkt, size_t len,
				  uint64_t now_us)
{
	struct refstack_rx_seg seg;
	struct refstack_conn *c;

	s->now_us = now_us;
	/* 9293 3.9.2.2 (MUST-54): ICMP errors come from IP to TCP */
	if (refstack_is_icmp(pkt, len))
		return refstack_icmp_input(s, pkt, len, now_us);
#ifdef REFSTACK_FAULTS
	if (refstack_fault_on(s, REFSTACK_FAULT_IP_OPTIONS_DROPPED) && len >= 40 &&
	    ((pkt[0] >> 4 == 4 && (pkt[0] & 0x0f) > 5) || (pkt[0] >> 4 == 6 && pkt[6] == 60)))
		return REFSTACK_DROP_MALFORMED;
#endif
	/* 9293 3.9.2 (MUST-50): IP options are skipped by the decoder, never
	 * a reason to drop */
	if (refstack_decode(pkt, len, &seg) < 0)
		return REFSTACK_DROP_MALFORMED;
	/* 9293 3.9.2.3 (MUST-57, RFC 1122 4.2.3.10): a segment to a broadcast
	 * or multicast address is discarded silently */
	if (refstack_addr_not_unicast(&seg.dst)) {
#ifdef REFSTACK_FAULTS
		if (refstack_fault_on(s, REFSTACK_FAULT_SYN_TO_MULTICAST_ACCEPTED))
			seg.dst = s->cfg.addr;
		else
#endif
			return REFSTACK_DROP_DST_NOT_UNICAST;
	}
	if (!refstack_addr_own(s, &seg.dst))
		return REFSTACK_DROP_NOT_OURS;
	/* 9293 3.9.2.3 (MUST-63): nor is anything from such an address
	 * answered, a SYN least of all */
	if (refstack_addr_not_unicast(&seg.src)
#ifdef REFSTACK_FAULTS
	    && !refstack_fault_on(s, REFSTACK_FAULT_SYN_FROM_MULTICAST_ACCEPTED)
#endif
	)
		return REFSTACK_DROP_SRC_INVALID;
	/* 9293 3.1: a segment whose checksum fails is discarded silently */
	if (seg.bad_csum)
		return REFSTACK_DROP_BAD_CSUM;
	c = refstack_find(s, seg.dport, &seg.src, seg.sport);
	/* the connection is the whole socket pair: our address too */
	if (c && !refstack_addr_eq(&c->laddr, &seg.dst))
		c = NULL;
	if (!c) {
		struct refstack_conn *l = refstack_listener_find(s, seg.dport);

		return l ? seg_arrives_listen(s, l, &seg, now_us) : seg_arrives_closed(s, &seg);
	}
	switch (c->state) {
	case REFSTACK_SYN_SENT:
		return seg_arrives_syn_sent(s, c, &seg, now_us);
	case REFSTACK_SYN_RECEIVED:
	case REFSTACK_ESTABLISHED:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
		return seg_arrives_other(s, c, &seg, now_us);
	case REFSTACK_TIME_WAIT:
		if (time_wait_reopens(s, c, &seg))
			return time_wait_reopen(s, c, &seg, now_us);
		return seg_arrives_other(s, c, &seg, now_us);
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
		/* a live TCB is never in these states */
		break;
	}
	return seg_arrives_closed(s, &seg);
}
