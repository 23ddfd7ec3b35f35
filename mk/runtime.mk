# The boundary runtime: channels, the event loop and handles.
RUNTIME_SRCS += runtime/channel.c runtime/channel_parent.c runtime/loop.c runtime/handle.c runtime/boot.c
# What the boot message says of the compartment itself (own capabilities,
# the time record), apart from boot.c's peers.
RUNTIME_SRCS += runtime/boot_self.c
FORMAT_SRCS += runtime/boot_self.c runtime/boot_self.h
FORMAT_SRCS += runtime/channel.c runtime/channel_parent.c runtime/channel.h \
	runtime/loop.c \
	runtime/loop.h runtime/handle.c runtime/handle.h runtime/channel_shm.h \
	runtime/boot.c runtime/boot.h runtime/clock.h include/sealnet/errors.h

FUZZ_TARGETS += channel_receive
FORMAT_SRCS += fuzz/channel_receive.c
TEST_NAMES += channel_test channel_process_test loop_test handle_test
FORMAT_SRCS += tests/channel_test.c tests/channel_process_test.c \
	tests/loop_test.c tests/handle_test.c
# channel_test writes the ring between receive's copy and the caller's
# verification, through a hook that only this object of channel.c has.
TEST_SRCS_channel_test := test-hooks/runtime/channel.c
$(OBJ)/tests/channel_test.o: CFLAGS += -DSEALNET_TEST_HOOKS
$(OBJ)/test-hooks/%.o: %.c | $(GENERATED_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DSEALNET_TEST_HOOKS -MMD -MP -c $< -o $@
TEST_NAMES += boot_test
FORMAT_SRCS += tests/boot_test.c
