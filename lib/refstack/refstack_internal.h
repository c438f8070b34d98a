/* The reference stack's insides, shared by its .c files and nobody else.
 *
 * refstack.c         configuration, memory, lookup, set_state, the
 *                    application interface (3.10.1 - 3.10.6), names
 * refstack_input.c   SEGMENT ARRIVES (3.10.7): one function per subsection,
 *                    one per step of 3.10.7.4
 * refstack_output.c  segment emission and the send path
 * refstack_timer.c   retransmission (RFC 6298), R2, delayed ACK, 2*MSL
 * refstack_rtt.c     the RTO from RTT samples (RFC 6298 2, 3, 5.5, 5.7;
 *                    RFC 7323 4 RTTM): SRTT, RTTVAR, Karn, backoff
 * refstack_persist.c the persist timer: zero-window probes (3.8.6.1) and
 *                    the sender SWS override timeout (3.8.6.2.1)
 * refstack_keepalive.c keep-alive (3.8.4)
 * refstack_icmp.c    ICMP and ICMPv6 errors (3.9.2.2), address checks (3.9.2.3)
 * refstack_ring.c    the send and receive rings (memcpy, at most two)
 * refstack_rfc7323.c window scale and timestamps (RFC 7323): negotiation,
 *                    scaled windows, TSopt, TS.Recent, PAWS
 * refstack_sack.c    SACK (RFC 2018): out-of-order text held, SACK blocks
 * refstack_cc.c      congestion control (RFC 5681, RFC 6582 NewReno, RFC
 *                    3042 limited transmit)
 * refstack_sack_send.c SACK-based loss recovery as a sender (RFC 6675): the
 *                    scoreboard, IsLost, NextSeg, pipe
 * refstack_encode.c  segment fields -> IP packet bytes (refstack_codec.h)
 * refstack_decode.c  IP packet bytes -> segment fields (refstack_codec.h)
 * refstack_csum.c    the RFC 1071 checksum of the codec
 * refstack_isn.c     ISNs: RFC 6528 (SipHash-2-4 and a 4 us clock) or fixed
 * refstack_fault.c   seeded faults (REFSTACK_FAULTS only) */
#ifndef REFSTACK_INTERNAL_H
#define REFSTACK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "refstack.h"
#include "refstack_codec.h"

#define REFSTACK_TIMER_OFF UINT64_MAX
#define REFSTACK_TTL 64
#define REFSTACK_EPHEMERAL_FIRST 49152u
/* 9293 3.7.1 (MUST-15): the send MSS when the peer sent no MSS option */
#define REFSTACK_DEFAULT_MSS_V4 536u
#define REFSTACK_DEFAULT_MSS_V6 1220u
/* RFC 7323 2.3: the largest shift a window scale option may mean */
#define REFSTACK_WSCALE_MAX 14u
/* Out-of-order ranges held for SACK (RFC 2018 4 reports at most 4) */
#define REFSTACK_OOO_MAX 4
/* SACKed ranges a sender keeps (RFC 6675 scoreboard, fixed memory) */
#define REFSTACK_SCOREBOARD_MAX 8
/* RFC 5681 3.2, RFC 6675 2: duplicate ACKs that signal a loss */
#define REFSTACK_DUPTHRESH 3u

struct refstack_range {
	uint32_t left, right; /* [left, right) in sequence space */
};

struct refstack_conn {
	bool used; /* the slot holds a live TCB (or a live listener) */
	bool listener; /* a listener's pseudo-TCB: only state and lport matter */
	enum refstack_state state;
	bool passive; /* born from a LISTEN (3.10.7.2) */
	bool accepted; /* the application holds it (active opens always do) */
	bool was_established; /* reached ESTABLISHED once: ready for accept */
	uint64_t est_order; /* accept order among was_established TCBs */
	bool fin_queued; /* CLOSE asked for a FIN after the queued data */
	bool app_closed; /* CLOSE, not a half-close: nothing more is read */
	bool fin_sent;
	uint32_t fin_seq; /* our FIN's sequence number, when fin_sent */
	bool rcv_fin; /* the peer's FIN was accepted: RCV.NXT is past it */
	int error; /* what the application sees: 0, -ECONNRESET, ... */
	/* 9293 3.9.2.2: the last soft ICMP error (-EHOSTUNREACH ...), told to
	 * the application if the connection times out (MUST-47) */
	int soft_error;
	uint8_t ttl, tos; /* 9293 3.9.2: the IP header of our segments */
	/* 9293 3.9.2.1 (MUST-53): the source route every segment takes (IPv4
	 * options, route_len 0 = none) and its first hop */
	uint8_t route_len;
	uint8_t route[SEG_IPOPT_SPACE];
	struct seg_addr route_hop;

