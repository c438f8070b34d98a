/* The send and receive buffers are byte rings of a fixed capacity: a copy
 * into or out of one is at most two memcpy, the bytes up to the ring's end
 * and the rest from its start. */
#include "refstack_internal.h"

#include <string.h>

uint32_t refstack_ring_pos(uint32_t cap, uint32_t head, uint32_t off)
{
	/* head < cap and off <= cap: one subtraction wraps it */
	uint32_t pos = head + off;

	return pos >= cap ? pos - cap : pos;
}

void refstack_ring_write(uint8_t *ring, uint32_t cap, uint32_t pos, const uint8_t *src, uint32_t n)
{
	uint32_t first = cap - pos < n ? cap - pos : n;

	if (n == 0)
		return; /* src may be NULL then, which memcpy does not allow */
	memcpy(ring + pos, src, first);
	if (n > first)
		memcpy(ring, src + first, n - first);
}

void refstack_ring_read(const uint8_t *ring, uint32_t cap, uint32_t pos, uint8_t *dst, uint32_t n)
{
	uint32_t first = cap - pos < n ? cap - pos : n;

	if (n == 0)
		return;
	memcpy(dst, ring + pos, first);
	if (n > first)
		memcpy(dst + first, ring, n - first);
}

void refstack_ring_pieces(const uint8_t *ring, uint32_t cap, uint32_t pos, uint32_t n,
			  const uint8_t *piece[2], uint32_t piece_len[2])
{
	uint32_t first = cap - pos < n ? cap - pos : n;

	piece[0] = ring + pos;
	piece_len[0] = first;
	piece[1] = ring;
	piece_len[1] = n - first;
}
