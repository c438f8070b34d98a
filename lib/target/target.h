/* Targets: one ops struct per kind of stack under test. The engine talks to
 * a target only through these wrappers and never asks which one it runs.
 *
 * A target has two scopes. A run (struct tc_target_run) is opened once per
 * `tcpconform run` with the run's settings and owns everything that lives
 * longer than one case: per-worker namespaces, the registry of what must be
 * removed on a signal, the stale-instance sweep. A case instance (struct
 * tc_target) is opened on a run for one case on one family. No target keeps
 * mutable state at file scope. */
#ifndef TC_TARGET_H
#define TC_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../case/tc_case.h"
#include "../case/tc_profile.h"
#include "../case/tc_state.h"
#include "../err/tc_err.h"
#include "../seg/seg.h"

enum tc_cap {
	TC_CAP_APP = 1u << 0, /* application actions */
	TC_CAP_STATE = 1u << 1, /* exact state reads */
	TC_CAP_VIRTUAL_TIME = 1u << 2, /* waits cost no wall time */
	/* The target provides ports of its own instead of application control
	 * (a remote host without an agent): a listening one for cases that
	 * need `open-port`, a closed one for `closed-port` (case-format.md). */
	TC_CAP_OPEN_PORT = 1u << 3,
	TC_CAP_CLOSED_PORT = 1u << 4,
	TC_CAP_URGENT = 1u << 5, /* urgent data: send it, be told of it, find its mark */
	/* the application can OPEN to an address that names no host
	 * (connect multicast|broadcast), to be refused (MUST-46) */
	TC_CAP_CONNECT_INVALID = 1u << 6,
	/* ICMP errors and broadcast/multicast addresses may be injected: the
	 * wire is the run's own (TC_REQ_IP_LEVEL) */
	TC_CAP_IP_LEVEL = 1u << 7,
	TC_CAP_MULTIHOMED = 1u << 8, /* a second target address (TC_REQ_MULTIHOMED) */
};

/* The run's settings, given once. */
struct tc_run_conf {
	unsigned jobs; /* workers that open cases at once; worker ids are 0..jobs-1 */
	bool keep_netns; /* name the namespaces a target makes, for debugging */
	const char *fault; /* seeded fault name, faults build only; NULL = none */
	/* What follows the target's name in `--target NAME:PARAM` ("198.51.100.2:8080"
	 * for remote); NULL when none was given. Only a target with takes_param. */
	const char *param;
	/* --stack NAME: the target whose `on:`, `deviations:` and `skip:` apply
	 * (the stack a remote host runs); NULL = none. */
	const char *stack;
	/* The remote target's settings (lib/target/remote/remote_conf.h). */
	const struct remote_conf *remote;
};

/* What one case needs the target to set up. */
struct tc_target_conf {
	struct seg_addr target_addr, peer_addr;
	/* the target's second address, for a target with TC_CAP_MULTIHOMED */
	struct seg_addr target_addr2;
	uint16_t port, peer_port;
	const struct tc_case_conf *case_conf; /* may be NULL */
	/* The case's `profile:`; TC_SP_UNSET: the target's default. A target
	 * without that profile fails open with TC_ERR_UNSUPPORTED (a SKIP). */
	enum tc_stack_profile profile;
	unsigned worker; /* which parallel worker runs the case (0-based, < jobs) */
};

struct tc_target;
struct tc_target_run;
struct capfile_request; /* lib/wire/wire_pcapng.h */
struct remote_conf; /* lib/target/remote/remote_conf.h */

/* Where one case run's segments go, when the run decides it (a remote
 * host): in, what the engine would use; out, what the run uses. */
struct tc_case_addrs {
	struct seg_addr target, peer;
	uint16_t port, peer_port;
	unsigned needs; /* the case's enum tc_require bits */
	unsigned run_index; /* the case run's number in the run */
};

struct tc_target_ops {
	const char *name;
	/* The target whose per-step expectations (`on:`) apply here when a
	 * step names none for this one: the same stack on another path
	 * (ref-net runs ref behind a wire). NULL: none. */
	const char *inherits;
	/* One line of what it is, for `tcpconform list-targets`. */
	const char *description;
	unsigned caps; /* enum tc_cap */
	/* The socket options app setsockopt / getsockopt take here
	 * (1u << enum tc_sockopt); a case needing another is skipped. */
	unsigned sockopts;
	/* At most this many workers at once (0: no limit). */
	unsigned max_jobs;
	/* Without --jobs at most this many (0: max_jobs): a remote host gets
	 * one case at a time unless the run asks for more. */
	unsigned default_jobs_max;
	/* True when cases spend their time waiting in real time rather than
	 * computing: the default --jobs then follows the waiting, not the
	 * CPUs. */
	bool real_time;
	/* `--target NAME:PARAM` is this target with a parameter (run conf
	 * param); the name alone is refused by run_open when it needs one. */
	bool takes_param;