	uint16_t lport, rport;
	struct seg_addr raddr;
	/* 9293 3.9.1.1 (MUST-45): the local address every segment carries: the
	 * one the OPEN named, or the one the peer's SYN was sent to */
	struct seg_addr laddr;

	/* 9293 3.3.1: send sequence variables (max_snd_wnd: RFC 5961 5.2) */
	uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
	/* 9293 3.3.1: receive sequence variables */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_up;
	uint32_t snd_mss; /* Eff.snd.MSS (9293 3.7.1) */
	/* 9293 3.3.1 SND.UP, valid while snd_urg: the first octet after the
	 * urgent data (3.8.5, MUST-62) */
	uint32_t snd_up;
	bool snd_urg;

	/* Send buffer: a ring of queued bytes, sent or not; the first is at
	 * sequence number snd_buf_seq (== SND.UNA once the SYN is acked). */
	uint8_t *snd_buf;
	uint32_t snd_cap, snd_head, snd_len, snd_buf_seq;
	/* Receive buffer: a ring of in-order bytes the application has not read. */
	uint8_t *rcv_buf;
	uint32_t rcv_cap, rcv_head, rcv_len;

	/* Text that came on the peer's SYN (3.10.7.2 "queued for processing
	 * later"): syn_text bytes in the receive ring past rcv_len, not yet
	 * taken (RCV.NXT not advanced over them) until ESTABLISHED. */
	uint32_t syn_text;

	bool nagle; /* 9293 3.7.4: hold small segments while data is in flight */

	/* Timers: absolute times in microseconds, REFSTACK_TIMER_OFF when off. */
	uint64_t rexmit_at, delack_at, timewait_at;
	uint64_t rto_us; /* current RTO, backed off on each timeout */
	uint32_t rexmit_count; /* retransmissions of the earliest segment */
	/* RFC 6298 2: the estimator, valid after the first sample */
	bool rtt_valid;
	uint64_t srtt_us, rttvar_us;
	/* RFC 6298 3: the segment being timed, [rtt_start, rtt_end), sent at
	 * rtt_sent_us; a retransmission of it ends the timing (Karn) */
	bool rtt_timing;
	uint32_t rtt_start, rtt_end;
	uint64_t rtt_sent_us;
	bool syn_rexmitted; /* RFC 6298 5.7: our SYN or SYN,ACK timed out */
	/* 9293 3.8.3 R2 as a time (RFC 5482), 0 = the retry count; measured
	 * from una_since_us, the send of the oldest unacknowledged segment
	 * (or the last ACK that moved SND.UNA) */
	uint64_t user_timeout_us, una_since_us;
	bool ack_pending; /* an ACK is owed and goes out before input returns */
	/* 9293 3.8.6.1 persist timer: running while text or a FIN waits and
	 * nothing is in flight; persist_us is the interval, doubled per probe */
	uint64_t persist_at, persist_us;
	bool probing; /* a zero-window probe was sent since the timer started */
	/* the first probe sent since the peer last answered one, or
	 * REFSTACK_TIMER_OFF: the user timeout counts from it (RFC 5482) */
	uint64_t probe_since_us;
	/* 9293 3.8.4 keep-alive: keep_idle_us 0 = off */
	uint64_t keep_at, keep_idle_us, keep_intvl_us;
	uint32_t keep_probes; /* unanswered so far */

