/* The exchange history and the pcap file made from it. */
#include "wire_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int wire_history_init(struct wire *w)
{
	w->hist = calloc(WIRE_HISTORY_MAX, sizeof(*w->hist));
	return w->hist ? 0 : -1;
}

static void drop_oldest(struct wire *w)
{
	struct wire_rec *r = &w->hist[w->h_head];

	w->h_bytes -= r->len;
	free(r->frame);
	r->frame = NULL;
	w->h_head = (w->h_head + 1) % WIRE_HISTORY_MAX;
	w->h_len--;
	w->h_dropped++;
}

int wire_history_add(struct wire *w, enum wire_dir dir, uint64_t at_us, const uint8_t *frame, uint32_t len,
		     uint32_t orig_len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -1;
	memcpy(copy, frame, len);
	/* The newest records matter most to whoever reads a failure's pcap;
	 * the count of dropped ones says the start is missing. */
	while (w->h_len && (w->h_len == WIRE_HISTORY_MAX || w->h_bytes + len > WIRE_HISTORY_BYTES))
		drop_oldest(w);
	w->hist[(w->h_head + w->h_len) % WIRE_HISTORY_MAX] =
		(struct wire_rec){.at_us = at_us, .dir = dir, .len = len, .orig_len = orig_len, .frame = copy};
	w->h_len++;
	w->h_bytes += len;
	return 0;
}

void wire_history_clear(struct wire *w)
{
	while (w->h_len)
		drop_oldest(w);
	w->h_head = 0;
	w->h_dropped = 0;
}

void wire_history_free(struct wire *w)
{
	if (!w->hist)
		return;
	wire_history_clear(w);
	free(w->hist);
	w->hist = NULL;
}

size_t wire_history_count(const struct wire *w) { return w->h_len; }

size_t wire_history_dropped(const struct wire *w) { return w->h_dropped; }

const struct wire_rec *wire_history_at(const struct wire *w, size_t i)
{
	return i < w->h_len ? &w->hist[(w->h_head + i) % WIRE_HISTORY_MAX] : NULL;
}

/* ---- capture file ---- */

/* Captured frames are recorded when read, injected ones when written, so
 * the records are not quite in time order; equal times keep their order. */
struct ordered {
	const struct wire_rec *r;
	size_t i;
};

static int by_time(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->r->at_us != y->r->at_us)
		return x->r->at_us < y->r->at_us ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

#define WIRE_ETH_HLEN 14
#define WIRE_ETHERTYPE_IPV4 0x0800
#define WIRE_ETHERTYPE_IPV6 0x86DD

/* What the note matcher needs of a frame: the TCP segment inside it. */
static void frame_key(const struct wire_rec *r, struct tc_seg *scratch, struct capfile_key *k)
{
	struct tc_err err = {0};
	unsigned type;

	*k = (struct capfile_key){.from_target = r->dir == WIRE_IN, .at_us = r->at_us};
	if (r->len < WIRE_ETH_HLEN)
		return;
	type = (unsigned)r->frame[12] << 8 | r->frame[13];
	if (type != WIRE_ETHERTYPE_IPV4 && type != WIRE_ETHERTYPE_IPV6)
		return;
	if (seg_parse(r->frame + WIRE_ETH_HLEN, r->len - WIRE_ETH_HLEN, scratch, &err) != 0)
		return;
	k->tcp = true;
	k->seq = scratch->seq;
	k->ack = scratch->ack;
	k->flags = scratch->flags;
	k->len = scratch->len;
}

/* The frames in time order as packets, with the notes' comments on the
 * frames that carried their segments. */
static int make_pkts(const struct ordered *order, size_t n, const struct capfile_request *req,
		     struct capfile_pkt *pkts, struct tc_err *err)
{
	struct capfile_key *keys = calloc(n ? n : 1, sizeof(*keys));
	int *note_of = calloc(n ? n : 1, sizeof(*note_of));
	struct tc_seg *scratch = malloc(sizeof(*scratch));
	int64_t offset_us = wire_real_minus_mono_us();

	if (!keys || !note_of || !scratch) {
		free(keys);
		free(note_of);
		free(scratch);
		return tc_err_set(err, TC_ERR_NOMEM, "matching %zu frames to the engine's segments", n);
	}
	for (size_t i = 0; i < n; i++)
		frame_key(order[i].r, scratch, &keys[i]);
	capfile_match_notes(keys, n, req->notes, req->nnotes, note_of);
	for (size_t i = 0; i < n; i++) {
		const struct wire_rec *r = order[i].r;

		pkts[i] = (struct capfile_pkt){
			.ts_us = (uint64_t)((int64_t)r->at_us + offset_us),
			.data = r->frame,
			.len = r->len,
			.orig_len = r->orig_len,
			/* as the harness end of the veth saw it */
			.dir = r->dir == WIRE_IN ? CAPFILE_DIR_IN : CAPFILE_DIR_OUT,
		};
		if (note_of[i] >= 0)
			memcpy(pkts[i].comments, req->notes[note_of[i]].comments, sizeof(pkts[i].comments));
	}
	free(keys);
	free(note_of);
	free(scratch);
	return 0;
}

int wire_pcap_write(struct wire *w, const struct capfile_request *req, const char *path, struct tc_err *err)
{
	size_t n = w->h_len;
	struct ordered *order = malloc((n ? n : 1) * sizeof(*order));
	struct capfile_pkt *pkts = malloc((n ? n : 1) * sizeof(*pkts));
	struct capfile cf = {
		.format = req->format,
		.linktype = CAPFILE_LINK_ETHERNET,
		.section_comment = req->section_comment,
		.if_name = w->ifname,
		.npkts = n,
		.pkts = pkts,
	};
	int rc;

	if (!order || !pkts) {
		free(order);
		free(pkts);
		return tc_err_set(err, TC_ERR_NOMEM, "ordering %zu records for %s", n, path);
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (struct ordered){wire_history_at(w, i), i};
	qsort(order, n, sizeof(*order), by_time);
	rc = make_pkts(order, n, req, pkts, err);
	if (rc == 0)
		rc = capfile_write(&cf, path, err);
	free(order);
	free(pkts);
	return rc;
}
