/* The options of `tcpconform run`. */
#include "run_opts.h"

#include "cases_dir.h"

#include <fnmatch.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void run_usage(FILE *out)
{
	fprintf(out,
		"usage: tcpconform run [OPTIONS] [PATH...]\n"
		"\n"
		"Runs every case file (*.yaml, *.yml) under each PATH, in name order.\n"
		"Every case is loaded and checked before the first one runs. Without a\n"
		"PATH it runs the suite: the first of --cases-dir DIR, $TCPCONFORM_CASES,\n"
		"./cases (a source tree), %s.\n"
		"\n"
		"options:\n"
		"  -t, --target NAME     the stack under test (default: ref, the bundled\n"
		"                        reference stack in virtual time); see list-targets;\n"
		"                        remote:ADDR[:PORT] (IPv6 in brackets) is a remote\n"
		"                        host whose PORT (default 8080) listens\n"
		"      --stack NAME      the target whose on:, deviations: and skip: apply\n"
		"                        (the stack the remote host runs, e.g. linux)\n"
		"      --allow CIDR      remote: a prefix the run may send to (repeatable;\n"
		"                        required: every destination must lie in one)\n"
		"      --rate PPS        remote: injected segments per second, a token\n"
		"                        bucket that delays, never drops (default 100,\n"
		"                        burst PPS/10)\n"
		"      --max-connections N\n"
		"                        remote: SYNs the run may send in all (default 1000)\n"
		"      --closed-port PORT\n"
		"                        remote: a port of the far host nobody listens on,\n"
		"                        for the cases that need a closed port\n"
		"      --agent HOST:PORT remote: the far host's agent, for app and state\n"
		"      --token-file F    remote: the agent's token\n"
		"  -f, --filter GLOB     run only cases whose path or name matches GLOB\n"
		"                        (fnmatch; repeatable; a case runs if any matches)\n"
		"      --tag TAG         run only cases with tag TAG (repeatable: any of them)\n"
		"      --rfc SECTION     run only cases citing SECTION or a section under it,\n"
		"                        whole components: \"9293 3.10.7\" takes 3.10.7.4, not\n"
		"                        3.10.70; \"7323\" takes every section of RFC 7323\n"
		"                        (repeatable: any of them)\n"
		"      --requirement REQ run only cases listing REQ (MUST-36, SHLD-5) in their\n"
		"                        requirements (repeatable: any of them); the kinds\n"
		"                        --filter, --tag, --rfc, --requirement combine with AND\n"
		"      --shard K/N       run only shard K of N (1 <= K <= N <= 1000): a case's\n"
		"                        shard is a hash of its path, so the N shards split\n"
		"                        the suite the same way on every machine\n"
		"      --repeat N        run the selected suite N times (1..1000); a case run\n"
		"                        whose verdict changed is listed as FLIP before the\n"
		"                        totals, which count every repetition; a flip exits 1\n"
		"      --color WHEN      colour the verdicts: auto (default: when standard\n"
		"                        output is a terminal and NO_COLOR is unset or empty),\n"
		"                        always, never\n"
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
		"      --cases-dir DIR   the suite to run when no PATH is given\n"
		"      --list            list the cases that would run, run nothing\n"
#ifdef REFSTACK_FAULTS
		"      --ref-fault NAME  seed fault NAME into the reference stack\n"
		"      --list-faults     list the seeded faults and exit\n"
#endif
		"  -h, --help            this text\n"
		"\n"
		"reports (each checked before any case runs; - is standard output; a\n"
		"regular file, or a symlink to one, is replaced whole when the run ends,\n"
		"a FIFO or a device is written through):\n", cases_dir_builtin());
	for (const struct report_sink_ops *const *k = report_sinks; *k; k++) {
		char opt[40];

		snprintf(opt, sizeof(opt), "--%s %s", (*k)->name, (*k)->arg);
		fprintf(out, "      %-18s%s\n", opt, (*k)->help);
	}
	fprintf(out,
		"\n"
		"On a terminal, standard error shows the progress: \"[k/N done] PATH\", the\n"
		"case runs done and the one the console waits for.\n"
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


enum { OPT_FAMILY = 256, OPT_LIST, OPT_FAULT, OPT_LIST_FAULTS, OPT_PCAP_DIR, OPT_KEEP_NETNS,
       OPT_TAG, OPT_RFC, OPT_REQUIREMENT, OPT_SHARD, OPT_REPEAT, OPT_COLOR,
       OPT_CASES_DIR, OPT_PCAP, OPT_PCAP_FORMAT, OPT_STACK, OPT_ALLOW, OPT_RATE, OPT_MAX_CONN,
       OPT_CLOSED_PORT, OPT_AGENT, OPT_TOKEN_FILE };

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

/* One more value of a repeatable selection option. */
static int add_value(const char **list, int *n, const char *opt, const char *v)
{
	if (*n == TC_SELECT_MAX) {
		fprintf(stderr, "tcpconform run: at most %d %s options\n", TC_SELECT_MAX, opt);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

static int parse_selection(int ch, const char *arg, struct run_opts *o)
{
	struct tc_select *s = &o->select;

	switch (ch) {
	case OPT_TAG:
		if (arg[0] == '\0') {
			fprintf(stderr, "tcpconform run: --tag: the tag is empty\n");
			return -1;
		}
		return add_value(s->tags, &s->ntags, "--tag", arg);
	case OPT_RFC:
		if (!tc_select_rfc_valid(arg)) {
			fprintf(stderr, "tcpconform run: --rfc: '%s' is not an RFC number, optionally followed by one"
					" space and a section (\"7323\", \"9293 3.10.7\")\n", arg);
			return -1;
		}
		return add_value(s->rfcs, &s->nrfcs, "--rfc", arg);
	case OPT_REQUIREMENT:
		if (!tc_select_req_valid(arg)) {
			fprintf(stderr, "tcpconform run: --requirement: '%s' is not MUST-n, SHLD-n or MAY-n"
					" (RFC 9293 Appendix B)\n", arg);
			return -1;
		}
		return add_value(s->reqs, &s->nreqs, "--requirement", arg);
	default: /* OPT_SHARD */
		if (tc_select_parse_shard(arg, &s->shard_k, &s->shard_n) != 0) {
			fprintf(stderr, "tcpconform run: --shard: '%s' is not K/N with 1 <= K <= N <= %d\n", arg,
				TC_SHARD_MAX);
			return -1;
		}
		return 0;
	}
}

static int parse_repeat(const char *arg, struct run_opts *o)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end != '\0' || n < 1 || n > 1000) {
		fprintf(stderr, "tcpconform run: --repeat: '%s' is not a number 1..1000\n", arg);
		return -1;
	}
	o->repeat = (unsigned)n;
	return 0;
}

/* auto follows https://no-color.org: colour only on a terminal, and
 * never when NO_COLOR is set to anything; always and never decide alone. */
static int parse_color(const char *arg, struct run_opts *o)
{
	const char *no_color = getenv("NO_COLOR");

	if (strcmp(arg, "always") == 0) {
		o->color = true;
	} else if (strcmp(arg, "never") == 0) {
		o->color = false;
	} else if (strcmp(arg, "auto") == 0) {
		o->color = isatty(STDOUT_FILENO) && (!no_color || no_color[0] == '\0');
	} else {
		fprintf(stderr, "tcpconform run: --color: '%s' is not auto, always or never\n", arg);
		return -1;
	}
	return 0;
}

static int parse_uint(const char *opt, const char *arg, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end != '\0' || n < 1 || n > max) {
		fprintf(stderr, "tcpconform run: %s: '%s' is not a number 1..%lu\n", opt, arg, max);
		return -1;
	}
	*out = n;
	return 0;
}

/* The remote target's options; their use with another target is refused
 * in cmd_run, once the target is known. */
static int parse_remote(int ch, const char *arg, struct run_opts *o)
{
	struct remote_conf *rc = &o->remote;
	struct tc_err err = {0};
	unsigned long n;

	o->remote_set = true;
	switch (ch) {
	case OPT_ALLOW:
		if (rc->nallow == REMOTE_ALLOW_MAX) {
			fprintf(stderr, "tcpconform run: at most %d --allow options\n", REMOTE_ALLOW_MAX);
			return -1;
		}
		if (remote_cidr_parse(arg, &rc->allow[rc->nallow], &err) != 0) {
			fprintf(stderr, "tcpconform run: %s\n", err.msg);
			return -1;
		}
		rc->nallow++;
		return 0;
	case OPT_RATE:
		if (parse_uint("--rate", arg, 100000, &n) != 0)
			return -1;
		rc->rate = (unsigned)n;
		return 0;
	case OPT_MAX_CONN:
		if (parse_uint("--max-connections", arg, 1000000, &n) != 0)
			return -1;
		rc->max_connections = (unsigned)n;
		return 0;
	case OPT_CLOSED_PORT:
		if (parse_uint("--closed-port", arg, 65535, &n) != 0)
			return -1;
		rc->closed_port = (uint16_t)n;
		return 0;
	case OPT_AGENT: rc->agent = arg; return 0;
	default: /* OPT_TOKEN_FILE */ rc->token_file = arg; return 0;
	}
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
		{"tag", required_argument, NULL, OPT_TAG},
		{"rfc", required_argument, NULL, OPT_RFC},
		{"requirement", required_argument, NULL, OPT_REQUIREMENT},
		{"shard", required_argument, NULL, OPT_SHARD},
		{"repeat", required_argument, NULL, OPT_REPEAT},
		{"color", required_argument, NULL, OPT_COLOR},
		{"cases-dir", required_argument, NULL, OPT_CASES_DIR},
		{"stack", required_argument, NULL, OPT_STACK},
		{"allow", required_argument, NULL, OPT_ALLOW},
		{"rate", required_argument, NULL, OPT_RATE},
		{"max-connections", required_argument, NULL, OPT_MAX_CONN},
		{"closed-port", required_argument, NULL, OPT_CLOSED_PORT},
		{"agent", required_argument, NULL, OPT_AGENT},
		{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
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
	o->repeat = 1;
	remote_conf_init(&o->remote);
	if (parse_color("auto", o) != 0)
		return -1;
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
		case OPT_TAG:
		case OPT_RFC:
		case OPT_REQUIREMENT:
		case OPT_SHARD:
			if (parse_selection(ch, optarg, o) != 0)
				return -1;
			break;
		case OPT_REPEAT:
			if (parse_repeat(optarg, o) != 0)
				return -1;
			break;
		case OPT_COLOR:
			if (parse_color(optarg, o) != 0)
				return -1;
			break;
		case OPT_CASES_DIR: o->cases_dir = optarg; break;
		case OPT_STACK: o->stack = optarg; break;
		case OPT_ALLOW:
		case OPT_RATE:
		case OPT_MAX_CONN:
		case OPT_CLOSED_PORT:
		case OPT_AGENT:
		case OPT_TOKEN_FILE:
			if (parse_remote(ch, optarg, o) != 0)
				return -1;
			break;
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

static bool filter_matches(const struct run_opts *o, const struct tc_case *c)
{
	if (o->nfilters == 0)
		return true;
	for (int i = 0; i < o->nfilters; i++)
		if (fnmatch(o->filters[i], c->path, 0) == 0 || fnmatch(o->filters[i], c->name, 0) == 0)
			return true;
	return false;
}

bool run_opts_selected(const struct run_opts *o, const struct tc_case *c)
{
	return filter_matches(o, c) && tc_select_case(&o->select, c);
}

bool run_opts_narrowed(const struct run_opts *o)
{
	const struct tc_select *s = &o->select;

	return o->nfilters || s->ntags || s->nrfcs || s->nreqs || s->shard_n;
}

