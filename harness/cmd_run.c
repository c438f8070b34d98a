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
#include "../lib/target/target.h"
#include "discover.h"
#include "signals.h"

#define MAX_FILTERS 32

struct run_opts {
	const char *target;
	const char *filters[MAX_FILTERS];
	int nfilters;
	bool verbose, quiet;
	int families[2];
	int nfamilies;
	const char *fault;
	const char *junit;
	const char *pcap_dir;
	char pcap_default[128];
	bool list_faults, list_only;
	unsigned jobs;
	bool keep_netns;
};

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: tcpconform run [OPTIONS] PATH...\n"
		"\n"
		"Runs every case file (*.yaml, *.yml) under each PATH, in name order.\n"
		"Every case is loaded and checked before the first one runs.\n"
		"\n"
		"options:\n"
		"  -t, --target NAME     the stack under test (default: ref, the bundled\n"
		"                        reference stack in virtual time); see list-targets\n"
		"  -f, --filter GLOB     run only cases whose path or name matches GLOB\n"
		"                        (fnmatch; repeatable; a case runs if any matches)\n"
		"      --family 4|6|both IP version(s) to run each case on (default: both)\n"
		"  -j, --jobs N          run N cases at once, each worker with namespaces of\n"
		"                        its own; output stays in case order. Default: one\n"
		"                        per CPU, and on a real-time target (linux) enough\n"
		"                        that the cases' waits fit in the longest case,\n"
		"                        longest first; at most what the target allows\n"
		"      --keep-netns      name the linux target's namespaces while the run\n"
		"                        lasts (/run/netns/tcpconform-<pid>-<worker>-target,\n"
		"                        -harness) so `ip netns exec` can look inside\n"
		"  -v, --verbose         print every step and segment of every case\n"
		"  -q, --quiet           print only failures and the totals\n"
		"      --junit FILE      write a JUnit XML report to FILE (- for standard\n"
		"                        output); checked before any case runs. A regular\n"
		"                        file (or a symlink to one) is replaced whole when the\n"
		"                        run ends; a FIFO or a device is written through\n"
		"      --pcap-dir DIR    where a failing case's exchange is written as a pcap\n"
		"                        file, on targets with a wire (default:\n"
		"                        reports/run-<time>-<pid>/, made only when needed)\n"
		"      --list            list the cases that would run, run nothing\n"
#ifdef REFSTACK_FAULTS
		"      --ref-fault NAME  seed fault NAME into the reference stack\n"
		"      --list-faults     list the seeded faults and exit\n"
#endif
		"  -h, --help            this text\n"
		"\n"
		"Output: one line per case run (PASS, FAIL, SKIP or ERROR, the case file,\n"
		"the IP version), the failing step's file:line:col and what was expected and\n"
		"what arrived; the last line is exactly \"N passed, N failed, N skipped\"\n"
		"(errors count as failed).\n"
		"exit status: 0 nothing failed; 1 a case failed or errored; 2 bad input.\n");
}

static int parse_family(const char *arg, struct run_opts *o)
{
	if (strcmp(arg, "4") == 0) {
		o->families[0] = 4;
		o->nfamilies = 1;
	} else if (strcmp(arg, "6") == 0) {
		o->families[0] = 6;
		o->nfamilies = 1;
	} else if (strcmp(arg, "both") == 0) {
		o->families[0] = 4;
		o->families[1] = 6;
		o->nfamilies = 2;
	} else {
		fprintf(stderr, "tcpconform run: --family: '%s' is not 4, 6 or both\n", arg);
		return -1;
	}
	return 0;
}

