/* Drives a `tcpconform agent --stack linux` through the client library
 * and plays the peer itself on loopback, checking every state the agent
 * reports against the kernel's own /proc/net/tcp (not sock_diag, which the
 * agent uses). For tests/agent.sh.
 *   agent-drive session HOST:PORT TOKEN_FILE   the whole exchange
 *   agent-drive hello HOST:PORT TOKEN_FILE     HELLO only (exit 0 if accepted)
 *   agent-drive dead HOST:PORT TOKEN_FILE PID  kill PID after CASE-BEGIN, then an action must fail
 *   agent-drive listen HOST:PORT TOKEN_FILE FAMILY PEER
 *       listen on 8080 for PEER port 40001 and wait up to 5 s for ESTABLISHED
 *       (a --stack ref agent, a kernel connecting to it: ARP / NDP and the handshake) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_client.h"

#define PORT 8080
#define PEER_PORT 40001

static int failures;

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			printf("agent-drive: FAIL: " __VA_ARGS__); \
			printf("\n");                      \
			failures++;                        \
		}                                          \
	} while (0)

/* The kernel's state of local port PORT towards PEER_PORT (or the
 * listener on PORT when peer_port is 0), from /proc/net/tcp; -1 when none. */
static int proc_state(unsigned peer_port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char buf[512];
	int state = -1;

	if (!f)
		return -2;
	while (fgets(buf, sizeof(buf), f)) {
		unsigned la, lp, ra, rp, st;

		if (sscanf(buf, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp, &st) != 5)
			continue;
		if (lp == PORT && rp == peer_port)
			state = (int)st;
	}
	fclose(f);
	return state;
}

/* include/net/tcp_states.h */
static int tc_to_kernel(enum tc_state s)
{
	switch (s) {
	case TC_ESTABLISHED: return 1;
	case TC_SYN_SENT: return 2;
	case TC_SYN_RECEIVED: return 3;
	case TC_FIN_WAIT_1: return 4;
	case TC_FIN_WAIT_2: return 5;
	case TC_TIME_WAIT: return 6;
	case TC_CLOSE_WAIT: return 8;
	case TC_LAST_ACK: return 9;
	case TC_LISTEN: return 10;
	case TC_CLOSING: return 11;
	default: return -1; /* CLOSED: no entry */
	}
}

static void expect_state(struct agent_client *c, enum tc_state want, unsigned kernel_peer_port)
{
	struct tc_err err = {0};
	enum tc_state got;
	int k;

	if (agent_state(c, &got, NULL, &err) != 0) {
		CHECK(0, "STATE: %s", err.msg);
		return;
	}
	k = proc_state(kernel_peer_port);
	CHECK(got == want, "the agent says %s, want %s", tc_state_name(got), tc_state_name(want));
	CHECK(k == tc_to_kernel(got), "the agent says %s, /proc/net/tcp says state %d", tc_state_name(got), k);
	printf("agent-drive: state %s (kernel %d)\n", tc_state_name(got), k);
}

static void act(struct agent_client *c, struct tc_app a, uint64_t timeout_us, int want_code)
{
	struct tc_err err = {0};
	int rc = agent_app(c, &a, timeout_us, NULL, &err);

	if (want_code == TC_OK)
		CHECK(rc == 0, "%s: %s", tc_app_verb_name(a.verb), err.msg);
	else
		CHECK(rc != 0 && (int)err.code == want_code, "%s: want %s, got rc %d %s: %s", tc_app_verb_name(a.verb),
		      tc_err_name((enum tc_errcode)want_code), rc, tc_err_name(err.code), err.msg);
	if (rc)
		printf("agent-drive: %s refused: %s\n", tc_app_verb_name(a.verb), err.msg);
}

static void pause_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int session(const char *hp, const char *tok)
{
	struct tc_err err = {0};
	struct agent_client *c = agent_connect(hp, tok, &err);
	struct seg_addr peer;
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(PEER_PORT)};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	char buf[16];
	int one = 1, s;
	struct tc_app a;

	if (!c) {
		printf("agent-drive: FAIL: %s\n", err.msg);
		return 1;
	}
	seg_addr_parse("127.0.0.1", &peer);
	CHECK(agent_case_begin(c, 4, PORT, &peer, PEER_PORT, &err) == 0, "CASE-BEGIN: %s", err.msg);
	act(c, (struct tc_app){.verb = TC_APP_LISTEN}, 100000, TC_OK);
	expect_state(c, TC_LISTEN, 0);
	act(c, (struct tc_app){.verb = TC_APP_ACCEPT}, 100000, TC_ERR_TARGET);

	s = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK(bind(s, (struct sockaddr *)&me, sizeof(me)) == 0 && connect(s, (struct sockaddr *)&to, sizeof(to)) == 0,
	      "the peer cannot connect");
	act(c, (struct tc_app){.verb = TC_APP_ACCEPT}, 500000, TC_OK);
	expect_state(c, TC_ESTABLISHED, PEER_PORT);
	CHECK(send(s, "hello", 5, 0) == 5, "peer send");
	act(c, (struct tc_app){.verb = TC_APP_RECV, .n = 5}, 500000, TC_OK);
	{
		/* nothing more to read: the agent answers with what the call
		 * returned (the socket's EAGAIN after the wait: the
		 * application's answer), not an error of the agent */
		struct tc_app r1 = {.verb = TC_APP_RECV, .n = 1};
		struct tc_app_result res;
		struct tc_err e1 = {0};

		CHECK(agent_app(c, &r1, 100000, &res, &e1) == 0, "recv 1: %s", e1.msg);
		CHECK(res.err_no == EAGAIN && res.value == 0, "recv 1 with nothing to read: errno %d value %lld", res.err_no,
		      (long long)res.value);
	}
	a = (struct tc_app){.verb = TC_APP_SEND, .len = 3};
	memcpy(a.data, "bye", 3);
	act(c, a, 500000, TC_OK);
	CHECK(recv(s, buf, sizeof(buf), 0) == 3 && memcmp(buf, "bye", 3) == 0, "the peer did not get 'bye'");
	shutdown(s, SHUT_WR);
	pause_ms(50);
	expect_state(c, TC_CLOSE_WAIT, PEER_PORT);
	act(c, (struct tc_app){.verb = TC_APP_CLOSE}, 100000, TC_OK);
	pause_ms(50);
	/* the connection is gone (the kernel has no entry), the listener is not */
	CHECK(proc_state(PEER_PORT) == -1, "the connection is still in /proc/net/tcp (state %d)", proc_state(PEER_PORT));
	expect_state(c, TC_LISTEN, 0);
	CHECK(agent_case_end(c, &err) == 0, "CASE-END: %s", err.msg);
	pause_ms(50);
	CHECK(proc_state(0) == -1, "the listener is still there after CASE-END (state %d)", proc_state(0));
	close(s);
	agent_close(c);
	return failures ? 1 : 0;
}

