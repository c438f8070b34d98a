/* Capture files written by us: pcapng (a section header, one interface,
 * an enhanced packet block per packet, with comments) or classic pcap, both
 * little-endian whatever the host, microsecond times. No libpcap: it cannot
 * write packet comments, and the same bytes come out on every host.
 *
 * pcapng as the IETF draft "PCAP Now Generic (pcapng) Capture File Format"
 * lays it out: every block is type, total length, body, total length again;
 * the body and every option value are padded to 32 bits; options are code,
 * length, value, ended by opt_endofopt. Comments (opt_comment) are UTF-8:
 * invalid bytes become U+FFFD. */
#ifndef TC_WIRE_PCAPNG_H
#define TC_WIRE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err/tc_err.h"

enum capfile_format {
	CAPFILE_PCAPNG, /* the default: zero */
	CAPFILE_PCAP,
};

/* LINKTYPE_ values of the tcpdump.org registry. */
#define CAPFILE_LINK_ETHERNET 1
#define CAPFILE_LINK_RAW 101 /* an IPv4 or IPv6 packet, no link header */

/* The largest packet a capture of ours holds (tcpdump's default). */
#define CAPFILE_SNAPLEN 262144u

/* pcapng block types and option codes used here. */
#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define PCAPNG_OPT_END 0
#define PCAPNG_OPT_COMMENT 1
#define PCAPNG_OPT_SHB_USERAPPL 4
#define PCAPNG_OPT_IF_NAME 2
#define PCAPNG_OPT_EPB_FLAGS 2
/* An option's value is at most this long (its length field is 16 bits). */
#define PCAPNG_OPT_MAX 65532u

enum capfile_dir {
	CAPFILE_DIR_UNKNOWN = 0,
	CAPFILE_DIR_IN = 1, /* epb_flags bits 0-1: inbound */
	CAPFILE_DIR_OUT = 2, /* outbound */
};

#define CAPFILE_PKT_COMMENTS 2

struct capfile_pkt {
	uint64_t ts_us; /* microseconds since the Unix epoch */
	const uint8_t *data;
	uint32_t len; /* bytes in data */
	uint32_t orig_len; /* on the wire; >= len */
	enum capfile_dir dir;
	/* NULL or "" for none; pcapng only (classic pcap has no comments). */
	const char *comments[CAPFILE_PKT_COMMENTS];
};

struct capfile {
	enum capfile_format format;
	uint16_t linktype; /* CAPFILE_LINK_* */
	const char *section_comment; /* NULL or ""; pcapng only */
	const char *if_name; /* NULL or ""; pcapng only */
	size_t npkts;
	const struct capfile_pkt *pkts;
};

/* ---- comments for a capture the engine did not build ----
 * A target with a wire writes the frames it saw; the engine knows which
 * step sent or read each segment. A note is what the engine knows of one
 * segment, and capfile_match_notes finds the frame that carried it. */
struct capfile_note {
	bool from_target;
	uint64_t at_us; /* on the target's clock */
	uint32_t seq, ack;
	uint16_t flags, len; /* TCP flags (enum seg_flag), payload bytes */
	const char *comments[CAPFILE_PKT_COMMENTS];
};

/* What the engine asks of a target's save_pcap. */
struct capfile_request {
	enum capfile_format format;
	const char *section_comment;
	size_t nnotes;
	const struct capfile_note *notes;
};

/* A frame as the matcher sees it: tcp false for anything that is not a
 * TCP segment (ARP, neighbour discovery), which no note matches. */
struct capfile_key {
	bool tcp, from_target;
	uint64_t at_us;
	uint32_t seq, ack;
	uint16_t flags, len;
};

/* note_of[i] = the note whose segment frame i carried, or -1. Each note
 * goes to at most one frame: the one with its direction, seq, ack, flags
 * and length nearest in time (a retransmission repeats all but the time),
 * notes taken in order. */
void capfile_match_notes(const struct capfile_key *keys, size_t nkeys, const struct capfile_note *notes,
			 size_t nnotes, int *note_of);

/* A growing byte buffer; nomem once an allocation failed (later appends
 * do nothing). */
struct capbuf {
	uint8_t *p;
	size_t len, cap;
	bool nomem;
};

void capbuf_free(struct capbuf *b);

/* The whole file into b (appended). -1 with err set when memory runs out
 * or a packet is larger than CAPFILE_SNAPLEN or than its orig_len says. */
int capfile_encode(const struct capfile *cf, struct capbuf *b, struct tc_err *err);

/* capfile_encode, written to path.tmp and renamed onto path, so a reader
 * never sees half a file; nothing is left behind on failure. */
int capfile_write(const struct capfile *cf, const char *path, struct tc_err *err);

/* Text as valid UTF-8 into out (cap >= 4): every byte that does not start
 * a well-formed sequence (overlong forms, surrogates and code points past
 * U+10FFFF included) becomes U+FFFD; stops before cap would be passed,
 * never inside a character. Returns the bytes written, out NUL-terminated. */
size_t capfile_utf8_clean(const char *text, char *out, size_t cap);

/* The file-name extension of a format: "pcapng" or "pcap". */
const char *capfile_ext(enum capfile_format f);

#endif
