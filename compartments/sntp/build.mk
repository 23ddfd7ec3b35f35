# The SNTP compartment: network time from the servers its capabilities
# name, published in the shared time record.  sntp.c holds its
# declarations, exports and main; exchange.c and key_exchange.c its I/O;
# sync.c the core that decides, on the pure modules (no I/O, time passed
# in): NTP packets, server selection, NTS-KE records and NTS for NTP.
SNTP_DIR := compartments/sntp

STACK_COMPARTMENTS += sntp
COMPARTMENT_SRCS_sntp := $(addprefix $(SNTP_DIR)/,sntp.c exchange.c \
	key_exchange.c servers.c sync.c select.c nts.c ntp.c siv.c nts_ke.c)
COMPARTMENT_LDLIBS_sntp := -lcrypto -lm
# Sockets made for requests that had given up are closed by the SDK's
# late-reply handler.
COMPARTMENT_LIB_sntp := $(SDK_LIB)
$(OBJ)/$(SNTP_DIR)/sntp.o $(OBJ)/$(SNTP_DIR)/exchange.o: CFLAGS += -Isdk
FORMAT_SRCS += $(addprefix $(SNTP_DIR)/,sntp.c exchange.c key_exchange.c \
	servers.c servers.h shell.h)

# Against chrony, with an attacker on the path (tests/tools/ntp_proxy.py)
# and tests/compartments/sntp_probe.c reading the record: as root.
SCRIPT_TESTS += tests/sntp-test.sh
# TLS checks certificate dates at NTS time alone, against a chrony run
# two years ahead; SNTP without TLS for plain NTP: as root.
SCRIPT_TESTS += tests/sntp-tls-test.sh

# The folder's headers are private to it.
# net/bytes.h: the wire's big-endian integers.
$(OBJ)/$(SNTP_DIR)/%.o: CFLAGS += -I$(SNTP_DIR) -Inet
$(FUZZ_BIN_DIR)/sntp_%: CFLAGS += -I$(SNTP_DIR) -Inet

FORMAT_SRCS += $(SNTP_DIR)/sntp_const.h $(SNTP_DIR)/tests/hex.h

# ---- NTP packets ----
FORMAT_SRCS += $(SNTP_DIR)/ntp.c $(SNTP_DIR)/ntp.h $(SNTP_DIR)/tests/ntp_test.c
SNTP_TESTS := ntp
TEST_MAIN_sntp_ntp_test := $(SNTP_DIR)/tests/ntp_test.c
TEST_SRCS_sntp_ntp_test := $(SNTP_DIR)/ntp.c

# ---- AES-SIV (OpenSSL's libcrypto) ----
FORMAT_SRCS += $(SNTP_DIR)/siv.c $(SNTP_DIR)/siv.h $(SNTP_DIR)/tests/siv_test.c
SNTP_TESTS += siv
TEST_MAIN_sntp_siv_test := $(SNTP_DIR)/tests/siv_test.c
TEST_SRCS_sntp_siv_test := $(SNTP_DIR)/siv.c
TEST_LDLIBS_sntp_siv_test := -lcrypto

# ---- server selection and poll intervals ----
FORMAT_SRCS += $(SNTP_DIR)/select.c $(SNTP_DIR)/select.h \
	$(SNTP_DIR)/tests/select_test.c
SNTP_TESTS += select
TEST_MAIN_sntp_select_test := $(SNTP_DIR)/tests/select_test.c
TEST_SRCS_sntp_select_test := $(SNTP_DIR)/select.c
TEST_LDLIBS_sntp_select_test := -lm

# ---- NTS-KE records ----
FORMAT_SRCS += $(SNTP_DIR)/nts_ke.c $(SNTP_DIR)/nts_ke.h \
	$(SNTP_DIR)/tests/nts_ke_test.c
SNTP_TESTS += nts_ke
TEST_MAIN_sntp_nts_ke_test := $(SNTP_DIR)/tests/nts_ke_test.c
TEST_SRCS_sntp_nts_ke_test := $(SNTP_DIR)/nts_ke.c

# ---- NTS for NTP packets ----
# tests/nts_server.c plays the server with the same codec.
SNTP_NTS_SRCS := $(addprefix $(SNTP_DIR)/,nts.c ntp.c siv.c nts_ke.c \
	tests/nts_server.c)
FORMAT_SRCS += $(SNTP_DIR)/nts.c $(SNTP_DIR)/nts.h \
	$(SNTP_DIR)/tests/nts_server.c $(SNTP_DIR)/tests/nts_server.h \
	$(SNTP_DIR)/tests/nts_test.c $(SNTP_DIR)/tests/chrony_nts.h
SNTP_TESTS += nts
TEST_MAIN_sntp_nts_test := $(SNTP_DIR)/tests/nts_test.c
TEST_SRCS_sntp_nts_test := $(SNTP_NTS_SRCS)
TEST_LDLIBS_sntp_nts_test := -lcrypto

