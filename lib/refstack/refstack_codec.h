/* The reference stack's own segment codec: IP packet bytes <-> TCP segment
 * fields, with nothing but the C library. IPv4 (RFC 791 3.1) and IPv6 (RFC
 * 8200 3) headers, the TCP header and its options (RFC 9293 3.1, 3.2), the
 * TCP checksum over the pseudo-header (RFC 9293 3.1, RFC 8200 8.1). The stack
 * encodes every segment it sends with refstack_encode and decodes every
 * packet it receives with refstack_decode; both work on caller-given memory
 * and allocate nothing. */
#ifndef REFSTACK_CODEC_H
#define REFSTACK_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../seg/seg_types.h"

#define REFSTACK_IPV4_HLEN 20 /* RFC 791 3.1, no IP options */
#define REFSTACK_IPV6_HLEN 40 /* RFC 8200 3 */
#define REFSTACK_TCP_HLEN 20 /* RFC 9293 3.1, no TCP options */

/* A segment to encode. The payload comes in at most two pieces (a ring
 * buffer's bytes up to its end, then from its start); either may be empty. */
struct refstack_tx_seg {
	struct seg_addr src, dst; /* one family, 4 or 6 */
	uint8_t ttl; /* hop limit on IPv6; 0 means 64 */
	uint8_t tos; /* IPv4 TOS / IPv6 traffic class */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags; /* enum seg_flag bits, AE included */
	uint16_t win, urp;
	uint8_t nopts;
	const struct seg_opt *opts; /* nopts options, in order; padded with EOL */
	const uint8_t *data[2];
	uint32_t data_len[2];
	/* IPv4 only: header options (a multiple of 4, at most 40 bytes) and,
	 * for a source route (RFC 791 3.1), the first hop the IP header names
	 * instead of dst (family 0: none); the TCP pseudo-header keeps dst,
	 * the final destination (RFC 9293 3.1) */
	uint8_t ipopt_len;
	const uint8_t *ipopts;
	struct seg_addr hop;
};

/* Writes the IP packet into buf: the IP header (IPv4: the TOS given, ID 0,
 * no fragment bits, header checksum; IPv6: the traffic class given, flow
 * label 0), the
 * TCP header, the options padded with EOL to a multiple of 4, the payload,
 * the TCP checksum. Returns the packet's length, or 0 when it cannot be
 * encoded: families differ or are not 4/6, an option has no encoding (unknown
 * kind, SACK with other than 1..4 blocks, raw of other than 1..40 bytes), the
 * options exceed 40 bytes, the packet exceeds 65535 bytes or cap. */
size_t refstack_encode(const struct refstack_tx_seg *s, uint8_t *buf, size_t cap);

/* A received segment, decoded: the header fields, the options the stack
 * acts on (MSS, window scale, timestamps, SACK-permitted, SACK), and the
 * payload where it lies in the packet (valid as long as the packet is). */
struct refstack_rx_seg {
	struct seg_addr src, dst;
	uint8_t ttl;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags; /* enum seg_flag bits, AE included */
	uint16_t win, urp;
	bool has_mss; /* an MSS option of length 4 came before any EOL */
	uint16_t mss; /* the first such option's value */
	/* RFC 7323 2.2, 3.2 and RFC 2018 2, each the first of its kind with
	 * its right length */
	bool has_wscale;
	uint8_t wscale; /* the shift as sent, not yet clamped to 14 */
	bool has_ts;
	uint32_t ts_val, ts_ecr;
	bool sack_perm;
	/* RFC 2018 3: the blocks of the first SACK option whose length is
	 * 2 + 8n, n = 1..4 */
	uint8_t nsack;
	struct seg_sack_block sack[SEG_MAX_SACK_BLOCKS];
	uint16_t len; /* payload bytes */
	const uint8_t *payload;
	bool bad_csum; /* the TCP checksum did not verify */
	/* IPv4: the header options as they came (RFC 791 3.1) */
	uint8_t ipopt_len;
	uint8_t ipopts[SEG_IPOPT_SPACE];
};

/* Decodes one IP packet (version from the first nibble). Returns 0, or -1
 * for what lib/seg's parser rejects too: truncated headers, an IPv4 IHL or
 * total length that does not fit, IPv4 fragments, an IPv6 extension header
 * other than one Destination Options header (skipped, as IPv4 options are),
 * a protocol other than TCP, a data offset below 5 or past the segment, more
 * than SEG_MAX_PAYLOAD payload bytes, an option without its length byte, with
 * a length below 2 or running past the header. A bad checksum is not an
 * error: out->bad_csum tells. */
int refstack_decode(const uint8_t *pkt, size_t len, struct refstack_rx_seg *out);

/* SEG.LEN of RFC 9293 3.3.1: payload plus one for SYN and one for FIN. */
static inline uint32_t refstack_rx_seq_len(const struct refstack_rx_seg *s)
{
	return s->len + ((s->flags & SEG_SYN) ? 1u : 0u) + ((s->flags & SEG_FIN) ? 1u : 0u);
}

#endif
