/* The requirement matrix: RFC 9293 Appendix B against the cases' own
 * `requirements:` lists. A case names what it checks; this only counts,
 * so a requirement is "covered" exactly when some case claims it. */
#include "cmd_coverage.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/case/tc_reqs.h"
#include "../lib/casefile/casefile.h"
#include "../lib/report/report.h"
#include "discover.h"

/* Which cases claim each requirement: one list of case paths per entry of
 * the table, in the order the cases were found. */
struct claims {
	size_t nreqs;
	const struct tc_reqspec *reqs;
	size_t *n, *cap;
	const char ***paths; /* borrowed from the case list */
};

void coverage_usage(FILE *out)
{
	fprintf(out,
		"usage: tcpconform coverage [--all] [PATH...]\n"
		"\n"
		"Lists every MUST-n and SHLD-n requirement of RFC 9293 (Appendix B), the\n"
		"cases under PATH (default: cases) that check each (the case's\n"
		"`requirements:` list), and for a requirement no case can check from the\n"
		"wire, why.\n"
		"\n"
		"options:\n"
		"      --all   list the MAY-n requirements too\n"
		"  -h, --help  this text\n"
		"\n"
		"The last line is exactly \"coverage: N of M MUST requirements covered, K not\n"
		"observable on the wire\" (MUST and MUST NOT rows). exit status: 0; 2 bad\n"
		"input (a bad case file, a path that does not exist).\n");
}

static int claim(struct claims *cl, size_t r, const char *path)
{
	if (cl->n[r] == cl->cap[r]) {
		size_t cap = cl->cap[r] ? cl->cap[r] * 2 : 4;
		const char **p = realloc(cl->paths[r], cap * sizeof(*p));

		if (!p)
			return -1;
		cl->paths[r] = p;
		cl->cap[r] = cap;
	}
	cl->paths[r][cl->n[r]++] = path;
	return 0;
}

/* Reads every case and records its claims; every bad case is told. */
static int collect(const struct case_list *files, struct claims *cl)
{
	int bad = 0;

	for (size_t i = 0; i < files->n; i++) {
		struct tc_err err = {0};
		struct tc_case c;

		if (casefile_load(files->paths[i], &c, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			bad++;
			continue;
		}
		for (int k = 0; k < c.nreqs; k++)
			for (size_t r = 0; r < cl->nreqs; r++)
				if (strcmp(cl->reqs[r].id, c.reqs[k]) == 0 && claim(cl, r, files->paths[i]) != 0) {
					casefile_free(&c);
					fprintf(stderr, "tcpconform: out of memory\n");
					return -1;
				}
		casefile_free(&c);
	}
	return bad ? -1 : 0;
}

static bool is_must(const struct tc_reqspec *r)
{
	return r->level == TC_LEVEL_MUST || r->level == TC_LEVEL_MUST_NOT;
}

static void print_matrix(const struct claims *cl, bool all)
{
	unsigned must = 0, covered = 0, unobservable = 0, should = 0, should_cov = 0;

	for (size_t r = 0; r < cl->nreqs; r++) {
		const struct tc_reqspec *q = &cl->reqs[r];
		bool may = q->level == TC_LEVEL_MAY;

		if (is_must(q)) {
			must++;
			covered += cl->n[r] > 0;
			unobservable += cl->n[r] == 0 && q->unobservable;
		} else if (!may) {
			should++;
			should_cov += cl->n[r] > 0;
		}
		if (may && !all)
			continue;
		printf("%-8s %-10s %s\n", q->id, tc_level_name(q->level), q->feature);
		if (cl->n[r] == 0)
			printf("         %s%s\n", q->unobservable ? "not observable on the wire: " : "not covered",
			       q->unobservable ? q->unobservable : "");
		for (size_t k = 0; k < cl->n[r]; k++) {
			fputs("         ", stdout);
			report_put_text(stdout, cl->paths[r][k], false);
			putchar('\n');
		}
	}
	printf("SHOULD: %u of %u covered\n", should_cov, should);
	printf("coverage: %u of %u MUST requirements covered, %u not observable on the wire\n", covered, must,
	       unobservable);
}

int cmd_coverage(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct case_list files = {0};
	struct claims cl = {0};
	bool all = false;
	int ch, rc = 2;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': all = true; break;
		case 'h': coverage_usage(stdout); return 0;
		default:
			fprintf(stderr, "tcpconform coverage: unknown option '%s' (see tcpconform coverage --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	for (int i = optind; i < argc || (optind == argc && i == optind); i++) {
		struct tc_err err = {0};
		const char *path = i < argc ? argv[i] : "cases";

		if (discover(path, &files, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			goto out;
		}
	}
	if (files.nerrors) {
		for (size_t i = 0; i < files.nerrors; i++)
			fprintf(stderr, "tcpconform: %s\n", files.errors[i]);
		goto out;
	}
	cl.reqs = tc_reqs_all(&cl.nreqs);
	cl.n = calloc(cl.nreqs, sizeof(*cl.n));
	cl.cap = calloc(cl.nreqs, sizeof(*cl.cap));
	cl.paths = calloc(cl.nreqs, sizeof(*cl.paths));
	if (!cl.n || !cl.cap || !cl.paths) {
		fprintf(stderr, "tcpconform: out of memory\n");
		goto out;
	}
	if (collect(&files, &cl) != 0)
		goto out;
	print_matrix(&cl, all);
	rc = fflush(stdout) == 0 ? 0 : 2;
out:
	for (size_t r = 0; cl.paths && r < cl.nreqs; r++)
		free(cl.paths[r]);
	free(cl.paths);
	free(cl.n);
	free(cl.cap);
	case_list_free(&files);
	return rc;
}
