/* The HTML report's parts (report_html*.c); not part of the report
 * interface. The page is index.html in the report's folder: the summary,
 * one section per case run with its ladder diagram, and the RFC 9293
 * state diagram coloured by what the run exercised. */
#ifndef REPORT_HTML_H
#define REPORT_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../case/tc_state.h"
#include "report.h"

/* --- report_html_text.c --- */

/* Case text as HTML or SVG character data or an attribute value (quoted
 * with "): & < > " ' become references; control characters are shown as
 * \xNN (report_ctl), so case text can neither break the markup nor hide
 * in it. */
void html_text(FILE *f, const char *s);
/* The first n bytes of s; keep_newlines lets '\n' and '\t' through (for <pre>). */
void html_textn(FILE *f, const char *s, size_t n, bool keep_newlines);
/* A case run's section id, stable from its path and family:
 * "case-" + the path (letters, digits and '-' kept, '/' as '.', any other
 * byte as _XX) + "-v4". Distinct paths give distinct ids. */
void html_case_id(char *buf, size_t cap, const char *path, int family);
/* An href for a local file seen from the report's folder: relative when
 * both resolve, percent-encoded; "" (no link) when the file is gone. */
void html_local_href(char *buf, size_t cap, const char *dir, const char *file);

/* --- report_html_ladder.c --- */

/* The exchange of one case run as an inline SVG ladder: injector on the
 * left, target on the right, time down the page. */
void html_ladder(FILE *f, const struct report_entry *e);

/* --- report_html_paths.c: RFC 9293 figure 5 and what a case run took --- */

enum html_arrow_kind {
	HTML_ARROW_FIGURE, /* drawn in RFC 9293 figure 5 */
	HTML_ARROW_RESET, /* an RST received or an abort: RFC 9293 3.10.7 */
};

struct html_arrow {
	enum tc_state from, to;
	const char *event; /* what moves the connection: "rcv SYN" */
	enum html_arrow_kind kind;
};

#define HTML_ARROWS_MAX 32
extern const struct html_arrow html_arrows[];
extern const int html_narrows;

/* The index of the arrow from -> to, or -1 when figure 5 has none. */
int html_arrow_find(enum tc_state from, enum tc_state to);

/* One arrow a case run went along, and whether the case failed there. */
struct html_passage {
	int arrow;
	bool failed;
};

#define HTML_PASSAGES_MAX 64

/* The arrows a case run exercised, in order (docs/reports.md, "How the
 * arrows are judged"). Returns how many went into out (at most cap). A
 * failing run whose failure is not on an arrow leaves the state it
 * failed in in *failed_in, otherwise -1. */
int html_paths_of(const struct report_entry *e, struct html_passage *out, int cap, int *failed_in);

/* --- report_html_states.c: the state diagram of the run --- */

struct html_states;

struct html_states *html_states_new(void);
/* Counts the arrows the case run took (html_paths_of) and keeps a link
 * to it (the first few per arrow; the counts are exact). */
int html_states_add(struct html_states *s, const struct report_entry *e, const char *case_id);
void html_states_write(FILE *f, const struct html_states *s);
void html_states_free(struct html_states *s);

#endif
