// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs on the hooks kstatd's providers use: what attaching
 * anything at all costs there, the floor a provider is measured against.
 * Each is named empty_<tracepoint>; attach_empty attaches one link per
 * name given, so a hook two providers share gets two empty programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EMPTY(tp)                \
	SEC("tp_btf/" #tp)       \
	int BPF_PROG(empty_##tp) \
	{                        \
		return 0;        \
	}

/* syscall */
EMPTY(sys_enter)
EMPTY(sys_exit)
/* cpu_sys */
EMPTY(sched_switch)
EMPTY(irq_handler_entry)
EMPTY(sched_process_fork)
EMPTY(sched_process_exec)
EMPTY(page_fault_user)
EMPTY(page_fault_kernel)
/* intr_claims */
EMPTY(irq_handler_exit)
/* sched */
EMPTY(sched_wakeup)
EMPTY(sched_wakeup_new)
/* disk */
EMPTY(block_io_done)
EMPTY(block_rq_complete)
EMPTY(block_rq_merge)
EMPTY(block_rq_requeue)
EMPTY(block_rq_insert)
EMPTY(block_rq_issue)

char LICENSE[] SEC("license") = "GPL";
