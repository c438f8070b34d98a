/* The reports of one run, each format behind the same ops. */
#include <string.h>

#include "report.h"

const struct report_sink_ops *const report_sinks[] = {
	&report_sink_junit,
	&report_sink_json, &report_sink_tap,
	&report_sink_html,
	NULL,
};

const struct report_sink_ops *report_sink_find(const char *name)
{
	for (const struct report_sink_ops *const *k = report_sinks; *k; k++)
		if (strcmp((*k)->name, name) == 0)
			return *k;
	return NULL;
}

int report_set_open(struct report_set *s, const struct report_request *req, int n,
		    const struct report_run_info *info, struct tc_err *err)
{
	memset(s, 0, sizeof(*s));
	if (n > REPORT_SET_MAX) {
		tc_err_set(err, TC_ERR_USAGE, "at most %d reports in one run", REPORT_SET_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct tc_err e = {0};
		void *sink = req[i].ops->open(req[i].path, info, &e);

		if (!sink) {
			tc_err_set(err, e.code, "--%s: %s", req[i].ops->name, e.msg);
			report_set_abort(s);
			return -1;
		}
		s->req[s->n] = req[i];
		s->sink[s->n++] = sink;
	}
	return 0;
}

void report_set_add(struct report_set *s, const struct report_entry *e)
{
	for (int i = 0; i < s->n; i++)
		s->req[i].ops->add(s->sink[i], e);
}

int report_set_finish(struct report_set *s, const struct report_totals *t, struct tc_err *err)
{
	int rc = 0;

	for (int i = 0; i < s->n; i++) {
		struct tc_err e = {0};

		if (s->req[i].ops->finish(s->sink[i], t, &e) != 0 && rc == 0) {
			tc_err_set(err, e.code, "--%s: %s", s->req[i].ops->name, e.msg);
			rc = -1;
		}
	}
	s->n = 0;
	return rc;
}

void report_set_abort(struct report_set *s)
{
	for (int i = 0; i < s->n; i++)
		s->req[i].ops->abort(s->sink[i]);
	s->n = 0;
}

void report_set_discard_tmp(struct report_set *s)
{
	for (int i = 0; i < s->n; i++)
		s->req[i].ops->discard_tmp(s->sink[i]);
}
