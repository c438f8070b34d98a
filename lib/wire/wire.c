/* Injection with libnet on the link layer, capture with libpcap, both on
 * the harness veth and opened from inside the harness namespace. */
#include "wire_int.h"

#include <errno.h>
#include <linux/filter.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define ETH_HLEN 14
#define ETH_TYPE_OFF 12
#define ETHERTYPE_V4 0x0800
#define ETHERTYPE_V6 0x86dd
#define PROTO_TCP 6
#define SNAPLEN 65535
/* An IP packet seg_build can make: both headers at their longest and the
 * largest payload the segment model holds. */
#define IP_MAX (40 + SEG_IPOPT_SPACE + 60 + SEG_MAX_PAYLOAD) /* IPv6 with destination options */

static uint64_t ts_us(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000u + (uint64_t)ts->tv_nsec / 1000u;
}

uint64_t wire_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_us(&ts);
}

/* The realtime reading is bracketed by two monotonic ones and paired with
 * their midpoint. */
int64_t wire_real_minus_mono_us(void)
{
	struct timespec m1, r, m2;

	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	return (int64_t)ts_us(&r) - (int64_t)((ts_us(&m1) + ts_us(&m2)) / 2);
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* libnet's and libpcap's messages may end in a newline; ours are one line. */
static int lib_fail(struct tc_err *err, enum tc_errcode code, const char *what, const char *ifname, const char *msg)
{
	size_t n = strcspn(msg, "\n");

	return tc_err_set(err, code, "%s on %s: %.*s", what, ifname, (int)n, msg);
}

/* ---- open and close ---- */

/* libnet's link socket listens to every protocol; it only ever writes, so
 * a filter that accepts nothing keeps the kernel from queueing each frame
 * of the link onto it. */
static int mute_inject_socket(struct wire *w, struct tc_err *err)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = {.len = 1, .filter = &drop};

	if (setsockopt(libnet_getfd(w->ln), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "filter on the injection socket on %s: %s", w->ifname,
				  strerror(errno));
	return 0;
}

static int open_inject(struct wire *w, struct tc_err *err)
{
	char ebuf[LIBNET_ERRBUF_SIZE] = "";

	w->ln = libnet_init(LIBNET_LINK, w->ifname, ebuf);
	if (!w->ln)
		return lib_fail(err, TC_ERR_SYSTEM, "libnet_init(LIBNET_LINK)", w->ifname, ebuf);
	return mute_inject_socket(w, err);
}

static int set_filter(struct wire *w, const char *bpf, struct tc_err *err)
{
	struct bpf_program prog;
	int rc;

	if (pcap_compile(w->pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0)
		return tc_err_set(err, TC_ERR_USAGE, "capture filter \"%s\": %s", bpf, pcap_geterr(w->pc));
	rc = pcap_setfilter(w->pc, &prog);
	pcap_freecode(&prog);
	if (rc < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "capture filter \"%s\" on %s: %s", bpf, w->ifname,
				  pcap_geterr(w->pc));
	return 0;
}

static int open_capture(struct wire *w, const char *bpf, struct tc_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc;

	w->pc = pcap_create(w->ifname, ebuf);
	if (!w->pc)
		return lib_fail(err, TC_ERR_SYSTEM, "pcap_create", w->ifname, ebuf);
	/* Immediate: every frame is handed over as it arrives, not when a
	 * buffer fills or a timeout expires; the timeout then hardly matters. */
	if (pcap_set_snaplen(w->pc, SNAPLEN) != 0 || pcap_set_promisc(w->pc, 0) != 0 ||
	    pcap_set_immediate_mode(w->pc, 1) != 0 || pcap_set_timeout(w->pc, 1) != 0 ||
	    pcap_set_tstamp_precision(w->pc, PCAP_TSTAMP_PRECISION_MICRO) != 0)
		return lib_fail(err, TC_ERR_SYSTEM, "pcap settings", w->ifname, pcap_geterr(w->pc));
	/* The default on Linux already; asked for so the clock is documented. */
	pcap_set_tstamp_type(w->pc, PCAP_TSTAMP_HOST);
	rc = pcap_activate(w->pc);
	if (rc < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "pcap_activate on %s: %s: %s", w->ifname, pcap_statustostr(rc),
				  pcap_geterr(w->pc));
	if (pcap_datalink(w->pc) != DLT_EN10MB)
		return tc_err_set(err, TC_ERR_SYSTEM, "capture on %s: link type %d, want Ethernet (%d)", w->ifname,
				  pcap_datalink(w->pc), DLT_EN10MB);
	/* Only what arrives from the target: our injected frames leave through
	 * this interface and would otherwise be captured too. */
	if (pcap_setdirection(w->pc, PCAP_D_IN) < 0)
		return lib_fail(err, TC_ERR_SYSTEM, "pcap_setdirection(PCAP_D_IN)", w->ifname, pcap_geterr(w->pc));
	if (bpf && bpf[0] && set_filter(w, bpf, err) < 0)
		return -1;
	if (pcap_setnonblock(w->pc, 1, ebuf) < 0)
		return lib_fail(err, TC_ERR_SYSTEM, "pcap_setnonblock", w->ifname, ebuf);
	w->fd = pcap_get_selectable_fd(w->pc);
	if (w->fd < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "capture on %s has no selectable descriptor", w->ifname);
	return 0;
}

static struct wire *wire_new(const char *ifname, const uint8_t *dst_mac, const uint8_t *src_mac,
			     struct tc_err *err)
{
	struct wire *w = calloc(1, sizeof(*w));

	if (!w) {
		tc_err_set(err, TC_ERR_NOMEM, "wire for %s", ifname);
		return NULL;
	}
	w->fd = -1;
	snprintf(w->ifname, sizeof(w->ifname), "%s", ifname);
	memcpy(w->target_mac, dst_mac, NETNS_MAC_LEN);
	memcpy(w->harness_mac, src_mac, NETNS_MAC_LEN);
	if (wire_history_init(w) < 0) {
		tc_err_set(err, TC_ERR_NOMEM, "wire history for %s", w->ifname);
		free(w);
		return NULL;
	}
	return w;
}

struct wire *wire_open(const struct netns_pair *p, const char *bpf, struct tc_err *err)
{
	struct wire *w = wire_new(p->harness.ifname, p->target.mac, p->harness.mac, err);
	int rc;

	if (!w)
		return NULL;
	/* Both libraries look the interface up by name and open their sockets
	 * in the thread's namespace; the sockets stay there afterwards. */
	if (netns_enter(p->harness.ns_fd, err) < 0) {
		wire_close(w);
		return NULL;
	}
	rc = open_inject(w, err) < 0 || open_capture(w, bpf, err) < 0 ? -1 : 0;
	if (netns_return(p, rc < 0 ? NULL : err) < 0)
		rc = -1;
	if (rc < 0) {
		wire_close(w);
		return NULL;
	}
	return w;
}

struct wire *wire_open_link(const struct wire_link *l, const char *bpf, struct tc_err *err)
{
	struct wire *w = wire_new(l->ifname, l->dst_mac, l->src_mac, err);

	if (w && (open_inject(w, err) < 0 || open_capture(w, bpf, err) < 0)) {
		wire_close(w);
		return NULL;
	}
	return w;
}

static void queue_clear(struct wire *w)
{
	while (w->q_len) {
		free(w->queue[w->q_head].frame);
		w->q_head = (w->q_head + 1) % WIRE_QUEUE_MAX;
		w->q_len--;
	}
}

void wire_close(struct wire *w)
{
	if (!w)
		return;
	if (w->pc)
		pcap_close(w->pc);
	if (w->ln)
		libnet_destroy(w->ln);
	queue_clear(w);
	wire_history_free(w);
	free(w);
}

int wire_fd(const struct wire *w) { return w->fd; }

/* ---- inject ---- */

int wire_inject(struct wire *w, const struct tc_seg *s, struct tc_err *err)
{
	uint8_t frame[ETH_HLEN + IP_MAX];
	uint8_t *ip = frame + ETH_HLEN;
	uint16_t type = s->src.family == 6 ? ETHERTYPE_V6 : ETHERTYPE_V4;
	uint64_t at;
	int n, written;

	n = seg_build(s, ip, IP_MAX, err);
	if (n < 0)
		return -1;
	if (libnet_build_ethernet(w->target_mac, w->harness_mac, type, ip, (uint32_t)n, w->ln, 0) == -1) {
		lib_fail(err, TC_ERR_SYSTEM, "libnet_build_ethernet", w->ifname, libnet_geterror(w->ln));
		libnet_clear_packet(w->ln);
		return -1;
	}
	at = wire_now_us();
	written = libnet_write(w->ln);
	libnet_clear_packet(w->ln);
	if (written != ETH_HLEN + n)
		return lib_fail(err, TC_ERR_SYSTEM, "libnet_write", w->ifname, libnet_geterror(w->ln));
	/* The same bytes libnet wrote: destination, source, type, packet. */
	memcpy(frame, w->target_mac, NETNS_MAC_LEN);
	memcpy(frame + NETNS_MAC_LEN, w->harness_mac, NETNS_MAC_LEN);
	frame[ETH_TYPE_OFF] = (uint8_t)(type >> 8);
	frame[ETH_TYPE_OFF + 1] = (uint8_t)type;
	if (wire_history_add(w, WIRE_OUT, at, frame, (uint32_t)(ETH_HLEN + n), (uint32_t)(ETH_HLEN + n)) < 0)
		return tc_err_set(err, TC_ERR_NOMEM, "recording an injected frame");
	return 0;
}

/* ---- capture ---- */

struct dispatch {
	struct wire *w;
	int64_t offset_us; /* realtime - monotonic */
};

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct dispatch *d = (struct dispatch *)user;
	struct wire *w = d->w;
	int64_t real = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	int64_t mono = real - d->offset_us;
	uint64_t now = wire_now_us();
	struct wire_rec *r;
	uint8_t *copy;

	/* A frame cannot have arrived after it was read: only a wall-clock
	 * step between the two could say so. */
	if (mono < 0)
		mono = 0;
	if ((uint64_t)mono > now)
		mono = (int64_t)now;
	copy = malloc(h->caplen ? h->caplen : 1);
	if (!copy || wire_history_add(w, WIRE_IN, (uint64_t)mono, bytes, h->caplen, h->len) < 0) {
		free(copy);
		w->cb_nomem = true;
		return;
	}
	memcpy(copy, bytes, h->caplen);
	r = &w->queue[(w->q_head + w->q_len) % WIRE_QUEUE_MAX];
	*r = (struct wire_rec){.at_us = (uint64_t)mono, .dir = WIRE_IN, .len = h->caplen, .orig_len = h->len,
			       .frame = copy};
	w->q_len++;
}

/* Moves what pcap holds into the queue; the number of frames, or -1. */
static int fill_queue(struct wire *w, struct tc_err *err)
{
	struct dispatch d = {.w = w};
	int n;

	if (w->q_len == WIRE_QUEUE_MAX)
		return 0;
	/* Sampled per read rather than once at open, so a step of the wall
	 * clock during a long run skews nothing read after it. */
	d.offset_us = wire_real_minus_mono_us();
	n = pcap_dispatch(w->pc, (int)(WIRE_QUEUE_MAX - w->q_len), on_frame, (u_char *)&d);
	if (n < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "capture on %s: %s", w->ifname, pcap_geterr(w->pc));
	if (w->cb_nomem) {
		w->cb_nomem = false;
		return tc_err_set(err, TC_ERR_NOMEM, "keeping a captured frame from %s", w->ifname);
	}
	return n;
}

/* The upper-layer protocol of an IPv6 packet: past the extension headers a
 * TCP segment could follow, as far as the bytes go. */
static int ipv6_upper(const uint8_t *p, size_t len)
{
	uint8_t nh = p[6];
	size_t off = 40;

	for (;;) {
		switch (nh) {
		case 0: /* Hop-by-Hop (RFC 8200 4.3), e.g. on MLD reports */
		case 43: /* Routing */
		case 60: /* Destination Options */
			if (off + 2 > len)
				return -1;
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			break;
		case 44: /* Fragment */
			if (off + 8 > len)
				return -1;
			nh = p[off];
			off += 8;
			break;
		default:
			return nh;
		}
	}
}

/* 1 = a TCP segment, parsed into out; 0 = not one, skip it; -1 = a TCP
 * segment seg_parse refused. */
static int frame_to_seg(const struct wire *w, const struct wire_rec *f, struct tc_seg *out, struct tc_err *err)
{
	const uint8_t *ip = f->frame + ETH_HLEN;
	size_t len;
	int proto;

	if (f->len < ETH_HLEN)
		return 0;
	len = f->len - ETH_HLEN;
	switch (get16(f->frame + ETH_TYPE_OFF)) {
	case ETHERTYPE_V4:
		if (len < 20 || ip[0] >> 4 != 4)
			return 0;
		proto = ip[9];
		break;
	case ETHERTYPE_V6:
		if (len < 40 || ip[0] >> 4 != 6)
			return 0;
		proto = ipv6_upper(ip, len);
		break;
	default:
		return 0;
	}
	if (proto != PROTO_TCP)
		return 0;
	if (seg_parse(ip, len, out, err) < 0) {
		tc_err_prefix(err, "segment captured on %s", w->ifname);
		return -1;
	}
	return 1;
}

static int wait_readable(struct wire *w, uint64_t now, uint64_t deadline_us, struct tc_err *err)
{
	struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
	uint64_t left = deadline_us - now;
	struct timespec ts = {.tv_sec = (time_t)(left / 1000000u), .tv_nsec = (long)(left % 1000000u) * 1000};

	if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
		return tc_err_set(err, TC_ERR_SYSTEM, "poll on the capture of %s: %s", w->ifname, strerror(errno));
	if (pfd.revents & (POLLERR | POLLNVAL))
		return tc_err_set(err, TC_ERR_SYSTEM, "capture of %s: descriptor failed (revents 0x%x)", w->ifname,
				  (unsigned)pfd.revents);
	return 0;
}

int wire_capture(struct wire *w, uint64_t deadline_us, struct tc_seg *out, uint64_t *at_us, struct tc_err *err)
{
	for (;;) {
		uint64_t now;
		int n;

		while (w->q_len) {
			struct wire_rec f = w->queue[w->q_head];
			int rc;

			if (f.at_us > deadline_us)
				return 0;
			w->q_head = (w->q_head + 1) % WIRE_QUEUE_MAX;
			w->q_len--;
			rc = frame_to_seg(w, &f, out, err);
			free(f.frame);
			if (rc != 0) {
				if (rc > 0 && at_us)
					*at_us = f.at_us;
				return rc;
			}
		}
		/* What already arrived counts even when the deadline has passed. */
		n = fill_queue(w, err);
		if (n < 0)
			return -1;
		if (n > 0)
			continue;
		now = wire_now_us();
		if (now >= deadline_us)
			return 0;
		if (wait_readable(w, now, deadline_us, err) < 0)
			return -1;
	}
}

int wire_set_filter(struct wire *w, const char *bpf, struct tc_err *err)
{
	int n;

	if (set_filter(w, bpf, err) < 0)
		return -1;
	/* Frames that passed the old filter are not the new exchange's:
	 * read out whatever the kernel already holds, then forget it all. */
	do {
		queue_clear(w);
		n = fill_queue(w, err);
	} while (n > 0);
	queue_clear(w);
	wire_history_clear(w);
	return n < 0 ? -1 : 0;
}
