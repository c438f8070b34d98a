/* RFC 1071 checksum, sixteen bytes at a time, read at 8-byte boundaries. */
#include "refstack_csum.h"

#include <stdbool.h>
#include <string.h>

static void add64(struct refstack_csum *c, uint64_t w)
{
	c->sum += w;
	c->carries += c->sum < w; /* 2^64 == 1 (mod 2^16 - 1): a carry counts as 1 */
}

/* RFC 1071 2(B): a sum taken with every byte one position off is the
 * byte-swapped sum. */
static uint64_t swap16(uint64_t folded)
{
	return (folded >> 8 | folded << 8) & 0xffff;
}

static uint16_t fold64(uint64_t sum, uint64_t carries)
{
	struct refstack_csum part = {sum, carries};

	return refstack_csum_fold(&part);
}

void refstack_csum_add(struct refstack_csum *c, const void *p, size_t n)
{
	const uint8_t *b = p;
	/* 64-bit words into two sums, each with its count of carries (an add
	 * and an add-with-carry a word); two chains add in parallel. Locals,
	 * because stores through c would alias the bytes read. */
	uint64_t s0 = 0, c0 = 0, s1 = 0, c1 = 0;
	size_t mis = (uintptr_t)b & 7;
	bool swapped = false;

	if (mis && n >= 16) {
		/* Misaligned loads cost nearly twice as much: the bytes up to
		 * the next 8-byte boundary go in alone, each at its place in
		 * an aligned word, and the rest is read aligned. Every byte
		 * then sits mis positions off: for an odd mis the sum comes
		 * out byte-swapped, and is swapped back below. */
		uint64_t w = 0;
		uint8_t *wb = (uint8_t *)&w;

		for (size_t i = mis; i < 8; i++)
			wb[i] = b[i - mis];
		s0 += w;
		c0 += s0 < w;
		b += 8 - mis;
		n -= 8 - mis;
		swapped = mis & 1;
	}
	for (; n >= 16; b += 16, n -= 16) {
		uint64_t w[2];

		memcpy(w, b, 16);
		s0 += w[0];
		c0 += s0 < w[0];
		s1 += w[1];
		c1 += s1 < w[1];
	}
	if (n >= 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		s1 += w;
		c1 += s1 < w;
		b += 8;
		n -= 8;
	}
	if (n) {
		/* the last bytes, in order, padded with zero bytes: zeros add
		 * nothing, and since every chunk but the last is even, the pad
		 * lands where RFC 9293 3.1 puts it. Fixed-size copies, which
		 * the compiler does in place. */
		uint64_t w = 0;
		uint8_t *wb = (uint8_t *)&w;

		if (n >= 4) {
			memcpy(wb, b, 4);
			wb += 4, b += 4, n -= 4;
		}
		if (n >= 2) {
			memcpy(wb, b, 2);
			wb += 2, b += 2, n -= 2;
		}
		if (n)
			*wb = *b;
		s0 += w;
		c0 += s0 < w;
	}
	s0 += s1;
	c0 += c1 + (s0 < s1);
	if (swapped) {
		/* fold this chunk to 16 bits before swapping it back; a fold
		 * keeps the value modulo 2^16 - 1 */
		add64(c, swap16(fold64(s0, c0)));
		return;
	}
	add64(c, s0);
	c->carries += c0;
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
