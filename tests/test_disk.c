// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * disk:<dev>:<name> and disk_lat:<dev>:<name> against /proc/diskstats, on
 * a loop device of the test's own: direct reads and writes of known size,
 * the wait and run queues with and without an I/O scheduler, one and
 * several streams, the latency histograms, and the kstat going with the
 * disk.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "builtin_fx.h"
#include "sysfs.h"

#define BLOCK 4096
#define K 64

static char backing[128], loopdev[64], loopname[64];

static void loop_attach(void)
{
	int fd;

	snprintf(backing, sizeof(backing), "/var/tmp/kstatd-test-disk-%d-XXXXXX", (int)getpid());
	fd = mkstemp(backing);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 64 << 20), 0);
	close(fd);
	cr_assert_eq(sh(loopdev, sizeof(loopdev), "losetup -f --show %s", backing), 0);
	cr_assert(strncmp(loopdev, "/dev/loop", 9) == 0, "losetup said '%s'", loopdev);
	snprintf(loopname, sizeof(loopname), "%s", loopdev + 5);
}

static void loop_detach(void)
{
	if (loopdev[0] && sh(NULL, 0, "losetup -d %s 2>/dev/null", loopdev) == 0)
		loopdev[0] = '\0';
}

static void set_scheduler(const char *sched);

static void setup(void)
{
	require_bpf();
	loop_attach();
	set_scheduler("none"); /* a loop device keeps the last one set, by any test */
	builtin_start("disk");
}

static void teardown(void)
{
	builtin_stop();
	loop_detach();
	if (backing[0])
		unlink(backing);
}

TestSuite(disk, .init = setup, .fini = teardown, .timeout = 120);

struct diskstats {
	uint64_t reads, rsect, rms, writes, wsect, wms, tiq_ms;
};

static struct diskstats diskstats(const char *name)
{
	char line[512], dev[64];
	struct diskstats d = { 0 };
	FILE *f = fopen("/proc/diskstats", "re");
	bool found = false;

	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[11];

		if (sscanf(line, "%*u %*u %63s %llu %*u %llu %llu %llu %*u %llu %llu %*u %llu %llu",
			   dev, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9 ||
		    strcmp(dev, name))
			continue;
		d = (struct diskstats){ v[0], v[1], v[2], v[3], v[4], v[5], v[7] };
		found = true;
	}
	fclose(f);
	cr_assert(found, "%s is not in /proc/diskstats", name);
	return d;
}

static kstat_io_t read_io(void)
{
	struct snap_rhdr hdr;
	kstat_io_t *p = read_named(s, "disk", loopname, &hdr), io;

	cr_assert_eq(hdr.ks_data_size, sizeof(kstat_io_t));
	io = *p;
	free(p);
	return io;
}

static void set_scheduler(const char *sched)
{
	cr_assert_eq(sh(NULL, 0, "echo %s > /sys/block/%s/queue/scheduler", sched, loopname), 0);
}

struct stream {
	int fd, nreads, nwrites;
	off_t base;
};

static void *run_stream(void *arg)
{
	struct stream *st = arg;
	void *buf;

	cr_assert_eq(posix_memalign(&buf, BLOCK, BLOCK), 0);
	memset(buf, 0x5a, BLOCK);
	for (int i = 0; i < st->nwrites; i++)
		cr_assert_eq(pwrite(st->fd, buf, BLOCK, st->base + (off_t)i * BLOCK), BLOCK);
	for (int i = 0; i < st->nreads; i++)
		cr_assert_eq(pread(st->fd, buf, BLOCK, st->base + (off_t)i * BLOCK), BLOCK);
	free(buf);
	return NULL;
}

