/* lib/wire on a real netns pair: the kernel's TCP in the target namespace
 * answers segments we inject, and the capture hands its answers back. Needs
 * root (network namespaces); without it every test is reported skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../common/root_test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns/netns.h"
#include "seg/seg.h"
#include "wire/wire.h"

#define PORT 8080
#define PEER_PORT 40000
#define ISS 1000
#define SEC 1000000u
#define MS 1000u

/* ---- fixture: whatever a test made is undone by teardown, even after a
 * failed assertion ---- */

struct fx {
	struct netns_pair p;
	struct wire *w, *w_all;
	int lfd, ufd;
	char dir[64]; /* temporary directory, "" when none */
	char pcap[128];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->lfd = fx->ufd = -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char tmp[160];

	if (fx->lfd >= 0)
		close(fx->lfd);
	if (fx->ufd >= 0)
		close(fx->ufd);
	wire_close(fx->w);
	wire_close(fx->w_all);
	netns_pair_destroy(&fx->p);
	if (fx->dir[0]) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", fx->pcap);
		unlink(tmp);
		unlink(fx->pcap);
		rmdir(fx->dir);
	}
	free(fx);
	return 0;
}

/* A pair and a wire capturing the listener's port. */
static struct fx *pair_fx(void **state, unsigned worker)
{
	struct fx *fx = *state;
	struct netns_pair_conf conf = {.worker = worker};
	struct tc_err err = {0};

	need_root_for("network namespaces");
	ok(netns_pair_create(&fx->p, &conf, &err), &err, "netns_pair_create");
	fx->w = wire_open(&fx->p, "tcp port 8080", &err);
	if (!fx->w)
		fail_msg("wire_open: %s", err.msg);
	return fx;
}

/* A listening kernel socket on the target address, made inside the target
 * namespace. */
