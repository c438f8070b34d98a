/* What the kernel's TCP reports of its states, through sock_diag
 * (linux_diag) and the tracepoint sock:inet_sock_set_state (linux_trace),
 * with a real kernel socket in a target namespace and raw segments from
 * the wire. Each scenario is a table of steps, and each step states what
 * the wire must carry back, what sock_diag must say after it, and which
 * transitions the tracepoint must have reported for it; the findings are
 * written up in docs/linux-states.md. Needs root; without it every test is
 * reported skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../common/root_test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "case/tc_state.h"
#include "netns/netns.h"
#include "seg/seg.h"
#include "target/linux/linux_diag.h"
#include "target/linux/linux_trace.h"
#include "wire/wire.h"

#define ISS 1000u
#define SEC 1000000u
#define MS 1000u
/* How long a state or an event may take to show after the step that
 * causes it. They were always there at once (docs/linux-states.md), but a
 * loaded machine may defer the receive softirq to ksoftirqd. */
#define SETTLE_US (200 * MS)
#define QUIET_US (20 * MS)

/* The tracepoint is host-wide: a port of this process's own keeps other
 * runs' events (all pairs use the same addresses) out of our instance. */
static uint16_t test_port;

/* ---- fixture: teardown undoes whatever a test made, even after a failed
 * assertion ---- */

struct fx {
	struct netns_pair p;
	struct wire *w;
	struct linux_diag *d;
	struct linux_trace_reg *reg; /* the tracefs registry, as a run holds one */
	struct linux_trace *t, *t2;
	int lfd, cfd; /* listener; the connection's socket */
	int family;
	uint16_t port, peer_port;
	uint32_t tiss; /* the target's ISS, from its SYN or SYN-ACK */
	pid_t child; /* a live process for the stale test, 0 when none */
	char made[2][160]; /* instance directories a test made itself, "" when none */
	/* How many steps showed their state (their transitions) at the first
	 * read after the step returned, of how many. */
	unsigned diag_at_once, diag_steps, trace_at_once, trace_steps;
};

/* The registry of the running test, for the signal handler. */
static struct linux_trace_reg *signal_reg;

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->lfd = fx->cfd = -1;
	fx->reg = linux_trace_reg_new(NULL);
	if (!fx->reg) {
		free(fx);
		return -1;
	}
	__atomic_store_n(&signal_reg, fx->reg, __ATOMIC_RELEASE);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->diag_steps > 0)
		print_message("at the first read after the step returned: state in sock_diag %u of %u, "
			      "transitions in trace_pipe %u of %u\n",
			      fx->diag_at_once, fx->diag_steps, fx->trace_at_once, fx->trace_steps);
	if (fx->cfd >= 0)
		close(fx->cfd);
	if (fx->lfd >= 0)
		close(fx->lfd);
	for (int i = 0; i < 2; i++)
		if (fx->made[i][0])
			rmdir(fx->made[i]);
	if (fx->child > 0) {
		kill(fx->child, SIGKILL);
		waitpid(fx->child, NULL, 0);
	}
	linux_trace_close(fx->t);
	linux_trace_close(fx->t2);
	__atomic_store_n(&signal_reg, NULL, __ATOMIC_RELEASE);
	linux_trace_reg_free(fx->reg);
	linux_diag_close(fx->d);
	wire_close(fx->w);
	netns_pair_destroy(&fx->p);
	free(fx);
	return 0;
}

static const struct seg_addr *local_addr(const struct fx *fx)
{
	return fx->family == 4 ? &fx->p.target.addr4 : &fx->p.target.addr6;
}

static const struct seg_addr *peer_addr(const struct fx *fx)
{
	return fx->family == 4 ? &fx->p.harness.addr4 : &fx->p.harness.addr6;
}

/* A pair, a wire on the port, sock_diag in the target and a trace reader. */
static struct fx *pair_fx(void **state, unsigned worker, int family, uint16_t peer_port)
{
	struct fx *fx = *state;
	struct netns_pair_conf conf = {.worker = worker};
	struct tc_err err = {0};
	char bpf[32];

	need_root_for("network namespaces, tracefs");
	fx->family = family;
	fx->port = test_port;
	fx->peer_port = peer_port;
	ok(netns_pair_create(&fx->p, &conf, &err), &err, "netns_pair_create");
	snprintf(bpf, sizeof(bpf), "tcp port %u", fx->port);
	fx->w = wire_open(&fx->p, bpf, &err);
	if (!fx->w)
		fail_msg("wire_open: %s", err.msg);
	fx->d = linux_diag_open(fx->p.target.ns_fd, &err);
	if (!fx->d)
		fail_msg("linux_diag_open: %s", err.msg);
	fx->t = linux_trace_open(fx->reg, fx->port, &err);
	if (!fx->t)
		fail_msg("linux_trace_open: %s", err.msg);
	return fx;
}

static socklen_t sockaddr_of(int family, const struct seg_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a->bytes, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->bytes, 16);
	return sizeof(*s6);
}

