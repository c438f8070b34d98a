/* The reference TCP stack: RFC 9293 as a pure state machine.
 *
 * No I/O, no clock, no randomness, no globals, no malloc after
 * refstack_init: time arrives as now_us on every call, segments arrive as IP
 * packet bytes and leave through the output callback as IP packet bytes, the
 * ISS comes from an injected source, and every state change is reported to
 * the transition hook with its cause. It depends on the C library alone: it
 * encodes and decodes its own packets (refstack_codec.h) and takes only
 * lib/seg's plain types (seg_types.h), never the engine or the harness; it
 * ships as build/librefstack.a (make install-lib, pkg-config refstack). */
#ifndef REFSTACK_H
#define REFSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../seg/seg_types.h"

/* RFC 9293 3.3.2 */
enum refstack_state {
	REFSTACK_CLOSED,
	REFSTACK_LISTEN,
	REFSTACK_SYN_SENT,
	REFSTACK_SYN_RECEIVED,
	REFSTACK_ESTABLISHED,
	REFSTACK_FIN_WAIT_1,
	REFSTACK_FIN_WAIT_2,
	REFSTACK_CLOSE_WAIT,
	REFSTACK_CLOSING,
	REFSTACK_LAST_ACK,
	REFSTACK_TIME_WAIT,
};

/* Why an input was not (wholly) accepted. One name per rule, so tests
 * assert the rule that fired, not only the bytes. REFSTACK_ACCEPTED when the
 * segment was processed. */
#define REFSTACK_DROP_LIST(X)                                                       \
	X(REFSTACK_ACCEPTED, "accepted")                                              \
	X(REFSTACK_DROP_MALFORMED, "malformed packet")                                \
	X(REFSTACK_DROP_BAD_CSUM, "bad checksum")                                     \
	X(REFSTACK_DROP_NOT_OURS, "not addressed to this stack")                      \
	X(REFSTACK_DROP_CLOSED_RST, "closed port: RST dropped (3.10.7.1)")            \
	X(REFSTACK_DROP_CLOSED_REPLY, "closed port: answered with RST (3.10.7.1)")    \
	X(REFSTACK_DROP_LISTEN_RST, "LISTEN: RST ignored (3.10.7.2)")                 \
	X(REFSTACK_DROP_LISTEN_ACK, "LISTEN: ACK answered with RST (3.10.7.2)")       \
	X(REFSTACK_DROP_LISTEN_NO_SYN, "LISTEN: no SYN, dropped (3.10.7.2)")          \
	X(REFSTACK_DROP_LISTEN_FULL, "LISTEN: no free connection slot")               \
	X(REFSTACK_DROP_SYNSENT_BAD_ACK, "SYN-SENT: unacceptable ACK (3.10.7.3)")    \
	X(REFSTACK_DROP_SYNSENT_RST_NO_ACK, "SYN-SENT: RST without ACK (3.10.7.3)")  \
	X(REFSTACK_DROP_SYNSENT_NO_SYN, "SYN-SENT: neither SYN nor RST (3.10.7.3)")  \
	X(REFSTACK_DROP_SEQ_UNACCEPTABLE, "sequence number not acceptable (3.10.7.4 step 1)") \
	X(REFSTACK_DROP_RST_OUT_OF_WINDOW, "RST out of window (3.10.7.4 step 2)")   \
	X(REFSTACK_DROP_RST_CHALLENGE, "RST in window but not exact: challenge ACK (RFC 5961 3.2)") \
	X(REFSTACK_DROP_SYN_CHALLENGE, "SYN in synchronized state: challenge ACK (RFC 5961 4.2)") \
	X(REFSTACK_DROP_SYNRCVD_SYN, "SYN in SYN-RECEIVED from a passive open: back to LISTEN (3.10.7.4 step 4)") \
	X(REFSTACK_DROP_NO_ACK, "no ACK bit (3.10.7.4 step 5)")                       \
	X(REFSTACK_DROP_ACK_UNACCEPTABLE, "ACK not acceptable (3.10.7.4 step 5)")     \
	X(REFSTACK_DROP_ACK_TOO_OLD, "ACK below the challenge-ACK window (RFC 5961 5.2)") \
	X(REFSTACK_DROP_ACK_UNSENT, "ACK of data not yet sent (3.10.7.4 step 5)")     \
	X(REFSTACK_DROP_OUT_OF_ORDER, "text beyond RCV.NXT not queued: duplicate ACK (3.10.7.4 step 7)") \
	X(REFSTACK_DROP_PAWS, "timestamp older than TS.Recent: ACK, drop (RFC 7323 5.3 R1)") \
	X(REFSTACK_DROP_TEXT_AFTER_CLOSE, "text after CLOSE: RST, connection closed (9293 3.6.1, RFC 1122 4.2.2.13)") \
	X(REFSTACK_DROP_NO_TSOPT, "no TSopt although timestamps were negotiated: dropped (RFC 7323 3.2)") \
	X(REFSTACK_DROP_CHALLENGE_THROTTLED, "challenge ACK over the limit: dropped, no ACK (RFC 5961 7)") \
	X(REFSTACK_DROP_TIME_WAIT_RST, "RST in TIME-WAIT ignored (RFC 1337 4)") \
	X(REFSTACK_DROP_TIME_WAIT_REOPEN, "SYN in TIME-WAIT reopened the connection (RFC 1122 4.2.2.13)") \
	X(REFSTACK_DROP_DST_NOT_UNICAST, "to a broadcast or multicast address: discarded (9293 3.9.2.3, MUST-57)") \
	X(REFSTACK_DROP_SRC_INVALID, "from a broadcast, multicast or unspecified address: discarded (9293 3.9.2.3, MUST-63)") \
	X(REFSTACK_DROP_ICMP_MALFORMED, "ICMP error too short, bad checksum, or not about TCP") \
	X(REFSTACK_DROP_ICMP_IGNORED, "ICMP message TCP does not act on") \
	X(REFSTACK_DROP_ICMP_SOURCE_QUENCH, "Source Quench: discarded silently (9293 3.9.2.2, MUST-55; RFC 6633)") \
	X(REFSTACK_DROP_ICMP_NO_CONN, "ICMP error about no connection of this stack") \
	X(REFSTACK_DROP_ICMP_OUT_OF_WINDOW, "ICMP error quoting a sequence number outside SND.UNA..SND.NXT (RFC 5927 4.1)")

