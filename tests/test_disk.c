// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The disk provider against the kernel's books, on devices the test makes
 * itself: a loop device (request-based), a zram device (bio-based) and a
 * partition of a loop device.  Counts equal /proc/diskstats and
 * /sys/block/.../stat deltas; the queue time sums stay within 2% of
 * time_in_queue and rtime is io_ticks; after heavy concurrent I/O every
 * idle disk's queues are the kernel's in-flight counts; requests the
 * program misses are reconciled from the books and counted.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "builtin_fx.h"
#include "os/bpf_apart.h"
#include "provider.h"
#include "sysfs.h"

#define BLOCK 4096
#define K 256
#define SYNC_MS 500 /* kstatd's default sync interval */

static char backing[128], loopdev[64], loopname[64];

static void loop_attach(const char *opts)
{
	int fd;

	snprintf(backing, sizeof(backing), "/var/tmp/kstatd-test-disk-%d-XXXXXX", (int)getpid());
	fd = mkstemp(backing);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 64 << 20), 0);
	close(fd);
	cr_assert_eq(sh(loopdev, sizeof(loopdev), "losetup %s -f --show %s", opts, backing), 0);
	cr_assert(strncmp(loopdev, "/dev/loop", 9) == 0, "losetup said '%s'", loopdev);
	snprintf(loopname, sizeof(loopname), "%s", loopdev + 5);
}

static void loop_detach(void)
{
	if (loopdev[0] && sh(NULL, 0, "losetup -d %s 2>/dev/null", loopdev) == 0)
		loopdev[0] = '\0';
	if (backing[0])
		unlink(backing);
	backing[0] = '\0';
}

static void set_scheduler(const char *sched)
{
	cr_assert_eq(sh(NULL, 0, "echo %s > /sys/block/%s/queue/scheduler", sched, loopname), 0);
}

static void setup(void)
{
	require_bpf();
	loop_attach("");
	set_scheduler("none"); /* a loop device keeps the last one set, by any test */
	builtin_start("disk");
}

static void teardown(void)
{
	builtin_stop();
	loop_detach();
}

TestSuite(disk, .init = setup, .fini = teardown, .timeout = 120);

/* /sys/class/block/<dev>/stat: the same numbers as /proc/diskstats */
struct books {
	uint64_t reads, rsect, rms, writes, wsect, wms, inflight, ticks_ms, tiq_ms;
};

static struct books books(const char *dev)
{
	char path[128], line[512];
	unsigned long long v[11];
	struct books b;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/block/%s/stat", dev);
	f = fopen(path, "re");
	cr_assert(f, "no %s", path);
	cr_assert(fgets(line, sizeof(line), f));
	fclose(f);
	cr_assert_eq(sscanf(line, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]),
		     11);
	b = (struct books){ v[0], v[2], v[3], v[4], v[6], v[7], v[8], v[9], v[10] };
	return b;
}

/* /sys/class/block/<dev>/inflight: requests in the driver */
static uint64_t inflight(const char *dev)
{
	char path[128];
	unsigned long long r, w;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/block/%s/inflight", dev);
	f = fopen(path, "re");
	if (!f)
		return UINT64_MAX;
	if (fscanf(f, "%llu %llu", &r, &w) != 2)
		r = w = UINT64_MAX / 2;
	fclose(f);
	return r + w;
}

/*
 * Wait (5 s at most) until the books count reads and writes more than from
 * and nothing is in the driver.  An O_DIRECT read returns when its bio
 * ends, before its request's completion is accounted (block_io_done, then
 * the books), so a stream's last completions may still be on their way;
 * "inflight" is 0 from the completion on, so it is the count that tells.
 */
static void settle(const char *dev, const struct books *from, uint64_t reads, uint64_t writes)
{
	hrtime_t end = snap_now() + 5000000000LL;
	struct books b;

	for (;;) {
		b = books(dev);
		if (b.reads - from->reads >= reads && b.writes - from->writes >= writes &&
		    inflight(dev) == 0)
			return;
		cr_assert_lt(snap_now(), end, "%s: the books never counted the test's I/O", dev);
		usleep(1000);
	}
}

