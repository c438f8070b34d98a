/* The step loop. Sequence numbers in a case are relative: the injector's
 * from the case's peer_isn, the target's from the ISN it chose, which the
 * engine learns from the first SYN the target sends. */
#include "engine.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_app.h"
#include "engine_match.h"
#include "engine_pcap.h"

/* How long an expect waits when the case gives no `within`. */
#define ENGINE_DEFAULT_WITHIN_US 500000ull

struct run {
	const struct tc_case *c;
	const struct engine_opts *o;
	struct engine_result *r;
	struct tc_target *t;
	const struct tc_profile *prof;
	struct seg_addr target_addr, peer_addr;
	struct seg_addr target_addr2; /* a multihomed target's second address */
	uint16_t port; /* the target's: the case's, or the one the run gives */
	/* The run offers ports instead of application control or state reads
	 * (a remote host without an agent) and the case needs only a port:
	 * its `app` steps are the far host's listener, its `state` steps
	 * informational. */
	bool app_by_port, state_informational;
	const char *override_name; /* whose on:, deviations: and skip: apply */
	uint64_t start_us;
	/* Where an expect's `after` and `within` count from: the latest of
	 * the last segment exchanged, the start of the last app action and
	 * the end of the last wait or expect_none. A state read does not
	 * move it, so a slow read cannot eat into a timer's budget. */
	uint64_t anchor_us;
	/* An action took effect somewhere between its start (anchor_us) and
	 * its end (anchor_end_us): `after` counts from the start and `within`
	 * from the end, so the harness's own delays (a write preempted on a
	 * busy machine) are never charged to the stack. Equal in virtual time. */
	uint64_t anchor_end_us;
	int anchor_step; /* 0-based step that set it; -1 = the case's start */
	uint16_t peer_port;
	uint32_t peer_isn;
	uint32_t target_isn; /* valid when target_isn_known */
	bool target_isn_known;
	uint32_t peer_nxt; /* next sequence number the injector sends */
	uint32_t target_nxt; /* highest sequence the target has sent, + its length */
	uint16_t target_win0; /* the window on the target's SYN or SYN,ACK */
	bool target_nxt_known;
	/* RFC 7323 timestamps seen, for `ts val V ecr E` (peer, +N~T, target) */
	bool peer_ts_known, target_ts_known;
	uint32_t peer_ts; /* the latest TSval the injector sent */
	uint32_t target_ts0, target_ts_last; /* the target's first and latest TSval */
	/* target sequence numbers the case saved (save_seq), for seq_from */
	struct engine_saved_seq saved[TC_MAX_SAVED_SEQ];
	int nsaved;
	int cur_step; /* the step running; -1 after the last */
	/* Trace log */
	char *log;
	size_t log_len, log_cap;
};

const char *tc_verdict_name(enum tc_verdict v)
{
	switch (v) {
	case TC_PASS: return "PASS";
	case TC_FAIL: return "FAIL";
	case TC_SKIP: return "SKIP";
	case TC_ERROR: return "ERROR";
	}
	return "?";
}

/* IPv6's second is ::4, not ::3: RFC 6724 5 rule 8 (longest matching
 * prefix) would make ::3 the source IP picks for the peer ::2, and the
 * first address is meant to stay the one an unbound connect gets. */
void engine_addr2(int family, struct seg_addr *target2)
{
	seg_addr_parse(family == 6 ? "2001:db8::4" : "192.0.2.3", target2);
}

void engine_addrs(int family, struct seg_addr *target, struct seg_addr *peer)
{
	if (family == 6) {
		seg_addr_parse("2001:db8::1", target);
		seg_addr_parse("2001:db8::2", peer);
	} else {
		seg_addr_parse("192.0.2.1", target);
		seg_addr_parse("192.0.2.2", peer);
	}
}

