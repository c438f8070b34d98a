/* lib/netns: the shape of a pair, per-namespace sysctls, switching between
 * namespaces, and that a pair that fails half-way, or is destroyed twice,
 * leaves nothing behind. Needs root; without it every test is reported
 * skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../common/root_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns/netns.h"

static int setup(void **state)
{
	struct netns_pair *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	*state = p;
	return 0;
}

/* Destroy copes with a zeroed, a half-made and a destroyed pair alike. */
static int teardown(void **state)
{
	netns_pair_destroy(*state);
	free(*state);
	return 0;
}

static unsigned long inode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return (unsigned long)st.st_ino;
}

static unsigned long fd_inode(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (unsigned long)st.st_ino;
}

static unsigned long thread_ns(void) { return inode_of("/proc/thread-self/ns/net"); }

static void check_sysctl(int ns_fd, const char *name, const char *want)
{
	struct tc_err err = {0};
	char got[64];

	ok(netns_sysctl_get(ns_fd, name, got, sizeof(got), &err), &err, name);
	if (strcmp(got, want) != 0)
		fail_msg("%s expected \"%s\", got \"%s\"", name, want, got);
}

/* An interface name as the calling thread would see it inside ns_fd. */
static unsigned index_in(const struct netns_pair *p, int ns_fd, const char *ifname)
{
	struct tc_err err = {0};
	unsigned idx;

	ok(netns_enter(ns_fd, &err), &err, "netns_enter");
	idx = if_nametoindex(ifname);
	ok(netns_return(p, &err), &err, "netns_return");
	return idx;
}

static void create(struct netns_pair *p, unsigned worker)
{
	struct netns_pair_conf conf = {.worker = worker};
	struct tc_err err = {0};

	ok(netns_pair_create(p, &conf, &err), &err, "netns_pair_create");
}

/* ---- the pair ---- */

static void test_pair_shape(void **state)
{
	struct netns_pair *p = *state;
	static const char *const offloads[] = {"tx-tcp-segmentation", "tx-tcp6-segmentation", "tx-generic-segmentation",
					       "rx-gro", "tx-checksum-ip-generic"};
	static const uint8_t tmac[6] = {0x02, 't', 'c', 0, 5, 't'}, hmac[6] = {0x02, 't', 'c', 0, 5, 'h'};
	struct tc_err err = {0};
	char want[IFNAMSIZ], a[64];
	unsigned long before;

	need_root_for("network namespaces");
	before = thread_ns();
	create(p, 5);
	if (thread_ns() != before)
		fail_msg("netns_pair_create left the thread in another namespace");

	snprintf(want, sizeof(want), "tcv%dw5t", (int)(getpid() % 100000));
	assert_string_equal(p->target.ifname, want);
	snprintf(want, sizeof(want), "tcv%dw5h", (int)(getpid() % 100000));
	assert_string_equal(p->harness.ifname, want);
	assert_memory_equal(p->target.mac, tmac, 6);
	assert_memory_equal(p->harness.mac, hmac, 6);
	assert_string_equal(seg_addr_format(&p->target.addr4, a, sizeof(a)), "192.0.2.1");
	assert_string_equal(seg_addr_format(&p->target.addr6, a, sizeof(a)), "2001:db8::1");
	assert_string_equal(seg_addr_format(&p->harness.addr4, a, sizeof(a)), "192.0.2.2");
	assert_string_equal(seg_addr_format(&p->harness.addr6, a, sizeof(a)), "2001:db8::2");
	assert_string_equal(p->target.mount_path, "");

	/* Each end lives in its own namespace and nowhere else. */
	assert_int_equal(index_in(p, p->target.ns_fd, p->target.ifname), (unsigned)p->target.ifindex);
	assert_int_equal(index_in(p, p->harness.ns_fd, p->harness.ifname), (unsigned)p->harness.ifindex);
	assert_int_equal(index_in(p, p->target.ns_fd, p->harness.ifname), 0);
	assert_int_equal(index_in(p, p->harness.ns_fd, p->target.ifname), 0);
	assert_int_equal(if_nametoindex(p->target.ifname), 0);
	assert_int_equal(if_nametoindex(p->harness.ifname), 0);
	assert_true(index_in(p, p->target.ns_fd, "lo") > 0);

	for (size_t i = 0; i < sizeof(offloads) / sizeof(offloads[0]); i++) {
		int t = netns_feature_get(p->target.ns_fd, p->target.ifname, offloads[i], &err);
		int h = netns_feature_get(p->harness.ns_fd, p->harness.ifname, offloads[i], &err);

		ok(t, &err, offloads[i]);
		ok(h, &err, offloads[i]);
		if (t || h)
			fail_msg("%s still on (target %d, harness %d)", offloads[i], t, h);
	}
	assert_int_equal(netns_feature_get(p->target.ns_fd, p->target.ifname, "no-such-feature", &err), -1);
	assert_non_null(strstr(err.msg, "no-such-feature"));

	check_sysctl(p->harness.ns_fd, "net.ipv4.ip_forward", "0");
	check_sysctl(p->harness.ns_fd, "net.ipv4.conf.all.forwarding", "0");
	snprintf(a, sizeof(a), "net.ipv6.conf.%s.disable_ipv6", p->harness.ifname);
	check_sysctl(p->harness.ns_fd, a, "1");
	snprintf(a, sizeof(a), "net.ipv6.conf.%s.accept_dad", p->target.ifname);
	check_sysctl(p->target.ns_fd, a, "0");
}

