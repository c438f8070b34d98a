/* Target `ref-net`: the reference stack behind a real wire. Each worker
 * keeps a namespace pair (veth_wire, as the linux target does) whose
 * target end is bare: no address, no neighbours, no IPv6, so the target
 * namespace's kernel owns nothing there and drops what arrives. The stack
 * is an agent process in that namespace (refnet_agent) with a packet
 * socket on the veth, playing 192.0.2.1 / 2001:db8::1 itself (answering
 * ARP and neighbour solicitations; the injector's MAC is given to it as a
 * permanent neighbour); the injector and the capture sit on the harness
 * end. Application actions and states go over the agent protocol on a
 * socketpair made at fork: the point is the wire path, and the control
 * connection need not cross it.
 *
 * One agent per case, started by the worker's thread (so PR_SET_PDEATHSIG
 * ties it to a thread that lives as long as the case) and ended by its
 * PID at close. The run's token file lives in a private folder of the run
 * and goes at run_close or on a signal. */
#include "target_refnet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../agent/agent_client.h"
#include "../../wire/wire.h"
#include "../ref/ref_setup.h"
#include "../veth/veth_wire.h"
#include "refnet_agent.h"

#define REFNET_MAX_WORKERS 64
/* How long an action may wait in the agent (accept, recv, send). */
#define REFNET_APP_TIMEOUT_US 500000u
#define REFNET_TOKEN_BYTES 32

/* The ref stack's timing, on a real clock: the agent runs its timers from
 * poll() timeouts (rounded up to the millisecond) and the frames cross a
 * veth and a scheduler, so a tolerance like the linux target's. */
static const struct tc_profile refnet_profile = {
	.msl_us = REFSTACK_DEFAULT_MSL_US,
	.rto_us = REFSTACK_DEFAULT_RTO_US,
	.rto_min_us = REFSTACK_DEFAULT_RTO_MIN_US,
	.rto_max_us = REFSTACK_DEFAULT_RTO_MAX_US,
	.delack_us = REFSTACK_DEFAULT_DELACK_US,
	.tolerance_us = 15000,
	.quiet_us = 3000000, /* several RTOs: whatever was still due has come */
	.late_pct = 1,
};

struct refnet_run {
	struct tc_target_run base;
	bool keep_netns;
	unsigned nenvs;
	struct veth_wire *envs; /* one per worker, touched by its thread only */
	char *fault;
	char token_dir[64];
	char token_path[96];
};

struct target_refnet {
	struct tc_target base;
	struct veth_wire *env;
	struct refnet_agent *agent;
	bool broken; /* the env is not to be handed on */
	struct tc_profile prof;
};

/* The run's token: random bytes in a file only we may read, in a folder
 * only we may enter. */
static int make_token(struct refnet_run *run, struct tc_err *err)
{
	uint8_t tok[REFNET_TOKEN_BYTES];
	int fd;

	snprintf(run->token_dir, sizeof(run->token_dir), "/tmp/tcpconform-refnet-XXXXXX");
	if (!mkdtemp(run->token_dir)) {
		run->token_dir[0] = '\0';
		return tc_err_set(err, TC_ERR_SYSTEM, "mkdtemp: %s", strerror(errno));
	}
	snprintf(run->token_path, sizeof(run->token_path), "%s/token", run->token_dir);
	if (getrandom(tok, sizeof(tok), 0) != (ssize_t)sizeof(tok))
		return tc_err_set(err, TC_ERR_SYSTEM, "getrandom: %s", strerror(errno));
	fd = open(run->token_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "%s: %s", run->token_path, strerror(errno));
	if (write(fd, tok, sizeof(tok)) != (ssize_t)sizeof(tok)) {
		close(fd);
		return tc_err_set(err, TC_ERR_SYSTEM, "%s: %s", run->token_path, strerror(errno));
	}
	close(fd);
	return 0;
}

/* Async-signal-safe. */
static void remove_token(struct refnet_run *run)
{
	if (run->token_path[0])
		unlink(run->token_path);
	if (run->token_dir[0])
		rmdir(run->token_dir);
}

static void refnet_run_close(struct tc_target_run *base)
{
	struct refnet_run *run = (struct refnet_run *)base;

	for (unsigned i = 0; i < run->nenvs; i++)
		if (run->envs[i].ready)
			veth_wire_destroy(&run->envs[i]);
	remove_token(run);
	free(run->fault);
	free(run->envs);
	free(run);
}

static struct tc_target_run *refnet_run_open(const struct tc_run_conf *conf, struct tc_err *err)
{
	struct refnet_run *run;

#ifdef REFSTACK_FAULTS
	enum refstack_fault f;

