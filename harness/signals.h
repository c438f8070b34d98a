/* How a signal ends a run: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
 * SIGUSR2 are blocked in every thread and taken by one thread with
 * sigwait(), so what happens next is ordinary code, not a handler: the
 * run is asked to stop, the main thread writes the reports of the case
 * runs that finished, the target run's outside state (tracefs instances,
 * named namespaces) is removed, and the process dies of the same signal
 * so the caller sees how the run ended.
 *
 * The removal is target_run_close when the workers are idle soon after
 * the stop (a worker between two cases holds a tracefs instance that the
 * signal-safe path cannot remove), target_run_signal_cleanup otherwise;
 * the signal thread does the latter itself when the main thread takes
 * too long, and at once when no run is going (cases still loading).
 *
 * SIGPIPE is directed at the thread that wrote, so it is ignored instead:
 * the harness sees EPIPE on standard output and ends the run the same way
 * with signals_stop_run(SIGPIPE), dying of SIGPIPE as a shell pipeline
 * expects. */
#ifndef HARNESS_SIGNALS_H
#define HARNESS_SIGNALS_H

#include "../lib/target/target.h"

/* First thing in main, before any thread: threads made later inherit the
 * blocked mask. A child that runs code of its own resets it. */
void signals_install(void);

/* The run a signal must clean up after; NULL when none is open (setting
 * NULL waits for a cleanup in progress, so target_run_close may follow). */
void signals_set_run(struct tc_target_run *run);

/* What a signal asks of the main thread while a run goes on. stop is
 * called from the signal thread (or from signals_stop_run's caller): it
 * must only flag the run and wake the main thread. abandon is called
 * just before the process dies without the main thread's help: at once
 * when there is no stop (the run has not started), else when the main
 * thread has not died of the signal 10 s later or at a second signal. It
 * removes files that would be left half-written, and takes no lock. */
struct signals_hook {
	void (*stop)(void *arg);
	void (*abandon)(void *arg);
	void *arg;
};
/* NULL clears; clearing waits for a stop call in progress. */
void signals_set_hook(const struct signals_hook *h);

/* End the run as if sig had arrived (the main thread after EPIPE on
 * stdout: SIGPIPE). The caller must not hold a lock the stop hook takes. */
void signals_stop_run(int sig);

/* target_run_signal_cleanup of the run set, now (workers still busy). */
void signals_cleanup_run(void);

/* The signal that ended the run, 0 when none. */
int signals_caught(void);

/* When a signal ended the run, die of it now (after the reports are
 * written); returns only when none did. */
void signals_die_if_caught(void);

/* "SIGINT" and so on. */
const char *signals_name(int sig);

#endif