static void trace(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(struct run *run, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	int n;

	if (!run->o->trace)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (run->log_len + (size_t)n + 2 > run->log_cap) {
		size_t cap = run->log_cap ? run->log_cap * 2 : 4096;
		while (cap < run->log_len + (size_t)n + 2)
			cap *= 2;
		char *p = realloc(run->log, cap);
		if (!p)
			return;
		run->log = p;
		run->log_cap = cap;
	}
	memcpy(run->log + run->log_len, line, (size_t)n);
	run->log_len += (size_t)n;
	run->log[run->log_len++] = '\n';
	run->log[run->log_len] = '\0';
}

/* A segment may have arrived before the step began (during a wait, or
 * while the previous step ran): signed. */
static void set_anchor(struct run *run, int step, uint64_t start, uint64_t end)
{
	if (start >= run->anchor_us) {
		run->anchor_us = start;
		run->anchor_end_us = end > start ? end : start;
		run->anchor_step = step;
	}
}

static double ms_since(uint64_t at, uint64_t t0)
{
	return ((double)at - (double)t0) / 1000.0;
}

static uint64_t rel_now(struct run *run)
{
	return target_now(run->t) - run->start_us;
}

/* The history is kept in time order whatever order the steps saw the
 * segments in: one that arrived while an action ran is read by the next
 * expect, after the action's own segment was recorded. */
static void record(struct run *run, bool from_target, uint64_t at_us, const struct tc_seg *s)
{
	struct engine_result *r = run->r;
	char line[512];

	if (r->nevents < ENGINE_HISTORY) {
		uint64_t rel = at_us - run->start_us;
		int k = r->nevents++;

		while (k > 0 && r->events[k - 1].at_us > rel) {
			r->events[k] = r->events[k - 1];
			k--;
		}
		struct engine_event *e = &r->events[k];
		e->from_target = from_target;
		e->at_us = rel;
		e->step = run->cur_step;
		e->seg = *s;
	}
	seg_format(s, line, sizeof(line));
	trace(run, "  %8.3f ms %s %s", (double)(at_us - run->start_us) / 1000.0,
	      from_target ? "<" : ">", line);
}

/* The message of a failing or erroring case: a summary line, details, then
 * the last segments exchanged. */
static enum tc_verdict conclude(struct run *run, enum tc_verdict v, int step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum tc_verdict conclude(struct run *run, enum tc_verdict v, int step, const char *fmt, ...)
{
	struct engine_result *r = run->r;
	size_t len;
	va_list ap;

	r->verdict = v;
	r->failed_step = step;
	if (step >= 0)
		r->failed_loc = run->c->steps[step].loc;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	len = strlen(r->msg);
	if (v != TC_FAIL && v != TC_ERROR)
		return v;
	if (r->nevents > 0 && len + 64 < sizeof(r->msg)) {
		int from = r->nevents > 8 ? r->nevents - 8 : 0;
		len += (size_t)snprintf(r->msg + len, sizeof(r->msg) - len,
					"\n  last segments (> injected, < from the target):");
		for (int i = from; i < r->nevents && len + 16 < sizeof(r->msg); i++) {
			char line[512];
			const struct engine_event *e = &r->events[i];
			seg_format(&e->seg, line, sizeof(line));
			len += (size_t)snprintf(r->msg + len, sizeof(r->msg) - len,
						"\n    %9.3f ms %s %s", (double)e->at_us / 1000.0,
						e->from_target ? "<" : ">", line);
		}
	}
	return v;
}

static uint32_t pick(bool abs, uint32_t base, uint32_t v)
{
	return abs ? v : base + v;
}

static uint32_t target_base(const struct run *run)
{
	return run->target_isn_known ? run->target_isn : 0;
}

static void fill_pattern(uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)('a' + i % 26);
}

/* The latest segment the target sent, or NULL. */
static const struct tc_seg *last_from_target(const struct run *run)
{
	for (int k = run->r->nevents - 1; k >= 0; k--)
		if (run->r->events[k].from_target && !run->r->events[k].seg.icmp)
			return &run->r->events[k].seg;
	return NULL;
}

/* An address no unicast host has (enum tc_addr_kind): IPv4's limited
 * broadcast (RFC 919 7) or all-hosts group (RFC 1112 4); IPv6's all-nodes
 * group (RFC 4291 2.7.1), which stands in for broadcast too. */
static void special_addr(int family, uint8_t kind, struct seg_addr *a)
{
	static const uint8_t v6_all_nodes[16] = {0xff, 0x02, [15] = 0x01};
	static const uint8_t v4_bcast[4] = {255, 255, 255, 255}, v4_all_hosts[4] = {224, 0, 0, 1};

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	if (family == 6)
		memcpy(a->bytes, v6_all_nodes, 16);
	else
		memcpy(a->bytes, kind == TC_ADDR_BROADCAST ? v4_bcast : v4_all_hosts, 4);
}

/* The IP header's fields a send may set: TTL, TOS, IPv4 options and an
 * address in place of the run's. */
static void build_send_ip(const struct run *run, const struct tc_segspec *sp, struct tc_seg *s)
{
	if (sp->fields & TC_F_TTL)
		s->ttl = sp->ttl;
	if (sp->fields & TC_F_TOS)
		s->tos = sp->tos;
	if (sp->fields & TC_F_IPOPTS) {
		s->ipopt_len = sp->ipopt_len;
		memcpy(s->ipopts, sp->ipopts, sp->ipopt_len);
	}
	if (sp->fields & TC_F_SRC)
		special_addr(run->peer_addr.family, sp->src_kind, &s->src);
	if ((sp->fields & TC_F_DST) && sp->dst_kind == TC_ADDR_SECOND) {
		s->dst = run->target_addr2;
	} else if ((sp->fields & TC_F_DST) && sp->dst_kind == TC_ADDR_SAME) {
		/* to where the target's latest segment came from */
		const struct tc_seg *q = last_from_target(run);

		if (q)
			s->dst = q->src;
	} else if (sp->fields & TC_F_DST)
		special_addr(run->target_addr.family, sp->dst_kind, &s->dst);
}


/* An ICMP error from the peer's address about the target's latest
 * segment, quoting its IP header and the first 64 bits of its data (RFC
 * 792; the least RFC 4443 2.4 (c) and RFC 1812 4.3.2.3 allow, and all
 * that RFC 5927 4.1's checks of ports and sequence number need). */
static int build_icmp(const struct run *run, const struct tc_segspec *sp, struct tc_seg *s, struct tc_err *err)
{
	const struct tc_seg *q = last_from_target(run);
	uint8_t pkt[SEG_MAX_PAYLOAD + 256];
	int n, hlen;

	memset(s, 0, sizeof(*s));
	if (!q)
		return tc_err_set(err, TC_ERR_CASE, "icmp: the target has sent no segment the error could quote");
	n = seg_build(q, pkt, sizeof(pkt), err);
	if (n < 0)
		return -1;
	hlen = q->src.family == 4 ? (pkt[0] & 0x0f) * 4 : 40;
	s->icmp = true;
	s->src = run->peer_addr;
	s->dst = q->src; /* the address the quoted segment came from */
	s->icmp_type = sp->icmp_type;
	s->icmp_code = sp->icmp_code;
	s->icmp_info = sp->icmp_info;
	s->icmp_qlen = (uint8_t)(hlen + 8 < n ? hlen + 8 : n);
	memcpy(s->icmp_quote, pkt, s->icmp_qlen);
	if (sp->fields & TC_F_TTL)
		s->ttl = sp->ttl;
	if (sp->fields & TC_F_TOS)
		s->tos = sp->tos;
	return 0;
}

/* A send step becomes a whole segment: what the case leaves out comes from
 * the connection so far (next sequence number, latest ACK, a full window). */
static void build_send(struct run *run, const struct tc_segspec *sp, struct tc_seg *s)
{
	memset(s, 0, sizeof(*s));
	s->src = run->peer_addr;
	s->dst = run->target_addr;
	s->sport = run->peer_port;
	s->dport = (sp->fields & TC_F_PORT) ? sp->port : run->port;
	s->flags = sp->flags;
	s->seq = (sp->fields & TC_F_SEQ) ? pick(sp->abs_seq, run->peer_isn, sp->seq) : run->peer_nxt;
	if (sp->fields & TC_F_ACK)
		s->ack = pick(sp->abs_ack, target_base(run), sp->ack);
	else if (sp->flags & SEG_ACK)
		s->ack = run->target_nxt;
	s->win = (sp->fields & TC_F_WIN) ? sp->win : 65535;
	s->urp = (sp->fields & TC_F_URP) ? sp->urp : 0;
	s->nopts = sp->nopts;
	memcpy(s->opts, sp->opts, sizeof(s->opts[0]) * sp->nopts);
	for (int i = 0; i < sp->nopts; i++) {
		struct seg_opt *o = &s->opts[i];
		const struct tc_optval *v = &sp->optv[i];

		/* `ts val V ecr target`: echo the target's latest TSval */
		if (o->kind == SEG_OPT_TS && v->ts_spec && v->ecr.kind == TC_TSV_TARGET)
			o->u.ts.ecr = run->target_ts_known ? run->target_ts_last : 0;
		/* relative SACK blocks acknowledge the target's data: its ISN */
		if (o->kind == SEG_OPT_SACK && v->sack_rel)
			for (int k = 0; k < o->u.sack.n; k++) {
				o->u.sack.b[k].left += target_base(run);
				o->u.sack.b[k].right += target_base(run);
			}
	}
	if (sp->fields & TC_F_DATA) {
		s->len = sp->len;
		memcpy(s->payload, sp->data, sp->len);
	} else if (sp->fields & TC_F_LEN) {
		s->len = sp->len;
		fill_pattern(s->payload, sp->len);
	}
	s->bad_csum = sp->bad_csum;
	build_send_ip(run, sp, s);
}

static enum tc_verdict step_send(struct run *run, int i, const struct tc_segspec *sp)
{
	struct tc_seg s;
	struct tc_err err = {0};

	if (sp->fields & TC_F_ICMP) {
		if (build_icmp(run, sp, &s, &err) != 0)
			return conclude(run, TC_ERROR, i, "send: %s", err.msg);
	} else {
		build_send(run, sp, &s);
	}
	/* a rate-limited target holds the segment back here, not inside the
	 * write, so that the stamp is when it leaves */
	if (target_pace(run->t, &err) != 0)
		return conclude(run, TC_ERROR, i, "send: %s", err.msg);
	/* stamped before the write: a target may answer before it returns */
	uint64_t at = target_now(run->t);
	if (target_inject(run->t, &s, &err) != 0)
		return conclude(run, TC_ERROR, i, "send: %s", err.msg);
	record(run, false, at, &s);
	set_anchor(run, i, at, target_now(run->t));
	for (int k = 0; k < s.nopts; k++)
		if (s.opts[k].kind == SEG_OPT_TS) {
			run->peer_ts = s.opts[k].u.ts.val;
			run->peer_ts_known = true;
			break;
		}
	/* Later sends without a seq continue after the furthest byte sent; an
	 * RST or a deliberately old segment does not move that point back. */
	if (!s.icmp && !(s.flags & SEG_RST) && seq_gt(s.seq + seg_seq_len(&s), run->peer_nxt))
		run->peer_nxt = s.seq + seg_seq_len(&s);
	return TC_PASS;
}

static void learn_from_target(struct run *run, const struct tc_seg *s)
{
	uint32_t end = s->seq + seg_seq_len(s);

	if ((s->flags & SEG_SYN) && !run->target_isn_known) {
		run->target_win0 = s->win;
		run->target_isn = s->seq;
		run->target_isn_known = true;
		run->r->target_isn = s->seq;
	}
	if (s->flags & SEG_RST)
		return;
	if (!run->target_nxt_known || seq_gt(end, run->target_nxt)) {
		run->target_nxt = end;
		run->target_nxt_known = true;
	}
}

/* The target's TSvals (RFC 7323 3.2): the first one is what `+N~T` counts
 * from (so it is learnt before the segment carrying it is matched), the
 * latest what a send's `ecr target` echoes. */
static void learn_ts(struct run *run, const struct tc_seg *s)
{
	for (int k = 0; k < s->nopts; k++) {
		if (s->opts[k].kind != SEG_OPT_TS)
			continue;
		if (!run->target_ts_known)
			run->target_ts0 = s->opts[k].u.ts.val;
		run->target_ts_known = true;
		run->target_ts_last = s->opts[k].u.ts.val;
		return;
	}
}

/* "since step 3 (send)" / "since the case began": what `after` and
 * `within` counted from. */
static void anchor_name(const struct run *run, char *buf, size_t cap)
{
	if (run->anchor_step < 0)
		snprintf(buf, cap, "since the case began");
	else
		snprintf(buf, cap, "since step %d (%s)", run->anchor_step + 1,
			 tc_step_kind_name(run->c->steps[run->anchor_step].kind));
}

static enum tc_verdict step_expect(struct run *run, int i, const struct tc_segspec *sp)
{
	uint64_t t0 = run->anchor_us, t_end = run->anchor_end_us, began = target_now(run->t);
	uint64_t after_us = (sp->fields & TC_F_AFTER) ? tc_dur_us(&sp->after, run->prof) : 0;
	/* Without a `within`, the default window opens at `after`. */
	uint64_t within = (sp->fields & TC_F_WITHIN) ? tc_dur_us(&sp->within, run->prof)
						     : after_us + ENGINE_DEFAULT_WITHIN_US;
	uint64_t tol = (sp->fields & TC_F_TOLERANCE) ? tc_dur_us(&sp->tolerance, run->prof)
						     : run->prof->tolerance_us;
	/* timers fire late, never early: the late side may also grow */
	uint64_t late = tol + within * run->prof->late_pct / 100;
	struct tc_seg got;
	struct tc_err err = {0};
	uint64_t at = 0;
	char want[1024], line[512], since[64];
	struct engine_diff diff;
	int rc;

	anchor_name(run, since, sizeof(since));
	if (after_us > within)
		return conclude(run, TC_ERROR, i,
				"expect: after %.3f ms is later than within %.3f ms on this target: no segment can match",
				(double)after_us / 1000.0, (double)within / 1000.0);
	engine_spec_format(sp, want, sizeof(want));
	rc = target_capture(run->t, t_end + within + late, &got, &at, &err);
	if (rc < 0)
		return conclude(run, TC_ERROR, i, "expect: %s", err.msg);
	if (rc == 0)
		return conclude(run, TC_FAIL, i,
				"expected %s within %.3f ms %s, nothing arrived (waited %.3f ms in this step)",
				want, (double)within / 1000.0, since,
				(double)(target_now(run->t) - began) / 1000.0);
	/* before this one joins the history: the source of the one before */
	const struct tc_seg *prev = last_from_target(run);
	struct seg_addr prev_src = prev ? prev->src : (struct seg_addr){0};

	record(run, true, at, &got);
	learn_ts(run, &got);

	struct engine_isn isn = {
		.peer = run->peer_isn,
		.target = (got.flags & SEG_SYN) && !run->target_isn_known ? got.seq : target_base(run),
		.win0_known = run->target_isn_known || (got.flags & SEG_SYN),
		.win0 = run->target_isn_known ? run->target_win0 : got.win,
		.peer_ts_known = run->peer_ts_known,
		.peer_ts = run->peer_ts,
		.target_ts_known = run->target_ts_known,
		.target_ts0 = run->target_ts0,
		.saved = run->saved,
		.nsaved = run->nsaved,
		.at_us = at,
		.target_addr = run->target_addr,
		.target_addr2 = run->target_addr2,
		.prev_src = prev_src,
	};
	if (engine_match(sp, &got, &isn, &diff) != 0) {
		seg_format(&got, line, sizeof(line));
		/* the summary, the segments side by side, then every field that
		 * differs when there are several, and the payload's bytes */
		return conclude(run, TC_FAIL, i, "%s\n  expected: %s\n  got:      %s%s%s", diff.summary, want, line,
				diff.n > 1 ? diff.fields : "", diff.window);
	}
	learn_from_target(run, &got);
	if ((sp->fields & TC_F_AFTER)) {
		uint64_t after = tc_dur_us(&sp->after, run->prof);
		run->r->required_us += after;
		if (at + tol < t0 + after) {
			seg_format(&got, line, sizeof(line));
			return conclude(run, TC_FAIL, i,
					"arrived too early: %.3f ms %s, expected no earlier than %.3f ms"
					" (tolerance %.3f ms)\n  got:      %s",
					ms_since(at, t0), since, (double)after / 1000.0,
					(double)tol / 1000.0, line);
		}
	}
	if (at > t_end + within + late) {
		seg_format(&got, line, sizeof(line));
		return conclude(run, TC_FAIL, i,
				"arrived too late: %.3f ms %s, expected within %.3f ms\n  got:      %s",
				ms_since(at, t_end), since, (double)within / 1000.0, line);
	}
	/* the loader allows TC_MAX_SAVED_SEQ names, each saved once */
	if ((sp->fields & TC_F_SAVE_SEQ) && run->nsaved < TC_MAX_SAVED_SEQ) {
		struct engine_saved_seq *sv = &run->saved[run->nsaved++];
		memcpy(sv->name, sp->save_seq, sizeof(sv->name));
		sv->seq = got.seq;
		sv->at_us = at;
	}
	set_anchor(run, i, at, at);
	return TC_PASS;
}

/* Time only passes (a wait, an expect_none): every segment the target sends
 * meanwhile is one no step expects there, including one that arrived
 * during the action before and was not read by an expect. */
static enum tc_verdict quiet_until(struct run *run, int i, const char *what, uint64_t dur)
{
	uint64_t t0 = target_now(run->t);
	struct tc_seg got;
	struct tc_err err = {0};
	uint64_t at = 0;
	char line[512];
	int rc;

	run->r->required_us += dur;
	rc = target_capture(run->t, t0 + dur, &got, &at, &err);
	if (rc < 0)
		return conclude(run, TC_ERROR, i, "%s: %s", what, err.msg);
	if (rc == 0) {
		/* a real-time capture may return a little before its deadline */
		if (target_now(run->t) < t0 + dur && target_sleep_until(run->t, t0 + dur, &err) != 0)
			return conclude(run, TC_ERROR, i, "%s: %s", what, err.msg);
		set_anchor(run, i, t0 + dur, t0 + dur);
		return TC_PASS;
	}
	record(run, true, at, &got);
	seg_format(&got, line, sizeof(line));
	if (at < t0)
		return conclude(run, TC_FAIL, i,
				"%s %.3f ms: a segment no step expects arrived %.3f ms before it began "
				"(during the step before, which no expect followed)\n  got:      %s",
				what, (double)dur / 1000.0, ms_since(t0, at), line);
	return conclude(run, TC_FAIL, i,
			"%s %.3f ms: a segment no step expects arrived %.3f ms into it\n  got:      %s", what,
			(double)dur / 1000.0, ms_since(at, t0), line);
}

static enum tc_verdict step_expect_none(struct run *run, int i, const struct tc_dur *d)
{
	return quiet_until(run, i, "expect_none", tc_dur_us(d, run->prof));
}

static void format_transitions(const struct tc_transitions *tr, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int k = 0; k < tr->n && len + 40 < cap; k++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s -> %s", k ? ", " : "",
					tc_state_name(tr->from[k]), tc_state_name(tr->to[k]));
}