enum refstack_drop {
#define REFSTACK_DROP_ENUM(e, s) e,
	REFSTACK_DROP_LIST(REFSTACK_DROP_ENUM)
#undef REFSTACK_DROP_ENUM
	REFSTACK_DROP__COUNT
};

/* Why a state changed, reported with every transition. */
#define REFSTACK_CAUSE_LIST(X)                   \
	X(REFSTACK_CAUSE_APP_LISTEN, "app listen")    \
	X(REFSTACK_CAUSE_APP_CONNECT, "app connect")  \
	X(REFSTACK_CAUSE_APP_CLOSE, "app close")      \
	X(REFSTACK_CAUSE_APP_ABORT, "app abort")      \
	X(REFSTACK_CAUSE_RCV_SYN, "SYN received")     \
	X(REFSTACK_CAUSE_RCV_SYNACK, "SYN-ACK received") \
	X(REFSTACK_CAUSE_RCV_ACK, "ACK received")     \
	X(REFSTACK_CAUSE_RCV_FIN, "FIN received")     \
	X(REFSTACK_CAUSE_RCV_RST, "RST received")     \
	X(REFSTACK_CAUSE_TIMEOUT_2MSL, "2*MSL timeout") \
	X(REFSTACK_CAUSE_TIMEOUT_RETRANSMIT, "retransmission limit reached") \
	X(REFSTACK_CAUSE_TIMEOUT_KEEPALIVE, "keep-alive probes unanswered") \
	X(REFSTACK_CAUSE_TIMEOUT_PROBE, "zero-window probes unanswered for the user timeout") \
	X(REFSTACK_CAUSE_DATA_LOST, "data lost at CLOSE: RST sent") \
	X(REFSTACK_CAUSE_ICMP_HARD_ERROR, "ICMP hard error received")

enum refstack_cause {
#define REFSTACK_CAUSE_ENUM(e, s) e,
	REFSTACK_CAUSE_LIST(REFSTACK_CAUSE_ENUM)
#undef REFSTACK_CAUSE_ENUM
	REFSTACK_CAUSE__COUNT
};

/* Seeded faults: compiled in only with -DREFSTACK_FAULTS (the
 * build/tcpconform-faults program). The normal build has none of this. */
