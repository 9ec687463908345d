// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpu:N:sys against the kernel's own books over the same interval:
 * /proc/stat ctxt and processes, elapsed time per CPU, /proc/interrupts,
 * and the nivcsw of threads this test preempts on purpose; and that a copy
 * of the map taken while a switch is being recorded never reads high.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "builtin_fx.h"

static void setup(void)
{
	builtin_start("cpu_sys");
}

TestSuite(cpu_sys, .init = setup, .fini = builtin_stop, .timeout = 60);

static uint64_t proc_stat(const char *key)
{
	char line[4096];
	unsigned long long v = 0;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/stat", "re");

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			v = strtoull(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

static uint64_t sum_cpus(const char *stat)
{
	uint64_t sum = 0;

	for (int c = 0; c < ncpus; c++)
		sum += read_u64(s, "cpu", c, "sys", stat);
	return sum;
}

static void expect_within(uint64_t got, uint64_t want, double frac, const char *what)
{
	double diff = (double)got - (double)want;

	if (diff < 0)
		diff = -diff;
	fprintf(stderr, "%s: kstat delta %llu, kernel delta %llu (%.3f%% apart)\n", what,
		(unsigned long long)got, (unsigned long long)want,
		want ? 100.0 * diff / (double)want : 0.0);
	cr_expect_leq(diff, frac * (double)want + 2,
		      "%s: kstat %llu vs kernel %llu (more than %.0f%% apart)", what,
		      (unsigned long long)got, (unsigned long long)want, frac * 100);
}

/* Context switches on demand: two processes bounce a byte through pipes */
static void ping_pong(int rounds)
{
	int a[2], b[2];
	char c = 0;
	pid_t pid;

	cr_assert_eq(pipe(a), 0);
	cr_assert_eq(pipe(b), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (int i = 0; i < rounds; i++)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < rounds; i++) {
		cr_assert_eq(write(a[1], &c, 1), 1);
		cr_assert_eq(read(b[0], &c, 1), 1);
	}
	waitpid(pid, NULL, 0);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

Test(cpu_sys, one_kstat_per_online_cpu_with_the_documented_statistics)
{
	static const char *const stats[] = { "pswitch",       "inv_swtch", "cpu_nsec_idle",
					     "cpu_nsec_busy", "intr",      "sysfork",
					     "sysexec",       "pgfault" };
	uint_t n;
	kstat_t *h = read_headers(s, &n);
	int found = 0;

	for (uint_t i = 0; i < n; i++) {
		if (strcmp(h[i].ks_module, "cpu") || strcmp(h[i].ks_name, "sys"))
			continue;
		cr_expect_str_eq(h[i].ks_class, "misc");
		cr_expect_eq(h[i].ks_type, KSTAT_TYPE_NAMED);
		found++;
	}
	free(h);
	cr_expect_eq(found, ncpus);
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		(void)read_u64(s, "cpu", 0, "sys", stats[i]);
}

Test(cpu_sys, pswitch_matches_proc_stat_ctxt_within_1_percent)
{
	uint64_t k0, k1, p0, p1;

	k0 = sum_cpus("pswitch");
	p0 = proc_stat("ctxt");
	ping_pong(20000);
	p1 = proc_stat("ctxt");
	k1 = sum_cpus("pswitch");
	cr_assert_gt(p1 - p0, 20000);
	expect_within(k1 - k0, p1 - p0, 0.01, "pswitch");
}

Test(cpu_sys, sysfork_matches_proc_stat_processes_within_1_percent)
{
	uint64_t k0, k1, p0, p1;

	k0 = sum_cpus("sysfork");
	p0 = proc_stat("processes");
	for (int i = 0; i < 400; i++) {
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	p1 = proc_stat("processes");
	k1 = sum_cpus("sysfork");
	cr_assert_geq(p1 - p0, 400);
	expect_within(k1 - k0, p1 - p0, 0.01, "sysfork");
}

static atomic_int spin_stop;

static void *spin(void *arg)
{
	volatile uint64_t x = 0;

	(void)arg;
	while (!atomic_load(&spin_stop))
		x++;
	return NULL;
}

/* Keep every CPU switching for a moment, so each has a switch to account from */
static void wake_all_cpus(void)
{
	pthread_t t[64];
	int n = ncpus < 64 ? ncpus : 64;

	atomic_store(&spin_stop, 0);
	for (int i = 0; i < n; i++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(i, &set);
		pthread_create(&t[i], NULL, spin, NULL);
		pthread_setaffinity_np(t[i], sizeof(set), &set);
	}
	usleep(50000);
	atomic_store(&spin_stop, 1);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static uint64_t cpu_time(int cpu, hrtime_t *snaptime)
{
	kid_t kid = find_kid(s, "cpu", cpu, "sys");
	struct snap_rhdr hdr;
	void *data;
	uint64_t v;

	cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
	v = named_find(data, hdr.ks_ndata, "cpu_nsec_idle")->value.ui64 +
	    named_find(data, hdr.ks_ndata, "cpu_nsec_busy")->value.ui64;
	*snaptime = hdr.ks_snaptime;
	free(data);
	return v;
}

Test(cpu_sys, idle_plus_busy_covers_elapsed_time_within_2_percent)
{
	uint64_t t0[64], t1[64];
	hrtime_t s0[64], s1[64];
	int n = ncpus < 64 ? ncpus : 64;

	wake_all_cpus();
	for (int c = 0; c < n; c++)
		t0[c] = cpu_time(c, &s0[c]);
	/* half a second of work, half idle */
	ping_pong(5000);
	usleep(1000000);
	for (int c = 0; c < n; c++) {
		t1[c] = cpu_time(c, &s1[c]);
		expect_within(t1[c] - t0[c], (uint64_t)(s1[c] - s0[c]), 0.02, "idle + busy");
	}
}

static uint64_t proc_interrupts(void)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t sum = 0;
	FILE *f = fopen("/proc/interrupts", "re");

	cr_assert(f);
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *end;

		while (*p == ' ')
			p++;
		/* device IRQs are the numbered lines; LOC, RES and the like are not */
		if (*p < '0' || *p > '9')
			continue;
		strtoul(p, &end, 10);
		if (*end != ':')
			continue;
		p = end + 1;
		for (int c = 0; c < ncpus; c++) {
			sum += strtoull(p, &end, 10);
			p = end;
		}
	}
	free(line);
	fclose(f);
	return sum;
}

/* Disk writes that must reach the device: each completion is an interrupt */
static void make_interrupts(void)
{
	char path[] = "/var/tmp/kstatd-intr-XXXXXX";
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

Test(cpu_sys, intr_matches_proc_interrupts_device_lines)
{
	uint64_t k0, k1, p0, p1;

	k0 = sum_cpus("intr");
	p0 = proc_interrupts();
	make_interrupts();
	p1 = proc_interrupts();
	k1 = sum_cpus("intr");
	cr_assert_gt(p1 - p0, 50, "the workload made device interrupts");
	expect_within(k1 - k0, p1 - p0, 0.05, "intr");
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

struct hog {
	pthread_t thread;
	pid_t tid;
	uint64_t nivcsw;
};

static void *hog_run(void *arg)
{
	struct hog *h = arg;
	cpu_set_t set;

	h->tid = (pid_t)syscall(SYS_gettid);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	spin(NULL);
	h->nivcsw = nivcsw(h->tid);
	return NULL;
}

Test(cpu_sys, inv_swtch_counts_at_least_the_preemptions_the_kernel_reports)
{
	struct hog hogs[3] = {};
	uint64_t k0, k1, p0, p1, want = 0;

	k0 = sum_cpus("inv_swtch");
	p0 = sum_cpus("pswitch");
	atomic_store(&spin_stop, 0);
	/* three spinners on one CPU must preempt each other */
	for (int i = 0; i < 3; i++)
		pthread_create(&hogs[i].thread, NULL, hog_run, &hogs[i]);
	usleep(1000000);
	atomic_store(&spin_stop, 1);
	for (int i = 0; i < 3; i++) {
		pthread_join(hogs[i].thread, NULL);
		want += hogs[i].nivcsw;
	}
	k1 = sum_cpus("inv_swtch");
	p1 = sum_cpus("pswitch");
	cr_assert_gt(want, 10, "the spinners were preempted");
	fprintf(stderr, "inv_swtch: kstat delta %llu, spinners' nivcsw %llu, pswitch delta %llu\n",
		(unsigned long long)(k1 - k0), (unsigned long long)want,
		(unsigned long long)(p1 - p0));
	cr_expect_geq(k1 - k0, want);
	cr_expect_leq(k1 - k0, p1 - p0, "involuntary switches are switches");
}

Test(cpu_sys, sysexec_and_pgfault_count_what_the_test_does)
{
	const int execs = 20, pages = 2000;
	uint64_t e0, e1, f0, f1;
	long psz = sysconf(_SC_PAGESIZE);
	char *mem;

	e0 = sum_cpus("sysexec");
	for (int i = 0; i < execs; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	e1 = sum_cpus("sysexec");
	cr_expect_geq(e1 - e0, execs);
	cr_expect_lt(e1 - e0, execs + 50, "only a few other execs ran meanwhile");

	f0 = sum_cpus("pgfault");
	mem = mmap(NULL, (size_t)pages * (size_t)psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(mem, MAP_FAILED);
	for (int i = 0; i < pages; i++)
		mem[(size_t)i * (size_t)psz] = 1; /* first touch: one fault per page */
	f1 = sum_cpus("pgfault");
	munmap(mem, (size_t)pages * (size_t)psz);
	cr_expect_geq(f1 - f0, pages);
}

/* Offsets of struct cpu_sys members, from the pinned map's own BTF */
struct cs_layout {
	uint32_t idle, busy, since, in_idle, in_busy;
	size_t stride;
};

static uint32_t member_off(const struct btf *btf, const struct btf_type *t, const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++)
		if (strcmp(btf__name_by_offset(btf, m->name_off), name) == 0)
			return btf_member_bit_offset(t, (uint32_t)i) / 8;
	cr_assert_fail("struct cpu_sys has no member %s", name);
	return 0;
}

static void cs_layout(int fd, struct cs_layout *l)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	const struct btf_type *t;
	struct btf *btf;

	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	btf = btf__load_from_kernel_by_id(info.btf_id);
	cr_assert(btf);
	t = btf__type_by_id(btf, info.btf_value_type_id);
	cr_assert(t && btf_is_struct(t));
	l->idle = member_off(btf, t, "cpu_nsec_idle");
	l->busy = member_off(btf, t, "cpu_nsec_busy");
	l->since = member_off(btf, t, "since");
	l->in_idle = member_off(btf, t, "in_idle");
	l->in_busy = member_off(btf, t, "in_busy");
	l->stride = (info.value_size + 7) & ~7u;
	btf__free(btf);
}

static uint64_t rd64(const char *v, uint32_t off)
{
	uint64_t x;

	memcpy(&x, v + off, 8);
	return x;
}

static uint32_t rd32(const char *v, uint32_t off)
{
	uint32_t x;

	memcpy(&x, v + off, 4);
	return x;
}

/* As the engine reads a statistic: the counter plus the time still accruing */
static uint64_t open_value(const char *v, uint32_t ctr, uint32_t flag, uint32_t since, uint64_t now)
{
	uint64_t val = rd64(v, ctr), t = rd64(v, since);

	if (rd32(v, flag) && t && now > t)
		val += now - t;
	return val;
}

static atomic_int churn_stop;

/* Busy for a while: long intervals keep a high copy higher than the next ones */
static void spin_us(int us)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < us * 1000L);
}

/* On CPU 1: bursts of switches between two busy threads, then a little idle */
static void *churn(void *arg)
{
	int *p = arg;
	char c = 0;

	while (!atomic_load(&churn_stop)) {
		for (int i = 0; i < 20; i++) {
			spin_us(20);
			if (write(p[1], &c, 1) != 1 || read(p[2], &c, 1) != 1)
				return NULL;
		}
		usleep(200);
	}
	c = 1;
	if (write(p[1], &c, 1) != 1)
		return NULL;
	return NULL;
}

static void *echo(void *arg)
{
	int *p = arg;
	char c = 0;

	while (read(p[0], &c, 1) == 1 && c == 0) {
		spin_us(20);
		if (write(p[3], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void pin_thread(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(t, sizeof(set), &set);
}

/*
 * A copy of a CPU's value is taken word by word while that CPU may be in
 * the middle of recording a switch.  Whatever it catches may read low
 * (later reads catch up) but never high: the engine serves the highest
 * value it has read, and after a restart only what the map holds is left,
 * so a high read is a counter going backwards.  Intervals telescope, so
 * since - idle - busy is the same in every consistent copy; a copy that
 * shows it and one state flag gives the exact value at its time, which no
 * earlier copy may exceed.
 */
Test(cpu_sys, a_copy_taken_during_a_switch_never_reads_high)
{
	enum { NREADS = 200000 };
	struct rd {
		uint64_t busy, idle, d;
		bool settled;
	} *r = calloc(NREADS, sizeof(*r));
	char path[256];
	struct cs_layout l;
	int a[2], b[2], fds[4], fd, ncv = libbpf_num_possible_cpus(), n = 0, best = 0;
	uint64_t max_busy = 0, max_idle = 0, d = 0;
	pthread_t t1, t2;
	char *vals;
	struct timespec end;

	if (ncpus < 2)
		cr_skip_test("needs two CPUs");
	snprintf(path, sizeof(path), "%s/cpu_sys/cpu_sys", test_pin_path());
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cs_layout(fd, &l);
	vals = calloc((size_t)ncv, l.stride);
	cr_assert(vals && r);
	cr_assert_eq(pipe(a), 0);
	cr_assert_eq(pipe(b), 0);
	fds[0] = a[0];
	fds[1] = a[1];
	fds[2] = b[0];
	fds[3] = b[1];
	atomic_store(&churn_stop, 0);
	pthread_create(&t1, NULL, churn, fds);
	pthread_create(&t2, NULL, echo, fds);
	pin_thread(t1, 1);
	pin_thread(t2, 1);
	pin_thread(pthread_self(), 0);
	usleep(10000);

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 1;
	while (n < NREADS) {
		uint32_t zero = 0;
		uint64_t now = (uint64_t)snap_now();
		const char *v = vals + l.stride;
		struct timespec ts;

		cr_assert_eq(bpf_map_lookup_elem(fd, &zero, vals), 0);
		r[n].busy = open_value(v, l.busy, l.in_busy, l.since, now);
		r[n].idle = open_value(v, l.idle, l.in_idle, l.since, now);
		r[n].d = rd64(v, l.since) - rd64(v, l.busy) - rd64(v, l.idle);
		r[n].settled = rd64(v, l.since) && (!rd32(v, l.in_busy) != !rd32(v, l.in_idle));
		n++;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec > end.tv_sec || (ts.tv_sec == end.tv_sec && ts.tv_nsec > end.tv_nsec))
			break;
	}
	atomic_store(&churn_stop, 1);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);

	/* the consistent copies' since - idle - busy: the most common one */
	for (int i = 0, cnt = 0; i < n && i < 64; i++, cnt = 0) {
		for (int j = 0; j < n && j < 64; j++)
			cnt += r[j].d == r[i].d;
		if (cnt > best) {
			best = cnt;
			d = r[i].d;
		}
	}
	cr_assert_gt(best, 32, "most copies are consistent");
	for (int i = 0; i < n; i++) {
		if (r[i].settled && r[i].d == d)
			cr_expect(
				r[i].busy >= max_busy && r[i].idle >= max_idle,
				"copy %d of cpu 1 (busy %llu, idle %llu) is lower than an earlier "
				"one (busy %llu, idle %llu): that one read high",
				i, (unsigned long long)r[i].busy, (unsigned long long)r[i].idle,
				(unsigned long long)max_busy, (unsigned long long)max_idle);
		max_busy = r[i].busy > max_busy ? r[i].busy : max_busy;
		max_idle = r[i].idle > max_idle ? r[i].idle : max_idle;
	}
	fprintf(stderr, "%d copies of cpu 1 checked\n", n);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	close(fd);
	free(vals);
	free(r);
}
