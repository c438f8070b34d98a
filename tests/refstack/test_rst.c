/* The rules that repeat over states, as tables: RST in every state (9293
 * 3.10.7.x, RFC 5961 3.2), SYN in synchronized states (3.10.7.4 step 4, RFC
 * 5961 4.2), the unacceptable-segment ACK (3.10.7.4 step 1) and the ACK
 * checks (3.10.7.4 step 5, RFC 5961 5.2). One fresh stack per row; a failure
 * names the row and its RFC section. */
#include "refstack_fixture.h"

/* SYN-RECEIVED reached by a simultaneous open (an active open) */
#define SIMUL true

struct row {
	const char *name;
	const char *rfc;
	enum refstack_state state; /* where the fixture takes the connection */
	bool simul;
	uint16_t flags; /* the segment sent in */
	int32_t dseq; /* SEG.SEQ - RCV.NXT */
	int32_t dack; /* SEG.ACK - SND.NXT */
	uint16_t len; /* text bytes */
	uint16_t want_out; /* 0: nothing; SEG_ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
	enum refstack_drop want_drop;
	enum refstack_state want_state; /* of the TCB (CLOSED: deleted); LISTEN/CLOSED rows: of the port */
	enum refstack_state want_tr; /* == state: no transition expected */
	enum refstack_cause want_cause;
	int want_error;
};

#define S(x) REFSTACK_##x
#define D(x) REFSTACK_DROP_##x
#define C(x) REFSTACK_CAUSE_##x

static void run_row(const struct row *r)
{
	void *st = NULL;
	struct fx *fx;
	char ctx[256];
	struct tc_seg seg;
	uint8_t text[64];
	enum refstack_drop got;

	fx_setup(&st);
	fx = st;
	snprintf(ctx, sizeof(ctx), "row \"%s\" (RFC %s)", r->name, r->rfc);
	fx->ctx = ctx;
	if (r->simul) {
		fx_syn_received_active(fx);
		EXPECT_NO_SEG(fx);
		fx_clear(fx);
	} else {
		fx_goto(fx, r->state);
	}

	seg = fx_mkseg(fx, r->flags, fx->pseq + (uint32_t)r->dseq, fx->pack + (uint32_t)r->dack);
	memset(text, 'r', sizeof(text));
	fx_set_data(&seg, text, r->len);
	got = fx_feed(fx, &seg);
	fx_expect_drop(fx, r->want_drop, got, __FILE__, __LINE__);
	if (r->want_out)
		EXPECT_SEG(fx, r->want_out, fx->pack, fx->pseq);
	EXPECT_NO_SEG(fx);
	if (r->want_tr != r->state)
		fx_expect_tr(fx, fx->c, r->state, r->want_tr, r->want_cause, __FILE__, __LINE__);
	EXPECT_NO_TR(fx);
	if (fx->c) {
		fx_expect_state(fx, fx->c, r->want_state, __FILE__, __LINE__);
		FX_CHECK(fx, "error", (int64_t)r->want_error, (int64_t)refstack_conn_error(fx->c));
		if (r->want_state == REFSTACK_CLOSED)
			assert_null(refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT));
	} else {
		FX_CHECK(fx, "listening", r->want_state == REFSTACK_LISTEN, refstack_listening(fx->s, FX_PORT));
		assert_null(refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT));
	}
	if (r->want_tr == REFSTACK_LISTEN)
		FX_CHECK(fx, "listener still there", 1, refstack_listening(fx->s, FX_PORT));
	fx_teardown(&st);
}

static void run_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_row(&rows[i]);
}

#define RUN(rows) run_rows((rows), sizeof(rows) / sizeof((rows)[0]))

/* RST in every state. Synchronized states: exactly RCV.NXT resets; in the
 * window but not exact gets a challenge ACK; outside is dropped. */
