/* ICMP errors (RFC 9293 3.9.2.2), the address checks (3.9.2.3), IP options
 * (3.9.2, MUST-50) and the TTL/TOS of our segments (MUST-48, MUST-49): the
 * drop reason or transition each rule gives. */
#include "refstack_fixture.h"

#include <errno.h>

/* An ICMP error from the peer about seg (one of ours): its IP header and
 * first 8 bytes quoted, as a router sends it. */
static enum refstack_drop fx_icmp_about(struct fx *fx, const struct tc_seg *about, uint8_t type, uint8_t code)
{
	uint8_t q[40 + 60 + SEG_MAX_PAYLOAD], buf[256];
	struct tc_seg m;
	struct tc_err err;
	int n = seg_build(about, q, sizeof(q), &err), hlen;

	if (n < 0)
		fx_fail(fx, __FILE__, __LINE__, "seg_build: %s", err.msg);
	hlen = about->src.family == 4 ? (q[0] & 0x0f) * 4 : 40;
	memset(&m, 0, sizeof(m));
	m.icmp = true;
	m.src = fx->peer;
	m.dst = fx->us;
	m.icmp_type = type;
	m.icmp_code = code;
	m.icmp_qlen = (uint8_t)(hlen + 8);
	memcpy(m.icmp_quote, q, m.icmp_qlen);
	n = seg_build(&m, buf, sizeof(buf), &err);
	if (n < 0)
		fx_fail(fx, __FILE__, __LINE__, "seg_build: %s", err.msg);
	return refstack_input(fx->s, buf, (size_t)n, fx->now);
}

/* The latest segment the stack sent. */
static const struct tc_seg *last_out(const struct fx *fx)
{
	assert_true(fx->nout > 0);
	return &fx->out[fx->nout - 1];
}

/* Established with 10 bytes in flight. */
static void data_in_flight(struct fx *fx)
{
	fx_established(fx);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"0123456789", 10, fx->now), 10);
	EXPECT_SEG_WL(fx, SEG_ACK | SEG_PSH, FX_ISS + 1, fx->pseq, 65535, 10);
}

/* Fire timers until the connection is gone. */
static void run_until_closed(struct fx *fx)
{
	for (int i = 0; i < 100 && refstack_conn_state(fx->c) != REFSTACK_CLOSED; i++)
		fx_at(fx, refstack_next_deadline(fx->s));
	EXPECT_STATE(fx, fx->c, CLOSED);
}

/* MUST-56: a soft error keeps the connection; MUST-47: the timeout reports it */
static void test_soft_error_kept_and_reported(void **state)
{
	struct fx *fx = *state;

	data_in_flight(fx);
	EXPECT_DROP(fx, fx_icmp_about(fx, last_out(fx), 3, 1), ACCEPTED);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
	assert_int_equal(refstack_conn_error(fx->c), 0);
	run_until_closed(fx);
	assert_int_equal(refstack_conn_error(fx->c), -EHOSTUNREACH);
}

/* progress on the connection clears what a soft error said */
static void test_soft_error_cleared_by_ack(void **state)
{
	struct fx *fx = *state;

	data_in_flight(fx);
	EXPECT_DROP(fx, fx_icmp_about(fx, last_out(fx), 11, 0), ACCEPTED);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, FX_ISS + 11), ACCEPTED);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"x", 1, fx->now), 1);
	EXPECT_SEG(fx, SEG_ACK | SEG_PSH, FX_ISS + 11, fx->pseq);
	run_until_closed(fx);
	assert_int_equal(refstack_conn_error(fx->c), -ETIMEDOUT);
}

/* MUST-55 */
static void test_source_quench_discarded(void **state)
{
	struct fx *fx = *state;

	data_in_flight(fx);
	EXPECT_DROP(fx, fx_icmp_about(fx, last_out(fx), 4, 0), ICMP_SOURCE_QUENCH);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
	run_until_closed(fx);
	assert_int_equal(refstack_conn_error(fx->c), -ETIMEDOUT);
}

