# rt: build, test, install. See README.md.
#
#   make / make build   debug build into build/
#   make release        optimised build into build/release/
#   make asan           ASan+UBSan build into build/asan/, and the suite run on it
#   make fuzz           libFuzzer harnesses (fuzz/) into build/fuzz/, each run FUZZ_SECONDS
#   make test           install what is missing, build, run the unit tests, then the Bats suite
#   make unit           build and run the unit tests (*_test.cpp beside the code; no root needed)
#   make demo           build and run a container from the embedded rootfs
#   make bench          side-by-side benchmarks against the peers
#   make check          lint + test
#   make install        the release build, man pages, completion, /etc/rt (PREFIX, DESTDIR)
#   make uninstall      remove what make install installed
#   make deb            the Debian package (debian/) into build/deb/
#   make deb-check      make deb, lintian, then install it, use it, purge it (changes this machine)
#   make lint / fmt / man / clean

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
MODE      ?= debug
BUILD     ?= build
CXX       ?= g++
WERROR    ?=

# All cores unless the command line says otherwise (make -jN, make -j1).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc)
endif

# Anything that needs absolute paths (tests, demo) uses these.
ABS_BUILD := $(abspath $(BUILD))
BIN       := $(BUILD)/bin
ROOTFS    := $(BUILD)/rootfs

OPT_debug   := -Og -g
# (the compiler's flags recorded in .GCC.command.line, which stripping
# keeps: an installed binary says how it was built)
OPT_release := -O2 -DNDEBUG -frecord-gcc-switches
OPT_asan    := -O1 -g -fno-omit-frame-pointer

# MODE=asan: AddressSanitizer + UndefinedBehaviorSanitizer. ASan cannot link
# static, so the chain tools link dynamically there, except those that run
# inside the container's root (rt-NAME_IN_ROOT := yes: exec'd after
# pivot_root or setns, where the host's loader and libasan are out of reach):
# they stay static with UBSan alone, from objects of their own (obj-ubsan/).
# Every report goes to SAN_LOG_DIR (compiled in, tests/sanitize/options.cpp);
# the suite fails a test that leaves one there (tests/bats/helpers.bash).
SAN_LOG_DIR      := $(ABS_BUILD)/sanitizer-logs
SAN_asan         := -fsanitize=address,undefined
# vptr is off there: its check reads memory through pipe2(2), which a strict
# seccomp profile refuses, and reports every virtual call after the filter.
SAN_IN_ROOT_asan := -fsanitize=undefined -fno-sanitize=vptr
SAN              := $(SAN_$(MODE))
SAN_IN_ROOT      := $(SAN_IN_ROOT_$(MODE))
SAN_OBJ          := $(if $(SAN),$(BUILD)/obj/tests/sanitize/options.o)
SAN_OBJ_IN_ROOT  := $(if $(SAN),$(BUILD)/obj-ubsan/tests/sanitize/options.o)
# The flags the environment gave (dpkg-buildflags'), before the += below,
# for make install's recursive build: make exports a variable that came from
# the environment with its value here, so the sub-make would get ours twice
# (and rebuild everything, its recorded flags differing).
ENV_FLAGS := CPPFLAGS='$(CPPFLAGS)' CXXFLAGS='$(CXXFLAGS)' LDFLAGS='$(LDFLAGS)'
# common/image/: references, the OCI layout, the store (included by name, as the rest of common/).
CPPFLAGS  += -Icommon -Icommon/image -DRT_VERSION='"$(VERSION)"' -D_GNU_SOURCE -MMD -MP
CXXFLAGS  += -std=c++20 $(OPT_$(MODE)) -Wall -Wextra $(WERROR) -fno-plt
# Sections nothing refers to are dropped at link time: a chain tool's static
# binary shrinks by a quarter (rt-unshare 3.0 -> 2.3 MB), and each exec maps
# and faults in less (about 3 fewer page faults, 0.15 ms less CPU per link
# on the test VM).
LDFLAGS   += -Wl,--gc-sections

