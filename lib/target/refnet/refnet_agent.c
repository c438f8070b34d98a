/* See refnet_agent.h. */
#include "refnet_agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_WAIT_MS 1000
#define ARGV_MAX 24

struct refnet_agent {
	pid_t pid;
	int pidfd;
	bool reaped;
	char ended[128];
	struct agent_client *client;
	char args[12][96];
	char *argv[ARGV_MAX];
};

/* Reaps the agent if it has ended within ms: true when it is gone. */
static bool reap(struct refnet_agent *a, int ms)
{
	int status;

	for (int waited = 0;; waited += 10) {
		pid_t p = waitpid(a->pid, &status, WNOHANG);

		if (p == a->pid) {
			if (WIFEXITED(status))
				snprintf(a->ended, sizeof(a->ended), "exited with status %d", WEXITSTATUS(status));
			else if (WIFSIGNALED(status))
				snprintf(a->ended, sizeof(a->ended), "killed by signal %d (%s)", WTERMSIG(status),
					 strsignal(WTERMSIG(status)));
			a->reaped = true;
			return true;
		}
		if (p < 0 && errno != EINTR) {
			snprintf(a->ended, sizeof(a->ended), "reaped elsewhere (%s)", strerror(errno));
			a->reaped = true;
			return true;
		}
		if (waited >= ms)
			return false;
		struct timespec ts = {.tv_nsec = 10000000};
		nanosleep(&ts, NULL);
	}
}

/* Only our own unreaped child: its PID names no other process yet. */
static void kill_agent(struct refnet_agent *a)
{
	if (a->reaped)
		return;
	if (a->pidfd < 0 || syscall(SYS_pidfd_send_signal, a->pidfd, SIGKILL, NULL, 0) < 0)
		kill(a->pid, SIGKILL);
	reap(a, STOP_WAIT_MS);
}

static void build_argv(struct refnet_agent *a, const struct refnet_agent_conf *c)
{
	char mac[24];
	int n = 0, k = 0;

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", c->peer_mac[0], c->peer_mac[1], c->peer_mac[2],
		 c->peer_mac[3], c->peer_mac[4], c->peer_mac[5]);
	a->argv[n++] = "tcpconform";
	a->argv[n++] = "agent";
	a->argv[n++] = "--stack";
	a->argv[n++] = "ref";
	a->argv[n++] = "--control-fd";
	a->argv[n++] = "3";
	a->argv[n++] = "--netdev";
	a->argv[n++] = (char *)c->ifname;
	a->argv[n++] = "--token-file";
	a->argv[n++] = (char *)c->token_file;
	a->argv[n++] = "--address";
	seg_addr_format(&c->addr4, a->args[k], sizeof(a->args[k]));
	a->argv[n++] = a->args[k++];
	a->argv[n++] = "--address";
	seg_addr_format(&c->addr6, a->args[k], sizeof(a->args[k]));
	a->argv[n++] = a->args[k++];
	for (int fam = 0; fam < 2; fam++) {
		char addr[64];

		seg_addr_format(fam ? &c->peer6 : &c->peer4, addr, sizeof(addr));
		snprintf(a->args[k], sizeof(a->args[k]), "%s=%s", addr, mac);
		a->argv[n++] = "--neighbour";
		a->argv[n++] = a->args[k++];
	}
	if (c->fault) {
		a->argv[n++] = "--ref-fault";
		a->argv[n++] = (char *)c->fault;
	}
	a->argv[n] = NULL;
}

/* The child between fork and exec: system calls only (the parent has
 * threads). */
__attribute__((noreturn)) static void child(struct refnet_agent *a, int ns_fd, int sock, pid_t parent)
{
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
	/* the harness blocks its signals for its signal thread; exec keeps
	 * the mask, and the agent must be endable */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setns(ns_fd, CLONE_NEWNET) < 0)
		_exit(125);
	if (sock == 3) {
		if (fcntl(3, F_SETFD, 0) < 0)
			_exit(124);
	} else if (dup2(sock, 3) < 0) {
		_exit(124);
	}
	close_range(4, ~0u, 0);
	execv("/proc/self/exe", a->argv);
	_exit(127);
}

struct refnet_agent *refnet_agent_start(const struct refnet_agent_conf *conf, struct tc_err *err)
{
	struct refnet_agent *a = calloc(1, sizeof(*a));
	pid_t parent = getpid();
	char name[64];
	int sv[2];

	if (!a) {
		tc_err_set(err, TC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	a->pidfd = -1;
	build_argv(a, conf);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "socketpair: %s", strerror(errno));
		free(a);
		return NULL;
	}
	a->pid = fork();
	if (a->pid < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(a);
		return NULL;
	}
	if (a->pid == 0)
		child(a, conf->target_ns_fd, sv[1], parent);
	close(sv[1]);
	a->pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
	snprintf(name, sizeof(name), "ref-net agent (pid %d)", (int)a->pid);
	a->client = agent_attach(sv[0], name, conf->token_file, err);
	if (!a->client) {
		if (reap(a, 200))
			tc_err_prefix(err, "the agent %s", a->ended);
		refnet_agent_stop(a);
		return NULL;
	}
	return a;
}

struct agent_client *refnet_agent_client(struct refnet_agent *a)
{
	return a->client;
}

pid_t refnet_agent_pid(const struct refnet_agent *a)
{
	return a->pid;
}

const char *refnet_agent_ended(struct refnet_agent *a)
{
	if (!a->reaped)
		reap(a, 0);
	return a->ended;
}

void refnet_agent_stop(struct refnet_agent *a)
{
	if (!a)
		return;
	/* BYE: the agent ends its case and exits */
	agent_close(a->client);
	a->client = NULL;
	if (!reap(a, STOP_WAIT_MS))
		kill_agent(a);
	if (a->pidfd >= 0)
		close(a->pidfd);
	free(a);
}
