/* The suite `tcpconform run` runs when it is given no PATH. */
#ifndef CASES_DIR_H
#define CASES_DIR_H

#include <stddef.h>

/* The first of: from_option (--cases-dir DIR), from_env ($TCPCONFORM_CASES),
 * ./cases when it is a folder (a source tree), the folder compiled in
 * (TCPCONFORM_CASES_DIR: $(PREFIX)/share/tcpconform/cases). A folder named
 * by the option or the environment must exist: a typo there is not
 * papered over by the next place. Returns the folder, or NULL with why
 * (naming where it looked) in msg. */
const char *cases_dir_find(const char *from_option, const char *from_env, char *msg, size_t msgsz);

/* The folder compiled in. */
const char *cases_dir_builtin(void);

#endif
