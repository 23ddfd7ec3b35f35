# NetAPI: the control plane.  It checks capabilities, asks DNS to resolve,
# opens Firewall holes and asks TCPIP for sockets.  What it does for each
# call is a pure state machine (flow.c), tested and fuzzed alone.
NETAPI_DIR := compartments/netapi
NETAPI_PURE := $(NETAPI_DIR)/flow.c $(NETAPI_DIR)/dns_cache.c \
	$(NETAPI_DIR)/port_draws.c $(NETAPI_DIR)/late_undos.c

STACK_COMPARTMENTS += netapi
COMPARTMENT_SRCS_netapi := $(NETAPI_DIR)/netapi.c $(NETAPI_PURE) \
	$(NETAPI_DIR)/messages.c $(NETAPI_DIR)/servers.c

$(OBJ)/$(NETAPI_DIR)/%.o: CFLAGS += -I$(NETAPI_DIR)

TEST_NAMES += netapi_flow_test
TEST_MAIN_netapi_flow_test := $(NETAPI_DIR)/tests/flow_test.c
TEST_SRCS_netapi_flow_test := $(NETAPI_PURE) $(NETAPI_DIR)/tests/flow_world.c
TEST_NAMES += netapi_flow_both_test
TEST_MAIN_netapi_flow_both_test := $(NETAPI_DIR)/tests/flow_both_test.c
TEST_SRCS_netapi_flow_both_test := $(NETAPI_PURE) \
	$(NETAPI_DIR)/tests/flow_world.c
TEST_NAMES += dns_cache_test
TEST_MAIN_dns_cache_test := $(NETAPI_DIR)/tests/dns_cache_test.c
TEST_SRCS_dns_cache_test := $(NETAPI_PURE)
TEST_NAMES += port_draws_test
TEST_MAIN_port_draws_test := $(NETAPI_DIR)/tests/port_draws_test.c
TEST_SRCS_port_draws_test := $(NETAPI_PURE)
# TCPIP's lwIP configuration, for the size of its pcb pool.
$(OBJ)/$(NETAPI_DIR)/tests/port_draws_test.o: CFLAGS += \
	-Icompartments/tcpip/port
TEST_NAMES += netapi_late_undos_test
TEST_MAIN_netapi_late_undos_test := $(NETAPI_DIR)/tests/late_undos_test.c
TEST_SRCS_netapi_late_undos_test := $(NETAPI_PURE) $(NETAPI_DIR)/messages.c
TEST_NAMES += netapi_messages_test
TEST_MAIN_netapi_messages_test := $(NETAPI_DIR)/tests/messages_test.c
TEST_SRCS_netapi_messages_test := $(NETAPI_PURE) $(NETAPI_DIR)/messages.c

FUZZ_TARGETS += netapi_flow
FUZZ_MAIN_netapi_flow := $(NETAPI_DIR)/fuzz/netapi_flow.c
FUZZ_SRCS_netapi_flow := $(NETAPI_PURE) $(NETAPI_DIR)/tests/flow_world.c
$(FUZZ_BIN_DIR)/netapi_flow: CFLAGS += -I$(NETAPI_DIR) -I$(NETAPI_DIR)/tests

FORMAT_SRCS += $(wildcard $(NETAPI_DIR)/*.[ch] $(NETAPI_DIR)/tests/*.[ch] \
	$(NETAPI_DIR)/fuzz/*.c)
