/* A case run's exchange as a ladder diagram (inline SVG): the injector's
 * lifeline on the left, the target's on the right, time down the page.
 * Every segment is an arrow labelled with its flags, seq and ack relative
 * to the ISNs, window, length and time; the steps without a segment (app
 * actions, state reads, waits, silences) sit on the target's side, a wait
 * or a silence as a bracket over the time it took. Time is drawn on a
 * compressed scale: short gaps grow with the log of their length, a gap of
 * a second or more becomes a break with its duration written in it, so a
 * 60 s TIME-WAIT does not stretch the page. The failing step's arrows and
 * marks are red, with what was expected and what arrived under them. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../seg/seg.h"
#include "report_html.h"

#define W 900
#define X_INJ 200 /* the injector's lifeline */
#define X_TGT 640 /* the target's lifeline */
#define TOP 44 /* below the column titles */
#define ROW_H 30 /* between two things drawn */
#define SLOPE 10 /* an arrow falls this much from sender to receiver */
#define BREAK_US 1000000 /* gaps this long become a break */
#define BREAK_H 40
#define NOTE_LINE_H 16
#define NOTE_WRAP 104 /* characters per line of the failure note */
#define RED "#c62828"

enum item_kind { IT_MARK, IT_SEG, IT_MARK_END }; /* the order at equal time and step */

struct item {
	uint64_t t;
	int step, kind, idx;
	int y;
	bool brk; /* a break drawn above this item */
	uint64_t gap_us; /* the gap above it */
};

static int step_key(int step)
{
	return step < 0 ? INT_MAX : step; /* after the last step: last */
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (step_key(a->step) != step_key(b->step))
		return step_key(a->step) < step_key(b->step) ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static bool is_range(const struct report_mark *m)
{
	return (m->kind == TC_STEP_WAIT || m->kind == TC_STEP_EXPECT_NONE) && m->end_us > m->start_us;
}

/* Short gaps: 0 px for none, up to 36 px just under a second. */
static int gap_px(uint64_t dt_us)
{
	return dt_us ? (int)(12.0 * log10(1.0 + (double)dt_us / 1000.0)) : 0;
}

static int build_items(const struct report_entry *e, struct item *it)
{
	int n = 0;

	for (int i = 0; i < e->nevents; i++)
		it[n++] = (struct item){.t = e->events[i].at_us, .step = e->events[i].step, .kind = IT_SEG, .idx = i};
	for (int i = 0; i < e->nmarks; i++) {
		const struct report_mark *m = &e->marks[i];

		it[n++] = (struct item){.t = m->start_us, .step = m->step, .kind = IT_MARK, .idx = i};
		if (is_range(m))
			it[n++] = (struct item){.t = m->end_us, .step = m->step, .kind = IT_MARK_END, .idx = i};
	}
	qsort(it, (size_t)n, sizeof(*it), item_cmp);
	int y = TOP + 20;
	for (int i = 0; i < n; i++) {
		uint64_t dt = i ? it[i].t - it[i - 1].t : it[i].t;

		it[i].gap_us = dt;
		it[i].brk = dt >= BREAK_US;
		if (i || it[i].brk)
			y += (i ? ROW_H : 0) + (it[i].brk ? BREAK_H : gap_px(dt));
		it[i].y = y;
	}
	return n;
}

static void flag_names(char *buf, size_t cap, uint16_t flags)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} names[] = {
		{SEG_SYN, "SYN"}, {SEG_FIN, "FIN"}, {SEG_RST, "RST"}, {SEG_PSH, "PSH"}, {SEG_ACK, "ACK"},
		{SEG_URG, "URG"}, {SEG_ECE, "ECE"}, {SEG_CWR, "CWR"}, {SEG_AE, "AE"},
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "", names[i].name);
	if (!n)
		snprintf(buf, cap, "none");
}

/* seq and ack as the case writes them: from each side's ISN, signed
 * when below it (an RST with an old number). */
static long long rel(uint32_t v, uint32_t isn)
{
	return (long long)(int32_t)(v - isn);
}

static bool failed_here(const struct report_entry *e, int step)
{
	return (e->verdict == TC_FAIL || e->verdict == TC_ERROR) && step == e->failed_step;
}

static void time_label(FILE *f, const struct item *it)
{
	fprintf(f, "<text class=\"t\" x=\"8\" y=\"%d\">%.3f ms", it->y + 4, (double)it->t / 1000.0);
	if (it->step >= 0)
		fprintf(f, "  #%d", it->step + 1);
	fputs("</text>", f);
}

