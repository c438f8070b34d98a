/* Offloads through the SIOCETHTOOL ioctl, by feature name: the bit of a
 * name comes from the device's ETH_SS_FEATURES string set, which differs
 * between kernel versions. */
#include "netns_int.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Everything that would let a captured frame differ from one segment as
 * TCP made it: segmentation offloads (a super-segment on the wire of a
 * capture), receive coalescing (several injected segments reach TCP as
 * one), and checksum offload (the capture would see a partial checksum). */
static const char *const offloads[] = {
	"tx-tcp-segmentation",
	"tx-tcp-ecn-segmentation",
	"tx-tcp-mangleid-segmentation",
	"tx-tcp6-segmentation",
	"tx-tcp-accecn-segmentation",
	"tx-generic-segmentation",
	"tx-gso-partial",
	"tx-gso-list",
	"rx-gro",
	"rx-lro",
	"rx-gro-hw",
	"rx-gro-list",
	"rx-udp-gro-forwarding",
	"tx-checksum-ipv4",
	"tx-checksum-ipv6",
	"tx-checksum-ip-generic",
};

struct features {
	int fd; /* any socket in the interface's namespace */
	const char *ifname;
	uint32_t n; /* number of feature bits */
	char *names; /* n * ETH_GSTRING_LEN */
	struct ethtool_gfeatures *g;
};

static int eth_ioctl(const struct features *f, void *cmd, const char *what, struct tc_err *err)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", f->ifname);
	ifr.ifr_data = cmd;
	if (ioctl(f->fd, SIOCETHTOOL, &ifr) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "SIOCETHTOOL %s on %s: %s", what, f->ifname, strerror(errno));
	return 0;
}

static uint32_t blocks(uint32_t n) { return (n + 31) / 32; }

static int read_active(struct features *f, struct tc_err *err)
{
	f->g->cmd = ETHTOOL_GFEATURES;
	f->g->size = blocks(f->n);
	return eth_ioctl(f, f->g, "ETHTOOL_GFEATURES", err);
}

static void features_free(struct features *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->names);
	free(f->g);
	f->fd = -1;
	f->names = NULL;
	f->g = NULL;
}

static int features_load(struct features *f, int ns_fd, const char *ifname, struct tc_err *err)
{
	struct ethtool_sset_info *info = NULL;
	struct ethtool_gstrings *strs = NULL;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	f->ifname = ifname;
	f->fd = netns_socket(ns_fd, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, err);
	if (f->fd < 0)
		return -1;
	info = calloc(1, sizeof(*info) + sizeof(uint32_t));
	if (!info) {
		tc_err_set(err, TC_ERR_NOMEM, "ethtool string set info for %s", ifname);
		goto out;
	}
	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ull << ETH_SS_FEATURES;
	if (eth_ioctl(f, info, "ETHTOOL_GSSET_INFO", err) < 0)
		goto out;
	if (!(info->sset_mask & (1ull << ETH_SS_FEATURES)) || info->data[0] == 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "%s reports no feature names", ifname);
		goto out;
	}
	f->n = info->data[0];
	strs = calloc(1, sizeof(*strs) + (size_t)f->n * ETH_GSTRING_LEN);
	f->g = calloc(1, sizeof(*f->g) + blocks(f->n) * sizeof(f->g->features[0]));
	if (!strs || !f->g) {
		tc_err_set(err, TC_ERR_NOMEM, "ethtool feature names of %s", ifname);
		goto out;
	}
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_FEATURES;
	strs->len = f->n;
	if (eth_ioctl(f, strs, "ETHTOOL_GSTRINGS", err) < 0)
		goto out;
	f->names = malloc((size_t)f->n * ETH_GSTRING_LEN);
	if (!f->names) {
		tc_err_set(err, TC_ERR_NOMEM, "ethtool feature names of %s", ifname);
		goto out;
	}
	memcpy(f->names, strs->data, (size_t)f->n * ETH_GSTRING_LEN);
	rc = read_active(f, err);
out:
	free(info);
	free(strs);
	if (rc < 0)
		features_free(f);
	return rc;
}

static int feature_bit(const struct features *f, const char *name)
{
	for (uint32_t i = 0; i < f->n; i++)
		if (strncmp(f->names + (size_t)i * ETH_GSTRING_LEN, name, ETH_GSTRING_LEN) == 0)
			return (int)i;
	return -1;
}

static bool active(const struct features *f, int bit)
{
	return (f->g->features[bit / 32].active >> (bit % 32)) & 1u;
}

static bool changeable(const struct features *f, int bit)
{
	return (f->g->features[bit / 32].available >> (bit % 32)) & 1u;
}

int netns_feature_get(int ns_fd, const char *ifname, const char *feature, struct tc_err *err)
{
	struct features f;
	int bit, on;

	if (features_load(&f, ns_fd, ifname, err) < 0)
		return -1;
	bit = feature_bit(&f, feature);
	on = bit < 0 ? -1 : active(&f, bit);
	features_free(&f);
	if (on < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "%s has no feature named %s", ifname, feature);
	return on;
}

/* The offloads this device has on, comma-separated into buf; empty when
 * none. */
static void still_on(const struct features *f, char *buf, size_t cap)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(offloads) / sizeof(offloads[0]); i++) {
		int bit = feature_bit(f, offloads[i]);
		int n;

		if (bit < 0 || !active(f, bit))
			continue;
		n = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", offloads[i]);
		if (n < 0 || (size_t)n >= cap - used)
			return;
		used += (size_t)n;
	}
}

int netns_offloads_off(int ns_fd, const char *ifname, struct tc_err *err)
{
	struct ethtool_sfeatures *s;
	struct features f;
	char left[256];
	int rc = -1;

	if (features_load(&f, ns_fd, ifname, err) < 0)
		return -1;
	s = calloc(1, sizeof(*s) + blocks(f.n) * sizeof(s->features[0]));
	if (!s) {
		features_free(&f);
		return tc_err_set(err, TC_ERR_NOMEM, "ethtool features of %s", ifname);
	}
	s->cmd = ETHTOOL_SFEATURES;
	s->size = blocks(f.n);
	for (size_t i = 0; i < sizeof(offloads) / sizeof(offloads[0]); i++) {
		int bit = feature_bit(&f, offloads[i]);

		/* Names this kernel does not know are offloads it cannot do. */
		if (bit >= 0 && changeable(&f, bit))
			s->features[bit / 32].valid |= 1u << (bit % 32);
	}
	/* A positive result (ETHTOOL_F_WISH, ...) says not everything asked for
	 * took; the read-back below tells which. */
	if (eth_ioctl(&f, s, "ETHTOOL_SFEATURES", err) < 0 || read_active(&f, err) < 0)
		goto out;
	still_on(&f, left, sizeof(left));
	if (left[0]) {
		tc_err_set(err, TC_ERR_SYSTEM, "offloads still on on %s after turning them off: %s", ifname, left);
		goto out;
	}
	rc = 0;
out:
	free(s);
	features_free(&f);
	return rc;
}
