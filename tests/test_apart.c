// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * BPF objects loaded in a child process (src/os/bpf_apart.h): the maps
 * and programs come back as the child made them, its failures and its
 * death are told, the kernel's BTF never weighs on the caller's memory,
 * and a drop-in's tracepoint, raw tracepoint and BTF tracepoint programs
 * attach from their descriptors and count.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "helpers.h"
#include "loader.h"
#include "os/bpf_apart.h"
#include "provider.h"
#include "snapshot.h"

TestSuite(apart, .init = require_bpf, .timeout = 60);

static struct bpf_object *open_ktest(void)
{
	struct bpf_object *obj = bpf_object__open_file(test_obj("ktest.bpf.o"), NULL);

	cr_assert(obj, "open ktest.bpf.o: %s", strerror(errno));
	return obj;
}

/* The peak of this process's resident memory, in kB */
static long hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

Test(apart, the_maps_and_programs_come_back_as_the_child_made_them)
{
	struct bpf_object *obj = open_ktest();
	size_t n = bpf_apart_nprogs(obj), i = 0;
	int *fds = calloc(n, sizeof(*fds)), link;
	struct bpf_program *prog;
	struct bpf_map *map;
	char err[256] = "";
	long before = hwm_kb();

	struct bpf_map_info want[32];
	size_t m = 0;

	cr_assert_gt(n, 0);
	/* what the object declares, in libbpf's order, to hold the child's maps to */
	bpf_object__for_each_map(map, obj) {
		cr_assert_lt(m, 32);
		want[m++] = (struct bpf_map_info){ .type = bpf_map__type(map),
						   .key_size = bpf_map__key_size(map),
						   .value_size = bpf_map__value_size(map),
						   .max_entries = bpf_map__max_entries(map) };
	}
	m = 0;
	cr_assert_eq(bpf_apart_load(obj, NULL, NULL, fds, err, sizeof(err)), 0, "%s", err);
	/* the kernel's BTF alone is 5 MB; libbpf holds twice that while it loads */
	cr_expect_lt(hwm_kb() - before, 2048, "the load's memory stayed in the child: %ld kB",
		     hwm_kb() - before);
	bpf_object__for_each_map(map, obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		cr_assert_geq(bpf_map__fd(map), 0, "map %s has a descriptor", bpf_map__name(map));
		cr_assert_eq(bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len), 0);
		cr_expect_eq(strncmp(info.name, bpf_map__name(map), strlen(info.name)), 0,
			     "map %s is the kernel's %s", bpf_map__name(map), info.name);
		cr_expect_eq(info.type, want[m].type, "%s", bpf_map__name(map));
		cr_expect_eq(info.key_size, want[m].key_size, "%s", bpf_map__name(map));
		cr_expect_eq(info.value_size, want[m].value_size, "%s", bpf_map__name(map));
		if (want[m].max_entries)
			cr_expect_eq(info.max_entries, want[m].max_entries, "%s",
				     bpf_map__name(map));
		m++;
	}
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		cr_assert_geq(fds[i], 0, "program %s has a descriptor", bpf_program__name(prog));
		cr_assert_eq(bpf_obj_get_info_by_fd(fds[i], &info, &len), 0);
		cr_expect_eq(info.type, bpf_program__type(prog), "%s", bpf_program__name(prog));
		cr_expect_eq(strncmp(info.name, bpf_program__name(prog), strlen(info.name)), 0);
		if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING) {
			link = bpf_apart_attach(prog, fds[i]);
			cr_expect_geq(link, 0, "attach %s: %s", bpf_program__name(prog),
				      strerror(-link));
			close(link);
		}
		close(fds[i++]);
	}
	bpf_object__close(obj);
	free(fds);
}

static int prep_refuses(struct bpf_object *obj, void *arg, char *err, size_t errlen)
{
	(void)obj;
	snprintf(err, errlen, "refused: %s", (const char *)arg);
	return -EDOM;
}

