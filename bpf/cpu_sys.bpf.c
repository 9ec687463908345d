// SPDX-License-Identifier: GPL-2.0
/*
 * cpu:N:sys, one NAMED kstat per CPU, from scheduler, interrupt and
 * exception tracepoints.  Default-on, so nothing here touches the system
 * call path: syscall, sysread, syswrite, readch and writech are added by
 * the syscall provider (syscall.bpf.c), through this same map, only while
 * it is attached.  Each CPU updates only its own slot of a per-CPU array:
 * no atomics, no map updates, one lookup per event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "cpu_sys.h"
#include "idle.bpf.h"

#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_sys);
} cpu_sys SEC(".maps") KSTAT_NAMED_MAP("cpu", "sys", "misc", cpu);

static __always_inline struct cpu_sys *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_sys, &zero);
}

/*
 * prev_state is the tracepoint's own argument since Linux 5.18 (commit
 * fa2c3254d7cf): the state prev had when it called into the scheduler.
 * A switch is involuntary when prev was preempted or still runnable, the
 * rule that feeds nivcsw in /proc/<pid>/status; the idle task yielding
 * its CPU is not counted.
 *
 * The hottest program of the default set, so it reads the clock only when
 * the CPU goes from idle to busy or back: between two busy tasks (or two
 * idle ones) the interval open since the last change goes on accruing to
 * the same counter, as KSTAT_OPEN has readers see it, and nothing changes.
 * prev and next are the tracepoint's typed arguments, read directly (no
 * probe read), and mostly in the cache lines the scheduler just used.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(handle_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct cpu_sys *cs = this_cpu();
	bool prev_idle, next_idle, was_idle;
	__u64 now, since;

	if (!cs)
		return 0;
	prev_idle = kstat_is_idle(prev);
	next_idle = kstat_is_idle(next);
	cs->pswitch++;
	if (!prev_idle && (preempt || prev_state == 0))
		cs->inv_swtch++;
	if (cs->since && prev_idle == next_idle && cs->in_idle == next_idle)
		return 0;
	/*
	 * kstatd copies this value from another CPU while these stores land,
	 * a word at a time in address order (counters, flags, then since),
	 * and may find the value as any prefix of them if this CPU is held
	 * up mid-way (a vCPU preempted by its host).  Each such copy must
	 * read low, never high: kstatd serves the highest value it has read,
	 * and after a restart only what the map holds is left, so a high
	 * read is a counter that goes backwards.  Hence the order, kept by
	 * barrier() from the compiler's own reordering:
	 * - both flags off first: no copy adds an open interval until the
	 *   new one is fully written;
	 * - the time read only then: a copy that still sees the old flag
	 *   but already the new since was taken by a reader whose clock
	 *   (read before its copy) is older than that since, so it adds
	 *   nothing (kstatd adds now - since only when now > since);
	 * - the interval added, since moved, and the next flag set last, so
	 *   a copy that sees it set also sees the new since (it lies after).
	 * Left the other way round, a copy caught between the flag and since
	 * stores credited a whole idle interval to cpu_nsec_busy.  barrier()
	 * orders the compiler only: the argument holds where stores become
	 * visible in program order (x86); elsewhere it narrows the window.
	 */
	since = cs->since;
	/*
	 * The interval goes where readers saw it accrue, by the flags: the
	 * same as prev's state while attached, and never a counter readers
	 * were not adding it to if the CPU changed state while detached.
	 */
	was_idle = cs->in_idle;
	cs->in_idle = 0;
	cs->in_busy = 0;
	barrier();
	now = bpf_ktime_get_ns();
	if (since) {
		if (was_idle)
			cs->cpu_nsec_idle += now - since;
		else
			cs->cpu_nsec_busy += now - since;
	}
	barrier();
	cs->since = now;
	barrier();
	cs->in_idle = next_idle;
	cs->in_busy = !next_idle;
	return 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(handle_irq_handler_entry, int irq, struct irqaction *action)
{
	struct cpu_sys *cs = this_cpu();

	if (cs)
		cs->intr++;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct cpu_sys *cs = this_cpu();

	if (cs)
		cs->sysfork++;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct cpu_sys *cs = this_cpu();

	if (cs)
		cs->sysexec++;
	return 0;
}

static __always_inline int count_pgfault(void)
{
	struct cpu_sys *cs = this_cpu();

	if (cs)
		cs->pgfault++;
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(handle_page_fault_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return count_pgfault();
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(handle_page_fault_kernel, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	return count_pgfault();
}

char LICENSE[] SEC("license") = "GPL";
