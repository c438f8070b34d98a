/* The segment model: one TCP segment over IPv4 or IPv6, as the injector
 * builds it and as the capture parses it. Built into bytes with libnet
 * (seg_build.c), parsed back by our own parser (seg_parse.c), printed as one
 * tcpdump-style line (seg_format.c). Fixed size: no pointers inside, so a
 * segment can be copied by assignment. */
#ifndef TC_SEG_H
#define TC_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err/tc_err.h"

/* TCP header flag bits as they sit in the 16-bit word after the data offset
 * (RFC 9293 3.1; AE, formerly NS, is RFC 3540 / RFC 9768). */
enum seg_flag {
	SEG_FIN = 0x001,
	SEG_SYN = 0x002,
	SEG_RST = 0x004,
	SEG_PSH = 0x008,
	SEG_ACK = 0x010,
	SEG_URG = 0x020,
	SEG_ECE = 0x040,
	SEG_CWR = 0x080,
	SEG_AE = 0x100,
};
#define SEG_FLAGS_ALL 0x1ff

enum seg_opt_kind {
	SEG_OPT_EOL = 0,
	SEG_OPT_NOP = 1,
	SEG_OPT_MSS = 2,
	SEG_OPT_WSCALE = 3,
	SEG_OPT_SACK_PERM = 4,
	SEG_OPT_SACK = 5,
	SEG_OPT_TS = 8,
	/* Any other kind, or a known kind with a bad length: the option's bytes
	 * exactly as on the wire (kind, length, data), kept so nothing is
	 * silently dropped. */
	SEG_OPT_RAW = 256,
};

#define SEG_MAX_OPTS 40 /* 40 option bytes: at most 40 one-byte options */
#define SEG_MAX_SACK_BLOCKS 4
#define SEG_OPT_SPACE 40
#define SEG_MAX_PAYLOAD 2048

struct seg_sack_block {
	uint32_t left, right;
};

struct seg_opt {
	uint16_t kind; /* enum seg_opt_kind */
	union {
		uint16_t mss;
		uint8_t wscale;
		struct {
			uint32_t val, ecr;
		} ts;
		struct {
			uint8_t n;
			struct seg_sack_block b[SEG_MAX_SACK_BLOCKS];
		} sack;
		struct {
			uint8_t len; /* bytes used in data[] (kind and length byte included) */
			uint8_t data[SEG_OPT_SPACE];
		} raw;
	} u;
};

struct seg_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

struct tc_seg {
	struct seg_addr src, dst;
	uint8_t ttl; /* hop limit on IPv6; 0 means the builder's default (64) */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags; /* enum seg_flag bits */
	uint16_t win;
	uint16_t urp;
	uint8_t nopts;
	struct seg_opt opts[SEG_MAX_OPTS];
	uint16_t len; /* payload bytes */
	uint8_t payload[SEG_MAX_PAYLOAD];
	/* Build: send a checksum that is deliberately wrong (the right one + 1).
	 * Parse: set when the received checksum did not verify. */
	bool bad_csum;
};

/* Addresses */
int seg_addr_parse(const char *text, struct seg_addr *out);
/* Writes the printable address into buf (INET6_ADDRSTRLEN is enough). */
const char *seg_addr_format(const struct seg_addr *a, char *buf, size_t cap);
bool seg_addr_eq(const struct seg_addr *a, const struct seg_addr *b);

/* Flags as letters, the same in case files and in printed segments:
 * F S R P A U E C N (N = AE, formerly NS), e.g. "S", "SA", "FA", "RA", "A".
 * Parsing accepts any order and "." or "" for no flag; formatting writes
 * the letters in that bit order, and "." for no flag. -1 on an unknown
 * letter or a letter given twice. */
int seg_flags_parse(const char *text, uint16_t *flags);
const char *seg_flags_format(uint16_t flags, char *buf, size_t cap);

/* Appends an option; -1 when SEG_MAX_OPTS would be exceeded. */
int seg_add_opt(struct tc_seg *s, const struct seg_opt *o);
/* First option of a kind, or NULL. */
const struct seg_opt *seg_find_opt(const struct tc_seg *s, enum seg_opt_kind kind);
/* Number of option bytes on the wire (before padding to 4). */
size_t seg_opts_wire_len(const struct tc_seg *s);

/* Build the IP packet (IPv4 or IPv6 header + TCP header + options +
 * payload) into buf with libnet on a LIBNET_NONE context (no privileges),
 * checksums filled (or made wrong on request). Options are padded with EOL to
 * a multiple of 4. Returns the length, or -1 with err set. */
int seg_build(const struct tc_seg *s, uint8_t *buf, size_t cap, struct tc_err *err);

/* Parse an IP packet (version from the first nibble). Rejects truncated or
 * inconsistent input (bad header lengths, total length beyond the buffer,
 * data offset beyond the segment, not TCP, IPv4 fragments, options that run
 * past the header) with a reason in err; returns 0 or -1. A bad checksum is
 * not an error: out->bad_csum tells. Unknown options and known options with a
 * wrong length are kept as SEG_OPT_RAW. */
int seg_parse(const uint8_t *pkt, size_t len, struct tc_seg *out, struct tc_err *err);

/* Options only: parse the bytes of a TCP options area into s->opts. */
int seg_parse_opts(const uint8_t *p, size_t len, struct tc_seg *s, struct tc_err *err);
/* Options only: serialise s->opts (not padded); returns bytes written or -1. */
int seg_emit_opts(const struct tc_seg *s, uint8_t *buf, size_t cap, struct tc_err *err);

/* One line, tcpdump style:
 * "192.0.2.2.40000 > 192.0.2.1.8080: Flags [S], seq 1000, ack 0, win 65535,
 *  options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"
 * Flags use the letters of seg_flags_format. Returns the length written. */
size_t seg_format(const struct tc_seg *s, char *buf, size_t cap);
/* Just the options, comma-separated, as inside the brackets above. */
size_t seg_opts_format(const struct tc_seg *s, char *buf, size_t cap);

/* Sequence space arithmetic (RFC 9293 3.4): comparisons modulo 2^32. */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
/* a <= x < b, modulo 2^32 */
static inline bool seq_in(uint32_t x, uint32_t a, uint32_t b) { return seq_leq(a, x) && seq_lt(x, b); }

/* SEG.LEN of RFC 9293: payload plus one for SYN and one for FIN. */
static inline uint32_t seg_seq_len(const struct tc_seg *s)
{
	return s->len + ((s->flags & SEG_SYN) ? 1u : 0u) + ((s->flags & SEG_FIN) ? 1u : 0u);
}

#endif
