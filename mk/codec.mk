# The C codec, generated from the schema at build time.
RUNTIME_SRCS += runtime/fb.c
RUNTIME_GEN_OBJS += $(OBJ)/gen/sealnet_msg.o
GENERATED_HEADERS += $(GEN)/sealnet_msg.h
FORMAT_SRCS += runtime/fb.c runtime/fb.h tools/fbsgen/fbsgen.cc

$(GEN)/fbsgen: tools/fbsgen/fbsgen.cc
	@mkdir -p $(@D)
	$(CXX_FOR_TOOLS) -std=c++17 -O1 -Wall -Wextra -Werror -o $@ $<

$(GEN)/sealnet_msg.h: $(GEN)/sealnet_msg.c
$(GEN)/sealnet_msg.c: $(GEN)/fbsgen $(GEN)/sealnet.bfbs
	$(GEN)/fbsgen $(GEN)/sealnet.bfbs $(GEN)/sealnet_msg.h $@

TEST_NAMES += codec_test
FORMAT_SRCS += tests/codec_test.c
