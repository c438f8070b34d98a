#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static void xml_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* XML 1.0 forbids most control characters, even escaped. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static void junit_case(FILE *f, const struct report_entry *e)
{
	const struct engine_result *r = e->r;

	fputs("    <testcase classname=\"", f);
	xml_escaped(f, e->c->path);
	fprintf(f, "\" name=\"");
	xml_escaped(f, e->c->name);
	fprintf(f, " [v%d]\" time=\"%.6f\">\n", e->family, (double)e->wall_us / 1e6);
	fputs("      <properties>", f);
	fprintf(f, "<property name=\"required_wait_us\" value=\"%llu\"/>", (unsigned long long)r->required_us);
	for (int i = 0; i < e->c->nrfc; i++) {
		fputs("<property name=\"rfc\" value=\"", f);
		xml_escaped(f, e->c->rfc[i]);
		fputs("\"/>", f);
	}
	fputs("</properties>\n", f);
	if (r->verdict == TC_FAIL || r->verdict == TC_ERROR) {
		const char *tag = r->verdict == TC_FAIL ? "failure" : "error";
		fprintf(f, "      <%s message=\"", tag);
		size_t n = strcspn(r->msg, "\n");
		char first[1024];
		snprintf(first, sizeof(first), "%.*s", (int)(n < sizeof(first) - 1 ? n : sizeof(first) - 1), r->msg);
		xml_escaped(f, first);
		fputs("\">", f);
		if (r->failed_step >= 0)
			fprintf(f, "%s:%d:%d: step %d\n", e->c->path, r->failed_loc.line, r->failed_loc.col,
				r->failed_step + 1);
		xml_escaped(f, r->msg);
		fprintf(f, "</%s>\n", tag);
	} else if (r->verdict == TC_SKIP) {
		fputs("      <skipped message=\"", f);
		xml_escaped(f, r->msg);
		fputs("\"/>\n", f);
	}
	fputs("    </testcase>\n", f);
}

int report_junit_write(const char *path, const char *target, const struct report_entry *e,
		       size_t n, struct tc_err *err)
{
	char tmp[4096];
	struct report_totals t = {0};
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return tc_err_set(err, TC_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
	for (size_t i = 0; i < n; i++)
		report_count(&t, e[i].r->verdict);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites>\n  <testsuite name=\"tcpconform.%s\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" skipped=\"%u\">\n",
		target, n, t.failed, t.errored, t.skipped);
	for (size_t i = 0; i < n; i++)
		junit_case(f, &e[i]);
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int e2 = errno;
		remove(tmp);
		return tc_err_set(err, TC_ERR_IO, "%s: cannot write: %s", path, strerror(e2));
	}
	return 0;
}
