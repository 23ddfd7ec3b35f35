# The sealnet command-line tool.
CLI_SRCS := $(wildcard cli/*.c)
BINS += $(BUILD)/bin/sealnet
FORMAT_SRCS += $(CLI_SRCS) cli/cli.h

$(BUILD)/bin/sealnet: $(patsubst %.c,$(OBJ)/%.o,$(CLI_SRCS)) $$(CLI_EXTRA_OBJS) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CLI_LDLIBS) $(LDLIBS)
