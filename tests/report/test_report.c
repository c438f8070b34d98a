/* lib/report: where a report is written never destroys anything, and case
 * text reaches terminals and XML with its control characters escaped. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_and_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_written_through, setup, teardown),
		cmocka_unit_test(test_escaped_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
