/* IPv4 source routes (RFC 791 3.1, Loose and Strict Source and Record
 * Route): the return route a passive open saves from its SYN (RFC 1122
 * 3.3.5, 4.2.3.8; RFC 9293 3.9.2.1, MUST-53). */
#include "refstack_internal.h"

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
