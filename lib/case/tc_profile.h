/* What a case's durations are measured against on a target, and the
 * transitions a target reports: part of the case model, so targets and the
 * engine share it without depending on each other. */
#ifndef TC_PROFILE_H
#define TC_PROFILE_H

#include <stdint.h>

#include "tc_case.h"
#include "tc_state.h"

/* Timing values a duration may name, and the tolerance on expectations. */
struct tc_profile {
	uint64_t msl_us;
	uint64_t rto_us; /* initial RTO */
	uint64_t rto_min_us;
	uint64_t rto_max_us;
	uint64_t delack_us;
	uint64_t tolerance_us; /* |arrival - expected| allowed on timed expects */
	/* A silence long enough to show that nothing more comes (after CLOSED,
	 * after a last ACK): free in virtual time, a few RTOs in real time.
	 * Cases write `expect_none: quiet` instead of a duration per target. */
	uint64_t quiet_us;
	/* A timer may also fire this many percent of its delay late (Linux's
	 * timer wheel rounds a timeout up to its level's granularity, at most
	 * 1/8 of it): added to the tolerance on the late side only. */
	unsigned late_pct;
};

/* A case's duration in microseconds on this profile. */
uint64_t tc_dur_us(const struct tc_dur *d, const struct tc_profile *p);

#define TC_MAX_TRANSITIONS 32

struct tc_transitions {
	int n;
	enum tc_state from[TC_MAX_TRANSITIONS], to[TC_MAX_TRANSITIONS];
};

#endif
