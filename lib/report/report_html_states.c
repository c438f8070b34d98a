/* The state diagram view: RFC 9293 figure 5 laid out by hand as SVG, each
 * arrow coloured by what the run did with it (green: exercised and every
 * case run exercising it passed there; red: one failed there; grey: not
 * exercised), each linking to its row in the table below, which links to
 * the case runs. */
#include <stdlib.h>
#include <string.h>

#include "report_html.h"

#define LINKS_MAX 12 /* per arrow and per state; the counts stay exact */

struct html_link {
	char *id, *label;
	bool failed;
};

struct tally {
	unsigned passed, failed; /* case runs */
	int nlinks;
	struct html_link links[LINKS_MAX];
};

struct html_states {
	struct tally arrow[HTML_ARROWS_MAX];
	struct tally state[TC_STATE__COUNT]; /* runs that failed inside a state */
};

/* Where a state's box is: centre, width; the second CLOSED is the
 * figure's own bottom copy, for the arrows that end a connection. */
struct box {
	int x, y, w;
};
#define BOX_H 40
static const struct box boxes[TC_STATE__COUNT] = {
	[TC_CLOSED] = {500, 60, 150},       [TC_LISTEN] = {500, 170, 150},
	[TC_SYN_RECEIVED] = {230, 300, 150}, [TC_SYN_SENT] = {770, 300, 150},
	[TC_ESTABLISHED] = {500, 420, 150},  [TC_FIN_WAIT_1] = {230, 540, 150},
	[TC_CLOSE_WAIT] = {770, 540, 150},   [TC_FIN_WAIT_2] = {230, 680, 150},
	[TC_CLOSING] = {500, 680, 150},      [TC_LAST_ACK] = {770, 680, 150},
	[TC_TIME_WAIT] = {500, 800, 150},
};
static const struct box closed_bottom = {480, 910, 900};

/* An arrow's line (points, the last one at the arrowhead) and where its
 * label goes; rot -90 writes the label up along a vertical line. */
struct route {
	enum tc_state from, to;
	int npts;
	int pts[8];
	int lx, ly, rot;
	const char *anchor;
};

static const struct route routes[] = {
	{TC_CLOSED, TC_LISTEN, 2, {485, 80, 485, 150}, 478, 120, 0, "end"},
	{TC_LISTEN, TC_CLOSED, 2, {515, 150, 515, 80}, 522, 120, 0, "start"},
	{TC_CLOSED, TC_SYN_SENT, 3, {575, 55, 750, 55, 750, 280}, 585, 72, 0, "start"},
	{TC_LISTEN, TC_SYN_RECEIVED, 2, {440, 190, 290, 280}, 372, 250, 0, "start"},
	{TC_LISTEN, TC_SYN_SENT, 2, {560, 190, 710, 280}, 645, 228, 0, "start"},
	{TC_SYN_SENT, TC_CLOSED, 4, {845, 300, 880, 300, 880, 45, 575, 45}, 728, 39, 0, "middle"},
	{TC_SYN_SENT, TC_SYN_RECEIVED, 2, {695, 300, 305, 300}, 500, 293, 0, "middle"},
	{TC_SYN_SENT, TC_ESTABLISHED, 2, {740, 320, 560, 400}, 662, 376, 0, "start"},
	{TC_SYN_RECEIVED, TC_ESTABLISHED, 2, {260, 320, 440, 400}, 358, 350, 0, "start"},
	{TC_SYN_RECEIVED, TC_LISTEN, 3, {200, 280, 200, 165, 425, 165}, 300, 158, 0, "middle"},
	{TC_SYN_RECEIVED, TC_FIN_WAIT_1, 2, {230, 320, 230, 520}, 238, 445, 0, "start"},
	{TC_ESTABLISHED, TC_FIN_WAIT_1, 2, {440, 440, 265, 520}, 380, 462, 0, "start"},
	{TC_ESTABLISHED, TC_CLOSE_WAIT, 2, {560, 440, 735, 520}, 628, 505, 0, "end"},
	{TC_FIN_WAIT_1, TC_FIN_WAIT_2, 2, {230, 560, 230, 660}, 222, 615, 0, "end"},
	{TC_FIN_WAIT_1, TC_CLOSING, 2, {305, 550, 440, 660}, 388, 595, 0, "start"},
	{TC_FIN_WAIT_1, TC_TIME_WAIT, 2, {280, 560, 445, 780}, 330, 647, 53, "middle"},
	{TC_FIN_WAIT_2, TC_TIME_WAIT, 2, {290, 700, 425, 795}, 352, 768, 0, "end"},
	{TC_CLOSING, TC_TIME_WAIT, 2, {500, 700, 500, 780}, 508, 745, 0, "start"},
	{TC_CLOSE_WAIT, TC_LAST_ACK, 2, {770, 560, 770, 660}, 762, 615, 0, "end"},
	{TC_LAST_ACK, TC_CLOSED, 2, {770, 700, 770, 890}, 764, 820, 0, "end"},
	{TC_TIME_WAIT, TC_CLOSED, 2, {500, 820, 500, 890}, 508, 862, 0, "start"},
	{TC_SYN_RECEIVED, TC_CLOSED, 3, {155, 300, 45, 300, 45, 890}, 39, 600, -90, "middle"},
	{TC_ESTABLISHED, TC_CLOSED, 3, {575, 420, 905, 420, 905, 890}, 740, 413, 0, "middle"},
	{TC_FIN_WAIT_1, TC_CLOSED, 3, {155, 540, 65, 540, 65, 890}, 59, 720, -90, "middle"},
	{TC_FIN_WAIT_2, TC_CLOSED, 3, {155, 680, 85, 680, 85, 890}, 79, 790, -90, "middle"},
	{TC_CLOSE_WAIT, TC_CLOSED, 3, {845, 540, 875, 540, 875, 890}, 869, 720, -90, "middle"},
	{TC_CLOSING, TC_CLOSED, 3, {575, 690, 640, 690, 640, 890}, 634, 800, -90, "middle"},
};
#define NROUTES ((int)(sizeof(routes) / sizeof(routes[0])))