	if (conf->fault && refstack_fault_parse(conf->fault, &f) != 0) {
		tc_err_set(err, TC_ERR_USAGE, "unknown fault '%s' (--list-faults lists them)", conf->fault);
		return NULL;
	}
#else
	if (conf->fault) {
		tc_err_set(err, TC_ERR_USAGE, "this build has no seeded faults; use tcpconform-faults");
		return NULL;
	}
#endif
	if (conf->jobs < 1 || conf->jobs > REFNET_MAX_WORKERS) {
		tc_err_set(err, TC_ERR_USAGE, "ref-net target: --jobs %u: 1 to %d workers", conf->jobs,
			   REFNET_MAX_WORKERS);
		return NULL;
	}
	run = calloc(1, sizeof(*run));
	if (!run || !(run->envs = calloc(conf->jobs, sizeof(*run->envs))) ||
	    (conf->fault && !(run->fault = strdup(conf->fault)))) {
		if (run)
			free(run->envs);
		free(run);
		tc_err_set(err, TC_ERR_NOMEM, "ref-net target: out of memory");
		return NULL;
	}
	run->base.ops = &target_refnet_ops;
	run->keep_netns = conf->keep_netns;
	run->nenvs = conf->jobs;
	if (make_token(run, err) != 0 || netns_remove_stale(err) < 0) {
		tc_err_prefix(err, "ref-net target");
		refnet_run_close(&run->base);
		return NULL;
	}
	return &run->base;
}

static void refnet_run_signal_cleanup(struct tc_target_run *base)
{
	struct refnet_run *run = (struct refnet_run *)base;

	remove_token(run);
	for (unsigned i = 0; i < run->nenvs; i++)
		netns_pair_unname_signal_safe(&run->envs[i].ns);
}

static const struct tc_profile *refnet_default_profile(void)
{
	return &refnet_profile;
}

static void refnet_close(struct tc_target *base)
{
	struct target_refnet *t = (struct target_refnet *)base;
	struct tc_err e;

	if (!t)
		return;
	if (t->agent && agent_case_end(refnet_agent_client(t->agent), &e) != 0)
		t->broken = true;
	refnet_agent_stop(t->agent);
	if (t->broken && t->env)
		veth_wire_destroy(t->env);
	free(t);
}

static struct tc_target *refnet_open(struct tc_target_run *runbase, const struct tc_target_conf *conf,
				     struct tc_err *err)
{
	struct refnet_run *run = (struct refnet_run *)runbase;
	struct netns_pair_conf nc = {.worker = conf->worker, .keep = run->keep_netns, .bare_target = true};
	struct refnet_agent_conf ac = {0};
	struct agent_case c = {0};
	struct refstack_config cfg;
	struct target_refnet *t;

	if (conf->worker >= run->nenvs) {
		tc_err_set(err, TC_ERR_USAGE, "ref-net target: worker %u of a run with %u", conf->worker, run->nenvs);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		tc_err_set(err, TC_ERR_NOMEM, "ref-net target: out of memory");
		return NULL;
	}
	t->base.ops = &target_refnet_ops;
	t->base.run = runbase;
	t->env = &run->envs[conf->worker];
	t->broken = true; /* until the case is set up */
	/* the profile the engine measures by: what the agent's stack gets */
	ref_setup_config(&cfg, &t->prof, &refnet_profile, &conf->target_addr, conf->case_conf, conf->profile);
	/* The case's profile, nagle, delayed_ack and keepalive go to the agent
	 * in CASE-BEGIN (agent protocol 2); what it has no word for would leave
	 * the agent's stack set up otherwise than the case says, so such a case
	 * runs elsewhere. */
	if (conf->case_conf && (conf->case_conf->fields & (TC_C_CC | TC_C_INITIAL_WINDOW | TC_C_TLP))) {
		tc_err_set(err, TC_ERR_UNSUPPORTED,
			   "ref-net target: agent protocol 2 does not carry config: cc, initial_window or tlp");
		free(t);
		return NULL;
	}
	/* RFC 1122 3.3.5: as on ref, the stack always takes source routes */
	if (conf->case_conf && (conf->case_conf->fields & TC_C_ACCEPT_SOURCE_ROUTE) &&
	    !conf->case_conf->accept_source_route) {
		tc_err_set(err, TC_ERR_UNSUPPORTED,
			   "ref-net target: the reference stack always takes source-routed datagrams (accept_source_route: off)");
		free(t);
		return NULL;
	}

