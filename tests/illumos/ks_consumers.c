// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What real illumos consumers read, read their way: only <kstat.h> and
 * <sys/sysinfo.h>, built 64-bit and 32-bit against build/libkstat.so.
 *   node_exporter cpu      cpu:N:sys cpu_ticks_{idle,kernel,user,wait}
 *   node_exporter cpufreq  cpu_info:N:cpu_infoN current_clock_Hz, clock_MHz
 *   collectd cpu           RAW cpu_stat:N:cpu_statN through kstat_read
 *   collectd memory        unix:0:system_pages pagestotal, pagesfree,
 *                          pageslocked; zfs:0:arcstats size
 *   collectd interface     class "net": rbytes, obytes, ipackets, opackets,
 *                          ierrors, oerrors (the 32-bit names)
 *   collectd disk          class "disk" IO kstats: nread, nwritten, reads, writes
 *   collectd uptime        unix:0:system_misc boot_time
 *   collectd fork rate     cpu:N:sys nthreads
 * Prints one line per thing read ("cpu 0 idle 123 ..."), for the test to
 * hold against /proc and /sys; every lookup, read and data lookup is a
 * check on stderr, and the exit code is the number that failed.
 */
#include <kstat.h>
#include <sys/sysinfo.h>

#include "ks_common.h"

/* A named statistic as an unsigned number, whatever its integer type */
static int value(kstat_t *ksp, const char *name, unsigned long long *v)
{
	kstat_named_t *kn = kstat_data_lookup(ksp, (char *)name);

	if (!kn)
		return -1;
	switch (kn->data_type) {
	case KSTAT_DATA_INT32:
		*v = (unsigned long long)kn->value.i32;
		return 0;
	case KSTAT_DATA_UINT32:
		*v = kn->value.ui32;
		return 0;
	case KSTAT_DATA_INT64:
		*v = (unsigned long long)kn->value.i64;
		return 0;
	case KSTAT_DATA_UINT64:
		*v = kn->value.ui64;
		return 0;
	default:
		return -1;
	}
}

/* Print "statistic value" for each name of a read NAMED kstat, checking each */
static void print_named(kstat_t *ksp, const char *const *names, const char *what)
{
	for (; *names; names++) {
		unsigned long long v = 0;
		int rc = value(ksp, *names, &v);

		ks_check(rc == 0, what, "%s:%d:%s has no integer %s", ksp->ks_module,
			 ksp->ks_instance, ksp->ks_name, *names);
		printf(" %s %llu", *names, v);
	}
	printf("\n");
}

/* kstat_lookup and kstat_read of a NAMED kstat, or NULL (checked) */
static kstat_t *lookup_read(kstat_ctl_t *kc, const char *module, int inst, const char *name)
{
	kstat_t *ksp = kstat_lookup(kc, (char *)module, inst, (char *)name);

	ks_check(ksp != NULL, "lookup", "%s:%d:%s: %s", module, inst, name, ks_errname(errno));
	if (!ksp)
		return NULL;
	ks_check(kstat_read(kc, ksp, NULL) != -1, "read", "%s:%d:%s: %s", module, inst, name,
		 ks_errname(errno));
	return ksp;
}

