/* Test fixture for the reference stack: byte in, byte out.
 *
 * A fixture owns one stack (192.0.2.1, ISS 1000) and plays the peer
 * (192.0.2.2:40000, ISS 5000). Segments go in as IP packet bytes built with
 * seg_build; what the stack sends is captured through io.output and parsed
 * back with seg_parse; transitions are captured through io.transition. Tests
 * pop both queues in order and compare field by field. Per-state fixtures
 * (fx_goto) drive a connection into any state through the wire, checking
 * every step on the way. Time only moves through fx->now. */
#ifndef REFSTACK_FIXTURE_H
#define REFSTACK_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refstack/refstack.h"
#include "seg/seg.h"

#define FX_ISS 1000u /* ours */
#define FX_PISS 5000u /* the peer's */
#define FX_PORT 8080
#define FX_PPORT 40000
#define FX_WIN 65535
#define FX_MAX_OUT 256
#define FX_MAX_TR 64
#define SEC 1000000ull

struct fx_tr {
	const struct refstack_conn *c;
	enum refstack_state from, to;
	enum refstack_cause cause;
};

struct fx {
	struct refstack *s;
	struct refstack_config cfg;
	struct seg_addr us, peer;
	uint64_t now;
	/* the connection under test (NULL until a fixture makes one) */
	struct refstack_conn *c;
	/* the peer's view: its next sequence number (= our RCV.NXT) and what
	 * it acknowledges (= our SND.NXT) */
	uint32_t pseq, pack;
	/* the window the peer offers on segments that name none (0: FX_WIN);
	 * its largest is what sender SWS avoidance measures against */
	uint16_t pwin;
	/* set by table-driven tests: printed with every failure */
	const char *ctx;
	int nout, outpos, out_lost, out_bad;
	struct tc_seg out[FX_MAX_OUT];
	uint64_t out_at[FX_MAX_OUT];
	int ntr, trpos;
	struct fx_tr tr[FX_MAX_TR];
};

/* ---- failure reporting ---------------------------------------------- */

static inline void fx_print_seg(const char *label, const struct tc_seg *seg)
{
	char line[1024];

	seg_format(seg, line, sizeof(line));
	print_error("  %s: %s\n", label, line);
}

static inline void fx_vfail(const struct fx *fx, const char *file, int line, const char *fmt,
			    va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	print_error("%s%s%s\n", fx && fx->ctx ? fx->ctx : "", fx && fx->ctx ? ": " : "", msg);
	_fail(file, line);
}

static inline void fx_fail(const struct fx *fx, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline void fx_fail(const struct fx *fx, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fx_vfail(fx, file, line, fmt, ap);
	va_end(ap);
}

static inline const char *fx_flags(uint16_t f, char *buf, size_t cap)
{
	return seg_flags_format(f, buf, cap);
}

/* ---- the stack's callbacks -------------------------------------------- */

static inline void fx_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fx *fx = ctx;
	struct tc_err err;

	if (fx->nout >= FX_MAX_OUT) {
		fx->out_lost++;
		return;
	}
	if (seg_parse(pkt, len, &fx->out[fx->nout], &err) < 0) {
		fx->out_bad++;
		print_error("fixture: the stack sent an unparsable packet: %s\n", err.msg);
		return;
	}
	fx->out_at[fx->nout] = fx->now;
	fx->nout++;
}

static inline void fx_transition(void *ctx, const struct refstack_conn *c, enum refstack_state from,
				 enum refstack_state to, enum refstack_cause cause)
{
	struct fx *fx = ctx;

	if (fx->ntr >= FX_MAX_TR)
		return;
	fx->tr[fx->ntr++] = (struct fx_tr){c, from, to, cause};
}

/* ---- setup ------------------------------------------------------------- */

static inline struct fx *fx_alloc(void)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	refstack_config_default(&fx->cfg);
	assert_int_equal(seg_addr_parse("192.0.2.1", &fx->us), 0);
	assert_int_equal(seg_addr_parse("192.0.2.2", &fx->peer), 0);
	fx->cfg.addr = fx->us;
	fx->cfg.iss = FX_ISS;
	fx->cfg.iss_mode = REFSTACK_ISS_FIXED;
	return fx;
}

