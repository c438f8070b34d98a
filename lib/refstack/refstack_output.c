/* Segment emission and the send path. Every segment leaves through emit():
 * encoded by refstack_encode into a buffer on the C stack, handed to
 * io.output. */
#include "refstack_internal.h"

#include <string.h>

/* IPv6 header, TCP header with the largest options, the largest payload */
#define OUT_BUF_MAX (REFSTACK_IPV6_HLEN + 60 + SEG_MAX_PAYLOAD)

static void emit(struct refstack *s, const struct refstack_tx_seg *o)
{
	uint8_t buf[OUT_BUF_MAX];
	size_t n = refstack_encode(o, buf, sizeof(buf));

	/* Nothing the stack encodes can fail (addresses of one family, one MSS
	 * option, a payload within SEG_MAX_PAYLOAD); if it ever did, the
	 * segment is lost on the wire, which TCP recovers from. */
	if (n == 0)
		return;
	if (s->io.output)
		s->io.output(s->io.ctx, buf, n);
}

static void seg_start(const struct refstack *s, struct refstack_tx_seg *o, const struct seg_addr *src,
		      const struct seg_addr *dst, uint16_t sport, uint16_t dport)
{
	memset(o, 0, sizeof(*o));
	o->src = *src;
	o->dst = *dst;
	o->ttl = s->cfg.ttl;
	o->sport = sport;
	o->dport = dport;
}

void refstack_out_rst_reply(struct refstack *s, const struct refstack_rx_seg *seg, uint32_t seq,
			    uint32_t ack, uint16_t flags)
{
	struct refstack_tx_seg o;

	/* 9293 3.9.1.1 (MUST-45): from the address the segment came to */
	seg_start(s, &o, &seg->dst, &seg->src, seg->dport, seg->sport);
	o.seq = seq;
	o.ack = ack;
	o.flags = flags;
	o.win = 0;
	emit(s, &o);
}

/* A segment of a TCB. ACK-bearing segments carry RCV.NXT and RCV.WND and
 * settle any owed or delayed ACK. Text comes from the send buffer at
 * sequence number seq. */
static void conn_emit(struct refstack *s, struct refstack_conn *c, uint16_t flags, uint32_t seq,
		      uint32_t ack, uint32_t len)
{
	struct refstack_tx_seg o;
	struct seg_opt opts[SEG_MAX_OPTS];
	uint32_t opt_bytes;

	seg_start(s, &o, &c->laddr, &c->raddr, c->lport, c->rport);
	/* 9293 3.9.2 (MUST-48, MUST-49): what the application set */
	o.ttl = c->ttl;
	o.tos = c->tos;
	/* 9293 3.9.2.1 (MUST-51..53): the connection's source route */
	if (c->route_len && c->raddr.family == 4) {
		o.ipopt_len = c->route_len;
		o.ipopts = c->route;
		o.hop = c->route_hop;
	}
#ifdef REFSTACK_FAULTS
	if (refstack_fault_on(s, REFSTACK_FAULT_TTL_OPTION_IGNORED))
		o.ttl = REFSTACK_TTL;
	if (refstack_fault_on(s, REFSTACK_FAULT_TOS_OPTION_IGNORED))
		o.tos = 0;
	if (refstack_fault_on(s, REFSTACK_FAULT_SEND_FROM_FIRST_ADDRESS))
		o.src = s->cfg.addr;
#endif
	o.seq = seq;
	o.flags = flags;
	if (flags & SEG_ACK) {
		o.ack = ack;
		c->ack_pending = false;
		c->delack_at = REFSTACK_TIMER_OFF;
		/* RFC 7323 4.3: Last.ACK.sent, for the TS.Recent rule */
		c->last_ack_sent = ack;
	}
	/* 9293 3.8.5: while urgent data is unacknowledged, a segment that
	 * starts before SND.UP carries URG and the offset from its sequence
	 * number to the first octet after the urgent data (MUST-62); an
	 * offset past 65535 is sent as 65535 (RFC 6093 4: the pointer can
	 * only point so far, the data stays urgent) */
	if (c->snd_urg && !(flags & (SEG_SYN | SEG_RST)) && seq_lt(seq, c->snd_up)) {
		uint32_t up = c->snd_up - seq;

#ifdef REFSTACK_FAULTS
		/* fault urgent-pointer-last-octet: RFC 793's other reading, the
		 * pointer at the last urgent octet */
		if (refstack_fault_on(s, REFSTACK_FAULT_URGENT_POINTER_LAST_OCTET))
			up--;
#endif
		o.flags |= SEG_URG;
		o.urp = (uint16_t)(up > 65535 ? 65535 : up);
	}
	/* RSTs carry no window; the others RCV.WND, scaled once window
	 * scaling is on (RFC 7323 2.3) */
	o.win = refstack_wnd_field(c, flags);
	/* the MSS on SYN and SYN-ACK (9293 3.7.1), and what RFC 7323 and
	 * RFC 2018 add where negotiated */
	o.nopts = (uint8_t)refstack_conn_opts(s, c, flags, opts, &opt_bytes);
	o.opts = opts;
#ifdef REFSTACK_FAULTS
	/* fault mss-on-every-segment: one option-building path for every
	 * segment, as a sloppy stack has it, so the MSS option rides on ACKs,
	 * data, FINs and RSTs too; RFC 9293 3.2 and 3.7.1 allow it only on
	 * segments with SYN set */
	if (!(flags & SEG_SYN) && s->cfg.mss && refstack_fault_on(s, REFSTACK_FAULT_MSS_ON_EVERY_SEGMENT)) {
		opts[o.nopts++] = (struct seg_opt){.kind = SEG_OPT_MSS, .u.mss = s->cfg.mss};
	}
#endif
	/* text straight from the send ring, in at most two pieces */
	if (len)
		refstack_ring_pieces(c->snd_buf, c->snd_cap,
				     refstack_ring_pos(c->snd_cap, c->snd_head, seq - c->snd_buf_seq), len,
				     o.data, o.data_len);
	emit(s, &o);
}

