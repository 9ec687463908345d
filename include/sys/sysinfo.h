/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The illumos <sys/sysinfo.h> ABI as user programs see it: the layouts of
 * the RAW kstats cpu_stat:N:cpu_statN (cpu_stat_t), unix:0:sysinfo
 * (sysinfo_t) and unix:0:vminfo (vminfo_t).  Every member is 32 or 64
 * bits wide with no padding, so the layouts are the same for LP64 and
 * ILP32 callers (tests/abi32.c checks both).
 *
 * glibc has a <sys/sysinfo.h> of its own (sysinfo(2), get_nprocs()), which
 * this header includes first, so that programs of either world build:
 * glibc's struct sysinfo keeps its name, and illumos's is sysinfo_t only
 * (its struct tag is ks_sysinfo here).
 */
#ifndef __KSTATD_SYS_SYSINFO_H
#define __KSTATD_SYS_SYSINFO_H

#if defined(__GNUC__)
/* #include_next is an extension: quiet under -pedantic, as a system header is */
#pragma GCC system_header
#include_next <sys/sysinfo.h>
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/kstat.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cpu_sysinfo_t.cpu[]: where a CPU's clock ticks went */
#define CPU_IDLE 0
#define CPU_USER 1
#define CPU_KERNEL 2
#define CPU_WAIT 3
#define CPU_STATES 4

/* cpu_sysinfo_t.wait[]: what the wait ticks waited for */
#define W_IO 0
#define W_SWAP 1
#define W_PIO 2
#define W_STATES 3

/* One CPU's event counters, 32 bits each: they wrap, as on illumos */
typedef struct cpu_sysinfo {
	uint_t cpu[CPU_STATES]; /* clock ticks by state */
	uint_t wait[W_STATES];  /* wait ticks by cause */
	uint_t bread;           /* buffer cache: physical block reads */
	uint_t bwrite;          /* physical block writes */
	uint_t lread;           /* logical block reads */
	uint_t lwrite;          /* logical block writes */
	uint_t phread;          /* raw I/O reads */
	uint_t phwrite;         /* raw I/O writes */
	uint_t pswitch;         /* context switches */
	uint_t trap;            /* traps */
	uint_t intr;            /* interrupts */
	uint_t syscall;         /* system calls */
	uint_t sysread;         /* read-family calls */
	uint_t syswrite;        /* write-family calls */
	uint_t sysfork;         /* forks */
	uint_t sysvfork;        /* vforks */
	uint_t sysexec;         /* execs */
	uint_t readch;          /* bytes read */
	uint_t writech;         /* bytes written */
	uint_t rcvint;          /* unused on illumos */
	uint_t xmtint;          /* unused on illumos */
	uint_t mdmint;          /* unused on illumos */
	uint_t rawch;           /* terminal input characters */
	uint_t canch;           /* characters in canonical mode */
	uint_t outch;           /* terminal output characters */
	uint_t msg;             /* message queue calls */
	uint_t sema;            /* semaphore calls */
	uint_t namei;           /* path name lookups */
	uint_t ufsiget;         /* UFS inode gets */
	uint_t ufsdirblk;       /* UFS directory blocks read */
	uint_t ufsipage;        /* UFS inodes taken with pages */
	uint_t ufsinopage;      /* UFS inodes taken without pages */
	uint_t inodeovf;        /* inode table overflows */
	uint_t fileovf;         /* file table overflows */
	uint_t procovf;         /* failed forks */
	uint_t intrthread;      /* interrupts run as threads */
	uint_t intrblk;         /* interrupt threads that blocked */
	uint_t idlethread;      /* times the idle thread ran */
	uint_t inv_swtch;       /* involuntary context switches */
	uint_t nthreads;        /* threads created */
	uint_t cpumigrate;      /* thread migrations */
	uint_t xcalls;          /* cross-calls */
	uint_t mutex_adenters;  /* contended adaptive mutex enters */
	uint_t rw_rdfails;      /* contended reader locks */
	uint_t rw_wrfails;      /* contended writer locks */
	uint_t modload;         /* module loads */
	uint_t modunload;       /* module unloads */
	uint_t bawrite;         /* asynchronous block writes */
	uint_t rw_enters;       /* SPARC and debug kernels only, from here on */
	uint_t win_uo_cnt;
	uint_t win_uu_cnt;
	uint_t win_so_cnt;
	uint_t win_su_cnt;
	uint_t win_suo_cnt;
} cpu_sysinfo_t;

/* unix:0:sysinfo: sums taken once a second (updates counts the seconds) */
typedef struct ks_sysinfo {
	uint_t updates; /* seconds sampled */
	uint_t runque;  /* += threads waiting to run */
	uint_t runocc;  /* += 1 when any waited */
	uint_t swpque;  /* += processes swapped out */
	uint_t swpocc;  /* += 1 when any was */
	uint_t waiting; /* += threads waiting for I/O */
} sysinfo_t;

