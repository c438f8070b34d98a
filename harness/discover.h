/* Finding case files under the paths given on the command line. */
#ifndef DISCOVER_H
#define DISCOVER_H

#include <stddef.h>

#include "../lib/err/tc_err.h"

struct case_list {
	size_t n, cap;
	char **paths; /* sorted, each owned */
	/* What a walk had to leave out (a FIFO or a device under a case's
	 * name, an unreadable entry, a folder loop): one message each, owned.
	 * The walk goes on so every problem is told at once; the caller
	 * refuses the run when there is any. */
	size_t nerrors, errcap;
	char **errors;
};

/* Adds every *.yaml / *.yml file under path (a file or a folder, walked
 * recursively in name order; folders named "profiles" hold target
 * profiles, not cases, and are skipped). A path that does not exist, is
 * neither a regular file nor a folder, or is a file that is not YAML, is
 * an error (returned); problems inside a folder go to out->errors. No
 * file is opened here: a FIFO is told by its type, never read. */
int discover(const char *path, struct case_list *out, struct tc_err *err);
void case_list_free(struct case_list *l);

#endif