void refstack_out_ack(struct refstack *s, struct refstack_conn *c)
{
	conn_emit(s, c, SEG_ACK, c->snd_nxt, c->rcv_nxt, 0);
}

void refstack_out_rst(struct refstack *s, struct refstack_conn *c)
{
	conn_emit(s, c, SEG_RST, c->snd_nxt, 0, 0);
}

static void syn_emit(struct refstack *s, struct refstack_conn *c)
{
	conn_emit(s, c, SEG_SYN, c->iss, 0, 0);
}

static void synack_emit(struct refstack *s, struct refstack_conn *c)
{
	uint32_t ack = c->rcv_nxt;

#ifdef REFSTACK_FAULTS
	/* fault synack-ack-off-by-one: acknowledge IRS+2, not RCV.NXT = IRS+1 */
	if (refstack_fault_on(s, REFSTACK_FAULT_SYNACK_ACK_OFF_BY_ONE))
		ack = c->rcv_nxt + 1;
#endif
	conn_emit(s, c, SEG_SYN | SEG_ACK, c->iss, ack, 0);
}

void refstack_out_syn(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	syn_emit(s, c);
	refstack_rtt_sent(s, c, c->iss, c->iss + 1, now_us);
	refstack_rexmit_start(c, now_us);
}

void refstack_out_synack(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	synack_emit(s, c);
	refstack_rtt_sent(s, c, c->iss, c->iss + 1, now_us);
	refstack_rexmit_start(c, now_us);
}

/* The text a full-sized segment carries (refstack_cc.c) */
static uint32_t refstack_snd_room(const struct refstack_conn *c)
{
	return refstack_smss(c);
}

static bool can_send_text(enum refstack_state st)
{
	switch (st) {
	case REFSTACK_ESTABLISHED:
	case REFSTACK_CLOSE_WAIT:
	case REFSTACK_FIN_WAIT_1:
	case REFSTACK_CLOSING:
	case REFSTACK_LAST_ACK:
		/* FIN-WAIT-1, CLOSING, LAST-ACK: text queued before the CLOSE
		 * and the FIN may still be waiting for the window */
		return true;
	case REFSTACK_CLOSED:
	case REFSTACK_LISTEN:
	case REFSTACK_SYN_SENT:
	case REFSTACK_SYN_RECEIVED:
	case REFSTACK_FIN_WAIT_2:
	case REFSTACK_TIME_WAIT:
		return false;
	}
	return false;
}

uint32_t refstack_unsent(const struct refstack_conn *c)
{
	return c->snd_len - (c->snd_nxt - c->snd_buf_seq);
}

/* How much of the queue may leave now as one segment, n of it fitting
 * window and MSS: 9293 3.8.6.2.1 sender SWS avoidance (MUST-38) with the
 * Nagle algorithm of 3.7.4 (SHLD-7) folded in. Every write is pushed (PSH
 * on the segment that empties the queue), so "pushed" holds throughout. */