# One NTS exchange with a real server (tests/nts-chrony-interop.sh runs
# it against chrony by hand); built on request, not by `make`.
FORMAT_SRCS += $(SNTP_DIR)/tests/nts_probe.c
$(BUILD)/tools/sntp_nts_probe: $(OBJ)/$(SNTP_DIR)/tests/nts_probe.o \
		$(patsubst %.c,$(OBJ)/%.o,$(filter-out %/nts_server.c,$(SNTP_NTS_SRCS)))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lssl -lcrypto $(LDLIBS)

# ---- fuzz targets ----
# sntp_calls (the generic harness) boots the compartment with an NTS
# server, so that its replies drive NTS-KE and the requests after it.
FUZZ_SRCS_sntp_calls += $(SNTP_DIR)/fuzz/calls.c
$(OBJ)/$(SNTP_DIR)/fuzz/calls.o: CFLAGS += -Ifuzz -Isdk
# Its seed that runs NTS-KE to the end, from the bare sntp_update seed.
sntp-calls-seeds:
	/usr/bin/python3 $(SNTP_DIR)/fuzz/make_calls_seeds.py \
		$(SNTP_DIR)/fuzz/corpus/sntp_calls
.PHONY: sntp-calls-seeds
FORMAT_SRCS += $(SNTP_DIR)/fuzz/calls.c
FORMAT_SRCS += $(SNTP_DIR)/fuzz/ntp_packet.c $(SNTP_DIR)/fuzz/nts_ke_records.c \
	$(SNTP_DIR)/fuzz/nts_reply.c
FUZZ_TARGETS += sntp_ntp_packet sntp_nts_ke_records sntp_nts_reply
FUZZ_MAIN_sntp_ntp_packet := $(SNTP_DIR)/fuzz/ntp_packet.c
FUZZ_SRCS_sntp_ntp_packet := $(SNTP_DIR)/ntp.c $(SNTP_DIR)/select.c
FUZZ_LDLIBS_sntp_ntp_packet := -lm
FUZZ_MAIN_sntp_nts_ke_records := $(SNTP_DIR)/fuzz/nts_ke_records.c
FUZZ_SRCS_sntp_nts_ke_records := $(SNTP_DIR)/nts_ke.c
FUZZ_MAIN_sntp_nts_reply := $(SNTP_DIR)/fuzz/nts_reply.c
FUZZ_SRCS_sntp_nts_reply := $(SNTP_NTS_SRCS)
FUZZ_LDLIBS_sntp_nts_reply := -lcrypto
$(FUZZ_BIN_DIR)/sntp_nts_reply: CFLAGS += -I$(SNTP_DIR)/tests
# What they vouch for includes the wire's integers, read with net/bytes.h.
FUZZ_CODE_sntp_calls += net/bytes.h
FUZZ_CODE_sntp_ntp_packet += net/bytes.h
FUZZ_CODE_sntp_nts_ke_records += net/bytes.h
FUZZ_CODE_sntp_nts_reply += net/bytes.h

# ---- the compartment's core: servers, replies, selection ----
SNTP_SYNC_SRCS := $(addprefix $(SNTP_DIR)/,sync.c select.c nts.c ntp.c siv.c \
	nts_ke.c)
FORMAT_SRCS += $(SNTP_DIR)/sync.c $(SNTP_DIR)/sync.h \
	$(SNTP_DIR)/tests/sync_test.c
SNTP_TESTS += sync
TEST_MAIN_sntp_sync_test := $(SNTP_DIR)/tests/sync_test.c
TEST_SRCS_sntp_sync_test := $(SNTP_SYNC_SRCS) $(SNTP_DIR)/tests/nts_server.c
TEST_LDLIBS_sntp_sync_test := -lcrypto -lm
# Its NTS half: key exchanges, NAKs, cookies.
FORMAT_SRCS += $(SNTP_DIR)/tests/sync_nts_test.c $(SNTP_DIR)/tests/sync_wire.h
SNTP_TESTS += sync_nts
TEST_MAIN_sntp_sync_nts_test := $(SNTP_DIR)/tests/sync_nts_test.c
TEST_SRCS_sntp_sync_nts_test := $(SNTP_SYNC_SRCS) $(SNTP_DIR)/tests/nts_server.c
TEST_LDLIBS_sntp_sync_nts_test := -lcrypto -lm

# ---- which capabilities are servers ----
FORMAT_SRCS += $(SNTP_DIR)/tests/servers_test.c
SNTP_TESTS += servers
TEST_MAIN_sntp_servers_test := $(SNTP_DIR)/tests/servers_test.c
TEST_SRCS_sntp_servers_test := $(SNTP_DIR)/servers.c

TEST_NAMES += $(foreach t,$(SNTP_TESTS),sntp_$(t)_test)