static void test_enter_and_return(void **state)
{
	struct netns_pair *p = *state;
	struct tc_err err = {0};
	unsigned long orig;

	need_root_for("network namespaces");
	orig = thread_ns();
	create(p, 6);
	ok(netns_enter(p->target.ns_fd, &err), &err, "netns_enter target");
	assert_int_equal(thread_ns(), fd_inode(p->target.ns_fd));
	ok(netns_enter(p->harness.ns_fd, &err), &err, "netns_enter harness");
	assert_int_equal(thread_ns(), fd_inode(p->harness.ns_fd));
	ok(netns_return(p, &err), &err, "netns_return");
	assert_int_equal(thread_ns(), orig);
	assert_int_equal(netns_enter(-1, &err), -1);
	assert_int_equal(thread_ns(), orig);

	/* A socket made in a namespace stays there; the thread does not. */
	int fd = netns_socket(p->target.ns_fd, AF_INET, SOCK_DGRAM, 0, &err);
	ok(fd, &err, "netns_socket");
	assert_int_equal(thread_ns(), orig);
	close(fd);

	/* Destroy puts back a thread left inside. */
	ok(netns_enter(p->target.ns_fd, &err), &err, "netns_enter target");
	netns_pair_destroy(p);
	assert_int_equal(thread_ns(), orig);
}

/* ---- sysctls ---- */

static void test_sysctl(void **state)
{
	struct netns_pair *p = *state;
	struct tc_err err = {0};
	char host_before[64], host_after[64], harness[64];

	need_root_for("network namespaces");
	create(p, 7);
	ok(netns_sysctl_get(p->orig_fd, "net.ipv4.tcp_syn_retries", host_before, sizeof(host_before), &err), &err,
	   "read the original namespace");
	ok(netns_sysctl_get(p->harness.ns_fd, "net.ipv4.tcp_syn_retries", harness, sizeof(harness), &err), &err,
	   "read the harness namespace");

	ok(netns_sysctl_set(p->target.ns_fd, "net.ipv4.tcp_timestamps", "0", &err), &err, "set tcp_timestamps");
	check_sysctl(p->target.ns_fd, "net.ipv4.tcp_timestamps", "0");
	ok(netns_sysctl_set(p->target.ns_fd, "net.ipv4.tcp_timestamps", "1", &err), &err, "set tcp_timestamps");
	check_sysctl(p->target.ns_fd, "net.ipv4.tcp_timestamps", "1");
	/* The path form, for names holding a dot. */
	ok(netns_sysctl_set(p->target.ns_fd, "net/ipv4/tcp_syn_retries", "2", &err), &err, "set by path");
	check_sysctl(p->target.ns_fd, "net.ipv4.tcp_syn_retries", "2");
	/* Only the target changed. */
	check_sysctl(p->harness.ns_fd, "net.ipv4.tcp_syn_retries", harness);
	ok(netns_sysctl_get(p->orig_fd, "net.ipv4.tcp_syn_retries", host_after, sizeof(host_after), &err), &err,
	   "read the original namespace");
	assert_string_equal(host_before, host_after);

	/* Errors name the sysctl and the value. */
	assert_int_equal(netns_sysctl_set(p->target.ns_fd, "net.ipv4.no_such_sysctl", "1", &err), -1);
	assert_non_null(strstr(err.msg, "net.ipv4.no_such_sysctl = 1"));
	assert_int_equal(netns_sysctl_set(p->target.ns_fd, "net.ipv4.tcp_timestamps", "banana", &err), -1);
	assert_non_null(strstr(err.msg, "net.ipv4.tcp_timestamps = banana"));
	assert_int_equal(netns_sysctl_set(p->target.ns_fd, "net/../../etc/hostname", "x", &err), -1);
	assert_int_equal(err.code, TC_ERR_USAGE);
	check_sysctl(p->target.ns_fd, "net.ipv4.tcp_timestamps", "1");
}

/* ---- nothing left behind ---- */

struct snapshot {
	int fds;
	unsigned long ns;
	int mounts;
	bool run_netns;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

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

static struct snapshot snap(void)
{
	struct stat st;

