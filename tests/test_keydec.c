// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Key decoders (KSTAT_KEY) against the system they read: block devices,
 * network interfaces in namespaces, IRQs, system calls; a decoder kstatd
 * does not know is refused by name; and IO kstats count the queue time
 * still accruing when they are read, as illumos does.
 */
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "keydec.h"
#include "syscall.h"
#include "ktest.h"
#include "sysfs.h"

static struct keydec_pass *pass(const char *name)
{
	const struct keydec_ops *ops = keydec_find(name);
	struct keydec_pass *p;

	cr_assert(ops, "no decoder %s", name);
	p = keydec_begin(ops);
	cr_assert(p);
	return p;
}

Test(keydec, the_decoders_and_their_key_sizes)
{
	cr_expect_eq(keydec_key_size(keydec_find("blkdev")), 8);
	cr_expect_eq(keydec_key_size(keydec_find("netdev")), 8);
	cr_expect_eq(keydec_key_size(keydec_find("irq")), 4);
	cr_expect_eq(keydec_key_size(keydec_find("syscall")), 4);
	cr_expect_eq(keydec_key_size(keydec_find("syscall_slot")), 4);
	cr_expect_null(keydec_find("pcidev"));
}

Test(keydec, syscall_numbers_are_named_after_this_architectures_table)
{
	struct keydec_pass *p = pass("syscall");
	struct keydec_ent e;

	cr_expect_eq(keydec_decode(p, SYS_getppid, &e), KD_ALIVE);
	cr_expect_str_eq(e.name, "getppid");
	cr_expect_eq(e.instance, SYS_getppid);
	cr_expect_eq(keydec_decode(p, SYS_read, &e), KD_ALIVE);
	cr_expect_str_eq(e.name, "read");
	cr_expect_eq(keydec_decode(p, 4000, &e), KD_ALIVE, "system calls never go away");
	cr_expect_str_eq(e.name, "sys_4000");
#ifdef __x86_64__
	/* a 32-bit task's getppid is number 64 of the ia32 table */
	cr_expect_eq(keydec_decode(p, 0x10000 | 64, &e), KD_ALIVE);
	cr_expect_str_eq(e.name, "ia32_getppid");
#endif
	keydec_end(p);
}

Test(keydec, syscall_slots_are_named_and_numbered_as_syscall_keys)
{
	struct keydec_pass *p = pass("syscall_slot");
	struct keydec_ent e;

	cr_expect_eq(keydec_decode(p, SYS_getppid, &e), KD_ALIVE);
	cr_expect_str_eq(e.name, "getppid");
	cr_expect_eq(e.instance, SYS_getppid);
	cr_expect_eq(keydec_decode(p, 500, &e), KD_ALIVE);
	cr_expect_str_eq(e.name, "sys_500", "a number beyond the build's table");
#ifdef __x86_64__
	/* the second half of the slots is the ia32 table: getppid is its 64 */
	cr_expect_eq(keydec_decode(p, SYSCALL_NATIVE_SLOTS + 64, &e), KD_ALIVE);
	cr_expect_str_eq(e.name, "ia32_getppid");
	cr_expect_eq(e.instance, 0x10000 | 64, "the instance a syscall key gives it");
#endif
	keydec_end(p);
}

static int sys_dev(const char *disk, unsigned int *major, unsigned int *minor, uint32_t *seq)
{
	char out[64];

	if (sh(out, sizeof(out), "cat /sys/block/%s/dev", disk) ||
	    sscanf(out, "%u:%u", major, minor) != 2)
		return -1;
	*seq = 0;
	if (sh(out, sizeof(out), "cat /sys/block/%s/diskseq 2>/dev/null", disk) == 0)
		*seq = (uint32_t)strtoull(out, NULL, 10);
	return 0;
}

Test(keydec, a_disk_is_its_dev_t_and_diskseq)
{
	struct keydec_pass *p = pass("blkdev");
	unsigned int major, minor;
	char disk[64] = "";
	struct keydec_ent e;
	uint64_t key, *keys;
	bool listed = false;
	uint32_t seq;
	int n;

	cr_assert_eq(sh(disk, sizeof(disk),
			"cd /sys/block && for d in *; do [ \"$(cat $d/size)\" != 0 ] && echo $d; "
			"done | grep -v '^loop' | head -1"),
		     0);
	cr_assert(disk[0], "no disk with a medium on this machine");
	cr_assert_eq(sys_dev(disk, &major, &minor, &seq), 0);
	key = (uint64_t)seq << 32 | major << 20 | minor;
	cr_expect_eq(keydec_decode(p, key, &e), KD_ALIVE);
	cr_expect_str_eq(e.name, disk);
	cr_expect_eq(e.instance, (int)(major << 20 | minor));
	cr_expect_eq(keydec_decode(p, key + (1ULL << 32), &e), KD_GONE,
		     "another diskseq: another medium, so another disk");
	cr_expect_eq(keydec_decode(p, (uint64_t)seq << 32 | 4000U << 20, &e), KD_GONE);
	n = keydec_enumerate(p, &keys);
	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++)
		listed |= keys[i] == key;
	cr_expect(listed, "%s is listed", disk);
	free(keys);
	keydec_end(p);
}

