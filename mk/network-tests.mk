# The network tests: host-side peers they run, and the scripts.
$(BUILD)/tools/%: $(OBJ)/tests/tools/%.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^
everything: $(BUILD)/tools/echo_server $(BUILD)/tools/tcp_peer
# Both serve every connection in one process (conn_loop.h says why).
$(BUILD)/tools/echo_server $(BUILD)/tools/tcp_peer: \
	$(OBJ)/tests/tools/conn_loop.o
# tcp_peer is the kernel's side of the TCP benchmark (bench/peer.h).
$(OBJ)/tests/tools/tcp_peer.o: CFLAGS += -Ibench
FORMAT_SRCS += tests/tools/echo_server.c tests/tools/tcp_peer.c \
	tests/tools/conn_loop.c tests/tools/conn_loop.h
SCRIPT_TESTS += tests/network-test.sh
# Floods against a server port: SYN cookies keep it open.
SCRIPT_TESTS += tests/attack/syn-flood.sh
# A peer that vanishes while a closed connection still has data for it.
SCRIPT_TESTS += tests/attack/vanished-peer.sh
# Resets from an off-path host leave a served connection to lwIP.
SCRIPT_TESTS += tests/attack/blind-reset.sh

# The network tests' compartment tcp_test: tests/compartments/tcp_test.c
# holds its declarations and main, tests/compartments/tcp_test/ its steps,
# all on the public SDK but for one test that needs nine calls in flight
# at once (netapi_flood.c), which only the runtime's asynchronous calls
# make.
TCP_TEST_STEPS := $(addprefix tests/compartments/tcp_test/,streams.c \
	limits.c names.c restart.c) tests/compartments/netapi_flood.c
TCP_TEST_STEP_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(TCP_TEST_STEPS))
# Its own rule: the steps must come before the SDK they call.
$(BUILD)/compartments/tcp_test: $(OBJ)/tests/compartments/tcp_test.o \
		$(TCP_TEST_STEP_OBJS) $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)
compartment-objs: $(TCP_TEST_STEP_OBJS)
FORMAT_SRCS += $(TCP_TEST_STEPS) tests/compartments/tcp_test/tcp_test.h
# TCP super-frames from the wire against the device's offloads.
SCRIPT_TESTS += tests/attack/gso-superframes.sh
# A hostile application parks a wait on every socket of its quota and
# floods TCPIP, beside an honest one (tests/compartments/wait_*.c).
PARKED_WAITS_COMPARTMENTS := wait_hostile wait_honest
# The same against the TLS compartment.
PARKED_WAITS_COMPARTMENTS += tls_wait_hostile tls_wait_honest
# And the MQTT compartment.
PARKED_WAITS_COMPARTMENTS += mqtt_wait_hostile mqtt_wait_honest
compartments: $(addprefix $(BUILD)/compartments/,$(PARKED_WAITS_COMPARTMENTS))
compartment-objs: $(addprefix $(OBJ)/tests/compartments/,$(addsuffix .o,$(PARKED_WAITS_COMPARTMENTS)))
# The honest ones share the wait for the test's go and their round
# trips (waiting.c); the hostile ones, the flood and the rest of
# hostile_probes.c (in demo.mk).
$(addprefix $(BUILD)/compartments/,$(filter %_honest,$(PARKED_WAITS_COMPARTMENTS))): \
		$(BUILD)/compartments/%: $(OBJ)/tests/compartments/%.o \
		$(WAITING_OBJ) $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)
$(addprefix $(BUILD)/compartments/,$(filter %_hostile,$(PARKED_WAITS_COMPARTMENTS))): \
		$(BUILD)/compartments/%: $(OBJ)/tests/compartments/%.o \
		$(HOSTILE_PROBES_OBJ) $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)
SCRIPT_TESTS += tests/attack/parked-waits.sh tests/attack/parked-tls-waits.sh
SCRIPT_TESTS += tests/attack/parked-mqtt-waits.sh
# A listener closed with connections in its backlog and handed out
# (tests/compartments/listener_close.c).
compartments: $(BUILD)/compartments/listener_close
compartment-objs: $(OBJ)/tests/compartments/listener_close.o
SCRIPT_TESTS += tests/attack/listener-close.sh
# Closed connections' segments still their owner's, and bulk data held
# to the same share (tests/compartments/segment_leaver.c and
# send_hoarder.c, beside wait_honest).
compartments: $(BUILD)/compartments/segment_leaver $(BUILD)/compartments/send_hoarder
compartment-objs: $(OBJ)/tests/compartments/segment_leaver.o $(OBJ)/tests/compartments/send_hoarder.o
SCRIPT_TESTS += tests/attack/closed-segments.sh
# NetAPI killed in the middle of a lookup: the Firewall closes its DNS
# hole (tests/compartments/lookup_once.c).
compartments: $(BUILD)/compartments/lookup_once
compartment-objs: $(OBJ)/tests/compartments/lookup_once.o
SCRIPT_TESTS += tests/attack/dns-hole.sh
# The Firewall killed under a transfer and a listener
# (tests/compartments/firewall_restart.c).
compartments: $(BUILD)/compartments/firewall_restart
compartment-objs: $(OBJ)/tests/compartments/firewall_restart.o
SCRIPT_TESTS += tests/firewall-restart.sh
# The Firewall's rule table filled by one application
# (tests/compartments/rules_filler.c).
compartments: $(BUILD)/compartments/rules_filler
compartment-objs: $(OBJ)/tests/compartments/rules_filler.o
SCRIPT_TESTS += tests/attack/rule-table.sh
# The stack on a device without its offloads (tcp_bench, built for the
# benchmarks).
SCRIPT_TESTS += tests/offloads-off.sh
