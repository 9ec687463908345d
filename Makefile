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
# -MMD -MP: each object's header dependencies, in a .d file beside it
DEPFLAGS := -MMD -MP
CFLAGS := -std=c11 -D_GNU_SOURCE -g -O2 -Wall -Wextra -Werror -fPIC $(DEPFLAGS) \
	-DKSTATD_VERSION='"$(VERSION)"' $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) $(EXTRA_LDFLAGS)
# -mcpu=v3: 32-bit jumps and atomics (compare-and-swap), Linux 5.12 or later
BPFCFLAGS := -g -O2 -Wall -Werror=undef -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH)
INCLUDES := -Iinclude -Isrc -I. -I$(OUTPUT) -I$(OUTPUT)/bpf -Ibpf
BPF_INCLUDES := -I$(OUTPUT) -Ibpf
LIBBPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
WEB_LIBS := $(shell pkg-config --libs libmicrohttpd gnutls yaml-0.1 libdeflate libcrypt 2>/dev/null || \
	echo -lmicrohttpd -lgnutls -lyaml -ldeflate -lcrypt)
DAEMON_LIBS := $(LIBBPF_LIBS) -lelf $(WEB_LIBS) -lpthread
# test_http inflates the gzip bodies with zlib, another implementation than the daemon's
TEST_LIBS := -lz

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
	disk \
	net \
	intr \
	intr_claims \
	sched \
	syscall \
	syscall_time \
	skb_drop \
	#
# BPF objects of the daemon's own that are not providers (no kstats)
BPF_HELPERS := \
	peercred \
	hash_reader \
	#

# The daemon but main(), by layer, each directory with a README of what it
# owns and what it may call: common/ and os/ at the bottom, the engine,
# the providers (books, maps, builtin, loader, userspace), the front ends
# on top.
# The daemon's files include another directory's header by its path under
# src/ ("engine/snapshot.h"): only src/ and common/ are on their path.
COMMON_SRCS := \
	common/hugemem.c \
	common/jsonw.c \
	common/kstat_types.c \
	common/outbuf.c \
	#
OS_SRCS := \
	src/os/bpf_apart.c \
	src/os/cpus.c \
	src/os/fdpass.c \
	src/os/log.c \
	src/os/mkdirs.c \
	src/os/netns_enter.c \
	src/os/nl_link.c \
	src/os/nshelper.c \
	src/os/peercred.c \
	src/os/privs.c \
	src/os/readall.c \
	src/os/since.c \
	src/os/tick.c \
	src/os/uevent.c \
	src/os/unix_owner.c \
	#
ENGINE_SRCS := \
	src/engine/snap_rw.c \
	src/engine/snapshot.c \
	#
BOOKS_SRCS := \
	src/providers/books/mib2.c \
	src/providers/books/netns.c \
	#
MAPS_SRCS := \
	src/providers/maps/btf_check.c \
	src/providers/maps/hash_reader.c \
	src/providers/maps/keydec.c \
	src/providers/maps/keydec_drop.c \
	src/providers/maps/keydec_net.c \
	src/providers/maps/pmap.c \
	src/providers/maps/pmap_fill.c \
	src/providers/maps/refresh.c \
	src/providers/maps/schema.c \
	#
BUILTIN_SRCS := \
	src/providers/builtin/builtin.c \
	src/providers/builtin/cpu_stat_raw.c \
	src/providers/builtin/disk_dev.c \
	src/providers/builtin/disk_kstats.c \
	src/providers/builtin/net_kstats.c \
	src/providers/builtin/unix_sysinfo.c \
	#
LOADER_SRCS := \
	src/providers/loader/kidstore.c \
	src/providers/loader/loader.c \
	src/providers/loader/percpu_btf.c \
	src/providers/loader/pins.c \
	src/providers/loader/provider.c \
	src/providers/loader/provider_dir.c \
	src/providers/loader/provider_self.c \
	#
USERSPACE_SRCS := \
	src/providers/userspace/cpu_info.c \
	src/providers/userspace/spl_parse.c \
	src/providers/userspace/sysmisc.c \
	src/providers/userspace/unix_kstats.c \
	src/providers/userspace/zfs_kstats.c \
	#
IOCTL_SRCS := \
	src/serve/ioctl/ioc_batch.c \
	src/serve/ioctl/ioc_request.c \
	src/serve/ioctl/ioctl_compat.c \
	#