	if (!t->env->ready && veth_wire_make(t->env, &nc, err) != 0)
		goto fail;
	if (veth_wire_set_case(t->env, conf->port, conf->peer_port, err) != 0)
		goto fail;
	ac.target_ns_fd = t->env->ns.target.ns_fd;
	ac.ifname = t->env->ns.target.ifname;
	ac.addr4 = t->env->ns.target.addr4;
	ac.addr6 = t->env->ns.target.addr6;
	ac.peer4 = t->env->ns.harness.addr4;
	ac.peer6 = t->env->ns.harness.addr6;
	ac.peer_mac = t->env->ns.harness.mac;
	ac.token_file = run->token_path;
	ac.fault = run->fault;
	t->agent = refnet_agent_start(&ac, err);
	if (!t->agent)
		goto fail;
	c.family = conf->target_addr.family;
	c.local_port = conf->port;
	c.peer = conf->peer_addr;
	c.peer_port = conf->peer_port;
	c.has_local = true;
	c.local = conf->target_addr;
	c.profile = conf->profile;
	if (conf->case_conf)
		c.conf = *conf->case_conf;
	/* durations are resolved here, against the ref stack's defaults, as
	 * the ref target resolves them */
	if (agent_case_begin_conf(refnet_agent_client(t->agent), &c, ref_setup_default_profile(), err) != 0)
		goto fail;
	t->broken = false;
	return &t->base;
fail:
	tc_err_prefix(err, "ref-net target");
	refnet_close(&t->base);
	return NULL;
}

static int refnet_inject(struct tc_target *base, const struct tc_seg *s, struct tc_err *err)
{
	struct target_refnet *t = (struct target_refnet *)base;

	if (wire_inject(t->env->wire, s, err) != 0) {
		t->broken = true;
		return -1;
	}
	return 0;
}

static int refnet_capture(struct tc_target *base, uint64_t deadline_us, struct tc_seg *out, uint64_t *at_us,
			  struct tc_err *err)
{
	struct target_refnet *t = (struct target_refnet *)base;
	int rc = wire_capture(t->env->wire, deadline_us, out, at_us, err);

	if (rc < 0 && err->code != TC_ERR_SEG_PARSE)
		t->broken = true;
	return rc;
}

/* A broken control connection: say how the agent ended, if it did. */
static int agent_trouble(struct target_refnet *t, struct tc_err *err)
{
	const char *how;

	if (err->code != TC_ERR_SYSTEM)
		return -1;
	how = refnet_agent_ended(t->agent);
	if (how[0])
		tc_err_prefix(err, "the agent %s", how);
	return -1;
}

static int refnet_app(struct tc_target *base, const struct tc_app *act, struct tc_app_result *res,
		      struct tc_err *err)
{
	struct target_refnet *t = (struct target_refnet *)base;

	if (agent_app(refnet_agent_client(t->agent), act, REFNET_APP_TIMEOUT_US, res, err) != 0)
		return agent_trouble(t, err);
	return 0;
}

static int refnet_state(struct tc_target *base, enum tc_state *out, struct tc_transitions *since,
			struct tc_err *err)
{
	struct target_refnet *t = (struct target_refnet *)base;

	if (agent_state(refnet_agent_client(t->agent), out, since, err) != 0)
		return agent_trouble(t, err);
	return 0;
}

static uint64_t refnet_now(struct tc_target *base)
{
	(void)base;
	return wire_now_us();
}

static int refnet_sleep_until(struct tc_target *base, uint64_t t_us, struct tc_err *err)
{
	(void)base;
	return veth_wire_sleep_until(t_us, err);
}

static const struct tc_profile *refnet_profile_get(struct tc_target *base)
{
	return &((struct target_refnet *)base)->prof;
}

static int refnet_save_pcap(struct tc_target *base, const struct capfile_request *req, const char *path,
			    struct tc_err *err)
{
	return wire_pcap_write(((struct target_refnet *)base)->env->wire, req, path, err);
}

const struct tc_target_ops target_refnet_ops = {
	.name = "ref-net",
	.inherits = "ref",
	.description = "the bundled reference stack as an agent process on a veth in a namespace, real time (root)",
	.caps = TC_CAP_APP | TC_CAP_STATE | TC_CAP_IP_LEVEL,
	.max_jobs = REFNET_MAX_WORKERS,
	.real_time = true,
	.default_profile = refnet_default_profile,
	.run_open = refnet_run_open,
	.run_close = refnet_run_close,
	.run_signal_cleanup = refnet_run_signal_cleanup,
	.open = refnet_open,
	.close = refnet_close,
	.inject = refnet_inject,
	.capture = refnet_capture,
	.app = refnet_app,
	.state = refnet_state,
	.now = refnet_now,
	.sleep_until = refnet_sleep_until,
	.profile = refnet_profile_get,
	.save_pcap = refnet_save_pcap,
#ifdef REFSTACK_FAULTS
	.faults = ref_setup_fault_names,
#endif
};
