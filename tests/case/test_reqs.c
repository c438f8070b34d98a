/* The RFC 9293 Appendix B table: every ID once, numbered without gaps,
 * and every requirement left out as unobservable says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "case/tc_reqs.h"

/* Each kind numbered 1..max, each number exactly once. */
static void check_kind(const char *prefix, int max)
{
	size_t n;
	const struct tc_reqspec *r = tc_reqs_all(&n);
	int seen[128] = {0};
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < n; i++) {
		if (strncmp(r[i].id, prefix, plen) != 0)
			continue;
		int k = atoi(r[i].id + plen);
		assert_in_range(k, 1, max);
		seen[k]++;
	}
	for (int k = 1; k <= max; k++) {
		if (seen[k] != 1)
			fail_msg("%s%d appears %d times", prefix, k, seen[k]);
	}
}

static void test_numbering(void **state)
{
	size_t n;

	(void)state;
	tc_reqs_all(&n);
	check_kind("MUST-", 69);
	check_kind("SHLD-", 31);
	check_kind("MAY-", 18);
	assert_int_equal(n, 69 + 31 + 18);
}

static void test_levels_match_ids(void **state)
{
	size_t n;
	const struct tc_reqspec *r = tc_reqs_all(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		bool must = r[i].level == TC_LEVEL_MUST || r[i].level == TC_LEVEL_MUST_NOT;
		bool shld = r[i].level == TC_LEVEL_SHOULD || r[i].level == TC_LEVEL_SHOULD_NOT;
		assert_true(must == (strncmp(r[i].id, "MUST-", 5) == 0));
		assert_true(shld == (strncmp(r[i].id, "SHLD-", 5) == 0));
		assert_non_null(r[i].feature);
		assert_true(strlen(r[i].feature) > 5);
		if (r[i].unobservable)
			assert_true(strlen(r[i].unobservable) > 20);
	}
	/* the MUST NOT rows of the table */
	assert_int_equal(tc_reqs_find("MUST-65")->level, TC_LEVEL_MUST_NOT);
	assert_int_equal(tc_reqs_find("MUST-9")->level, TC_LEVEL_MUST_NOT);
	assert_int_equal(tc_reqs_find("SHLD-14")->level, TC_LEVEL_SHOULD_NOT);
	assert_string_equal(tc_level_name(TC_LEVEL_MUST_NOT), "MUST NOT");
}

static void test_find(void **state)
{
	(void)state;
	assert_non_null(tc_reqs_find("MUST-36"));
	assert_string_equal(tc_reqs_find("MUST-36")->id, "MUST-36");
	assert_null(tc_reqs_find("MUST-70"));
	assert_null(tc_reqs_find("MUST-3 "));
	assert_null(tc_reqs_find("must-3"));
	assert_null(tc_reqs_find(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbering),
		cmocka_unit_test(test_levels_match_ids),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
