// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Block devices named as illumos names disks, from a sysfs tree of the
 * test's own (the devices this machine lacks: SCSI, NVMe, device-mapper,
 * md), and /proc/diskstats lines parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "disk_dev.h"
#include "os/uevent.h"
#include "sysfs.h"

static char root[64];

/* A device directory under devices/, listed in class/block: "key=value" files */
static void dev(const char *path, const char *name, const char *files)
{
	cr_assert_eq(
		sh(NULL, 0,
		   "cd %s && mkdir -p devices/%s/%s && ln -s ../../devices/%s/%s class/block/%s && "
		   "cd devices/%s/%s && for kv in %s; do f=${kv%%%%=*}; mkdir -p $(dirname $f); "
		   "echo ${kv#*=} > $f; done",
		   root, path, name, path, name, name, path, name, files),
		0);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/kstatd-test-sysfs-%d", (int)getpid());
	cr_assert_eq(sh(NULL, 0,
			"rm -rf %s && mkdir -p %s/class/block %s/bus/virtio/drivers/virtio_blk "
			"%s/bus/scsi/drivers/sd",
			root, root, root, root),
		     0);
	dev("pci0/virtio1", "vda", "dev=254:0 size=100 diskseq=1 mq/0/x=1");
	cr_assert_eq(
		sh(NULL, 0,
		   "ln -s ../../../bus/virtio/drivers/virtio_blk %s/devices/pci0/virtio1/driver "
		   "&& ln -s .. %s/devices/pci0/virtio1/vda/device",
		   root, root),
		0);
	dev("pci0/virtio1/vda", "vda1", "dev=254:1 size=50 partition=1");
	dev("pci0/virtio1/vda", "vda2", "dev=254:2 size=0 partition=2");
	dev("pci0/host0/0:0:0:1", "sdb", "dev=8:16 size=100 diskseq=2 mq/0/x=1");
	cr_assert_eq(
		sh(NULL, 0,
		   "ln -s ../../../../bus/scsi/drivers/sd %s/devices/pci0/host0/0:0:0:1/driver "
		   "&& ln -s .. %s/devices/pci0/host0/0:0:0:1/sdb/device",
		   root, root),
		0);
	dev("pci0/host0/0:0:0:1/sdb", "sdb3", "dev=8:19 size=10 partition=3");
	dev("pci0/nvme/nvme0", "nvme0n1", "dev=259:0 size=100 diskseq=3 mq/0/x=1");
	dev("virtual/block", "dm-2", "dev=253:2 size=100 diskseq=4 dm/name=vg0-root slaves/vda1=1");
	dev("virtual/block", "dm-3",
	    "dev=253:3 size=100 diskseq=5 "
	    "dm/name=a-name-much-longer-than-thirty-one-characters");
	dev("virtual/block", "md127", "dev=9:127 size=100 diskseq=6 md/level=raid1 slaves/sdb=1");
	dev("virtual/block", "loop3", "dev=7:3 size=100 diskseq=7 mq/0/x=1 loop/backing_file=/f");
	dev("virtual/block", "loop4", "dev=7:4 size=0 diskseq=8 mq/0/x=1");
	dev("virtual/block", "zram1", "dev=252:1 size=100 diskseq=9");
}

static void teardown(void)
{
	(void)sh(NULL, 0, "rm -rf %s", root);
}

TestSuite(disk_dev, .init = setup, .fini = teardown, .timeout = 30);