struct html_states *html_states_new(void)
{
	return calloc(1, sizeof(struct html_states));
}

static void link_free(struct html_link *l)
{
	free(l->id);
	free(l->label);
	l->id = l->label = NULL;
}

void html_states_free(struct html_states *s)
{
	if (!s)
		return;
	for (int a = 0; a < HTML_ARROWS_MAX; a++)
		for (int i = 0; i < s->arrow[a].nlinks; i++)
			link_free(&s->arrow[a].links[i]);
	for (int t = 0; t < TC_STATE__COUNT; t++)
		for (int i = 0; i < s->state[t].nlinks; i++)
			link_free(&s->state[t].links[i]);
	free(s);
}

/* Counts the run; keeps its link while there is room, and a failure
 * takes the place of a pass when there is not (failures are what a
 * reader follows). */
static int tally_add(struct tally *t, const struct report_entry *e, const char *id, bool failed)
{
	struct html_link l = {.id = strdup(id), .failed = failed};
	int slot = -1;
	char label[512];

	failed ? t->failed++ : t->passed++;
	snprintf(label, sizeof(label), "%s [v%d]", e->path, e->family);
	l.label = strdup(label);
	if (!l.id || !l.label) {
		link_free(&l);
		return -1;
	}
	if (t->nlinks < LINKS_MAX)
		slot = t->nlinks++;
	else if (failed)
		for (int i = LINKS_MAX - 1; i >= 0 && slot < 0; i--)
			if (!t->links[i].failed)
				slot = i;
	if (slot < 0) {
		link_free(&l);
		return 0;
	}
	link_free(&t->links[slot]);
	t->links[slot] = l;
	return 0;
}

int html_states_add(struct html_states *s, const struct report_entry *e, const char *case_id)
{
	struct html_passage p[HTML_PASSAGES_MAX];
	int failed_in, n = html_paths_of(e, p, HTML_PASSAGES_MAX, &failed_in);
	/* a run counts once per arrow, failed when it failed on any of its
	 * passages along it */
	signed char took[HTML_ARROWS_MAX] = {0};
	int rc = 0;

	for (int i = 0; i < n; i++)
		took[p[i].arrow] = (signed char)(p[i].failed ? 2 : (took[p[i].arrow] ? took[p[i].arrow] : 1));
	for (int a = 0; a < html_narrows; a++)
		if (took[a] && tally_add(&s->arrow[a], e, case_id, took[a] == 2) != 0)
			rc = -1;
	if (failed_in >= 0 && tally_add(&s->state[failed_in], e, case_id, true) != 0)
		rc = -1;
	return rc;
}

static const char *judgement(const struct tally *t)
{
	return t->failed ? "failed" : t->passed ? "passed" : "unexercised";
}

static void state_box(FILE *f, const struct box *b, const char *name, const struct tally *t)
{
	fprintf(f, "<g class=\"state%s\" data-state=\"%s\">", t && t->failed ? " failed-in" : "", name);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"8\"/>", b->x - b->w / 2,
		b->y - BOX_H / 2, b->w, BOX_H);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s", b->x, b->y + 5, name);
	if (t && t->failed)
		fprintf(f, " (%u failed here)", t->failed);
	fputs("</text></g>\n", f);
}

static void arrow_id(char *buf, size_t cap, const struct html_arrow *a)
{
	snprintf(buf, cap, "arrow-%s-%s", tc_state_name(a->from), tc_state_name(a->to));
}

