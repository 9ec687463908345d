// SPDX-License-Identifier: GPL-2.0
/*
 * cpu:N:sys, cpu:N:vm, cpu:N:softirq and cpu:N:intrstat, one NAMED kstat
 * each per CPU, from the books the kernel keeps per CPU anyway: the run
 * queue's switch count, kernel_cpustat and tick_sched (the times of
 * /proc/stat), kstat and irq_stat (/proc/interrupts, /proc/softirqs) and
 * vm_event_states (/proc/vmstat).  refresh_cpu copies them when kstatd
 * reads, so no program of this provider runs on a context switch, an
 * interrupt or a fault.
 *
 * Only fork and exec have no per-CPU count in the kernel (/proc/stat's
 * processes is a global total_forks, and exec none at all): they keep a
 * program each, on tracepoints that fire a few thousand times a second at
 * most.  inv_swtch (sched provider) and the system-call statistics
 * (syscall provider) are added to cpu_sys by opt-in providers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "kstat_refresh.bpf.h"
#include "core_fixes.bpf.h"
#include "cpu_sys.h"

#define NSEC_PER_TICK 10000000ULL /* illumos's and /proc/stat's tick: 1/100 s */
#define NSOFTIRQ 10
#define NVEC 19

KSTAT_PERCPU(kernel_cpustat);
KSTAT_PERCPU(kstat);
KSTAT_PERCPU(tick_cpu_sched);
KSTAT_PERCPU(irq_stat);
KSTAT_PERCPU(vm_event_states);
KSTAT_PERCPU(mce_exception_count);
KSTAT_PERCPU(mce_poll_count);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_sys);
} cpu_sys SEC(".maps") KSTAT_NAMED_MAP("cpu", "sys", "misc", cpu);

struct cpu_vm {
	__u64 pgpgin KSTAT_COUNTER(pages, "Pages read from block devices");
	__u64 pgpgout KSTAT_COUNTER(pages, "Pages written to block devices");
	__u64 pgswapin KSTAT_COUNTER(pages, "Pages swapped in");
	__u64 pgswapout KSTAT_COUNTER(pages, "Pages swapped out");
	__u64 as_fault KSTAT_COUNTER(count, "Page faults, minor and major");
	__u64 maj_fault KSTAT_COUNTER(count, "Major page faults (the page needed I/O)");
	__u64 scan KSTAT_COUNTER(pages, "Pages scanned for reclaim");
	__u64 dfree KSTAT_COUNTER(pages, "Pages reclaimed");
	__u64 pgrrun KSTAT_COUNTER(count, "Times kswapd ran to reclaim pages");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_vm);
} cpu_vm SEC(".maps") KSTAT_NAMED_MAP("cpu", "vm", "misc", cpu);

/* In the kernel's vector order (enum softirq: HI_SOFTIRQ is 0) */
struct softirq {
	__u64 hi KSTAT_COUNTER(count, "HI softirqs (high-priority tasklets)");
	__u64 timer KSTAT_COUNTER(count, "TIMER softirqs");
	__u64 net_tx KSTAT_COUNTER(count, "NET_TX softirqs");
	__u64 net_rx KSTAT_COUNTER(count, "NET_RX softirqs");
	__u64 block KSTAT_COUNTER(count, "BLOCK softirqs");
	__u64 irq_poll KSTAT_COUNTER(count, "IRQ_POLL softirqs");
	__u64 tasklet KSTAT_COUNTER(count, "TASKLET softirqs");
	__u64 sched KSTAT_COUNTER(count, "SCHED softirqs");
	__u64 hrtimer KSTAT_COUNTER(count, "HRTIMER softirqs");
	__u64 rcu KSTAT_COUNTER(count, "RCU softirqs");
	/* private: the kernel's 32-bit counts as last read, to widen them */
	__u32 last[NSOFTIRQ];
	__u32 seeded;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct softirq);
} softirq SEC(".maps") KSTAT_NAMED_MAP("cpu", "softirq", "misc", cpu);

/* The rows of /proc/interrupts, all but device (its numbered rows) per CPU vector */
enum vec {
	V_NMI,
	V_LOC,
	V_SPU,
	V_PMI,
	V_IWI,
	V_RTR,
	V_PLT,
	V_RES,
	V_CAL,
	V_TLB,
	V_TRM,
	V_THR,
	V_DFR,
	V_MCE,
	V_MCP,
	V_HYP,
	V_PIN,
	V_NPI,
	V_PIW,
};

