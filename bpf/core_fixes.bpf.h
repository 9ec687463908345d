/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel layouts that changed, read the CO-RE way: each helper works on
 * the kernels before and after the commit it names.
 */
#ifndef __KSTAT_CORE_FIXES_BPF_H
#define __KSTAT_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/*
 * commit d152c682f03c ("block: add an explicit ->disk backpointer to the
 * request_queue", 5.15) and commit f3fa33acca9f ("block: remove the
 * ->rq_disk field in struct request", 5.16): a request's disk is found
 * through its queue now, in struct request itself before.
 */
struct request_queue___x {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

struct request___x {
	struct request_queue___x *q;
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

/* rq: a tp_btf argument, read directly (no probe read) on current kernels */
static __always_inline struct gendisk *rq_disk(struct request *rq)
{
	struct request___x *r = (void *)rq;

	if (bpf_core_field_exists(r->rq_disk))
		return BPF_CORE_READ(r, rq_disk);
	return rq->q->disk;
}

/*
 * commit cf179948554a ("block: add disk sequence number", 5.15) numbers
 * each medium a disk holds; before it every disk reads as 0, as sysfs has
 * no diskseq file to compare with.
 */
struct gendisk___x {
	u64 diskseq;
} __attribute__((preserve_access_index));

static __always_inline u64 disk_seq(struct gendisk *disk)
{
	struct gendisk___x *d = (void *)disk;

	if (bpf_core_field_exists(d->diskseq))
		return d->diskseq;
	return 0;
}

/*
 * The request flags became an enum of bit numbers in 6.11 (commit
 * 5f89154e8e9e, "block: Use enum to define RQF_x bit indexes"); before
 * it they were #defines that BTF does not carry, and these return 0: the
 * disk provider then counts every read and write it sees complete.
 */
static __always_inline u32 rqf_io_stat(void)
{
	if (bpf_core_enum_value_exists(enum rqf_flags, __RQF_IO_STAT))
		return 1U << bpf_core_enum_value(enum rqf_flags, __RQF_IO_STAT);
	return 0;
}

static __always_inline u32 rqf_flush_seq(void)
{
	if (bpf_core_enum_value_exists(enum rqf_flags, __RQF_FLUSH_SEQ))
		return 1U << bpf_core_enum_value(enum rqf_flags, __RQF_FLUSH_SEQ);
	return 0;
}

/*
 * x86's per-CPU interrupt counts, irq_cpustat_t (arch/x86/include/asm/
 * hardirq.h): which members there are depends on the configuration
 * (CONFIG_X86_MCE_THRESHOLD, CONFIG_HAVE_KVM, CONFIG_X86_HV_CALLBACK_VECTOR,
 * ...), and other architectures have none of them.  Read each one only
 * where bpf_core_field_exists() finds it.
 */
typedef struct {
	unsigned int __nmi_count;
	unsigned int apic_timer_irqs;
	unsigned int irq_spurious_count;
	unsigned int icr_read_retry_count;
	unsigned int kvm_posted_intr_ipis;
	unsigned int kvm_posted_intr_wakeup_ipis;
	unsigned int kvm_posted_intr_nested_ipis;
	unsigned int x86_platform_ipis;
	unsigned int apic_perf_irqs;
	unsigned int apic_irq_work_irqs;
	unsigned int irq_resched_count;
	unsigned int irq_call_count;
	unsigned int irq_tlb_count;
	unsigned int irq_thermal_count;
	unsigned int irq_threshold_count;
	unsigned int irq_deferred_error_count;
	unsigned int irq_hv_callback_count;
	unsigned int irq_hv_reenlightenment_count;
	unsigned int hyperv_stimer0_count;
} __attribute__((preserve_access_index)) irq_cpustat_t___x;

/*
 * The reclaim counters of enum vm_event_item came one by one (khugepaged's
 * and proactive reclaim's after kswapd's and direct reclaim's, the latter
 * in this 6.18 kernel): test each before reading it.
 */
enum vm_event_item___x {
	PGSCAN_KSWAPD___x,
	PGSCAN_DIRECT___x,
	PGSCAN_KHUGEPAGED___x,
	PGSCAN_PROACTIVE___x,
	PGSTEAL_KSWAPD___x,
	PGSTEAL_DIRECT___x,
	PGSTEAL_KHUGEPAGED___x,
	PGSTEAL_PROACTIVE___x,
};

/*
 * Linux 6.9 made tick_sched's bitfields flags (ts->flags, TS_FLAG_*, which
 * are #defines that BTF does not carry) and folded nohz_mode into
 * TS_FLAG_NOHZ; before, idle_active was a bitfield and nohz_mode an enum
 * whose 0 is NOHZ_MODE_INACTIVE.  Linux 6.6 put the idle and iowait sleep
 * times under idle_sleeptime_seq; before, they were read as they were.
 */
#define KSTAT_TS_FLAG_IDLE_ACTIVE (1UL << 2)
#define KSTAT_TS_FLAG_NOHZ (1UL << 4)

struct tick_sched___old {
	unsigned int idle_active : 1;
	int nohz_mode;
} __attribute__((preserve_access_index));

struct tick_sched___x {
	unsigned long flags;
	seqcount_t idle_sleeptime_seq;
	ktime_t idle_entrytime;
	ktime_t idle_sleeptime;
	ktime_t iowait_sleeptime;
} __attribute__((preserve_access_index));

/*
 * Not inlined: clang hoists the bitfield's relocated offset above the
 * test of the flags layout, where libbpf has poisoned it on kernels that
 * lack the field; in a function of its own it is never reached there.
 */
static __noinline int tick_sched_state_old(struct tick_sched___old *old, int *active)
{
	if (!bpf_core_field_exists(old->nohz_mode) || !bpf_core_field_exists(old->idle_active))
		return -1;
	*active = BPF_CORE_READ_BITFIELD_PROBED(old, idle_active);
	return BPF_CORE_READ(old, nohz_mode) != 0;
}

/*
 * Is the CPU of ts in an idle period that tick_sched times (*active), and
 * does /proc/stat take idle time from tick_sched at all (the return)?  -1
 * where this kernel's tick_sched has neither layout.
 */
static __always_inline int tick_sched_state(void *ts, int *active)
{
	struct tick_sched___x *x = ts;

	if (bpf_core_field_exists(x->flags)) {
		unsigned long flags = BPF_CORE_READ(x, flags);

		*active = !!(flags & KSTAT_TS_FLAG_IDLE_ACTIVE);
		return !!(flags & KSTAT_TS_FLAG_NOHZ);
	}
	return tick_sched_state_old(ts, active);
}

/*
 * commit "bdev: infrastructure for flags" (6.10) moved the partition
 * number into the low byte of __bd_flags, a u8 bd_partno before it.
 * bdev: reached from a tp_btf argument, read directly (no probe read).
 */
struct block_device___x {
	u8 bd_partno;
	atomic_t __bd_flags;
} __attribute__((preserve_access_index));

static __always_inline u32 bdev_partno(struct block_device *bdev)
{
	struct block_device___x *b = (void *)bdev;

	if (bpf_core_field_exists(b->bd_partno))
		return b->bd_partno;
	return b->__bd_flags.counter & 0xff;
}

/*
 * When a request went to the driver: blk_mq_start_request() stamps it
 * only on queues that keep I/O statistics (QUEUE_FLAG_STATS: writeback
 * throttling, blk-iolatency, ...), 0 elsewhere; a kernel without the
 * field reads as 0 too.
 */
static __always_inline u64 rq_io_start(struct request *rq)
{
	if (bpf_core_field_exists(rq->io_start_time_ns))
		return rq->io_start_time_ns;
	return 0;
}

#endif /* __KSTAT_CORE_FIXES_BPF_H */
