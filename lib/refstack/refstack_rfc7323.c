/* RFC 7323 (window scale and timestamps) and the SACK-permitted half of RFC
 * 2018: what the SYNs agree on, the windows scaled both ways, the options
 * every segment of a TCB carries, TS.Recent and PAWS. */
#include "refstack_internal.h"

#include <string.h>

/* RFC 7323 5.2: timestamps compare in 32-bit modular arithmetic, as
 * sequence numbers do */
static bool ts_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* RFC 7323 4.3, 5.5: TS.Recent takes a TSval, and the time it did so is
 * kept: 5.5 lets a TCP tell how long the connection has been idle by a
 * clock value it updates whenever TS.Recent is updated */
static void ts_recent_set(const struct refstack *s, struct refstack_conn *c, uint32_t ts_val)
{
	c->ts_recent = ts_val;
	c->ts_recent_at_us = s->now_us;
}

/* RFC 7323 5.5: "an implementation of PAWS include a mechanism to
 * 'invalidate' the TS.Recent value when a connection is idle for more
 * than 24 days": idle more than REFSTACK_TS_RECENT_IDLE_MAX_US since
 * TS.Recent was last set, it is invalid; at exactly 24 days, still valid */
static bool ts_recent_valid(const struct refstack *s, const struct refstack_conn *c)
{
#ifdef REFSTACK_FAULTS
	/* fault ts-recent-never-expires: no idle time invalidates it */
	if (refstack_fault_on(s, REFSTACK_FAULT_TS_RECENT_NEVER_EXPIRES))
		return true;
#endif
	return s->now_us - c->ts_recent_at_us <= REFSTACK_TS_RECENT_IDLE_MAX_US;
}

void refstack_opts_negotiate(const struct refstack *s, struct refstack_conn *c,
			     const struct refstack_rx_seg *syn)
{
	/* RFC 7323 2.2: "both sides MUST send Window Scale options in their
	 * <SYN> segments to enable window scaling in either direction"; the
	 * passive side answers only an offer (2.2: "may send the option in
	 * a <SYN,ACK> segment only if ... received ... in the initial <SYN>") */
	c->ws_ok = s->cfg.wscale && syn->has_wscale;
	if (c->ws_ok) {
		/* 2.3: "If a Window Scale option is received with a shift.cnt
		 * value larger than 14, the TCP SHOULD log the error but MUST
		 * use 14 instead of the specified value." */
		c->snd_wscale = syn->wscale > REFSTACK_WSCALE_MAX ? REFSTACK_WSCALE_MAX : syn->wscale;
		c->rcv_wscale = s->cfg.wscale_shift > REFSTACK_WSCALE_MAX ? REFSTACK_WSCALE_MAX
									  : s->cfg.wscale_shift;
	} else {
		c->snd_wscale = c->rcv_wscale = 0;
	}
	/* RFC 7323 3.2: timestamps are on when both SYNs carried TSopt;
	 * 4.3 (and 3.2 for the SYN): TS.Recent starts as the SYN's TSval */
	c->ts_ok = s->cfg.timestamps && syn->has_ts;
	if (c->ts_ok)
		ts_recent_set(s, c, syn->ts_val);
	/* RFC 2018 2: SACK-permitted "MUST NOT be sent on non-SYN segments";
	 * SACK is used when both SYNs carried it */
	c->sack_ok = s->cfg.sack_permitted && syn->sack_perm;
}

uint32_t refstack_seg_wnd(const struct refstack *s, const struct refstack_conn *c,
			  const struct refstack_rx_seg *seg)
{
	(void)s;
#ifdef REFSTACK_FAULTS
	/* fault window-signed: the field read as int16_t, so 32768..65535
	 * turn negative and are taken as no window (9293 3.1, MUST-1: the
	 * window is unsigned) */
	if (refstack_fault_on(s, REFSTACK_FAULT_WINDOW_SIGNED) && (int16_t)seg->win < 0)
		return 0;
#endif
	/* RFC 7323 2.3: "The window field in a segment where the SYN bit is
	 * set (i.e., a <SYN> or <SYN,ACK>) MUST NOT be scaled." */
	if (!c->ws_ok || (seg->flags & SEG_SYN))
		return seg->win;
#ifdef REFSTACK_FAULTS
	/* fault no-window-scaling-applied: the field taken as it is */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_WINDOW_SCALING_APPLIED))
		return seg->win;
#endif
	/* RFC 7323 2.3: SND.WND = SEG.WND << Snd.Wind.Shift */
	return (uint32_t)seg->win << c->snd_wscale;
}

