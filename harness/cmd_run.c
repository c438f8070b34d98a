/* `tcpconform run`: load every case first (a bad case stops the run before
 * anything is sent), then run each on the target for each family. */
#include "cmd_run.h"

#include <fnmatch.h>
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
		"                        its own (default: the number of CPUs); output stays\n"
		"                        in case order\n"
		"      --keep-netns      name the linux target's namespaces while the run\n"
		"                        lasts (/run/netns/tcpconform-<pid>-<worker>-target,\n"
		"                        -harness) so `ip netns exec` can look inside\n"
		"  -v, --verbose         print every step and segment of every case\n"
		"  -q, --quiet           print only failures and the totals\n"
		"      --junit FILE      write a JUnit XML report to FILE\n"
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

/* Load every case; report every bad one (not only the first) so a person
 * fixes them in one go. */
static int load_all(const struct case_list *files, const struct run_opts *o, struct tc_case **out,
		    size_t *nout)
{
	struct tc_case *cases = calloc(files->n ? files->n : 1, sizeof(*cases));
	size_t n = 0;
	int bad = 0;

	if (!cases) {
		fprintf(stderr, "tcpconform: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < files->n; i++) {
		struct tc_err err = {0};
		if (casefile_load(files->paths[i], &cases[n], &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			bad++;
			continue;
		}
		if (check_target_names(&cases[n], &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			casefile_free(&cases[n]);
			bad++;
			continue;
		}
		if (selected(o, &cases[n]))
			n++;
		else
			casefile_free(&cases[n]);
	}
	if (bad) {
		for (size_t i = 0; i < n; i++)
			casefile_free(&cases[i]);
		free(cases);
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

/* The runs of a suite, shared by the worker threads: each takes the next
 * run, the main thread prints them in order as they complete. */
struct pool {
	const struct run_opts *o;
	const struct tc_target_ops *target;
	struct tc_target_run *run;
	const struct tc_profile *default_profile;
	struct tc_case *cases;
	size_t nruns;
	struct engine_result *results;
	struct report_entry *entries;
	bool *done;
	size_t *order; /* the order workers take runs in: longest first */
	size_t next;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct worker {
	struct pool *pool;
	unsigned id;
	pthread_t thread;
};

static void run_one(struct pool *p, size_t k, unsigned worker)
{
	const struct run_opts *o = p->o;
	size_t i = k / (size_t)o->nfamilies;
	int family = o->families[k % (size_t)o->nfamilies];
	struct engine_opts eo = {
		.run = p->run, .family = family,
		.trace = o->verbose, .pcap_dir = o->pcap_dir, .worker = worker,
		.run_index = (unsigned)k,
	};
	uint64_t t0 = wall_us();

	engine_run(&p->cases[i], &eo, &p->results[k]);
	p->entries[k] = (struct report_entry){
		.c = &p->cases[i], .family = family, .r = &p->results[k], .wall_us = wall_us() - t0,
	};
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t next = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (next >= p->nruns)
			return NULL;
		size_t k = p->order[next];
		run_one(p, k, w->id);
		pthread_mutex_lock(&p->mu);
		p->done[k] = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

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
	const uint64_t *demand = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (demand[x] != demand[y])
		return demand[x] < demand[y] ? 1 : -1;
	return x < y ? -1 : x > y;
}

/* How many workers, and in which order they take the runs. */
static int plan_runs(const struct run_opts *o, const struct tc_target_ops *target, struct pool *p,
		     unsigned *jobs_out)
{
	uint64_t *demand = calloc(p->nruns, sizeof(*demand));
	uint64_t sum = 0, longest = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned jobs;

	if (!demand)
		return -1;
	for (size_t k = 0; k < p->nruns; k++) {
		demand[k] = engine_case_demand_us(&p->cases[k / (size_t)o->nfamilies], target->name,
						  p->default_profile);
		sum += demand[k];
		if (demand[k] > longest)
			longest = demand[k];
		p->order[k] = k;
	}
	if (target->real_time)
		qsort_r(p->order, p->nruns, sizeof(*p->order), by_demand_desc, demand);
	free(demand);
	if (o->jobs) {
		jobs = o->jobs;
	} else {
		jobs = target_default_jobs(target, ncpu > 0 ? (unsigned)ncpu : 1, p->nruns, sum, longest);
	}
	if (jobs > p->nruns)
		jobs = (unsigned)p->nruns;
	*jobs_out = jobs;
	return 0;
}

static int run_cases(const struct run_opts *o, const struct tc_target_ops *target,
		     struct tc_case *cases, size_t n)
{
	struct pool p = {.o = o, .target = target, .cases = cases};
	struct report_totals tot = {0};
	bool tty = isatty(STDERR_FILENO) && !o->verbose;
	unsigned jobs = 0;
	struct worker *workers = NULL;
	struct tc_err err = {0};
	int rc = 0;

	if (o->jobs && target->max_jobs && o->jobs > target->max_jobs) {
		fprintf(stderr, "tcpconform run: --jobs %u: target %s runs at most %u workers\n", o->jobs,
			target->name, target->max_jobs);
		return 2;
	}
	p.nruns = n * (size_t)o->nfamilies;
	p.results = calloc(p.nruns, sizeof(*p.results));
	p.entries = calloc(p.nruns, sizeof(*p.entries));
	p.done = calloc(p.nruns, sizeof(*p.done));
	p.order = calloc(p.nruns, sizeof(*p.order));
	if (!p.results || !p.entries || !p.done || !p.order) {
		rc = 2;
		fprintf(stderr, "tcpconform: out of memory\n");
		goto out;
	}
	/* What each case demands is estimated on the target's default
	 * profile: the run is opened once the number of workers is known. */
	p.default_profile = target->default_profile();
	if (plan_runs(o, target, &p, &jobs) != 0 || !(workers = calloc(jobs, sizeof(*workers)))) {
		rc = 2;
		fprintf(stderr, "tcpconform: out of memory\n");
		goto out;
	}
	struct tc_run_conf rconf = {.jobs = jobs, .keep_netns = o->keep_netns, .fault = o->fault};
	p.run = target_run_open(target, &rconf, &err);
	if (!p.run) {
		fprintf(stderr, "tcpconform: %s\n", err.msg);
		rc = tc_err_exit_class(err.code) == 2 ? 2 : 1;
		goto out;
	}
	signals_set_run(p.run);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (!o->quiet)
		printf("tcpconform: %zu case%s on target %s, IPv%s, %u job%s\n", n, n == 1 ? "" : "s",
		       target->name, o->nfamilies == 2 ? "4 and IPv6" : (o->families[0] == 4 ? "4" : "6"),
		       jobs, jobs == 1 ? "" : "s");
	fflush(stdout);
	for (unsigned w = 0; w < jobs; w++) {
		workers[w] = (struct worker){.pool = &p, .id = w};
		if (pthread_create(&workers[w].thread, NULL, worker_main, &workers[w]) != 0) {
			fprintf(stderr, "tcpconform: cannot start worker %u\n", w);
			jobs = w;
			break;
		}
	}
	for (size_t k = 0; k < p.nruns && jobs > 0; k++) {
		pthread_mutex_lock(&p.mu);
		while (!p.done[k]) {
			if (tty)
				fprintf(stderr, "\r\033[K[%zu/%zu done] %s", count_done(&p), p.nruns,
					cases[k / (size_t)o->nfamilies].path);
			pthread_cond_wait(&p.cv, &p.mu);
		}
		pthread_mutex_unlock(&p.mu);
		report_count(&tot, p.results[k].verdict);
		if (tty)
			fprintf(stderr, "\r\033[K");
		if (!o->quiet || p.results[k].verdict == TC_FAIL || p.results[k].verdict == TC_ERROR)
			report_console_entry(stdout, &p.entries[k], o->verbose);
		fflush(stdout);
	}
	for (unsigned w = 0; w < jobs; w++)
		pthread_join(workers[w].thread, NULL);
	signals_set_run(NULL);
	target_run_close(p.run);
	if (jobs == 0) {
		fprintf(stderr, "tcpconform: no worker could start\n");
		rc = 2;
	} else if (o->junit) {
		if (report_junit_write(o->junit, target->name, p.entries, p.nruns, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			rc = 2;
		}
	}
	report_console_totals(stdout, &tot);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
out:
	if (p.results)
		for (size_t k = 0; k < p.nruns; k++)
			engine_result_free(&p.results[k]);
	free(p.results);
	free(p.entries);
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
	struct tc_case *cases = NULL;
	size_t n = 0;
	int rc;

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
	for (int i = optind; i < argc; i++) {
		struct tc_err err = {0};
		if (discover(argv[i], &files, &err) != 0) {
			fprintf(stderr, "tcpconform: %s\n", err.msg);
			case_list_free(&files);
			return 2;
		}
	}
	if (load_all(&files, &o, &cases, &n) != 0) {
		case_list_free(&files);
		return 2;
	}
	case_list_free(&files);
	if (n == 0) {
		fprintf(stderr, "tcpconform run: no case matched%s\n", o.nfilters ? " the filters" : "");
		free(cases);
		return 2;
	}
	if (o.list_only) {
		for (size_t i = 0; i < n; i++)
			printf("%s\t%s\n", cases[i].path, cases[i].name);
		rc = 0;
	} else {
		rc = run_cases(&o, target, cases, n);
	}
	for (size_t i = 0; i < n; i++)
		casefile_free(&cases[i]);
	free(cases);
	return rc;
}

int cmd_list_targets(void)
{
	for (const struct tc_target_ops *const *t = target_all(); *t; t++)
		printf("%s\n", (*t)->name);
	return 0;
}
