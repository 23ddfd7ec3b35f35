# The MQTT client's pure cores: the packet codec, topic names and
# filters, and the session state machine.  No I/O: the compartment that
# feeds them bytes from TLS comes later.
MQTT_CODEC_SRCS := $(addprefix compartments/mqtt/,packet.c connect.c publish.c \
	subscribe.c properties.c reasons.c wire.c topic.c)
MQTT_SESSION_SRCS := $(MQTT_CODEC_SRCS) $(addprefix compartments/mqtt/,session.c \
	session_connection.c session_outbound.c session_inbound.c \
	session_subscriptions.c session_check.c)

FORMAT_SRCS += $(wildcard compartments/mqtt/*.c compartments/mqtt/*.h \
	compartments/mqtt/tests/*.c compartments/mqtt/tests/*.h \
	compartments/mqtt/fuzz/*.c)

# The folder's headers are its own.
$(OBJ)/compartments/mqtt/%.o: CFLAGS += -Icompartments/mqtt
$(OBJ)/compartments/mqtt/tests/%.o: CFLAGS += -Itests

# One test binary for each file of tests/ that ends in _test.c.
MQTT_CODEC_TESTS := packet_spec packet_roundtrip packet_rules topic
MQTT_SESSION_TESTS := session_connection session_delivery session_bounds \
	session_alias
MQTT_TESTS := $(foreach t,$(MQTT_CODEC_TESTS) $(MQTT_SESSION_TESTS),mqtt_$(t)_test)
TEST_NAMES += $(MQTT_TESTS)
$(foreach t,$(MQTT_CODEC_TESTS) $(MQTT_SESSION_TESTS),$(eval \
	TEST_MAIN_mqtt_$(t)_test := compartments/mqtt/tests/$(t)_test.c))
$(foreach t,$(MQTT_CODEC_TESTS),$(eval \
	TEST_SRCS_mqtt_$(t)_test := $(MQTT_CODEC_SRCS)))
$(foreach t,$(MQTT_SESSION_TESTS),$(eval \
	TEST_SRCS_mqtt_$(t)_test := $(MQTT_SESSION_SRCS)))
# The events waiting for the application (inbox.c, pure).
TEST_NAMES += mqtt_inbox_test
TEST_MAIN_mqtt_inbox_test := compartments/mqtt/tests/inbox_test.c
TEST_SRCS_mqtt_inbox_test := compartments/mqtt/inbox.c

FUZZ_TARGETS += mqtt_packet mqtt_session
FUZZ_MAIN_mqtt_packet := compartments/mqtt/fuzz/packet.c
FUZZ_SRCS_mqtt_packet := $(MQTT_CODEC_SRCS)
FUZZ_MAIN_mqtt_session := compartments/mqtt/fuzz/session.c
FUZZ_SRCS_mqtt_session := $(MQTT_SESSION_SRCS)
$(FUZZ_BIN_DIR)/mqtt_packet $(FUZZ_BIN_DIR)/mqtt_session: CFLAGS += \
	-Icompartments/mqtt -Icompartments/mqtt/tests

# The compartment: mqtt.c (main, the exports, the image's credentials)
# first; connection.c drives each connection, check.c asks TLS whose
# session it was handed before CONNECT goes out, transport.c makes its
# calls on the transport its owner delegated, events.c turns what its
# session reports into what the owner learns; inbox.c and grant.c are
# pure.
STACK_COMPARTMENTS += mqtt
COMPARTMENT_SRCS_mqtt := $(addprefix compartments/mqtt/,mqtt.c connection.c \
	check.c transport.c events.c inbox.c grant.c) $(MQTT_SESSION_SRCS)

# tests/mqtt-test.sh's compartments: an application that tries what its
# capability does not allow and streams through restarts, one that
# leaves a Will and is killed, and a hostile MQTT compartment.  Not in
# the test image: they need a broker.
MQTT_TEST_COMPARTMENTS := mqtt_test mqtt_will mqtt_hostile
compartments: $(addprefix $(BUILD)/compartments/,$(MQTT_TEST_COMPARTMENTS))
compartment-objs: $(addprefix $(OBJ)/tests/compartments/,$(addsuffix .o,$(MQTT_TEST_COMPARTMENTS)))
SCRIPT_TESTS += tests/mqtt-test.sh

# The mqtt_calls seeds, from JSON (compartments/mqtt/fuzz/make_calls_seeds.py).
mqtt-calls-seeds:
	/usr/bin/python3 compartments/mqtt/fuzz/make_calls_seeds.py \
		schema/sealnet.fbs compartments/mqtt/fuzz/corpus/mqtt_calls
.PHONY: mqtt-calls-seeds