/* n streams, each writing then reading k blocks of its own with O_DIRECT */
static void direct_io(int n, int k)
{
	struct stream st[8];
	pthread_t t[8];
	int fd = open(loopdev, O_RDWR | O_DIRECT | O_CLOEXEC);

	cr_assert_geq(fd, 0, "open %s", loopdev);
	for (int i = 0; i < n; i++) {
		st[i] = (struct stream){ fd, k, k, (off_t)i * k * BLOCK };
		pthread_create(&t[i], NULL, run_stream, &st[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	close(fd);
}

Test(disk, a_disk_has_an_io_kstat_named_after_it_before_any_io)
{
	char path[96], devno[32];
	unsigned int major, minor;
	int instance = -1;
	uint_t n;
	kstat_t *h = read_headers(s, &n);
	bool found = false;

	for (uint_t i = 0; i < n; i++) {
		if (strcmp(h[i].ks_module, "disk") || strcmp(h[i].ks_name, loopname))
			continue;
		found = true;
		instance = h[i].ks_instance;
		cr_expect_eq(h[i].ks_type, KSTAT_TYPE_IO);
		cr_expect_str_eq(h[i].ks_class, "disk");
	}
	free(h);
	cr_assert(found, "no disk:*:%s", loopname);
	snprintf(path, sizeof(path), "/sys/block/%s/dev", loopname);
	cr_assert_eq(sh(devno, sizeof(devno), "cat %s", path), 0);
	cr_assert_eq(sscanf(devno, "%u:%u", &major, &minor), 2);
	cr_expect_eq(instance, (int)(major << 20 | minor), "the instance is the dev_t");
	cr_expect_geq(find_named(s, "disk_lat", loopname, NULL), 0, "and a latency kstat");
}

Test(disk, every_disk_with_a_medium_has_one)
{
	char line[64];
	FILE *p = popen("cd /sys/block && for d in *; do [ \"$(cat $d/size)\" != 0 ] && "
			"echo $d; done",
			"r");
	int disks = 0;

	cr_assert(p);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "loop", 4) == 0 && strcmp(line, loopname))
			continue; /* other tests' loop devices come and go */
		disks++;
		cr_expect_geq(find_named(s, "disk", line, NULL), 0, "no disk:*:%s", line);
	}
	pclose(p);
	cr_expect_geq(disks, 1);
}

static void expect_exact(const kstat_io_t *a, const kstat_io_t *b, const struct diskstats *p,
			 const struct diskstats *q, int reads, int writes)
{
	fprintf(stderr,
		"%s: kstat reads %u writes %u nread %llu nwritten %llu; diskstats reads %llu "
		"writes %llu sectors %llu/%llu\n",
		loopname, b->reads - a->reads, b->writes - a->writes,
		(unsigned long long)(b->nread - a->nread),
		(unsigned long long)(b->nwritten - a->nwritten),
		(unsigned long long)(q->reads - p->reads),
		(unsigned long long)(q->writes - p->writes),
		(unsigned long long)(q->rsect - p->rsect),
		(unsigned long long)(q->wsect - p->wsect));
	cr_expect_eq(b->reads - a->reads, q->reads - p->reads, "reads as diskstats");
	cr_expect_eq(b->writes - a->writes, q->writes - p->writes, "writes as diskstats");
	cr_expect_eq(b->nread - a->nread, (q->rsect - p->rsect) * 512, "nread as diskstats");
	cr_expect_eq(b->nwritten - a->nwritten, (q->wsect - p->wsect) * 512,
		     "nwritten as diskstats");
	cr_expect_eq(b->reads - a->reads, (unsigned)reads, "the reads the test made");
	cr_expect_eq(b->writes - a->writes, (unsigned)writes, "the writes the test made");
	cr_expect_eq(b->nread - a->nread, (uint64_t)reads * BLOCK);
	cr_expect_eq(b->nwritten - a->nwritten, (uint64_t)writes * BLOCK);
	cr_expect_eq(b->wcnt, 0, "nothing waits at rest");
	cr_expect_eq(b->rcnt, 0, "nothing runs at rest");
}

