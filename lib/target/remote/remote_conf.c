/* The remote run's settings and the address rules (remote_conf.h). */
#include "remote_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void remote_conf_init(struct remote_conf *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->rate = REMOTE_DEFAULT_RATE;
	rc->max_connections = REMOTE_DEFAULT_MAX_CONNECTIONS;
}

static unsigned addr_bits(const struct seg_addr *a)
{
	return a->family == 6 ? 128 : 32;
}

static bool bit_set(const struct seg_addr *a, unsigned i)
{
	return (a->bytes[i / 8] >> (7 - i % 8)) & 1;
}

int remote_cidr_parse(const char *text, struct remote_cidr *out, struct tc_err *err)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);

	if (alen == 0 || alen >= sizeof(buf))
		return tc_err_set(err, TC_ERR_USAGE, "--allow %s: not an address/prefix", text);
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (seg_addr_parse(buf, &out->addr) != 0)
		return tc_err_set(err, TC_ERR_USAGE, "--allow %s: '%s' is not an IPv4 or IPv6 address", text, buf);
	out->len = addr_bits(&out->addr);
	if (slash) {
		char *end;
		long n = strtol(slash + 1, &end, 10);

		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || n < 0 || n > (long)addr_bits(&out->addr))
			return tc_err_set(err, TC_ERR_USAGE, "--allow %s: the prefix length is not 0..%u", text,
					  addr_bits(&out->addr));
		out->len = (unsigned)n;
	}
	for (unsigned i = out->len; i < addr_bits(&out->addr); i++)
		if (bit_set(&out->addr, i))
			return tc_err_set(err, TC_ERR_USAGE,
					  "--allow %s: bits are set past the /%u prefix (did you mean another length?)",
					  text, out->len);
	return 0;
}

bool remote_cidr_contains(const struct remote_cidr *c, const struct seg_addr *a)
{
	if (c->addr.family != a->family)
		return false;
	for (unsigned i = 0; i < c->len; i++)
		if (bit_set(&c->addr, i) != bit_set(a, i))
			return false;
	return true;
}

int remote_target_parse(const char *text, struct seg_addr *addr, uint16_t *port, struct tc_err *err)
{
	char buf[64];
	const char *host = text, *rest;
	size_t hlen;

	if (!text || !text[0])
		return tc_err_set(err, TC_ERR_USAGE, "--target remote:ADDR[:PORT]: the address is missing");
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close)
			return tc_err_set(err, TC_ERR_USAGE, "--target remote:%s: no ']' after the IPv6 address", text);
		host = text + 1;
		hlen = (size_t)(close - host);
		rest = close + 1;
		if (*rest && *rest != ':')
			return tc_err_set(err, TC_ERR_USAGE, "--target remote:%s: expected ':PORT' after ']'", text);
	} else {
		const char *colon = strchr(text, ':');

		if (colon && strchr(colon + 1, ':'))
			return tc_err_set(err, TC_ERR_USAGE,
					  "--target remote:%s: an IPv6 address goes in brackets: remote:[2001:db8::5]:8080",
					  text);
		hlen = colon ? (size_t)(colon - text) : strlen(text);
		rest = text + hlen;
	}
	if (hlen == 0 || hlen >= sizeof(buf))
		return tc_err_set(err, TC_ERR_USAGE, "--target remote:%s: the address is missing or too long", text);
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (seg_addr_parse(buf, addr) != 0 || (text[0] == '[' && addr->family != 6))
		return tc_err_set(err, TC_ERR_USAGE, "--target remote:%s: '%s' is not an IP%s address", text, buf,
				  text[0] == '[' ? "v6" : "v4 or IPv6");
	*port = REMOTE_DEFAULT_PORT;
	if (*rest == ':') {
		char *end;
		long n = strtol(rest + 1, &end, 10);

		if (rest[1] < '0' || rest[1] > '9' || *end != '\0' || n < 1 || n > 65535)
			return tc_err_set(err, TC_ERR_USAGE, "--target remote:%s: the port is not 1..65535", text);
		*port = (uint16_t)n;
	}
	return 0;
}

/* RFC 6890 special-purpose blocks a test run must never aim at. */
const char *remote_addr_forbidden(const struct seg_addr *a)
{
	const uint8_t *b = a->bytes;
	static const uint8_t zero[16];

	if (a->family == 4) {
		if (b[0] == 0)
			return "unspecified (0.0.0.0/8, RFC 1122 3.2.1.3)";
		if (b[0] == 127)
			return "loopback (127.0.0.0/8): the prober itself, not a remote host";
		if (b[0] >= 224 && b[0] <= 239)
			return "multicast (224.0.0.0/4)";
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return "the limited broadcast address (255.255.255.255)";
		if (b[0] >= 240)
			return "reserved (240.0.0.0/4)";
		if (b[0] == 169 && b[1] == 254)
			return "link-local (169.254.0.0/16)";
		return NULL;
	}
	if (memcmp(b, zero, 16) == 0)
		return "unspecified (::)";
	if (memcmp(b, zero, 15) == 0 && b[15] == 1)
		return "loopback (::1): the prober itself, not a remote host";
	if (b[0] == 0xff)
		return "multicast (ff00::/8)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "link-local (fe80::/10): needs a zone, which remote:ADDR cannot name";
	if (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff)
		return "IPv4-mapped (::ffff:0:0/96): name the IPv4 address itself";
	return NULL;
}

int remote_dest_check(const struct remote_conf *rc, const struct seg_addr *a, struct tc_err *err)
{
	char s[64];
	const char *why = remote_addr_forbidden(a);

	seg_addr_format(a, s, sizeof(s));
	if (why)
		return tc_err_set(err, TC_ERR_USAGE, "remote target %s refused: %s; nothing was sent", s, why);
	if (rc->nallow == 0)
		return tc_err_set(err, TC_ERR_USAGE,
				  "remote target %s: --allow CIDR is required (the prefixes a run may send to); nothing was sent",
				  s);
	for (int i = 0; i < rc->nallow; i++)
		if (remote_cidr_contains(&rc->allow[i], a))
			return 0;
	return tc_err_set(err, TC_ERR_USAGE, "remote target %s is outside every --allow prefix; nothing was sent", s);
}
