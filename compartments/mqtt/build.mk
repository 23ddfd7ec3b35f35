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

MQTT_TESTS := mqtt_packet_test mqtt_topic_test mqtt_session_test
TEST_NAMES += $(MQTT_TESTS)
TEST_MAIN_mqtt_packet_test := compartments/mqtt/tests/packet_test.c
TEST_SRCS_mqtt_packet_test := $(MQTT_CODEC_SRCS)
TEST_MAIN_mqtt_topic_test := compartments/mqtt/tests/topic_test.c
TEST_SRCS_mqtt_topic_test := $(MQTT_CODEC_SRCS)
TEST_MAIN_mqtt_session_test := compartments/mqtt/tests/session_test.c
TEST_SRCS_mqtt_session_test := $(MQTT_SESSION_SRCS)

FUZZ_TARGETS += mqtt_packet mqtt_session
FUZZ_MAIN_mqtt_packet := compartments/mqtt/fuzz/packet.c
FUZZ_SRCS_mqtt_packet := $(MQTT_CODEC_SRCS)
FUZZ_MAIN_mqtt_session := compartments/mqtt/fuzz/session.c
FUZZ_SRCS_mqtt_session := $(MQTT_SESSION_SRCS)
$(FUZZ_BIN_DIR)/mqtt_packet $(FUZZ_BIN_DIR)/mqtt_session: CFLAGS += \
	-Icompartments/mqtt -Icompartments/mqtt/tests
