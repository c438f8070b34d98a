/* Judging what an application call returned against its step: the errno
 * it had to fail with (`error:`), the value it had to return (`returns:`,
 * or the verb's own: send queues every byte, recv reads exactly N, poll
 * is ready), the bytes a recv had to read. */
#ifndef ENGINE_APP_H
#define ENGINE_APP_H

#include <stddef.h>

#include "../case/tc_case.h"

/* The action as a person reads it: "recv 10", "setsockopt TCP_NODELAY 0",
 * "poll readable within 200 ms". */
void engine_app_format(const struct tc_app *a, char *buf, size_t cap);

/* 0 when res is what the step expects; else -1 and msg says what was
 * expected and what the call gave ("expected error ECONNRESET (connection
 * reset (3.10.7.4 step 2)), got success: returned 0"). */
int engine_app_judge(const struct tc_app *a, const struct tc_app_result *res, char *msg, size_t cap);

#endif
