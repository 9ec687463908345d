// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * irq:<n>:<handler> against /proc/interrupts, and cpu:N:softirq against
 * /proc/softirqs, per IRQ and per CPU and vector.  Interrupts never stop,
 * so each comparison is a sandwich: the kernel's count over an interval
 * inside the kstat's interval, and over one outside it, must bracket the
 * kstat's count.  Both are read from the kernel's own counts: a kstat
 * outside the bracket read the wrong books.  spurious and
 * multiple_service come from the opt-in intr_claims provider.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "builtin_fx.h"
#include "sysfs.h"

#define MAX_IRQ 4096
#define NVEC 10

static void setup(void)
{
	builtin_start("intr");
}

TestSuite(intr, .init = setup, .fini = builtin_stop, .timeout = 120);

/* /proc/interrupts: each numbered IRQ's count over all CPUs */
static void proc_interrupts(uint64_t *count)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/interrupts", "re");

	cr_assert(f);
	memset(count, 0, MAX_IRQ * sizeof(*count));
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *end;
		unsigned long irq = strtoul(p, &end, 10);

		if (end == p || *end != ':' || irq >= MAX_IRQ)
			continue;
		p = end + 1;
		for (int c = 0; c < ncpus; c++) {
			count[irq] += strtoull(p, &end, 10);
			p = end;
		}
	}
	free(line);
	fclose(f);
}

/* Each irq kstat's hard count by IRQ; -1 where there is none */
static int kstat_interrupts(int64_t *hard, int64_t *spurious)
{
	uint_t n;
	kstat_t *h = read_headers(s, &n);
	int found = 0;

	for (int i = 0; i < MAX_IRQ; i++)
		hard[i] = spurious[i] = -1;
	for (uint_t i = 0; i < n; i++) {
		struct snap_rhdr hdr;
		kstat_intr_t *ki;

		if (strcmp(h[i].ks_module, "irq") || h[i].ks_instance < 0 ||
		    h[i].ks_instance >= MAX_IRQ)
			continue;
		cr_assert_eq(h[i].ks_type, KSTAT_TYPE_INTR);
		cr_assert_eq(read_kid(s, h[i].ks_kid, (void **)&ki, &hdr), 0);
		hard[h[i].ks_instance] = ki->intrs[KSTAT_INTR_HARD];
		spurious[h[i].ks_instance] = ki->intrs[KSTAT_INTR_SPURIOUS];
		free(ki);
		found++;
	}
	free(h);
	return found;
}

