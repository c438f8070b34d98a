/* --stack linux: application actions on the kernel's sockets through the
 * linux target's helper process (linux_app), states from sock_diag
 * (linux_diag), both in the namespace the agent itself runs in. The kernel
 * reports transitions only through tracefs, which a far host's agent does
 * not set up: STATE answers carry none. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../target/linux/linux_app.h"
#include "../target/linux/linux_diag.h"
#include "agent_stack.h"

/* What Linux is and cannot change per case (see the linux target). */
#define LINUX_MSL_US 30000000ull
#define LINUX_RTO_US 1000000ull

struct agent_linux {
	struct agent_stack base;
	int ns_fd; /* our own namespace: where the helper and sock_diag look */
	struct linux_diag *diag;
	struct linux_app *app; /* during a case */
	int family;
	struct seg_addr local, peer;
	uint16_t port, peer_port;
};

uint64_t agent_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The address the kernel would send from towards the peer: the route's. */
static int route_source(int family, const struct seg_addr *peer, uint16_t peer_port, struct seg_addr *out,
			struct tc_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char a[64];
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "socket: %s", strerror(errno));
	memset(&ss, 0, sizeof(ss));
	if (family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(peer_port);
		memcpy(&in->sin_addr, peer->bytes, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(peer_port);
		memcpy(&in6->sin6_addr, peer->bytes, 16);
		len = sizeof(*in6);
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		tc_err_set(err, TC_ERR_TARGET, "no route to the peer %s: %s", seg_addr_format(peer, a, sizeof(a)),
			   strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	memset(out, 0, sizeof(*out));
	out->family = family;
	if (family == 4)
		memcpy(out->bytes, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(out->bytes, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	return 0;
}

/* A sysctl of the namespace the agent runs in, as a number. */
static int sysctl_read(const char *name, long *out, struct tc_err *err)
{
	char path[128], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "re");
	if (!f)
		return tc_err_set(err, TC_ERR_SYSTEM, "%s: %s", path, strerror(errno));
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%ld", out) != 1) {
		fclose(f);
		return tc_err_set(err, TC_ERR_SYSTEM, "%s: not a number", path);
	}
	fclose(f);
	return 0;
}

/* What this host must have for the case. The agent never changes the
 * host's TCP settings (they are the host's, not the agent's): it checks
 * them, and a case whose profile or config the host does not have is
 * UNSUPPORTED, with the setting that differs, rather than run against
 * values it did not ask for. The values are the linux target's
 * (docs/targets.md, "linux"): `minimal` pins timestamps, SACK, window
 * scaling and ECN off; `default` is the kernel's own configuration, which
 * offers the first three; both have the kernel's retry counts and FIN
 * timeout unless the case pins syn_retries or retries. */
struct host_want {
	const char *name;
	long want; /* -1: any but 0 */
	const char *why;
};

static int host_check(const struct host_want *w, size_t n, struct tc_err *err)
{
	for (size_t i = 0; i < n; i++) {
		long v;

		if (sysctl_read(w[i].name, &v, err))
			return -1;
		if (w[i].want < 0 ? v != 0 : v == w[i].want)
			continue;
		if (w[i].want < 0)
			return tc_err_set(err, TC_ERR_UNSUPPORTED,
					  "this host's TCP is not as the case needs (%s): net.ipv4.%s is 0 (want it on); "
					  "the agent does not change the host's settings",
					  w[i].why, w[i].name);
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "this host's TCP is not as the case needs (%s): net.ipv4.%s is %ld (want %ld); "
				  "the agent does not change the host's settings",
				  w[i].why, w[i].name, v, w[i].want);
	}
	return 0;
}

static int check_host(const struct agent_case *c, struct tc_err *err)
{
	const struct tc_case_conf *cc = &c->conf;
	long syn = cc->fields & TC_C_SYN_RETRIES ? (long)cc->syn_retries : 6;
	const char *synwhy = cc->fields & TC_C_SYN_RETRIES ? "config syn_retries" : "the kernel's SYN retries";
	const char *retwhy = cc->fields & TC_C_RETRIES ? "config retries" : "the kernel's retries";
	const struct host_want common[] = {
		{"tcp_syn_retries", syn, synwhy},
		{"tcp_synack_retries", cc->fields & TC_C_SYN_RETRIES ? syn : 5, synwhy},
		{"tcp_retries2", cc->fields & TC_C_RETRIES ? (long)cc->retries : 15, retwhy},
		{"tcp_fin_timeout", 60, "the kernel's FIN-WAIT-2 timeout"},
	};
	const struct host_want minimal[] = {
		{"tcp_timestamps", 0, "profile minimal"},
		{"tcp_sack", 0, "profile minimal"},
		{"tcp_window_scaling", 0, "profile minimal"},
		{"tcp_ecn", 0, "profile minimal"},
	};
	const struct host_want dflt[] = {
		{"tcp_timestamps", -1, "profile default"},
		{"tcp_sack", -1, "profile default"},
		{"tcp_window_scaling", -1, "profile default"},
	};

	if (c->profile == TC_SP_MINIMAL && host_check(minimal, sizeof(minimal) / sizeof(minimal[0]), err))
		return -1;
	if (c->profile == TC_SP_DEFAULT && host_check(dflt, sizeof(dflt) / sizeof(dflt[0]), err))
		return -1;
	return host_check(common, sizeof(common) / sizeof(common[0]), err);
}

/* Linux's timing is the kernel's: a case that pins anything else cannot
 * run here, and says so rather than run against values it did not ask for. */
static int check_conf(const struct tc_case_conf *cc, struct tc_err *err)
{
	unsigned other = cc->fields & ~(unsigned)(TC_C_MSS | TC_C_MSL | TC_C_RTO | TC_C_SYN_RETRIES | TC_C_RETRIES |
						  TC_C_NAGLE | TC_C_DELAYED_ACK | TC_C_KEEPALIVE);

	if ((cc->fields & TC_C_MSL) && cc->msl.us != LINUX_MSL_US)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "linux cannot set MSL: TIME-WAIT is fixed at 60 s (MSL 30 s)");
	if ((cc->fields & TC_C_RTO) && cc->rto.us != LINUX_RTO_US)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "linux cannot set the initial RTO (fixed at 1 s)");
	if ((cc->fields & TC_C_DELAYED_ACK) && !cc->delayed_ack)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux cannot turn delayed ACKs off for good (TCP_QUICKACK is not sticky)");
	if ((cc->fields & TC_C_KEEPALIVE) && cc->keepalive_mode == TC_KEEPALIVE_AFTER &&
	    (cc->keepalive.us % 1000000 || cc->keepalive.us > 32767ull * 1000000 || cc->keepalive.us == 0))
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "linux sets the keep-alive time in whole seconds, 1..32767 (TCP_KEEPIDLE)");
	if (other)
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "the linux agent cannot pin rto_min, rto_max, delack, window or iss on this host");
	return 0;
}

