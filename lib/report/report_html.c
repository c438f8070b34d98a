/* The HTML report: DIR/index.html, one self-contained page (inline CSS and
 * SVG, a little inline JavaScript that only filters; nothing is loaded
 * from anywhere). The summary at the top needs the totals, known only at
 * the end, so each case run's section goes to an anonymous temporary file
 * as it finishes (like report_junit.c); finish writes the head and the
 * summary, copies the sections after them, adds the state diagram and
 * commits the page (report_file.c: temporary file + rename). */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report_file.h"
#include "report_html.h"

#define DISTINCT_MAX 1024 /* filter choices kept per kind */

/* The distinct values of one kind (tags, RFC references, targets), for
 * the filters' choices. */
struct distinct {
	int n;
	char *v[DISTINCT_MAX];
};

struct report_html {
	struct report_file out;
	FILE *body; /* unlinked at creation: nothing to clean after a crash */
	char *dir; /* as given, for messages and links */
	bool made_dir; /* open created it: abort removes it again (if empty) */
	char *target, *host;
	int64_t started_unix_us;
	size_t n;
	struct distinct tags, rfcs, targets;
	struct html_states *states;
};

static void distinct_add(struct distinct *d, const char *s)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->v[i], s) == 0)
			return;
	if (d->n < DISTINCT_MAX && (d->v[d->n] = strdup(s)))
		d->n++;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void distinct_free(struct distinct *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->v[i]);
	d->n = 0;
}

static void html_free(struct report_html *h)
{
	if (h->body)
		fclose(h->body);
	distinct_free(&h->tags);
	distinct_free(&h->rfcs);
	distinct_free(&h->targets);
	html_states_free(h->states);
	free(h->dir);
	free(h->target);
	free(h->host);
	free(h);
}

/* The folder: made when missing (only its last component: a missing
 * parent is more likely a typo than a wish), refused when something else
 * is there. */
static int make_dir(struct report_html *h, const char *path, struct tc_err *err)
{
	struct stat st;

	if (path[0] == '\0' || strcmp(path, "-") == 0)
		return tc_err_set(err, TC_ERR_USAGE, "report '%s': the HTML report is a folder (DIR/index.html); "
				  "give the folder's path", path);
	if (mkdir(path, 0777) == 0) {
		h->made_dir = true;
		return 0;
	}
	if (errno == EEXIST) {
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		return tc_err_set(err, TC_ERR_IO, "report %s: exists and is not a folder", path);
	}
	if (errno == ENOENT) {
		char *copy = strdup(path);
		int rc = tc_err_set(err, TC_ERR_IO, "report %s: its parent folder %s does not exist", path,
				    copy ? dirname(copy) : "?");
		free(copy);
		return rc;
	}
	return tc_err_set(err, TC_ERR_IO, "report %s: cannot create the folder: %s", path, strerror(errno));
}

static void *html_open(const char *path, const struct report_run_info *info, struct tc_err *err)
{
	struct report_html *h = calloc(1, sizeof(*h));
	char *index = NULL;

	if (!h || !(h->dir = strdup(path)) || !(h->target = strdup(info->target)) ||
	    !(h->host = strdup(info->hostname ? info->hostname : "")) || !(h->states = html_states_new()) ||
	    asprintf(&index, "%s/index.html", path) < 0) {
		index = NULL;
		tc_err_set(err, TC_ERR_NOMEM, "report %s: out of memory", path);
		goto fail;
	}
	h->started_unix_us = info->started_unix_us;
	if (make_dir(h, path, err) != 0)
		goto fail;
	if (report_file_open(&h->out, index, err) != 0)
		goto fail_dir;
	h->body = tmpfile();
	if (!h->body) {
		tc_err_set(err, TC_ERR_IO, "report %s: no temporary file for its case runs: %s", path,
			   strerror(errno));
		report_file_abort(&h->out);
		goto fail_dir;
	}
	free(index);
	return h;
fail_dir:
	if (h->made_dir)
		rmdir(path);
fail:
	free(index);
	if (h)
		html_free(h);
	return NULL;
}