/* Make the stack from fx->cfg (tests may change fx->cfg first). */
static inline void fx_start(struct fx *fx)
{
	struct refstack_io io = {.ctx = fx, .output = fx_output, .transition = fx_transition};

	fx->s = refstack_new(&fx->cfg, &io);
	assert_non_null(fx->s);
}

static inline int fx_setup(void **state)
{
	struct fx *fx = fx_alloc();

	fx_start(fx);
	*state = fx;
	return 0;
}

/* For tests that set fx->cfg themselves and then call fx_start. */
static inline int fx_setup_nostart(void **state)
{
	*state = fx_alloc();
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *fx = *state;

	refstack_free(fx->s);
	free(fx);
	return 0;
}

/* Forget what was captured so far. */
static inline void fx_clear(struct fx *fx)
{
	fx->nout = fx->outpos = fx->out_lost = fx->out_bad = 0;
	fx->ntr = fx->trpos = 0;
}

/* ---- input ------------------------------------------------------------ */

/* A segment from the peer to us, window fx->pwin (FX_WIN when 0), no options. */
static inline struct tc_seg fx_mkseg(const struct fx *fx, uint16_t flags, uint32_t seq, uint32_t ack)
{
	struct tc_seg seg;

	memset(&seg, 0, sizeof(seg));
	seg.src = fx->peer;
	seg.dst = fx->us;
	seg.sport = FX_PPORT;
	seg.dport = FX_PORT;
	seg.seq = seq;
	seg.ack = ack;
	seg.flags = flags;
	seg.win = fx->pwin ? fx->pwin : FX_WIN;
	return seg;
}

static inline void fx_add_mss(struct tc_seg *seg, uint16_t mss)
{
	struct seg_opt o = {.kind = SEG_OPT_MSS, .u.mss = mss};

	assert_int_equal(seg_add_opt(seg, &o), 0);
}

static inline void fx_set_data(struct tc_seg *seg, const void *data, size_t len)
{
	assert_true(len <= SEG_MAX_PAYLOAD);
	memcpy(seg->payload, data, len);
	seg->len = (uint16_t)len;
}

/* Feed one segment as bytes; returns the stack's verdict. */
static inline enum refstack_drop fx_feed(struct fx *fx, const struct tc_seg *seg)
{
	uint8_t buf[40 + SEG_IPOPT_SPACE + 60 + SEG_MAX_PAYLOAD];
	struct tc_err err;
	int n = seg_build(seg, buf, sizeof(buf), &err);

	if (n < 0)
		fx_fail(fx, __FILE__, __LINE__, "seg_build: %s", err.msg);
	return refstack_input(fx->s, buf, (size_t)n, fx->now);
}

static inline enum refstack_drop fx_in(struct fx *fx, uint16_t flags, uint32_t seq, uint32_t ack)
{
	struct tc_seg seg = fx_mkseg(fx, flags, seq, ack);

	return fx_feed(fx, &seg);
}

static inline enum refstack_drop fx_in_data(struct fx *fx, uint16_t flags, uint32_t seq, uint32_t ack,
					    const void *data, size_t len)
{
	struct tc_seg seg = fx_mkseg(fx, flags, seq, ack);

	fx_set_data(&seg, data, len);
	return fx_feed(fx, &seg);
}

static inline enum refstack_drop fx_in_win(struct fx *fx, uint16_t flags, uint32_t seq, uint32_t ack,
					   uint16_t win)
{
	struct tc_seg seg = fx_mkseg(fx, flags, seq, ack);

	seg.win = win;
	return fx_feed(fx, &seg);
}

/* Move time to t and fire what is due. */
static inline void fx_at(struct fx *fx, uint64_t t)
{
	fx->now = t;
	refstack_timers(fx->s, t);
}

/* ---- expectations -------------------------------------------------- */

static inline void fx_check_u64(const struct fx *fx, const char *what, uint64_t want, uint64_t got,
				const char *file, int line)
{
	if (want != got)
		fx_fail(fx, file, line, "%s expected %llu (0x%llx), got %llu (0x%llx)", what,
			(unsigned long long)want, (unsigned long long)want, (unsigned long long)got,
			(unsigned long long)got);
}
#define FX_CHECK(fx, what, want, got) fx_check_u64((fx), (what), (uint64_t)(want), (uint64_t)(got), __FILE__, __LINE__)

