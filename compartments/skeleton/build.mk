# The skeleton compartment: a template.  Copy the folder, rename, and add
# the service to the schema; see docs/layout.md.
SKELETON_DIR := compartments/skeleton

# The binary, its objects in every compiler's build and its fuzz target
# skeleton_calls come from the top Makefile's template.
STACK_COMPARTMENTS += skeleton
COMPARTMENT_SRCS_skeleton := $(SKELETON_DIR)/skeleton.c \
	$(SKELETON_DIR)/greeting.c

# The folder's headers are its own.
$(OBJ)/$(SKELETON_DIR)/%.o: CFLAGS += -I$(SKELETON_DIR)
$(FUZZ_BIN_DIR)/skeleton_greeting: CFLAGS += -I$(SKELETON_DIR)

TEST_NAMES += skeleton_greeting_test
TEST_MAIN_skeleton_greeting_test := $(SKELETON_DIR)/tests/greeting_test.c
TEST_SRCS_skeleton_greeting_test := $(SKELETON_DIR)/greeting.c

FUZZ_TARGETS += skeleton_greeting
FUZZ_MAIN_skeleton_greeting := $(SKELETON_DIR)/fuzz/greeting.c
FUZZ_SRCS_skeleton_greeting := $(SKELETON_DIR)/greeting.c

FORMAT_SRCS += $(wildcard $(SKELETON_DIR)/*.[ch] $(SKELETON_DIR)/tests/*.c \
	$(SKELETON_DIR)/fuzz/*.c)
