/* RFC 1071 checksum, eight bytes at a time. */
#include "refstack_csum.h"

#include <string.h>

static void add64(struct refstack_csum *c, uint64_t w)
{
	c->sum += w;
	c->carries += c->sum < w; /* 2^64 == 1 (mod 2^16 - 1): a carry counts as 1 */
}

void refstack_csum_add(struct refstack_csum *c, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t w;

	for (; n >= 32; b += 32, n -= 32) {
		uint64_t w4[4];

		memcpy(w4, b, 32);
		add64(c, w4[0]);
		add64(c, w4[1]);
		add64(c, w4[2]);
		add64(c, w4[3]);
	}
	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		add64(c, w);
	}
	if (n) {
		/* the tail, padded with zero bytes: zeros add nothing, and
		 * since every chunk but the last is even, the pad lands where
		 * RFC 9293 3.1 puts it */
		uint8_t tail[8] = {0};

		memcpy(tail, b, n);
		memcpy(&w, tail, 8);
		add64(c, w);
	}
}

uint16_t refstack_csum_fold(const struct refstack_csum *c)
{
	/* 2^16 == 1 (mod 2^16 - 1): folding the high part onto the low part
	 * keeps the value of the sum; a non-zero sum never folds to 0 */
	uint64_t s = (c->sum & 0xffffffffu) + (c->sum >> 32) + c->carries;

	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}
