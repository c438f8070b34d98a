/* SACK as a data receiver (RFC 2018 4): text beyond RCV.NXT (inside the
 * window) is held in the receive ring where it will belong, its range
 * remembered, and every ACK reports the ranges, the most recent first. Used
 * only when SACK was negotiated; without it the stack keeps the classic
 * behaviour of dropping such text with a duplicate ACK. Fixed memory: at
 * most REFSTACK_OOO_MAX ranges. */
#include "refstack_internal.h"

#include <string.h>

static uint32_t max_seq(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}

static uint32_t min_seq(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

/* Remove range i, keeping the others in recency order. */
static void drop_range(struct refstack_conn *c, unsigned i)
{
	memmove(&c->ooo[i], &c->ooo[i + 1], (c->nooo - i - 1) * sizeof(c->ooo[0]));
	c->nooo--;
}

bool refstack_ooo_put(struct refstack_conn *c, uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct refstack_range r = {seq, seq + len};
	uint32_t off;

	if (len == 0 || !seq_gt(seq, c->rcv_nxt))
		return false;
	/* merge every range it overlaps or touches into r */
	for (unsigned i = 0; i < c->nooo;) {
		if (seq_leq(c->ooo[i].left, r.right) && seq_leq(r.left, c->ooo[i].right)) {
			r.left = min_seq(r.left, c->ooo[i].left);
			r.right = max_seq(r.right, c->ooo[i].right);
			drop_range(c, i);
		} else {
			i++;
		}
	}
	if (c->nooo == REFSTACK_OOO_MAX)
		return false; /* no room for another gap: dropped, as without SACK */
	/* the text goes where it will be once the gap is filled: past the
	 * in-order bytes by its distance from RCV.NXT (rx_trim kept it inside
	 * RCV.WND, which the free space of the ring covers) */
	off = c->rcv_len + (seq - c->rcv_nxt);
	refstack_ring_write(c->rcv_buf, c->rcv_cap, refstack_ring_pos(c->rcv_cap, c->rcv_head, off), data, len);
	/* RFC 2018 4: "The first SACK block ... MUST specify the contiguous
	 * block of data containing the segment which triggered this ACK" */
	memmove(&c->ooo[1], &c->ooo[0], c->nooo * sizeof(c->ooo[0]));
	c->ooo[0] = r;
	c->nooo++;
	return true;
}

bool refstack_ooo_advance(struct refstack_conn *c)
{
	bool moved = false;

	for (unsigned i = 0; i < c->nooo;) {
		struct refstack_range r = c->ooo[i];

		if (seq_gt(r.left, c->rcv_nxt)) {
			i++;
			continue;
		}
		/* RCV.NXT reached this range: its bytes are in the ring already */
		if (seq_gt(r.right, c->rcv_nxt)) {
			uint32_t n = r.right - c->rcv_nxt;

			c->rcv_len += n;
			c->rcv_nxt = r.right;
			c->rcv_wnd -= n;
			moved = true;
		}
		drop_range(c, i);
		i = 0; /* RCV.NXT moved: an earlier range may now be reached */
	}
	return moved;
}

unsigned refstack_sack_blocks(const struct refstack *s, const struct refstack_conn *c,
			      struct seg_sack_block *b, unsigned max)
{
	unsigned n = c->nooo < max ? c->nooo : max;

	(void)s;
	/* RFC 2018 4: the first block the most recent; "the data receiver
	 * SHOULD include as many distinct SACK blocks as possible", the
	 * others in the order they were last reported */
	for (unsigned i = 0; i < n; i++) {
		unsigned k = i;

#ifdef REFSTACK_FAULTS
		/* fault sack-oldest-first: the list read backwards */
		if (refstack_fault_on(s, REFSTACK_FAULT_SACK_OLDEST_FIRST))
			k = c->nooo - 1 - i;
#endif
		b[i].left = c->ooo[k].left;
		b[i].right = c->ooo[k].right;
	}
	return n;
}
