/* `tcpconform agent`: runs on the far host (or in the ref-net target's
 * namespace), performs a case's application actions and reports exact
 * states over a control connection (docs/agent-protocol.md). It listens
 * only where --listen says: there is no default address.
 *
 * --stack linux serves up to AGENT_MAX_SESSIONS clients at once (a harness
 * running cases in parallel opens one connection per worker): each
 * connection gets a process of its own, forked at accept, with a stack of
 * its own (its own sock_diag socket, its own application helper per case),
 * so sessions share nothing but the kernel under test. Such a process dies
 * with the agent (PR_SET_PDEATHSIG) and is reaped by its PID. --stack ref
 * drives one reference stack on one packet socket: one client at a time,
 * others are told BUSY. */
#include "cmd_agent.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/agent/agent_proto.h"
#include "../lib/agent/agent_session.h"
#include "../lib/agent/agent_stack.h"

void agent_usage(FILE *out)
{
	fprintf(out,
		"usage: tcpconform agent --listen ADDR:PORT --token-file FILE [--stack linux|ref]\n"
		"                        [--netdev IFACE --address ADDR... [--neighbour ADDR=MAC...]]\n"
		"\n"
		"Runs on the host of the stack under test: performs the cases' application\n"
		"actions and reports exact states to a harness over a control connection\n"
		"(docs/agent-protocol.md). --stack linux serves up to 64 clients at once,\n"
		"each in a process of its own; --stack ref one at a time.\n"
		"\n"
		"options:\n"
		"      --listen ADDR:PORT   where to accept the control connection: a numeric\n"
		"                           address of this host ([IPV6]:PORT for IPv6); no default\n"
		"      --token-file FILE    the shared secret: at least 16 random bytes, readable\n"
		"                           by its owner only (head -c 32 /dev/urandom > FILE)\n"
		"      --stack NAME         linux (default): the kernel's sockets, states from\n"
		"                           sock_diag; ref: the bundled reference stack on\n"
		"                           --netdev, in real time\n"
		"      --netdev IFACE       ref: the interface its packet socket sits on\n"
		"      --address ADDR       ref: its own address (IPv4 and/or IPv6, repeatable);\n"
		"                           it answers ARP and neighbour solicitations for it\n"
		"      --neighbour ADDR=MAC ref: a permanent neighbour (repeatable); others are\n"
		"                           learnt from the frames they send\n"
		"      --control-fd FD      serve one control connection on the inherited stream\n"
		"                           socket FD instead of listening, then exit\n"
#ifdef REFSTACK_FAULTS
		"      --ref-fault NAME     ref: seed fault NAME into the reference stack\n"
#endif
		"  -h, --help               this text\n"
		"\n"
		"exit status: 0 after --control-fd's connection ended; 2 bad options or token\n"
		"file; 3 the agent failed (it cannot listen, its stack cannot start).\n");
}

struct agent_opts {
	const char *listen, *token_file, *stack, *netdev, *fault;
	int control_fd;
	struct agent_ref_conf ref;
};

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int add_address(struct agent_opts *o, const char *s)
{
	struct seg_addr a;

	if (seg_addr_parse(s, &a) != 0) {
		fprintf(stderr, "tcpconform agent: --address %s: not an IPv4 or IPv6 address\n", s);
		return -1;
	}
	if ((a.family == 4 && o->ref.have4) || (a.family == 6 && o->ref.have6)) {
		fprintf(stderr, "tcpconform agent: --address %s: one address per family\n", s);
		return -1;
	}
	if (a.family == 4) {
		o->ref.have4 = true;
		o->ref.addr4 = a;
	} else {
		o->ref.have6 = true;
		o->ref.addr6 = a;
	}
	return 0;
}

static int add_neighbour(struct agent_opts *o, const char *s)
{
	const char *eq = strrchr(s, '=');
	char addr[64];
	int i = o->ref.nneigh;

	if (!eq || (size_t)(eq - s) >= sizeof(addr) || i == AGENT_MAX_NEIGH) {
		fprintf(stderr, "tcpconform agent: --neighbour %s: want ADDR=MAC (at most %d)\n", s, AGENT_MAX_NEIGH);
		return -1;
	}
	memcpy(addr, s, (size_t)(eq - s));
	addr[eq - s] = '\0';
	if (seg_addr_parse(addr, &o->ref.neigh_addr[i]) != 0 || parse_mac(eq + 1, o->ref.neigh_mac[i]) != 0) {
		fprintf(stderr, "tcpconform agent: --neighbour %s: want ADDR=aa:bb:cc:dd:ee:ff\n", s);
		return -1;
	}
	o->ref.nneigh++;
	return 0;
}