Test(keydec, an_interface_is_its_namespace_and_ifindex)
{
	struct keydec_pass *p = pass("netdev");
	struct keydec_ent e;
	uint64_t own, *keys;
	bool listed = false;
	struct stat st;
	int n;

	cr_assert_eq(stat("/proc/self/ns/net", &st), 0);
	own = (uint64_t)(uint32_t)st.st_ino << 32;
	cr_expect_eq(keydec_decode(p, own | if_nametoindex("lo"), &e), KD_ALIVE);
	cr_expect_str_eq(e.name, "lo");
	cr_expect_eq(e.instance, 0, "kstatd's own namespace is instance 0");
	cr_expect_eq(keydec_decode(p, own | 0x7ffffff0, &e), KD_GONE, "no such ifindex");
	/* a namespace never seen: gone, or unknown where some process hides its own */
	cr_expect_neq(keydec_decode(p, 12345ULL << 32 | 1, &e), KD_ALIVE);
	n = keydec_enumerate(p, &keys);
	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++)
		listed |= keys[i] == (own | if_nametoindex("lo"));
	cr_expect(listed, "lo is listed");
	free(keys);
	keydec_end(p);
}

Test(keydec, an_irq_is_named_after_its_first_handler)
{
	struct keydec_pass *p = pass("irq");
	char line[128], want[64];
	struct keydec_ent e;
	int irq;

	cr_assert_eq(sh(line, sizeof(line),
			"cd /sys/kernel/irq && for i in *; do a=$(cat $i/actions); "
			"[ -n \"$a\" ] && echo \"$i ${a%%%%,*}\"; done | head -1"),
		     0);
	cr_assert_eq(sscanf(line, "%d %63s", &irq, want), 2, "'%s'", line);
	for (char *c = want; *c; c++)
		if (*c == ':')
			*c = '_';
	/* the second pass takes the names the first read (keydec.c reads them again after 10 s) */
	for (int round = 0; round < 2; round++) {
		cr_expect_eq(keydec_decode(p, (uint64_t)irq, &e), KD_ALIVE, "pass %d", round);
		cr_expect_str_eq(e.name, want, "pass %d", round);
		cr_expect_eq(e.instance, irq);
		cr_expect_eq(keydec_decode(p, 4095, &e), KD_GONE);
		keydec_end(p);
		p = pass("irq");
	}
	keydec_end(p);
}

Test(keydec, an_unknown_decoder_is_refused_by_name)
{
	struct loader_opts o = { .no_builtin = true };
	struct snap *s;
	struct loader *ld;
	char err[512];

	require_bpf();
	s = snap_new();
	ld = loader_new(s, &o);
	cr_assert(ld);
	cr_expect_eq(loader_add_file(ld, test_obj("ktest_badkey.bpf.o"), true, err, sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err,
			 "map badkey: kstat.key 'pcidev': expected one of blkdev, netdev, irq, "
			 "syscall, syscall_slot"),
		  "%s", err);
	loader_free(ld);
	snap_free(s);
}

Test(keydec, an_io_kstat_counts_the_queue_time_still_accruing)
{
	struct ktest_fx fx;
	struct ktest_io io = { .reads = 1, .rcnt = 2, .wcnt = 1 };
	uint32_t key = 5;
	struct snap_rhdr hdr;
	kstat_io_t *kio;
	hrtime_t before, after;
	int fd;

	ktest_start(&fx, true);
	strcpy(io.name, "vdq");
	before = snap_now();
	io.rlastupdate = (uint64_t)before - 1000000000; /* two requests running for 1 s */
	io.wlastupdate = (uint64_t)before - 500000000;  /* one waiting for 0.5 s */
	io.rtime = 7;
	fd = ktest_map("ktest_io");
	cr_assert_eq(bpf_map_update_elem(fd, &key, &io, BPF_ANY), 0);
	close(fd);
	cr_assert_eq(loader_sync(fx.ld), 1);
	cr_assert_eq(read_kid(fx.s, find_kid(fx.s, "ktest", 5, "vdq"), (void **)&kio, &hdr), 0);
	after = snap_now();
	cr_expect_geq(kio->rtime, 7 + 1000000000);
	cr_expect_leq(kio->rtime, 7 + 1000000000 + (after - before));
	cr_expect_eq(kio->rlentime, 2 * (kio->rtime - 7), "two in the run queue");
	cr_expect_geq(kio->wtime, 500000000);
	cr_expect_eq(kio->wlentime, kio->wtime);
	cr_expect_geq(kio->rlastupdate, before);
	cr_expect_eq(kio->rcnt, 2);
	free(kio);
	fd = ktest_map("ktest_io");
	cr_assert_eq(bpf_map_lookup_elem(fd, &key, &io), 0);
	cr_expect_eq(io.rtime, 7, "the map itself is left as it is");
	close(fd);
	ktest_stop(&fx);
	remove_pin_path();
}
