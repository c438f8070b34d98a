/* Opening: passive (3.10.7.2), active (3.10.7.3), simultaneous, the
 * closed-port answers (3.10.7.1), and the input filters in front of them. */
#include "refstack_fixture.h"

/* 9293 3.10.7.2: SYN to a listener: a new TCB in SYN-RECEIVED, SYN-ACK with
 * our MSS, the listener stays in LISTEN. */
static void test_passive_open(void **state)
{
	struct fx *fx = *state;
	const struct seg_opt *mss;
	const struct tc_seg *o;
	struct refstack_conn *a = NULL;
	struct tc_seg syn;

	fx_listen(fx);
	assert_true(refstack_listening(fx->s, FX_PORT));
	syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	fx_add_mss(&syn, 1460);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	FX_CHECK(fx, "win", 65535, o->win);
	FX_CHECK(fx, "length", 0, o->len);
	mss = seg_find_opt(o, SEG_OPT_MSS);
	assert_non_null(mss);
	FX_CHECK(fx, "MSS option", 1460, mss->u.mss);
	FX_CHECK(fx, "options", 1, o->nopts);
	fx->c = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT);
	assert_non_null(fx->c);
	EXPECT_TR(fx, fx->c, LISTEN, SYN_RECEIVED, RCV_SYN);
	EXPECT_NO_TR(fx);
	assert_true(refstack_listening(fx->s, FX_PORT));
	/* not yet ESTABLISHED: nothing to accept */
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), -EAGAIN);

	/* 9293 3.10.7.4 step 5 SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, ESTABLISHED, RCV_ACK);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	assert_ptr_equal(a, fx->c);
	assert_int_equal(refstack_conn_lport(a), FX_PORT);
	assert_int_equal(refstack_conn_rport(a), FX_PPORT);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), -EAGAIN);
	/* the retransmission timer stopped with the ACK of the SYN-ACK */
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
}

/* Two peers, two TCBs, one listener; accept in order of establishment. */
static void test_passive_two_conns(void **state)
{
	struct fx *fx = *state;
	struct tc_seg syn;
	struct refstack_conn *a = NULL, *b = NULL, *c1, *c2;

	fx_listen(fx);
	syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	syn.sport = FX_PPORT + 1;
	syn.seq = 9000;
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	c1 = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT);
	c2 = refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT + 1);
	assert_non_null(c1);
	assert_non_null(c2);
	assert_ptr_not_equal(c1, c2);
	/* the second completes first */
	syn = fx_mkseg(fx, SEG_ACK, 9001, FX_ISS + 1);
	syn.sport = FX_PPORT + 1;
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &b), 0);
	assert_ptr_equal(a, c2);
	assert_ptr_equal(b, c1);
}

/* 9293 3.10.7.3: SYN, then SYN-ACK -> ESTABLISHED and ACK. */
static void test_active_open(void **state)
{
	struct fx *fx = *state;
	const struct seg_opt *mss;
	const struct tc_seg *o;

	assert_int_equal(refstack_connect(fx->s, FX_PORT, &fx->peer, FX_PPORT, 0, &fx->c), 0);
	o = EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
	mss = seg_find_opt(o, SEG_OPT_MSS);
	assert_non_null(mss);
	FX_CHECK(fx, "MSS option", 1460, mss->u.mss);
	EXPECT_TR(fx, fx->c, CLOSED, SYN_SENT, APP_CONNECT);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
	FX_CHECK(fx, "options on a non-SYN", 0, o->nopts);
	FX_CHECK(fx, "win", 65535, o->win);
	EXPECT_TR(fx, fx->c, SYN_SENT, ESTABLISHED, RCV_SYNACK);
	EXPECT_NO_SEG(fx);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	/* the same four-tuple cannot be opened twice */
	assert_int_equal(refstack_connect(fx->s, FX_PORT, &fx->peer, FX_PPORT, 0, NULL), -EADDRINUSE);
}

/* Port 0 picks an ephemeral port. */
static void test_active_open_ephemeral(void **state)
{
	struct fx *fx = *state;
	struct refstack_conn *c = NULL;

	assert_int_equal(refstack_connect(fx->s, 0, &fx->peer, FX_PPORT, 0, &c), 0);
	assert_true(refstack_conn_lport(c) >= 49152);
	FX_CHECK(fx, "segments", 1, fx->nout);
	FX_CHECK(fx, "sport", refstack_conn_lport(c), fx->out[0].sport);
}

