/* The token bucket of remote_bucket.h. */
#include "remote_bucket.h"

#define MICRO 1000000ull

void remote_bucket_init(struct remote_bucket *b, unsigned rate, uint64_t now_us)
{
	b->rate = rate ? rate : 1;
	b->burst = b->rate / 10 ? b->rate / 10 : 1;
	b->micro_tokens = (uint64_t)b->burst * MICRO;
	b->at_us = now_us;
}

/* Tokens accrue at rate per second: rate micro-tokens per microsecond. */
static void refill(struct remote_bucket *b, uint64_t now_us)
{
	uint64_t cap = (uint64_t)b->burst * MICRO;

	if (now_us <= b->at_us)
		return;
	uint64_t add = (now_us - b->at_us) * b->rate;
	b->micro_tokens = b->micro_tokens + add > cap ? cap : b->micro_tokens + add;
	b->at_us = now_us;
}

uint64_t remote_bucket_take(struct remote_bucket *b, uint64_t now_us)
{
	uint64_t wait;

	refill(b, now_us);
	if (b->micro_tokens >= MICRO) {
		b->micro_tokens -= MICRO;
		return 0;
	}
	/* the token is spent at the moment it is complete: the bucket is then
	 * empty as of that moment */
	/* a segment already waiting holds the bucket up to at_us */
	uint64_t from = b->at_us > now_us ? b->at_us : now_us;

	wait = (MICRO - b->micro_tokens + b->rate - 1) / b->rate;
	b->micro_tokens = 0;
	b->at_us = from + wait;
	return b->at_us - now_us;
}
