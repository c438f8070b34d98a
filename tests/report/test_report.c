/* lib/report: where a report is written never destroys anything, and case
 * text reaches terminals and XML with its control characters escaped; the
 * JUnit sink writes what CI systems read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"
#include "report/report_file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_report.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int entries_in(const char *d)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", d);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void test_regular_and_symlink(void **state)
{
	char real[PATH_MAX], link[PATH_MAX];
	struct report_file rf;
	struct tc_err e = {0};
	struct stat st;

	(void)state;
	snprintf(real, sizeof(real), "%s/real.xml", dir);
	snprintf(link, sizeof(link), "%s/link.xml", dir);
	FILE *f = fopen(real, "w");
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(chmod(real, 0640), 0);
	assert_int_equal(symlink("real.xml", link), 0);

	assert_int_equal(report_file_open(&rf, link, &e), 0);
	fputs("new\n", rf.f);
	/* until the commit the old content stays */
	assert_string_equal(slurp(real), "old\n");
	assert_int_equal(entries_in(dir), 3);
	assert_int_equal(report_file_commit(&rf, &e), 0);
	assert_string_equal(slurp(real), "new\n");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(entries_in(dir), 2);

	/* an aborted report leaves the old file and no temporary one */
	assert_int_equal(report_file_open(&rf, real, &e), 0);
	fputs("half", rf.f);
	report_file_abort(&rf);
	assert_string_equal(slurp(real), "new\n");
	assert_int_equal(entries_in(dir), 2);
}

static void test_refusals(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 128];
	struct report_file rf;
	struct tc_err e = {0};

	(void)state;
	snprintf(path, sizeof(path), "%s/missing/r.xml", dir);
	assert_int_equal(report_file_open(&rf, path, &e), -1);
	snprintf(want, sizeof(want), "report %s: cannot write: the folder %s/missing does not exist", path, dir);
	assert_string_equal(e.msg, want);

	assert_int_equal(report_file_open(&rf, dir, &e), -1);
	snprintf(want, sizeof(want), "report %s: is a folder; the report needs a file name", dir);
	assert_string_equal(e.msg, want);
	assert_null(rf.f);
}

static void test_fifo_written_through(void **state)
{
	char fifo[PATH_MAX];
	struct report_file rf;
	struct tc_err e = {0};
	struct stat st;
	FILE *reader;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* a reader first, so the writer's open does not wait */
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "cat '%s'", fifo);
	reader = popen(cmd, "r");
	assert_non_null(reader);
	assert_int_equal(report_file_open(&rf, fifo, &e), 0);
	assert_null(rf.tmp);
	fputs("through\n", rf.f);
	assert_int_equal(report_file_commit(&rf, &e), 0);
	char got[32] = {0};
	assert_non_null(fgets(got, sizeof(got), reader));
	pclose(reader);
	assert_string_equal(got, "through\n");
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

static void test_escaped_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	report_put_text(f, "a\x1b[2Jb\x7f\n\tc\xc2\x9b" "d\xc3\xa9", false);
	fputc('|', f);
	report_put_text(f, "x\ny\tz", true);
	fclose(f);
	assert_string_equal(buf, "a\\x1b[2Jb\\x7f\\x0a\\x09c\\u009bd\xc3\xa9|x\ny\tz");
	free(buf);
}

/* The whole file, however long; the caller frees it. */
static char *slurp_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int ch;

	assert_non_null(f);
	assert_non_null(m);
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* The text between the first `from` and the next `to`, in a static buffer. */
static const char *between(const char *s, const char *from, const char *to)
{
	static char part[8192];
	const char *a = strstr(s, from), *b;

	assert_non_null(a);
	b = strstr(a, to);
	assert_non_null(b);
	assert_true((size_t)(b - a) < sizeof(part));
	memcpy(part, a, (size_t)(b - a));
	part[b - a] = '\0';
	return part;
}

/* Each verdict through the JUnit sink's ops, as the harness calls them:
 * what every element and property says, known deviations apart from
 * plain skips, <error> for ERROR, and the file valid against the XSD. */
