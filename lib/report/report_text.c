#include <stdio.h>

#include "report.h"
#include "report_int.h"

size_t report_ctl(const char *s, bool keep_newlines, char buf[8])
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == '\n' || u[0] == '\t') {
		if (keep_newlines)
			return 0;
	} else if (u[0] >= 0x20 && u[0] != 0x7f) {
		/* C1 controls (CSI is 0x9b) act on many terminals as their
		 * ESC-sequence twins do. */
		if (u[0] != 0xc2 || u[1] < 0x80 || u[1] > 0x9f)
			return 0;
		snprintf(buf, 8, "\\u%04x", u[1]);
		return 2;
	}
	snprintf(buf, 8, "\\x%02x", u[0]);
	return 1;
}

void report_put_text(FILE *out, const char *s, bool keep_newlines)
{
	const char *run = s;
	char esc[8];

	while (*s) {
		size_t n = report_ctl(s, keep_newlines, esc);

		if (n == 0) {
			s++;
			continue;
		}
		fwrite(run, 1, (size_t)(s - run), out);
		fputs(esc, out);
		s += n;
		run = s;
	}
	fwrite(run, 1, (size_t)(s - run), out);
}
