# The supervisor: the image, the sandbox, and `sealnet run`.
# The image: its model and checks, the manifests it is built from, its
# JSON in and out, and the text and files it names.
IMAGE_SRCS := supervisor/image.c supervisor/manifest.c supervisor/image_json.c \
	supervisor/image_parse.c supervisor/image_text.c supervisor/image_tls.c supervisor/image_mqtt.c
# What the image gives the SNTP compartment: time servers, the record.
IMAGE_SRCS += supervisor/image_sntp.c
SUPERVISOR_SRCS := $(IMAGE_SRCS) supervisor/sandbox.c \
	supervisor/supervisor.c supervisor/start.c supervisor/links.c \
	supervisor/control.c supervisor/notify.c supervisor/pipes.c \
	supervisor/deaths.c supervisor/poll_loop.c supervisor/report.c \
	supervisor/output.c supervisor/restart.c supervisor/events.c \
	supervisor/uids.c supervisor/files.c
# The shared time record while the image runs.
SUPERVISOR_SRCS += supervisor/time_share.c
SUPERVISOR_LDLIBS := -ljansson -lelf -lcrypto -lseccomp
FORMAT_SRCS += $(wildcard supervisor/*.[ch]) include/sealnet/compartment.h
CLI_EXTRA_OBJS += $(patsubst %.c,$(OBJ)/%.o,$(SUPERVISOR_SRCS))
CLI_LDLIBS += $(SUPERVISOR_LDLIBS)
CFLAGS += -Isupervisor

FUZZ_TARGETS += image_parse control_messages
FORMAT_SRCS += fuzz/image_parse.c fuzz/control_messages.c
FUZZ_SRCS_image_parse := $(IMAGE_SRCS)
FUZZ_LDLIBS_image_parse := $(SUPERVISOR_LDLIBS)
FUZZ_SRCS_control_messages := $(SUPERVISOR_SRCS)
FUZZ_LDLIBS_control_messages := $(SUPERVISOR_LDLIBS)

# The pure cores of the supervisor: output filtering and restart policy.
TEST_NAMES += output_test restart_test
FORMAT_SRCS += tests/output_test.c tests/restart_test.c
TEST_SRCS_output_test := supervisor/output.c
TEST_SRCS_restart_test := supervisor/restart.c

SCRIPT_TESTS += tests/image-audit-test.sh tests/supervisor-test.sh
# The audit's MQTT queries are held to the MQTT compartment's own topic
# matching (tests/tools/mqtt_topic_within.c).
everything: $(BUILD)/tools/mqtt_topic_within
# (Second expansion: the MQTT folder's build.mk is read after this.)
$(BUILD)/tools/mqtt_topic_within: \
	$$(patsubst %.c,$$(OBJ)/%.o,$$(MQTT_CODEC_SRCS))
$(OBJ)/tests/tools/mqtt_topic_within.o: CFLAGS += -Icompartments/mqtt
FORMAT_SRCS += tests/tools/mqtt_topic_within.c

TEST_NAMES += image_test
TEST_SRCS_image_test := $(IMAGE_SRCS)
TEST_LDLIBS_image_test := $(SUPERVISOR_LDLIBS)
FORMAT_SRCS += tests/image_test.c
SCRIPT_TESTS += tests/lib-test.sh

# What an image gives the SNTP compartment, from the image alone.
TEST_NAMES += image_sntp_test
TEST_SRCS_image_sntp_test := $(IMAGE_SRCS)
TEST_LDLIBS_image_sntp_test := $(SUPERVISOR_LDLIBS)
FORMAT_SRCS += tests/image_sntp_test.c