static int prep_dies(struct bpf_object *obj, void *arg, char *err, size_t errlen)
{
	(void)obj, (void)arg, (void)err, (void)errlen;
	kill(getpid(), SIGKILL);
	return 0;
}

static int prep_unloads(struct bpf_object *obj, void *arg, char *err, size_t errlen)
{
	struct bpf_program *prog;

	(void)arg, (void)err, (void)errlen;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	return 0;
}

Test(apart, a_prepare_that_refuses_is_told_with_its_words)
{
	struct bpf_object *obj = open_ktest();
	int fds[16];
	char err[256] = "";

	cr_assert_leq(bpf_apart_nprogs(obj), 16);
	cr_expect_eq(bpf_apart_load(obj, prep_refuses, "not today", fds, err, sizeof(err)), -EDOM);
	cr_expect_str_eq(err, "refused: not today");
	for (size_t i = 0; i < bpf_apart_nprogs(obj); i++)
		cr_expect_eq(fds[i], -1);
	bpf_object__close(obj);
}

Test(apart, a_loading_process_that_dies_is_told_and_reaped)
{
	struct bpf_object *obj = open_ktest();
	int fds[16], st;
	char err[256] = "";

	cr_expect_lt(bpf_apart_load(obj, prep_dies, NULL, fds, err, sizeof(err)), 0);
	cr_expect(strstr(err, "died of signal 9"), "%s", err);
	cr_expect_eq(waitpid(-1, &st, WNOHANG), -1, "no child is left");
	bpf_object__close(obj);
}

Test(apart, programs_left_unloaded_come_back_as_minus_one)
{
	struct bpf_object *obj = open_ktest();
	int fds[16];
	char err[256] = "";

	cr_assert_eq(bpf_apart_load(obj, prep_unloads, NULL, fds, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < bpf_apart_nprogs(obj); i++)
		cr_expect_eq(fds[i], -1);
	bpf_object__close(obj);
}

Test(apart, a_load_the_verifier_refuses_is_told)
{
	struct bpf_object *obj = bpf_object__open_file(test_obj("bad_prog.bpf.o"), NULL);
	int fds[16];
	char err[256] = "";

	cr_assert(obj);
	cr_expect_lt(bpf_apart_load(obj, NULL, NULL, fds, err, sizeof(err)), 0);
	cr_expect_eq(strncmp(err, "load: ", 6), 0, "%s", err);
	bpf_object__close(obj);
}

/* n forks, each child gone before the next */
static void fork_n(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		cr_assert_gt(pid, 0);
		waitpid(pid, NULL, 0);
	}
}