/* The IO kstat named name, whatever its driver; its header in *h if asked */
static kid_t find_io(const char *name, kstat_t *hdr)
{
	uint_t n;
	kstat_t *h = read_headers(s, &n);
	kid_t kid = -1;

	for (uint_t i = 0; i < n; i++) {
		if (h[i].ks_type != KSTAT_TYPE_IO || strcmp(h[i].ks_name, name))
			continue;
		kid = h[i].ks_kid;
		if (hdr)
			*hdr = h[i];
	}
	free(h);
	return kid;
}

static kstat_io_t read_io(const char *name)
{
	kid_t kid = find_io(name, NULL);
	struct snap_rhdr hdr;
	kstat_io_t io, *p;

	cr_assert_geq(kid, 0, "no IO kstat named %s", name);
	cr_assert_eq(read_kid(s, kid, (void **)&p, &hdr), 0);
	cr_assert_eq(hdr.ks_data_size, sizeof(kstat_io_t));
	io = *p;
	free(p);
	return io;
}

struct stream {
	const char *dev;
	int nreads, nwrites;
	off_t base;
};

static void *run_stream(void *arg)
{
	struct stream *st = arg;
	int fd = open(st->dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	void *buf;

	cr_assert_geq(fd, 0, "open %s", st->dev);
	cr_assert_eq(posix_memalign(&buf, BLOCK, BLOCK), 0);
	memset(buf, 0x5a, BLOCK);
	for (int i = 0; i < st->nwrites; i++)
		cr_assert_eq(pwrite(fd, buf, BLOCK, st->base + (off_t)i * BLOCK), BLOCK);
	for (int i = 0; i < st->nreads; i++)
		cr_assert_eq(pread(fd, buf, BLOCK, st->base + (off_t)i * BLOCK), BLOCK);
	free(buf);
	close(fd);
	return NULL;
}

/* n streams, each writing then reading k blocks of its own with O_DIRECT */
static void direct_io(const char *dev, int n, int k)
{
	struct stream st[8];
	pthread_t t[8];

	for (int i = 0; i < n; i++) {
		st[i] = (struct stream){ dev, k, k, (off_t)i * k * BLOCK };
		pthread_create(&t[i], NULL, run_stream, &st[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void expect_exact(const char *dev, const kstat_io_t *a, const kstat_io_t *b,
			 const struct books *p, const struct books *q, int reads, int writes)
{
	fprintf(stderr,
		"%s: kstat reads %u writes %u nread %llu nwritten %llu; books reads %llu "
		"writes %llu sectors %llu/%llu\n",
		dev, b->reads - a->reads, b->writes - a->writes,
		(unsigned long long)(b->nread - a->nread),
		(unsigned long long)(b->nwritten - a->nwritten),
		(unsigned long long)(q->reads - p->reads),
		(unsigned long long)(q->writes - p->writes),
		(unsigned long long)(q->rsect - p->rsect),
		(unsigned long long)(q->wsect - p->wsect));
	cr_expect_eq(b->reads - a->reads, q->reads - p->reads, "%s: reads as the books", dev);
	cr_expect_eq(b->writes - a->writes, q->writes - p->writes, "%s: writes as the books", dev);
	cr_expect_eq(b->nread - a->nread, (q->rsect - p->rsect) * 512, "%s: nread", dev);
	cr_expect_eq(b->nwritten - a->nwritten, (q->wsect - p->wsect) * 512, "%s: nwritten", dev);
	cr_expect_eq(b->reads - a->reads, (unsigned)reads, "%s: the reads the test made", dev);
	cr_expect_eq(b->writes - a->writes, (unsigned)writes, "%s: the writes it made", dev);
	cr_expect_eq(b->nread - a->nread, (uint64_t)reads * BLOCK);
	cr_expect_eq(b->nwritten - a->nwritten, (uint64_t)writes * BLOCK);
	cr_expect_eq(b->wcnt, 0, "%s: nothing waits at rest", dev);
	cr_expect_eq(b->rcnt, 0, "%s: nothing runs at rest", dev);
}

/* What a kstat and the kernel's books say before and after some I/O, and how long it took */
struct round {
	kstat_io_t a, b;
	struct books p, q;
	uint64_t wall_ns;
};

/* n streams of k blocks each on dev, whose kstat name is name: counts must match exactly */
static struct round io_round(const char *name, const char *dev, int n, int k)
{
	struct round r;
	uint64_t t0;

	r.a = read_io(name);
	r.p = books(name);
	t0 = (uint64_t)snap_now();
	direct_io(dev, n, k);
	r.wall_ns = (uint64_t)snap_now() - t0;
	r.q = books(name);
	r.b = read_io(name);
	expect_exact(name, &r.a, &r.b, &r.p, &r.q, n * k, n * k);
	return r;
}

/* wlentime + rlentime against time_in_queue, rtime against io_ticks, over an interval */
static void expect_times(const char *dev, const kstat_io_t *a, const kstat_io_t *b,
			 const struct books *p, const struct books *q)
{
	double lentime = (double)((b->wlentime - a->wlentime) + (b->rlentime - a->rlentime)) / 1e6;
	double tiq = (double)(q->tiq_ms - p->tiq_ms), busy = (double)(b->rtime - a->rtime) / 1e6;
	double ticks = (double)(q->ticks_ms - p->ticks_ms);

	fprintf(stderr,
		"%s: queue time %.3f ms, time_in_queue %.0f ms; rtime %.3f ms, io_ticks %.0f ms\n",
		dev, lentime, tiq, busy, ticks);
	/*
	 * The books count whole milliseconds: 1 ms either way, plus 2%.  And
	 * the program takes each request's end at block_io_done, a little
	 * after the kernel took its own: up to 2 us a request on a loaded
	 * machine (interrupts in between), always on the long side.
	 */
	double late = (double)((b->reads - a->reads) + (b->writes - a->writes)) * 0.002;

	cr_expect_geq(tiq, 10, "%s: the test kept the disk busy", dev);
	cr_expect_leq(lentime, tiq * 1.02 + 1 + late, "%s: queue time within 2%% of time_in_queue",
		      dev);
	cr_expect_geq(lentime, tiq * 0.98 - 1, "%s: queue time within 2%% of time_in_queue", dev);
	cr_expect_leq(busy, ticks * 1.02 + 1, "%s: rtime within 2%% of io_ticks", dev);
	cr_expect_geq(busy, ticks * 0.98 - 1, "%s: rtime within 2%% of io_ticks", dev);
	cr_expect_geq(b->wlentime, a->wlentime);
	cr_expect_geq(b->wtime - a->wtime, 0);
	cr_expect_leq(b->wtime - a->wtime, b->wlentime - a->wlentime, "%s: wtime <= wlentime", dev);
	cr_expect_leq(b->wtime - a->wtime, b->rtime - a->rtime, "%s: wtime <= busy time", dev);
}

Test(disk, a_loop_device_is_named_as_illumos_names_disks)
{
	unsigned int major, minor;
	char devno[32], seq[32];
	kstat_t h;

	cr_assert_geq(find_io(loopname, &h), 0, "no IO kstat named %s", loopname);
	cr_expect_str_eq(h.ks_module, "loop", "the module is the driver");
	cr_expect_eq(h.ks_instance, atoi(loopname + 4), "the instance is the loop's number");
	cr_expect_str_eq(h.ks_class, "stacked", "a loop device is stacked on a file");
	cr_assert_eq(sh(devno, sizeof(devno), "cat /sys/block/%s/dev", loopname), 0);
	cr_assert_eq(sscanf(devno, "%u:%u", &major, &minor), 2);
	cr_assert_eq(sh(seq, sizeof(seq), "cat /sys/block/%s/diskseq", loopname), 0);
	cr_expect_eq(read_u64(s, "loopinfo", h.ks_instance, loopname, "major"), major);
	cr_expect_eq(read_u64(s, "loopinfo", h.ks_instance, loopname, "minor"), minor);
	cr_expect_eq(read_u64(s, "loopinfo", h.ks_instance, loopname, "diskseq"),
		     strtoull(seq, NULL, 10));
	cr_expect_eq(read_u64(s, "loopinfo", h.ks_instance, loopname, "partition"), 0);
}

Test(disk, every_block_device_with_a_medium_has_an_io_kstat)
{
	char line[64];
	FILE *p = popen("cd /sys/class/block && for d in *; do [ \"$(cat $d/size)\" != 0 ] && "
			"echo $d; done",
			"r");
	int devs = 0;

	cr_assert(p);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "loop", 4) == 0 && strcmp(line, loopname))
			continue; /* other tests' loop devices come and go */
		if (strncmp(line, "dm-", 3) == 0)
			continue; /* named after their mapper names */
		devs++;
		cr_expect_geq(find_io(line, NULL), 0, "no IO kstat named %s", line);
	}
	pclose(p);
	cr_expect_geq(devs, 1);
}

Test(disk, direct_reads_and_writes_match_the_books_exactly)
{
	struct round r = io_round(loopname, loopdev, 1, K);

	/* busy time in the kernel's jiffies: 512 fast requests may fit in one */
	cr_expect_geq(r.b.rtime, r.a.rtime);
	cr_expect_eq(r.b.wtime - r.a.wtime, r.b.wlentime - r.a.wlentime,
		     "one stream: at most one request waits at a time");
	cr_expect_geq(r.b.rlastupdate, r.a.rlastupdate);
}

Test(disk, queue_time_and_busy_time_follow_the_books)
{
	struct round r;

	set_scheduler("mq-deadline");
	/*
	 * Whether 4 streams overlap is the host's doing: on a busy one they
	 * can run one at a time, and the kernel's books say so (time_in_queue
	 * no more than io_ticks), or too briefly to measure.  Such a round
	 * proves nothing: run another, twice as long.
	 */
	for (int round = 0; round < 3; round++) {
		r = io_round(loopname, loopdev, 4, K << round);
		if ((r.q.tiq_ms - r.p.tiq_ms) * 10 > (r.q.ticks_ms - r.p.ticks_ms) * 11 &&
		    r.q.tiq_ms - r.p.tiq_ms >= 10)
			break;
		fprintf(stderr,
			"4 streams ran one at a time by the books, or too briefly (%llu ms in "
			"queue, %llu ms busy): again\n",
			(unsigned long long)(r.q.tiq_ms - r.p.tiq_ms),
			(unsigned long long)(r.q.ticks_ms - r.p.ticks_ms));
	}
	expect_times(loopname, &r.a, &r.b, &r.p, &r.q);
	fprintf(stderr, "mq-deadline, 4 streams: wlentime %.3f ms rlentime %.3f ms (actv %.2f)\n",
		(double)(r.b.wlentime - r.a.wlentime) / 1e6,
		(double)(r.b.rlentime - r.a.rlentime) / 1e6,
		(double)(r.b.rlentime - r.a.rlentime) / (double)(r.b.rtime - r.a.rtime));
	cr_expect_gt(r.b.rlentime - r.a.rlentime, r.b.rtime - r.a.rtime,
		     "more than one runs at a time");
	/*
	 * Never more than 4: against the wall time the streams took, since
	 * rtime is io_ticks, whole jiffies whose error grows with each busy
	 * spell, and a slowed test makes many short ones.  Every request
	 * starts and ends within that time (the program's end too: it comes
	 * before the waiter returns).  Beyond it, where rlentime is raised to
	 * time_in_queue: the books' whole milliseconds, and the millisecond a
	 * shortfall may reach before it is.
	 */
	cr_expect_leq(r.b.rlentime - r.a.rlentime + (r.b.wlentime - r.a.wlentime),
		      4 * r.wall_ns + 2000000, "never more than 4 (%.3f ms in 4 x %.3f ms)",
		      (double)((r.b.rlentime - r.a.rlentime) + (r.b.wlentime - r.a.wlentime)) / 1e6,
		      (double)r.wall_ns / 1e6);
}

Test(disk, the_latency_histograms_count_every_read_and_write)
{
	struct snap_rhdr h0, h1;
	int inst = atoi(loopname + 4);
	kid_t kid = find_kid(s, "loopinfo", inst, loopname);
	void *d0, *d1;
	struct hist r0, w0, r1, w1;
	struct books p, q;

	cr_assert_geq(kid, 0);
	cr_assert_eq(read_kid(s, kid, &d0, &h0), 0);
	r0 = hist_read(d0, h0.ks_ndata, "read_lat");
	w0 = hist_read(d0, h0.ks_ndata, "write_lat");
	p = books(loopname);
	direct_io(loopdev, 2, K);
	q = books(loopname);
	cr_assert_eq(read_kid(s, kid, &d1, &h1), 0);
	r1 = hist_read(d1, h1.ks_ndata, "read_lat");
	w1 = hist_read(d1, h1.ks_ndata, "write_lat");
	cr_expect_eq(hist_events(&r0, &r1, "read"), 2 * K);
	cr_expect_eq(hist_events(&w0, &w1, "write"), 2 * K);
	/* issue to completion is part of what the books time, from accounting start */
	cr_expect_leq((r1.sum - r0.sum) / 1000000, q.rms - p.rms + 1);
	cr_expect_leq((w1.sum - w0.sum) / 1000000, q.wms - p.wms + 1);
	free(d0);
	free(d1);
}

static void hammer(const char *dev, int procs, int ms)
{
	pid_t pid[8];

	for (int i = 0; i < procs; i++) {
		pid[i] = fork();
		cr_assert_geq(pid[i], 0);
		if (pid[i] == 0) {
			int fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
			hrtime_t end = snap_now() + (hrtime_t)ms * 1000000;
			void *buf;

			if (fd < 0 || posix_memalign(&buf, BLOCK, BLOCK))
				_exit(1);
			memset(buf, i, BLOCK);
			for (unsigned int n = 0;; n++) {
				off_t off =
					(off_t)((n * 7919u + (unsigned)i * 1031u) % 8192u) * BLOCK;

				if ((n & 3) ? pread(fd, buf, BLOCK, off) < 0
					    : pwrite(fd, buf, BLOCK, off) < 0)
					_exit(1);
				if (snap_now() > end)
					_exit(0);
			}
		}
	}
	for (int i = 0; i < procs; i++) {
		int st;

		cr_assert_eq(waitpid(pid[i], &st, 0), pid[i]);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "I/O process %d failed", i);
	}
}

/* Wait (up to ms) until the kstat's queues hold what the kernel says is in flight */
static bool queues_match(const char *dev, int ms, uint64_t *kstat_q, uint64_t *kernel_q)
{
	for (int tries = 0; tries <= ms / 50; tries++) {
		kstat_io_t io = read_io(dev);

		*kstat_q = (uint64_t)io.wcnt + io.rcnt;
		*kernel_q = inflight(dev);
		if (*kstat_q == *kernel_q)
			return true;
		usleep(50000);
	}
	return false;
}

Test(disk, after_heavy_concurrent_io_idle_disks_show_the_kernels_in_flight_and_no_busy_time)
{
	uint_t n;
	kstat_t *h;
	kstat_io_t a, b;
	uint64_t kq, ks;

	set_scheduler("mq-deadline");
	hammer(loopdev, 6, 1500);
	h = read_headers(s, &n);
	for (uint_t i = 0; i < n; i++) {
		if (h[i].ks_type != KSTAT_TYPE_IO || !strcmp(h[i].ks_class, "partition") ||
		    (strncmp(h[i].ks_name, "loop", 4) == 0 && strcmp(h[i].ks_name, loopname)))
			continue;
		/* other tests' and builds' I/O may keep a disk busy: it gets longer to be idle once */
		cr_expect(queues_match(h[i].ks_name,
				       strcmp(h[i].ks_name, loopname) ? 4 * SYNC_MS : SYNC_MS, &ks,
				       &kq),
			  "%s: wcnt+rcnt %llu, the kernel's in flight %llu", h[i].ks_name,
			  (unsigned long long)ks, (unsigned long long)kq);
	}
	free(h);
	a = read_io(loopname);
	cr_expect_eq(a.wcnt + a.rcnt, 0, "%s is idle", loopname);
	usleep(300000);
	b = read_io(loopname);
	cr_expect_eq(b.rtime, a.rtime, "an idle interval is 0%% busy");
	cr_expect_eq(b.wtime, a.wtime);
	cr_expect_eq(b.rlentime, a.rlentime);
	cr_expect_eq(b.wlentime, a.wlentime);
}

static struct provider *disk_provider(void)
{
	struct provider *p = loader_find(ld, "disk");

	cr_assert(p);
	cr_assert_eq(p->nlinks, 1, "one program");
	return p;
}

Test(disk, requests_the_program_misses_are_reconciled_from_the_books_and_counted)
{
	struct provider *p = disk_provider();
	struct bpf_program *prog = bpf_object__find_program_by_name(p->obj, "handle_block_io_done");
	uint64_t missed0 = read_u64(s, "kstatd", 0, "disk", "missed"),
		 rec0 = read_u64(s, "kstatd", 0, "disk", "reconciled"), missed, rec, skipped0,
		 skipped, missed_again;
	struct books qa, q0, q1, q2;
	kstat_io_t a, b, c;

	cr_assert(prog);
	set_scheduler("mq-deadline");
	qa = books(loopname);
	direct_io(loopdev, 2, 16);
	settle(loopname, &qa, 2 * 16, 2 * 16);
	a = read_io(loopname);
	q0 = books(loopname);
	/* the program goes for a while, behind the provider's back */
	cr_assert(p->apart, "the built-ins load in a child");
	close(p->links[0].fd);
	p->links[0].fd = -1;
	/* enough I/O for 20 ms of queue on a quiet host, as below */
	direct_io(loopdev, 4, 4 * K);
	/* all of it missed: back only once its completions are accounted */
	settle(loopname, &q0, 16 * K, 16 * K);
	p->links[0].fd = bpf_apart_attach(prog, bpf_apart_prog_fd(p->obj, p->prog_fds, prog));
	cr_assert_geq(p->links[0].fd, 0);
	/* before b's fill counts what was missed: a run skipped meanwhile errs on the safe side */
	skipped0 = read_u64(s, "kstatd", 0, "disk", "run_misses");
	q1 = books(loopname);
	b = read_io(loopname);
	missed = read_u64(s, "kstatd", 0, "disk", "missed") - missed0;
	rec = read_u64(s, "kstatd", 0, "disk", "reconciled") - rec0;
	fprintf(stderr, "missed %llu requests, %llu reconciliations, +%llu ns\n",
		(unsigned long long)missed, (unsigned long long)rec,
		(unsigned long long)read_u64(s, "kstatd", 0, "disk", "reconciled_time"));
	cr_expect_geq(missed, 32 * K, "the requests it missed are counted");
	cr_expect_geq(rec, 1, "and reconciled");
	expect_exact(loopname, &a, &b, &q0, &q1, 16 * K, 16 * K);
	expect_times(loopname, &a, &b, &q0, &q1);
	/* and the program's sums carry on from there (enough I/O for 20 ms of queue on a quiet host) */
	direct_io(loopdev, 4, 4 * K);
	q2 = books(loopname);
	c = read_io(loopname);
	expect_times(loopname, &b, &c, &q1, &q2);
	/*
	 * Once back, it misses what the kernel skipped (a completion in an
	 * interrupt that lands while the program runs on that CPU) and, under
	 * heavy load, a few more whose cause is not known (seen: 6 of 8192
	 * with none skipped, an ASan build beside two CPU hogs): at most 1%
	 */
	missed_again = read_u64(s, "kstatd", 0, "disk", "missed") - missed0 - missed;
	skipped = read_u64(s, "kstatd", 0, "disk", "run_misses") - skipped0;
	fprintf(stderr, "once back: %llu missed, %llu runs skipped\n",
		(unsigned long long)missed_again, (unsigned long long)skipped);
	cr_expect_leq(missed_again, skipped + 32 * K / 100,
		      "once back, it sees nearly every request: %llu missed, %llu skipped",
		      (unsigned long long)missed_again, (unsigned long long)skipped);
}

static void *hammer_thread(void *arg)
{
	hammer(arg, 4, 800);
	return NULL;
}

Test(disk, detaching_and_attaching_during_io_leaves_no_stale_queue)
{
	kstat_io_t a, b, c;
	pthread_t t;

	set_scheduler("mq-deadline");
	pthread_create(&t, NULL, hammer_thread, loopdev);
	usleep(50000);
	a = read_io(loopname);
	write_stat(s, "kstatd", 0, "config", "disk", 0);
	cr_assert_geq(loader_sync(ld), 2);
	cr_expect_eq(find_io(loopname, NULL), -1, "detached: no kstat");
	usleep(50000);
	write_stat(s, "kstatd", 0, "config", "disk", 1);
	cr_assert_geq(loader_sync(ld), 2);
	pthread_join(t, NULL);
	b = read_io(loopname);
	fprintf(stderr, "after: reads %u->%u, rtime %lld->%lld, wcnt %u rcnt %u\n", a.reads,
		b.reads, a.rtime, b.rtime, b.wcnt, b.rcnt);
	cr_expect_eq(b.wcnt, 0, "no request left waiting");
	cr_expect_eq(b.rcnt, 0, "no request left running");
	cr_expect_gt(b.reads, a.reads, "counters continue");
	cr_expect_geq(b.rtime, a.rtime, "and never go back");
	cr_expect_geq(b.rlentime + b.wlentime, a.rlentime + a.wlentime);
	usleep(200000);
	c = read_io(loopname);
	cr_expect_eq(c.rtime, b.rtime, "an idle disk accrues no busy time");
	cr_expect_eq(c.wtime, b.wtime);
}

Test(disk, a_detached_disk_vanishes_and_the_chain_id_moves)
{
	kid_t chain, kid = find_io(loopname, NULL);
	char name[64];

	cr_assert_geq(kid, 0);
	snprintf(name, sizeof(name), "%s", loopname);
	direct_io(loopdev, 1, 4);
	chain = snap_chain_id(s);
	loop_detach();
	cr_assert_geq(loader_sync(ld), 2, "its two kstats deleted");
	cr_expect_eq(find_io(name, NULL), -1);
	cr_expect_eq(find_named(s, "loopinfo", name, NULL), -1);
	cr_expect_gt(snap_chain_id(s), chain);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_eq(find_io(name, NULL), -1, "and it stays gone");
}

/*
 * A sync looks for devices in sysfs only when they may have changed (a
 * block uevent, /proc/partitions): back-to-back idle syncs mostly do not,
 * and one right after a device goes does.  Other suites' loop devices
 * come and go meanwhile (test_churn.sh's every 0.3 s), each a look: of up
 * to 10 runs of 10 syncs, one must look at most twice (each looks 10
 * times where every sync scans).
 */
Test(disk, idle_syncs_do_not_rescan_sysfs_and_a_change_is_seen_at_once)
{
	uint64_t before, least = UINT64_MAX;
	char name[64];

	cr_assert_geq(loader_sync(ld), 0);
	for (int run = 0; run < 10 && least > 2; run++) {
		uint64_t looks;

		before = read_u64(s, "kstatd", 0, "disk", "scans");
		for (int i = 0; i < 10; i++)
			cr_assert_geq(loader_sync(ld), 0);
		looks = read_u64(s, "kstatd", 0, "disk", "scans") - before;
		least = looks < least ? looks : least;
	}
	cr_expect_leq(least, 2, "10 idle syncs looked at least %llu times in every run",
		      (unsigned long long)least);
	snprintf(name, sizeof(name), "%s", loopname);
	before = read_u64(s, "kstatd", 0, "disk", "scans");
	loop_detach();
	cr_assert_geq(loader_sync(ld), 2, "its two kstats deleted by the next sync");
	cr_expect_eq(find_io(name, NULL), -1);
	cr_expect_gt(read_u64(s, "kstatd", 0, "disk", "scans"), before);
}

/* One walk reads /proc/diskstats once for every disk kstat (disk_collect): one snaptime */
Test(disk, a_walk_reads_every_disk_kstat_at_once)
{
	struct one_read o = walk_one_read(s, "loop");

	cr_expect_geq(o.n, 2, "the loop device's IO and loopinfo kstats");
	cr_expect_eq(o.other, 0, "%d of %d loop kstats read apart", o.other, o.n);
}

/* A partition of a loop device: an MBR the test writes, added with partx */
Test(disk, a_partition_is_an_io_kstat_of_its_own)
{
	unsigned char mbr[512] = { 0 };
	uint32_t start = 2048, count = 65536;
	char part[80], pdev[96];
	struct books pd0, pd1, pp0, pp1;
	kstat_io_t da, db, pa, pb;
	kstat_t h, dh;
	int fd;

	loop_detach();
	loop_attach("-P");
	mbr[446 + 4] = 0x83;
	memcpy(mbr + 446 + 8, &start, 4);
	memcpy(mbr + 446 + 12, &count, 4);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	fd = open(loopdev, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, mbr, sizeof(mbr), 0), (ssize_t)sizeof(mbr));
	close(fd);
	snprintf(part, sizeof(part), "%sp1", loopname);
	snprintf(pdev, sizeof(pdev), "/dev/%s", part);
	/* this kernel may parse no partition tables: partx reads it and tells the kernel */
	if (access(pdev, F_OK))
		cr_assert_eq(sh(NULL, 0, "partx -a %s", loopdev), 0, "partx -a %s", loopdev);
	cr_assert_geq(loader_sync(ld), 0);
	cr_assert_geq(find_io(part, &h), 0, "no IO kstat for %s", part);
	cr_assert_geq(find_io(loopname, &dh), 0);
	cr_expect_str_eq(h.ks_class, "partition");
	cr_expect_str_eq(h.ks_module, "loop", "a partition has its disk's driver");
	cr_expect_eq(h.ks_instance, dh.ks_instance, "and its disk's instance, as sd0,a in illumos");
	cr_expect_eq(read_u64(s, "loopinfo", h.ks_instance, part, "partition"), 1);
	set_scheduler("mq-deadline");
	da = read_io(loopname);
	pa = read_io(part);
	pd0 = books(loopname);
	pp0 = books(part);
	direct_io(pdev, 4, K);
	pp1 = books(part);
	pd1 = books(loopname);
	pb = read_io(part);
	db = read_io(loopname);
	expect_exact(part, &pa, &pb, &pp0, &pp1, 4 * K, 4 * K);
	expect_exact(loopname, &da, &db, &pd0, &pd1, 4 * K, 4 * K);
	expect_times(part, &pa, &pb, &pp0, &pp1);
	expect_times(loopname, &da, &db, &pd0, &pd1);
}