/* "|a|b|": a value is matched as "|v|", whatever characters it holds. */
static void data_list(FILE *f, const char *attr, const char *const *v, int n)
{
	fprintf(f, " data-%s=\"|", attr);
	for (int i = 0; i < n; i++) {
		html_text(f, v[i]);
		fputc('|', f);
	}
	fputc('"', f);
}

static void dd_list(FILE *f, const char *title, const char *const *v, int n)
{
	fprintf(f, "<dt>%s</dt><dd>", title);
	for (int i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		html_text(f, v[i]);
	}
	fputs(n ? "</dd>" : "none</dd>", f);
}

static void html_case(struct report_html *h, const struct report_entry *e, const char *id)
{
	FILE *f = h->body;
	const char *v = tc_verdict_name(e->verdict);
	bool failed = e->verdict == TC_FAIL || e->verdict == TC_ERROR;

	fprintf(f, "<details class=\"case %s\" id=\"%s\" data-verdict=\"%s\" data-target=\"", v, id, v);
	html_text(f, e->target);
	fputc('"', f);
	data_list(f, "tags", e->tags, e->ntags);
	data_list(f, "rfc", e->rfc, e->nrfc);
	fputs(failed ? " open>\n" : ">\n", f);
	fprintf(f, "<summary><span class=\"v %s\">%s</span> <code>", v, v);
	html_text(f, e->path);
	fprintf(f, "</code> [v%d] ", e->family);
	html_text(f, e->name);
	fputs("</summary>\n<dl>", f);
	fputs("<dt>case</dt><dd><code>", f);
	html_text(f, e->path);
	fputs("</code>", f);
	if (failed && e->failed_step >= 0)
		fprintf(f, ", step %d at line %d, column %d", e->failed_step + 1, e->failed_loc.line, e->failed_loc.col);
	fputs("</dd><dt>name</dt><dd>", f);
	html_text(f, e->name);
	fprintf(f, "</dd><dt>run</dt><dd>on ");
	html_text(f, e->target);
	fprintf(f, ", IPv%d; %.3f ms of wall time, %.3f ms of waits the case requires; ISNs: injector %u, target %u</dd>",
		e->family, (double)e->wall_us / 1000.0, (double)e->required_us / 1000.0, e->peer_isn, e->target_isn);
	dd_list(f, "RFC", e->rfc, e->nrfc);
	dd_list(f, "tags", e->tags, e->ntags);
	dd_list(f, "requirements", e->reqs, e->nreqs);
	if (e->known_deviation)
		fputs("<dt>known deviation</dt><dd>the failure this case records for this target</dd>", f);
	if (e->pcap_path && e->pcap_path[0]) {
		char href[4096 * 3 + 16];

		html_local_href(href, sizeof(href), h->dir, e->pcap_path);
		fputs("<dt>pcap</dt><dd>", f);
		if (href[0]) {
			fputs("<a href=\"", f);
			html_text(f, href);
			fputs("\">", f);
		}
		html_text(f, e->pcap_path);
		fputs(href[0] ? "</a></dd>" : "</dd>", f);
	}
	fputs("</dl>\n", f);
	if (e->msg && e->msg[0] && failed) {
		/* the summary in sight; the rest (the last segments) is what the
		 * ladder draws, so it waits behind a click */
		fputs("<p class=\"why\">", f);
		html_textn(f, e->msg, strcspn(e->msg, "\n"), false);
		fputs("</p>\n<details class=\"msg\"><summary>the engine's message</summary><pre class=\"msg\">", f);
		html_textn(f, e->msg, strlen(e->msg), true);
		fputs("</pre></details>\n", f);
	} else if (e->msg && e->msg[0]) {
		fputs("<pre class=\"msg\">", f);
		html_textn(f, e->msg, strlen(e->msg), true);
		fputs("</pre>\n", f);
	}
	if (e->nevents || e->nmarks || failed)
		html_ladder(f, e);
	if (e->log && e->log[0]) {
		fputs("<details class=\"log\"><summary>step trace</summary><pre>", f);
		html_textn(f, e->log, strlen(e->log), true);
		fputs("</pre></details>\n", f);
	}
	fputs("</details>\n", f);
}

