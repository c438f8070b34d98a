/* The remote target's address rules and its token bucket: pure, no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "target/remote/remote_bucket.h"
#include "target/remote/remote_conf.h"

static struct seg_addr addr(const char *s)
{
	struct seg_addr a;

	assert_int_equal(seg_addr_parse(s, &a), 0);
	return a;
}

static void test_cidr(void **state)
{
	struct remote_cidr c;
	struct tc_err err = {0};
	struct seg_addr a;

	(void)state;
	assert_int_equal(remote_cidr_parse("198.51.100.0/24", &c, &err), 0);
	a = addr("198.51.100.2");
	assert_true(remote_cidr_contains(&c, &a));
	a = addr("198.51.101.2");
	assert_false(remote_cidr_contains(&c, &a));
	a = addr("2001:db8::2");
	assert_false(remote_cidr_contains(&c, &a)); /* another family */
	assert_int_equal(remote_cidr_parse("2001:db8::/32", &c, &err), 0);
	assert_true(remote_cidr_contains(&c, &a));
	a = addr("2001:db9::2");
	assert_false(remote_cidr_contains(&c, &a));
	/* a bare address is that address only */
	assert_int_equal(remote_cidr_parse("203.0.113.7", &c, &err), 0);
	assert_int_equal(c.len, 32);
	a = addr("203.0.113.8");
	assert_false(remote_cidr_contains(&c, &a));
	/* host bits set: refused, not widened */
	assert_int_equal(remote_cidr_parse("198.51.100.1/24", &c, &err), -1);
	assert_non_null(strstr(err.msg, "bits are set past the /24"));
	assert_int_equal(remote_cidr_parse("198.51.100.0/33", &c, &err), -1);
	assert_int_equal(remote_cidr_parse("198.51.100.0/", &c, &err), -1);
	assert_int_equal(remote_cidr_parse("example.org/24", &c, &err), -1);
	assert_int_equal(err.code, TC_ERR_USAGE);
}

static void test_target_parse(void **state)
{
	struct seg_addr a, want;
	uint16_t port;
	struct tc_err err = {0};

	(void)state;
	assert_int_equal(remote_target_parse("198.51.100.2:9000", &a, &port, &err), 0);
	want = addr("198.51.100.2");
	assert_memory_equal(&a, &want, sizeof(a));
	assert_int_equal(port, 9000);
	assert_int_equal(remote_target_parse("198.51.100.2", &a, &port, &err), 0);
	assert_int_equal(port, REMOTE_DEFAULT_PORT);
	assert_int_equal(remote_target_parse("[2001:db8::5]:8080", &a, &port, &err), 0);
	want = addr("2001:db8::5");
	assert_memory_equal(&a, &want, sizeof(a));
	assert_int_equal(port, 8080);
	assert_int_equal(remote_target_parse("[2001:db8::5]", &a, &port, &err), 0);
	assert_int_equal(remote_target_parse("2001:db8::5", &a, &port, &err), -1);
	assert_non_null(strstr(err.msg, "in brackets"));
	assert_int_equal(remote_target_parse("[198.51.100.2]:80", &a, &port, &err), -1);
	assert_int_equal(remote_target_parse("198.51.100.2:0", &a, &port, &err), -1);
	assert_int_equal(remote_target_parse("198.51.100.2:65536", &a, &port, &err), -1);
	assert_int_equal(remote_target_parse("198.51.100.2:80x", &a, &port, &err), -1);
	assert_int_equal(remote_target_parse("[2001:db8::5", &a, &port, &err), -1);
	assert_int_equal(remote_target_parse("", &a, &port, &err), -1);
	assert_int_equal(err.code, TC_ERR_USAGE);
}

