// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The illumos ABI of include/sys/kstat.h: sizes, offsets and constants. */
#include <stddef.h>

#include <criterion/criterion.h>

#include <sys/kstat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

Test(abi, struct_sizes_match_illumos_lp64)
{
	cr_expect_eq(sizeof(kstat_t), 184);
	cr_expect_eq(sizeof(kstat32_t), 152);
	cr_expect_eq(sizeof(kstat_named_t), 48);
	cr_expect_eq(sizeof(kstat_io_t), 80);
	cr_expect_eq(sizeof(kstat_intr_t), 20);
	cr_expect_eq(sizeof(kstat_timer_t), 80);
	cr_expect_eq(KSTAT_STRLEN, 31);
}

Test(abi, kstat_t_field_offsets)
{
	cr_expect_eq(offsetof(kstat_t, ks_crtime), 0);
	cr_expect_eq(offsetof(kstat_t, ks_next), 8);
	cr_expect_eq(offsetof(kstat_t, ks_kid), 16);
	cr_expect_eq(offsetof(kstat_t, ks_module), 20);
	cr_expect_eq(offsetof(kstat_t, ks_resv), 51);
	cr_expect_eq(offsetof(kstat_t, ks_instance), 52);
	cr_expect_eq(offsetof(kstat_t, ks_name), 56);
	cr_expect_eq(offsetof(kstat_t, ks_type), 87);
	cr_expect_eq(offsetof(kstat_t, ks_class), 88);
	cr_expect_eq(offsetof(kstat_t, ks_flags), 119);
	cr_expect_eq(offsetof(kstat_t, ks_data), 120);
	cr_expect_eq(offsetof(kstat_t, ks_ndata), 128);
	cr_expect_eq(offsetof(kstat_t, ks_data_size), 136);
	cr_expect_eq(offsetof(kstat_t, ks_snaptime), 144);
	cr_expect_eq(offsetof(kstat_t, ks_update), 152);
	cr_expect_eq(offsetof(kstat_t, ks_private), 160);
	cr_expect_eq(offsetof(kstat_t, ks_snapshot), 168);
	cr_expect_eq(offsetof(kstat_t, ks_lock), 176);
}

Test(abi, kstat32_t_field_offsets)
{
	cr_expect_eq(offsetof(kstat32_t, ks_next), 8);
	cr_expect_eq(offsetof(kstat32_t, ks_kid), 12);
	cr_expect_eq(offsetof(kstat32_t, ks_module), 16);
	cr_expect_eq(offsetof(kstat32_t, ks_instance), 48);
	cr_expect_eq(offsetof(kstat32_t, ks_name), 52);
	cr_expect_eq(offsetof(kstat32_t, ks_type), 83);
	cr_expect_eq(offsetof(kstat32_t, ks_class), 84);
	cr_expect_eq(offsetof(kstat32_t, ks_flags), 115);
	cr_expect_eq(offsetof(kstat32_t, ks_data), 116);
	cr_expect_eq(offsetof(kstat32_t, ks_ndata), 120);
	cr_expect_eq(offsetof(kstat32_t, ks_data_size), 124);
	cr_expect_eq(offsetof(kstat32_t, ks_snaptime), 128);
	cr_expect_eq(offsetof(kstat32_t, _ks_lock), 148);
}

Test(abi, data_record_offsets)
{
	cr_expect_eq(offsetof(kstat_named_t, data_type), 31);
	cr_expect_eq(offsetof(kstat_named_t, value), 32);
	cr_expect_eq(offsetof(kstat_named_t, value.str.len), 40);
	cr_expect_eq(offsetof(kstat_io_t, reads), 16);
	cr_expect_eq(offsetof(kstat_io_t, wtime), 24);
	cr_expect_eq(offsetof(kstat_io_t, rlastupdate), 64);
	cr_expect_eq(offsetof(kstat_io_t, wcnt), 72);
	cr_expect_eq(offsetof(kstat_io_t, rcnt), 76);
	cr_expect_eq(offsetof(kstat_timer_t, num_events), 32);
	cr_expect_eq(offsetof(kstat_timer_t, stop_time), 72);
}

