/* JUnit XML as the run goes. <testsuite> carries the totals as attributes,
 * which are known only at the end, so the <testcase> elements go to an
 * anonymous temporary file (on disk, not in memory) as each case run
 * finishes; finish writes the header with the totals, copies them after it
 * and commits the output (report_file.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "report_file.h"
#include "report_int.h"

struct report_junit {
	struct report_file out;
	FILE *body; /* unlinked at creation: nothing to clean after a crash */
	char *target;
	size_t n;
};

static void xml_escaped(FILE *f, const char *s, bool keep_newlines)
{
	char esc[8];

	for (; *s; s++) {
		size_t n;

		switch (*s) {
		case '<': fputs("&lt;", f); continue;
		case '>': fputs("&gt;", f); continue;
		case '&': fputs("&amp;", f); continue;
		case '"': fputs("&quot;", f); continue;
		}
		/* XML 1.0 forbids most control characters, even as character
		 * references; the escaped text still says what was there */
		n = report_ctl(s, keep_newlines, esc);
		if (n) {
			fputs(esc, f);
			s += n - 1;
		} else {
			fputc(*s, f);
		}
	}
}

static void junit_case(FILE *f, const struct report_entry *e)
{
	const char *msg = e->msg ? e->msg : "";

	fputs("    <testcase classname=\"", f);
	xml_escaped(f, e->path, false);
	fprintf(f, "\" name=\"");
	xml_escaped(f, e->name, false);
	fprintf(f, " [v%d]\" time=\"%.6f\">\n", e->family, (double)e->wall_us / 1e6);
	fputs("      <properties>", f);
	fprintf(f, "<property name=\"required_wait_us\" value=\"%llu\"/>", (unsigned long long)e->required_us);
	for (int i = 0; i < e->nrfc; i++) {
		fputs("<property name=\"rfc\" value=\"", f);
		xml_escaped(f, e->rfc[i], false);
		fputs("\"/>", f);
	}
	fputs("</properties>\n", f);
	if (e->verdict == TC_FAIL || e->verdict == TC_ERROR) {
		const char *tag = e->verdict == TC_FAIL ? "failure" : "error";
		size_t n = strcspn(msg, "\n");
		char *first = strndup(msg, n < 1023 ? n : 1023);

		fprintf(f, "      <%s message=\"", tag);
		xml_escaped(f, first ? first : "", false);
		free(first);
		fputs("\">", f);
		if (e->failed_step >= 0) {
			xml_escaped(f, e->path, false);
			fprintf(f, ":%d:%d: step %d\n", e->failed_loc.line, e->failed_loc.col, e->failed_step + 1);
		}
		xml_escaped(f, msg, true);
		fprintf(f, "</%s>\n", tag);
	} else if (e->verdict == TC_SKIP) {
		fputs("      <skipped message=\"", f);
		xml_escaped(f, msg, false);
		fputs("\"/>\n", f);
	}
	fputs("    </testcase>\n", f);
}

static void *junit_open(const char *path, const struct report_run_info *info, struct tc_err *err)
{
	struct report_junit *j = calloc(1, sizeof(*j));
	const char *target = info->target;

	if (!j || !(j->target = strdup(target))) {
		free(j);
		tc_err_set(err, TC_ERR_NOMEM, "report %s: out of memory", path);
		return NULL;
	}
	if (report_file_open(&j->out, path, err) != 0) {
		free(j->target);
		free(j);
		return NULL;
	}
	j->body = tmpfile();
	if (!j->body) {
		tc_err_set(err, TC_ERR_IO, "report %s: no temporary file for its test cases: %s", path,
			   strerror(errno));
		report_file_abort(&j->out);
		free(j->target);
		free(j);
		return NULL;
	}
	return j;
}

static void junit_add(void *sink, const struct report_entry *e)
{
	struct report_junit *j = sink;

	j->n++;
	junit_case(j->body, e);
}

static void junit_free(struct report_junit *j)
{
	if (j->body)
		fclose(j->body);
	free(j->target);
	free(j);
}

static int junit_finish(void *sink, const struct report_totals *totals, struct tc_err *err)
{
	struct report_junit *j = sink;
	FILE *f = j->out.f;
	char buf[65536];
	size_t n;
	int e = 0;

	if (fflush(j->body) != 0 || ferror(j->body))
		e = errno ? errno : EIO;
	else if (fseek(j->body, 0, SEEK_SET) != 0)
		e = errno;
	if (e) {
		tc_err_set(err, TC_ERR_IO, "report %s: cannot keep its test cases in a temporary file: %s",
			   j->out.shown, strerror(e));
		report_file_abort(&j->out);
		junit_free(j);
		return -1;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites>\n  <testsuite name=\"tcpconform.");
	xml_escaped(f, j->target, false);
	fprintf(f, "\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" skipped=\"%u\">\n", j->n, totals->failed,
		totals->errored, totals->skipped);
	while ((n = fread(buf, 1, sizeof(buf), j->body)) > 0)
		if (fwrite(buf, 1, n, f) != n)
			break;
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	/* a short write leaves the stream's error set: commit reports it */
	int rc = report_file_commit(&j->out, err);
	junit_free(j);
	return rc;
}

static void junit_abort(void *sink)
{
	struct report_junit *j = sink;

	if (!j)
		return;
	report_file_abort(&j->out);
	junit_free(j);
}

static void junit_discard_tmp(void *sink)
{
	struct report_junit *j = sink;

	if (j && j->out.tmp)
		unlink(j->out.tmp);
}

const struct report_sink_ops report_sink_junit = {
	.name = "junit",
	.arg = "FILE",
	.help = "a JUnit XML report",
	.open = junit_open,
	.add = junit_add,
	.finish = junit_finish,
	.abort = junit_abort,
	.discard_tmp = junit_discard_tmp,
};
