/* The case model: what a YAML case says, after lib/casefile has read and
 * validated it. The engine runs it; reports print it. No libyaml here. */
#ifndef TC_CASE_H
#define TC_CASE_H

#include <stdbool.h>
#include <stdint.h>

#include "../seg/seg.h"
#include "tc_state.h"

/* A duration as written: an absolute time, or a multiple of a profile value
 * resolved against the target at run time ("2msl", "rto", "1.5delack"). */
enum tc_dur_unit {
	TC_DUR_ABS = 0, /* us holds the value */
	TC_DUR_MSL,
	TC_DUR_RTO, /* the initial retransmission timeout */
	TC_DUR_DELACK, /* the delayed-ACK timeout */
	TC_DUR_TOLERANCE, /* the target's timing tolerance */
	TC_DUR_QUIET, /* how long the target must stay silent to show nothing more comes */
};

struct tc_dur {
	enum tc_dur_unit unit;
	uint64_t us; /* TC_DUR_ABS */
	double mult; /* the other units: mult * profile value */
};

/* Where a step came from, for every message that names it. */
struct tc_loc {
	int line, col; /* 1-based */
};

/* Field presence bits for send and expect. */
enum tc_field {
	TC_F_FLAGS = 1u << 0,
	TC_F_SEQ = 1u << 1,
	TC_F_ACK = 1u << 2,
	TC_F_WIN = 1u << 3,
	TC_F_URP = 1u << 4,
	TC_F_OPTS = 1u << 5,
	TC_F_LEN = 1u << 6, /* payload length */
	TC_F_DATA = 1u << 7, /* payload bytes */
	TC_F_WITHIN = 1u << 8,
	TC_F_AFTER = 1u << 9,
	TC_F_BAD_CSUM = 1u << 10,
	TC_F_TOLERANCE = 1u << 11,
	TC_F_WIN_REL = 1u << 12, /* expect: window relative to the target's first */
	TC_F_FLAGS_ANY = 1u << 13, /* expect: flags that may be set or not */
	TC_F_SAVE_SEQ = 1u << 14, /* expect: keep seq and arrival time under a name */
	TC_F_SEQ_FROM = 1u << 15, /* expect: seq against one saved earlier */
	TC_F_PORT = 1u << 16, /* the target's port: a send's destination, an expect's source */
	TC_F_OPT_BYTES = 1u << 17, /* expect: the options area's exact bytes, padding included */
	TC_F_TTL = 1u << 18, /* IPv4 TTL / IPv6 hop limit */
	TC_F_TOS = 1u << 19, /* IPv4 TOS / IPv6 traffic class */
	TC_F_IPOPTS = 1u << 20, /* IPv4 header options: send's to add, expect's to match */
	TC_F_SRC = 1u << 21, /* send: a source address other than the injector's */
	TC_F_DST = 1u << 22, /* send: a destination address other than the target's */
	TC_F_ICMP = 1u << 23, /* send: an ICMP error about the target's latest segment */
	TC_F_ICMP_CODE = 1u << 24, /* send: the ICMP code (0 when not given) */
	TC_F_EXPECT_SRC = 1u << 25, /* expect: which of the target's addresses it comes from */
};

/* A name a case gives a target sequence number (`save_seq: isn1`). */
#define TC_SEQNAME_MAX 16
#define TC_MAX_SAVED_SEQ 8

/* How `seq_from` relates a segment's seq to a saved one. */
enum tc_seqrel_kind {
	/* the seq advanced from the saved one (modulo 2^32) at lo..hi per
	 * second of the time between the two arrivals: a clock (RFC 6528) */
	TC_SR_RATE = 0,
	/* the advance per second is outside lo..hi: the number is not the
	 * saved one moved on by that clock (another four-tuple's hash) */
	TC_SR_OUTSIDE,
	TC_SR_DIFFERS, /* the seq is not the saved one */
};

struct tc_seqrel {
	char of[TC_SEQNAME_MAX]; /* the saved name */
	uint8_t kind; /* enum tc_seqrel_kind */
	uint64_t lo, hi; /* per second, TC_SR_RATE and TC_SR_OUTSIDE */
};