uint16_t refstack_wnd_field(struct refstack_conn *c, uint16_t flags)
{
	uint32_t w, unit;

	if (flags & SEG_RST)
		return 0; /* RSTs carry no window */
	if (!c->ws_ok || (flags & SEG_SYN))
		return (uint16_t)(c->rcv_wnd > 65535 ? 65535 : c->rcv_wnd);
	/* RFC 7323 2.3: SEG.WND = RCV.WND >> Rcv.Wind.Shift. The shift rounds
	 * down, which could pull the right edge left of one already offered;
	 * 9293 3.8.6.2.2 (SHLD-14) says not to shrink the window, so the field
	 * rounds up to the last edge when it would (RFC 7323 2.4 notes the
	 * rounding). Text past RCV.WND in that sliver is trimmed as usual. */
	unit = 1u << c->rcv_wscale;
	w = c->rcv_wnd >> c->rcv_wscale;
	if (seq_lt(c->rcv_nxt + (w << c->rcv_wscale), c->rcv_adv))
		w = (c->rcv_adv - c->rcv_nxt + unit - 1) >> c->rcv_wscale;
	if (w > 65535)
		w = 65535;
	c->rcv_adv = c->rcv_nxt + (w << c->rcv_wscale);
	return (uint16_t)w;
}

uint32_t refstack_ts_clock(const struct refstack *s)
{
	/* RFC 7323 5.4: a clock of 1 ms to 1 s per tick; 1 ms, as Linux */
	return (uint32_t)(s->now_us / 1000u) + s->cfg.ts_offset;
}

bool refstack_paws_reject(const struct refstack *s, const struct refstack_conn *c,
			  const struct refstack_rx_seg *seg)
{
#ifdef REFSTACK_FAULTS
	/* fault no-paws-check: no segment is ever rejected by its timestamp */
	if (refstack_fault_on(s, REFSTACK_FAULT_NO_PAWS_CHECK))
		return false;
#endif
	/* RFC 7323 5.3 R1: "If there is a Timestamps option in the arriving
	 * segment, SEG.TSval < TS.Recent, TS.Recent is valid (see Section
	 * 5.5), and if the RST bit is not set, then treat the arriving
	 * segment as not acceptable". 5.5: validity "needs to be checked
	 * only if the basic PAWS timestamp check fails"; an invalid TS.Recent
	 * lets the segment through "regardless of the failure of the
	 * timestamp check". */
	return c->ts_ok && seg->has_ts && !(seg->flags & SEG_RST) && ts_lt(seg->ts_val, c->ts_recent) &&
	       ts_recent_valid(s, c);
}

bool refstack_tsopt_missing(const struct refstack *s, const struct refstack_conn *c,
			    const struct refstack_rx_seg *seg)
{
	(void)s;
#ifdef REFSTACK_FAULTS
	/* fault tsopt-missing-accepted: a segment without TSopt is taken */
	if (refstack_fault_on(s, REFSTACK_FAULT_TSOPT_MISSING_ACCEPTED))
		return false;
#endif
	/* RFC 7323 3.2: "If a non-<RST> segment is received without a TSopt,
	 * a TCP SHOULD silently drop the segment. A received <RST> segment
	 * MUST NOT be dropped for lack of a TSopt." */
	return c->ts_ok && !seg->has_ts && !(seg->flags & SEG_RST);
}

void refstack_ts_recent_update(const struct refstack *s, struct refstack_conn *c,
			       const struct refstack_rx_seg *seg)
{
	if (!c->ts_ok || !seg->has_ts)
		return;
	/* RFC 7323 4.3 (2), 5.3 R3: "If SEG.TSval >= TS.Recent and SEG.SEQ
	 * <= Last.ACK.sent, then SEG.TSval is copied to TS.Recent"; called
	 * only for a segment that passed the sequence test (step 1) and whose
	 * ACK is acceptable (step 5): an invalid ACK never moves it (4.3). */
	if (!seq_leq(seg->seq, c->last_ack_sent))
		return;
	/* 5.5: a segment accepted past an invalid TS.Recent (idle over 24
	 * days) has an older TSval, yet "rule R3 updates TS.Recent with the
	 * TSval from the new segment" */
	if (!ts_lt(seg->ts_val, c->ts_recent) || !ts_recent_valid(s, c))
		ts_recent_set(s, c, seg->ts_val);
}

static void put(struct seg_opt *opts, unsigned *n, uint32_t *bytes, struct seg_opt o, uint32_t len)
{
	opts[(*n)++] = o;
	*bytes += len;
}

static void put_nop(struct seg_opt *opts, unsigned *n, uint32_t *bytes)
{
	put(opts, n, bytes, (struct seg_opt){.kind = SEG_OPT_NOP}, 1);
}

/* RFC 7323 3.2: TSval from our clock; TSecr echoes TS.Recent when the ACK
 * bit is set, else 0 (a SYN: "the TSecr field ... MUST be zero") */
static struct seg_opt ts_opt(const struct refstack *s, const struct refstack_conn *c, uint16_t flags)
{
	struct seg_opt o = {.kind = SEG_OPT_TS};

