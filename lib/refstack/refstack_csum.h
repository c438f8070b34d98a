/* The Internet checksum (RFC 1071) for the codec: a one's-complement sum of
 * 16-bit words, computed in the machine's byte order. RFC 1071 2(B): the sum
 * is independent of byte order, so a sum taken on native-order words and
 * stored in native order is the same two bytes a big-endian sum would store;
 * this lets the sum read eight bytes at a time. Internal to lib/refstack. */
#ifndef REFSTACK_CSUM_H
#define REFSTACK_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* A running sum: 64-bit partial sum plus the carries out of it. */
struct refstack_csum {
	uint64_t sum;
	uint64_t carries;
};

/* Adds n bytes at p (any alignment). Only the last chunk of a sum may have
 * an odd length: its last byte is padded with a zero byte (RFC 9293 3.1). */
void refstack_csum_add(struct refstack_csum *c, const void *p, size_t n);
/* The 16-bit one's-complement sum, in native byte order: 0 only when every
 * byte added was 0, never 0 otherwise (0xffff stands for the other zero). */
uint16_t refstack_csum_fold(const struct refstack_csum *c);

#endif