/* A socket of the target namespace bound to local:port. */
static int bound_socket(struct fx *fx, uint16_t port, int flags)
{
	struct tc_err err = {0};
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(fx->family, local_addr(fx), port, &ss);
	int one = 1, fd;

	fd = netns_socket(fx->p.target.ns_fd, fx->family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | flags,
			  0, &err);
	ok(fd, &err, "socket in the target namespace");
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;

		close(fd);
		fail_msg("bind port %u (IPv%d): %s", port, fx->family, strerror(e));
	}
	return fd;
}

/* ---- steps ---- */

enum op {
	OP_END,
	OP_LISTEN, /* the application listens on the port */
	OP_ACCEPT, /* ... and accepts the connection */
	OP_CLOSE_LISTENER,
	OP_CONNECT, /* non-blocking connect to the peer */
	OP_CLOSE, /* close() the connection's socket */
	OP_SHUT_WR, /* shutdown(SHUT_WR), the socket kept */
	OP_SEND, /* inject a segment */
};

/* Sequence numbers are relative: what we send to ISS (seq) and to the
 * target's ISS (ack), what we expect back the other way round. */
struct step {
	const char *what;
	enum op op;
	uint16_t flags;
	uint32_t seq, ack;
	uint16_t want_flags; /* what the target sends back; 0 = not waited for */
	uint32_t want_seq, want_ack;
	enum tc_state diag;
	int ntrans;
	enum tc_state from[3], to[3];
};

#define T1(a, b) .ntrans = 1, .from = {a}, .to = {b}
#define T2(a, b, c) .ntrans = 2, .from = {a, b}, .to = {b, c}

static const struct step passive_open[] = {
	{"listen", OP_LISTEN, .diag = TC_LISTEN},
	/* A request sock: sock_diag shows it, the tracepoint never does. */
	{"SYN", OP_SEND, SEG_SYN, 0, 0, SEG_SYN | SEG_ACK, 0, 1, .diag = TC_SYN_RECEIVED},
	/* The child socket is born at the ACK, as a clone of the listener. */
	{"ACK of the SYN-ACK", OP_SEND, SEG_ACK, 1, 1, .diag = TC_ESTABLISHED,
	 T2(TC_LISTEN, TC_SYN_RECEIVED, TC_ESTABLISHED)},
	{"accept", OP_ACCEPT, .diag = TC_ESTABLISHED},
	{.op = OP_END},
};

/* After passive_open: without the listener, a connection that is gone
 * reads CLOSED rather than LISTEN. */
static const struct step drop_listener[] = {
	{"close the listener", OP_CLOSE_LISTENER, .diag = TC_ESTABLISHED},
	{.op = OP_END},
};

static const struct step active_open[] = {
	{"connect", OP_CONNECT, .want_flags = SEG_SYN, .diag = TC_SYN_SENT, T1(TC_CLOSED, TC_SYN_SENT)},
	{"SYN-ACK", OP_SEND, SEG_SYN | SEG_ACK, 0, 1, SEG_ACK, 1, 1, .diag = TC_ESTABLISHED,
	 T1(TC_SYN_SENT, TC_ESTABLISHED)},
	{.op = OP_END},
};

static const struct step active_close[] = {
	{"close", OP_CLOSE, .want_flags = SEG_FIN | SEG_ACK, .want_seq = 1, .want_ack = 1, .diag = TC_FIN_WAIT_1,
	 T1(TC_ESTABLISHED, TC_FIN_WAIT_1)},
	/* Orphaned: the kernel frees the socket and keeps a timewait entry
	 * in FIN-WAIT-2, so the tracepoint says CLOSED already here. */
	{"ACK of the FIN", OP_SEND, SEG_ACK, 1, 2, .diag = TC_FIN_WAIT_2,
	 T2(TC_FIN_WAIT_1, TC_FIN_WAIT_2, TC_CLOSED)},
	{.op = OP_END},
};

/* After active_close: the timewait entry changes its substate, unseen by
 * the tracepoint. */
static const struct step fin_in_fin_wait_2[] = {
	{"FIN", OP_SEND, SEG_FIN | SEG_ACK, 1, 2, SEG_ACK, 2, 2, .diag = TC_TIME_WAIT},
	{.op = OP_END},
};

static const struct step active_close_kept[] = {
	{"shutdown", OP_SHUT_WR, .want_flags = SEG_FIN | SEG_ACK, .want_seq = 1, .want_ack = 1,
	 .diag = TC_FIN_WAIT_1, T1(TC_ESTABLISHED, TC_FIN_WAIT_1)},
	{"ACK of the FIN", OP_SEND, SEG_ACK, 1, 2, .diag = TC_FIN_WAIT_2, T1(TC_FIN_WAIT_1, TC_FIN_WAIT_2)},
	/* Entering TIME-WAIT frees the full socket even though the
	 * application still holds its descriptor. */
	{"FIN", OP_SEND, SEG_FIN | SEG_ACK, 1, 2, SEG_ACK, 2, 2, .diag = TC_TIME_WAIT,
	 T1(TC_FIN_WAIT_2, TC_CLOSED)},
	{"close in TIME-WAIT", OP_CLOSE, .diag = TC_TIME_WAIT},
	{.op = OP_END},
};

