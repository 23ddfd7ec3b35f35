/*
 * lwIP's Ethernet driver in the TCPIP compartment.  TCPIP has no device:
 * frames arrive from the Firewall in batches (tcpip_frame_receive) and
 * leave in batches, one call to firewall_frame_send per turn of the loop.
 * Addresses come from the image, or from DHCP and SLAAC.
 */
#include "netif.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "../../bench/hop_trace.h"
#include "boot.h"
#include "frames.h"
#include "log.h"
#include "stack.h"
#include "sys_arch.h"
#include "tcp.h"
#include "tcpip.h"
#include "tso.h"

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
/* tcp_txnow: lwIP's retry of output refused for want of room. */
#include "lwip/priv/tcp_priv.h"
#include "netif/ethernet.h"

static struct netif netif;
/* The device's offloads are on (schema Boot): frames up to 64 KiB either
 * way, TCP checksums left to the device, and checks of those it vouched
 * for skipped. */
static bool offloads;
/* lwIP's checksum work on frames the device did not vouch for. */
static u16_t checksum_flags;
static struct {
	uint64_t frames_in, frames_in_dropped, frames_out, frames_out_dropped;
	uint64_t cookies_refused;
} stats;

/* ---- frames ---- */

/* Frames lwIP sends during a turn of the loop, sent at its end.  While
 * the Firewall's ring has no room for them they are kept, and lwIP's
 * further frames are refused (link_output): its TCP keeps those segments
 * to send again, where a frame lost on the way would wait for a
 * retransmission. */
static struct sn_frames outgoing;
/* lwIP's TCP keeps a segment refused so as unsent, and sends it again
 * only at its next output on that connection, which may never come: a
 * request that waits for its answer sends nothing more.  Once the batch
 * has gone, tcp_txnow sends them. */
static bool output_refused;

static int
send_batch(void)
{
	unsigned n = outgoing.count;
	int rc =
	    sn_frames_send(&outgoing, firewall, SN_EXPORT_FIREWALL_FRAME_SEND);

	if (rc == -EAGAIN)
		return rc;
	if (n > 0)
		SEALNET_HOP("tcpip.firewall.frames", n);
	if (rc < 0) {
		/* The Firewall is restarting: TCP retransmits. */
		if (sn_log_worth(stats.frames_out_dropped += n))
			sn_log("the Firewall is gone: %llu frames not sent",
			       (unsigned long long)stats.frames_out_dropped);
	} else
		stats.frames_out += n;
	return rc;
}

void
tcpip_netif_flush(void)
{
	if (send_batch() == -EAGAIN || !output_refused)
		return;
	output_refused = false;
	tcp_txnow();
	/* What that made, at once if the Firewall has room for it, or at
	 * the end of a later turn. */
	(void)send_batch();
}

/* A TCP segment that continues the last frame of the batch is appended
 * to it (tso.h): its payload copied once, straight from lwIP's pbuf. */
static bool
join_segment(struct pbuf *p)
{
	uint8_t hdr[TSO_MAX_HEADERS];
	struct tso_segment last, next;
	struct sn_frame_info *info;
	size_t last_len;
	uint8_t *at, *frame = sn_frames_last(&outgoing, &last_len, &info);
	u16_t have = pbuf_copy_partial(
	    p, hdr, p->tot_len < sizeof(hdr) ? p->tot_len : sizeof(hdr), 0);

	if (frame == NULL || tso_read(&next, hdr, have, p->tot_len) < 0 ||
	    tso_read(&last, frame, last_len, last_len) < 0 ||
	    !tso_continues(frame, &last, info->segment_size, hdr, &next,
			   SN_MAX_SUPER_FRAME) ||
	    (at = sn_frames_extend_last(&outgoing, next.payload)) == NULL)
		return false;
	/* The payload fits where it goes: the copy is never short. */
	pbuf_copy_partial(p, at, (u16_t)next.payload, (u16_t)next.headers);
	tso_joined(frame, &last, &info->segment_size, hdr, &next);
	return true;
}

