# rt: build, test, install. See README.md.
#
#   make / make build   debug build into build/
#   make release        optimised build into build/release/
#   make test           install what is missing, build, run the Bats suite
#   make demo           build and run a container from the embedded rootfs
#   make bench          side-by-side benchmarks against the peers
#   make check          lint + test
#   make lint / fmt / man / install / clean

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
MODE      ?= debug
BUILD     ?= build
CXX       ?= g++
WERROR    ?=

# Anything that needs absolute paths (tests, demo) uses these.
ABS_BUILD := $(abspath $(BUILD))
BIN       := $(BUILD)/bin
ROOTFS    := $(BUILD)/rootfs

OPT_debug   := -Og -g
OPT_release := -O2 -DNDEBUG
CPPFLAGS  += -Icommon -DRT_VERSION='"$(VERSION)"' -D_GNU_SOURCE -MMD -MP
CXXFLAGS  += -std=c++20 $(OPT_$(MODE)) -Wall -Wextra $(WERROR) -fno-plt
LDFLAGS   +=

TOOLS      := $(notdir $(wildcard tools/rt-*))
COMMON_SRC := $(wildcard common/*.cpp)
COMMON_OBJ := $(COMMON_SRC:%.cpp=$(BUILD)/obj/%.o)
COMMON_LIB := $(BUILD)/libcommon.a
DEPS_STAMP := $(BUILD)/.deps-ok

# Each tool may say what it links in tools/rt-NAME/tool.mk:
#   rt-NAME_LIBS   := libraries (-l...)
#   rt-NAME_STATIC := yes     link fully static (fast exec: no dynamic loader)
-include $(wildcard tools/*/tool.mk)

.PHONY: all build release test demo bench check lint fmt man install clean deps rootfs
all build: $(TOOLS:%=$(BIN)/%) $(ROOTFS)/.ok

release:
	$(MAKE) MODE=release BUILD=build/release all

$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(@D)
	scripts/deps.sh
	@touch $@
deps: $(DEPS_STAMP)

$(BUILD)/obj/%.o: %.cpp | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

define TOOL_RULE
$(BIN)/$(1): $(patsubst %.cpp,$(BUILD)/obj/%.o,$(wildcard tools/$(1)/*.cpp)) $(COMMON_LIB)
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS) $$(LDFLAGS) $(if $(filter yes,$($(1)_STATIC)),-static,-static-libstdc++ -static-libgcc) -o $$@ $$^ $($(1)_LIBS) -lboost_program_options
endef
$(foreach t,$(TOOLS),$(eval $(call TOOL_RULE,$(t))))

# The demo and test rootfs: busybox-static and a few files, never downloaded.
rootfs: $(ROOTFS)/.ok
$(ROOTFS)/.ok: scripts/mkrootfs.sh | $(DEPS_STAMP)
	scripts/mkrootfs.sh $(ROOTFS)
	@touch $@

test: all
	scripts/run-tests.sh $(ABS_BUILD) $(TESTS)

demo: all
	scripts/demo.sh $(ABS_BUILD)

bench:
	scripts/deps.sh --bench
	$(MAKE) MODE=release BUILD=build/release all
	bench/run.sh $(abspath build/release) $(BENCH)

check: lint test

LINT_SRC := $(COMMON_SRC) $(wildcard tools/*/*.cpp)
# clang-tidy (checks in .clang-tidy, warnings are errors), one file per core.
lint: | $(DEPS_STAMP)
	@printf '%s\n' $(LINT_SRC) | xargs -P$$(nproc) -I{} clang-tidy --quiet {} -- -Icommon -D_GNU_SOURCE \
	  -DRT_VERSION='"lint"' -std=c++20 -x c++
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem --std=c++20 -Icommon $(LINT_SRC)

fmt:
	clang-format -i $(wildcard common/*.cpp common/*.hpp tools/*/*.cpp tools/*/*.hpp)

man: | $(DEPS_STAMP)
	@for m in man/*.[0-9]; do mandoc -T lint -W warning $$m || exit 1; done
	@echo "man pages: mandoc -T lint clean"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 0755 $(TOOLS:%=$(BIN)/%) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(wildcard man/*.7) $(DESTDIR)$(PREFIX)/share/man/man7/

clean:
	rm -rf build

-include $(COMMON_OBJ:.o=.d) $(foreach t,$(TOOLS),$(patsubst %.cpp,$(BUILD)/obj/%.d,$(wildcard tools/$(t)/*.cpp)))
