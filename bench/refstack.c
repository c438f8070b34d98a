/* bench/refstack: bulk data through the reference stack's input path.
 *
 * One stack, one connection made by a real handshake (SYN with MSS 1460,
 * SYN-ACK checked, ACK), then the bench plays a sender that pushes
 * 1460-byte data segments through refstack_input, in order and within the
 * window the stack advertises, one every microsecond of virtual time. The
 * stack's ACKs come back through the output callback (decoded, counted and
 * checked); the application side drains the receive buffer every few
 * segments. At the end every byte must have been accepted, acknowledged and
 * read back unchanged, or the bench fails (exit 1). IPv4, then IPv6; the last
 * line is exactly "refstack: N segments/s" over both.
 *
 *   build/bench/refstack [--seconds S] [--drain-every N]
 *
 * Linked against build/librefstack.a alone: only the stack is measured. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "refstack/refstack.h"
#include "refstack/refstack_codec.h"

#define MSS 1460
#define PEER_ISS 1000u
#define STACK_ISS 7000000u
#define PORT 8080
#define PEER_PORT 40000
#define SEG_INTERVAL_US 1 /* one segment per microsecond of virtual time */
#define PKT_MAX (REFSTACK_IPV6_HLEN + 60 + MSS)

struct bench {
	struct refstack *stack;
	struct seg_addr us, peer;
	uint64_t now_us;
	/* what the stack told the peer, from its latest segment */
	uint32_t acked; /* highest ACK seen */
	uint32_t wnd_right; /* ACK + window of the latest ACK */
	uint64_t acks;
	uint64_t bad_out; /* segments from the stack that did not decode or were not plain ACKs */
	bool synack_ok;
	uint32_t synack_seq;
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Every segment the stack sends. The bench reads the ACK's fields in place
 * and decodes one segment in 64 in full (checksum included), so what is
 * measured is the stack, not the bench's own checking. */
static void on_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct bench *b = ctx;
	struct refstack_rx_seg seg;
	size_t ip_hlen = (pkt[0] >> 4) == 4 ? REFSTACK_IPV4_HLEN : REFSTACK_IPV6_HLEN;
	const uint8_t *tcp = pkt + ip_hlen;
	uint16_t flags;
	uint32_t ack, wnd;

	if (len < ip_hlen + REFSTACK_TCP_HLEN) {
		b->bad_out++;
		return;
	}
	flags = tcp[13];
	ack = get32(tcp + 8);
	wnd = (uint32_t)(tcp[14] << 8 | tcp[15]);
	if (flags == (SEG_SYN | SEG_ACK) || b->acks % 64 == 0) {
		if (refstack_decode(pkt, len, &seg) != 0 || seg.bad_csum || seg.ack != ack) {
			b->bad_out++;
			return;
		}
		if (flags == (SEG_SYN | SEG_ACK)) {
			b->synack_ok = seg.ack == PEER_ISS + 1 && seg.has_mss;
			b->synack_seq = seg.seq;
			b->acked = seg.ack;
			b->wnd_right = seg.ack + seg.win;
			return;
		}
	}
	/* a plain ACK: no options, no text */
	if (flags != SEG_ACK || len != ip_hlen + REFSTACK_TCP_HLEN) {
		b->bad_out++;
		return;
	}
	b->acks++;
	if (seq_gt(ack, b->acked))
		b->acked = ack;
	if (seq_gt(ack + wnd, b->wnd_right))
		b->wnd_right = ack + wnd;
}

static size_t peer_packet(const struct bench *b, uint16_t flags, uint32_t seq, uint32_t ack,
			  const uint8_t *data, uint32_t len, uint8_t *buf)
{
	struct seg_opt mss = {.kind = SEG_OPT_MSS, .u.mss = MSS};
	struct refstack_tx_seg tx = {
		.src = b->peer,
		.dst = b->us,
		.sport = PEER_PORT,
		.dport = PORT,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.win = 65535,
		.nopts = (flags & SEG_SYN) ? 1 : 0,
		.opts = &mss,
		.data = {data, NULL},
		.data_len = {len, 0},
	};

	return refstack_encode(&tx, buf, PKT_MAX);
}

