# The client libraries an application links (sdk/), with the runtime, as
# libsealnet.a: each API function is a call to the compartment that
# serves it.
SDK_SRCS += sdk/network.c sdk/network_udp.c sdk/runtime_service.c \
	sdk/start.c sdk/log_time.c sdk/tls.c sdk/mqtt.c sdk/mqtt_kept.c sdk/mqtt_run.c \
	sdk/mqtt_ahead.c
# Network time: the shared time record, sntp_update and sntp_status.
SDK_SRCS += sdk/sntp.c
$(OBJ)/sdk/%.o: CFLAGS += -Isdk
FORMAT_SRCS += $(wildcard sdk/*.[ch] sdk/tests/*.c include/sealnet/*.h)

# What the SDK's functions return without a stack (a test process that
# boots itself and plays NetAPI and TCPIP), checked against what their
# headers document.
TEST_NAMES += sdk_test sdk_import_test sdk_tls_test
TEST_SRCS_sdk_test := tests/sdk_harness.c $(SDK_SRCS)
TEST_SRCS_sdk_tls_test := tests/sdk_harness.c $(SDK_SRCS)
TEST_SRCS_sdk_import_test := tests/sdk_harness.c $(SDK_SRCS)
$(OBJ)/tests/sdk_harness.o: CFLAGS += -Itests \
	-DSDK_HEADERS='"$(CURDIR)/include/sealnet"'
FORMAT_SRCS += tests/sdk_test.c tests/sdk_import_test.c tests/sdk_harness.c \
	tests/sdk_tls_test.c \
	tests/sdk_harness.h

# Which QoS 0 publishes go ahead without waiting: a pure module.
TEST_NAMES += mqtt_ahead_test
TEST_MAIN_mqtt_ahead_test := sdk/tests/mqtt_ahead_test.c
TEST_SRCS_mqtt_ahead_test := sdk/mqtt_ahead.c
$(OBJ)/sdk/tests/mqtt_ahead_test.o: CFLAGS += -Isdk

# Each public header compiles alone, under gcc and clang.
SCRIPT_TESTS += tests/header-test.sh