/* 9293 3.10.7.3 and 3.5 Figure 8: simultaneous open. SYN-SENT + SYN ->
 * SYN-RECEIVED and a SYN-ACK with the same ISS; the peer's SYN-ACK
 * completes the open, and nothing more is sent. */
static void test_simultaneous_open(void **state)
{
	struct fx *fx = *state;

	fx_syn_received_active(fx);
	EXPECT_STATE(fx, fx->c, SYN_RECEIVED);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), ACCEPTED);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, ESTABLISHED, RCV_SYNACK);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	/* a second copy of that SYN-ACK is now an old duplicate: ACK */
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), SEQ_UNACCEPTABLE);
	EXPECT_SEG(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1);
}

/* Simultaneous open completed by a plain ACK (3.10.7.4 step 5). */
static void test_simultaneous_open_ack(void **state)
{
	struct fx *fx = *state;

	fx_syn_received_active(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, ESTABLISHED, RCV_ACK);
	EXPECT_NO_SEG(fx);
}

/* Simultaneous open: the peer's SYN-ACK with an unacceptable ACK -> RST
 * <SEQ=SEG.ACK> (3.10.7.4 step 5 SYN-RECEIVED). */
static void test_simultaneous_open_bad_ack(void **state)
{
	struct fx *fx = *state;

	fx_syn_received_active(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 9), ACK_UNACCEPTABLE);
	EXPECT_SEG(fx, SEG_RST, FX_ISS + 9, 0);
	EXPECT_NO_SEG(fx);
	EXPECT_STATE(fx, fx->c, SYN_RECEIVED);
}

/* 9293 3.10.7.3 simultaneous open, SYN-RECEIVED from an active open: a
 * SYN-ACK retransmission carries the same ISS. */
static void test_simultaneous_open_retransmits_synack(void **state)
{
	struct fx *fx = *state;

	fx_syn_received_active(fx);
	fx_at(fx, 1 * SEC);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	EXPECT_SENT_AT(fx, 1 * SEC);
}

/* 9293 3.10.7.3 first: an unacceptable ACK in SYN-SENT -> <SEQ=SEG.ACK><CTL=RST> */
static void test_syn_sent_bad_ack(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	/* SEG.ACK =< ISS */
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS), SYNSENT_BAD_ACK);
	EXPECT_SEG(fx, SEG_RST, FX_ISS, 0);
	/* SEG.ACK > SND.NXT */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS, FX_ISS + 2), SYNSENT_BAD_ACK);
	EXPECT_SEG(fx, SEG_RST, FX_ISS + 2, 0);
	/* with RST set: dropped without a reply */
	EXPECT_DROP(fx, fx_in(fx, SEG_RST | SEG_ACK, FX_PISS, FX_ISS + 7), SYNSENT_BAD_ACK);
	EXPECT_NO_SEG(fx);
	EXPECT_STATE(fx, fx->c, SYN_SENT);
	EXPECT_NO_TR(fx);
}

/* 9293 3.10.7.3 fifth: neither SYN nor RST -> dropped */
static void test_syn_sent_no_syn(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_SENT);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS, FX_ISS + 1), SYNSENT_NO_SYN);
	EXPECT_DROP(fx, fx_in(fx, 0, FX_PISS, 0), SYNSENT_NO_SYN);
	EXPECT_NO_SEG(fx);
	EXPECT_STATE(fx, fx->c, SYN_SENT);
}

/* 9293 3.10.7.3 fourth: "continue processing at the sixth step": text on
 * the SYN-ACK is taken. */
static void test_syn_sent_synack_with_data(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[16];

	fx_goto(fx, REFSTACK_SYN_SENT);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1, "hello", 5), ACCEPTED);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 6, 65535 - 5, 0);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, SYN_SENT, ESTABLISHED, RCV_SYNACK);
	assert_int_equal(refstack_recv(fx->s, fx->c, buf, sizeof(buf), fx->now), 5);
	assert_memory_equal(buf, "hello", 5);
}

/* 9293 3.10.7.4 step 5 SYN-RECEIVED: an unacceptable ACK -> <SEQ=SEG.ACK><CTL=RST> */
static void test_syn_received_bad_ack(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_RECEIVED);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 5), ACK_UNACCEPTABLE);
	EXPECT_SEG(fx, SEG_RST, FX_ISS + 5, 0);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS), ACK_UNACCEPTABLE);
	EXPECT_SEG(fx, SEG_RST, FX_ISS, 0);
	EXPECT_STATE(fx, fx->c, SYN_RECEIVED);
	EXPECT_NO_TR(fx);
	/* no ACK bit at all: dropped */
	EXPECT_DROP(fx, fx_in(fx, 0, FX_PISS + 1, 0), NO_ACK);
	EXPECT_NO_SEG(fx);
}

