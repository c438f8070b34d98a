/* The options of `tcpconform run`: parsed, checked, and the case
 * selection they make. */
#ifndef RUN_OPTS_H
#define RUN_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "../lib/case/tc_case.h"
#include "../lib/case/tc_select.h"
#include "../lib/engine/engine.h"
#include "../lib/report/report.h"
#include "../lib/target/remote/remote_conf.h"

#define MAX_FILTERS 32

struct run_opts {
	const char *target;
	const char *filters[MAX_FILTERS];
	int nfilters;
	bool verbose, quiet;
	int families[2];
	int nfamilies;
	const char *fault;
	/* --junit FILE, and every other report format (report_sinks) */
	int nreports;
	struct report_request reports[REPORT_SET_MAX];
	const char *pcap_dir;
	char pcap_default[128];
	enum engine_pcap_when pcap_when; /* --pcap */
	enum capfile_format pcap_format; /* --pcap-format */
	bool list_faults, list_only;
	unsigned jobs;
	bool keep_netns;
	struct tc_select select; /* --tag, --rfc, --requirement, --shard */
	unsigned repeat; /* --repeat: how many times the suite runs (1..1000) */
	bool color; /* --color, resolved against the terminal and NO_COLOR */
	const char *cases_dir; /* --cases-dir: the suite when no PATH is given */
	const char *stack; /* --stack: whose on:, deviations: and skip: apply */
	/* --allow, --rate, --max-connections, --closed-port, --agent,
	 * --token-file: the remote target's; remote_set says one was given */
	struct remote_conf remote;
	bool remote_set;
};

void run_usage(FILE *out);
/* 0, or -1 after saying what is wrong on stderr. */
int run_opts_parse(int argc, char **argv, struct run_opts *o);
/* Whether the options select case c. */
bool run_opts_selected(const struct run_opts *o, const struct tc_case *c);
/* Whether any option narrows the suite (for "no case matched" messages). */
bool run_opts_narrowed(const struct run_opts *o);

#endif
