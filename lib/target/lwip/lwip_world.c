/* The process's lwIP stack: see lwip_world.h.
 *
 * Debian's liblwip (2.1.3) is built with NO_SYS=0, for a tcpip thread. We
 * start no thread: lwip_init, then every call into lwIP (input, timers, the
 * raw API) from the one thread that runs the case. That is sound because
 * the core-locking check Debian's port compiles in
 * (LWIP_ASSERT_CORE_LOCKED -> sys_check_core_locking) only checks threads
 * once a tcpip thread has marked itself, which never happens here; and
 * because the target's max_jobs is 1, so only one thread at a time ever
 * holds the stack (lwip_world_acquire refuses a second holder).
 *
 * The netif is not Ethernet: its output and output_ip6 hooks receive the
 * IP packets, so no ARP or neighbour discovery has to be answered, and the
 * harness's segments (IP packets from lib/seg) go straight to its input
 * (ip_input). */
#include "lwip_world.h"

#include <string.h>

#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#include "lwip_pcb.h"

#define WORLD_MTU 1500
#define WORLD_PKT_MAX (WORLD_MTU + 64)

/* The state lwIP forces to file scope. lwIP calls sys_now() with no
 * argument, so the virtual clock must be reachable without a context; its
 * netif must outlive every case (lwIP keeps pointers to it in its PCBs and
 * cannot be initialised twice: lwip_init again would register every cyclic
 * timer a second time); and its output hooks get only the netif, so the
 * sink of the instance that holds the stack sits here too. Used from one
 * thread at a time: the target's max_jobs is 1 and `held` refuses a second
 * holder. */
static struct {
	bool initialised;
	bool held;
	uint64_t now_us;
	struct netif netif;
	lwip_world_sink sink;
	void *sink_ctx;
} world = {.now_us = LWIP_WORLD_EPOCH_US};

/* lwIP's clock, interposed: liblwip.so defines sys_now (its port reads
 * CLOCK_MONOTONIC) and calls it through its PLT, so the definition in the
 * executable wins for every call lwIP makes (tests/target/test_target_lwip.c
 * shows a timer firing at the virtual time set here). */
u32_t sys_now(void)
{
	return (u32_t)(world.now_us / 1000u);
}

uint32_t lwip_world_sys_now_ms(void)
{
	return sys_now();
}

uint64_t lwip_world_now_us(void)
{
	return world.now_us;
}

bool lwip_world_held(void)
{
	return world.held;
}

/* Only TCP goes to the sink: the netif also sends IPv6 router
 * solicitations and MLD reports (LWIP_IPV6_SEND_ROUTER_SOLICIT, MLD in
 * Debian's build), which are no segment of the case. lwIP's TCP adds no
 * IPv6 extension headers, so the next header is the transport. */
static bool is_tcp(const uint8_t *pkt, size_t len)
{
	if (len >= 20 && pkt[0] >> 4 == 4)
		return pkt[9] == 6;
	if (len >= 40 && pkt[0] >> 4 == 6)
		return pkt[6] == 6;
	return false;
}

static err_t world_deliver(struct pbuf *p)
{
	uint8_t pkt[WORLD_PKT_MAX];
	u16_t len;

	if (p->tot_len > sizeof(pkt))
		return ERR_BUF;
	len = pbuf_copy_partial(p, pkt, p->tot_len, 0);
	if (world.sink && is_tcp(pkt, len))
		world.sink(world.sink_ctx, pkt, len);
	return ERR_OK;
}

static err_t world_output4(struct netif *nif, struct pbuf *p, const ip4_addr_t *dst)
{
	(void)nif;
	(void)dst;
	return world_deliver(p);
}

static err_t world_output6(struct netif *nif, struct pbuf *p, const ip6_addr_t *dst)
{
	(void)nif;
	(void)dst;
	return world_deliver(p);
}

static err_t world_netif_init(struct netif *nif)
{
	nif->name[0] = 't';
	nif->name[1] = 'c';
	nif->mtu = WORLD_MTU;
	nif->output = world_output4;
	nif->output_ip6 = world_output6;
	/* No NETIF_FLAG_ETHARP or NETIF_FLAG_ETHERNET: a link without a link
	 * layer, so lwIP sends IP packets to the hooks above. */
	nif->flags = 0;
	return ERR_OK;
}

