/* See ref_setup.h. */
#include "ref_setup.h"

static const struct tc_profile ref_profile_default = {
	.msl_us = REFSTACK_DEFAULT_MSL_US,
	.rto_us = REFSTACK_DEFAULT_RTO_US,
	.rto_min_us = REFSTACK_DEFAULT_RTO_MIN_US,
	.rto_max_us = REFSTACK_DEFAULT_RTO_MAX_US,
	.delack_us = REFSTACK_DEFAULT_DELACK_US,
	.tolerance_us = 0, /* virtual time is exact */
	.quiet_us = 2 * REFSTACK_DEFAULT_MSL_US, /* free in virtual time: past every timer */
};

const struct tc_profile *ref_setup_default_profile(void)
{
	return &ref_profile_default;
}

enum tc_state ref_setup_state(enum refstack_state st)
{
	switch (st) {
	case REFSTACK_CLOSED: return TC_CLOSED;
	case REFSTACK_LISTEN: return TC_LISTEN;
	case REFSTACK_SYN_SENT: return TC_SYN_SENT;
	case REFSTACK_SYN_RECEIVED: return TC_SYN_RECEIVED;
	case REFSTACK_ESTABLISHED: return TC_ESTABLISHED;
	case REFSTACK_FIN_WAIT_1: return TC_FIN_WAIT_1;
	case REFSTACK_FIN_WAIT_2: return TC_FIN_WAIT_2;
	case REFSTACK_CLOSE_WAIT: return TC_CLOSE_WAIT;
	case REFSTACK_CLOSING: return TC_CLOSING;
	case REFSTACK_LAST_ACK: return TC_LAST_ACK;
	case REFSTACK_TIME_WAIT: return TC_TIME_WAIT;
	}
	return TC_CLOSED;
}

static void apply_case_conf(struct refstack_config *cfg, struct tc_profile *prof, const struct tc_case_conf *cc)
{
	/* Durations in the config may name profile values: resolve them
	 * against the defaults, before any of them changes. */
	const struct tc_profile *base = &ref_profile_default;

	if (cc->fields & TC_C_MSL)
		cfg->msl_us = prof->msl_us = tc_dur_us(&cc->msl, base);
	if (cc->fields & TC_C_RTO)
		cfg->rto_initial_us = prof->rto_us = tc_dur_us(&cc->rto, base);
	if (cc->fields & TC_C_RTO_MIN)
		cfg->rto_min_us = prof->rto_min_us = tc_dur_us(&cc->rto_min, base);
	if (cc->fields & TC_C_RTO_MAX)
		cfg->rto_max_us = prof->rto_max_us = tc_dur_us(&cc->rto_max, base);
	if (cc->fields & TC_C_DELACK)
		cfg->delack_us = prof->delack_us = tc_dur_us(&cc->delack, base);
	if (cc->fields & TC_C_WINDOW)
		cfg->rcv_wnd = cc->window;
	if (cc->fields & TC_C_MSS)
		cfg->mss = cc->mss;
	if (cc->fields & TC_C_ISS)
		cfg->iss = cc->iss;
	if (cc->fields & TC_C_SYN_RETRIES)
		cfg->syn_retries = cc->syn_retries;
	if (cc->fields & TC_C_RETRIES)
		cfg->retries = cc->retries;
}

void ref_setup_config(struct refstack_config *cfg, struct tc_profile *prof, const struct tc_profile *base_prof,
		      const struct seg_addr *addr, const struct tc_case_conf *cc)
{
	refstack_config_default(cfg);
	cfg->addr = *addr;
	cfg->iss = REF_DEFAULT_ISS;
	/* RFC 6691 2: the MSS of a 1500-byte Ethernet MTU less the fixed IP
	 * and TCP headers, so 1460 on IPv4 and 1440 on IPv6. */
	cfg->mss = addr->family == 6 ? 1440 : 1460;
	*prof = *base_prof;
	if (cc)
		apply_case_conf(cfg, prof, cc);
	/* a case with a longer MSL keeps timers past the default silence */
	if (prof->quiet_us < 2 * prof->msl_us && base_prof->quiet_us >= 2 * base_prof->msl_us)
		prof->quiet_us = 2 * prof->msl_us;
}

#ifdef REFSTACK_FAULTS
const char *const *ref_setup_fault_names(void)
{
	static const char *const names[] = {
#define REF_FAULT_NAME(e, name, desc) name,
		REFSTACK_FAULT_LIST(REF_FAULT_NAME)
#undef REF_FAULT_NAME
		NULL,
	};

	return names + 1; /* past "none" */
}
#endif
