/* The IP-level parts of building a packet that libnet's TCP path does not
 * do for us: IPv4 header options and ICMP error messages (seg_build_ip.c).
 * Internal to lib/seg. */
#ifndef TC_SEG_IP_H
#define TC_SEG_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err/tc_err.h"
#include "seg_types.h"

/* Moves the TCP segment after the IP header in buf (len bytes) up to make
 * room for s->ipopts: IPv4 options (IHL, total length and the header
 * checksum fixed) or an IPv6 Destination Options header (next header and
 * payload length fixed); neither is covered by the TCP checksum. Returns
 * the new length, or -1 with err set. */
int seg_put_ipopts(const struct tc_seg *s, uint8_t *buf, size_t len, size_t cap, struct tc_err *err);

/* The ICMP or ICMPv6 error message s describes (s->icmp set), with its IP
 * header, into buf. Returns the length, or -1 with err set. */
int seg_build_icmp(const struct tc_seg *s, uint8_t *buf, size_t cap, struct tc_err *err);

/* RFC 791 3.1 header checksum of an IPv4 header of hlen bytes (its
 * checksum field taken as zero). */
uint16_t seg_ipv4_hdr_csum(const uint8_t *ip, size_t hlen);

/* RFC 791 3.1, RFC 9293 3.1: the final destination of an IPv4 datagram
 * whose options (n bytes) hold a Loose or Strict Source Route (type 131 or
 * 137) not yet completed (pointer within the option): the route's last
 * address, into final; the TCP pseudo-header carries it, not the next
 * hop in the IP destination field. Returns false when there is none (no
 * such option, a completed or malformed one). */
bool seg_ipv4_route_final(const uint8_t *opts, size_t n, uint8_t final[4]);

#endif