enum { OPT_LISTEN = 256, OPT_TOKEN, OPT_STACK, OPT_NETDEV, OPT_ADDRESS, OPT_NEIGH, OPT_CONTROL_FD, OPT_FAULT };

static int parse_opts(int argc, char **argv, struct agent_opts *o)
{
	static const struct option longs[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"token-file", required_argument, NULL, OPT_TOKEN},
		{"stack", required_argument, NULL, OPT_STACK},
		{"netdev", required_argument, NULL, OPT_NETDEV},
		{"address", required_argument, NULL, OPT_ADDRESS},
		{"neighbour", required_argument, NULL, OPT_NEIGH},
		{"control-fd", required_argument, NULL, OPT_CONTROL_FD},
#ifdef REFSTACK_FAULTS
		{"ref-fault", required_argument, NULL, OPT_FAULT},
#endif
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;
	char *end;

	memset(o, 0, sizeof(*o));
	o->stack = "linux";
	o->control_fd = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_TOKEN: o->token_file = optarg; break;
		case OPT_STACK: o->stack = optarg; break;
		case OPT_NETDEV: o->netdev = optarg; break;
		case OPT_FAULT: o->fault = optarg; break;
		case OPT_ADDRESS:
			if (add_address(o, optarg))
				return 2;
			break;
		case OPT_NEIGH:
			if (add_neighbour(o, optarg))
				return 2;
			break;
		case OPT_CONTROL_FD:
			o->control_fd = (int)strtol(optarg, &end, 10);
			if (*end || o->control_fd < 0) {
				fprintf(stderr, "tcpconform agent: --control-fd %s: not a descriptor\n", optarg);
				return 2;
			}
			break;
		case 'h': agent_usage(stdout); return 0;
		default: agent_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tcpconform agent: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o->token_file) {
		fprintf(stderr, "tcpconform agent: --token-file FILE is required\n");
		return 2;
	}
	if (!o->listen == (o->control_fd < 0)) {
		fprintf(stderr, "tcpconform agent: give exactly one of --listen ADDR:PORT and --control-fd FD\n");
		return 2;
	}
	if (strcmp(o->stack, "linux") && strcmp(o->stack, "ref")) {
		fprintf(stderr, "tcpconform agent: --stack %s: want linux or ref\n", o->stack);
		return 2;
	}
	if (strcmp(o->stack, "linux") == 0 && (o->netdev || o->ref.have4 || o->ref.have6 || o->ref.nneigh || o->fault)) {
		fprintf(stderr, "tcpconform agent: --netdev, --address, --neighbour and --ref-fault are for --stack ref\n");
		return 2;
	}
	return -1;
}

/* A numeric address only: the agent must listen exactly where it is told. */
static int listen_on(const char *hostport)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *res;
	char host[128], port[16];
	const char *colon = strrchr(hostport, ':');
	size_t hl;
	int fd, one = 1, rc;

	if (!colon || colon == hostport || !colon[1] || strlen(colon + 1) >= sizeof(port))
		goto bad;
	hl = (size_t)(colon - hostport);
	if (hostport[0] == '[') {
		if (hl < 3 || hostport[hl - 1] != ']')
			goto bad;
		hostport++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "tcpconform agent: --listen %s: %s (a numeric address and port)\n", hostport,
			gai_strerror(rc));
		return -2;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr, "tcpconform agent: --listen %s: %s\n", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
bad:
	fprintf(stderr, "tcpconform agent: --listen %s: want ADDR:PORT or [IPV6]:PORT\n", hostport);
	return -2;
}

static struct agent_stack *make_stack(struct agent_opts *o, struct tc_err *err)
{
	if (strcmp(o->stack, "linux") == 0)
		return agent_stack_linux_new(err);
	o->ref.ifname = o->netdev;
	o->ref.fault = o->fault;
	return agent_stack_ref_new(&o->ref, err);
}

/* At most this many --stack linux sessions at once; the next is BUSY. */
#define AGENT_MAX_SESSIONS 64

struct sessions {
	pid_t pid[AGENT_MAX_SESSIONS];
	unsigned n;
};

/* Reaps the session processes that ended, by their PIDs. */
static void reap_sessions(struct sessions *ss, bool block)
{
	for (unsigned i = 0; i < ss->n;) {
		int st;
		pid_t r = waitpid(ss->pid[i], &st, block ? 0 : WNOHANG);

		if (r == ss->pid[i] || (r < 0 && errno == ECHILD)) {
			ss->pid[i] = ss->pid[--ss->n];
			continue;
		}
		i++;
	}
}

