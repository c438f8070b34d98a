# tcpconform: see README.md. Everything is built under $(BUILD).
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= gcc

# The Debian packages (ci/install-deps.sh) are checked, and as root the
# missing ones installed, only for goals that build something; never for a
# dry run (-n, -q, -t), `make DEPS=no`, or goals that build nothing. Goals
# that only build the programs need the build group; every other goal (the
# test goals, and any goal not named here) needs the test group too.
DEPS           ?= yes
NO_DEPS_GOALS  := clean uninstall uninstall-lib help
BUILD_GOALS    := all programs run install install-lib bench bench-memory bench-linux
BUILD_FILE_GOALS := $(BUILD)/tcpconform $(BUILD)/tcpconform-faults $(BUILD)/libtc.a $(BUILD)/libtc-faults.a \
		    $(BUILD)/obj/% $(BUILD)/obj-faults/% $(BUILD)/cases-dir.txt
DEPS_GOALS     := $(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all))
DEPS_DRY_RUN   := $(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring q,$(firstword -$(MAKEFLAGS)))$(findstring t,$(firstword -$(MAKEFLAGS)))
DEPS_GROUP     := $(if $(filter-out $(BUILD_GOALS) $(BUILD_FILE_GOALS),$(DEPS_GOALS)),all,build)
ifeq ($(DEPS)$(DEPS_DRY_RUN),yes)
ifneq ($(DEPS_GOALS),)
  DEPS_OK := $(shell ci/install-deps.sh --check $(DEPS_GROUP) >/dev/null 2>&1 && echo yes)
  ifneq ($(DEPS_OK),yes)
    DEPS_INSTALL := $(shell ci/install-deps.sh $(DEPS_GROUP) >&2 && echo done)
    ifneq ($(DEPS_INSTALL),done)
      $(error missing packages ($(DEPS_GROUP)): see the lines above; DEPS=no skips this check)
    endif
  endif
endif
endif

reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))

PKGS     := libpcap yaml-0.1 libmnl libnftnl
CPPFLAGS += -D_DEFAULT_SOURCE -D_GNU_SOURCE -Ilib $(shell pkg-config --cflags $(PKGS))
CFLAGS   ?= -O2 -g
# override: a CFLAGS given on the command line (make asan gives one) adds to
# these instead of dropping the warnings and the dependency files.
# WERROR=0 (for packagers, whose compilers may warn about more) keeps the
# warnings but drops -Werror; our builds and CI keep it.
WERROR   ?= 1
override CFLAGS += -std=c11 -Wall -Wextra $(if $(filter 0,$(WERROR)),,-Werror) -MMD -MP -pthread
LDLIBS   += $(shell pkg-config --libs $(PKGS)) $(shell libnet-config --libs) -lm -pthread

LIB_SRC     := $(wildcard lib/*/*.c lib/target/*/*.c)

# The lwip target only with Debian's liblwip-dev (pkg-config lwip). Its
# headers go in with -isystem, for lib/target/lwip and its test only: they
# are lwIP's (unused parameters, casts), not ours to hold to -Werror.
HAVE_LWIP := $(shell pkg-config --exists lwip && echo yes)
ifeq ($(HAVE_LWIP),yes)
  LWIP_CPPFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags lwip))
  CPPFLAGS += -DTC_HAVE_LWIP
  LDLIBS   += $(shell pkg-config --libs lwip)
  $(BUILD)/obj/lib/target/lwip/%.o $(BUILD)/obj-faults/lib/target/lwip/%.o $(BUILD)/tests/target/test_target_lwip: CPPFLAGS += $(LWIP_CPPFLAGS)
else
  LIB_SRC := $(filter-out lib/target/lwip/%,$(LIB_SRC))
  $(info tcpconform: the lwip target is not built: liblwip-dev is not installed (pkg-config lwip))
endif
HARNESS_SRC := $(wildcard harness/*.c)
TEST_SRC    := $(wildcard tests/*/test_*.c)

LIB_OBJ        := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB_FAULT_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj-faults/%.o)
HARNESS_OBJ    := $(HARNESS_SRC:%.c=$(BUILD)/obj/%.o)
HARNESS_FAULT_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/obj-faults/%.o)
TEST_BIN       := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# Drives an agent in tests/agent.sh (no cmocka: a program of its own).
AGENT_DRIVE    := $(BUILD)/tests/agent-drive
# Unit tests of the seeded faults themselves, built against the faults library.
FAULT_TEST_BIN := $(BUILD)/tests-faults/refstack/test_faults

PROG        := $(BUILD)/tcpconform
PROG_FAULTS := $(BUILD)/tcpconform-faults