TOOLS      := $(notdir $(wildcard tools/rt-*))
# Unit tests sit beside the code they test: common/NAME_test.cpp,
# tools/rt-NAME/NAME_test.cpp.
UNIT_SRC   := $(wildcard common/*_test.cpp common/*/*_test.cpp)
TOOL_UNIT_SRC := $(wildcard tools/*/*_test.cpp)
COMMON_SRC := $(filter-out $(UNIT_SRC),$(wildcard common/*.cpp common/*/*.cpp))
# A tool's own sources: tools/rt-NAME/*.cpp but its unit tests.
tool_src = $(filter-out %_test.cpp,$(wildcard tools/$(1)/*.cpp))
COMMON_OBJ := $(COMMON_SRC:%.cpp=$(BUILD)/obj/%.o)
COMMON_LIB := $(BUILD)/libcommon.a
# Objects of tools that run in the container's root (see SAN_IN_ROOT).
IN_ROOT_OBJ := $(if $(SAN),obj-ubsan,obj)
COMMON_LIB_IN_ROOT := $(if $(SAN),$(BUILD)/libcommon-ubsan.a,$(COMMON_LIB))
# DEPS=no: build with what is installed, never run scripts/deps.sh (a
# package build: its Build-Depends are installed, the test tools are not).
DEPS_STAMP := $(if $(filter no,$(DEPS)),,$(BUILD)/.deps-ok)

# Each tool may say what it links in tools/rt-NAME/tool.mk:
#   rt-NAME_LIBS   := libraries (-l...)
#   rt-NAME_STATIC := yes     link fully static (fast exec: no dynamic loader)
#   rt-NAME_PREFAULT := yes   start at common/prefault.cpp's entry point (see below)
#   rt-NAME_ENTRY := SYMBOL   a static link's own entry point (see below)
#   rt-NAME_IN_ROOT := yes    runs inside the container's root: static in every MODE
-include $(wildcard tools/*/tool.mk)

.PHONY: all build tools release asan fuzz fuzz-build test unit demo bench check lint fmt man install uninstall deb deb-check clean deps rootfs oci-validate
all build: tools $(ROOTFS)/.ok
tools: $(TOOLS:%=$(BIN)/%)

release:
	$(MAKE) MODE=release BUILD=build/release all

$(BUILD)/.deps-ok: scripts/deps.sh
	@mkdir -p $(@D)
	scripts/deps.sh
	@touch $@
deps: $(BUILD)/.deps-ok

# The compiler and its flags, kept in $(BUILD)/.flags: every object depends
# on it, so a build whose flags changed (CXXFLAGS from the command line or
# the environment, the flags of a MODE) is rebuilt, never installed stale.
FLAGS_STAMP := $(BUILD)/.flags
BUILD_FLAGS := $(strip $(CXX) $(CPPFLAGS) $(CXXFLAGS) $(SAN) $(SAN_IN_ROOT) $(LDFLAGS))
ifneq ($(BUILD_FLAGS),$(file <$(FLAGS_STAMP)))
$(shell mkdir -p $(BUILD))
$(file >$(FLAGS_STAMP),$(BUILD_FLAGS))
endif

$(BUILD)/obj/%.o: %.cpp $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(SAN) -c $< -o $@

$(BUILD)/obj-ubsan/%.o: %.cpp $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(SAN_IN_ROOT) -DRT_SANITIZE_IN_ROOT -c $< -o $@

$(SAN_OBJ) $(SAN_OBJ_IN_ROOT): CPPFLAGS += -DRT_SANITIZER_LOG_DIR='"$(SAN_LOG_DIR)"'

$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Only what the in-root tools (rt-exec) link from common/: building all of
# it twice would double the sanitizer build. A link error that names a
# symbol of common/ means a file is missing here.
IN_ROOT_COMMON := caps chain error exe_seal fd_pass format fs log mount parse paths prefault process rlimit terminal userns
$(BUILD)/libcommon-ubsan.a: $(IN_ROOT_COMMON:%=$(BUILD)/obj-ubsan/common/%.o)
	@rm -f $@
	ar rcs $@ $^

# A tool links static if it runs in the container's root, or if it asks to
# and no sanitizer needs the dynamic loader; else dynamic with its own
# libstdc++ and libgcc.
tool_static = $(or $(filter yes,$($(1)_IN_ROOT)),$(if $(SAN),,$(filter yes,$($(1)_STATIC))))
# A static tool that says rt-NAME_PREFAULT := yes starts at
# common/prefault.cpp's entry point on x86-64, which maps its binary's
# pages before glibc's start-up (fewer page faults: see there).
PREFAULT_ARCH    := $(filter x86_64-%,$(shell $(CXX) -dumpmachine))
# (and glibc's readlink of /proc/self/exe at start-up is answered there),
# and whose headers and code common/hugetext.ld lays out in whole 2 MiB
# blocks from address 0x400000 and file offset 0 (-z noseparate-code: the
# headers in the code's segment; the read-only data stays out of it, see
# there and HACKING.md).
PREFAULT_LD      := common/hugetext.ld
PREFAULT_LDFLAGS := -Wl,-e,rt_prefault_start -Wl,-u,rt_prefault_start -Wl,--wrap=_dl_get_origin \
  -Wl,-z,noseparate-code -Wl,-T,$(PREFAULT_LD)
# A static x86-64 tool that says rt-NAME_ENTRY := SYMBOL starts there
# instead (rt-run: tools/rt-run/populate.cpp, which maps its binary as
# prefault.cpp does but stays, and keeps the usual layout).
tool_prefault = $(and $(PREFAULT_ARCH),$(call tool_static,$(1)),$(filter yes,$($(1)_PREFAULT)))
entry_ldflags = -Wl,-e,$($(1)_ENTRY) -Wl,-u,$($(1)_ENTRY)
tool_entry = $(if $(call tool_prefault,$(1)),$(PREFAULT_LDFLAGS),$(if $(and $(PREFAULT_ARCH),$(call tool_static,$(1)),$($(1)_ENTRY)),$(call entry_ldflags,$(1))))
tool_objdir = $(if $(filter yes,$($(1)_IN_ROOT)),$(IN_ROOT_OBJ),obj)
define TOOL_RULE
# (relinked when its tool.mk changes: what it links, how)
$(BIN)/$(1): $(patsubst %.cpp,$(BUILD)/$(call tool_objdir,$(1))/%.o,$(call tool_src,$(1))) \
    $(if $(filter yes,$($(1)_IN_ROOT)),$(SAN_OBJ_IN_ROOT) $(COMMON_LIB_IN_ROOT),$(SAN_OBJ) $(COMMON_LIB)) \
    $(wildcard tools/$(1)/tool.mk) $(if $(call tool_prefault,$(1)),$(PREFAULT_LD))
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS) $$(LDFLAGS) $(if $(filter yes,$($(1)_IN_ROOT)),$(SAN_IN_ROOT),$(SAN)) \
	  $(if $(call tool_static,$(1)),-static $(call tool_entry,$(1)),-static-libstdc++ -static-libgcc) \
	  -o $$@ $$(filter-out %/tool.mk %.ld,$$^) $($(1)_LIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call TOOL_RULE,$(t))))

