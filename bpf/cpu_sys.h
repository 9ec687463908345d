/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The value of cpu:N:sys, shared by the providers that add to it: cpu_sys
 * (scheduler, interrupts, faults) and syscall (system calls, attached only
 * on demand).  Include kstat.bpf.h first.
 */
#ifndef __KSTAT_CPU_SYS_H
#define __KSTAT_CPU_SYS_H

struct cpu_sys {
	__u64 pswitch KSTAT_COUNTER(count, "Context switches");
	__u64 inv_swtch KSTAT_COUNTER(count,
				      "Involuntary context switches (preempted or still runnable)");
	__u64 cpu_nsec_idle KSTAT_COUNTER(ns, "Time this CPU ran its idle task")
		KSTAT_OPEN(since, in_idle);
	__u64 cpu_nsec_busy KSTAT_COUNTER(ns, "Time this CPU ran any other task")
		KSTAT_OPEN(since, in_busy);
	__u64 intr KSTAT_COUNTER(count, "Device interrupt handlers run");
	__u64 sysfork KSTAT_COUNTER(count, "Processes and threads created (fork, vfork, clone)");
	__u64 sysexec KSTAT_COUNTER(count, "Successful execs");
	__u64 pgfault KSTAT_COUNTER(count, "Page faults, user and kernel");
	/* from the syscall provider, while it is attached */
	__u64 syscall KSTAT_COUNTER(count, "System calls entered");
	__u64 sysread KSTAT_COUNTER(count, "read, readv, pread64, preadv and preadv2 calls");
	__u64 syswrite KSTAT_COUNTER(count, "write, writev, pwrite64, pwritev and pwritev2 calls");
	__u64 readch KSTAT_COUNTER(bytes, "Bytes those reads returned");
	__u64 writech KSTAT_COUNTER(bytes, "Bytes those writes accepted");
	/*
	 * private: the interval since the last switch is still accruing.
	 * The flags lie before since on purpose: a reader's copy is taken
	 * word by word in address order, so a copy that sees a flag set sees
	 * the since written before it (see handle_sched_switch).
	 */
	__u32 in_idle;
	__u32 in_busy;
	__u64 since;
};

#endif /* __KSTAT_CPU_SYS_H */