static enum tc_verdict step_state(struct run *run, int i, enum tc_state want)
{
	enum tc_state got;
	struct tc_transitions tr = {0};
	struct tc_err err = {0};
	char seen[1024];

	if (target_state(run->t, &got, &tr, &err) != 0)
		return conclude(run, TC_ERROR, i, "state: %s", err.msg);
	format_transitions(&tr, seen, sizeof(seen));
	trace(run, "  state %s (transitions: %s)", tc_state_name(got), tr.n ? seen : "none");
	if (got != want)
		return conclude(run, TC_FAIL, i, "state expected %s, got %s (transitions since the last state step: %s)",
				tc_state_name(want), tc_state_name(got), tr.n ? seen : "none");
	return TC_PASS;
}

/* The call is made, then judged: its errno, what it returned, what a recv
 * read (engine_app.c). */
static enum tc_verdict step_app(struct run *run, int i, const struct tc_app *step_act)
{
	struct tc_err err = {0};
	struct tc_app a = *step_act;
	struct tc_app_result res;
	char what[128], why[512];

	/* poll's `within` is a duration of the target's profile */
	a.within_us = a.has_within ? tc_dur_us(&a.within, run->prof) : 0;
	engine_app_format(&a, what, sizeof(what));
	trace(run, "  app %s", what);
	uint64_t start = target_now(run->t);
	if (target_app(run->t, &a, &res, &err) != 0)
		return conclude(run, err.code == TC_ERR_TARGET ? TC_FAIL : TC_ERROR, i, "app %s: %s",
				tc_app_verb_name(a.verb), err.msg);
	set_anchor(run, i, start, target_now(run->t));
	trace(run, "  app %s: errno %d, returned %lld%s", what, res.err_no, (long long)res.value,
	      res.more ? ", more readable" : "");
	if (engine_app_judge(&a, &res, why, sizeof(why)) != 0)
		return conclude(run, TC_FAIL, i, "app %s: %s", what, why);
	return TC_PASS;
}