static const struct step passive_close[] = {
	{"FIN", OP_SEND, SEG_FIN | SEG_ACK, 1, 1, SEG_ACK, 1, 2, .diag = TC_CLOSE_WAIT,
	 T1(TC_ESTABLISHED, TC_CLOSE_WAIT)},
	{"close", OP_CLOSE, .want_flags = SEG_FIN | SEG_ACK, .want_seq = 1, .want_ack = 2, .diag = TC_LAST_ACK,
	 T1(TC_CLOSE_WAIT, TC_LAST_ACK)},
	{"ACK of the FIN", OP_SEND, SEG_ACK, 2, 2, .diag = TC_CLOSED, T1(TC_LAST_ACK, TC_CLOSED)},
	{.op = OP_END},
};

static const struct step simultaneous_close[] = {
	{"close", OP_CLOSE, .want_flags = SEG_FIN | SEG_ACK, .want_seq = 1, .want_ack = 1, .diag = TC_FIN_WAIT_1,
	 T1(TC_ESTABLISHED, TC_FIN_WAIT_1)},
	{"FIN not acking theirs", OP_SEND, SEG_FIN | SEG_ACK, 1, 1, SEG_ACK, 2, 2, .diag = TC_CLOSING,
	 T1(TC_FIN_WAIT_1, TC_CLOSING)},
	{"ACK of the FIN", OP_SEND, SEG_ACK, 2, 2, .diag = TC_TIME_WAIT, T1(TC_CLOSING, TC_CLOSED)},
	{.op = OP_END},
};

static const struct step fin_ack_in_fin_wait_1[] = {
	{"close", OP_CLOSE, .want_flags = SEG_FIN | SEG_ACK, .want_seq = 1, .want_ack = 1, .diag = TC_FIN_WAIT_1,
	 T1(TC_ESTABLISHED, TC_FIN_WAIT_1)},
	/* The ACK is processed before the FIN: FIN-WAIT-2 shows on the way. */
	{"FIN+ACK of the FIN", OP_SEND, SEG_FIN | SEG_ACK, 1, 2, SEG_ACK, 2, 2, .diag = TC_TIME_WAIT,
	 T2(TC_FIN_WAIT_1, TC_FIN_WAIT_2, TC_CLOSED)},
	{.op = OP_END},
};

static const struct step rst_in_established[] = {
	{"RST", OP_SEND, SEG_RST, 1, 0, .diag = TC_CLOSED, T1(TC_ESTABLISHED, TC_CLOSED)},
	{.op = OP_END},
};

static const struct step rst_in_syn_received[] = {
	{"listen", OP_LISTEN, .diag = TC_LISTEN},
	{"SYN", OP_SEND, SEG_SYN, 0, 0, SEG_SYN | SEG_ACK, 0, 1, .diag = TC_SYN_RECEIVED},
	/* The request sock goes as silently as it came. */
	{"RST", OP_SEND, SEG_RST, 1, 0, .diag = TC_LISTEN},
	{.op = OP_END},
};

static void check_u(const char *step, const char *field, unsigned long long want, unsigned long long got)
{
	if (want != got)
		fail_msg("%s: %s expected %llu (0x%llx), got %llu (0x%llx)", step, field, want, want, got, got);
}

static void check_state(const char *what, enum tc_state want, enum tc_state got)
{
	if (want != got)
		fail_msg("%s: expected %s, got %s", what, tc_state_name(want), tc_state_name(got));
}

static void send_seg(struct fx *fx, const struct step *st)
{
	struct tc_err err = {0};
	struct tc_seg s;

	memset(&s, 0, sizeof(s));
	s.src = *peer_addr(fx);
	s.dst = *local_addr(fx);
	s.sport = fx->peer_port;
	s.dport = fx->port;
	s.seq = ISS + st->seq;
	s.ack = (st->flags & SEG_ACK) ? fx->tiss + st->ack : 0;
	s.flags = st->flags;
	s.win = 65535;
	if (st->flags & SEG_SYN) {
		struct seg_opt mss = {.kind = SEG_OPT_MSS, .u.mss = 1400};

		seg_add_opt(&s, &mss);
	}
	ok(wire_inject(fx->w, &s, &err), &err, st->what);
}

static void expect_seg(struct fx *fx, const struct step *st)
{
	struct tc_err err = {0};
	char fl[16], line[512];
	struct tc_seg got;
	int rc;

	rc = wire_capture(fx->w, wire_now_us() + SEC, &got, NULL, &err);
	ok(rc, &err, "wire_capture");
	if (rc == 0)
		fail_msg("%s: no %s from the target within 1 s", st->what,
			 seg_flags_format(st->want_flags, fl, sizeof(fl)));
	seg_format(&got, line, sizeof(line));
	if (got.flags != st->want_flags)
		fail_msg("%s: expected flags %s, got %s", st->what, seg_flags_format(st->want_flags, fl, sizeof(fl)),
			 line);
	if (got.flags & SEG_SYN)
		fx->tiss = got.seq;
	check_u(st->what, "seq", fx->tiss + st->want_seq, got.seq);
	if (got.flags & SEG_ACK)
		check_u(st->what, "ack", ISS + st->want_ack, got.ack);
}