static uint32_t sws_allows(const struct refstack *s, const struct refstack_conn *c, uint32_t n,
			   uint32_t unsent)
{
	bool in_flight = c->snd_nxt != c->snd_una;

	(void)s;
	/* (1) a maximum-sized segment can be sent (its text less the
	 * options every segment carries: refstack_snd_room) */
	if (n >= refstack_snd_room(c))
		return n;
	/* 3.7.4 Nagle: "If there is unacknowledged data (i.e., SND.NXT >
	 * SND.UNA), then the sending TCP endpoint buffers all user data
	 * (regardless of the PSH bit) until the outstanding data has been
	 * acknowledged or until the TCP endpoint can send a full-sized
	 * segment". Once CLOSE queued the FIN no more data can come to fill a
	 * segment, so the tail goes (as BSD and Linux send it). */
	if (c->nagle && in_flight && !c->fin_queued) {
#ifdef REFSTACK_FAULTS
		/* fault nagle-ignored: the test is made, its answer dropped */
		if (!refstack_fault_on(s, REFSTACK_FAULT_NAGLE_IGNORED))
#endif
			return 0;
	}
	/* (2) data is pushed and all queued data can be sent now */
	if (n == unsent)
		return n;
	/* (3) at least a fraction Fs = 1/2 of the largest window the peer
	 * offered can be sent */
	if (n >= c->max_snd_wnd / 2)
		return n;
#ifdef REFSTACK_FAULTS
	/* fault no-sender-sws: a window-limited sliver leaves at once */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_SENDER_SWS))
		return n;
#endif
	/* (4) otherwise only when the override timeout occurs: the persist
	 * timer (refstack_persist.c) */
	return 0;
}

/* One segment of queued text (and the FIN after it, when it fits) at
 * SND.NXT; returns the octets sent. */
static uint32_t send_text(struct refstack *s, struct refstack_conn *c, uint32_t n, uint32_t unsent,
			  uint32_t usable, uint64_t now_us)
{
	bool fin = c->fin_queued && n == unsent && usable > n;
	uint16_t flags = SEG_ACK;

	if (n == 0 && !fin)
		return 0;
	/* 9293 3.9.1 (MUST-61): a SEND that cannot say PUSH is pushed: PSH
	 * on the segment that empties the queue, so the last segment of a
	 * write carries it and nothing waits at the receiver (MUST-60) */
	if (n && n == unsent)
		flags |= SEG_PSH;
#ifdef REFSTACK_FAULTS
	/* fault no-psh */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_PSH))
		flags &= (uint16_t)~SEG_PSH;
#endif
	if (fin)
		flags |= SEG_FIN;
	conn_emit(s, c, flags, c->snd_nxt, c->rcv_nxt, n);
	refstack_rtt_sent(s, c, c->snd_nxt, c->snd_nxt + n + (fin ? 1u : 0u), now_us);
	c->snd_nxt += n;
	if (n)
		refstack_cc_text_sent(c, now_us);
	if (fin) {
		c->fin_sent = true;
		c->fin_seq = c->snd_nxt;
		c->snd_nxt++;
	}
	refstack_rexmit_start(c, now_us);
	return n + (fin ? 1u : 0u);
}

static uint32_t usable_window(const struct refstack_conn *c)
{
	uint32_t wnd_end = c->snd_una + c->snd_wnd;

	return seq_gt(wnd_end, c->snd_nxt) ? wnd_end - c->snd_nxt : 0;
}

/* 9293 3.8.6 (window management), 3.10.2 SEND, 3.10.4 CLOSE: send queued
 * text within the send window, SND.UNA + SND.WND, in segments of at most
 * Eff.snd.MSS as sender SWS avoidance and Nagle allow, PSH on the segment
 * that empties the queue; the FIN follows the last byte and, taking one
 * sequence number, needs one byte of window too. With congestion control
 * (refstack_cc.c) what it owes is retransmitted first, and new text is
 * held to the congestion window as well (RFC 5681 3.1: min(cwnd, rwnd)).
 * What waits with nothing in flight is the persist timer's. */