static err_t
link_output(struct netif *nif, struct pbuf *p)
{
	struct tso_segment seg;
	uint8_t *slot;

	if (offloads && join_segment(p))
		return ERR_OK;
	/* Any pbuf fits an empty batch: its length is 16 bits. */
	_Static_assert(SN_FRAMES_MAX_FRAME >= 0xffff, "a pbuf fits a batch");
	slot = sn_frames_reserve(&outgoing, p->tot_len);
	if (slot == NULL) {
		(void)send_batch();
		slot = sn_frames_reserve(&outgoing, p->tot_len);
	}
	if (slot == NULL) {
		output_refused = true;
		return ERR_BUF;
	}
	/* The whole chain fits the slot: the copy is never short. */
	pbuf_copy_partial(p, slot, p->tot_len, 0);
	/* lwIP made no TCP checksum: the device completes it. */
	if (offloads && tso_read(&seg, slot, p->tot_len, p->tot_len) == 0)
		tso_leave_checksum(slot, &seg);
	return ERR_OK;
}

/* A cookie's ISN is taken only from the Firewall, only with a whole SYN
 * (no ACK, no RST), and only for that SYN's connection; a frame that
 * carries one otherwise is dropped. */
static bool
take_cookie_isn(bool from_firewall, const uint8_t *data, uint32_t len,
		uint32_t isn)
{
	struct tcpseg syn;

	if (!from_firewall || tcpseg_read(&syn, data, len) < 0 ||
	    (syn.flags & (TCPSEG_SYN | TCPSEG_ACK | TCPSEG_RST)) !=
		TCPSEG_SYN) {
		if (sn_log_worth(++stats.cookies_refused))
			sn_log("refused %llu frames with a SYN cookie",
			       (unsigned long long)stats.cookies_refused);
		return false;
	}
	sealnet_isn_expect_cookie(&syn, isn);
	return true;
}

static void
receive_one(void *ctx, const uint8_t *data, uint32_t len,
	    const struct sn_frame_info *info)
{
	const bool *from_firewall = ctx;
	struct pbuf *p;

	/* Frames come from the Firewall only (the image says so); even so,
	 * a frame is bounded and copied before lwIP sees it. */
	if (len < SIZEOF_ETH_HDR ||
	    len > (offloads ? SN_MAX_SUPER_FRAME : SN_MAX_FRAME)) {
		stats.frames_in_dropped++;
		return;
	}
	/* A super-frame in one piece rather than a chain of forty. */
	p = pbuf_alloc(PBUF_RAW, (u16_t)len,
		       len <= PBUF_POOL_BUFSIZE ? PBUF_POOL : PBUF_RAM);
	if (p == NULL) {
		stats.frames_in_dropped++;
		return;
	}
	if ((info->has_syn_cookie &&
	     !take_cookie_isn(*from_firewall, data, len, info->syn_cookie)) ||
	    pbuf_take(p, data, (u16_t)len) != ERR_OK) {
		pbuf_free(p);
		stats.frames_in_dropped++;
		return;
	}
	stats.frames_in++;
	SEALNET_HOP("tcpip.frame.in", len);
	/* lwIP handles the frame within input: its checks follow what
	 * the device, through the Firewall, said of this one. */
	if (offloads && *from_firewall && info->checksum_trusted)
		NETIF_SET_CHECKSUM_CTRL(
		    &netif, checksum_flags & ~(NETIF_CHECKSUM_CHECK_TCP |
					       NETIF_CHECKSUM_CHECK_UDP));
	if (netif.input(p, &netif) != ERR_OK)
		pbuf_free(p);
	NETIF_SET_CHECKSUM_CTRL(&netif, checksum_flags);
	/* Used by the SYN's connection, or by none. */
	sealnet_isn_forget_cookie();
}

void
serve_frame_receive(void *ctx, struct sn_incoming *in)
{
	bool from_firewall = in->peer == firewall;

	/* The count is of no use here: receive_one took or counted each. */
	(void)sn_frames_each(sn_message_body_as_frames(in->request),
			     receive_one, &from_firewall);
	tcp_deliver_due();
	/* A notice: one-way, so nothing answers it. */
}

