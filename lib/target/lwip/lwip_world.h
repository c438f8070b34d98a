/* The one lwIP stack of the process, driven single-threaded in virtual
 * time. lwIP is a library of globals: one set of PCB lists, one timer list,
 * one netif list, and it asks the time of sys_now() with no context. This
 * module holds the little process-wide state that forces on us (the
 * virtual clock, the netif, where sent packets go, who holds the stack) and
 * nothing else; everything per case lives in the target instance.
 *
 * No lwIP type appears here, so callers need not include lwIP's headers. */
#ifndef TC_LWIP_WORLD_H
#define TC_LWIP_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../err/tc_err.h"
#include "../../seg/seg.h"

/* Where the packets the stack sends go: one TCP segment as an IP packet,
 * stamped by the caller with lwip_world_now_us(). Non-TCP packets (IPv6
 * router solicitations, MLD reports the netif makes) never reach it. */
typedef void (*lwip_world_sink)(void *ctx, const uint8_t *pkt, size_t len);

/* The virtual clock starts at 1 s, away from zero so a "time 0" bug cannot
 * hide; it never goes back, from case to case. */
#define LWIP_WORLD_EPOCH_US 1000000ull

/* Takes the stack for one case: initialises lwIP on first use (lwip_init
 * and the netif with target_addr on it, both families), refuses when another
 * instance holds it, and starts the case clean (lwip_world_reset). Sent
 * packets go to sink from now on. */
int lwip_world_acquire(const struct seg_addr *target4, const struct seg_addr *target6,
		       lwip_world_sink sink, void *ctx, struct tc_err *err);
/* Gives it back: every PCB removed without a segment sent. */
void lwip_world_release(void);
bool lwip_world_held(void);

/* Removes every PCB (active, TIME-WAIT, listening, bound) without sending
 * anything and lets the TCP timer stop, so the next case starts from what a
 * fresh lwIP would show. 0, or -1 when a PCB list is still not empty. */
int lwip_world_reset(struct tc_err *err);

uint64_t lwip_world_now_us(void);

/* One IP packet into the netif's input, as a wire would deliver it. */
int lwip_world_input(const uint8_t *pkt, size_t len, struct tc_err *err);

/* Runs lwIP's timers up to until_us, jumping the clock from one timer to
 * the next (sys_timeouts_sleeptime, sys_check_timeouts); the clock ends at
 * until_us. When stop is given, returns as soon as stop(ctx) says so after
 * a batch of timers, with the clock at that batch. */
void lwip_world_advance(uint64_t until_us, bool (*stop)(void *ctx), void *ctx);

/* The clock as lwIP reads it: sys_now() in ms. For the tests, which check
 * that lwIP calls ours. */
uint32_t lwip_world_sys_now_ms(void);

#endif
