/* Reports of a run: a console line per case run, and JUnit XML for CI. */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../engine/engine.h"
#include "../case/tc_case.h"
#include "../err/tc_err.h"

/* One case run on one family. */
struct report_entry {
	const struct tc_case *c;
	int family;
	const struct engine_result *r;
	uint64_t wall_us;
};

struct report_totals {
	unsigned passed, failed, skipped, errored;
};

void report_count(struct report_totals *t, enum tc_verdict v);

/* "PASS  close/fin-wait-1-finack [v4]  (virtual 240000.000 ms)" then, for a
 * failure, the location and the engine's message indented. verbose adds the
 * engine's step trace. */
void report_console_entry(FILE *out, const struct report_entry *e, bool verbose);
/* The last line: exactly "N passed, N failed, N skipped" (errors count as
 * failed). */
void report_console_totals(FILE *out, const struct report_totals *t);

/* JUnit XML, one <testcase> per entry; written to path.tmp and renamed so a
 * reader never sees half a file. */
int report_junit_write(const char *path, const char *target, const struct report_entry *e,
		       size_t n, struct tc_err *err);

#endif