/* 9293 3.10.7.4 step 4 SYN-RECEIVED from a passive open: a SYN sends it back
 * to LISTEN (the TCB goes, the listener stays). */
static void test_syn_received_syn_back_to_listen(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_SYN_RECEIVED);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, FX_PISS + 10, 0), SYNRCVD_SYN);
	EXPECT_NO_SEG(fx);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, LISTEN, RCV_SYN);
	EXPECT_STATE(fx, fx->c, CLOSED); /* the TCB is gone */
	assert_null(refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT));
	assert_true(refstack_listening(fx->s, FX_PORT));
	assert_true(refstack_next_deadline(fx->s) == UINT64_MAX);
	/* a new SYN makes a new connection */
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, FX_PISS + 20, 0), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 21);
}

/* 9293 3.10.7.2, each rule */
static void test_listen_rules(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_LISTEN);
	/* first: RST ignored */
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, 1, 0), LISTEN_RST);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST | SEG_ACK, 1, 2), LISTEN_RST);
	EXPECT_NO_SEG(fx);
	/* second: ACK -> <SEQ=SEG.ACK><CTL=RST> */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, 1, 777), LISTEN_ACK);
	EXPECT_SEG_WL(fx, SEG_RST, 777, 0, 0, 0);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, 1, 778), LISTEN_ACK);
	EXPECT_SEG(fx, SEG_RST, 778, 0);
	/* fourth: anything else dropped */
	EXPECT_DROP(fx, fx_in(fx, SEG_FIN, 1, 0), LISTEN_NO_SYN);
	EXPECT_DROP(fx, fx_in_data(fx, 0, 1, 0, "x", 1), LISTEN_NO_SYN);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
}

/* Text on a SYN is not queued: the SYN-ACK acknowledges only the SYN. */
static void test_listen_syn_with_data(void **state)
{
	struct fx *fx = *state;

	fx_goto(fx, REFSTACK_LISTEN);
	EXPECT_DROP(fx, fx_in_data(fx, SEG_SYN, FX_PISS, 0, "abc", 3), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
}

/* Every TCB slot taken: a further SYN is dropped. */
static void test_listen_full(void **state)
{
	struct fx *fx = *state;
	struct tc_seg syn;

	fx_goto(fx, REFSTACK_LISTEN);
	syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	for (int i = 0; i < REFSTACK_MAX_CONNS; i++) {
		syn.sport = (uint16_t)(1000 + i);
		EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	}
	syn.sport = 999;
	EXPECT_DROP(fx, fx_feed(fx, &syn), LISTEN_FULL);
	FX_CHECK(fx, "SYN-ACKs", REFSTACK_MAX_CONNS, fx->nout);
}

/* Listener transitions, and what listen/close_listener refuse. */
static void test_listener_lifecycle(void **state)
{
	struct fx *fx = *state;

	fx_listen(fx);
	assert_int_equal(refstack_listen(fx->s, FX_PORT, 0), -EADDRINUSE);
	assert_int_equal(refstack_listen(fx->s, 0, 0), -EINVAL);
	assert_int_equal(refstack_close_listener(fx->s, FX_PORT, 0), 0);
	EXPECT_TR(fx, NULL, LISTEN, CLOSED, APP_CLOSE);
	assert_false(refstack_listening(fx->s, FX_PORT));
	assert_int_equal(refstack_close_listener(fx->s, FX_PORT, 0), -ENOTCONN);
	/* now the port is closed: 3.10.7.1 */
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, FX_PISS, 0), CLOSED_REPLY);
	EXPECT_SEG(fx, SEG_RST | SEG_ACK, 0, FX_PISS + 1);
	for (int i = 0; i < REFSTACK_MAX_LISTENERS; i++)
		assert_int_equal(refstack_listen(fx->s, (uint16_t)(100 + i), 0), 0);
	assert_int_equal(refstack_listen(fx->s, 99, 0), -ENOBUFS);
}