enum { OPT_FAMILY = 256, OPT_JUNIT, OPT_LIST, OPT_FAULT, OPT_LIST_FAULTS, OPT_PCAP_DIR, OPT_KEEP_NETNS };

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{"target", required_argument, NULL, 't'},
		{"filter", required_argument, NULL, 'f'},
		{"family", required_argument, NULL, OPT_FAMILY},
		{"verbose", no_argument, NULL, 'v'},
		{"jobs", required_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"junit", required_argument, NULL, OPT_JUNIT},
		{"pcap-dir", required_argument, NULL, OPT_PCAP_DIR},
		{"keep-netns", no_argument, NULL, OPT_KEEP_NETNS},
		{"list", no_argument, NULL, OPT_LIST},
#ifdef REFSTACK_FAULTS
		{"ref-fault", required_argument, NULL, OPT_FAULT},
		{"list-faults", no_argument, NULL, OPT_LIST_FAULTS},
#endif
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	o->target = "ref";
	o->families[0] = 4;
	o->families[1] = 6;
	o->nfamilies = 2;
	opterr = 0;
	optind = 1;
	o->jobs = 0; /* chosen by the target: target_default_jobs */
	while ((ch = getopt_long(argc, argv, ":t:f:j:vqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': o->target = optarg; break;
		case 'f':
			if (o->nfilters == MAX_FILTERS) {
				fprintf(stderr, "tcpconform run: at most %d --filter options\n", MAX_FILTERS);
				return -1;
			}
			o->filters[o->nfilters++] = optarg;
			break;
		case OPT_FAMILY:
			if (parse_family(optarg, o) != 0)
				return -1;
			break;
		case 'v': o->verbose = true; break;
		case 'j': {
			char *end;
			long j = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || j < 1 || j > 1024) {
				fprintf(stderr, "tcpconform run: --jobs: '%s' is not a number 1..1024\n", optarg);
				return -1;
			}
			o->jobs = (unsigned)j;
			break;
		}
		case 'q': o->quiet = true; break;
		case OPT_JUNIT: o->junit = optarg; break;
		case OPT_PCAP_DIR: o->pcap_dir = optarg; break;
		case OPT_KEEP_NETNS: o->keep_netns = true; break;
		case OPT_LIST: o->list_only = true; break;
		case OPT_FAULT: o->fault = optarg; break;
		case OPT_LIST_FAULTS: o->list_faults = true; break;
		case 'h': run_usage(stdout); exit(0);
		case ':':
			fprintf(stderr, "tcpconform run: option %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "tcpconform run: unknown option '%s' (see tcpconform run --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

static bool selected(const struct run_opts *o, const struct tc_case *c)
{
	if (o->nfilters == 0)
		return true;
	for (int i = 0; i < o->nfilters; i++)
		if (fnmatch(o->filters[i], c->path, 0) == 0 || fnmatch(o->filters[i], c->name, 0) == 0)
			return true;
	return false;
}

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
	return target_find(name) != NULL;
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
	for (int i = 0; i < c->nsteps; i++)
		for (int k = 0; k < c->steps[i].novr; k++)
			if (!known_target(c->steps[i].ovr[k].target))
				return tc_err_set(err, TC_ERR_CASE, "%s:%d:%d: on: unknown target '%s' (tcpconform list-targets)",
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
	uint64_t demand_us; /* engine_case_demand_us on the target's default profile */
};

static void case_ref_free(struct case_ref *cr)
{
	free(cr->path);
	free(cr->name);
	free(cr->text);
	for (int i = 0; i < cr->nrfc; i++)
		free(cr->rfc[i]);
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
	cr->demand_us = engine_case_demand_us(c, target->name, target->default_profile());
	if (!cr->path || !cr->name || cr->nrfc != c->nrfc) {
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
		if (!selected(o, &c)) {
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
	int failed_step;
	struct tc_loc failed_loc;
	uint64_t required_us, wall_us;
	char *msg, *log, *pcap;
};

static void finished_free(struct finished *f)
{
	if (!f)
		return;
	free(f->msg);
	free(f->log);
	free(f->pcap);
	free(f);
}

/* The runs of a suite, shared by the worker threads: each takes the next
 * run, the main thread reports them in order as they complete. */
struct pool {
	const struct run_opts *o;
	const struct tc_target_ops *target;
	struct tc_target_run *run;
	struct case_ref *cases;
	size_t nruns;
	struct finished **fin; /* under mu: a finished run not reported yet */
	bool *done; /* under mu */
	size_t *order; /* the order workers take runs in: longest first */
	size_t next; /* under mu */
	bool stopping; /* under mu: a signal or a broken stdout ends the run */
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

static struct finished *run_one(struct pool *p, size_t k, struct worker *w)
{
	const struct run_opts *o = p->o;
	const struct case_ref *cr = &p->cases[k / (size_t)o->nfamilies];
	int family = o->families[k % (size_t)o->nfamilies];
	struct engine_opts eo = {
		.run = p->run, .family = family,
		.trace = o->verbose, .pcap_dir = o->pcap_dir, .worker = w->id,
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
	if (casefile_load_string(cr->text, cr->len, cr->path, &c, &err) != 0) {
		/* the bytes loaded once already: only memory can fail here */
		f->verdict = TC_ERROR;
		f->msg = strdup(err.msg);
	} else {
		engine_run(&c, &eo, r);
		f->verdict = r->verdict;
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
		pthread_mutex_lock(&p->mu);
		p->fin[k] = f;
		p->done[k] = true;
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
	size_t nf = (size_t)p->o->nfamilies;
	uint64_t dx = p->cases[x / nf].demand_us, dy = p->cases[y / nf].demand_us;

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
		uint64_t d = p->cases[k / (size_t)o->nfamilies].demand_us;

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
	struct report_junit *junit;
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
	report_junit_discard_tmp(((struct run_ctx *)arg)->junit);
}

/* The console and the JUnit report of one case run, then its memory goes.
 * Returns the errno of a failed write to stdout, 0 when it went out. */
static int report_one(const struct run_opts *o, struct pool *p, size_t k, struct finished *f,
		      struct report_totals *tot, struct report_junit *junit, bool console)
{
	const struct case_ref *cr = &p->cases[k / (size_t)o->nfamilies];
	struct report_entry e = {
		.path = cr->path, .name = cr->name, .rfc = (const char *const *)cr->rfc, .nrfc = cr->nrfc,
		.family = o->families[k % (size_t)o->nfamilies],
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
	}
	report_count(tot, e.verdict);
	if (junit)
		report_junit_add(junit, &e);
	if (console && (!o->quiet || e.verdict == TC_FAIL || e.verdict == TC_ERROR)) {
		report_console_entry(stdout, &e, o->verbose);
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
	report_put_text(stderr, p->cases[k / (size_t)p->o->nfamilies].path, false);
}

static int run_cases(const struct run_opts *o, const struct tc_target_ops *target,
		     struct case_ref *cases, size_t n, struct run_ctx *ctx)
{
	struct pool p = {.o = o, .target = target, .cases = cases};
	struct report_totals tot = {0};
	bool tty = isatty(STDERR_FILENO) && !o->verbose;
	unsigned jobs = 0, started = 0;
	struct worker *workers = NULL;
	struct tc_err err = {0};
	int rc = 0, out_err = 0;
	size_t reported = 0;

	if (o->jobs && target->max_jobs && o->jobs > target->max_jobs) {
		fprintf(stderr, "tcpconform run: --jobs %u: target %s runs at most %u workers\n", o->jobs,
			target->name, target->max_jobs);
		return 2;
	}
	p.nruns = n * (size_t)o->nfamilies;
	p.fin = calloc(p.nruns, sizeof(*p.fin));
	p.done = calloc(p.nruns, sizeof(*p.done));
	p.order = calloc(p.nruns, sizeof(*p.order));
	if (!p.fin || !p.done || !p.order) {
		free(p.fin);
		free(p.done);
		free(p.order);
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
		fprintf(stderr, "tcpconform: out of memory\n");
		return 2;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	ctx->pool = &p;
	signals_set_hook(&(struct signals_hook){.stop = on_stop, .abandon = on_abandon, .arg = ctx});
	struct tc_run_conf rconf = {.jobs = jobs, .keep_netns = o->keep_netns, .fault = o->fault};
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
		printf("tcpconform: %zu case%s on target %s, IPv%s, %u job%s\n", n, n == 1 ? "" : "s",
		       target->name, o->nfamilies == 2 ? "4 and IPv6" : (o->families[0] == 4 ? "4" : "6"),
		       jobs, jobs == 1 ? "" : "s");
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
		out_err = report_one(o, &p, k, f, &tot, ctx->junit, true);
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
		if (report_one(o, &p, k, f, &tot, ctx->junit, out_err == 0) != 0)
			out_err = EPIPE;
	}
	if (signals_caught() && signals_caught() != SIGPIPE)
		fprintf(stderr, "tcpconform: stopped by %s: %u of %zu case runs finished and reported\n",
			signals_name(signals_caught()), tot.passed + tot.failed + tot.skipped + tot.errored,
			p.nruns);
	else if (!signals_caught())
		fprintf(stderr, "tcpconform: standard output: %s; the run was stopped\n", strerror(out_err));
	rc = 2;
totals:
	if (!out_err) {
		report_console_totals(stdout, &tot);
		errno = 0;
		if (fflush(stdout) != 0 && errno == EPIPE && !signals_caught())
			signals_stop_run(SIGPIPE);
	}
	if (ctx->junit) {
		struct report_junit *j = ctx->junit;

		/* the hook keeps the temporary file known until it is renamed */
		if (report_junit_finish(j, &err) != 0) {
			fprintf(stderr, "tcpconform: --junit: %s\n", err.msg);
			rc = 2;
		}
		signals_set_hook(NULL);
		ctx->junit = NULL;
	}
	signals_die_if_caught();
out:
	/* back to what loading had: the report's temporary file, if any */
	signals_set_hook(ctx->junit ? &(struct signals_hook){.abandon = on_abandon, .arg = ctx} : NULL);
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
	free(workers);
	if (rc)
		return rc;
	return tot.failed || tot.errored ? 1 : 0;
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

	if (parse_args(argc, argv, &o) != 0)
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
	if (!target) {
		fprintf(stderr, "tcpconform run: unknown target '%s' (tcpconform list-targets lists them)\n",
			o.target);
		return 2;
	}
	if (o.list_faults)
		return list_faults(target);
	if (optind >= argc) {
		fprintf(stderr, "tcpconform run: no PATH given (try: tcpconform run cases/)\n");
		return 2;
	}
	/* The report's path is checked and its output opened before
	 * anything else takes time: a report that cannot be written refuses
	 * the run instead of wasting it. */
	if (o.junit && !o.list_only) {
		struct tc_err err = {0};

		ctx.junit = report_junit_open(o.junit, target->name, &err);
		if (!ctx.junit) {
			fprintf(stderr, "tcpconform: --junit: %s\n", err.msg);
			return 2;
		}
		signals_set_hook(&(struct signals_hook){.abandon = on_abandon, .arg = &ctx});
	}
	for (int i = optind; i < argc; i++) {
		struct tc_err err = {0};
		if (discover(argv[i], &files, &err) != 0) {
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
		fprintf(stderr, "tcpconform run: no case matched%s\n", o.nfilters ? " the filters" : "");
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
	if (ctx.junit) {
		signals_set_hook(NULL);
		report_junit_abort(ctx.junit);
	}
	case_list_free(&files);
	case_refs_free(cases, n);
	return rc;
}

int cmd_list_targets(void)
{
	for (const struct tc_target_ops *const *t = target_all(); *t; t++)
		printf("%s\n", (*t)->name);
	return 0;
}
