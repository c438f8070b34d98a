/* JSON Lines as the run goes (docs/reports.md, docs/report.schema.json):
 * a "run" line when the report opens, a "case" line per case run as it
 * finishes, a "totals" line at the end. Each line is flushed as written,
 * so a reader on a FIFO or on standard output follows the run live; a
 * regular file is renamed into place whole at the end (report_file.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "report_file.h"
#include "report_quote.h"

/* MAJOR.MINOR: additive changes bump MINOR, anything a reader of an
 * older MINOR could trip over bumps MAJOR (docs/reports.md). */
#define REPORT_JSON_SCHEMA "1.0"

struct report_json {
	struct report_file out;
	int64_t started_unix_us;
};

static int64_t now_unix_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "2024-05-01T12:34:56.123456Z", or null for an unknown time (0). */
static void put_time(FILE *f, int64_t unix_us)
{
	time_t sec = (time_t)(unix_us / 1000000);
	struct tm tm;
	char buf[40];

	if (unix_us <= 0 || !gmtime_r(&sec, &tm)) {
		fputs("null", f);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "\"%s.%06dZ\"", buf, (int)(unix_us % 1000000));
}

static void put_str_or_null(FILE *f, const char *s)
{
	if (s && *s)
		report_json_str(f, s);
	else
		fputs("null", f);
}

static void put_list(FILE *f, const char *const *v, int n)
{
	fputc('[', f);
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		report_json_str(f, v[i]);
	}
	fputc(']', f);
}

/* A 0-based step, or -1 for none, as the 1-based number messages use. */
static void put_step(FILE *f, int step)
{
	if (step >= 0)
		fprintf(f, "%d", step + 1);
	else
		fputs("null", f);
}

static void put_ms(FILE *f, uint64_t us)
{
	fprintf(f, "%llu.%03u", (unsigned long long)(us / 1000), (unsigned)(us % 1000));
}

/* seq and ack counted from the sender's and the receiver's ISN, as a case
 * writes them: the injector's segments count seq from peer_isn and ack
 * from target_isn, the target's the other way round. Without the ACK flag
 * the ack field means nothing (RFC 9293 3.1), and counted from an ISN it
 * would look like a number that does: it is null, the raw field stays in
 * ack_abs. */
static void put_segment(FILE *f, const struct report_entry *e, const struct report_event *ev)
{
	uint32_t seq0 = ev->from_target ? e->target_isn : e->peer_isn;
	uint32_t ack0 = ev->from_target ? e->peer_isn : e->target_isn;
	char flags[16];

	fprintf(f, "{\"from\":\"%s\",\"step\":", ev->from_target ? "target" : "injector");
	put_step(f, ev->step);
	fputs(",\"at_ms\":", f);
	put_ms(f, ev->at_us);
	fprintf(f, ",\"flags\":\"%s\",\"seq\":%u,\"ack\":", seg_flags_format(ev->flags, flags, sizeof(flags)),
		(unsigned)(uint32_t)(ev->seq - seq0));
	if (ev->flags & SEG_ACK)
		fprintf(f, "%u", (unsigned)(uint32_t)(ev->ack - ack0));
	else
		fputs("null", f);
	fprintf(f, ",\"seq_abs\":%u,\"ack_abs\":%u,\"win\":%u,\"len\":%u,\"text\":", (unsigned)ev->seq,
		(unsigned)ev->ack, (unsigned)ev->win, (unsigned)ev->len);
	report_json_str(f, ev->text);
	fputc('}', f);
}

static void put_mark(FILE *f, const struct report_mark *m)
{
	fputs("{\"step\":", f);
	put_step(f, m->step);
	fprintf(f, ",\"kind\":\"%s\",\"start_ms\":", tc_step_kind_name(m->kind));
	put_ms(f, m->start_us);
	fputs(",\"end_ms\":", f);
	put_ms(f, m->end_us);
	fputs(",\"text\":", f);
	report_json_str(f, m->text);
	fputc('}', f);
}