/* Closing a listener leaves the connections made from it alone. */
static void test_close_listener_keeps_connections(void **state)
{
	struct fx *fx = *state;
	struct refstack_conn *a = NULL;

	fx_syn_received(fx);
	fx_clear(fx);
	assert_int_equal(refstack_close_listener(fx->s, FX_PORT, 0), 0);
	EXPECT_TR(fx, NULL, LISTEN, CLOSED, APP_CLOSE);
	EXPECT_NO_TR(fx);
	EXPECT_NO_SEG(fx);
	assert_ptr_equal(refstack_find(fx->s, FX_PORT, &fx->peer, FX_PPORT), fx->c);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	EXPECT_TR(fx, fx->c, SYN_RECEIVED, ESTABLISHED, RCV_ACK);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	assert_ptr_equal(a, fx->c);
	/* a new SYN from elsewhere meets a closed port */
	{
		struct tc_seg syn = fx_mkseg(fx, SEG_SYN, 1, 0);

		syn.sport = FX_PPORT + 1;
		EXPECT_DROP(fx, fx_feed(fx, &syn), CLOSED_REPLY);
	}
}

/* 9293 3.10.7.1: the two forms of the closed-port RST */
static void test_closed_port(void **state)
{
	struct fx *fx = *state;

	/* ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (SYN counts 1) */
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, 100, 0), CLOSED_REPLY);
	EXPECT_SEG_WL(fx, SEG_RST | SEG_ACK, 0, 101, 0, 0);
	/* text and FIN count too */
	EXPECT_DROP(fx, fx_in_data(fx, SEG_FIN, 100, 0, "abcd", 4), CLOSED_REPLY);
	EXPECT_SEG(fx, SEG_RST | SEG_ACK, 0, 105);
	/* ACK on: <SEQ=SEG.ACK><CTL=RST> */
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, 100, 4242), CLOSED_REPLY);
	EXPECT_SEG_WL(fx, SEG_RST, 4242, 0, 0, 0);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, 100, 31), CLOSED_REPLY);
	EXPECT_SEG(fx, SEG_RST, 31, 0);
	/* an RST is dropped */
	EXPECT_DROP(fx, fx_in(fx, SEG_RST, 100, 0), CLOSED_RST);
	EXPECT_DROP(fx, fx_in(fx, SEG_RST | SEG_ACK, 100, 5), CLOSED_RST);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
}

/* Filters in front of 3.10.7: not ours, bad checksum, malformed. */
static void test_input_filters(void **state)
{
	struct fx *fx = *state;
	struct tc_seg seg;
	uint8_t buf[128];
	struct tc_err err;
	int n;

	fx_goto(fx, REFSTACK_LISTEN);
	seg = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	assert_int_equal(seg_addr_parse("192.0.2.99", &seg.dst), 0);
	EXPECT_DROP(fx, fx_feed(fx, &seg), NOT_OURS);
	seg = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	seg.bad_csum = true;
	EXPECT_DROP(fx, fx_feed(fx, &seg), BAD_CSUM);
	seg = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	n = seg_build(&seg, buf, sizeof(buf), &err);
	assert_true(n > 30);
	EXPECT_DROP(fx, refstack_input(fx->s, buf, 30, 0), MALFORMED);
	EXPECT_DROP(fx, refstack_input(fx->s, buf, 0, 0), MALFORMED);
	buf[0] = 0x55;
	EXPECT_DROP(fx, refstack_input(fx->s, buf, (size_t)n, 0), MALFORMED);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
}

/* IPv6 end to end: passive open on a v6 stack; a v4 segment is not ours. */
static void test_ipv6_open(void **state)
{
	struct fx *fx = *state;
	const struct tc_seg *o;

	assert_int_equal(seg_addr_parse("2001:db8::1", &fx->us), 0);
	assert_int_equal(seg_addr_parse("2001:db8::2", &fx->peer), 0);
	fx->cfg.addr = fx->us;
	fx_start(fx);
	fx_listen(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, FX_PISS, 0), ACCEPTED);
	o = EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
	FX_CHECK(fx, "family", 6, o->src.family);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	EXPECT_TR(fx, NULL, LISTEN, SYN_RECEIVED, RCV_SYN);
	EXPECT_TR(fx, NULL, SYN_RECEIVED, ESTABLISHED, RCV_ACK);
	{
		struct fx v4 = {0};
		struct tc_seg seg;

		assert_int_equal(seg_addr_parse("192.0.2.1", &v4.us), 0);
		assert_int_equal(seg_addr_parse("192.0.2.2", &v4.peer), 0);
		seg = fx_mkseg(&v4, SEG_SYN, 1, 0);
		EXPECT_DROP(fx, fx_feed(fx, &seg), NOT_OURS);
	}
}

/* 9293 3.7.1: the send MSS is the peer's option (or 536 without one),
 * never more than our own. */
