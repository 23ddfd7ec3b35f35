# The attack suite: hostile compartments, each going after the supervisor
# or the sandbox one way, booted by tests/attack/sandbox-attacks.sh.
# They are attackers, not applications: they link the runtime alone and
# include its headers, not the public SDK, to do what the SDK keeps an
# application from doing, such as writing control messages by hand
# (closer) or leaving the control socket unread (deaf).
ATTACK_COMPARTMENTS := terminal crasher deaf closer spy exec substitute \
	device hog
ATTACK_BINS := $(addprefix $(BUILD)/compartments/attack_,$(ATTACK_COMPARTMENTS))
FORMAT_SRCS += $(addprefix tests/attack/compartments/,$(addsuffix .c,$(ATTACK_COMPARTMENTS)))

$(BUILD)/compartments/attack_%: $(OBJ)/tests/attack/compartments/%.o $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(COMPARTMENT_LDFLAGS) -o $@ $^ $(LDLIBS)

compartments: $(ATTACK_BINS)
compartment-objs: $(addprefix $(OBJ)/tests/attack/compartments/,$(addsuffix .o,$(ATTACK_COMPARTMENTS)))

SCRIPT_TESTS += tests/attack/sandbox-attacks.sh