/* zram: a bio-based device of the test's own (hot_add), timed from the books */
Test(disk, zram_counts_and_times_match_its_books)
{
	char num[16], name[32], dev[48];
	struct round r;
	kstat_t h;
	int id;

	if (access("/sys/class/zram-control", F_OK))
		(void)sh(NULL, 0, "modprobe zram 2>/dev/null");
	if (access("/sys/class/zram-control", F_OK)) {
		skip_after(teardown,
			   "zram is not in this kernel (no /sys/class/zram-control, no module)");
		return;
	}
	cr_assert_eq(sh(num, sizeof(num), "cat /sys/class/zram-control/hot_add"), 0);
	id = atoi(num);
	snprintf(name, sizeof(name), "zram%d", id);
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	/* no medium yet: no kstat; its size, when set, comes with no uevent */
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_eq(find_io(name, NULL), -1, "%s has no sectors yet", name);
	cr_assert_eq(sh(NULL, 0, "echo 64M > /sys/block/%s/disksize", name), 0);
	cr_assert_geq(loader_sync(ld), 0);
	cr_assert_geq(find_io(name, &h), 0, "no IO kstat for %s", name);
	cr_expect_str_eq(h.ks_module, "zram");
	cr_expect_eq(h.ks_instance, id);
	cr_expect_str_eq(h.ks_class, "disk");
	r = io_round(name, dev, 4, K);
	/* bio-based: nothing to time per request, the books' ms are the times */
	cr_expect_eq(r.b.rlentime - r.a.rlentime, (hrtime_t)(r.q.tiq_ms - r.p.tiq_ms) * 1000000);
	cr_expect_eq(r.b.rtime - r.a.rtime, (hrtime_t)(r.q.ticks_ms - r.p.ticks_ms) * 1000000);
	cr_expect_eq(sh(NULL, 0, "echo %d > /sys/class/zram-control/hot_remove", id), 0);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_eq(find_io(name, NULL), -1, "a removed zram device's kstat goes");
}