static void test_eff_mss(void **state)
{
	struct fx *fx = *state;
	struct tc_seg syn;
	uint8_t data[3000];
	struct refstack_conn *a;

	memset(data, 'm', sizeof(data));
	fx_listen(fx);
	/* no MSS option: 536 */
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN, FX_PISS, 0), ACCEPTED);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, FX_PISS + 1, FX_ISS + 1), ACCEPTED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	fx_clear(fx);
	assert_int_equal(refstack_send(fx->s, a, data, 1000, 0), 1000);
	EXPECT_SEG_WL(fx, SEG_ACK, FX_ISS + 1, FX_PISS + 1, 65535, 536);
	EXPECT_SEG_WL(fx, SEG_ACK | SEG_PSH, FX_ISS + 537, FX_PISS + 1, 65535, 464);
	EXPECT_NO_SEG(fx);

	/* MSS 9000 announced, ours 1460 bounds it */
	syn = fx_mkseg(fx, SEG_SYN, 7000, 0);
	syn.sport = FX_PPORT + 1;
	fx_add_mss(&syn, 9000);
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	syn = fx_mkseg(fx, SEG_ACK, 7001, FX_ISS + 1);
	syn.sport = FX_PPORT + 1;
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	assert_int_equal(refstack_accept(fx->s, FX_PORT, &a), 0);
	fx_clear(fx);
	assert_int_equal(refstack_send(fx->s, a, data, 2000, 0), 2000);
	FX_CHECK(fx, "segments", 2, fx->nout);
	FX_CHECK(fx, "first length", 1460, fx->out[0].len);
	FX_CHECK(fx, "second length", 540, fx->out[1].len);
}

/* Bad configurations are refused. */
static void test_config_refused(void **state)
{
	struct fx *fx = *state;
	struct refstack_config cfg;
	struct refstack_io io = {0};

	(void)fx;
	refstack_config_default(&cfg);
	assert_null(refstack_new(&cfg, &io)); /* family 0 */
	cfg.addr.family = 4;
	cfg.rcv_wnd = 0;
	assert_null(refstack_new(&cfg, &io));
	cfg.rcv_wnd = 100;
	cfg.snd_buf = 0;
	assert_null(refstack_new(&cfg, &io));
	cfg.snd_buf = 100;
	{
		struct refstack *s = refstack_new(&cfg, &io);

		assert_non_null(s);
		refstack_free(s);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(refstack_state_name(REFSTACK_SYN_RECEIVED), "SYN-RECEIVED");
	assert_string_equal(refstack_state_name(REFSTACK_TIME_WAIT), "TIME-WAIT");
	assert_string_equal(refstack_drop_name(REFSTACK_ACCEPTED), "accepted");
	assert_string_equal(refstack_cause_name(REFSTACK_CAUSE_TIMEOUT_2MSL), "2*MSL timeout");
	for (int i = 0; i < REFSTACK_DROP__COUNT; i++)
		assert_non_null(refstack_drop_name((enum refstack_drop)i));
}

/* RFC 1122 4.2.3.10 (9293 MUST-46): an OPEN to an address that names no
 * host is refused and sends nothing. */
static void test_connect_invalid_address(void **state)
{
	struct fx *fx = *state;
	static const uint8_t v4[][4] = {{224, 0, 0, 1}, {239, 1, 2, 3}, {255, 255, 255, 255}, {240, 0, 0, 1}, {0, 0, 0, 0}};
	struct seg_addr a = {.family = 4};
	struct refstack_conn *c = NULL;

	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		memcpy(a.bytes, v4[i], 4);
		assert_int_equal(refstack_connect(fx->s, FX_PORT, &a, FX_PPORT, 0, &c), -ENETUNREACH);
	}
	assert_null(c);
	EXPECT_NO_SEG(fx);
	assert_null(refstack_find(fx->s, FX_PORT, &a, FX_PPORT));
	/* the peer itself still goes */
	assert_int_equal(refstack_connect(fx->s, FX_PORT, &fx->peer, FX_PPORT, 0, &c), 0);
	EXPECT_SEG(fx, SEG_SYN, FX_ISS, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_invalid_address, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_passive_open, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_passive_two_conns, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_active_open, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_active_open_ephemeral, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_open, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_open_ack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_open_bad_ack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_open_retransmits_synack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_bad_ack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_no_syn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_synack_with_data, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_received_bad_ack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_syn_received_syn_back_to_listen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_listen_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_listen_syn_with_data, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_listen_full, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_listener_lifecycle, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_listener_keeps_connections, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_closed_port, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_input_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_open, fx_setup_nostart, fx_teardown),
		cmocka_unit_test_setup_teardown(test_eff_mss, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_config_refused, fx_setup, fx_teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("refstack open", tests, NULL, NULL);
}