#ifdef REFSTACK_FAULTS
#define REFSTACK_FAULT_LIST(X)                                                  \
	X(REFSTACK_FAULT_NONE, "none", "no fault")                              \
	X(REFSTACK_FAULT_NO_TIME_WAIT, "no-time-wait", "goes to CLOSED instead of TIME-WAIT") \
	X(REFSTACK_FAULT_FINACK_TO_CLOSING, "finack-to-closing", "FIN+ACK in FIN-WAIT-1 goes to CLOSING") \
	X(REFSTACK_FAULT_SYNACK_ACK_OFF_BY_ONE, "synack-ack-off-by-one", "the SYN-ACK acknowledges IRS+2") \
	X(REFSTACK_FAULT_IGNORE_RST_IN_SYNRCVD, "ignore-rst-in-synrcvd", "an RST in SYN-RECEIVED is ignored") \
	X(REFSTACK_FAULT_SHORT_MSL, "short-msl", "TIME-WAIT ends after 1*MSL") \
	X(REFSTACK_FAULT_NO_SYN_RETRANSMIT, "no-syn-retransmit", "a SYN is never retransmitted") \
	X(REFSTACK_FAULT_MSS_ON_EVERY_SEGMENT, "mss-on-every-segment", "every segment carries the MSS option, not only SYNs") \
	X(REFSTACK_FAULT_NO_PERSIST_PROBE, "no-persist-probe", "a zero window is never probed: the persist timer runs, nothing is sent") \
	X(REFSTACK_FAULT_PERSIST_NO_BACKOFF, "persist-no-backoff", "zero-window probes come at a fixed interval, not doubling") \
	X(REFSTACK_FAULT_NO_SENDER_SWS, "no-sender-sws", "a small usable window is filled at once with a tiny segment") \
	X(REFSTACK_FAULT_NAGLE_IGNORED, "nagle-ignored", "with the Nagle algorithm on, a small write still leaves while data is in flight") \
	X(REFSTACK_FAULT_DELACK_PAST_500MS, "delack-past-500ms", "a delayed ACK waits 600 ms, past the 0.5 s limit") \
	X(REFSTACK_FAULT_NO_DELACK_EVERY_SECOND_SEGMENT, "no-delack-every-second-segment", "the second segment of text does not force the delayed ACK out") \
	X(REFSTACK_FAULT_SYN_DATA_DROPPED, "syn-data-dropped", "text on a SYN is thrown away, not queued for after the handshake") \
	X(REFSTACK_FAULT_KEEPALIVE_ON_BY_DEFAULT, "keepalive-on-by-default", "keep-alive is on (2 h) for every connection unless set otherwise") \
	X(REFSTACK_FAULT_NO_PAWS_CHECK, "no-paws-check", "a segment with a TSval older than TS.Recent is accepted (no RFC 7323 5.3 PAWS)") \
	X(REFSTACK_FAULT_NO_WINDOW_SCALING_APPLIED, "no-window-scaling-applied", "the peer's window field is used unscaled although window scaling was negotiated") \
	X(REFSTACK_FAULT_TS_RECENT_FROM_ANY_SEGMENT, "ts-recent-from-any-segment", "TS.Recent is taken from every arriving segment, out-of-window and invalid ACKs too") \
	X(REFSTACK_FAULT_NO_TSOPT_ON_FIN, "no-tsopt-on-fin", "a FIN goes out without the timestamps option although it was negotiated") \
	X(REFSTACK_FAULT_SACK_OLDEST_FIRST, "sack-oldest-first", "SACK blocks are listed oldest first, not the most recent first (RFC 2018 4)") \
	X(REFSTACK_FAULT_URGENT_POINTER_LAST_OCTET, "urgent-pointer-last-octet", "the urgent pointer points at the last urgent octet, not the first one after it") \
	X(REFSTACK_FAULT_RST_ERROR_LOST, "rst-error-lost", "an RST in a synchronized state closes the connection without telling the application") \
	X(REFSTACK_FAULT_NO_RST_ON_DATA_LOST, "no-rst-on-data-lost", "CLOSE with unread data, and text after CLOSE, get no RST: the data is lost silently") \
	X(REFSTACK_FAULT_TSOPT_MISSING_ACCEPTED, "tsopt-missing-accepted", "a non-RST segment without TSopt is taken although timestamps were negotiated") \
	X(REFSTACK_FAULT_TS_RECENT_NEVER_EXPIRES, "ts-recent-never-expires", "TS.Recent stays valid however long the connection is idle: PAWS drops an older TSval even after 24 days (RFC 7323 5.5)") \
	X(REFSTACK_FAULT_WINDOW_UPDATE_ANY_ACK, "window-update-any-ack", "the send window is taken from every acceptable ACK: old ACKs and segments older than SND.WL1 update it too") \
	X(REFSTACK_FAULT_ISN_CONSTANT, "isn-constant", "the RFC 6528 ISN has no clock component: one four-tuple gets the same ISN every time") \
	X(REFSTACK_FAULT_RFC1337_IGNORED, "rfc1337-ignored", "with the RFC 1337 option on, an RST still ends TIME-WAIT") \
	X(REFSTACK_FAULT_CHALLENGE_ACK_UNTHROTTLED, "challenge-ack-unthrottled", "every challenge ACK is sent, past the RFC 5961 7 limit") \
	X(REFSTACK_FAULT_TIME_WAIT_REOPEN_LOW_ISN, "time-wait-reopen-low-isn", "a connection reopened from TIME-WAIT takes a fresh ISS, not one above the old incarnation's numbers") \
	X(REFSTACK_FAULT_WINDOW_SIGNED, "window-signed", "the peer's window field is read as a signed 16-bit number: 32768 and more mean no window") \
	X(REFSTACK_FAULT_NO_RECEIVER_SWS, "no-receiver-sws", "every read opens the window at once with an update, however few octets it freed") \
	X(REFSTACK_FAULT_NO_PSH, "no-psh", "no segment carries PSH, not even the last one of a write") \
	X(REFSTACK_FAULT_URGENT_NOT_SIGNALLED, "urgent-not-signalled", "urgent data received is recorded in RCV.UP but the application is never told") \
	X(REFSTACK_FAULT_ATMARK_NEVER, "atmark-never", "the application is never told it reached the urgent mark") \
	X(REFSTACK_FAULT_CONNECT_MULTICAST, "connect-multicast", "an OPEN to a broadcast or multicast address sends a SYN instead of failing") \
	X(REFSTACK_FAULT_HEADER_PADDING_NONZERO, "header-padding-nonzero", "a SYN's options end with an EOL and a word of nonzero padding") \
	X(REFSTACK_FAULT_ACK_EVERY_SEGMENT, "ack-every-segment", "with delayed ACKs on, every segment of text is still acknowledged at once") \
	X(REFSTACK_FAULT_ACK_BEFORE_QUEUED_TEXT, "ack-before-queued-text", "a segment that fills a gap is acknowledged before the held segments after it are taken in") \
	X(REFSTACK_FAULT_KARN_VIOLATED, "karn-violated", "the ACK of a retransmitted segment gives an RTT sample, timed from the retransmission (no Karn, RFC 6298 3)") \
	X(REFSTACK_FAULT_RTO_NOT_BACKED_OFF, "rto-not-backed-off", "the RTO is not doubled when the retransmission timer expires (RFC 6298 5.5)") \
	X(REFSTACK_FAULT_RTTM_IGNORED, "rttm-ignored", "with timestamps on, no RTT sample is taken from the TSecr (RFC 7323 4.1)") \
	X(REFSTACK_FAULT_RTO_BELOW_MIN, "rto-below-min", "an RTO computed from RTT samples is not rounded up to RTO.min (RFC 6298 2.4)") \
	X(REFSTACK_FAULT_BACKOFF_RESET_ON_ACK, "backoff-reset-on-ack", "an ACK without a new RTT sample brings the backed-off RTO back down (RFC 6298 5.7)") \
	X(REFSTACK_FAULT_USER_TIMEOUT_IGNORED, "user-timeout-ignored", "the user timeout (R2 as time, RFC 5482) is kept but never ends a connection") \
	X(REFSTACK_FAULT_USER_TIMEOUT_IGNORES_PROBES, "user-timeout-ignores-probes", "unanswered zero-window probes go on for ever: the user timeout (RFC 5482) does not end them") \
	X(REFSTACK_FAULT_USER_TIMEOUT_ENDS_ANSWERED_PROBES, "user-timeout-ends-answered-probes", "answered zero-window probes still end the connection once the user timeout has passed since the first (9293 3.8.6.1 MUST-37 keeps it open)") \
	X(REFSTACK_FAULT_NO_RTO_3S_AFTER_SYN_LOSS, "no-rto-3s-after-syn-loss", "after a lost SYN or SYN,ACK and no RTT sample, data starts with the backed-off RTO, not 3 s (RFC 6298 5.7)") \
	X(REFSTACK_FAULT_SYN_R2_UNDER_3_MINUTES, "syn-r2-under-3-minutes", "a SYN is given up after at most 5 retransmissions, 63 s at the default RTOs (9293 3.8.3 MUST-23 asks for 3 minutes)") \
	X(REFSTACK_FAULT_RTTM_ON_DUPLICATE_ACK, "rttm-on-duplicate-ack", "a duplicate ACK's TSecr is taken as an RTT sample although SND.UNA did not move (RFC 7323 4.1)") \
	X(REFSTACK_FAULT_NO_FAST_RETRANSMIT, "no-fast-retransmit", "the third duplicate ACK triggers nothing: a loss waits for the retransmission timer") \
	X(REFSTACK_FAULT_IW_TOO_LARGE, "iw-too-large", "the initial window is 10 segments where RFC 5681 3.1 allows 2 to 4") \
	X(REFSTACK_FAULT_NO_SLOW_START, "no-slow-start", "below ssthresh the window grows by one segment per window, not per ACK") \
	X(REFSTACK_FAULT_CWND_NOT_REDUCED_ON_RTO, "cwnd-not-reduced-on-rto", "a retransmission timeout leaves cwnd as it was instead of one segment") \
	X(REFSTACK_FAULT_NEWRENO_PARTIAL_ACK_IGNORED, "newreno-partial-ack-ignored", "a partial ACK in fast recovery retransmits nothing (RFC 6582 3.2 step 5)") \
	X(REFSTACK_FAULT_NO_LIMITED_TRANSMIT, "no-limited-transmit", "the first two duplicate ACKs send no new segment (RFC 3042)") \
	X(REFSTACK_FAULT_SACK_RETRANSMITS_SACKED_DATA, "sack-retransmits-sacked-data", "SACK recovery retransmits the segment after the last one, SACKed or not") \
	X(REFSTACK_FAULT_NO_IDLE_RESTART, "no-idle-restart", "after an idle time longer than the RTO the whole grown cwnd is sent at once (no RFC 5681 4.1 restart window)") \
	X(REFSTACK_FAULT_ICMP_UNREACH_ABORTS, "icmp-unreach-aborts", "a soft ICMP error (Destination Unreachable 0, 1, 5, Time Exceeded, Parameter Problem) aborts the connection") \
	X(REFSTACK_FAULT_SOURCE_QUENCH_HONOURED, "source-quench-honoured", "a Source Quench is kept as a soft error the application is told of, not discarded") \
	X(REFSTACK_FAULT_ICMP_HARD_ERROR_IGNORED, "icmp-hard-error-ignored", "a Port or Protocol Unreachable in SYN-SENT is only recorded: the SYN goes on being retransmitted") \
	X(REFSTACK_FAULT_SOFT_ERROR_LOST, "soft-error-lost", "a connection that times out after a soft ICMP error reports ETIMEDOUT, not the error") \
	X(REFSTACK_FAULT_SYN_TO_MULTICAST_ACCEPTED, "syn-to-multicast-accepted", "a segment to a broadcast or multicast address is taken as one to the stack's own") \
	X(REFSTACK_FAULT_SYN_FROM_MULTICAST_ACCEPTED, "syn-from-multicast-accepted", "a segment from a broadcast or multicast address is processed") \
	X(REFSTACK_FAULT_IP_OPTIONS_DROPPED, "ip-options-dropped", "a segment with IPv4 options or an IPv6 Destination Options header is dropped as malformed") \
	X(REFSTACK_FAULT_TTL_OPTION_IGNORED, "ttl-option-ignored", "the TTL the application sets is ignored: segments leave with TTL 64") \
	X(REFSTACK_FAULT_TOS_OPTION_IGNORED, "tos-option-ignored", "the Diffserv field the application sets is ignored: segments leave with TOS 0") \
	X(REFSTACK_FAULT_SEND_FROM_FIRST_ADDRESS, "send-from-first-address", "a connection's segments leave from the stack's first address, whichever its local address is") \
	X(REFSTACK_FAULT_RETURN_ROUTE_IGNORED, "return-route-ignored", "a passive open ignores the completed source route of the SYN: its segments carry no return route") \
	X(REFSTACK_FAULT_APP_ROUTE_IGNORED, "app-route-ignored", "an active open ignores the source route the application set (IP_OPTIONS): its SYN and later segments go without it") \
	X(REFSTACK_FAULT_APP_ROUTE_OVERRIDDEN, "app-route-overridden", "an active open takes the reversed source route of the SYN,ACK in place of the one the application set") \
	X(REFSTACK_FAULT_ISN_FIRST_ADDRESS_HASHED, "isn-first-address-hashed", "the RFC 6528 ISN hashes the stack's first address for every connection, whichever local address it has")

