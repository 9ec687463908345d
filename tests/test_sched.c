// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The opt-in sched provider, one program on sched_switch: cpu:N:runq, the
 * run-queue latency histograms, against the scheduler's own books (three
 * threads spinning on one CPU preempt each other, and each thread's /proc
 * schedstat says how often it ran and how long it waited runnable; the
 * histogram of that CPU must hold at least that), and cpu:N:sys:inv_swtch
 * against the nivcsw of those threads, counted only while attached.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "builtin_fx.h"
#include "sysfs.h"

#define HOGS 3

static void set_sched(bool on)
{
	cr_assert_eq(loader_set_enabled(ld, "sched", on), 0);
	cr_assert_geq(loader_sync(ld), 0);
	cr_assert_eq(loader_attached(ld, "sched"), on);
}

static void setup(void)
{
	builtin_start(NULL);
	cr_assert_eq(loader_attached(ld, "sched"), 0, "sched is opt-in");
	set_sched(true);
}

TestSuite(sched, .init = setup, .fini = builtin_stop, .timeout = 60);

static struct hist runq(int cpu)
{
	kid_t kid = find_kid(s, "cpu", cpu, "runq");
	struct snap_rhdr hdr;
	struct hist h;
	void *data;

	cr_assert_geq(kid, 0, "no cpu:%d:runq", cpu);
	cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
	h = hist_read(data, hdr.ks_ndata, "runq_lat");
	free(data);
	return h;
}

Test(sched, one_runq_histogram_per_cpu)
{
	for (int c = 0; c < ncpus; c++) {
		struct hist h = runq(c);

		cr_expect_eq(h.n, 36, "36 log2 slots, the last open");
		cr_expect_eq(h.le[0], 2);
		cr_expect_eq(h.le[h.n - 1], 0);
	}
}

struct hog {
	pthread_t thread;
	int cpu;
	uint64_t run_delay, pcount;
};

static atomic_int stop;

/* This thread's run_delay and pcount from /proc/thread-self/schedstat */
static void schedstat(uint64_t *delay, uint64_t *count)
{
	unsigned long long ran, d = 0, c = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");

	if (f && fscanf(f, "%llu %llu %llu", &ran, &d, &c) != 3)
		d = c = 0;
	if (f)
		fclose(f);
	*delay = d;
	*count = c;
}

static void *hog_run(void *arg)
{
	struct hog *h = arg;
	uint64_t delay0, count0;
	volatile uint64_t x = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/* the runs before the move to h->cpu waited on another CPU's queue */
	schedstat(&delay0, &count0);
	while (!atomic_load(&stop))
		x++;
	schedstat(&h->run_delay, &h->pcount);
	h->run_delay -= delay0;
	h->pcount -= count0;
	return NULL;
}

Test(sched, spinners_on_one_cpu_wait_in_its_run_queue_as_schedstat_says)
{
	struct hog hogs[HOGS] = { 0 };
	uint64_t delay = 0, runs = 0, events;
	int cpu = ncpus - 1;
	struct hist a, b;

	a = runq(cpu);
	atomic_store(&stop, 0);
	for (int i = 0; i < HOGS; i++) {
		hogs[i].cpu = cpu;
		pthread_create(&hogs[i].thread, NULL, hog_run, &hogs[i]);
	}
	usleep(1000000);
	atomic_store(&stop, 1);
	for (int i = 0; i < HOGS; i++) {
		pthread_join(hogs[i].thread, NULL);
		delay += hogs[i].run_delay;
		runs += hogs[i].pcount;
	}
	b = runq(cpu);
	events = hist_events(&a, &b, "runq");
	fprintf(stderr,
		"cpu %d: %llu waits, %.3f ms waited; the spinners: %llu runs, %.3f ms waited\n",
		cpu, (unsigned long long)events, (double)(b.sum - a.sum) / 1e6,
		(unsigned long long)runs, (double)delay / 1e6);
	cr_assert_gt(runs, HOGS * 10, "the spinners preempted each other");
	cr_expect_geq(events, runs, "every time a spinner ran after waiting");
	/* the same books as schedstat's run_delay, read a moment earlier */
	cr_expect_geq((double)(b.sum - a.sum), 0.95 * (double)delay);
}