static int world_init(const struct seg_addr *a4, const struct seg_addr *a6, struct tc_err *err)
{
	ip_addr_t addr, mask, gw;
	s8_t idx;

	lwip_init();
	lwip_addr_from_seg(&addr, a4);
	IP_ADDR4(&mask, 255, 255, 255, 0);
	IP_ADDR4(&gw, 0, 0, 0, 0);
	if (!netif_add(&world.netif, ip_2_ip4(&addr), ip_2_ip4(&mask), ip_2_ip4(&gw), NULL,
		       world_netif_init, ip_input))
		return tc_err_set(err, TC_ERR_TARGET, "lwip target: netif_add failed");
	lwip_addr_from_seg(&addr, a6);
	if (netif_add_ip6_address(&world.netif, ip_2_ip6(&addr), &idx) != ERR_OK)
		return tc_err_set(err, TC_ERR_TARGET, "lwip target: netif_add_ip6_address failed");
	/* Preferred at once: duplicate address detection (RFC 4862 5.4) would
	 * keep the address tentative, and a tentative address takes no
	 * packets; no other node shares this link. */
	netif_ip6_addr_set_state(&world.netif, idx, IP6_ADDR_PREFERRED);
	netif_set_default(&world.netif);
	netif_set_link_up(&world.netif);
	netif_set_up(&world.netif);
	world.initialised = true;
	return 0;
}

/* lwIP's TCP timer (tcp_tmr, every TCP_TMR_INTERVAL ms) runs tcp_fasttmr on
 * every tick and tcp_slowtmr on every other one, by the parity of a counter
 * private to tcp.c that only grows. Calls of tcp_tmr with no PCB change
 * nothing but that parity and tcp_ticks, and tcp_ticks shows which kind of
 * tick ran: call it until a tick without tcp_slowtmr, so the first tick of
 * the next case runs tcp_slowtmr, as the first tick of a fresh lwIP does. */
static void world_align_tcp_ticks(void)
{
	for (int i = 0; i < 2; i++) {
		u32_t before = tcp_ticks;

		tcp_tmr();
		if (tcp_ticks == before)
			return;
	}
}

int lwip_world_reset(struct tc_err *err)
{
	lwip_world_sink sink = world.sink;

	/* Nothing removed here may reach a case: no RST is sent (reset 0) and
	 * the sink is off meanwhile. */
	world.sink = NULL;
	lwip_pcb_remove_all();
	/* With no PCB left, the pending TCP timer fires once more and stops
	 * (it re-arms only while tcp_active_pcbs or tcp_tw_pcbs hold one);
	 * the next PCB then starts it afresh, TCP_TMR_INTERVAL after itself,
	 * as in a fresh lwIP. */
	lwip_world_advance(world.now_us + 2u * TCP_TMR_INTERVAL * 1000u, NULL, NULL);
	world_align_tcp_ticks();
	world.sink = sink;
	if (!lwip_pcb_all_empty())
		return tc_err_set(err, TC_ERR_TARGET, "lwip target: PCBs remain after the reset");
	return 0;
}

int lwip_world_acquire(const struct seg_addr *target4, const struct seg_addr *target6,
		       lwip_world_sink sink, void *ctx, struct tc_err *err)
{
	if (world.held)
		return tc_err_set(err, TC_ERR_TARGET,
				  "lwip target: the process's one lwIP stack is held by another case "
				  "(lwIP is a library of globals: one case at a time)");
	if (!world.initialised && world_init(target4, target6, err) != 0)
		return -1;
	world.held = true;
	world.sink = NULL;
	if (lwip_world_reset(err) != 0) {
		world.held = false;
		return -1;
	}
	world.sink = sink;
	world.sink_ctx = ctx;
	return 0;
}

void lwip_world_release(void)
{
	world.sink = NULL;
	world.sink_ctx = NULL;
	lwip_pcb_remove_all();
	world.held = false;
}

int lwip_world_input(const uint8_t *pkt, size_t len, struct tc_err *err)
{
	struct pbuf *p;

	if (len > 0xffff)
		return tc_err_set(err, TC_ERR_TARGET, "lwip target: a %zu-byte packet is too long", len);
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (!p)
		return tc_err_set(err, TC_ERR_NOMEM, "lwip target: pbuf_alloc failed");
	if (pbuf_take(p, pkt, (u16_t)len) != ERR_OK) {
		pbuf_free(p);
		return tc_err_set(err, TC_ERR_TARGET, "lwip target: pbuf_take failed");
	}
	/* netif->input owns the pbuf unless it returns an error. What lwIP
	 * does with the packet (drops included) is judged by what it sends. */
	if (world.netif.input(p, &world.netif) != ERR_OK)
		pbuf_free(p);
	return 0;
}

void lwip_world_advance(uint64_t until_us, bool (*stop)(void *ctx), void *ctx)
{
	for (;;) {
		if (stop && stop(ctx))
			return;
		u32_t sleep_ms = sys_timeouts_sleeptime();
		if (sleep_ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
			break;
		/* lwIP counts whole milliseconds of sys_now() */
		uint64_t next_us = (world.now_us / 1000u + sleep_ms) * 1000u;
		if (next_us > until_us)
			break;
		if (next_us > world.now_us)
			world.now_us = next_us;
		sys_check_timeouts();
	}
	if (until_us > world.now_us)
		world.now_us = until_us;
}
