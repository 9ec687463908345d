# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# kstatd: BPF providers -> skeletons -> one daemon binary, plus libkstat,
# the LD_PRELOAD shim and the kstat CLI.  Everything lands in $(OUTPUT).
# `make V=1` shows the commands; `make SAN=1` builds with ASan+UBSan into
# build-asan/.

ifeq ($(SAN),1)
OUTPUT ?= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
OUTPUT ?= build
SANFLAGS :=
endif

CC ?= cc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
PREFIX ?= /usr/local

VERSION := 0.1.0
CFLAGS := -std=c11 -D_GNU_SOURCE -g -O2 -Wall -Wextra -Werror -fPIC \
	-DKSTATD_VERSION='"$(VERSION)"' $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) $(EXTRA_LDFLAGS)
BPFCFLAGS := -g -O2 -Wall -Werror=undef -target bpf -D__TARGET_ARCH_$(ARCH)
INCLUDES := -Iinclude -Isrc -I$(OUTPUT) -I$(OUTPUT)/bpf
BPF_INCLUDES := -I$(OUTPUT) -Ibpf
LIBBPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
DAEMON_LIBS := $(LIBBPF_LIBS) -lpthread

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Built-in providers: bpf/<name>.bpf.c, embedded through bpf/<name>.skel.h
BPF_PROVIDERS := \
	cpu_sys \
	#

# The engine and the providers: everything of the daemon but main()
CORE_SRCS := \
	src/builtin.c \
	src/loader.c \
	src/loader_kstats.c \
	src/pins.c \
	src/provider_dir.c \
	src/log.c \
	src/provider.c \
	src/schema.c \
	src/snap_rw.c \
	src/snapshot.c \
	src/sysmisc.c \
	#

# Drop-in providers: a single .bpf.c each, no userspace code (examples/)
EXAMPLES := \
	cgroup_stats \
	signals \
	#

# Test providers, loaded as .bpf.o files the way third parties ship them
TEST_BPF := \
	ktest \
	ktest_v2 \
	ktest_share \
	bad_kind \
	bad_shape \
	#

TESTS := \
	test_abi \
	test_engine \
	test_cpu_sys \
	test_pmap \
	test_restart \
	test_concurrency \
	test_sysmisc \
	test_provider_dir \
	test_examples \
	#

CORE_OBJS := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(CORE_SRCS))
SKELS := $(patsubst %,$(OUTPUT)/bpf/%.skel.h,$(BPF_PROVIDERS))
TEST_BINS := $(patsubst %,$(OUTPUT)/tests/%,$(TESTS))
TEST_BPF_OBJS := $(patsubst %,$(OUTPUT)/tests/%.bpf.o,$(TEST_BPF))
EXAMPLE_OBJS := $(patsubst %,$(OUTPUT)/examples/%.bpf.o,$(EXAMPLES))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all run test test-asan tests deps format lint clean bench bench-smoke bench-bins

all: $(OUTPUT)/kstatd $(EXAMPLE_OBJS)

deps:
	$(Q)scripts/deps.sh build

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bpf-mounts.sh
	exec $(OUTPUT)/kstatd $(ARGS)

tests: all $(TEST_BINS) $(TEST_BPF_OBJS) $(OUTPUT)/tests/abi32.o

test:
	$(Q)scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)OUTPUT=$(OUTPUT) tests/run.sh

test-asan:
	$(Q)$(MAKE) --no-print-directory SAN=1 test

BENCH_BINS := $(OUTPUT)/bench/ev_loop $(OUTPUT)/bench/attach_empty $(OUTPUT)/bench/snapshot_scale \
	$(OUTPUT)/bench/empty.bpf.o $(OUTPUT)/bench/synth.bpf.o

bench-bins: all $(BENCH_BINS)

# Writes bench/results/RESULTS.md and the plots (minutes; commit the results)
bench:
	$(Q)scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory bench-bins
	$(Q)scripts/bpf-mounts.sh
	$(Q)OUTPUT=$(OUTPUT) bench/run.sh

# Every benchmark, briefly, into $(OUTPUT)/bench/smoke: keeps the harness working
bench-smoke:
	$(Q)scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory bench-bins
	$(Q)scripts/bpf-mounts.sh
	$(Q)OUTPUT=$(OUTPUT) bench/run.sh --smoke

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/obj $(OUTPUT)/tests $(OUTPUT)/examples $(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/kstat.bpf.h $(OUTPUT)/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(BPF_INCLUDES) -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o /dev/null 2>/dev/null; mv $@.tmp $@

$(OUTPUT)/tests/%.bpf.o: tests/bpf/%.bpf.c bpf/kstat.bpf.h $(OUTPUT)/vmlinux.h | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(BPF_INCLUDES) -c $< -o $@

$(OUTPUT)/examples/%.bpf.o: examples/%.bpf.c bpf/kstat.bpf.h $(OUTPUT)/vmlinux.h | $(OUTPUT)/examples
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(BPF_INCLUDES) -c $< -o $@

$(OUTPUT)/bpf/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUTPUT)/obj/builtin.o: $(SKELS)

$(OUTPUT)/obj/%.o: src/%.c $(wildcard src/*.h) include/sys/kstat.h | $(OUTPUT)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/libkstatd_core.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/kstatd: $(OUTPUT)/obj/kstatd.o $(OUTPUT)/libkstatd_core.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(DAEMON_LIBS) -o $@

$(OUTPUT)/tests/%: tests/%.c $(wildcard tests/*.h) $(OUTPUT)/libkstatd_core.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests $< $(OUTPUT)/libkstatd_core.a $(LDFLAGS) \
		$(DAEMON_LIBS) -lcriterion -o $@

$(OUTPUT)/bench/%.bpf.o: bench/bpf/%.bpf.c bpf/kstat.bpf.h $(OUTPUT)/vmlinux.h | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(BPF_INCLUDES) -c $< -o $@

$(OUTPUT)/bench/ev_loop: bench/ev_loop.c | $(OUTPUT)/bench
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDFLAGS) -o $@

$(OUTPUT)/bench/attach_empty: bench/attach_empty.c | $(OUTPUT)/bench
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDFLAGS) $(LIBBPF_LIBS) -o $@

$(OUTPUT)/bench/snapshot_scale: bench/snapshot_scale.c $(OUTPUT)/libkstatd_core.a | $(OUTPUT)/bench
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $< $(OUTPUT)/libkstatd_core.a $(LDFLAGS) $(DAEMON_LIBS) -o $@

# The ABI's static assertions, checked for i386 too (gcc-multilib)
$(OUTPUT)/tests/abi32.o: tests/abi32.c include/sys/kstat.h | $(OUTPUT)/tests
	$(call msg,CC-32,$@)
	$(Q)$(CC) -m32 -std=c11 -Wall -Wextra -Werror -Iinclude -c $< -o $@

SOURCES = $(shell find bpf include src lib cmd tests examples bench -name '*.[ch]' 2>/dev/null)

format:
	$(Q)clang-format -i $(SOURCES)

lint:
	$(Q)clang-format --dry-run --Werror $(SOURCES)
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem --suppress=unknownMacro --inline-suppr -D__x86_64__ -Iinclude -Isrc \
		src lib cmd 2>&1

clean:
	$(call msg,CLEAN,build)
	$(Q)rm -rf build build-asan
