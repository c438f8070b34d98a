/* Internals shared by the casefile_*.c files; not part of the interface.
 * Everything reads a libyaml document (the document API keeps each node's
 * line and column) and reports the first problem through cf_fail(). */
#ifndef CASEFILE_INT_H
#define CASEFILE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "casefile.h"

/* A case is a page of YAML; these bounds keep a hostile or mistaken input
 * (a huge file, a million steps) from turning into gigabytes of steps. */
#define CF_MAX_INPUT (1024 * 1024)
#define CF_MAX_STEPS 4096
/* Lists and mappings inside each other; a case needs about eight. */
#define CF_MAX_DEPTH 64

struct cf {
	const char *name; /* the path, in every message */
	struct tc_err *err;
	yaml_document_t *doc;
};

/* "name:line:col: message" with the node's 1-based position; returns -1. */
int cf_fail(struct cf *cf, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cf_fail_at(struct cf *cf, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

yaml_node_t *cf_node(struct cf *cf, int index);
size_t cf_len(const yaml_node_t *seq_or_map);
/* What a node is, for "expected X, found Y": a list, a mapping, or the
 * scalar's text quoted and shortened. */
const char *cf_found(const yaml_node_t *n, char *buf, size_t cap);

/* Value readers: each checks the node's type and reports with "what: ". */
int cf_want(struct cf *cf, const yaml_node_t *n, yaml_node_type_t type, const char *what);
int cf_scalar(struct cf *cf, const yaml_node_t *n, const char *what, const char **s, size_t *len);
int cf_string(struct cf *cf, const yaml_node_t *n, const char *what, const char **s);
int cf_text(struct cf *cf, const yaml_node_t *n, const char *what, char *dst, size_t cap);
int cf_int(struct cf *cf, const yaml_node_t *n, const char *what, int64_t min, int64_t max,
	   int64_t *out);
int cf_bool(struct cf *cf, const yaml_node_t *n, const char *what, bool *out);
int cf_dur(struct cf *cf, const yaml_node_t *n, const char *what, struct tc_dur *out);

/* Integers as written in cases: decimal or 0x hex, an optional '-'. */
enum cf_int_res { CF_INT_OK = 0, CF_INT_SYNTAX = -1, CF_INT_RANGE = -2 };
enum cf_int_res cf_parse_int(const char *text, int64_t min, int64_t max, int64_t *out);

/* casefile_parse_duration with the reason for a refusal. */
int cf_parse_dur(const char *text, struct tc_dur *out, const char **why);

/* A mapping read through a table of its keys: unknown, duplicate and
 * missing keys are reported here, so handlers only see their own value. */
typedef int (*cf_key_fn)(struct cf *cf, yaml_node_t *val, void *obj);
struct cf_key {
	const char *name;
	cf_key_fn fn;
	bool required;
};
int cf_walk_map(struct cf *cf, yaml_node_t *map, const char *where, const struct cf_key *keys,
		size_t nkeys, void *obj);
/* "a, b, c" into buf, for messages that list what would have been valid. */
const char *cf_key_list(const struct cf_key *keys, size_t nkeys, char *buf, size_t cap);

int cf_load_steps(struct cf *cf, yaml_node_t *seq, struct tc_case *c);
int cf_load_segspec(struct cf *cf, yaml_node_t *map, bool expect, struct tc_segspec *s);
int cf_load_opts(struct cf *cf, yaml_node_t *seq, bool expect, struct tc_segspec *s);
int cf_load_app(struct cf *cf, yaml_node_t *n, struct tc_app *app);
/* An app step's `returns` / `error` (either may be NULL), also in `on:`. */
int cf_load_app_expect(struct cf *cf, yaml_node_t *returns, yaml_node_t *error, struct tc_app_expect *x);
int cf_load_app_error(struct cf *cf, yaml_node_t *v, const char *what, int *out);
/* Every send_urgent of the case is covered by its `requires: [urgent]`,
 * so a target without urgent data skips the case. (A socket option may be
 * needed on some targets only, `on: T: {skip: true}`: a case lists the
 * options it cannot do without in `requires:`, a target without one fails
 * the step naming it.) */
int cf_check_app_requires(struct cf *cf, const struct tc_case *c);
/* `on:` of a step whose kind is known: per-target expectations. */
int cf_load_state(struct cf *cf, yaml_node_t *v, enum tc_state *out);
int cf_load_overrides(struct cf *cf, yaml_node_t *map, struct tc_step *st);
/* Every seq_from names a save_seq of an earlier expect. */
int cf_check_seq_names(struct cf *cf, const struct tc_case *c);
/* `deviations:` of a case. */
int cf_load_deviations(struct cf *cf, yaml_node_t *map, struct tc_case *c);
/* After the whole case is read: every deviation names a step it has. */
int cf_check_deviations(struct cf *cf, const struct tc_case *c);
/* `skip:` of a case. */
int cf_load_skips(struct cf *cf, yaml_node_t *map, struct tc_case *c);
/* The key tables of send and expect, shared with the overrides. */
extern const struct cf_key cf_send_keys[];
extern const size_t cf_nsend_keys;
extern const struct cf_key cf_expect_keys[];
extern const size_t cf_nexpect_keys;

/* The steps of the built-in prologue NAME as YAML, NULL when there is none
 * (casefile_prologue.c); the names, comma-separated, for messages. */
const char *cf_prologue_steps(const char *name);
void cf_prologue_names(char *buf, size_t cap);

#endif
