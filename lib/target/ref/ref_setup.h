/* How the bundled stack is set up for a case: shared by the ref target (in
 * process, virtual time) and the agent's ref stack (`tcpconform agent
 * --stack ref`, behind the ref-net target), so both run the same stack
 * with the same defaults. */
#ifndef TC_REF_SETUP_H
#define TC_REF_SETUP_H

#include "../../case/tc_case.h"
#include "../../case/tc_profile.h"
#include "../../case/tc_state.h"
#include "../../refstack/refstack.h"

/* Virtual time starts away from zero so a "time 0" bug cannot hide. */
#define REF_EPOCH_US 1000000ull
/* A default ISS near the top of sequence space, so data and FIN cross the
 * 2^32 wrap in the cases and relative numbering is exercised. */
#define REF_DEFAULT_ISS 4294967000u

/* The reference stack's RFC defaults (refstack_config_default) as a
 * profile; tolerance 0 and a silence of 2*MSL, as in virtual time. */
const struct tc_profile *ref_setup_default_profile(void);

/* cfg and prof for a case on addr: the defaults, the MSS of a 1500-byte
 * MTU for addr's family, the default ISS, then what cc pins (cc may be
 * NULL; its durations are resolved against the default profile) and
 * what the case's `profile:` sp offers (minimal: the MSS alone). prof
 * starts from *base_prof (the caller's timing: tolerance, silence). */
void ref_setup_config(struct refstack_config *cfg, struct tc_profile *prof, const struct tc_profile *base_prof,
		      const struct seg_addr *addr, const struct tc_case_conf *cc, enum tc_stack_profile sp);

enum tc_state ref_setup_state(enum refstack_state st);

#ifdef REFSTACK_FAULTS
/* The seeded faults' names, NULL-terminated, "none" left out. */
const char *const *ref_setup_fault_names(void);
#endif

#endif
