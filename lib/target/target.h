/* Targets: one ops struct per kind of stack under test. The engine talks to
 * a target only through these wrappers and never asks which one it runs. */
#ifndef TC_TARGET_H
#define TC_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/tc_case.h"
#include "../engine/tc_state.h"
#include "../err/tc_err.h"
#include "../seg/seg.h"

enum tc_cap {
	TC_CAP_APP = 1u << 0, /* application actions */
	TC_CAP_STATE = 1u << 1, /* exact state reads */
	TC_CAP_VIRTUAL_TIME = 1u << 2, /* waits cost no wall time */
};

/* Timing values a duration may name, and the tolerance on expectations. */
struct tc_profile {
	uint64_t msl_us;
	uint64_t rto_us; /* initial RTO */
	uint64_t rto_min_us;
	uint64_t rto_max_us;
	uint64_t delack_us;
	uint64_t tolerance_us; /* |arrival - expected| allowed on timed expects */
	/* A timer may also fire this many percent of its delay late (Linux's
	 * timer wheel rounds a timeout up to its level's granularity, at most
	 * 1/8 of it): added to the tolerance on the late side only. */
	unsigned late_pct;
};

/* What one case needs the target to set up. */
struct tc_target_conf {
	struct seg_addr target_addr, peer_addr;
	uint16_t port, peer_port;
	const struct tc_case_conf *case_conf; /* may be NULL */
	const char *fault; /* seeded fault name, faults build only; NULL = none */
	unsigned worker; /* which parallel worker runs the case (0-based) */
	bool keep_netns; /* name the namespaces a target makes, for debugging */
};

#define TC_MAX_TRANSITIONS 32

struct tc_transitions {
	int n;
	enum tc_state from[TC_MAX_TRANSITIONS], to[TC_MAX_TRANSITIONS];
};

struct tc_target;

struct tc_target_ops {
	const char *name;
	unsigned caps; /* enum tc_cap */
	/* Make a fresh target instance for one case. */
	struct tc_target *(*open)(const struct tc_target_conf *conf, struct tc_err *err);
	void (*close)(struct tc_target *t);
	int (*inject)(struct tc_target *t, const struct tc_seg *s, struct tc_err *err);
	/* Wait for the next segment the target sends, up to deadline_us on the
	 * target's clock. 1 = got one (at *at_us), 0 = none by the deadline,
	 * -1 = error. */
	int (*capture)(struct tc_target *t, uint64_t deadline_us, struct tc_seg *out,
		       uint64_t *at_us, struct tc_err *err);
	int (*app)(struct tc_target *t, const struct tc_app *act, struct tc_err *err);
	/* The current state of the case's connection (LISTEN when only a
	 * listener is there, CLOSED when nothing is), and the transitions seen
	 * since the last call (may be NULL). */
	int (*state)(struct tc_target *t, enum tc_state *out, struct tc_transitions *since,
		     struct tc_err *err);
	uint64_t (*now)(struct tc_target *t);
	/* Let the target's time pass to t_us, running whatever it does meanwhile;
	 * segments it sends are kept for the next capture. */
	int (*sleep_until)(struct tc_target *t, uint64_t t_us, struct tc_err *err);
	const struct tc_profile *(*profile)(struct tc_target *t);
	/* The exchange so far as a pcap file; NULL when the target has no wire. */
	int (*save_pcap)(struct tc_target *t, const char *path, struct tc_err *err);
	/* Async-signal-safe: remove what the target made outside this process
	 * (tracefs instances) when SIGINT or SIGTERM ends the run. May be NULL.
	 * What is held by descriptor (namespaces) goes with the process. */
	void (*signal_cleanup)(void);
	/* The run is over: release what the target kept between cases
	 * (per-worker namespaces, captures, tracefs instances). May be NULL. */
	void (*shutdown)(void);
	/* Faults build only: the names this target accepts in conf->fault. */
	const char *const *(*faults)(void);
};

/* Every instance starts with this. */
struct tc_target {
	const struct tc_target_ops *ops;
};

/* A case's duration in microseconds on this target's profile. */
uint64_t target_dur_us(const struct tc_dur *d, const struct tc_profile *p);

const struct tc_target_ops *target_find(const char *name);
/* Calls every target's shutdown: at the end of a run. */
void target_shutdown_all(void);

/* Calls every target's signal_cleanup; async-signal-safe. */
void target_signal_cleanup(void);

/* NULL-terminated list of every target kind compiled in. */
const struct tc_target_ops *const *target_all(void);

static inline int target_inject(struct tc_target *t, const struct tc_seg *s, struct tc_err *err)
{
	if (!t->ops->inject)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "target %s cannot inject", t->ops->name);
	return t->ops->inject(t, s, err);
}

static inline int target_capture(struct tc_target *t, uint64_t deadline_us, struct tc_seg *out,
				 uint64_t *at_us, struct tc_err *err)
{
	if (!t->ops->capture)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "target %s cannot capture", t->ops->name);
	return t->ops->capture(t, deadline_us, out, at_us, err);
}

static inline int target_app(struct tc_target *t, const struct tc_app *act, struct tc_err *err)
{
	if (!t->ops->app || !(t->ops->caps & TC_CAP_APP))
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "target %s has no application control", t->ops->name);
	return t->ops->app(t, act, err);
}

static inline int target_state(struct tc_target *t, enum tc_state *out, struct tc_transitions *since,
			       struct tc_err *err)
{
	if (!t->ops->state || !(t->ops->caps & TC_CAP_STATE))
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "target %s cannot read states",
				  t->ops->name);
	return t->ops->state(t, out, since, err);
}

static inline uint64_t target_now(struct tc_target *t)
{
	return t->ops->now(t);
}

static inline int target_sleep_until(struct tc_target *t, uint64_t t_us, struct tc_err *err)
{
	return t->ops->sleep_until(t, t_us, err);
}

static inline const struct tc_profile *target_profile(struct tc_target *t)
{
	return t->ops->profile(t);
}

static inline void target_close(struct tc_target *t)
{
	if (t)
		t->ops->close(t);
}

#endif