# The reference stack as a library of its own: lib/refstack alone (it needs
# only the C library and lib/seg's plain types, seg_types.h).
REFSTACK_LIB   := $(BUILD)/librefstack.a
REFSTACK_OBJ   := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard lib/refstack/*.c))
REFSTACK_HDR   := lib/refstack/refstack.h lib/refstack/refstack_codec.h lib/seg/seg_types.h
REFSTACK_BENCH := $(BUILD)/bench/refstack


.PHONY: all run check unit suite faults badinput engine-mutants outputs coverage select junit case-schema suite-lwip reports html pcap remote agent suite-refnet faults-refnet linux asan tsan bench bench-memory bench-linux install clean programs tests manpage install-test uninstall help FORCE refstack-pc bench-refstack install-lib uninstall-lib
# The programs only: they need no cmocka and no tshark. The test programs
# are built by the test goals (or `make tests`).
all programs: $(PROG) $(PROG_FAULTS)
tests: $(TEST_BIN) $(FAULT_TEST_BIN) $(AGENT_DRIVE)

# Where the program looks for the suite when `tcpconform run` is given no
# PATH and nothing else names a folder (harness/cases_dir.c). Only the one
# object that uses it gets it; the file below changes when PREFIX does, so
# that object is rebuilt for a new PREFIX and for nothing else.
CASES_DIR_DEFAULT := $(PREFIX)/share/tcpconform/cases
CASES_DIR_OBJ     := $(BUILD)/obj/harness/cases_dir.o $(BUILD)/obj-faults/harness/cases_dir.o
$(CASES_DIR_OBJ): $(BUILD)/cases-dir.txt
$(CASES_DIR_OBJ): CPPFLAGS += -DTCPCONFORM_CASES_DIR='"$(CASES_DIR_DEFAULT)"'
$(BUILD)/cases-dir.txt: FORCE
	@mkdir -p $(@D)
	@echo '$(CASES_DIR_DEFAULT)' | cmp -s - $@ || echo '$(CASES_DIR_DEFAULT)' > $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The faults build: the same sources with the seeded faults compiled in.
$(BUILD)/obj-faults/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DREFSTACK_FAULTS $(CFLAGS) -c $< -o $@

$(BUILD)/libtc.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libtc-faults.a: $(LIB_FAULT_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(REFSTACK_LIB): $(REFSTACK_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Linked with librefstack.a and nothing else: no libnet, no lib/seg code.
$(REFSTACK_BENCH): bench/refstack.c $(REFSTACK_LIB)
	@mkdir -p $(@D)
	$(CC) -Ilib $(CFLAGS) $(LDFLAGS) $< $(REFSTACK_LIB) -o $@

$(PROG): $(HARNESS_OBJ) $(BUILD)/libtc.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(PROG_FAULTS): $(HARNESS_FAULT_OBJ) $(BUILD)/libtc-faults.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(BUILD)/libtc.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(BUILD)/libtc.a $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests-faults/%: tests/%.c $(BUILD)/libtc-faults.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DREFSTACK_FAULTS $(CFLAGS) $< $(BUILD)/libtc-faults.a $(LDLIBS) -lcmocka -o $@

# The main job: the whole suite against the bundled reference stack.
run: $(PROG)
	$(PROG) run cases/

# Unit tests, then the suite, then the proofs that the suite can fail and
# that bad input is refused.
check: unit suite faults badinput engine-mutants outputs coverage select junit case-schema suite-lwip reports manpage install-test html pcap refstack-pc remote agent suite-refnet faults-refnet linux

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

suite: $(PROG)
	$(PROG) run cases/

# The suite on Debian's lwIP (the lwip target; says SKIP when not built).
suite-lwip: $(PROG)
	@if [ "$(HAVE_LWIP)" = yes ]; then echo "$(PROG) run --target lwip cases/"; \
		$(PROG) run --target lwip cases/; \
	else echo "suite-lwip: SKIP the lwip target is not built (install liblwip-dev)"; fi

faults: $(PROG) $(PROG_FAULTS) $(FAULT_TEST_BIN)
	$(FAULT_TEST_BIN)
	tests/faults.sh $(BUILD)

badinput: $(PROG)
	tests/bad-input.sh $(BUILD)

# Proves the engine's tests can fail: each patch in tests/engine-mutants/
# changes one thing a verdict depends on, and the engine test must fail.
engine-mutants: $(BUILD)/tests/engine/test_engine
	tests/engine-mutants.sh $(BUILD)

# Report files written through symlinks, FIFOs and devices; signals; bad paths.
outputs: $(PROG)
	tests/outputs.sh $(BUILD)

# The requirement matrix counts exactly what the cases claim.
coverage: $(PROG)
	tests/coverage.sh $(BUILD)

# --shard, --tag, --rfc, --requirement, --repeat and --color on the ref target.
select: $(PROG)
	tests/select.sh $(BUILD)

# The JUnit report against tests/report/junit.xsd and as junitparser reads it.
junit: $(PROG) $(PROG_FAULTS)
	tests/junit.sh $(BUILD)

# docs/case.schema.json against every case, the bad cases and made-up ones.
case-schema: $(PROG)
	tests/case-schema.sh $(BUILD)

# The JSON and TAP reports read by jsonschema, prove and a YAML parser.
reports: $(PROG) $(PROG_FAULTS)
	tests/reports.sh $(BUILD)

# Every long option of every --help is in the man page.
manpage: $(PROG) $(PROG_FAULTS)
	tests/manpage.sh $(BUILD)

# make install/uninstall into temporary folders (a build of its own), the
# installed program finding its suite, the package check's goals.
install-test: $(PROG)
	tests/install.sh $(BUILD)
# The HTML report: the page parsed (Python's html.parser) and rendered
# (headless Chromium; SKIP when it cannot run here).
html: $(PROG) $(PROG_FAULTS)
	tests/html.sh $(BUILD)
# Capture files read back by tshark: comments, checksums, --pcap, names.
pcap: $(PROG) $(PROG_FAULTS)
	tests/pcap.sh $(BUILD)

# The remote target against a Linux host in a namespace pair (root; says
# SKIP without it): the agentless subset, the safety rails, the cleanup.
REMOTE_HOST := $(BUILD)/tests-remote/remote_host
$(REMOTE_HOST): tests/remote/remote_host.c $(BUILD)/libtc.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(BUILD)/libtc.a $(LDLIBS) -o $@
remote: $(PROG) $(REMOTE_HOST)
	tests/remote.sh $(BUILD)
$(AGENT_DRIVE): tests/agent/agent_drive.c $(BUILD)/libtc.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(BUILD)/libtc.a $(LDLIBS) -o $@

# `tcpconform agent --stack linux` in a namespace, driven through the client
# (root; says SKIP without namespaces).
agent: $(PROG) $(AGENT_DRIVE)
	tests/agent.sh $(BUILD)

# The whole suite on ref-net (the reference stack as an agent process on a
# veth, real time; about 2 minutes, most of it TIME-WAIT waits in parallel).
suite-refnet: $(PROG)
	@if unshare -n true 2>/dev/null; then echo "$(PROG) run --target ref-net cases/"; \
		$(PROG) run --target ref-net -q cases/; \
	else echo "suite-refnet: SKIP cannot create a network namespace"; fi

# The seeded faults caught on ref-net, through the wire (root).
faults-refnet: $(PROG) $(PROG_FAULTS)
	tests/faults-refnet.sh $(BUILD)

# The linux target on the real kernel (root; says SKIP without it).
linux: $(PROG)
	tests/linux-target.sh $(BUILD)
	tests/linux-cleanup.sh $(BUILD)

asan:
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" check

# ThreadSanitizer over the parallel paths: the ref suite and the linux
# target's quick cases with 4 workers; any report fails the run.
TSAN_RUN := TSAN_OPTIONS="halt_on_error=1 exitcode=66" build/tsan/tcpconform run --jobs 4 -q
tsan:
	$(MAKE) BUILD=build/tsan CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" build/tsan/tcpconform
	$(TSAN_RUN) cases/
	@if unshare -n true 2>/dev/null; then \
		echo "tsan: linux target, 4 workers"; \
		$(TSAN_RUN) --target linux -f 'cases/handshake/*' -f 'cases/rst/*' -f 'cases/data/*' cases/; \
	else echo "tsan: SKIP linux target: cannot create a network namespace"; fi

bench: $(PROG) $(REFSTACK_BENCH)
	bench/suite-ref $(BUILD)
	$(REFSTACK_BENCH)

# Bulk 1460-byte segments through refstack_input (goal: 2,000,000 a second).
bench-refstack: $(REFSTACK_BENCH)
	$(REFSTACK_BENCH)

# Peak RSS of 4,000 case runs on ref.
bench-memory: $(PROG)
	bench/memory $(BUILD)

# The linux target's benchmarks: the whole suite several times, in real
# time (tens of minutes; root).
bench-linux: $(PROG)
	bench/suite-linux $(BUILD)
	bench/suite-linux --load $(BUILD)
	bench/linux-verdicts --load $(BUILD) 3

# What `make install` puts under $(DESTDIR)$(PREFIX), and `make uninstall`
# removes again: the program (not tcpconform-faults, a test tool with
# seeded faults, not a stack checker), the suite, the docs, the man page.
# The lists come from the source tree, so the two stay in step.
BINDIR    := $(PREFIX)/bin
CASESDIR  := $(PREFIX)/share/tcpconform/cases
DOCDIR    := $(PREFIX)/share/doc/tcpconform
MAN1DIR   := $(PREFIX)/share/man/man1
CASE_DIRS  := $(sort $(shell find cases -type d))
CASE_FILES := $(sort $(shell find cases -type f))
DOC_FILES  := README.md $(wildcard docs/*.md)

# The reference stack's library, headers and refstack.pc go with it (install-lib).
install: $(PROG) install-lib
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(CASESDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(MAN1DIR)
	install -m 755 $(PROG) $(DESTDIR)$(BINDIR)/tcpconform
	for d in $(CASE_DIRS:cases%=%); do install -d $(DESTDIR)$(CASESDIR)$$d || exit 1; done
	for f in $(CASE_FILES:cases/%=%); do install -m 644 cases/$$f $(DESTDIR)$(CASESDIR)/$$f || exit 1; done
	install -m 644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 644 docs/tcpconform.1 $(DESTDIR)$(MAN1DIR)/tcpconform.1

# Only what install put there; a folder of ours that holds something else
# is left, and said so. bin/ and man1/ are shared and stay.
uninstall: uninstall-lib
	rm -f $(DESTDIR)$(BINDIR)/tcpconform $(DESTDIR)$(MAN1DIR)/tcpconform.1
	rm -f $(addprefix $(DESTDIR)$(CASESDIR)/,$(CASE_FILES:cases/%=%))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	@for d in $(addprefix $(DESTDIR)$(CASESDIR),$(call reverse,$(CASE_DIRS:cases%=%))) \
		$(DESTDIR)$(CASESDIR) $(DESTDIR)$(PREFIX)/share/tcpconform $(DESTDIR)$(DOCDIR); do \
		[ ! -d "$$d" ] || rmdir "$$d" 2>/dev/null || echo "uninstall: $$d holds other files: left"; \
	done

help:
	@echo 'make [DEPS=no] [WERROR=0] [BUILD=dir] [PREFIX=/usr/local] [DESTDIR=] GOAL'
	@echo '  all (default)  the programs: $(PROG), $(PROG_FAULTS)'
	@echo '  run            build, then the whole suite against the reference stack'
	@echo '  check          every test (the CI command); unit, suite, faults, badinput,'
	@echo '                 engine-mutants, outputs, manpage, install-test, agent, suite-refnet,'
	@echo '                 faults-refnet, linux one by one'
	@echo '  tests          the test programs (cmocka)'
	@echo '  asan, tsan     check under the sanitizers'
	@echo '  bench, bench-memory, bench-linux   benchmarks'
	@echo '  install, uninstall   under $$(DESTDIR)$$(PREFIX)'
	@echo '  clean          remove $(BUILD)'
	@echo 'DEPS=no skips checking (and installing) the Debian packages; WERROR=0 drops -Werror.'

# The reference stack's library, its headers (includes rewritten to sit side
# by side in include/refstack/) and its pkg-config file.
REFSTACK_INC := $(DESTDIR)$(PREFIX)/include/refstack
REFSTACK_PC  := $(DESTDIR)$(PREFIX)/lib/pkgconfig/refstack.pc
install-lib: $(REFSTACK_LIB)
	install -d $(REFSTACK_INC) $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(REFSTACK_LIB) $(DESTDIR)$(PREFIX)/lib/librefstack.a
	for h in $(REFSTACK_HDR); do \
		sed 's|"\.\./seg/seg_types\.h"|"seg_types.h"|' $$h >$(REFSTACK_INC)/$${h##*/} && \
		chmod 644 $(REFSTACK_INC)/$${h##*/} || exit 1; \
	done
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
		'Name: refstack' 'Description: the tcpconform reference TCP stack (RFC 9293), a pure state machine' \
		'Version: 0.1.0' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lrefstack' >$(REFSTACK_PC)
	chmod 644 $(REFSTACK_PC)

uninstall-lib:
	rm -f $(DESTDIR)$(PREFIX)/lib/librefstack.a $(REFSTACK_PC) $(addprefix $(REFSTACK_INC)/,$(notdir $(REFSTACK_HDR)))
	if [ -d $(REFSTACK_INC) ]; then rmdir $(REFSTACK_INC); fi

# Installs the library into a temporary DESTDIR, builds and runs a passive
# open against it with pkg-config's flags alone (plus LDFLAGS: a sanitizer
# build's archive needs its runtime), uninstalls.
refstack-pc: $(REFSTACK_LIB)
	@# no $$(MAKE) on this line: make would run it even under -n
	CC="$(CC)" LDFLAGS="$(LDFLAGS)" tests/refstack-pc.sh $(BUILD)

.PHONY: bench-refstack install-lib uninstall-lib refstack-pc

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(LIB_FAULT_OBJ:.o=.d) $(HARNESS_OBJ:.o=.d) $(HARNESS_FAULT_OBJ:.o=.d)
# test programs are compiled in one go; their headers are tracked too
-include $(TEST_BIN:=.d) $(FAULT_TEST_BIN:=.d) $(AGENT_DRIVE:=.d)