Test(disk, direct_reads_and_writes_match_proc_diskstats_exactly)
{
	struct diskstats p, q;
	kstat_io_t a, b;
	hrtime_t t0, t1;

	a = read_io();
	p = diskstats(loopname);
	t0 = snap_now();
	direct_io(1, K);
	t1 = snap_now();
	q = diskstats(loopname);
	b = read_io();
	expect_exact(&a, &b, &p, &q, K, K);
	/* one synchronous stream: never more than one request in the run queue */
	cr_expect_gt(b.rtime - a.rtime, 0);
	cr_expect_leq(b.rtime - a.rtime, t1 - t0, "busy no longer than the test ran");
	cr_expect_eq(b.rlentime - a.rlentime, b.rtime - a.rtime,
		     "queue length 1: rlentime = rtime");
	cr_expect_eq(b.wtime - a.wtime, 0, "no scheduler: requests are issued, never inserted");
	cr_expect_gt(b.rlastupdate, a.rlastupdate);
}

Test(disk, with_a_scheduler_requests_wait_before_they_run)
{
	struct diskstats p, q;
	kstat_io_t a, b;

	set_scheduler("mq-deadline");
	a = read_io();
	p = diskstats(loopname);
	direct_io(1, K);
	q = diskstats(loopname);
	b = read_io();
	expect_exact(&a, &b, &p, &q, K, K);
	fprintf(stderr, "mq-deadline: wtime %lld wlentime %lld rtime %lld rlentime %lld\n",
		b.wtime - a.wtime, b.wlentime - a.wlentime, b.rtime - a.rtime,
		b.rlentime - a.rlentime);
	cr_expect_gt(b.wtime - a.wtime, 0, "inserted requests wait");
	cr_expect_geq(b.wlentime - a.wlentime, b.wtime - a.wtime);
	cr_expect_gt(b.wlastupdate, a.wlastupdate);
	cr_expect_eq(b.rlentime - a.rlentime, b.rtime - a.rtime);
}

Test(disk, parallel_streams_lengthen_the_run_queue)
{
	struct diskstats p, q;
	kstat_io_t a, b;

	a = read_io();
	p = diskstats(loopname);
	direct_io(4, K);
	q = diskstats(loopname);
	b = read_io();
	expect_exact(&a, &b, &p, &q, 4 * K, 4 * K);
	fprintf(stderr, "4 streams: rtime %lld rlentime %lld (mean queue %.2f)\n",
		b.rtime - a.rtime, b.rlentime - a.rlentime,
		(double)(b.rlentime - a.rlentime) / (double)(b.rtime - a.rtime));
	cr_expect_gt(b.rlentime - a.rlentime, b.rtime - a.rtime, "more than one at a time");
	cr_expect_leq(b.rlentime - a.rlentime, 4 * (b.rtime - a.rtime), "never more than 4");
}

Test(disk, queue_time_matches_diskstats_time_in_queue)
{
	struct diskstats p, q;
	kstat_io_t a, b;
	double ms, tiq;

	set_scheduler("mq-deadline");
	a = read_io();
	p = diskstats(loopname);
	direct_io(4, K);
	q = diskstats(loopname);
	b = read_io();
	/* the sum over requests of their time queued and running, in two ways */
	ms = (double)((b.wlentime - a.wlentime) + (b.rlentime - a.rlentime)) / 1e6;
	tiq = (double)(q.tiq_ms - p.tiq_ms);
	fprintf(stderr, "time in queue: kstat %.3f ms, diskstats %.0f ms\n", ms, tiq);
	cr_expect_gt(tiq, 5, "the test kept the disk busy");
	/*
	 * diskstats starts a request's clock earlier (when it is made from its
	 * bio) and stops it later (after the completion tracepoint)
	 */
	cr_expect_leq(ms, tiq + 1);
	cr_expect_geq(ms, 0.5 * tiq - 1);
}