static void put_case(FILE *f, const struct report_entry *e)
{
	const char *msg = e->msg ? e->msg : "";
	size_t first = strcspn(msg, "\n");
	char *summary = strndup(msg, first);

	fputs("{\"kind\":\"case\",\"schema_version\":\"" REPORT_JSON_SCHEMA "\",\"path\":", f);
	report_json_str(f, e->path);
	fputs(",\"name\":", f);
	report_json_str(f, e->name);
	fprintf(f, ",\"family\":%d,\"target\":", e->family);
	report_json_str(f, e->target);
	fprintf(f, ",\"verdict\":\"%s\",\"known_deviation\":%s,\"rfc\":", tc_verdict_name(e->verdict),
		e->known_deviation ? "true" : "false");
	put_list(f, e->rfc, e->nrfc);
	fputs(",\"requirements\":", f);
	put_list(f, e->reqs, e->nreqs);
	fputs(",\"tags\":", f);
	put_list(f, e->tags, e->ntags);
	fprintf(f, ",\"steps\":%d,\"failed_step\":", e->nsteps);
	put_step(f, e->failed_step);
	fputs(",\"location\":", f);
	if (e->failed_step >= 0) {
		fputs("{\"file\":", f);
		report_json_str(f, e->path);
		fprintf(f, ",\"line\":%d,\"col\":%d}", e->failed_loc.line, e->failed_loc.col);
	} else {
		fputs("null", f);
	}
	fputs(",\"message\":", f);
	report_json_str(f, msg);
	fputs(",\"first_line\":", f);
	/* out of memory for the copy: the whole message still went out above */
	report_json_str(f, summary ? summary : "");
	free(summary);
	fputs(",\"pcap\":", f);
	put_str_or_null(f, e->pcap_path);
	fprintf(f, ",\"wall_time_s\":%.6f,\"required_wait_s\":%.6f,\"started\":", (double)e->wall_us / 1e6,
		(double)e->required_us / 1e6);
	put_time(f, e->started_unix_us);
	fprintf(f, ",\"isn\":{\"injector\":%u,\"target\":%u}", (unsigned)e->peer_isn, (unsigned)e->target_isn);
	fputs(",\"exchange\":{\"segments\":[", f);
	for (int i = 0; i < e->nevents; i++) {
		if (i)
			fputc(',', f);
		put_segment(f, e, &e->events[i]);
	}
	fputs("],\"marks\":[", f);
	for (int i = 0; i < e->nmarks; i++) {
		if (i)
			fputc(',', f);
		put_mark(f, &e->marks[i]);
	}
	fputs("]}}\n", f);
}

static void *json_open(const char *path, const struct report_run_info *info, struct tc_err *err)
{
	struct report_json *j = calloc(1, sizeof(*j));

	if (!j) {
		tc_err_set(err, TC_ERR_NOMEM, "report %s: out of memory", path);
		return NULL;
	}
	if (report_file_open(&j->out, path, err) != 0) {
		free(j);
		return NULL;
	}
	j->started_unix_us = info->started_unix_us;

	FILE *f = j->out.f;

	fputs("{\"kind\":\"run\",\"schema_version\":\"" REPORT_JSON_SCHEMA "\",\"tool\":\"tcpconform\",\"tool_version\":", f);
	put_str_or_null(f, info->version);
	fputs(",\"target\":", f);
	report_json_str(f, info->target);
	fputs(",\"hostname\":", f);
	put_str_or_null(f, info->hostname);
	fputs(",\"started\":", f);
	put_time(f, info->started_unix_us);
	fputs("}\n", f);
	fflush(f);
	return j;
}

static void json_add(void *sink, const struct report_entry *e)
{
	struct report_json *j = sink;

	put_case(j->out.f, e);
	/* a write error stays on the stream: commit reports it */
	fflush(j->out.f);
}

static int json_finish(void *sink, const struct report_totals *t, struct tc_err *err)
{
	struct report_json *j = sink;
	FILE *f = j->out.f;
	int64_t now = now_unix_us();
	int64_t spent = now > j->started_unix_us ? now - j->started_unix_us : 0;

	fprintf(f,
		"{\"kind\":\"totals\",\"schema_version\":\"" REPORT_JSON_SCHEMA "\",\"cases\":%u,\"passed\":%u,"
		"\"failed\":%u,\"skipped\":%u,\"errored\":%u,\"wall_time_s\":%.6f,\"finished\":",
		t->passed + t->failed + t->skipped + t->errored, t->passed, t->failed, t->skipped, t->errored,
		(double)spent / 1e6);
	put_time(f, now);
	fputs("}\n", f);
	int rc = report_file_commit(&j->out, err);
	free(j);
	return rc;
}

static void json_abort(void *sink)
{
	struct report_json *j = sink;

	if (!j)
		return;
	report_file_abort(&j->out);
	free(j);
}

static void json_discard_tmp(void *sink)
{
	struct report_json *j = sink;

	if (j && j->out.tmp)
		unlink(j->out.tmp);
}

const struct report_sink_ops report_sink_json = {
	.name = "json",
	.arg = "FILE",
	.help = "JSON Lines: a line per case run (docs/reports.md)",
	.needs_exchange = true,
	.open = json_open,
	.add = json_add,
	.finish = json_finish,
	.abort = json_abort,
	.discard_tmp = json_discard_tmp,
};