Test(apart, a_dropin_of_each_attachable_kind_attaches_and_counts)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .no_builtin = true, .reset = true };
	static const char *const kinds[] = { "tracepoint", "raw_tp", "tp_btf" };
	struct snap *s = snap_new();
	struct loader *ld = loader_new(s, &o);
	uint64_t before[3];
	char err[512];

	cr_assert(ld, "loader_new: %s", strerror(errno));
	cr_assert_eq(loader_add_file(ld, test_obj("kattach.bpf.o"), true, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert(loader_find(ld, "kattach")->apart, "kattach loaded in a child");
	cr_assert_geq(loader_sync(ld), 0);
	for (int k = 0; k < 3; k++)
		before[k] = read_u64(s, "kattach", 0, "forks", kinds[k]);
	fork_n(50);
	cr_assert_geq(loader_sync(ld), 0);
	for (int k = 0; k < 3; k++) {
		uint64_t now = read_u64(s, "kattach", 0, "forks", kinds[k]);

		cr_expect_geq(now - before[k], 50, "%s counted %llu of 50 forks", kinds[k],
			      (unsigned long long)(now - before[k]));
	}
	loader_free(ld);
	snap_free(s);
	remove_pin_path();
}

/* A run the kernel skips (the program already runs on that CPU) is served, as the kernel counts it */
Test(apart, the_runs_the_kernel_skips_are_counted_in_run_misses)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .no_builtin = true, .reset = true };
	uint64_t forks0, printk0, misses0, forks, printk, misses;
	struct loader *ld;
	struct snap *s;
	char err[512];

	/* without the kernel's guard, the nested bpf_printk would deadlock on trace_printk_lock */
	if (!kernel_at_least(6, 1))
		cr_skip_test(
			"kernels before 6.1 do not skip a raw tracepoint program's nested run");
	s = snap_new();
	ld = loader_new(s, &o);
	cr_assert(ld, "loader_new: %s", strerror(errno));
	cr_assert_eq(loader_add_file(ld, test_obj("krecurse.bpf.o"), true, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_geq(loader_sync(ld), 0);
	/* in the order the events happen, so that a fork elsewhere meanwhile errs on the safe side */
	misses0 = read_u64(s, "kstatd", 0, "krecurse", "run_misses");
	printk0 = read_u64(s, "krecurse", 0, "runs", "printk");
	forks0 = read_u64(s, "krecurse", 0, "runs", "fork");
	fork_n(50);
	cr_assert_geq(loader_sync(ld), 0);
	forks = read_u64(s, "krecurse", 0, "runs", "fork") - forks0;
	printk = read_u64(s, "krecurse", 0, "runs", "printk") - printk0;
	misses = read_u64(s, "kstatd", 0, "krecurse", "run_misses") - misses0;
	fprintf(stderr, "%llu forks, %llu printk runs, %llu skipped\n", (unsigned long long)forks,
		(unsigned long long)printk, (unsigned long long)misses);
	cr_expect_geq(forks, 50);
	/* each fork's line runs the printk program once; its own line finds it running */
	cr_expect_geq(printk, forks);
	cr_expect_geq(misses, forks, "every nested run the kernel skipped is counted");
	loader_free(ld);
	snap_free(s);
	remove_pin_path();
}

/* In the child: krefresh's .rodata gets a mark, ktest's programs stay unloaded, a third refuses */
static int prep_marks(struct bpf_object *obj, void *arg, char *err, size_t errlen)
{
	struct bpf_map *map;
	size_t size = 0;

	switch ((long)arg) {
	case 0:
		bpf_object__for_each_map(map, obj) {
			const void *init = bpf_map__is_internal(map)
						   ? bpf_map__initial_value(map, &size)
						   : NULL;
			unsigned char copy[256];

			if (!init || !strstr(bpf_map__name(map), ".rodata") || size < 4 ||
			    size > sizeof(copy))
				continue;
			memcpy(copy, init, size);
			memset(copy, 0xab, 4);
			return bpf_map__set_initial_value(map, copy, size);
		}
		return -ENOENT;
	case 1:
		return prep_unloads(obj, NULL, err, errlen);
	default:
		prep_unloads(obj, NULL, err, errlen);
		return prep_refuses(obj, "the third", err, errlen);
	}
}

Test(apart, what_prepares_change_comes_back_from_their_one_child)
{
	struct bpf_object *objs[3] = { bpf_object__open_file(test_obj("krefresh.bpf.o"), NULL),
				       open_ktest(), open_ktest() };
	void *args[3] = { (void *)0L, (void *)1L, (void *)2L };
	char errs[3][BPF_APART_ERRLEN] = { "", "", "" };
	const unsigned char *init = NULL;
	struct bpf_program *prog;
	int rets[3] = { 1, 1, 1 };
	struct bpf_map *map;
	size_t size = 0;

	cr_assert(objs[0]);
	cr_assert_eq(bpf_apart_prepare(objs, args, 3, prep_marks, rets, errs), 3, "all prepared");
	cr_expect_eq(rets[0], 0);
	cr_expect_eq(rets[1], 0);
	cr_expect_eq(rets[2], -EDOM);
	cr_expect_str_eq(errs[2], "refused: the third");
	bpf_object__for_each_map(map, objs[0])
		if (bpf_map__is_internal(map) && strstr(bpf_map__name(map), ".rodata"))
			init = bpf_map__initial_value(map, &size);
	cr_assert(init && size >= 4, "krefresh has a .rodata");
	for (int i = 0; i < 4; i++)
		cr_expect_eq(init[i], 0xab, "the child's .rodata came back (byte %d: %#x)", i,
			     init[i]);
	bpf_object__for_each_program(prog, objs[1])
		cr_expect_not(bpf_program__autoload(prog), "%s stays unloaded",
			      bpf_program__name(prog));
	bpf_object__for_each_program(prog, objs[2])
		cr_expect(bpf_program__autoload(prog),
			  "what a refused prepare changed stays behind");
	for (int i = 0; i < 3; i++)
		bpf_object__close(objs[i]);
}

/* From here on, this process may start threads but no process: fork fails with EAGAIN */
static void deny_fork(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* clone3: ENOSYS, so that pthread_create falls back to clone */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fork, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_vfork, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
		/* a clone without CLONE_THREAD (or fork, vfork) makes a process */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0, "%s", strerror(errno));
	cr_assert_eq(fork(), -1, "fork is denied");
	cr_assert_eq(errno, EAGAIN);
}