static void do_op(struct fx *fx, const struct step *st)
{
	struct sockaddr_storage ss;
	socklen_t len;

	switch (st->op) {
	case OP_LISTEN:
		fx->lfd = bound_socket(fx, fx->port, 0);
		assert_int_equal(listen(fx->lfd, 8), 0);
		return;
	case OP_ACCEPT:
		fx->cfd = accept4(fx->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fx->cfd < 0)
			fail_msg("%s: %s", st->what, strerror(errno));
		return;
	case OP_CLOSE_LISTENER:
		close(fx->lfd);
		fx->lfd = -1;
		return;
	case OP_CONNECT:
		fx->cfd = bound_socket(fx, fx->port, SOCK_NONBLOCK);
		len = sockaddr_of(fx->family, peer_addr(fx), fx->peer_port, &ss);
		if (connect(fx->cfd, (struct sockaddr *)&ss, len) == 0 || errno != EINPROGRESS)
			fail_msg("%s: expected EINPROGRESS, got %s", st->what, strerror(errno));
		return;
	case OP_CLOSE:
		close(fx->cfd);
		fx->cfd = -1;
		return;
	case OP_SHUT_WR:
		assert_int_equal(shutdown(fx->cfd, SHUT_WR), 0);
		return;
	case OP_SEND:
		send_seg(fx, st);
		return;
	case OP_END:
		return;
	}
}

static enum tc_state diag_now(struct fx *fx, const char *what)
{
	struct tc_err err = {0};
	enum tc_state s;

	ok(linux_diag_state(fx->d, fx->family, local_addr(fx), fx->port, peer_addr(fx), fx->peer_port, &s, &err),
	   &err, what);
	return s;
}

/* The state, read first at once (counted in fx->diag_at_once), then until it
 * shows or SETTLE_US has passed. */
static void check_diag(struct fx *fx, const struct step *st)
{
	uint64_t t0 = wire_now_us();
	enum tc_state s = diag_now(fx, st->what);

	fx->diag_steps++;
	if (s == st->diag)
		fx->diag_at_once++;
	while (s != st->diag && wire_now_us() - t0 < SETTLE_US)
		s = diag_now(fx, st->what);
	if (s != st->diag)
		fail_msg("%s: sock_diag expected %s, got %s", st->what, tc_state_name(st->diag), tc_state_name(s));
}

static void trace_into(struct fx *fx, struct tc_transitions *got, const char *what)
{
	struct tc_err err = {0};

	ok(linux_trace_read(fx->t, fx->family, local_addr(fx), fx->port, peer_addr(fx), fx->peer_port, got, &err),
	   &err, what);
}

static void format_transitions(const struct tc_transitions *tr, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < tr->n && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s -> %s", i ? ", " : "", tc_state_name(tr->from[i]),
				      tc_state_name(tr->to[i]));
	if (tr->n == 0)
		snprintf(buf, cap, "none");
}

/* Exactly the step's transitions: waited for up to SETTLE_US, and no more
 * after a quiet moment. */
static void check_trace(struct fx *fx, const struct step *st)
{
	struct tc_transitions got = {0};
	uint64_t t0 = wire_now_us();
	char a[256], b[256];
	bool same = true;

	trace_into(fx, &got, st->what);
	if (st->ntrans > 0) {
		fx->trace_steps++;
		fx->trace_at_once += got.n >= st->ntrans;
	}
	while (got.n < st->ntrans && wire_now_us() - t0 < SETTLE_US) {
		usleep(MS);
		trace_into(fx, &got, st->what);
	}
	usleep(QUIET_US);
	trace_into(fx, &got, st->what);
	for (int i = 0; same && i < got.n && i < st->ntrans; i++)
		same = got.from[i] == st->from[i] && got.to[i] == st->to[i];
	if (!same || got.n != st->ntrans) {
		struct tc_transitions want = {.n = st->ntrans};

		for (int i = 0; i < st->ntrans; i++) {
			want.from[i] = st->from[i];
			want.to[i] = st->to[i];
		}
		format_transitions(&want, a, sizeof(a));
		format_transitions(&got, b, sizeof(b));
		fail_msg("%s: tracepoint expected %s, got %s", st->what, a, b);
	}
}

static void run(struct fx *fx, const struct step *steps)
{
	for (const struct step *st = steps; st->op != OP_END; st++) {
		do_op(fx, st);
		check_diag(fx, st);
		if (st->want_flags)
			expect_seg(fx, st);
		check_trace(fx, st);
	}
}

/* ---- the scenarios ---- */

static void test_passive_open_v4(void **state)
{
	struct fx *fx = pair_fx(state, 1, 4, 40001);

	run(fx, passive_open);
}

static void test_passive_open_v6(void **state)
{
	struct fx *fx = pair_fx(state, 2, 6, 40002);

	run(fx, passive_open);
}

static void test_active_open(void **state)
{
	struct fx *fx = pair_fx(state, 3, 4, 40003);

	run(fx, active_open);
}

static void test_active_close_to_time_wait(void **state)
{
	struct fx *fx = pair_fx(state, 4, 4, 40004);

	run(fx, passive_open);
	run(fx, drop_listener);
	run(fx, active_close);
	run(fx, fin_in_fin_wait_2);
}

static void test_active_close_to_time_wait_v6(void **state)
{
	struct fx *fx = pair_fx(state, 5, 6, 40005);

	run(fx, passive_open);
	run(fx, drop_listener);
	run(fx, active_close);
	run(fx, fin_in_fin_wait_2);
}

