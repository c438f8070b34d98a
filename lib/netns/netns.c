/* Namespaces held by descriptors, the /run/netns names of a kept pair,
 * switching between namespaces, and per-namespace sysctls. */
#include "netns_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SELF_NS "/proc/thread-self/ns/net"
#define RUN_NETNS "/run/netns"

int netns_save(struct tc_err *err)
{
	int fd = open(SELF_NS, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "open %s: %s", SELF_NS, strerror(errno));
	return fd;
}

int netns_restore(int saved, struct tc_err *err)
{
	int rc = setns(saved, CLONE_NEWNET);
	int e = errno;

	close(saved);
	if (rc < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "cannot return to the previous network namespace: %s",
				  strerror(e));
	return 0;
}

int netns_enter(int ns_fd, struct tc_err *err)
{
	if (setns(ns_fd, CLONE_NEWNET) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "setns(fd %d, CLONE_NEWNET): %s", ns_fd, strerror(errno));
	return 0;
}

int netns_return(const struct netns_pair *p, struct tc_err *err)
{
	if (!(p->held & NETNS_HELD_ORIG))
		return tc_err_set(err, TC_ERR_SYSTEM, "network namespace pair not created: nowhere to return to");
	if (setns(p->orig_fd, CLONE_NEWNET) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "cannot return to the original network namespace: %s",
				  strerror(errno));
	return 0;
}

int netns_socket(int ns_fd, int domain, int type, int protocol, struct tc_err *err)
{
	int saved, fd, e;

	saved = netns_save(err);
	if (saved < 0)
		return -1;
	if (netns_enter(ns_fd, err) < 0) {
		close(saved);
		return -1;
	}
	fd = socket(domain, type, protocol);
	e = errno;
	if (netns_restore(saved, err) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "socket(%d, %d, %d) in namespace: %s", domain, type, protocol,
				  strerror(e));
	return fd;
}

/* ---- sysctl ---- */

static int sysctl_path(const char *name, char *path, size_t cap, struct tc_err *err)
{
	int n;

	/* A name is a path below /proc/sys, never a way out of it. */
	if (name[0] == '\0' || name[0] == '/' || name[0] == '.' || strstr(name, ".."))
		return tc_err_set(err, TC_ERR_USAGE, "sysctl name \"%s\" is not valid", name);
	n = snprintf(path, cap, "/proc/sys/%s", name);
	if (n < 0 || (size_t)n >= cap)
		return tc_err_set(err, TC_ERR_USAGE, "sysctl name \"%s\" is too long", name);
	if (!strchr(name, '/'))
		for (char *c = path + strlen("/proc/sys/"); *c; c++)
			if (*c == '.')
				*c = '/';
	return 0;
}

/* Opens path inside ns_fd: /proc/sys/net shows the namespace of the thread
 * that opens it, and the open file keeps showing that one. *fd_out is the
 * result of open(), with errno kept for the caller's message. */
static int sysctl_open_in(int ns_fd, const char *path, int flags, int *fd_out, struct tc_err *err)
{
	int saved, fd, e;

	saved = netns_save(err);
	if (saved < 0)
		return -1;
	if (netns_enter(ns_fd, err) < 0) {
		close(saved);
		return -1;
	}
	fd = open(path, flags | O_CLOEXEC);
	e = errno;
	if (netns_restore(saved, err) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	errno = e;
	*fd_out = fd;
	return 0;
}

int netns_sysctl_set(int ns_fd, const char *name, const char *value, struct tc_err *err)
{
	char path[256];
	size_t len = strlen(value);
	ssize_t n;
	int fd, e;

	if (sysctl_path(name, path, sizeof(path), err) < 0)
		return -1;
	if (sysctl_open_in(ns_fd, path, O_WRONLY, &fd, err) < 0)
		return -1;
	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "sysctl %s = %s: open %s: %s", name, value, path,
				  strerror(errno));
	n = write(fd, value, len);
	e = errno;
	close(fd);
	if (n < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "sysctl %s = %s: write %s: %s", name, value, path, strerror(e));
	if ((size_t)n != len)
		return tc_err_set(err, TC_ERR_SYSTEM, "sysctl %s = %s: wrote %zd of %zu bytes", name, value, n, len);
	return 0;
}

int netns_sysctl_get(int ns_fd, const char *name, char *buf, size_t cap, struct tc_err *err)
{
	char path[256];
	ssize_t n;
	int fd, e;

	if (cap == 0)
		return tc_err_set(err, TC_ERR_USAGE, "sysctl %s: no room for the value", name);
	if (sysctl_path(name, path, sizeof(path), err) < 0)
		return -1;
	if (sysctl_open_in(ns_fd, path, O_RDONLY, &fd, err) < 0)
		return -1;
	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "sysctl %s: open %s: %s", name, path, strerror(errno));
	n = read(fd, buf, cap - 1);
	e = errno;
	close(fd);
	if (n < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "sysctl %s: read %s: %s", name, path, strerror(e));
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/* ---- namespaces ---- */

