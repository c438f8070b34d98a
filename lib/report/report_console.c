#include <string.h>

#include "report.h"

void report_count(struct report_totals *t, enum tc_verdict v)
{
	switch (v) {
	case TC_PASS: t->passed++; break;
	case TC_FAIL: t->failed++; break;
	case TC_SKIP: t->skipped++; break;
	case TC_ERROR: t->errored++; break;
	}
}

/* Print a multi-line message with every line indented. */
static void print_indented(FILE *out, const char *text, const char *indent)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(out, "%s%.*s\n", indent, (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

void report_console_entry(FILE *out, const struct report_entry *e, bool verbose)
{
	const struct engine_result *r = e->r;

	fprintf(out, "%-5s %s [v%d]", tc_verdict_name(r->verdict), e->c->path, e->family);
	if (r->verdict == TC_SKIP)
		fprintf(out, "  (%s)\n", r->msg);
	else
		fprintf(out, "  %s\n", e->c->name);
	if (r->verdict == TC_FAIL || r->verdict == TC_ERROR) {
		if (r->failed_step >= 0) {
			const struct tc_step *st = &e->c->steps[r->failed_step];
			fprintf(out, "      %s:%d:%d: step %d: ", e->c->path, st->loc.line, st->loc.col,
				r->failed_step + 1);
		} else {
			fprintf(out, "      %s: ", e->c->path);
		}
		size_t first = strcspn(r->msg, "\n");
		fprintf(out, "%.*s\n", (int)first, r->msg);
		if (r->msg[first])
			print_indented(out, r->msg + first + 1, "    ");
		if (r->pcap_path[0])
			fprintf(out, "      pcap: %s\n", r->pcap_path);
		fprintf(out, "      RFC: ");
		for (int i = 0; i < e->c->nrfc; i++)
			fprintf(out, "%s%s", i ? ", " : "", e->c->rfc[i]);
		fprintf(out, "\n");
	}
	if (verbose && r->log)
		print_indented(out, r->log, "      ");
}

void report_console_totals(FILE *out, const struct report_totals *t)
{
	fprintf(out, "%u passed, %u failed, %u skipped\n", t->passed, t->failed + t->errored,
		t->skipped);
}