/* Pop the next segment the stack sent and compare flags, seq and ack. */
static inline const struct tc_seg *fx_expect_seg(struct fx *fx, uint16_t flags, uint32_t seq,
						 uint32_t ack, const char *file, int line)
{
	char fw[32], fg[32];
	const struct tc_seg *o;

	if (fx->out_bad || fx->out_lost)
		fx_fail(fx, file, line, "fixture: %d unparsable, %d lost segments", fx->out_bad, fx->out_lost);
	if (fx->outpos >= fx->nout)
		fx_fail(fx, file, line, "expected a segment [%s] seq %u ack %u, the stack sent none",
			fx_flags(flags, fw, sizeof(fw)), seq, ack);
	o = &fx->out[fx->outpos++];
	if (o->flags != flags || o->seq != seq || o->ack != ack) {
		struct tc_seg want = *o;

		want.flags = flags;
		want.seq = seq;
		want.ack = ack;
		print_error("segment %d differs:\n", fx->outpos);
		fx_print_seg("expected", &want);
		fx_print_seg("got     ", o);
		if (o->flags != flags)
			fx_fail(fx, file, line, "flags expected [%s], got [%s]", fx_flags(flags, fw, sizeof(fw)),
				fx_flags(o->flags, fg, sizeof(fg)));
		FX_CHECK(fx, "seq", seq, o->seq);
		FX_CHECK(fx, "ack", ack, o->ack);
	}
	/* what every segment of ours must be */
	if (!seg_addr_eq(&o->src, &fx->us) || !seg_addr_eq(&o->dst, &fx->peer) || o->sport != FX_PORT ||
	    o->dport != FX_PPORT) {
		fx_print_seg("got", o);
		fx_fail(fx, file, line, "segment %d: wrong addresses or ports", fx->outpos);
	}
	if (o->ttl != 64 || o->bad_csum) {
		fx_print_seg("got", o);
		fx_fail(fx, file, line, "segment %d: TTL %u (want 64), bad checksum %d", fx->outpos, o->ttl,
			o->bad_csum);
	}
	return o;
}
#define EXPECT_SEG(fx, flags, seq, ack) fx_expect_seg((fx), (flags), (seq), (ack), __FILE__, __LINE__)

/* ... and window and payload length too. */
#define EXPECT_SEG_WL(fx, flags_, seq_, ack_, win_, len_)                                   \
	do {                                                                                    \
		const struct tc_seg *o_ = EXPECT_SEG((fx), (flags_), (seq_), (ack_));            \
		FX_CHECK((fx), "win", (win_), o_->win);                                          \
		FX_CHECK((fx), "length", (len_), o_->len);                                       \
	} while (0)

static inline void fx_expect_no_seg(struct fx *fx, const char *file, int line)
{
	if (fx->outpos < fx->nout) {
		fx_print_seg("unexpected", &fx->out[fx->outpos]);
		fx_fail(fx, file, line, "expected no segment, the stack sent %d more", fx->nout - fx->outpos);
	}
}
#define EXPECT_NO_SEG(fx) fx_expect_no_seg((fx), __FILE__, __LINE__)

/* When the last popped segment was sent. */
#define EXPECT_SENT_AT(fx, t) FX_CHECK((fx), "sent at (us)", (t), (fx)->out_at[(fx)->outpos - 1])

static inline void fx_expect_tr(struct fx *fx, const struct refstack_conn *c, enum refstack_state from,
				enum refstack_state to, enum refstack_cause cause, const char *file, int line)
{
	const struct fx_tr *t;

	if (fx->trpos >= fx->ntr)
		fx_fail(fx, file, line, "expected transition %s -> %s (%s), none reported",
			refstack_state_name(from), refstack_state_name(to), refstack_cause_name(cause));
	t = &fx->tr[fx->trpos++];
	if (t->from != from || t->to != to || t->cause != cause || (c && t->c != c))
		fx_fail(fx, file, line, "expected transition %s -> %s (%s)%s, got %s -> %s (%s)%s",
			refstack_state_name(from), refstack_state_name(to), refstack_cause_name(cause),
			"", refstack_state_name(t->from), refstack_state_name(t->to),
			refstack_cause_name(t->cause), c && t->c != c ? " on another connection" : "");
}
/* c NULL: any connection */
#define EXPECT_TR(fx, c, from, to, cause) fx_expect_tr((fx), (c), REFSTACK_##from, REFSTACK_##to, REFSTACK_CAUSE_##cause, __FILE__, __LINE__)

