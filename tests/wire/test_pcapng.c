/* The capture file writer (lib/wire/wire_pcapng.c) byte by byte: pcapng
 * block lengths front and back, padding to 32 bits, options and their
 * order, comments made valid UTF-8, the byte-order magic; classic pcap's
 * header and records; the file written whole or not at all; comments
 * matched onto frames; the capture file names (lib/engine/engine_pcap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_pcap.h"
#include "wire/wire_pcapng.h"

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void encode(const struct capfile *cf, struct capbuf *b)
{
	struct tc_err err = {0};

	if (capfile_encode(cf, b, &err) != 0)
		fail_msg("capfile_encode: %s", err.msg);
}

/* Every block: its length a multiple of 4, the same before and after the
 * body, the blocks tiling the file exactly. Returns how many; offs[] gets
 * where each starts. */
static int walk_blocks(const struct capbuf *b, size_t *offs, int max)
{
	size_t at = 0;
	int n = 0;

	while (at < b->len) {
		uint32_t len;

		if (b->len - at < 12)
			fail_msg("%zu bytes left at %zu: shorter than a block", b->len - at, at);
		len = le32(b->p + at + 4);
		if (len % 4 != 0)
			fail_msg("block at %zu: length %u is not a multiple of 4", at, len);
		if (len < 12 || len > b->len - at)
			fail_msg("block at %zu: length %u, %zu bytes left", at, len, b->len - at);
		if (le32(b->p + at + len - 4) != len)
			fail_msg("block at %zu: trailing length %u, leading %u", at, le32(b->p + at + len - 4), len);
		if (n < max)
			offs[n] = at;
		n++;
		at += len;
	}
	return n;
}

struct opt {
	uint16_t code, len;
	const uint8_t *val;
};

/* The options from p up to end: each padded to 32 bits with zeros,
 * ended by opt_endofopt exactly at the block's trailing length. */
static int read_opts(const uint8_t *p, const uint8_t *end, struct opt *out, int max)
{
	int n = 0;

	for (;;) {
		uint16_t code, len;
		size_t padded;

		if (end - p < 4)
			fail_msg("options run past the block");
		code = le16(p);
		len = le16(p + 2);
		if (code == PCAPNG_OPT_END) {
			assert_int_equal(len, 0);
			if (p + 4 != end)
				fail_msg("%td bytes after opt_endofopt", end - (p + 4));
			return n;
		}
		padded = (len + 3u) & ~3u;
		if ((size_t)(end - p - 4) < padded)
			fail_msg("option %u of %u bytes runs past the block", code, len);
		for (size_t k = len; k < padded; k++)
			if (p[4 + k] != 0)
				fail_msg("option %u: padding byte %zu is %u, not 0", code, k, p[4 + k]);
		if (n < max)
			out[n] = (struct opt){code, len, p + 4};
		n++;
		p += 4 + padded;
	}
}

static void assert_opt_text(const struct opt *o, uint16_t code, const char *text)
{
	assert_int_equal(o->code, code);
	assert_int_equal(o->len, strlen(text));
	assert_memory_equal(o->val, text, o->len);
}

static void test_shb(void **state)
{
	struct capfile cf = {.format = CAPFILE_PCAPNG, .linktype = CAPFILE_LINK_RAW,
			     .section_comment = "FAIL at step 3"}; /* 14 bytes: 2 of padding */
	struct capbuf b = {0};
	size_t offs[4];
	struct opt o[4];
	const uint8_t *p;

	(void)state;
	encode(&cf, &b);
	assert_int_equal(walk_blocks(&b, offs, 4), 2); /* SHB, IDB */
	p = b.p;
	assert_int_equal(le32(p), PCAPNG_SHB);
	/* the magic in little-endian order, whatever the host */
	assert_memory_equal(p + 8, "\x4D\x3C\x2B\x1A", 4);
	assert_int_equal(le16(p + 12), 1);
	assert_int_equal(le16(p + 14), 0);
	assert_memory_equal(p + 16, "\xff\xff\xff\xff\xff\xff\xff\xff", 8); /* section length -1 */
	assert_int_equal(read_opts(p + 24, p + le32(p + 4) - 4, o, 4), 2);
	assert_opt_text(&o[0], PCAPNG_OPT_COMMENT, "FAIL at step 3");
	assert_opt_text(&o[1], PCAPNG_OPT_SHB_USERAPPL, "tcpconform");
	/* 24 fixed + (4 + 16) comment + (4 + 12) userappl + 4 end + 4 length */
	assert_int_equal(le32(p + 4), 68);
	capbuf_free(&b);
}

