# The TLS compartment.  So far: the engine (a pure module over OpenSSL with
# memory BIOs), its tests, its fuzz target and its benchmark.
TLS_ENGINE_SRCS := $(addprefix compartments/tls/,engine.c engine_context.c \
	engine_cache.c engine_errors.c)
TLS_LDLIBS := -lssl -lcrypto
TLS_TEST_PEER := compartments/tls/tests/peer.c

# The folder's headers are private to the objects built from it.
$(OBJ)/compartments/tls/%.o: CFLAGS += -Icompartments/tls
$(OBJ)/compartments/tls/tests/%.o: CFLAGS += -Icompartments/tls/tests -Itests

# One test binary for each file of tests/ that ends in _test.c; they share
# the certificates and servers of tests/fixtures.c.
TLS_ENGINE_TESTS := sandbox handshake resumption records arguments
TEST_NAMES += $(foreach t,$(TLS_ENGINE_TESTS),tls_engine_$(t)_test)
$(foreach t,$(TLS_ENGINE_TESTS),$(eval \
	TEST_MAIN_tls_engine_$(t)_test := compartments/tls/tests/$(t)_test.c)$(eval \
	TEST_SRCS_tls_engine_$(t)_test := $(TLS_ENGINE_SRCS) $(TLS_TEST_PEER) \
		compartments/tls/tests/fixtures.c)$(eval \
	TEST_LDLIBS_tls_engine_$(t)_test := $(TLS_LDLIBS)))
TEST_LDLIBS_tls_engine_sandbox_test += -lseccomp

FORMAT_SRCS += $(TLS_ENGINE_SRCS) compartments/tls/engine.h \
	compartments/tls/engine_internal.h \
	include/sealnet/tls.h $(wildcard compartments/tls/tests/*_test.c) \
	compartments/tls/tests/fixtures.c compartments/tls/tests/fixtures.h \
	compartments/tls/tests/peer.c compartments/tls/tests/peer.h

# The fuzz target: an engine session fed arbitrary server bytes.  Its seeds
# are real servers' flights, made by tls_fuzz_seeds together with
# seed_ca.h, the CA that signed their certificates (`make tls-fuzz-seeds`).
FUZZ_TARGETS += tls_engine
FUZZ_MAIN_tls_engine := compartments/tls/fuzz/session.c
FUZZ_SRCS_tls_engine := $(TLS_ENGINE_SRCS) $(TLS_TEST_PEER)
FUZZ_LDLIBS_tls_engine := $(TLS_LDLIBS)
FUZZ_CODE_tls_engine := compartments/tls/fuzz
$(FUZZ_BIN_DIR)/tls_engine: CFLAGS += -Icompartments/tls \
	-Icompartments/tls/tests -Icompartments/tls/fuzz
$(OBJ)/compartments/tls/fuzz/%.o: CFLAGS += -Icompartments/tls/tests \
	-Icompartments/tls/fuzz

TLS_SEEDS_DIR := compartments/tls/fuzz/corpus/tls_engine
$(BUILD)/tools/tls_fuzz_seeds: $(OBJ)/compartments/tls/fuzz/make_seeds.o \
	$(patsubst %.c,$(OBJ)/%.o,$(TLS_ENGINE_SRCS) $(TLS_TEST_PEER))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(TLS_LDLIBS) $(LDLIBS)

tls-fuzz-seeds: $(BUILD)/tools/tls_fuzz_seeds
	rm -rf $(TLS_SEEDS_DIR)
	mkdir -p $(TLS_SEEDS_DIR)
	$< $(TLS_SEEDS_DIR) compartments/tls/fuzz/seed_ca.h
	clang-format -i compartments/tls/fuzz/seed_ca.h
.PHONY: tls-fuzz-seeds

FORMAT_SRCS += compartments/tls/fuzz/session.c \
	compartments/tls/fuzz/make_seeds.c compartments/tls/fuzz/fuzz_input.h \
	compartments/tls/fuzz/seed_ca.h

# The engine's micro-benchmark: figures, not a test (`make tls-bench`).
$(BUILD)/tools/tls_bench: $(OBJ)/compartments/tls/tests/bench.o \
	$(patsubst %.c,$(OBJ)/%.o,$(TLS_ENGINE_SRCS) $(TLS_TEST_PEER))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(TLS_LDLIBS) $(LDLIBS)

tls-bench: $(BUILD)/tools/tls_bench
	$< $(TLS_BENCH_ARGS)
.PHONY: tls-bench
FORMAT_SRCS += compartments/tls/tests/bench.c

# The compartment: tls.c (main, the exports, the image's files) first;
# session.c moves each session's ciphertext as its pump (pump.c, pure)
# decides.
STACK_COMPARTMENTS += tls
COMPARTMENT_SRCS_tls := $(addprefix compartments/tls/,tls.c session.c \
	pump.c verify_time.c time_source.c) $(TLS_ENGINE_SRCS)
COMPARTMENT_LDLIBS_tls := $(TLS_LDLIBS)
FORMAT_SRCS += $(addprefix compartments/tls/,tls.c session.c session.h \
	pump.c pump.h verify_time.c tls_const.h)

# Which clock certificate dates are checked against (time_source.c,
# pure), and the seam that reads the shared time record for it
# (verify_time.c), on a record the test writes.
FORMAT_SRCS += compartments/tls/time_source.c compartments/tls/time_source.h \
	compartments/tls/tests/time_source_test.c
TEST_NAMES += tls_time_source_test
TEST_MAIN_tls_time_source_test := compartments/tls/tests/time_source_test.c
TEST_SRCS_tls_time_source_test := compartments/tls/time_source.c \
	compartments/tls/verify_time.c
TEST_LDLIBS_tls_time_source_test := $(TLS_LDLIBS)

# tls_calls (the generic harness): the compartment booted with the seeds'
# CA as its trust anchors and an identity made at start.
FUZZ_SRCS_tls_calls += compartments/tls/fuzz/boot_files.c $(TLS_TEST_PEER)
$(OBJ)/compartments/tls/fuzz/boot_files.o: CFLAGS += -Ifuzz
FORMAT_SRCS += compartments/tls/fuzz/boot_files.c

# The pump, pure: every path in a world that plays its shell, and the
# same world under arbitrary events.
TLS_PUMP_WORLD := compartments/tls/pump.c compartments/tls/tests/pump_world.c
TEST_NAMES += tls_pump_test
TEST_MAIN_tls_pump_test := compartments/tls/tests/pump_test.c
TEST_SRCS_tls_pump_test := $(TLS_PUMP_WORLD)
FUZZ_TARGETS += tls_pump
FUZZ_MAIN_tls_pump := compartments/tls/fuzz/pump.c
FUZZ_SRCS_tls_pump := $(TLS_PUMP_WORLD)
$(FUZZ_BIN_DIR)/tls_pump: CFLAGS += -Icompartments/tls -Icompartments/tls/tests
FORMAT_SRCS += compartments/tls/tests/pump_test.c \
	compartments/tls/tests/pump_world.c compartments/tls/tests/pump_world.h \
	compartments/tls/fuzz/pump.c

# The tls_calls seeds, from JSON and the engine's recorded flights.
tls-calls-seeds:
	/usr/bin/python3 compartments/tls/fuzz/make_calls_seeds.py \
		schema/sealnet.fbs $(TLS_SEEDS_DIR) \
		compartments/tls/fuzz/corpus/tls_calls
.PHONY: tls-calls-seeds

# Against real servers, in namespaces of its own (as root).
SCRIPT_TESTS += tests/tls-test.sh
