/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What peercred.bpf.c reports of one socket: the credentials its peer had
 * when it connected.  Shared by the iterator and src/os/peercred.c.
 */
#ifndef __KSTAT_PEERCRED_REC_H
#define __KSTAT_PEERCRED_REC_H

struct peercred_rec {
	__u64 cap_effective; /* bit N: capability N */
	__u32 euid;          /* the kernel's uid, in the initial user namespace */
	__u32 userns_ino;    /* the user namespace the capabilities hold in */
};

#endif /* __KSTAT_PEERCRED_REC_H */