static enum tc_verdict step_wait(struct run *run, int i, const struct tc_dur *d)
{
	uint64_t dur = tc_dur_us(d, run->prof);

	trace(run, "  wait %.3f ms", (double)dur / 1000.0);
	return quiet_until(run, i, "wait", dur);
}

static const struct tc_override *override_for(const struct tc_step *st, const char *target)
{
	for (int k = 0; k < st->novr; k++)
		if (strcmp(st->ovr[k].target, target) == 0)
			return &st->ovr[k];
	return NULL;
}

/* The fields an override gives replace the step's; the rest stay. */
static void merge_seg(struct tc_segspec *dst, const struct tc_segspec *o)
{
	unsigned f = o->fields;

	if (f & TC_F_FLAGS)
		dst->flags = o->flags;
	if (f & TC_F_FLAGS_ANY)
		dst->flags_any = o->flags_any;
	if (f & TC_F_SEQ) {
		dst->seq = o->seq;
		dst->abs_seq = o->abs_seq;
	}
	if (f & TC_F_ACK) {
		dst->ack = o->ack;
		dst->abs_ack = o->abs_ack;
	}
	if (f & (TC_F_WIN | TC_F_WIN_REL)) {
		/* one way of giving the window replaces the other */
		dst->fields &= ~(unsigned)(TC_F_WIN | TC_F_WIN_REL);
		dst->win = o->win;
		dst->win_rel = o->win_rel;
	}
	if (f & TC_F_URP)
		dst->urp = o->urp;
	if (f & TC_F_OPT_BYTES) {
		dst->nopt_bytes = o->nopt_bytes;
		memcpy(dst->opt_bytes, o->opt_bytes, sizeof(o->opt_bytes));
	}
	if (f & TC_F_OPTS) {
		dst->nopts = o->nopts;
		memcpy(dst->opts, o->opts, sizeof(o->opts));
		memcpy(dst->opt_anyval, o->opt_anyval, sizeof(o->opt_anyval));
		memcpy(dst->optv, o->optv, sizeof(o->optv));
	}
	if (f & (TC_F_LEN | TC_F_DATA)) {
		/* a new length makes the step's bytes meaningless */
		dst->fields &= ~(unsigned)(TC_F_LEN | TC_F_DATA);
		dst->len = o->len;
		memcpy(dst->data, o->data, o->len);
	}
	if (f & TC_F_BAD_CSUM)
		dst->bad_csum = o->bad_csum;
	if (f & TC_F_WITHIN)
		dst->within = o->within;
	if (f & TC_F_AFTER)
		dst->after = o->after;
	if (f & TC_F_TOLERANCE)
		dst->tolerance = o->tolerance;
	if (f & TC_F_SEQ_FROM)
		dst->seq_from = o->seq_from;
	if (f & TC_F_SAVE_SEQ)
		memcpy(dst->save_seq, o->save_seq, sizeof(dst->save_seq));
	if (f & TC_F_PORT)
		dst->port = o->port;
	if (f & TC_F_TTL)
		dst->ttl = o->ttl;
	if (f & TC_F_TOS)
		dst->tos = o->tos;
	if (f & TC_F_IPOPTS) {
		dst->ipopt_len = o->ipopt_len;
		memcpy(dst->ipopts, o->ipopts, o->ipopt_len);
	}
	if (f & TC_F_SRC)
		dst->src_kind = o->src_kind;
	if (f & TC_F_DST)
		dst->dst_kind = o->dst_kind;
	if (f & TC_F_EXPECT_SRC)
		dst->expect_src = o->expect_src;
	if (f & TC_F_ICMP)
		dst->icmp_type = o->icmp_type;
	if (f & TC_F_ICMP_CODE) {
		dst->icmp_code = o->icmp_code;
		dst->icmp_info = o->icmp_info;
	}
	dst->fields |= f;
}

