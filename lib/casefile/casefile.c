/* Case files: read the bytes, let libyaml build a document, then walk it
 * with tables of the keys each place accepts (casefile_node.c). The first
 * problem stops the load; nothing is kept on error. */
#include "casefile_int.h"
#include "../case/tc_reqs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int k_name(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;

	return cf_text(cf, v, "name", c->name, sizeof(c->name));
}

/* "9293" or "9293 3.10.7.4": the number first, so reports can link it. */
static bool rfc_ok(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s)
		return false;
	return *p == '\0' || (p[0] == ' ' && p[1] != '\0' && p[1] != ' ');
}

static int k_rfc(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;
	size_t n;

	if (cf_want(cf, v, YAML_SEQUENCE_NODE, "rfc"))
		return -1;
	n = cf_len(v);
	if (n < 1 || n > TC_MAX_RFC)
		return cf_fail(cf, v, "rfc: expected 1..%d references, found %zu", TC_MAX_RFC, n);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = cf_node(cf, v->data.sequence.items.start[i]);
		char shown[64];

		if (!item || cf_text(cf, item, "rfc", c->rfc[i], sizeof(c->rfc[i])))
			return item ? -1 : cf_fail(cf, v, "rfc: malformed list");
		if (!rfc_ok(c->rfc[i]))
			return cf_fail(cf, item, "rfc: %s: expected an RFC number and an optional section, e.g. \"9293 3.10.7.4\"",
				       cf_found(item, shown, sizeof(shown)));
		c->nrfc = (int)i + 1;
	}
	return 0;
}

static int k_tags(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;
	size_t n;

	if (cf_want(cf, v, YAML_SEQUENCE_NODE, "tags"))
		return -1;
	n = cf_len(v);
	if (n > TC_MAX_TAGS)
		return cf_fail(cf, v, "tags: %zu tags, more than %d", n, TC_MAX_TAGS);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = cf_node(cf, v->data.sequence.items.start[i]);

		if (!item)
			return cf_fail(cf, v, "tags: malformed list");
		if (cf_text(cf, item, "tags", c->tags[i], sizeof(c->tags[i])))
			return -1;
		c->ntags = (int)i + 1;
	}
	return 0;
}

/* RFC 9293 Appendix B names its requirements MUST-n, SHLD-n and MAY-n. */
static bool req_ok(const char *s)
{
	const char *p = NULL;

	if (strncmp(s, "MUST-", 5) == 0 || strncmp(s, "SHLD-", 5) == 0)
		p = s + 5;
	else if (strncmp(s, "MAY-", 4) == 0)
		p = s + 4;
	if (!p || *p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '\0';
}

static int k_requirements(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;
	size_t n;

	if (cf_want(cf, v, YAML_SEQUENCE_NODE, "requirements"))
		return -1;
	n = cf_len(v);
	if (n > TC_MAX_REQS)
		return cf_fail(cf, v, "requirements: %zu requirements, more than %d", n, TC_MAX_REQS);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = cf_node(cf, v->data.sequence.items.start[i]);
		char shown[64];

		if (!item)
			return cf_fail(cf, v, "requirements: malformed list");
		if (cf_text(cf, item, "requirements", c->reqs[i], sizeof(c->reqs[i])))
			return -1;
		if (!req_ok(c->reqs[i]))
			return cf_fail(cf, item, "requirements: %s: expected a requirement of RFC 9293 Appendix B, e.g. MUST-36 or SHLD-5",
				       cf_found(item, shown, sizeof(shown)));
		if (!tc_reqs_find(c->reqs[i]))
			return cf_fail(cf, item, "requirements: %s is not in RFC 9293 Appendix B (MUST-1..69, SHLD-1..31, MAY-1..18)",
				       c->reqs[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->reqs[j], c->reqs[i]) == 0)
				return cf_fail(cf, item, "requirements: %s given twice", c->reqs[i]);
		c->nreqs = (int)i + 1;
	}
	return 0;
}

