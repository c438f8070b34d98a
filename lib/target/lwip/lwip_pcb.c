/* lwIP's PCB lists read and emptied: see lwip_pcb.h. */
#include "lwip_pcb.h"

#include <string.h>

#include "lwip/priv/tcp_priv.h"

void lwip_addr_from_seg(ip_addr_t *out, const struct seg_addr *a)
{
	memset(out, 0, sizeof(*out));
	if (a->family == 6) {
		IP_SET_TYPE_VAL(*out, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(out)->addr, a->bytes, 16);
		/* a global address (2001:db8::/32) has no zone */
		ip6_addr_clear_zone(ip_2_ip6(out));
	} else {
		IP_SET_TYPE_VAL(*out, IPADDR_TYPE_V4);
		memcpy(&ip_2_ip4(out)->addr, a->bytes, 4);
	}
}

enum tc_state lwip_state_to_tc(enum tcp_state st)
{
	switch (st) {
	case CLOSED: return TC_CLOSED;
	case LISTEN: return TC_LISTEN;
	case SYN_SENT: return TC_SYN_SENT;
	case SYN_RCVD: return TC_SYN_RECEIVED;
	case ESTABLISHED: return TC_ESTABLISHED;
	case FIN_WAIT_1: return TC_FIN_WAIT_1;
	case FIN_WAIT_2: return TC_FIN_WAIT_2;
	case CLOSE_WAIT: return TC_CLOSE_WAIT;
	case CLOSING: return TC_CLOSING;
	case LAST_ACK: return TC_LAST_ACK;
	case TIME_WAIT: return TC_TIME_WAIT;
	}
	return TC_CLOSED;
}

static struct tcp_pcb *find_in(struct tcp_pcb *list, uint16_t port, const ip_addr_t *peer,
			       uint16_t peer_port)
{
	for (struct tcp_pcb *p = list; p; p = p->next)
		if (p->local_port == port && p->remote_port == peer_port &&
		    ip_addr_cmp(&p->remote_ip, peer))
			return p;
	return NULL;
}

struct tcp_pcb *lwip_pcb_find(uint16_t port, const struct seg_addr *peer, uint16_t peer_port)
{
	ip_addr_t a;
	struct tcp_pcb *p;

	lwip_addr_from_seg(&a, peer);
	p = find_in(tcp_active_pcbs, port, &a, peer_port);
	return p ? p : find_in(tcp_tw_pcbs, port, &a, peer_port);
}

static bool in_list(const struct tcp_pcb *list, const struct tcp_pcb *pcb)
{
	for (const struct tcp_pcb *p = list; p; p = p->next)
		if (p == pcb)
			return true;
	return false;
}

bool lwip_pcb_alive(const struct tcp_pcb *pcb, const void *arg)
{
	return (in_list(tcp_active_pcbs, pcb) || in_list(tcp_tw_pcbs, pcb) ||
		in_list(tcp_bound_pcbs, pcb)) &&
	       pcb->callback_arg == arg;
}

bool lwip_pcb_listening(uint16_t port)
{
	for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
		if (l->local_port == port)
			return true;
	return false;
}

enum tc_state lwip_pcb_case_state(uint16_t port, const struct seg_addr *peer, uint16_t peer_port)
{
	struct tcp_pcb *p = lwip_pcb_find(port, peer, peer_port);

	if (p)
		return lwip_state_to_tc(p->state);
	return lwip_pcb_listening(port) ? TC_LISTEN : TC_CLOSED;
}

static void detach(struct tcp_pcb *list)
{
	for (struct tcp_pcb *p = list; p; p = p->next) {
		tcp_arg(p, NULL);
		tcp_recv(p, NULL);
		tcp_sent(p, NULL);
		tcp_err(p, NULL);
		tcp_poll(p, NULL, 0);
	}
}

void lwip_pcb_remove_all(void)
{
	detach(tcp_active_pcbs);
	detach(tcp_tw_pcbs);
	detach(tcp_bound_pcbs);
	for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next) {
		tcp_arg((struct tcp_pcb *)l, NULL);
		tcp_accept((struct tcp_pcb *)l, NULL);
	}
	/* tcp_abandon with reset 0 unlinks a PCB from whichever of the active,
	 * TIME-WAIT and bound lists holds it and frees it, sending nothing. */
	while (tcp_active_pcbs)
		tcp_abandon(tcp_active_pcbs, 0);
	while (tcp_tw_pcbs)
		tcp_abandon(tcp_tw_pcbs, 0);
	while (tcp_bound_pcbs)
		tcp_abandon(tcp_bound_pcbs, 0);
	/* a listener goes with tcp_close (it has no connection to reset) */
	while (tcp_listen_pcbs.listen_pcbs)
		if (tcp_close((struct tcp_pcb *)tcp_listen_pcbs.listen_pcbs) != ERR_OK)
			break;
}

bool lwip_pcb_all_empty(void)
{
	return !tcp_active_pcbs && !tcp_tw_pcbs && !tcp_bound_pcbs && !tcp_listen_pcbs.listen_pcbs;
}
