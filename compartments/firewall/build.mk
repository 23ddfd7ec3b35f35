# The Firewall: the only compartment that holds the network device.  Its
# filter and SYN proxy are pure code, unit-tested and fuzzed alone.
FIREWALL_DIR := compartments/firewall
FIREWALL_PURE := $(addprefix $(FIREWALL_DIR)/,filter.c icmp6.c rules.c \
	syncookie.c vnet.c held.c) \
	net/tcpseg.c

STACK_COMPARTMENTS += firewall
COMPARTMENT_SRCS_firewall := $(FIREWALL_DIR)/firewall.c $(FIREWALL_PURE) \
	$(FIREWALL_DIR)/intake.c net/frames.c
# libcrypto's SipHash keys the SYN cookies.  Linked statically, its unused
# network and module loading code makes the linker warn about dlopen and
# getaddrinfo.
COMPARTMENT_LDLIBS_firewall := -lcrypto

$(OBJ)/$(FIREWALL_DIR)/%.o: CFLAGS += -I$(FIREWALL_DIR) -Inet
$(FUZZ_BIN_DIR)/filter_frame: CFLAGS += -I$(FIREWALL_DIR) -Inet

TEST_NAMES += filter_test mld_test syn_proxy_test syncookie_test vnet_test \
	held_test intake_test
TEST_MAIN_intake_test := $(FIREWALL_DIR)/tests/intake_test.c
TEST_SRCS_intake_test := $(FIREWALL_DIR)/intake.c net/frames.c
TEST_MAIN_held_test := $(FIREWALL_DIR)/tests/held_test.c
TEST_SRCS_held_test := $(FIREWALL_PURE)
TEST_LDLIBS_held_test := -lcrypto
TEST_MAIN_vnet_test := $(FIREWALL_DIR)/tests/vnet_test.c
TEST_SRCS_vnet_test := $(FIREWALL_PURE)
TEST_LDLIBS_vnet_test := -lcrypto
TEST_MAIN_filter_test := $(FIREWALL_DIR)/tests/filter_test.c
TEST_SRCS_filter_test := $(FIREWALL_PURE) $(FIREWALL_DIR)/tests/frames.c
TEST_LDLIBS_filter_test := -lcrypto
TEST_MAIN_mld_test := $(FIREWALL_DIR)/tests/mld_test.c
TEST_SRCS_mld_test := $(FIREWALL_PURE) $(FIREWALL_DIR)/tests/frames.c
TEST_LDLIBS_mld_test := -lcrypto
TEST_MAIN_syn_proxy_test := $(FIREWALL_DIR)/tests/syn_proxy_test.c
TEST_SRCS_syn_proxy_test := $(FIREWALL_PURE)
TEST_LDLIBS_syn_proxy_test := -lcrypto
TEST_MAIN_syncookie_test := $(FIREWALL_DIR)/tests/syncookie_test.c
TEST_SRCS_syncookie_test := $(FIREWALL_PURE)
TEST_LDLIBS_syncookie_test := -lcrypto

FUZZ_TARGETS += filter_frame
FUZZ_MAIN_filter_frame := $(FIREWALL_DIR)/fuzz/filter_frame.c
FUZZ_SRCS_filter_frame := $(FIREWALL_PURE)
FUZZ_LDLIBS_filter_frame := -lcrypto

FORMAT_SRCS += $(wildcard $(FIREWALL_DIR)/*.[ch] $(FIREWALL_DIR)/tests/*.c \
	$(FIREWALL_DIR)/fuzz/*.c)