/* An address a send step puts in place of the run's own (RFC 1122
 * 4.2.3.10, RFC 9293 3.9.2.1): what no unicast host address may be. On
 * IPv6, which has no broadcast (RFC 4291 2.7), `broadcast` is the
 * all-nodes multicast address that takes its place. */
enum tc_addr_kind {
	TC_ADDR_RUN = 0, /* the run's own address */
	TC_ADDR_BROADCAST, /* 255.255.255.255 (RFC 919 7) / ff02::1 */
	TC_ADDR_MULTICAST, /* 224.0.0.1 (RFC 1112 4) / ff02::1 */
	/* the target's second address (a multihomed target, `requires:
	 * multihomed`): 192.0.2.3 / 2001:db8::4 */
	TC_ADDR_SECOND,
	TC_ADDR_TARGET, /* expect src: the target's first address */
	TC_ADDR_SAME, /* expect src: the address of the target's previous segment */
	TC_ADDR_OWN, /* expect src: either of the target's addresses */
};

/* Which of its addresses an app step binds (RFC 9293 3.9.1.1 OPEN's
 * optional local address, MUST-43). */
enum tc_local {
	TC_LOCAL_DEFAULT = 0, /* the target's first address */
	TC_LOCAL_SECOND, /* connect from second: the second */
	TC_LOCAL_ANY, /* listen any, connect from any: none (the wildcard; IP chooses) */
};

/* A timestamp value (RFC 7323 3.2) as a case writes it in `ts val V ecr E`:
 * a number, or a value that counts from what the connection has seen. */
enum tc_tsv_kind {
	TC_TSV_NUM = 0, /* v, as written */
	TC_TSV_ANY, /* expect: any value */
	TC_TSV_PEER, /* expect: the injector's latest TSval sent (what an echo must be) */
	TC_TSV_TARGET, /* send: the target's latest TSval (the injector echoes it) */
	TC_TSV_REL, /* expect: the target's first TSval + v, give or take tol ticks */
};

struct tc_tsv {
	uint8_t kind; /* enum tc_tsv_kind */
	uint32_t v, tol;
};

/* What an option's value is beside the plain numbers of struct seg_opt. */
struct tc_optval {
	/* sack: the blocks count from an ISN ("sack 1-101"): in an expect the
	 * injector's, whose data the target acknowledges; in a send the
	 * target's */
	bool sack_rel;
	bool ts_spec; /* ts: written `ts val V ecr E`; val and ecr say how */
	struct tc_tsv val, ecr;
};

/* A send or an expect: a segment template. seq and ack are relative to the
 * ISN of the side that owns the number unless abs_seq / abs_ack say
 * otherwise: send.seq and expect.ack count from the injector's ISN,
 * send.ack and expect.seq from the target's ISN (0 until the target has sent
 * a SYN, so they are then absolute). */
