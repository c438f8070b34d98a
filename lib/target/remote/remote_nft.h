/* The nftables table a remote run owns while it lasts (libnftnl over
 * libmnl): `table inet tcpconform_<pid>` with one output chain that drops
 * exactly what the prober's own kernel would say about the segments we
 * inject from its address, and nothing else:
 *
 *   - TCP resets to ADDR from our source-port range: the target's SYN,ACK
 *     arrives at the prober's kernel, which owns no socket on the port and
 *     answers RST (RFC 9293 3.10.7.1), which would tear down the very
 *     connection the case is building;
 *   - ICMP (ICMPv6) destination unreachable to ADDR quoting a TCP segment
 *     to our port range.
 *
 * The table carries NFT_TABLE_F_OWNER (Linux >= 5.12): the kernel removes
 * it when the netlink socket that made it closes, so it goes with the
 * process on every exit, SIGKILL included. A kernel without the flag
 * refuses it, and then the run refuses to start. */
#ifndef TC_REMOTE_NFT_H
#define TC_REMOTE_NFT_H

#include <stdint.h>

#include "../../err/tc_err.h"
#include "../../seg/seg.h"

struct remote_nft;

/* Makes the table in the calling thread's namespace, checks the kernel
 * kept the owner flag, and holds it until remote_nft_close. The ports
 * are [port_lo, port_hi]. */
struct remote_nft *remote_nft_open(const struct seg_addr *dst, uint16_t port_lo, uint16_t port_hi,
				   struct tc_err *err);
/* "tcpconform_<pid>" */
const char *remote_nft_table(const struct remote_nft *n);
/* Closing the owning socket is what removes the table. */
void remote_nft_close(struct remote_nft *n);

#endif
