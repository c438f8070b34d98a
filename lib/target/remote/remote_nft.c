/* remote_nft.h: one batch (table, chain, two rules) on a socket kept for
 * the run, then a read-back of the table's flags. */
#include "remote_nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NFT_CHAIN "out"
#define NFT_BUF (64 * 1024)
#define ICMP_DEST_UNREACH_V4 3 /* RFC 792 */
#define ICMP_DEST_UNREACH_V6 1 /* RFC 4443 3.1 */
#define TCP_FLAG_RST 0x04
/* An ICMP error quotes the datagram after its own 8 bytes (RFC 792, RFC
 * 4443); the quoted IP header is taken to be option-free (20 bytes) or
 * without extension headers (40), as the target's segments to us are. */
#define ICMP_QUOTE 8

struct remote_nft {
	struct mnl_socket *nl;
	char table[32];
};

const char *remote_nft_table(const struct remote_nft *n)
{
	return n->table;
}

void remote_nft_close(struct remote_nft *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n);
}

/* ---- expressions ---- */

static int add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -1;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return add(r, e);
}

static int payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
	return add(r, e);
}

static int cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add(r, e);
}

static int cmp_u8(struct nftnl_rule *r, uint8_t v)
{
	return cmp(r, NFT_CMP_EQ, &v, 1);
}

/* Ports are compared as the big-endian bytes they are on the wire. */
static int port_range(struct nftnl_rule *r, uint32_t base, uint32_t off, uint16_t lo, uint16_t hi)
{
	uint16_t from = htons(lo), to = htons(hi);
	struct nftnl_expr *e;

	if (payload(r, base, off, 2) != 0)
		return -1;
	e = nftnl_expr_alloc("range");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &from, sizeof(from));
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &to, sizeof(to));
	}
	return add(r, e);
}

static int rst_bit(struct nftnl_rule *r)
{
	uint8_t mask = TCP_FLAG_RST, zero = 0;
	struct nftnl_expr *e;

	/* TCP flags: byte 13 of the header */
	if (payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1) != 0)
		return -1;
	e = nftnl_expr_alloc("bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 1);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 1);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 1);
	}
	if (add(r, e) != 0)
		return -1;
	return cmp(r, NFT_CMP_NEQ, &zero, 1);
}

static int count_and_drop(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("counter");

	if (add(r, e) != 0)
		return -1;
	e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
	}
	return add(r, e);
}

/* The packet is of dst's family, carries `proto` and goes to dst. */
static int to_dst(struct nftnl_rule *r, const struct seg_addr *dst, uint8_t proto)
{
	uint8_t nfproto = dst->family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	/* the destination address: IPv4 header offset 16, IPv6 offset 24 */
	uint32_t off = dst->family == 6 ? 24 : 16, len = dst->family == 6 ? 16 : 4;

	if (meta(r, NFT_META_NFPROTO) || cmp_u8(r, nfproto) || meta(r, NFT_META_L4PROTO) || cmp_u8(r, proto))
		return -1;
	if (payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, len))
		return -1;
	return cmp(r, NFT_CMP_EQ, dst->bytes, len);
}

static struct nftnl_rule *rule_new(const char *table)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_CHAIN);
	return r;
}

/* tcp, to dst, source port in range, RST set: drop */
static struct nftnl_rule *rule_rst(const char *table, const struct seg_addr *dst, uint16_t lo, uint16_t hi)
{
	struct nftnl_rule *r = rule_new(table);

	if (!r || to_dst(r, dst, IPPROTO_TCP) || port_range(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, lo, hi) ||
	    rst_bit(r) || count_and_drop(r)) {
		if (r)
			nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

/* icmp destination unreachable to dst quoting TCP to our ports: drop */
static struct nftnl_rule *rule_icmp(const char *table, const struct seg_addr *dst, uint16_t lo, uint16_t hi)
{
	bool v6 = dst->family == 6;
	uint32_t inner_proto = ICMP_QUOTE + (v6 ? 6 : 9), inner_dport = ICMP_QUOTE + (v6 ? 40 : 20) + 2;
	struct nftnl_rule *r = rule_new(table);

	if (!r || to_dst(r, dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) ||
	    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1) || cmp_u8(r, v6 ? ICMP_DEST_UNREACH_V6 : ICMP_DEST_UNREACH_V4) ||
	    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, inner_proto, 1) || cmp_u8(r, IPPROTO_TCP) ||
	    port_range(r, NFT_PAYLOAD_TRANSPORT_HEADER, inner_dport, lo, hi) || count_and_drop(r)) {
		if (r)
			nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

/* ---- the batch and its acks ---- */

static int read_acks(struct remote_nft *n, unsigned want, struct tc_err *err)
{
	static _Thread_local uint8_t buf[NFT_BUF];

	while (want > 0) {
		ssize_t got = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		int len = (int)got;

		if (got < 0)
			return tc_err_set(err, TC_ERR_SYSTEM, "nftables: netlink receive: %s", strerror(errno));
		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			want--;
			if (e->error == -EOPNOTSUPP)
				return tc_err_set(err, TC_ERR_SYSTEM,
						  "nftables: the kernel refuses the table owner flag (NFT_TABLE_F_OWNER, Linux >= 5.12): "
						  "without it a killed run could leave its table behind, so the remote target does not start");
			if (e->error)
				return tc_err_set(err, TC_ERR_SYSTEM, "nftables: making table %s: %s", n->table,
						  strerror(-e->error));
		}
	}
	return 0;
}

static char *next_msg(struct mnl_nlmsg_batch *b)
{
	mnl_nlmsg_batch_next(b);
	return mnl_nlmsg_batch_current(b);
}

static int make_table(struct remote_nft *n, const struct seg_addr *dst, uint16_t lo, uint16_t hi,
		      struct tc_err *err)
{
	static _Thread_local uint8_t buf[NFT_BUF];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_rule *rules[2] = {rule_rst(n->table, dst, lo, hi), rule_icmp(n->table, dst, lo, hi)};
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	uint32_t seq = 1;
	struct nlmsghdr *h;
	int rc = -1;

