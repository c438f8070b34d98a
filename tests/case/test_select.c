/* lib/case/tc_select and lib/report/report_flip: which cases a run takes
 * (tags, RFC sections by whole components, requirements, shards that are
 * stable across machines), and which case runs flipped over repetitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case/tc_select.h"
#include "report/report.h"
#include "report/report_flip.h"

/* The published FNV-1a 32-bit test vectors: a different hash (or one that
 * depends on anything but the bytes) moves cases between shards from one
 * machine or version to the next. */
static void test_hash_is_fnv1a(void **state)
{
	(void)state;
	assert_int_equal(tc_select_hash(""), 0x811c9dc5u);
	assert_int_equal(tc_select_hash("a"), 0xe40c292cu);
	assert_int_equal(tc_select_hash("foobar"), 0xbf9cf968u);
}

static void test_shard_of_pinned(void **state)
{
	(void)state;
	/* 0xbf9cf968 = 3214735720: shard 720 % 1000 + 1 */
	assert_int_equal(tc_select_shard_of("foobar", 1000), 721);
	assert_int_equal(tc_select_shard_of("foobar", 1), 1);
	/* `run ./cases/` names the same files as `run cases/` */
	assert_int_equal(tc_select_shard_of("./cases/close/x.yaml", 7), tc_select_shard_of("cases/close/x.yaml", 7));
	assert_int_equal(tc_select_shard_of("././cases/a.yaml", 13), tc_select_shard_of("cases/a.yaml", 13));
}

#define NPATHS 600

static void make_path(char *buf, size_t cap, int i)
{
	static const char *const area[] = {"close", "data", "handshake", "rst", "timewait"};

	snprintf(buf, cap, "cases/%s/case-%03d.yaml", area[i % 5], i);
}

static struct tc_case *case_at(const char *path)
{
	struct tc_case *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	return c;
}

/* Every case is in exactly one of the N shards, and no shard is left
 * nearly empty or takes most of the suite. */
static void test_shards_partition_the_suite(void **state)
{
	static const unsigned ns[] = {1, 2, 3, 7, 10};

	(void)state;
	for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		unsigned n = ns[t], count[10] = {0};

		for (int i = 0; i < NPATHS; i++) {
			char path[64];
			struct tc_case *c;
			int in = 0;

			make_path(path, sizeof(path), i);
			c = case_at(path);
			for (unsigned k = 1; k <= n; k++) {
				struct tc_select s = {.shard_k = k, .shard_n = n};

				if (tc_select_case(&s, c)) {
					in++;
					count[k - 1]++;
				}
			}
			free(c);
			assert_int_equal(in, 1);
		}
		for (unsigned k = 0; k < n; k++) {
			/* a fair share is NPATHS / n: within a factor of 1.5 */
			assert_true(count[k] * 3 >= 2 * NPATHS / n);
			assert_true(count[k] * 2 <= 3 * NPATHS / n);
		}
	}
}

static void test_parse_shard(void **state)
{
	static const char *const bad[] = {
		"", "3", "0/3", "4/3", "1/0", "0/0", "1/1001", "1001/1001", "a/b", "1/", "/3", "1/3x", " 1/3",
		"+1/3", "01/3", "1/03", "1//3", "-1/3", "1/3/5", "99999999999999999999/3",
	};
	unsigned k = 99, n = 99;

	(void)state;
	assert_int_equal(tc_select_parse_shard("1/3", &k, &n), 0);
	assert_int_equal(k, 1);
	assert_int_equal(n, 3);
	assert_int_equal(tc_select_parse_shard("1000/1000", &k, &n), 0);
	assert_int_equal(k, 1000);
	assert_int_equal(n, 1000);
	assert_int_equal(tc_select_parse_shard("1/1", &k, &n), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = n = 77;
		if (tc_select_parse_shard(bad[i], &k, &n) == 0)
			fail_msg("'%s' accepted as a shard", bad[i]);
		assert_int_equal(k, 77); /* nothing half-set */
		assert_int_equal(n, 77);
	}
}

