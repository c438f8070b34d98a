/* The capture file of a case run. A target with a wire (linux) writes the
 * frames it saw and the engine's comments are matched onto them; a target
 * without one (ref) gets its capture built here from the engine's history,
 * each segment assembled by seg_build as raw IP (LINKTYPE_RAW) with correct
 * checksums, except where a segment's checksum was wrong on purpose or on
 * arrival. */
#include "engine_pcap.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* IPv6 header + the largest TCP header + the largest payload. */
#define PKT_MAX (40 + SEG_IPOPT_SPACE + 60 + SEG_MAX_PAYLOAD)
#define STEP_COMMENT_MAX 700 /* a path of up to 511 bytes and a position */

bool engine_pcap_due(enum engine_pcap_when when, enum tc_verdict v)
{
	switch (when) {
	case ENGINE_PCAP_FAILED: return v == TC_FAIL || v == TC_ERROR;
	case ENGINE_PCAP_ALL: return true;
	case ENGINE_PCAP_NONE: return false;
	}
	return false;
}

static bool ends_with(const char *s, size_t n, const char *tail)
{
	size_t k = strlen(tail);

	return n > k && memcmp(s + n - k, tail, k) == 0;
}

int engine_pcap_name(const char *p, char *out, size_t cap)
{
	size_t len;

	for (;;) {
		if (*p == '/')
			p++;
		else if (strncmp(p, "./", 2) == 0)
			p += 2;
		else if (strncmp(p, "../", 3) == 0)
			p += 3;
		else
			break;
	}
	if (strncmp(p, "cases/", 6) == 0)
		p += 6;
	len = strlen(p);
	if (ends_with(p, len, ".yaml"))
		len -= 5;
	else if (ends_with(p, len, ".yml"))
		len -= 4;
	if (len == 0) {
		p = "case";
		len = 4;
	}
	if (len + 1 > cap)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '/')
			ch = '-';
		else if (ch <= ' ' || ch == 0x7f)
			ch = '_';
		out[i] = (char)ch;
	}
	/* no option-like name, no hidden file */
	if (out[0] == '-' || out[0] == '.')
		out[0] = '_';
	out[len] = '\0';
	return 0;
}

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return errno = ENAMETOOLONG, -1;
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		path[i] = c;
	}
	return 0;
}

/* "<dir>/close-x-v4.pcapng"; -1 with r->pcap_path saying why not. */
static int make_path(const struct tc_case *c, const struct engine_opts *o, struct engine_result *r)
{
	char name[PATH_MAX];
	int len;

	if (engine_pcap_name(c->path, name, sizeof(name)) != 0) {
		snprintf(r->pcap_path, sizeof(r->pcap_path), "(not written: the case path is longer than %d bytes)",
			 PATH_MAX - 1);
		return -1;
	}
	if (mkdir_p(o->pcap_dir) != 0) {
		snprintf(r->pcap_path, sizeof(r->pcap_path), "(not written: cannot make the folder: %s)",
			 strerror(errno));
		return -1;
	}
	len = snprintf(r->pcap_path, sizeof(r->pcap_path), "%s/%s-v%d.%s", o->pcap_dir, name, o->family,
		       capfile_ext(o->pcap_format));
	if (len < 0 || (size_t)len >= sizeof(r->pcap_path)) {
		snprintf(r->pcap_path, sizeof(r->pcap_path), "(not written: the pcap path is longer than %d bytes)",
			 PATH_MAX - 1);
		return -1;
	}
	return 0;
}

/* ---- comments ---- */

struct comments {
	char step[ENGINE_HISTORY][STEP_COMMENT_MAX];
	char failure[ENGINE_MSG_MAX + STEP_COMMENT_MAX + 64];
	char section[ENGINE_MSG_MAX + 2048];
	int failing_event; /* the event that bears failure[], -1 for none */
};

/* "step 3 (cases/x.yaml:12:5) expect", as the console names a step. */
static void step_name(const struct tc_case *c, int step, char *buf, size_t cap)
{
	if (step < 0 || step >= c->nsteps) {
		snprintf(buf, cap, "after the last step");
		return;
	}
	snprintf(buf, cap, "step %d (%s:%d:%d) %s", step + 1, c->path, c->steps[step].loc.line,
		 c->steps[step].loc.col, tc_step_kind_name(c->steps[step].kind));
}

