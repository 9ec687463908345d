// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The system-call providers, both off by default and switched through
 * kstatd:0:config.  syscall counts every process's calls, so its exact
 * checks use calls no other program here makes (sched_get_priority_max
 * with no such policy, preadv2, pwritev2); the system-wide cpu:N:sys sums
 * must grow at least as much.  syscall_time times one thread of the test
 * under syscall:0:filter: between two readings that thread makes exactly
 * the calls the test asks for, since it waits for its turn spinning on an
 * atomic, which is no system call.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "builtin_fx.h"
#include "sysfs.h"
#include "syscall.h"

#define N 10000
#define RW 1000
#define RW_SIZE 3000

static void setup(void)
{
	builtin_start(NULL);
}

TestSuite(syscall, .init = setup, .fini = builtin_stop, .timeout = 120);

static void set_provider(const char *name, uint64_t on)
{
	write_stat(s, "kstatd", 0, "config", name, on);
	cr_assert_geq(loader_sync(ld), 0);
	cr_assert_eq(loader_attached(ld, name), (int)on, "%s attached", name);
}

static uint64_t cpu_sum(const char *stat)
{
	uint64_t sum = 0;

	for (int c = 0; c < ncpus; c++)
		sum += read_u64(s, "cpu", c, "sys", stat);
	return sum;
}

/* Every call syscall's programs counted, from its pinned map: its kstats go while it is detached */
static uint64_t calls_counted(void)
{
	uint64_t *v = calloc((size_t)ncpus * 2, sizeof(*v)), sum = 0;
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/syscall/calls", test_pin_path());
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert(v);
	for (uint32_t slot = 0; slot < SYSCALL_SLOTS; slot++) {
		cr_assert_eq(bpf_map_lookup_elem(fd, &slot, v), 0);
		for (int c = 0; c < ncpus; c++)
			sum += v[2 * c]; /* struct sys_calls: calls, bytes */
	}
	close(fd);
	free(v);
	return sum;
}

static hrtime_t crtime_of(const char *module, const char *name)
{
	uint_t n;
	kstat_t *h = read_headers(s, &n);
	hrtime_t t = -1;

	for (uint_t i = 0; i < n; i++)
		if (strcmp(h[i].ks_module, module) == 0 && strcmp(h[i].ks_name, name) == 0)
			t = h[i].ks_crtime;
	free(h);
	return t;
}

/* kstats of module; with ia32, those of a 32-bit task's calls only */
static int count_module(const char *module, bool ia32)
{
	uint_t n;
	kstat_t *h = read_headers(s, &n);
	int found = 0;

	for (uint_t i = 0; i < n; i++)
		found += strcmp(h[i].ks_module, module) == 0 &&
			 (!ia32 ||
			  ((h[i].ks_instance & 0x10000) && strncmp(h[i].ks_name, "ia32_", 5) == 0));
	free(h);
	return found;
}

