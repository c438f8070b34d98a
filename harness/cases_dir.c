/* Where the suite is when no PATH is given (cases_dir.h). */
#include "cases_dir.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The Makefile passes $(PREFIX)/share/tcpconform/cases; a build by other
 * means gets the Makefile's default PREFIX. */
#ifndef TCPCONFORM_CASES_DIR
#define TCPCONFORM_CASES_DIR "/usr/local/share/tcpconform/cases"
#endif

const char *cases_dir_builtin(void)
{
	return TCPCONFORM_CASES_DIR;
}

/* 0 when path is a folder, else the errno (ENOTDIR for another file). */
static int folder_errno(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno;
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

static const char *named(const char *how, const char *path, char *msg, size_t msgsz)
{
	int e = folder_errno(path);

	if (e == 0)
		return path;
	snprintf(msg, msgsz, "%s%s: %s", how, path, e == ENOTDIR ? "not a folder" : strerror(e));
	return NULL;
}

const char *cases_dir_find(const char *from_option, const char *from_env, char *msg, size_t msgsz)
{
	if (from_option)
		return named("--cases-dir ", from_option, msg, msgsz);
	if (from_env && *from_env)
		return named("TCPCONFORM_CASES=", from_env, msg, msgsz);
	if (folder_errno("cases") == 0)
		return "cases";
	if (folder_errno(TCPCONFORM_CASES_DIR) == 0)
		return TCPCONFORM_CASES_DIR;
	snprintf(msg, msgsz,
		 "no PATH given and no cases folder found: looked for ./cases and %s "
		 "(give a PATH, --cases-dir DIR or TCPCONFORM_CASES=DIR)",
		 TCPCONFORM_CASES_DIR);
	return NULL;
}