	return (struct snapshot){
		.fds = count_fds(),
		.ns = thread_ns(),
		.mounts = our_mounts(),
		.run_netns = stat("/run/netns", &st) == 0,
	};
}

static void check_nothing_left(const struct netns_pair *p, const struct snapshot *before, unsigned worker)
{
	struct snapshot after = snap();
	char path[128];
	struct stat st;

	if (after.fds != before->fds)
		fail_msg("%d descriptors open before, %d after", before->fds, after.fds);
	if (after.ns != before->ns)
		fail_msg("the thread was left in another namespace");
	if (after.mounts != 0)
		fail_msg("%d namespace mounts left", after.mounts);
	if (after.run_netns != before->run_netns)
		fail_msg("/run/netns %s", after.run_netns ? "left behind" : "removed");
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/run/netns/tcpconform-%d-%u-%s", (int)getpid(), worker,
			 i ? "harness" : "target");
		if (stat(path, &st) == 0)
			fail_msg("%s left behind", path);
	}
	assert_int_equal(p->held, 0);
	assert_int_equal(p->orig_fd, -1);
	assert_int_equal(p->target.ns_fd, -1);
	assert_int_equal(p->harness.ns_fd, -1);
}

/* The namespaces and their names exist when the interface name turns out
 * too long; all of it goes again. A ten-digit worker makes "tcv<pid>w<worker>t"
 * at least 16 bytes whatever the pid: a seven-digit one was too long only
 * for a pid of four digits or more, and a CI container's pids are small. */
static void test_half_made_name_too_long(void **state)
{
	struct netns_pair *p = *state;
	struct netns_pair_conf conf = {.worker = 4000000000u, .keep = true};
	struct tc_err err = {0};
	struct snapshot before;

	need_root_for("network namespaces");
	before = snap();
	assert_int_equal(netns_pair_create(p, &conf, &err), -1);
	print_message("refused: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "IFNAMSIZ"));
	check_nothing_left(p, &before, conf.worker);
}

/* The kernel refuses the veth ('/' is not allowed in a name) after the
 * namespaces, mounts and netlink sockets are made. */
static void test_half_made_kernel_refuses(void **state)
{
	struct netns_pair *p = *state;
	struct netns_pair_conf conf = {.worker = 3, .keep = true, .ifname_prefix = "tc/x"};
	struct tc_err err = {0};
	struct snapshot before;

	need_root_for("network namespaces");
	before = snap();
	assert_int_equal(netns_pair_create(p, &conf, &err), -1);
	print_message("refused: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "create veth tc/xw3h"));
	check_nothing_left(p, &before, conf.worker);
}

static void test_destroy_twice(void **state)
{
	struct netns_pair *p = *state;
	struct netns_pair_conf conf = {.worker = 4, .keep = true};
	struct tc_err err = {0};
	struct netns_pair zeroed;
	struct snapshot before;

	need_root_for("network namespaces");
	memset(&zeroed, 0, sizeof(zeroed));
	netns_pair_destroy(&zeroed);
	netns_pair_destroy(&zeroed);
	before = snap();
	ok(netns_pair_create(p, &conf, &err), &err, "netns_pair_create");
	assert_int_equal(our_mounts(), 2);
	netns_pair_destroy(p);
	check_nothing_left(p, &before, conf.worker);
	netns_pair_destroy(p);
	check_nothing_left(p, &before, conf.worker);
	/* The same names can be made again at once. */
	ok(netns_pair_create(p, &conf, &err), &err, "netns_pair_create again");
	netns_pair_destroy(p);
	check_nothing_left(p, &before, conf.worker);
}

/* A process killed outright takes its pair along: nothing but its
 * descriptors held the namespaces. */
static void test_sigkill_leaves_nothing(void **state)
{
	struct netns_pair *p = *state;
	unsigned long inos[2];
	int pfd[2], status;
	pid_t child;

	(void)p;
	need_root_for("network namespaces");
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct netns_pair cp;
		struct tc_err err = {0};
		struct netns_pair_conf conf = {.worker = 11};
		unsigned long mine[2] = {0, 0};
		struct stat st;

		/* No cmocka in the child: a failed assertion there would run the
		 * rest of the tests twice. */
		close(pfd[0]);
		if (netns_pair_create(&cp, &conf, &err) == 0) {
			if (fstat(cp.target.ns_fd, &st) == 0)
				mine[0] = (unsigned long)st.st_ino;
			if (fstat(cp.harness.ns_fd, &st) == 0)
				mine[1] = (unsigned long)st.st_ino;
		}
		if (write(pfd[1], mine, sizeof(mine)) != (ssize_t)sizeof(mine))
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], inos, sizeof(inos)) != (ssize_t)sizeof(inos))
		inos[0] = inos[1] = 0;
	close(pfd[0]);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	if (!inos[0] || !inos[1])
		fail_msg("the child could not create its pair");
	if (ns_held(inos[0], NS_HELD_BY_PROCESS | NS_HELD_BY_OUR_FD) || ns_held(inos[1], NS_HELD_BY_PROCESS | NS_HELD_BY_OUR_FD))
		fail_msg("a namespace of the killed process is still in use");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pair_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_and_return, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_made_name_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_made_kernel_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_leaves_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