static const struct row rst_rows[] = {
	{"CLOSED: RST dropped", "9293 3.10.7.1", S(CLOSED), 0, SEG_RST, 0, 0, 0, 0,
	 D(CLOSED_RST), S(CLOSED), S(CLOSED), 0, 0},
	{"CLOSED: RST+ACK dropped", "9293 3.10.7.1", S(CLOSED), 0, SEG_RST | SEG_ACK, 0, 0, 0, 0,
	 D(CLOSED_RST), S(CLOSED), S(CLOSED), 0, 0},
	{"LISTEN: RST ignored", "9293 3.10.7.2", S(LISTEN), 0, SEG_RST, 0, 0, 0, 0,
	 D(LISTEN_RST), S(LISTEN), S(LISTEN), 0, 0},
	{"SYN-SENT: RST without ACK dropped", "9293 3.10.7.3; 5961 3.2", S(SYN_SENT), 0, SEG_RST, 0, 0, 0,
	 0, D(SYNSENT_RST_NO_ACK), S(SYN_SENT), S(SYN_SENT), 0, 0},
	{"SYN-SENT: RST with acceptable ACK -> CLOSED, refused", "9293 3.10.7.3", S(SYN_SENT), 0,
	 SEG_RST | SEG_ACK, 0, 0, 0, 0, D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), -ECONNREFUSED},
	{"SYN-SENT: RST with bad ACK dropped", "9293 3.10.7.3", S(SYN_SENT), 0, SEG_RST | SEG_ACK, 0, 5, 0,
	 0, D(SYNSENT_BAD_ACK), S(SYN_SENT), S(SYN_SENT), 0, 0},
	{"SYN-RECEIVED (passive): RST -> back to LISTEN", "9293 3.10.7.4 step 2", S(SYN_RECEIVED), 0,
	 SEG_RST, 0, 0, 0, 0, D(ACCEPTED), S(CLOSED), S(LISTEN), C(RCV_RST), 0},
	{"SYN-RECEIVED (active): RST -> CLOSED, refused", "9293 3.10.7.4 step 2", S(SYN_RECEIVED), SIMUL,
	 SEG_RST, 0, 0, 0, 0, D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), -ECONNREFUSED},
	{"ESTABLISHED: RST -> CLOSED, reset", "9293 3.10.7.4 step 2", S(ESTABLISHED), 0, SEG_RST, 0, 0, 0,
	 0, D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), -ECONNRESET},
	{"ESTABLISHED: RST+ACK -> CLOSED, reset", "9293 3.10.7.4 step 2", S(ESTABLISHED), 0,
	 SEG_RST | SEG_ACK, 0, 0, 0, 0, D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), -ECONNRESET},
	{"FIN-WAIT-1: RST -> CLOSED, reset", "9293 3.10.7.4 step 2", S(FIN_WAIT_1), 0, SEG_RST, 0, 0, 0, 0,
	 D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), -ECONNRESET},
	{"FIN-WAIT-2: RST -> CLOSED, reset", "9293 3.10.7.4 step 2", S(FIN_WAIT_2), 0, SEG_RST, 0, 0, 0, 0,
	 D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), -ECONNRESET},
	{"CLOSE-WAIT: RST -> CLOSED, reset", "9293 3.10.7.4 step 2", S(CLOSE_WAIT), 0, SEG_RST, 0, 0, 0, 0,
	 D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), -ECONNRESET},
	{"CLOSING: RST -> CLOSED", "9293 3.10.7.4 step 2", S(CLOSING), 0, SEG_RST, 0, 0, 0, 0, D(ACCEPTED),
	 S(CLOSED), S(CLOSED), C(RCV_RST), 0},
	{"LAST-ACK: RST -> CLOSED", "9293 3.10.7.4 step 2", S(LAST_ACK), 0, SEG_RST, 0, 0, 0, 0,
	 D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), 0},
	{"TIME-WAIT: RST -> CLOSED", "9293 3.10.7.4 step 2", S(TIME_WAIT), 0, SEG_RST, 0, 0, 0, 0,
	 D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_RST), 0},

	/* 5961 3.2 (3): in the window, not exact -> challenge ACK */
	{"SYN-RECEIVED: in-window RST -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2",
	 S(SYN_RECEIVED), 0, SEG_RST, 1, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(SYN_RECEIVED),
	 S(SYN_RECEIVED), 0, 0},
	{"ESTABLISHED: in-window RST -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2", S(ESTABLISHED),
	 0, SEG_RST, 1, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: RST at the window's last byte -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2",
	 S(ESTABLISHED), 0, SEG_RST, 65534, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(ESTABLISHED),
	 S(ESTABLISHED), 0, 0},
	{"FIN-WAIT-1: in-window RST -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2", S(FIN_WAIT_1), 0,
	 SEG_RST, 100, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(FIN_WAIT_1), S(FIN_WAIT_1), 0, 0},
	{"FIN-WAIT-2: in-window RST -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2", S(FIN_WAIT_2), 0,
	 SEG_RST, 100, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(FIN_WAIT_2), S(FIN_WAIT_2), 0, 0},
	{"CLOSE-WAIT: in-window RST -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2", S(CLOSE_WAIT), 0,
	 SEG_RST, 100, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(CLOSE_WAIT), S(CLOSE_WAIT), 0, 0},
	{"CLOSING: in-window RST -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2", S(CLOSING), 0,
	 SEG_RST, 100, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(CLOSING), S(CLOSING), 0, 0},
	{"LAST-ACK: in-window RST -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2", S(LAST_ACK), 0,
	 SEG_RST, 100, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(LAST_ACK), S(LAST_ACK), 0, 0},
	{"TIME-WAIT: in-window RST -> challenge ACK", "9293 3.10.7.4 step 2; 5961 3.2", S(TIME_WAIT), 0,
	 SEG_RST, 100, 0, 0, SEG_ACK, D(RST_CHALLENGE), S(TIME_WAIT), S(TIME_WAIT), 0, 0},

	/* 5961 3.2 (1): outside the window -> dropped silently */
	{"SYN-RECEIVED: RST before the window dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(SYN_RECEIVED),
	 0, SEG_RST, -1, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(SYN_RECEIVED), S(SYN_RECEIVED), 0, 0},
	{"ESTABLISHED: RST before the window dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(ESTABLISHED), 0,
	 SEG_RST, -1, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: RST just beyond the window dropped", "9293 3.10.7.4 step 1; 5961 3.2",
	 S(ESTABLISHED), 0, SEG_RST, 65535, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(ESTABLISHED), S(ESTABLISHED),
	 0, 0},
	{"ESTABLISHED: RST far away dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(ESTABLISHED), 0,
	 SEG_RST | SEG_ACK, 1000000, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: RST with text starting before RCV.NXT dropped", "5961 3.2", S(ESTABLISHED), 0,
	 SEG_RST, -2, 0, 4, 0, D(RST_OUT_OF_WINDOW), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"FIN-WAIT-1: RST out of window dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(FIN_WAIT_1), 0,
	 SEG_RST, -5, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(FIN_WAIT_1), S(FIN_WAIT_1), 0, 0},
	{"FIN-WAIT-2: RST out of window dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(FIN_WAIT_2), 0,
	 SEG_RST, -5, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(FIN_WAIT_2), S(FIN_WAIT_2), 0, 0},
	{"CLOSE-WAIT: RST out of window dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(CLOSE_WAIT), 0,
	 SEG_RST, -5, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(CLOSE_WAIT), S(CLOSE_WAIT), 0, 0},
	{"CLOSING: RST out of window dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(CLOSING), 0, SEG_RST,
	 -5, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(CLOSING), S(CLOSING), 0, 0},
	{"LAST-ACK: RST out of window dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(LAST_ACK), 0, SEG_RST,
	 -5, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(LAST_ACK), S(LAST_ACK), 0, 0},
	{"TIME-WAIT: RST out of window dropped", "9293 3.10.7.4 step 1; 5961 3.2", S(TIME_WAIT), 0,
	 SEG_RST, -5, 0, 0, 0, D(RST_OUT_OF_WINDOW), S(TIME_WAIT), S(TIME_WAIT), 0, 0},
};