/* An orphaned FIN-WAIT-2 lasts tcp_fin_timeout, then the timewait entry
 * goes without an event: only sock_diag sees the connection end. */
static void test_fin_wait_2_timeout_is_silent(void **state)
{
	struct fx *fx = pair_fx(state, 15, 4, 40015);
	struct tc_err err = {0};
	uint64_t t0;
	enum tc_state s;

	/* The floor is 3.5 RTO (tcp_fin_time), about 0.7 s here. */
	ok(netns_sysctl_set(fx->p.target.ns_fd, "net.ipv4.tcp_fin_timeout", "1", &err), &err, "tcp_fin_timeout");
	run(fx, passive_open);
	run(fx, drop_listener);
	run(fx, active_close);
	t0 = wire_now_us();
	do {
		usleep(10 * MS);
		s = diag_now(fx, "FIN-WAIT-2 timeout");
	} while (s == TC_FIN_WAIT_2 && wire_now_us() - t0 < 3 * SEC);
	check_state("3 s after FIN-WAIT-2 with tcp_fin_timeout 1", TC_CLOSED, s);
	print_message("the FIN-WAIT-2 timewait entry went after %llu ms\n",
		      (unsigned long long)((wire_now_us() - t0) / MS));
	check_trace(fx, &(struct step){.what = "FIN-WAIT-2 timeout"});
}

static void test_active_close_socket_kept(void **state)
{
	struct fx *fx = pair_fx(state, 6, 4, 40006);

	run(fx, passive_open);
	run(fx, drop_listener);
	run(fx, active_close_kept);
}

static void test_active_open_then_close(void **state)
{
	struct fx *fx = pair_fx(state, 7, 4, 40007);

	run(fx, active_open);
	run(fx, active_close);
	run(fx, fin_in_fin_wait_2);
}

static void test_passive_close_to_last_ack(void **state)
{
	struct fx *fx = pair_fx(state, 8, 4, 40008);

	run(fx, passive_open);
	run(fx, drop_listener);
	run(fx, passive_close);
}

static void test_simultaneous_close_closing(void **state)
{
	struct fx *fx = pair_fx(state, 9, 4, 40009);

	run(fx, passive_open);
	run(fx, drop_listener);
	run(fx, simultaneous_close);
}

static void test_fin_ack_in_fin_wait_1(void **state)
{
	struct fx *fx = pair_fx(state, 10, 4, 40010);

	run(fx, passive_open);
	run(fx, drop_listener);
	run(fx, fin_ack_in_fin_wait_1);
}

static void test_rst_in_established(void **state)
{
	struct fx *fx = pair_fx(state, 11, 4, 40011);

	run(fx, passive_open);
	run(fx, drop_listener);
	run(fx, rst_in_established);
}

static void test_rst_in_syn_received(void **state)
{
	struct fx *fx = pair_fx(state, 12, 4, 40012);

	run(fx, rst_in_syn_received);
}

/* A connection the kernel makes with itself inside the target namespace
 * (client and listener on the target address, over lo): transitions on
 * port with no wire traffic. Returns the client's port; the listener and
 * the client are left in fx->lfd and *client. */
