# The demo: for now two compartments and the calls between them.
DEMO_SRCS := demo/two_compartments.c
BINS += $(BUILD)/bin/sealnet-demo
FORMAT_SRCS += $(DEMO_SRCS)

$(BUILD)/bin/sealnet-demo: $(patsubst %.c,$(OBJ)/%.o,$(DEMO_SRCS)) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Placeholder until images are built from compartments.
$(BUILD)/images/demo.json:
	@mkdir -p $(@D)
	echo '{"placeholder": true}' > $@

demo: deps
	$(MAKE) all
	$(BUILD)/bin/sealnet-demo
