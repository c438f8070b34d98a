/* IPv4 source routes (RFC 791 3.1, Loose and Strict Source and Record
 * Route): the return route a passive open saves from its SYN (RFC 1122
 * 3.3.5, 4.2.3.8; RFC 9293 3.9.2.1, MUST-53) and the route the application
 * gives its active opens (MUST-51), which no received route replaces
 * (MUST-52). */
#include "refstack_internal.h"

#include <errno.h>
#include <string.h>

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_LSRR 0x83
#define OPT_SSRR 0x89

bool refstack_route_return(const uint8_t *opts, size_t n, const struct seg_addr *src, uint8_t out[SEG_IPOPT_SPACE],
			   uint8_t *out_len, struct seg_addr *hop)
{
	for (size_t i = 0; i < n;) {
		size_t olen, naddr, k = 0;

		if (opts[i] == OPT_EOL)
			return false;
		if (opts[i] == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 >= n || opts[i + 1] < 3 || i + opts[i + 1] > n)
			return false;
		olen = opts[i + 1];
		if (opts[i] != OPT_LSRR && opts[i] != OPT_SSRR) {
			i += olen;
			continue;
		}
		/* "completed": the pointer past the last address; the list then
		 * holds the route recorded on the way, a1 .. an */
		if ((olen - 3) % 4 || olen < 7 || opts[i + 2] <= olen)
			return false;
		naddr = (olen - 3) / 4;
		/* RFC 1122 3.3.5: the reverse of the recorded route. The first
		 * hop back is an, then a(n-1) .. a1, then the SYN's source as
		 * the final destination; End of Option List after it fills the
		 * header's last word (RFC 791 3.1) */
		out[k++] = opts[i];
		out[k++] = (uint8_t)olen;
		out[k++] = 4; /* the pointer at the first address */
		for (size_t a = naddr - 1; a >= 1; a--) {
			memcpy(out + k, opts + i + 3 + 4 * (a - 1), 4);
			k += 4;
		}
		memcpy(out + k, src->bytes, 4);
		k += 4;
		while (k % 4)
			out[k++] = OPT_EOL;
		*out_len = (uint8_t)k;
		memset(hop, 0, sizeof(*hop));
		hop->family = 4;
		memcpy(hop->bytes, opts + i + 3 + 4 * (naddr - 1), 4);
		return true;
	}
	return false;
}

/* The application's options as IP_OPTIONS takes them on Linux and the
 * BSDs: a source route names its first hop first, where IP sends the
 * datagram, and leaves out the final destination; on the wire the first
 * hop is the IP destination and the option lists the other hops, then the
 * final destination in its last slot (RFC 791 3.1: the pointer at the
 * first address still to visit). */
int refstack_route_app(const uint8_t *opts, size_t n, struct refstack_app_route *out)
{
	struct refstack_app_route r = {.final_at = 0};
	bool have_srr = false;
	size_t i = 0;

	if (n > SEG_IPOPT_SPACE)
		return -EINVAL;
	memcpy(r.bytes, opts, n);
	r.len = (uint8_t)n;
	while (r.len % 4)
		r.bytes[r.len++] = OPT_EOL;
	if (r.len > SEG_IPOPT_SPACE)
		return -EINVAL;
	while (i < r.len && r.bytes[i] != OPT_EOL) {
		size_t olen;

		if (r.bytes[i] == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= r.len || r.bytes[i + 1] < 2 || i + r.bytes[i + 1] > r.len)
			return -EINVAL;
		olen = r.bytes[i + 1];
		/* the stack sends no IP option of its own but a source route */
		if (r.bytes[i] != OPT_LSRR && r.bytes[i] != OPT_SSRR)
			return -EINVAL;
		/* one route, pointing at its first address, with room for at
		 * least the first hop */
		if (have_srr || olen < 7 || (olen - 3) % 4 || r.bytes[i + 2] != 4)
			return -EINVAL;
		have_srr = true;
		r.hop.family = 4;
		memcpy(r.hop.bytes, r.bytes + i + 3, 4);
		memmove(r.bytes + i + 3, r.bytes + i + 7, olen - 7);
		r.final_at = (uint8_t)(i + olen - 4);
		i += olen;
	}
	*out = r;
	return 0;
}

void refstack_route_apply(const struct refstack_app_route *r, struct refstack_conn *c)
{
	c->route_len = 0;
	memset(&c->route_hop, 0, sizeof(c->route_hop));
	/* IPv4 options: an IPv6 connection has none to carry them */
	if (!r->len || c->raddr.family != 4)
		return;
	memcpy(c->route, r->bytes, r->len);
	c->route_len = r->len;
	if (r->hop.family == 4) {
		c->route_hop = r->hop;
		memcpy(c->route + r->final_at, c->raddr.bytes, 4);
	}
}
