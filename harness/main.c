/* tcpconform: the command line. Only this layer prints errors and picks
 * exit codes: 0 all passed, 1 a case failed or errored, 2 bad input. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/target/target.h"

#include "cmd_run.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tcpconform COMMAND [OPTIONS]\n"
		"\n"
		"A TCP conformance test harness: runs YAML cases that inject TCP segments\n"
		"into a target stack and check every segment, state and timeout it answers.\n"
		"\n"
		"commands:\n"
		"  run [OPTIONS] PATH...   run every case under the paths (see `tcpconform run --help`)\n"
		"  list-targets            the targets this build knows\n"
		"  help                    this text\n"
		"\n"
		"options:\n"
		"  -h, --help              this text\n"
		"  --version               the version\n"
		"\n"
		"exit status: 0 every case passed or was skipped; 1 a case failed or errored;\n"
		"2 bad input (a bad case file, a bad option, a path that does not exist).\n");
}

/* SIGINT / SIGTERM: remove what a target made outside the process, then
 * die of the same signal so the caller sees how the run ended. Namespaces,
 * veths and the helper process go with the process by themselves. */
static void on_signal(int sig)
{
	target_signal_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signal_handlers(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
	install_signal_handlers();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "list-targets") == 0)
		return cmd_list_targets();
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tcpconform %s\n", TC_VERSION);
		return 0;
	}
	fprintf(stderr, "tcpconform: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
