#include "target.h"

#include <string.h>

#include "linux/target_linux.h"
#include "ref/target_ref.h"

static const struct tc_target_ops *const all_targets[] = {
	&target_ref_ops,
	&target_linux_ops,
	NULL,
};

const struct tc_target_ops *const *target_all(void)
{
	return all_targets;
}

const struct tc_target_ops *target_find(const char *name)
{
	for (size_t i = 0; all_targets[i]; i++)
		if (strcmp(all_targets[i]->name, name) == 0)
			return all_targets[i];
	return NULL;
}

uint64_t target_dur_us(const struct tc_dur *d, const struct tc_profile *p)
{
	switch (d->unit) {
	case TC_DUR_ABS: return d->us;
	case TC_DUR_MSL: return (uint64_t)(d->mult * (double)p->msl_us);
	case TC_DUR_RTO: return (uint64_t)(d->mult * (double)p->rto_us);
	case TC_DUR_DELACK: return (uint64_t)(d->mult * (double)p->delack_us);
	case TC_DUR_TOLERANCE: return (uint64_t)(d->mult * (double)p->tolerance_us);
	}
	return 0;
}

void target_signal_cleanup(void)
{
	for (size_t i = 0; all_targets[i]; i++)
		if (all_targets[i]->signal_cleanup)
			all_targets[i]->signal_cleanup();
}

void target_shutdown_all(void)
{
	for (size_t i = 0; all_targets[i]; i++)
		if (all_targets[i]->shutdown)
			all_targets[i]->shutdown();
}
