/* Where a report goes, chosen so that writing it never destroys anything:
 *
 *   "-", or a path that names this process's standard output or error
 *        (/dev/stdout, /proc/self/fd/1, the file stdout is redirected to)
 *        -> written through that descriptor, at its current offset;
 *   a FIFO, a character device, a socket, or a symlink to one
 *        -> opened write-only and written through: no O_TRUNC, no
 *           O_CREAT, never replaced;
 *   a regular file, a symlink to one, or a path that does not exist yet
 *        -> written to a temporary file made with O_EXCL in the folder of
 *           the real file (a symlink's target, not the symlink), renamed
 *           over it when complete: a reader never sees half a report, a
 *           crash leaves the old file, and a symlink stays a symlink;
 *   a folder or a block device -> refused.
 *
 * Opening checks all of this, so a run is refused (not wasted) when its
 * report could not be written. */
#ifndef REPORT_FILE_H
#define REPORT_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include "../err/tc_err.h"

struct report_file {
	FILE *f; /* write the report here */
	char *shown; /* the path as given, for messages */
	char *final; /* renamed over at commit; NULL when written through */
	char *tmp; /* the temporary file; NULL when written through */
	bool is_stdout; /* f is the process's stdout stream: never closed */
};

int report_file_open(struct report_file *rf, const char *path, struct tc_err *err);
/* Flush, close and (for a temporary file) rename it into place. On
 * failure the temporary file is removed. rf is released either way. */
int report_file_commit(struct report_file *rf, struct tc_err *err);
/* Close without committing; the temporary file is removed. */
void report_file_abort(struct report_file *rf);

#endif