static void apply_override(struct tc_step *tmp, const struct tc_override *o)
{
	switch (tmp->kind) {
	case TC_STEP_SEND:
	case TC_STEP_EXPECT:
		merge_seg(&tmp->u.seg, &o->u.seg);
		break;
	case TC_STEP_WAIT:
	case TC_STEP_EXPECT_NONE:
		tmp->u.dur = o->u.dur;
		break;
	case TC_STEP_STATE:
		tmp->u.state = o->u.state;
		break;
	case TC_STEP_APP:
		/* returns or error replace the step's (skip is handled before) */
		if (o->has_value)
			tmp->u.app.x = o->u.app;
		break;
	}
}

/* The step as target `name` must see it on IP version `family`: NULL when
 * the step is skipped there. The family's override (`on: v6:`) applies
 * first, the target's on top of it, so a target can still differ from
 * what a family needs; a target that names none for the step takes the
 * one of the target it inherits from (ref-net: ref's). *used is the last
 * override applied, if any. */
static const struct tc_step *step_for_target(const struct tc_step *st, const char *name, int family,
					     struct tc_step *tmp, const struct tc_override **used)
{
	const struct tc_override *fo = override_for(st, family == 6 ? "v6" : "v4");
	const struct tc_override *o = override_for(st, name);
	const char *base = o ? NULL : target_inherits(name);