/* 3.9.2.2: a hard error aborts in SYN-SENT, the open fails with it */
static void test_hard_error_in_syn_sent(void **state)
{
	struct fx *fx = *state;

	fx_syn_sent(fx);
	EXPECT_DROP(fx, fx_icmp_about(fx, last_out(fx), 3, 3), ACCEPTED);
	EXPECT_TR(fx, fx->c, SYN_SENT, CLOSED, ICMP_HARD_ERROR);
	EXPECT_NO_SEG(fx);
	assert_int_equal(refstack_conn_error(fx->c), -ECONNREFUSED);
}

/* ... and is kept as a soft error in a synchronized state */
static void test_hard_error_established_kept(void **state)
{
	struct fx *fx = *state;

	data_in_flight(fx);
	EXPECT_DROP(fx, fx_icmp_about(fx, last_out(fx), 3, 2), ACCEPTED);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
	EXPECT_NO_TR(fx);
	run_until_closed(fx);
	assert_int_equal(refstack_conn_error(fx->c), -ENOPROTOOPT);
}

/* RFC 5927 4.1: the quoted sequence number must be in flight */
static void test_quote_out_of_window(void **state)
{
	struct fx *fx = *state;
	struct tc_seg old;

	data_in_flight(fx);
	old = *last_out(fx);
	EXPECT_DROP(fx, fx_in(fx, SEG_ACK, fx->pseq, FX_ISS + 11), ACCEPTED);
	EXPECT_DROP(fx, fx_icmp_about(fx, &old, 3, 3), ICMP_OUT_OF_WINDOW);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
}

static void test_quote_of_no_connection(void **state)
{
	struct fx *fx = *state;
	struct tc_seg other;

	data_in_flight(fx);
	other = *last_out(fx);
	other.dport = FX_PPORT + 1;
	EXPECT_DROP(fx, fx_icmp_about(fx, &other, 3, 1), ICMP_NO_CONN);
	/* a quoted segment that is not ours (its source is the peer) */
	other = *last_out(fx);
	other.src = fx->peer;
	other.dst = fx->us;
	EXPECT_DROP(fx, fx_icmp_about(fx, &other, 3, 1), ICMP_NO_CONN);
}

static void test_icmp_malformed_and_ignored(void **state)
{
	struct fx *fx = *state;
	struct tc_seg m;
	struct tc_err err;
	uint8_t buf[256];
	int n;

	data_in_flight(fx);
	memset(&m, 0, sizeof(m));
	m.icmp = true;
	m.src = fx->peer;
	m.dst = fx->us;
	m.icmp_type = 8; /* echo request: IP's, not TCP's */
	n = seg_build(&m, buf, sizeof(buf), &err);
	assert_true(n > 0);
	EXPECT_DROP(fx, refstack_input(fx->s, buf, (size_t)n, fx->now), ICMP_IGNORED);
	m.icmp_type = 3; /* an error quoting nothing */
	n = seg_build(&m, buf, sizeof(buf), &err);
	EXPECT_DROP(fx, refstack_input(fx->s, buf, (size_t)n, fx->now), ICMP_NO_CONN);
	buf[n - 1] ^= 1; /* the checksum no longer verifies */
	EXPECT_DROP(fx, refstack_input(fx->s, buf, (size_t)n, fx->now), ICMP_MALFORMED);
	EXPECT_STATE(fx, fx->c, ESTABLISHED);
}

