/* Comparing a captured segment with an expect step, field by field. */
#ifndef ENGINE_MATCH_H
#define ENGINE_MATCH_H

#include <stddef.h>

#include "../seg/seg.h"
#include "../case/tc_case.h"

/* A target sequence number a case saved (`save_seq`), with its arrival
 * time on the target's clock. */
struct engine_saved_seq {
	char name[TC_SEQNAME_MAX];
	uint32_t seq;
	uint64_t at_us;
};

/* The bases relative numbers count from. */
struct engine_isn {
	uint32_t peer; /* expect.ack counts from here */
	uint32_t target; /* expect.seq counts from here */
	bool win0_known;
	uint16_t win0; /* expect.win_rel counts from here: the target's SYN window */
	/* RFC 7323 timestamps as the case may name them (`ts val V ecr E`) */
	bool peer_ts_known;
	uint32_t peer_ts; /* `peer`: the latest TSval the injector sent */
	bool target_ts_known;
	uint32_t target_ts0; /* `+N~T` counts from here: the target's first TSval */
	/* `seq_from`: the numbers saved so far, and when this segment came */
	const struct engine_saved_seq *saved;
	int nsaved;
	uint64_t at_us;
	/* expect src: target|second|same (prev_src: the target's previous
	 * segment's source; family 0 when there was none) */
	struct seg_addr target_addr, target_addr2, prev_src;
};

/* Every field of a segment that differs from an expect step. */
struct engine_diff {
	int n; /* fields that differ; 0: a match */
	size_t len, window_len; /* of fields, window */
	/* One line naming the first field that differs, expected and actual,
	 * relative and absolute: "ack expected 2 (abs 1000002), got 1 (abs
	 * 1000001)", with " (and 2 more fields below)" when others differ. */
	char summary[1400];
	/* "\n  FIELD: expected ..., got ..." for every field that differs */
	char fields[4096];
	/* When payload bytes were expected and differ: "\n  payload: first
	 * difference at byte K ..." then hex and ASCII rows of the 16 bytes
	 * before and after it, both sides. "" otherwise. */
	char window[1400];
};

/* 0 when got matches every field the spec gives; else -1 and d names
 * every field that differs, in the order flags, seq, seq_from, ack, win,
 * urp, payload length, payload bytes, options, port, checksum. */
int engine_match(const struct tc_segspec *sp, const struct tc_seg *got,
		 const struct engine_isn *isn, struct engine_diff *d);

/* The spec as a person reads it: "flags FA seq 1 ack 2 len 0". */
size_t engine_spec_format(const struct tc_segspec *sp, char *buf, size_t cap);

#endif