static void html_add(void *sink, const struct report_entry *e)
{
	struct report_html *h = sink;
	char id[1024];

	h->n++;
	html_case_id(id, sizeof(id), e->path, e->family);
	for (int i = 0; i < e->ntags; i++)
		distinct_add(&h->tags, e->tags[i]);
	for (int i = 0; i < e->nrfc; i++) {
		char rfc[32];

		distinct_add(&h->rfcs, e->rfc[i]);
		/* the RFC alone too ("9293"), so one choice takes all its sections */
		snprintf(rfc, sizeof(rfc), "%.*s", (int)strcspn(e->rfc[i], " "), e->rfc[i]);
		distinct_add(&h->rfcs, rfc);
	}
	distinct_add(&h->targets, e->target);
	html_case(h, e, id);
	html_states_add(h->states, e, id);
}

static const char page_css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1280px;padding:0 16px;color:#212121}"
	"h1{font-size:22px}h2{border-bottom:2px solid #ddd;padding-bottom:4px}"
	"code,pre,svg text{font-family:ui-monospace,'DejaVu Sans Mono',monospace}"
	"table.summary td,table.summary th{text-align:left;padding:2px 12px 2px 0}"
	".v{display:inline-block;min-width:48px;text-align:center;font-weight:bold;border-radius:3px;color:#fff}"
	".v.PASS{background:#2e7d32}.v.FAIL{background:#c62828}.v.SKIP{background:#757575}.v.ERROR{background:#6a1b9a}"
	"details.case{border:1px solid #ddd;border-radius:4px;margin:6px 0;padding:4px 8px}"
	"details.case.FAIL,details.case.ERROR{border-color:#c62828}"
	"details.case>summary{cursor:pointer}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:0 12px}dt{font-weight:bold}dd{margin:0}"
	"pre.msg{background:#fafafa;border-left:3px solid #bbb;padding:6px;overflow-x:auto;white-space:pre-wrap}"
	"details.FAIL pre.msg,details.ERROR pre.msg{border-left-color:#c62828}"
	"p.why{color:#c62828;font-weight:bold;font-family:ui-monospace,'DejaVu Sans Mono',monospace}"
	"svg text{font-size:11px}svg .col{font-weight:bold;font-size:13px}"
	".ladder .life{stroke:#616161;stroke-width:2}"
	".ladder .seg line{stroke:#1565c0;stroke-width:1.5}.ladder .seg .lbl{fill:#0d47a1}"
	".ladder .seg.from-target line{stroke:#37474f}.ladder .seg.from-target .lbl{fill:#263238}"
	".ladder .t{fill:#757575}.ladder .mark circle{fill:#ef6c00;stroke:none}.ladder .mk{fill:#e65100}"
	".ladder .bracket{fill:none;stroke:#ef6c00;stroke-width:2}.ladder .bracket.silence{stroke-dasharray:4 3}"
	".ladder .break rect{fill:#fff;stroke:none}.ladder .break path{stroke:#616161;fill:none}"
	".ladder .break text{fill:#424242;font-style:italic}"
	".ladder .failed-step line,.ladder .failed-step path{stroke:#c62828;stroke-width:2.5}"
	".ladder .failed-step text,.ladder .failed-step .lbl,.ladder .failed-step .mk{fill:#c62828;font-weight:bold}"
	".ladder .seg.failed-step line{stroke:#c62828}.ladder .seg.failed-step .lbl{fill:#c62828}"
	".ladder .failed-step circle{fill:#c62828}.ladder .failed-step text{stroke:none}"
	".ladder .failure-note rect{fill:#ffebee;stroke:#c62828}.ladder .failure-note text{stroke:none}"
	".fsm .state rect{fill:#e3f2fd;stroke:#1565c0;stroke-width:1.5}.fsm .state text{font-size:13px;font-weight:bold}"
	".fsm .state.failed-in rect{stroke:#c62828;stroke-width:3}"
	".fsm .arrow polyline{fill:none;stroke-width:2.5}.fsm .arrow.reset polyline{stroke-dasharray:7 4}"
	".fsm .passed polyline{stroke:#2e7d32}.fsm .failed polyline{stroke:#c62828;stroke-width:3.5}"
	".fsm .unexercised polyline{stroke:#bdbdbd}.fsm .arrow text{fill:#424242}"
	".fsm .failed text{fill:#c62828;font-weight:bold}.fsm .passed text{fill:#1b5e20}"
	".fsm a:hover polyline{stroke-width:5}"
	".key{padding:1px 6px;border-radius:3px;color:#fff}.key.passed{background:#2e7d32}"
	".key.failed{background:#c62828}.key.unexercised{background:#9e9e9e}"
	"table.arrows{border-collapse:collapse}table.arrows td,table.arrows th{border:1px solid #ddd;padding:2px 6px;"
	"text-align:left;vertical-align:top}table.arrows tr.failed td:nth-child(3){color:#c62828;font-weight:bold}"
	"table.arrows tr.passed td:nth-child(3){color:#2e7d32}a.fail{color:#c62828}"
	"#filters{background:#f5f5f5;padding:6px 10px;border-radius:4px}#filters label{margin-right:10px}"
	"nav a{margin-right:16px}";

