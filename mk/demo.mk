# Compartment binaries of the demo and the tests, linked statically with
# the SDK (COMPARTMENT_LDFLAGS, in the top Makefile).

# Runtime and app: the smallest pair, used by the supervisor's tests.
#
# The applications among them (app, sneaky, tcp_test, tcp_bench) include
# only the public SDK, <sealnet/...>, as an application outside the tree
# does; tcp_test but for netapi_flood.c, which says why.  The services (runtime_service, netapi_refuser, misplaced) answer
# calls, which only the runtime's callee API (runtime/call.h) can; and
# hostile writes into its channels' rings by hand.  Each says so where
# it includes the runtime's headers.
DEMO_COMPARTMENTS := runtime_service app
TEST_COMPARTMENTS := hostile sneaky netapi_refuser tcp_test tcp_bench churn \
	misplaced tls_bench tls_test tls_other tls_hostile tls_victim small_quota \
	hoarder
# tests/sntp-test.sh's reader of the shared time record.
TEST_COMPARTMENTS += sntp_probe
# tests/sntp-tls-test.sh's TLS client, which shows the time TLS checks
# certificate dates at.
TEST_COMPARTMENTS += tls_clock
FORMAT_SRCS += $(wildcard demo/compartments/*.c tests/compartments/*.[ch])

COMPARTMENT_BINS := $(addprefix $(BUILD)/compartments/,$(DEMO_COMPARTMENTS) $(TEST_COMPARTMENTS))

$(BUILD)/compartments/%: $(OBJ)/demo/compartments/%.o $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/compartments/%: $(OBJ)/tests/compartments/%.o $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)

# The hostile compartments share their probes (hostile_probes.c), which
# wait for a test's go with waiting.c; both must come before the SDK
# they call.
HOSTILE_COMPARTMENTS := hostile tls_hostile mqtt_hostile
WAITING_OBJ := $(OBJ)/tests/compartments/waiting.o
HOSTILE_PROBES_OBJ := $(OBJ)/tests/compartments/hostile_probes.o $(WAITING_OBJ)
$(addprefix $(BUILD)/compartments/,$(HOSTILE_COMPARTMENTS)): $(BUILD)/compartments/%: \
		$(OBJ)/tests/compartments/%.o $(HOSTILE_PROBES_OBJ) $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)
compartment-objs: $(HOSTILE_PROBES_OBJ)
# tls_test waits for the test's go ports as the parked-waits tests'
# compartments do.
$(BUILD)/compartments/tls_test: $(OBJ)/tests/compartments/tls_test.o \
		$(WAITING_OBJ) $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)

# mqtt_test's steps that count topic aliases on the wire, and its
# connect over a session made for another server, live apart.
$(BUILD)/compartments/mqtt_test: $(OBJ)/tests/compartments/mqtt_test.o \
		$(OBJ)/tests/compartments/mqtt_aliases.o \
		$(OBJ)/tests/compartments/mqtt_swap.o $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)
compartment-objs: $(OBJ)/tests/compartments/mqtt_aliases.o \
	$(OBJ)/tests/compartments/mqtt_swap.o

compartments: $(COMPARTMENT_BINS)
.PHONY: compartments

# The demo image: the network stack and the examples, built from the
# declarations the binaries carry; the SNTP compartment's time server is
# the demo network's chrony, over NTS as scripts/demo.sh has it (with
# plain NTP alone, SNTP would hold no TCP or TLS calls to audit).
DEMO_IMAGE_COMPARTMENTS := firewall tcpip netapi dns tls http_client http_server \
	sntp sntp_example
DEMO_IMAGE_ARGS := --nts-server ntp.test
$(BUILD)/images/demo.json: $(BUILD)/bin/sealnet $(addprefix $(BUILD)/compartments/,$(DEMO_IMAGE_COMPARTMENTS))
	@mkdir -p $(@D)
	$(BUILD)/bin/sealnet image build -o $@ $(DEMO_IMAGE_ARGS) $(filter-out $<,$^)

demo: deps
	$(MAKE) all
	scripts/demo.sh $(BUILD)

# Compiling the compartments with every compiler catches its warnings; the
# sanitizer builds cannot link them statically, so they stop here.
compartment-objs: $(addprefix $(OBJ)/demo/compartments/,$(addsuffix .o,$(DEMO_COMPARTMENTS))) \
	$(addprefix $(OBJ)/tests/compartments/,$(addsuffix .o,$(TEST_COMPARTMENTS) \
	netapi_flood))
.PHONY: compartment-objs

# The test image: the demo's compartments plus the hostile ones.
$(BUILD)/images/test.json: $(BUILD)/bin/sealnet $(filter-out %/tcp_test %/small_quota %/hoarder %/tcp_bench %/churn %/misplaced %/tls_test %/tls_other %/tls_hostile %/tls_victim %/tls_bench %/sntp_probe %/tls_clock,$(COMPARTMENT_BINS))
	@mkdir -p $(@D)
	$(BUILD)/bin/sealnet image build -o $@ $(filter-out $<,$^)
