// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The RAW kstats kstat(1M) can read: cpu_stat:N:cpu_statN, unix:0:sysinfo
 * and unix:0:vminfo, whose structs <sys/sysinfo.h> defines.  Each member
 * is listed under the name illumos kstat prints it with: the tick arrays
 * by state (idle, user, kernel, wait, wait_io, wait_swap, wait_pio), the
 * rest by member name.  cpu_sysinfo_t's rw_enters and win_* counters are
 * SPARC and debug kernels' only, and illumos kstat leaves them out too.
 */
#include <stddef.h>
#include <string.h>

#include <sys/sysinfo.h>

#include "ks.h"

#define CS(m)                                                              \
	{                                                                  \
#m, offsetof(cpu_stat_t, cpu_sysinfo.m), KSTAT_DATA_UINT32 \
	}
#define CW(m)                                                             \
	{                                                                 \
#m, offsetof(cpu_stat_t, cpu_syswait.m), KSTAT_DATA_INT32 \
	}
#define CV(m)                                                             \
	{                                                                 \
#m, offsetof(cpu_stat_t, cpu_vminfo.m), KSTAT_DATA_UINT32 \
	}

static const struct ks_raw_field cpu_stat_fields[] = {
	{ "idle", offsetof(cpu_stat_t, cpu_sysinfo.cpu[CPU_IDLE]), KSTAT_DATA_UINT32 },
	{ "user", offsetof(cpu_stat_t, cpu_sysinfo.cpu[CPU_USER]), KSTAT_DATA_UINT32 },
	{ "kernel", offsetof(cpu_stat_t, cpu_sysinfo.cpu[CPU_KERNEL]), KSTAT_DATA_UINT32 },
	{ "wait", offsetof(cpu_stat_t, cpu_sysinfo.cpu[CPU_WAIT]), KSTAT_DATA_UINT32 },
	{ "wait_io", offsetof(cpu_stat_t, cpu_sysinfo.wait[W_IO]), KSTAT_DATA_UINT32 },
	{ "wait_swap", offsetof(cpu_stat_t, cpu_sysinfo.wait[W_SWAP]), KSTAT_DATA_UINT32 },
	{ "wait_pio", offsetof(cpu_stat_t, cpu_sysinfo.wait[W_PIO]), KSTAT_DATA_UINT32 },
	CS(bread),
	CS(bwrite),
	CS(lread),
	CS(lwrite),
	CS(phread),
	CS(phwrite),
	CS(pswitch),
	CS(trap),
	CS(intr),
	CS(syscall),
	CS(sysread),
	CS(syswrite),
	CS(sysfork),
	CS(sysvfork),
	CS(sysexec),
	CS(readch),
	CS(writech),
	CS(rcvint),
	CS(xmtint),
	CS(mdmint),
	CS(rawch),
	CS(canch),
	CS(outch),
	CS(msg),
	CS(sema),
	CS(namei),
	CS(ufsiget),
	CS(ufsdirblk),
	CS(ufsipage),
	CS(ufsinopage),
	CS(inodeovf),
	CS(fileovf),
	CS(procovf),
	CS(intrthread),
	CS(intrblk),
	CS(idlethread),
	CS(inv_swtch),
	CS(nthreads),
	CS(cpumigrate),
	CS(xcalls),
	CS(mutex_adenters),
	CS(rw_rdfails),
	CS(rw_wrfails),
	CS(modload),
	CS(modunload),
	CS(bawrite),
	CW(iowait),
	CW(swap),
	CW(physio),
	CV(pgrec),
	CV(pgfrec),
	CV(pgin),
	CV(pgpgin),
	CV(pgout),
	CV(pgpgout),
	CV(swapin),
	CV(pgswapin),
	CV(swapout),
	CV(pgswapout),
	CV(zfod),
	CV(dfree),
	CV(scan),
	CV(rev),
	CV(hat_fault),
	CV(as_fault),
	CV(maj_fault),
	CV(cow_fault),
	CV(prot_fault),
	CV(softlock),
	CV(kernel_asflt),
	CV(pgrrun),
	CV(execpgin),
	CV(execpgout),
	CV(execfree),
	CV(anonpgin),
	CV(anonpgout),
	CV(anonfree),
	CV(fspgin),
	CV(fspgout),
	CV(fsfree),
};

#define SI(m)                                                 \
	{                                                     \
#m, offsetof(sysinfo_t, m), KSTAT_DATA_UINT32 \
	}
static const struct ks_raw_field sysinfo_fields[] = {
	SI(updates), SI(runque), SI(runocc), SI(swpque), SI(swpocc), SI(waiting),
};

#define VI(m)                                                \
	{                                                    \
#m, offsetof(vminfo_t, m), KSTAT_DATA_UINT64 \
	}
static const struct ks_raw_field vminfo_fields[] = {
	VI(freemem), VI(swap_resv), VI(swap_alloc), VI(swap_avail), VI(swap_free), VI(updates),
};

#define RAW(key, s, f)                                      \
	{                                                   \
		key, sizeof(s), f, sizeof(f) / sizeof(f[0]) \
	}
static const struct ks_raw raws[] = {
	RAW("cpu_stat:cpu_stat", cpu_stat_t, cpu_stat_fields),
	RAW("unix:sysinfo", sysinfo_t, sysinfo_fields),
	RAW("unix:vminfo", vminfo_t, vminfo_fields),
};

/* Append src without its digits to dst[*n..]: "cpu_stat0" is cpu_stat */
static void ks_raw_key(char *dst, size_t *n, const char *src)
{
	for (size_t i = 0; i < KSTAT_STRLEN && src[i]; i++)
		if (src[i] < '0' || src[i] > '9')
			dst[(*n)++] = src[i];
}

const struct ks_raw *ks_raw_lookup(const char *module, const char *name)
{
	char key[2 * KSTAT_STRLEN + 2];
	size_t n = 0;

	ks_raw_key(key, &n, module);
	key[n++] = ':';
	ks_raw_key(key, &n, name);
	key[n] = '\0';
	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++)
		if (strcmp(raws[i].key, key) == 0)
			return &raws[i];
	return NULL;
}