/* ---- addresses ---- */

static ip_addr_t image_dns;
static bool have_image_dns;

static void
configure_dns(const struct sn_network_config *c)
{
	if (c->dns_family == SN_ADDRESS_FAMILY_IPV4) {
		uint32_t v;

		memcpy(&v, c->dns, 4);
		ip_addr_set_ip4_u32_val(image_dns, v);
		have_image_dns = true;
	} else if (c->dns_family == SN_ADDRESS_FAMILY_IPV6) {
		IP_SET_TYPE_VAL(image_dns, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(&image_dns)->addr, c->dns, 16);
		have_image_dns = true;
	}
}

/* Static addresses from the image; DHCP for whatever it leaves out.  A
 * DHCP client that cannot start (lwIP's heap is full) is logged, and
 * the stack goes on with SLAAC alone. */
static void
configure(void)
{
	struct sn_network_config c;
	ip4_addr_t ip, mask, gw;
	uint32_t v;
	err_t err;

	sn_compartment_network_config(&c);
	configure_dns(&c);
	if (!c.static_ipv4) {
		err = dhcp_start(&netif);
		if (err != ERR_OK)
			sn_log("cannot start DHCP (lwIP error %d): no IPv4 "
			       "address",
			       err);
		return;
	}
	memcpy(&v, c.ipv4, 4);
	ip4_addr_set_u32(&ip, v);
	memcpy(&v, c.gateway, 4);
	ip4_addr_set_u32(&gw, v);
	ip4_addr_set_u32(&mask,
			 c.prefix_length == 0
			     ? 0
			     : lwip_htonl(~0u << (32 - c.prefix_length)));
	netif_set_addr(&netif, &ip, &mask, &gw);
}

/* lwIP calls this for IPv6 addresses' changes too: the IPv4 address is
 * said once, and again only when it changes. */
static void
status_changed(struct netif *nif)
{
	static ip4_addr_t said_ip, said_gw;
	char a[IP4ADDR_STRLEN_MAX], g[IP4ADDR_STRLEN_MAX];

	if (ip4_addr_isany_val(*netif_ip4_addr(nif)) ||
	    (ip4_addr_cmp(netif_ip4_addr(nif), &said_ip) &&
	     ip4_addr_cmp(netif_ip4_gw(nif), &said_gw)))
		return;
	ip4_addr_copy(said_ip, *netif_ip4_addr(nif));
	ip4_addr_copy(said_gw, *netif_ip4_gw(nif));
	ip4addr_ntoa_r(netif_ip4_addr(nif), a, sizeof(a));
	ip4addr_ntoa_r(netif_ip4_gw(nif), g, sizeof(g));
	sn_log(
	    "address %s/%d, gateway %s%s", a,
	    32 - __builtin_popcount(~ip4_addr_get_u32(netif_ip4_netmask(nif))),
	    g, dhcp_supplied_address(nif) ? ", by DHCP" : ", from the image");
}

static err_t
netif_setup(struct netif *nif)
{
	nif->name[0] = 's';
	nif->name[1] = 'n';
	nif->mtu = 1500;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		     NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = link_output;
	return ERR_OK;
}

int
tcpip_netif_start(void)
{
	ip4_addr_t any = {0};

	if (netif_add(&netif, &any, &any, &any, NULL, netif_setup,
		      ethernet_input) == NULL)
		return -1;
	/* The supervisor's address keeps the DHCP lease across restarts;
	 * without one, a random locally administered address. */
	if (!sn_compartment_hardware_address(netif.hwaddr)) {
		if (getrandom(netif.hwaddr, ETH_HWADDR_LEN, 0) !=
		    ETH_HWADDR_LEN)
			return -1;
		netif.hwaddr[0] = (uint8_t)((netif.hwaddr[0] & 0xfe) | 0x02);
	}
	offloads = sn_compartment_device_offloads();
	checksum_flags =
	    offloads ? NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP
		     : NETIF_CHECKSUM_ENABLE_ALL;
	NETIF_SET_CHECKSUM_CTRL(&netif, checksum_flags);
	netif_set_status_callback(&netif, status_changed);
	netif_set_default(&netif);
	netif_set_up(&netif);
	netif_set_link_up(&netif);
	netif_create_ip6_linklocal_address(&netif, 1);
	netif.ip6_autoconfig_enabled = 1;
	configure();
	return 0;
}

