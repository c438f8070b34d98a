/* Text and names for the HTML report: escaping, ids, local links. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "report_int.h"

void html_textn(FILE *f, const char *s, size_t n, bool keep_newlines)
{
	const char *end = s + n;
	char esc[8];

	while (s < end && *s) {
		size_t k;

		switch (*s) {
		case '&': fputs("&amp;", f); s++; continue;
		case '<': fputs("&lt;", f); s++; continue;
		case '>': fputs("&gt;", f); s++; continue;
		case '"': fputs("&quot;", f); s++; continue;
		case '\'': fputs("&#39;", f); s++; continue;
		}
		k = report_ctl(s, keep_newlines, esc);
		if (k) {
			fputs(esc, f);
			s += k;
		} else {
			fputc(*s++, f);
		}
	}
}

void html_text(FILE *f, const char *s)
{
	html_textn(f, s, strlen(s), false);
}

void html_case_id(char *buf, size_t cap, const char *path, int family)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	/* the id is cut (never overrun) when the path is very long; paths
	 * that long differ in their first few hundred bytes in practice */
	n += (size_t)snprintf(buf, cap, "case-");
	for (const unsigned char *p = (const unsigned char *)path; *p && n + 8 < cap; p++) {
		unsigned char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
			buf[n++] = (char)c;
		} else if (c == '/') {
			buf[n++] = '.';
		} else {
			buf[n++] = '_';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	snprintf(buf + n, cap - n, "-v%d", family);
}

/* The path's components after the common prefix of a and b. */
static size_t common_prefix(const char *a, const char *b)
{
	size_t last = 0;

	for (size_t i = 0;; i++) {
		bool end_a = a[i] == '\0' || a[i] == '/', end_b = b[i] == '\0' || b[i] == '/';

		if (end_a && end_b)
			last = i;
		if (a[i] != b[i] || a[i] == '\0')
			return last;
	}
}

static void put_encoded(char *buf, size_t cap, size_t *n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p && *n + 4 < cap; p++) {
		unsigned char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c)) {
			buf[(*n)++] = (char)c;
		} else {
			buf[(*n)++] = '%';
			buf[(*n)++] = hex[c >> 4];
			buf[(*n)++] = hex[c & 15];
		}
	}
	buf[*n] = '\0';
}

void html_local_href(char *buf, size_t cap, const char *dir, const char *file)
{
	char *d = realpath(dir, NULL), *f = realpath(file, NULL);
	size_t n = 0;

	buf[0] = '\0';
	if (d && f && cap > 8) {
		size_t k = common_prefix(d, f);

		/* one ".." for every component of the folder past the prefix */
		for (const char *p = d + k; *p; p++)
			if (*p == '/' && p[1] && n + 4 < cap) {
				memcpy(buf + n, "../", 3);
				n += 3;
			}
		buf[n] = '\0';
		put_encoded(buf, cap, &n, f + k + (f[k] == '/'));
	}
	free(d);
	free(f);
}