static void test_idb(void **state)
{
	struct capfile cf = {.format = CAPFILE_PCAPNG, .linktype = CAPFILE_LINK_ETHERNET, .if_name = "veth0"};
	struct capbuf b = {0};
	size_t offs[4];
	struct opt o[4];
	const uint8_t *p;

	(void)state;
	encode(&cf, &b);
	assert_int_equal(walk_blocks(&b, offs, 4), 2);
	p = b.p + offs[1];
	assert_int_equal(le32(p), PCAPNG_IDB);
	assert_int_equal(le16(p + 8), CAPFILE_LINK_ETHERNET);
	assert_int_equal(le16(p + 10), 0);
	assert_int_equal(le32(p + 12), CAPFILE_SNAPLEN);
	assert_int_equal(read_opts(p + 16, p + le32(p + 4) - 4, o, 4), 1);
	assert_opt_text(&o[0], PCAPNG_OPT_IF_NAME, "veth0");
	capbuf_free(&b);
}

static void test_epb_padding_and_options(void **state)
{
	static const uint8_t data[5] = {0x45, 1, 2, 3, 4};
	struct capfile_pkt pkts[2] = {
		{.ts_us = 0x123456789ABull, .data = data, .len = 5, .orig_len = 60, .dir = CAPFILE_DIR_IN,
		 .comments = {"step 3 (x.yaml:12:5) expect", "FAILED: expected SA, got R"}},
		{.ts_us = 7, .data = data, .len = 4, .orig_len = 4},
	};
	struct capfile cf = {.format = CAPFILE_PCAPNG, .linktype = CAPFILE_LINK_RAW, .npkts = 2, .pkts = pkts};
	struct capbuf b = {0};
	size_t offs[4];
	struct opt o[4];
	const uint8_t *p;

	(void)state;
	encode(&cf, &b);
	assert_int_equal(walk_blocks(&b, offs, 4), 4);
	p = b.p + offs[2];
	assert_int_equal(le32(p), PCAPNG_EPB);
	assert_int_equal(le32(p + 8), 0); /* interface */
	assert_int_equal(le32(p + 12), 0x123);
	assert_int_equal(le32(p + 16), 0x456789AB);
	assert_int_equal(le32(p + 20), 5);
	assert_int_equal(le32(p + 24), 60);
	assert_memory_equal(p + 28, data, 5);
	assert_memory_equal(p + 33, "\0\0\0", 3); /* 5 bytes padded to 8 */
	assert_int_equal(read_opts(p + 36, p + le32(p + 4) - 4, o, 4), 3);
	assert_opt_text(&o[0], PCAPNG_OPT_COMMENT, "step 3 (x.yaml:12:5) expect");
	assert_opt_text(&o[1], PCAPNG_OPT_COMMENT, "FAILED: expected SA, got R");
	assert_int_equal(o[2].code, PCAPNG_OPT_EPB_FLAGS);
	assert_int_equal(o[2].len, 4);
	assert_int_equal(le32(o[2].val), 1); /* inbound */

	/* no comments, no direction: no options at all, and no padding
	 * when the data is a multiple of 4 already */
	p = b.p + offs[3];
	assert_int_equal(le32(p + 4), 28 + 4 + 4);
	assert_int_equal(le32(p + 12), 0);
	assert_int_equal(le32(p + 16), 7);
	capbuf_free(&b);
}