static void test_junit_entries(void **state)
{
	static const char *const rfc[] = {"9293 3.5", "5961 3.2"}, *const tags[] = {"handshake"},
			  *const reqs[] = {"MUST-8"};
	const struct report_sink_ops *ops = report_sink_find("junit");
	struct report_run_info info = {.target = "ref", .hostname = "host.example", .started_unix_us = INT64_C(1700000000123456)};
	struct report_entry base = {.name = "A <case> & \"more\"", .rfc = rfc, .nrfc = 2, .tags = tags, .ntags = 1,
				    .reqs = reqs, .nreqs = 1, .target = "ref", .family = 4, .failed_step = -1,
				    .msg = "", .wall_us = 1500};
	struct report_entry fail = base, err = base, dev = base, skip = base, ok = base;
	struct report_totals tot = {0};
	struct tc_err e = {0};
	char path[PATH_MAX], cmd[PATH_MAX + 128];
	void *sink;
	char *x;

	(void)state;
	assert_non_null(ops);
	snprintf(path, sizeof(path), "%s/r.xml", dir);
	fail.path = "/srv/cases/old/cases/handshake/passive-open.yaml";
	fail.verdict = TC_FAIL;
	fail.failed_step = 2;
	fail.failed_loc = (struct tc_loc){.line = 12, .col = 5};
	fail.msg = "win expected 1234, got 65535\n  last segments:\n    > S";
	fail.pcap_path = "reports/run-1/passive-open-v4.pcap";
	err.path = "./a//b/./c.yml";
	err.verdict = TC_ERROR;
	err.family = 6;
	err.msg = "the target broke";
	dev.path = "cases/rst/x.yaml";
	dev.verdict = TC_SKIP;
	dev.known_deviation = true;
	dev.msg = "known deviation on ref: it differs";
	skip.path = "/etc/tc/skip.v2.yaml";
	skip.verdict = TC_SKIP;
	skip.msg = "the target has no app interface";
	ok.path = "cases.yaml";
	ok.verdict = TC_PASS;

	sink = ops->open(path, &info, &e);
	assert_non_null(sink);
	const struct report_entry *all[] = {&fail, &err, &dev, &skip, &ok};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ops->add(sink, all[i]);
		report_count(&tot, all[i]->verdict);
	}
	assert_int_equal(ops->finish(sink, &tot, &e), 0);
	x = slurp_all(path);

	assert_non_null(strstr(x, "<testsuites name=\"tcpconform\" tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"2\" time=\""));
	assert_non_null(strstr(x, "<testsuite name=\"tcpconform.ref\" tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"2\" time=\""));
	assert_non_null(strstr(x, " timestamp=\"2023-11-14T22:13:20Z\" hostname=\"host.example\">"));

	const char *t = between(x, "<testcase classname=\"handshake.passive-open\"", "</testcase>");
	assert_non_null(strstr(t, "name=\"A &lt;case&gt; &amp; &quot;more&quot; [v4]\" file=\"/srv/cases/old/cases/handshake/passive-open.yaml\" time=\"0.001500\""));
	assert_non_null(strstr(t, "<property name=\"rfc\" value=\"9293 3.5\"/>\n        <property name=\"rfc\" value=\"5961 3.2\"/>"));
	assert_non_null(strstr(t, "<property name=\"requirement\" value=\"MUST-8\"/>"));
	assert_non_null(strstr(t, "<property name=\"tag\" value=\"handshake\"/>"));
	assert_non_null(strstr(t, "<property name=\"target\" value=\"ref\"/>"));
	assert_non_null(strstr(t, "<property name=\"family\" value=\"4\"/>"));
	assert_non_null(strstr(t, "<property name=\"pcap\" value=\"reports/run-1/passive-open-v4.pcap\"/>"));
	assert_non_null(strstr(t, "<property name=\"known_deviation\" value=\"false\"/>"));
	assert_non_null(strstr(t, "<failure type=\"tcpconform.fail\" message=\"win expected 1234, got 65535\">"
				  "      /srv/cases/old/cases/handshake/passive-open.yaml:12:5: step 3: win expected 1234, got 65535\n"
				  "      last segments:\n"
				  "        &gt; S\n"
				  "      pcap: reports/run-1/passive-open-v4.pcap\n"
				  "      RFC: 9293 3.5, 5961 3.2\n</failure>"));

	t = between(x, "<testcase classname=\"a.b.c\"", "</testcase>");
	assert_non_null(strstr(t, "[v6]\" file=\"./a//b/./c.yml\""));
	assert_non_null(strstr(t, "<property name=\"family\" value=\"6\"/>"));
	assert_null(strstr(t, "name=\"pcap\""));
	assert_non_null(strstr(t, "<error type=\"tcpconform.error\" message=\"the target broke\">      ./a//b/./c.yml: the target broke\n"));

	t = between(x, "<testcase classname=\"rst.x\"", "</testcase>");
	assert_non_null(strstr(t, "<property name=\"known_deviation\" value=\"true\"/>"));
	assert_non_null(strstr(t, "<skipped type=\"known-deviation\" message=\"known deviation on ref: it differs\"/>"));

	t = between(x, "<testcase classname=\"etc.tc.skip.v2\"", "</testcase>");
	assert_non_null(strstr(t, "<skipped message=\"the target has no app interface\"/>"));
	assert_non_null(strstr(t, "<property name=\"known_deviation\" value=\"false\"/>"));

	/* a file named like the folder is a file, not a folder to count from */
	t = between(x, "<testcase classname=\"cases\"", "</testcase>");
	assert_null(strstr(t, "<failure"));
	assert_null(strstr(t, "<skipped"));
	assert_null(strstr(x, ".yaml\" name="));
	free(x);

	/* the same file against the schema the CI test uses (make runs the
	 * unit tests from the top of the tree) */
	if (access("/usr/bin/xmllint", X_OK) == 0 && access("tests/report/junit.xsd", R_OK) == 0) {
		snprintf(cmd, sizeof(cmd), "xmllint --noout --schema tests/report/junit.xsd '%s' >/dev/null 2>&1", path);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_and_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_written_through, setup, teardown),
		cmocka_unit_test(test_escaped_text),
		cmocka_unit_test_setup_teardown(test_junit_entries, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
