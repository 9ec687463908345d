// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpu:N:runq, the run-queue latency histograms, against the scheduler's
 * own books: three threads spinning on one CPU preempt each other, and
 * each thread's /proc schedstat says how often it ran and how long it
 * waited runnable; the histogram of that CPU must hold at least that.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "builtin_fx.h"
#include "sysfs.h"

#define HOGS 3

static void setup(void)
{
	builtin_start("sched");
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
