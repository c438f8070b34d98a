/* The options of `tcpconform run`. */
#include "run_opts.h"

#include <fnmatch.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void run_usage(FILE *out)
{
	fprintf(out,
		"usage: tcpconform run [OPTIONS] PATH...\n"
		"\n"
		"Runs every case file (*.yaml, *.yml) under each PATH, in name order.\n"
		"Every case is loaded and checked before the first one runs.\n"
		"\n"
		"options:\n"
		"  -t, --target NAME     the stack under test (default: ref, the bundled\n"
		"                        reference stack in virtual time); see list-targets\n"
		"  -f, --filter GLOB     run only cases whose path or name matches GLOB\n"
		"                        (fnmatch; repeatable; a case runs if any matches)\n"
		"      --family 4|6|both IP version(s) to run each case on (default: both)\n"
		"  -j, --jobs N          run N cases at once, each worker with namespaces of\n"
		"                        its own; output stays in case order. Default: one\n"
		"                        per CPU, and on a real-time target (linux) enough\n"
		"                        that the cases' waits fit in the longest case,\n"
		"                        longest first; at most what the target allows\n"
		"      --keep-netns      name the linux target's namespaces while the run\n"
		"                        lasts (/run/netns/tcpconform-<pid>-<worker>-target,\n"
		"                        -harness) so `ip netns exec` can look inside\n"
		"  -v, --verbose         print every step and segment of every case\n"
		"  -q, --quiet           print only failures and the totals\n"
		"      --pcap failed|all|none\n"
		"                        which case runs leave their exchange as a capture\n"
		"                        file, one per case run (default: failed)\n"
		"      --pcap-format pcapng|pcap\n"
		"                        pcapng (the default) comments every packet with its\n"
		"                        step and the failing one with why; pcap has no comments\n"
		"      --pcap-dir DIR    where the capture files go (default:\n"
		"                        reports/run-<time>-<pid>/, made only when needed)\n"
		"      --list            list the cases that would run, run nothing\n"
#ifdef REFSTACK_FAULTS
		"      --ref-fault NAME  seed fault NAME into the reference stack\n"
		"      --list-faults     list the seeded faults and exit\n"
#endif
		"  -h, --help            this text\n"
		"\n"
		"reports (each checked before any case runs; - is standard output; a\n"
		"regular file, or a symlink to one, is replaced whole when the run ends,\n"
		"a FIFO or a device is written through):\n");
	for (const struct report_sink_ops *const *k = report_sinks; *k; k++) {
		char opt[40];

		snprintf(opt, sizeof(opt), "--%s %s", (*k)->name, (*k)->arg);
		fprintf(out, "      %-18s%s\n", opt, (*k)->help);
	}
	fprintf(out,
		"\n"
		"Output: one line per case run (PASS, FAIL, SKIP or ERROR, the case file,\n"
		"the IP version), the failing step's file:line:col and what was expected and\n"
		"what arrived; the last line is exactly \"N passed, N failed, N skipped\"\n"
		"(errors count as failed).\n"
		"exit status: 0 nothing failed; 1 a case failed or errored; 2 bad input.\n");
}

static int parse_family(const char *arg, struct run_opts *o)
{
	if (strcmp(arg, "4") == 0) {
		o->families[0] = 4;
		o->nfamilies = 1;
	} else if (strcmp(arg, "6") == 0) {
		o->families[0] = 6;
		o->nfamilies = 1;
	} else if (strcmp(arg, "both") == 0) {
		o->families[0] = 4;
		o->families[1] = 6;
		o->nfamilies = 2;
	} else {
		fprintf(stderr, "tcpconform run: --family: '%s' is not 4, 6 or both\n", arg);
		return -1;
	}
	return 0;
}

/* --pcap and --pcap-format: one of a few words. */
static int parse_pcap_when(const char *arg, struct run_opts *o)
{
	if (strcmp(arg, "failed") == 0)
		o->pcap_when = ENGINE_PCAP_FAILED;
	else if (strcmp(arg, "all") == 0)
		o->pcap_when = ENGINE_PCAP_ALL;
	else if (strcmp(arg, "none") == 0)
		o->pcap_when = ENGINE_PCAP_NONE;
	else {
		fprintf(stderr, "tcpconform run: --pcap: '%s' is not failed, all or none\n", arg);
		return -1;
	}
	return 0;
}

static int parse_pcap_format(const char *arg, struct run_opts *o)
{
	if (strcmp(arg, "pcapng") == 0)
		o->pcap_format = CAPFILE_PCAPNG;
	else if (strcmp(arg, "pcap") == 0)
		o->pcap_format = CAPFILE_PCAP;
	else {
		fprintf(stderr, "tcpconform run: --pcap-format: '%s' is not pcapng or pcap\n", arg);
		return -1;
	}
	return 0;
}

