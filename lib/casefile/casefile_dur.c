/* Durations: "50ms", "2s", "1.5rto", "2msl", "msl". Absolute units are kept
 * in exact integer microseconds (no floating point), so "0.1s" is exactly
 * 100000 us; profile units keep a multiplier the engine resolves later. */
#include "casefile_int.h"

#include <string.h>

#define DUR_UNITS "us, ms, s, msl, rto, delack, tolerance, quiet"
#define DAY_US (UINT64_C(86400) * 1000000u)
#define MAX_FRAC_DIGITS 9
/* A profile multiple beyond this is a typo, and would overflow once the
 * engine multiplies it by a profile value. */
#define MAX_MULT 1000

static const struct {
	const char *name;
	enum tc_dur_unit unit;
	uint64_t scale; /* microseconds per unit; 0 for profile units */
} dur_units[] = {
	{"us", TC_DUR_ABS, 1},
	{"ms", TC_DUR_ABS, 1000},
	{"s", TC_DUR_ABS, 1000000},
	{"msl", TC_DUR_MSL, 0},
	{"rto", TC_DUR_RTO, 0},
	{"delack", TC_DUR_DELACK, 0},
	{"tolerance", TC_DUR_TOLERANCE, 0},
	{"quiet", TC_DUR_QUIET, 0},
};
#define N_UNITS (sizeof(dur_units) / sizeof(dur_units[0]))

static int find_unit(const char *s)
{
	for (size_t i = 0; i < N_UNITS; i++)
		if (strcmp(s, dur_units[i].name) == 0)
			return (int)i;
	return -1;
}

/* The number in front of the unit: whole part, and the fraction as
 * frac / den with den a power of ten. */
struct dur_num {
	uint64_t whole, frac, den;
};

static const char *parse_number(const char **pp, struct dur_num *n)
{
	const char *p = *pp;

	n->whole = 0;
	n->frac = 0;
	n->den = 1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (n->whole > (UINT64_MAX - d) / 10)
			return "duration overflows";
		n->whole = n->whole * 10 + d;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return "expected digits after the decimal point";
		for (int k = 0; *p >= '0' && *p <= '9'; p++, k++) {
			if (k == MAX_FRAC_DIGITS)
				return "more than 9 decimal places";
			n->frac = n->frac * 10 + (uint64_t)(*p - '0');
			n->den *= 10;
		}
	}
	*pp = p;
	return NULL;
}

static const char *to_abs(const struct dur_num *n, uint64_t scale, struct tc_dur *out)
{
	uint64_t part = n->frac * scale; /* < 1e9 * 1e6: no overflow */

	if (n->whole > DAY_US / scale)
		return "longer than 1 day (86400s)";
	if (part % n->den != 0)
		return "finer than 1us";
	out->unit = TC_DUR_ABS;
	out->us = n->whole * scale + part / n->den;
	out->mult = 0;
	if (out->us > DAY_US)
		return "longer than 1 day (86400s)";
	return NULL;
}

static const char *to_mult(const struct dur_num *n, enum tc_dur_unit unit, struct tc_dur *out)
{
	if (n->whole > MAX_MULT || (n->whole == MAX_MULT && n->frac != 0))
		return "more than 1000 times a profile value";
	out->unit = unit;
	out->us = 0;
	out->mult = (double)n->whole + (double)n->frac / (double)n->den;
	return NULL;
}

int cf_parse_dur(const char *text, struct tc_dur *out, const char **why)
{
	struct dur_num n = {0, 0, 1};
	const char *p = text, *msg;
	struct tc_dur d;
	int u;

	*why = NULL;
	if (*p < '0' || *p > '9') {
		/* A bare profile name is one of it: "msl" == "1msl". */
		u = find_unit(p);
		if (u < 0 || dur_units[u].unit == TC_DUR_ABS) {
			*why = "expected a duration such as 50ms, 2s, 1.5rto or 2msl (units: " DUR_UNITS ")";
			return -1;
		}
		n.whole = 1;
	} else {
		msg = parse_number(&p, &n);
		if (msg) {
			*why = msg;
			return -1;
		}
		if (*p == '\0') {
			*why = "duration needs a unit (" DUR_UNITS ")";
			return -1;
		}
		u = find_unit(p);
		if (u < 0) {
			*why = "unknown duration unit (expected " DUR_UNITS ")";
			return -1;
		}
	}
	msg = dur_units[u].scale ? to_abs(&n, dur_units[u].scale, &d) : to_mult(&n, dur_units[u].unit, &d);
	if (msg) {
		*why = msg;
		return -1;
	}
	*out = d;
	return 0;
}

int casefile_parse_duration(const char *text, struct tc_dur *out)
{
	const char *why;

	if (!text || !out)
		return -1;
	return cf_parse_dur(text, out, &why);
}