	if (base)
		o = override_for(st, base);

	*used = o ? o : fo;
	if (!o && !fo)
		return st;
	if ((o && o->skip) || (fo && fo->skip))
		return NULL;
	*tmp = *st;
	if (fo)
		apply_override(tmp, fo);
	if (o)
		apply_override(tmp, o);
	return tmp;
}

static const struct tc_step *effective_step(struct run *run, int i, struct tc_step *tmp)
{
	const struct tc_override *o;
	const struct tc_step *st = step_for_target(&run->c->steps[i], run->override_name, run->o->family, tmp, &o);

	if (o)
		trace(run, "  %s on %s: %s", st ? "changed" : "skipped", o->target, o->reason);
	return st;
}

static uint64_t demand_on(const struct tc_case *c, const char *target, int family, const struct tc_profile *p)
{
	uint64_t sum = 0;

	for (int i = 0; i < c->nsteps; i++) {
		struct tc_step tmp;
		const struct tc_override *o;
		const struct tc_step *st = step_for_target(&c->steps[i], target, family, &tmp, &o);

		if (!st)
			continue;
		if (st->kind == TC_STEP_WAIT || st->kind == TC_STEP_EXPECT_NONE)
			sum += tc_dur_us(&st->u.dur, p);
		else if (st->kind == TC_STEP_EXPECT && (st->u.seg.fields & TC_F_AFTER))
			sum += tc_dur_us(&st->u.seg.after, p);
	}
	return sum;
}

uint64_t engine_case_demand_us(const struct tc_case *c, const char *target, const struct tc_profile *p)
{
	uint64_t v4 = demand_on(c, target, 4, p), v6 = demand_on(c, target, 6, p);

	return v4 > v6 ? v4 : v6;
}

static void mark_text(struct run *run, const struct tc_step *st, char *buf, size_t cap)
{
	switch (st->kind) {
	case TC_STEP_APP: snprintf(buf, cap, "app %s", tc_app_verb_name(st->u.app.verb)); return;
	case TC_STEP_STATE: snprintf(buf, cap, "state %s", tc_state_name(st->u.state)); return;
	case TC_STEP_WAIT:
	case TC_STEP_EXPECT_NONE:
		snprintf(buf, cap, "%s %.0f ms", st->kind == TC_STEP_WAIT ? "wait" : "expect none",
			 (double)tc_dur_us(&st->u.dur, run->prof) / 1000.0);
		return;
	case TC_STEP_SEND:
	case TC_STEP_EXPECT: break;
	}
	snprintf(buf, cap, "%s", tc_step_kind_name(st->kind));
}

/* Steps that exchange no segment leave a mark for the reports. */
static void mark(struct run *run, int i, const struct tc_step *st, uint64_t start)
{
	struct engine_result *r = run->r;

	if (st->kind == TC_STEP_SEND || st->kind == TC_STEP_EXPECT || r->nmarks >= ENGINE_MARKS)
		return;
	struct engine_mark *m = &r->marks[r->nmarks++];
	m->step = i;
	m->kind = st->kind;
	m->start_us = start - run->start_us;
	m->end_us = rel_now(run);
	mark_text(run, st, m->text, sizeof(m->text));
}

static enum tc_verdict run_step_kind(struct run *run, int i, const struct tc_step *st);

static enum tc_verdict run_step(struct run *run, int i)
{
	struct tc_step tmp;
	const struct tc_step *st = effective_step(run, i, &tmp);
	uint64_t start;
	enum tc_verdict v;

