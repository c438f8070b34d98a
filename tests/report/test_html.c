/* lib/report HTML parts: which RFC 9293 figure 5 arrows a case run took
 * (and where it failed), escaping of case text, section ids, local links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report_html.h"

static struct report_mark mk(int step, enum tc_step_kind kind, const char *text)
{
	struct report_mark m = {.step = step, .kind = kind};

	snprintf(m.text, sizeof(m.text), "%s", text);
	return m;
}

static struct report_entry entry(const struct report_mark *m, int n, enum tc_verdict v, int failed_step)
{
	return (struct report_entry){.path = "x.yaml", .name = "x", .target = "ref", .family = 4, .verdict = v,
				     .failed_step = failed_step, .marks = m, .nmarks = n, .msg = ""};
}

static void assert_arrow(const struct html_passage *p, enum tc_state from, enum tc_state to, bool failed)
{
	assert_int_equal(p->arrow, html_arrow_find(from, to));
	assert_int_not_equal(p->arrow, -1);
	assert_int_equal(p->failed, failed);
}

static void passive_open_passes(void **state)
{
	(void)state;
	struct report_mark m[] = {mk(0, TC_STEP_APP, "app listen"), mk(1, TC_STEP_STATE, "state LISTEN"),
				  mk(3, TC_STEP_STATE, "state SYN-RECEIVED"), mk(5, TC_STEP_STATE, "state ESTABLISHED"),
				  mk(6, TC_STEP_APP, "app accept")};
	struct report_entry e = entry(m, 5, TC_PASS, -1);
	struct html_passage p[8];
	int failed_in, n = html_paths_of(&e, p, 8, &failed_in);

	assert_int_equal(n, 3);
	assert_arrow(&p[0], TC_CLOSED, TC_LISTEN, false);
	assert_arrow(&p[1], TC_LISTEN, TC_SYN_RECEIVED, false);
	assert_arrow(&p[2], TC_SYN_RECEIVED, TC_ESTABLISHED, false);
	assert_int_equal(failed_in, -1);
}

/* checks that skip a state: the one shortest way through the figure */
static void skipped_states_filled_in(void **state)
{
	(void)state;
	struct report_mark m[] = {mk(0, TC_STEP_APP, "app connect"), mk(3, TC_STEP_STATE, "state ESTABLISHED"),
				  mk(6, TC_STEP_STATE, "state TIME-WAIT")};
	struct report_entry e = entry(m, 3, TC_PASS, -1);
	struct html_passage p[8];
	int failed_in, n = html_paths_of(&e, p, 8, &failed_in);

	/* ESTABLISHED -> TIME-WAIT: via FIN-WAIT-1 (2 arrows) is the only
	 * shortest way */
	assert_int_equal(n, 4);
	assert_arrow(&p[0], TC_CLOSED, TC_SYN_SENT, false);
	assert_arrow(&p[1], TC_SYN_SENT, TC_ESTABLISHED, false);
	assert_arrow(&p[2], TC_ESTABLISHED, TC_FIN_WAIT_1, false);
	assert_arrow(&p[3], TC_FIN_WAIT_1, TC_TIME_WAIT, false);
}

static void two_ways_are_not_guessed(void **state)
{
	(void)state;
	/* CLOSED -> SYN-RECEIVED: through LISTEN or through SYN-SENT */
	struct report_mark m[] = {mk(0, TC_STEP_STATE, "state CLOSED"), mk(2, TC_STEP_STATE, "state SYN-RECEIVED"),
				  mk(4, TC_STEP_STATE, "state ESTABLISHED")};
	struct report_entry e = entry(m, 3, TC_PASS, -1);
	struct html_passage p[8];
	int failed_in, n = html_paths_of(&e, p, 8, &failed_in);

	assert_int_equal(n, 1);
	assert_arrow(&p[0], TC_SYN_RECEIVED, TC_ESTABLISHED, false);
}

static void failed_state_check_is_its_arrow(void **state)
{
	(void)state;
	struct report_mark m[] = {mk(0, TC_STEP_APP, "app connect"), mk(2, TC_STEP_STATE, "state ESTABLISHED"),
				  mk(4, TC_STEP_STATE, "state FIN-WAIT-2"), mk(6, TC_STEP_STATE, "state TIME-WAIT")};
	struct report_entry e = entry(m, 4, TC_FAIL, 6);
	struct html_passage p[8];
	int failed_in, n = html_paths_of(&e, p, 8, &failed_in);

	assert_int_equal(n, 5); /* ESTABLISHED -> FIN-WAIT-2 is two arrows */
	assert_arrow(&p[0], TC_CLOSED, TC_SYN_SENT, false);
	assert_arrow(&p[2], TC_ESTABLISHED, TC_FIN_WAIT_1, false);
	assert_arrow(&p[3], TC_FIN_WAIT_1, TC_FIN_WAIT_2, false);
	assert_arrow(&p[4], TC_FIN_WAIT_2, TC_TIME_WAIT, true);
	assert_int_equal(failed_in, -1);
}