enum refstack_fault {
#define REFSTACK_FAULT_ENUM(e, n, d) e,
	REFSTACK_FAULT_LIST(REFSTACK_FAULT_ENUM)
#undef REFSTACK_FAULT_ENUM
	REFSTACK_FAULT__COUNT
};
const char *refstack_fault_name(enum refstack_fault f);
const char *refstack_fault_description(enum refstack_fault f);
/* -1 for an unknown name */
int refstack_fault_parse(const char *name, enum refstack_fault *out);
#endif

/* Fixed capacity; refstack_size() covers all of it. */
#define REFSTACK_MAX_CONNS 16 /* TCBs (connections) */
#define REFSTACK_MAX_LISTENERS 8
#define REFSTACK_SND_BUF_MAX 65536u /* cfg.snd_buf is clamped to this */
#define REFSTACK_RCV_BUF_MAX 65535u /* cfg.rcv_wnd is clamped to this */

/* A TCB, or a listener's pseudo-TCB.
 *
 * Listeners: refstack_listen makes a pseudo-TCB of its own (lport set, no
 * peer, state LISTEN) and reports CLOSED -> LISTEN (APP_LISTEN) on it;
 * refstack_close_listener reports LISTEN -> CLOSED (APP_CLOSE) on it and
 * leaves the connections already made from it alone. A SYN to a listener
 * makes a new TCB, reported LISTEN -> SYN-RECEIVED (RCV_SYN) on that new TCB;
 * the listener itself stays in LISTEN and reports nothing.
 *
 * Deletion: a TCB that reaches CLOSED is deleted right after the transition
 * is reported. A passive-open TCB sent back to LISTEN (RST or SYN in
 * SYN-RECEIVED, 3.10.7.4 steps 2 and 4) reports SYN-RECEIVED -> LISTEN and
 * is deleted at once (its listener is a different object and stays). A
 * deleted TCB's pointer still reads as CLOSED, with its error, until its slot
 * is reused by a later connection (slots are reused round robin). */
