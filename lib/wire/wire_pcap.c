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

/* ---- pcap file ---- */

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

static int dump_all(pcap_dumper_t *d, const struct ordered *order, size_t n, int64_t offset_us)
{
	for (size_t i = 0; i < n; i++) {
		const struct wire_rec *r = order[i].r;
		int64_t real = (int64_t)r->at_us + offset_us;
		struct pcap_pkthdr h = {
			.ts = {.tv_sec = (time_t)(real / 1000000), .tv_usec = (suseconds_t)(real % 1000000)},
			.caplen = r->len,
			.len = r->orig_len,
		};

		pcap_dump((u_char *)d, &h, r->frame);
	}
	if (pcap_dump_flush(d) < 0 || ferror(pcap_dump_file(d)))
		return -1;
	return fsync(fileno(pcap_dump_file(d)));
}

int wire_pcap_write(struct wire *w, const char *path, struct tc_err *err)
{
	char tmp[4096];
	struct ordered *order;
	pcap_dumper_t *d;
	pcap_t *dead;
	int n, rc;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return tc_err_set(err, TC_ERR_IO, "pcap path too long: %s", path);
	order = malloc((w->h_len ? w->h_len : 1) * sizeof(*order));
	if (!order)
		return tc_err_set(err, TC_ERR_NOMEM, "ordering %zu records for %s", w->h_len, path);
	for (size_t i = 0; i < w->h_len; i++)
		order[i] = (struct ordered){wire_history_at(w, i), i};
	qsort(order, w->h_len, sizeof(*order), by_time);
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO);
	if (!dead) {
		free(order);
		return tc_err_set(err, TC_ERR_NOMEM, "pcap_open_dead for %s", path);
	}
	d = pcap_dump_open(dead, tmp);
	if (!d) {
		rc = tc_err_set(err, TC_ERR_IO, "cannot write %s: %s", tmp, pcap_geterr(dead));
		goto out;
	}
	rc = dump_all(d, order, w->h_len, wire_real_minus_mono_us());
	if (rc < 0)
		tc_err_set(err, TC_ERR_IO, "cannot write %s: %s", tmp, strerror(errno ? errno : EIO));
	pcap_dump_close(d);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = tc_err_set(err, TC_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
out:
	pcap_close(dead);
	free(order);
	return rc;
}
