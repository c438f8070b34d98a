/* Flaky verdicts over repeated runs (`tcpconform run --repeat N`): a case
 * run whose verdict is not the same in every repetition. */
#ifndef REPORT_FLIP_H
#define REPORT_FLIP_H

#include <stdbool.h>

#include "../engine/engine.h"

/* Whether the n verdicts (one per repetition, in order) are not all the
 * same. A known deviation counts as the SKIP it is reported as. */
bool report_flipped(const enum tc_verdict *seq, unsigned n);

#endif
