#!/bin/sh
# The reference stack as an installed library: `make install-lib` into a
# temporary DESTDIR, then a program written here, compiled with nothing but
# `pkg-config --cflags --libs refstack` (no -I into the repository, no
# libnet), runs a passive open through the installed stack: listen, a SYN
# built by hand as bytes, and the SYN,ACK out of the output callback, checked
# byte by byte. Then `make uninstall-lib` must leave no file behind.
#   tests/refstack-pc.sh [BUILD_DIR]
set -u
build=${1:-build}
make=${MAKE:-make}
cc=${CC:-cc}
# a sanitizer build's archive needs the sanitizer runtime at link time
ldflags=${LDFLAGS:-}
status=0

fail() { echo "refstack-pc: FAIL: $*"; status=1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/refstack-pc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
dest="$tmp/dest"
prefix=/usr/local

if ! $make -s install-lib BUILD="$build" DESTDIR="$dest" PREFIX="$prefix" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "refstack-pc: FAIL: make install-lib"
	exit 1
fi
for f in lib/librefstack.a lib/pkgconfig/refstack.pc include/refstack/refstack.h \
	include/refstack/refstack_codec.h include/refstack/seg_types.h; do
	[ -f "$dest$prefix/$f" ] || fail "install-lib did not install $prefix/$f"
done

export PKG_CONFIG_PATH="$dest$prefix/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
unset PKG_CONFIG_LIBDIR
flags=$(pkg-config --cflags --libs refstack) || fail "pkg-config does not know refstack"
echo "refstack-pc: pkg-config --cflags --libs refstack: $flags"
case "$flags" in
*"$PWD"*) fail "the flags point into the repository: $flags" ;;
esac
case "$flags" in
*net*) fail "the flags name libnet: $flags" ;;
esac
case "$flags" in
*"-I$dest$prefix/include"*"-L$dest$prefix/lib"*"-lrefstack"*) ;;
*) fail "the flags are not -I\$prefix/include -L\$prefix/lib -lrefstack: $flags" ;;
esac

# Every installed header compiles alone.
for h in refstack.h refstack_codec.h seg_types.h; do
	printf '#include <refstack/%s>\nint main(void) { return 0; }\n' "$h" >"$tmp/h.c"
	# shellcheck disable=SC2086
	$cc -std=c11 -Wall -Wextra -Werror -pedantic -c "$tmp/h.c" -o "$tmp/h.o" $flags ||
		fail "installed header refstack/$h does not compile alone"
done

cat >"$tmp/passive_open.c" <<'EOF'
/* A passive open through the installed reference stack: exit 0 when the SYN
 * is answered with a SYN,ACK that acknowledges it. */
#include <refstack/refstack.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define US_PORT 8080
#define PEER_PORT 40000
#define PEER_ISS 0x01020304u
#define STACK_ISS 0x0a0b0c0du

static const uint8_t us[4] = {192, 0, 2, 1}, peer[4] = {192, 0, 2, 2};

struct answer {
	int n;
	uint8_t pkt[256];
	size_t len;
};

