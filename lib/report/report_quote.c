#include "report_quote.h"

/* The range the second byte of a sequence may take, by its lead byte
 * (RFC 3629 section 4): this is where overlongs, surrogates and code
 * points past U+10FFFF are shut out. */
static bool lead_ok(unsigned char lead, unsigned char second, int *need)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (lead >= 0xc2 && lead <= 0xdf) {
		*need = 1;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		*need = 2;
		if (lead == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (lead == 0xed)
			hi = 0x9f; /* surrogates U+D800..U+DFFF */
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		*need = 3;
		if (lead == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (lead == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return false; /* 0x80..0xc1 (continuation, overlong lead), 0xf5.. */
	}
	return second >= lo && second <= hi;
}

size_t report_utf8_next(const char *s, uint32_t *cp, bool *valid)
{
	const unsigned char *u = (const unsigned char *)s;
	int need = 0;

	if (u[0] < 0x80) {
		*cp = u[0];
		*valid = true;
		return 1;
	}
	*cp = 0xfffd;
	*valid = false;
	if (!lead_ok(u[0], u[1], &need))
		return 1;
	uint32_t c = u[0] & (0x3f >> need);
	size_t i = 1;

	for (; i <= (size_t)need; i++) {
		/* the terminating NUL is no continuation byte: a cut-short
		 * sequence stops before it */
		if ((u[i] & 0xc0) != 0x80)
			return i;
		c = (c << 6) | (u[i] & 0x3f);
	}
	*cp = c;
	*valid = true;
	return i;
}

bool report_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

void report_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	while (*s) {
		uint32_t cp;
		bool valid;
		size_t n = report_utf8_next(s, &cp, &valid);

		if (!valid) {
			fputs("\\ufffd", f);
		} else if (cp == '"' || cp == '\\') {
			fputc('\\', f);
			fputc((int)cp, f);
		} else if (report_is_control(cp) || cp == 0x2028 || cp == 0x2029) {
			switch (cp) {
			case '\b': fputs("\\b", f); break;
			case '\f': fputs("\\f", f); break;
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default: fprintf(f, "\\u%04x", (unsigned)cp); break;
			}
		} else {
			fwrite(s, 1, n, f);
		}
		s += n;
	}
	fputc('"', f);
}

void report_yaml_str(FILE *f, const char *s)
{
	fputc('"', f);
	while (*s) {
		uint32_t cp;
		bool valid;
		size_t n = report_utf8_next(s, &cp, &valid);

		if (!valid) {
			fputs("\xef\xbf\xbd", f); /* U+FFFD */
		} else if (cp == '"' || cp == '\\') {
			fputc('\\', f);
			fputc((int)cp, f);
		} else if (cp == '\n') {
			fputs("\\n", f);
		} else if (cp == '\t') {
			fputs("\\t", f);
		} else if (report_is_control(cp)) {
			fprintf(f, "\\x%02x", (unsigned)cp);
		} else {
			fwrite(s, 1, n, f);
		}
		s += n;
	}
	fputc('"', f);
}
