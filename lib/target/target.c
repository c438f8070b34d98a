#include "target.h"

#include <string.h>

#include "linux/target_linux.h"
#include "ref/target_ref.h"
#include "remote/target_remote.h"
#include "refnet/target_refnet.h"
#ifdef TC_HAVE_LWIP
#include "lwip/target_lwip.h"
#endif

static const struct tc_target_ops *const all_targets[] = {
	&target_ref_ops,
	&target_linux_ops,
	&target_remote_ops,
	&target_refnet_ops,
#ifdef TC_HAVE_LWIP
	&target_lwip_ops,
#endif
	NULL,
};

/* Targets whose library may be missing at build time (the Makefile leaves
 * them out then), and what brings them in. */
struct unbuilt_target {
	const char *name, *hint;
};

static const struct unbuilt_target unbuilt_targets[] = {
#ifndef TC_HAVE_LWIP
	{"lwip", "install liblwip-dev and rebuild"},
#endif
	{NULL, NULL},
};

static const char *const unbuilt_names[] = {
#ifndef TC_HAVE_LWIP
	"lwip",
#endif
	NULL,
};

const char *target_not_built(const char *name)
{
	for (size_t i = 0; unbuilt_targets[i].name; i++)
		if (strcmp(unbuilt_targets[i].name, name) == 0)
			return unbuilt_targets[i].hint;
	return NULL;
}

const char *const *target_all_not_built(void)
{
	return unbuilt_names;
}

bool target_name_known(const char *name)
{
	return target_find(name) || target_not_built(name);
}

const struct tc_target_ops *const *target_all(void)
{
	return all_targets;
}

/* "remote:198.51.100.2:8080": the name is what comes before the first
 * colon, and only a target that takes a parameter may have one. */
const struct tc_target_ops *target_find(const char *name)
{
	const char *colon = strchr(name, ':');
	size_t len = colon ? (size_t)(colon - name) : strlen(name);

	for (size_t i = 0; all_targets[i]; i++)
		if (strlen(all_targets[i]->name) == len && strncmp(all_targets[i]->name, name, len) == 0)
			return !colon || all_targets[i]->takes_param ? all_targets[i] : NULL;
	return NULL;
}

const char *target_param(const char *name)
{
	const char *colon = strchr(name, ':');

	return colon ? colon + 1 : NULL;
}

unsigned target_default_jobs(const struct tc_target_ops *ops, unsigned ncpu, size_t nruns,
			     uint64_t wait_us, uint64_t longest_us)
{
	uint64_t jobs = ncpu ? ncpu : 1;

	/* A real-time target spends its time waiting: enough workers that the
	 * summed waits fit in the longest case (scheduled longest first, the
	 * run then lasts about as long as its longest case), and at least one
	 * per CPU. */
	if (ops->real_time && longest_us > 0) {
		uint64_t by_wait = (wait_us + longest_us - 1) / longest_us + 1;
		if (by_wait > jobs)
			jobs = by_wait;
	}
	if (jobs > nruns)
		jobs = nruns ? nruns : 1;
	if (ops->max_jobs && jobs > ops->max_jobs)
		jobs = ops->max_jobs;
	if (ops->default_jobs_max && jobs > ops->default_jobs_max)
		jobs = ops->default_jobs_max;
	return (unsigned)jobs;
}

const char *target_inherits(const char *name)
{
	const struct tc_target_ops *t = name ? target_find(name) : NULL;

	return t ? t->inherits : NULL;
}