struct intrstat {
	__u64 nmi KSTAT_COUNTER(count, "Non-maskable interrupts (NMI)");
	__u64 local_timer KSTAT_COUNTER(count, "Local timer interrupts (LOC)");
	__u64 spurious KSTAT_COUNTER(count, "Spurious interrupts (SPU)");
	__u64 perf KSTAT_COUNTER(count, "Performance monitoring interrupts (PMI)");
	__u64 irq_work KSTAT_COUNTER(count, "IRQ work interrupts (IWI)");
	__u64 icr_retry KSTAT_COUNTER(count, "APIC ICR read retries (RTR)");
	__u64 platform KSTAT_COUNTER(count, "Platform interrupts (PLT)");
	__u64 resched KSTAT_COUNTER(count, "Rescheduling interrupts (RES)");
	__u64 call KSTAT_COUNTER(count,
				 "Function call interrupts, TLB shootdowns included (CAL+TLB)");
	__u64 tlb KSTAT_COUNTER(count, "TLB shootdowns (TLB)");
	__u64 thermal KSTAT_COUNTER(count, "Thermal event interrupts (TRM)");
	__u64 threshold KSTAT_COUNTER(count, "Threshold APIC interrupts (THR)");
	__u64 deferred_error KSTAT_COUNTER(count, "Deferred error APIC interrupts (DFR)");
	__u64 mce KSTAT_COUNTER(count, "Machine check exceptions (MCE)");
	__u64 mce_poll KSTAT_COUNTER(count, "Machine check polls (MCP)");
	__u64 hypervisor KSTAT_COUNTER(count, "Hypervisor callback interrupts (HYP)");
	__u64 posted_intr KSTAT_COUNTER(count, "Posted-interrupt notification events (PIN)");
	__u64 posted_intr_nested KSTAT_COUNTER(count, "Nested posted-interrupt events (NPI)");
	__u64 posted_intr_wakeup KSTAT_COUNTER(count, "Posted-interrupt wakeup events (PIW)");
	__u64 device KSTAT_COUNTER(count, "Device interrupts (the numbered rows)");
	/* private: the kernel's 32-bit counts as last read, to widen them */
	__u32 last[NVEC];
	__u32 seeded;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct intrstat);
} intrstat SEC(".maps") KSTAT_NAMED_MAP("cpu", "intrstat", "misc", cpu);

/* As get_cpu_idle_time_us() and get_cpu_iowait_time_us() give them to /proc/stat */
static __always_inline void idle_times(struct rq *rq, void *tsp, const __u64 *cs, __u64 now,
				       __u64 *idle, __u64 *iowait)
{
	struct tick_sched___x *ts = tsp;
	__u64 entry = 0, sidle = 0, siow = 0;
	__u32 seq = 0, seq2;
	int active = 0, nohz = -1, i;

	*idle = cs[0];
	*iowait = cs[1];
	/* offline, or no tick_sched: /proc/stat takes kernel_cpustat's */
	if (!ts || !BPF_CORE_READ(rq, online))
		return;
	/* kernels that book idle time into kernel_cpustat as it passes do not have these */
	if (!bpf_core_field_exists(ts->idle_sleeptime) ||
	    !bpf_core_field_exists(ts->idle_entrytime))
		return;
	for (i = 0; i < 4; i++) {
		if (bpf_core_field_exists(ts->idle_sleeptime_seq)) {
			seq = BPF_CORE_READ(ts, idle_sleeptime_seq.sequence);
			if (seq & 1)
				continue;
		}
		nohz = tick_sched_state(ts, &active);
		entry = BPF_CORE_READ(ts, idle_entrytime);
		sidle = BPF_CORE_READ(ts, idle_sleeptime);
		siow = BPF_CORE_READ(ts, iowait_sleeptime);
		if (!bpf_core_field_exists(ts->idle_sleeptime_seq))
			break;
		seq2 = BPF_CORE_READ(ts, idle_sleeptime_seq.sequence);
		if (seq == seq2)
			break;
	}
	if (nohz < 0) {
		*idle = *iowait = KSTAT_ABSENT;
		return;
	}
	if (!nohz)
		return;
	if (active && now > entry) {
		if (BPF_CORE_READ(rq, nr_iowait.counter))
			siow += now - entry;
		else
			sidle += now - entry;
	}
	*idle = sidle;
	*iowait = siow;
}

static __always_inline __u64 cpustat(const __u64 *kcs, enum cpu_usage_stat which)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &kcs[which]);
	return v;
}