static void draw_arrow(FILE *f, const struct route *r, int a, const struct tally *t)
{
	const struct html_arrow *ar = &html_arrows[a];
	char id[64];

	arrow_id(id, sizeof(id), ar);
	fprintf(f, "<a href=\"#%s\"><g class=\"arrow %s%s\" data-from=\"%s\" data-to=\"%s\">", id, judgement(t),
		ar->kind == HTML_ARROW_RESET ? " reset" : "", tc_state_name(ar->from), tc_state_name(ar->to));
	fprintf(f, "<title>%s to %s: %s; %u case runs passed, %u failed here</title>", tc_state_name(ar->from),
		tc_state_name(ar->to), ar->event, t->passed, t->failed);
	fputs("<polyline points=\"", f);
	for (int i = 0; i < r->npts; i++)
		fprintf(f, "%s%d,%d", i ? " " : "", r->pts[2 * i], r->pts[2 * i + 1]);
	fprintf(f, "\" marker-end=\"url(#head-%s)\"/>", judgement(t));
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\"", r->lx, r->ly, r->anchor);
	if (r->rot)
		fprintf(f, " transform=\"rotate(%d %d %d)\"", r->rot, r->lx, r->ly);
	fprintf(f, ">%s", ar->event);
	if (t->passed + t->failed)
		fprintf(f, " (%u)", t->passed + t->failed);
	fputs("</text></g></a>\n", f);
}

static void link_list(FILE *f, const struct tally *t)
{
	unsigned total = t->passed + t->failed;

	for (int i = 0; i < t->nlinks; i++) {
		fprintf(f, "%s<a class=\"%s\" href=\"#", i ? ", " : "", t->links[i].failed ? "fail" : "pass");
		html_text(f, t->links[i].id);
		fputs("\">", f);
		html_text(f, t->links[i].label);
		fputs("</a>", f);
	}
	if (total > (unsigned)t->nlinks)
		fprintf(f, " and %u more", total - (unsigned)t->nlinks);
}

void html_states_write(FILE *f, const struct html_states *s)
{
	fputs("<section id=\"states\">\n<h2>State diagram (RFC 9293 figure 5)</h2>\n", f);
	fputs("<p class=\"legend\"><span class=\"key passed\">exercised, every case run passed there</span> "
	      "<span class=\"key failed\">a case run failed there</span> "
	      "<span class=\"key unexercised\">not exercised</span> "
	      "dashed: an RST received or an abort. The number is how many case runs went along the arrow; "
	      "an arrow leads to its case runs. How arrows are judged: docs/reports.md.</p>\n",
	      f);
	fputs("<svg class=\"fsm\" viewBox=\"0 0 1000 950\" width=\"1000\" height=\"950\" role=\"img\" "
	      "aria-label=\"TCP state diagram\">\n",
	      f);
	for (int t = 0; t < TC_STATE__COUNT; t++)
		state_box(f, &boxes[t], tc_state_name((enum tc_state)t), &s->state[t]);
	state_box(f, &closed_bottom, "CLOSED", NULL);
	for (int i = 0; i < NROUTES; i++) {
		int a = html_arrow_find(routes[i].from, routes[i].to);

		if (a >= 0)
			draw_arrow(f, &routes[i], a, &s->arrow[a]);
	}
	fputs("</svg>\n<table class=\"arrows\">\n<thead><tr><th>arrow</th><th>event</th><th>judged</th>"
	      "<th>case runs</th></tr></thead>\n<tbody>\n",
	      f);
	for (int a = 0; a < html_narrows; a++) {
		const struct tally *t = &s->arrow[a];
		char id[64];

		arrow_id(id, sizeof(id), &html_arrows[a]);
		fprintf(f, "<tr id=\"%s\" class=\"%s\"><td>%s &#8594; %s</td><td>%s</td><td>%s</td><td>", id,
			judgement(t), tc_state_name(html_arrows[a].from), tc_state_name(html_arrows[a].to),
			html_arrows[a].event, judgement(t));
		if (t->passed + t->failed)
			fprintf(f, "%u passed, %u failed: ", t->passed, t->failed);
		link_list(f, t);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	bool any = false;
	for (int t = 0; t < TC_STATE__COUNT; t++)
		any |= s->state[t].failed > 0;
	if (any) {
		fputs("<h3>Failures inside a state (not on an arrow)</h3>\n<ul class=\"failed-in\">\n", f);
		for (int t = 0; t < TC_STATE__COUNT; t++) {
			if (!s->state[t].failed)
				continue;
			fprintf(f, "<li id=\"in-%s\">%s: ", tc_state_name((enum tc_state)t),
				tc_state_name((enum tc_state)t));
			link_list(f, &s->state[t]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("</section>\n", f);
}
