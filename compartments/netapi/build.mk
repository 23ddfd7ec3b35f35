# NetAPI: the control plane.  It checks capabilities, asks DNS to resolve,
# opens Firewall holes and asks TCPIP for sockets.
NETAPI_DIR := compartments/netapi

STACK_COMPARTMENTS += netapi
COMPARTMENT_SRCS_netapi := $(NETAPI_DIR)/netapi.c

$(OBJ)/$(NETAPI_DIR)/%.o: CFLAGS += -I$(NETAPI_DIR)

FORMAT_SRCS += $(wildcard $(NETAPI_DIR)/*.[ch])