static const struct disk_dev *find(const struct disk_dev *v, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void expect_dev(const struct disk_dev *v, int n, const char *name, const char *ksname,
		       const char *driver, int name_instance, enum disk_class klass, bool mq)
{
	const struct disk_dev *d = find(v, n, name);

	cr_assert(d, "%s is listed", name);
	cr_expect_str_eq(d->ksname, ksname, "%s: ks_name", name);
	cr_expect_str_eq(d->driver, driver, "%s: the driver", name);
	cr_expect_eq(d->name_instance, name_instance, "%s: the instance its name implies", name);
	cr_expect_eq(d->klass, klass, "%s: class %s", name, disk_class_name(klass));
	cr_expect_eq(d->mq, mq, "%s: request-based or not", name);
}

Test(disk_dev, devices_are_named_by_driver_instance_and_kernel_name)
{
	struct disk_dev *v;
	int n = disk_dev_scan(root, &v);

	cr_assert_eq(n, 10, "every device with a medium: %d", n);
	expect_dev(v, n, "vda", "vda", "vd", 0, DISK_WHOLE, true);
	expect_dev(v, n, "sdb", "sdb", "sd", 1, DISK_WHOLE, true);
	expect_dev(v, n, "nvme0n1", "nvme0n1", "nvme", -1, DISK_WHOLE, true);
	expect_dev(v, n, "dm-2", "vg0-root", "dm", 2, DISK_STACKED, false);
	expect_dev(v, n, "dm-3", "dm-3", "dm", 3, DISK_STACKED, false);
	expect_dev(v, n, "md127", "md127", "md", 127, DISK_STACKED, false);
	expect_dev(v, n, "loop3", "loop3", "loop", 3, DISK_STACKED, true);
	expect_dev(v, n, "zram1", "zram1", "zram", 1, DISK_WHOLE, false);
	expect_dev(v, n, "vda1", "vda1", "vd", -1, DISK_PART, true);
	expect_dev(v, n, "sdb3", "sdb3", "sd", -1, DISK_PART, true);
	cr_expect_null(find(v, n, "vda2"), "a partition of no size is not");
	cr_expect_null(find(v, n, "loop4"), "nor a loop device with no file");
	cr_expect_eq(find(v, n, "sdb3")->partno, 3);
	cr_expect_str_eq(find(v, n, "sdb3")->parent, "sdb");
	cr_expect_eq(find(v, n, "sdb3")->dmajor, 8, "a partition knows its disk's dev_t");
	cr_expect_eq(find(v, n, "sdb3")->dminor, 16);
	cr_expect_eq(find(v, n, "sdb3")->diskseq, 2, "and its diskseq");
	for (int i = 0; i < n; i++)
		cr_expect(!v[i].partno || i >= 8, "whole disks come before partitions");
	free(v);
}

Test(disk_dev, diskstats_lines_are_parsed_and_found_by_dev_t)
{
	static const char text[] =
		" 254       0 vda 268251 36747 14690474 104715 62903 41885 6467584 21315 3 24332 "
		"133696 19619 7 3844040 5352 12943 2312\n"
		"   7       3 loop3 1 0 8 0 2 0 16 0 0 4 5\n"
		"garbage\n"
		" 254       1 vda1 10 0 80 1 20 0 160 2 1 7 9 0 0 0 0 0 0\n";
	struct disk_books *b;
	const struct disk_books *e;
	int n = disk_books_parse(text, sizeof(text) - 1, &b);

	cr_assert_eq(n, 3);
	e = disk_books_find(b, (size_t)n, 254, 0);
	cr_assert(e);
	cr_expect_eq(e->reads, 268251);
	cr_expect_eq(e->rsect, 14690474);
	cr_expect_eq(e->writes, 62903);
	cr_expect_eq(e->wsect, 6467584);
	cr_expect_eq(e->in_flight, 3);
	cr_expect_eq(e->io_ticks, 24332);
	cr_expect_eq(e->tiq, 133696);
	cr_expect_eq(e->discards, 19619);
	cr_expect_eq(e->dsect, 3844040);
	cr_expect_eq(e->flushes, 12943);
	cr_expect_eq(e->fms, 2312);
	e = disk_books_find(b, (size_t)n, 7, 3);
	cr_assert(e, "an old kernel's 11 fields");
	cr_expect_eq(e->tiq, 5);
	cr_expect_eq(e->discards, 0);
	cr_expect_null(disk_books_find(b, (size_t)n, 7, 4));
	free(b);
}

/*
 * The kernel's uevents, as a sync asks about them: one of the subsystem
 * asked for is seen (a "change" written to a device's uevent file makes
 * one: lo's, and a loop device's the test attaches), another subsystem's
 * is not, nor is a name it only begins with.  Other suites' events may
 * make the positive checks pass early; the negative one holds anyway.
 */
Test(disk_dev, a_subsystems_uevents_are_told_from_others)
{
	char loop[64] = "", file[128];
	int fd;

	if (geteuid() != 0 || access("/sys/class/net/lo/uevent", W_OK)) {
		cr_skip_test("needs root and a writable /sys");
		return;
	}
	fd = uevent_open();
	cr_assert_geq(fd, 0, "uevent socket: %s", strerror(-fd));
	snprintf(file, sizeof(file), "%s/backing", root);
	cr_assert_eq(
		sh(loop, sizeof(loop), "truncate -s 1M %s && losetup -f --show %s", file, file), 0);
	cr_assert(strncmp(loop, "/dev/loop", 9) == 0, "losetup said '%s'", loop);
	cr_assert_eq(sh(NULL, 0, "echo change > /sys/class/net/lo/uevent"), 0);
	usleep(10000);
	cr_expect_not(uevent_seen(fd, "ne"), "a name that a subsystem begins with is not it");
	cr_assert_eq(sh(NULL, 0, "echo change > /sys/class/net/lo/uevent"), 0);
	usleep(10000);
	cr_expect(uevent_seen(fd, "net"), "lo's change event");
	cr_assert_eq(sh(NULL, 0, "echo change > /sys/class/block/%s/uevent", loop + 5), 0);
	usleep(10000);
	cr_expect(uevent_seen(fd, "block"), "%s's change event", loop + 5);
	(void)sh(NULL, 0, "losetup -d %s", loop);
	close(fd);
}