# The demo and test rootfs: busybox-static and a few files, never downloaded.
rootfs: $(ROOTFS)/.ok
$(ROOTFS)/.ok: scripts/mkrootfs.sh | $(DEPS_STAMP)
	scripts/mkrootfs.sh $(ROOTFS)
	@touch $@

# libFuzzer harnesses, fuzz/NAME.cpp -> build/fuzz/bin/fuzz-NAME, built with
# Debian's clang (libFuzzer is clang's) and ASan+UBSan, common/ rebuilt with
# them. Each runs FUZZ_SECONDS from its seeds (fuzz/corpus/NAME, committed;
# new inputs go to build/fuzz/corpus/NAME) after replaying the crashes found
# before (fuzz/regressions/NAME). A crash leaves its input in build/fuzz/crashes/.
FUZZ_SECONDS ?= 60
FUZZ_CXX     ?= clang++-14
FUZZ_DIR     := build/fuzz
FUZZ_FLAGS   := -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZERS      := $(basename $(notdir $(wildcard fuzz/*.cpp)))
FUZZ_COMMON  := $(COMMON_SRC:%.cpp=$(FUZZ_DIR)/obj/%.o)
# Harnesses also call code that lives beside its one tool (rt-pull's
# manifest and layer parsers, rt-exec's seccomp loader, rt-unshare's id
# maps): those tools' files but main.cpp, in an archive, so that a harness
# links only what it calls.
FUZZ_TOOLS   := rt-pull rt-exec rt-unshare
FUZZ_TOOL_OBJ := $(patsubst %.cpp,$(FUZZ_DIR)/obj/%.o,$(filter-out %/main.cpp,$(foreach t,$(FUZZ_TOOLS),$(call tool_src,$(t)))))
FUZZ_LIBS    := -lcurl -larchive -lcrypto -lseccomp -lboost_filesystem

$(FUZZ_DIR)/.deps-ok: scripts/deps.sh
	@mkdir -p $(@D)
	scripts/deps.sh --fuzz
	@touch $@

$(FUZZ_DIR)/obj/%.o: %.cpp | $(FUZZ_DIR)/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(CPPFLAGS) -Itools $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/libcommon.a: $(FUZZ_COMMON)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/libtools.a: $(FUZZ_TOOL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/bin/fuzz-%: $(FUZZ_DIR)/obj/fuzz/%.o $(FUZZ_DIR)/libtools.a $(FUZZ_DIR)/libcommon.a
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

# (the objects are no intermediates to delete: a rebuild would redo them)
.SECONDARY: $(FUZZ_TOOL_OBJ) $(FUZZERS:%=$(FUZZ_DIR)/obj/fuzz/%.o)
fuzz-build: $(FUZZERS:%=$(FUZZ_DIR)/bin/fuzz-%)

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZERS)


# The whole suite (or TESTS=...) against the sanitizer build; a report from
# any process of rt fails the test that caused it (see MODE=asan above).
asan:
	$(MAKE) MODE=asan BUILD=$(BUILD)/asan test

# One small doctest program per tested module (build/unit/NAME_test), each
# linked with libcommon.a and the libraries common/ needs (no curl, archive,
# crypto or seccomp code is left there) plus libcap for fs_test. A tool's
# test (build/unit/rt-NAME/NAME_test) links the tool's files but main.cpp,
# from an archive, and the tool's libraries (rt-NAME_LIBS).
UNIT_BIN  := $(UNIT_SRC:common/%.cpp=$(BUILD)/unit/%) $(TOOL_UNIT_SRC:tools/%.cpp=$(BUILD)/unit/%)
UNIT_MAIN := $(BUILD)/obj/tests/unit_main.o
UNIT_LIBS := -lboost_program_options -lboost_filesystem -lcap
$(UNIT_MAIN): tests/unit_main.cpp $(FLAGS_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@
$(BUILD)/unit/%: $(BUILD)/obj/common/%.o $(UNIT_MAIN) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(SAN) -o $@ $^ $(UNIT_LIBS)
define TOOL_UNIT_RULE
$(BUILD)/unit/lib$(1).a: $(patsubst %.cpp,$(BUILD)/obj/%.o,$(filter-out %/main.cpp,$(call tool_src,$(1))))
	@mkdir -p $$(@D)
	@rm -f $$@
	ar rcs $$@ $$^
$(BUILD)/unit/$(1)/%: $(BUILD)/obj/tools/$(1)/%.o $(UNIT_MAIN) $(BUILD)/unit/lib$(1).a $(COMMON_LIB)
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS) $$(LDFLAGS) $$(SAN) -o $$@ $$^ $(UNIT_LIBS) $($(1)_LIBS)
endef
$(foreach t,$(sort $(patsubst tools/%/,%,$(dir $(TOOL_UNIT_SRC)))),$(eval $(call TOOL_UNIT_RULE,$(t))))
.SECONDARY: $(UNIT_SRC:%.cpp=$(BUILD)/obj/%.o) $(TOOL_UNIT_SRC:%.cpp=$(BUILD)/obj/%.o)
# tests/unit_support.hpp: what the unit tests share.
$(UNIT_SRC:%.cpp=$(BUILD)/obj/%.o) $(TOOL_UNIT_SRC:%.cpp=$(BUILD)/obj/%.o): CPPFLAGS += -Itests
# (under MODE=asan a report goes to stderr and fails the program)
UNIT_ENV  := $(if $(SAN),ASAN_OPTIONS=log_path=stderr UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $(UNIT_ENV) $$t --minimal || exit 1; done
	@echo "unit: $(words $(UNIT_BIN)) programs passed"

test: all unit
	$(if $(SAN),RT_SANITIZER_LOGS=$(SAN_LOG_DIR)) scripts/run-tests.sh $(ABS_BUILD) $(TESTS)

demo: all
	scripts/demo.sh $(ABS_BUILD)

bench:
	scripts/deps.sh --bench
	$(MAKE) MODE=release BUILD=build/release all
	bench/run.sh $(abspath build/release) $(BENCH)

# The runtime-tools validation suite against rt-oci, runc and crun (not part
# of make test): RUNTIME_TOOLS=DIR names a checkout of
# github.com/opencontainers/runtime-tools (260e151 builds offline with Go 1.19).
oci-validate: all
	@test -n "$(RUNTIME_TOOLS)" || { echo "oci-validate: set RUNTIME_TOOLS=DIR (a runtime-tools checkout)" >&2; exit 1; }
	scripts/deps.sh --bench
	scripts/oci-validate.sh $(RUNTIME_TOOLS) $(ABS_BUILD) $(OCI_TESTS)

check: lint test

LINT_SRC := $(COMMON_SRC) $(UNIT_SRC) $(wildcard tools/*/*.cpp)
# clang-tidy (checks in .clang-tidy, warnings are errors), one file per core.
lint: | $(DEPS_STAMP)
	@printf '%s\n' $(LINT_SRC) | xargs -P$$(nproc) -I{} clang-tidy --quiet {} -- -Icommon -Icommon/image -Itests -D_GNU_SOURCE \
	  -DRT_VERSION='"lint"' -std=c++20 -x c++
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem --std=c++20 -Icommon -Icommon/image -Itests $(LINT_SRC)

fmt:
	clang-format -i $(wildcard common/*.cpp common/*.hpp common/*/*.cpp common/*/*.hpp tools/*/*.cpp tools/*/*.hpp)

man: | $(DEPS_STAMP)
	@for m in man/*.[0-9]; do mandoc -T lint -W warning $$m || exit 1; done
	@echo "man pages: mandoc -T lint clean"

# make install: the release build ($(BUILD)/release), stripped (INSTALL_STRIP= keeps
# the symbols, e.g. for a packager's tool that moves them to a file of their
# own), the man pages, bash completion (completion/rt.bash as
# rt-repl, a link to it for every other tool: bash-completion loads a
# command's file by its name), zsh's (completion/rt.zsh as _rt, in
# site-functions, or vendor-completions for PREFIX=/usr as Debian's zsh
# wants), fish's (completion/rt.fish as rt-repl.fish and a link per tool in
# vendor_completions.d), and the configuration directory the tools
# read, /etc/rt (fixed: it does not follow PREFIX). make uninstall removes the
# same list of files, and /etc/rt where it is empty (networks a user made,
# or rt-net wrote, stay); directories under PREFIX stay, as automake's do.
REL_BUILD ?= $(BUILD)/release
INSTALL_STRIP ?= -s
BINDIR    := $(DESTDIR)$(PREFIX)/bin
MANDIR    := $(DESTDIR)$(PREFIX)/share/man
BASHCOMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  := $(DESTDIR)$(PREFIX)/share/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)
FISHCOMPDIR := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
CONFDIR   := $(DESTDIR)/etc/rt
MAN1      := $(notdir $(wildcard man/*.1))
MAN7      := $(notdir $(wildcard man/*.7))
INSTALLED := $(TOOLS:%=$(BINDIR)/%) $(MAN1:%=$(MANDIR)/man1/%) $(MAN7:%=$(MANDIR)/man7/%) \
  $(TOOLS:%=$(BASHCOMPDIR)/%) $(ZSHCOMPDIR)/_rt $(TOOLS:%=$(FISHCOMPDIR)/%.fish)

install:
	$(ENV_FLAGS) $(MAKE) MODE=release BUILD=$(REL_BUILD) tools
	install -d $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man7 $(BASHCOMPDIR) $(ZSHCOMPDIR) $(FISHCOMPDIR) $(CONFDIR)/networks
	install -m 0755 $(INSTALL_STRIP) $(TOOLS:%=$(REL_BUILD)/bin/%) $(BINDIR)/
	install -m 0644 $(MAN1:%=man/%) $(MANDIR)/man1/
	install -m 0644 $(MAN7:%=man/%) $(MANDIR)/man7/
	install -m 0644 completion/rt.bash $(BASHCOMPDIR)/rt-repl
	for t in $(filter-out rt-repl,$(TOOLS)); do ln -sfn rt-repl $(BASHCOMPDIR)/$$t || exit 1; done
	install -m 0644 completion/rt.zsh $(ZSHCOMPDIR)/_rt
	install -m 0644 completion/rt.fish $(FISHCOMPDIR)/rt-repl.fish
	for t in $(filter-out rt-repl,$(TOOLS)); do ln -sfn rt-repl.fish $(FISHCOMPDIR)/$$t.fish || exit 1; done

uninstall:
	rm -f $(INSTALLED)
	for d in $(CONFDIR)/networks $(CONFDIR); do [ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d || exit 1; done

# make deb: the Debian package, built by Debian's tools (debian/rules: the
# release build through make install) from a copy of this tree in
# $(DEB_DIR)/rt-VERSION, so that dpkg-buildpackage's output (rt_*.deb,
# rt-dbgsym_*.deb, .buildinfo, .changes), which goes to the parent
# directory, lands in $(DEB_DIR). make clean removes it.
DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/rt-$(VERSION)
deb:
	$(if $(filter no,$(DEPS)),,scripts/deps.sh --deb)
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -cf - --exclude=./build --exclude='./build-*' --exclude=./.git --exclude=./debian/rt \
	  --exclude=./debian/.debhelper --exclude=./debian/files --exclude='./debian/*.substvars' . | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

# make deb-check: the package above checked by lintian, installed on this
# machine with apt-get, used (a container, a pull from a local registry),
# removed and purged (tests/deb/deb.bats). It refuses to run where rt is
# installed or /etc/rt exists, and purges the package whatever happens.
deb-check: deb $(ROOTFS)/.ok
	RT_DEB_DIR=$(abspath $(DEB_DIR)) scripts/run-tests.sh $(ABS_BUILD) tests/deb

clean:
	rm -rf build

-include $(COMMON_OBJ:.o=.d) $(UNIT_SRC:%.cpp=$(BUILD)/obj/%.d) $(SAN_OBJ:.o=.d) $(SAN_OBJ_IN_ROOT:.o=.d) \
  $(if $(SAN),$(IN_ROOT_COMMON:%=$(BUILD)/obj-ubsan/common/%.d)) \
  $(foreach t,$(TOOLS),$(patsubst %.cpp,$(BUILD)/obj/%.d,$(wildcard tools/$(t)/*.cpp)))
-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/obj/*/*/*.d)