HTTP_SRCS := \
	src/serve/http/http_auth.c \
	src/serve/http/http_export.c \
	src/serve/http/http_listen.c \
	src/serve/http/http_neg.c \
	src/serve/http/json_render.c \
	src/serve/http/landing.c \
	src/serve/http/prom_group.c \
	src/serve/http/prom_name.c \
	src/serve/http/prom_render.c \
	src/serve/http/web_config.c \
	#
CORE_SRCS := $(COMMON_SRCS) $(OS_SRCS) $(ENGINE_SRCS) $(BOOKS_SRCS) $(MAPS_SRCS) \
	$(BUILTIN_SRCS) $(LOADER_SRCS) $(USERSPACE_SRCS) $(IOCTL_SRCS) $(HTTP_SRCS)
# Tests, fuzzers and benchmarks include the daemon's headers by name
SRC_DIRS := $(sort $(dir $(CORE_SRCS)))
TEST_INCLUDES = $(INCLUDES) $(addprefix -I,$(SRC_DIRS))

# Drop-in providers: a single .bpf.c each, no userspace code (examples/)
EXAMPLES := \
	cgroup_stats \
	signals \
	#

# Test providers, loaded as .bpf.o files the way third parties ship them
TEST_BPF := \
	khist \
	ktest \
	ktest_v2 \
	ktest_share \
	kfill \
	ktrack \
	ktrack_share \
	bad_kind \
	bad_shape \
	ktest_badkey \
	bad_prog \
	krefresh \
	krefresh_bad \
	knetdev \
	kattach \
	krecurse \
	kbig \
	#

TEST_SUITES := \
	test_abi \
	test_ioc \
	test_libkstat \
	test_batch \
	test_engine \
	test_cpu_sys \
	test_pmap \
	test_restart \
	test_concurrency \
	test_schema \
	test_sysmisc \
	test_provider_dir \
	test_examples \
	test_prom \
	test_web_config \
	test_http \
	test_json \
	test_kstat_cli \
	test_disk \
	test_disk_dev \
	test_net \
	test_intr \
	test_syscall \
	test_sched \
	test_keydec \
	test_ksreport \
	test_refresh \
	test_cpu_info \
	test_apart \
	test_hash_reader \
	#

# The kstat(1M) command, a client of libkstat
CMD_SRCS := \
	cmd/kstat.c \
	cmd/ks_args.c \
	cmd/ks_collect.c \
	cmd/ks_heap.c \
	cmd/ks_json.c \
	cmd/ks_print.c \
	cmd/ks_raw.c \
	cmd/ks_select.c \
	cmd/ks_write.c \
	cmd/ksreport.c \
	#

# libkstat and the preload shim share one client of the socket protocol
LIBKSTAT_SRCS := \
	lib/kstat_batch.c \
	lib/kstat_client.c \
	lib/libkstat.c \
	#
SHIM_SRCS := \
	lib/kstat_client.c \
	lib/kstat_preload.c \
	#
LIB_HDRS := include/kstat.h include/sys/kstat.h include/sys/sysinfo.h lib/kstat_client.h \
	lib/kstat_wire.h lib/kstat_wire_batch.h
SONAME := libkstat.so.1
# No sanitizers here: a preloaded library cannot bring ASan's runtime
LIB_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O2 -Wall -Wextra -Werror -fPIC $(DEPFLAGS) $(EXTRA_CFLAGS)
LIB_INCLUDES := -Iinclude -Ilib
# illumos-style programs the tests build against the library and the shim
ILLUMOS_PROGS := \
	ks_consumers \
	ks_ioctl \
	ks_lib \
	#

# Reports for interval use, from the kstats through libkstat (cmd/)
REPORTS := \
	khist \
	kiostat \
	kmpstat \
	#

CORE_OBJS := $(patsubst %.c,$(OUTPUT)/obj/%.o,$(CORE_SRCS))
CMD_OBJS := $(patsubst cmd/%.c,$(OUTPUT)/obj/cmd/%.o,$(CMD_SRCS)) \
	$(patsubst %.c,$(OUTPUT)/obj/%.o,$(COMMON_SRCS))
CMD_LIB_OBJS := $(filter-out $(OUTPUT)/obj/cmd/kstat.o,$(CMD_OBJS))
REPORT_BINS := $(patsubst %,$(OUTPUT)/%,$(REPORTS))
LIBS64 := $(OUTPUT)/$(SONAME) $(OUTPUT)/libkstat.so $(OUTPUT)/libkstat.a \
	$(OUTPUT)/kstat_preload.so $(OUTPUT)/kstat.pc
