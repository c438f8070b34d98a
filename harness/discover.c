#include "discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/casefile/casefile.h"

/* Folders on the way down, to tell a symlink loop from a deep tree. */
struct walk_stack {
	const struct walk_stack *up;
	dev_t dev;
	ino_t ino;
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_case_file(const char *name)
{
	return has_suffix(name, ".yaml") || has_suffix(name, ".yml");
}

static int push_to(char ***v, size_t *n, size_t *cap, char *s, struct tc_err *err)
{
	if (!s)
		return tc_err_set(err, TC_ERR_NOMEM, "out of memory listing cases");
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		char **p = realloc(*v, c * sizeof(*p));
		if (!p) {
			free(s);
			return tc_err_set(err, TC_ERR_NOMEM, "out of memory listing cases");
		}
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = s;
	return 0;
}

static int push(struct case_list *l, const char *path, struct tc_err *err)
{
	return push_to(&l->paths, &l->n, &l->cap, strdup(path), err);
}

static int push_error(struct case_list *l, struct tc_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int push_error(struct case_list *l, struct tc_err *err, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return push_to(&l->errors, &l->nerrors, &l->errcap, s, err);
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk(const char *dir, const struct walk_stack *up, struct case_list *out, struct tc_err *err)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, cmp_names);
	int rc = 0;

	if (n < 0)
		return push_error(out, err, "%s: cannot read folder: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *path = NULL;
		struct stat st;
		size_t dl = strlen(dir);

		if (rc != 0 || name[0] == '.')
			goto next;
		if (asprintf(&path, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name) < 0) {
			path = NULL;
			rc = tc_err_set(err, TC_ERR_NOMEM, "out of memory listing cases");
			goto next;
		}
		if (stat(path, &st) != 0) {
			rc = push_error(out, err, "%s: %s", path, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			struct walk_stack here = {.up = up, .dev = st.st_dev, .ino = st.st_ino};
			bool loop = false;

			for (const struct walk_stack *s = up; s; s = s->up)
				loop |= s->dev == st.st_dev && s->ino == st.st_ino;
			if (loop)
				rc = push_error(out, err, "%s: a folder that contains itself (a symlink loop); not walked",
						path);
			else if (strcmp(name, "profiles") != 0)
				rc = walk(path, &here, out, err);
		} else if (is_case_file(name)) {
			if (S_ISREG(st.st_mode))
				rc = push(out, path, err);
			else
				rc = push_error(out, err, "%s: %s, not a case file; a case file is a regular file",
						path, casefile_file_kind(st.st_mode));
		}
	next:
		free(path);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int discover(const char *path, struct case_list *out, struct tc_err *err)
{
	struct stat st;

	/* stat, not open: a FIFO given as PATH must not block the run */
	if (stat(path, &st) != 0)
		return tc_err_set(err, TC_ERR_IO, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		struct walk_stack top = {.dev = st.st_dev, .ino = st.st_ino};
		return walk(path, &top, out, err);
	}
	if (!S_ISREG(st.st_mode))
		return tc_err_set(err, TC_ERR_USAGE, "%s: %s; a PATH is a case file or a folder of them", path,
				  casefile_file_kind(st.st_mode));
	if (!is_case_file(path))
		return tc_err_set(err, TC_ERR_USAGE, "%s: not a case file (expected .yaml or .yml)", path);
	return push(out, path, err);
}

void case_list_free(struct case_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	for (size_t i = 0; i < l->nerrors; i++)
		free(l->errors[i]);
	free(l->errors);
	memset(l, 0, sizeof(*l));
}