Test(disk, the_latency_histograms_count_every_read_and_write)
{
	struct snap_rhdr h0, h1;
	void *d0 = read_named(s, "disk_lat", loopname, &h0), *d1;
	struct hist r0 = hist_read(d0, h0.ks_ndata, "read"),
		    w0 = hist_read(d0, h0.ks_ndata, "write");
	struct hist r1, w1;
	struct diskstats p, q;

	p = diskstats(loopname);
	direct_io(2, K);
	q = diskstats(loopname);
	d1 = read_named(s, "disk_lat", loopname, &h1);
	r1 = hist_read(d1, h1.ks_ndata, "read");
	w1 = hist_read(d1, h1.ks_ndata, "write");
	cr_expect_eq(hist_events(&r0, &r1, "read"), 2 * K);
	cr_expect_eq(hist_events(&w0, &w1, "write"), 2 * K);
	fprintf(stderr, "read latency sum %.3f ms, diskstats read time %llu ms\n",
		(double)(r1.sum - r0.sum) / 1e6, (unsigned long long)(q.rms - p.rms));
	/* issue to completion is part of what diskstats times, from allocation */
	cr_expect_leq((r1.sum - r0.sum) / 1000000, q.rms - p.rms + 1);
	cr_expect_leq((w1.sum - w0.sum) / 1000000, q.wms - p.wms + 1);
	free(d0);
	free(d1);
}

static atomic_int busy_stop;

static void *busy_stream(void *arg)
{
	struct stream *st = arg;
	void *buf;

	cr_assert_eq(posix_memalign(&buf, BLOCK, BLOCK), 0);
	for (int i = 0; !atomic_load(&busy_stop); i = (i + 1) % K)
		(void)!pread(st->fd, buf, BLOCK, st->base + (off_t)i * BLOCK);
	free(buf);
	return NULL;
}

Test(disk, detaching_and_attaching_during_io_leaves_no_stale_queue)
{
	struct stream st[4];
	pthread_t t[4];
	int fd = open(loopdev, O_RDWR | O_DIRECT | O_CLOEXEC);
	kstat_io_t a, b, c;

	cr_assert_geq(fd, 0);
	set_scheduler("mq-deadline");
	atomic_store(&busy_stop, 0);
	for (int i = 0; i < 4; i++) {
		st[i] = (struct stream){ fd, 0, 0, (off_t)i * K * BLOCK };
		pthread_create(&t[i], NULL, busy_stream, &st[i]);
	}
	usleep(100000);
	a = read_io();
	/* detached with requests in flight, then attached with others in flight */
	write_stat(s, "kstatd", 0, "config", "disk", 0);
	cr_assert_geq(loader_sync(ld), 2);
	cr_expect_eq(find_named(s, "disk", loopname, NULL), -1, "detached: no kstat");
	usleep(50000);
	write_stat(s, "kstatd", 0, "config", "disk", 1);
	cr_assert_geq(loader_sync(ld), 2);
	usleep(100000);
	atomic_store(&busy_stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	close(fd);
	b = read_io();
	fprintf(stderr, "after: reads %u->%u, rtime %lld->%lld, wcnt %u rcnt %u\n", a.reads,
		b.reads, a.rtime, b.rtime, b.wcnt, b.rcnt);
	cr_expect_eq(b.wcnt, 0, "no request left waiting");
	cr_expect_eq(b.rcnt, 0, "no request left running");
	cr_expect_gt(b.reads, a.reads, "counters continue");
	cr_expect_geq(b.rtime, a.rtime, "and never go back");
	cr_expect_geq(b.wtime, a.wtime);
	usleep(200000);
	c = read_io();
	cr_expect_eq(c.rtime, b.rtime, "an idle disk accrues no busy time");
	cr_expect_eq(c.wtime, b.wtime);
}

Test(disk, a_detached_disk_vanishes_and_the_chain_id_moves)
{
	kid_t chain, kid = find_named(s, "disk", loopname, NULL);

	cr_assert_geq(kid, 0);
	direct_io(1, 4);
	chain = snap_chain_id(s);
	cr_assert_eq(sh(NULL, 0, "losetup -d %s", loopdev), 0);
	loopdev[0] = '\0';
	cr_assert_geq(loader_sync(ld), 2, "its two kstats deleted");
	cr_expect_eq(find_named(s, "disk", loopname, NULL), -1);
	cr_expect_eq(find_named(s, "disk_lat", loopname, NULL), -1);
	cr_expect_gt(snap_chain_id(s), chain);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_eq(find_named(s, "disk", loopname, NULL), -1, "and it stays gone");
}