void refstack_output(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	refstack_persist_window(c);
	if (can_send_text(c->state)) {
		refstack_cc_idle(s, c, now_us);
		refstack_cc_output(s, c);
	}
	while (can_send_text(c->state) && !c->fin_sent) {
		uint32_t unsent = refstack_unsent(c);
		uint32_t usable = usable_window(c);
		uint32_t n = unsent, cwnd_room = refstack_cc_room(s, c);

		if (n > usable)
			n = usable;
		if (n > refstack_snd_room(c))
			n = refstack_snd_room(c);
		if (n > cwnd_room)
			n = cwnd_room;
		if (n)
			n = sws_allows(s, c, n, unsent);
		if (send_text(s, c, n, unsent, usable, now_us) == 0)
			break;
	}
	if (can_send_text(c->state))
		refstack_persist_check(s, c, now_us);
	if (c->ack_pending)
		refstack_out_ack(s, c);
}

uint32_t refstack_out_force(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	uint32_t unsent = refstack_unsent(c), usable = usable_window(c);
	uint32_t n = unsent < usable ? unsent : usable;

	if (n > refstack_snd_room(c))
		n = refstack_snd_room(c);
	if (!can_send_text(c->state) || c->fin_sent)
		return 0;
	return send_text(s, c, n, unsent, usable, now_us);
}

void refstack_out_window_probe(struct refstack *s, struct refstack_conn *c)
{
	uint16_t flags = SEG_ACK;

	if (c->snd_nxt != c->snd_una) {
		/* the last probe is unanswered: its octet (or FIN) again */
		if (c->fin_sent && c->fin_seq == c->snd_una)
			flags |= SEG_FIN;
		conn_emit(s, c, flags, c->snd_una, c->rcv_nxt, (flags & SEG_FIN) ? 0 : 1);
		return;
	}
	if (refstack_unsent(c)) {
		/* "at least one octet of new data (if available)" */
		if (refstack_unsent(c) == 1)
			flags |= SEG_PSH;
		conn_emit(s, c, flags, c->snd_nxt, c->rcv_nxt, 1);
		c->snd_nxt++;
		return;
	}
	if (c->fin_queued && !c->fin_sent) {
		/* only the FIN waits: it probes, taking its sequence number */
		conn_emit(s, c, flags | SEG_FIN, c->snd_nxt, c->rcv_nxt, 0);
		c->fin_sent = true;
		c->fin_seq = c->snd_nxt;
		c->snd_nxt++;
	}
}

void refstack_out_keepalive(struct refstack *s, struct refstack_conn *c)
{
	/* 9293 3.8.4: "a segment with a sequence number of SND.NXT-1" and no
	 * data (the garbage octet of MAY-6 is not sent), which the peer
	 * must answer with an ACK (3.10.7.4 step 1) */
	conn_emit(s, c, SEG_ACK, c->snd_nxt - 1, c->rcv_nxt, 0);
}

uint32_t refstack_out_resend(struct refstack *s, struct refstack_conn *c, uint32_t seq, uint32_t max)
{
	uint32_t data_end = c->fin_sent ? c->fin_seq : c->snd_nxt, n;
	uint16_t flags = SEG_ACK;
	bool fin;

	n = seq_lt(seq, data_end) ? data_end - seq : 0;
	if (n > refstack_snd_room(c))
		n = refstack_snd_room(c);
	if (n > max)
		n = max;
	fin = c->fin_sent && seq + n == c->fin_seq;
	if (n == 0 && !fin)
		return 0;
	if (n && seq + n - c->snd_buf_seq == c->snd_len)
		flags |= SEG_PSH;
	if (fin)
		flags |= SEG_FIN;
	conn_emit(s, c, flags, seq, c->rcv_nxt, n);
	/* every copy sent again ends the timing of what it covers (Karn) */
	refstack_rtt_retransmitted(s, c, seq, seq + n + (fin ? 1u : 0u), s->now_us);
	return n + (fin ? 1u : 0u);
}

void refstack_retransmit(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	if (seq_leq(c->snd_una, c->iss)) {
		/* our SYN is not acknowledged yet */
		if (c->state == REFSTACK_SYN_SENT) {
#ifdef REFSTACK_FAULTS
			/* fault no-syn-retransmit: the timer runs, nothing is sent */
			if (refstack_fault_on(s, REFSTACK_FAULT_NO_SYN_RETRANSMIT))
				return;
#endif
			syn_emit(s, c);
		} else {
			synack_emit(s, c);
		}
		refstack_rtt_retransmitted(s, c, c->iss, c->iss + 1, now_us);
		return;
	}
	s->now_us = now_us;
	refstack_out_resend(s, c, c->snd_una, UINT32_MAX);
}