/* 3.9.2.3: MUST-57 and MUST-63 */
static void test_not_unicast_addresses(void **state)
{
	struct fx *fx = *state;
	struct tc_seg seg;

	fx_goto(fx, REFSTACK_LISTEN);
	seg = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	assert_int_equal(seg_addr_parse("224.0.0.1", &seg.dst), 0);
	EXPECT_DROP(fx, fx_feed(fx, &seg), DST_NOT_UNICAST);
	assert_int_equal(seg_addr_parse("255.255.255.255", &seg.dst), 0);
	EXPECT_DROP(fx, fx_feed(fx, &seg), DST_NOT_UNICAST);
	seg = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	assert_int_equal(seg_addr_parse("239.1.2.3", &seg.src), 0);
	EXPECT_DROP(fx, fx_feed(fx, &seg), SRC_INVALID);
	assert_int_equal(seg_addr_parse("0.0.0.0", &seg.src), 0);
	EXPECT_DROP(fx, fx_feed(fx, &seg), SRC_INVALID);
	EXPECT_NO_SEG(fx);
	EXPECT_NO_TR(fx);
}

/* MUST-50: IPv4 options do not stop a segment */
static void test_ip_options_ignored(void **state)
{
	struct fx *fx = *state;
	struct tc_seg syn;
	static const uint8_t opts[8] = {0x9e, 4, 0, 0, 1, 1, 1, 0};

	fx_goto(fx, REFSTACK_LISTEN);
	syn = fx_mkseg(fx, SEG_SYN, FX_PISS, 0);
	syn.ipopt_len = sizeof(opts);
	memcpy(syn.ipopts, opts, sizeof(opts));
	EXPECT_DROP(fx, fx_feed(fx, &syn), ACCEPTED);
	EXPECT_SEG(fx, SEG_SYN | SEG_ACK, FX_ISS, FX_PISS + 1);
}

/* MUST-51: what IP_OPTIONS may hold; anything but NOP, EOL and one source
 * route pointing at its first address is refused, nothing kept */
static void test_app_route_refused(void **state)
{
	struct fx *fx = *state;
	static const uint8_t timestamp[4] = {0x44, 4, 5, 0};
	static const uint8_t pointer8[7] = {0x83, 7, 8, 203, 0, 113, 1};
	static const uint8_t no_address[4] = {0x83, 3, 4, 0};
	static const uint8_t overruns[4] = {1, 0x83, 11, 4};
	static const uint8_t two[16] = {0x83, 7, 4, 203, 0, 113, 1, 0x89, 7, 4, 203, 0, 113, 2, 0, 0};
	uint8_t long_opts[41] = {0};
	const struct tc_seg *o;

	assert_int_equal(refstack_set_route(fx->s, NULL, timestamp, sizeof(timestamp)), -EINVAL);
	assert_int_equal(refstack_set_route(fx->s, NULL, pointer8, sizeof(pointer8)), -EINVAL);
	assert_int_equal(refstack_set_route(fx->s, NULL, no_address, sizeof(no_address)), -EINVAL);
	assert_int_equal(refstack_set_route(fx->s, NULL, overruns, sizeof(overruns)), -EINVAL);
	assert_int_equal(refstack_set_route(fx->s, NULL, two, sizeof(two)), -EINVAL);
	assert_int_equal(refstack_set_route(fx->s, NULL, long_opts, sizeof(long_opts)), -EINVAL);
	assert_int_equal(refstack_connect(fx->s, FX_PORT, &fx->peer, FX_PPORT, fx->now, &fx->c), 0);
	o = last_out(fx);
	FX_CHECK(fx, "SYN IP options after refusals", 0, o->ipopt_len);
	FX_CHECK(fx, "SYN IP destination", 0, memcmp(o->dst.bytes, fx->peer.bytes, 4));
}

/* MUST-51, MUST-52: the application's route on the SYN and after it, the
 * first hop the IP destination, the peer in the last slot; a completed
 * route on the SYN,ACK does not replace it; cleared, it is gone */
