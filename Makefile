# tcpconform: see README.md. Everything is built under $(BUILD).
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= gcc

DEPS_OK := $(shell ci/install-deps.sh --check >/dev/null 2>&1 && echo yes)
ifneq ($(DEPS_OK),yes)
  DEPS_INSTALL := $(shell ci/install-deps.sh >&2 && echo done)
  ifneq ($(DEPS_INSTALL),done)
    $(error missing Debian packages: see the apt-get line above)
  endif
endif

PKGS     := libpcap yaml-0.1 libmnl
CPPFLAGS += -D_DEFAULT_SOURCE -D_GNU_SOURCE -Ilib $(shell pkg-config --cflags $(PKGS))
CFLAGS   ?= -O2 -g
# override: a CFLAGS given on the command line (make asan gives one) adds to
# these instead of dropping the warnings and the dependency files.
override CFLAGS += -std=c11 -Wall -Wextra -Werror -MMD -MP -pthread
LDLIBS   += $(shell pkg-config --libs $(PKGS)) $(shell libnet-config --libs) -lm -pthread

LIB_SRC     := $(wildcard lib/*/*.c lib/target/*/*.c)
HARNESS_SRC := $(wildcard harness/*.c)
TEST_SRC    := $(wildcard tests/*/test_*.c)

LIB_OBJ        := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB_FAULT_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj-faults/%.o)
HARNESS_OBJ    := $(HARNESS_SRC:%.c=$(BUILD)/obj/%.o)
HARNESS_FAULT_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/obj-faults/%.o)
TEST_BIN       := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
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

.PHONY: all run check unit suite faults badinput engine-mutants outputs linux asan tsan bench bench-memory bench-linux install clean
all: $(PROG) $(PROG_FAULTS) $(TEST_BIN) $(FAULT_TEST_BIN)

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
check: unit suite faults badinput engine-mutants outputs refstack-pc linux

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

suite: $(PROG)
	$(PROG) run cases/

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

install: $(PROG) install-lib
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tcpconform $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/tcpconform
	cp -r cases $(DESTDIR)$(PREFIX)/share/tcpconform/
	install -m 644 docs/tcpconform.1 $(DESTDIR)$(PREFIX)/share/man/man1/tcpconform.1

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
	MAKE="$(MAKE)" CC="$(CC)" LDFLAGS="$(LDFLAGS)" tests/refstack-pc.sh $(BUILD)

.PHONY: bench-refstack install-lib uninstall-lib refstack-pc

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(LIB_FAULT_OBJ:.o=.d) $(HARNESS_OBJ:.o=.d) $(HARNESS_FAULT_OBJ:.o=.d)
# test programs are compiled in one go; their headers are tracked too
-include $(TEST_BIN:=.d) $(FAULT_TEST_BIN:=.d)
