/* TAP version 14 as the run goes (docs/reports.md): a test point per case
 * run as it finishes, the plan "1..N" at the end (TAP allows it last, and
 * N is known only then). A failure or error carries a YAML diagnostic
 * block; its strings are double-quoted in the subset Perl's
 * TAP::Parser::YAMLish reads too (report_quote.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "report_file.h"
#include "report_quote.h"

struct report_tap {
	struct report_file out;
	unsigned n;
};

/* Text in a test point's description or directive: one line, so controls
 * come out as the console shows them ("\x1b", "\u009b"); then '\' and '#'
 * are escaped as TAP 14 requires ("\\", "\#"), so no name can end the
 * description early or forge a "# SKIP". An ill-formed UTF-8 piece becomes
 * U+FFFD. */
static void put_desc(FILE *f, const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end && *s) {
		uint32_t cp;
		bool valid;
		size_t n = report_utf8_next(s, &cp, &valid);

		if (!valid)
			fputs("\xef\xbf\xbd", f);
		else if (cp == '\\' || cp == '#')
			fprintf(f, "\\%c", (int)cp);
		else if (report_is_control(cp))
			fprintf(f, cp < 0x80 ? "\\\\x%02x" : "\\\\u%04x", (unsigned)cp);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
}

/* The reason of a SKIP directive: the message's first line. A known
 * deviation's message starts "known deviation on TARGET: " where the
 * directive already says "known deviation: ". */
static void put_skip(FILE *f, const struct report_entry *e, const char *msg)
{
	size_t first = strcspn(msg, "\n");

	fputs(" # SKIP ", f);
	if (e->known_deviation) {
		char prefix[96];
		size_t k;

		snprintf(prefix, sizeof(prefix), "known deviation on %s: ", e->target);
		k = strlen(prefix);
		if (first >= k && strncmp(msg, prefix, k) == 0) {
			msg += k;
			first -= k;
		}
		fputs("known deviation: ", f);
	}
	put_desc(f, msg, first);
}

static void put_diagnostics(FILE *f, const struct report_entry *e, const char *msg)
{
	fputs("  ---\n  verdict: ", f);
	report_yaml_str(f, tc_verdict_name(e->verdict));
	fputs("\n  message: ", f);
	report_yaml_str(f, msg);
	fputs("\n", f);
	if (e->failed_step >= 0) {
		fputs("  location:\n    file: ", f);
		report_yaml_str(f, e->path);
		fprintf(f, "\n    line: %d\n    col: %d\n    step: %d\n", e->failed_loc.line, e->failed_loc.col,
			e->failed_step + 1);
	} else {
		fputs("  location: ~\n", f);
	}
	fputs("  rfc:", f);
	if (e->nrfc == 0)
		fputs(" []", f);
	for (int i = 0; i < e->nrfc; i++) {
		fputs("\n    - ", f);
		report_yaml_str(f, e->rfc[i]);
	}
	fputs("\n  pcap: ", f);
	if (e->pcap_path && *e->pcap_path)
		report_yaml_str(f, e->pcap_path);
	else
		fputs("~", f);
	fprintf(f, "\n  wall_time_s: %.6f\n  ...\n", (double)e->wall_us / 1e6);
}

static void *tap_open(const char *path, const struct report_run_info *info, struct tc_err *err)
{
	struct report_tap *t = calloc(1, sizeof(*t));

	(void)info;
	if (!t) {
		tc_err_set(err, TC_ERR_NOMEM, "report %s: out of memory", path);
		return NULL;
	}
	if (report_file_open(&t->out, path, err) != 0) {
		free(t);
		return NULL;
	}
	fputs("TAP version 14\n", t->out.f);
	fflush(t->out.f);
	return t;
}

static void tap_add(void *sink, const struct report_entry *e)
{
	struct report_tap *t = sink;
	FILE *f = t->out.f;
	const char *msg = e->msg ? e->msg : "";
	bool bad = e->verdict == TC_FAIL || e->verdict == TC_ERROR;

	fprintf(f, "%s %u - ", bad ? "not ok" : "ok", ++t->n);
	put_desc(f, e->path, strlen(e->path));
	fprintf(f, " [v%d] ", e->family);
	put_desc(f, e->name, strlen(e->name));
	if (e->verdict == TC_SKIP)
		put_skip(f, e, msg);
	fputc('\n', f);
	if (bad)
		put_diagnostics(f, e, msg);
	/* a write error stays on the stream: commit reports it */
	fflush(f);
}

static int tap_finish(void *sink, const struct report_totals *totals, struct tc_err *err)
{
	struct report_tap *t = sink;

	(void)totals;
	fprintf(t->out.f, "1..%u\n", t->n);
	int rc = report_file_commit(&t->out, err);
	free(t);
	return rc;
}

static void tap_abort(void *sink)
{
	struct report_tap *t = sink;

	if (!t)
		return;
	report_file_abort(&t->out);
	free(t);
}

static void tap_discard_tmp(void *sink)
{
	struct report_tap *t = sink;

	if (t && t->out.tmp)
		unlink(t->out.tmp);
}

const struct report_sink_ops report_sink_tap = {
	.name = "tap",
	.arg = "FILE",
	.help = "a TAP version 14 stream (docs/reports.md)",
	.open = tap_open,
	.add = tap_add,
	.finish = tap_finish,
	.abort = tap_abort,
	.discard_tmp = tap_discard_tmp,
};
