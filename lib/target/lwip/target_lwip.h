#ifndef TARGET_LWIP_H
#define TARGET_LWIP_H

#include "../target.h"

/* Debian's lwIP (liblwip-dev), in process, single-threaded, in virtual
 * time. Only in a build with TC_HAVE_LWIP. */
extern const struct tc_target_ops target_lwip_ops;

/* lwIP's timing values as Debian built it (2.1.3: tcp_priv.h, tcp.c). */
#define LWIP_PROFILE_MSL_US (60u * 1000000u) /* TCP_MSL 60000 ms: TIME-WAIT 2*MSL */
#define LWIP_PROFILE_RTO_US (3u * 1000000u) /* tcp_alloc: rto = 3000 / TCP_SLOW_INTERVAL */
#define LWIP_PROFILE_TICK_US 500000u /* TCP_SLOW_INTERVAL: every RTO is whole ticks */
#define LWIP_PROFILE_DELACK_US 250000u /* TCP_FAST_INTERVAL: a delayed ACK waits for tcp_fasttmr */

#endif
