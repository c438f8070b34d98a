#include "report_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40 /* as the kernel's own limit on a path's symlinks */

static int fail(struct report_file *rf, struct tc_err *err, int e, const char *what)
{
	tc_err_set(err, TC_ERR_IO, "report %s: %s%s%s", rf->shown ? rf->shown : "?", what,
		   e ? ": " : "", e ? strerror(e) : "");
	free(rf->shown);
	free(rf->final);
	free(rf->tmp);
	memset(rf, 0, sizeof(*rf));
	return -1;
}

static int fail_errno(struct report_file *rf, struct tc_err *err, const char *what)
{
	return fail(rf, err, errno, what);
}

/* A copy of path's folder part ("." when it has none). */
static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* The path a chain of symlinks ends at, the last one dangling: the report
 * is created there, as `>` in a shell would, and the links stay. */
static char *follow_dangling(const char *path, int *e)
{
	char *p = strdup(path);

	for (int i = 0; p && i < MAX_LINKS; i++) {
		struct stat st;
		char target[PATH_MAX];
		ssize_t n;

		if (lstat(p, &st) != 0) {
			*e = errno;
			if (errno == ENOENT)
				return p;
			free(p);
			return NULL;
		}
		if (!S_ISLNK(st.st_mode)) {
			/* it appeared while we looked */
			*e = EEXIST;
			free(p);
			return NULL;
		}
		n = readlink(p, target, sizeof(target) - 1);
		if (n < 0) {
			*e = errno;
			free(p);
			return NULL;
		}
		target[n] = '\0';
		char *next;
		if (target[0] == '/') {
			next = strdup(target);
		} else {
			char *dir = folder_of(p);
			size_t len = dir ? strlen(dir) + 1 + strlen(target) + 1 : 0;
			next = dir ? malloc(len) : NULL;
			if (next)
				snprintf(next, len, "%s/%s", dir, target);
			free(dir);
		}
		free(p);
		p = next;
	}
	*e = p ? ELOOP : ENOMEM;
	free(p);
	return NULL;
}

/* O_EXCL in the real file's folder, so the rename stays on one file
 * system and nobody else's file is ever opened. */
static int make_tmp(struct report_file *rf, mode_t mode, const struct stat *old, struct tc_err *err)
{
	char *dir = folder_of(rf->final);
	const char *base = strrchr(rf->final, '/');
	size_t len;
	int fd;

	base = base ? base + 1 : rf->final;
	if (!dir)
		return fail(rf, err, ENOMEM, "cannot write");
	len = strlen(dir) + strlen(base) + 16;
	rf->tmp = malloc(len);
	if (!rf->tmp) {
		free(dir);
		return fail(rf, err, ENOMEM, "cannot write");
	}
	snprintf(rf->tmp, len, "%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(rf->tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		char what[PATH_MAX + 64];

		free(rf->tmp);
		rf->tmp = NULL;
		if (e == ENOENT || e == ENOTDIR)
			snprintf(what, sizeof(what), "cannot write: the folder %s does not exist", dir);
		else
			snprintf(what, sizeof(what), "cannot create a file in %s", dir);
		free(dir);
		return fail(rf, err, e == ENOENT || e == ENOTDIR ? 0 : e, what);
	}
	free(dir);
	/* the report replaces the file: it keeps that file's mode and, when
	 * we may give it, its owner */
	if (fchmod(fd, mode) != 0) {
		/* a file system without modes: the report is still readable */
	}
	if (old && (old->st_uid != geteuid() || old->st_gid != getegid()) &&
	    fchown(fd, old->st_uid, old->st_gid) != 0) {
		/* not allowed: the report is ours */
	}
	rf->f = fdopen(fd, "w");
	if (!rf->f) {
		int e = errno;

		close(fd);
		unlink(rf->tmp);
		return fail(rf, err, e, "cannot write");
	}
	return 0;
}

static mode_t new_file_mode(void)
{
	/* the mode `>` would give; the run has no other thread creating
	 * files yet, so reading the umask this way is harmless */
	mode_t mask = umask(022);

	umask(mask);
	return 0666 & ~mask;
}

static bool same_file(const struct stat *a, int fd)
{
	struct stat b;

	return fstat(fd, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

int report_file_open(struct report_file *rf, const char *path, struct tc_err *err)
{
	struct stat st;
	size_t len = strlen(path);

	memset(rf, 0, sizeof(*rf));
	rf->shown = strdup(path);
	if (!rf->shown)
		return fail(rf, err, ENOMEM, "cannot write");
	if (strcmp(path, "-") == 0) {
		rf->f = stdout;
		rf->is_stdout = true;
		return 0;
	}
	if (len == 0)
		return fail(rf, err, 0, "an empty path");
	if (path[len - 1] == '/')
		return fail(rf, err, 0, "names a folder; the report needs a file name");
	if (stat(path, &st) != 0) {
		int e = errno;

		if (e != ENOENT)
			return fail(rf, err, e, "cannot write");
		rf->final = follow_dangling(path, &e);
		if (!rf->final)
			return fail(rf, err, e, "cannot write");
		return make_tmp(rf, new_file_mode(), NULL, err);
	}
	/* Our own stdout or stderr, by any name: another open of it would
	 * start at offset 0 and overwrite what the console wrote. */
	if (same_file(&st, STDOUT_FILENO) || same_file(&st, STDERR_FILENO)) {
		rf->f = same_file(&st, STDOUT_FILENO) ? stdout : stderr;
		rf->is_stdout = true;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return fail(rf, err, 0, "is a folder; the report needs a file name");
	if (S_ISBLK(st.st_mode))
		return fail(rf, err, 0, "is a block device; refusing to write a report onto it");
	if (S_ISREG(st.st_mode)) {
		rf->final = realpath(path, NULL);
		if (!rf->final)
			return fail_errno(rf, err, "cannot write");
		return make_tmp(rf, st.st_mode & 07777, &st, err);
	}
	/* A FIFO, a terminal, /dev/null: written through, as it is. A FIFO
	 * without a reader holds the open here, before any case runs. */
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(rf, err, "cannot open");
	rf->f = fdopen(fd, "w");
	if (!rf->f) {
		int e = errno;

		close(fd);
		return fail(rf, err, e, "cannot write");
	}
	return 0;
}

static void release(struct report_file *rf)
{
	free(rf->shown);
	free(rf->final);
	free(rf->tmp);
	memset(rf, 0, sizeof(*rf));
}

int report_file_commit(struct report_file *rf, struct tc_err *err)
{
	int e = 0;

	if (!rf->f)
		return fail(rf, err, EBADF, "cannot write");
	errno = 0;
	if (rf->is_stdout) {
		if (fflush(rf->f) != 0 || ferror(rf->f))
			e = errno ? errno : EIO;
	} else {
		if (fflush(rf->f) != 0 || ferror(rf->f))
			e = errno ? errno : EIO;
		/* the rename must not outlive the data on a crash */
		if (!e && rf->tmp && fsync(fileno(rf->f)) != 0 && errno != EINVAL)
			e = errno;
		if (fclose(rf->f) != 0 && !e)
			e = errno;
		rf->f = NULL;
		if (!e && rf->tmp && rename(rf->tmp, rf->final) != 0)
			e = errno;
		if (e && rf->tmp)
			unlink(rf->tmp);
	}
	if (e)
		return fail(rf, err, e, "cannot write");
	release(rf);
	return 0;
}

void report_file_abort(struct report_file *rf)
{
	if (rf->f && !rf->is_stdout)
		fclose(rf->f);
	if (rf->tmp)
		unlink(rf->tmp);
	release(rf);
}