LIBS32 := $(OUTPUT)/lib32/$(SONAME) $(OUTPUT)/lib32/libkstat.so $(OUTPUT)/lib32/libkstat.a \
	$(OUTPUT)/lib32/kstat_preload.so
ILLUMOS_BINS := $(patsubst %,$(OUTPUT)/tests/illumos/%,$(ILLUMOS_PROGS)) \
	$(patsubst %,$(OUTPUT)/tests/illumos/%32,$(ILLUMOS_PROGS))
SKELS := $(patsubst %,$(OUTPUT)/bpf/%.skel.h,$(BPF_PROVIDERS) $(BPF_HELPERS))
TEST_BINS := $(patsubst %,$(OUTPUT)/tests/%,$(TEST_SUITES))
# tests/bpf/hostile.bpf.c built once per case
HOSTILE_BPF := squat fold link disk array hash widekey
TEST_BPF_OBJS := $(patsubst %,$(OUTPUT)/tests/%.bpf.o,$(TEST_BPF)) \
	$(patsubst %,$(OUTPUT)/tests/hostile_%.bpf.o,$(HOSTILE_BPF))
EXAMPLE_OBJS := $(patsubst %,$(OUTPUT)/examples/%.bpf.o,$(EXAMPLES))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all run test test-asan test-long tests deps format lint clean install uninstall fuzz fuzz-build bench bench-smoke bench-bins

all: $(OUTPUT)/kstatd $(OUTPUT)/kstat $(LIBS64) $(LIBS32) $(EXAMPLE_OBJS) $(REPORT_BINS)

deps:
	$(Q)scripts/deps.sh build

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bpf-mounts.sh
	exec $(OUTPUT)/kstatd $(ARGS)

tests: all $(TEST_BINS) $(TEST_BPF_OBJS) $(OUTPUT)/tests/abi32.o $(ILLUMOS_BINS) \
	$(OUTPUT)/tests/ksfixture $(OUTPUT)/tests/kstat_reader $(OUTPUT)/tests/peer_race

# The fuzzers build only for a run that names test_fuzz.sh: make fuzz runs them
test:
	$(Q)scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory tests $(if $(filter test_fuzz%,$(TESTS)),fuzz-build)
	$(Q)OUTPUT=$(OUTPUT) tests/run.sh

test-asan:
	$(Q)$(MAKE) --no-print-directory SAN=1 test

# The churn, load and restart tests at full length: 60 s of churn, 60 s of
# load, 10 SIGKILL restarts (LONG=1 make test runs every suite with them)
test-long:
	$(Q)LONG=1 TESTS="test_churn.sh test_load.sh test_restart_kill.sh" \
		$(MAKE) --no-print-directory test

BENCH_BINS := $(OUTPUT)/bench/ev_loop $(OUTPUT)/bench/attach_empty $(OUTPUT)/bench/snapshot_scale \
	$(OUTPUT)/bench/synth.bpf.o $(OUTPUT)/bench/synth_array.bpf.o

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

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/obj $(OUTPUT)/tests $(OUTPUT)/examples $(OUTPUT)/lib32 \
$(OUTPUT)/obj/lib $(OUTPUT)/obj/lib32 $(OUTPUT)/obj/cmd $(OUTPUT)/tests/illumos $(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(OUTPUT)/vmlinux.h $(OUTPUT)/syscall_nrs.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(BPF_INCLUDES) -c $< -o $@.tmp
	$(Q)# DWARF is 95% of the object and kstatd embeds it: keep only BTF
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ && rm -f $@.tmp

$(OUTPUT)/tests/%.bpf.o: tests/bpf/%.bpf.c bpf/kstat.bpf.h $(OUTPUT)/vmlinux.h | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(BPF_INCLUDES) -c $< -o $@

# tests/bpf/hostile.bpf.c, one object per case
$(OUTPUT)/tests/hostile_%.bpf.o: tests/bpf/hostile.bpf.c bpf/kstat.bpf.h $(OUTPUT)/vmlinux.h \
		| $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(BPF_INCLUDES) -DHOSTILE_$(shell echo $* | tr a-z A-Z) -c $< -o $@

$(OUTPUT)/examples/%.bpf.o: examples/%.bpf.c bpf/kstat.bpf.h $(OUTPUT)/vmlinux.h | $(OUTPUT)/examples
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(BPF_INCLUDES) -c $< -o $@

$(OUTPUT)/bpf/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUTPUT)/obj/src/providers/builtin/builtin.o: $(SKELS)
$(OUTPUT)/obj/src/os/peercred.o: $(OUTPUT)/bpf/peercred.skel.h
$(OUTPUT)/obj/src/providers/maps/hash_reader.o: $(OUTPUT)/bpf/hash_reader.skel.h
$(OUTPUT)/obj/src/providers/maps/keydec.o: $(OUTPUT)/syscall_names.h

