/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The slot of the system call the current task is in (bpf/syscall.h).
 * Include vmlinux.h, bpf_core_read.h and bpf_helpers.h first.
 */
#ifndef __KSTAT_SYSCALL_BPF_H
#define __KSTAT_SYSCALL_BPF_H

#include "syscall.h"

#define TS_COMPAT 0x0002 /* x86 thread_info.status: in an ia32 system call */

/* nr's slot, SYSCALL_SLOTS if it has none (x32, -1 from a tracer, beyond the table) */
static __always_inline __u32 syscall_slot(long nr)
{
	__u32 slot = (__u32)nr;

	if ((unsigned long)nr >= SYSCALL_NATIVE_SLOTS)
		return SYSCALL_SLOTS;
#ifdef __TARGET_ARCH_x86
	struct task_struct *t = bpf_get_current_task_btf();

	if (bpf_core_field_exists(t->thread_info.status) && (t->thread_info.status & TS_COMPAT))
		slot += SYSCALL_NATIVE_SLOTS;
#endif
	return slot;
}

/* The number of the call returning, as syscall_get_nr() reads it at sys_exit */
static __always_inline long syscall_exit_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
#error "syscall_exit_nr: which pt_regs member holds the system call number here?"
#endif
}

#endif /* __KSTAT_SYSCALL_BPF_H */
