/* JUnit XML as the run goes. <testsuite> carries the totals as attributes,
 * which are known only at the end, so the <testcase> elements go to an
 * anonymous temporary file (on disk, not in memory) as each case run
 * finishes; finish writes the header with the totals, copies them after it
 * and commits the output (report_file.c).
 *
 * The attributes are those CI systems read (tests/report/junit.xsd says
 * which are required and of what type): <testsuites> and <testsuite> with
 * tests, failures, errors, skipped and time, the suite's timestamp and
 * hostname; <testcase> with classname (the case file as a dotted class),
 * name (case name and IP version), file and time; <failure> and <error>
 * with type and message; <skipped type="known-deviation"> for a recorded
 * deviation. Each test case's properties carry its RFC references,
 * requirements, tags, target, family, pcap and known_deviation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "report_file.h"
#include "report_int.h"

struct report_junit {
	struct report_file out;
	FILE *body; /* unlinked at creation: nothing to clean after a crash */
	char *target, *hostname;
	char timestamp[32]; /* ISO 8601, UTC: 2025-12-02T00:20:00Z */
	struct timespec t0; /* monotonic, for the run's time */
	size_t n;
	struct report_totals counted; /* of the test cases written: the header matches the body */
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

/* A case file's path as a JUnit class: the folders and the file name
 * joined with '.', without ".yaml" (CI systems group tests by the dots of
 * the class name, and would read ".yaml" as one level more). Under a
 * folder named "cases" the path counts from there (the suite's root: the
 * same class wherever the suite is installed); elsewhere from the path's
 * start, "." components and leading or repeated '/' dropped. */
static void put_classname(FILE *f, const char *path)
{
	const char *start = path, *p = path;
	bool first = true;

	for (const char *c = path; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 5 && strncmp(c, "cases", 5) == 0 && c[n] == '/')
			start = c + n + 1;
		c += n;
		c += strspn(c, "/");
	}
	for (p = start; *p;) {
		size_t n = strcspn(p, "/");
		const char *next = p + n + strspn(p + n, "/");

		if (!(n == 0 || (n == 1 && p[0] == '.'))) {
			char comp[1024];
			size_t k = n < sizeof(comp) - 1 ? n : sizeof(comp) - 1;

			memcpy(comp, p, k);
			comp[k] = '\0';
			if (*next == '\0') { /* the file: its extension goes */
				char *dot = strrchr(comp, '.');

				if (dot && dot != comp && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0))
					*dot = '\0';
			}
			if (!first)
				fputc('.', f);
			xml_escaped(f, comp, false);
			first = false;
		}
		p = next;
	}
}

static void put_property(FILE *f, const char *name, const char *value)
{
	fprintf(f, "        <property name=\"%s\" value=\"", name);
	xml_escaped(f, value, false);
	fputs("\"/>\n", f);
}

static void put_properties(FILE *f, const struct report_entry *e)
{
	char num[32];

	fputs("      <properties>\n", f);
	for (int i = 0; i < e->nrfc; i++)
		put_property(f, "rfc", e->rfc[i]);
	for (int i = 0; i < e->nreqs; i++)
		put_property(f, "requirement", e->reqs[i]);
	for (int i = 0; i < e->ntags; i++)
		put_property(f, "tag", e->tags[i]);
	put_property(f, "target", e->target ? e->target : "");
	snprintf(num, sizeof(num), "%d", e->family);
	put_property(f, "family", num);
	if (e->pcap_path && e->pcap_path[0])
		put_property(f, "pcap", e->pcap_path);
	put_property(f, "known_deviation", e->known_deviation ? "true" : "false");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)e->required_us);
	put_property(f, "required_wait_us", num);
	fputs("      </properties>\n", f);
}

/* <failure> or <error>: the message is the engine's summary line, the
 * text is what the console prints under the verdict line. */
