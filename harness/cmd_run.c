/* `tcpconform run`: load every case first (a bad case stops the run before
 * anything is sent), then run each on the target for each family. */
#include "cmd_run.h"

#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/casefile/casefile.h"
#include "../lib/engine/engine.h"
#include "../lib/report/report.h"
#include "../lib/report/report_flip.h"
#include "../lib/target/target.h"
#include "cases_dir.h"
#include "discover.h"
#include "run_opts.h"
#include "signals.h"

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A per-target expectation or deviation for a target this build does not
 * know is most likely a typo that would silently never apply. */
static bool known_target(const char *name)
{
	return target_name_known(name);
}

static int check_target_names(const struct tc_case *c, struct tc_err *err)
{
	for (int k = 0; k < c->ndeviations; k++)
		if (!known_target(c->deviations[k].target))
			return tc_err_set(err, TC_ERR_CASE, "%s:%d:%d: deviations: unknown target '%s' (tcpconform list-targets)",
					  c->path, c->deviations[k].loc.line, c->deviations[k].loc.col,
					  c->deviations[k].target);
	for (int k = 0; k < c->nskips; k++)
		if (!known_target(c->skips[k].target))
			return tc_err_set(err, TC_ERR_CASE, "%s:%d:%d: skip: unknown target '%s' (tcpconform list-targets)",
					  c->path, c->skips[k].loc.line, c->skips[k].loc.col, c->skips[k].target);
	/* a step may also differ per IP version (`on: v6:`), a case may not */
	for (int i = 0; i < c->nsteps; i++)
		for (int k = 0; k < c->steps[i].novr; k++)
			if (!known_target(c->steps[i].ovr[k].target) && strcmp(c->steps[i].ovr[k].target, "v4") != 0 &&
			    strcmp(c->steps[i].ovr[k].target, "v6") != 0)
				return tc_err_set(err, TC_ERR_CASE, "%s:%d:%d: on: unknown target '%s' (tcpconform list-targets; or v4, v6)",
						  c->path, c->steps[i].ovr[k].loc.line, c->steps[i].ovr[k].loc.col,
						  c->steps[i].ovr[k].target);
	return 0;
}

/* What the run keeps of a case between its check and its runs: the
 * file's bytes (each run parses them again, so a run of thousands of
 * cases holds kilobytes per case, not a 50 KiB struct tc_case; the same
 * bytes give the same case, whatever happens to the file meanwhile) and
 * what the reports and the planning need. */
struct case_ref {
	char *path, *name;
	char *text;
	size_t len;
	int nrfc;
	char *rfc[TC_MAX_RFC];
	int ntags, nreqs, nsteps;
	char *tags[TC_MAX_TAGS];
	char *reqs[TC_MAX_REQS];
	uint64_t demand_us; /* engine_case_demand_us on the target's default profile */
};

static void case_ref_free(struct case_ref *cr)
{
	free(cr->path);
	free(cr->name);
	free(cr->text);
	for (int i = 0; i < cr->nrfc; i++)
		free(cr->rfc[i]);
	for (int i = 0; i < cr->ntags; i++)
		free(cr->tags[i]);
	for (int i = 0; i < cr->nreqs; i++)
		free(cr->reqs[i]);
	memset(cr, 0, sizeof(*cr));
}

static int case_ref_fill(struct case_ref *cr, const char *path, char *text, size_t len,
			 const struct tc_case *c, const struct tc_target_ops *target)
{
	memset(cr, 0, sizeof(*cr));
	cr->text = text;
	cr->len = len;
	cr->path = strdup(path);
	cr->name = strdup(c->name);
	for (int i = 0; i < c->nrfc; i++) {
		cr->rfc[i] = strdup(c->rfc[i]);
		if (cr->rfc[i])
			cr->nrfc = i + 1;
	}
	for (int i = 0; i < c->ntags; i++) {
		cr->tags[i] = strdup(c->tags[i]);
		if (cr->tags[i])
			cr->ntags = i + 1;
	}
	for (int i = 0; i < c->nreqs; i++) {
		cr->reqs[i] = strdup(c->reqs[i]);
		if (cr->reqs[i])
			cr->nreqs = i + 1;
	}
	cr->nsteps = c->nsteps;
	cr->demand_us = engine_case_demand_us(c, target->name, target->default_profile());
	if (!cr->path || !cr->name || cr->nrfc != c->nrfc || cr->ntags != c->ntags || cr->nreqs != c->nreqs) {
		case_ref_free(cr);
		return -1;
	}
	return 0;
}

