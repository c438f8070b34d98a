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
#include "seg_types.h"

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

/* Build the IP packet (IPv4 or IPv6 header + IP options or IPv6
 * destination options + TCP header + options + payload, or an ICMP error
 * when s->icmp) into buf with libnet on a LIBNET_NONE context (no privileges),
 * checksums filled (or made wrong on request). Options are padded with EOL to
 * a multiple of 4. Returns the length, or -1 with err set. */
int seg_build(const struct tc_seg *s, uint8_t *buf, size_t cap, struct tc_err *err);

/* Parse an IP packet (version from the first nibble). Rejects truncated or
 * inconsistent input (bad header lengths, total length beyond the buffer,
 * data offset beyond the segment, not TCP, IPv4 fragments, options that run
 * past the header, IPv6 extension headers other than one Destination
 * Options header) with a reason in err; returns 0 or -1. IPv4 options and
 * the IPv6 destination options land in out->ipopts. A bad checksum is
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

#endif