static void test_rfc_covers_whole_components(void **state)
{
	static const struct {
		const char *want, *have;
		bool covers;
	} rows[] = {
		{"9293 3.10.7", "9293 3.10.7.4", true},
		{"9293 3.10.7", "9293 3.10.7", true},
		{"9293 3.10.7", "9293 3.10.70", false},
		{"9293 3.10.7", "9293 3.10", false},
		{"9293 3.10.7.4", "9293 3.10.7", false},
		{"9293 3.1", "9293 3.10", false},
		{"9293 3", "9293 3.10.7.4", true},
		{"7323", "7323 2.3", true},
		{"7323", "7323", true},
		{"732", "7323", false},
		{"7323", "73234 1", false},
		{"9293", "793 3.9", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (tc_select_rfc_covers(rows[i].want, rows[i].have) != rows[i].covers)
			fail_msg("--rfc '%s' %s '%s'", rows[i].want, rows[i].covers ? "should cover" : "should not cover",
				 rows[i].have);
}

static void test_rfc_and_req_values(void **state)
{
	static const char *const rfc_ok[] = {"9293", "7323", "9293 3", "9293 3.10.7.4"};
	static const char *const rfc_bad[] = {"", "RFC9293", "9293 ", "9293  3", "9293 3.", "9293 .3", "9293 3..1",
					      "9293 3.a", " 9293", "9293-3"};
	static const char *const req_ok[] = {"MUST-1", "MUST-36", "SHLD-5", "MAY-10"};
	static const char *const req_bad[] = {"", "MUST", "MUST-", "MUST-0", "MUST-01", "must-1", "MUST-1x",
					      "SHOULD-1", "MAY--1"};

	(void)state;
	for (size_t i = 0; i < sizeof(rfc_ok) / sizeof(rfc_ok[0]); i++)
		assert_true(tc_select_rfc_valid(rfc_ok[i]));
	for (size_t i = 0; i < sizeof(rfc_bad) / sizeof(rfc_bad[0]); i++)
		if (tc_select_rfc_valid(rfc_bad[i]))
			fail_msg("--rfc '%s' accepted", rfc_bad[i]);
	for (size_t i = 0; i < sizeof(req_ok) / sizeof(req_ok[0]); i++)
		assert_true(tc_select_req_valid(req_ok[i]));
	for (size_t i = 0; i < sizeof(req_bad) / sizeof(req_bad[0]); i++)
		if (tc_select_req_valid(req_bad[i]))
			fail_msg("--requirement '%s' accepted", req_bad[i]);
}

/* OR within one kind, AND across kinds. */
static void test_select_and_or(void **state)
{
	struct tc_case *c = case_at("cases/close/x.yaml");
	struct tc_select s = {0};

	(void)state;
	c->nrfc = 2;
	strcpy(c->rfc[0], "9293 3.6");
	strcpy(c->rfc[1], "9293 3.10.7.4");
	c->ntags = 2;
	strcpy(c->tags[0], "close");
	strcpy(c->tags[1], "time-wait");
	c->nreqs = 1;
	strcpy(c->reqs[0], "MUST-13");

	assert_true(tc_select_case(&s, c)); /* nothing asked: everything */
	s.tags[s.ntags++] = "rst";
	assert_false(tc_select_case(&s, c));
	s.tags[s.ntags++] = "time-wait";
	assert_true(tc_select_case(&s, c)); /* any of the tags */
	s.rfcs[s.nrfcs++] = "9293 3.10.7";
	assert_true(tc_select_case(&s, c));
	s.reqs[s.nreqs++] = "MUST-2";
	assert_false(tc_select_case(&s, c)); /* tag and rfc hold, the requirement not */
	s.reqs[s.nreqs++] = "MUST-13";
	assert_true(tc_select_case(&s, c));
	s.rfcs[0] = "9293 3.10.70";
	assert_false(tc_select_case(&s, c));
	s.rfcs[0] = "9293 3.6";
	assert_true(tc_select_case(&s, c));
	s.tags[1] = "Close"; /* tags compare exactly */
	assert_false(tc_select_case(&s, c));
	s.tags[1] = "close";
	unsigned mine = tc_select_shard_of(c->path, 4);
	s.shard_n = 4;
	s.shard_k = mine;
	assert_true(tc_select_case(&s, c));
	s.shard_k = mine % 4 + 1;
	assert_false(tc_select_case(&s, c));
	free(c);
}

static void test_flipped(void **state)
{
	const enum tc_verdict same[] = {TC_PASS, TC_PASS, TC_PASS};
	const enum tc_verdict last[] = {TC_PASS, TC_PASS, TC_FAIL};
	const enum tc_verdict first[] = {TC_FAIL, TC_PASS, TC_PASS};
	const enum tc_verdict fails[] = {TC_FAIL, TC_FAIL};
	const enum tc_verdict kinds[] = {TC_FAIL, TC_ERROR};
	const enum tc_verdict skip[] = {TC_SKIP, TC_SKIP, TC_PASS, TC_SKIP};

	(void)state;
	assert_false(report_flipped(same, 3));
	assert_false(report_flipped(same, 1));
	assert_false(report_flipped(last, 2)); /* the first two agree */
	assert_true(report_flipped(last, 3));
	assert_true(report_flipped(first, 3));
	assert_false(report_flipped(fails, 2));
	assert_true(report_flipped(kinds, 2)); /* FAIL then ERROR is a change too */
	assert_true(report_flipped(skip, 4));
}

static char *print_flip(const enum tc_verdict *seq, unsigned n, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_console_flip(f, "cases/x.yaml", 4, seq, n, color);
	fclose(f);
	return buf;
}

static void test_flip_line(void **state)
{
	const enum tc_verdict seq[] = {TC_PASS, TC_PASS, TC_FAIL};
	char *plain = print_flip(seq, 3, false), *col = print_flip(seq, 3, true);

	(void)state;
	assert_string_equal(plain, "FLIP  cases/x.yaml [v4]  PASS PASS FAIL\n");
	assert_string_equal(col, "\033[31mFLIP\033[0m  cases/x.yaml [v4]  \033[32mPASS\033[0m \033[32mPASS\033[0m"
				 " \033[31mFAIL\033[0m\n");
	free(plain);
	free(col);
}

static char *print_entry(enum tc_verdict v, bool color)
{
	struct report_entry e = {.path = "cases/x.yaml", .name = "a case", .family = 6, .verdict = v,
				 .failed_step = -1, .msg = "why"};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_console_entry_color(f, &e, false, color);
	fclose(f);
	return buf;
}

/* Only the verdict word is coloured; without colour the line is as it
 * always was, byte for byte. */
static void test_entry_colours(void **state)
{
	static const struct {
		enum tc_verdict v;
		const char *plain, *col;
	} rows[] = {
		{TC_PASS, "PASS  cases/x.yaml [v6]  a case\n", "\033[32mPASS\033[0m  cases/x.yaml [v6]  a case\n"},
		{TC_SKIP, "SKIP  cases/x.yaml [v6]  (why)\n", "\033[33mSKIP\033[0m  cases/x.yaml [v6]  (why)\n"},
		{TC_FAIL, "FAIL  cases/x.yaml [v6]  a case\n", "\033[31mFAIL\033[0m  cases/x.yaml [v6]  a case\n"},
		{TC_ERROR, "ERROR cases/x.yaml [v6]  a case\n", "\033[31mERROR\033[0m cases/x.yaml [v6]  a case\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *plain = print_entry(rows[i].v, false), *col = print_entry(rows[i].v, true);
		size_t np = strlen(rows[i].plain), nc = strlen(rows[i].col);

		/* a failure goes on with its location and message */
		assert_true(strncmp(plain, rows[i].plain, np) == 0);
		assert_true(strncmp(col, rows[i].col, nc) == 0);
		assert_null(strchr(plain, '\033'));
		assert_string_equal(plain + np, col + nc);
		free(plain);
		free(col);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_is_fnv1a),
		cmocka_unit_test(test_shard_of_pinned),
		cmocka_unit_test(test_shards_partition_the_suite),
		cmocka_unit_test(test_parse_shard),
		cmocka_unit_test(test_rfc_covers_whole_components),
		cmocka_unit_test(test_rfc_and_req_values),
		cmocka_unit_test(test_select_and_or),
		cmocka_unit_test(test_flipped),
		cmocka_unit_test(test_flip_line),
		cmocka_unit_test(test_entry_colours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