struct tc_segspec {
	unsigned fields; /* enum tc_field bits present */
	uint16_t flags;
	/* expect: flags left out of the comparison (a stack chooses where PSH
	 * goes, RFC 9293 3.9.1), so `flags` must match on the others. */
	uint16_t flags_any;
	uint32_t seq, ack;
	bool abs_seq, abs_ack;
	uint16_t win;
	/* expect: the window as an offset from the one the target advertised
	 * on its SYN or SYN,ACK; what a stack starts with is its own choice,
	 * how the window moves with the data held is not. */
	int32_t win_rel;
	uint16_t urp;
	/* options: for send, what is sent; for expect, the exact list expected
	 * in order, except that NOP and EOL padding is ignored on both sides. */
	uint8_t nopts;
	struct seg_opt opts[SEG_MAX_OPTS];
	/* expect only: option i matches any value of its kind (written bare,
	 * e.g. "ts" or "mss", in the case). */
	bool opt_anyval[SEG_MAX_OPTS];
	/* option i's value when it is more than numbers (relative SACK
	 * blocks, timestamps that count from the connection) */
	struct tc_optval optv[SEG_MAX_OPTS];
	/* expect: the options area byte for byte as the data offset delimits
	 * it, padding included (9293 3.1, MUST-69: the padding is zeros) */
	uint8_t nopt_bytes;
	uint8_t opt_bytes[SEG_OPT_SPACE];
	uint16_t len;
	uint8_t data[SEG_MAX_PAYLOAD];
	bool bad_csum; /* send only */
	uint8_t ttl, tos; /* TC_F_TTL, TC_F_TOS */
	uint8_t ipopt_len; /* send, expect: IPv4 options (TC_F_IPOPTS) */
	uint8_t ipopts[SEG_IPOPT_SPACE];
	uint8_t src_kind, dst_kind; /* send: enum tc_addr_kind (TC_F_SRC, TC_F_DST) */
	uint8_t expect_src; /* expect: TC_ADDR_TARGET, _SECOND or _SAME (TC_F_EXPECT_SRC) */
	/* send: an ICMP error (TC_F_ICMP) of this type and code quoting the
	 * latest segment the target sent; the other TCP fields are unused */
	uint8_t icmp_type, icmp_code;
	uint32_t icmp_info;
	struct tc_dur within; /* expect: arrives no later than this after the step starts */
	struct tc_dur after; /* expect: arrives no earlier than this */
	struct tc_dur tolerance; /* expect: overrides the target's timing tolerance */
	/* expect: the name this segment's seq and arrival time are kept under
	 * (TC_F_SAVE_SEQ) */
	char save_seq[TC_SEQNAME_MAX];
	struct tc_seqrel seq_from; /* expect: TC_F_SEQ_FROM */
	/* TC_F_PORT: send: the target port it goes to; expect: the target
	 * port it must come from (a second connection on another port) */
	uint16_t port;
};

enum tc_app_verb {
	TC_APP_LISTEN, /* listen [PORT] */
	TC_APP_CONNECT, /* connect: from the case's port to the peer */
	TC_APP_ACCEPT,
	TC_APP_SEND, /* send N | send "text" | send_urgent N | send_urgent "text" */
	TC_APP_RECV, /* recv N | recv "text" | recv_atleast N: read N bytes */
	TC_APP_SHUTDOWN, /* shutdown [wr|rd|rdwr]: SHUT_WR by default */
	TC_APP_CLOSE, /* close the connection */
	TC_APP_ABORT, /* abort: RST (SO_LINGER 0, RFC 9293 3.10.5) */
	TC_APP_CLOSE_LISTENER, /* close-listener */
	TC_APP_CONNECT_RESULT, /* connect-result: the outcome of the pending connect */
	TC_APP_SETSOCKOPT, /* setsockopt NAME VALUE */
	TC_APP_GETSOCKOPT, /* getsockopt NAME: returns its value */
	TC_APP_POLL, /* poll readable|writable [none] [within DURATION] */
	TC_APP__COUNT
};

/* shutdown's direction (SHUT_WR is RFC 9293 3.10.4's CLOSE of the sending
 * side; RFC 9293 has no receive-side shutdown). */
enum tc_shut { TC_SHUT_WR, TC_SHUT_RD, TC_SHUT_RDWR };

/* The socket options a case may set or read (the Linux names; a target
 * states which it has, lib/target ops->sockopts, and a case that needs one
 * lists it in `requires:`). */
