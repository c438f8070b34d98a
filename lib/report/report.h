/* Reports of a run: a console line per case run, and JUnit XML for CI.
 * Both take one case run at a time, as it finishes, so a run of any length
 * holds only the results still waiting for their turn on the console. */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../engine/engine.h"
#include "../case/tc_case.h"
#include "../err/tc_err.h"

/* One case run on one family: what the reports need of the case and of
 * its result, copied out so neither has to stay in memory. */
struct report_entry {
	const char *path; /* the case file */
	const char *name; /* the case's name */
	const char *const *rfc; /* the case's RFC references */
	int nrfc;
	int family; /* 4 or 6 */
	enum tc_verdict verdict;
	int failed_step; /* 0-based, -1 when none */
	struct tc_loc failed_loc; /* where that step is written */
	const char *msg; /* the engine's message, "" when none */
	const char *log; /* the step trace (verbose runs), may be NULL */
	const char *pcap_path; /* "" or NULL when none */
	uint64_t required_us, wall_us;
};

struct report_totals {
	unsigned passed, failed, skipped, errored;
};

void report_count(struct report_totals *t, enum tc_verdict v);

/* Case text (names, paths, messages) on a terminal or in a report:
 * control characters come out as \xNN (C1 controls as \u00NN), so a case
 * cannot move the cursor, clear the screen or hide a line. keep_newlines
 * leaves '\n' and '\t' alone for multi-line messages. */
void report_put_text(FILE *out, const char *s, bool keep_newlines);

/* "PASS  cases/close/finack.yaml [v4]  name" then, for a failure, the
 * location and the engine's message indented. verbose adds the engine's
 * step trace. */
void report_console_entry(FILE *out, const struct report_entry *e, bool verbose);
/* The last line: exactly "N passed, N failed, N skipped" (errors count as
 * failed). */
void report_console_totals(FILE *out, const struct report_totals *t);

/* JUnit XML, written as the run goes: open checks and opens the output
 * before the first case runs (see report_file.h for where it writes and
 * why nothing is ever destroyed), add writes one <testcase> as it
 * finishes, finish puts the suite's totals on <testsuite> and commits the
 * file. abort (or finish failing) leaves no temporary file behind. */
struct report_junit;
struct report_junit *report_junit_open(const char *path, const char *target, struct tc_err *err);
void report_junit_add(struct report_junit *j, const struct report_entry *e);
/* Frees j whatever happens. */
int report_junit_finish(struct report_junit *j, struct tc_err *err);
void report_junit_abort(struct report_junit *j);
/* For a dying process that cannot finish: remove the temporary file, if
 * any. Only unlink(2); j stays valid. */
void report_junit_discard_tmp(struct report_junit *j);

#endif
