# DNS: the resolver, kept apart from TCPIP.  c-ares builds and parses the
# queries; what counts as an answer, which lookup a callback is for and
# the order of the addresses are pure modules, tested alone.
DNS_DIR := compartments/dns

STACK_COMPARTMENTS += dns
COMPARTMENT_SRCS_dns := $(DNS_DIR)/dns.c $(DNS_DIR)/dns_answer.c \
	$(DNS_DIR)/dns_ticket.c $(DNS_DIR)/dns_addresses.c
COMPARTMENT_LDLIBS_dns := -lcares
# It reaches the DNS server through TCPIP's sockets, as an application
# would: it links the SDK's network client.
COMPARTMENT_LIB_dns := $(SDK_LIB)

$(OBJ)/$(DNS_DIR)/%.o: CFLAGS += -I$(DNS_DIR) -Isdk
$(FUZZ_BIN_DIR)/dns_answer: CFLAGS += -I$(DNS_DIR)

TEST_NAMES += dns_answer_test
TEST_MAIN_dns_answer_test := $(DNS_DIR)/tests/dns_answer_test.c
TEST_SRCS_dns_answer_test := $(DNS_DIR)/dns_answer.c
TEST_NAMES += dns_ticket_test
TEST_MAIN_dns_ticket_test := $(DNS_DIR)/tests/dns_ticket_test.c
TEST_SRCS_dns_ticket_test := $(DNS_DIR)/dns_ticket.c
TEST_NAMES += dns_addresses_test
TEST_MAIN_dns_addresses_test := $(DNS_DIR)/tests/dns_addresses_test.c
TEST_SRCS_dns_addresses_test := $(DNS_DIR)/dns_addresses.c

FUZZ_TARGETS += dns_answer
FUZZ_MAIN_dns_answer := $(DNS_DIR)/fuzz/dns_answer.c
FUZZ_SRCS_dns_answer := $(DNS_DIR)/dns_answer.c

FORMAT_SRCS += $(wildcard $(DNS_DIR)/*.[ch] $(DNS_DIR)/tests/*.c \
	$(DNS_DIR)/fuzz/*.c)
