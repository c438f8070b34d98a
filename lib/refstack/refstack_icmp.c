/* ICMP and ICMPv6 errors (RFC 9293 3.9.2.2, RFC 1122 4.2.3.9) and the
 * address checks of 3.9.2.3.
 *
 * An error is matched to a connection by the TCP header it quotes and
 * believed only when the quoted sequence number is one the connection has
 * sent and not seen acknowledged (RFC 5927 4.1), so a blind attacker must
 * guess it. Soft errors (Destination Unreachable 0, 1, 5, Time Exceeded,
 * Parameter Problem) never abort a connection (MUST-56): they are kept and
 * told to the application if the connection later times out (MUST-47).
 * Hard errors (Protocol and Port Unreachable, Fragmentation Needed on
 * IPv4; Port Unreachable and an unrecognised Next Header on IPv6) abort a
 * connection in SYN-SENT, where 3.9.2.2 and RFC 1122 say they SHOULD; in a
 * synchronized state they are kept as soft errors, as RFC 5461 reports
 * widely deployed stacks do. Source Quench is discarded (MUST-55, RFC
 * 6633). */
#include "refstack_internal.h"
#include "refstack_csum.h"

#include <errno.h>
#include <string.h>

#define ICMP_HLEN 8 /* type, code, checksum, 32 bits (RFC 792, RFC 4443 2.1) */
#define PROTO_ICMP 1
#define PROTO_ICMPV6 58
#define PROTO_TCP 6

/* RFC 792 */
#define ICMP4_UNREACH 3
#define ICMP4_SOURCE_QUENCH 4
#define ICMP4_TIME_EXCEEDED 11
#define ICMP4_PARAM_PROBLEM 12
/* RFC 4443 3 */
#define ICMP6_UNREACH 1
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROBLEM 4

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

bool refstack_addr_not_unicast(const struct seg_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == 4)
		/* 0.0.0.0, class D multicast (RFC 1112 4) and class E, whose
		 * top, 255.255.255.255, is the limited broadcast (RFC 919 7) */
		return memcmp(a->bytes, zero, 4) == 0 || a->bytes[0] >= 224;
	/* RFC 4291 2.5.2 unspecified, 2.7 multicast */
	return memcmp(a->bytes, zero, 16) == 0 || a->bytes[0] == 0xff;
}

bool refstack_is_icmp(const uint8_t *pkt, size_t len)
{
	if (len >= REFSTACK_IPV4_HLEN && pkt[0] >> 4 == 4)
		return pkt[9] == PROTO_ICMP;
	if (len >= REFSTACK_IPV6_HLEN && pkt[0] >> 4 == 6)
		return pkt[6] == PROTO_ICMPV6;
	return false;
}

int refstack_timeout_error(const struct refstack *s, const struct refstack_conn *c)
{
	(void)s;
#ifdef REFSTACK_FAULTS
	if (refstack_fault_on(s, REFSTACK_FAULT_SOFT_ERROR_LOST))
		return -ETIMEDOUT;
#endif
	/* 9293 3.9.1.8 (MUST-47): the soft error says more than "timed out" */
	return c->soft_error ? c->soft_error : -ETIMEDOUT;
}

/* What an error means to TCP: 0 = not an error TCP acts on. */
enum icmp_kind { ICMP_NONE, ICMP_QUENCH, ICMP_SOFT, ICMP_HARD };

struct icmp_class {
	enum icmp_kind kind;
	int error; /* negative errno for the application */
};

