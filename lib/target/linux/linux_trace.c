/* A tracefs instance per reader, its text trace_pipe parsed line by line,
 * and the registry (one per run) that lets a signal handler remove what the
 * run made. */
#include "linux_trace.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "linux_diag.h"

#define TRACEFS_MAGIC_NUMBER 0x74726163
/* The source name of the mounts we make, which is how any of our processes
 * tells them from a mount someone else made and must keep. */
#define MOUNT_SOURCE "tcpconform"
#define INSTANCE_PREFIX "tcpconform-"
#define EVENT_DIR "events/sock/inet_sock_set_state"
#define EVENT_NAME "inet_sock_set_state: "
#define TRACE_PATH_MAX 128
/* Per CPU. A case makes a few dozen events between reads; the default
 * (1.4 MB per CPU) would cost every parallel worker megabytes. */
#define TRACE_BUFFER_KB "256"
#define TRACE_LINE_MAX 1024
#define TRACE_BUF (16u << 10)

/* ---- the registry ---- */

enum slot_state {
	SLOT_FREE,
	SLOT_BUSY, /* being set up or torn down by its owner; the signal path leaves it */
	SLOT_LIVE, /* the directory may exist; the signal path may remove it */
	SLOT_GONE, /* the signal path removed it; the owner only frees the slot */
};

struct trace_slot {
	int state; /* enum slot_state, accessed atomically */
	int fd; /* the trace pipe, -1 when not open; accessed atomically */
	char path[TRACE_PATH_MAX];
};

struct linux_trace_reg {
	pthread_mutex_t lock; /* open, close and remove_stale; never the signal path */
	unsigned next; /* the <n> of the next instance name */
	unsigned live; /* instances open; the last close unmounts */
	/* A descriptor of the tracefs root, held while this process uses it:
	 * another process's unmount then fails with EBUSY instead of pulling
	 * the mount from under us. -1 when not held; read by the signal path. */
	int pin;
	int mounted; /* this process mounted tracefs at LINUX_TRACEFS; read by the signal path */
	struct trace_slot slot[LINUX_TRACE_MAX];
};

struct linux_trace {
	struct linux_trace_reg *reg;
	uint16_t port;
	int slot;
	size_t len; /* bytes of an incomplete line kept in buf */
	char buf[TRACE_BUF];
};