static void test_forbidden(void **state)
{
	static const char *const bad[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.0.1", "224.0.0.1", "239.255.255.255",
		"255.255.255.255", "240.0.0.1", "169.254.1.1", "::", "::1", "ff02::1", "ff0e::1",
		"fe80::1", "::ffff:198.51.100.2",
	};
	static const char *const good[] = {"198.51.100.2", "203.0.113.9", "2001:db8::2", "223.255.255.254", "1.0.0.0"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seg_addr a = addr(bad[i]);
		if (!remote_addr_forbidden(&a))
			fail_msg("%s was not refused", bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct seg_addr a = addr(good[i]);
		if (remote_addr_forbidden(&a))
			fail_msg("%s was refused: %s", good[i], remote_addr_forbidden(&a));
	}
}

/* Forbidden whatever --allow says; --allow required; inside one prefix. */
static void test_dest_check(void **state)
{
	struct remote_conf rc;
	struct tc_err err = {0};
	struct seg_addr a;

	(void)state;
	remote_conf_init(&rc);
	a = addr("198.51.100.2");
	assert_int_equal(remote_dest_check(&rc, &a, &err), -1);
	assert_non_null(strstr(err.msg, "--allow CIDR is required"));
	assert_int_equal(remote_cidr_parse("203.0.113.0/24", &rc.allow[rc.nallow++], &err), 0);
	assert_int_equal(remote_dest_check(&rc, &a, &err), -1);
	assert_non_null(strstr(err.msg, "outside every --allow prefix"));
	assert_int_equal(remote_cidr_parse("198.51.100.0/24", &rc.allow[rc.nallow++], &err), 0);
	assert_int_equal(remote_dest_check(&rc, &a, &err), 0);
	assert_int_equal(remote_cidr_parse("0.0.0.0/0", &rc.allow[rc.nallow++], &err), 0);
	a = addr("224.0.0.5");
	assert_int_equal(remote_dest_check(&rc, &a, &err), -1);
	assert_int_equal(err.code, TC_ERR_USAGE);
	assert_non_null(strstr(err.msg, "multicast"));
	assert_non_null(strstr(err.msg, "nothing was sent"));
}

/* Segments asked for as fast as possible: in every window of one second,
 * at most rate + burst leave, none is dropped, and the long-run rate is
 * the rate. */
static void check_bucket(unsigned rate)
{
	struct remote_bucket b;
	enum { N = 400 };
	uint64_t sent[N], now = 5000000;
	size_t j = 0;

	remote_bucket_init(&b, rate, now);
	for (int i = 0; i < N; i++) {
		uint64_t wait = remote_bucket_take(&b, now);
		now += wait; /* the caller waits, then sends */
		sent[i] = now;
	}
	for (size_t i = 0; i < N; i++) {
		while (sent[i] - sent[j] >= 1000000)
			j++;
		if (i - j + 1 > rate + b.burst)
			fail_msg("rate %u: %zu segments in one second, more than %u + %u", rate, i - j + 1, rate, b.burst);
	}
	/* long run: N segments take about (N - burst) / rate seconds */
	uint64_t span = sent[N - 1] - sent[0], want = (uint64_t)(N - b.burst) * 1000000 / rate;
	assert_true(span + 1000000 / rate >= want && span <= want + 1000000 / rate);
}

static void test_bucket(void **state)
{
	struct remote_bucket b;

	(void)state;
	check_bucket(1);
	check_bucket(20);
	check_bucket(100);
	check_bucket(1000);
	/* a full bucket lets the burst go at once, then one per 1/rate */
	remote_bucket_init(&b, 20, 0);
	assert_int_equal(b.burst, 2);
	assert_int_equal(remote_bucket_take(&b, 0), 0);
	assert_int_equal(remote_bucket_take(&b, 0), 0);
	assert_int_equal(remote_bucket_take(&b, 0), 50000);
	/* a second caller before the first's slot waits behind it */
	assert_int_equal(remote_bucket_take(&b, 0), 100000);
	/* idle time refills up to the burst only */
	assert_int_equal(remote_bucket_take(&b, 10000000), 0);
	assert_int_equal(remote_bucket_take(&b, 10000000), 0);
	assert_int_equal(remote_bucket_take(&b, 10000000), 50000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_target_parse),
		cmocka_unit_test(test_forbidden),
		cmocka_unit_test(test_dest_check),
		cmocka_unit_test(test_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
