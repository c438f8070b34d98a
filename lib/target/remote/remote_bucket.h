/* A token bucket on the segments a remote run injects (--rate): `rate`
 * tokens a second, at most `burst` saved up. It delays a segment, never
 * drops one: remote_bucket_take says how long to wait first. In any
 * second at most rate + burst segments leave. Pure (the caller gives the
 * time), so it is unit-tested. */
#ifndef TC_REMOTE_BUCKET_H
#define TC_REMOTE_BUCKET_H

#include <stdint.h>

struct remote_bucket {
	unsigned rate, burst;
	/* Tokens in millionths, as of at_us: integer arithmetic, no drift. */
	uint64_t micro_tokens, at_us;
};

/* burst: max(1, rate / 10). Starts full. */
void remote_bucket_init(struct remote_bucket *b, unsigned rate, uint64_t now_us);

/* Takes one token for a segment sent at now_us + the returned wait (in
 * microseconds; 0 = at once). The caller must wait that long before the
 * segment leaves. */
uint64_t remote_bucket_take(struct remote_bucket *b, uint64_t now_us);

#endif