	o.u.ts.val = refstack_ts_clock(s);
	o.u.ts.ecr = (flags & SEG_ACK) ? c->ts_recent : 0;
	return o;
}

/* A SYN: mss, sackOK, ts, nop, wscale, as Linux sends them (20 bytes, no
 * padding needed); nop, nop before the timestamps when no sackOK goes
 * first, so the TSopt stays 4-byte aligned (RFC 7323 Appendix A). A
 * SYN,ACK carries only what the peer's SYN offered. */
static unsigned syn_opts(const struct refstack *s, const struct refstack_conn *c, uint16_t flags,
			 struct seg_opt *opts, uint32_t *bytes)
{
	bool synack = flags & SEG_ACK;
	bool sack = synack ? c->sack_ok : s->cfg.sack_permitted;
	bool ts = synack ? c->ts_ok : s->cfg.timestamps;
	bool ws = synack ? c->ws_ok : s->cfg.wscale;
	unsigned n = 0;

	if (s->cfg.mss)
		put(opts, &n, bytes, (struct seg_opt){.kind = SEG_OPT_MSS, .u.mss = s->cfg.mss}, 4);
	if (sack && ts) {
		put(opts, &n, bytes, (struct seg_opt){.kind = SEG_OPT_SACK_PERM}, 2);
	} else if (sack) {
		put_nop(opts, &n, bytes);
		put_nop(opts, &n, bytes);
		put(opts, &n, bytes, (struct seg_opt){.kind = SEG_OPT_SACK_PERM}, 2);
	}
	if (ts) {
		if (!sack) {
			put_nop(opts, &n, bytes);
			put_nop(opts, &n, bytes);
		}
		put(opts, &n, bytes, ts_opt(s, c, flags), 10);
	}
	if (ws) {
		/* RFC 7323 2.2: the shift we will apply; over 14 is sent as 14 */
		uint8_t shift = s->cfg.wscale_shift > REFSTACK_WSCALE_MAX ? REFSTACK_WSCALE_MAX
									  : s->cfg.wscale_shift;

		put_nop(opts, &n, bytes);
		put(opts, &n, bytes, (struct seg_opt){.kind = SEG_OPT_WSCALE, .u.wscale = shift}, 3);
	}
#ifdef REFSTACK_FAULTS
	/* fault header-padding-nonzero: the list ends with an EOL and three
	 * bytes of 0xaa where 9293 3.1 (MUST-69) says the padding is zeros */
	if (refstack_fault_on(s, REFSTACK_FAULT_HEADER_PADDING_NONZERO) && *bytes + 4 <= 40) {
		struct seg_opt pad = {.kind = SEG_OPT_RAW};

		put(opts, &n, bytes, (struct seg_opt){.kind = SEG_OPT_EOL}, 1);
		pad.u.raw.len = 3;
		memset(pad.u.raw.data, 0xaa, 3);
		put(opts, &n, bytes, pad, 3);
	}
#endif
	return n;
}

unsigned refstack_conn_opts(const struct refstack *s, struct refstack_conn *c, uint16_t flags,
			    struct seg_opt *opts, uint32_t *bytes)
{
	unsigned n = 0, nb;
	struct seg_opt sack = {.kind = SEG_OPT_SACK};

	*bytes = 0;
	if (flags & SEG_SYN)
		return syn_opts(s, c, flags, opts, bytes);
	/* RFC 7323 3.2: "Once TSopt has been successfully negotiated ... the
	 * TSopt MUST be sent in every non-<RST> segment for the duration of
	 * the connection"; on an <RST> it MAY be: we send it, as Linux does on
	 * an abort, so the peer can check it (5.3 R1 exempts RSTs anyway). */
	if (c->ts_ok) {
#ifdef REFSTACK_FAULTS
		/* fault no-tsopt-on-fin: the FIN's builder forgets the TSopt */
		if ((flags & SEG_FIN) && refstack_fault_on(s, REFSTACK_FAULT_NO_TSOPT_ON_FIN))
			goto no_ts;
#endif
		put_nop(opts, &n, bytes);
		put_nop(opts, &n, bytes);
		put(opts, &n, bytes, ts_opt(s, c, flags), 10);
	}
#ifdef REFSTACK_FAULTS
no_ts:
#endif
	/* RFC 2018 4: an ACK reports the held out-of-order ranges; at most 3
	 * blocks beside the timestamps (40 - 12 bytes), 4 without */
	if (c->sack_ok && (flags & SEG_ACK) && !(flags & SEG_RST)) {
		nb = refstack_sack_blocks(s, c, sack.u.sack.b, c->ts_ok ? 3 : SEG_MAX_SACK_BLOCKS);
		if (nb) {
			sack.u.sack.n = (uint8_t)nb;
			put_nop(opts, &n, bytes);
			put_nop(opts, &n, bytes);
			put(opts, &n, bytes, sack, 2 + 8 * nb);
		}
	}
	return n;
}