static const struct {
	const char *name;
	enum tc_require bit;
} requirements[] = {
	{"app", TC_REQ_APP},
	{"state", TC_REQ_STATE},
	{"virtual-time", TC_REQ_VIRTUAL_TIME},
	{"open-port", TC_REQ_OPEN_PORT},
	{"closed-port", TC_REQ_CLOSED_PORT},
	{"urgent", TC_REQ_URGENT},
	{"connect-invalid", TC_REQ_CONNECT_INVALID},
	{"ip-level", TC_REQ_IP_LEVEL},
	{"multihomed", TC_REQ_MULTIHOMED},
};

static int require_one(struct cf *cf, yaml_node_t *item, struct tc_case *c)
{
	char shown[64];
	const char *s;

	if (cf_string(cf, item, "requires", &s))
		return -1;
	enum tc_sockopt opt;

	for (size_t i = 0; i < sizeof(requirements) / sizeof(requirements[0]); i++) {
		if (strcmp(s, requirements[i].name) == 0) {
			c->requires |= requirements[i].bit;
			return 0;
		}
	}
	/* a socket option the case sets or reads */
	if (tc_sockopt_parse(s, &opt) == 0) {
		c->requires_sockopts |= 1u << opt;
		return 0;
	}
	return cf_fail(cf, item,
		       "requires: unknown requirement %s; expected one of: app, state, virtual-time, open-port, closed-port, urgent, connect-invalid, ip-level, multihomed, "
		       "or a socket option (TCP_NODELAY, SO_LINGER, ...)",
		       cf_found(item, shown, sizeof(shown)));
}

/* Whether a send's address kind (on the step or an override) is `second`;
 * else whether it names an address no host owns or an ICMP error. */
static bool seg_uses(const struct tc_segspec *sp, bool second)
{
	if (second)
		return ((sp->fields & TC_F_DST) && sp->dst_kind == TC_ADDR_SECOND) ||
		       ((sp->fields & TC_F_EXPECT_SRC) && sp->expect_src == TC_ADDR_SECOND);
	return (sp->fields & TC_F_ICMP) || (sp->fields & TC_F_SRC) ||
	       ((sp->fields & TC_F_DST) && (sp->dst_kind == TC_ADDR_BROADCAST || sp->dst_kind == TC_ADDR_MULTICAST));
}

static bool step_uses(const struct tc_step *st, bool second)
{
	if (st->kind == TC_STEP_APP)
		return second && st->u.app.local == TC_LOCAL_SECOND;
	if (st->kind != TC_STEP_SEND && st->kind != TC_STEP_EXPECT)
		return false;
	if (seg_uses(&st->u.seg, second))
		return true;
	for (int k = 0; k < st->novr; k++)
		if (seg_uses(&st->ovr[k].u.seg, second))
			return true;
	return false;
}

/* A send that needs the run's own wire: an ICMP error, or an address no
 * host owns. */
static bool send_is_ip_level(const struct tc_step *st)
{
	return st->kind == TC_STEP_SEND && step_uses(st, false);
}