Test(abi, constants_have_illumos_values)
{
	cr_expect_eq(KSTAT_IOC_CHAIN_ID, 0x4B01);
	cr_expect_eq(KSTAT_IOC_READ, 0x4B02);
	cr_expect_eq(KSTAT_IOC_WRITE, 0x4B03);
	cr_expect_eq(KSTAT_TYPE_RAW, 0);
	cr_expect_eq(KSTAT_TYPE_NAMED, 1);
	cr_expect_eq(KSTAT_TYPE_INTR, 2);
	cr_expect_eq(KSTAT_TYPE_IO, 3);
	cr_expect_eq(KSTAT_TYPE_TIMER, 4);
	cr_expect_eq(KSTAT_NUM_TYPES, 5);
	cr_expect_eq(KSTAT_FLAG_VIRTUAL, 0x01);
	cr_expect_eq(KSTAT_FLAG_VAR_SIZE, 0x02);
	cr_expect_eq(KSTAT_FLAG_WRITABLE, 0x04);
	cr_expect_eq(KSTAT_FLAG_PERSISTENT, 0x08);
	cr_expect_eq(KSTAT_FLAG_DORMANT, 0x10);
	cr_expect_eq(KSTAT_FLAG_INVALID, 0x20);
	cr_expect_eq(KSTAT_FLAG_LONGSTRINGS, 0x40);
	cr_expect_eq(KSTAT_DATA_CHAR, 0);
	cr_expect_eq(KSTAT_DATA_INT32, 1);
	cr_expect_eq(KSTAT_DATA_UINT32, 2);
	cr_expect_eq(KSTAT_DATA_INT64, 3);
	cr_expect_eq(KSTAT_DATA_UINT64, 4);
	cr_expect_eq(KSTAT_DATA_LONG, KSTAT_DATA_INT64);
	cr_expect_eq(KSTAT_DATA_ULONG, KSTAT_DATA_UINT64);
	cr_expect_eq(KSTAT_DATA_FLOAT, 5);
	cr_expect_eq(KSTAT_DATA_DOUBLE, 6);
	cr_expect_eq(KSTAT_DATA_STRING, 9);
	cr_expect_eq(KSTAT_INTR_HARD, 0);
	cr_expect_eq(KSTAT_INTR_SOFT, 1);
	cr_expect_eq(KSTAT_INTR_WATCHDOG, 2);
	cr_expect_eq(KSTAT_INTR_SPURIOUS, 3);
	cr_expect_eq(KSTAT_INTR_MULTSVC, 4);
	cr_expect_eq(KSTAT_NUM_INTRS, 5);
	cr_expect_eq(KSTAT_READ, 0);
	cr_expect_eq(KSTAT_WRITE, 1);
}

Test(abi, named_string_accessors)
{
	kstat_named_t kn = {};
	char s[] = "hello";

	KSTAT_NAMED_STR_PTR(&kn) = s;
	KSTAT_NAMED_STR_BUFLEN(&kn) = sizeof(s);
	cr_expect_eq(kn.value.str.addr.ptr, s);
	cr_expect_eq(kn.value.str.len, 6);
}

/* <sys/sysinfo.h>: the RAW layouts cpu_stat, sysinfo and vminfo, as illumos has them */
Test(abi, sysinfo_layouts_match_illumos)
{
	cr_expect_eq(sizeof(cpu_stat_t), 380);
	cr_expect_eq(offsetof(cpu_stat_t, cpu_sysinfo.cpu[CPU_WAIT]), 8 + 3 * 4);
	cr_expect_eq(offsetof(cpu_stat_t, cpu_sysinfo.win_suo_cnt), 8 + 58 * 4);
	cr_expect_eq(offsetof(cpu_stat_t, cpu_syswait.iowait), 244);
	cr_expect_eq(offsetof(cpu_stat_t, cpu_vminfo.fsfree), 256 + 30 * 4);
	cr_expect_eq(sizeof(sysinfo_t), 24);
	cr_expect_eq(offsetof(sysinfo_t, waiting), 20);
	cr_expect_eq(sizeof(vminfo_t), 48);
	cr_expect_eq(offsetof(vminfo_t, swap_free), 32);
	cr_expect_eq(CPU_STATES, 4);
	cr_expect_eq(W_STATES, 3);
}

/* glibc's <sys/sysinfo.h> is still there: both worlds build from one include */
Test(abi, sysinfo_h_keeps_glibcs_sysinfo)
{
	struct sysinfo si;

	cr_assert_eq(sysinfo(&si), 0);
	cr_expect_gt(si.uptime, 0);
	cr_expect_eq(get_nprocs(), (int)sysconf(_SC_NPROCESSORS_ONLN));
}