/* The message up to the list of last segments, its lines joined by "; "
 * and runs of blanks made one: one line for a packet list. */
static void message_summary(const char *msg, char *out, size_t cap)
{
	const char *end = strstr(msg, "\n  last segments");
	size_t n = 0, stop = end ? (size_t)(end - msg) : strlen(msg);
	bool blank = false;

	for (size_t i = 0; i < stop && n + 3 < cap; i++) {
		char ch = msg[i];

		if (ch == '\n') {
			while (n && out[n - 1] == ' ')
				n--;
			out[n++] = ';';
			out[n++] = ' ';
			blank = true;
			continue;
		}
		if (ch == ' ' || ch == '\t') {
			if (!blank)
				out[n++] = ' ';
			blank = true;
			continue;
		}
		blank = false;
		out[n++] = ch;
	}
	out[n] = '\0';
}

/* The packet of the failing step: the segment it read or that arrived in
 * it, or (a step where nothing arrived, a state or app step) the last
 * packet before it. */
static int failing_event(const struct tc_case *c, const struct engine_result *r)
{
	int of_step = -1, after_last = -1;

	if (r->verdict != TC_FAIL && r->verdict != TC_ERROR)
		return -1;
	for (int i = 0; i < r->nevents; i++) {
		if (r->failed_step >= 0 && r->events[i].step == r->failed_step)
			of_step = i;
		if (r->events[i].step < 0)
			after_last = i;
	}
	if (of_step >= 0)
		return of_step;
	/* a segment no step expected fails the last step */
	if (after_last >= 0 && r->failed_step == c->nsteps - 1)
		return after_last;
	return r->nevents - 1;
}

static void make_comments(const struct tc_case *c, const struct engine_opts *o, const char *target,
			  const struct engine_result *r, struct comments *cm)
{
	char summary[ENGINE_MSG_MAX], where[STEP_COMMENT_MAX] = "";
	size_t len;
	bool failed = r->verdict == TC_FAIL || r->verdict == TC_ERROR;

	for (int i = 0; i < r->nevents; i++)
		step_name(c, r->events[i].step, cm->step[i], sizeof(cm->step[i]));
	message_summary(r->msg, summary, sizeof(summary));
	cm->failing_event = failing_event(c, r);
	if (failed && r->failed_step >= 0)
		step_name(c, r->failed_step, where, sizeof(where));
	/* on a packet of an earlier step, the comment says which step failed */
	if (cm->failing_event >= 0 && where[0] && r->events[cm->failing_event].step != r->failed_step)
		snprintf(cm->failure, sizeof(cm->failure), "%s: %s, after this packet: %s",
			 r->verdict == TC_ERROR ? "ERROR" : "FAILED", where, summary);
	else
		snprintf(cm->failure, sizeof(cm->failure), "%s: %s", r->verdict == TC_ERROR ? "ERROR" : "FAILED",
			 summary);
	len = (size_t)snprintf(cm->section, sizeof(cm->section), "tcpconform: %s [v%d] on target %s: %s%s%s%s%s",
			       c->path, o->family, target, tc_verdict_name(r->verdict), where[0] ? " at " : "",
			       where, summary[0] ? ": " : "", summary);
	if (failed && len < sizeof(cm->section)) {
		if (cm->failing_event < 0)
			snprintf(cm->section + len, sizeof(cm->section) - len, " (no segment was exchanged)");
		else if (r->failed_step >= 0 && r->events[cm->failing_event].step != r->failed_step)
			snprintf(cm->section + len, sizeof(cm->section) - len,
				 " (nothing arrived in that step: its comment is on packet %d, the last before it)",
				 cm->failing_event + 1);
	}
	len = strlen(cm->section);
	if (r->nevents == ENGINE_HISTORY && len < sizeof(cm->section))
		snprintf(cm->section + len, sizeof(cm->section) - len,
			 " (the engine keeps the first %d segments: later ones are not commented)", ENGINE_HISTORY);
}

