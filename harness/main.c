/* tcpconform: the command line. Only this layer prints errors and picks
 * exit codes: 0 all passed, 1 a case failed or errored, 2 bad input. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd_coverage.h"
#include "cmd_run.h"
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
		"  run [OPTIONS] PATH...   run every case under the paths (see `tcpconform run --help`)\n"
		"  list-targets            the targets this build knows\n"
		"  coverage [PATH...]      RFC 9293's requirements (Appendix B) and the cases\n"
		"                          that check each (see `tcpconform coverage --help`)\n"
		"  help                    this text\n"
		"\n"
		"options:\n"
		"  -h, --help              this text\n"
		"  --version               the version\n"
		"\n"
		"exit status: 0 every case passed or was skipped; 1 a case failed or errored;\n"
		"2 bad input (a bad case file, a bad option, a path that does not exist).\n");
}

int main(int argc, char **argv)
{
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