static __always_inline void fill_times(struct cpu_sys *cs, struct rq *rq, __u64 now)
{
	const __u64 *kcs = kstat_percpu_ptr(rq, kernel_cpustat);
	__u64 idle[2], wait;

	if (!kcs) {
		cs->cpu_nsec_user = cs->cpu_nsec_kernel = cs->cpu_nsec_intr = KSTAT_ABSENT;
		cs->cpu_nsec_idle = cs->cpu_nsec_wait = cs->cpu_nsec_steal = KSTAT_ABSENT;
		cs->cpu_ticks_user = cs->cpu_ticks_kernel = KSTAT_ABSENT;
		cs->cpu_ticks_idle = cs->cpu_ticks_wait = cs->wait_ticks_io = KSTAT_ABSENT;
		return;
	}
	cs->cpu_nsec_user = cpustat(kcs, CPUTIME_USER) + cpustat(kcs, CPUTIME_NICE);
	cs->cpu_nsec_kernel = cpustat(kcs, CPUTIME_SYSTEM);
	cs->cpu_nsec_intr = cpustat(kcs, CPUTIME_IRQ) + cpustat(kcs, CPUTIME_SOFTIRQ);
	cs->cpu_nsec_steal = cpustat(kcs, CPUTIME_STEAL);
	idle[0] = cpustat(kcs, CPUTIME_IDLE);
	idle[1] = cpustat(kcs, CPUTIME_IOWAIT);
	idle_times(rq, kstat_percpu_ptr(rq, tick_cpu_sched), idle, now, &idle[0], &wait);
	cs->cpu_nsec_idle = idle[0];
	cs->cpu_nsec_wait = wait;
	cs->cpu_ticks_user = cs->cpu_nsec_user / NSEC_PER_TICK;
	cs->cpu_ticks_kernel = cs->cpu_nsec_kernel / NSEC_PER_TICK;
	cs->cpu_ticks_idle = idle[0] == KSTAT_ABSENT ? KSTAT_ABSENT : idle[0] / NSEC_PER_TICK;
	cs->cpu_ticks_wait = wait == KSTAT_ABSENT ? KSTAT_ABSENT : wait / NSEC_PER_TICK;
	cs->wait_ticks_io = cs->cpu_ticks_wait;
}

/* Tasks on this run queue that wait to run: all but the one running, if not idle */
static __always_inline __u64 queued(struct rq *rq)
{
	__u32 n = BPF_CORE_READ(rq, nr_running);
	bool busy = BPF_CORE_READ(rq, curr) != BPF_CORE_READ(rq, idle);

	return n > busy ? n - busy : 0;
}

static __always_inline __u64 vm_event(const unsigned long *ev, enum vm_event_item item)
{
	unsigned long v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &ev[item]);
	return v;
}

/* Add item to s if this kernel counts it (see enum vm_event_item___x) */
#define VM_ADD(ev, s, any, item)                                                              \
	do {                                                                                  \
		if (bpf_core_enum_value_exists(enum vm_event_item___x, item)) {               \
			s += vm_event(ev, bpf_core_enum_value(enum vm_event_item___x, item)); \
			any = true;                                                           \
		}                                                                             \
	} while (0)

/* Pages scanned (or reclaimed) by kswapd, direct reclaim, khugepaged and proactive reclaim */
#define VM_RECLAIM(ev, kswapd, direct, khugepaged, proactive) \
	({                                                    \
		__u64 __s = 0;                                \
		bool __any = false;                           \
		VM_ADD(ev, __s, __any, kswapd);               \
		VM_ADD(ev, __s, __any, direct);               \
		VM_ADD(ev, __s, __any, khugepaged);           \
		VM_ADD(ev, __s, __any, proactive);            \
		__any ? __s : KSTAT_ABSENT;                   \
	})

static __always_inline void fill_vm(struct cpu_vm *vm, struct rq *rq)
{
	const unsigned long *ev = kstat_percpu_ptr(rq, vm_event_states);
	__u64 v;

	if (!ev) {
		vm->pgpgin = vm->pgpgout = vm->pgswapin = vm->pgswapout = KSTAT_ABSENT;
		vm->as_fault = vm->maj_fault = vm->scan = vm->dfree = vm->pgrrun = KSTAT_ABSENT;
		return;
	}
	/* the block layer counts 512-byte sectors (submit_bio()) */
	v = vm_event(ev, PGPGIN);
	vm->pgpgin = v >> (kstat_page_shift - 9);
	v = vm_event(ev, PGPGOUT);
	vm->pgpgout = v >> (kstat_page_shift - 9);
	vm->pgswapin = vm_event(ev, PSWPIN);
	vm->pgswapout = vm_event(ev, PSWPOUT);
	vm->as_fault = vm_event(ev, PGFAULT);
	vm->maj_fault = vm_event(ev, PGMAJFAULT);
	vm->scan = VM_RECLAIM(ev, PGSCAN_KSWAPD___x, PGSCAN_DIRECT___x, PGSCAN_KHUGEPAGED___x,
			      PGSCAN_PROACTIVE___x);
	vm->dfree = VM_RECLAIM(ev, PGSTEAL_KSWAPD___x, PGSTEAL_DIRECT___x, PGSTEAL_KHUGEPAGED___x,
			       PGSTEAL_PROACTIVE___x);
	vm->pgrrun = vm_event(ev, PAGEOUTRUN);
}

