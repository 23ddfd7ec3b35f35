# lwIP 2.1.3, unmodified, from Debian's source package (pinned by SHA-256
# in scripts/fetch-lwip.sh), built with our configuration in compartments/tcpip/port.
LWIP_ROOT := build/third_party
LWIP_DIR := $(LWIP_ROOT)/lwip-2.1.3/src
LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c \
	core/memp.c core/netif.c core/pbuf.c core/stats.c core/sys.c core/tcp.c \
	core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
	core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
	core/ipv6/ethip6.c core/ipv6/icmp6.c core/ipv6/inet6.c core/ipv6/ip6.c \
	core/ipv6/ip6_addr.c core/ipv6/ip6_frag.c core/ipv6/mld6.c core/ipv6/nd6.c \
	netif/ethernet.c
LWIP_OBJS := $(addprefix $(OBJ)/lwip/,$(LWIP_FILES:.c=.o))
LWIP_LIB := $(BUILD)/lib/liblwip.a
LWIP_INCLUDES := -Icompartments/tcpip/port -I$(LWIP_DIR)/include
# Third-party code: our warnings, but not our extra prototype rules.
# clang finds a comparison in tcp.c that is constant with our window size.
LWIP_CFLAGS := -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-Wno-unused-parameter $(LWIP_INCLUDES) $(filter -fsanitize% -fno-%,$(CFLAGS)) \
	$(if $(findstring clang,$(CC)),-Wno-tautological-constant-out-of-range-compare)

LWIP_FETCHED := $(LWIP_ROOT)/lwip-2.1.3/.fetched

$(LWIP_FETCHED): scripts/fetch-lwip.sh
	scripts/fetch-lwip.sh $(LWIP_ROOT)
	@touch $@

$(addprefix $(LWIP_DIR)/,$(LWIP_FILES)): | $(LWIP_FETCHED)

$(OBJ)/lwip/%.o: $(LWIP_DIR)/%.c compartments/tcpip/port/lwipopts.h
	@mkdir -p $(@D)
	$(CC) $(LWIP_CFLAGS) -c $< -o $@

$(LWIP_LIB): $(LWIP_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^
