#include "tc_profile.h"

uint64_t tc_dur_us(const struct tc_dur *d, const struct tc_profile *p)
{
	switch (d->unit) {
	case TC_DUR_ABS: return d->us;
	case TC_DUR_MSL: return (uint64_t)(d->mult * (double)p->msl_us);
	case TC_DUR_RTO: return (uint64_t)(d->mult * (double)p->rto_us);
	case TC_DUR_DELACK: return (uint64_t)(d->mult * (double)p->delack_us);
	case TC_DUR_TOLERANCE: return (uint64_t)(d->mult * (double)p->tolerance_us);
	case TC_DUR_QUIET: return (uint64_t)(d->mult * (double)p->quiet_us);
	}
	return 0;
}