	/* RFC 7323 2: window scaling, on when both SYNs carried the option */
	bool ws_ok;
	uint8_t snd_wscale; /* Snd.Wind.Shift: the peer's windows are shifted left by it */
	uint8_t rcv_wscale; /* Rcv.Wind.Shift: ours are shifted right by it */
	uint32_t rcv_adv; /* the right edge last advertised (RCV.NXT + window sent) */
	/* RFC 7323 3, 4: timestamps, on when both SYNs carried TSopt */
	bool ts_ok;
	uint32_t ts_recent; /* TS.Recent (4.3) */
	uint64_t ts_recent_at_us; /* when TS.Recent was last set: 5.5 measures idleness from it */
	uint32_t last_ack_sent; /* Last.ACK.sent (4.3): the ACK field of our last ACK */
	/* RFC 2018 2: SACK, on when both SYNs carried SACK-permitted */
	bool sack_ok;
	/* RFC 2018 4: out-of-order text held in the receive ring beyond the
	 * in-order bytes; ooo[0] holds the most recently received segment */
	uint8_t nooo;
	struct refstack_range ooo[REFSTACK_OOO_MAX];

	/* RFC 5681 congestion control (refstack_cc.c), on when cfg.cc */
	bool cc_on;
	uint32_t cwnd, ssthresh;
	uint32_t ca_acked; /* bytes acked toward the next increase in congestion avoidance */
	uint32_t dupacks; /* duplicate ACKs in a row (5681 2) */
	/* fast recovery (5681 3.2, 6582 3.2) or SACK loss recovery (6675 5) */
	bool in_recovery;
	bool sack_recovery; /* the recovery is RFC 6675's */
	uint32_t recover; /* 6582 "recover"; 6675 RecoveryPoint - 1 */
	bool rexmit_owed; /* a retransmission of SND.UNA is due (fast retransmit, partial ACK) */
	/* after a timeout (5681 3.1): [rtx_nxt, rtx_end) is to be sent again
	 * as the window allows, while SND.UNA is below rtx_end */
	uint32_t rtx_nxt, rtx_end;
	/* RFC 6675 scoreboard: SACKed ranges above SND.UNA, ascending */
	uint8_t nsacked;
	struct refstack_range sacked[REFSTACK_SCOREBOARD_MAX];
	uint32_t high_rxt; /* HighRxt, as the first octet after it */
	uint64_t last_data_us; /* when text was last sent (5681 4.1) */
	uint32_t iw; /* the initial window, RW's bound after idle (5681 4.1) */
};

/* 9293 3.9.2.1 (MUST-51): the application's source route as it is sent:
 * the IPv4 options with the route's first hop taken out into hop (family
 * 0: no route, the options go as given) and final_at the slot of the
 * final destination, filled per connection. */
struct refstack_app_route {
	uint8_t bytes[SEG_IPOPT_SPACE];
	uint8_t len, final_at;
	struct seg_addr hop;
};

struct refstack {
	struct refstack_config cfg;
	struct refstack_io io;
	/* The now_us of the call being processed, for what every segment sent
	 * carries of the clock (the TSval, RFC 7323 3.2). */
	uint64_t now_us;
	uint64_t est_counter;
	unsigned next_slot; /* round-robin start for the next TCB */
	uint16_t next_ephemeral;
	/* RFC 5961 7: challenge ACKs sent in the period that began at
	 * challenge_period_start */
	uint64_t challenge_period_start;
	uint32_t challenge_sent;
	bool challenge_period_on;
	/* The ISS of the next TCB when iss_next_on (a TIME-WAIT reopen) */
	uint32_t iss_next;
	bool iss_next_on;
	/* IP_OPTIONS for the connections connect makes from now on */
	struct refstack_app_route app_route;
	struct refstack_conn conns[REFSTACK_MAX_CONNS];
	struct refstack_conn listeners[REFSTACK_MAX_LISTENERS];
	uint8_t snd_mem[REFSTACK_MAX_CONNS][REFSTACK_SND_BUF_MAX];
	uint8_t rcv_mem[REFSTACK_MAX_CONNS][REFSTACK_RCV_BUF_MAX];
};