static void case_refs_free(struct case_ref *cases, size_t n)
{
	for (size_t i = 0; cases && i < n; i++)
		case_ref_free(&cases[i]);
	free(cases);
}

/* Load every case; report every bad one (not only the first) so a person
 * fixes them in one go. */
static int load_all(const struct case_list *files, const struct run_opts *o,
		    const struct tc_target_ops *target, struct case_ref **out, size_t *nout)
{
	struct case_ref *cases = calloc(files->n ? files->n : 1, sizeof(*cases));
	size_t n = 0;
	int bad = 0;

	if (!cases) {
		fprintf(stderr, "tcpconform: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < files->n; i++) {
		struct tc_err err = {0};
		struct tc_case c;
		char *text = NULL;
		size_t len = 0;

		if (casefile_read(files->paths[i], &text, &len, &err) != 0 ||
		    casefile_load_string(text, len, files->paths[i], &c, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			free(text);
			bad++;
			continue;
		}
		if (check_target_names(&c, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			casefile_free(&c);
			free(text);
			bad++;
			continue;
		}
		if (!run_opts_selected(o, &c)) {
			casefile_free(&c);
			free(text);
			continue;
		}
		if (case_ref_fill(&cases[n], files->paths[i], text, len, &c, target) != 0) {
			casefile_free(&c);
			case_refs_free(cases, n);
			fprintf(stderr, "tcpconform: out of memory\n");
			return -1;
		}
		casefile_free(&c);
		n++;
	}
	if (bad) {
		case_refs_free(cases, n);
		fprintf(stderr, "tcpconform: %d bad case file%s; nothing was run\n", bad, bad == 1 ? "" : "s");
		return -1;
	}
	*out = cases;
	*nout = n;
	return 0;
}

static int list_faults(const struct tc_target_ops *t)
{
	if (!t->faults) {
		fprintf(stderr, "tcpconform run: target %s has no seeded faults\n", t->name);
		return 2;
	}
	for (const char *const *f = t->faults(); *f; f++)
		printf("%s\n", *f);
	return 0;
}

/* A case run's result as the reports need it: a few hundred bytes where
 * struct engine_result is a quarter of a megabyte, held only until the
 * console's order reaches it. */
struct finished {
	enum tc_verdict verdict;
	bool known_deviation;
	int failed_step;
	struct tc_loc failed_loc;
	uint64_t required_us, wall_us;
	int64_t started_unix_us;
	uint32_t peer_isn, target_isn;
	char *msg, *log, *pcap;
	int nevents, nmarks;
	struct report_event *events; /* only when a report draws the exchange */
	struct report_mark *marks;
};

static void finished_free(struct finished *f)
{
	if (!f)
		return;
	free(f->msg);
	free(f->log);
	free(f->pcap);
	free(f->events);
	free(f->marks);
	free(f);
}

static int64_t unix_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The exchange in the few hundred bytes per segment the reports show. */
static void keep_exchange(struct finished *f, const struct engine_result *r)
{
	f->events = r->nevents ? calloc((size_t)r->nevents, sizeof(*f->events)) : NULL;
	f->marks = r->nmarks ? calloc((size_t)r->nmarks, sizeof(*f->marks)) : NULL;
	if (f->events)
		f->nevents = r->nevents;
	if (f->marks)
		f->nmarks = r->nmarks;
	for (int i = 0; i < f->nevents; i++) {
		const struct engine_event *ev = &r->events[i];
		struct report_event *re = &f->events[i];

		re->from_target = ev->from_target;
		re->step = ev->step;
		re->at_us = ev->at_us;
		re->flags = ev->seg.flags;
		re->win = ev->seg.win;
		re->len = ev->seg.len;
		re->seq = ev->seg.seq;
		re->ack = ev->seg.ack;
		seg_format(&ev->seg, re->text, sizeof(re->text));
	}
	for (int i = 0; i < f->nmarks; i++) {
		const struct engine_mark *m = &r->marks[i];

		f->marks[i] = (struct report_mark){.step = m->step, .kind = m->kind,
						   .start_us = m->start_us, .end_us = m->end_us};
		snprintf(f->marks[i].text, sizeof(f->marks[i].text), "%s", m->text);
	}
}

/* The runs of a suite, shared by the worker threads: each takes the next
 * run, the main thread reports them in order as they complete. */
struct pool {
	const struct run_opts *o;
	bool keep_exchange; /* a report draws every exchange */
	const struct tc_target_ops *target;
	struct tc_target_run *run;
	struct case_ref *cases;
	/* run k is repetition k / nper of case run k % nper: case
	 * (k % nper) / nfamilies on family (k % nper) % nfamilies */
	size_t nper, nruns;
	enum tc_verdict *verdicts; /* main thread: each run's verdict, for the flips */
	struct finished **fin; /* under mu: a finished run not reported yet */
	bool *done; /* under mu */
	size_t *order; /* the order workers take runs in: longest first */
	size_t next; /* under mu */
	bool stopping; /* under mu: a signal or a broken stdout ends the run */
	/* under mu: the target said the run cannot go on (target_run_broken) */
	char broken[TC_ERR_MSG_MAX];
	unsigned busy; /* under mu: workers inside a case run */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct worker {
	struct pool *pool;
	unsigned id;
	pthread_t thread;
	struct engine_result *r; /* reused from run to run */
};

static const struct case_ref *case_of(const struct pool *p, size_t k)
{
	return &p->cases[(k % p->nper) / (size_t)p->o->nfamilies];
}

static int family_of(const struct pool *p, size_t k)
{
	return p->o->families[(k % p->nper) % (size_t)p->o->nfamilies];
}

static struct finished *run_one(struct pool *p, size_t k, struct worker *w)
{
	const struct run_opts *o = p->o;
	const struct case_ref *cr = case_of(p, k);
	int family = family_of(p, k);
	struct engine_opts eo = {
		.run = p->run, .family = family,
		.trace = o->verbose, .pcap_dir = o->pcap_dir, .worker = w->id,
		.pcap_when = o->pcap_when, .pcap_format = o->pcap_format,
		.run_index = (unsigned)k,
	};
	struct finished *f = calloc(1, sizeof(*f));
	struct engine_result *r = w->r;
	struct tc_err err = {0};
	struct tc_case c;
	uint64_t t0 = wall_us();

	if (!f)
		return NULL;
	f->failed_step = -1;
	f->started_unix_us = unix_us();
	if (casefile_load_string(cr->text, cr->len, cr->path, &c, &err) != 0) {
		/* the bytes loaded once already: only memory can fail here */
		f->verdict = TC_ERROR;
		f->msg = strdup(err.msg);
	} else {
		engine_run(&c, &eo, r);
		f->verdict = r->verdict;
		f->known_deviation = r->known_deviation;
		f->peer_isn = r->peer_isn;
		f->target_isn = r->target_isn;
		if (p->keep_exchange)
			keep_exchange(f, r);
		f->failed_step = r->failed_step;
		if (r->failed_step >= 0 && r->failed_step < c.nsteps)
			f->failed_loc = c.steps[r->failed_step].loc;
		f->required_us = r->required_us;
		f->msg = strdup(r->msg);
		f->log = r->log;
		r->log = NULL;
		if (r->pcap_path[0])
			f->pcap = strdup(r->pcap_path);
		engine_result_free(r);
		casefile_free(&c);
	}
	f->wall_us = wall_us() - t0;
	return f;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t next = p->stopping ? p->nruns : p->next++;
		if (next < p->nruns)
			p->busy++;
		pthread_mutex_unlock(&p->mu);
		if (next >= p->nruns)
			return NULL;
		size_t k = p->order[next];
		struct finished *f = run_one(p, k, w);
		char why[TC_ERR_MSG_MAX];
		bool broken = target_run_broken(p->run, why, sizeof(why));
		pthread_mutex_lock(&p->mu);
		p->fin[k] = f;
		p->done[k] = true;
		if (broken && !p->broken[0]) {
			snprintf(p->broken, sizeof(p->broken), "%s", why);
			p->stopping = true;
		}
		p->busy--;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Under p->mu. */
static size_t count_done(struct pool *p)
{
	size_t n = 0;
	for (size_t k = 0; k < p->nruns; k++)
		n += p->done[k];
	return n;
}

/* Longest first: on a real-time target the run then ends about when its
 * longest case does, however the rest are spread over the workers. */
static int by_demand_desc(const void *a, const void *b, void *arg)
{
	const struct pool *p = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint64_t dx = case_of(p, x)->demand_us, dy = case_of(p, y)->demand_us;

	if (dx != dy)
		return dx < dy ? 1 : -1;
	return x < y ? -1 : x > y;
}

/* How many workers, and in which order they take the runs. */
static void plan_runs(const struct run_opts *o, const struct tc_target_ops *target, struct pool *p,
		      unsigned *jobs_out)
{
	uint64_t sum = 0, longest = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned jobs;

	for (size_t k = 0; k < p->nruns; k++) {
		uint64_t d = case_of(p, k)->demand_us;

		sum += d;
		if (d > longest)
			longest = d;
		p->order[k] = k;
	}
	if (target->real_time)
		qsort_r(p->order, p->nruns, sizeof(*p->order), by_demand_desc, p);
	if (o->jobs)
		jobs = o->jobs;
	else
		jobs = target_default_jobs(target, ncpu > 0 ? (unsigned)ncpu : 1, p->nruns, sum, longest);
	if (jobs > p->nruns)
		jobs = (unsigned)p->nruns;
	*jobs_out = jobs;
}

/* The signal thread's way into the run (signals.h). */
struct run_ctx {
	struct pool *pool; /* NULL until the run starts */
	struct report_set reports;
};

static void pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void on_stop(void *arg)
{
	pool_stop(((struct run_ctx *)arg)->pool);
}

static void on_abandon(void *arg)
{
	report_set_discard_tmp(&((struct run_ctx *)arg)->reports);
}

/* The console and the reports of one case run, then its memory goes.
 * Returns the errno of a failed write to stdout, 0 when it went out. */
static int report_one(const struct run_opts *o, struct pool *p, size_t k, struct finished *f,
		      struct report_totals *tot, struct report_set *reports, bool console)
{
	const struct case_ref *cr = case_of(p, k);
	struct report_entry e = {
		.path = cr->path, .name = cr->name, .rfc = (const char *const *)cr->rfc, .nrfc = cr->nrfc,
		.tags = (const char *const *)cr->tags, .ntags = cr->ntags,
		.reqs = (const char *const *)cr->reqs, .nreqs = cr->nreqs, .nsteps = cr->nsteps,
		.target = p->target->name,
		.family = family_of(p, k),
		.verdict = f ? f->verdict : TC_ERROR, .failed_step = f ? f->failed_step : -1,
		.msg = f && f->msg ? f->msg : "the harness ran out of memory keeping this result",
	};
	int e_out = 0;

	if (f) {
		e.failed_loc = f->failed_loc;
		e.log = f->log;
		e.pcap_path = f->pcap;
		e.required_us = f->required_us;
		e.wall_us = f->wall_us;
		e.known_deviation = f->known_deviation;
		e.started_unix_us = f->started_unix_us;
		e.peer_isn = f->peer_isn;
		e.target_isn = f->target_isn;
		e.events = f->events;
		e.nevents = f->nevents;
		e.marks = f->marks;
		e.nmarks = f->nmarks;
	}
	report_count(tot, e.verdict);
	p->verdicts[k] = e.verdict;
	report_set_add(reports, &e);
	if (console && o->repeat > 1 && !o->quiet && k % p->nper == 0)
		printf("tcpconform: repetition %zu of %u\n", k / p->nper + 1, o->repeat);
	if (console && (!o->quiet || e.verdict == TC_FAIL || e.verdict == TC_ERROR)) {
		report_console_entry_color(stdout, &e, o->verbose, o->color);
		errno = 0;
		if (fflush(stdout) != 0 || ferror(stdout))
			e_out = errno ? errno : EIO;
	}
	finished_free(f);
	return e_out;
}

/* How long a stopped run waits for its workers to end the case runs in
 * progress, so that it can close the target as usual. */
#define STOP_GRACE_MS 2000

static bool workers_idle_within(struct pool *p, unsigned ms)
{
	struct timespec until;
	bool idle;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (p->busy > 0 && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0)
		;
	idle = p->busy == 0;
	pthread_mutex_unlock(&p->mu);
	return idle;
}

static void progress(struct pool *p, size_t k, bool tty)
{
	if (!tty)
		return;
	fprintf(stderr, "\r\033[K[%zu/%zu done] ", count_done(p), p->nruns);
	report_put_text(stderr, case_of(p, k)->path, false);
}

/* "tcpconform: 20 cases on target ref, IPv4 and IPv6, 2 jobs", then the
 * shard and the repetitions when the options ask for them. */
static void print_header(const struct run_opts *o, const struct tc_target_ops *target, size_t n, unsigned jobs)
{
	printf("tcpconform: %zu case%s on target %s, IPv%s, %u job%s", n, n == 1 ? "" : "s", target->name,
	       o->nfamilies == 2 ? "4 and IPv6" : (o->families[0] == 4 ? "4" : "6"), jobs, jobs == 1 ? "" : "s");
	if (o->select.shard_n)
		printf(", shard %u/%u", o->select.shard_k, o->select.shard_n);
	if (o->repeat > 1)
		printf(", %u repetitions", o->repeat);
	putchar('\n');
}

/* The case runs whose verdict changed between repetitions, one FLIP line
 * each with the verdicts in order; the totals line follows. Returns how
 * many. */
static size_t report_flips(const struct run_opts *o, const struct pool *p)
{
	enum tc_verdict seq[1000];
	size_t flips = 0;

	if (o->repeat < 2)
		return 0;
	for (size_t i = 0; i < p->nper; i++) {
		for (unsigned r = 0; r < o->repeat; r++)
			seq[r] = p->verdicts[r * p->nper + i];
		if (!report_flipped(seq, o->repeat))
			continue;
		report_console_flip(stdout, case_of(p, i)->path, family_of(p, i), seq, o->repeat, o->color);
		flips++;
	}
	if (flips)
		printf("tcpconform: %zu case run%s changed verdict over %u repetitions\n", flips,
		       flips == 1 ? "" : "s", o->repeat);
	return flips;
}

static int run_cases(const struct run_opts *o, const struct tc_target_ops *target,
		     struct case_ref *cases, size_t n, struct run_ctx *ctx)
{
	struct pool p = {.o = o, .target = target, .cases = cases};

	for (int i = 0; i < ctx->reports.n; i++)
		p.keep_exchange |= ctx->reports.req[i].ops->needs_exchange;
	struct report_totals tot = {0};
	bool tty = isatty(STDERR_FILENO) && !o->verbose;
	unsigned jobs = 0, started = 0;
	struct worker *workers = NULL;
	struct tc_err err = {0};
	int rc = 0, out_err = 0;
	size_t reported = 0, flips = 0;

	if (o->jobs && target->max_jobs && o->jobs > target->max_jobs) {
		fprintf(stderr, "tcpconform run: --jobs %u: target %s runs at most %u workers\n", o->jobs,
			target->name, target->max_jobs);
		return 2;
	}
	p.nper = n * (size_t)o->nfamilies;
	p.nruns = p.nper * o->repeat;
	p.fin = calloc(p.nruns, sizeof(*p.fin));
	p.done = calloc(p.nruns, sizeof(*p.done));
	p.order = calloc(p.nruns, sizeof(*p.order));
	p.verdicts = calloc(p.nruns, sizeof(*p.verdicts));
	if (!p.fin || !p.done || !p.order || !p.verdicts) {
		free(p.fin);
		free(p.done);
		free(p.order);
		free(p.verdicts);
		fprintf(stderr, "tcpconform: out of memory\n");
		return 2;
	}
	/* What each case demands was estimated on the target's default
	 * profile: the run is opened once the number of workers is known. */
	plan_runs(o, target, &p, &jobs);
	workers = calloc(jobs, sizeof(*workers));
	for (unsigned w = 0; workers && w < jobs; w++) {
		workers[w] = (struct worker){.pool = &p, .id = w, .r = malloc(sizeof(struct engine_result))};
		if (!workers[w].r) {
			for (unsigned v = 0; v < w; v++)
				free(workers[v].r);
			free(workers);
			workers = NULL;
		}
	}
	if (!workers) {
		free(p.fin);
		free(p.done);
		free(p.order);
		free(p.verdicts);
		fprintf(stderr, "tcpconform: out of memory\n");
		return 2;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	ctx->pool = &p;
	signals_set_hook(&(struct signals_hook){.stop = on_stop, .abandon = on_abandon, .arg = ctx});
	struct tc_run_conf rconf = {.jobs = jobs, .keep_netns = o->keep_netns, .fault = o->fault,
				    .param = target_param(o->target), .stack = o->stack, .remote = &o->remote};
	p.run = target_run_open(target, &rconf, &err);
	if (!p.run) {
		fprintf(stderr, "tcpconform: %s\n", err.msg);
		rc = tc_err_exit_class(err.code) == 2 ? 2 : 1;
		goto out;
	}
	signals_set_run(p.run);
	if (signals_caught())
		goto stopped; /* the signal came while the run was being opened */
	if (!o->quiet)
		print_header(o, target, n, jobs);
	errno = 0;
	if (fflush(stdout) != 0)
		out_err = errno ? errno : EIO;
	for (; started < jobs && !out_err; started++) {
		if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0) {
			fprintf(stderr, "tcpconform: cannot start worker %u\n", started);
			break;
		}
	}
	for (size_t k = 0; k < p.nruns && started > 0 && !out_err; k++) {
		pthread_mutex_lock(&p.mu);
		while (!p.done[k] && !p.stopping) {
			progress(&p, k, tty);
			pthread_cond_wait(&p.cv, &p.mu);
		}
		bool stop = !p.done[k];
		struct finished *f = stop ? NULL : p.fin[k];
		p.fin[k] = NULL;
		pthread_mutex_unlock(&p.mu);
		if (stop)
			break;
		if (tty)
			fprintf(stderr, "\r\033[K");
		out_err = report_one(o, &p, k, f, &tot, &ctx->reports, true);
		reported = k + 1;
	}
	if (out_err) {
		/* Nobody reads the console any more (`| head -1` exited): end the
		 * run as a shell expects a pipeline's writer to end. */
		if (out_err == EPIPE)
			signals_stop_run(SIGPIPE);
		else
			pool_stop(&p);
	}
	pthread_mutex_lock(&p.mu);
	bool stopped_early = p.stopping;
	pthread_mutex_unlock(&p.mu);
	if (stopped_early)
		goto stopped;
	for (unsigned w = 0; w < started; w++)
		pthread_join(workers[w].thread, NULL);
	signals_set_run(NULL);
	target_run_close(p.run);
	p.run = NULL;
	if (started == 0) {
		fprintf(stderr, "tcpconform: no worker could start\n");
		rc = 2;
	}
	goto totals;

stopped:
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (!signals_caught() || workers_idle_within(&p, STOP_GRACE_MS)) {
		/* no signal ends the process (the cases in progress end first),
		 * or the workers were between cases: the run closes as usual,
		 * which removes what the signal-safe path cannot */
		for (unsigned w = 0; w < started; w++)
			pthread_join(workers[w].thread, NULL);
		signals_set_run(NULL);
		target_run_close(p.run);
		p.run = NULL;
	} else {
		/* a case still running may take a minute: its worker is left to
		 * die with the process */
		signals_cleanup_run();
	}
	/* What finished is reported, in case order, on the console (when it
	 * is still there) and in the JUnit report. */
	for (size_t k = reported; k < p.nruns; k++) {
		pthread_mutex_lock(&p.mu);
		bool done = p.done[k];
		struct finished *f = p.fin[k];
		p.fin[k] = NULL;
		pthread_mutex_unlock(&p.mu);
		if (!done)
			continue;
		if (report_one(o, &p, k, f, &tot, &ctx->reports, out_err == 0) != 0)
			out_err = EPIPE;
	}
	rc = 2;
	if (signals_caught() && signals_caught() != SIGPIPE)
		fprintf(stderr, "tcpconform: stopped by %s: %u of %zu case runs finished and reported\n",
			signals_name(signals_caught()), tot.passed + tot.failed + tot.skipped + tot.errored,
			p.nruns);
	else if (!signals_caught() && p.broken[0]) {
		/* the target cannot go on (a remote host stopped answering): a
		 * failure of the run, not bad input */
		fprintf(stderr, "tcpconform: the run stopped: %s; %u of %zu case runs finished and reported\n",
			p.broken, tot.passed + tot.failed + tot.skipped + tot.errored, p.nruns);
		rc = 1;
	} else if (!signals_caught())
		fprintf(stderr, "tcpconform: standard output: %s; the run was stopped\n", strerror(out_err));
totals:
	if (!out_err && reported == p.nruns)
		flips = report_flips(o, &p);
	if (!out_err) {
		report_console_totals(stdout, &tot);
		errno = 0;
		if (fflush(stdout) != 0 && errno == EPIPE && !signals_caught())
			signals_stop_run(SIGPIPE);
	}
	if (ctx->reports.n) {
		/* the hook keeps the temporary files known until they are renamed */
		if (report_set_finish(&ctx->reports, &tot, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			rc = 2;
		}
		signals_set_hook(NULL);
	}
	signals_die_if_caught();
out:
	/* back to what loading had: the report's temporary file, if any */
	signals_set_hook(ctx->reports.n ? &(struct signals_hook){.abandon = on_abandon, .arg = ctx} : NULL);
	ctx->pool = NULL;
	if (p.run) {
		signals_set_run(NULL);
		target_run_close(p.run);
	}
	for (size_t k = 0; k < p.nruns; k++)
		finished_free(p.fin[k]);
	for (unsigned w = 0; w < jobs; w++)
		free(workers[w].r);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	free(p.fin);
	free(p.done);
	free(p.order);
	free(p.verdicts);
	free(workers);
	if (rc)
		return rc;
	return tot.failed || tot.errored || flips ? 1 : 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	const struct tc_target_ops *target;
	struct case_list files = {0};
	struct case_ref *cases = NULL;
	struct run_ctx ctx = {0};
	size_t n = 0;
	int rc = 2;

	if (run_opts_parse(argc, argv, &o) != 0)
		return 2;
	if (!o.pcap_dir) {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		/* reports/ is made here; the run's own folder when a pcap is due */
		snprintf(o.pcap_default, sizeof(o.pcap_default), "reports/run-%s-%d", stamp, (int)getpid());
		o.pcap_dir = o.pcap_default;
	}
	target = target_find(o.target);
	if (!target && target_not_built(o.target)) {
		fprintf(stderr, "tcpconform run: target %s is not built into this tcpconform: %s\n",
			o.target, target_not_built(o.target));
		return 2;
	}
	if (!target) {
		fprintf(stderr, "tcpconform run: unknown target '%s' (tcpconform list-targets lists them)\n",
			o.target);
		return 2;
	}
	if (o.list_faults)
		return list_faults(target);
	if ((o.remote_set || o.stack) && target != target_find("remote")) {
		fprintf(stderr, "tcpconform run: --stack, --allow, --rate, --max-connections, --closed-port, --agent and "
				"--token-file are options of the remote target (--target remote:ADDR[:PORT])\n");
		return 2;
	}
	if (o.stack && (!target_name_known(o.stack) || strcmp(o.stack, "remote") == 0 || strchr(o.stack, ':'))) {
		fprintf(stderr, "tcpconform run: --stack %s: not a target name whose expectations could apply "
				"(tcpconform list-targets)\n", o.stack);
		return 2;
	}
	const char *suite[1];
	const char *const *paths = (const char *const *)(argv + optind);
	int npaths = argc - optind;

	if (npaths > 0 && o.cases_dir) {
		fprintf(stderr, "tcpconform run: --cases-dir names the suite run when no PATH is given; "
				"give one or the other\n");
		return 2;
	}
	if (npaths == 0) {
		char why[1024];

		suite[0] = cases_dir_find(o.cases_dir, getenv("TCPCONFORM_CASES"), why, sizeof(why));
		if (!suite[0]) {
			fprintf(stderr, "tcpconform run: %s\n", why);
			return 2;
		}
		paths = suite;
		npaths = 1;
	}
	/* The report's path is checked and its output opened before
	 * anything else takes time: a report that cannot be written refuses
	 * the run instead of wasting it. */
	if (o.nreports && !o.list_only) {
		struct tc_err err = {0};
		char host[256] = "";
		struct report_run_info info = {.target = target->name, .hostname = host,
					       .started_unix_us = unix_us()};

		gethostname(host, sizeof(host) - 1);
		info.version = TC_VERSION;
		if (report_set_open(&ctx.reports, o.reports, o.nreports, &info, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			return 2;
		}
		signals_set_hook(&(struct signals_hook){.abandon = on_abandon, .arg = &ctx});
	}
	for (int i = 0; i < npaths; i++) {
		struct tc_err err = {0};
		if (discover(paths[i], &files, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			goto out;
		}
	}
	if (files.nerrors) {
		for (size_t i = 0; i < files.nerrors; i++)
			fprintf(stderr, "tcpconform: %s\n", files.errors[i]);
		fprintf(stderr, "tcpconform: %zu path%s left out; nothing was run\n", files.nerrors,
			files.nerrors == 1 ? "" : "s");
		goto out;
	}
	if (load_all(&files, &o, target, &cases, &n) != 0)
		goto out;
	case_list_free(&files);
	if (n == 0) {
		fprintf(stderr, "tcpconform run: no case matched%s\n", run_opts_narrowed(&o) ? " the selection" : "");
		goto out;
	}
	if (o.list_only) {
		for (size_t i = 0; i < n; i++) {
			report_put_text(stdout, cases[i].path, false);
			putchar('\t');
			report_put_text(stdout, cases[i].name, false);
			putchar('\n');
		}
		rc = 0;
	} else {
		rc = run_cases(&o, target, cases, n, &ctx);
	}
out:
	if (ctx.reports.n) {
		signals_set_hook(NULL);
		report_set_abort(&ctx.reports);
	}
	case_list_free(&files);
	case_refs_free(cases, n);
	return rc;
}

int cmd_list_targets(void)
{
	for (const struct tc_target_ops *const *t = target_all(); *t; t++)
		printf("%-8s %s\n", (*t)->name, (*t)->description);
	for (const char *const *n = target_all_not_built(); *n; n++)
		printf("%-8s not built into this tcpconform: %s\n", *n, target_not_built(*n));
	return 0;
}