static int hello(const char *hp, const char *tok)
{
	struct tc_err err = {0};
	struct agent_client *c = agent_connect(hp, tok, &err);

	if (!c) {
		printf("agent-drive: refused: %s\n", err.msg);
		return 1;
	}
	agent_close(c);
	return 0;
}

static int dead(const char *hp, const char *tok, pid_t pid)
{
	struct tc_err err = {0};
	struct agent_client *c = agent_connect(hp, tok, &err);
	struct seg_addr peer;
	struct tc_app a = {.verb = TC_APP_LISTEN};

	if (!c) {
		printf("agent-drive: FAIL: %s\n", err.msg);
		return 1;
	}
	seg_addr_parse("127.0.0.1", &peer);
	CHECK(agent_case_begin(c, 4, PORT, &peer, PEER_PORT, &err) == 0, "CASE-BEGIN: %s", err.msg);
	/* the test started this agent: it is ours to end */
	kill(pid, SIGKILL);
	pause_ms(100);
	CHECK(agent_app(c, &a, 100000, NULL, &err) != 0 && err.code == TC_ERR_SYSTEM && strstr(err.msg, hp),
	      "an action on a dead agent: code %s: %s", tc_err_name(err.code), err.msg);
	printf("agent-drive: dead agent: %s\n", err.msg);
	agent_close(c);
	return failures ? 1 : 0;
}

static int listen_for(const char *hp, const char *tok, int family, const char *peer_text)
{
	struct tc_err err = {0};
	struct agent_client *c = agent_connect(hp, tok, &err);
	struct tc_transitions tr;
	struct seg_addr peer;
	enum tc_state st = TC_CLOSED;
	struct tc_app a = {.verb = TC_APP_LISTEN};

	if (!c) {
		printf("agent-drive: FAIL: %s\n", err.msg);
		return 1;
	}
	seg_addr_parse(peer_text, &peer);
	CHECK(agent_case_begin(c, family, PORT, &peer, PEER_PORT, &err) == 0, "CASE-BEGIN: %s", err.msg);
	CHECK(agent_app(c, &a, 100000, NULL, &err) == 0, "listen: %s", err.msg);
	for (int i = 0; i < 100 && st != TC_ESTABLISHED; i++) {
		if (agent_state(c, &st, &tr, &err) != 0) {
			CHECK(0, "STATE: %s", err.msg);
			break;
		}
		for (int k = 0; k < tr.n; k++)
			printf("agent-drive: IPv%d transition %s -> %s\n", family, tc_state_name(tr.from[k]),
			       tc_state_name(tr.to[k]));
		pause_ms(50);
	}
	CHECK(st == TC_ESTABLISHED, "IPv%d: no connection from %s in 5 s (state %s)", family, peer_text, tc_state_name(st));
	a.verb = TC_APP_ACCEPT;
	CHECK(agent_app(c, &a, 100000, NULL, &err) == 0, "accept: %s", err.msg);
	a = (struct tc_app){.verb = TC_APP_RECV, .n = 5};
	CHECK(agent_app(c, &a, 2000000, NULL, &err) == 0, "recv 5 from the kernel peer: %s", err.msg);
	CHECK(agent_case_end(c, &err) == 0, "CASE-END: %s", err.msg);
	agent_close(c);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "listen") == 0)
		return listen_for(argv[2], argv[3], atoi(argv[4]), argv[5]);
	if (argc == 4 && strcmp(argv[1], "session") == 0)
		return session(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "hello") == 0)
		return hello(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "dead") == 0)
		return dead(argv[2], argv[3], (pid_t)atoi(argv[4]));
	fprintf(stderr, "usage: agent-drive session|hello HOST:PORT TOKEN_FILE | dead HOST:PORT TOKEN_FILE PID\n");
	return 2;
}