	if (!st) {
		run->r->nsteps_run = i + 1;
		return TC_PASS;
	}
	if ((st->kind == TC_STEP_APP && run->app_by_port) ||
	    (st->kind == TC_STEP_STATE && run->state_informational)) {
		trace(run, "  %s", st->kind == TC_STEP_APP ? "app: the target's own listening port stands for it"
							   : "state: informational, this target cannot read states");
		run->r->nsteps_run = i + 1;
		return TC_PASS;
	}
	start = target_now(run->t);
	v = run_step_kind(run, i, st);
	mark(run, i, st, start);
	if (v == TC_PASS)
		run->r->nsteps_run = i + 1;
	return v;
}

static enum tc_verdict run_step_kind(struct run *run, int i, const struct tc_step *st)
{
	switch (st->kind) {
	case TC_STEP_SEND: return step_send(run, i, &st->u.seg);
	case TC_STEP_EXPECT: return step_expect(run, i, &st->u.seg);
	case TC_STEP_EXPECT_NONE: return step_expect_none(run, i, &st->u.dur);
	case TC_STEP_STATE: return step_state(run, i, st->u.state);
	case TC_STEP_APP: return step_app(run, i, &st->u.app);
	case TC_STEP_WAIT: return step_wait(run, i, &st->u.dur);
	}
	return conclude(run, TC_ERROR, i, "unknown step kind %d", (int)st->kind);
}

/* A segment the target sent that no expect step accounted for is a failure:
 * exactness is the point of the tool. */
static enum tc_verdict check_leftovers(struct run *run)
{
	struct tc_seg got;
	struct tc_err err = {0};
	uint64_t at = 0;
	char line[512];
	int rc = target_capture(run->t, target_now(run->t), &got, &at, &err);

	if (rc < 0)
		return conclude(run, TC_ERROR, run->c->nsteps - 1, "after the last step: %s", err.msg);
	if (rc == 0)
		return TC_PASS;
	record(run, true, at, &got);
	seg_format(&got, line, sizeof(line));
	return conclude(run, TC_FAIL, run->c->nsteps - 1,
			"the target sent a segment no step expected\n  got:      %s", line);
}

/* What the case needs and the run lacks. A case that needs only an open
 * (closed) port runs without application control on a run that offers
 * one; its state steps are then informational. */
static unsigned target_missing(const struct tc_case *c, unsigned caps, const struct tc_target_ops *ops,
			       const char **what, char *optbuf, size_t optcap)
{
	static const struct {
		unsigned req, cap, port_cap;
		const char *what;
	} needs[] = {
		{TC_REQ_APP, TC_CAP_APP, TC_CAP_OPEN_PORT, "application control"},
		{TC_REQ_STATE, TC_CAP_STATE, TC_CAP_OPEN_PORT | TC_CAP_CLOSED_PORT, "exact state reads"},
		{TC_REQ_VIRTUAL_TIME, TC_CAP_VIRTUAL_TIME, 0, "virtual time"},
		/* with application control a target makes either port itself */
		{TC_REQ_OPEN_PORT, TC_CAP_APP | TC_CAP_OPEN_PORT, 0, "a listening port"},
		{TC_REQ_CLOSED_PORT, TC_CAP_APP | TC_CAP_CLOSED_PORT, 0, "a closed port"},
		{TC_REQ_URGENT, TC_CAP_URGENT, 0, "urgent data (send_urgent, poll urgent, poll atmark)"},
		{TC_REQ_CONNECT_INVALID, TC_CAP_CONNECT_INVALID, 0,
		 "an OPEN to an address that names no host (connect multicast|broadcast)"},
		{TC_REQ_IP_LEVEL, TC_CAP_IP_LEVEL, 0, "ICMP errors and broadcast or multicast addresses on a wire of its own"},
		{TC_REQ_MULTIHOMED, TC_CAP_MULTIHOMED, 0, "a second address"},
	};
	unsigned port_needs = c->requires & (TC_REQ_OPEN_PORT | TC_REQ_CLOSED_PORT);
	unsigned port_caps = (c->requires & TC_REQ_OPEN_PORT ? TC_CAP_OPEN_PORT : 0) |
			     (c->requires & TC_REQ_CLOSED_PORT ? TC_CAP_CLOSED_PORT : 0);

	for (size_t k = 0; k < sizeof(needs) / sizeof(needs[0]); k++) {
		if (!(c->requires & needs[k].req) || (caps & needs[k].cap))
			continue;
		if (port_needs && (caps & needs[k].port_cap & port_caps))
			continue;
		*what = needs[k].what;
		return needs[k].req;
	}
	for (int o = 0; o < TC_SO__COUNT; o++)
		if ((c->requires_sockopts & (1u << o)) && !(ops->sockopts & (1u << o))) {
			snprintf(optbuf, optcap, "the socket option %s", tc_sockopt_name((enum tc_sockopt)o));
			*what = optbuf;
			return 1;
		}
	return 0;
}

/* Whether a failure is the one the deviation records: at its step and,
 * when it says, with its text in the summary line. */
static bool deviation_matches(const struct tc_deviation *dev, const struct engine_result *r, const char *first)
{
	if (r->failed_step + 1 != dev->step)
		return false;
	return dev->fails[0] == '\0' || strstr(first, dev->fails) != NULL;
}

/* A known deviation turns the failure it records into a skip that says
 * why; any other failure stays a failure, and a pass is a failure: the
 * record is stale and must go. */