/* Filtering and switching between the two views only: without it the
 * page shows everything, one view after the other. */
static const char page_js[] =
	"(function(){var f=document.getElementById('filters'),cases=document.getElementById('cases'),"
	"states=document.getElementById('states');"
	/* two views, one at a time: the state diagram for #states and its
	 * arrows' rows, the case runs for anything else */
	"function view(){var h=decodeURIComponent(location.hash.slice(1));"
	"var st=h==='states'||h.indexOf('arrow-')===0||h.indexOf('in-')===0;"
	"states.hidden=!st;cases.hidden=st;f.hidden=st;var el=h&&document.getElementById(h);"
	"if(h==='states')window.scrollTo(0,0);else if(el){if(el.tagName==='DETAILS')el.open=true;el.scrollIntoView();}}"
	"function has(list,v){if(!v)return true;var p=list.split('|');for(var i=0;i<p.length;i++){var x=p[i];"
	"if(x&&(x===v||x.indexOf(v+' ')===0||x.indexOf(v+'.')===0))return true;}return false;}"
	"function apply(){var on={};f.querySelectorAll('input[name=verdict]').forEach(function(c){on[c.value]=c.checked;});"
	"var n=0;document.querySelectorAll('details.case').forEach(function(s){var d=s.dataset;"
	"var ok=on[d.verdict]&&has(d.tags,f.tag.value)&&has(d.rfc,f.rfc.value)&&(!f.target.value||d.target===f.target.value);"
	"s.hidden=!ok;if(ok)n++;});document.getElementById('shown').textContent=n;}"
	"f.addEventListener('change',apply);window.addEventListener('hashchange',view);"
	/* again once loaded: the browser's own jump to the fragment comes
	 * after this script and would leave the view scrolled past its top */
	"window.addEventListener('load',view);apply();view();})();";

static void select_of(FILE *f, const char *name, const char *title, struct distinct *d)
{
	qsort(d->v, (size_t)d->n, sizeof(d->v[0]), str_cmp);
	fprintf(f, "<label>%s <select name=\"%s\"><option value=\"\">any</option>", title, name);
	for (int i = 0; i < d->n; i++) {
		fputs("<option value=\"", f);
		html_text(f, d->v[i]);
		fputs("\">", f);
		html_text(f, d->v[i]);
		fputs("</option>", f);
	}
	fputs("</select></label>\n", f);
}