int cf_check_app_requires(struct cf *cf, const struct tc_case *c)
{
	for (int i = 0; i < c->nsteps; i++) {
		const struct tc_step *st = &c->steps[i];
		const struct tc_app *a = &st->u.app;

		if (send_is_ip_level(st) && !(c->requires & TC_REQ_IP_LEVEL))
			return cf_fail_at(cf, st->loc.line, st->loc.col,
					  "send: icmp, src and dst need ip-level in requires:, so a target on a real "
					  "network skips the case");
		if (step_uses(st, true) && !(c->requires & TC_REQ_MULTIHOMED))
			return cf_fail_at(cf, st->loc.line, st->loc.col,
					  "the target's second address needs multihomed in requires:, so a target "
					  "with one address skips the case");
		if (st->kind != TC_STEP_APP)
			continue;
		if (a->verb == TC_APP_SEND && a->urgent && !(c->requires & TC_REQ_URGENT))
			return cf_fail_at(cf, st->loc.line, st->loc.col,
					  "send_urgent: list urgent in requires:, so a target without urgent data "
					  "skips the case");
		if (a->verb == TC_APP_POLL && (a->poll == TC_POLL_URGENT || a->poll == TC_POLL_ATMARK) &&
		    !(c->requires & TC_REQ_URGENT))
			return cf_fail_at(cf, st->loc.line, st->loc.col,
					  "poll %s: list urgent in requires:, so a target without urgent data "
					  "skips the case",
					  tc_poll_what_name(a->poll));
		if (a->verb == TC_APP_CONNECT && a->connect_to != TC_CONNECT_PEER &&
		    !(c->requires & TC_REQ_CONNECT_INVALID))
			return cf_fail_at(cf, st->loc.line, st->loc.col,
					  "connect %s: list connect-invalid in requires:, so a target that can "
					  "only connect to the peer skips the case",
					  a->connect_to == TC_CONNECT_MULTICAST ? "multicast" : "broadcast");
	}
	return 0;
}

static int k_requires(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;

	if (cf_want(cf, v, YAML_SEQUENCE_NODE, "requires"))
		return -1;
	c->requires_loc = (struct tc_loc){(int)v->start_mark.line + 1, (int)v->start_mark.column + 1};
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = cf_node(cf, *it);

		if (!item)
			return cf_fail(cf, v, "requires: malformed list");
		if (require_one(cf, item, obj))
			return -1;
	}
	return 0;
}

/* The stack configuration the case is written for; what each name means
 * on each target is the target's business (docs/targets.md). */
static int k_profile(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;
	char shown[64];
	const char *s;

	if (cf_string(cf, v, "profile", &s))
		return -1;
	if (strcmp(s, "minimal") == 0)
		c->profile = TC_SP_MINIMAL;
	else if (strcmp(s, "default") == 0)
		c->profile = TC_SP_DEFAULT;
	else
		return cf_fail(cf, v, "profile: unknown profile %s; expected one of: minimal, default",
			       cf_found(v, shown, sizeof(shown)));
	c->profile_loc.line = (int)v->start_mark.line + 1;
	c->profile_loc.col = (int)v->start_mark.column + 1;
	return 0;
}

static int k_port(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;
	int64_t x;

	if (cf_int(cf, v, "port", 1, 65535, &x))
		return -1;
	c->port = (uint16_t)x;
	return 0;
}

static int k_peer_port(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;
	int64_t x;

	if (cf_int(cf, v, "peer_port", 1, 65535, &x))
		return -1;
	c->peer_port = (uint16_t)x;
	return 0;
}

static int k_peer_isn(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;
	int64_t x;

	if (cf_int(cf, v, "peer_isn", 0, UINT32_MAX, &x))
		return -1;
	c->peer_isn = (uint32_t)x;
	return 0;
}

/* config pins profile values, so a value written as a multiple of a
 * profile value ("msl: 2rto") would be circular. */
static int conf_dur(struct cf *cf, yaml_node_t *v, const char *what, struct tc_dur *d, unsigned bit,
		    struct tc_case_conf *conf)
{
	if (cf_dur(cf, v, what, d))
		return -1;
	if (d->unit != TC_DUR_ABS)
		return cf_fail(cf, v, "%s: must be an absolute duration (us, ms, s) in config", what);
	conf->fields |= bit;
	return 0;
}

static int conf_int(struct cf *cf, yaml_node_t *v, const char *what, int64_t min, int64_t max,
		    unsigned bit, struct tc_case_conf *conf, int64_t *x)
{
	if (cf_int(cf, v, what, min, max, x))
		return -1;
	conf->fields |= bit;
	return 0;
}

