# The benchmark tool: figures, never pass/fail.
BENCH_SRCS := bench/sealnet-bench.c bench/transport.c
BINS += $(BUILD)/bin/sealnet-bench
FORMAT_SRCS += bench/sealnet-bench.c bench/transport.c bench/transport.h

$(BUILD)/bin/sealnet-bench: $(patsubst %.c,$(OBJ)/%.o,$(BENCH_SRCS)) $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/bench/%.o: CFLAGS += -Ibench