/* RFC 1624 eqn. 3: the checksum after one 16-bit word changed. The bench
 * moves the sequence number of one prebuilt segment this way instead of
 * encoding each segment anew, so its own cost stays small. */
static uint16_t csum_update(uint16_t hc, uint16_t m_old, uint16_t m_new)
{
	uint32_t sum = (uint16_t)~hc + (uint32_t)(uint16_t)~m_old + m_new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set_seq(uint8_t *tcp, uint32_t seq)
{
	uint16_t hc = get16(tcp + 16);

	hc = csum_update(hc, get16(tcp + 4), (uint16_t)(seq >> 16));
	hc = csum_update(hc, get16(tcp + 6), (uint16_t)seq);
	put16(tcp + 4, (uint16_t)(seq >> 16));
	put16(tcp + 6, (uint16_t)seq);
	put16(tcp + 16, hc);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *family, const char *what)
{
	fprintf(stderr, "refstack bench: IPv%s: %s\n", family, what);
	return -1;
}

struct result {
	uint64_t segments, acks;
	double wall, cpu;
};

/* Byte i of every segment's payload (one prebuilt segment: rewriting 1460
 * bytes per segment would cost as much as the stack's own copy). A byte read
 * back at a wrong offset shows; a lost or doubled segment shows in the byte
 * count and the last ACK. */
static uint8_t pattern(uint64_t byte_index)
{
	return (uint8_t)(byte_index * 7 + (byte_index >> 11));
}

static int run(uint8_t family, uint64_t seconds, unsigned drain_every, struct result *res)
{
	static uint8_t drain[REFSTACK_RCV_BUF_MAX];
	static uint8_t payload[MSS];
	const char *fam = family == 4 ? "4" : "6";
	struct bench b = {0};
	struct refstack_config cfg;
	struct refstack_io io = {.ctx = &b, .output = on_output};
	struct refstack_conn *conn;
	uint8_t pkt[PKT_MAX];
	size_t len, ip_hlen = family == 4 ? REFSTACK_IPV4_HLEN : REFSTACK_IPV6_HLEN;
	uint64_t n_segs = seconds * 1000000 / SEG_INTERVAL_US, sent = 0, read = 0, check_at = 0;
	uint32_t seq = PEER_ISS + 1;
	double t0, t1, c0, c1;
	int rc;

	b.us.family = b.peer.family = family;
	if (family == 4) {
		memcpy(b.us.bytes, (uint8_t[]){192, 0, 2, 1}, 4);
		memcpy(b.peer.bytes, (uint8_t[]){192, 0, 2, 2}, 4);
	} else {
		memcpy(b.us.bytes, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 16);
		memcpy(b.peer.bytes, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, [15] = 2}, 16);
	}
	refstack_config_default(&cfg);
	cfg.addr = b.us;
	cfg.iss = STACK_ISS;
	cfg.iss_mode = REFSTACK_ISS_FIXED;
	cfg.mss = MSS;
	b.stack = refstack_new(&cfg, &io);
	if (!b.stack)
		return fail(fam, "refstack_new failed");
	b.now_us = 1000000;

	/* RFC 9293 3.5: the three-way handshake, through the wire */
	if (refstack_listen(b.stack, PORT, b.now_us) != 0)
		return fail(fam, "listen failed");
	len = peer_packet(&b, SEG_SYN, PEER_ISS, 0, NULL, 0, pkt);
	if (refstack_input(b.stack, pkt, len, b.now_us) != REFSTACK_ACCEPTED || !b.synack_ok)
		return fail(fam, "no SYN-ACK acknowledging the SYN");
	len = peer_packet(&b, SEG_ACK, seq, b.synack_seq + 1, NULL, 0, pkt);
	if (refstack_input(b.stack, pkt, len, b.now_us) != REFSTACK_ACCEPTED ||
	    refstack_accept(b.stack, PORT, &conn) != 0 || refstack_conn_state(conn) != REFSTACK_ESTABLISHED)
		return fail(fam, "the handshake did not reach ESTABLISHED");

	/* one data segment, prebuilt; only its sequence number moves */
	for (uint32_t i = 0; i < MSS; i++)
		payload[i] = pattern(i);
	len = peer_packet(&b, SEG_ACK | SEG_PSH, seq, b.synack_seq + 1, payload, MSS, pkt);

	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	while (sent < n_segs) {
		enum refstack_drop d;

		/* never beyond the window the stack advertised */
		if (seq_gt(seq + MSS, b.wnd_right))
			return fail(fam, "the window closed: the application side did not drain");
		set_seq(pkt + ip_hlen, seq);
		d = refstack_input(b.stack, pkt, len, b.now_us);
		if (d != REFSTACK_ACCEPTED) {
			fprintf(stderr, "refstack bench: IPv%s: segment %" PRIu64 " dropped: %s\n", fam, sent,
				refstack_drop_name(d));
			return -1;
		}
		seq += MSS;
		sent++;
		b.now_us += SEG_INTERVAL_US;
		if (sent % drain_every == 0 || sent == n_segs) {
			while ((rc = refstack_recv(b.stack, conn, drain, sizeof(drain), b.now_us)) > 0) {
				/* spot-check the bytes every 4096 segments: the check
				 * itself must not dominate the figure */
				if (read >= check_at) {
					for (int i = 0; i < rc; i++)
						if (drain[i] != pattern((read + (uint64_t)i) % MSS))
							return fail(fam, "the drained bytes differ from those sent");
					check_at = read + 4096ull * MSS;
				}
				read += (uint64_t)rc;
			}
			if (rc < 0)
				return fail(fam, "recv failed");
		}
		if (sent % 1024 == 0 && refstack_next_deadline(b.stack) <= b.now_us)
			refstack_timers(b.stack, b.now_us);
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);

	if (read != n_segs * MSS)
		return fail(fam, "not every byte was read back");
	if (b.acked != seq)
		return fail(fam, "the last ACK does not cover the last byte");
	if (b.bad_out)
		return fail(fam, "the stack sent something other than ACKs");
	res->segments = sent;
	res->acks = b.acks;
	res->wall = t1 - t0;
	res->cpu = c1 - c0;
	/* wall time is what the last line reports; CPU time shows what the
	 * stack costs when other processes share the cores */
	printf("refstack: IPv%s: %" PRIu64 " segments of %d bytes, %.3f s virtual, %.3f s wall, %.3f s CPU: "
	       "%.0f segments/s wall (%.1f Gbit/s, %.0f ns a segment), %.0f segments/s of CPU time; "
	       "%" PRIu64 " ACKs, drained every %u segments\n",
	       fam, sent, MSS, (double)(b.now_us - 1000000) / 1e6, res->wall, res->cpu, (double)sent / res->wall,
	       (double)sent * MSS * 8 / res->wall / 1e9, res->wall * 1e9 / (double)sent, (double)sent / res->cpu,
	       b.acks, drain_every);
	refstack_free(b.stack);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seconds = 3;
	unsigned drain_every = 8;
	struct result r4, r6;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--drain-every") == 0 && i + 1 < argc)
			drain_every = (unsigned)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--drain-every N]\n", argv[0]);
			return 2;
		}
	}
	/* the window is 65535 bytes: more than 44 segments unread closes it */
	if (seconds == 0 || drain_every == 0 || drain_every > REFSTACK_RCV_BUF_MAX / MSS) {
		fprintf(stderr, "refstack bench: --seconds >= 1, --drain-every 1..%d\n", REFSTACK_RCV_BUF_MAX / MSS);
		return 2;
	}
	printf("refstack: bulk %d-byte segments through refstack_input, %" PRIu64 " s of virtual time a family\n",
	       MSS, seconds);
	if (run(4, seconds, drain_every, &r4) != 0 || run(6, seconds, drain_every, &r6) != 0)
		return 1;
	printf("refstack: %.0f segments/s\n", (double)(r4.segments + r6.segments) / (r4.wall + r6.wall));
	return 0;
}