#define CONF_DUR(field, bit)                                                   \
	static int k_##field(struct cf *cf, yaml_node_t *v, void *obj)         \
	{                                                                      \
		struct tc_case_conf *conf = obj;                               \
		return conf_dur(cf, v, #field, &conf->field, bit, conf);       \
	}
#define CONF_INT(field, bit, min, max, type)                                   \
	static int k_##field(struct cf *cf, yaml_node_t *v, void *obj)         \
	{                                                                      \
		struct tc_case_conf *conf = obj;                               \
		int64_t x;                                                     \
		if (conf_int(cf, v, #field, min, max, bit, conf, &x))          \
			return -1;                                             \
		conf->field = (type)x;                                         \
		return 0;                                                      \
	}

CONF_DUR(msl, TC_C_MSL)
CONF_DUR(rto, TC_C_RTO)
CONF_DUR(rto_min, TC_C_RTO_MIN)
CONF_DUR(rto_max, TC_C_RTO_MAX)
CONF_DUR(delack, TC_C_DELACK)
/* The largest window RFC 7323 2.3 allows: 65535 << 14. */
CONF_INT(window, TC_C_WINDOW, 0, 1073725440, uint32_t)
CONF_INT(mss, TC_C_MSS, 1, 65535, uint16_t)
CONF_INT(challenge_ack_limit, TC_C_CHALLENGE_ACK_LIMIT, 0, 1000000, uint32_t)

/* iss: a number (the ISS of every connection) or rfc6528 (the target's
 * own generator, RFC 6528 3; 9293 3.4.1 MUST-8) */
static int k_iss(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;
	int64_t x;

	if (v->type == YAML_SCALAR_NODE && strcmp((const char *)v->data.scalar.value, "rfc6528") == 0) {
		conf->fields |= TC_C_ISS_RFC6528;
		return 0;
	}
	if (conf_int(cf, v, "iss (a number 0..4294967295 or rfc6528)", 0, UINT32_MAX, TC_C_ISS, conf, &x))
		return -1;
	conf->iss = (uint32_t)x;
	return 0;
}
CONF_INT(syn_retries, TC_C_SYN_RETRIES, 0, 100, uint32_t)
CONF_INT(retries, TC_C_RETRIES, 0, 100, uint32_t)
CONF_INT(initial_window, TC_C_INITIAL_WINDOW, 1, 64, uint32_t)

/* "on" or "off": what a socket option reads like (YAML 1.2 keeps both as
 * text, as the loader reads them). */
static int conf_onoff(struct cf *cf, yaml_node_t *v, const char *what, bool *out)
{
	char shown[64];
	const char *s;

	if (cf_string(cf, v, what, &s))
		return -1;
	if (strcmp(s, "on") == 0 || strcmp(s, "off") == 0) {
		*out = strcmp(s, "on") == 0;
		return 0;
	}
	return cf_fail(cf, v, "%s: expected on or off, found %s", what, cf_found(v, shown, sizeof(shown)));
}

static int k_nagle(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;

	if (conf_onoff(cf, v, "nagle", &conf->nagle))
		return -1;
	conf->fields |= TC_C_NAGLE;
	return 0;
}

static int k_rfc1337(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;

	if (conf_onoff(cf, v, "rfc1337", &conf->rfc1337))
		return -1;
	conf->fields |= TC_C_RFC1337;
	return 0;
}

static int k_accept_source_route(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;

	if (conf_onoff(cf, v, "accept_source_route", &conf->accept_source_route))
		return -1;
	conf->fields |= TC_C_ACCEPT_SOURCE_ROUTE;
	return 0;
}

static int k_time_wait_reopen(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;

	if (conf_onoff(cf, v, "time_wait_reopen", &conf->time_wait_reopen))
		return -1;
	conf->fields |= TC_C_TIME_WAIT_REOPEN;
	return 0;
}

static int k_delayed_ack(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;

	if (conf_onoff(cf, v, "delayed_ack", &conf->delayed_ack))
		return -1;
	conf->fields |= TC_C_DELAYED_ACK;
	return 0;
}

static int k_cc(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;

	if (conf_onoff(cf, v, "cc", &conf->cc))
		return -1;
	conf->fields |= TC_C_CC;
	return 0;
}

static int k_tlp(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;

	if (conf_onoff(cf, v, "tlp", &conf->tlp))
		return -1;
	conf->fields |= TC_C_TLP;
	return 0;
}

/* keepalive: off, on (the target's default idle time), or a duration */
static int k_keepalive(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case_conf *conf = obj;
	const char *s;

	if (cf_string(cf, v, "keepalive", &s))
		return -1;
	if (strcmp(s, "on") == 0 || strcmp(s, "off") == 0) {
		conf->keepalive_mode = strcmp(s, "on") == 0 ? TC_KEEPALIVE_DEFAULT : TC_KEEPALIVE_OFF;
		conf->fields |= TC_C_KEEPALIVE;
		return 0;
	}
	if (cf_dur(cf, v, "keepalive", &conf->keepalive))
		return -1;
	if (conf->keepalive.unit != TC_DUR_ABS || conf->keepalive.us == 0)
		return cf_fail(cf, v, "keepalive: expected on, off or an absolute duration above 0 (us, ms, s)");
	conf->keepalive_mode = TC_KEEPALIVE_AFTER;
	conf->fields |= TC_C_KEEPALIVE;
	return 0;
}

static const struct cf_key conf_keys[] = {
	{"msl", k_msl, false},	       {"rto", k_rto, false},	      {"rto_min", k_rto_min, false},
	{"rto_max", k_rto_max, false}, {"delack", k_delack, false},   {"window", k_window, false},
	{"mss", k_mss, false},	       {"iss", k_iss, false},	      {"syn_retries", k_syn_retries, false},
	{"retries", k_retries, false}, {"nagle", k_nagle, false},	      {"delayed_ack", k_delayed_ack, false},
	{"keepalive", k_keepalive, false}, {"rfc1337", k_rfc1337, false},
	{"accept_source_route", k_accept_source_route, false},
	{"challenge_ack_limit", k_challenge_ack_limit, false}, {"time_wait_reopen", k_time_wait_reopen, false},
	{"cc", k_cc, false}, {"initial_window", k_initial_window, false},
	{"tlp", k_tlp, false},
};

static int k_config(struct cf *cf, yaml_node_t *v, void *obj)
{
	struct tc_case *c = obj;

	return cf_walk_map(cf, v, "config", conf_keys, sizeof(conf_keys) / sizeof(conf_keys[0]), &c->conf);
}

static int k_steps(struct cf *cf, yaml_node_t *v, void *obj)
{
	return cf_load_steps(cf, v, obj);
}

static int k_description(struct cf *cf, yaml_node_t *v, void *obj)
{
	const char *s;

	(void)obj;
	return cf_string(cf, v, "description", &s);
}

static int k_deviations(struct cf *cf, yaml_node_t *v, void *obj)
{
	return cf_load_deviations(cf, v, obj);
}

static int k_skip(struct cf *cf, yaml_node_t *v, void *obj)
{
	return cf_load_skips(cf, v, obj);
}

static const struct cf_key case_keys[] = {
	{"name", k_name, true},
	{"rfc", k_rfc, true},
	{"tags", k_tags, false},
	{"requirements", k_requirements, false},
	{"requires", k_requires, false},
	{"profile", k_profile, false},
	{"port", k_port, false},
	{"peer_port", k_peer_port, false},
	{"peer_isn", k_peer_isn, false},
	{"config", k_config, false},
	{"deviations", k_deviations, false},
	{"skip", k_skip, false},
	{"steps", k_steps, true},
	{"description", k_description, false},
};

/* libyaml's reader reports a byte offset, not a line: count it here. */
static void offset_to_pos(const char *text, size_t len, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int yaml_fail(struct cf *cf, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "YAML syntax error";
	int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;

	if (p->error == YAML_MEMORY_ERROR)
		return tc_err_set(cf->err, TC_ERR_NOMEM, "%s: out of memory reading YAML", cf->name);
	if (p->error == YAML_READER_ERROR) {
		offset_to_pos(text, len, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			return cf_fail_at(cf, line, col, "%s (#%X)", problem, (unsigned)p->problem_value);
		return cf_fail_at(cf, line, col, "%s", problem);
	}
	if (p->context)
		return cf_fail_at(cf, line, col, "%s (%s at %d:%d)", problem, p->context,
				  (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	return cf_fail_at(cf, line, col, "%s", problem);
}

/* open-port and closed-port promise that a target offering a port of its
 * own, without application control, can run the case: hold the steps to
 * it. An open port is made by `listen` on the case's port and taken by
 * `accept`; anything else the application does would need control of the
 * far host. */
static int check_port_needs(struct cf *cf, const struct tc_case *c)
{
	unsigned both = TC_REQ_OPEN_PORT | TC_REQ_CLOSED_PORT;

	if ((c->requires & both) == both)
		return cf_fail_at(cf, c->requires_loc.line, c->requires_loc.col,
				  "requires: open-port and closed-port exclude each other");
	if (!(c->requires & both))
		return 0;
	for (int i = 0; i < c->nsteps; i++) {
		const struct tc_step *st = &c->steps[i];

		if (st->kind != TC_STEP_APP)
			continue;
		if (c->requires & TC_REQ_CLOSED_PORT)
			return cf_fail_at(cf, st->loc.line, st->loc.col,
					  "app %s: a case that requires closed-port has no app steps",
					  tc_app_verb_name(st->u.app.verb));
		if (st->u.app.verb == TC_APP_ACCEPT ||
		    (st->u.app.verb == TC_APP_LISTEN && (st->u.app.port == 0 || st->u.app.port == c->port)))
			continue;
		return cf_fail_at(cf, st->loc.line, st->loc.col,
				  "app %s: a case that requires open-port may only listen on its port and accept",
				  tc_app_verb_name(st->u.app.verb));
	}
	return 0;
}

static int load_root(struct cf *cf, yaml_node_t *root, struct tc_case *c)
{
	if (!root)
		return cf_fail_at(cf, 1, 1, "empty case file; expected a mapping with name, rfc and steps");
	c->port = TC_DEFAULT_PORT;
	c->peer_port = TC_DEFAULT_PEER_PORT;
	c->peer_isn = TC_DEFAULT_PEER_ISN;
	if (cf_walk_map(cf, root, "the case", case_keys, sizeof(case_keys) / sizeof(case_keys[0]), c))
		return -1;
	if (check_port_needs(cf, c) || cf_check_app_requires(cf, c) || cf_check_seq_names(cf, c))
		return -1;
	return cf_check_deviations(cf, c);
}

/* A second document would be silently ignored by a reader that stops
 * after the first, so it is an error (and so is a syntax error in it). */
static int check_no_more(struct cf *cf, yaml_parser_t *p, const char *text, size_t len)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(p, &doc))
		return yaml_fail(cf, p, text, len);
	root = yaml_document_get_root_node(&doc);
	if (root)
		rc = cf_fail(cf, root, "a second YAML document; a case file holds one case");
	yaml_document_delete(&doc);
	return rc;
}

/* libyaml's document loader recurses once per level, and its scanner
 * rechecks every open level at each token: a file of 100,000 '[' took
 * 44 s before it failed. Its event stream costs nothing per level, so the
 * depth is counted there first and a file nested too deep is refused
 * before any document is built. A syntax error stops the count: the load
 * that follows reports it as it always has. */
static int check_depth(struct cf *cf, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, rc = 0;

	if (!yaml_parser_initialize(&p))
		return tc_err_set(cf->err, TC_ERR_NOMEM, "%s: out of memory reading YAML", cf->name);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_type_t type;

		if (!yaml_parser_parse(&p, &ev))
			break;
		type = ev.type;
		if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
			if (++depth > CF_MAX_DEPTH) {
				rc = cf_fail_at(cf, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
						"nested deeper than %d levels of lists and mappings",
						CF_MAX_DEPTH);
				yaml_event_delete(&ev);
				break;
			}
		} else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

static int parse(struct cf *cf, const char *text, size_t len, struct tc_case *c)
{
	yaml_parser_t p;
	yaml_document_t doc;
	int rc;

	if (check_depth(cf, text, len))
		return -1;
	if (!yaml_parser_initialize(&p))
		return tc_err_set(cf->err, TC_ERR_NOMEM, "%s: out of memory reading YAML", cf->name);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		rc = yaml_fail(cf, &p, text, len);
		yaml_parser_delete(&p);
		return rc;
	}
	cf->doc = &doc;
	rc = load_root(cf, yaml_document_get_root_node(&doc), c);
	if (rc == 0)
		rc = check_no_more(cf, &p, text, len);
	cf->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return rc;
}

int casefile_load_string(const char *text, size_t len, const char *name, struct tc_case *out,
			 struct tc_err *err)
{
	struct cf cf = {.name = name ? name : "<string>", .err = err};

	memset(out, 0, sizeof(*out));
	if (!text) {
		text = "";
		len = 0;
	}
	if (len > CF_MAX_INPUT)
		return cf_fail_at(&cf, 1, 1, "%zu bytes, more than a case file may hold (%d)", len, CF_MAX_INPUT);
	snprintf(out->path, sizeof(out->path), "%s", cf.name);
	if (parse(&cf, text, len, out) == 0)
		return 0;
	casefile_free(out);
	memset(out, 0, sizeof(*out));
	return -1;
}

const char *casefile_file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a folder";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* The whole file in memory, up to one byte past the limit so that an
 * oversized file is told apart from one that is exactly the limit.
 * O_NONBLOCK: a FIFO or a device under a case's name must not hold the
 * open (a FIFO waits for a writer); fstat then refuses anything but a
 * regular file, on the very file that was opened. */
int casefile_read(const char *path, char **buf, size_t *len, struct tc_err *err)
{
	struct stat st;
	size_t n = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	if (!path)
		return tc_err_set(err, TC_ERR_IO, "(null): cannot open: %s", strerror(EINVAL));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return tc_err_set(err, TC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return tc_err_set(err, TC_ERR_IO, "%s: cannot read: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return tc_err_set(err, TC_ERR_IO, "%s: %s, not a case file; a case file is a regular file",
				  path, casefile_file_kind(st.st_mode));
	}
	*buf = malloc(CF_MAX_INPUT + 1);
	if (!*buf) {
		close(fd);
		return tc_err_set(err, TC_ERR_NOMEM, "%s: no memory to read the file", path);
	}
	while (n < CF_MAX_INPUT + 1) {
		ssize_t k = read(fd, *buf + n, CF_MAX_INPUT + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;

			close(fd);
			free(*buf);
			*buf = NULL;
			return tc_err_set(err, TC_ERR_IO, "%s: cannot read: %s", path, strerror(e));
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	/* most case files are a few KiB: give back the rest of the buffer */
	char *small = realloc(*buf, n ? n : 1);
	if (small)
		*buf = small;
	*len = n;
	return 0;
}

int casefile_load(const char *path, struct tc_case *out, struct tc_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (casefile_read(path, &buf, &len, err))
		return -1;
	rc = casefile_load_string(buf, len, path, out, err);
	free(buf);
	return rc;
}

void casefile_free(struct tc_case *c)
{
	if (!c)
		return;
	for (int i = 0; c->steps && i < c->nsteps; i++)
		free(c->steps[i].ovr);
	free(c->steps);
	c->steps = NULL;
	c->nsteps = 0;
}
