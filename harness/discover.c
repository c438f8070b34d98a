#include "discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_case_file(const char *name)
{
	return has_suffix(name, ".yaml") || has_suffix(name, ".yml");
}

static int push(struct case_list *l, const char *path, struct tc_err *err)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **p = realloc(l->paths, cap * sizeof(*p));
		if (!p)
			return tc_err_set(err, TC_ERR_NOMEM, "out of memory listing cases");
		l->paths = p;
		l->cap = cap;
	}
	l->paths[l->n] = strdup(path);
	if (!l->paths[l->n])
		return tc_err_set(err, TC_ERR_NOMEM, "out of memory listing cases");
	l->n++;
	return 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk(const char *dir, struct case_list *out, struct tc_err *err)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, cmp_names);
	int rc = 0;

	if (n < 0)
		return tc_err_set(err, TC_ERR_IO, "%s: cannot read directory: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char path[4096];
		struct stat st;

		if (rc == 0 && name[0] != '.') {
			size_t dl = strlen(dir);
			snprintf(path, sizeof(path), "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
			if (stat(path, &st) != 0)
				rc = tc_err_set(err, TC_ERR_IO, "%s: %s", path, strerror(errno));
			else if (S_ISDIR(st.st_mode) && strcmp(name, "profiles") != 0)
				rc = walk(path, out, err);
			else if (S_ISREG(st.st_mode) && is_case_file(name))
				rc = push(out, path, err);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int discover(const char *path, struct case_list *out, struct tc_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return tc_err_set(err, TC_ERR_IO, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return walk(path, out, err);
	if (!is_case_file(path))
		return tc_err_set(err, TC_ERR_USAGE, "%s: not a case file (expected .yaml or .yml)", path);
	return push(out, path, err);
}

void case_list_free(struct case_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}