static uint16_t self_connection(struct fx *fx, uint16_t port, int *client)
{
	struct sockaddr_storage ss;
	socklen_t len;

	fx->lfd = bound_socket(fx, port, 0);
	assert_int_equal(listen(fx->lfd, 8), 0);
	*client = bound_socket(fx, 0, 0);
	len = sockaddr_of(fx->family, local_addr(fx), port, &ss);
	if (connect(*client, (struct sockaddr *)&ss, len) < 0)
		fail_msg("connect to port %u over lo: %s", port, strerror(errno));
	len = sizeof(ss);
	assert_int_equal(getsockname(*client, (struct sockaddr *)&ss, &len), 0);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Events of another port never reach the instance, and those of another
 * connection on our port are not reported as ours. */
static void test_other_connections_not_reported(void **state)
{
	struct fx *fx = pair_fx(state, 13, 4, 40013);
	struct tc_transitions got = {0};
	struct tc_err err = {0};
	uint16_t other = (uint16_t)(fx->port + 1), cport;
	int client = -1;

	fx->t2 = linux_trace_open(fx->reg, other, &err);
	if (!fx->t2)
		fail_msg("linux_trace_open: %s", err.msg);
	cport = self_connection(fx, other, &client);
	usleep(QUIET_US);
	/* The other port's reader saw that connection open... */
	ok(linux_trace_read(fx->t2, 4, local_addr(fx), other, local_addr(fx), cport, &got, &err), &err,
	   "linux_trace_read of the other port");
	if (got.n < 1)
		fail_msg("the reader of port %u saw no transition of its own connection", other);
	close(client);
	close(fx->lfd);
	fx->lfd = -1;
	/* ...and ours nothing of it. */
	check_trace(fx, &(struct step){.what = "a connection on another port"});

	/* Another connection on our port: only the peer tells it apart. */
	self_connection(fx, fx->port, &client);
	check_trace(fx, &(struct step){.what = "another connection on our port"});
	close(client);
	/* The same reader still reports ours. */
	run(fx, (const struct step[]){
			{"SYN", OP_SEND, SEG_SYN, 0, 0, SEG_SYN | SEG_ACK, 0, 1, .diag = TC_SYN_RECEIVED},
			{"ACK of the SYN-ACK", OP_SEND, SEG_ACK, 1, 1, .diag = TC_ESTABLISHED,
			 T2(TC_LISTEN, TC_SYN_RECEIVED, TC_ESTABLISHED)},
			{.op = OP_END},
		});
}

/* sock_diag tells the 4-tuple apart too, and answers CLOSED for nothing. */
static void test_diag_other_tuples(void **state)
{
	struct fx *fx = pair_fx(state, 14, 4, 40014);
	struct tc_err err = {0};
	enum tc_state s;

	run(fx, passive_open);
	ok(linux_diag_state(fx->d, 4, local_addr(fx), fx->port, peer_addr(fx), 40099, &s, &err), &err, "diag");
	check_state("another peer port", TC_LISTEN, s);
	ok(linux_diag_state(fx->d, 4, local_addr(fx), (uint16_t)(fx->port + 1), peer_addr(fx), fx->peer_port, &s,
			    &err),
	   &err, "diag");
	check_state("another port", TC_CLOSED, s);
	ok(linux_diag_state(fx->d, 6, &fx->p.target.addr6, fx->port, &fx->p.harness.addr6, fx->peer_port, &s, &err),
	   &err, "diag");
	check_state("IPv6 to an IPv4 listener's port", TC_CLOSED, s);
	assert_int_equal(linux_diag_state(fx->d, 5, local_addr(fx), fx->port, peer_addr(fx), fx->peer_port, &s, &err),
			 -1);
	check_u("family 5", "error", TC_ERR_USAGE, err.code);
}

/* ---- the kernel-side filter ---- */

/* A TCP socket of the target namespace, af AF_INET or AF_INET6, bound to
 * addr:port (NULL: the wildcard); v6only as given for AF_INET6. */
static int ns_socket_at(struct fx *fx, int af, const struct seg_addr *addr, uint16_t port, int v6only)
{
	struct tc_err err = {0};
	struct sockaddr_storage ss;
	struct seg_addr any;
	socklen_t len;
	int one = 1, fd;

	memset(&any, 0, sizeof(any));
	any.family = af == AF_INET ? 4 : 6;
	len = sockaddr_of(any.family, addr ? addr : &any, port, &ss);
	fd = netns_socket(fx->p.target.ns_fd, af, SOCK_STREAM | SOCK_CLOEXEC, 0, &err);
	ok(fd, &err, "socket in the target namespace");
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (af == AF_INET6)
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)), 0);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;

		close(fd);
		fail_msg("bind port %u: %s", port, strerror(e));
	}
	return fd;
}

/* Connects fd to addr:port in the namespace (over lo) and returns the
 * listener's accepted end. */
static int lo_connect(int fd, int family, const struct seg_addr *addr, uint16_t port, int listener)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(family, addr, port, &ss);
	int a;

	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		fail_msg("connect to port %u over lo: %s", port, strerror(errno));
	a = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		fail_msg("accept on port %u: %s", port, strerror(errno));
	return a;
}

/* The state of local:port <-> peer:peer_port and how many sockets the
 * kernel let through its filter for that read. */
static void check_filtered(struct fx *fx, const char *what, int family, const struct seg_addr *local, uint16_t port,
			   const struct seg_addr *peer, uint16_t peer_port, enum tc_state want, unsigned want_dumped)
{
	struct tc_err err = {0};
	enum tc_state s;

	ok(linux_diag_state(fx->d, family, local, port, peer, peer_port, &s, &err), &err, what);
	check_state(what, want, s);
	check_u(what, "sockets dumped", want_dumped, linux_diag_last_dumped(fx->d));
}

/* A passive open among a crowd of sockets on other ports and one other
 * connection on the case's own port: each read returns only the listener
 * and the case's connection, and the state is the case's. */