	/* The profile a case gets when it pins nothing. */
	const struct tc_profile *(*default_profile)(void);

	/* ---- run scope ---- */
	struct tc_target_run *(*run_open)(const struct tc_run_conf *conf, struct tc_err *err);
	/* The run is over: release everything it made. */
	void (*run_close)(struct tc_target_run *run);
	/* Async-signal-safe: remove what the run made outside this process
	 * (tracefs instances, named namespaces) when a signal ends it. The run
	 * is dead afterwards: only run_close (which then just frees) may
	 * follow. May be NULL. */
	void (*run_signal_cleanup)(struct tc_target_run *run);
	/* May be NULL (the engine's fixed addresses, engine_addrs). The
	 * addresses and ports of one case run on `family`; TC_ERR_UNSUPPORTED
	 * skips the case run with the message (a remote host has one family). */
	int (*run_addrs)(struct tc_target_run *run, int family, struct tc_case_addrs *io, struct tc_err *err);
	/* May be NULL. Why the run cannot go on (a remote host stopped
	 * answering, a cap was reached): the harness stops the run and exits 1.
	 * False while it can. */
	bool (*run_broken)(struct tc_target_run *run, char *why, size_t cap);

	/* ---- case scope ---- */
	/* A fresh instance for one case; thread-safe for distinct workers. */
	struct tc_target *(*open)(struct tc_target_run *run, const struct tc_target_conf *conf,
				  struct tc_err *err);
	void (*close)(struct tc_target *t);
	/* May be NULL. Waits until the next inject may go (a rate limit), so
	 * that the engine stamps a segment when it really leaves. */
	int (*pace)(struct tc_target *t, struct tc_err *err);
	int (*inject)(struct tc_target *t, const struct tc_seg *s, struct tc_err *err);
	/* Wait for the next segment the target sends, up to deadline_us on the
	 * target's clock. 1 = got one (at *at_us), 0 = none by the deadline,
	 * -1 = error. */
	int (*capture)(struct tc_target *t, uint64_t deadline_us, struct tc_seg *out,
		       uint64_t *at_us, struct tc_err *err);
	/* An application action. 0 when the call was made: *res says how it
	 * went (the errno it failed with, what it returned, the bytes a recv
	 * read), and the engine judges that against the step. -1 when it
	 * could not be made: TC_ERR_TARGET when the stack is to blame (there
	 * is no connection to send on), anything else (a helper process that
	 * died) is an error of the run. */
	int (*app)(struct tc_target *t, const struct tc_app *act, struct tc_app_result *res,
		   struct tc_err *err);
	/* The current state of the case's connection (LISTEN when only a
	 * listener is there, CLOSED when nothing is), and the transitions seen
	 * since the last call (may be NULL). */
	int (*state)(struct tc_target *t, enum tc_state *out, struct tc_transitions *since,
		     struct tc_err *err);
	uint64_t (*now)(struct tc_target *t);
	/* Let the target's time pass to t_us, running whatever it does
	 * meanwhile; segments it sends are kept for the next capture. */
	int (*sleep_until)(struct tc_target *t, uint64_t t_us, struct tc_err *err);
	const struct tc_profile *(*profile)(struct tc_target *t);
	/* The exchange so far as a capture file in req's format, with req's
	 * comments on the frames that carried the engine's segments; NULL
	 * when the target has no wire (the engine then writes the capture
	 * from its own history). */
	int (*save_pcap)(struct tc_target *t, const struct capfile_request *req, const char *path,
			 struct tc_err *err);
	/* Faults build only: the names this target accepts in run conf->fault. */
	const char *const *(*faults)(void);
};

/* Every run starts with this. */
struct tc_target_run {
	const struct tc_target_ops *ops;
	/* What this run can do when it differs from ops->caps (0: ops->caps):
	 * a remote run with an agent has app and state. */
	unsigned caps;
	/* Whose `on:`, `deviations:` and `skip:` apply (NULL: ops->name). */
	const char *override_name;
};

/* Every case instance starts with this. */
struct tc_target {
	const struct tc_target_ops *ops;
	struct tc_target_run *run;
};

/* A target by name; "NAME:PARAM" finds a target that takes_param (the
 * PARAM is target_param's). */
const struct tc_target_ops *target_find(const char *name);
/* The PARAM of "NAME:PARAM", or NULL. */
const char *target_param(const char *name);

/* NULL-terminated list of every target kind compiled in. */
const struct tc_target_ops *const *target_all(void);