static inline void fx_expect_no_tr(struct fx *fx, const char *file, int line)
{
	if (fx->trpos < fx->ntr) {
		const struct fx_tr *t = &fx->tr[fx->trpos];

		fx_fail(fx, file, line, "expected no transition, got %s -> %s (%s)", refstack_state_name(t->from),
			refstack_state_name(t->to), refstack_cause_name(t->cause));
	}
}
#define EXPECT_NO_TR(fx) fx_expect_no_tr((fx), __FILE__, __LINE__)

static inline void fx_expect_state(struct fx *fx, const struct refstack_conn *c, enum refstack_state want,
				   const char *file, int line)
{
	enum refstack_state got = refstack_conn_state(c);

	if (got != want)
		fx_fail(fx, file, line, "state expected %s, got %s", refstack_state_name(want),
			refstack_state_name(got));
}
#define EXPECT_STATE(fx, c, st) fx_expect_state((fx), (c), REFSTACK_##st, __FILE__, __LINE__)

static inline void fx_expect_drop(struct fx *fx, enum refstack_drop want, enum refstack_drop got,
				  const char *file, int line)
{
	if (want != got)
		fx_fail(fx, file, line, "verdict expected \"%s\", got \"%s\"", refstack_drop_name(want),
			refstack_drop_name(got));
}
/* want: the name after REFSTACK_DROP_, or ACCEPTED for REFSTACK_ACCEPTED
 * (the alias below exists in the tests only) */
#define REFSTACK_DROP_ACCEPTED REFSTACK_ACCEPTED
#define EXPECT_DROP(fx, got, want) fx_expect_drop((fx), REFSTACK_DROP_##want, (got), __FILE__, __LINE__)

/* ---- per-state fixtures --------------------------------------------- */

static inline void fx_listen(struct fx *fx)
{
	assert_int_equal(refstack_listen(fx->s, FX_PORT, fx->now), 0);
	EXPECT_TR(fx, NULL, CLOSED, LISTEN, APP_LISTEN);
}

/* LISTEN, then the peer's SYN (MSS 1460): SYN-RECEIVED, SYN-ACK out. */
static inline void fx_syn_received(struct fx *fx)
{
	struct tc_seg syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	const struct tc_seg *o;

	fx_listen(fx);
	fx_add_mss(&syn, 1460);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	FX_CHECK(fx, "SYN-ACK win", fx->cfg.rcv_wnd > 65535 ? 65535 : fx->cfg.rcv_wnd, o->win);
	fx->c = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT);
	assert_non_null(fx->c);
	EXPECT_TR(fx, fx->c, LISTEN, SYN_RECEIVED, RCV_SYN);
	EXPECT_STATE(fx, fx->c, SYN_RECEIVED);
	fx->pseq = FX_PISS + 1;
	fx->pack = FX_ISS + 1;
}

/* Passive open completed and accepted. */
static inline void fx_established(struct fx *fx)
{
	struct refstack_conn *a = NULL;

	fx_syn_received(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, fx->pack), ACCEPTED);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, ESTABLISHED, RCV_ACK);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	assert_ptr_equal(a, fx->c);
}

/* Active open: SYN out, SYN-SENT. */
static inline void fx_syn_sent(struct fx *fx)
{
	const struct tc_seg *o;

	assert_int_equal(refstack_connect(fx->s, FX_PORT, &fx->peer, FX_PPORT, fx->now, &fx->c), 0);
	o = EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
	FX_CHECK(fx, "SYN win", fx->cfg.rcv_wnd > 65535 ? 65535 : fx->cfg.rcv_wnd, o->win);
	EXPECT_TR(fx, fx->c, CLOSED, SYN_SENT, APP_CONNECT);
	EXPECT_STATE(fx, fx->c, SYN_SENT);
	fx->pseq = FX_PISS;
	fx->pack = FX_ISS + 1;
}

/* Active open completed: SYN-ACK in, ACK out. */
static inline void fx_established_active(struct fx *fx)
{
	fx_syn_sent(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), ACCEPTED);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	EXPECT_TR(fx, fx->c, SYN_SENT, ESTABLISHED, RCV_SYNACK);
	fx->pseq = FX_PISS + 1;
}

