/* Shared between the files of lib/wire only. */
#ifndef TC_WIRE_INT_H
#define TC_WIRE_INT_H

#include <libnet.h>
#include <pcap.h>
#include <stdbool.h>

#include "wire.h"

/* Frames pcap has handed over but wire_capture has not yet returned. */
#define WIRE_QUEUE_MAX 64

struct wire {
	libnet_t *ln;
	pcap_t *pc;
	int fd; /* pcap's selectable descriptor */
	char ifname[IFNAMSIZ];
	uint8_t target_mac[NETNS_MAC_LEN], harness_mac[NETNS_MAC_LEN];

	struct wire_rec queue[WIRE_QUEUE_MAX]; /* ring; dir is WIRE_IN */
	size_t q_head, q_len;
	bool cb_nomem; /* the pcap callback could not copy a frame */

	struct wire_rec *hist; /* ring of WIRE_HISTORY_MAX */
	size_t h_head, h_len, h_bytes, h_dropped;
};

/* CLOCK_REALTIME - CLOCK_MONOTONIC in microseconds, sampled now. */
int64_t wire_real_minus_mono_us(void);

/* Copies a frame into the history, dropping the oldest records when full.
 * -1 only when out of memory. */
int wire_history_add(struct wire *w, enum wire_dir dir, uint64_t at_us, const uint8_t *frame, uint32_t len,
		     uint32_t orig_len);
int wire_history_init(struct wire *w);
void wire_history_free(struct wire *w);

#endif