static void cpus(kstat_ctl_t *kc)
{
	static const char *const ticks[] = { "cpu_ticks_idle", "cpu_ticks_kernel", "cpu_ticks_user",
					     "cpu_ticks_wait", "nthreads",         NULL };
	static const char *const freq[] = { "current_clock_Hz", "clock_MHz", NULL };
	int n = 0, raw = 0;

	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		char name[KSTAT_STRLEN];
		kstat_t *info;
		cpu_stat_t cs;

		if (strcmp(ksp->ks_module, "cpu") || strcmp(ksp->ks_name, "sys"))
			continue;
		n++;
		ks_check(kstat_read(kc, ksp, NULL) != -1, "read cpu:N:sys", "cpu:%d:sys: %s",
			 ksp->ks_instance, ks_errname(errno));
		printf("cpu %d", ksp->ks_instance);
		print_named(ksp, ticks, "node_exporter's cpu statistics");

		snprintf(name, sizeof(name), "cpu_info%d", ksp->ks_instance);
		info = lookup_read(kc, "cpu_info", ksp->ks_instance, name);
		if (info) {
			printf("cpufreq %d", ksp->ks_instance);
			print_named(info, freq, "node_exporter's cpufreq statistics");
		}

		/* collectd: the RAW struct, read into the caller's own buffer */
		snprintf(name, sizeof(name), "cpu_stat%d", ksp->ks_instance);
		info = kstat_lookup(kc, "cpu_stat", ksp->ks_instance, name);
		ks_check(info != NULL, "lookup cpu_stat", "cpu_stat:%d: %s", ksp->ks_instance,
			 ks_errname(errno));
		if (!info)
			continue;
		ks_check(info->ks_type == KSTAT_TYPE_RAW, "cpu_stat is RAW", "type %d",
			 info->ks_type);
		ks_check(kstat_read(kc, info, &cs) != -1, "read cpu_stat into a cpu_stat_t",
			 "cpu_stat%d: %s", ksp->ks_instance, ks_errname(errno));
		ks_check(info->ks_data_size == sizeof(cs), "cpu_stat is a cpu_stat_t", "%lu bytes",
			 (unsigned long)info->ks_data_size);
		printf("cpu_stat %d idle %u kernel %u user %u wait %u pswitch %u nthreads %u\n",
		       ksp->ks_instance, cs.cpu_sysinfo.cpu[CPU_IDLE],
		       cs.cpu_sysinfo.cpu[CPU_KERNEL], cs.cpu_sysinfo.cpu[CPU_USER],
		       cs.cpu_sysinfo.cpu[CPU_WAIT], cs.cpu_sysinfo.pswitch,
		       cs.cpu_sysinfo.nthreads);
		raw++;
	}
	ks_check(n > 0 && raw == n, "every cpu:N:sys has its cpu_stat", "%d cpus, %d cpu_stat", n,
		 raw);
}

static void memory(kstat_ctl_t *kc)
{
	static const char *const pages[] = { "pagestotal", "pagesfree", "pageslocked", "physmem",
					     NULL };
	static const char *const arc[] = { "size", NULL };
	kstat_t *ksp = lookup_read(kc, "unix", 0, "system_pages");

	if (ksp) {
		printf("memory");
		print_named(ksp, pages, "collectd's memory statistics");
	}
	/* only where ZFS (or the test's fixture of it) is there */
	ksp = kstat_lookup(kc, "zfs", 0, "arcstats");
	if (ksp && kstat_read(kc, ksp, NULL) != -1) {
		printf("arc");
		print_named(ksp, arc, "collectd's ARC size");
	}
}

static void interfaces(kstat_ctl_t *kc)
{
	static const char *const stats[] = { "rbytes",  "obytes",  "ipackets", "opackets",
					     "ierrors", "oerrors", NULL };
	int n = 0;

	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		if (strcmp(ksp->ks_class, "net") || ksp->ks_type != KSTAT_TYPE_NAMED)
			continue;
		/* collectd reads the interfaces of its own zone: instance 0 here */
		if (ksp->ks_instance != 0 || kstat_read(kc, ksp, NULL) == -1)
			continue;
		/* class net holds the MIB-II kstats too: an interface has obytes */
		if (!kstat_data_lookup(ksp, "obytes"))
			continue;
		n++;
		printf("interface %s", ksp->ks_name);
		print_named(ksp, stats, "collectd's interface statistics");
	}
	ks_check(n > 0, "collectd finds interfaces", "no class net kstat with obytes");
}

static void disks(kstat_ctl_t *kc)
{
	int n = 0;

	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		kstat_io_t io;

		if (strcmp(ksp->ks_class, "disk") || ksp->ks_type != KSTAT_TYPE_IO)
			continue;
		if (kstat_read(kc, ksp, &io) == -1)
			continue;
		n++;
		printf("disk %s nread %llu nwritten %llu reads %u writes %u\n", ksp->ks_name,
		       (unsigned long long)io.nread, (unsigned long long)io.nwritten, io.reads,
		       io.writes);
	}
	ks_check(n > 0, "collectd finds disks", "no class disk IO kstat");
}

static void uptime(kstat_ctl_t *kc)
{
	static const char *const misc[] = { "boot_time", NULL };
	kstat_t *ksp = lookup_read(kc, "unix", 0, "system_misc");

	if (ksp) {
		printf("uptime");
		print_named(ksp, misc, "collectd's uptime");
	}
}

int main(void)
{
	kstat_ctl_t *kc = kstat_open();

	ks_check(kc != NULL, "kstat_open", "%s", ks_errname(errno));
	if (!kc)
		return 1;
	cpus(kc);
	memory(kc);
	interfaces(kc);
	disks(kc);
	uptime(kc);
	kstat_close(kc);
	return ks_fails;
}
