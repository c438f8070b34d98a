/* SACK-based loss recovery as a data sender (RFC 6675): the scoreboard of
 * SACKed ranges above SND.UNA (RFC 2018 3 blocks as the peer reports
 * them), IsLost, SetPipe and NextSeg of RFC 6675 4. Fixed memory: at most
 * REFSTACK_SCOREBOARD_MAX disjoint ranges, ascending; when a new one does
 * not fit the highest is given up (it will be SACKed again by the next
 * ACK, RFC 2018 4 repeats the most recent blocks). The sequence space is
 * walked in SMSS chunks from SND.UNA, as the segments were sent. */
#include "refstack_internal.h"

#include <string.h>

void refstack_sb_clear(struct refstack_conn *c)
{
	c->nsacked = 0;
}

static void sb_remove(struct refstack_conn *c, unsigned i)
{
	memmove(&c->sacked[i], &c->sacked[i + 1], (c->nsacked - i - 1) * sizeof(c->sacked[0]));
	c->nsacked--;
}

/* Octets of [l, r) that are new to the scoreboard once it is merged in. */
static bool sb_add(struct refstack_conn *c, uint32_t l, uint32_t r)
{
	uint32_t covered = 0;
	unsigned i;

	for (i = 0; i < c->nsacked;) {
		struct refstack_range *g = &c->sacked[i];

		if (seq_leq(g->left, r) && seq_leq(l, g->right)) {
			/* overlapping or touching: count what was known, merge */
			uint32_t ol = seq_gt(g->left, l) ? g->left : l;
			uint32_t or_ = seq_lt(g->right, r) ? g->right : r;

			if (seq_lt(ol, or_))
				covered += or_ - ol;
			if (seq_lt(g->left, l))
				l = g->left;
			if (seq_gt(g->right, r))
				r = g->right;
			sb_remove(c, i);
			continue;
		}
		i++;
	}
	/* insert in order */
	for (i = 0; i < c->nsacked && seq_lt(c->sacked[i].left, l); i++)
		;
	if (c->nsacked == REFSTACK_SCOREBOARD_MAX) {
		if (i == c->nsacked)
			return false;
		c->nsacked--;
	}
	memmove(&c->sacked[i + 1], &c->sacked[i], (c->nsacked - i) * sizeof(c->sacked[0]));
	c->sacked[i] = (struct refstack_range){l, r};
	c->nsacked++;
	return covered < r - l;
}

bool refstack_sb_update(struct refstack_conn *c, const struct refstack_rx_seg *seg, uint32_t ack)
{
	bool fresh = false;

	/* the cumulative ACK covers what lies below it */
	while (c->nsacked && seq_leq(c->sacked[0].right, ack))
		sb_remove(c, 0);
	if (c->nsacked && seq_lt(c->sacked[0].left, ack))
		c->sacked[0].left = ack;
	for (unsigned i = 0; i < seg->nsack; i++) {
		uint32_t l = seg->sack[i].left, r = seg->sack[i].right;

		/* RFC 2018 3: a block above the cumulative ACK, within what was
		 * sent; a D-SACK (RFC 2883) or a bogus block is no news */
		if (seq_lt(l, ack))
			l = ack;
		if (seq_gt(r, c->snd_nxt))
			r = c->snd_nxt;
		if (!seq_lt(l, r))
			continue;
		if (sb_add(c, l, r))
			fresh = true;
	}
	return fresh;
}

/* The first SACKed range ending after seq, or NULL. */
static const struct refstack_range *sb_after(const struct refstack_conn *c, uint32_t seq)
{
	for (unsigned i = 0; i < c->nsacked; i++)
		if (seq_gt(c->sacked[i].right, seq))
			return &c->sacked[i];
	return NULL;
}

static bool sb_is_sacked(const struct refstack_conn *c, uint32_t seq)
{
	const struct refstack_range *g = sb_after(c, seq);

	return g && seq_leq(g->left, seq);
}

/* 6675 4 IsLost(SeqNum): "DupThresh discontiguous SACKed sequences" above
 * it, or more than (DupThresh - 1) * SMSS bytes SACKed above it */
bool refstack_sb_is_lost(const struct refstack_conn *c, uint32_t seq)
{
	uint32_t bytes = 0, ranges = 0;

	for (unsigned i = 0; i < c->nsacked; i++) {
		const struct refstack_range *g = &c->sacked[i];

		if (!seq_gt(g->right, seq))
			continue;
		bytes += g->right - (seq_gt(g->left, seq) ? g->left : seq + 1);
		ranges++;
	}
	return ranges >= REFSTACK_DUPTHRESH || bytes > (REFSTACK_DUPTHRESH - 1) * refstack_smss(c);
}

/* The chunk of at most SMSS octets from seq up to the next SACKed range
 * or HighData. */
static uint32_t chunk_len(const struct refstack_conn *c, uint32_t seq)
{
	const struct refstack_range *g = sb_after(c, seq);
	uint32_t end = c->snd_nxt, smss = refstack_smss(c);

	if (g && seq_gt(g->left, seq) && seq_lt(g->left, end))
		end = g->left;
	if (g && seq_leq(g->left, seq))
		end = seq_lt(g->right, end) ? g->right : end; /* a SACKed chunk */
	return end - seq < smss ? end - seq : smss;
}

/* 6675 4 SetPipe: for each octet from HighACK to HighData not SACKed,
 * one if it is not lost, one more if it was retransmitted */
uint32_t refstack_sb_pipe(const struct refstack_conn *c)
{
	uint32_t pipe = 0;

	for (uint32_t seq = c->snd_una; seq_lt(seq, c->snd_nxt);) {
		uint32_t n = chunk_len(c, seq);

		if (n == 0)
			break;
		if (!sb_is_sacked(c, seq)) {
			if (!refstack_sb_is_lost(c, seq))
				pipe += n;
			if (seq_lt(seq, c->high_rxt))
				pipe += n;
		}
		seq += n;
	}
	return pipe;
}

/* 6675 4 NextSeg (1): the first S2 not SACKed, at or past HighRxt, below
 * the highest SACKed octet, IsLost(S2). (3) and (4), retransmitting
 * unSACKed data not yet taken as lost, are left out: a SHOULD and a MAY
 * that only matter when no new data may go. */
bool refstack_sb_next_hole(const struct refstack *s, const struct refstack_conn *c, uint32_t *seq,
			   uint32_t *len)
{
	uint32_t top, p;

	(void)s;
	if (c->nsacked == 0)
		return false;
	top = c->sacked[c->nsacked - 1].right;
	p = seq_gt(c->high_rxt, c->snd_una) ? c->high_rxt : c->snd_una;
	while (seq_lt(p, top)) {
		uint32_t n = chunk_len(c, p);
		bool sacked = sb_is_sacked(c, p);

		if (n == 0)
			return false;
#ifdef REFSTACK_FAULTS
		/* fault sack-retransmits-sacked-data: the scoreboard's SACKed
		 * ranges are not looked at: the next segment goes again */
		if (refstack_fault_on(s, REFSTACK_FAULT_SACK_RETRANSMITS_SACKED_DATA)) {
			n = refstack_smss(c) < top - p ? refstack_smss(c) : top - p;
			sacked = false;
		}
#endif
		if (!sacked && refstack_sb_is_lost(c, p)) {
			*seq = p;
			*len = n;
			return true;
		}
		p += n;
	}
	return false;
}