	if (!t || !c || !rules[0] || !rules[1] || !b) {
		tc_err_set(err, TC_ERR_NOMEM, "nftables: out of memory");
		goto out;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, n->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NFT_CHAIN);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_OUT);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);

	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	h = nftnl_table_nlmsg_build_hdr(next_msg(b), NFT_MSG_NEWTABLE, NFPROTO_INET,
					NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, seq++);
	nftnl_table_nlmsg_build_payload(h, t);
	h = nftnl_chain_nlmsg_build_hdr(next_msg(b), NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_chain_nlmsg_build_payload(h, c);
	for (int i = 0; i < 2; i++) {
		h = nftnl_rule_nlmsg_build_hdr(next_msg(b), NFT_MSG_NEWRULE, NFPROTO_INET,
					       NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, seq++);
		nftnl_rule_nlmsg_build_payload(h, rules[i]);
	}
	nftnl_batch_end(next_msg(b), seq++);
	mnl_nlmsg_batch_next(b);
	if (mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "nftables: netlink send: %s", strerror(errno));
		goto out;
	}
	/* one ack per message that asked for one; the first error ends it */
	rc = read_acks(n, 4, err);
out:
	if (b)
		mnl_nlmsg_batch_stop(b);
	for (int i = 0; i < 2; i++)
		if (rules[i])
			nftnl_rule_free(rules[i]);
	if (c)
		nftnl_chain_free(c);
	if (t)
		nftnl_table_free(t);
	return rc;
}

/* A kernel that ignored the flag would leave the table after a SIGKILL:
 * read it back and insist. */
struct owner_ans {
	bool flagged;
};

static int on_table(const struct nlmsghdr *h, void *data)
{
	struct owner_ans *a = data;
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(h, t) == 0 && nftnl_table_is_set(t, NFTNL_TABLE_FLAGS) &&
	    (nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) & NFT_TABLE_F_OWNER) && nftnl_table_is_set(t, NFTNL_TABLE_OWNER))
		a->flagged = true;
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int check_owner(struct remote_nft *n, struct tc_err *err)
{
	static _Thread_local uint8_t buf[NFT_BUF];
	struct nftnl_table *t = nftnl_table_alloc();
	struct owner_ans a = {false};
	struct nlmsghdr *h;
	uint32_t seq = 100;
	ssize_t got;

	if (!t)
		return tc_err_set(err, TC_ERR_NOMEM, "nftables: out of memory");
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->table);
	h = nftnl_table_nlmsg_build_hdr((char *)buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(h, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(n->nl, h, h->nlmsg_len) < 0)
		return tc_err_set(err, TC_ERR_SYSTEM, "nftables: netlink send: %s", strerror(errno));
	for (;;) {
		int rc;

		got = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
		if (got < 0)
			return tc_err_set(err, TC_ERR_SYSTEM, "nftables: reading table %s back: %s", n->table,
					  strerror(errno));
		rc = mnl_cb_run(buf, (size_t)got, seq, mnl_socket_get_portid(n->nl), on_table, &a);
		if (rc < 0)
			return tc_err_set(err, TC_ERR_SYSTEM, "nftables: reading table %s back: %s", n->table,
					  strerror(errno));
		if (rc == MNL_CB_STOP)
			break;
	}
	if (!a.flagged)
		return tc_err_set(err, TC_ERR_SYSTEM,
				  "nftables: table %s came back without the owner flag (Linux >= 5.12 keeps it): the remote target does not start",
				  n->table);
	return 0;
}

struct remote_nft *remote_nft_open(const struct seg_addr *dst, uint16_t port_lo, uint16_t port_hi,
				   struct tc_err *err)
{
	struct remote_nft *n = calloc(1, sizeof(*n));
	struct timeval limit = {.tv_sec = 5};

	if (!n) {
		tc_err_set(err, TC_ERR_NOMEM, "nftables: out of memory");
		return NULL;
	}
	snprintf(n->table, sizeof(n->table), "tcpconform_%d", (int)getpid());
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->nl) {
		tc_err_set(err, TC_ERR_SYSTEM, "nftables: netlink socket: %s", strerror(errno));
		goto fail;
	}
	setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		tc_err_set(err, TC_ERR_SYSTEM, "nftables: netlink bind: %s", strerror(errno));
		goto fail;
	}
	if (make_table(n, dst, port_lo, port_hi, err) != 0 || check_owner(n, err) != 0)
		goto fail;
	return n;
fail:
	remote_nft_close(n);
	return NULL;
}