static void test_comment_utf8(void **state)
{
	/* é, ✓, U+1D11E stay; 0xff, an overlong '/', a surrogate, a cut
	 * sequence and a code point past U+10FFFF each become U+FFFD */
	const char *in = "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9D\x84\x9E|\xFF|\xC0\xAF|\xED\xA0\x80|\xE2\x82|\xF4\x90\x80\x80";
	const char *want = "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9D\x84\x9E|\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|"
			   "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|"
			   "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD";
	struct capfile_pkt pkt = {.data = (const uint8_t *)"x", .len = 1, .orig_len = 1, .comments = {in}};
	struct capfile cf = {.format = CAPFILE_PCAPNG, .linktype = CAPFILE_LINK_RAW, .npkts = 1, .pkts = &pkt};
	struct capbuf b = {0};
	char out[256];
	size_t offs[4];
	struct opt o[4];
	const uint8_t *p;

	(void)state;
	assert_int_equal(capfile_utf8_clean(in, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
	/* a cut never splits a character: "caf" and then é does not fit in 5 */
	assert_int_equal(capfile_utf8_clean("caf\xC3\xA9", out, 5), 3);
	assert_string_equal(out, "caf");

	encode(&cf, &b);
	assert_int_equal(walk_blocks(&b, offs, 4), 3);
	p = b.p + offs[2];
	assert_int_equal(read_opts(p + 28 + 4, p + le32(p + 4) - 4, o, 4), 1);
	assert_opt_text(&o[0], PCAPNG_OPT_COMMENT, want);
	capbuf_free(&b);
}

static void test_long_comment_fits_the_option(void **state)
{
	size_t n = 70000;
	char *big = malloc(n + 1);
	struct capfile cf = {.format = CAPFILE_PCAPNG, .linktype = CAPFILE_LINK_RAW};
	struct capbuf b = {0};
	size_t offs[4];
	struct opt o[4];

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	cf.section_comment = big;
	encode(&cf, &b);
	assert_int_equal(walk_blocks(&b, offs, 4), 2);
	assert_int_equal(read_opts(b.p + 24, b.p + le32(b.p + 4) - 4, o, 4), 2);
	assert_int_equal(o[0].code, PCAPNG_OPT_COMMENT);
	assert_int_equal(o[0].len, PCAPNG_OPT_MAX);
	free(big);
	capbuf_free(&b);
}

static void test_classic_pcap(void **state)
{
	static const uint8_t data[6] = {0x60, 0, 0, 0, 0, 9};
	struct capfile_pkt pkts[2] = {
		{.ts_us = 3000123, .data = data, .len = 6, .orig_len = 6, .comments = {"dropped in pcap"}},
		{.ts_us = 5, .data = data, .len = 1, .orig_len = 6},
	};
	struct capfile cf = {.format = CAPFILE_PCAP, .linktype = CAPFILE_LINK_RAW, .section_comment = "gone",
			     .npkts = 2, .pkts = pkts};
	struct capbuf b = {0};

	(void)state;
	encode(&cf, &b);
	assert_int_equal(b.len, 24 + 16 + 6 + 16 + 1); /* no padding, no comments */
	assert_memory_equal(b.p, "\xD4\xC3\xB2\xA1", 4);
	assert_int_equal(le16(b.p + 4), 2);
	assert_int_equal(le16(b.p + 6), 4);
	assert_int_equal(le32(b.p + 16), CAPFILE_SNAPLEN);
	assert_int_equal(le32(b.p + 20), CAPFILE_LINK_RAW);
	assert_int_equal(le32(b.p + 24), 3);
	assert_int_equal(le32(b.p + 28), 123);
	assert_int_equal(le32(b.p + 32), 6);
	assert_int_equal(le32(b.p + 36), 6);
	assert_memory_equal(b.p + 40, data, 6);
	assert_int_equal(le32(b.p + 46 + 8), 1);
	assert_int_equal(le32(b.p + 46 + 12), 6);
	capbuf_free(&b);
}

static void test_bad_packet_refused(void **state)
{
	struct capfile_pkt pkt = {.data = (const uint8_t *)"abcd", .len = 4, .orig_len = 3};
	struct capfile cf = {.format = CAPFILE_PCAPNG, .linktype = CAPFILE_LINK_RAW, .npkts = 1, .pkts = &pkt};
	struct capbuf b = {0};
	struct tc_err err = {0};

	(void)state;
	assert_int_equal(capfile_encode(&cf, &b, &err), -1);
	assert_non_null(strstr(err.msg, "packet 1"));
	capbuf_free(&b);
}

static void test_write_whole_or_nothing(void **state)
{
	struct capfile_pkt pkt = {.ts_us = 1, .data = (const uint8_t *)"abcd", .len = 4, .orig_len = 4,
				  .comments = {"step 1"}};
	struct capfile cf = {.format = CAPFILE_PCAPNG, .linktype = CAPFILE_LINK_RAW, .npkts = 1, .pkts = &pkt};
	char dir[] = "/tmp/tcpconform-pcapng-XXXXXX", path[128], tmp[160];
	struct capbuf b = {0};
	struct tc_err err = {0};
	uint8_t got[4096];
	size_t n;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.pcapng", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (capfile_write(&cf, path, &err) != 0)
		fail_msg("capfile_write: %s", err.msg);
	assert_int_equal(access(tmp, F_OK), -1);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	encode(&cf, &b);
	assert_int_equal(n, b.len);
	assert_memory_equal(got, b.p, n);
	capbuf_free(&b);
	unlink(path);

	/* a folder that is not there: an error naming the file, nothing made */
	snprintf(path, sizeof(path), "%s/missing/x.pcapng", dir);
	assert_int_equal(capfile_write(&cf, path, &err), -1);
	assert_non_null(strstr(err.msg, "missing/x.pcapng"));
	assert_int_equal(rmdir(dir), 0); /* empty: nothing left behind */
}

static void test_notes_matched_to_frames(void **state)
{
	/* frames: an ARP, the SYN, the SYN-ACK, its retransmission 1 s later */
	struct capfile_key keys[4] = {
		{.tcp = false, .from_target = true, .at_us = 5},
		{.tcp = true, .from_target = false, .at_us = 10, .seq = 100, .ack = 0, .flags = 0x002},
		{.tcp = true, .from_target = true, .at_us = 20, .seq = 7, .ack = 101, .flags = 0x012},
		{.tcp = true, .from_target = true, .at_us = 1000020, .seq = 7, .ack = 101, .flags = 0x012},
	};
	/* the engine read the retransmission (the first was lost to a step
	 * that failed before), a SYN the wire never saw from the target side */
	struct capfile_note notes[3] = {
		{.from_target = true, .at_us = 1000019, .seq = 7, .ack = 101, .flags = 0x012, .comments = {"rtx"}},
		{.from_target = true, .at_us = 10, .seq = 100, .flags = 0x002, .comments = {"wrong side"}},
		{.from_target = false, .at_us = 11, .seq = 100, .flags = 0x002, .comments = {"syn"}},
	};
	int note_of[4];

	(void)state;
	capfile_match_notes(keys, 4, notes, 3, note_of);
	assert_int_equal(note_of[0], -1);
	assert_int_equal(note_of[1], 2);
	assert_int_equal(note_of[2], -1);
	assert_int_equal(note_of[3], 0);
	/* two notes of the same segment go to two frames, nearest first */
	notes[1] = notes[0];
	notes[1].at_us = 21;
	capfile_match_notes(keys, 4, notes, 2, note_of);
	assert_int_equal(note_of[2], 1);
	assert_int_equal(note_of[3], 0);
}

static void check_name(const char *path, const char *want)
{
	char out[PATH_MAX];

	if (engine_pcap_name(path, out, sizeof(out)) != 0)
		fail_msg("engine_pcap_name(\"%s\") failed", path);
	if (strcmp(out, want) != 0)
		fail_msg("engine_pcap_name(\"%s\") = \"%s\", want \"%s\"", path, out, want);
}

static void test_file_names(void **state)
{
	char small[8];

	(void)state;
	check_name("cases/close/x.yaml", "close-x");
	check_name("./cases/rst/y.yml", "rst-y");
	check_name("tests/linux-cases/wrong-window.yaml", "tests-linux-cases-wrong-window");
	check_name("/tmp/t/cases/a.yaml", "tmp-t-cases-a");
	check_name("-dir/x y.yaml", "_dir-x_y");
	check_name("../-up/x.yaml", "_up-x");
	check_name(".hidden/x.yaml", "_hidden-x");
	check_name("a\tb\x01\x7f.yaml", "a_b__");
	check_name("caf\xC3\xA9.yaml", "caf\xC3\xA9");
	check_name(".yaml", "_yaml");
	check_name("cases/.yml", "_yml");
	/* never cut short */
	assert_int_equal(engine_pcap_name("cases/longer-than-eight.yaml", small, sizeof(small)), -1);
	assert_int_equal(engine_pcap_name("cases/abc.yaml", small, sizeof(small)), 0);
	assert_string_equal(small, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shb),
		cmocka_unit_test(test_idb),
		cmocka_unit_test(test_epb_padding_and_options),
		cmocka_unit_test(test_comment_utf8),
		cmocka_unit_test(test_long_comment_fits_the_option),
		cmocka_unit_test(test_classic_pcap),
		cmocka_unit_test(test_bad_packet_refused),
		cmocka_unit_test(test_write_whole_or_nothing),
		cmocka_unit_test(test_notes_matched_to_frames),
		cmocka_unit_test(test_file_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
