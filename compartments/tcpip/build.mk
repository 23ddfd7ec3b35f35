# TCPIP: lwIP, unmodified, holding the sockets.  lwIP comes from Debian's
# source package (lwip.mk), built with our configuration in port/.
TCPIP_DIR := compartments/tcpip
include $(TCPIP_DIR)/lwip.mk

STACK_COMPARTMENTS += tcpip
# tcpip.c, with main(), first; tcpip.h says what each file does.
COMPARTMENT_SRCS_tcpip := $(addprefix $(TCPIP_DIR)/,tcpip.c netif.c \
	sockets.c receive.c rxqueue.c rxplan.c tcp.c listeners.c send.c write.c window.c segments.c lingering.c orphans.c udp.c firewall_holes.c holes.c \
	port/sys_arch.c) \
	net/frames.c net/tcpseg.c net/tso.c
COMPARTMENT_DEPS_tcpip := $(LWIP_LIB)
# The RFC 6528 initial sequence numbers are keyed hashes from libcrypto.
COMPARTMENT_LDLIBS_tcpip := -lcrypto
FUZZ_CODE_tcpip_calls := scripts/fetch-lwip.sh

$(OBJ)/$(TCPIP_DIR)/%.o: CFLAGS += -I$(TCPIP_DIR) -Inet $(LWIP_INCLUDES)
# lwIP's headers exist once its source is fetched.  (An order-only
# prerequisite on a pattern with no recipe would cancel the pattern rule
# instead, so the objects are named.)
$(patsubst %.c,$(OBJ)/%.o,$(filter $(TCPIP_DIR)/%,$(COMPARTMENT_SRCS_tcpip))): | $(LWIP_FETCHED)

# Sends into lwIP's buffer, against a tcp_write the test keeps.
TEST_NAMES += write_test
TEST_MAIN_write_test := $(TCPIP_DIR)/tests/write_test.c
TEST_SRCS_write_test := $(TCPIP_DIR)/write.c

# The bookkeeping of the Firewall's holes is pure: tested and fuzzed
# without lwIP.
TEST_NAMES += holes_test
TEST_MAIN_holes_test := $(TCPIP_DIR)/tests/holes_test.c
TEST_SRCS_holes_test := $(TCPIP_DIR)/holes.c

# Each owner's share of lwIP's segments, with lwIP's queue lengths set by
# the test.
TEST_NAMES += segments_test
TEST_MAIN_segments_test := $(TCPIP_DIR)/tests/segments_test.c
TEST_SRCS_segments_test := $(TCPIP_DIR)/segments.c

# The socket table, with lwIP, the other modules and the answers to
# calls stood in for by the test.
TEST_NAMES += sockets_test
TEST_MAIN_sockets_test := $(TCPIP_DIR)/tests/sockets_test.c
TEST_SRCS_sockets_test := $(TCPIP_DIR)/sockets.c $(TCPIP_DIR)/segments.c \
	$(TCPIP_DIR)/lingering.c

# Which received pieces are kept as lwIP made them, and where copies go:
# pure, tested without lwIP.
TEST_NAMES += rxplan_test
TEST_MAIN_rxplan_test := $(TCPIP_DIR)/tests/rxplan_test.c
TEST_SRCS_rxplan_test := $(TCPIP_DIR)/rxplan.c

# The receive queue on lwIP's own pool and heap, so that what it holds of
# them is lwIP's count, not the test's.  lwIP's pbuf code brings in its
# TCP code (it frees out-of-order segments when the pool runs dry), and
# that needs lwIP's clock and random numbers (port/sys_arch.c).
TEST_NAMES += rxqueue_test
TEST_MAIN_rxqueue_test := $(TCPIP_DIR)/tests/rxqueue_test.c
TEST_SRCS_rxqueue_test := $(TCPIP_DIR)/rxqueue.c $(TCPIP_DIR)/rxplan.c $(TCPIP_DIR)/port/sys_arch.c
TEST_LDLIBS_rxqueue_test := $(LWIP_LIB) -lcrypto
$(BUILD)/tests/rxqueue_test: $(LWIP_LIB)

# The fuzz target's table has 256 slots, not HOLES_MAX's 2048: nothing in
# holes.c depends on the size, and a small table fills in a few steps, so
# inputs reach a full table thousands of times a second.  Its own object,
# so that the compartment's keeps the real size.
FUZZ_TARGETS += tcpip_holes
FUZZ_MAIN_tcpip_holes := $(TCPIP_DIR)/fuzz/tcpip_holes.c
FUZZ_SRCS_tcpip_holes := $(TCPIP_DIR)/holes_fuzz_table.c
TCPIP_FUZZ_TABLE := -DHOLES_MAX=256u
$(FUZZ_BIN_DIR)/tcpip_holes: CFLAGS += -I$(TCPIP_DIR) $(TCPIP_FUZZ_TABLE)
$(OBJ)/$(TCPIP_DIR)/holes_fuzz_table.o: $(TCPIP_DIR)/holes.c | $(GENERATED_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TCPIP_FUZZ_TABLE) -MMD -MP -c $< -o $@

FORMAT_SRCS += $(wildcard $(TCPIP_DIR)/*.[ch] $(TCPIP_DIR)/port/*.[ch] \
	$(TCPIP_DIR)/tests/*.c $(TCPIP_DIR)/fuzz/*.c) \
	$(TCPIP_DIR)/port/arch/cc.h