static void put_failure(FILE *f, const struct report_entry *e)
{
	const char *tag = e->verdict == TC_FAIL ? "failure" : "error";
	const char *msg = e->msg ? e->msg : "";
	size_t n = strcspn(msg, "\n");
	char *first = strndup(msg, n < 1023 ? n : 1023), *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	fprintf(f, "      <%s type=\"tcpconform.%s\" message=\"", tag, e->verdict == TC_FAIL ? "fail" : "error");
	xml_escaped(f, first ? first : "", false);
	free(first);
	fputs("\">", f);
	if (mem) {
		report_failure_detail(mem, e);
		fclose(mem);
	}
	/* without memory for the console's lines, the message still goes */
	xml_escaped(f, text ? text : msg, true);
	free(text);
	fprintf(f, "</%s>\n", tag);
}

static void junit_case(FILE *f, const struct report_entry *e)
{
	fputs("    <testcase classname=\"", f);
	put_classname(f, e->path);
	fputs("\" name=\"", f);
	xml_escaped(f, e->name, false);
	fprintf(f, " [v%d]\" file=\"", e->family);
	xml_escaped(f, e->path, false);
	fprintf(f, "\" time=\"%.6f\">\n", (double)e->wall_us / 1e6);
	put_properties(f, e);
	if (e->verdict == TC_FAIL || e->verdict == TC_ERROR) {
		put_failure(f, e);
	} else if (e->verdict == TC_SKIP) {
		/* a known deviation is a failure the case records, not a case
		 * that does not apply: CI dashboards can tell them apart */
		fputs(e->known_deviation ? "      <skipped type=\"known-deviation\" message=\"" : "      <skipped message=\"",
		      f);
		xml_escaped(f, e->msg ? e->msg : "", false);
		fputs("\"/>\n", f);
	}
	fputs("    </testcase>\n", f);
}

static void iso8601_utc(int64_t unix_us, char *buf, size_t cap)
{
	time_t t = (time_t)(unix_us / 1000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "1970-01-01T00:00:00Z");
}

static void junit_free(struct report_junit *j)
{
	if (j->body)
		fclose(j->body);
	free(j->target);
	free(j->hostname);
	free(j);
}

static void *junit_open(const char *path, const struct report_run_info *info, struct tc_err *err)
{
	struct report_junit *j = calloc(1, sizeof(*j));
	/* the schema wants a host; one that cannot be named is this one */
	const char *host = info->hostname && info->hostname[0] ? info->hostname : "localhost";

	if (!j || !(j->target = strdup(info->target)) || !(j->hostname = strdup(host))) {
		if (j)
			junit_free(j);
		tc_err_set(err, TC_ERR_NOMEM, "report %s: out of memory", path);
		return NULL;
	}
	iso8601_utc(info->started_unix_us, j->timestamp, sizeof(j->timestamp));
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	if (report_file_open(&j->out, path, err) != 0) {
		junit_free(j);
		return NULL;
	}
	j->body = tmpfile();
	if (!j->body) {
		tc_err_set(err, TC_ERR_IO, "report %s: no temporary file for its test cases: %s", path,
			   strerror(errno));
		report_file_abort(&j->out);
		junit_free(j);
		return NULL;
	}
	return j;
}

static void junit_add(void *sink, const struct report_entry *e)
{
	struct report_junit *j = sink;

	j->n++;
	report_count(&j->counted, e->verdict);
	junit_case(j->body, e);
}

static void put_counts(FILE *f, const struct report_junit *j, double secs)
{
	fprintf(f, "tests=\"%zu\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.6f\"", j->n,
		j->counted.failed, j->counted.errored, j->counted.skipped, secs);
}

/* The totals come from the test cases this report holds, so the header
 * always agrees with its body, whatever stopped the run. */
static int junit_finish(void *sink, const struct report_totals *totals, struct tc_err *err)
{
	struct report_junit *j = sink;
	struct timespec t1;
	double secs;
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
	(void)totals;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - j->t0.tv_sec) + (double)(t1.tv_nsec - j->t0.tv_nsec) / 1e9;
	if (secs < 0)
		secs = 0;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fputs("<testsuites name=\"tcpconform\" ", f);
	put_counts(f, j, secs);
	fputs(">\n  <testsuite name=\"tcpconform.", f);
	xml_escaped(f, j->target, false);
	fputs("\" ", f);
	put_counts(f, j, secs);
	fprintf(f, " timestamp=\"%s\" hostname=\"", j->timestamp);
	xml_escaped(f, j->hostname, false);
	fputs("\">\n", f);
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