/* SYN in SYN-RECEIVED and the synchronized states */
static const struct row syn_rows[] = {
	{"SYN-RECEIVED (passive): SYN -> back to LISTEN", "9293 3.10.7.4 step 4", S(SYN_RECEIVED), 0,
	 SEG_SYN, 5, 0, 0, 0, D(SYNRCVD_SYN), S(CLOSED), S(LISTEN), C(RCV_SYN), 0},
	{"SYN-RECEIVED (active): SYN -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(SYN_RECEIVED),
	 SIMUL, SEG_SYN, 5, 0, 0, SEG_ACK, D(SYN_CHALLENGE), S(SYN_RECEIVED), S(SYN_RECEIVED), 0, 0},
	{"SYN-RECEIVED (active): SYN+ACK in the window -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2",
	 S(SYN_RECEIVED), SIMUL, SEG_SYN | SEG_ACK, 5, 0, 0, SEG_ACK, D(SYN_CHALLENGE), S(SYN_RECEIVED),
	 S(SYN_RECEIVED), 0, 0},
	{"SYN-RECEIVED (active): the peer's SYN,ACK (SEG.SEQ = IRS) -> ESTABLISHED", "9293 3.5 Figure 8",
	 S(SYN_RECEIVED), SIMUL, SEG_SYN | SEG_ACK, -1, 0, 0, 0, D(ACCEPTED), S(ESTABLISHED),
	 S(ESTABLISHED), C(RCV_SYNACK), 0},
	{"SYN-RECEIVED (passive): duplicate SYN -> ACK (step 1)", "9293 3.10.7.4 step 1", S(SYN_RECEIVED),
	 0, SEG_SYN, -1, 0, 0, SEG_ACK, D(SEQ_UNACCEPTABLE), S(SYN_RECEIVED), S(SYN_RECEIVED), 0, 0},
	{"ESTABLISHED: SYN -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(ESTABLISHED), 0, SEG_SYN,
	 0, 0, 0, SEG_ACK, D(SYN_CHALLENGE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: SYN+ACK -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(ESTABLISHED), 0,
	 SEG_SYN | SEG_ACK, 10, 0, 0, SEG_ACK, D(SYN_CHALLENGE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: SYN outside the window -> ACK (step 1)", "9293 3.10.7.4 step 1", S(ESTABLISHED), 0,
	 SEG_SYN, -100, 0, 0, SEG_ACK, D(SEQ_UNACCEPTABLE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"FIN-WAIT-1: SYN -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(FIN_WAIT_1), 0, SEG_SYN, 0,
	 0, 0, SEG_ACK, D(SYN_CHALLENGE), S(FIN_WAIT_1), S(FIN_WAIT_1), 0, 0},
	{"FIN-WAIT-2: SYN -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(FIN_WAIT_2), 0, SEG_SYN, 0,
	 0, 0, SEG_ACK, D(SYN_CHALLENGE), S(FIN_WAIT_2), S(FIN_WAIT_2), 0, 0},
	{"CLOSE-WAIT: SYN -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(CLOSE_WAIT), 0, SEG_SYN, 0,
	 0, 0, SEG_ACK, D(SYN_CHALLENGE), S(CLOSE_WAIT), S(CLOSE_WAIT), 0, 0},
	{"CLOSING: SYN -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(CLOSING), 0, SEG_SYN, 0, 0, 0,
	 SEG_ACK, D(SYN_CHALLENGE), S(CLOSING), S(CLOSING), 0, 0},
	{"LAST-ACK: SYN -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(LAST_ACK), 0, SEG_SYN, 0, 0,
	 0, SEG_ACK, D(SYN_CHALLENGE), S(LAST_ACK), S(LAST_ACK), 0, 0},
	{"TIME-WAIT: SYN -> challenge ACK", "9293 3.10.7.4 step 4; 5961 4.2", S(TIME_WAIT), 0, SEG_SYN, 0, 0,
	 0, SEG_ACK, D(SYN_CHALLENGE), S(TIME_WAIT), S(TIME_WAIT), 0, 0},
};

/* 9293 3.10.7.4 step 1: a segment outside the window gets
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped */
static const struct row unacceptable_rows[] = {
	{"SYN-RECEIVED: old text -> ACK", "9293 3.10.7.4 step 1", S(SYN_RECEIVED), 0, SEG_ACK, -10, 0, 5,
	 SEG_ACK, D(SEQ_UNACCEPTABLE), S(SYN_RECEIVED), S(SYN_RECEIVED), 0, 0},
	{"ESTABLISHED: old text -> ACK", "9293 3.10.7.4 step 1", S(ESTABLISHED), 0, SEG_ACK, -10, 0, 5,
	 SEG_ACK, D(SEQ_UNACCEPTABLE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: text beyond the window -> ACK", "9293 3.10.7.4 step 1", S(ESTABLISHED), 0, SEG_ACK,
	 65535, 0, 5, SEG_ACK, D(SEQ_UNACCEPTABLE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: empty ACK beyond the window -> ACK", "9293 3.10.7.4 step 1", S(ESTABLISHED), 0,
	 SEG_ACK, 65535, 0, 0, SEG_ACK, D(SEQ_UNACCEPTABLE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: empty ACK before RCV.NXT -> ACK", "9293 3.10.7.4 step 1", S(ESTABLISHED), 0, SEG_ACK,
	 -1, 0, 0, SEG_ACK, D(SEQ_UNACCEPTABLE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: old FIN -> ACK", "9293 3.10.7.4 step 1", S(ESTABLISHED), 0, SEG_FIN | SEG_ACK, -1, 0,
	 0, SEG_ACK, D(SEQ_UNACCEPTABLE), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"FIN-WAIT-1: old text -> ACK", "9293 3.10.7.4 step 1", S(FIN_WAIT_1), 0, SEG_ACK, -10, 0, 5,
	 SEG_ACK, D(SEQ_UNACCEPTABLE), S(FIN_WAIT_1), S(FIN_WAIT_1), 0, 0},
	{"FIN-WAIT-2: old text -> ACK", "9293 3.10.7.4 step 1", S(FIN_WAIT_2), 0, SEG_ACK, -10, 0, 5,
	 SEG_ACK, D(SEQ_UNACCEPTABLE), S(FIN_WAIT_2), S(FIN_WAIT_2), 0, 0},
	{"CLOSE-WAIT: old text -> ACK", "9293 3.10.7.4 step 1", S(CLOSE_WAIT), 0, SEG_ACK, -10, 0, 5,
	 SEG_ACK, D(SEQ_UNACCEPTABLE), S(CLOSE_WAIT), S(CLOSE_WAIT), 0, 0},
	{"CLOSE-WAIT: retransmitted FIN -> ACK", "9293 3.10.7.4 step 1", S(CLOSE_WAIT), 0,
	 SEG_FIN | SEG_ACK, -1, 0, 0, SEG_ACK, D(SEQ_UNACCEPTABLE), S(CLOSE_WAIT), S(CLOSE_WAIT), 0, 0},
	{"CLOSING: old text -> ACK", "9293 3.10.7.4 step 1", S(CLOSING), 0, SEG_ACK, -10, 0, 5, SEG_ACK,
	 D(SEQ_UNACCEPTABLE), S(CLOSING), S(CLOSING), 0, 0},
	{"LAST-ACK: old text -> ACK", "9293 3.10.7.4 step 1", S(LAST_ACK), 0, SEG_ACK, -10, 0, 5, SEG_ACK,
	 D(SEQ_UNACCEPTABLE), S(LAST_ACK), S(LAST_ACK), 0, 0},
	{"TIME-WAIT: old text -> ACK", "9293 3.10.7.4 step 1", S(TIME_WAIT), 0, SEG_ACK, -10, 0, 5, SEG_ACK,
	 D(SEQ_UNACCEPTABLE), S(TIME_WAIT), S(TIME_WAIT), 0, 0},
	{"TIME-WAIT: retransmitted FIN -> ACK, 2 MSL restarted", "9293 3.10.7.4 step 8", S(TIME_WAIT), 0,
	 SEG_FIN | SEG_ACK, -1, 0, 0, SEG_ACK, D(ACCEPTED), S(TIME_WAIT), S(TIME_WAIT), 0, 0},
};

/* 9293 3.10.7.4 step 5 and RFC 5961 5.2 */
static const struct row ack_rows[] = {
	{"ESTABLISHED: no ACK bit -> dropped", "9293 3.10.7.4 step 5", S(ESTABLISHED), 0, 0, 0, 0, 3, 0,
	 D(NO_ACK), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: FIN without ACK -> dropped", "9293 3.10.7.4 step 5", S(ESTABLISHED), 0, SEG_FIN, 0,
	 0, 0, 0, D(NO_ACK), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: ACK of unsent data -> ACK, drop", "9293 3.10.7.4 step 5", S(ESTABLISHED), 0, SEG_ACK,
	 0, 1, 3, SEG_ACK, D(ACK_UNSENT), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: ACK below SND.UNA - MAX.SND.WND -> challenge ACK", "5961 5.2", S(ESTABLISHED), 0,
	 SEG_ACK, 0, -70000, 3, SEG_ACK, D(ACK_TOO_OLD), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"ESTABLISHED: old duplicate ACK inside MAX.SND.WND -> ignored", "9293 3.10.7.4 step 5",
	 S(ESTABLISHED), 0, SEG_ACK, 0, -100, 0, 0, D(ACCEPTED), S(ESTABLISHED), S(ESTABLISHED), 0, 0},
	{"FIN-WAIT-1: ACK of unsent data -> ACK, drop", "9293 3.10.7.4 step 5", S(FIN_WAIT_1), 0, SEG_ACK,
	 0, 1, 0, SEG_ACK, D(ACK_UNSENT), S(FIN_WAIT_1), S(FIN_WAIT_1), 0, 0},
	{"FIN-WAIT-1: FIN with an unsent ACK -> ACK, drop", "9293 3.10.7.4 step 5", S(FIN_WAIT_1), 0,
	 SEG_FIN | SEG_ACK, 0, 1, 0, SEG_ACK, D(ACK_UNSENT), S(FIN_WAIT_1), S(FIN_WAIT_1), 0, 0},
	{"CLOSE-WAIT: ACK of unsent data -> ACK, drop", "9293 3.10.7.4 step 5", S(CLOSE_WAIT), 0, SEG_ACK,
	 0, 1, 0, SEG_ACK, D(ACK_UNSENT), S(CLOSE_WAIT), S(CLOSE_WAIT), 0, 0},
	{"CLOSING: ACK of unsent data -> ACK, drop", "9293 3.10.7.4 step 5", S(CLOSING), 0, SEG_ACK, 0, 1,
	 0, SEG_ACK, D(ACK_UNSENT), S(CLOSING), S(CLOSING), 0, 0},
	{"LAST-ACK: ACK of unsent data -> ACK, drop", "9293 3.10.7.4 step 5", S(LAST_ACK), 0, SEG_ACK, 0, 1,
	 0, SEG_ACK, D(ACK_UNSENT), S(LAST_ACK), S(LAST_ACK), 0, 0},
	{"LAST-ACK: no ACK bit -> dropped", "9293 3.10.7.4 step 5", S(LAST_ACK), 0, 0, 0, 0, 0, 0, D(NO_ACK),
	 S(LAST_ACK), S(LAST_ACK), 0, 0},
	{"CLOSING: the ACK of our FIN -> TIME-WAIT", "9293 3.10.7.4 step 5", S(CLOSING), 0, SEG_ACK, 0, 0, 0,
	 0, D(ACCEPTED), S(TIME_WAIT), S(TIME_WAIT), C(RCV_ACK), 0},
	{"LAST-ACK: the ACK of our FIN -> CLOSED", "9293 3.10.7.4 step 5", S(LAST_ACK), 0, SEG_ACK, 0, 0, 0,
	 0, D(ACCEPTED), S(CLOSED), S(CLOSED), C(RCV_ACK), 0},
	{"FIN-WAIT-1: the ACK of our FIN -> FIN-WAIT-2", "9293 3.10.7.4 step 5", S(FIN_WAIT_1), 0, SEG_ACK,
	 0, 0, 0, 0, D(ACCEPTED), S(FIN_WAIT_2), S(FIN_WAIT_2), C(RCV_ACK), 0},
	{"SYN-RECEIVED: the ACK of our SYN -> ESTABLISHED", "9293 3.10.7.4 step 5", S(SYN_RECEIVED), 0,
	 SEG_ACK, 0, 0, 0, 0, D(ACCEPTED), S(ESTABLISHED), S(ESTABLISHED), C(RCV_ACK), 0},
	{"SYN-RECEIVED (active): the ACK of our SYN -> ESTABLISHED", "9293 3.10.7.4 step 5",
	 S(SYN_RECEIVED), SIMUL, SEG_ACK, 0, 0, 0, 0, D(ACCEPTED), S(ESTABLISHED), S(ESTABLISHED),
	 C(RCV_ACK), 0},
};

static void test_rst_every_state(void **state)
{
	(void)state;
	RUN(rst_rows);
}

static void test_syn_synchronized(void **state)
{
	(void)state;
	RUN(syn_rows);
}

static void test_unacceptable_segment(void **state)
{
	(void)state;
	RUN(unacceptable_rows);
}

static void test_ack_checks(void **state)
{
	(void)state;
	RUN(ack_rows);
}

/* After a reset the application sees -ECONNRESET. */
static void test_reset_error_seen_by_app(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[4];

	fx_goto(fx, REFSTACK_ESTABLISHED);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, FX_PISS + 1, 0), ACCEPTED);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), -ECONNRESET);
	assert_int_equal(refstack_send(fx->s, fx->c, buf, 1, fx->now), -ECONNRESET);
	assert_int_equal(refstack_close(fx->s, fx->c, fx->now), -ECONNRESET);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* A reset stops the retransmission timer along with the TCB. */
static void test_reset_stops_timers(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_FIN_WAIT_1);
	assert_true(refstack_next_deadline(fx->s) != UINT64_MAX);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST | SEG_ACK, FX_PISS + 1, FX_ISS + 2), ACCEPTED);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	fx_at(fx, 100 * SEC);
	EXPECT_NO_SEG(fx);
}

/* Zero receive window: RST exactly at RCV.NXT still resets, one byte off
 * is out of the window (3.10.7.4 step 1: "special allowance ... RSTs"). */
static void test_rst_zero_window(void **state)
{
	struct fx *fx = *state;
	uint8_t big[1000];

	fx->cfg.rcv_wnd = 1000;
	fx_start(fx);
	fx_goto(fx, REFSTACK_ESTABLISHED);
	memset(big, 'z', sizeof(big));
	EXPECT_DROP(fx, fx_in_data(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1, big, sizeof(big)), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1001, 0, 0);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, FX_PISS + 1002, 0), RST_OUT_OF_WINDOW);
	EXPECT_NO_SEG(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, FX_PISS + 1001, 0), ACCEPTED);
	EXPECT_TR(fx, fx->c, ESTABLISHED, CLOSED, RCV_RST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rst_every_state),
		cmocka_unit_test(test_syn_synchronized),
		cmocka_unit_test(test_unacceptable_segment),
		cmocka_unit_test(test_ack_checks),
		cmocka_unit_test_setup_teardown(test_reset_error_seen_by_app, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reset_stops_timers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rst_zero_window, fx_setup_nostart, fx_teardown),
	};

	return cmocka_run_group_tests_name("refstack rst", tests, NULL, NULL);
}
