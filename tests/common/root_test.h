/* Helpers shared by the tests that need root and real network namespaces
 * (tests/netns, tests/wire, tests/target). Include after <cmocka.h>. */
#ifndef TC_TEST_ROOT_TEST_H
#define TC_TEST_ROOT_TEST_H

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err/tc_err.h"

/* What the root tests need is tried, once per process, in a forked child
 * that leaves nothing behind: root without CAP_SYS_ADMIN (a typical CI
 * container) cannot make namespaces, and a uid check would make those
 * tests fail instead of skip. Each probe returns "" when it worked, or why
 * not. */

/* Runs probe in a child and returns its reason, read from a pipe. */
static inline const char *root_test_try(void (*probe)(int fd), char *why, size_t cap)
{
	int pfd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	why[0] = '\0';
	if (pipe(pfd) < 0) {
		snprintf(why, cap, "pipe: %s", strerror(errno));
		return why;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, cap, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return why;
	}
	if (pid == 0) {
		close(pfd[0]);
		probe(pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], why + got, cap - 1 - (size_t)got)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			got += n;
	why[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!why[0] && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		snprintf(why, cap, "the probe process ended with wait status 0x%x", (unsigned)status);
	return why;
}

__attribute__((format(printf, 2, 3))) static inline void root_test_say(int fd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
		_exit(1);
}

/* A network namespace of our own, configured (lo up), with a packet
 * socket in it: what netns pairs, veths and the wire need. The namespace
 * goes with the child. */
static inline void root_test_probe_netns(int fd)
{
	struct ifreq ifr;
	int s;

	if (unshare(CLONE_NEWNET) < 0) {
		root_test_say(fd, "cannot create a network namespace: %s", strerror(errno));
		return;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
		root_test_say(fd, "cannot configure a network namespace (bring lo up): %s", strerror(errno));
		return;
	}
	close(s);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0) {
		root_test_say(fd, "cannot open a packet socket in a network namespace: %s", strerror(errno));
		return;
	}
	close(s);
}

#define ROOT_TEST_TRACEFS "/sys/kernel/tracing"

/* tracefs on ROOT_TEST_TRACEFS, mounted already or mountable (tried in a
 * private mount namespace, so no mount is left), and an instance made and
 * removed. The instance is named as the linux target names its own
 * (tcpconform-<pid>-<n>), so a probe killed halfway leaves one that the
 * target's stale sweep removes. */
static inline void root_test_probe_tracefs(int fd)
{
	char inst[128];
	struct statfs sf;

	if (statfs(ROOT_TEST_TRACEFS, &sf) < 0 || sf.f_type != 0x74726163) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			root_test_say(fd, "tracefs is not mounted on %s and no mount namespace can be made to try: %s",
				      ROOT_TEST_TRACEFS, strerror(errno));
			return;
		}
		if (mount("tcpconform", ROOT_TEST_TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			root_test_say(fd, "cannot mount tracefs on %s: %s", ROOT_TEST_TRACEFS, strerror(errno));
			return;
		}
	}
	snprintf(inst, sizeof(inst), ROOT_TEST_TRACEFS "/instances/tcpconform-%d-0", (int)getpid());
	if (mkdir(inst, 0700) < 0) {
		root_test_say(fd, "cannot make a tracefs instance in %s/instances: %s", ROOT_TEST_TRACEFS,
			      strerror(errno));
		return;
	}
	if (rmdir(inst) < 0)
		root_test_say(fd, "cannot remove the tracefs instance %s: %s", inst, strerror(errno));
}

/* Skips the calling test, saying why, when what it needs cannot be had:
 * network namespaces always, tracefs as well when what names it. Never a
 * silent pass. */
static inline void need_root_for(const char *what)
{
	static char netns_why[256], tracefs_why[256];
	static bool netns_tried, tracefs_tried;

	if (!netns_tried) {
		root_test_try(root_test_probe_netns, netns_why, sizeof(netns_why));
		netns_tried = true;
	}
	if (netns_why[0]) {
		print_message("SKIP: %s (needed for %s)\n", netns_why, what);
		skip();
	}
	if (!strstr(what, "tracefs"))
		return;
	if (!tracefs_tried) {
		root_test_try(root_test_probe_tracefs, tracefs_why, sizeof(tracefs_why));
		tracefs_tried = true;
	}
	if (tracefs_why[0]) {
		print_message("SKIP: %s (needed for %s)\n", tracefs_why, what);
		skip();
	}
}

static inline void ok(int rc, const struct tc_err *err, const char *what)
{
	if (rc < 0)
		fail_msg("%s: %s", what, err->msg);
}

static inline unsigned long ns_inode(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (unsigned long)st.st_ino;
}

enum ns_holder {
	NS_HELD_BY_PROCESS = 1, /* some process runs in it */
	NS_HELD_BY_OUR_FD = 2, /* one of this process's descriptors refers to it */
};

/* Whether the namespace with this inode is held in one of the ways asked. */
static inline bool ns_held(unsigned long ino, unsigned holders)
{
	char want[64], path[300], link[128];
	bool used = false;

	snprintf(want, sizeof(want), "net:[%lu]", ino);
	for (int i = 0; i < 2 && !used; i++) {
		bool procs = i == 0;
		DIR *d;
		struct dirent *de;

		if (!(holders & (procs ? NS_HELD_BY_PROCESS : NS_HELD_BY_OUR_FD)))
			continue;
		d = opendir(procs ? "/proc" : "/proc/self/fd");
		assert_non_null(d);
		while (!used && (de = readdir(d))) {
			ssize_t n;

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), procs ? "/proc/%s/ns/net" : "/proc/self/fd/%s", de->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				used = strcmp(link, want) == 0;
			}
		}
		closedir(d);
	}
	return used;
}

#endif