enum { OPT_FAMILY = 256, OPT_LIST, OPT_FAULT, OPT_LIST_FAULTS, OPT_PCAP_DIR, OPT_KEEP_NETNS, OPT_PCAP, OPT_PCAP_FORMAT };

/* A report format's option: 512 + its index in report_sinks. */
#define OPT_REPORT 512
#define MAX_LONGOPTS 48

static int add_report(struct run_opts *o, int k, const char *path)
{
	const struct report_sink_ops *ops = report_sinks[k];

	for (int i = 0; i < o->nreports; i++)
		if (o->reports[i].ops == ops) {
			fprintf(stderr, "tcpconform run: --%s given twice\n", ops->name);
			return -1;
		}
	if (o->nreports == REPORT_SET_MAX) {
		fprintf(stderr, "tcpconform run: at most %d reports\n", REPORT_SET_MAX);
		return -1;
	}
	o->reports[o->nreports++] = (struct report_request){.ops = ops, .path = path};
	return 0;
}

int run_opts_parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option fixed[] = {
		{"target", required_argument, NULL, 't'},
		{"filter", required_argument, NULL, 'f'},
		{"family", required_argument, NULL, OPT_FAMILY},
		{"verbose", no_argument, NULL, 'v'},
		{"jobs", required_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"pcap-dir", required_argument, NULL, OPT_PCAP_DIR},
		{"pcap", required_argument, NULL, OPT_PCAP},
		{"pcap-format", required_argument, NULL, OPT_PCAP_FORMAT},
		{"keep-netns", no_argument, NULL, OPT_KEEP_NETNS},
		{"list", no_argument, NULL, OPT_LIST},
#ifdef REFSTACK_FAULTS
		{"ref-fault", required_argument, NULL, OPT_FAULT},
		{"list-faults", no_argument, NULL, OPT_LIST_FAULTS},
#endif
		{"help", no_argument, NULL, 'h'},
	};
	struct option longopts[MAX_LONGOPTS];
	size_t n = sizeof(fixed) / sizeof(fixed[0]);
	int ch;

	memcpy(longopts, fixed, sizeof(fixed));
	for (int k = 0; report_sinks[k] && n + 1 < MAX_LONGOPTS; k++)
		longopts[n++] = (struct option){report_sinks[k]->name, required_argument, NULL, OPT_REPORT + k};
	longopts[n] = (struct option){NULL, 0, NULL, 0};

	o->target = "ref";
	o->families[0] = 4;
	o->families[1] = 6;
	o->nfamilies = 2;
	opterr = 0;
	optind = 1;
	o->jobs = 0; /* chosen by the target: target_default_jobs */
	while ((ch = getopt_long(argc, argv, ":t:f:j:vqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': o->target = optarg; break;
		case 'f':
			if (o->nfilters == MAX_FILTERS) {
				fprintf(stderr, "tcpconform run: at most %d --filter options\n", MAX_FILTERS);
				return -1;
			}
			o->filters[o->nfilters++] = optarg;
			break;
		case OPT_FAMILY:
			if (parse_family(optarg, o) != 0)
				return -1;
			break;
		case 'v': o->verbose = true; break;
		case 'j': {
			char *end;
			long j = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || j < 1 || j > 1024) {
				fprintf(stderr, "tcpconform run: --jobs: '%s' is not a number 1..1024\n", optarg);
				return -1;
			}
			o->jobs = (unsigned)j;
			break;
		}
		case 'q': o->quiet = true; break;
		case OPT_PCAP_DIR: o->pcap_dir = optarg; break;
		case OPT_PCAP:
			if (parse_pcap_when(optarg, o) != 0)
				return -1;
			break;
		case OPT_PCAP_FORMAT:
			if (parse_pcap_format(optarg, o) != 0)
				return -1;
			break;
		case OPT_KEEP_NETNS: o->keep_netns = true; break;
		case OPT_LIST: o->list_only = true; break;
		case OPT_FAULT: o->fault = optarg; break;
		case OPT_LIST_FAULTS: o->list_faults = true; break;
		case 'h': run_usage(stdout); exit(0);
		case ':':
			fprintf(stderr, "tcpconform run: option %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			if (ch >= OPT_REPORT && ch < OPT_REPORT + MAX_LONGOPTS) {
				if (add_report(o, ch - OPT_REPORT, optarg) != 0)
					return -1;
				break;
			}
			fprintf(stderr, "tcpconform run: unknown option '%s' (see tcpconform run --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

bool run_opts_selected(const struct run_opts *o, const struct tc_case *c)
{
	if (o->nfilters == 0)
		return true;
	for (int i = 0; i < o->nfilters; i++)
		if (fnmatch(o->filters[i], c->path, 0) == 0 || fnmatch(o->filters[i], c->name, 0) == 0)
			return true;
	return false;
}

