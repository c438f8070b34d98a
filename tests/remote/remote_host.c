/* The far host of tests/remote.sh, run inside its namespace:
 *
 *   remote_host offloads IFNAME      checksum and segmentation offloads off
 *                                    (lib/netns), so the prober's capture
 *                                    sees the checksums the stack computed
 *   remote_host listen ADDR PORT...  listen on each ADDR PORT pair, accept
 *                                    every connection and hold it, never
 *                                    reading or writing, until SIGTERM
 *
 * Writes "ready\n" on standard output once every socket listens. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns/netns_int.h"

#define MAX_LISTEN 8
#define MAX_HELD 4096

static int offloads(const char *ifname)
{
	struct tc_err err = {0};
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || netns_offloads_off(fd, ifname, &err) != 0) {
		fprintf(stderr, "remote_host: offloads %s: %s\n", ifname, fd < 0 ? strerror(errno) : err.msg);
		return 1;
	}
	close(fd);
	return 0;
}

static int listen_on(const char *addr, const char *port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		len = sizeof(*s6);
	} else {
		fprintf(stderr, "remote_host: %s is not an address\n", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "remote_host: listen %s %s: %s\n", addr, port, strerror(errno));
		return -1;
	}
	return fd;
}

static int serve(int argc, char **argv)
{
	struct pollfd pfd[MAX_LISTEN];
	int n = 0, held = 0;

	for (int i = 0; i + 1 < argc && n < MAX_LISTEN; i += 2) {
		pfd[n].fd = listen_on(argv[i], argv[i + 1]);
		pfd[n].events = POLLIN;
		if (pfd[n++].fd < 0)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
				/* held open: the far host keeps the connection as a
				 * server that has not spoken yet would */
				if (++held > MAX_HELD)
					close(c);
			}
		}
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "offloads") == 0)
		return offloads(argv[2]);
	if (argc >= 4 && argc % 2 == 0 && strcmp(argv[1], "listen") == 0)
		return serve(argc - 2, argv + 2);
	fprintf(stderr, "usage: remote_host offloads IFNAME | remote_host listen ADDR PORT [ADDR PORT...]\n");
	return 2;
}
