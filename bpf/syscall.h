/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The slots of the dense per-system-call arrays of the syscall and
 * syscall_time providers, as the syscall_slot key decoder reads them:
 * slot n is native system call n, slot SYSCALL_NATIVE_SLOTS + n the call
 * numbered n in the ia32 table (a 32-bit task on x86_64).
 */
#ifndef __KSTAT_SYSCALL_H
#define __KSTAT_SYSCALL_H

#define SYSCALL_NATIVE_SLOTS 512
#define SYSCALL_SLOTS (2 * SYSCALL_NATIVE_SLOTS)

#endif /* __KSTAT_SYSCALL_H */
