#include "report_flip.h"

bool report_flipped(const enum tc_verdict *seq, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		if (seq[i] != seq[0])
			return true;
	return false;
}
