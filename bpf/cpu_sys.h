/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The value of cpu:N:sys, shared by the providers that add to it: cpu_sys
 * (the kernel's own per-CPU books, fork and exec), sched (involuntary
 * switches and migrations, opt-in) and syscall (system calls, opt-in).  Include
 * kstat.bpf.h first.
 */
#ifndef __KSTAT_CPU_SYS_H
#define __KSTAT_CPU_SYS_H

/* KSTAT_FROM: kept by that provider only while it is attached, and absent from the metrics else */
struct cpu_sys {
	__u64 pswitch KSTAT_COUNTER(count, "Context switches");
	__u64 inv_swtch KSTAT_COUNTER(count,
				      "Involuntary context switches (preempted or still runnable)")
		KSTAT_FROM("sched");
	__u64 cpu_nsec_user KSTAT_COUNTER(ns, "Time in user mode, niced and guest included");
	__u64 cpu_nsec_kernel KSTAT_COUNTER(ns, "Time in the kernel, interrupts excluded");
	__u64 cpu_nsec_idle KSTAT_COUNTER(ns, "Time idle with no I/O pending");
	__u64 cpu_nsec_wait KSTAT_COUNTER(ns, "Time idle while I/O was pending (iowait)");
	__u64 cpu_nsec_intr KSTAT_COUNTER(ns, "Time serving hard and soft interrupts");
	__u64 cpu_nsec_steal KSTAT_COUNTER(ns, "Time the hypervisor ran something else");
	__u64 cpu_ticks_user KSTAT_COUNTER(count, "cpu_nsec_user in 10 ms ticks");
	__u64 cpu_ticks_kernel KSTAT_COUNTER(count, "cpu_nsec_kernel in 10 ms ticks");
	__u64 cpu_ticks_idle KSTAT_COUNTER(count, "cpu_nsec_idle in 10 ms ticks");
	__u64 cpu_ticks_wait KSTAT_COUNTER(count, "cpu_nsec_wait in 10 ms ticks");
	__u64 intr KSTAT_COUNTER(count, "Interrupts, device and CPU vectors, as /proc/interrupts");
	__u64 xcalls KSTAT_COUNTER(count, "Cross-calls (function call and TLB shootdown IPIs)");
	__u64 sysfork KSTAT_COUNTER(count,
				    "Processes created (fork, vfork, clone without CLONE_THREAD)");
	__u64 sysexec KSTAT_COUNTER(count, "Successful execs");
	__u64 nthreads KSTAT_COUNTER(count, "Tasks created: processes, threads and kernel threads");
	__u64 cpumigrate KSTAT_COUNTER(count, "Task migrations the scheduler made on this CPU")
		KSTAT_FROM("sched");
	__u64 iowait KSTAT_GAUGE(count, "Tasks waiting for I/O that last ran on this CPU");
	__u64 wait_ticks_io KSTAT_COUNTER(count,
					  "cpu_ticks_wait: all of Linux's wait time is I/O wait");
	__u64 syscall KSTAT_COUNTER(count, "System calls entered") KSTAT_FROM("syscall");
	__u64 sysread KSTAT_COUNTER(count, "read, readv, pread64, preadv and preadv2 calls")
		KSTAT_FROM("syscall");
	__u64 syswrite KSTAT_COUNTER(count, "write, writev, pwrite64, pwritev and pwritev2 calls")
		KSTAT_FROM("syscall");
	__u64 readch KSTAT_COUNTER(bytes, "Bytes those reads returned") KSTAT_FROM("syscall");
	__u64 writech KSTAT_COUNTER(bytes, "Bytes those writes accepted") KSTAT_FROM("syscall");
	/* private: tasks queued to run, not running (unix:0:sysinfo's runque) */
	__u64 nr_queued;
};

#endif /* __KSTAT_CPU_SYS_H */
