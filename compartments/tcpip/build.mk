# TCPIP: lwIP, unmodified, holding the sockets.  lwIP comes from Debian's
# source package (lwip.mk), built with our configuration in port/.
TCPIP_DIR := compartments/tcpip
include $(TCPIP_DIR)/lwip.mk

STACK_COMPARTMENTS += tcpip
COMPARTMENT_SRCS_tcpip := $(TCPIP_DIR)/tcpip.c net/frames.c net/tcpseg.c
COMPARTMENT_DEPS_tcpip := $(LWIP_LIB)
# The RFC 6528 initial sequence numbers are keyed hashes from libcrypto.
COMPARTMENT_LDLIBS_tcpip := -lcrypto
FUZZ_CODE_tcpip_calls := scripts/fetch-lwip.sh

$(OBJ)/$(TCPIP_DIR)/%.o: CFLAGS += -I$(TCPIP_DIR) -Inet $(LWIP_INCLUDES)
# lwIP's headers exist once its source is fetched.  (An order-only
# prerequisite on a pattern with no recipe would cancel the pattern rule
# instead, so the objects are named.)
$(patsubst %.c,$(OBJ)/%.o,$(filter $(TCPIP_DIR)/%,$(COMPARTMENT_SRCS_tcpip))): | $(LWIP_FETCHED)

FORMAT_SRCS += $(wildcard $(TCPIP_DIR)/*.[ch]) $(TCPIP_DIR)/port/lwipopts.h \
	$(TCPIP_DIR)/port/arch/cc.h $(TCPIP_DIR)/port/sealnet_lwip_hooks.h