static void on_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct answer *a = ctx;

	if (a->n++ == 0 && len <= sizeof(a->pkt)) {
		memcpy(a->pkt, pkt, len);
		a->len = len;
	}
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* RFC 9293 3.1: the TCP checksum over the IPv4 pseudo-header */
static uint16_t tcp_sum(const uint8_t *ip, size_t tcp_len)
{
	uint32_t sum = sum16(0, ip + 12, 8) + 6 + (uint32_t)tcp_len;

	return fold(sum16(sum, ip + 20, tcp_len));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int main(void)
{
	struct answer a = {0};
	struct refstack_config cfg;
	struct refstack_io io = {.ctx = &a, .output = on_output};
	struct refstack *s;
	uint8_t syn[44] = {
		/* IPv4: version 4, IHL 5, total 44, TTL 64, TCP */
		0x45, 0, 0, 44, 0, 0, 0, 0, 64, 6, 0, 0,
		192, 0, 2, 2, 192, 0, 2, 1,
		/* TCP: ports, seq, ack 0, data offset 6, SYN, window 65535 */
		PEER_PORT >> 8, PEER_PORT & 0xff, US_PORT >> 8, US_PORT & 0xff,
		0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0,
		/* MSS 1460 */
		2, 4, 0x05, 0xb4,
	};
	uint16_t c = (uint16_t)~tcp_sum(syn, 24);
	enum refstack_drop d;
	const uint8_t *t;

	syn[36] = (uint8_t)(c >> 8);
	syn[37] = (uint8_t)c;
	c = (uint16_t)~fold(sum16(0, syn, 20));
	syn[10] = (uint8_t)(c >> 8);
	syn[11] = (uint8_t)c;

	refstack_config_default(&cfg);
	cfg.addr.family = 4;
	memcpy(cfg.addr.bytes, us, 4);
	/* the default is RFC 6528's generator; a fixed ISS makes the answer
	 * exact */
	cfg.iss = STACK_ISS;
	cfg.iss_mode = REFSTACK_ISS_FIXED;
	s = refstack_new(&cfg, &io);
	if (!s || refstack_listen(s, US_PORT, 0) != 0) {
		puts("passive_open: no stack or no listener");
		return 1;
	}
	d = refstack_input(s, syn, sizeof(syn), 1000);
	if (d != REFSTACK_ACCEPTED) {
		printf("passive_open: the SYN was dropped: %s\n", refstack_drop_name(d));
		return 1;
	}
	t = a.pkt + 20;
	if (a.n != 1 || a.len < 40 || a.pkt[0] != 0x45 || a.pkt[9] != 6 || memcmp(a.pkt + 12, us, 4) ||
	    memcmp(a.pkt + 16, peer, 4)) {
		printf("passive_open: %d packets out, the first not IPv4 TCP from us to the peer\n", a.n);
		return 1;
	}
	if ((t[0] << 8 | t[1]) != US_PORT || (t[2] << 8 | t[3]) != PEER_PORT || (t[13] & 0x3f) != 0x12 ||
	    get32(t + 4) != STACK_ISS || get32(t + 8) != PEER_ISS + 1 ||
	    fold(sum16(0, a.pkt, 20)) != 0xffff || tcp_sum(a.pkt, a.len - 20) != 0xffff) {
		printf("passive_open: not a SYN,ACK <SEQ=ISS><ACK=IRS+1> with good checksums (flags 0x%02x)\n",
		       t[13]);
		return 1;
	}
	if (refstack_conn_state(refstack_find(s, US_PORT, &(struct seg_addr){4, {192, 0, 2, 2}}, PEER_PORT)) !=
	    REFSTACK_SYN_RECEIVED) {
		puts("passive_open: the connection is not in SYN-RECEIVED");
		return 1;
	}
	refstack_free(s);
	puts("passive_open: SYN answered with SYN,ACK");
	return 0;
}
EOF

# shellcheck disable=SC2086
if $cc -std=c11 -Wall -Wextra -Werror "$tmp/passive_open.c" -o "$tmp/passive_open" $flags $ldflags; then
	"$tmp/passive_open" || fail "the installed stack did not answer the SYN with a SYN,ACK"
else
	fail "the program does not build with pkg-config's flags alone"
fi

# Every object of the archive links with the C library alone.
libs=$(pkg-config --libs-only-L refstack)
# shellcheck disable=SC2086
$cc -std=c11 -c "$tmp/passive_open.c" -o "$tmp/passive_open.o" $(pkg-config --cflags refstack) &&
	$cc $ldflags "$tmp/passive_open.o" $libs -Wl,--whole-archive -lrefstack -Wl,--no-whole-archive \
		-o "$tmp/passive_open_whole" ||
	fail "the whole archive does not link with the C library alone"
undef=$(nm -u "$dest$prefix/lib/librefstack.a" 2>/dev/null | awk 'NF == 2 {print $2}' | sort -u |
	grep -E '^(libnet_|seg_|tc_err|pcap_|yaml_)' || true)
[ -z "$undef" ] || fail "librefstack.a needs symbols from outside libc: $undef"

if ! $make -s uninstall-lib BUILD="$build" DESTDIR="$dest" PREFIX="$prefix" >"$tmp/uninstall.log" 2>&1; then
	cat "$tmp/uninstall.log"
	fail "make uninstall-lib"
fi
left=$(find "$dest" -type f)
[ -z "$left" ] || fail "uninstall-lib left files: $left"
[ ! -d "$dest$prefix/include/refstack" ] || fail "uninstall-lib left $prefix/include/refstack"

[ "$status" -eq 0 ] && echo "refstack-pc: installed librefstack answers a SYN with a SYN,ACK; uninstall leaves nothing"
exit "$status"