static void listen_in_target(struct fx *fx, int family)
{
	struct tc_err err = {0};
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(PORT);
		memcpy(&a->sin_addr, fx->p.target.addr4.bytes, 4);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(PORT);
		memcpy(&a->sin6_addr, fx->p.target.addr6.bytes, 16);
		len = sizeof(*a);
	}
	fx->lfd = netns_socket(fx->p.target.ns_fd, family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0,
			       &err);
	ok(fx->lfd, &err, "listener socket");
	assert_int_equal(setsockopt(fx->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	/* Binding fails on a tentative IPv6 address: this also proves DAD is
	 * off. */
	if (bind(fx->lfd, (struct sockaddr *)&ss, len) < 0)
		fail_msg("bind the listener (IPv%d): %s", family, strerror(errno));
	assert_int_equal(listen(fx->lfd, 8), 0);
}

static struct tc_seg syn(const struct fx *fx, int family, uint32_t seq)
{
	struct seg_opt mss = {.kind = SEG_OPT_MSS, .u.mss = 1460};
	struct tc_seg s;

	memset(&s, 0, sizeof(s));
	s.src = family == 4 ? fx->p.harness.addr4 : fx->p.harness.addr6;
	s.dst = family == 4 ? fx->p.target.addr4 : fx->p.target.addr6;
	s.sport = PEER_PORT;
	s.dport = PORT;
	s.seq = seq;
	s.flags = SEG_SYN;
	s.win = 65535;
	seg_add_opt(&s, &mss);
	return s;
}

static void check_u(const char *field, unsigned long long want, unsigned long long got)
{
	if (want != got)
		fail_msg("%s expected %llu (0x%llx), got %llu (0x%llx)", field, want, want, got, got);
}

static void check_addr(const char *field, const struct seg_addr *want, const struct seg_addr *got)
{
	char a[64], b[64];

	if (!seg_addr_eq(want, got))
		fail_msg("%s expected %s, got %s", field, seg_addr_format(want, a, sizeof(a)),
			 seg_addr_format(got, b, sizeof(b)));
}

/* The SYN-ACK to syn(family, ISS), field by field. */
static void check_synack(const struct fx *fx, int family, const struct tc_seg *got)
{
	char line[512];

	seg_format(got, line, sizeof(line));
	print_message("captured: %s\n", line);
	check_u("flags", SEG_SYN | SEG_ACK, got->flags);
	check_u("ack", ISS + 1, got->ack);
	check_u("sport", PORT, got->sport);
	check_u("dport", PEER_PORT, got->dport);
	check_addr("src", family == 4 ? &fx->p.target.addr4 : &fx->p.target.addr6, &got->src);
	check_addr("dst", family == 4 ? &fx->p.harness.addr4 : &fx->p.harness.addr6, &got->dst);
	check_u("bad_csum", 0, got->bad_csum);
	if (!seg_find_opt(got, SEG_OPT_MSS))
		fail_msg("SYN-ACK without an MSS option");
}

/* Injects a SYN and waits up to 1 s for the SYN-ACK. */
static void handshake_half(struct fx *fx, int family)
{
	struct tc_err err = {0};
	struct tc_seg s = syn(fx, family, ISS), got;
	uint64_t t0, at = 0;
	int rc;

	t0 = wire_now_us();
	ok(wire_inject(fx->w, &s, &err), &err, "wire_inject");
	/* Our SYN passes the filter too: getting the SYN-ACK first also shows
	 * that the capture never sees what we inject. */
	rc = wire_capture(fx->w, t0 + SEC, &got, &at, &err);
	ok(rc, &err, "wire_capture");
	if (rc == 0)
		fail_msg("no SYN-ACK within 1 s (IPv%d)", family);
	check_synack(fx, family, &got);
	/* The kernel's stamp, on our clock: after the SYN left (1 ms for the
	 * clock conversion), and not in the future. */
	if (at + MS < t0 || at > wire_now_us())
		fail_msg("SYN-ACK stamped %llu, SYN injected at %llu", (unsigned long long)at,
			 (unsigned long long)t0);
}

/* The frame of the last captured record: from the target MAC to ours. */
static void check_last_frame_macs(const struct fx *fx)
{
	const struct wire_rec *r = NULL;

	for (size_t i = wire_history_count(fx->w); i-- > 0;) {
		r = wire_history_at(fx->w, i);
		if (r->dir == WIRE_IN)
			break;
		r = NULL;
	}
	if (!r)
		fail_msg("no captured frame in the history");
	assert_true(r->len >= 14);
	assert_memory_equal(r->frame, fx->p.harness.mac, 6);
	assert_memory_equal(r->frame + 6, fx->p.target.mac, 6);
}

/* ---- tests ---- */

static void test_syn_gets_synack_v4(void **state)
{
	struct fx *fx = pair_fx(state, 1);

	listen_in_target(fx, 4);
	handshake_half(fx, 4);
	check_last_frame_macs(fx);
}

static void test_syn_gets_synack_v6(void **state)
{
	struct fx *fx = pair_fx(state, 2);

	listen_in_target(fx, 6);
	handshake_half(fx, 6);
	check_last_frame_macs(fx);
}

/* The target verifies checksums of what we inject (no receive offload
 * vouches for it): a SYN with a wrong one gets nothing back. */
static void test_bad_checksum_is_dropped(void **state)
{
	struct fx *fx = pair_fx(state, 3);
	struct tc_err err = {0};
	struct tc_seg s, got;
	int rc;

	listen_in_target(fx, 4);
	s = syn(fx, 4, ISS);
	s.bad_csum = true;
	ok(wire_inject(fx->w, &s, &err), &err, "wire_inject");
	rc = wire_capture(fx->w, wire_now_us() + 300 * MS, &got, NULL, &err);
	ok(rc, &err, "wire_capture");
	if (rc == 1)
		fail_msg("the target answered a SYN with a bad checksum (flags 0x%x)", got.flags);
	handshake_half(fx, 4);
}

static void test_capture_deadline(void **state)
{
	struct fx *fx = pair_fx(state, 4);
	struct tc_err err = {0};
	struct tc_seg got;
	uint64_t t0, wait = 200 * MS, elapsed;
	int rc;

	t0 = wire_now_us();
	rc = wire_capture(fx->w, t0 + wait, &got, NULL, &err);
	elapsed = wire_now_us() - t0;
	ok(rc, &err, "wire_capture");
	check_u("wire_capture result", 0, (unsigned)rc);
	if (elapsed < wait || elapsed >= wait + 100 * MS)
		fail_msg("returned after %llu us, deadline %llu us", (unsigned long long)elapsed,
			 (unsigned long long)wait);
	/* A deadline already past: an answer of "nothing", at once. */
	t0 = wire_now_us();
	assert_int_equal(wire_capture(fx->w, t0 - 1, &got, NULL, &err), 0);
	assert_true(wire_now_us() - t0 < 50 * MS);
}

/* With no filter the capture meets whatever the target sends; what is not a
 * TCP segment is recorded and passed over. */
static void test_non_tcp_is_skipped(void **state)
{
	struct fx *fx = pair_fx(state, 5);
	struct tc_err err = {0};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct tc_seg s, got;
	bool saw_udp = false;
	int rc;

	fx->w_all = wire_open(&fx->p, NULL, &err);
	if (!fx->w_all)
		fail_msg("wire_open without a filter: %s", err.msg);
	listen_in_target(fx, 4);
	/* To the peer address: the harness kernel owns it nowhere and drops it. */
	memcpy(&to.sin_addr, fx->p.harness.addr4.bytes, 4);
	fx->ufd = netns_socket(fx->p.target.ns_fd, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, &err);
	ok(fx->ufd, &err, "UDP socket");
	if (sendto(fx->ufd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
		fail_msg("sendto: %s", strerror(errno));
	s = syn(fx, 4, ISS);
	ok(wire_inject(fx->w_all, &s, &err), &err, "wire_inject");
	rc = wire_capture(fx->w_all, wire_now_us() + SEC, &got, NULL, &err);
	ok(rc, &err, "wire_capture");
	check_u("wire_capture result", 1, (unsigned)rc);
	check_synack(fx, 4, &got);
	for (size_t i = 0; i < wire_history_count(fx->w_all); i++) {
		const struct wire_rec *r = wire_history_at(fx->w_all, i);

		if (r->dir == WIRE_IN && r->len >= 34 && r->frame[12] == 0x08 && r->frame[13] == 0x00 &&
		    r->frame[14 + 9] == 17)
			saw_udp = true;
	}
	if (!saw_udp)
		fail_msg("the UDP datagram is not in the history");
}

/* The file in one format, read back by libpcap (which reads pcapng too):
 * every frame of the history, in time order, byte for byte. */
static void check_pcap_format(struct fx *fx, enum capfile_format format)
{
	struct capfile_request req = {.format = format, .section_comment = "wire test"};
	struct tc_err err = {0};
	char ebuf[PCAP_ERRBUF_SIZE], tmp[160];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timeval prev = {0, 0};
	pcap_t *pc;
	int n = 0, rc;

	ok(wire_pcap_write(fx->w, &req, fx->pcap, &err), &err, "wire_pcap_write");
	snprintf(tmp, sizeof(tmp), "%s.tmp", fx->pcap);
	assert_int_equal(access(tmp, F_OK), -1);

	pc = pcap_open_offline(fx->pcap, ebuf);
	if (!pc)
		fail_msg("pcap_open_offline (%s): %s", capfile_ext(format), ebuf);
	check_u("datalink", DLT_EN10MB, (unsigned)pcap_datalink(pc));
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		const struct wire_rec *r = wire_history_at(fx->w, (size_t)n);

		/* In time order, and the bytes are the recorded ones. */
		if (timercmp(&h->ts, &prev, <))
			fail_msg("packet %d is older than the one before", n);
		prev = h->ts;
		if (r && r->len == h->caplen && memcmp(r->frame, data, r->len) != 0)
			fail_msg("packet %d differs from the history", n);
		n++;
	}
	pcap_close(pc);
	check_u("pcap_next_ex end", (unsigned)PCAP_ERROR_BREAK, (unsigned)rc);
	if (n < 2)
		fail_msg("%d packets in the %s, want the SYN and the SYN-ACK", n, capfile_ext(format));
	check_u("packets", wire_history_count(fx->w), (unsigned)n);
}

static void test_pcap_file(void **state)
{
	struct fx *fx = pair_fx(state, 6);

	listen_in_target(fx, 4);
	handshake_half(fx, 4);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/tcpconform-wire-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		fx->dir[0] = '\0';
		fail_msg("mkdtemp: %s", strerror(errno));
	}
	snprintf(fx->pcap, sizeof(fx->pcap), "%s/exchange.cap", fx->dir);
	check_pcap_format(fx, CAPFILE_PCAPNG);
	check_pcap_format(fx, CAPFILE_PCAP);
}

static void test_bad_filter_is_refused(void **state)
{
	struct fx *fx = pair_fx(state, 7);
	struct tc_err err = {0};

	assert_null(wire_open(&fx->p, "tcp port banana", &err));
	check_u("error code", TC_ERR_USAGE, err.code);
	assert_non_null(strstr(err.msg, "tcp port banana"));
}

/* ---- nothing left behind ---- */

/* Lines of our mount table naming this process's kept namespaces. */
static int our_mounts(void)
{
	char needle[64], line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int n = 0;

	assert_non_null(f);
	snprintf(needle, sizeof(needle), "/run/netns/tcpconform-%d-", (int)getpid());
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

static void test_destroy_leaves_nothing(void **state)
{
	struct fx *fx = pair_fx(state, 8);
	char tname[IFNAMSIZ], hname[IFNAMSIZ];
	unsigned long tino = ns_inode(fx->p.target.ns_fd), hino = ns_inode(fx->p.harness.ns_fd);

	memcpy(tname, fx->p.target.ifname, sizeof(tname));
	memcpy(hname, fx->p.harness.ifname, sizeof(hname));
	wire_close(fx->w); /* its sockets hold the harness namespace too */
	fx->w = NULL;
	assert_true(ns_held(tino, NS_HELD_BY_PROCESS | NS_HELD_BY_OUR_FD));
	netns_pair_destroy(&fx->p);
	if (if_nametoindex(tname) != 0 || if_nametoindex(hname) != 0)
		fail_msg("%s or %s exists in the original namespace", tname, hname);
	if (ns_held(tino, NS_HELD_BY_PROCESS | NS_HELD_BY_OUR_FD) || ns_held(hino, NS_HELD_BY_PROCESS | NS_HELD_BY_OUR_FD))
		fail_msg("a namespace of the destroyed pair is still held");
	check_u("mounts", 0, (unsigned)our_mounts());
	netns_pair_destroy(&fx->p);
}

static void test_kept_pair_is_named_then_removed(void **state)
{
	struct fx *fx = *state;
	struct netns_pair_conf conf = {.worker = 9, .keep = true};
	struct tc_err err = {0};
	char tpath[NETNS_PATH_MAX], hpath[NETNS_PATH_MAX];
	struct stat st;

	need_root_for("network namespaces");
	ok(netns_pair_create(&fx->p, &conf, &err), &err, "netns_pair_create (keep)");
	snprintf(tpath, sizeof(tpath), "/run/netns/tcpconform-%d-9-target", (int)getpid());
	snprintf(hpath, sizeof(hpath), "/run/netns/tcpconform-%d-9-harness", (int)getpid());
	assert_string_equal(fx->p.target.mount_path, tpath);
	assert_string_equal(fx->p.harness.mount_path, hpath);
	/* The name is the namespace itself, as `ip netns exec` will open it. */
	assert_int_equal(stat(tpath, &st), 0);
	check_u("target inode", ns_inode(fx->p.target.ns_fd), (unsigned long)st.st_ino);
	assert_int_equal(stat(hpath, &st), 0);
	check_u("harness inode", ns_inode(fx->p.harness.ns_fd), (unsigned long)st.st_ino);
	check_u("mounts", 2, (unsigned)our_mounts());
	netns_pair_destroy(&fx->p);
	assert_int_equal(stat(tpath, &st), -1);
	assert_int_equal(stat(hpath, &st), -1);
	check_u("mounts after destroy", 0, (unsigned)our_mounts());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syn_gets_synack_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_gets_synack_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_checksum_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_tcp_is_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcap_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_filter_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_pair_is_named_then_removed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
