/* Finding case files under the paths given on the command line. */
#ifndef DISCOVER_H
#define DISCOVER_H

#include <stddef.h>

#include "../lib/err/tc_err.h"

struct case_list {
	size_t n, cap;
	char **paths; /* sorted, each owned */
};

/* Adds every *.yaml / *.yml file under path (a file or a directory, walked
 * recursively in name order; directories named "profiles" hold target
 * profiles, not cases, and are skipped). A path that does not exist, or a
 * file that is not YAML, is an error. */
int discover(const char *path, struct case_list *out, struct tc_err *err);
void case_list_free(struct case_list *l);

#endif
