#include "tc_select.h"

#include <string.h>

uint32_t tc_select_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a offset basis */

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 16777619u; /* FNV prime */
	}
	return h;
}

unsigned tc_select_shard_of(const char *path, unsigned n)
{
	/* `run ./cases/` and `run cases/` name the same files */
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return tc_select_hash(path) % n + 1;
}

/* A decimal number 1..max with nothing around it, up to `end`. */
static bool number_in(const char *s, const char *end, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (s == end || *s == '0')
		return false;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return false;
	}
	*out = (unsigned)v;
	return true;
}

int tc_select_parse_shard(const char *arg, unsigned *k, unsigned *n)
{
	const char *slash = strchr(arg, '/');
	unsigned kk, nn;

	if (!slash || !number_in(arg, slash, TC_SHARD_MAX, &kk) ||
	    !number_in(slash + 1, slash + 1 + strlen(slash + 1), TC_SHARD_MAX, &nn) || kk > nn)
		return -1;
	*k = kk;
	*n = nn;
	return 0;
}

/* One or more digits from *p; moves *p past them. */
static bool digits(const char **p)
{
	const char *s = *p;

	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p > s;
}

bool tc_select_rfc_valid(const char *s)
{
	if (!digits(&s))
		return false;
	if (*s == '\0')
		return true;
	if (*s++ != ' ' || !digits(&s))
		return false;
	while (*s == '.') {
		s++;
		if (!digits(&s))
			return false;
	}
	return *s == '\0';
}

bool tc_select_rfc_covers(const char *want, const char *have)
{
	size_t n = strlen(want);

	/* a prefix that ends where a component of `have` ends */
	return strncmp(want, have, n) == 0 && (have[n] == '\0' || have[n] == ' ' || have[n] == '.');
}

bool tc_select_req_valid(const char *s)
{
	const char *p;

	if (strncmp(s, "MUST-", 5) == 0 || strncmp(s, "SHLD-", 5) == 0)
		p = s + 5;
	else if (strncmp(s, "MAY-", 4) == 0)
		p = s + 4;
	else
		return false;
	if (*p == '0')
		return false;
	return digits(&p) && *p == '\0';
}

bool tc_select_case(const struct tc_select *s, const struct tc_case *c)
{
	bool hit;

	if (s->ntags) {
		hit = false;
		for (int i = 0; i < s->ntags && !hit; i++)
			for (int j = 0; j < c->ntags && !hit; j++)
				hit = strcmp(s->tags[i], c->tags[j]) == 0;
		if (!hit)
			return false;
	}
	if (s->nrfcs) {
		hit = false;
		for (int i = 0; i < s->nrfcs && !hit; i++)
			for (int j = 0; j < c->nrfc && !hit; j++)
				hit = tc_select_rfc_covers(s->rfcs[i], c->rfc[j]);
		if (!hit)
			return false;
	}
	if (s->nreqs) {
		hit = false;
		for (int i = 0; i < s->nreqs && !hit; i++)
			for (int j = 0; j < c->nreqs && !hit; j++)
				hit = strcmp(s->reqs[i], c->reqs[j]) == 0;
		if (!hit)
			return false;
	}
	return s->shard_n == 0 || tc_select_shard_of(c->path, s->shard_n) == s->shard_k;
}