static void diag_filter_crowd(void **state, unsigned worker, int family, uint16_t peer_port)
{
	struct fx *fx = pair_fx(state, worker, family, peer_port);
	const struct seg_addr *local = local_addr(fx);
	const struct step listen_step[] = {passive_open[0], {.op = OP_END}};
	const uint16_t other = (uint16_t)(fx->port + 9), client = (uint16_t)(fx->port + 10),
		       client2 = (uint16_t)(fx->port + 11);
	int fds[16], n = 0, l;

	for (uint16_t i = 1; i <= 8; i++) {
		fds[n] = bound_socket(fx, (uint16_t)(fx->port + i), 0);
		assert_int_equal(listen(fds[n++], 8), 0);
	}
	/* A connection over lo between two other ports: three sockets. */
	l = fds[n++] = bound_socket(fx, other, 0);
	assert_int_equal(listen(l, 8), 0);
	fds[n] = bound_socket(fx, client2, 0);
	fds[n + 1] = lo_connect(fds[n], family, local, other, l);
	n += 2;
	check_filtered(fx, "nothing on the port yet", family, local, fx->port, peer_addr(fx), fx->peer_port, TC_CLOSED,
		       0);

	run(fx, listen_step);
	check_filtered(fx, "the listener alone", family, local, fx->port, peer_addr(fx), fx->peer_port, TC_LISTEN, 1);
	/* Same source port, another far end: the accepted end is filtered out
	 * of the case's reads but found by a read of its own. */
	fds[n] = bound_socket(fx, client, 0);
	fds[n + 1] = lo_connect(fds[n], family, local, fx->port, fx->lfd);
	n += 2;
	check_filtered(fx, "another connection on the port", family, local, fx->port, peer_addr(fx), fx->peer_port,
		       TC_LISTEN, 1);
	check_filtered(fx, "that connection's own read", family, local, fx->port, local, client, TC_ESTABLISHED, 2);
	check_filtered(fx, "its client end", family, local, client, local, fx->port, TC_ESTABLISHED, 1);

	run(fx, passive_open + 1);
	/* The listener and the case's connection, nothing else. */
	check_filtered(fx, "after the passive open", family, local, fx->port, peer_addr(fx), fx->peer_port,
		       TC_ESTABLISHED, 2);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void test_diag_filter_crowd_v4(void **state)
{
	diag_filter_crowd(state, 16, 4, 40016);
}

static void test_diag_filter_crowd_v6(void **state)
{
	diag_filter_crowd(state, 17, 6, 40017);
}

/* The one filtered request covers both address families: an IPv4 read
 * finds a dual-stack IPv6 listener and the IPv4 connection it accepted
 * (::ffff:a.b.c.d in the kernel), and a v6only listener serves IPv6 only. */
static void test_diag_filter_dual_stack(void **state)
{
	struct fx *fx = pair_fx(state, 18, 4, 40018);
	const struct seg_addr *a4 = &fx->p.target.addr4, *a6 = &fx->p.target.addr6;
	const uint16_t v6only_port = (uint16_t)(fx->port + 1), client = (uint16_t)(fx->port + 10);
	int l, l6, c = -1, a = -1;

	l = ns_socket_at(fx, AF_INET6, NULL, fx->port, 0);
	assert_int_equal(listen(l, 8), 0);
	l6 = ns_socket_at(fx, AF_INET6, NULL, v6only_port, 1);
	assert_int_equal(listen(l6, 8), 0);
	check_filtered(fx, "IPv4 read of a dual-stack listener", 4, a4, fx->port, peer_addr(fx), fx->peer_port,
		       TC_LISTEN, 1);
	check_filtered(fx, "IPv6 read of a dual-stack listener", 6, a6, fx->port, &fx->p.harness.addr6,
		       fx->peer_port, TC_LISTEN, 1);
	check_filtered(fx, "IPv4 read of a v6only listener", 4, a4, v6only_port, peer_addr(fx), fx->peer_port,
		       TC_CLOSED, 1);
	check_filtered(fx, "IPv6 read of a v6only listener", 6, a6, v6only_port, &fx->p.harness.addr6,
		       fx->peer_port, TC_LISTEN, 1);

	c = ns_socket_at(fx, AF_INET, a4, client, 0);
	a = lo_connect(c, 4, a4, fx->port, l);
	check_filtered(fx, "the accepted IPv4 connection of the dual-stack socket", 4, a4, fx->port, a4, client,
		       TC_ESTABLISHED, 2);
	check_filtered(fx, "its IPv4 client", 4, a4, client, a4, fx->port, TC_ESTABLISHED, 1);
	check_filtered(fx, "the same ports asked as IPv6", 6, a6, fx->port, a6, client, TC_LISTEN, 1);
	close(a);
	close(c);
	close(l6);
	close(l);
}

/* ---- instances ---- */

static bool tracefs_at(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == 0x74726163ul;
}

/* Instances whose name starts with prefix, seen through tracefs even when
 * nobody has it mounted (instances live in the kernel, not in a mount):
 * then it is mounted for the count on a directory of our own. */
static int instances_named(const char *prefix)
{
	char tmp[] = "/tmp/tcpconform-tracefs-XXXXXX", path[96];
	const char *root = LINUX_TRACEFS;
	struct dirent *de;
	bool own = false;
	int n = 0;
	DIR *d;

	if (!tracefs_at(LINUX_TRACEFS)) {
		assert_non_null(mkdtemp(tmp));
		if (mount("tracefs", tmp, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			rmdir(tmp);
			fail_msg("mount tracefs on %s: %s", tmp, strerror(errno));
		}
		root = tmp;
		own = true;
	}
	snprintf(path, sizeof(path), "%s/instances", root);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	if (d)
		closedir(d);
	if (own) {
		umount(tmp);
		rmdir(tmp);
	}
	return n;
}

static int instances_of(long pid)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "tcpconform-%ld-", pid);
	return instances_named(prefix);
}

/* The one instance of this process (fails unless there is exactly one). */
static void our_instance(char *buf, size_t cap)
{
	char prefix[64];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(LINUX_TRACEFS "/instances");

	assert_non_null(d);
	snprintf(prefix, sizeof(prefix), "tcpconform-%ld-", (long)getpid());
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && n++ == 0)
			snprintf(buf, cap, "%s/instances/%s", LINUX_TRACEFS, de->d_name);
	closedir(d);
	check_u("instances", "count", 1, (unsigned)n);
}

static void read_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		fail_msg("open %s: %s", path, strerror(errno));
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}