int
tcpip_ip_from_endpoint(sn_endpoint_ref ep, ip_addr_t *out)
{
	uint32_t len;
	const uint8_t *a = sn_endpoint_address(ep, &len);

	if (sn_endpoint_family(ep) == SN_ADDRESS_FAMILY_IPV4 && len == 4) {
		uint32_t v;
		memcpy(&v, a, 4);
		ip_addr_set_ip4_u32_val(*out, v);
		return 0;
	}
	if (sn_endpoint_family(ep) == SN_ADDRESS_FAMILY_IPV6 && len == 16) {
		memset(out, 0, sizeof(*out));
		IP_SET_TYPE_VAL(*out, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(out)->addr, a, 16);
		ip6_addr_assign_zone(ip_2_ip6(out), IP6_UNKNOWN, &netif);
		return 0;
	}
	return -EINVAL;
}

void
tcpip_endpoint_set_address(sn_builder *b, uint32_t ep, const ip_addr_t *a)
{
	if (IP_IS_V6(a)) {
		sn_endpoint_add_family(b, ep, SN_ADDRESS_FAMILY_IPV6);
		sn_endpoint_add_address(b, ep, ip_2_ip6(a)->addr, 16);
	} else {
		sn_endpoint_add_family(b, ep, SN_ADDRESS_FAMILY_IPV4);
		sn_endpoint_add_address(b, ep, &ip_2_ip4(a)->addr, 4);
	}
}

static void
append_endpoint(sn_builder *b, uint32_t vec, uint32_t i, const ip_addr_t *a)
{
	uint32_t ep = sn_endpoint_start(b);

	tcpip_endpoint_set_address(b, ep, a);
	sn_builder_set_table_at(b, vec, i, ep);
}

/* The stack's addresses: IPv4 first, then each valid IPv6 one. */
static unsigned
own_addresses(ip_addr_t *addrs)
{
	unsigned n = 0;

	if (!ip4_addr_isany_val(*netif_ip4_addr(&netif))) {
		ip_addr_copy_from_ip4(addrs[n], *netif_ip4_addr(&netif));
		n++;
	}
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		if (!ip6_addr_isvalid(netif_ip6_addr_state(&netif, i)))
			continue;
		ip_addr_copy_from_ip6(addrs[n], *netif_ip6_addr(&netif, i));
		n++;
	}
	return n;
}

/* The image's server, if it names one, instead of DHCP's. */
static unsigned
dns_servers(ip_addr_t *servers)
{
	unsigned n = 0;

	if (have_image_dns) {
		servers[n++] = image_dns;
		return n;
	}
	for (u8_t i = 0; i < DNS_MAX_SERVERS; i++)
		if (!ip_addr_isany(dns_getserver(i)))
			servers[n++] = *dns_getserver(i);
	return n;
}

void
serve_address_get(void *ctx, struct sn_incoming *in)
{
	ip_addr_t addrs[1 + LWIP_IPV6_NUM_ADDRESSES], servers[DNS_MAX_SERVERS];
	unsigned n = own_addresses(addrs), nservers = dns_servers(servers);

	if (n == 0) {
		answer_error(in, -EAGAIN);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t info = sn_address_info_start(b);
	uint32_t vec = sn_address_info_start_addresses(b, info, n);
	for (unsigned i = 0; i < n; i++)
		append_endpoint(b, vec, i, &addrs[i]);
	vec = sn_address_info_start_dns_servers(b, info, nservers);
	for (unsigned i = 0; i < nservers; i++)
		append_endpoint(b, vec, i, &servers[i]);
	answer_ok(in, SN_BODY_ADDRESS_INFO, info);
}
