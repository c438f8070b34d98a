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

/* A segment of the exchange, as the reports show it. */
struct report_event {
	bool from_target;
	int step; /* 0-based step that sent or read it; -1 after the last step */
	uint64_t at_us; /* since the case started */
	uint16_t flags, win, len;
	uint32_t seq, ack; /* absolute; the entry's ISNs make them relative */
	char text[192]; /* the segment as the console prints it (seg_format) */
};

/* A step that exchanged no segment: app action, state read, wait, silence. */
struct report_mark {
	int step;
	enum tc_step_kind kind;
	uint64_t start_us, end_us;
	char text[96];
};

/* One case run on one family: what the reports need of the case and of
 * its result, copied out so neither has to stay in memory. */
struct report_entry {
	const char *path; /* the case file */
	const char *name; /* the case's name */
	const char *const *rfc; /* the case's RFC references */
	int nrfc;
	const char *const *tags;
	int ntags;
	const char *const *reqs; /* RFC 9293 Appendix B requirements: "MUST-36" */
	int nreqs;
	const char *target; /* the target's name */
	int family; /* 4 or 6 */
	enum tc_verdict verdict;
	bool known_deviation; /* a SKIP that is a recorded deviation's failure */
	int failed_step; /* 0-based, -1 when none */
	struct tc_loc failed_loc; /* where that step is written */
	int nsteps; /* steps in the case */
	const char *msg; /* the engine's message, "" when none */
	const char *log; /* the step trace (verbose runs), may be NULL */
	const char *pcap_path; /* "" or NULL when none */
	uint64_t required_us, wall_us;
	int64_t started_unix_us; /* wall clock when the case run started */
	uint32_t peer_isn, target_isn;
	const struct report_event *events; /* oldest first */
	int nevents;
	const struct report_mark *marks; /* step order */
	int nmarks;
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
/* The same entry with the verdict word in colour (PASS green, FAIL and
 * ERROR red, SKIP yellow) when color. */
void report_console_entry_color(FILE *out, const struct report_entry *e, bool verbose, bool color);
/* A case run whose verdict changed between repetitions (--repeat):
 * "FLIP  cases/x.yaml [v4]  PASS PASS FAIL", one verdict per repetition. */
void report_console_flip(FILE *out, const char *path, int family, const enum tc_verdict *seq, unsigned n,
			 bool color);

/* What every report says about the run as a whole; valid only during
 * open (a sink copies what it keeps). */
struct report_run_info {
	const char *target;
	const char *hostname;
	int64_t started_unix_us;
	const char *version; /* the tool's version, NULL when unknown */
};

/* A report format written as the run goes. open checks and opens its
 * output before the first case runs (report_file.h: where it writes and
 * why nothing is ever destroyed), add takes one case run as it finishes,
 * finish writes what needs the totals and commits the output; finish and
 * abort free the state whatever happens; abort (or a failed finish)
 * leaves no temporary file behind. discard_tmp is for a dying process
 * that cannot finish: only unlink(2), the state stays valid. */
struct report_sink_ops {
	const char *name; /* the option without "--": "junit" */
	const char *arg; /* what the option takes: "FILE", "DIR" */
	const char *help; /* one line for `tcpconform run --help` */
	bool needs_exchange; /* add wants the entry's events and marks */
	void *(*open)(const char *path, const struct report_run_info *info, struct tc_err *err);
	void (*add)(void *sink, const struct report_entry *e);
	int (*finish)(void *sink, const struct report_totals *t, struct tc_err *err);
	void (*abort)(void *sink);
	void (*discard_tmp)(void *sink);
};

/* Every format there is, NULL-terminated. */
extern const struct report_sink_ops *const report_sinks[];
const struct report_sink_ops *report_sink_find(const char *name);

/* JUnit XML (report_junit.c). */
extern const struct report_sink_ops report_sink_junit;
extern const struct report_sink_ops report_sink_json, report_sink_tap; /* report_json.c, report_tap.c */
extern const struct report_sink_ops report_sink_html; /* report_html.c */

/* The reports a run writes: each requested format with its path. */
#define REPORT_SET_MAX 8
struct report_request {
	const struct report_sink_ops *ops;
	const char *path;
};
struct report_set {
	int n;
	struct report_request req[REPORT_SET_MAX];
	void *sink[REPORT_SET_MAX];
};

/* Opens every request; on failure none stays open and err names the
 * option ("--junit: report x: ..."). */
int report_set_open(struct report_set *s, const struct report_request *req, int n,
		    const struct report_run_info *info, struct tc_err *err);
void report_set_add(struct report_set *s, const struct report_entry *e);
/* Finishes all of them (each even when another failed); err holds the
 * first failure. */
int report_set_finish(struct report_set *s, const struct report_totals *t, struct tc_err *err);
void report_set_abort(struct report_set *s);
void report_set_discard_tmp(struct report_set *s);

#endif