static void test_close_removes_instance(void **state)
{
	struct fx *fx = *state;
	struct tc_err err = {0};
	char dir[300], path[360], text[256], want[96];
	bool mounted_before;
	struct stat st;

	need_root_for("network namespaces, tracefs");
	mounted_before = tracefs_at(LINUX_TRACEFS);
	fx->t = linux_trace_open(fx->reg, test_port, &err);
	if (!fx->t)
		fail_msg("linux_trace_open: %s", err.msg);
	our_instance(dir, sizeof(dir));
	/* Only our event, with our filter. */
	snprintf(path, sizeof(path), "%s/events/sock/inet_sock_set_state/enable", dir);
	read_text(path, text, sizeof(text));
	assert_string_equal(text, "1");
	snprintf(path, sizeof(path), "%s/set_event", dir);
	read_text(path, text, sizeof(text));
	assert_string_equal(text, "sock:inet_sock_set_state");
	snprintf(path, sizeof(path), "%s/events/sock/inet_sock_set_state/filter", dir);
	read_text(path, text, sizeof(text));
	snprintf(want, sizeof(want), "(sport == %u || dport == %u) && protocol == 6", test_port, test_port);
	assert_string_equal(text, want);

	linux_trace_close(fx->t);
	fx->t = NULL;
	assert_int_equal(stat(dir, &st), -1);
	check_u("instances after close", "count", 0, (unsigned)instances_of(getpid()));
	/* What open mounted, close unmounted, unless another process (another
	 * run of these tests) is using the mount now. */
	if (!instances_named("tcpconform-"))
		check_u("tracefs mounted", "after close", mounted_before, tracefs_at(LINUX_TRACEFS));
}

static pid_t reaped_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void test_remove_stale(void **state)
{
	struct fx *fx = *state;
	struct tc_err err = {0};
	struct stat st;
	pid_t dead;
	int n;

	need_root_for("network namespaces, tracefs");
	dead = reaped_pid();
	/* Ours keeps tracefs mounted for the test and must survive too. */
	fx->t = linux_trace_open(fx->reg, test_port, &err);
	if (!fx->t)
		fail_msg("linux_trace_open: %s", err.msg);
	fx->child = fork();
	assert_true(fx->child >= 0);
	if (fx->child == 0) {
		for (;;)
			pause();
	}
	snprintf(fx->made[0], sizeof(fx->made[0]), LINUX_TRACEFS "/instances/tcpconform-%ld-0", (long)dead);
	snprintf(fx->made[1], sizeof(fx->made[1]), LINUX_TRACEFS "/instances/tcpconform-%ld-0", (long)fx->child);
	for (int i = 0; i < 2; i++)
		if (mkdir(fx->made[i], 0700) < 0)
			fail_msg("mkdir %s: %s", fx->made[i], strerror(errno));

	n = linux_trace_remove_stale(fx->reg, &err);
	ok(n, &err, "linux_trace_remove_stale");
	if (stat(fx->made[0], &st) == 0)
		fail_msg("%s (PID %ld, reaped) is still there", fx->made[0], (long)dead);
	/* Gone but not counted: only another process's remove_stale, running
	 * at the same moment, can have taken it. */
	if (n < 1)
		print_message("the dead PID's instance went, but not by this call (%d removed)\n", n);
	fx->made[0][0] = '\0';
	if (stat(fx->made[1], &st) < 0)
		fail_msg("%s (PID %ld, alive) was removed", fx->made[1], (long)fx->child);
	check_u("our own instances", "count", 1, (unsigned)instances_of(getpid()));
}

static void test_remove_all_signal_safe(void **state)
{
	struct fx *fx = *state;
	struct tc_transitions got = {0};
	struct tc_err err = {0};
	struct seg_addr a;

	need_root_for("network namespaces, tracefs");
	fx->t = linux_trace_open(fx->reg, test_port, &err);
	if (!fx->t)
		fail_msg("linux_trace_open: %s", err.msg);
	fx->t2 = linux_trace_open(fx->reg, (uint16_t)(test_port + 1), &err);
	if (!fx->t2)
		fail_msg("linux_trace_open: %s", err.msg);
	check_u("instances", "count", 2, (unsigned)instances_of(getpid()));
	linux_trace_remove_all_signal_safe(fx->reg);
	check_u("instances after removal", "count", 0, (unsigned)instances_of(getpid()));
	/* The objects are dead but still closed cleanly by teardown. */
	assert_int_equal(seg_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(linux_trace_read(fx->t, 4, &a, test_port, &a, 1, &got, &err), -1);
}

static void on_signal(int sig)
{
	linux_trace_remove_all_signal_safe(__atomic_load_n(&signal_reg, __ATOMIC_ACQUIRE));
	_exit(128 + sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_passive_open_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_open_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_close_to_time_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_close_to_time_wait_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_wait_2_timeout_is_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_close_socket_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_open_then_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_close_to_last_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_close_closing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_ack_in_fin_wait_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_in_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_in_syn_received, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_connections_not_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diag_other_tuples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_removes_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_all_signal_safe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diag_filter_crowd_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diag_filter_crowd_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diag_filter_dual_stack, setup, teardown),
	};
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	test_port = (uint16_t)(20000 + getpid() % 20000);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
