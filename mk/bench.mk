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
FORMAT_SRCS += bench/mqtt_peer.c bench/hop_trace.h bench/peer.h

# sealnet's side of it: mqtt_bench, and mqtt_hold, which holds
# connections open for the memory figure: one source built under four
# names, as an image's compartments are named apart.  Not in the test
# image: they need a broker.
MQTT_BENCH_COMPARTMENTS := mqtt_bench mqtt_hold_1 mqtt_hold_2 mqtt_hold_3 mqtt_hold_4
compartments: $(addprefix $(BUILD)/compartments/,$(MQTT_BENCH_COMPARTMENTS))
compartment-objs: $(addprefix $(OBJ)/tests/compartments/,$(addsuffix .o,$(MQTT_BENCH_COMPARTMENTS)))
# Only these four: the pattern would otherwise offer to make any
# mqtt_hold_* object, the dependency files' included names among them.
MQTT_HOLD_OBJS := $(patsubst %,$(OBJ)/tests/compartments/mqtt_hold_%.o,1 2 3 4)
$(MQTT_HOLD_OBJS): $(OBJ)/tests/compartments/mqtt_hold_%.o: tests/compartments/mqtt_hold.c | $(GENERATED_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DMQTT_HOLD_NAME='"mqtt_hold_$*"' -MMD -MP -c $< -o $@