static void refuse_busy(int fd)
{
	char line[128];
	int len = agent_fmt_err(line, sizeof(line), AGENT_ERR_BUSY, "the agent serves as many clients as it can");

	if (len > 0)
		(void)!send(fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* One client's session in a process of its own, with a stack of its own. */
static int serve_forked(struct agent_opts *o, struct agent_session_conf sc, int fd, int lfd, pid_t parent,
			struct sessions *ss)
{
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, "tcpconform agent: fork: %s\n", strerror(errno));
		refuse_busy(fd);
		return 0;
	}
	if (pid > 0) {
		ss->pid[ss->n++] = pid;
		return 0;
	}
	/* the session process: gone with the agent */
	struct tc_err err = {0};
	enum agent_session_end how;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	close(lfd);
	sc.stack = make_stack(o, &err);
	if (!sc.stack) {
		char line[AGENT_LINE_MAX];
		int len = agent_fmt_err(line, sizeof(line), AGENT_ERR_INTERNAL, err.msg);

		fprintf(stderr, "tcpconform agent: --stack %s: %s\n", o->stack, err.msg);
		if (len > 0)
			(void)!send(fd, line, (size_t)len, MSG_NOSIGNAL);
		_exit(3);
	}
	sc.fd = fd;
	sc.listen_fd = -1;
	rc = agent_session_serve(&sc, &how, &err);
	if (rc != 0)
		fprintf(stderr, "tcpconform agent: %s\n", err.msg);
	else if (how == AGENT_END_REFUSED)
		fprintf(stderr, "tcpconform agent: a client was refused (wrong token, version or no HELLO)\n");
	agent_stack_free(sc.stack);
	close(fd);
	_exit(rc ? 3 : 0);
}

static int serve_linux(struct agent_opts *o, struct agent_session_conf sc, int lfd)
{
	struct sessions ss = {.n = 0};
	pid_t self = getpid();

	for (;;) {
		/* wake now and then to reap the sessions that ended */
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		int n = poll(&p, 1, 1000), fd;

		reap_sessions(&ss, false);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "tcpconform agent: poll: %s\n", strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			fprintf(stderr, "tcpconform agent: accept: %s\n", strerror(errno));
			break;
		}
		if (ss.n == AGENT_MAX_SESSIONS)
			refuse_busy(fd);
		else
			serve_forked(o, sc, fd, lfd, self, &ss);
		close(fd);
	}
	for (unsigned i = 0; i < ss.n; i++)
		kill(ss.pid[i], SIGTERM);
	reap_sessions(&ss, true);
	return 3;
}

int cmd_agent(int argc, char **argv)
{
	struct agent_opts o;
	struct tc_err err = {0};
	uint8_t token[AGENT_TOKEN_MAX];
	size_t tlen = 0;
	struct agent_stack *stack;
	struct agent_session_conf sc = {0};
	enum agent_session_end how;
	int rc = parse_opts(argc, argv, &o), lfd = -1;

	if (rc >= 0)
		return rc;
	if (agent_token_load(o.token_file, token, &tlen, &err) != 0) {
		fprintf(stderr, "tcpconform agent: %s\n", err.msg);
		return 2;
	}
	/* made here even when each session makes its own: a stack that
	 * cannot start stops the agent before it listens */
	stack = make_stack(&o, &err);
	if (!stack) {
		fprintf(stderr, "tcpconform agent: --stack %s: %s\n", o.stack, err.msg);
		return err.code == TC_ERR_USAGE ? 2 : 3;
	}
	sc.stack = stack;
	sc.token = token;
	sc.token_len = tlen;
	if (o.control_fd >= 0) {
		sc.fd = o.control_fd;
		sc.listen_fd = -1;
		rc = agent_session_serve(&sc, &how, &err);
		if (rc != 0)
			fprintf(stderr, "tcpconform agent: %s\n", err.msg);
		agent_stack_free(stack);
		close(o.control_fd);
		return rc ? 3 : 0;
	}
	lfd = listen_on(o.listen);
	if (lfd < 0) {
		agent_stack_free(stack);
		return lfd == -2 ? 2 : 3;
	}
	fprintf(stderr, "tcpconform agent: stack %s, listening on %s\n", o.stack, o.listen);
	if (strcmp(o.stack, "linux") == 0) {
		agent_stack_free(stack);
		sc.stack = NULL;
		rc = serve_linux(&o, sc, lfd);
		close(lfd);
		return rc;
	}
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "tcpconform agent: accept: %s\n", strerror(errno));
			rc = 3;
			break;
		}
		sc.fd = fd;
		sc.listen_fd = lfd;
		if (agent_session_serve(&sc, &how, &err) != 0) {
			fprintf(stderr, "tcpconform agent: %s\n", err.msg);
			close(fd);
			rc = 3;
			break;
		}
		if (how == AGENT_END_REFUSED)
			fprintf(stderr, "tcpconform agent: a client was refused (wrong token, version or no HELLO)\n");
		close(fd);
	}
	close(lfd);
	agent_stack_free(stack);
	return rc;
}
