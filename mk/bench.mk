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