/* A new namespace for the calling thread, kept as an fd, and the thread
 * put back where it was. */
static int make_ns(int orig_fd, int *out, struct tc_err *err)
{
	int fd, e;

	if (unshare(CLONE_NEWNET) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "unshare(CLONE_NEWNET): %s (needs CAP_SYS_ADMIN)",
				  strerror(errno));
	fd = open(SELF_NS, O_RDONLY | O_CLOEXEC);
	e = errno;
	if (setns(orig_fd, CLONE_NEWNET) < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return tc_err_set(err, TC_ERR_SYSTEM,
				  "cannot return to the original network namespace after making one: %s",
				  strerror(e));
	}
	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "open %s in the new namespace: %s", SELF_NS, strerror(e));
	*out = fd;
	return 0;
}

/* The empty file a namespace is bind-mounted on. Another pair's destroy may
 * remove an empty /run/netns between our mkdir and open, hence the retry. */
static int make_mount_point(struct netns_pair *p, const char *path, struct tc_err *err)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd;

		if (mkdir(RUN_NETNS, 0755) == 0)
			p->held |= NETNS_HELD_RUNDIR;
		else if (errno != EEXIST)
			return tc_err_set(err, TC_ERR_SYSTEM, "mkdir %s: %s", RUN_NETNS, strerror(errno));
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno == EEXIST)
			return tc_err_set(err, TC_ERR_SYSTEM,
					  "%s exists: left by an earlier run with the same pid? (umount and rm it)",
					  path);
		if (errno != ENOENT)
			return tc_err_set(err, TC_ERR_SYSTEM, "create %s: %s", path, strerror(errno));
	}
	return tc_err_set(err, TC_ERR_SYSTEM, "create %s: %s keeps disappearing", path, RUN_NETNS);
}

static int keep_ns(struct netns_pair *p, struct netns_end *e, const char *role, unsigned worker, unsigned bit,
		   struct tc_err *err)
{
	char src[64];

	snprintf(e->mount_path, sizeof(e->mount_path), RUN_NETNS "/tcpconform-%d-%u-%s", (int)getpid(), worker,
		 role);
	if (make_mount_point(p, e->mount_path, err) < 0) {
		e->mount_path[0] = '\0';
		return -1;
	}
	snprintf(src, sizeof(src), "/proc/self/fd/%d", e->ns_fd);
	if (mount(src, e->mount_path, NULL, MS_BIND, NULL) < 0) {
		int en = errno;

		unlink(e->mount_path);
		tc_err_set(err, TC_ERR_SYSTEM, "bind-mount the %s namespace on %s: %s", role, e->mount_path,
			   strerror(en));
		e->mount_path[0] = '\0';
		return -1;
	}
	p->held |= bit;
	return 0;
}

static void unkeep_ns(struct netns_pair *p, struct netns_end *e, unsigned bit)
{
	if (p->held & bit) {
		/* Detached, so a shell that entered with `ip netns exec` does not
		 * make this fail; the namespace lives on only while it is used. */
		umount2(e->mount_path, MNT_DETACH);
		unlink(e->mount_path);
		p->held &= ~bit;
	}
	e->mount_path[0] = '\0';
}

/* Async-signal-safe: only atomics, umount2 and unlink. held is cleared
 * bit by bit so destroy afterwards does not do it twice. */
void netns_pair_unname_signal_safe(struct netns_pair *p)
{
	static const unsigned bits[2] = {NETNS_HELD_MNT_TARGET, NETNS_HELD_MNT_HARNESS};
	struct netns_end *ends[2] = {&p->target, &p->harness};

	for (int i = 0; i < 2; i++) {
		unsigned held = __atomic_fetch_and(&p->held, ~bits[i], __ATOMIC_ACQ_REL);

		if (!(held & bits[i]))
			continue;
		umount2(ends[i]->mount_path, MNT_DETACH);
		unlink(ends[i]->mount_path);
	}
}

/* "tcpconform-<pid>-<worker>-target|harness": the pid, or -1. */
static long kept_name_pid(const char *name)
{
	static const char prefix[] = "tcpconform-";
	char *end;
	long pid;

	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	name += sizeof(prefix) - 1;
	if (*name < '0' || *name > '9')
		return -1;
	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno || pid <= 0 || *end != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	(void)strtoul(end + 1, &end, 10);
	if (strcmp(end, "-target") != 0 && strcmp(end, "-harness") != 0)
		return -1;
	return pid;
}