# System call names and numbers of this architecture, from its kernel headers
# One run writes both: a grouped target (&:), or a second run would leave
# what the first fed (the BPF objects) older than the header
$(OUTPUT)/syscall_names.h $(OUTPUT)/syscall_nrs.h &: scripts/gen-syscalls.sh | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)scripts/gen-syscalls.sh "$(CC)" $(OUTPUT)/syscall_names.h $(OUTPUT)/syscall_nrs.h

$(OUTPUT)/obj/%.o: %.c | $(OUTPUT)/obj
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Ilib -c $< -o $@

$(OUTPUT)/libkstatd_core.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/kstatd: $(OUTPUT)/obj/src/kstatd.o $(OUTPUT)/libkstatd_core.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(DAEMON_LIBS) -o $@

$(OUTPUT)/tests/%: tests/%.c $(wildcard tests/*.h) $(OUTPUT)/libkstatd_core.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(TEST_INCLUDES) -Itests $< $(OUTPUT)/libkstatd_core.a $(LDFLAGS) \
		$(DAEMON_LIBS) -lcriterion $(TEST_LIBS) -o $@

$(OUTPUT)/bench/%.bpf.o: bench/bpf/%.bpf.c bench/bpf/synth.h bpf/kstat.bpf.h $(OUTPUT)/vmlinux.h | $(OUTPUT)/bench
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
	$(Q)$(CC) $(CFLAGS) $(TEST_INCLUDES) $< $(OUTPUT)/libkstatd_core.a $(LDFLAGS) $(DAEMON_LIBS) -o $@
# Suites that call libkstat in-process get it built with the suite's flags
$(OUTPUT)/tests/test_ioc $(OUTPUT)/tests/test_libkstat $(OUTPUT)/tests/test_batch: \
		$(OUTPUT)/tests/%: tests/%.c $(wildcard tests/*.h) $(LIBKSTAT_SRCS) $(LIB_HDRS) \
		$(OUTPUT)/libkstatd_core.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(TEST_INCLUDES) -Ilib -Itests $< $(LIBKSTAT_SRCS) \
		$(OUTPUT)/libkstatd_core.a $(LDFLAGS) $(DAEMON_LIBS) -lcriterion -o $@

# kstat(1M), linked with the static libkstat so that it runs from the build tree
$(OUTPUT)/obj/cmd/%.o: cmd/%.c cmd/ks.h include/kstat.h include/sys/kstat.h lib/kstat_wire.h \
		| $(OUTPUT)/obj/cmd
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iinclude -Ilib -I. -c $< -o $@

$(OUTPUT)/kstat: $(CMD_OBJS) $(OUTPUT)/libkstat.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lpthread -o $@

# The kstat command's pieces, without its main()
$(OUTPUT)/tests/test_kstat_cli: tests/test_kstat_cli.c $(CMD_LIB_OBJS) $(OUTPUT)/libkstat.a \
		| $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iinclude -Ilib -Icmd $< $(CMD_LIB_OBJS) $(OUTPUT)/libkstat.a \
		$(LDFLAGS) -lpthread -lcriterion -o $@

# The reports' arithmetic, without a daemon
$(OUTPUT)/tests/test_ksreport: tests/test_ksreport.c cmd/ksreport.c cmd/ksreport.h \
		$(OUTPUT)/libkstat.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iinclude -Icmd $< cmd/ksreport.c $(OUTPUT)/libkstat.a $(LDFLAGS) \
		-lcriterion -lm -lpthread -o $@

# libkstat and the shim, 64-bit and 32-bit
$(OUTPUT)/obj/lib/%.o: lib/%.c $(LIB_HDRS) | $(OUTPUT)/obj/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(LIB_CFLAGS) $(LIB_INCLUDES) -c $< -o $@

$(OUTPUT)/obj/lib32/%.o: lib/%.c $(LIB_HDRS) | $(OUTPUT)/obj/lib32
	$(call msg,CC-32,$@)
	$(Q)$(CC) -m32 $(LIB_CFLAGS) $(LIB_INCLUDES) -c $< -o $@

$(OUTPUT)/$(SONAME): $(patsubst lib/%.c,$(OUTPUT)/obj/lib/%.o,$(LIBKSTAT_SRCS)) lib/libkstat.map
	$(call msg,LIB,$@)
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libkstat.map \
		$(filter %.o,$^) -o $@

$(OUTPUT)/lib32/$(SONAME): $(patsubst lib/%.c,$(OUTPUT)/obj/lib32/%.o,$(LIBKSTAT_SRCS)) \
		lib/libkstat.map | $(OUTPUT)/lib32
	$(call msg,LIB-32,$@)
	$(Q)$(CC) -m32 -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libkstat.map \
		$(filter %.o,$^) -o $@

$(OUTPUT)/libkstat.so $(OUTPUT)/lib32/libkstat.so: %/libkstat.so: %/$(SONAME)
	$(Q)ln -sf $(SONAME) $@

$(OUTPUT)/libkstat.a: $(patsubst lib/%.c,$(OUTPUT)/obj/lib/%.o,$(LIBKSTAT_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/lib32/libkstat.a: $(patsubst lib/%.c,$(OUTPUT)/obj/lib32/%.o,$(LIBKSTAT_SRCS)) \
		| $(OUTPUT)/lib32
	$(call msg,AR-32,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/kstat_preload.so: $(patsubst lib/%.c,$(OUTPUT)/obj/lib/%.o,$(SHIM_SRCS))
	$(call msg,LIB,$@)
	$(Q)$(CC) -shared $^ -ldl -o $@

$(OUTPUT)/lib32/kstat_preload.so: $(patsubst lib/%.c,$(OUTPUT)/obj/lib32/%.o,$(SHIM_SRCS)) \
		| $(OUTPUT)/lib32
	$(call msg,LIB-32,$@)
	$(Q)$(CC) -m32 -shared $^ -ldl -o $@

$(REPORT_BINS): $(OUTPUT)/%: cmd/%.c cmd/ksreport.c cmd/ksreport.h $(OUTPUT)/libkstat.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LIB_CFLAGS) $(SANFLAGS) -Iinclude -Icmd $< cmd/ksreport.c $(OUTPUT)/libkstat.a \
		$(SANFLAGS) -o $@

# For pkg-config from the build tree; `make install` writes one for PREFIX
$(OUTPUT)/kstat.pc: lib/kstat.pc.in | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(CURDIR)|' -e 's|@LIBDIR@|$(abspath $(OUTPUT))|' \
		-e 's|@INCLUDEDIR@|$(CURDIR)/include|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# illumos-style test programs: plain C against <kstat.h> and <sys/kstat.h>
$(OUTPUT)/tests/illumos/ks_lib: tests/illumos/ks_lib.c tests/illumos/ks_common.h \
		$(OUTPUT)/libkstat.so | $(OUTPUT)/tests/illumos
	$(call msg,CC,$@)
	$(Q)$(CC) $(LIB_CFLAGS) -Iinclude $< -L$(OUTPUT) -lkstat -Wl,-rpath,'$$ORIGIN/../..' -o $@

$(OUTPUT)/tests/illumos/ks_lib32: tests/illumos/ks_lib.c tests/illumos/ks_common.h \
		$(OUTPUT)/lib32/libkstat.so | $(OUTPUT)/tests/illumos
	$(call msg,CC-32,$@)
	$(Q)$(CC) -m32 $(LIB_CFLAGS) -Iinclude $< -L$(OUTPUT)/lib32 -lkstat \
		-Wl,-rpath,'$$ORIGIN/../../lib32' -o $@

$(OUTPUT)/tests/illumos/ks_consumers: tests/illumos/ks_consumers.c tests/illumos/ks_common.h \
		include/sys/sysinfo.h $(OUTPUT)/libkstat.so | $(OUTPUT)/tests/illumos
	$(call msg,CC,$@)
	$(Q)$(CC) $(LIB_CFLAGS) -Iinclude $< -L$(OUTPUT) -lkstat -Wl,-rpath,'$$ORIGIN/../..' -o $@

$(OUTPUT)/tests/illumos/ks_consumers32: tests/illumos/ks_consumers.c tests/illumos/ks_common.h \
		include/sys/sysinfo.h $(OUTPUT)/lib32/libkstat.so | $(OUTPUT)/tests/illumos
	$(call msg,CC-32,$@)
	$(Q)$(CC) -m32 $(LIB_CFLAGS) -Iinclude $< -L$(OUTPUT)/lib32 -lkstat \
		-Wl,-rpath,'$$ORIGIN/../../lib32' -o $@

$(OUTPUT)/tests/illumos/ks_ioctl: tests/illumos/ks_ioctl.c tests/illumos/ks_common.h \
		| $(OUTPUT)/tests/illumos
	$(call msg,CC,$@)
	$(Q)$(CC) $(LIB_CFLAGS) -Iinclude $< -o $@

$(OUTPUT)/tests/illumos/ks_ioctl32: tests/illumos/ks_ioctl.c tests/illumos/ks_common.h \
		| $(OUTPUT)/tests/illumos
	$(call msg,CC-32,$@)
	$(Q)$(CC) -m32 $(LIB_CFLAGS) -Iinclude $< -o $@

# A libkstat reader for the churn test, with the suite's sanitizers
$(OUTPUT)/tests/kstat_reader: tests/kstat_reader.c $(OUTPUT)/libkstat.a include/kstat.h \
		| $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iinclude $< $(OUTPUT)/libkstat.a $(LDFLAGS) -o $@

# The privilege race, run as nobody from a copy: static, needs no libkstat.so
$(OUTPUT)/tests/peer_race: tests/peer_race.c $(OUTPUT)/libkstat.a include/kstat.h lib/kstat_wire.h \
		| $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iinclude -Ilib $< $(OUTPUT)/libkstat.a $(LDFLAGS) -o $@

# A daemon without BPF serving kstats the built-in providers lack
$(OUTPUT)/tests/ksfixture: tests/ksfixture.c $(OUTPUT)/libkstatd_core.a | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(TEST_INCLUDES) -Ilib $< $(OUTPUT)/libkstatd_core.a $(LDFLAGS) \
		$(DAEMON_LIBS) -o $@

# libFuzzer targets (clang only): tests/fuzz/fuzz_<target>.c on copies of
# the parsers built with coverage, ASan and UBSan.  They need no skeleton
# or kernel, so they live in build/fuzz whatever OUTPUT is.  `make fuzz`
# runs each for FUZZ_SECONDS (tests/fuzz/README.md).
FUZZ_TARGETS := \
	ioc \
	http \
	http_neg \
	web_config \
	kstat_args \
	schema \
	#
FUZZ_OUT ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -fno-omit-frame-pointer $(DEPFLAGS) \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined $(EXTRA_CFLAGS)
# The daemon without what loads BPF into the kernel (skeletons included)
FUZZ_CORE_SRCS := $(filter-out $(LOADER_SRCS) $(BUILTIN_SRCS) $(USERSPACE_SRCS) src/os/peercred.c \
	src/providers/maps/hash_reader.c,$(CORE_SRCS))
FUZZ_CORE_OBJS := $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_CORE_SRCS))
FUZZ_CMD_OBJS := $(patsubst cmd/%.c,$(FUZZ_OUT)/obj/cmd/%.o,$(filter-out cmd/kstat.c,$(CMD_SRCS))) \
	$(patsubst lib/%.c,$(FUZZ_OUT)/obj/lib/%.o,$(LIBKSTAT_SRCS)) \
	$(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(COMMON_SRCS))
FUZZ_BINS := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_OUT)/obj $(FUZZ_OUT)/obj/cmd $(FUZZ_OUT)/obj/lib:
	$(Q)mkdir -p $@

$(FUZZ_OUT)/obj/%.o: %.c | $(FUZZ_OUT)/obj
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iinclude -Isrc -I. -Ilib -I$(FUZZ_OUT) \
		-c $< -o $@

$(FUZZ_OUT)/obj/src/providers/maps/keydec.o: $(FUZZ_OUT)/syscall_names.h

$(FUZZ_OUT)/syscall_names.h: scripts/gen-syscalls.sh | $(FUZZ_OUT)/obj
	$(call msg,GEN,$@)
	$(Q)scripts/gen-syscalls.sh "$(CC)" $@ $(FUZZ_OUT)/syscall_nrs.h

$(FUZZ_OUT)/obj/cmd/%.o: cmd/%.c cmd/ks.h $(LIB_HDRS) | $(FUZZ_OUT)/obj/cmd
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iinclude -Ilib -I. -c $< -o $@

$(FUZZ_OUT)/obj/lib/%.o: lib/%.c $(LIB_HDRS) | $(FUZZ_OUT)/obj/lib
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -fPIC $(LIB_INCLUDES) -c $< -o $@

$(FUZZ_OUT)/libcore.a: $(FUZZ_CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/fuzz_kstat_args: tests/fuzz/fuzz_kstat_args.c $(FUZZ_CMD_OBJS) cmd/ks.h
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iinclude -Ilib -Icmd $< $(FUZZ_CMD_OBJS) \
		-lpthread -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OUT)/libcore.a
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iinclude -Isrc -I. $(addprefix -I,$(SRC_DIRS)) \
		-Ilib $< \
		$(FUZZ_OUT)/libcore.a \
		$(DAEMON_LIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)FUZZ_OUT=$(FUZZ_OUT) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
		tests/fuzz/run.sh $(FUZZ)

# The ABI's static assertions, checked for i386 too (gcc-multilib)
$(OUTPUT)/tests/abi32.o: tests/abi32.c include/sys/kstat.h include/sys/sysinfo.h | $(OUTPUT)/tests
	$(call msg,CC-32,$@)
	$(Q)$(CC) -m32 -std=c11 -Wall -Wextra -Werror -Iinclude -c $< -o $@

SOURCES = $(shell find bpf include common src lib cmd tests examples bench -name '*.[ch]' 2>/dev/null)

format:
	$(Q)clang-format -i $(SOURCES)

lint:
	$(Q)clang-format --dry-run --Werror $(SOURCES)
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem --suppress=unknownMacro --inline-suppr -D__x86_64__ -Iinclude \
		-Isrc -I. -Ilib common src lib cmd 2>&1

# Installation: PREFIX (default /usr/local) and DESTDIR (a staging root).
# `make uninstall` with the same PREFIX and DESTDIR removes exactly what
# `make install` put there, and the directories only kstatd uses.
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
LIB32DIR ?= $(PREFIX)/lib32
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
LIBKSTAT_VERSION := 1.0.0
LIBKSTAT_REAL := libkstat.so.$(LIBKSTAT_VERSION)
# libkstat.3 covers these; `man kstat_read` finds it through a .so link
MAN3_LINKS := kstat_open kstat_close kstat_chain_update kstat_lookup kstat_data_lookup \
	kstat_read kstat_write
D := $(DESTDIR)

# install_libs DIR BUILD-DIR: libkstat with its soname links, the archive, the shim, kstat.pc
define install_libs
	$(Q)install -d $(D)$(1)/pkgconfig
	$(Q)install -m 0755 $(2)/$(SONAME) $(D)$(1)/$(LIBKSTAT_REAL)
	$(Q)ln -sfn $(LIBKSTAT_REAL) $(D)$(1)/$(SONAME)
	$(Q)ln -sfn $(SONAME) $(D)$(1)/libkstat.so
	$(Q)install -m 0644 $(2)/libkstat.a $(D)$(1)/libkstat.a
	$(Q)install -m 0755 $(2)/kstat_preload.so $(D)$(1)/kstat_preload.so
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(1)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		lib/kstat.pc.in > $(D)$(1)/pkgconfig/kstat.pc
endef

install: all
	$(call msg,INSTALL,$(D)$(PREFIX))
	$(Q)install -d $(D)$(BINDIR) $(D)$(SBINDIR) $(D)$(INCLUDEDIR)/sys $(D)$(INCLUDEDIR)/kstatd \
		$(D)$(MANDIR)/man1 $(D)$(MANDIR)/man3 $(D)$(MANDIR)/man8 \
		$(D)$(DATADIR)/kstatd/examples $(D)$(SYSTEMDUNITDIR)
	$(Q)install -m 0755 $(OUTPUT)/kstatd $(D)$(SBINDIR)/kstatd
	$(Q)install -m 0755 $(OUTPUT)/kstat $(REPORT_BINS) $(D)$(BINDIR)/
	$(call install_libs,$(LIBDIR),$(OUTPUT))
	$(call install_libs,$(LIB32DIR),$(OUTPUT)/lib32)
	$(Q)install -m 0644 include/kstat.h $(D)$(INCLUDEDIR)/kstat.h
	$(Q)install -m 0644 include/sys/kstat.h $(D)$(INCLUDEDIR)/sys/kstat.h
	$(Q)install -m 0644 include/sys/sysinfo.h $(D)$(INCLUDEDIR)/sys/sysinfo.h
	$(Q)install -m 0644 bpf/kstat.bpf.h $(D)$(INCLUDEDIR)/kstatd/kstat.bpf.h
	$(Q)install -m 0644 docs/kstat.1 $(D)$(MANDIR)/man1/kstat.1
	$(Q)install -m 0644 docs/kiostat.1 $(D)$(MANDIR)/man1/kiostat.1
	$(Q)install -m 0644 docs/kmpstat.1 $(D)$(MANDIR)/man1/kmpstat.1
	$(Q)install -m 0644 docs/khist.1 $(D)$(MANDIR)/man1/khist.1
	$(Q)install -m 0644 docs/libkstat.3 $(D)$(MANDIR)/man3/libkstat.3
	$(Q)for f in $(MAN3_LINKS); do echo '.so man3/libkstat.3' > $(D)$(MANDIR)/man3/$$f.3; done
	$(Q)install -m 0644 docs/kstatd.8 $(D)$(MANDIR)/man8/kstatd.8
	$(Q)for e in $(EXAMPLES); do \
		install -m 0644 examples/$$e.bpf.c $(OUTPUT)/examples/$$e.bpf.o \
			$(D)$(DATADIR)/kstatd/examples/ || exit 1; done
	$(Q)sed -e 's|/usr/sbin/kstatd|$(SBINDIR)/kstatd|' deploy/systemd/kstatd.service \
		> $(D)$(SYSTEMDUNITDIR)/kstatd.service

uninstall:
	$(call msg,UNINSTALL,$(D)$(PREFIX))
	$(Q)rm -f $(D)$(SBINDIR)/kstatd $(D)$(BINDIR)/kstat \
		$(addprefix $(D)$(BINDIR)/,$(notdir $(REPORT_BINS))) \
		$(foreach d,$(LIBDIR) $(LIB32DIR),$(addprefix $(D)$(d)/,$(LIBKSTAT_REAL) $(SONAME) \
			libkstat.so libkstat.a kstat_preload.so pkgconfig/kstat.pc)) \
		$(D)$(INCLUDEDIR)/kstat.h $(D)$(INCLUDEDIR)/sys/kstat.h $(D)$(INCLUDEDIR)/sys/sysinfo.h \
		$(D)$(INCLUDEDIR)/kstatd/kstat.bpf.h \
		$(D)$(MANDIR)/man1/kstat.1 $(D)$(MANDIR)/man1/khist.1 $(D)$(MANDIR)/man1/kiostat.1 $(D)$(MANDIR)/man1/kmpstat.1 \
		$(D)$(MANDIR)/man3/libkstat.3 $(D)$(MANDIR)/man8/kstatd.8 \
		$(patsubst %,$(D)$(MANDIR)/man3/%.3,$(MAN3_LINKS)) \
		$(foreach e,$(EXAMPLES),$(D)$(DATADIR)/kstatd/examples/$(e).bpf.c \
			$(D)$(DATADIR)/kstatd/examples/$(e).bpf.o) \
		$(D)$(SYSTEMDUNITDIR)/kstatd.service
	$(Q)rmdir $(D)$(INCLUDEDIR)/kstatd $(D)$(DATADIR)/kstatd/examples $(D)$(DATADIR)/kstatd \
		2>/dev/null || true

# The Prometheus Operator's copy of the rules and alerts
deploy/kubernetes/prometheusrule.yaml: deploy/prometheus/kstatd.rules.yml \
		deploy/prometheus/kstatd.alerts.yml scripts/prometheusrule.py
	$(call msg,GEN,$@)
	$(Q)scripts/prometheusrule.py deploy/prometheus/kstatd.rules.yml \
		deploy/prometheus/kstatd.alerts.yml > $@

# what -MMD found each object to include (none before the first build)
-include $(shell find $(OUTPUT) $(FUZZ_OUT) -name '*.d' 2>/dev/null)

clean:
	$(call msg,CLEAN,build)
	$(Q)rm -rf build build-asan