#define TC_SOCKOPT_LIST(X)                                                             \
	X(TC_SO_TCP_NODELAY, "TCP_NODELAY", "1 disables the Nagle algorithm (RFC 9293 3.7.4, MUST-17)") \
	X(TC_SO_KEEPALIVE, "SO_KEEPALIVE", "1 turns keep-alives on (RFC 9293 3.8.4, MUST-24)") \
	X(TC_SO_TCP_KEEPIDLE, "TCP_KEEPIDLE", "seconds idle before the first keep-alive (MUST-27)") \
	X(TC_SO_TCP_KEEPINTVL, "TCP_KEEPINTVL", "seconds between keep-alives") \
	X(TC_SO_TCP_KEEPCNT, "TCP_KEEPCNT", "keep-alives unanswered before the connection is dropped") \
	X(TC_SO_RCVBUF, "SO_RCVBUF", "receive buffer bytes") \
	X(TC_SO_SNDBUF, "SO_SNDBUF", "send buffer bytes") \
	X(TC_SO_TCP_MAXSEG, "TCP_MAXSEG", "the MSS: set before the SYN; read: the effective send MSS (RFC 9293 3.7.1)") \
	X(TC_SO_LINGER, "SO_LINGER", "seconds to linger on close, -1 off; 0 makes close an ABORT (RFC 9293 3.10.5)") \
	X(TC_SO_TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", "milliseconds unacknowledged data may wait: R2 (RFC 9293 3.8.3, MUST-21)") \
	X(TC_SO_OOBINLINE, "SO_OOBINLINE", "1 keeps urgent data in the stream (RFC 9293 3.8.5)") \
	X(TC_SO_TCP_QUICKACK, "TCP_QUICKACK", "0 lets ACKs wait for the delayed-ACK timer from now on (Linux; RFC 9293 3.8.6.3)") \
	X(TC_SO_IP_TTL, "IP_TTL", "the TTL (IPv6: IPV6_UNICAST_HOPS) of the segments sent (RFC 9293 3.9.2, MUST-49)") \
	X(TC_SO_IP_TOS, "IP_TOS", "the Diffserv field (IPv6: IPV6_TCLASS) of the segments sent (RFC 9293 3.9.2, MUST-48)") \
	X(TC_SO_IP_OPTIONS, "IP_OPTIONS", "bytes: the IPv4 options of the segments sent; a source route names its first hop first (RFC 9293 3.9.2.1, MUST-51)") \
	X(TC_SO_IPV6_RTHDR, "IPV6_RTHDR", "bytes: an IPv6 routing header for the segments sent (RFC 3542 7; type 0 is refused, RFC 5095 3)")

enum tc_sockopt {
#define TC_SOCKOPT_ENUM(e, name, meaning) e,
	TC_SOCKOPT_LIST(TC_SOCKOPT_ENUM)
#undef TC_SOCKOPT_ENUM
	TC_SO__COUNT
};

/* The options whose value is bytes, not an integer: setsockopt takes them
 * as "hex" and keeps them in tc_app.data / len. At most this many. */
bool tc_sockopt_bytes(enum tc_sockopt o);
#define TC_SOCKOPT_BYTES_MAX 40

/* poll: what must be ready. urgent and atmark are the application's view
 * of urgent data (9293 3.8.5, 3.10.7.4 step 6; MUST-32, MUST-33): urgent
 * data is pending (POLLPRI), the next octet read is the last urgent one
 * (SIOCATMARK). */
enum tc_poll_what { TC_POLL_READABLE, TC_POLL_WRITABLE, TC_POLL_URGENT, TC_POLL_ATMARK };
const char *tc_poll_what_name(enum tc_poll_what w);
/* The value of one hex digit, or -1 (case text and agent lines alike). */
int tc_hexval(char c);
/* Bytes written as hex, two digits each, blanks between allowed ("83 07
 * 04"): the first len chars of text into out (cap bytes), *n of them.
 * -1 for a character or digit count that is not that, -2 past cap. */
int tc_hex_bytes(const char *text, size_t len, uint8_t *out, size_t cap, size_t *n);

/* connect: where the OPEN goes. Only the peer is a host; the others are
 * addresses an OPEN must be refused for (RFC 1122 4.2.3.10, MUST-46), per
 * family: multicast 224.0.0.1 / ff02::1, broadcast 255.255.255.255 /
 * ff02::1 (IPv6 has no broadcast; all-nodes multicast replaces it, RFC
 * 4291 2.7.1). */
enum tc_connect_to { TC_CONNECT_PEER, TC_CONNECT_MULTICAST, TC_CONNECT_BROADCAST };
/* The address for `to` in family 4 or 6 (the peer's is not here). */
void tc_connect_addr(enum tc_connect_to to, int family, struct seg_addr *out);

/* What an app step expects of the call's result, beyond the verb's own
 * default (send: every byte queued; recv: exactly N bytes read; poll:
 * ready). */
enum tc_app_expect_field {
	TC_AX_RETURNS = 1u << 0, /* returns: V */
	TC_AX_ERROR = 1u << 1, /* error: ENAME */
};

struct tc_app_expect {
	unsigned fields; /* enum tc_app_expect_field bits */
	int64_t returns;
	int error; /* an errno value (lib/case/tc_errno.h) */
};

/* The largest count `send N` and `recv N` take for a filler pattern: 1 MiB
 * (the text forms stay within SEG_MAX_PAYLOAD bytes). */
#define TC_APP_SEND_MAX (1u << 20)

struct tc_app {
	enum tc_app_verb verb;
	uint16_t port; /* listen; 0 = the case's port */
	uint32_t n; /* send / recv byte count */
	uint16_t len; /* send: bytes in data (text form); recv: bytes expected (text or data:);
		       * setsockopt of a bytes option: its value's length */
	uint8_t data[SEG_MAX_PAYLOAD];
	bool urgent; /* send_urgent: the bytes are urgent (RFC 9293 3.8.5) */
	uint8_t local; /* listen any, connect from second: enum tc_local */
	bool at_least; /* recv_atleast: more may stay readable */
	enum tc_shut shut; /* shutdown */
	enum tc_sockopt opt; /* setsockopt, getsockopt */
	int64_t optval; /* setsockopt (an integer option) */
	enum tc_poll_what poll; /* poll */
	enum tc_connect_to connect_to; /* connect */
	bool poll_none; /* poll ... none: expect it not ready */
	bool has_within; /* poll ... within DURATION */
	struct tc_dur within; /* poll: how long readiness may take */
	uint64_t within_us; /* poll: `within` resolved by the engine before the call */
	struct tc_app_expect x;
};

/* What a target reports of one application call. */
struct tc_app_result {
	int err_no; /* 0: the call succeeded; else the errno it failed with */
	int64_t value; /* bytes queued (send) or read (recv, 0 at end of stream), an
			* option's value (getsockopt), 1 ready / 0 not (poll) */
	bool more; /* recv: bytes were still readable after those read */
	uint16_t ndata; /* recv: the first bytes read, kept in data */
	uint8_t data[SEG_MAX_PAYLOAD];
};

enum tc_step_kind {
	TC_STEP_SEND,
	TC_STEP_EXPECT,
	TC_STEP_EXPECT_NONE, /* no segment for a duration */
	TC_STEP_STATE,
	TC_STEP_APP,
	TC_STEP_WAIT,
};

#define TC_TARGET_NAME_MAX 16
#define TC_REASON_MAX 256

/* Where a stack legitimately differs from the case (Linux's first window,
 * its 60 s TIME-WAIT), a step says what to expect on that target instead,
 * and why. Never used to excuse a departure from an RFC MUST: that is a
 * known deviation of the whole case (struct tc_deviation). */
struct tc_override {
	char target[TC_TARGET_NAME_MAX];
	char reason[TC_REASON_MAX];
	bool skip; /* the step does not run on this target */
	struct tc_loc loc;
	union {
		/* send, expect: the fields given (fields bits) replace the step's */
		struct tc_segspec seg;
		struct tc_dur dur; /* wait, expect_none */
		enum tc_state state; /* state */
		struct tc_app_expect app; /* app: returns / error on this target */
	} u;
	bool has_value; /* dur, state or an app result given */
};

struct tc_step {
	enum tc_step_kind kind;
	struct tc_loc loc;
	union {
		struct tc_segspec seg; /* send, expect */
		struct tc_dur dur; /* wait, expect_none */
		enum tc_state state; /* state */
		struct tc_app app;
	} u;
	int novr;
	struct tc_override *ovr; /* owned; casefile_free releases */
};

/* A target known to break the RFC requirement the case checks. The case
 * still runs there: a failure at the step the deviation names (and, when
 * `fails` is given, with that text in its summary) is reported as a known
 * deviation (counted as skipped, with the reason); a failure anywhere else
 * is a failure; a pass is a failure too, because the deviation no longer
 * holds and its record must go. Case-level skips reuse the struct with
 * only target and reason. */
#define TC_MAX_DEVIATIONS 4
#define TC_FAILS_MAX 128
struct tc_deviation {
	char target[TC_TARGET_NAME_MAX];
	char reason[TC_REASON_MAX];
	int step; /* 1-based, as failure messages count; 0 for a skip */
	char fails[TC_FAILS_MAX]; /* "" = any failure of that step */
	int family; /* 4 or 6: it holds on that IP version only; 0 = on both */
	struct tc_loc loc;
	struct tc_loc step_loc; /* where `step:` is written, for its range error */
};

/* Target configuration a case may pin (each optional; the target's profile
 * fills the rest). */
enum tc_conf_field {
	TC_C_MSL = 1u << 0,
	TC_C_RTO = 1u << 1,
	TC_C_RTO_MIN = 1u << 2,
	TC_C_RTO_MAX = 1u << 3,
	TC_C_DELACK = 1u << 4,
	TC_C_WINDOW = 1u << 5,
	TC_C_MSS = 1u << 6,
	TC_C_ISS = 1u << 7,
	TC_C_SYN_RETRIES = 1u << 8,
	TC_C_RETRIES = 1u << 9,
	TC_C_NAGLE = 1u << 10,
	TC_C_DELAYED_ACK = 1u << 11,
	TC_C_KEEPALIVE = 1u << 12,
	TC_C_ISS_RFC6528 = 1u << 13, /* iss: rfc6528, the stack's own generator */
	TC_C_RFC1337 = 1u << 14,
	TC_C_CHALLENGE_ACK_LIMIT = 1u << 15,
	TC_C_TIME_WAIT_REOPEN = 1u << 16,
	TC_C_CC = 1u << 17,
	TC_C_INITIAL_WINDOW = 1u << 18,
	TC_C_TLP = 1u << 19,
	TC_C_ACCEPT_SOURCE_ROUTE = 1u << 20,
};

/* keepalive: off, on with the target's own idle time, or after a duration */
enum tc_keepalive {
	TC_KEEPALIVE_OFF = 0,
	TC_KEEPALIVE_DEFAULT, /* on: the target's default (RFC 9293 MUST-28: >= 2 h) */
	TC_KEEPALIVE_AFTER, /* on: idle time (and probe interval) `keepalive` */
};

struct tc_case_conf {
	unsigned fields; /* enum tc_conf_field bits present */
	struct tc_dur msl, rto, rto_min, rto_max, delack;
	uint32_t window;
	uint16_t mss;
	uint32_t iss;
	uint32_t syn_retries, retries;
	/* nagle: on|off, the Nagle algorithm (9293 3.7.4; off = TCP_NODELAY) */
	bool nagle;
	/* delayed_ack: on|off, delayed ACKs with the target's own delay
	 * (9293 3.8.6.3); `delack` pins the delay itself */
	bool delayed_ack;
	/* keepalive: off|on|DURATION (9293 3.8.4) */
	enum tc_keepalive keepalive_mode;
	struct tc_dur keepalive;
	/* rfc1337: on|off, an RST in TIME-WAIT is ignored (RFC 1337 4) */
	bool rfc1337;
	/* challenge_ack_limit: challenge ACKs per the target's period (RFC
	 * 5961 7; ref: 5 s), 0 = no limit */
	uint32_t challenge_ack_limit;
	/* time_wait_reopen: on|off, a SYN in TIME-WAIT above RCV.NXT reopens
	 * the connection (RFC 1122 4.2.2.13, 9293 MAY-2) */
	bool time_wait_reopen;
	/* accept_source_route: on|off, IPv4 datagrams with a source route
	 * option are taken (RFC 1122 3.3.5: a host MUST; Linux's sysctl
	 * net.ipv4.conf.*.accept_source_route is off by default) */
	bool accept_source_route;
	/* cc: on|off, congestion control (RFC 5681, 6582, 3042, 6675) */
	bool cc;
	/* initial_window: the initial congestion window in segments (RFC
	 * 5681 3.1; 10 is RFC 6928's) */
	uint32_t initial_window;
	/* tlp: on|off, tail loss probes (RFC 8985 7) */
	bool tlp;
};

enum tc_require {
	TC_REQ_APP = 1u << 0, /* application actions */
	TC_REQ_STATE = 1u << 1, /* exact state reads */
	TC_REQ_VIRTUAL_TIME = 1u << 2, /* long waits only make sense in virtual time */
	/* The case talks to a listening port: its `app` steps are only
	 * `listen` (on the case's port) and `accept`, which make one, so a
	 * target offering a listening port of its own (a remote host) can run
	 * it without application control. Its `state` steps are informational
	 * (docs/case-format.md, "Needs"). */
	TC_REQ_OPEN_PORT = 1u << 3,
	/* The case needs a port nobody listens on, and no `app` step. */
	TC_REQ_CLOSED_PORT = 1u << 4,
	TC_REQ_URGENT = 1u << 5, /* urgent data: send_urgent, poll urgent, poll atmark */
	TC_REQ_CONNECT_INVALID = 1u << 6, /* connect multicast|broadcast */
		/* The injector sends ICMP errors, or segments from or to a broadcast
	 * or multicast address (`icmp`, `src`, `dst` on a send): only where
	 * the wire is the run's own (a namespace, in process), never onto a
	 * real network. */
	TC_REQ_IP_LEVEL = 1u << 7,
	/* The target has a second address (`dst: second`, `src: second`,
	 * `connect from second`) */
	TC_REQ_MULTIHOMED = 1u << 8,
};

#define TC_MAX_RFC 8
#define TC_MAX_TAGS 16
#define TC_MAX_REQS 16
#define TC_REQ_MAX 16 /* "MUST-64", "SHLD-31" */
#define TC_NAME_MAX 200

/* The stack configuration a case is written for (`profile:`), as each
 * target maps it: `minimal` is RFC 9293 alone (no window scale, timestamps,
 * SACK or ECN offered), `default` the stack as it comes (on linux the
 * kernel's own configuration in a fresh namespace; on ref window scale,
 * SACK-permitted and timestamps offered, as a modern stack). */
enum tc_stack_profile {
	TC_SP_UNSET = 0, /* not given: the target's own default */
	TC_SP_MINIMAL,
	TC_SP_DEFAULT,
};

const char *tc_stack_profile_name(enum tc_stack_profile p);

struct tc_case {
	char path[512]; /* file the case came from */
	char name[TC_NAME_MAX];
	int nrfc;
	char rfc[TC_MAX_RFC][64]; /* "9293 3.10.7.4" */
	int ntags;
	char tags[TC_MAX_TAGS][32];
	/* The RFC 9293 Appendix B requirements the case checks ("MUST-36"). */
	int nreqs;
	char reqs[TC_MAX_REQS][TC_REQ_MAX];
	unsigned requires; /* enum tc_require bits */
	struct tc_loc requires_loc; /* where `requires:` is written */
	enum tc_stack_profile profile;
	struct tc_loc profile_loc; /* where `profile:` is written */
	unsigned requires_sockopts; /* 1u << enum tc_sockopt: options the case cannot do without */
	struct tc_case_conf conf;
	uint16_t port; /* the target's port; default 8080 */
	uint16_t peer_port; /* the injector's port; default 40000 */
	uint32_t peer_isn; /* the injector's ISN; default 1000000 */
	int ndeviations;
	struct tc_deviation deviations[TC_MAX_DEVIATIONS];
	/* Targets the case does not apply to at all, with why (a sockets API
	 * cannot close a connection it has not accepted); reported as SKIP. */
	int nskips;
	struct tc_deviation skips[TC_MAX_DEVIATIONS];
	int nsteps;
	struct tc_step *steps; /* owned; casefile_free releases */
};

#define TC_DEFAULT_PORT 8080
#define TC_DEFAULT_PEER_PORT 40000
#define TC_DEFAULT_PEER_ISN 1000000u

const char *tc_app_verb_name(enum tc_app_verb v);
const char *tc_sockopt_name(enum tc_sockopt o);
/* -1 for an unknown name */
int tc_sockopt_parse(const char *name, enum tc_sockopt *out);
const char *tc_step_kind_name(enum tc_step_kind k);

#endif
