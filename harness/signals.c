#include "signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Seconds the main thread gets to write the reports after a signal
 * before the process dies without them. */
#define FINISH_GRACE_S 10

static const int taken_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* Shared by the signal thread and the main thread, under mu: the only
 * process-wide state, since a signal has no other way to reach the run. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct tc_target_run *active_run;
static struct signals_hook hook;
static int caught; /* read without mu by signals_caught: atomic */

const char *signals_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGQUIT: return "SIGQUIT";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGPIPE: return "SIGPIPE";
	default: return "a signal";
	}
}

static void taken_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(taken_signals) / sizeof(taken_signals[0]); i++)
		sigaddset(set, taken_signals[i]);
}

/* Dies of sig with its default action, from whichever thread calls. */
__attribute__((noreturn)) static void die_of(int sig)
{
	sigset_t one;

	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	/* pending on this thread while blocked, delivered when unblocked */
	pthread_kill(pthread_self(), sig);
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	/* a signal whose default is to be ignored cannot end us */
	_exit(128 + sig);
}

/* Under mu. */
static void cleanup_run(void)
{
	struct tc_target_run *run = active_run;

	active_run = NULL;
	target_run_signal_cleanup(run);
}

/* Under mu. Returns whether a stop hook was told: then the main thread
 * cleans up (best with target_run_close, once the workers are idle) and
 * dies; otherwise the cleanup is done here at once. */
static int begin_stop(int sig)
{
	if (!__atomic_load_n(&caught, __ATOMIC_ACQUIRE))
		__atomic_store_n(&caught, sig, __ATOMIC_RELEASE);
	if (hook.stop) {
		hook.stop(hook.arg);
		return 1;
	}
	cleanup_run();
	return 0;
}

static void *signal_thread(void *arg)
{
	sigset_t set;
	int sig = 0;

	(void)arg;
	taken_set(&set);
	while (sigwait(&set, &sig) != 0)
		;
	pthread_mutex_lock(&mu);
	int told = begin_stop(sig);
	/* no run to stop yet (cases still loading): nothing to report, but
	 * an output opened early must not be left half-made */
	if (!told && hook.abandon)
		hook.abandon(hook.arg);
	pthread_mutex_unlock(&mu);
	if (told) {
		/* The main thread writes the reports and dies of sig; a second
		 * signal, or a main thread stuck on a full pipe, ends it here. */
		struct timespec limit = {.tv_sec = FINISH_GRACE_S};

		while (sigtimedwait(&set, NULL, &limit) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&mu);
		cleanup_run();
		if (hook.abandon)
			hook.abandon(hook.arg);
		pthread_mutex_unlock(&mu);
		dprintf(STDERR_FILENO, "tcpconform: %s: the reports could not be finished; exiting\n",
			signals_name(sig));
	}
	die_of(sig);
}

void signals_install(void)
{
	sigset_t set;
	pthread_t t;
	pthread_attr_t attr;

	taken_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, signal_thread, NULL) != 0) {
		/* Without the thread a blocked signal would be lost: keep the
		 * default actions, as a program without cleanup would. */
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		fprintf(stderr, "tcpconform: warning: no signal thread; a signal will not clean up\n");
	}
	pthread_attr_destroy(&attr);
}

void signals_set_run(struct tc_target_run *run)
{
	pthread_mutex_lock(&mu);
	active_run = run;
	pthread_mutex_unlock(&mu);
}

void signals_set_hook(const struct signals_hook *h)
{
	pthread_mutex_lock(&mu);
	if (h)
		hook = *h;
	else
		memset(&hook, 0, sizeof(hook));
	pthread_mutex_unlock(&mu);
}

void signals_stop_run(int sig)
{
	pthread_mutex_lock(&mu);
	begin_stop(sig);
	pthread_mutex_unlock(&mu);
}

void signals_cleanup_run(void)
{
	pthread_mutex_lock(&mu);
	cleanup_run();
	pthread_mutex_unlock(&mu);
}

int signals_caught(void)
{
	return __atomic_load_n(&caught, __ATOMIC_ACQUIRE);
}

void signals_die_if_caught(void)
{
	int sig = signals_caught();

	if (sig)
		die_of(sig);
}