struct refstack_conn;
struct refstack;

struct refstack_io {
	void *ctx;
	/* One IP packet the stack sends. The bytes live only during the call.
	 * May be NULL. */
	void (*output)(void *ctx, const uint8_t *pkt, size_t len);
	/* Every state change of a TCB, listeners included (may be NULL). */
	void (*transition)(void *ctx, const struct refstack_conn *c, enum refstack_state from,
			   enum refstack_state to, enum refstack_cause cause);
	/* The initial send sequence number for a new connection (RFC 9293
	 * 3.4.1; RFC 6528 in production). NULL: cfg.iss is used. */
	uint32_t (*iss)(void *ctx);
};

/* How a new connection's ISS is chosen when io.iss is NULL (9293 3.4.1). */
enum refstack_iss_mode {
	REFSTACK_ISS_FIXED = 0, /* cfg.iss for every connection (tests, exact cases) */
	/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
	 * secretkey), M a 4 us timer of the injected clock (MUST-8), F
	 * SipHash-2-4 keyed with cfg.iss_secret, low 32 bits (SHLD-1) */
	REFSTACK_ISS_RFC6528,
};

struct refstack_config {
	struct seg_addr addr; /* the stack's own address (one family per stack) */
	/* a second address of the same family (a multihomed host, RFC 9293
	 * 3.9.1.1 MUST-44/45); family 0 = none */
	struct seg_addr addr2;
	uint64_t msl_us; /* RFC 9293 3.4.2: TIME-WAIT lasts 2*MSL */
	uint64_t rto_initial_us; /* RFC 6298 2.1: 1 s */
	uint64_t rto_min_us; /* RFC 6298 2.4: 1 s */
	uint64_t rto_max_us; /* RFC 6298 2.5: at least 60 s */
	/* 0 = acknowledge at once; 9293 3.8.6.3 (MUST-40): less than 0.5 s,
	 * so refstack_init clamps it to REFSTACK_DELACK_MAX_US */
	uint64_t delack_us;
	/* 9293 3.7.4 (SHLD-7): the Nagle algorithm for new connections;
	 * refstack_set_nagle changes one connection (MUST-17) */
	bool nagle;
	/* 9293 3.8.4: keep-alive idle time for new connections, 0 = off
	 * (MUST-25: off by default); refstack_set_keepalive changes one
	 * connection (MUST-24, MUST-27) */
	uint64_t keepalive_us;
	/* between unanswered keep-alive probes; 0 = REFSTACK_DEFAULT_KEEPALIVE_INTVL_US */
	uint64_t keepalive_intvl_us;
	/* SYN / SYN-ACK retransmissions before giving up: R2 for a SYN as a
	 * count (9293 3.8.3, MUST-22). The default, 7, retransmits for 183 s
	 * at the default RTOs (1 + 2 + ... + 32 + 60 + 60), past the 3 minutes
	 * MUST-23 asks for. */
	uint32_t syn_retries;
	uint32_t retries; /* data / FIN retransmissions before giving up (R2) */
	/* R2 as a time (9293 3.8.3 "measured in time units"; RFC 5482 the
	 * user timeout): how long the oldest unacknowledged segment may go
	 * unacknowledged before the connection is closed; zero-window
	 * probes, too, once they have gone unanswered that long (answered
	 * ones never end, 3.8.6.1 MUST-37); 0 = R2 is the retry count above
	 * and probes never end. refstack_set_user_timeout sets one connection
	 * (MUST-21). */
	uint64_t user_timeout_us;
	uint32_t rcv_wnd; /* receive buffer and advertised window (1..65535: no window scaling) */
	uint16_t mss; /* MSS option sent on SYN and SYN-ACK; 0 = none */
	uint32_t iss; /* the ISS when io.iss is NULL and iss_mode is REFSTACK_ISS_FIXED */
	/* REFSTACK_ISS_RFC6528 unless set otherwise (refstack_config_default) */
	enum refstack_iss_mode iss_mode;
	/* RFC 6528 3 secretkey (MUST-9: not computable from outside, so the
	 * caller gives a secret of its own; all zero is no secret) */
	uint8_t iss_secret[16];
	/* RFC 1337 4 (TIME-WAIT assassination, fix (1)): an RST in TIME-WAIT
	 * is ignored. Off by default: RFC 9293 3.10.7.4 step 2 closes */
	bool rfc1337;
	/* RFC 5961 7: at most challenge_ack_limit challenge ACKs per
	 * challenge_ack_period_us, for the whole stack; 0 = no limit. The
	 * RFC's example, REFSTACK_DEFAULT_CHALLENGE_ACK_LIMIT per
	 * REFSTACK_DEFAULT_CHALLENGE_ACK_PERIOD_US, by default. */
	uint32_t challenge_ack_limit;
	uint64_t challenge_ack_period_us;
	/* RFC 1122 4.2.2.13 (9293 MAY-2): a SYN in TIME-WAIT above RCV.NXT,
	 * with a listener on the port, reopens the connection with an ISS
	 * above the old SND.NXT. Off by default: the SYN gets a challenge ACK
	 * (9293 3.10.7.4 step 4) */
	bool time_wait_reopen;
	uint32_t snd_buf; /* send buffer bytes (1..REFSTACK_SND_BUF_MAX) */
	/* RFC 7323 and RFC 2018 options offered on a SYN (and answered on a
	 * SYN,ACK when the peer's SYN offered them too). All off by default:
	 * the classic RFC 9293 stack. */
	bool wscale; /* offer window scaling (RFC 7323 2) with shift wscale_shift */
	uint8_t wscale_shift; /* 0..14 (RFC 7323 2.3); larger values are sent as 14 */
	bool timestamps; /* offer timestamps (RFC 7323 3) */
	bool sack_permitted; /* offer SACK (RFC 2018 2); out-of-order text is then held and SACKed */
	uint32_t ts_offset; /* added to the 1 ms timestamp clock (RFC 7323 5.4, 7.1) */
	/* RFC 5681 congestion control with RFC 6582 NewReno and RFC 3042
	 * limited transmit, and RFC 6675 loss recovery where SACK was
	 * negotiated. On by default (9293 3.8.2, MUST-19); off, the peer's
	 * window alone limits sending */
	bool cc;
	/* the initial window in segments; 0 = RFC 5681 3.1's (2, 3 or 4 by
	 * SMSS); 10 is RFC 6928's, as Linux has it */
	uint32_t cc_iw;
	/* 9293 3.9.2 (MUST-49, MUST-48): the TTL (hop limit) and the TOS
	 * (traffic class) byte of new connections' segments; ttl 0 = 64 */
	uint8_t ttl, tos;
#ifdef REFSTACK_FAULTS
	enum refstack_fault fault;
#endif
};