static int64_t now_unix_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void page_head(FILE *f, struct report_html *h, const struct report_totals *t)
{
	static const char *const verdicts[] = {"PASS", "FAIL", "SKIP", "ERROR"};
	time_t start = (time_t)(h->started_unix_us / 1000000);
	struct tm tm;
	char when[64] = "?";

	if (gmtime_r(&start, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>tcpconform: ",
	      f);
	html_text(f, h->target);
	fputs(" on ", f);
	html_text(f, h->host);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", page_css);
	/* the arrowheads every diagram on the page uses */
	fputs("<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>", f);
	static const struct {
		const char *id, *colour;
	} heads[] = {{"seg", "#1565c0"}, {"failed", "#c62828"}, {"passed", "#2e7d32"}, {"unexercised", "#bdbdbd"}};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		fprintf(f, "<marker id=\"head-%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"10\" "
			   "markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0 0 L10 5 L0 10 z\" fill=\"%s\"/></marker>",
			heads[i].id, heads[i].colour);
	fputs("</defs></svg>\n<header>\n<h1>tcpconform report</h1>\n<table class=\"summary\">\n<tr><th>target</th><td>",
	      f);
	html_text(f, h->target);
	fputs("</td></tr>\n<tr><th>host</th><td>", f);
	html_text(f, h->host);
	fprintf(f, "</td></tr>\n<tr><th>started</th><td>%s</td></tr>\n", when);
	fprintf(f, "<tr><th>wall time</th><td>%.3f s</td></tr>\n",
		(double)(now_unix_us() - h->started_unix_us) / 1e6);
	fprintf(f, "<tr><th>case runs</th><td id=\"totals\">%zu: <span class=\"v PASS\">%u</span> passed, "
		   "<span class=\"v FAIL\">%u</span> failed, <span class=\"v SKIP\">%u</span> skipped, "
		   "<span class=\"v ERROR\">%u</span> errors</td></tr>\n</table>\n",
		h->n, t->passed, t->failed, t->skipped, t->errored);
	fputs("<nav><a href=\"#cases\">Case runs</a><a href=\"#states\">State diagram</a></nav>\n", f);
	fputs("<form id=\"filters\" hidden>\n", f);
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		fprintf(f, "<label><input type=\"checkbox\" name=\"verdict\" value=\"%s\" checked> %s</label>\n",
			verdicts[i], verdicts[i]);
	select_of(f, "tag", "tag", &h->tags);
	select_of(f, "rfc", "RFC", &h->rfcs);
	select_of(f, "target", "target", &h->targets);
	fprintf(f, "<span><span id=\"shown\">%zu</span> of %zu shown</span>\n</form>\n", h->n, h->n);
	fputs("<noscript><p>Filtering needs JavaScript; every case run is shown.</p></noscript>\n</header>\n", f);
	fprintf(f, "<main>\n<section id=\"cases\">\n<h2>Case runs (%zu)</h2>\n", h->n);
}

static int html_finish(void *sink, const struct report_totals *totals, struct tc_err *err)
{
	struct report_html *h = sink;
	FILE *f = h->out.f;
	char buf[65536];
	size_t n;
	int e = 0;

	if (fflush(h->body) != 0 || ferror(h->body))
		e = errno ? errno : EIO;
	else if (fseek(h->body, 0, SEEK_SET) != 0)
		e = errno;
	if (e) {
		tc_err_set(err, TC_ERR_IO, "report %s: cannot keep its case runs in a temporary file: %s", h->dir,
			   strerror(e));
		report_file_abort(&h->out);
		html_free(h);
		return -1;
	}
	page_head(f, h, totals);
	while ((n = fread(buf, 1, sizeof(buf), h->body)) > 0)
		if (fwrite(buf, 1, n, f) != n)
			break;
	fputs("</section>\n", f);
	html_states_write(f, h->states);
	fprintf(f, "</main>\n<script>%s</script>\n</body>\n</html>\n", page_js);
	/* a short write leaves the stream's error set: commit reports it */
	int rc = report_file_commit(&h->out, err);
	html_free(h);
	return rc;
}

static void html_abort(void *sink)
{
	struct report_html *h = sink;

	if (!h)
		return;
	report_file_abort(&h->out);
	if (h->made_dir)
		rmdir(h->dir); /* only when empty: never anything someone put there */
	html_free(h);
}

static void html_discard_tmp(void *sink)
{
	struct report_html *h = sink;

	if (!h)
		return;
	if (h->out.tmp)
		unlink(h->out.tmp);
	if (h->made_dir)
		rmdir(h->dir);
}

const struct report_sink_ops report_sink_html = {
	.name = "html",
	.arg = "DIR",
	.help = "an HTML report: DIR/index.html (ladders, state diagram)",
	.needs_exchange = true,
	.open = html_open,
	.add = html_add,
	.finish = html_finish,
	.abort = html_abort,
	.discard_tmp = html_discard_tmp,
};
