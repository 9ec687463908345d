// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The drop-in examples count exactly what the test does: a cgroup the
 * test creates runs known CPU and block I/O work (checked against the
 * cgroup's own cpu.stat and the bytes written), and known signals are
 * sent to a child that blocks them.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ktest.h"

static struct snap *s;
static struct loader *ld;
/* what the cgroup test made, undone in teardown even when it fails */
static char cg[400], backing[64], loopdev[64];

static void setup(void)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .reset = true, .no_builtin = true };
	char err[512];

	require_bpf();
	s = snap_new();
	ld = loader_new(s, &o);
	cr_assert(ld);
	cr_assert_eq(loader_add_file(ld, build_obj_path("examples/cgroup_stats.bpf.o"), true, err,
				     sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(loader_add_file(ld, build_obj_path("examples/signals.bpf.o"), true, err,
				     sizeof(err)),
		     0, "%s", err);
	cr_assert_geq(loader_sync(ld), 0);
}

static void teardown(void)
{
	char cmd[256];

	if (loopdev[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", loopdev);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot detach %s\n", loopdev);
	}
	if (backing[0])
		unlink(backing);
	if (cg[0])
		rmdir(cg);
	loader_free(ld);
	snap_free(s);
	remove_pin_path();
}

TestSuite(examples, .init = setup, .fini = teardown, .timeout = 60);

/* Where cgroup v2 is mounted: /sys/fs/cgroup, or .../unified on hybrid systems */
static const char *cgroup2_root(void)
{
	static char root[256];
	char dev[64], dir[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");

	cr_assert(f);
	while (fscanf(f, "%63s %255s %63s %*s %*d %*d", dev, dir, type) == 3) {
		if (strcmp(type, "cgroup2") == 0) {
			strcpy(root, dir);
			break;
		}
	}
	fclose(f);
	cr_assert(root[0], "no cgroup2 mount");
	return root;
}

static uint64_t cpu_usage_usec(const char *cg)
{
	char path[512], key[64];
	unsigned long long v, usage = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpu.stat", cg);
	f = fopen(path, "re");
	cr_assert(f, "%s", path);
	while (fscanf(f, "%63s %llu", key, &v) == 2)
		if (strcmp(key, "usage_usec") == 0)
			usage = v;
	fclose(f);
	return usage;
}

#define IO_SIZE 65536
#define IO_COUNT 32

/* In the cgroup: spin ~300 ms of CPU, then IO_COUNT direct writes and reads */
static void child_work(const char *cg, const char *loopdev)
{
	char procs[600], *buf;
	struct timespec t0, t;
	int fd;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY);
	if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0)
		_exit(10);
	close(fd);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 300000000L);
	if (posix_memalign((void **)&buf, 4096, IO_SIZE))
		_exit(11);
	memset(buf, 0x5a, IO_SIZE);
	fd = open(loopdev, O_RDWR | O_DIRECT);
	if (fd < 0)
		_exit(12);
	for (int i = 0; i < IO_COUNT; i++)
		if (pwrite(fd, buf, IO_SIZE, (off_t)i * IO_SIZE) != IO_SIZE)
			_exit(13);
	for (int i = 0; i < IO_COUNT; i++)
		if (pread(fd, buf, IO_SIZE, (off_t)i * IO_SIZE) != IO_SIZE)
			_exit(14);
	close(fd);
	_exit(0);
}

Test(examples, cgroup_stats_counts_a_cgroups_cpu_and_block_io)
{
	char cmd[512], name[64];
	uint64_t usage0, usage1, cpu_ns;
	struct stat st;
	int status;
	pid_t pid;
	FILE *f;

	snprintf(name, sizeof(name), "kstatd-test-%d", (int)getpid());
	snprintf(cg, sizeof(cg), "%s/%s", cgroup2_root(), name);
	cr_assert_eq(mkdir(cg, 0755), 0, "mkdir %s", cg);
	cr_assert_eq(stat(cg, &st), 0);
	snprintf(backing, sizeof(backing), "/var/tmp/kstatd-cg-%d.img", (int)getpid());
	snprintf(cmd, sizeof(cmd), "truncate -s 8M %s && losetup -f --show %s", backing, backing);
	f = popen(cmd, "r");
	cr_assert(f && fgets(loopdev, sizeof(loopdev), f), "losetup");
	pclose(f);
	loopdev[strcspn(loopdev, "\n")] = '\0';

	usage0 = cpu_usage_usec(cg);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		child_work(cg, loopdev);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	/*
	 * waitpid returns at the child's exit_notify(), before its last
	 * switch out, which adds its last slice (exit_mm included: long
	 * under ASan) to the kstat: let that switch happen first
	 */
	usleep(100000);
	usage1 = cpu_usage_usec(cg);
	cr_assert_eq(loader_sync(ld) >= 1, 1, "the cgroup's entry appeared");

	/* the cgroup's id is its directory's inode number */
	cpu_ns = read_u64(s, "cgroup", (int)st.st_ino, name, "cpu_time");
	fprintf(stderr, "cgroup cpu: kstat %.3f ms, cpu.stat %.3f ms\n", cpu_ns / 1e6,
		(usage1 - usage0) / 1e3);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	cr_expect_leq(llabs((long long)(cpu_ns / 1000) - (long long)(usage1 - usage0)),
		      (long long)(usage1 - usage0) / 50 + 1000, "within 2%% of cpu.stat");
	cr_expect_eq(read_u64(s, "cgroup", (int)st.st_ino, name, "wbytes"),
		     (uint64_t)IO_SIZE * IO_COUNT);
	cr_expect_eq(read_u64(s, "cgroup", (int)st.st_ino, name, "rbytes"),
		     (uint64_t)IO_SIZE * IO_COUNT);
	cr_expect_eq(read_u64(s, "cgroup", (int)st.st_ino, name, "writes"), IO_COUNT);
	cr_expect_eq(read_u64(s, "cgroup", (int)st.st_ino, name, "reads"), IO_COUNT);
}

Test(examples, signals_counts_each_signal_sent)
{
	const int sig = SIGRTMIN + 7, n = 100;
	char name[16];
	sigset_t set;
	int go[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(go), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_BLOCK, &set, NULL); /* queued, never handled */
		if (write(go[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	cr_assert_eq(read(go[0], &c, 1), 1);
	for (int i = 0; i < n; i++)
		cr_assert_eq(kill(pid, sig), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_geq(loader_sync(ld), 1);
	snprintf(name, sizeof(name), "sig%d", sig);
	cr_expect_eq(read_u64(s, "signal", sig, name, "generated"), n);
	cr_expect_eq(read_u64(s, "signal", sig, name, "delivered"), n,
		     "blocked real-time signals queue");
	cr_expect_geq(read_u64(s, "signal", SIGKILL, "sig9", "generated"), 1);
}