#define REFSTACK_DEFAULT_MSL_US (120ull * 1000000) /* 9293 3.4.2: MSL 2 minutes */
#define REFSTACK_DEFAULT_RTO_US 1000000ull /* RFC 6298 2.1 */
#define REFSTACK_DEFAULT_RTO_MIN_US 1000000ull /* RFC 6298 2.4 */
#define REFSTACK_DEFAULT_RTO_MAX_US (60ull * 1000000) /* RFC 6298 2.5 */
/* RFC 6298 5.7: the RTO once data starts after a SYN or SYN,ACK was lost
 * and the handshake gave no RTT sample */
#define REFSTACK_RTO_SYN_LOST_US (3ull * 1000000)
/* RFC 6298 2: G, the clock granularity in RTO <- SRTT + max(G, K*RTTVAR):
 * 1 ms, the tick of the timestamp clock that RTTM samples come in */
#define REFSTACK_RTT_G_US 1000ull
#define REFSTACK_DEFAULT_SYN_RETRIES 7u /* 183 s of SYNs: 9293 3.8.3 MUST-23 */
#define REFSTACK_DEFAULT_DELACK_US 0ull
/* 9293 3.8.6.3 (MUST-40): "The delay MUST be less than 0.5 seconds" */
#define REFSTACK_DELACK_MAX_US 499999ull
/* The delay of refstack_config's delack_us when a user asks for delayed
 * ACKs without a value (RFC 1122 4.2.3.2 names 200 ms as usual). */
#define REFSTACK_DELACK_ON_US 200000ull
/* 9293 3.8.4 (MUST-28): the keep-alive interval defaults to no less than
 * two hours */
#define REFSTACK_DEFAULT_KEEPALIVE_US (7200ull * 1000000)
/* Unanswered keep-alive probes: one every 75 s, the connection dropped
 * after 9 (the BSD and Linux values; 9293 3.8.4 MUST-29 only asks that a
 * single unanswered probe never ends it) */
#define REFSTACK_DEFAULT_KEEPALIVE_INTVL_US (75ull * 1000000)
#define REFSTACK_KEEPALIVE_PROBES 9u
/* RFC 5961 7: "no more than 10 challenge ACKs in a 5-second window" */
#define REFSTACK_DEFAULT_CHALLENGE_ACK_LIMIT 10u
#define REFSTACK_DEFAULT_CHALLENGE_ACK_PERIOD_US (5ull * 1000000)
/* RFC 7323 5.5: TS.Recent is invalid once the connection has been idle
 * "for more than 24 days" (the peer's clock may be as fast as 1 ms a tick,
 * whose sign bit wraps after 24.8 days) */
