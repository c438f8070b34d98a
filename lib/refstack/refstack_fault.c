/* Seeded faults: names and descriptions. Compiled in only with
 * -DREFSTACK_FAULTS; each fault itself is a small #ifdef block at the rule
 * it breaks (grep REFSTACK_FAULT_ in lib/refstack). */
#include "refstack_internal.h"

#ifdef REFSTACK_FAULTS

#include <string.h>

static const struct {
	const char *name;
	const char *description;
} fault_table[] = {
#define REFSTACK_FAULT_ROW(e, n, d) [e] = {n, d},
	REFSTACK_FAULT_LIST(REFSTACK_FAULT_ROW)
#undef REFSTACK_FAULT_ROW
};

const char *refstack_fault_name(enum refstack_fault f)
{
	return (unsigned)f < REFSTACK_FAULT__COUNT ? fault_table[f].name : "?";
}

const char *refstack_fault_description(enum refstack_fault f)
{
	return (unsigned)f < REFSTACK_FAULT__COUNT ? fault_table[f].description : "?";
}

int refstack_fault_parse(const char *name, enum refstack_fault *out)
{
	if (!name)
		return -1;
	for (unsigned i = 0; i < REFSTACK_FAULT__COUNT; i++) {
		if (strcmp(name, fault_table[i].name) == 0) {
			if (out)
				*out = (enum refstack_fault)i;
			return 0;
		}
	}
	return -1;
}

#endif
