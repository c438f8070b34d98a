#include <string.h>

#include "report.h"
#include "report_int.h"

void report_count(struct report_totals *t, enum tc_verdict v)
{
	switch (v) {
	case TC_PASS: t->passed++; break;
	case TC_FAIL: t->failed++; break;
	case TC_SKIP: t->skipped++; break;
	case TC_ERROR: t->errored++; break;
	}
}

/* One line of text, escaped, without its end. */
static void put_line(FILE *out, const char *p, size_t n)
{
	char line[1024];

	while (n > 0) {
		size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1;

		/* a UTF-8 sequence cut between two chunks would be escaped
		 * as if it were a C1 control by neither half: keep it whole */
		while (k < n && k > 0 && ((unsigned char)p[k] & 0xc0) == 0x80)
			k--;
		if (k == 0)
			k = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
		memcpy(line, p, k);
		line[k] = '\0';
		report_put_text(out, line, true);
		p += k;
		n -= k;
	}
}

/* A multi-line message with every line indented. */
static void print_indented(FILE *out, const char *text, const char *indent)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		fputs(indent, out);
		put_line(out, p, n);
		fputc('\n', out);
		p += n + (nl ? 1 : 0);
	}
}

/* SGR colours (ECMA-48): only the verdict word is coloured, so the padding
 * and the rest of the line read the same with or without colour. */
static const char *verdict_sgr(enum tc_verdict v)
{
	switch (v) {
	case TC_PASS: return "\033[32m"; /* green */
	case TC_SKIP: return "\033[33m"; /* yellow */
	case TC_FAIL:
	case TC_ERROR: return "\033[31m"; /* red */
	}
	return "";
}

/* "PASS  ": the word, then padding to 5 columns and one blank. */
static void put_word(FILE *out, const char *word, const char *sgr, bool color)
{
	size_t w = strlen(word);

	if (color)
		fprintf(out, "%s%s\033[0m%*s ", sgr, word, w < 5 ? (int)(5 - w) : 0, "");
	else
		fprintf(out, "%-5s ", word);
}

/* The lines under a failure's verdict line: where, what, the pcap, the
 * RFC references. The JUnit report's failure text is these lines too. */
void report_failure_detail(FILE *out, const struct report_entry *e)
{
	const char *msg = e->msg ? e->msg : "";

	fputs("      ", out);
	report_put_text(out, e->path, false);
	if (e->failed_step >= 0)
		fprintf(out, ":%d:%d: step %d: ", e->failed_loc.line, e->failed_loc.col, e->failed_step + 1);
	else
		fputs(": ", out);
	size_t first = strcspn(msg, "\n");
	put_line(out, msg, first);
	fputc('\n', out);
	if (msg[first])
		print_indented(out, msg + first + 1, "    ");
	if (e->pcap_path && e->pcap_path[0]) {
		fputs("      pcap: ", out);
		report_put_text(out, e->pcap_path, false);
		fputc('\n', out);
	}
	fputs("      RFC: ", out);
	for (int i = 0; i < e->nrfc; i++) {
		fputs(i ? ", " : "", out);
		report_put_text(out, e->rfc[i], false);
	}
	fputc('\n', out);
}

void report_console_entry(FILE *out, const struct report_entry *e, bool verbose)
{
	report_console_entry_color(out, e, verbose, false);
}

void report_console_entry_color(FILE *out, const struct report_entry *e, bool verbose, bool color)
{
	const char *msg = e->msg ? e->msg : "";

	put_word(out, tc_verdict_name(e->verdict), verdict_sgr(e->verdict), color);
	report_put_text(out, e->path, false);
	fprintf(out, " [v%d]", e->family);
	if (e->verdict == TC_SKIP) {
		fputs("  (", out);
		report_put_text(out, msg, false);
		fputs(")\n", out);
	} else {
		fputs("  ", out);
		report_put_text(out, e->name, false);
		fputc('\n', out);
	}
	if (e->verdict == TC_FAIL || e->verdict == TC_ERROR)
		report_failure_detail(out, e);
	if (verbose && e->log)
		print_indented(out, e->log, "      ");
}

void report_console_flip(FILE *out, const char *path, int family, const enum tc_verdict *seq, unsigned n,
			 bool color)
{
	put_word(out, "FLIP", verdict_sgr(TC_FAIL), color);
	report_put_text(out, path, false);
	fprintf(out, " [v%d] ", family);
	for (unsigned i = 0; i < n; i++) {
		const char *name = tc_verdict_name(seq[i]);

		if (color)
			fprintf(out, " %s%s\033[0m", verdict_sgr(seq[i]), name);
		else
			fprintf(out, " %s", name);
	}
	fputc('\n', out);
}

void report_console_totals(FILE *out, const struct report_totals *t)
{
	fprintf(out, "%u passed, %u failed, %u skipped\n", t->passed, t->failed + t->errored,
		t->skipped);
}