static void event_comments(const struct comments *cm, int i, const char *out[CAPFILE_PKT_COMMENTS])
{
	out[0] = cm->step[i];
	out[1] = i == cm->failing_event ? cm->failure : NULL;
}

/* ---- the two ways of writing it ---- */

static int save_from_wire(struct tc_target *t, const struct engine_result *r, const struct comments *cm,
			  enum capfile_format format, uint64_t start_us, const char *path, struct tc_err *err)
{
	struct capfile_note notes[ENGINE_HISTORY];

	for (int i = 0; i < r->nevents; i++) {
		const struct engine_event *e = &r->events[i];

		notes[i] = (struct capfile_note){
			.from_target = e->from_target,
			.at_us = start_us + e->at_us,
			.seq = e->seg.seq,
			.ack = e->seg.ack,
			.flags = e->seg.flags,
			.len = e->seg.len,
		};
		event_comments(cm, i, notes[i].comments);
	}
	struct capfile_request req = {
		.format = format,
		.section_comment = cm->section,
		.nnotes = (size_t)r->nevents,
		.notes = notes,
	};
	return target_save_pcap(t, &req, path, err);
}

static uint64_t wall_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int save_from_history(const struct engine_opts *o, const char *target,
			     const struct engine_result *r, const struct comments *cm, const char *path,
			     struct tc_err *err)
{
	struct capfile_pkt pkts[ENGINE_HISTORY];
	uint8_t *bytes = malloc((size_t)(r->nevents ? r->nevents : 1) * PKT_MAX);
	char if_name[64];
	/* The target's clock may be virtual: the exchange is placed so that
	 * it ends now. */
	uint64_t now = wall_now_us(), base = now > r->case_time_us ? now - r->case_time_us : 0;
	int rc = 0;

	if (!bytes)
		return tc_err_set(err, TC_ERR_NOMEM, "building %d segments for %s", r->nevents, path);
	for (int i = 0; i < r->nevents && rc == 0; i++) {
		const struct engine_event *e = &r->events[i];
		uint8_t *p = bytes + (size_t)i * PKT_MAX;
		int n = seg_build(&e->seg, p, PKT_MAX, err);

		if (n < 0) {
			rc = -1;
			break;
		}
		pkts[i] = (struct capfile_pkt){
			.ts_us = base + e->at_us,
			.data = p,
			.len = (uint32_t)n,
			.orig_len = (uint32_t)n,
			/* as the injector sees it, like a wire capture */
			.dir = e->from_target ? CAPFILE_DIR_IN : CAPFILE_DIR_OUT,
		};
		event_comments(cm, i, pkts[i].comments);
	}
	snprintf(if_name, sizeof(if_name), "%s (engine history, IPv%d)", target, o->family);
	if (rc == 0) {
		struct capfile cf = {
			.format = o->pcap_format,
			.linktype = CAPFILE_LINK_RAW,
			.section_comment = cm->section,
			.if_name = if_name,
			.npkts = (size_t)r->nevents,
			.pkts = pkts,
		};
		rc = capfile_write(&cf, path, err);
	}
	free(bytes);
	return rc;
}

void engine_pcap_save(const struct tc_case *c, const struct engine_opts *o, struct tc_target *t, uint64_t start_us,
		      struct engine_result *r)
{
	struct comments *cm;
	struct tc_err err = {0};
	const char *target = o->run->ops->name;
	int rc;

	if (make_path(c, o, r) != 0)
		return;
	cm = malloc(sizeof(*cm));
	if (!cm) {
		snprintf(r->pcap_path, sizeof(r->pcap_path), "(not written: out of memory)");
		return;
	}
	make_comments(c, o, target, r, cm);
	if (t->ops->save_pcap)
		rc = save_from_wire(t, r, cm, o->pcap_format, start_us, r->pcap_path, &err);
	else
		rc = save_from_history(o, target, r, cm, r->pcap_path, &err);
	if (rc != 0)
		snprintf(r->pcap_path, sizeof(r->pcap_path), "(not written: %s)", err.msg);
	free(cm);
}
