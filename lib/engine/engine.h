/* Runs one case on one target and gives its verdict. The engine talks to
 * the target only through lib/target's wrappers. */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../err/tc_err.h"
#include "../seg/seg.h"
#include "../target/target.h"
#include "../case/tc_case.h"
#include "../wire/wire_pcapng.h"

enum tc_verdict {
	TC_PASS,
	TC_FAIL,
	TC_SKIP,
	TC_ERROR, /* the case could not be judged: the target or the system broke */
};

const char *tc_verdict_name(enum tc_verdict v);

/* Which case runs leave a capture file (--pcap). */
enum engine_pcap_when {
	ENGINE_PCAP_FAILED, /* the default: failed and errored runs */
	ENGINE_PCAP_ALL, /* every run the target was opened for */
	ENGINE_PCAP_NONE,
};

struct engine_opts {
	struct tc_target_run *run; /* the target's run, opened by the caller */
	int family; /* 4 or 6 */
	bool trace; /* keep a line per step in the result's log */
	/* Where a case's exchange goes as a capture file (from the target's
	 * wire when it has one, else from the engine's history); created when
	 * first needed. NULL: no capture. */
	const char *pcap_dir;
	enum engine_pcap_when pcap_when;
	enum capfile_format pcap_format;
	unsigned worker; /* which worker thread runs the case */
	/* The case run's number in the run: the injector plays the peer from
	 * port peer_port + run_index % 20000, so every case run has a
	 * four-tuple of its own (the host-wide tracepoint, and a target that
	 * keeps its namespace from case to case, tell runs apart by it). */
	unsigned run_index;
};

/* One segment exchanged, kept for reports. */
struct engine_event {
	bool from_target;
	uint64_t at_us; /* since the case started, on the target's clock */
	int step; /* 0-based step that sent or read it; -1 after the last step */
	struct tc_seg seg;
};

/* A step that exchanged no segment, for reports that draw the exchange:
 * an app action, a state read, a wait or a silence, and when it ran. */
struct engine_mark {
	int step; /* 0-based */
	enum tc_step_kind kind;
	uint64_t start_us, end_us; /* since the case started */
	char text[96]; /* "app close", "state TIME-WAIT", "wait 100 ms" */
};
#define ENGINE_MARKS 64

#define ENGINE_HISTORY 64
#define ENGINE_MSG_MAX 8192

struct engine_result {
	enum tc_verdict verdict;
	int failed_step; /* 0-based index, -1 when none */
	struct tc_loc failed_loc;
	/* Why it failed / was skipped / errored: several lines, the first a
	 * summary; then expected and actual, then the last segments. */
	char msg[ENGINE_MSG_MAX];
	uint64_t case_time_us; /* time that passed on the target's clock */
	/* The time the case itself demands (its waits, silences and the
	 * earliest arrival of delayed segments): what a perfect harness would
	 * spend on a real-time target. */
	uint64_t required_us;
	/* The whole exchange, oldest first (the first ENGINE_HISTORY). */
	int nevents;
	struct engine_event events[ENGINE_HISTORY];
	/* The steps without a segment, in step order (the first ENGINE_MARKS). */
	int nmarks;
	struct engine_mark marks[ENGINE_MARKS];
	int nsteps_run; /* steps that ran to their end (the failing one not counted) */
	/* Per-step trace when opts.trace. */
	char *log; /* malloc'd, may be NULL; engine_result_free releases */
	uint32_t peer_isn, target_isn;
	bool known_deviation; /* a SKIP that is a recorded deviation's failure */
	char pcap_path[4096]; /* PATH_MAX; "" when none was written */
};

/* Returns the verdict (also in r->verdict). Never exits; errors that are
 * not the case's fault come back as TC_ERROR with the reason in r->msg. */
enum tc_verdict engine_run(const struct tc_case *c, const struct engine_opts *o,
			   struct engine_result *r);
void engine_result_free(struct engine_result *r);

/* The real time case c demands on a target (its waits, silences and the
 * earliest arrival of delayed segments) on profile p: what a perfect
 * harness would spend on it, used to plan the workers of a run. */
uint64_t engine_case_demand_us(const struct tc_case *c, const char *target, const struct tc_profile *p);

/* The addresses a run uses: 192.0.2.1 / 2001:db8::1 for the target and
 * 192.0.2.2 / 2001:db8::2 for the injector (RFC 5737, RFC 3849). */
void engine_addrs(int family, struct seg_addr *target, struct seg_addr *peer);
/* A multihomed target's second address: 192.0.2.3 / 2001:db8::4. */
void engine_addr2(int family, struct seg_addr *target2);

#endif