static void failure_off_the_arrows_is_in_a_state(void **state)
{
	(void)state;
	/* an expect (step 5) failed after ESTABLISHED; the marks of a failed
	 * app step do not move the connection */
	struct report_mark m[] = {mk(0, TC_STEP_APP, "app connect"), mk(2, TC_STEP_STATE, "state ESTABLISHED")};
	struct report_entry e = entry(m, 2, TC_FAIL, 5);
	struct html_passage p[8];
	int failed_in, n = html_paths_of(&e, p, 8, &failed_in);

	assert_int_equal(n, 2);
	assert_false(p[0].failed || p[1].failed);
	assert_int_equal(failed_in, TC_ESTABLISHED);

	struct report_mark m2[] = {mk(0, TC_STEP_APP, "app listen")};
	struct report_entry e2 = entry(m2, 1, TC_FAIL, 0);
	assert_int_equal(html_paths_of(&e2, p, 8, &failed_in), 0);
	assert_int_equal(failed_in, TC_CLOSED);
}

static void skipped_runs_take_no_arrow(void **state)
{
	(void)state;
	struct report_mark m[] = {mk(0, TC_STEP_APP, "app listen"), mk(1, TC_STEP_STATE, "state LISTEN")};
	struct report_entry e = entry(m, 2, TC_SKIP, -1);
	struct html_passage p[8];
	int failed_in;

	assert_int_equal(html_paths_of(&e, p, 8, &failed_in), 0);
	assert_int_equal(failed_in, -1);
}

static char *written(void (*put)(FILE *, const char *), const char *s)
{
	static char buf[512];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	put(f, s);
	fclose(f);
	return buf;
}

static void text_is_escaped(void **state)
{
	(void)state;
	assert_string_equal(written(html_text, "<a href='x'>&\"</a>"),
			    "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
	assert_string_equal(written(html_text, "a\x1b[2Jb\nc\xc2\x9b"), "a\\x1b[2Jb\\x0ac\\u009b");
}

static void case_ids_are_distinct(void **state)
{
	(void)state;
	char a[128], b[128], c[128], d[128];

	html_case_id(a, sizeof(a), "cases/a b.yaml", 4);
	assert_string_equal(a, "case-cases.a_20b_2eyaml-v4");
	html_case_id(a, sizeof(a), "a/b", 6);
	html_case_id(b, sizeof(b), "a.b", 6);
	html_case_id(c, sizeof(c), "a_2fb", 6);
	html_case_id(d, sizeof(d), "a/b", 4);
	assert_string_not_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(b, c);
	assert_string_not_equal(a, d);
}

static void local_links_are_relative(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_html.XXXXXX", rep[64], pc[64], file[96], href[256];

	assert_non_null(mkdtemp(dir));
	snprintf(rep, sizeof(rep), "%s/rep", dir);
	snprintf(pc, sizeof(pc), "%s/pc", dir);
	snprintf(file, sizeof(file), "%s/x y\".pcap", pc);
	assert_int_equal(mkdir(rep, 0700), 0);
	assert_int_equal(mkdir(pc, 0700), 0);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	html_local_href(href, sizeof(href), rep, file);
	assert_string_equal(href, "../pc/x%20y%22.pcap");
	html_local_href(href, sizeof(href), dir, file);
	assert_string_equal(href, "pc/x%20y%22.pcap");
	unlink(file);
	html_local_href(href, sizeof(href), rep, file);
	assert_string_equal(href, ""); /* gone: no link */
	rmdir(pc);
	rmdir(rep);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passive_open_passes),
		cmocka_unit_test(skipped_states_filled_in),
		cmocka_unit_test(two_ways_are_not_guessed),
		cmocka_unit_test(failed_state_check_is_its_arrow),
		cmocka_unit_test(failure_off_the_arrows_is_in_a_state),
		cmocka_unit_test(skipped_runs_take_no_arrow),
		cmocka_unit_test(text_is_escaped),
		cmocka_unit_test(case_ids_are_distinct),
		cmocka_unit_test(local_links_are_relative),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