static int lx_case_begin(struct agent_stack *base, const struct agent_case *c, struct tc_err *err)
{
	struct agent_linux *s = (struct agent_linux *)base;
	struct linux_app_conf ac = {0};

	if (check_conf(&c->conf, err) || check_host(c, err))
		return -1;
	s->family = c->family;
	s->peer = c->peer;
	s->port = c->local_port;
	s->peer_port = c->peer_port;
	if (c->has_local)
		s->local = c->local;
	else if (route_source(c->family, &c->peer, c->peer_port, &s->local, err))
		return -1;
	ac.target_ns_fd = s->ns_fd;
	ac.family = c->family;
	ac.local = s->local;
	ac.peer = s->peer;
	ac.port = s->port;
	ac.peer_port = s->peer_port;
	/* Nagle off unless the case turns it on, as on the linux target
	 * (9293 3.7.4, MUST-17: TCP_NODELAY) */
	ac.nodelay = !((c->conf.fields & TC_C_NAGLE) && c->conf.nagle);
	if (c->conf.fields & TC_C_KEEPALIVE)
		ac.keepalive = c->conf.keepalive_mode == TC_KEEPALIVE_DEFAULT ? -1
			       : c->conf.keepalive_mode == TC_KEEPALIVE_AFTER ? (int)(c->conf.keepalive.us / 1000000)
									       : 0;
	if (c->conf.fields & TC_C_MSS)
		ac.mss = c->conf.mss;
	s->app = linux_app_start(&ac, err);
	return s->app ? 0 : -1;
}

static int lx_app(struct agent_stack *base, const struct tc_app *act, uint64_t timeout_us,
			 struct tc_app_result *res, struct tc_err *err)
{
	return linux_app_do(((struct agent_linux *)base)->app, act, timeout_us, res, err);
}

static int lx_state(struct agent_stack *base, enum tc_state *out, struct tc_transitions *since, struct tc_err *err)
{
	struct agent_linux *s = (struct agent_linux *)base;

	if (since)
		since->n = 0;
	return linux_diag_state(s->diag, s->family, &s->local, s->port, &s->peer, s->peer_port, out, err);
}

static void lx_case_end(struct agent_stack *base)
{
	struct agent_linux *s = (struct agent_linux *)base;

	/* the helper closes every socket of the case as it ends */
	linux_app_stop(s->app);
	s->app = NULL;
}

static void lx_free(struct agent_stack *base)
{
	struct agent_linux *s = (struct agent_linux *)base;

	lx_case_end(base);
	linux_diag_close(s->diag);
	if (s->ns_fd >= 0)
		close(s->ns_fd);
	free(s);
}

static const struct agent_stack_ops linux_ops = {
	.name = "linux",
	.transitions = false,
	.case_begin = lx_case_begin,
	.app = lx_app,
	.state = lx_state,
	.case_end = lx_case_end,
	.free = lx_free,
};

struct agent_stack *agent_stack_linux_new(struct tc_err *err)
{
	struct agent_linux *s = calloc(1, sizeof(*s));

	if (!s) {
		tc_err_set(err, TC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->base.ops = &linux_ops;
	s->ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (s->ns_fd < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "/proc/self/ns/net: %s", strerror(errno));
		free(s);
		return NULL;
	}
	s->diag = linux_diag_open(s->ns_fd, err);
	if (!s->diag) {
		close(s->ns_fd);
		free(s);
		return NULL;
	}
	return &s->base;
}
