/* Which cases a run takes: by tag, RFC section, RFC 9293 requirement, and
 * a shard of the suite for CI machines that split it. Pure functions of
 * the case and the selection, so every machine of a CI matrix, and every
 * run, picks the same cases. */
#ifndef TC_SELECT_H
#define TC_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "tc_case.h"

#define TC_SELECT_MAX 32 /* values of one kind */
#define TC_SHARD_MAX 1000

/* OR within a kind, AND across kinds; a kind with no value selects all.
 * The strings are borrowed (the command line's). */
struct tc_select {
	const char *tags[TC_SELECT_MAX];
	int ntags;
	const char *rfcs[TC_SELECT_MAX]; /* "9293", "9293 3.10.7" */
	int nrfcs;
	const char *reqs[TC_SELECT_MAX]; /* "MUST-36" */
	int nreqs;
	unsigned shard_k, shard_n; /* shard K of N, 1-based; N == 0: the whole suite */
};

/* 32-bit FNV-1a of s: the same on every machine and every run. */
uint32_t tc_select_hash(const char *s);

/* The shard (1..n) a case path belongs to. It depends on the path alone
 * (a leading "./" left out), never on the case's position, so adding a
 * case moves no other case to another shard. n >= 1. */
unsigned tc_select_shard_of(const char *path, unsigned n);

/* "K/N" with 1 <= K <= N <= TC_SHARD_MAX, decimal: 0, or -1. */
int tc_select_parse_shard(const char *arg, unsigned *k, unsigned *n);

/* A reference as a case writes one: an RFC number, optionally one space
 * and a section of dot-separated numbers ("7323", "9293 3.10.7"). */
bool tc_select_rfc_valid(const char *s);

/* Whether reference `have` lies under `want`, comparing whole components:
 * "9293 3.10.7" covers "9293 3.10.7.4" and itself, not "9293 3.10.70";
 * "7323" covers "7323 2.3". */
bool tc_select_rfc_covers(const char *want, const char *have);

/* MUST-n, SHLD-n or MAY-n (RFC 9293 Appendix B). */
bool tc_select_req_valid(const char *s);

/* Whether the selection takes case c. */
bool tc_select_case(const struct tc_select *s, const struct tc_case *c);

#endif
