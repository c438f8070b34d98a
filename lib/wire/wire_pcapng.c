/* pcapng and classic pcap files, encoded by hand (see wire_pcapng.h). */
#include "wire_pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAP_MAGIC_US 0xA1B2C3D4u /* classic pcap, microsecond times */

void capbuf_free(struct capbuf *b)
{
	free(b->p);
	*b = (struct capbuf){0};
}

static void put_bytes(struct capbuf *b, const void *src, size_t n)
{
	/* n == 0: an empty option's NULL value must not reach memcpy */
	if (b->nomem || n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->nomem = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put16(struct capbuf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put_bytes(b, x, 2);
}

static void put32(struct capbuf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	put_bytes(b, x, 4);
}

static void set32(struct capbuf *b, size_t at, uint32_t v)
{
	if (b->nomem)
		return;
	b->p[at] = (uint8_t)v;
	b->p[at + 1] = (uint8_t)(v >> 8);
	b->p[at + 2] = (uint8_t)(v >> 16);
	b->p[at + 3] = (uint8_t)(v >> 24);
}

/* pcapng counts everything in 32-bit words: zero bytes up to the next. */
static void pad32(struct capbuf *b)
{
	static const uint8_t zero[3];

	put_bytes(b, zero, (4 - b->len % 4) % 4);
}

/* ---- UTF-8 ---- */

/* The length of the well-formed sequence at s (Unicode 15, table 3-7),
 * or 0 when s does not start one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	/* the second byte's range shuts out overlong forms, surrogates and
	 * code points past U+10FFFF */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return n;
}

size_t capfile_utf8_clean(const char *text, char *out, size_t cap)
{
	static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
	const unsigned char *s = (const unsigned char *)text;
	size_t len = 0;

	while (*s) {
		size_t n = utf8_seq_len(s);
		const char *src = n ? (const char *)s : replacement;
		size_t w = n ? n : 3;

		if (len + w + 1 > cap)
			break;
		memcpy(out + len, src, w);
		len += w;
		s += n ? n : 1;
	}
	out[len] = '\0';
	return len;
}

/* ---- pcapng ---- */

static void put_opt(struct capbuf *b, uint16_t code, const void *val, uint16_t len)
{
	put16(b, code);
	put16(b, len);
	put_bytes(b, val, len);
	pad32(b);
}

static bool has_text(const char *s) { return s && s[0]; }

/* A text option, made valid UTF-8 and cut (at a character) to what the
 * option's 16-bit length holds. */
static void put_text_opt(struct capbuf *b, uint16_t code, const char *text)
{
	size_t cap = strlen(text) * 3 + 4;
	char *clean;
	size_t n;

	if (cap > PCAPNG_OPT_MAX + 1)
		cap = PCAPNG_OPT_MAX + 1;
	clean = malloc(cap);
	if (!clean) {
		b->nomem = true;
		return;
	}
	n = capfile_utf8_clean(text, clean, cap);
	put_opt(b, code, clean, (uint16_t)n);
	free(clean);
}

/* Opens a block: type and a length patched in by end_block. */
static size_t begin_block(struct capbuf *b, uint32_t type)
{
	size_t at = b->len;

	put32(b, type);
	put32(b, 0);
	return at;
}

static void end_block(struct capbuf *b, size_t at)
{
	uint32_t total = (uint32_t)(b->len - at + 4);

	set32(b, at + 4, total);
	put32(b, total);
}

static void put_shb(struct capbuf *b, const struct capfile *cf)
{
	size_t at = begin_block(b, PCAPNG_SHB);

	put32(b, PCAPNG_BYTE_ORDER_MAGIC);
	put16(b, 1); /* major version */
	put16(b, 0); /* minor version */
	put32(b, 0xFFFFFFFFu); /* section length -1: not given */
	put32(b, 0xFFFFFFFFu);
	if (has_text(cf->section_comment))
		put_text_opt(b, PCAPNG_OPT_COMMENT, cf->section_comment);
	put_text_opt(b, PCAPNG_OPT_SHB_USERAPPL, "tcpconform");
	put_opt(b, PCAPNG_OPT_END, NULL, 0);
	end_block(b, at);
}

static void put_idb(struct capbuf *b, const struct capfile *cf)
{
	size_t at = begin_block(b, PCAPNG_IDB);

	put16(b, cf->linktype);
	put16(b, 0); /* reserved */
	put32(b, CAPFILE_SNAPLEN);
	/* no if_tsresol: the default, 10^-6 s, is ours */
	if (has_text(cf->if_name)) {
		put_text_opt(b, PCAPNG_OPT_IF_NAME, cf->if_name);
		put_opt(b, PCAPNG_OPT_END, NULL, 0);
	}
	end_block(b, at);
}

static void put_epb(struct capbuf *b, const struct capfile_pkt *p)
{
	size_t at = begin_block(b, PCAPNG_EPB);
	bool opts = false;

	put32(b, 0); /* interface 0: the only one */
	put32(b, (uint32_t)(p->ts_us >> 32));
	put32(b, (uint32_t)p->ts_us);
	put32(b, p->len);
	put32(b, p->orig_len);
	put_bytes(b, p->data, p->len);
	pad32(b);
	for (int k = 0; k < CAPFILE_PKT_COMMENTS; k++)
		if (has_text(p->comments[k])) {
			put_text_opt(b, PCAPNG_OPT_COMMENT, p->comments[k]);
			opts = true;
		}
	if (p->dir != CAPFILE_DIR_UNKNOWN) {
		uint8_t flags[4] = {(uint8_t)p->dir, 0, 0, 0}; /* little-endian u32 */

		put_opt(b, PCAPNG_OPT_EPB_FLAGS, flags, 4);
		opts = true;
	}
	if (opts)
		put_opt(b, PCAPNG_OPT_END, NULL, 0);
	end_block(b, at);
}

/* ---- classic pcap ---- */

static void put_pcap_header(struct capbuf *b, const struct capfile *cf)
{
	put32(b, PCAP_MAGIC_US);
	put16(b, 2); /* version 2.4 */
	put16(b, 4);
	put32(b, 0); /* thiszone */
	put32(b, 0); /* sigfigs */
	put32(b, CAPFILE_SNAPLEN);
	put32(b, cf->linktype);
}

static void put_pcap_record(struct capbuf *b, const struct capfile_pkt *p)
{
	put32(b, (uint32_t)(p->ts_us / 1000000u));
	put32(b, (uint32_t)(p->ts_us % 1000000u));
	put32(b, p->len);
	put32(b, p->orig_len);
	put_bytes(b, p->data, p->len);
}

int capfile_encode(const struct capfile *cf, struct capbuf *b, struct tc_err *err)
{
	for (size_t i = 0; i < cf->npkts; i++) {
		const struct capfile_pkt *p = &cf->pkts[i];

		if (p->len > CAPFILE_SNAPLEN || p->orig_len < p->len)
			return tc_err_set(err, TC_ERR_IO,
					  "packet %zu: %u bytes captured, %u on the wire (at most %u captured)", i + 1,
					  p->len, p->orig_len, CAPFILE_SNAPLEN);
	}
	if (cf->format == CAPFILE_PCAP) {
		put_pcap_header(b, cf);
		for (size_t i = 0; i < cf->npkts; i++)
			put_pcap_record(b, &cf->pkts[i]);
	} else {
		put_shb(b, cf);
		put_idb(b, cf);
		for (size_t i = 0; i < cf->npkts; i++)
			put_epb(b, &cf->pkts[i]);
	}
	if (b->nomem)
		return tc_err_set(err, TC_ERR_NOMEM, "encoding a capture of %zu packets", cf->npkts);
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int capfile_write(const struct capfile *cf, const char *path, struct tc_err *err)
{
	struct capbuf b = {0};
	char tmp[4096];
	int n, fd, rc = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return tc_err_set(err, TC_ERR_IO, "capture path too long: %s", path);
	if (capfile_encode(cf, &b, err) != 0) {
		capbuf_free(&b);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = tc_err_set(err, TC_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		capbuf_free(&b);
		return rc;
	}
	/* No fsync: the rename alone keeps readers from half a file, and a
	 * run with --pcap all writes hundreds of them. */
	if (write_all(fd, b.p, b.len) != 0)
		rc = tc_err_set(err, TC_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = tc_err_set(err, TC_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = tc_err_set(err, TC_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc != 0)
		unlink(tmp);
	capbuf_free(&b);
	return rc;
}

/* ---- notes onto frames ---- */

static bool same_segment(const struct capfile_key *k, const struct capfile_note *n)
{
	return k->tcp && k->from_target == n->from_target && k->seq == n->seq && k->ack == n->ack &&
	       k->flags == n->flags && k->len == n->len;
}

static uint64_t distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

void capfile_match_notes(const struct capfile_key *keys, size_t nkeys, const struct capfile_note *notes,
			 size_t nnotes, int *note_of)
{
	for (size_t i = 0; i < nkeys; i++)
		note_of[i] = -1;
	for (size_t n = 0; n < nnotes; n++) {
		size_t best = nkeys;

		for (size_t i = 0; i < nkeys; i++) {
			if (note_of[i] >= 0 || !same_segment(&keys[i], &notes[n]))
				continue;
			if (best == nkeys ||
			    distance(keys[i].at_us, notes[n].at_us) < distance(keys[best].at_us, notes[n].at_us))
				best = i;
		}
		if (best < nkeys)
			note_of[best] = (int)n;
	}
}

const char *capfile_ext(enum capfile_format f)
{
	return f == CAPFILE_PCAP ? "pcap" : "pcapng";
}