#define REFSTACK_TS_RECENT_IDLE_MAX_US (24ull * 24 * 3600 * 1000000)

/* RFC defaults: MSL 2 min, RTO 1 s / 1 s / 60 s, no delayed ACK, 7 SYN
 * retries, 15 retries, window 65535, MSS 1460, RFC 6528 ISNs (the secret
 * all zero until the caller sets one; iss 0 for REFSTACK_ISS_FIXED), 64 KiB
 * send buffer, keep-alive off, RFC 1337 off, 10 challenge ACKs per 5 s,
 * congestion control on with RFC 5681's initial window. The Nagle algorithm and delayed ACKs are off too: every
 * write leaves at once and every segment of text is acknowledged at once,
 * which keeps an exchange one segment per step; a user turns them on. */
void refstack_config_default(struct refstack_config *cfg);

/* Fixed memory: the caller allocates refstack_size() bytes, aligned as
 * malloc aligns (or uses refstack_new/refstack_free, which do that once).
 * refstack_init returns NULL when cfg is unusable (addr.family not 4 or 6,
 * rcv_wnd or snd_buf zero, addr2 of another family). */
size_t refstack_size(void);
struct refstack *refstack_init(void *mem, const struct refstack_config *cfg,
			       const struct refstack_io *io);
struct refstack *refstack_new(const struct refstack_config *cfg, const struct refstack_io *io);
void refstack_free(struct refstack *s);

/* SEGMENT ARRIVES (RFC 9293 3.10.7): one IP packet. An ICMP (IPv4) or
 * ICMPv6 error message is taken here too (9293 3.9.2.2, MUST-54): a soft
 * error is kept for the application and reported if the connection later
 * times out (MUST-47, refstack_conn_error), a hard one aborts a connection
 * in SYN-SENT, a Source Quench is discarded (MUST-55). Returns why it was
 * dropped, or REFSTACK_ACCEPTED. Anything the stack answers goes out
 * through io.output before this returns. */
enum refstack_drop refstack_input(struct refstack *s, const uint8_t *pkt, size_t len,
				  uint64_t now_us);
/* Fire every timer due at now_us (retransmission, persist, delayed ACK,
 * keep-alive, 2*MSL). */
void refstack_timers(struct refstack *s, uint64_t now_us);
/* The earliest time a timer is due, or UINT64_MAX when none is armed. */
uint64_t refstack_next_deadline(const struct refstack *s);

/* Application interface (RFC 9293 3.10.1 - 3.10.6). Each returns 0, or a
 * negative errno-style value (-ECONNREFUSED, -ENOTCONN, -EADDRINUSE,
 * -ENOBUFS, -EAGAIN, -ECONNRESET ...). */
int refstack_listen(struct refstack *s, uint16_t port, uint64_t now_us);
int refstack_close_listener(struct refstack *s, uint16_t port, uint64_t now_us);
/* Active open from port lport to raddr:rport; sends the SYN. An address
 * that names no single host (unspecified, broadcast, multicast) is refused
 * with -ENETUNREACH and nothing is sent (RFC 1122 4.2.3.10, RFC 9293
 * 3.9.2.1, MUST-46). */
int refstack_connect(struct refstack *s, uint16_t lport, const struct seg_addr *raddr,
		     uint16_t rport, uint64_t now_us, struct refstack_conn **out);
/* The same from a given local address, one of the stack's own (9293
 * 3.9.1.1, MUST-43: the optional local IP address of OPEN); NULL is
 * refstack_connect's cfg.addr. -EADDRNOTAVAIL for another address. */
int refstack_connect_from(struct refstack *s, const struct seg_addr *laddr, uint16_t lport,
			  const struct seg_addr *raddr, uint16_t rport, uint64_t now_us, struct refstack_conn **out);
/* A connection on lport that reached ESTABLISHED (or later) from a passive
 * open and was not yet accepted; -EAGAIN if none. */
int refstack_accept(struct refstack *s, uint16_t lport, struct refstack_conn **out);
/* Queue bytes; sends what window and MSS allow. Returns bytes queued or <0. */
int refstack_send(struct refstack *s, struct refstack_conn *c, const uint8_t *data,
		  size_t len, uint64_t now_us);
/* SEND with the URGENT flag (9293 3.10.2, 3.8.5): queue bytes as
 * refstack_send does and move SND.UP past them, so every segment before
 * that point carries URG and an urgent pointer to the first octet after
 * the urgent data (MUST-62). */
int refstack_send_urgent(struct refstack *s, struct refstack_conn *c, const uint8_t *data,
			 size_t len, uint64_t now_us);
/* Read up to cap received in-order bytes; returns count (0 = none yet or
 * end of stream, see refstack_conn_eof) or <0. Opens the window again. */
int refstack_recv(struct refstack *s, struct refstack_conn *c, uint8_t *buf, size_t cap,
		  uint64_t now_us);
/* Half close: FIN after the queued data (ESTABLISHED -> FIN-WAIT-1,
 * CLOSE-WAIT -> LAST-ACK). */
