/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Is this the idle task (pid 0, one per CPU)?  On a context switch pid
 * sits in a cache line of task_struct the scheduler has not touched (1264
 * bytes in on 6.18), flags in the first, which it has: test PF_IDLE first
 * and read pid only for the tasks that have it.  init_idle() gives every
 * idle task PF_IDLE (since Linux 4.10, before tp_btf existed), and so does
 * play_idle() to a thread injecting idle time; /proc/stat counts only
 * pid 0 as idle, and so does this.
 */
#ifndef __KSTAT_IDLE_BPF_H
#define __KSTAT_IDLE_BPF_H

#define KSTAT_PF_IDLE 0x00000002 /* include/linux/sched.h: a #define, not in BTF */

static __always_inline bool kstat_is_idle(struct task_struct *p)
{
	return (p->flags & KSTAT_PF_IDLE) && p->pid == 0;
}

#endif /* __KSTAT_IDLE_BPF_H */
