# sealnet build.  `make` builds into build/, `make check` runs every test,
# `make demo` boots the demo image, `make fuzz` builds the libFuzzer targets.
#
# Variants share one source tree; each generates its own codec in $(BUILD)/gen:
#   build/            gcc, -O2: the tools and images people run
#   build/asan/       clang, ASan+UBSan: the unit tests again
#   build/fuzz/       clang, libFuzzer+ASan+UBSan: one binary per target
#
# Each part of the tree adds itself through a fragment in mk/.

ifeq ($(origin CC),default)
CC := gcc
endif
CXX_FOR_TOOLS := g++
BUILD ?= build
GEN := $(BUILD)/gen
OBJ := $(BUILD)/obj
SAN ?=

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wformat=2 -Wno-unused-parameter
CFLAGS := -std=c17 -D_GNU_SOURCE -O2 -g -fno-strict-aliasing $(WARN) \
	-Iinclude -Iruntime -I$(GEN) $(EXTRA_CFLAGS)
LDLIBS :=

ifeq ($(SAN),address)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -O1 -DSEALNET_DEBUG
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SAN),fuzz)
CFLAGS += -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -DSEALNET_FUZZING
endif

FUZZ_BIN_DIR := build/fuzz

# Filled in by the fragments.
RUNTIME_SRCS :=
BINS :=
SCRIPT_TESTS :=
FUZZ_TARGETS :=
TEST_NAMES :=
FORMAT_SRCS :=
RUNTIME_GEN_OBJS :=
GENERATED_HEADERS := $(GEN)/schema_hash.h

# Extra per-target sources are named through variables (TEST_SRCS_x).
.SECONDEXPANSION:

.PHONY: all everything deps check demo fuzz fuzz-long format format-check clean tests
# The boundary runtime alone, which every compartment links, and the SDK
# an application links: the runtime and the client libraries (sdk/).
RUNTIME_LIB := $(BUILD)/lib/libsealnet-runtime.a
SDK_LIB := $(BUILD)/lib/libsealnet.a
SDK_SRCS :=
STACK_COMPARTMENTS :=

# The packages come first: with -j, a prerequisite listed beside deps
# would start compiling against headers apt-get has not unpacked yet.
all: deps
	@$(MAKE) --no-print-directory everything

include $(sort $(wildcard mk/*.mk))
# Each compartment's folder brings its own fragment.
include $(sort $(wildcard compartments/*/build.mk))

RUNTIME_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(RUNTIME_SRCS)) $(RUNTIME_GEN_OBJS)
SDK_OBJS := $(RUNTIME_OBJS) $(patsubst %.c,$(OBJ)/%.o,$(SDK_SRCS))

# ---- compartments of the stack: compartments/NAME/build.mk ----
# A fragment adds NAME to STACK_COMPARTMENTS and sets COMPARTMENT_SRCS_NAME
# (its sources, the one with main() first), and may set
# COMPARTMENT_LDLIBS_NAME and COMPARTMENT_DEPS_NAME (archives it links).
# Each gets a static binary (inside its sandbox there is no file to load
# a shared library from), its objects in every compiler's build, and a
# fuzz target NAME_calls that serves its exports (fuzz/compartment_calls.c
# boots it through its own main, renamed).
COMPARTMENT_LDFLAGS := -static
FUZZ_RENAME_MAIN := $(if $(filter fuzz,$(SAN)),-Dmain=compartment_main \
	-Wno-missing-prototypes)