/* Disk writes that must reach the device: each completion is an interrupt */
static void make_interrupts(void)
{
	char path[] = "/var/tmp/kstatd-test-intr-XXXXXX";
	int fd = mkstemp(path);
	char buf[4096] = { 1 };

	cr_assert_geq(fd, 0);
	for (int i = 0; i < 200; i++) {
		cr_assert_eq(pwrite(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
		fdatasync(fd);
	}
	close(fd);
	unlink(path);
}

/* The ks_name of irq:<irq>:*, or "" */
static void irq_kstat_name(int irq, char *name)
{
	uint_t n;
	kstat_t *h = read_headers(s, &n);

	name[0] = '\0';
	for (uint_t i = 0; i < n; i++) {
		if (strcmp(h[i].ks_module, "irq") || h[i].ks_instance != irq)
			continue;
		cr_expect_eq(h[i].ks_type, KSTAT_TYPE_INTR);
		cr_expect_str_eq(h[i].ks_class, "controller");
		snprintf(name, KSTAT_STRLEN, "%s", h[i].ks_name);
	}
	free(h);
}

Test(intr, every_irq_with_a_handler_has_an_intr_kstat_named_after_it)
{
	char line[600];
	FILE *p = popen("cd /sys/kernel/irq && for i in *; do a=$(cat $i/actions); "
			"[ -n \"$a\" ] && echo \"$i ${a%%,*}\"; done",
			"r");
	int irqs = 0;

	cr_assert(p);
	while (fgets(line, sizeof(line), p)) {
		char want[KSTAT_STRLEN] = "", got[KSTAT_STRLEN];
		int irq;

		cr_assert_eq(sscanf(line, "%d %30s", &irq, want), 2, "%s", line);
		for (char *c = want; *c; c++)
			if (*c == ':')
				*c = '_'; /* ':' separates the parts of a kstat's address */
		irq_kstat_name(irq, got);
		cr_expect_str_eq(got, want, "irq %d: kstat '%s', handler '%s'", irq, got, want);
		irqs++;
	}
	pclose(p);
	cr_expect_gt(irqs, 0);
}

/*
 * One sandwich of hard interrupts per IRQ: the number of IRQs whose kstat
 * fell outside the kernel's bounds.  *busiest: the largest kstat count.
 */
static int irq_sandwich(uint64_t *busiest)
{
	static uint64_t pa[MAX_IRQ], p0[MAX_IRQ], p1[MAX_IRQ], pb[MAX_IRQ];
	static int64_t k0[MAX_IRQ], k1[MAX_IRQ], sp0[MAX_IRQ], sp1[MAX_IRQ];
	int compared = 0, outside = 0;

	proc_interrupts(pa);
	cr_assert_gt(kstat_interrupts(k0, sp0), 0);
	proc_interrupts(p0);
	make_interrupts();
	proc_interrupts(p1);
	kstat_interrupts(k1, sp1);
	proc_interrupts(pb);
	*busiest = 0;
	for (int i = 0; i < MAX_IRQ; i++) {
		uint64_t k, inner, outer;

		if (k0[i] < 0 || k1[i] < 0)
			continue;
		k = (uint64_t)(k1[i] - k0[i]);
		inner = p1[i] - p0[i];
		outer = pb[i] - pa[i];
		compared++;
		if (outer)
			fprintf(stderr, "irq %d: kstat %llu, /proc/interrupts %llu..%llu\n", i,
				(unsigned long long)k, (unsigned long long)inner,
				(unsigned long long)outer);
		if (k < inner || k > outer)
			outside++;
		cr_expect_leq(sp1[i] - sp0[i], (int64_t)k, "spurious ones are interrupts too");
		*busiest = k > *busiest ? k : *busiest;
	}
	cr_expect_gt(compared, 0);
	return outside;
}

Test(intr, hard_interrupts_are_proc_interrupts_per_irq)
{
	uint64_t busiest = 0;
	int outside = irq_sandwich(&busiest);

	cr_expect_eq(outside, 0, "%d IRQs counted outside /proc/interrupts' bounds", outside);
	cr_expect_gt(busiest, 50, "the workload made interrupts");
}

Test(intr, no_program_runs_per_interrupt_by_default)
{
	cr_expect_eq(loader_attached(ld, "intr"), 1);
	cr_expect_eq(loader_attached(ld, "intr_claims"), 0, "intr_claims is opt-in");
}

/* With intr_claims attached, every interrupt either was claimed or is spurious */
Test(intr, intr_claims_counts_spurious_among_the_hard_interrupts)
{
	uint64_t busiest = 0;
	int outside;

	cr_assert_eq(loader_set_enabled(ld, "intr_claims", true), 0);
	cr_assert_geq(loader_sync(ld), 0);
	cr_assert_eq(loader_attached(ld, "intr_claims"), 1);
	outside = irq_sandwich(&busiest);
	cr_expect_eq(outside, 0);
	cr_assert_eq(loader_set_enabled(ld, "intr_claims", false), 0);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_eq(loader_attached(ld, "intr_claims"), 0);
}

/* /proc/softirqs: count[cpu * NVEC + vector] */
static void proc_softirqs(uint64_t *count)
{
	static const char *const vec[NVEC] = { "HI",       "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
					       "IRQ_POLL", "TASKLET", "SCHED",  "HRTIMER", "RCU" };
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/softirqs", "re");

	cr_assert(f);
	while (getline(&line, &cap, f) > 0) {
		char name[32], *p = line;
		int v, off;

		if (sscanf(line, " %31[^:]:%n", name, &off) != 1)
			continue;
		for (v = 0; v < NVEC && strcmp(vec[v], name); v++)
			;
		if (v == NVEC)
			continue;
		p += off;
		for (int c = 0; c < ncpus; c++)
			count[c * NVEC + v] = strtoull(p, &p, 10);
	}
	free(line);
	fclose(f);
}

static void kstat_softirqs(uint64_t *count)
{
	static const char *const vec[NVEC] = { "hi",       "timer",   "net_tx", "net_rx",  "block",
					       "irq_poll", "tasklet", "sched",  "hrtimer", "rcu" };

	for (int c = 0; c < ncpus; c++) {
		struct snap_rhdr hdr;
		kid_t kid = find_kid(s, "cpu", c, "softirq");
		void *data;

		cr_assert_geq(kid, 0, "no cpu:%d:softirq", c);
		cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
		for (int v = 0; v < NVEC; v++) {
			const kstat_named_t *kn = named_find(data, hdr.ks_ndata, vec[v]);

			cr_assert(kn, "cpu:%d:softirq has no %s", c, vec[v]);
			count[c * NVEC + v] = kn->value.ui64;
		}
		free(data);
	}
}

/* Softirqs, per CPU and vector: the kernel's own counts, kstat.softirqs */
static int softirq_sandwich(uint64_t *total, uint64_t *inner_total)
{
	uint64_t pa[64 * NVEC], p0[64 * NVEC], p1[64 * NVEC], pb[64 * NVEC];
	uint64_t k0[64 * NVEC], k1[64 * NVEC];
	int outside = 0;

	proc_softirqs(pa);
	kstat_softirqs(k0);
	proc_softirqs(p0);
	make_interrupts();
	usleep(200000);
	proc_softirqs(p1);
	kstat_softirqs(k1);
	proc_softirqs(pb);
	*total = *inner_total = 0;
	for (int i = 0; i < ncpus * NVEC; i++) {
		uint64_t k = k1[i] - k0[i];

		*total += k;
		*inner_total += p1[i] - p0[i];
		if (k != p1[i] - p0[i])
			fprintf(stderr, "cpu %d vector %d: kstat %llu, /proc/softirqs %llu..%llu\n",
				i / NVEC, i % NVEC, (unsigned long long)k,
				(unsigned long long)(p1[i] - p0[i]),
				(unsigned long long)(pb[i] - pa[i]));
		if (k < p1[i] - p0[i] || k > pb[i] - pa[i])
			outside++;
	}
	return outside;
}

Test(intr, softirqs_are_proc_softirqs_per_cpu_and_vector)
{
	uint64_t total = 0, inner = 0;
	int outside;

	cr_assert_leq(ncpus, 64);
	outside = softirq_sandwich(&total, &inner);
	fprintf(stderr, "softirqs: kstat %llu, /proc/softirqs at least %llu\n",
		(unsigned long long)total, (unsigned long long)inner);
	cr_expect_eq(outside, 0, "%d counts outside /proc/softirqs' bounds", outside);
	cr_expect_gt(total, 10);
}
