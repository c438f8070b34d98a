#include "signals.h"

#include <signal.h>
#include <stddef.h>

/* The one piece of process state a signal handler needs: it has no other
 * way to reach the run. */
static struct tc_target_run *active_run;

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE};

static void on_signal(int sig)
{
	struct tc_target_run *run = __atomic_exchange_n(&active_run, NULL, __ATOMIC_ACQ_REL);

	target_run_signal_cleanup(run);
	signal(sig, SIG_DFL);
	raise(sig);
}

void signals_install(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
}

void signals_set_run(struct tc_target_run *run)
{
	__atomic_store_n(&active_run, run, __ATOMIC_RELEASE);
}
