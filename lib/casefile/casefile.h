/* YAML case files -> struct tc_case, with libyaml. Every problem is one
 * error naming file:line:col and what was expected there. */
#ifndef CASEFILE_H
#define CASEFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "../case/tc_case.h"
#include "../err/tc_err.h"

/* Load and validate one case. On error, err->code is TC_ERR_CASE (or
 * TC_ERR_IO when the file cannot be read) and err->msg starts with
 * "path:line:col: ". out is left empty (nothing to free) on error. */
int casefile_load(const char *path, struct tc_case *out, struct tc_err *err);
/* The same from memory; name stands for the path in messages. */
int casefile_load_string(const char *text, size_t len, const char *name, struct tc_case *out,
			 struct tc_err *err);
void casefile_free(struct tc_case *c);

/* The bytes of a case file, for casefile_load_string: only a regular
 * file is read (a FIFO or a device is refused without blocking), at most
 * one byte past the size limit. *text is malloc'd; the caller frees it. */
int casefile_read(const char *path, char **text, size_t *len, struct tc_err *err);

/* What a file that is not a regular one is, for messages: "a FIFO",
 * "a character device", "a folder", ... */
const char *casefile_file_kind(mode_t m);

/* Parsers shared with the command line: "50ms", "2msl", "1.5rto"... */
int casefile_parse_duration(const char *text, struct tc_dur *out);

#endif