/* refstack_icmp.c */
/* proto is the IP protocol of pkt (ICMP or ICMPv6), hlen its IP header. */
enum refstack_drop refstack_icmp_input(struct refstack *s, const uint8_t *pkt, size_t len, uint64_t now_us);
/* True when pkt (IPv4 or IPv6) carries ICMP / ICMPv6 right after the header. */
bool refstack_is_icmp(const uint8_t *pkt, size_t len);

/* RFC 1122 3.3.5 (RFC 9293 3.9.2.1, MUST-53): when the IPv4 options opts (n
 * bytes) of a segment from src hold a completed Loose or Strict Source
 * Route, the reversed return route: the options to send (the route's type,
 * the remaining hops, src last, EOL padding) into out and out_len, the first hop
 * back into hop. Returns false, nothing written, when there is none. */
bool refstack_route_return(const uint8_t *opts, size_t n, const struct seg_addr *src, uint8_t out[SEG_IPOPT_SPACE],
			   uint8_t *out_len, struct seg_addr *hop);
/* The application's IPv4 options (n bytes, Linux's IP_OPTIONS form, EOL
 * padded to a word) as they will be sent; -EINVAL for anything but NOPs,
 * EOL and one Loose or Strict Source Route with its pointer at 4. */
int refstack_route_app(const uint8_t *opts, size_t n, struct refstack_app_route *out);
/* Give c the application's route, its final slot naming c's peer; an
 * IPv6 connection gets none. */
void refstack_route_apply(const struct refstack_app_route *r, struct refstack_conn *c);
/* 9293 3.9.2.3: broadcast, multicast or unspecified: no host's own address */
bool refstack_addr_not_unicast(const struct seg_addr *a);
/* The error the application sees when a connection times out (MUST-47). */
int refstack_timeout_error(const struct refstack *s, const struct refstack_conn *c);

/* refstack.c */
/* The one place a state changes: sets it and reports it with its cause. */
void refstack_set_state(struct refstack *s, struct refstack_conn *c, enum refstack_state to,
			enum refstack_cause cause);
/* Free the slot (no report: the caller reported the last transition). */
void refstack_conn_delete(struct refstack *s, struct refstack_conn *c);
/* Enter CLOSED for cause, keep error for the application, delete the TCB. */
void refstack_conn_closed(struct refstack *s, struct refstack_conn *c, enum refstack_cause cause,
			  int error);
struct refstack_conn *refstack_conn_alloc(struct refstack *s);
/* A fresh TCB's fields for the peer raddr:rport on laddr:lport (laddr
 * NULL: cfg.addr); the ISS is chosen for that four-tuple. */
void refstack_conn_setup(struct refstack *s, struct refstack_conn *c, const struct seg_addr *laddr,
			 uint16_t lport, const struct seg_addr *raddr, uint16_t rport);
struct refstack_conn *refstack_listener_find(struct refstack *s, uint16_t port);
/* SYN-SENT / SYN-RECEIVED -> ESTABLISHED, then on to FIN-WAIT-1 when a CLOSE
 * was queued meanwhile (9293 3.10.4 SYN-RECEIVED). */
void refstack_enter_established(struct refstack *s, struct refstack_conn *c,
				enum refstack_cause cause, uint64_t now_us);
/* Eff.snd.MSS from the peer's SYN (9293 3.7.1, RFC 6691). */
uint32_t refstack_eff_mss(const struct refstack *s, const struct refstack_rx_seg *syn);
/* Our FIN was sent and SND.UNA is past it. */
bool refstack_fin_acked(const struct refstack_conn *c);
/* SND.UNA moved: drop acknowledged bytes from the send buffer. */
void refstack_snd_acked(struct refstack_conn *c);
/* Append in-order text to the receive buffer (len fits: RCV.WND <= free). */
void refstack_rcv_put(struct refstack_conn *c, const uint8_t *data, uint32_t len);
bool refstack_addr_eq(const struct seg_addr *a, const struct seg_addr *b);
/* One of the stack's own addresses (cfg.addr, cfg.addr2). */
bool refstack_addr_own(const struct refstack *s, const struct seg_addr *a);

