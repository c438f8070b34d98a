/* Helpers shared by the tests that need root and real network namespaces
 * (tests/netns, tests/wire, tests/target). Include after <cmocka.h>. */
#ifndef TC_TEST_ROOT_TEST_H
#define TC_TEST_ROOT_TEST_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err/tc_err.h"

/* Skips the calling test, saying why, when not root: never a silent pass. */
static inline void need_root_for(const char *what)
{
	if (geteuid() != 0) {
		print_message("SKIP: needs root (%s)\n", what);
		skip();
	}
}

static inline void ok(int rc, const struct tc_err *err, const char *what)
{
	if (rc < 0)
		fail_msg("%s: %s", what, err->msg);
}

static inline unsigned long ns_inode(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (unsigned long)st.st_ino;
}

enum ns_holder {
	NS_HELD_BY_PROCESS = 1, /* some process runs in it */
	NS_HELD_BY_OUR_FD = 2, /* one of this process's descriptors refers to it */
};

/* Whether the namespace with this inode is held in one of the ways asked. */
static inline bool ns_held(unsigned long ino, unsigned holders)
{
	char want[64], path[300], link[128];
	bool used = false;

	snprintf(want, sizeof(want), "net:[%lu]", ino);
	for (int i = 0; i < 2 && !used; i++) {
		bool procs = i == 0;
		DIR *d;
		struct dirent *de;

		if (!(holders & (procs ? NS_HELD_BY_PROCESS : NS_HELD_BY_OUR_FD)))
			continue;
		d = opendir(procs ? "/proc" : "/proc/self/fd");
		assert_non_null(d);
		while (!used && (de = readdir(d))) {
			ssize_t n;

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), procs ? "/proc/%s/ns/net" : "/proc/self/fd/%s", de->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				used = strcmp(link, want) == 0;
			}
		}
		closedir(d);
	}
	return used;
}

#endif