Test(apart, where_no_process_can_start_a_provider_loads_in_kstatd)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .no_builtin = true, .reset = true };
	struct bpf_object *obj = open_ktest();
	struct snap *s = snap_new();
	char err[512], errs[1][BPF_APART_ERRLEN];
	struct loader *ld;
	struct provider *p;
	void *arg = NULL;
	int fds[16], ret = 0;

	deny_fork();
	cr_expect_eq(bpf_apart_load(obj, NULL, NULL, fds, err, sizeof(err)), -ECHILD);
	cr_expect(strstr(err, "cannot start the loading process"), "%s", err);
	cr_expect_eq(bpf_apart_prepare(&obj, &arg, 1, prep_unloads, &ret, errs), 0,
		     "none prepared");
	cr_expect_eq(ret, -ECHILD);
	cr_expect(strstr(errs[0], "cannot start the preparing process"), "%s", errs[0]);
	bpf_object__close(obj);
	ld = loader_new(s, &o);
	cr_assert(ld, "loader_new: %s", strerror(errno));
	cr_assert_eq(loader_add_file(ld, test_obj("ktest.bpf.o"), true, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_geq(loader_sync(ld), 0);
	p = loader_find(ld, "ktest");
	cr_assert(p);
	cr_expect_not(p->apart, "loaded in process");
	cr_expect(p->attached);
	cr_expect_gt(p->nlinks, 0);
	for (size_t i = 0; i < p->nlinks; i++)
		cr_expect(p->links[i].lib && bpf_link__fd(p->links[i].lib) >= 0,
			  "libbpf's links, attached");
	cr_expect_gt(find_kid(s, "ktest", 0, "open"), 0, "its kstats are there");
	loader_free(ld);
	snap_free(s);
	remove_pin_path();
}

Test(apart, where_no_process_can_start_the_built_ins_load_in_kstatd)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .reset = true };
	struct snap *s = snap_new();
	struct loader *ld;
	struct provider *p;

	deny_fork();
	ld = loader_new(s, &o);
	cr_assert(ld, "loader_new: %s", strerror(errno));
	cr_assert_geq(loader_sync(ld), 0);
	p = loader_find(ld, "cpu_sys");
	cr_assert(p, "cpu_sys loaded");
	cr_expect_not(p->apart);
	cr_expect(p->prepared, "prepared where it loaded");
	cr_expect(p->attached);
	cr_expect_gt(find_kid(s, "cpu", 0, "sys"), 0, "its kstats are there");
	loader_free(ld);
	snap_free(s);
	remove_pin_path();
}
