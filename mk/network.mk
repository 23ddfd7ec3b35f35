# The network compartments: Firewall, TCPIP (lwIP), NetAPI.
NETWORK_COMPARTMENTS := firewall tcpip netapi dns
FORMAT_SRCS += firewall/filter.c firewall/filter.h firewall/firewall.c \
	firewall/tcpseg.c firewall/tcpseg.h firewall/syncookie.c \
	firewall/syncookie.h \
	tcpip/tcpip.c netapi/netapi.c dns/dns.c dns/dns_answer.c \
	dns/dns_answer.h tcpip/port/lwipopts.h \
	tcpip/port/arch/cc.h tcpip/port/sealnet_lwip_hooks.h

# The filter and its SYN proxy: pure code, also in the tests and fuzzers.
FILTER_SRCS := firewall/filter.c firewall/tcpseg.c firewall/syncookie.c
FILTER_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(FILTER_SRCS))

# Static, as every compartment: libcrypto's unused network and module
# loading code makes the linker warn about dlopen and getaddrinfo.
$(BUILD)/compartments/firewall: $(OBJ)/firewall/firewall.o $(FILTER_OBJS) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ -lcrypto $(LDLIBS)

$(OBJ)/tcpip/tcpip.o: CFLAGS += $(LWIP_INCLUDES)
$(OBJ)/tcpip/tcpip.o: | $(LWIP_FETCHED)
$(BUILD)/compartments/tcpip: $(OBJ)/tcpip/tcpip.o $(OBJ)/firewall/tcpseg.o $(LWIP_LIB) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ -lbearssl $(LDLIBS)

$(BUILD)/compartments/netapi: $(OBJ)/netapi/netapi.o $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/compartments/dns: $(OBJ)/dns/dns.o $(OBJ)/dns/dns_answer.o $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ -lcares $(LDLIBS)

compartments: $(addprefix $(BUILD)/compartments/,$(NETWORK_COMPARTMENTS))
compartment-objs: $(OBJ)/firewall/firewall.o $(FILTER_OBJS) \
	$(OBJ)/tcpip/tcpip.o $(OBJ)/netapi/netapi.o $(OBJ)/dns/dns.o \
	$(OBJ)/dns/dns_answer.o

TEST_NAMES += filter_test
TEST_SRCS_filter_test := $(FILTER_SRCS)
TEST_LDLIBS_filter_test := -lcrypto
TEST_NAMES += syn_proxy_test
TEST_SRCS_syn_proxy_test := $(FILTER_SRCS)
TEST_LDLIBS_syn_proxy_test := -lcrypto
FORMAT_SRCS += tests/filter_test.c tests/syn_proxy_test.c
FUZZ_TARGETS += filter_frame
FUZZ_SRCS_filter_frame := $(FILTER_SRCS)
FUZZ_LDLIBS_filter_frame := -lcrypto
FUZZ_TARGETS += tcpseg_read
FUZZ_SRCS_tcpseg_read := firewall/tcpseg.c
FORMAT_SRCS += fuzz/filter_frame.c fuzz/tcpseg_read.c
CFLAGS += -Ifirewall

# The DNS compartment's rule for what is an answer, alone.
TEST_NAMES += dns_answer_test
TEST_SRCS_dns_answer_test := dns/dns_answer.c
FORMAT_SRCS += tests/dns_answer_test.c fuzz/dns_answer.c
FUZZ_TARGETS += dns_answer
FUZZ_SRCS_dns_answer := dns/dns_answer.c
CFLAGS += -Idns

# Each compartment's exports, called by a fuzzer that may call them all.
FUZZ_TARGETS += firewall_calls tcpip_calls netapi_calls dns_calls
FUZZ_SRCS_firewall_calls := firewall/firewall.c $(FILTER_SRCS)
FUZZ_LDLIBS_firewall_calls := -lcrypto
FUZZ_SRCS_tcpip_calls := tcpip/tcpip.c firewall/tcpseg.c
FUZZ_DEPS_tcpip_calls := $(LWIP_LIB)
FUZZ_CODE_tcpip_calls := scripts/fetch-lwip.sh
FUZZ_LDLIBS_tcpip_calls := -lbearssl
FUZZ_SRCS_netapi_calls := netapi/netapi.c
FUZZ_SRCS_dns_calls := dns/dns.c dns/dns_answer.c
FUZZ_LDLIBS_dns_calls := -lcares
FORMAT_SRCS += fuzz/compartment_calls.c
ifeq ($(SAN),fuzz)
# The harness boots the compartment through its own main.
$(OBJ)/firewall/firewall.o $(OBJ)/tcpip/tcpip.o $(OBJ)/netapi/netapi.o \
	$(OBJ)/dns/dns.o: CFLAGS += -Dmain=compartment_main \
	-Wno-missing-prototypes
endif

# Host-side peers the network tests and the TCP benchmark run.
$(BUILD)/tools/%: $(OBJ)/tests/tools/%.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
all: $(BUILD)/tools/echo_server $(BUILD)/tools/tcp_peer
FORMAT_SRCS += tests/tools/echo_server.c tests/tools/tcp_peer.c
SCRIPT_TESTS += tests/network-test.sh
# Floods against a server port: SYN cookies keep it open.
SCRIPT_TESTS += tests/attack/syn-flood.sh