static int slot_state(const struct trace_slot *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

static bool slot_move(struct trace_slot *s, int from, int to)
{
	return __atomic_compare_exchange_n(&s->state, &from, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

struct linux_trace_reg *linux_trace_reg_new(struct tc_err *err)
{
	struct linux_trace_reg *reg = calloc(1, sizeof(*reg));

	if (!reg) {
		tc_err_set(err, TC_ERR_NOMEM, "trace: out of memory");
		return NULL;
	}
	pthread_mutex_init(&reg->lock, NULL);
	reg->pin = -1;
	for (int i = 0; i < LINUX_TRACE_MAX; i++)
		reg->slot[i].fd = -1;
	return reg;
}

void linux_trace_reg_free(struct linux_trace_reg *reg)
{
	if (!reg)
		return;
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

void linux_trace_remove_all_signal_safe(struct linux_trace_reg *reg)
{
	int fd;

	for (int i = 0; i < LINUX_TRACE_MAX; i++) {
		struct trace_slot *s = &reg->slot[i];

		if (!slot_move(s, SLOT_LIVE, SLOT_GONE))
			continue;
		/* An instance whose trace_pipe is open refuses rmdir (EBUSY). */
		fd = __atomic_exchange_n(&s->fd, -1, __ATOMIC_ACQ_REL);
		if (fd >= 0)
			close(fd);
		rmdir(s->path);
	}
	fd = __atomic_exchange_n(&reg->pin, -1, __ATOMIC_ACQ_REL);
	if (fd >= 0)
		close(fd);
	/* Not lazily: a mount another process is using stays (EBUSY). */
	if (__atomic_load_n(&reg->mounted, __ATOMIC_ACQUIRE) && umount(LINUX_TRACEFS) == 0)
		__atomic_store_n(&reg->mounted, 0, __ATOMIC_RELEASE);
}

/* ---- tracefs ---- */

/* Under reg->lock: tracefs mounted at LINUX_TRACEFS and pinned. The
 * check is made on the pinning descriptor itself, so no unmount can slip in
 * between; EBUSY from mount is another process mounting it at the same
 * moment. */
static int tracefs_ensure(struct linux_trace_reg *reg, struct tc_err *err)
{
	struct statfs sf;
	int fd;

	if (reg->pin >= 0)
		return 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		fd = open(LINUX_TRACEFS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return tc_err_set(err, TC_ERR_SYSTEM, "open %s: %s", LINUX_TRACEFS, strerror(errno));
		if (fstatfs(fd, &sf) == 0 && (unsigned long)sf.f_type == TRACEFS_MAGIC_NUMBER) {
			__atomic_store_n(&reg->pin, fd, __ATOMIC_RELEASE);
			return 0;
		}
		close(fd);
		if (mount(MOUNT_SOURCE, LINUX_TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
			__atomic_store_n(&reg->mounted, 1, __ATOMIC_RELEASE);
		else if (errno != EBUSY)
			return tc_err_set(err, TC_ERR_SYSTEM, "mount tracefs on %s: %s (needs root)", LINUX_TRACEFS,
					  strerror(errno));
	}
	return tc_err_set(err, TC_ERR_SYSTEM, "tracefs does not stay mounted on %s", LINUX_TRACEFS);
}

/* Whether the mount on top at LINUX_TRACEFS is a tracefs one of ours
 * (made by this or another of our processes, maybe one that was killed). */
static bool tracefs_ours(void)
{
	char line[4096], mnt[256], fstype[64], source[256];
	bool ours = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	/* "<id> <parent> <maj:min> <root> <mount point> <options> [tags] - <type> <source> <super options>" */
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %255s", fstype, source) != 2)
			continue;
		if (strcmp(mnt, LINUX_TRACEFS) == 0)
			ours = strcmp(fstype, "tracefs") == 0 && strcmp(source, MOUNT_SOURCE) == 0;
	}
	fclose(f);
	return ours;
}

/* Under reg->lock: when no instance of ours is left, the pin goes, and
 * the mount too if one of our processes made it. EBUSY means another
 * process is using it: the last one to let go unmounts it. */
static void tracefs_release(struct linux_trace_reg *reg)
{
	int fd;

	if (reg->live > 0)
		return;
	fd = __atomic_exchange_n(&reg->pin, -1, __ATOMIC_ACQ_REL);
	if (fd >= 0)
		close(fd);
	if (!reg->mounted && !tracefs_ours())
		return;
	if (umount(LINUX_TRACEFS) == 0 || errno == EINVAL)
		__atomic_store_n(&reg->mounted, 0, __ATOMIC_RELEASE);
}

static int write_file(const char *dir, const char *rel, const char *text, struct tc_err *err)
{
	char path[TRACE_PATH_MAX + 64];
	size_t len = strlen(text);
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "open %s: %s", path, strerror(errno));
	n = write(fd, text, len);
	e = errno;
	close(fd);
	if (n < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "write \"%s\" to %s: %s", text, path, strerror(e));
	if ((size_t)n != len)
		return tc_err_set(err, TC_ERR_SYSTEM, "write \"%s\" to %s: %zd of %zu bytes", text, path, n, len);
	return 0;
}

/* A new instance copies the top-level trace options, and someone may have
 * set ones there that change the text the parser reads. Options this
 * kernel does not have are skipped. */
static int instance_options(const char *dir, struct tc_err *err)
{
	static const char *const off[] = {"raw", "hex", "bin", "fields", "latency-format", "stacktrace",
					  "userstacktrace"};
	char rel[64], path[TRACE_PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		snprintf(rel, sizeof(rel), "options/%s", off[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		if (access(path, F_OK) < 0)
			continue;
		if (write_file(dir, rel, "0", err) < 0)
			return -1;
	}
	return 0;
}

/* ---- open and close ---- */

/* Under reg->lock: frees the slot and removes the instance. The signal
 * path may have been there first (SLOT_GONE), even half way: its rmdir
 * fails while a pipe it did not see yet is open, so both are done again. */
static void slot_teardown(struct trace_slot *s)
{
	int fd;

	__atomic_store_n(&s->state, SLOT_BUSY, __ATOMIC_RELEASE);
	fd = __atomic_exchange_n(&s->fd, -1, __ATOMIC_ACQ_REL);
	if (fd >= 0)
		close(fd);
	/* Removing the instance disables its event anyway; this makes an
	 * instance that cannot be removed stop recording. */
	write_file(s->path, EVENT_DIR "/enable", "0", NULL);
	rmdir(s->path);
	__atomic_store_n(&s->state, SLOT_FREE, __ATOMIC_RELEASE);
}

/* Under reg->lock: a free slot holding a fresh instance directory. */
static int instance_make(struct linux_trace_reg *reg, struct tc_err *err)
{
	struct trace_slot *s = NULL;
	int i, e;

	for (i = 0; i < LINUX_TRACE_MAX; i++) {
		s = &reg->slot[i];
		if (slot_move(s, SLOT_FREE, SLOT_BUSY))
			break;
	}
	if (i == LINUX_TRACE_MAX)
		return tc_err_set(err, TC_ERR_SYSTEM, "more than %d trace instances open in this process",
				  LINUX_TRACE_MAX);
	__atomic_store_n(&s->fd, -1, __ATOMIC_RELEASE);
	for (;;) {
		snprintf(s->path, sizeof(s->path), LINUX_TRACEFS "/instances/" INSTANCE_PREFIX "%ld-%u",
			 (long)getpid(), reg->next++);
		/* Published before it exists: a signal in between meets ENOENT,
		 * never a directory it does not know of. */
		__atomic_store_n(&s->state, SLOT_LIVE, __ATOMIC_RELEASE);
		if (mkdir(s->path, 0700) == 0)
			return i;
		e = errno;
		__atomic_store_n(&s->state, SLOT_BUSY, __ATOMIC_RELEASE);
		/* Left by an earlier process with our PID: take the next name. */
		if (e == EEXIST)
			continue;
		__atomic_store_n(&s->state, SLOT_FREE, __ATOMIC_RELEASE);
		return tc_err_set(err, TC_ERR_SYSTEM, "mkdir %s: %s", s->path, strerror(e));
	}
}

static int instance_setup(struct trace_slot *s, uint16_t port, struct tc_err *err)
{
	char filter[96], path[TRACE_PATH_MAX + 16];
	int fd;

	snprintf(filter, sizeof(filter), "(sport == %u || dport == %u) && protocol == %u", port, port,
		 (unsigned)IPPROTO_TCP);
	if (instance_options(s->path, err) < 0 || write_file(s->path, "buffer_size_kb", TRACE_BUFFER_KB, err) < 0 ||
	    write_file(s->path, EVENT_DIR "/filter", filter, err) < 0 ||
	    write_file(s->path, EVENT_DIR "/enable", "1", err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/trace_pipe", s->path);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "open %s: %s", path, strerror(errno));
	__atomic_store_n(&s->fd, fd, __ATOMIC_RELEASE);
	/* The signal path may have removed the instance meanwhile. */
	if (slot_state(s) != SLOT_LIVE)
		return tc_err_set(err, TC_ERR_SYSTEM, "trace instance %s removed while being set up", s->path);
	return 0;
}

struct linux_trace *linux_trace_open(struct linux_trace_reg *reg, uint16_t port, struct tc_err *err)
{
	struct linux_trace *t;
	int slot;

	t = calloc(1, sizeof(*t));
	if (!t) {
		tc_err_set(err, TC_ERR_NOMEM, "trace: out of memory");
		return NULL;
	}
	t->reg = reg;
	t->port = port;
	pthread_mutex_lock(&reg->lock);
	if (tracefs_ensure(reg, err) < 0) {
		pthread_mutex_unlock(&reg->lock);
		free(t);
		return NULL;
	}
	slot = instance_make(reg, err);
	if (slot < 0) {
		tracefs_release(reg);
		pthread_mutex_unlock(&reg->lock);
		free(t);
		return NULL;
	}
	if (instance_setup(&reg->slot[slot], port, err) < 0) {
		slot_teardown(&reg->slot[slot]);
		tracefs_release(reg);
		pthread_mutex_unlock(&reg->lock);
		free(t);
		return NULL;
	}
	reg->live++;
	pthread_mutex_unlock(&reg->lock);
	t->slot = slot;
	return t;
}

void linux_trace_close(struct linux_trace *t)
{
	struct linux_trace_reg *reg;

	if (!t)
		return;
	reg = t->reg;
	pthread_mutex_lock(&reg->lock);
	slot_teardown(&reg->slot[t->slot]);
	reg->live--;
	tracefs_release(reg);
	pthread_mutex_unlock(&reg->lock);
	free(t);
}

/* ---- stale instances ---- */

/* "tcpconform-<pid>-<n>" with nothing after; the pid, or -1. */
static long instance_pid(const char *name)
{
	const char *p;
	char *end;
	long pid;

	if (strncmp(name, INSTANCE_PREFIX, strlen(INSTANCE_PREFIX)) != 0)
		return -1;
	p = name + strlen(INSTANCE_PREFIX);
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno || pid <= 0 || *end != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	errno = 0;
	(void)strtoul(end + 1, &end, 10);
	return errno == 0 && *end == '\0' ? pid : -1;
}

int linux_trace_remove_stale(struct linux_trace_reg *reg, struct tc_err *err)
{
	char path[TRACE_PATH_MAX + 256];
	struct dirent *de;
	DIR *dir;
	int removed = 0, failed = 0;

	pthread_mutex_lock(&reg->lock);
	if (tracefs_ensure(reg, err) < 0) {
		pthread_mutex_unlock(&reg->lock);
		return -1;
	}
	dir = opendir(LINUX_TRACEFS "/instances");
	if (!dir) {
		tc_err_set(err, TC_ERR_SYSTEM, "open %s/instances: %s", LINUX_TRACEFS, strerror(errno));
		tracefs_release(reg);
		pthread_mutex_unlock(&reg->lock);
		return -1;
	}
	while ((de = readdir(dir))) {
		long pid = instance_pid(de->d_name);

		if (pid < 0 || pid == (long)getpid())
			continue;
		/* EPERM means the process exists; only ESRCH says it is gone. */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/instances/%s", LINUX_TRACEFS, de->d_name);
		/* ENOENT, or ENODEV while its removal is under way: another
		 * process's remove_stale was first. */
		if (rmdir(path) == 0) {
			removed++;
		} else if (errno != ENOENT && errno != ENODEV && !failed++) {
			tc_err_set(err, TC_ERR_SYSTEM, "rmdir stale trace instance %s: %s", path, strerror(errno));
		}
	}
	closedir(dir);
	tracefs_release(reg);
	pthread_mutex_unlock(&reg->lock);
	return failed ? -1 : removed;
}

/* ---- reading ---- */

static const char *const linux_state_names[] = {
	[LINUX_TCP_ESTABLISHED] = "TCP_ESTABLISHED", [LINUX_TCP_SYN_SENT] = "TCP_SYN_SENT",
	[LINUX_TCP_SYN_RECV] = "TCP_SYN_RECV",       [LINUX_TCP_FIN_WAIT1] = "TCP_FIN_WAIT1",
	[LINUX_TCP_FIN_WAIT2] = "TCP_FIN_WAIT2",     [LINUX_TCP_TIME_WAIT] = "TCP_TIME_WAIT",
	[LINUX_TCP_CLOSE] = "TCP_CLOSE",             [LINUX_TCP_CLOSE_WAIT] = "TCP_CLOSE_WAIT",
	[LINUX_TCP_LAST_ACK] = "TCP_LAST_ACK",       [LINUX_TCP_LISTEN] = "TCP_LISTEN",
	[LINUX_TCP_CLOSING] = "TCP_CLOSING",         [LINUX_TCP_NEW_SYN_RECV] = "TCP_NEW_SYN_RECV",
	[LINUX_TCP_BOUND_INACTIVE] = "TCP_BOUND_INACTIVE",
};

/* A state as the event prints it: its name, or "0x.." for a number the
 * tracepoint's symbol table lacks. */
static int parse_state(const char *text, enum tc_state *out)
{
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof(linux_state_names) / sizeof(linux_state_names[0]); i++)
		if (linux_state_names[i] && strcmp(text, linux_state_names[i]) == 0)
			return linux_tcp_state_map((int)i, out);
	if (strncmp(text, "0x", 2) != 0)
		return -1;
	errno = 0;
	v = strtoul(text + 2, &end, 16);
	if (errno || *end || v > 255)
		return -1;
	return linux_tcp_state_map((int)v, out);
}

struct trace_event {
	int family;
	uint16_t sport, dport;
	struct seg_addr saddr, daddr;
	enum tc_state oldstate, newstate;
};

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* An IPv6 address, or the IPv4 one it maps (a dual-stack socket's IPv4
 * connection). */
static int parse_addr6(const char *text, struct seg_addr *out)
{
	uint8_t b[16];

	if (inet_pton(AF_INET6, text, b) != 1)
		return -1;
	memset(out, 0, sizeof(*out));
	if (memcmp(b, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		out->family = 4;
		memcpy(out->bytes, b + 12, 4);
	} else {
		out->family = 6;
		memcpy(out->bytes, b, 16);
	}
	return 0;
}

static int parse_addr4(const char *text, struct seg_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = 4;
	return inet_pton(AF_INET, text, out->bytes) == 1 ? 0 : -1;
}

static int parse_port(const char *text, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* The fields after "inet_sock_set_state: ", each key=value, separated by
 * single spaces. The IPv4 fields of an IPv6 socket hold whatever the
 * socket's IPv4 view has (127.0.0.6 was seen): only the family's own pair
 * counts. */
static int parse_event(char *fields, struct trace_event *ev)
{
	const char *saddr = NULL, *daddr = NULL, *saddr6 = NULL, *daddr6 = NULL;
	const char *family = NULL, *sport = NULL, *dport = NULL, *oldst = NULL, *newst = NULL;
	char *save = NULL;

	for (char *tok = strtok_r(fields, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(tok, "family") == 0)
			family = eq + 1;
		else if (strcmp(tok, "sport") == 0)
			sport = eq + 1;
		else if (strcmp(tok, "dport") == 0)
			dport = eq + 1;
		else if (strcmp(tok, "saddr") == 0)
			saddr = eq + 1;
		else if (strcmp(tok, "daddr") == 0)
			daddr = eq + 1;
		else if (strcmp(tok, "saddrv6") == 0)
			saddr6 = eq + 1;
		else if (strcmp(tok, "daddrv6") == 0)
			daddr6 = eq + 1;
		else if (strcmp(tok, "oldstate") == 0)
			oldst = eq + 1;
		else if (strcmp(tok, "newstate") == 0)
			newst = eq + 1;
	}
	if (!family || !sport || !dport || !oldst || !newst)
		return -1;
	if (parse_port(sport, &ev->sport) < 0 || parse_port(dport, &ev->dport) < 0 ||
	    parse_state(oldst, &ev->oldstate) < 0 || parse_state(newst, &ev->newstate) < 0)
		return -1;
	if (strcmp(family, "AF_INET") == 0) {
		if (!saddr || !daddr || parse_addr4(saddr, &ev->saddr) < 0 || parse_addr4(daddr, &ev->daddr) < 0)
			return -1;
	} else if (strcmp(family, "AF_INET6") == 0) {
		if (!saddr6 || !daddr6 || parse_addr6(saddr6, &ev->saddr) < 0 || parse_addr6(daddr6, &ev->daddr) < 0)
			return -1;
	} else {
		return -1;
	}
	ev->family = ev->saddr.family;
	return 0;
}

struct trace_query {
	int family;
	const struct seg_addr *local, *peer;
	uint16_t port, peer_port;
};

/* One line of trace_pipe: 0 = nothing to report or an event of another
 * connection, 1 = *ev is ours, -1 = a line we cannot trust (err set). */
static int trace_line(char *line, const struct trace_query *q, struct trace_event *ev, struct tc_err *err)
{
	char *fields = strstr(line, EVENT_NAME);
	unsigned long lost;
	int cpu;

	if (!fields) {
		/* Overwrite mode drops the oldest events when the reader falls
		 * behind, and says so with this line. */
		if (sscanf(line, "CPU:%d [LOST %lu EVENTS]", &cpu, &lost) == 2)
			return tc_err_set(err, TC_ERR_TARGET,
					  "trace: the kernel dropped %lu events of CPU %d; transitions are incomplete",
					  lost, cpu);
		return 0;
	}
	fields += strlen(EVENT_NAME);
	if (parse_event(fields, ev) < 0)
		return tc_err_set(err, TC_ERR_TARGET, "trace: cannot parse the event \"%.200s\"", fields);
	if (ev->family != q->family || ev->sport != q->port || ev->dport != q->peer_port)
		return 0;
	return seg_addr_eq(&ev->saddr, q->local) && seg_addr_eq(&ev->daddr, q->peer) ? 1 : 0;
}

/* Parses the complete lines in t->buf, keeping an incomplete one (and, when
 * *out is full, the line that did not fit) for the next call. */
static int trace_lines(struct linux_trace *t, const struct trace_query *q, struct tc_transitions *out,
		       struct tc_err *err)
{
	char *start = t->buf, *end = t->buf + t->len, *nl;
	struct trace_event ev;
	char line[TRACE_LINE_MAX];
	int rc = 0;

	while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
		size_t n = (size_t)(nl - start);
		int r;

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, start, n);
		line[n] = '\0';
		r = trace_line(line, q, &ev, err);
		if (r < 0) {
			start = nl + 1;
			rc = -1;
			break;
		}
		if (r == 1) {
			/* The tracepoint is host-wide: another run on this machine
			 * with the same addresses and ports (in namespaces of its
			 * own) shows up here too. The list only explains a state
			 * read, which sock_diag makes per namespace, so a full list
			 * keeps its first entries instead of failing the case. */
			if (out->n < TC_MAX_TRANSITIONS) {
				out->from[out->n] = ev.oldstate;
				out->to[out->n] = ev.newstate;
				out->n++;
			}
		}
		start = nl + 1;
	}
	t->len = (size_t)(end - start);
	memmove(t->buf, start, t->len);
	return rc;
}

int linux_trace_read(struct linux_trace *t, int family, const struct seg_addr *local, uint16_t port,
		     const struct seg_addr *peer, uint16_t peer_port, struct tc_transitions *out, struct tc_err *err)
{
	struct trace_slot *s = &t->reg->slot[t->slot];
	struct trace_query q = {.family = family, .local = local, .peer = peer, .port = port, .peer_port = peer_port};
	ssize_t n;
	int fd;

	if (family != 4 && family != 6)
		return tc_err_set(err, TC_ERR_USAGE, "trace: address family %d is neither 4 nor 6", family);
	if (port != t->port)
		return tc_err_set(err, TC_ERR_USAGE, "trace: port %u asked of a reader filtering port %u", port,
				  t->port);
	fd = __atomic_load_n(&s->fd, __ATOMIC_ACQUIRE);
	if (slot_state(s) != SLOT_LIVE || fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "trace: the instance %s was removed", s->path);
	/* Lines left over from a call that stopped early come first. */
	if (trace_lines(t, &q, out, err) < 0)
		return -1;
	for (;;) {
		if (t->len == sizeof(t->buf))
			return tc_err_set(err, TC_ERR_TARGET, "trace: a line longer than %zu bytes", sizeof(t->buf));
		n = read(fd, t->buf + t->len, sizeof(t->buf) - t->len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return tc_err_set(err, TC_ERR_SYSTEM, "trace: read %s/trace_pipe: %s", s->path,
					  strerror(errno));
		}
		if (n == 0)
			return 0;
		t->len += (size_t)n;
		if (trace_lines(t, &q, out, err) < 0)
			return -1;
	}
}