/* Simultaneous open: SYN out, the peer's SYN in, SYN-ACK out. */
static inline void fx_syn_received_active(struct fx *fx)
{
	fx_syn_sent(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, FX_PISS, 0), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	EXPECT_TR(fx, fx->c, SYN_SENT, SYN_RECEIVED, RCV_SYN);
	fx->pseq = FX_PISS + 1;
}

/* ESTABLISHED, app half-close (the application still reads): FIN out,
 * FIN-WAIT-1. */
static inline void fx_fin_wait_1(struct fx *fx)
{
	fx_established(fx);
	assert_int_equal(refstack_shutdown(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, fx->pack, fx->pseq);
	EXPECT_TR(fx, fx->c, ESTABLISHED, FIN_WAIT_1, APP_CLOSE);
}

/* FIN-WAIT-1, our FIN acked: FIN-WAIT-2. */
static inline void fx_fin_wait_2(struct fx *fx)
{
	fx_fin_wait_1(fx);
	fx->pack++;
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, fx->pack), ACCEPTED);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, FIN_WAIT_2, RCV_ACK);
}

/* FIN-WAIT-1, the peer's FIN that does not ack ours: ACK out, CLOSING. */
static inline void fx_closing(struct fx *fx)
{
	fx_fin_wait_1(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, fx->pseq, fx->pack), ACCEPTED);
	fx->pseq++;
	EXPECT_SEG(fx, SEG_ACK, fx->pack + 1, fx->pseq);
	EXPECT_TR(fx, fx->c, FIN_WAIT_1, CLOSING, RCV_FIN);
	fx->pack++; /* the peer may now acknowledge our FIN */
}

/* FIN-WAIT-2, the peer's FIN: ACK out, TIME-WAIT. */
static inline void fx_time_wait(struct fx *fx)
{
	fx_fin_wait_2(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, fx->pseq, fx->pack), ACCEPTED);
	fx->pseq++;
	EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	EXPECT_TR(fx, fx->c, FIN_WAIT_2, TIME_WAIT, RCV_FIN);
}

/* ESTABLISHED, the peer's FIN: ACK out, CLOSE-WAIT. */
static inline void fx_close_wait(struct fx *fx)
{
	fx_established(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN | SEG_ACK, fx->pseq, fx->pack), ACCEPTED);
	fx->pseq++;
	EXPECT_SEG(fx, SEG_ACK, fx->pack, fx->pseq);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSE_WAIT, RCV_FIN);
}

/* CLOSE-WAIT, app close: FIN out, LAST-ACK. */
static inline void fx_last_ack(struct fx *fx)
{
	fx_close_wait(fx);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), 0);
	EXPECT_SEG(fx, SEG_FIN | SEG_ACK, fx->pack, fx->pseq);
	EXPECT_TR(fx, fx->c, CLOSE_WAIT, LAST_ACK, APP_CLOSE);
	fx->pack++;
}

/* Drive the connection under test into state st (LISTEN: only a listener;
 * CLOSED: nothing), then forget what was captured on the way.
 * SYN-RECEIVED is the passive one. Afterwards fx->pseq is our RCV.NXT and
 * fx->pack the peer's acceptable ACK (our SND.NXT). */
static inline void fx_goto(struct fx *fx, enum refstack_state st)
{
	switch (st) {
	case REFSTACK_CLOSED:
		fx->pseq = FX_PISS;
		fx->pack = FX_ISS;
		break;
	case REFSTACK_LISTEN:
		fx_listen(fx);
		fx->pseq = FX_PISS;
		fx->pack = FX_ISS;
		break;
	case REFSTACK_SYN_SENT:
		fx_syn_sent(fx);
		break;
	case REFSTACK_SYN_RECEIVED:
		fx_syn_received(fx);
		break;
	case REFSTACK_ESTABLISHED:
		fx_established(fx);
		break;
	case REFSTACK_FIN_WAIT_1:
		fx_fin_wait_1(fx);
		/* our FIN is outstanding: SND.NXT is one past it */
		fx->pack++;
		break;
	case REFSTACK_FIN_WAIT_2:
		fx_fin_wait_2(fx);
		break;
	case REFSTACK_CLOSE_WAIT:
		fx_close_wait(fx);
		break;
	case REFSTACK_CLOSING:
		fx_closing(fx);
		break;
	case REFSTACK_LAST_ACK:
		fx_last_ack(fx);
		break;
	case REFSTACK_TIME_WAIT:
		fx_time_wait(fx);
		break;
	}
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
	fx_clear(fx);
}

#endif