int refstack_shutdown(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* close(): like shutdown, and the application gives up the connection
 * (the TCB lives on until it reaches CLOSED). In SYN-SENT it just deletes
 * the TCB; in LISTEN-born SYN-RECEIVED it sends the FIN as 3.10.4 says. */
int refstack_close(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* ABORT (3.10.5): RST in SYN-RECEIVED and synchronized states, TCB gone. */
int refstack_abort(struct refstack *s, struct refstack_conn *c, uint64_t now_us);
/* 9293 3.7.4 (MUST-17): the Nagle algorithm on or off for one connection
 * (off is what TCP_NODELAY asks of a socket). */
int refstack_set_nagle(struct refstack *s, struct refstack_conn *c, bool on, uint64_t now_us);
/* 9293 3.8.4 (MUST-24, MUST-27): keep-alive for one connection after
 * idle_us without a segment from the peer, a probe every intvl_us while
 * unanswered (0 = REFSTACK_DEFAULT_KEEPALIVE_INTVL_US); idle_us 0 = off. */
int refstack_set_keepalive(struct refstack *s, struct refstack_conn *c, uint64_t idle_us,
			   uint64_t intvl_us, uint64_t now_us);

/* 9293 3.8.3 (MUST-21), RFC 5482: R2 for one connection as a time: the
 * connection is closed (ETIMEDOUT) when its oldest unacknowledged segment
 * has waited timeout_us, or its zero-window probes have gone unanswered
 * that long since the first (refstack_persist.c); 0 = back to the retry
 * count (cfg.retries). */
int refstack_set_user_timeout(struct refstack *s, struct refstack_conn *c, uint64_t timeout_us,
			      uint64_t now_us);
/* 9293 3.9.2 (MUST-49, MUST-48): the TTL (IPv6 hop limit; 0 = 64) and the
 * TOS (IPv6 traffic class) byte of one connection's segments, as IP_TTL
 * and IP_TOS set them for a socket. */
int refstack_set_ip(struct refstack *s, struct refstack_conn *c, uint8_t ttl, uint8_t tos);
/* The same for connections made from now on (a socket's options before
 * connect, a listener's for the connections it accepts). */
void refstack_set_ip_defaults(struct refstack *s, uint8_t ttl, uint8_t tos);

/* 9293 3.9.2.1 (MUST-51, MUST-52; RFC 1122 4.2.3.8): the source route an
 * application gives for its active opens, as IP_OPTIONS takes it (Linux,
 * the BSDs): n bytes (0..40) of IPv4 options, where a Loose or Strict
 * Source Route with pointer 4 names the first hop first and leaves out the
 * final destination. Segments then go to that hop, the option listing the
 * rest of the route and the peer last; no route received from the peer
 * replaces it. For the connections connect makes from now on and, with c,
 * for c at once; n 0 clears it. -EINVAL for options that are neither NOP,
 * EOL nor such a route. An IPv6 connection carries none (IPv6 has no IP
 * options; Linux takes IP_OPTIONS on an IPv6 socket and sends nothing). */
int refstack_set_route(struct refstack *s, struct refstack_conn *c, const uint8_t *opts, size_t n);

/* Lookup by the four-tuple (the stack's own address is cfg.addr). NULL when
 * no TCB exists (then see refstack_listening). */
struct refstack_conn *refstack_find(struct refstack *s, uint16_t lport,
				    const struct seg_addr *raddr, uint16_t rport);
bool refstack_listening(const struct refstack *s, uint16_t port);

enum refstack_state refstack_conn_state(const struct refstack_conn *c);
uint16_t refstack_conn_lport(const struct refstack_conn *c);
uint16_t refstack_conn_rport(const struct refstack_conn *c);
/* The peer closed its direction and every byte was read. */
bool refstack_conn_eof(const struct refstack_conn *c);
/* A reset or timeout ended it: the error the application would see
 * (0 = none, -ECONNRESET, -ECONNREFUSED, -ETIMEDOUT). */
int refstack_conn_error(const struct refstack_conn *c);
/* Received in-order bytes the application has not read. */
uint32_t refstack_conn_readable(const struct refstack_conn *c);
/* Free send-buffer bytes (0 on a TCB that takes no more SENDs). */
uint32_t refstack_conn_snd_space(const struct refstack_conn *c);
/* Eff.snd.MSS (9293 3.7.1). */
uint32_t refstack_conn_snd_mss(const struct refstack_conn *c);
/* The Nagle algorithm is on for this connection (9293 3.7.4). */
bool refstack_conn_nagle(const struct refstack_conn *c);

/* SipHash-2-4 of msg under key (the PRF of RFC 6528 ISNs). */
uint64_t refstack_siphash24(const uint8_t key[16], const uint8_t *msg, size_t len);
/* 9293 3.10.7.4 step 6, 3.8.5 (MUST-32, MUST-33): urgent octets the
 * application has not read yet, from the read position up to RCV.UP, the
 * first octet after the urgent data (0: none pending). A user polls it to
 * be told of urgent data. */
uint32_t refstack_conn_urgent(const struct refstack *s, const struct refstack_conn *c);
/* The next octet the application reads is the last urgent one, the octet
 * just before RCV.UP: it has read all that came before the urgent mark
 * (what the sockets API's SIOCATMARK answers). */
bool refstack_conn_atmark(const struct refstack *s, const struct refstack_conn *c);
/* The RTO in force (RFC 6298 2, backed off per 5.5) and SRTT (0 before the
 * first RTT sample). */
uint64_t refstack_conn_rto(const struct refstack_conn *c);
uint64_t refstack_conn_srtt(const struct refstack_conn *c);
uint64_t refstack_conn_user_timeout(const struct refstack_conn *c);

const char *refstack_state_name(enum refstack_state st);
const char *refstack_drop_name(enum refstack_drop d);
const char *refstack_cause_name(enum refstack_cause c);

#endif