/* 9293 3.9.2.2 / RFC 1122 4.2.3.9, with RFC 4443 3's IPv6 counterparts */
static struct icmp_class classify(int family, uint8_t type, uint8_t code)
{
	if (family == 4) {
		switch (type) {
		case ICMP4_SOURCE_QUENCH:
			return (struct icmp_class){ICMP_QUENCH, 0};
		case ICMP4_UNREACH:
			if (code == 2)
				return (struct icmp_class){ICMP_HARD, -ENOPROTOOPT};
			if (code == 3)
				return (struct icmp_class){ICMP_HARD, -ECONNREFUSED};
			if (code == 4)
				return (struct icmp_class){ICMP_HARD, -EMSGSIZE};
			return (struct icmp_class){ICMP_SOFT, code == 0 ? -ENETUNREACH : -EHOSTUNREACH};
		case ICMP4_TIME_EXCEEDED:
			return (struct icmp_class){ICMP_SOFT, -EHOSTUNREACH};
		case ICMP4_PARAM_PROBLEM:
			return (struct icmp_class){ICMP_SOFT, -EPROTO};
		default:
			return (struct icmp_class){ICMP_NONE, 0};
		}
	}
	switch (type) {
	case ICMP6_UNREACH:
		if (code == 4) /* port unreachable */
			return (struct icmp_class){ICMP_HARD, -ECONNREFUSED};
		if (code == 1) /* administratively prohibited */
			return (struct icmp_class){ICMP_SOFT, -EACCES};
		return (struct icmp_class){ICMP_SOFT, code == 0 ? -ENETUNREACH : -EHOSTUNREACH};
	case ICMP6_TIME_EXCEEDED:
		return (struct icmp_class){ICMP_SOFT, -EHOSTUNREACH};
	case ICMP6_PARAM_PROBLEM:
		/* code 1, unrecognized Next Header: IPv6's protocol
		 * unreachable; EPROTO either way, as Linux reports it */
		return (struct icmp_class){code == 1 ? ICMP_HARD : ICMP_SOFT, -EPROTO};
	default:
		return (struct icmp_class){ICMP_NONE, 0};
	}
}

/* The outer header: our address, the ICMP message's place and checksum. */
static bool outer_ok(const struct refstack *s, const uint8_t *pkt, size_t len, const uint8_t **msg,
		     size_t *mlen)
{
	struct refstack_csum c = {0};
	struct seg_addr dst = {0};

	if (pkt[0] >> 4 == 4) {
		size_t hlen = (size_t)(pkt[0] & 0x0f) * 4, total = get16(pkt + 2);

		if (hlen < REFSTACK_IPV4_HLEN || total < hlen || total > len)
			return false;
		dst.family = 4;
		memcpy(dst.bytes, pkt + 16, 4);
		*msg = pkt + hlen;
		*mlen = total - hlen;
	} else {
		size_t plen = get16(pkt + 4);
		/* RFC 4443 2.3: the pseudo-header's length and next header */
		uint8_t tail[8] = {0, 0, (uint8_t)(plen >> 8), (uint8_t)plen, 0, 0, 0, PROTO_ICMPV6};

		if (REFSTACK_IPV6_HLEN + plen > len)
			return false;
		dst.family = 6;
		memcpy(dst.bytes, pkt + 24, 16);
		*msg = pkt + REFSTACK_IPV6_HLEN;
		*mlen = plen;
		refstack_csum_add(&c, pkt + 8, 32);
		refstack_csum_add(&c, tail, sizeof(tail));
	}
	if (*mlen < ICMP_HLEN || dst.family != s->cfg.addr.family || !refstack_addr_own(s, &dst))
		return false;
	refstack_csum_add(&c, *msg, *mlen);
	return refstack_csum_fold(&c) == 0xffff;
}

/* The quoted datagram: one of ours, to a TCP peer; the connection and the
 * quoted sequence number. */
static struct refstack_conn *quoted_conn(struct refstack *s, const uint8_t *q, size_t qlen, uint32_t *seq)
{
	struct seg_addr src = {0}, dst = {0};
	struct refstack_conn *c;
	size_t hlen;

