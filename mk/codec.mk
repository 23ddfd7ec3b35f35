# The C codec, generated from the schema at build time.
RUNTIME_SRCS += runtime/fb.c
RUNTIME_GEN_OBJS += $(OBJ)/gen/sealnet_msg.o
GENERATED_HEADERS += $(GEN)/sealnet_msg.h
# The generator, one file for each of its passes (tools/fbsgen/fbsgen.h).
FBSGEN_SRCS := $(addprefix tools/fbsgen/,fbsgen.cc schema.cc types.cc \
	accessors.cc builders.cc verifiers.cc printers.cc exports.cc)
FORMAT_SRCS += runtime/fb.c runtime/fb.h $(FBSGEN_SRCS) tools/fbsgen/fbsgen.h

$(GEN)/fbsgen: $(FBSGEN_SRCS) tools/fbsgen/fbsgen.h
	@mkdir -p $(@D)
	$(CXX_FOR_TOOLS) -std=c++17 -O1 -Wall -Wextra -Werror -o $@ $(FBSGEN_SRCS)

$(GEN)/sealnet_msg.h: $(GEN)/sealnet_msg.c
$(GEN)/sealnet_msg.c: $(GEN)/fbsgen $(GEN)/sealnet.bfbs
	$(GEN)/fbsgen $(GEN)/sealnet.bfbs $(GEN)/sealnet_msg.h $@

# Round trips (and the samples for the cross-checks), and the verifier's
# rules, over the same sample messages.
TEST_NAMES += codec_test codec_rules_test
TEST_SRCS_codec_test := tests/codec_samples.c
TEST_SRCS_codec_rules_test := tests/codec_samples.c
FORMAT_SRCS += tests/codec_test.c tests/codec_rules_test.c \
	tests/codec_samples.c tests/codec_samples.h

# The official C++ verifier, for the cross-checks.
$(BUILD)/tests-cpp/official_verify: tests/official_verify.cc $(GEN)/cpp/sealnet_generated.h
	@mkdir -p $(@D)
	$(CXX_FOR_TOOLS) -std=c++17 -O1 -Wall -Wextra -Werror -I$(GEN)/cpp -o $@ $<

CROSSCHECK_TOOLS := $(BUILD)/tests-cpp/official_verify $(GEN)/python/.stamp \
	$(BUILD)/tests/codec_test $(BUILD)/bin/sealnet
SCRIPT_TESTS += tests/codec-crosscheck.sh
crosscheck-tools: $(CROSSCHECK_TOOLS)
.PHONY: crosscheck-tools

FUZZ_TARGETS += verify differential
FORMAT_SRCS += fuzz/verify.c fuzz/differential.cc tests/official_verify.cc
