/* lib/report/report_quote.c: case text becomes JSON strings (and TAP's
 * YAML strings) that a strict parser takes, whatever bytes the case held:
 * every control escaped, '"' and '\' escaped, ill-formed UTF-8 replaced
 * piece by piece, good UTF-8 untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_quote.h"

/* What a writer made of s, NUL-terminated; the caller frees it. */
static char *quoted(void (*put)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	put(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check(void (*put)(FILE *, const char *), const char *in, const char *want)
{
	char *got = quoted(put, in);

	assert_string_equal(got, want);
	free(got);
}

#define JSON(in, want) check(report_json_str, in, want)
#define YAML(in, want) check(report_yaml_str, in, want)

static void test_plain_text_passes(void **state)
{
	(void)state;
	JSON("", "\"\"");
	JSON("SYN-RECEIVED -> ESTABLISHED, 9293 3.10.7.4", "\"SYN-RECEIVED -> ESTABLISHED, 9293 3.10.7.4\"");
	JSON("/ stays: JSON lets a solidus be", "\"/ stays: JSON lets a solidus be\"");
}

static void test_quote_and_backslash(void **state)
{
	(void)state;
	JSON("say \"hi\"", "\"say \\\"hi\\\"\"");
	JSON("a\\b", "\"a\\\\b\"");
	JSON("\\", "\"\\\\\"");
	JSON("\"", "\"\\\"\"");
}

/* Every C0 control, DEL and the C1 controls: short forms where JSON has
 * them, \u00XX for the rest. */
static void test_every_control(void **state)
{
	(void)state;
	for (int c = 1; c < 0x20; c++) {
		char in[2] = {(char)c, 0}, want[16];

		switch (c) {
		case '\b': snprintf(want, sizeof(want), "\"\\b\""); break;
		case '\f': snprintf(want, sizeof(want), "\"\\f\""); break;
		case '\n': snprintf(want, sizeof(want), "\"\\n\""); break;
		case '\r': snprintf(want, sizeof(want), "\"\\r\""); break;
		case '\t': snprintf(want, sizeof(want), "\"\\t\""); break;
		default: snprintf(want, sizeof(want), "\"\\u%04x\"", c); break;
		}
		JSON(in, want);
	}
	JSON("\x7f", "\"\\u007f\"");
	JSON("\xc2\x80", "\"\\u0080\"");
	JSON("\xc2\x9b[2J", "\"\\u009b[2J\"");
	JSON("\xc2\x9f", "\"\\u009f\"");
	JSON("\xc2\xa0", "\"\xc2\xa0\""); /* NBSP is text, not a control */
	JSON("\xe2\x80\xa8|\xe2\x80\xa9", "\"\\u2028|\\u2029\"");
	JSON("evil \x1b[2J\a name", "\"evil \\u001b[2J\\u0007 name\"");
}

static void test_good_utf8_untouched(void **state)
{
	(void)state;
	JSON("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	JSON("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"");
	JSON("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	JSON("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF, the last */
	JSON("\xed\x9f\xbf", "\"\xed\x9f\xbf\""); /* U+D7FF, just below the surrogates */
}

/* One U+FFFD per maximal ill-formed subpart, and the next character is
 * never swallowed. */
static void test_bad_utf8_replaced(void **state)
{
	(void)state;
	JSON("\x80", "\"\\ufffd\"");
	JSON("a\xbf" "b", "\"a\\ufffdb\"");
	JSON("\xff\xfe", "\"\\ufffd\\ufffd\"");
	JSON("\xc0\xaf", "\"\\ufffd\\ufffd\""); /* overlong '/' */
	JSON("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	JSON("\xe0\x80\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* overlong NUL */
	JSON("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate U+D800 */
	JSON("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
	JSON("\xf5\x80", "\"\\ufffd\\ufffd\"");
	JSON("\xe2\x82" "A", "\"\\ufffdA\""); /* cut short, then ASCII */
	JSON("\xe2\x82", "\"\\ufffd\""); /* cut short by the end */
	JSON("\xf0\x9f\x98", "\"\\ufffd\"");
	JSON("\xf0\x9f\x98\"", "\"\\ufffd\\\"\""); /* the quote after it still escaped */
	JSON("\xc3\xc3\xa9", "\"\\ufffd\xc3\xa9\"");
}

static void test_utf8_next(void **state)
{
	uint32_t cp;
	bool valid;

	(void)state;
	assert_int_equal(report_utf8_next("A", &cp, &valid), 1);
	assert_true(valid);
	assert_int_equal(cp, 'A');
	assert_int_equal(report_utf8_next("\xc3\xa9", &cp, &valid), 2);
	assert_true(valid);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(report_utf8_next("\xe2\x82\xac", &cp, &valid), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(report_utf8_next("\xf0\x9f\x98\x80", &cp, &valid), 4);
	assert_true(valid);
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(report_utf8_next("\xf0\x9f\x98", &cp, &valid), 3);
	assert_false(valid);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(report_utf8_next("\xe0\x9f\x80", &cp, &valid), 1);
	assert_false(valid);
}

/* Any bytes at all: the output is valid UTF-8 holding no raw control, and
 * every '"' inside is escaped. */
static void test_any_bytes_give_clean_json(void **state)
{
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		char in[40];
		int n = 1 + (int)(seed % 38);

		for (int i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (char)(1 + (seed >> 16) % 255);
		}
		in[n] = '\0';

		char *out = quoted(report_json_str, in);
		size_t len = strlen(out);

		assert_true(len >= 2 && out[0] == '"' && out[len - 1] == '"');
		for (size_t i = 1; i + 1 < len;) {
			uint32_t cp;
			bool valid;
			size_t k = report_utf8_next(out + i, &cp, &valid);

			assert_true(valid);
			assert_false(report_is_control(cp));
			if (cp == '\\')
				k++; /* the escaped character is not an end quote */
			else
				assert_int_not_equal(cp, '"');
			i += k;
		}
		free(out);
	}
}

/* TAP's YAML: the escapes both YAML and Perl's YAMLish read. */
static void test_yaml_strings(void **state)
{
	(void)state;
	YAML("plain", "\"plain\"");
	YAML("a \"b\" \\ c", "\"a \\\"b\\\" \\\\ c\"");
	YAML("line 1\n\tline 2", "\"line 1\\n\\tline 2\"");
	YAML("\x1b[2J\r\x7f", "\"\\x1b[2J\\x0d\\x7f\"");
	YAML("\xc2\x9b", "\"\\x9b\"");
	YAML("caf\xc3\xa9 \xff", "\"caf\xc3\xa9 \xef\xbf\xbd\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_passes),
		cmocka_unit_test(test_quote_and_backslash),
		cmocka_unit_test(test_every_control),
		cmocka_unit_test(test_good_utf8_untouched),
		cmocka_unit_test(test_bad_utf8_replaced),
		cmocka_unit_test(test_utf8_next),
		cmocka_unit_test(test_any_bytes_give_clean_json),
		cmocka_unit_test(test_yaml_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