int netns_remove_stale(struct tc_err *err)
{
	char path[sizeof(RUN_NETNS) + 256 + 2];
	struct dirent *de;
	DIR *dir = opendir(RUN_NETNS);
	int removed = 0, failed = 0;

	if (!dir)
		return errno == ENOENT ? 0 : tc_err_set(err, TC_ERR_SYSTEM, "open %s: %s", RUN_NETNS, strerror(errno));
	while ((de = readdir(dir))) {
		long pid = kept_name_pid(de->d_name);

		if (pid < 0 || pid == (long)getpid())
			continue;
		/* EPERM means the process exists; only ESRCH says it is gone. */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", RUN_NETNS, de->d_name);
		umount2(path, MNT_DETACH);
		if (unlink(path) == 0)
			removed++;
		else if (errno != ENOENT && !failed++)
			tc_err_set(err, TC_ERR_SYSTEM, "remove the stale namespace name %s: %s", path, strerror(errno));
	}
	closedir(dir);
	return failed ? -1 : removed;
}

static int make_names(struct netns_pair *p, const struct netns_pair_conf *conf, struct tc_err *err)
{
	char prefix[32], name[64];
	const char *pre = conf->ifname_prefix;
	struct netns_end *ends[2] = {&p->target, &p->harness};
	const char roles[2] = {'t', 'h'};

	if (!pre) {
		/* pid_max may be 2^22: five digits keep room for the worker. */
		snprintf(prefix, sizeof(prefix), "tcv%d", (int)(getpid() % 100000));
		pre = prefix;
	}
	for (int i = 0; i < 2; i++) {
		int n = snprintf(name, sizeof(name), "%sw%u%c", pre, conf->worker, roles[i]);

		if (n < 0 || (size_t)n >= sizeof(name) || n >= IFNAMSIZ)
			return tc_err_set(err, TC_ERR_USAGE,
					  "interface name \"%s\" is %d bytes, at most %d fit (IFNAMSIZ); "
					  "use a shorter prefix or worker number",
					  name, n, IFNAMSIZ - 1);
		memcpy(ends[i]->ifname, name, (size_t)n + 1);
	}
	return 0;
}

static void set_addrs(struct netns_pair *p)
{
	seg_addr_parse("192.0.2.1", &p->target.addr4);
	seg_addr_parse("2001:db8::1", &p->target.addr6);
	seg_addr_parse("192.0.2.3", &p->target.addr4b);
	seg_addr_parse("2001:db8::4", &p->target.addr6b);
	seg_addr_parse("192.0.2.2", &p->harness.addr4);
	seg_addr_parse("2001:db8::2", &p->harness.addr6);
}

static void reset(struct netns_pair *p)
{
	memset(p, 0, sizeof(*p));
	p->orig_fd = p->target.ns_fd = p->harness.ns_fd = -1;
}

int netns_pair_create(struct netns_pair *p, const struct netns_pair_conf *conf, struct tc_err *err)
{
	static const struct netns_pair_conf defaults;

	reset(p);
	if (!conf)
		conf = &defaults;
	set_addrs(p);
	p->orig_fd = netns_save(err);
	if (p->orig_fd < 0)
		goto fail;
	p->held |= NETNS_HELD_ORIG;
	if (make_ns(p->orig_fd, &p->target.ns_fd, err) < 0)
		goto fail;
	p->held |= NETNS_HELD_TARGET;
	if (make_ns(p->orig_fd, &p->harness.ns_fd, err) < 0)
		goto fail;
	p->held |= NETNS_HELD_HARNESS;
	if (conf->keep && (keep_ns(p, &p->target, "target", conf->worker, NETNS_HELD_MNT_TARGET, err) < 0 ||
			   keep_ns(p, &p->harness, "harness", conf->worker, NETNS_HELD_MNT_HARNESS, err) < 0))
		goto fail;
	if (make_names(p, conf, err) < 0 || netns_link_setup(p, conf, err) < 0)
		goto fail;
	return 0;
fail:
	netns_pair_destroy(p);
	return -1;
}

void netns_pair_destroy(struct netns_pair *p)
{
	/* A thread left inside one of the namespaces would keep it alive. */
	if (p->held & NETNS_HELD_ORIG)
		setns(p->orig_fd, CLONE_NEWNET);
	unkeep_ns(p, &p->target, NETNS_HELD_MNT_TARGET);
	unkeep_ns(p, &p->harness, NETNS_HELD_MNT_HARNESS);
	/* Only when empty: another pair's names may still be in it. */
	if (p->held & NETNS_HELD_RUNDIR)
		rmdir(RUN_NETNS);
	if (p->held & NETNS_HELD_TARGET)
		close(p->target.ns_fd);
	if (p->held & NETNS_HELD_HARNESS)
		close(p->harness.ns_fd);
	if (p->held & NETNS_HELD_ORIG)
		close(p->orig_fd);
	reset(p);
}
