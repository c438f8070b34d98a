/* What a signal that ends the run must undo: the target run's outside
 * state (tracefs instances, named namespaces). */
#ifndef HARNESS_SIGNALS_H
#define HARNESS_SIGNALS_H

#include "../lib/target/target.h"

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGPIPE: clean
 * up, then die of the same signal so the caller sees how the run ended. */
void signals_install(void);

/* The run a signal must clean up after; NULL when none is open. */
void signals_set_run(struct tc_target_run *run);

#endif