static uint64_t sum_cpus(const char *stat)
{
	uint64_t sum = 0;

	for (int c = 0; c < ncpus; c++)
		sum += read_u64(s, "cpu", c, "sys", stat);
	return sum;
}

static uint64_t nivcsw(pid_t tid)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "re");
	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

struct spinner {
	pthread_t thread;
	uint64_t nivcsw;
};

static void *spinner_run(void *arg)
{
	struct spinner *sp = arg;
	volatile uint64_t x = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!atomic_load(&stop))
		x++;
	sp->nivcsw = nivcsw((pid_t)syscall(SYS_gettid));
	return NULL;
}

/* Three spinners on CPU 0 for a second: their nivcsw, summed */
static uint64_t preempt_each_other(void)
{
	struct spinner sp[3] = {};
	uint64_t want = 0;

	atomic_store(&stop, 0);
	for (int i = 0; i < 3; i++)
		pthread_create(&sp[i].thread, NULL, spinner_run, &sp[i]);
	usleep(1000000);
	atomic_store(&stop, 1);
	for (int i = 0; i < 3; i++) {
		pthread_join(sp[i].thread, NULL);
		want += sp[i].nivcsw;
	}
	return want;
}

Test(sched, inv_swtch_counts_at_least_the_preemptions_the_kernel_reports)
{
	uint64_t k0, k1, p0, p1, want;

	k0 = sum_cpus("inv_swtch");
	p0 = sum_cpus("pswitch");
	want = preempt_each_other();
	k1 = sum_cpus("inv_swtch");
	p1 = sum_cpus("pswitch");
	cr_assert_gt(want, 10, "the spinners were preempted");
	fprintf(stderr, "inv_swtch: kstat delta %llu, spinners' nivcsw %llu, pswitch delta %llu\n",
		(unsigned long long)(k1 - k0), (unsigned long long)want,
		(unsigned long long)(p1 - p0));
	cr_expect_geq(k1 - k0, want);
	cr_expect_leq(k1 - k0, p1 - p0, "involuntary switches are switches");
}

Test(sched, inv_swtch_counts_only_while_attached)
{
	uint64_t k0, k1;

	set_sched(false);
	k0 = sum_cpus("inv_swtch");
	cr_assert_gt(preempt_each_other(), 10, "the spinners were preempted");
	k1 = sum_cpus("inv_swtch");
	cr_expect_eq(k1, k0, "inv_swtch moved by %llu while sched was detached",
		     (unsigned long long)(k1 - k0));
	set_sched(true);
	k0 = sum_cpus("inv_swtch");
	cr_assert_gt(preempt_each_other(), 10);
	k1 = sum_cpus("inv_swtch");
	cr_expect_gt(k1, k0 + 10);
}

/* This thread's migrations, as the scheduler counts them per task (se.nr_migrations) */
static uint64_t nr_migrations(void)
{
	unsigned long long v = 0;
	char line[256];
	FILE *f = fopen("/proc/thread-self/sched", "re");

	cr_assert(f, "/proc/thread-self/sched: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "se.nr_migrations : %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Move this thread between CPU 0 and the last one n times: its migrations */
static uint64_t hop(int n)
{
	uint64_t m0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0);
	m0 = nr_migrations();
	for (int i = 0; i < n; i++) {
		CPU_ZERO(&set);
		CPU_SET(i % 2 ? 0 : ncpus - 1, &set);
		cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0);
	}
	return nr_migrations() - m0;
}

Test(sched, cpumigrate_counts_every_migration_while_attached)
{
	uint64_t k0, k1, moved;

	cr_assert_geq(ncpus, 2, "migrations need two CPUs");
	k0 = sum_cpus("cpumigrate");
	moved = hop(200);
	k1 = sum_cpus("cpumigrate");
	fprintf(stderr, "cpumigrate: kstat delta %llu, this thread's migrations %llu\n",
		(unsigned long long)(k1 - k0), (unsigned long long)moved);
	cr_assert_geq(moved, 200, "each affinity change moved the thread");
	cr_expect_geq(k1 - k0, moved);

	set_sched(false);
	k0 = sum_cpus("cpumigrate");
	cr_assert_geq(hop(200), 200);
	k1 = sum_cpus("cpumigrate");
	cr_expect_eq(k1, k0, "cpumigrate moved by %llu while sched was detached",
		     (unsigned long long)(k1 - k0));
}