static kstat_timer_t read_timer(const char *name)
{
	struct snap_rhdr hdr;
	kstat_timer_t *p = read_named(s, "syscall_time", name, &hdr), t;

	cr_assert_eq(hdr.ks_data_size, sizeof(kstat_timer_t));
	t = *p;
	free(p);
	return t;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A system call no other program makes: sched_get_priority_max(no such policy) */
static void rare_calls(int n)
{
	for (int i = 0; i < n; i++)
		(void)syscall(SYS_sched_get_priority_max, -12345);
}

/* Calls no other test makes: tests run side by side, and each one's programs see them all */
static void other_calls(int n)
{
	for (int i = 0; i < n; i++)
		(void)syscall(SYS_sched_get_priority_min, -12345);
}

/* A thread whose system calls are exactly those of its rounds */
struct worker {
	pthread_t thread;
	pid_t tid;
	atomic_int go, done;
	atomic_bool quit;
	void (*round)(struct worker *w, int n);
	int n;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int seen = 0;

	w->tid = (pid_t)syscall(SYS_gettid);
	atomic_store(&w->done, 0);
	for (;;) {
		while (atomic_load(&w->go) == seen && !atomic_load(&w->quit))
			; /* spin: a system call here would be timed */
		if (atomic_load(&w->quit))
			return NULL;
		seen++;
		w->round(w, w->n);
		atomic_store(&w->done, seen);
	}
}

static void worker_start(struct worker *w, void (*round)(struct worker *, int))
{
	memset(w, 0, sizeof(*w));
	w->round = round;
	atomic_store(&w->done, -1);
	cr_assert_eq(pthread_create(&w->thread, NULL, worker_main, w), 0);
	while (atomic_load(&w->done) < 0)
		;
}

/* Let the worker run one round of n calls and wait for it; the round's wall time */
static double worker_round(struct worker *w, int n)
{
	int r = atomic_load(&w->go) + 1;
	double t0 = now_ns();

	w->n = n;
	atomic_store(&w->go, r);
	while (atomic_load(&w->done) != r)
		;
	return now_ns() - t0;
}

static void worker_stop(struct worker *w)
{
	atomic_store(&w->quit, true);
	pthread_join(w->thread, NULL);
}

static void call_getppid(struct worker *w, int n)
{
	(void)w;
	for (int i = 0; i < n; i++)
		(void)syscall(SYS_getppid);
}

Test(syscall, both_off_by_default_and_kstatd_config_attaches_and_detaches_each)
{
	uint64_t before;
	kid_t chain;

	cr_expect_eq(loader_attached(ld, "syscall"), 0, "detached by default");
	cr_expect_eq(loader_attached(ld, "syscall_time"), 0, "detached by default");
	cr_expect_eq(read_u64(s, "kstatd", 0, "config", "syscall"), 0);
	cr_expect_eq(read_u64(s, "kstatd", 0, "config", "syscall_time"), 0);
	cr_expect_eq(count_module("syscall", false), 0, "no kstats while detached");
	cr_expect_eq(count_module("syscall_time", false), 0);
	before = calls_counted();
	rare_calls(1000);
	cr_expect_eq(calls_counted(), before, "no program counts system calls while detached");
	before = cpu_sum("syscall");

	chain = snap_chain_id(s);
	set_provider("syscall", 1);
	cr_expect_eq(read_u64(s, "kstatd", 0, "syscall", "programs"), 3,
		     "sys_enter, sys_exit and the refresh program of cpu:N:sys");
	rare_calls(10);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_geq(find_named(s, "syscall", "sched_get_priority_max", NULL), 0);
	cr_expect_gt(cpu_sum("syscall"), before, "cpu:N:sys counts system calls now");
	cr_expect_gt(snap_chain_id(s), chain);
	/* a dense array, but only the calls made have a kstat */
	cr_expect_lt(count_module("syscall", false), SYSCALL_SLOTS / 2);
	cr_expect_eq(count_module("syscall_time", false), 0, "syscall does not time");

	set_provider("syscall_time", 1);
	cr_expect_eq(read_u64(s, "kstatd", 0, "syscall_time", "programs"), 2);
	rare_calls(10);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_geq(find_named(s, "syscall_time", "sched_get_priority_max", NULL), 0);
	cr_expect_geq(find_kid(s, "syscall", 0, "latency"), 0);
	cr_expect_geq(find_kid(s, "syscall", 0, "filter"), 0);

	chain = snap_chain_id(s);
	set_provider("syscall", 0);
	cr_expect_eq(count_module("syscall", false), 2, "only syscall_time's latency and filter");
	cr_expect_gt(snap_chain_id(s), chain);
	set_provider("syscall_time", 0);
	cr_expect_eq(count_module("syscall", false), 0, "their kstats went with them");
	cr_expect_eq(count_module("syscall_time", false), 0);
	before = calls_counted();
	rare_calls(1000);
	cr_expect_eq(calls_counted(), before, "nor once detached again");

	/* made again at the attach, from the pinned counts: they began with the pin */
	set_provider("syscall", 1);
	cr_expect_gt(crtime_of("syscall", "sched_get_priority_max"), (hrtime_t)1000000000,
		     "not at boot: a refresh of cpu_sys's map makes no copy of the kernel's books");
}

Test(syscall, n_calls_show_exactly_n_more_in_their_kstat_and_at_least_n_in_cpu_sys)
{
	uint64_t k0, k1, c0, c1;

	set_provider("syscall", 1);
	rare_calls(1); /* its first call makes the kstat */
	cr_assert_geq(loader_sync(ld), 1);
	k0 = named_stat(s, "syscall", "sched_get_priority_max", "calls");
	c0 = cpu_sum("syscall");
	rare_calls(N);
	k1 = named_stat(s, "syscall", "sched_get_priority_max", "calls");
	c1 = cpu_sum("syscall");
	fprintf(stderr, "sched_get_priority_max x %d: calls +%llu, cpu:N:sys syscall +%llu\n", N,
		(unsigned long long)(k1 - k0), (unsigned long long)(c1 - c0));
	cr_expect_eq(k1 - k0, N);
	cr_expect_geq(c1 - c0, N, "cpu:N:sys syscall counts every process's calls");
	cr_expect_eq(named_stat(s, "syscall", "sched_get_priority_max", "bytes"), 0,
		     "only reads and writes move bytes");
}

Test(syscall, reads_and_writes_count_calls_and_the_bytes_they_moved)
{
	static const char *const stats[] = { "sysread", "syswrite", "readch", "writech" };
	uint64_t v0[4], v1[4], r0, r1, rb0, rb1, w0, w1, wb0, wb1;
	int in = open("/dev/zero", O_RDONLY | O_CLOEXEC),
	    out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int empty = memfd_create("syscall-test", MFD_CLOEXEC);
	char buf[RW_SIZE];
	struct iovec iov = { buf, RW_SIZE };

	cr_assert_geq(in, 0);
	cr_assert_geq(out, 0);
	cr_assert_geq(empty, 0);
	set_provider("syscall", 1);
	cr_assert_eq(preadv2(in, &iov, 1, 0, 0), RW_SIZE);
	cr_assert_eq(pwritev2(out, &iov, 1, 0, 0), RW_SIZE);
	cr_assert_geq(loader_sync(ld), 1);

	for (int i = 0; i < 4; i++)
		v0[i] = cpu_sum(stats[i]);
	r0 = named_stat(s, "syscall", "preadv2", "calls");
	rb0 = named_stat(s, "syscall", "preadv2", "bytes");
	w0 = named_stat(s, "syscall", "pwritev2", "calls");
	wb0 = named_stat(s, "syscall", "pwritev2", "bytes");
	for (int i = 0; i < RW; i++) {
		cr_assert_eq(preadv2(in, &iov, 1, 0, 0), RW_SIZE);
		cr_assert_eq(pwritev2(out, &iov, 1, 0, 0), RW_SIZE);
		/* end of file: a call, no bytes */
		cr_assert_eq(preadv2(empty, &iov, 1, 0, 0), 0);
	}
	for (int i = 0; i < 4; i++)
		v1[i] = cpu_sum(stats[i]);
	r1 = named_stat(s, "syscall", "preadv2", "calls");
	rb1 = named_stat(s, "syscall", "preadv2", "bytes");
	w1 = named_stat(s, "syscall", "pwritev2", "calls");
	wb1 = named_stat(s, "syscall", "pwritev2", "bytes");
	close(in);
	close(out);
	close(empty);

	fprintf(stderr,
		"preadv2 +%llu calls +%llu bytes, pwritev2 +%llu +%llu; sysread +%llu syswrite "
		"+%llu readch +%llu writech +%llu\n",
		(unsigned long long)(r1 - r0), (unsigned long long)(rb1 - rb0),
		(unsigned long long)(w1 - w0), (unsigned long long)(wb1 - wb0),
		(unsigned long long)(v1[0] - v0[0]), (unsigned long long)(v1[1] - v0[1]),
		(unsigned long long)(v1[2] - v0[2]), (unsigned long long)(v1[3] - v0[3]));
	cr_expect_eq(r1 - r0, 2 * RW, "preadv2 calls, at end of file too");
	cr_expect_eq(rb1 - rb0, (uint64_t)RW * RW_SIZE, "bytes read");
	cr_expect_eq(w1 - w0, RW);
	cr_expect_eq(wb1 - wb0, (uint64_t)RW * RW_SIZE, "bytes written");
	cr_expect_geq(v1[0] - v0[0], 2 * RW, "sysread: every process's reads");
	cr_expect_geq(v1[1] - v0[1], RW);
	cr_expect_geq(v1[2] - v0[2], (uint64_t)RW * RW_SIZE);
	cr_expect_geq(v1[3] - v0[3], (uint64_t)RW * RW_SIZE);
}

Test(syscall, a_32_bit_task_has_its_own_kstats)
{
	const char *prog = build_obj_path("tests/illumos/ks_ioctl32");
	pid_t pid;
	int st;

	cr_assert_eq(access(prog, X_OK), 0, "%s: build it with make tests", prog);
	set_provider("syscall", 1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(prog, prog, (char *)NULL);
		_exit(errno == ENOEXEC ? 126 : 127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 126)
		skip_after(builtin_stop,
			   "this kernel runs no 32-bit programs (no ia32 emulation): the ia32 "
			   "slots go untested here");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 127, "ran %s", prog);
	cr_assert_geq(loader_sync(ld), 1);
	cr_expect_gt(count_module("syscall", true), 0,
		     "its calls count under ia32_ names, at instance 0x10000 + number");
}

Test(syscall, a_thread_under_the_filter_is_timed_exactly)
{
	struct snap_rhdr h0, h1;
	struct hist l0, l1;
	kstat_timer_t t0, t1;
	struct worker w;
	double wall;
	void *d;

	set_provider("syscall_time", 1);
	worker_start(&w, call_getppid);
	write_stat(s, "syscall", 0, "filter", "tid", (uint64_t)w.tid);
	worker_round(&w, 1); /* its first getppid makes the kstat */
	cr_assert_geq(loader_sync(ld), 1);

	t0 = read_timer("getppid");
	d = read_named(s, "syscall", "latency", &h0);
	l0 = hist_read(d, h0.ks_ndata, "lat");
	free(d);
	wall = worker_round(&w, N);
	t1 = read_timer("getppid");
	d = read_named(s, "syscall", "latency", &h1);
	l1 = hist_read(d, h1.ks_ndata, "lat");
	free(d);
	write_stat(s, "syscall", 0, "filter", "tid", 0);
	worker_stop(&w);

	fprintf(stderr,
		"getppid x %d: num_events +%llu, elapsed %lld ns of %.0f ns of wall time, min "
		"%lld, "
		"max %lld\n",
		N, (unsigned long long)(t1.num_events - t0.num_events),
		t1.elapsed_time - t0.elapsed_time, wall, t1.min_time, t1.max_time);
	cr_expect_str_eq(t1.name, "getppid");
	cr_expect_eq(t1.num_events - t0.num_events, N);
	cr_expect_eq(hist_events(&l0, &l1, "syscall latency"), N);
	cr_expect_eq(l1.sum - l0.sum, (uint64_t)(t1.elapsed_time - t0.elapsed_time),
		     "the histogram's sum is the calls' elapsed time");
	cr_expect_gt(t1.elapsed_time - t0.elapsed_time, 0);
	cr_expect_lt((double)(t1.elapsed_time - t0.elapsed_time), wall,
		     "the calls took less than the round around them");
	cr_expect_gt(t1.min_time, 0);
	cr_expect_leq(t1.min_time, t1.max_time);
	cr_expect_lt((double)t1.max_time, wall + (double)t0.max_time);
	cr_expect_geq(t1.elapsed_time - t0.elapsed_time, (hrtime_t)N * t1.min_time);
	cr_expect_geq(t1.stop_time, t1.start_time);
	cr_expect_gt(t1.stop_time, t0.stop_time);
}

Test(syscall, a_filter_on_another_process_times_nothing_of_ours)
{
	kstat_timer_t t0, t1;

	set_provider("syscall_time", 1);
	write_stat(s, "syscall", 0, "filter", "tgid", (uint64_t)getpid());
	rare_calls(1);
	cr_assert_geq(loader_sync(ld), 1);
	t0 = read_timer("sched_get_priority_max");
	write_stat(s, "syscall", 0, "filter", "tgid", 1); /* init */
	rare_calls(5000);
	t1 = read_timer("sched_get_priority_max");
	write_stat(s, "syscall", 0, "filter", "tgid", 0);
	cr_expect_eq(t1.num_events, t0.num_events, "none of our 5000 calls");
}

Test(syscall, cpu_sys_counts_never_go_back_when_the_per_call_counts_restart)
{
	uint64_t *zero = calloc((size_t)ncpus * 2, sizeof(*zero)), before, after;
	char path[256];
	int fd;

	cr_assert(zero);
	set_provider("syscall", 1);
	other_calls(N);
	before = cpu_sum("syscall");
	/* what a newer layout of the map, replaced at a restart, starts from */
	snprintf(path, sizeof(path), "%s/syscall/calls", test_pin_path());
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	for (uint32_t slot = 0; slot < SYSCALL_SLOTS; slot++)
		cr_assert_eq(bpf_map_update_elem(fd, &slot, zero, BPF_EXIST), 0);
	close(fd);
	free(zero);
	/* the refresh runs once as a provider loads, before its programs count */
	cr_expect_geq(cpu_sum("syscall"), before, "read right after the restart");
	other_calls(N);
	after = cpu_sum("syscall");
	fprintf(stderr, "cpu:N:sys syscall %llu before the restart of the counts, %llu after\n",
		(unsigned long long)before, (unsigned long long)after);
	cr_expect_geq(after, before + N, "it grew by the calls made since, from where it was");
}