static __always_inline void fill_softirq(struct softirq *si, struct rq *rq)
{
	struct kernel_stat *ks = kstat_percpu_ptr(rq, kstat);
	unsigned int raw[NSOFTIRQ] = {};
	__u64 *stat = (__u64 *)si;

	if (!ks) {
		for (int i = 0; i < NSOFTIRQ; i++)
			stat[i] = KSTAT_ABSENT;
		return;
	}
	bpf_probe_read_kernel(raw, sizeof(raw), &ks->softirqs);
	for (int i = 0; i < NSOFTIRQ; i++)
		kstat_widen32(&stat[i], &si->last[i], raw[i], si->seeded);
	si->seeded = 1;
}

/* One vector's count: widened if the kernel has it, else absent */
#define VEC(is, v, i, have, raw)                                                                 \
	do {                                                                                     \
		if (have)                                                                        \
			kstat_widen32(&((__u64 *)(is))[i], &(is)->last[i], (raw), (is)->seeded); \
		else                                                                             \
			((__u64 *)(is))[i] = KSTAT_ABSENT;                                       \
	} while (0)
#define IRQ_STAT(is, v, i, member)                                                 \
	VEC(is, v, i, v &&bpf_core_field_exists(((irq_cpustat_t___x *)0)->member), \
	    v ? BPF_CORE_READ((irq_cpustat_t___x *)v, member) : 0)

static __always_inline unsigned int percpu_u32(void *p)
{
	unsigned int v = 0;

	if (p)
		bpf_probe_read_kernel(&v, sizeof(v), p);
	return v;
}

static __always_inline void fill_intr(struct intrstat *is, struct cpu_sys *cs, struct rq *rq)
{
	struct kernel_stat *ks = kstat_percpu_ptr(rq, kstat);
	void *irqs = kstat_percpu_ptr(rq, irq_stat);
	void *mce = kstat_percpu_ptr(rq, mce_exception_count);
	void *mcp = kstat_percpu_ptr(rq, mce_poll_count);
	__u64 sum = 0, *v = (__u64 *)is;

	IRQ_STAT(is, irqs, V_NMI, __nmi_count);
	IRQ_STAT(is, irqs, V_LOC, apic_timer_irqs);
	IRQ_STAT(is, irqs, V_SPU, irq_spurious_count);
	IRQ_STAT(is, irqs, V_PMI, apic_perf_irqs);
	IRQ_STAT(is, irqs, V_IWI, apic_irq_work_irqs);
	IRQ_STAT(is, irqs, V_RTR, icr_read_retry_count);
	IRQ_STAT(is, irqs, V_PLT, x86_platform_ipis);
	IRQ_STAT(is, irqs, V_RES, irq_resched_count);
	IRQ_STAT(is, irqs, V_CAL, irq_call_count);
	IRQ_STAT(is, irqs, V_TLB, irq_tlb_count);
	IRQ_STAT(is, irqs, V_TRM, irq_thermal_count);
	IRQ_STAT(is, irqs, V_THR, irq_threshold_count);
	IRQ_STAT(is, irqs, V_DFR, irq_deferred_error_count);
	VEC(is, mce, V_MCE, mce != 0, percpu_u32(mce));
	VEC(is, mcp, V_MCP, mcp != 0, percpu_u32(mcp));
	IRQ_STAT(is, irqs, V_HYP, irq_hv_callback_count);
	IRQ_STAT(is, irqs, V_PIN, kvm_posted_intr_ipis);
	IRQ_STAT(is, irqs, V_NPI, kvm_posted_intr_nested_ipis);
	IRQ_STAT(is, irqs, V_PIW, kvm_posted_intr_wakeup_ipis);
	is->seeded = 1;
	is->device = ks ? BPF_CORE_READ(ks, irqs_sum) : KSTAT_ABSENT;
	if (!ks) {
		cs->intr = cs->xcalls = KSTAT_ABSENT;
		return;
	}
	/* /proc/interrupts shows CAL as call - tlb and TLB as tlb: call is both */
	for (int i = 0; i < NVEC; i++)
		if (i != V_TLB && v[i] != KSTAT_ABSENT)
			sum += v[i];
	cs->intr = is->device + sum;
	cs->xcalls = is->call;
}