objects_of = $(patsubst %.c,$(OBJ)/%.o,$(1))
define compartment_rules
$(BUILD)/compartments/$(1): $(call objects_of,$(COMPARTMENT_SRCS_$(1))) \
		$(COMPARTMENT_DEPS_$(1)) $(COMPARTMENT_LIB_$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$(COMPARTMENT_LDFLAGS) -o $$@ $$^ \
		$(COMPARTMENT_LDLIBS_$(1)) $$(LDLIBS)
$(call objects_of,$(firstword $(COMPARTMENT_SRCS_$(1)))): CFLAGS += $(FUZZ_RENAME_MAIN)
compartments: $(BUILD)/compartments/$(1)
compartment-objs: $(call objects_of,$(COMPARTMENT_SRCS_$(1)))
FUZZ_TARGETS += $(1)_calls
FUZZ_SRCS_$(1)_calls += $(COMPARTMENT_SRCS_$(1))
FUZZ_DEPS_$(1)_calls := $(COMPARTMENT_DEPS_$(1))
FUZZ_LDLIBS_$(1)_calls := $(COMPARTMENT_LDLIBS_$(1))
FUZZ_CODE_$(1)_calls += $(dir $(firstword $(COMPARTMENT_SRCS_$(1))))
endef
$(foreach c,$(STACK_COMPARTMENTS),$(eval COMPARTMENT_LIB_$(c) ?= $(RUNTIME_LIB)))
$(foreach c,$(STACK_COMPARTMENTS),$(eval $(call compartment_rules,$(c))))
everything: $(BINS) $(BUILD)/images/demo.json $(BUILD)/images/test.json compartments

tests: $(addprefix $(BUILD)/tests/,$(TEST_NAMES))

deps:
	@scripts/install-deps.sh

# ---- generated codec ----

$(GEN)/sealnet.bfbs: schema/sealnet.fbs
	@mkdir -p $(GEN)
	flatc -b --schema -o $(GEN) $<

$(GEN)/cpp/sealnet_generated.h: schema/sealnet.fbs
	@mkdir -p $(GEN)/cpp
	flatc --cpp --gen-object-api -o $(GEN)/cpp $<

$(GEN)/python/.stamp: schema/sealnet.fbs
	@mkdir -p $(GEN)/python
	flatc --python -o $(GEN)/python $<
	@touch $@

$(GEN)/schema_hash.h: schema/sealnet.fbs scripts/schema-hash.sh
	@mkdir -p $(GEN)
	scripts/schema-hash.sh $< > $@.tmp && mv $@.tmp $@


# ---- compile rules ----

$(OBJ)/%.o: %.c | $(GENERATED_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/gen/%.o: $(GEN)/%.c | $(GENERATED_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(RUNTIME_LIB): $(RUNTIME_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(SDK_LIB): $(SDK_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# ---- unit tests: tests/NAME.c -> $(BUILD)/tests/NAME ----
# A fragment adds NAME to TEST_NAMES, and may set TEST_MAIN_NAME (the
# test's own source, when it lives beside the code it tests rather than
# in tests/), TEST_SRCS_NAME (extra sources, e.g. supervisor/image.c) and
# TEST_LDLIBS_NAME.

# (No % may appear in the rule itself: make would put the stem there.)
test_main = $(or $(TEST_MAIN_$(1)),tests/$(1).c)
test_obj = $(patsubst %.c,$(OBJ)/%.o,$(call test_main,$(1)))

# Every test's own source sees tests/harness.h, wherever it lives.
$(foreach t,$(TEST_NAMES),$(eval $(call test_obj,$(t)): CFLAGS += -Itests))

$(BUILD)/tests/%: $$(call test_obj,$$*) $$(addprefix $(OBJ)/,$$(subst .c,.o,$$(TEST_SRCS_$$*))) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(patsubst %.c,$(OBJ)/%.o,$(TEST_SRCS_$*)) \
		$(RUNTIME_LIB) $(TEST_LDLIBS_$*) $(LDLIBS)

# ---- fuzz targets: fuzz/NAME.c or fuzz/NAME.cc -> build/fuzz/NAME ----
# A fragment adds NAME to FUZZ_TARGETS, and may set FUZZ_SRCS_NAME and
# FUZZ_LDLIBS_NAME.

fuzz-targets: $(addprefix $(FUZZ_BIN_DIR)/,$(FUZZ_TARGETS))
.PHONY: fuzz-targets

# A target whose harness lives beside its code names it in FUZZ_MAIN_NAME.
$(FUZZ_BIN_DIR)/%: $$(or $$(FUZZ_MAIN_$$*),fuzz/$$*.c) $$(addprefix $(OBJ)/,$$(subst .c,.o,$$(FUZZ_SRCS_$$*))) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(patsubst %.c,$(OBJ)/%.o,$(FUZZ_SRCS_$*)) $(RUNTIME_LIB) \
		$(FUZZ_LDLIBS_$*) $(LDLIBS)

# A compartment's exports, NAME_calls: fuzz/compartment_calls.c with the
# compartment's own objects (FUZZ_SRCS_NAME_calls, FUZZ_DEPS_NAME_calls).
FUZZ_CALLS_HARNESS := fuzz/compartment_calls.c fuzz/call_replies.c
FORMAT_SRCS += $(FUZZ_CALLS_HARNESS) fuzz/call_replies.h
$(FUZZ_BIN_DIR)/%_calls: $(FUZZ_CALLS_HARNESS) fuzz/call_replies.h $$(addprefix $(OBJ)/,$$(subst .c,.o,$$(FUZZ_SRCS_$$*_calls))) $$(FUZZ_DEPS_$$*_calls) $(SDK_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $(FUZZ_CALLS_HARNESS) \
		$(patsubst %.c,$(OBJ)/%.o,$(FUZZ_SRCS_$*_calls)) \
		$(FUZZ_DEPS_$*_calls) $(SDK_LIB) $(FUZZ_LDLIBS_$*_calls) \
		$(LDLIBS)

$(FUZZ_BIN_DIR)/%: fuzz/%.cc $$(addprefix $(OBJ)/,$$(subst .c,.o,$$(FUZZ_SRCS_$$*))) $(RUNTIME_LIB) $(GEN)/cpp/sealnet_generated.h
	@mkdir -p $(@D)
	clang++ -std=c++17 -O1 -g -Iinclude -Iruntime -I$(GEN) -I$(GEN)/cpp \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(patsubst %.c,$(OBJ)/%.o,$(FUZZ_SRCS_$*)) \
		$(RUNTIME_LIB) $(FUZZ_LDLIBS_$*) $(LDLIBS)

# ---- check ----

# The unit tests run twice: as shipped (gcc -O2) and under ASan+UBSan.
check: deps
	$(MAKE) format-check
	scripts/check-size
	$(MAKE) all tests crosscheck-tools
	$(MAKE) BUILD=build/asan CC=clang SAN=address tests \
		build/asan/bin/sealnet compartment-objs
	scripts/run-tests build/tests
	scripts/run-tests build/asan/tests $(SCRIPT_TESTS)
	$(MAKE) fuzz
	scripts/fuzz-run --smoke $(FUZZ_TARGETS)

# ---- fuzzing ----

fuzz: deps
	$(MAKE) BUILD=build/fuzz CC=clang SAN=fuzz fuzz-targets

# The long run that feeds the ledger: FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 3600
fuzz-long: fuzz
	scripts/fuzz-run --seconds $(FUZZ_SECONDS) --ledger fuzz/LEDGER.tsv $(FUZZ_TARGETS)

# What each fuzz target's past iterations vouch for (scripts/fuzz-ledger):
# its harness, the folders of the sources it links beyond the runtime,
# the runtime, the codec and the public headers.  A change to any of them
# starts its count again.
FUZZ_COMMON_CODE := runtime include schema tools/fbsgen
fuzz-targets-list:
	@echo $(FUZZ_TARGETS)
fuzz-code-%:
	@echo $(FUZZ_COMMON_CODE) $(wildcard fuzz/$*.c fuzz/$*.cc) $(FUZZ_MAIN_$*) \
		$(if $(filter %_calls,$*),$(FUZZ_CALLS_HARNESS) fuzz/call_replies.h) \
		$(sort $(dir $(FUZZ_SRCS_$*))) $(FUZZ_CODE_$*)
.PHONY: fuzz-targets-list

# ---- formatting ----

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	clang-format --dry-run -Werror $(FORMAT_SRCS)

clean:
	rm -rf build
