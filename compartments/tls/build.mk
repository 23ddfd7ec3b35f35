# The TLS compartment.  So far: the engine (a pure module over OpenSSL with
# memory BIOs), its tests, its fuzz target and its benchmark.
TLS_ENGINE_SRCS := compartments/tls/engine.c
TLS_LDLIBS := -lssl -lcrypto
TLS_TEST_PEER := compartments/tls/tests/peer.c

# The folder's headers are private to the objects built from it.
$(OBJ)/compartments/tls/%.o: CFLAGS += -Icompartments/tls
$(OBJ)/compartments/tls/tests/%.o: CFLAGS += -Icompartments/tls/tests -Itests

TEST_NAMES += tls_engine_test
TEST_MAIN_tls_engine_test := compartments/tls/tests/engine_test.c
TEST_SRCS_tls_engine_test := $(TLS_ENGINE_SRCS) $(TLS_TEST_PEER)
TEST_LDLIBS_tls_engine_test := $(TLS_LDLIBS) -lseccomp
# Linked here rather than by the generic rule, which under secondary
# expansion turns the `%` of its patsubst into the stem and so compiles
# TEST_MAIN without CFLAGS.
TLS_TEST_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(TEST_MAIN_tls_engine_test) \
	$(TEST_SRCS_tls_engine_test))
$(BUILD)/tests/tls_engine_test: $(TLS_TEST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS_tls_engine_test) $(LDLIBS)

FORMAT_SRCS += compartments/tls/engine.c compartments/tls/engine.h \
	include/sealnet/tls.h compartments/tls/tests/engine_test.c \
	compartments/tls/tests/peer.c compartments/tls/tests/peer.h