/* refstack_isn.c */
/* The ISS of a new connection (9293 3.4.1): io.iss, RFC 6528 or cfg.iss. */
uint32_t refstack_iss_choose(struct refstack *s, const struct seg_addr *laddr, uint16_t lport,
			     const struct seg_addr *raddr, uint16_t rport);
/* RFC 6528 3: M + F for this four-tuple at now_us. */
uint32_t refstack_isn_rfc6528(const struct refstack *s, const struct seg_addr *laddr, uint16_t lport,
			      const struct seg_addr *raddr, uint16_t rport, uint64_t now_us);

/* refstack_ring.c */
/* head + off inside a ring of cap bytes (head < cap, off <= cap). */
uint32_t refstack_ring_pos(uint32_t cap, uint32_t head, uint32_t off);
/* n bytes (n <= cap) into or out of the ring, starting at pos (< cap). */
void refstack_ring_write(uint8_t *ring, uint32_t cap, uint32_t pos, const uint8_t *src, uint32_t n);
void refstack_ring_read(const uint8_t *ring, uint32_t cap, uint32_t pos, uint8_t *dst, uint32_t n);
/* Where n bytes from pos lie: up to the ring's end, then from its start. */
void refstack_ring_pieces(const uint8_t *ring, uint32_t cap, uint32_t pos, uint32_t n,
			  const uint8_t *piece[2], uint32_t piece_len[2]);

/* refstack_output.c */
/* An RST answering seg without a TCB (3.10.7.1, 3.10.7.2, 3.10.7.3, 3.10.7.4
 * step 5): addressed back to seg's source. */
void refstack_out_rst_reply(struct refstack *s, const struct refstack_rx_seg *seg, uint32_t seq,
			    uint32_t ack, uint16_t flags);
