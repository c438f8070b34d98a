/* The wire: injecting segments on the harness end of a netns pair (libnet,
 * link layer) and capturing what the target sends back (libpcap), with the
 * whole exchange kept for a pcap file.
 *
 * Times are CLOCK_MONOTONIC microseconds (wire_now_us()). A captured
 * segment's time is the kernel's receive timestamp of the frame on the
 * harness veth (PCAP_TSTAMP_HOST, which is CLOCK_REALTIME) moved onto the
 * monotonic clock by the realtime - monotonic offset sampled when the frame
 * is read; so it is when the frame arrived, not when the caller got round to
 * reading it, and a step of the wall clock between arrival and read (a few
 * microseconds to milliseconds) is the only thing that can skew it. An
 * injected segment's time is taken just before it is written: the target
 * may answer before the write returns.
 *
 * A wire belongs to one thread at a time; its sockets stay in the harness
 * namespace whichever namespace the thread is in. */
#ifndef TC_WIRE_H
#define TC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "../err/tc_err.h"
#include "../netns/netns.h"
#include "../seg/seg.h"
#include "wire_pcapng.h"

/* How much of the exchange is kept: the newest records win. */
#define WIRE_HISTORY_MAX 8192
#define WIRE_HISTORY_BYTES (32u << 20)

enum wire_dir {
	WIRE_IN, /* captured: the target sent it */
	WIRE_OUT, /* injected: we sent it */
};

/* One frame of the exchange, Ethernet header included. */
struct wire_rec {
	uint64_t at_us;
	enum wire_dir dir;
	uint32_t len; /* bytes in frame[] */
	uint32_t orig_len; /* length on the wire (larger when the capture cut it) */
	uint8_t *frame;
};

struct wire;

uint64_t wire_now_us(void);

/* Opens injection and capture on p's harness veth. bpf is a pcap filter
 * ("tcp port 8080") or NULL for everything; the capture sees only frames
 * the target sends (our own injected frames never come back to it). */
struct wire *wire_open(const struct netns_pair *p, const char *bpf, struct tc_err *err);
void wire_close(struct wire *w);

/* Any Ethernet interface of the calling thread's namespace: frames go
 * from src_mac to dst_mac (a remote host's next hop). */
struct wire_link {
	const char *ifname;
	uint8_t src_mac[NETNS_MAC_LEN], dst_mac[NETNS_MAC_LEN];
};
struct wire *wire_open_link(const struct wire_link *l, const char *bpf, struct tc_err *err);

/* One segment, as seg_build makes it, in an Ethernet frame from the harness
 * MAC to the target MAC. Recorded in the history. */
int wire_inject(struct wire *w, const struct tc_seg *s, struct tc_err *err);

/* The next TCP segment the target sent that passed the filter. Waits in
 * poll() until deadline_us (wire_now_us() clock). Frames that are not a TCP
 * segment over IPv4 or IPv6 (ARP, neighbour discovery, ICMP, UDP) are
 * recorded and skipped. 1 = got one (*at_us its time, may be NULL), 0 =
 * none had arrived by the deadline (a frame stamped after the deadline
 * stays for the next call), -1 = error (a malformed TCP segment from the
 * target is one: TC_ERR_SEG_PARSE). */
int wire_capture(struct wire *w, uint64_t deadline_us, struct tc_seg *out, uint64_t *at_us, struct tc_err *err);

/* The descriptor that becomes readable when a frame arrives, for a
 * caller's own poll(); frames already queued do not make it readable, so
 * call wire_capture with a past deadline first. */
int wire_fd(const struct wire *w);

/* The exchange so far, oldest first by the order recorded; i < count. */
size_t wire_history_count(const struct wire *w);
const struct wire_rec *wire_history_at(const struct wire *w, size_t i);
/* Records dropped because the history was full. */
size_t wire_history_dropped(const struct wire *w);
/* A new capture filter for the next exchange on this wire (one wire
 * serves many cases): frames already captured are dropped and the history
 * is cleared. */
int wire_set_filter(struct wire *w, const char *bpf, struct tc_err *err);

/* Forget the exchange (between cases on one wire). */
void wire_history_clear(struct wire *w);

/* The exchange as a capture file (Ethernet frames, microsecond wall-clock
 * times, sorted by time) in req->format, written to path.tmp and renamed
 * onto path. On pcapng each frame that carried a segment of req->notes
 * bears that note's comments, and the section req->section_comment. */
int wire_pcap_write(struct wire *w, const struct capfile_request *req, const char *path,
		    struct tc_err *err);

#endif