/* One CPU's threads waiting (gauges) */
typedef struct cpu_syswait {
	int iowait; /* threads waiting for block I/O */
	int swap;   /* unused on illumos */
	int physio; /* unused on illumos */
} cpu_syswait_t;

/* One CPU's paging counters, 32 bits each */
typedef struct cpu_vminfo {
	uint_t pgrec;        /* page reclaims */
	uint_t pgfrec;       /* reclaims from the free list */
	uint_t pgin;         /* page-in operations */
	uint_t pgpgin;       /* pages paged in */
	uint_t pgout;        /* page-out operations */
	uint_t pgpgout;      /* pages paged out */
	uint_t swapin;       /* swap-in operations */
	uint_t pgswapin;     /* pages swapped in */
	uint_t swapout;      /* swap-out operations */
	uint_t pgswapout;    /* pages swapped out */
	uint_t zfod;         /* zero-fill-on-demand pages */
	uint_t dfree;        /* pages freed by the page daemon */
	uint_t scan;         /* pages the page daemon examined */
	uint_t rev;          /* page daemon clock hand revolutions */
	uint_t hat_fault;    /* minor faults in the HAT */
	uint_t as_fault;     /* minor faults in the address space layer */
	uint_t maj_fault;    /* major faults */
	uint_t cow_fault;    /* copy-on-write faults */
	uint_t prot_fault;   /* protection faults */
	uint_t softlock;     /* faults from software locking */
	uint_t kernel_asflt; /* faults in the kernel's address space */
	uint_t pgrrun;       /* times the page daemon ran */
	uint_t execpgin;     /* executable pages paged in */
	uint_t execpgout;    /* executable pages paged out */
	uint_t execfree;     /* executable pages freed */
	uint_t anonpgin;     /* anonymous pages paged in */
	uint_t anonpgout;    /* anonymous pages paged out */
	uint_t anonfree;     /* anonymous pages freed */
	uint_t fspgin;       /* file pages paged in */
	uint_t fspgout;      /* file pages paged out */
	uint_t fsfree;       /* file pages freed */
} cpu_vminfo_t;

/* unix:0:vminfo: sums in pages taken once a second (updates counts the seconds) */
typedef struct vminfo {
	uint64_t freemem;    /* += free memory */
	uint64_t swap_resv;  /* += swap reserved */
	uint64_t swap_alloc; /* += swap allocated */
	uint64_t swap_avail; /* += swap not reserved */
	uint64_t swap_free;  /* += swap not allocated */
	uint64_t updates;    /* seconds sampled */
} vminfo_t;

/* cpu_stat:N:cpu_statN */
typedef struct cpu_stat {
	uint_t __cpu_stat_lock[2]; /* room an old 32-bit lock took; always 0 */
	cpu_sysinfo_t cpu_sysinfo;
	cpu_syswait_t cpu_syswait;
	cpu_vminfo_t cpu_vminfo;
} cpu_stat_t;

/*
 * The layout is the ABI, and the same for LP64 and ILP32: every member is
 * a 4-byte int or an 8-byte integer at a multiple of 8.
 */
_Static_assert(sizeof(cpu_sysinfo_t) == 236, "cpu_sysinfo_t is 59 words");
_Static_assert(offsetof(cpu_sysinfo_t, pswitch) == 52, "cpu_sysinfo_t pswitch offset");
_Static_assert(offsetof(cpu_sysinfo_t, nthreads) == 176, "cpu_sysinfo_t nthreads offset");
_Static_assert(offsetof(cpu_sysinfo_t, xcalls) == 184, "cpu_sysinfo_t xcalls offset");
_Static_assert(sizeof(cpu_syswait_t) == 12, "cpu_syswait_t is 3 words");
_Static_assert(sizeof(cpu_vminfo_t) == 124, "cpu_vminfo_t is 31 words");
_Static_assert(offsetof(cpu_vminfo_t, maj_fault) == 64, "cpu_vminfo_t maj_fault offset");
_Static_assert(sizeof(cpu_stat_t) == 380, "cpu_stat_t is 380 bytes");
_Static_assert(offsetof(cpu_stat_t, cpu_sysinfo) == 8, "cpu_stat_t cpu_sysinfo offset");
_Static_assert(offsetof(cpu_stat_t, cpu_syswait) == 244, "cpu_stat_t cpu_syswait offset");
_Static_assert(offsetof(cpu_stat_t, cpu_vminfo) == 256, "cpu_stat_t cpu_vminfo offset");
_Static_assert(sizeof(sysinfo_t) == 24, "sysinfo_t is 6 words");
_Static_assert(sizeof(vminfo_t) == 48, "vminfo_t is 6 64-bit words");
_Static_assert(offsetof(vminfo_t, updates) == 40, "vminfo_t updates offset");

#ifdef __cplusplus
}
#endif

#endif /* __KSTATD_SYS_SYSINFO_H */