/* A target this tcpconform knows of but was built without (its library
 * was missing at build time): what to install, e.g. "install liblwip-dev
 * and rebuild"; NULL for a built target or an unknown name. Case files may
 * name such a target in `on:`, `deviations:` and `skip:`. */
const char *target_not_built(const char *name);

/* NULL-terminated names of the targets known but not built. */
const char *const *target_all_not_built(void);

/* A built target, or one known but not built. */
bool target_name_known(const char *name);

/* The default number of workers for a run of `nruns` case runs on this
 * target on a machine with `ncpu` CPUs; `wait_us` and `longest_us` are the
 * case runs' summed and largest real-time demand (0 when unknown). Within
 * [1, max_jobs]. */
unsigned target_default_jobs(const struct tc_target_ops *ops, unsigned ncpu, size_t nruns,
			     uint64_t wait_us, uint64_t longest_us);

static inline struct tc_target_run *target_run_open(const struct tc_target_ops *ops,
						    const struct tc_run_conf *conf, struct tc_err *err)
{
	return ops->run_open(conf, err);
}

static inline void target_run_close(struct tc_target_run *run)
{
	if (run)
		run->ops->run_close(run);
}

static inline void target_run_signal_cleanup(struct tc_target_run *run)
{
	if (run && run->ops->run_signal_cleanup)
		run->ops->run_signal_cleanup(run);
}

static inline unsigned target_run_caps(const struct tc_target_run *run)
{
	return run->caps ? run->caps : run->ops->caps;
}

static inline const char *target_run_override_name(const struct tc_target_run *run)
{
	return run->override_name ? run->override_name : run->ops->name;
}

static inline bool target_run_broken(struct tc_target_run *run, char *why, size_t cap)
{
	return run && run->ops->run_broken && run->ops->run_broken(run, why, cap);
}

static inline unsigned target_caps(const struct tc_target *t)
{
	return t->run ? target_run_caps(t->run) : t->ops->caps;
}

static inline int target_pace(struct tc_target *t, struct tc_err *err)
{
	return t->ops->pace ? t->ops->pace(t, err) : 0;
}

static inline struct tc_target *target_open(struct tc_target_run *run, const struct tc_target_conf *conf,
					    struct tc_err *err)
{
	return run->ops->open(run, conf, err);
}

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

static inline int target_app(struct tc_target *t, const struct tc_app *act, struct tc_app_result *res,
			     struct tc_err *err)
{
	if (!t->ops->app || !(target_caps(t) & TC_CAP_APP))
		return tc_err_set(err, TC_ERR_UNSUPPORTED,
				  "target %s has no application control", t->ops->name);
	if ((act->verb == TC_APP_SETSOCKOPT || act->verb == TC_APP_GETSOCKOPT) &&
	    !(t->ops->sockopts & (1u << act->opt)))
		return tc_err_set(err, TC_ERR_TARGET, "target %s has no socket option %s (list it in requires:)",
				  t->ops->name, tc_sockopt_name(act->opt));
	if (act->verb == TC_APP_SEND && act->urgent && !(t->ops->caps & TC_CAP_URGENT))
		return tc_err_set(err, TC_ERR_TARGET, "target %s cannot send urgent data (list urgent in requires:)",
				  t->ops->name);
	if (act->verb == TC_APP_POLL && (act->poll == TC_POLL_URGENT || act->poll == TC_POLL_ATMARK) &&
	    !(t->ops->caps & TC_CAP_URGENT))
		return tc_err_set(err, TC_ERR_TARGET, "target %s cannot tell of urgent data (list urgent in requires:)",
				  t->ops->name);
	if (act->verb == TC_APP_CONNECT && act->connect_to != TC_CONNECT_PEER &&
	    !(t->ops->caps & TC_CAP_CONNECT_INVALID))
		return tc_err_set(err, TC_ERR_TARGET,
				  "target %s connects to the peer only (list connect-invalid in requires:)",
				  t->ops->name);
	memset(res, 0, sizeof(*res));
	return t->ops->app(t, act, res, err);
}

static inline int target_state(struct tc_target *t, enum tc_state *out, struct tc_transitions *since,
			       struct tc_err *err)
{
	if (!t->ops->state || !(target_caps(t) & TC_CAP_STATE))
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

static inline int target_save_pcap(struct tc_target *t, const struct capfile_request *req, const char *path,
				   struct tc_err *err)
{
	if (!t->ops->save_pcap)
		return tc_err_set(err, TC_ERR_UNSUPPORTED, "target %s has no wire to save", t->ops->name);
	return t->ops->save_pcap(t, req, path, err);
}

static inline void target_close(struct tc_target *t)
{
	if (t)
		t->ops->close(t);
}

/* The `inherits` of the target named name, NULL when none (or no such
 * target). */
const char *target_inherits(const char *name);

#endif
