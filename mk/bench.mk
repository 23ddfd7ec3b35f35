# The benchmark tool: figures, never pass/fail.
BENCH_SRCS := bench/sealnet-bench.c bench/transport.c
BINS += $(BUILD)/bin/sealnet-bench
FORMAT_SRCS += bench/sealnet-bench.c bench/transport.c bench/transport.h

$(BUILD)/bin/sealnet-bench: $(patsubst %.c,$(OBJ)/%.o,$(BENCH_SRCS)) $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/bench/%.o: CFLAGS += -Ibench

# sealnet-bench tls: the kernel's side, OpenSSL over the kernel's TCP.
BINS += $(BUILD)/tools/tls_peer
$(BUILD)/tools/tls_peer: $(OBJ)/bench/tls_peer.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lssl -lcrypto $(LDLIBS)
FORMAT_SRCS += bench/tls_peer.c tests/compartments/tls_bench.c

# sealnet-bench mqtt: the baseline and the broker's side, libmosquitto
# over the kernel's TCP and TLS.
BINS += $(BUILD)/tools/mqtt_peer
$(BUILD)/tools/mqtt_peer: $(OBJ)/bench/mqtt_peer.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lmosquitto $(LDLIBS)
FORMAT_SRCS += bench/mqtt_peer.c