static void draw_segment(FILE *f, const struct report_entry *e, const struct item *it)
{
	const struct report_event *ev = &e->events[it->idx];
	bool red = failed_here(e, ev->step);
	int x1 = ev->from_target ? X_TGT : X_INJ, x2 = ev->from_target ? X_INJ : X_TGT;
	uint32_t own = ev->from_target ? e->target_isn : e->peer_isn;
	uint32_t other = ev->from_target ? e->peer_isn : e->target_isn;
	char flags[64];

	flag_names(flags, sizeof(flags), ev->flags);
	fprintf(f, "<g class=\"seg %s%s\" data-step=\"%d\"%s>", ev->from_target ? "from-target" : "from-injector",
		red ? " failed-step" : "", ev->step + 1, red ? " stroke=\"" RED "\" fill=\"" RED "\"" : "");
	fputs("<title>", f);
	html_text(f, ev->text);
	fputs("</title>", f);
	time_label(f, it);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" marker-end=\"url(#head-%s)\"/>", x1, it->y, x2,
		it->y + SLOPE, red ? "failed" : "seg");
	fprintf(f, "<text class=\"lbl\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s  seq %lld", (X_INJ + X_TGT) / 2,
		it->y - 4, flags, rel(ev->seq, own));
	if (ev->flags & SEG_ACK)
		fprintf(f, "  ack %lld", rel(ev->ack, other));
	fprintf(f, "  win %u  len %u</text></g>\n", ev->win, ev->len);
}

static void draw_mark(FILE *f, const struct report_entry *e, const struct item *it, const struct item *end)
{
	const struct report_mark *m = &e->marks[it->idx];
	bool red = failed_here(e, m->step);
	const char *cls = m->kind == TC_STEP_STATE ? "state" : m->kind == TC_STEP_APP ? "app" : "wait";

	fprintf(f, "<g class=\"mark %s%s\" data-step=\"%d\"%s>", cls, red ? " failed-step" : "", m->step + 1,
		red ? " stroke=\"" RED "\" fill=\"" RED "\"" : "");
	time_label(f, it);
	if (end) {
		/* a bracket over the time the step took */
		fprintf(f, "<path class=\"bracket%s\" d=\"M%d %d h8 V%d h-8\"/>",
			m->kind == TC_STEP_EXPECT_NONE ? " silence" : "", X_TGT + 12, it->y, end->y);
	} else {
		fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"4\"/>", X_TGT, it->y);
	}
	fprintf(f, "<text class=\"mk\" x=\"%d\" y=\"%d\">", X_TGT + 24, it->y + 4);
	html_text(f, m->text);
	fputs("</text></g>\n", f);
}

static void draw_break(FILE *f, const struct item *it)
{
	int y = it->y - ROW_H / 2 - BREAK_H / 2;

	fprintf(f, "<g class=\"break\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>", X_INJ - 10,
		y - 8, X_TGT - X_INJ + 16, 16);
	for (int x = X_INJ; x <= X_TGT; x += X_TGT - X_INJ)
		fprintf(f, "<path d=\"M%d %d l6 -4 l-12 8 l6 -4 M%d %d l6 -4 l-12 8 l6 -4\"/>", x, y - 4, x, y + 4);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">&#8942; %.3f s later &#8942;</text></g>\n",
		(X_INJ + X_TGT) / 2, y + 4, (double)it->gap_us / 1e6);
}

/* The lines of the failure note: the summary, then what was expected and
 * what arrived, cut into lines that fit the width. */
static int note_lines(const char *msg, const char *starts[], size_t lens[], int cap)
{
	int n = 0;

	for (const char *p = msg; *p && n < cap;) {
		size_t len = strcspn(p, "\n");
		const char *s = p;

		while (*s == ' ' && s < p + len)
			s++;
		bool keep = p == msg || strncmp(s, "expected:", 9) == 0 || strncmp(s, "got:", 4) == 0;
		size_t left = len - (size_t)(s - p);
		while (keep && left && n < cap) {
			size_t cut = left;

			if (cut > NOTE_WRAP) {
				cut = NOTE_WRAP;
				while (cut > NOTE_WRAP / 2 && s[cut] != ' ')
					cut--;
			}
			starts[n] = s;
			lens[n++] = cut;
			s += cut;
			left -= cut;
		}
		p += len + (p[len] == '\n');
	}
	return n;
}