static void test_app_route(void **state)
{
	struct fx *fx = *state;
	/* the sockets API's form: first hop 203.0.113.1, then 198.51.100.5 */
	static const uint8_t app[11] = {0x83, 11, 4, 203, 0, 113, 1, 198, 51, 100, 5};
	static const uint8_t wire[12] = {0x83, 11, 4, 198, 51, 100, 5, 192, 0, 2, 2, 0};
	/* recorded by the way back: 203.0.113.9, then the peer */
	static const uint8_t received[12] = {1, 0x83, 11, 12, 203, 0, 113, 9, 192, 0, 2, 2};
	static const uint8_t hop[4] = {203, 0, 113, 1};
	struct tc_seg synack;
	const struct tc_seg *o;

	assert_int_equal(refstack_set_route(fx->s, NULL, app, sizeof(app)), 0);
	assert_int_equal(refstack_connect(fx->s, FX_PORT, &fx->peer, FX_PPORT, fx->now, &fx->c), 0);
	o = last_out(fx);
	FX_CHECK(fx, "SYN IP options", sizeof(wire), o->ipopt_len);
	FX_CHECK(fx, "SYN route", 0, memcmp(o->ipopts, wire, sizeof(wire)));
	FX_CHECK(fx, "SYN IP destination is the first hop", 0, memcmp(o->dst.bytes, hop, 4));
	/* RFC 9293 3.1: the checksum covers the final destination */
	FX_CHECK(fx, "SYN checksum", false, o->bad_csum);
	synack = fx_mkseg(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1);
	synack.ipopt_len = sizeof(received);
	memcpy(synack.ipopts, received, sizeof(received));
	EXPECT_DROP(fx, fx_feed(fx, &synack), ACCEPTED);
	o = last_out(fx);
	FX_CHECK(fx, "ACK flags", SEG_ACK, o->flags);
	FX_CHECK(fx, "ACK keeps the application's route", 0,
		 o->ipopt_len == sizeof(wire) ? memcmp(o->ipopts, wire, sizeof(wire)) : -1);
	FX_CHECK(fx, "ACK IP destination", 0, memcmp(o->dst.bytes, hop, 4));
	assert_int_equal(refstack_set_route(fx->s, fx->c, NULL, 0), 0);
	assert_int_equal(refstack_send(fx->s, fx->c, (const uint8_t *)"x", 1, fx->now), 1);
	o = last_out(fx);
	FX_CHECK(fx, "data after the route is cleared: no IP options", 0, o->ipopt_len);
	FX_CHECK(fx, "data IP destination: the peer", 0, memcmp(o->dst.bytes, fx->peer.bytes, 4));
}

/* MUST-48, MUST-49: a connection's TTL and TOS, and the defaults for new ones */
static void test_ttl_tos(void **state)
{
	struct fx *fx = *state;
	const struct tc_seg *o;

	refstack_set_ip_defaults(fx->s, 9, 0x48);
	assert_int_equal(refstack_connect(fx->s, FX_PORT, &fx->peer, FX_PPORT, fx->now, &fx->c), 0);
	o = last_out(fx);
	FX_CHECK(fx, "SYN ttl", 9, o->ttl);
	FX_CHECK(fx, "SYN tos", 0x48, o->tos);
	assert_int_equal(refstack_set_ip(fx->s, fx->c, 3, 0x28), 0);
	EXPECT_DROP(fx, fx_in(fx, SEG_SYN | SEG_ACK, FX_PISS, FX_ISS + 1), ACCEPTED);
	o = last_out(fx);
	FX_CHECK(fx, "ACK flags", SEG_ACK, o->flags);
	FX_CHECK(fx, "ACK ttl", 3, o->ttl);
	FX_CHECK(fx, "ACK tos", 0x28, o->tos);
	assert_int_equal(refstack_set_ip(fx->s, NULL, 3, 0), -ENOTCONN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_soft_error_kept_and_reported, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_soft_error_cleared_by_ack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_source_quench_discarded, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hard_error_in_syn_sent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hard_error_established_kept, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_quote_out_of_window, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_quote_of_no_connection, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_icmp_malformed_and_ignored, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_not_unicast_addresses, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ip_options_ignored, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ttl_tos, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_app_route_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_app_route, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("refstack icmp and ip", tests, NULL, NULL);
}