	if (s->cfg.addr.family == 4) {
		if (qlen < REFSTACK_IPV4_HLEN || q[0] >> 4 != 4 || q[9] != PROTO_TCP)
			return NULL;
		hlen = (size_t)(q[0] & 0x0f) * 4;
		src.family = dst.family = 4;
		memcpy(src.bytes, q + 12, 4);
		memcpy(dst.bytes, q + 16, 4);
	} else {
		if (qlen < REFSTACK_IPV6_HLEN || q[0] >> 4 != 6 || q[6] != PROTO_TCP)
			return NULL;
		hlen = REFSTACK_IPV6_HLEN;
		src.family = dst.family = 6;
		memcpy(src.bytes, q + 8, 16);
		memcpy(dst.bytes, q + 24, 16);
	}
	/* RFC 792: the IP header and at least 64 bits of the data: the ports
	 * and the sequence number */
	if (hlen < REFSTACK_IPV4_HLEN || qlen < hlen + 8 || !refstack_addr_own(s, &src))
		return NULL;
	*seq = get32(q + hlen + 4);
	c = refstack_find(s, get16(q + hlen), &dst, get16(q + hlen + 2));
	return c && refstack_addr_eq(&c->laddr, &src) ? c : NULL;
}

enum refstack_drop refstack_icmp_input(struct refstack *s, const uint8_t *pkt, size_t len, uint64_t now_us)
{
	const uint8_t *msg;
	struct refstack_conn *c;
	struct icmp_class k;
	size_t mlen;
	uint32_t seq;

	(void)now_us;
	if (!outer_ok(s, pkt, len, &msg, &mlen))
		return REFSTACK_DROP_ICMP_MALFORMED;
	k = classify(s->cfg.addr.family, msg[0], msg[1]);
	if (k.kind == ICMP_NONE)
		return REFSTACK_DROP_ICMP_IGNORED;
	c = quoted_conn(s, msg + ICMP_HLEN, mlen - ICMP_HLEN, &seq);
	if (!c)
		return REFSTACK_DROP_ICMP_NO_CONN;
	/* RFC 5927 4.1: SND.UNA =< SEG.SEQ < SND.NXT, or it is not about
	 * anything in flight */
	if (!seq_in(seq, c->snd_una, c->snd_nxt))
		return REFSTACK_DROP_ICMP_OUT_OF_WINDOW;
	switch (k.kind) {
	case ICMP_QUENCH:
#ifdef REFSTACK_FAULTS
		if (refstack_fault_on(s, REFSTACK_FAULT_SOURCE_QUENCH_HONOURED)) {
			c->soft_error = -EHOSTUNREACH;
			return REFSTACK_ACCEPTED;
		}
#endif
		/* 9293 3.9.2.2 (MUST-55): "TCP MUST silently discard" it */
		return REFSTACK_DROP_ICMP_SOURCE_QUENCH;
	case ICMP_HARD:
		/* 9293 3.9.2.2: a hard error SHOULD abort; in SYN-SENT the
		 * application learns why its OPEN failed */
		if (c->state == REFSTACK_SYN_SENT
#ifdef REFSTACK_FAULTS
		    && !refstack_fault_on(s, REFSTACK_FAULT_ICMP_HARD_ERROR_IGNORED)
#endif
		) {
			refstack_conn_closed(s, c, REFSTACK_CAUSE_ICMP_HARD_ERROR, k.error);
			return REFSTACK_ACCEPTED;
		}
		c->soft_error = k.error;
		return REFSTACK_ACCEPTED;
	case ICMP_SOFT:
#ifdef REFSTACK_FAULTS
		if (refstack_fault_on(s, REFSTACK_FAULT_ICMP_UNREACH_ABORTS)) {
			refstack_conn_closed(s, c, REFSTACK_CAUSE_ICMP_HARD_ERROR, k.error);
			return REFSTACK_ACCEPTED;
		}
#endif
		/* 9293 3.9.2.2 (MUST-56): never an abort; kept for MUST-47 */
		c->soft_error = k.error;
		return REFSTACK_ACCEPTED;
	case ICMP_NONE:
		break;
	}
	return REFSTACK_DROP_ICMP_IGNORED;
}
