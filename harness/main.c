/* tcpconform: the command line. Only this layer prints errors and picks
 * exit codes: 0 all passed, 1 a case failed or errored, 2 bad input. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd_agent.h"
#include "cmd_coverage.h"
#include "cmd_run.h"
#include "run_opts.h"
#include "signals.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tcpconform COMMAND [OPTIONS]\n"
		"\n"
		"A TCP conformance test harness: runs YAML cases that inject TCP segments\n"
		"into a target stack and check every segment, state and timeout it answers.\n"
		"\n"
		"commands:\n"
		"  run [OPTIONS] [PATH...] run every case under the paths, or the installed\n"
		"                          suite (see `tcpconform run --help`)\n"
		"  list-targets            the targets this build knows\n"
		"  coverage [PATH...]      RFC 9293's requirements (Appendix B) and the cases\n"
		"                          that check each (see `tcpconform coverage --help`)\n"
		"  agent [OPTIONS]         on the stack's host: application actions and states\n"
		"                          for a harness (see `tcpconform agent --help`)\n"
		"  help [COMMAND]          this text, or COMMAND's\n"
		"\n"
		"options:\n"
		"  -h, --help              this text\n"
		"  --version               the version\n"
		"\n"
		"exit status: 0 every case passed or was skipped; 1 a case failed or errored;\n"
		"2 bad input (a bad case file, a bad option, a path that does not exist).\n");
}

static void list_targets_usage(FILE *out)
{
	fprintf(out,
		"usage: tcpconform list-targets\n"
		"\n"
		"Prints the targets this build knows, one a line (the names --target takes).\n"
		"\n"
		"options:\n"
		"  -h, --help   this text\n");
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static int list_targets(int argc, char **argv)
{
	if (argc > 1 && is_help(argv[1])) {
		list_targets_usage(stdout);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "tcpconform list-targets: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	return cmd_list_targets();
}

/* `tcpconform help [COMMAND]`: the same text as COMMAND --help. */
static int help(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || is_help(argv[1])) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0) {
		run_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "list-targets") == 0) {
		list_targets_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "agent") == 0) {
		agent_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "coverage") == 0) {
		coverage_usage(stdout);
		return 0;
	}
	fprintf(stderr, "tcpconform help: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	/* The agent is a plain single-threaded server: default signal actions
	 * end it, and its helpers die with it (PR_SET_PDEATHSIG). */
	if (argc >= 2 && strcmp(argv[1], "agent") == 0)
		return cmd_agent(argc - 1, argv + 1);
	signals_install();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "coverage") == 0)
		return cmd_coverage(argc - 1, argv + 1);
	if (strcmp(argv[1], "list-targets") == 0)
		return list_targets(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0)
		return help(argc - 1, argv + 1);
	if (is_help(argv[1])) {
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
