/* See ref_setup.h. */
#include "ref_setup.h"

#include <string.h>

/* The RFC 6528 secretkey of the ref target's stack: 16 bytes */
#define REF_ISS_SECRET "tcpconform-isn-k"

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

static void apply_case_conf(struct refstack_config *cfg, struct tc_profile *prof,
			    const struct tc_case_conf *cc)
{
	/* Durations in the config may name profile values: resolve them
	 * against the defaults, before any of them changes. */
	struct tc_profile base = ref_profile_default;

	if (cc->fields & TC_C_MSL)
		cfg->msl_us = prof->msl_us = tc_dur_us(&cc->msl, &base);
	if (cc->fields & TC_C_RTO)
		cfg->rto_initial_us = prof->rto_us = tc_dur_us(&cc->rto, &base);
	if (cc->fields & TC_C_RTO_MIN)
		cfg->rto_min_us = prof->rto_min_us = tc_dur_us(&cc->rto_min, &base);
	if (cc->fields & TC_C_RTO_MAX)
		cfg->rto_max_us = prof->rto_max_us = tc_dur_us(&cc->rto_max, &base);
	if (cc->fields & TC_C_DELACK)
		cfg->delack_us = prof->delack_us = tc_dur_us(&cc->delack, &base);
	if (cc->fields & TC_C_WINDOW)
		cfg->rcv_wnd = cc->window;
	if (cc->fields & TC_C_MSS)
		cfg->mss = cc->mss;
	if (cc->fields & TC_C_ISS)
		cfg->iss = cc->iss;
	/* 9293 3.4.1, RFC 6528 3: the stack's own generator, clock and hash */
	if (cc->fields & TC_C_ISS_RFC6528)
		cfg->iss_mode = REFSTACK_ISS_RFC6528;
	/* RFC 1337 4: an RST in TIME-WAIT is ignored */
	if (cc->fields & TC_C_RFC1337)
		cfg->rfc1337 = cc->rfc1337;
	/* RFC 5961 7: challenge ACKs per 5 s (0: no limit) */
	if (cc->fields & TC_C_CHALLENGE_ACK_LIMIT)
		cfg->challenge_ack_limit = cc->challenge_ack_limit;
	/* RFC 1122 4.2.2.13 (MAY-2): a SYN reopens TIME-WAIT */
	if (cc->fields & TC_C_TIME_WAIT_REOPEN)
		cfg->time_wait_reopen = cc->time_wait_reopen;
	if (cc->fields & TC_C_SYN_RETRIES)
		cfg->syn_retries = cc->syn_retries;
	if (cc->fields & TC_C_RETRIES)
		cfg->retries = cc->retries;
	/* 9293 3.8.6.3: delayed ACKs with the stack's own delay unless the
	 * case pins one; the stack keeps any delay under 0.5 s (MUST-40) */
	if ((cc->fields & TC_C_DELAYED_ACK) && !(cc->fields & TC_C_DELACK))
		cfg->delack_us = cc->delayed_ack ? REFSTACK_DELACK_ON_US : 0;
	if (cfg->delack_us > REFSTACK_DELACK_MAX_US)
		cfg->delack_us = REFSTACK_DELACK_MAX_US;
	prof->delack_us = cfg->delack_us;
	/* 9293 3.7.4: the Nagle algorithm (off on ref unless asked for) */
	if (cc->fields & TC_C_NAGLE)
		cfg->nagle = cc->nagle;
	/* RFC 5681 (with 6582, 3042, 6675): congestion control, and the
	 * initial window in segments (0 = RFC 5681 3.1's) */
	if (cc->fields & TC_C_CC)
		cfg->cc = cc->cc;
	if (cc->fields & TC_C_INITIAL_WINDOW)
		cfg->cc_iw = cc->initial_window;
	/* 9293 3.8.4: keep-alive; with a duration, probes repeat at it too */
	if (cc->fields & TC_C_KEEPALIVE) {
		cfg->keepalive_us = 0;
		cfg->keepalive_intvl_us = 0;
		if (cc->keepalive_mode == TC_KEEPALIVE_DEFAULT)
			cfg->keepalive_us = REFSTACK_DEFAULT_KEEPALIVE_US;
		if (cc->keepalive_mode == TC_KEEPALIVE_AFTER)
			cfg->keepalive_us = cfg->keepalive_intvl_us = tc_dur_us(&cc->keepalive, &base);
	}
}

/* A TSval clock that wraps 296 ms into a case (virtual time starts at
 * 1 s), so timestamps are compared modulo 2^32 (RFC 7323 5.2) or fail. */
#define REF_TS_OFFSET 4294966000u

/* The case's `profile:`. minimal (and a case naming none): RFC 9293 alone,
 * no option but the MSS. default: window scale (shift 7, as Linux offers
 * for its default buffers), SACK-permitted and timestamps offered, as a
 * modern stack does. */
static void apply_stack_profile(struct refstack_config *cfg, enum tc_stack_profile p)
{
	if (p != TC_SP_DEFAULT)
		return;
	cfg->wscale = true;
	cfg->wscale_shift = 7;
	cfg->sack_permitted = true;
	cfg->timestamps = true;
	cfg->ts_offset = REF_TS_OFFSET;
}

void ref_setup_config(struct refstack_config *cfg, struct tc_profile *prof, const struct tc_profile *base_prof,
		      const struct seg_addr *addr, const struct tc_case_conf *cc, enum tc_stack_profile sp)
{
	refstack_config_default(cfg);
	cfg->addr = *addr;
	/* Every case's relative numbers work with any ISS; a fixed one near
	 * the top of sequence space makes every case cross the 2^32 wrap.
	 * `iss: rfc6528` turns the stack's generator on (RFC 6528 3), keyed
	 * with the secret below: a constant, so runs repeat exactly (MUST-9's
	 * secrecy is not something a test harness can give or observe). */
	cfg->iss = REF_DEFAULT_ISS;
	cfg->iss_mode = REFSTACK_ISS_FIXED;
	memcpy(cfg->iss_secret, REF_ISS_SECRET, sizeof(cfg->iss_secret));
	/* RFC 6691 2: the MSS of a 1500-byte Ethernet MTU less the fixed IP
	 * and TCP headers, so 1460 on IPv4 and 1440 on IPv6. */
	cfg->mss = addr->family == 6 ? 1440 : 1460;
	apply_stack_profile(cfg, sp);
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
