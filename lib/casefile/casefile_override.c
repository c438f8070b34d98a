/* Per-target expectations (`on:` of a step) and known deviations
 * (`deviations:` of a case). Both name a target; the harness checks the
 * name against the targets it knows, the loader only its spelling. */
#include "casefile_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OVERRIDES 8

static int target_name(struct cf *cf, yaml_node_t *k, const char *where, char *dst)
{
	char shown[64];
	const char *s;

	if (cf_string(cf, k, where, &s))
		return -1;
	size_t n = strlen(s);
	bool ok = n > 0 && n < TC_TARGET_NAME_MAX && s[0] >= 'a' && s[0] <= 'z';
	for (size_t i = 0; ok && i < n; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
	if (!ok)
		return cf_fail(cf, k, "%s: %s is not a target name (lower-case letters, digits, '-', at most %d)",
			       where, cf_found(k, shown, sizeof(shown)), TC_TARGET_NAME_MAX - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/* reason and skip sit beside the segment fields of a send or expect
 * override, whose table hands them the tc_segspec: step back to the
 * override that holds it. */
static struct tc_override *from_seg(void *obj)
{
	return (struct tc_override *)((char *)obj - offsetof(struct tc_override, u.seg));
}

static int put_reason(struct cf *cf, yaml_node_t *v, struct tc_override *o)
{
	/* cf_text refuses an empty text: a difference always has a reason */
	return cf_text(cf, v, "reason", o->reason, sizeof(o->reason));
}

static int k_reason(struct cf *cf, yaml_node_t *v, void *obj)
{
	return put_reason(cf, v, obj);
}

static int k_skip(struct cf *cf, yaml_node_t *v, void *obj)
{
	return cf_bool(cf, v, "skip", &((struct tc_override *)obj)->skip);
}

static int k_seg_reason(struct cf *cf, yaml_node_t *v, void *obj)
{
	return put_reason(cf, v, from_seg(obj));
}

static int k_seg_skip(struct cf *cf, yaml_node_t *v, void *obj)
{
	return k_skip(cf, v, from_seg(obj));
}

static int k_duration(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_override *o = obj;

	o->has_value = true;
	return cf_dur(cf, v, "duration", &o->u.dur);
}

static int k_state(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_override *o = obj;

	o->has_value = true;
	return cf_load_state(cf, v, &o->u.state);
}

static const struct cf_key dur_keys[] = {
	{"reason", k_reason, true}, {"skip", k_skip, false}, {"duration", k_duration, false},
};
static const struct cf_key state_keys[] = {
	{"reason", k_reason, true}, {"skip", k_skip, false}, {"state", k_state, false},
};
/* An app step's result on this target: returns or error, which replace
 * the step's (a stack may answer a call differently and still keep to the
 * RFC: a send after the peer's RST). */
static int k_app_returns(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_override *o = obj;

	if (o->u.app.fields & TC_AX_ERROR)
		return cf_fail(cf, v, "returns: give returns or error, not both");
	o->has_value = true;
	return cf_load_app_expect(cf, v, NULL, &o->u.app);
}

static int k_app_error(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_override *o = obj;

	if (o->u.app.fields & TC_AX_RETURNS)
		return cf_fail(cf, v, "error: give returns or error, not both");
	o->has_value = true;
	return cf_load_app_expect(cf, NULL, v, &o->u.app);
}

static const struct cf_key app_keys[] = {
	{"reason", k_reason, true},
	{"skip", k_skip, false},
	{"returns", k_app_returns, false},
	{"error", k_app_error, false},
};

/* A segment override accepts the step's own keys (none required: only
 * what differs is written) plus reason and skip. */
static int walk_seg_override(struct cf *cf, yaml_node_t *map, bool expect, struct tc_override *o)
{
	const struct cf_key *base = expect ? cf_expect_keys : cf_send_keys;
	size_t nbase = expect ? cf_nexpect_keys : cf_nsend_keys;
	struct cf_key keys[32];

	if (nbase + 2 > sizeof(keys) / sizeof(keys[0]))
		return cf_fail(cf, map, "internal: too many keys");
	for (size_t i = 0; i < nbase; i++) {
		keys[i] = base[i];
		keys[i].required = false;
	}
	keys[nbase] = (struct cf_key){"reason", k_seg_reason, true};
	keys[nbase + 1] = (struct cf_key){"skip", k_seg_skip, false};
	return cf_walk_map(cf, map, expect ? "an expect override" : "a send override", keys, nbase + 2,
			   &o->u.seg);
}

static int load_one(struct cf *cf, yaml_node_t *map, const struct tc_step *st, struct tc_override *o)
{
	switch (st->kind) {
	case TC_STEP_SEND:
	case TC_STEP_EXPECT:
		return walk_seg_override(cf, map, st->kind == TC_STEP_EXPECT, o);
	case TC_STEP_WAIT:
	case TC_STEP_EXPECT_NONE:
		if (cf_walk_map(cf, map, "a duration override", dur_keys, 3, o))
			return -1;
		break;
	case TC_STEP_STATE:
		if (cf_walk_map(cf, map, "a state override", state_keys, 3, o))
			return -1;
		break;
	case TC_STEP_APP:
		if (cf_walk_map(cf, map, "an app override", app_keys, 4, o))
			return -1;
		break;
	}
	if (!o->skip && !o->has_value)
		return cf_fail(cf, map, "override: give the value this target expects, or skip: true");
	return 0;
}

int cf_load_overrides(struct cf *cf, yaml_node_t *map, struct tc_step *st)
{
	size_t n;

	if (cf_want(cf, map, YAML_MAPPING_NODE, "on"))
		return -1;
	n = cf_len(map);
	if (n == 0 || n > MAX_OVERRIDES)
		return cf_fail(cf, map, "on: expected 1..%d targets, found %zu", MAX_OVERRIDES, n);
	st->ovr = calloc(n, sizeof(*st->ovr));
	if (!st->ovr)
		return tc_err_set(cf->err, TC_ERR_NOMEM, "%s: no memory for overrides", cf->name);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cf_node(cf, p->key), *v = cf_node(cf, p->value);
		struct tc_override *o = &st->ovr[st->novr];

		if (!k || !v)
			return cf_fail(cf, map, "on: malformed mapping");
		if (target_name(cf, k, "on", o->target))
			return -1;
		for (int i = 0; i < st->novr; i++)
			if (strcmp(st->ovr[i].target, o->target) == 0)
				return cf_fail(cf, k, "on: target '%s' given twice", o->target);
		o->loc.line = (int)k->start_mark.line + 1;
		o->loc.col = (int)k->start_mark.column + 1;
		if (load_one(cf, v, st, o))
			return -1;
		st->novr++;
	}
	return 0;
}

static int k_dev_reason(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_deviation *d = obj;
	return cf_text(cf, v, "deviations: reason", d->reason, sizeof(d->reason));
}

static int k_dev_step(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_deviation *d = obj;
	int64_t n;

	if (cf_int(cf, v, "deviations: step", 1, CF_MAX_STEPS, &n))
		return -1;
	d->step = (int)n;
	d->step_loc.line = (int)v->start_mark.line + 1;
	d->step_loc.col = (int)v->start_mark.column + 1;
	return 0;
}

static int k_dev_fails(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_deviation *d = obj;
	return cf_text(cf, v, "deviations: fails", d->fails, sizeof(d->fails));
}

static int k_dev_family(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_deviation *d = obj;
	int64_t n;

	if (cf_int(cf, v, "deviations: family", 4, 6, &n))
		return -1;
	if (n == 5)
		return cf_fail(cf, v, "deviations: family: 5 is not an IP version (4 or 6)");
	d->family = (int)n;
	return 0;
}

static const struct cf_key deviation_keys[] = {
	{"reason", k_dev_reason, true},
	{"step", k_dev_step, true},
	{"fails", k_dev_fails, false},
	{"family", k_dev_family, false},
};

/* A deviation records one failure: the step it happens at (and what it
 * says), so that any other failure of the case still fails it. */
static int load_deviation(struct cf *cf, yaml_node_t *v, struct tc_deviation *d)
{
	if (v->type != YAML_MAPPING_NODE)
		return cf_fail(cf, v,
			       "deviations: %s: name the failure it records: {reason: \"...\", step: N"
			       "[, fails: \"text of the failure\"]}",
			       d->target);
	return cf_walk_map(cf, v, "deviations", deviation_keys, sizeof(deviation_keys) / sizeof(deviation_keys[0]),
			   d);
}

/* target name -> what it excuses (deviations) or why it does not apply (skips) */
static int load_target_reasons(struct cf *cf, yaml_node_t *map, const char *what, struct tc_deviation *out,
			       int *n, bool deviation)
{
	if (cf_want(cf, map, YAML_MAPPING_NODE, what))
		return -1;
	if (cf_len(map) > TC_MAX_DEVIATIONS)
		return cf_fail(cf, map, "%s: at most %d targets", what, TC_MAX_DEVIATIONS);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cf_node(cf, p->key), *v = cf_node(cf, p->value);
		struct tc_deviation *d = &out[*n];

		if (!k || !v)
			return cf_fail(cf, map, "%s: malformed mapping", what);
		if (target_name(cf, k, what, d->target))
			return -1;
		for (int i = 0; i < *n; i++)
			if (strcmp(out[i].target, d->target) == 0)
				return cf_fail(cf, k, "%s: target '%s' given twice", what, d->target);
		if (deviation ? load_deviation(cf, v, d) : cf_text(cf, v, what, d->reason, sizeof(d->reason)))
			return -1;
		d->loc.line = (int)k->start_mark.line + 1;
		d->loc.col = (int)k->start_mark.column + 1;
		(*n)++;
	}
	return 0;
}

int cf_load_deviations(struct cf *cf, yaml_node_t *map, struct tc_case *c)
{
	return load_target_reasons(cf, map, "deviations", c->deviations, &c->ndeviations, true);
}

int cf_load_skips(struct cf *cf, yaml_node_t *map, struct tc_case *c)
{
	return load_target_reasons(cf, map, "skip", c->skips, &c->nskips, false);
}

int cf_check_deviations(struct cf *cf, const struct tc_case *c)
{
	for (int k = 0; k < c->ndeviations; k++) {
		const struct tc_deviation *d = &c->deviations[k];
		if (d->step > c->nsteps)
			return cf_fail_at(cf, d->step_loc.line, d->step_loc.col,
					  "deviations: %s: step %d, but the case has %d steps", d->target, d->step,
					  c->nsteps);
	}
	return 0;
}
