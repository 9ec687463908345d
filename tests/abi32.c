// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Built with -m32: the headers' static assertions hold for i386 callers
 * (kstat_t is then the 152-byte ILP32 header, identical to kstat32_t; the
 * RAW layouts of <sys/sysinfo.h> are the same as for LP64 callers).
 */
#include <stddef.h>

#include <sys/kstat.h>
#include <sys/sysinfo.h>

_Static_assert(sizeof(kstat_t) == sizeof(kstat32_t), "ILP32 kstat_t is kstat32_t");
_Static_assert(offsetof(kstat_t, ks_kid) == offsetof(kstat32_t, ks_kid), "ks_kid");
_Static_assert(offsetof(kstat_t, ks_data) == offsetof(kstat32_t, ks_data), "ks_data");
_Static_assert(offsetof(kstat_t, ks_ndata) == offsetof(kstat32_t, ks_ndata), "ks_ndata");
_Static_assert(offsetof(kstat_t, ks_data_size) == offsetof(kstat32_t, ks_data_size),
	       "ks_data_size");
_Static_assert(offsetof(kstat_t, ks_snaptime) == offsetof(kstat32_t, ks_snaptime), "ks_snaptime");
_Static_assert(sizeof(kstat_named_t) == 48, "kstat_named_t");
_Static_assert(offsetof(kstat_named_t, value.str.len) == 40, "str.len");
_Static_assert(KSTAT_DATA_LONG == KSTAT_DATA_INT32, "ILP32 long is INT32");
_Static_assert(KSTAT_DATA_ULONG == KSTAT_DATA_UINT32, "ILP32 ulong is UINT32");

_Static_assert(sizeof(cpu_stat_t) == 380, "cpu_stat_t as LP64 callers have it");
_Static_assert(offsetof(cpu_stat_t, cpu_vminfo.pgrrun) == 256 + 21 * 4, "cpu_vminfo pgrrun");
_Static_assert(_Alignof(vminfo_t) == 4,
	       "i386 aligns 64-bit members to 4: vminfo_t has none to pad");
_Static_assert(sizeof(vminfo_t) == 48 && sizeof(sysinfo_t) == 24, "vminfo_t, sysinfo_t");

int kstat_abi32_checked;
