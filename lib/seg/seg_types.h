/* The segment model's plain types: flags, options, addresses, the segment,
 * sequence-space arithmetic. No functions to link and nothing but the C
 * library's headers, so the reference stack's installed headers can carry it
 * (installed as refstack/seg_types.h); seg.h adds lib/seg's functions. */
#ifndef TC_SEG_TYPES_H
#define TC_SEG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
#define SEG_IPOPT_SPACE 40 /* RFC 791 3.1: IHL 15 leaves 40 bytes of options */
/* The quoted datagram of an ICMP error: its IP header (at most 60 bytes)
 * and the first 64 bits of its data, as RFC 792 asks of the sender. */
#define SEG_ICMP_QUOTE_MAX 68

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
	/* IPv4 TOS / IPv6 traffic class: the Diffserv field (RFC 2474) and
	 * the two ECN bits (RFC 3168) */
	uint8_t tos;
	/* IPv4: the header options as on the wire (RFC 791 3.1), a multiple
	 * of 4 bytes, at most 40. IPv6: the options of one Destination Options
	 * header before TCP (RFC 8200 4.6), 6 + 8k bytes, at most 38. */
	uint8_t ipopt_len;
	uint8_t ipopts[SEG_IPOPT_SPACE];
	/* An ICMP (IPv4, RFC 792) or ICMPv6 (RFC 4443) error message instead
	 * of a TCP segment: src, dst, ttl and tos are its IP header's, the TCP
	 * fields are unused. icmp_info is the 32 bits after the checksum
	 * (unused, pointer or MTU); the quote is the start of the datagram the
	 * error is about. */
	bool icmp;
	uint8_t icmp_type, icmp_code;
	uint32_t icmp_info;
	uint8_t icmp_qlen;
	uint8_t icmp_quote[SEG_ICMP_QUOTE_MAX];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags; /* enum seg_flag bits */
	uint16_t win;
	uint16_t urp;
	uint8_t nopts;
	struct seg_opt opts[SEG_MAX_OPTS];
	/* Parse: the options area exactly as on the wire, padding included
	 * (the data offset's bytes past the fixed header, 9293 3.1). Build
	 * ignores them. */
	uint8_t optlen;
	uint8_t optraw[SEG_OPT_SPACE];
	uint16_t len; /* payload bytes */
	uint8_t payload[SEG_MAX_PAYLOAD];
	/* Build: send a checksum that is deliberately wrong (the right one + 1).
	 * Parse: set when the received checksum did not verify. */
	bool bad_csum;
};

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