static void apply_deviation(struct run *run)
{
	const struct tc_case *c = run->c;
	struct engine_result *r = run->r;
	const struct tc_deviation *dev = NULL;
	char first[512], rest[ENGINE_MSG_MAX];

	for (int k = 0; k < c->ndeviations; k++)
		if (strcmp(c->deviations[k].target, run->override_name) == 0 &&
		    (!c->deviations[k].family || c->deviations[k].family == run->o->family))
			dev = &c->deviations[k];
	if (!dev)
		return;
	if (r->verdict == TC_FAIL) {
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(r->msg, "\n"), r->msg);
		if (deviation_matches(dev, r, first)) {
			r->verdict = TC_SKIP;
			r->known_deviation = true;
			snprintf(r->msg, sizeof(r->msg),
				 "known deviation on %s: %s (it failed as recorded: step %d: %s)", dev->target,
				 dev->reason, r->failed_step + 1, first);
			return;
		}
		/* the failure stays; say that the deviation does not cover it */
		snprintf(rest, sizeof(rest), "%s", r->msg + strlen(first));
		int len = snprintf(r->msg, sizeof(r->msg),
				   "%s\n  not the known deviation (%s:%d:%d), which records step %d%s%s%s", first,
				   c->path, dev->loc.line, dev->loc.col, dev->step,
				   dev->fails[0] ? " failing with \"" : "", dev->fails, dev->fails[0] ? "\"" : "");
		if (len > 0 && (size_t)len < sizeof(r->msg)) {
			size_t room = sizeof(r->msg) - (size_t)len - 1, n = strlen(rest);
			memcpy(r->msg + len, rest, n < room ? n : room);
			r->msg[(size_t)len + (n < room ? n : room)] = '\0';
		}
	} else if (r->verdict == TC_PASS) {
		r->verdict = TC_FAIL;
		r->failed_step = -1;
		snprintf(r->msg, sizeof(r->msg),
			 "passed although a known deviation is recorded for %s (%s:%d:%d): \"%s\"; "
			 "the deviation no longer holds, remove it",
			 dev->target, c->path, dev->loc.line, dev->loc.col, dev->reason);
	}
}

enum tc_verdict engine_run(const struct tc_case *c, const struct engine_opts *o,
			   struct engine_result *r)
{
	struct run run = {.c = c, .o = o, .r = r};
	const struct tc_target_ops *ops = o->run->ops;
	struct tc_target_conf conf = {0};
	struct tc_err err = {0};
	const char *missing = NULL;
	enum tc_verdict v = TC_PASS;

	unsigned caps = target_run_caps(o->run);

	memset(r, 0, sizeof(*r));
	r->failed_step = -1;
	run.override_name = target_run_override_name(o->run);
	char optbuf[64];

	if (target_missing(c, caps, ops, &missing, optbuf, sizeof(optbuf)))
		return conclude(&run, TC_SKIP, -1, "target %s lacks %s", ops->name, missing);
	for (int k = 0; k < c->nskips; k++)
		if (strcmp(c->skips[k].target, run.override_name) == 0)
			return conclude(&run, TC_SKIP, -1, "not for %s: %s", run.override_name, c->skips[k].reason);
	run.app_by_port = !(caps & TC_CAP_APP) && (c->requires & TC_REQ_OPEN_PORT);
	run.state_informational = !(caps & TC_CAP_STATE) && (c->requires & (TC_REQ_OPEN_PORT | TC_REQ_CLOSED_PORT));

	uint32_t pp = c->peer_port + o->run_index % 20000;
	struct tc_case_addrs ca = {
		.port = c->port,
		.peer_port = (uint16_t)(pp > 65535 ? pp - 65535 + 1024 : pp),
		.needs = c->requires,
		.run_index = o->run_index,
	};
	engine_addrs(o->family, &ca.target, &ca.peer);
	if (ops->run_addrs && ops->run_addrs(o->run, o->family, &ca, &err) != 0)
		return conclude(&run, err.code == TC_ERR_UNSUPPORTED ? TC_SKIP : TC_ERROR, -1, "%s", err.msg);
	run.target_addr = conf.target_addr = ca.target;
	if (caps & TC_CAP_MULTIHOMED)
		engine_addr2(o->family, &run.target_addr2);
	conf.target_addr2 = run.target_addr2;
	run.peer_addr = conf.peer_addr = ca.peer;
	run.port = conf.port = ca.port;
	run.peer_port = conf.peer_port = ca.peer_port;
	conf.worker = o->worker;
	conf.case_conf = &c->conf;
	conf.profile = c->profile;
	run.t = target_open(o->run, &conf, &err);
	if (!run.t && err.code == TC_ERR_UNSUPPORTED)
		return conclude(&run, TC_SKIP, -1, "%s", err.msg);
	if (!run.t)
		return conclude(&run, TC_ERROR, -1, "target %s: %s", ops->name, err.msg);
	run.prof = target_profile(run.t);
	run.start_us = target_now(run.t);
	run.anchor_us = run.anchor_end_us = run.start_us;
	run.anchor_step = -1;
	run.cur_step = -1;
	run.peer_isn = c->peer_isn;
	run.peer_nxt = c->peer_isn;
	r->peer_isn = c->peer_isn;

	for (int i = 0; i < c->nsteps && v == TC_PASS; i++) {
		trace(&run, "step %d (line %d) at %.3f ms", i + 1, c->steps[i].loc.line,
		      (double)rel_now(&run) / 1000.0);
		run.cur_step = i;
		v = run_step(&run, i);
	}
	run.cur_step = -1;
	if (v == TC_PASS)
		v = check_leftovers(&run);
	if (v == TC_PASS)
		r->verdict = TC_PASS;
	apply_deviation(&run);
	r->case_time_us = rel_now(&run);
	if (o->pcap_dir && engine_pcap_due(o->pcap_when, r->verdict))
		engine_pcap_save(c, o, run.t, run.start_us, r);
	target_close(run.t);
	r->log = run.log;
	return r->verdict;
}

void engine_result_free(struct engine_result *r)
{
	free(r->log);
	r->log = NULL;
}