struct refresh_ctx {
	struct kstat_books books;
	int err;
};

static int refresh_one(__u32 cpu, struct refresh_ctx *c)
{
	struct cpu_sys *cs;
	struct cpu_vm *vm;
	struct softirq *si;
	struct intrstat *is;
	__u32 zero = 0;
	struct rq *rq;

	cs = bpf_map_lookup_percpu_elem(&cpu_sys, &zero, cpu);
	vm = bpf_map_lookup_percpu_elem(&cpu_vm, &zero, cpu);
	si = bpf_map_lookup_percpu_elem(&softirq, &zero, cpu);
	is = bpf_map_lookup_percpu_elem(&intrstat, &zero, cpu);
	if (!cs || !vm || !si || !is)
		return 1;
	rq = kstat_books_rq(&c->books, cpu);
	if (!rq) {
		c->err = -2; /* ENOENT */
		return 1;
	}
	cs->pswitch = BPF_CORE_READ(rq, nr_switches);
	cs->iowait = (__u32)BPF_CORE_READ(rq, nr_iowait.counter);
	cs->nr_queued = queued(rq);
	fill_times(cs, rq, c->books.now);
	fill_vm(vm, rq);
	fill_softirq(si, rq);
	fill_intr(is, cs, rq);
	return 0;
}

/* Everything above is absent: this kernel has no run queues to read them from */
static int mark_absent(__u32 cpu, void *unused)
{
	struct cpu_sys *cs;
	__u32 zero = 0;
	__u64 *v;

	cs = bpf_map_lookup_percpu_elem(&cpu_sys, &zero, cpu);
	if (cs) {
		cs->pswitch = cs->intr = cs->xcalls = cs->iowait = KSTAT_ABSENT;
		cs->cpu_nsec_user = cs->cpu_nsec_kernel = cs->cpu_nsec_intr = KSTAT_ABSENT;
		cs->cpu_nsec_idle = cs->cpu_nsec_wait = cs->cpu_nsec_steal = KSTAT_ABSENT;
		cs->cpu_ticks_user = cs->cpu_ticks_kernel = KSTAT_ABSENT;
		cs->cpu_ticks_idle = cs->cpu_ticks_wait = cs->wait_ticks_io = KSTAT_ABSENT;
	}
	v = bpf_map_lookup_percpu_elem(&cpu_vm, &zero, cpu);
	for (int i = 0; v && i < (int)(sizeof(struct cpu_vm) / 8); i++)
		v[i] = KSTAT_ABSENT;
	v = bpf_map_lookup_percpu_elem(&softirq, &zero, cpu);
	for (int i = 0; v && i < NSOFTIRQ; i++)
		v[i] = KSTAT_ABSENT;
	v = bpf_map_lookup_percpu_elem(&intrstat, &zero, cpu);
	for (int i = 0; v && i <= NVEC; i++)
		v[i] = KSTAT_ABSENT;
	return 0;
}

/*
 * Without a task group's CFS queues (CONFIG_FAIR_GROUP_SCHED) nothing here
 * can be read, at any run: every statistic is absent.  A run queue that
 * cannot be found is an error: this read fails rather than serve old
 * numbers.
 */
SEC("syscall")
int refresh_cpu(void *ctx)
{
	struct refresh_ctx c = {};

	if (kstat_books_open(&c.books) < 0) {
		bpf_loop(kstat_nr_cpus, mark_absent, NULL, 0);
		return 0;
	}
	bpf_loop(kstat_nr_cpus, refresh_one, &c, 0);
	return c.err;
}

#define KSTAT_PF_KTHREAD 0x00200000 /* include/linux/sched.h: a #define, not in BTF */

/*
 * Every task created is a thread as illumos counts them (nthreads, which
 * thread_create() counts, kernel threads too); a new thread group that is
 * not a kernel thread is a process (sysfork: fork, vfork, clone without
 * CLONE_THREAD, which is what /proc/stat's processes counts minus threads).
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 zero = 0;
	struct cpu_sys *cs = bpf_map_lookup_elem(&cpu_sys, &zero);

	if (!cs)
		return 0;
	cs->nthreads++;
	if (child->pid == child->tgid && !(child->flags & KSTAT_PF_KTHREAD))
		cs->sysfork++;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 zero = 0;
	struct cpu_sys *cs = bpf_map_lookup_elem(&cpu_sys, &zero);

	if (cs)
		cs->sysexec++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