/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
void refstack_out_ack(struct refstack *s, struct refstack_conn *c);
/* <SEQ=SND.NXT><CTL=RST> (3.10.5 ABORT) */
void refstack_out_rst(struct refstack *s, struct refstack_conn *c);
/* <SEQ=ISS><CTL=SYN> with MSS; starts the retransmission timer. */
void refstack_out_syn(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> with MSS; starts the retransmission timer. */
void refstack_out_synack(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* The send path: queued text and the FIN as far as the send window allows,
 * then an owed ACK if nothing else carried it. */
void refstack_output(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* RFC 6298 5.4: retransmit the earliest unacknowledged segment. */
void refstack_retransmit(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* Send again at most max octets of text from seq (and the FIN when they
 * reach it); returns the sequence space sent. */
uint32_t refstack_out_resend(struct refstack *s, struct refstack_conn *c, uint32_t seq, uint32_t max);

/* refstack_rfc7323.c */
/* The peer's SYN (or SYN,ACK) against what we offer: ws_ok, ts_ok, sack_ok,
 * the shifts and TS.Recent (RFC 7323 2.2, 2.3, 3.2; RFC 2018 2). */
void refstack_opts_negotiate(const struct refstack *s, struct refstack_conn *c,
			     const struct refstack_rx_seg *syn);
/* SEG.WND as the peer means it: shifted by Snd.Wind.Shift except on a SYN
 * (RFC 7323 2.3). */
uint32_t refstack_seg_wnd(const struct refstack *s, const struct refstack_conn *c,
			  const struct refstack_rx_seg *seg);
/* The window field of a segment we send (RFC 7323 2.3, 9293 3.8.6.2.2). */
uint16_t refstack_wnd_field(struct refstack_conn *c, uint16_t flags);
/* Our timestamp clock: 1 ms ticks (RFC 7323 5.4). */
uint32_t refstack_ts_clock(const struct refstack *s);
/* RFC 7323 3.2: timestamps negotiated, a non-RST segment without TSopt
 * (to be dropped silently). */
bool refstack_tsopt_missing(const struct refstack *s, const struct refstack_conn *c,
			    const struct refstack_rx_seg *seg);
/* RFC 7323 5.3 R1 (PAWS): the segment is to be dropped and ACKed. */
bool refstack_paws_reject(const struct refstack *s, const struct refstack_conn *c,
			  const struct refstack_rx_seg *seg);
/* RFC 7323 4.3, 5.3 R3: TS.Recent from an acceptable segment. */
void refstack_ts_recent_update(const struct refstack *s, struct refstack_conn *c,
			       const struct refstack_rx_seg *seg);
/* The options of a TCB's segment with these flags into opts (room for
 * SEG_MAX_OPTS); returns how many, and their bytes in *bytes. */
unsigned refstack_conn_opts(const struct refstack *s, struct refstack_conn *c, uint16_t flags,
			    struct seg_opt *opts, uint32_t *bytes);

/* refstack_sack.c */
/* RFC 2018 4: hold out-of-order text (inside the window) and remember its
 * range as the most recent; false when it cannot be held. */
bool refstack_ooo_put(struct refstack_conn *c, uint32_t seq, const uint8_t *data, uint32_t len);
/* RCV.NXT moved: take in the held ranges it reached; true when it moved
 * further (a gap was filled, RFC 5681 4.2: ACK at once). */
bool refstack_ooo_advance(struct refstack_conn *c);
/* The SACK blocks to report, most recent first; returns the count. */
unsigned refstack_sack_blocks(const struct refstack *s, const struct refstack_conn *c,
			      struct seg_sack_block *b, unsigned max);

/* refstack_rtt.c */
/* New data [seq, end) (or our SYN) went out at now_us: maybe time it. */
void refstack_rtt_sent(const struct refstack *s, struct refstack_conn *c, uint32_t seq,
		       uint32_t end, uint64_t now_us);
/* [seq, end) was sent again: Karn's algorithm (RFC 6298 3, MUST-18). */
void refstack_rtt_retransmitted(const struct refstack *s, struct refstack_conn *c, uint32_t seq,
				uint32_t end, uint64_t now_us);
/* seg's ACK moves SND.UNA (still the old value) to ack: take the RTT
 * sample it gives (RFC 6298 2, RFC 7323 4.1); before refstack_rexmit_acked. */
void refstack_rtt_acked(const struct refstack *s, struct refstack_conn *c,
			const struct refstack_rx_seg *seg, uint32_t ack, uint64_t now_us);
/* RFC 6298 5.5: the timer expired: RTO doubles, capped at RTO.max. */
void refstack_rtt_backoff(const struct refstack *s, struct refstack_conn *c);
/* refstack_cc.c */
/* Established: the initial window (5681 3.1, or cfg.cc_iw segments). */
void refstack_cc_init(const struct refstack *s, struct refstack_conn *c);
/* An acceptable ACK, before SND.UNA moves: window growth, duplicate ACKs,
 * fast retransmit and recovery (5681 3.1, 3.2; 6582 3.2; 6675 5). */
void refstack_cc_ack(const struct refstack *s, struct refstack_conn *c,
		     const struct refstack_rx_seg *seg, uint32_t wnd);
/* The retransmission timer expired on text or a FIN (5681 3.1 eq. 4). */
void refstack_cc_timeout(const struct refstack *s, struct refstack_conn *c);
/* The send path's first part: retransmissions the congestion state owes. */
void refstack_cc_output(struct refstack *s, struct refstack_conn *c);
/* Octets of new data the congestion window allows now (UINT32_MAX: no
 * congestion control). */
uint32_t refstack_cc_room(const struct refstack *s, const struct refstack_conn *c);
/* 5681 4.1: before new data goes after an idle time longer than the RTO,
 * cwnd is cut to the restart window; text_sent notes a send. */
void refstack_cc_idle(const struct refstack *s, struct refstack_conn *c, uint64_t now_us);
void refstack_cc_text_sent(struct refstack_conn *c, uint64_t now_us);
/* SMSS: the text a full-sized segment carries (5681 2). */
uint32_t refstack_smss(const struct refstack_conn *c);

/* refstack_sack_send.c */
/* Take the SACK blocks of an ACK into the scoreboard; prune what ack
 * covers. Returns true when octets were SACKed that were not before. */
bool refstack_sb_update(struct refstack_conn *c, const struct refstack_rx_seg *seg, uint32_t ack);
void refstack_sb_clear(struct refstack_conn *c);
/* RFC 6675 4 IsLost(seq) */
bool refstack_sb_is_lost(const struct refstack_conn *c, uint32_t seq);
/* RFC 6675 4 SetPipe */
uint32_t refstack_sb_pipe(const struct refstack_conn *c);
/* RFC 6675 4 NextSeg rule 1: a lost hole to retransmit; false if none. */
bool refstack_sb_next_hole(const struct refstack *s, const struct refstack_conn *c, uint32_t *seq,
			   uint32_t *len);

/* refstack_timer.c */
uint64_t refstack_rto_initial(const struct refstack *s);
/* RFC 6298 5.1: start the timer when it is not running. */
void refstack_rexmit_start(struct refstack_conn *c, uint64_t now_us);
/* RFC 6298 5.2, 5.3: new data acknowledged (refstack_rtt_acked first). */
void refstack_rexmit_acked(const struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* In-order text arrived: ACK at once or arm the delayed ACK (9293 3.8.6.3). */
void refstack_delack_text(const struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* Enter TIME-WAIT: start the 2*MSL timer, stop the others (9293 3.10.7.4
 * step 8). */
void refstack_enter_time_wait(struct refstack *s, struct refstack_conn *c,
			      enum refstack_cause cause, uint64_t now_us);
/* Restart the 2*MSL timer (a retransmitted FIN in TIME-WAIT). */
void refstack_time_wait_restart(const struct refstack *s, struct refstack_conn *c,
				uint64_t now_us);

/* refstack_output.c (probes) */
/* A zero-window probe (3.8.6.1): the octet at SND.UNA again when a probe
 * is unanswered, else one new octet at SND.NXT (the FIN when no text
 * waits), which SND.NXT then covers. */
void refstack_out_window_probe(struct refstack *s, struct refstack_conn *c);
/* Sender SWS override (3.8.6.2.1 (4)): what the usable window takes now,
 * however small. Returns the octets sent. */
uint32_t refstack_out_force(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no text (3.8.4) */
void refstack_out_keepalive(struct refstack *s, struct refstack_conn *c);
/* Octets queued and not yet sent. */
uint32_t refstack_unsent(const struct refstack_conn *c);

/* refstack_persist.c */
/* After the send path ran: arm the persist timer when text or a FIN
 * waits with nothing in flight, stop it when the waiting is over. */
void refstack_persist_check(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* The window may have opened: an unanswered probe's octet is sent again
 * with the rest, from SND.UNA (before the send path runs). */
void refstack_persist_window(struct refstack_conn *c);
/* An acceptable ACK arrived: a probe is answered (9293 3.8.6.1, MUST-37). */
void refstack_persist_heard(const struct refstack *s, struct refstack_conn *c);
/* When the persist timer next needs attention: the next probe, or the
 * moment unanswered probes have run out the user timeout. */
uint64_t refstack_persist_deadline(const struct refstack *s, const struct refstack_conn *c);
void refstack_persist_timeout(struct refstack *s, struct refstack_conn *c, uint64_t now_us);

/* refstack_keepalive.c */
/* A segment of the peer's arrived, or the connection was established:
 * the idle time starts again (3.8.4). */
void refstack_keepalive_heard(const struct refstack *s, struct refstack_conn *c, uint64_t now_us);
void refstack_keepalive_timeout(struct refstack *s, struct refstack_conn *c, uint64_t now_us);

/* refstack_input.c helper used by refstack.c */
/* SYN-RECEIVED -> ESTABLISHED: take the text held from the SYN. */
void refstack_syn_text_take(struct refstack_conn *c);

/* Faults build: is fault f the one configured? */
#ifdef REFSTACK_FAULTS
static inline bool refstack_fault_on(const struct refstack *s, enum refstack_fault f)
{
	return s->cfg.fault == f;
}
#endif

#endif
