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

static void seg_start(const struct refstack *s, struct refstack_tx_seg *o, const struct seg_addr *dst,
		      uint16_t sport, uint16_t dport)
{
	memset(o, 0, sizeof(*o));
	o->src = s->cfg.addr;
	o->dst = *dst;
	o->ttl = REFSTACK_TTL;
	o->sport = sport;
	o->dport = dport;
}

void refstack_out_rst_reply(struct refstack *s, const struct refstack_rx_seg *seg, uint32_t seq,
			    uint32_t ack, uint16_t flags)
{
	struct refstack_tx_seg o;

	seg_start(s, &o, &seg->src, seg->dport, seg->sport);
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
	struct seg_opt mss = {.kind = SEG_OPT_MSS, .u.mss = s->cfg.mss};

	seg_start(s, &o, &c->raddr, c->lport, c->rport);
	o.seq = seq;
	o.flags = flags;
	if (flags & SEG_ACK) {
		o.ack = ack;
		c->ack_pending = false;
		c->delack_at = REFSTACK_TIMER_OFF;
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
	/* RSTs carry no window; the others RCV.WND (no window scaling) */
	o.win = (flags & SEG_RST) ? 0 : (uint16_t)(c->rcv_wnd > 65535 ? 65535 : c->rcv_wnd);
	/* options only on SYN and SYN-ACK: the MSS (9293 3.7.1) */
	if ((flags & SEG_SYN) && s->cfg.mss) {
		o.opts = &mss;
		o.nopts = 1;
	}
#ifdef REFSTACK_FAULTS
	/* fault mss-on-every-segment: one option-building path for every
	 * segment, as a sloppy stack has it, so the MSS option rides on ACKs,
	 * data, FINs and RSTs too; RFC 9293 3.2 and 3.7.1 allow it only on
	 * segments with SYN set */
	if (!(flags & SEG_SYN) && s->cfg.mss && refstack_fault_on(s, REFSTACK_FAULT_MSS_ON_EVERY_SEGMENT)) {
		o.opts = &mss;
		o.nopts = 1;
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
	refstack_rexmit_start(c, now_us);
}

void refstack_out_synack(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	synack_emit(s, c);
	refstack_rexmit_start(c, now_us);
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

/* 9293 3.8.6 (window management), 3.10.2 SEND, 3.10.4 CLOSE: send queued
 * text within the send window, SND.UNA + SND.WND, in segments of at most
 * Eff.snd.MSS, PSH on the segment that empties the queue; the FIN follows the
 * last byte and, taking one sequence number, needs one byte of window too.
 * No congestion control, no Nagle, no persist timer: a zero window holds
 * everything until the peer opens it. */
void refstack_output(struct refstack *s, struct refstack_conn *c, uint64_t now_us)
{
	while (can_send_text(c->state) && !c->fin_sent) {
		uint32_t off = c->snd_nxt - c->snd_buf_seq;
		uint32_t unsent = c->snd_len - off;
		uint32_t wnd_end = c->snd_una + c->snd_wnd;
		uint32_t usable = seq_gt(wnd_end, c->snd_nxt) ? wnd_end - c->snd_nxt : 0;
		uint32_t n = unsent;
		bool fin;
		uint16_t flags = SEG_ACK;

		if (n > usable)
			n = usable;
		if (n > c->snd_mss)
			n = c->snd_mss;
		fin = c->fin_queued && n == unsent && usable > n;
		if (n == 0 && !fin)
			break;
		if (n && n == unsent)
			flags |= SEG_PSH;
		if (fin)
			flags |= SEG_FIN;
		conn_emit(s, c, flags, c->snd_nxt, c->rcv_nxt, n);
		c->snd_nxt += n;
		if (fin) {
			c->fin_sent = true;
			c->fin_seq = c->snd_nxt;
			c->snd_nxt++;
		}
		refstack_rexmit_start(c, now_us);
	}
	if (c->ack_pending)
		refstack_out_ack(s, c);
}

void refstack_retransmit(struct refstack *s, struct refstack_conn *c)
{
	uint32_t data_end, n;
	uint16_t flags = SEG_ACK;
	bool fin;

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
		return;
	}
	data_end = c->fin_sent ? c->fin_seq : c->snd_nxt;
	n = seq_lt(c->snd_una, data_end) ? data_end - c->snd_una : 0;
	if (n > c->snd_mss)
		n = c->snd_mss;
	fin = c->fin_sent && c->snd_una + n == c->fin_seq;
	if (n == 0 && !fin)
		return;
	if (n && c->snd_una + n - c->snd_buf_seq == c->snd_len)
		flags |= SEG_PSH;
	if (fin)
		flags |= SEG_FIN;
	conn_emit(s, c, flags, c->snd_una, c->rcv_nxt, n);
}