static void draw_failure(FILE *f, const struct report_entry *e, int y, const char *starts[], const size_t lens[],
			 int nlines)
{
	fprintf(f, "<g class=\"failure-note failed-step\" data-step=\"%d\" stroke=\"" RED "\">", e->failed_step + 1);
	fprintf(f, "<rect x=\"4\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\"/>", y, W - 8,
		NOTE_LINE_H * (nlines + 1) + 8);
	fprintf(f, "<text x=\"12\" y=\"%d\" fill=\"" RED "\">", y + NOTE_LINE_H);
	if (e->failed_step >= 0)
		fprintf(f, "&#10007; step %d failed (line %d)", e->failed_step + 1, e->failed_loc.line);
	else
		fputs("&#10007; failed after the steps", f);
	fputs("</text>", f);
	for (int i = 0; i < nlines; i++) {
		fprintf(f, "<text x=\"12\" y=\"%d\" fill=\"" RED "\">", y + NOTE_LINE_H * (i + 2));
		html_textn(f, starts[i], lens[i], false);
		fputs("</text>", f);
	}
	fputs("</g>\n", f);
}

void html_ladder(FILE *f, const struct report_entry *e)
{
	struct item *it = calloc((size_t)(e->nevents + 2 * e->nmarks + 1), sizeof(*it));
	bool failed = e->verdict == TC_FAIL || e->verdict == TC_ERROR;
	const char *starts[12];
	size_t lens[12];
	int n, nlines = 0, y_end, y_missing = 0;
	bool drawn = false; /* the failing step has something in the ladder */

	if (!it) {
		fputs("<p>(no ladder: out of memory)</p>\n", f);
		return;
	}
	n = build_items(e, it);
	for (int i = 0; i < n; i++)
		drawn |= failed_here(e, it[i].step);
	y_end = n ? it[n - 1].y + ROW_H : TOP + 20;
	if (failed && !drawn)
		y_missing = y_end, y_end += ROW_H;
	if (failed)
		nlines = note_lines(e->msg ? e->msg : "", starts, lens, 12);
	int h = y_end + (failed ? NOTE_LINE_H * (nlines + 1) + 20 : 0);

	fprintf(f, "<svg class=\"ladder\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
		   "aria-label=\"ladder diagram\">\n",
		W, h, W, h);
	fprintf(f, "<text class=\"col\" x=\"%d\" y=\"20\" text-anchor=\"middle\">injector (peer)</text>", X_INJ);
	fprintf(f, "<text class=\"col\" x=\"%d\" y=\"20\" text-anchor=\"middle\">target (", X_TGT);
	html_text(f, e->target);
	fputs(")</text>\n", f);
	fprintf(f, "<line class=\"life\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", X_INJ, TOP - 14, X_INJ, y_end);
	fprintf(f, "<line class=\"life\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", X_TGT, TOP - 14, X_TGT, y_end);
	for (int i = 0; i < n; i++)
		if (it[i].brk)
			draw_break(f, &it[i]);
	for (int i = 0; i < n; i++) {
		if (it[i].kind == IT_SEG) {
			draw_segment(f, e, &it[i]);
		} else if (it[i].kind == IT_MARK) {
			const struct item *end = NULL;

			for (int k = i + 1; k < n && !end; k++)
				if (it[k].kind == IT_MARK_END && it[k].idx == it[i].idx)
					end = &it[k];
			draw_mark(f, e, &it[i], end);
		}
	}
	if (failed && !drawn) {
		/* an expect that nothing answered, or a failure before any step:
		 * a dashed red line where the step's segment would have been */
		bool none = e->msg && strstr(e->msg, "nothing arrived");

		fprintf(f, "<g class=\"missing failed-step\" data-step=\"%d\" stroke=\"" RED "\" fill=\"" RED "\">",
			e->failed_step + 1);
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke-dasharray=\"6 4\"/>", X_TGT, y_missing,
			X_INJ, y_missing + SLOPE);
		fprintf(f, "<text class=\"lbl\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">&#10007; step %d: %s</text></g>\n",
			(X_INJ + X_TGT) / 2, y_missing - 4, e->failed_step + 1,
			none ? "nothing arrived" : "failed here");
	}
	if (failed)
		draw_failure(f, e, y_end + 4, starts, lens, nlines);
	fputs("</svg>\n", f);
	free(it);
}
