// SPDX-License-Identifier: GPL-2.0
/*
 * syscall:<nr>:<name>, one KSTAT_TYPE_TIMER kstat per system call used
 * (num_events, elapsed_time, min_time, max_time: calls that returned),
 * syscall:0:latency, the log2 histogram of all their times, and the
 * system-call statistics of cpu:N:sys (syscall at entry; sysread,
 * syswrite, readch and writech at return), into cpu_sys's own map.
 *
 * The system-call tracepoints cost every system call of every process,
 * so this provider is detached by default: attach it with
 * kstat -w kstatd:0:config:syscall=1.  syscall:0:filter narrows the
 * counting to one process (tgid) or one thread (tid).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "bits.bpf.h"
#include "cpu_sys.h"
#include "syscall_nrs.h"

#define MAX_SYSCALLS 1024
#define LAT_SLOTS 36         /* up to 2^35 ns, 34 s */
#define SYSCALL_IA32 0x10000 /* a 32-bit task's number: another table */
#define TS_COMPAT 0x0002     /* x86 thread_info.status: in an ia32 system call */

struct sys_timer {
	__u64 num_events, elapsed_time, min_time, max_time, start_time, stop_time;
};

/* Entries are made once per system call: not preallocated, as per-CPU values multiply by CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_SYSCALLS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct sys_timer);
} syscall SEC(".maps") KSTAT_MODULE("syscall") KSTAT_TYPE(timer) KSTAT_INSTANCE(key)
	KSTAT_KEY(syscall);

struct sys_latency {
	__u64 lat[LAT_SLOTS] KSTAT_HIST(ns, "System calls by time from entry to return");
	__u64 lat_sum KSTAT_COUNTER(ns, "Time of all those system calls");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sys_latency);
} latency SEC(".maps") KSTAT_NAMED_MAP("syscall", "latency", "misc", single);

struct sys_filter {
	__u64 tgid KSTAT_GAUGE(count, "Count only this process's system calls; 0: every process");
	__u64 tid KSTAT_GAUGE(count, "Count only this thread's system calls; 0: every thread");
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sys_filter);
} filter SEC(".maps") KSTAT_NAMED_MAP("syscall", "filter", "misc", single) KSTAT_WRITABLE;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_sys);
} cpu_sys SEC(".maps") KSTAT_SHARED("cpu_sys", "cpu_sys");

/* The system call a thread is in, in its own storage: no map update per call */
struct in_call {
	__u64 since;
	__u32 key;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct in_call);
} in_call SEC(".maps");

static const struct sys_timer zero_timer;

static __always_inline bool wanted(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct sys_filter *f = bpf_map_lookup_elem(&filter, &zero);

	if (!f)
		return false;
	return (!f->tgid || f->tgid == id >> 32) && (!f->tid || f->tid == (__u32)id);
}

static __always_inline __u32 call_key(long id)
{
	__u32 key = (__u32)id;
#ifdef __TARGET_ARCH_x86
	struct task_struct *t = bpf_get_current_task_btf();

	if (bpf_core_field_exists(t->thread_info.status) && (t->thread_info.status & TS_COMPAT))
		key |= SYSCALL_IA32;
#endif
	return key;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct cpu_sys *cs;
	struct in_call *c;
	__u32 zero = 0;

	if (!wanted())
		return 0;
	cs = bpf_map_lookup_elem(&cpu_sys, &zero);
	if (cs)
		cs->syscall++;
	c = bpf_task_storage_get(&in_call, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c) {
		c->key = call_key(id);
		c->since = bpf_ktime_get_ns();
	}
	return 0;
}

static __always_inline void count_rw(__u32 key, long ret)
{
	__u32 zero = 0;
	struct cpu_sys *cs = bpf_map_lookup_elem(&cpu_sys, &zero);

	if (!cs)
		return;
	switch (key) {
	case KSTAT_NR_read:
	case KSTAT_NR_readv:
	case KSTAT_NR_pread64:
	case KSTAT_NR_preadv:
	case KSTAT_NR_preadv2:
		cs->sysread++;
		if (ret > 0)
			cs->readch += ret;
		break;
	case KSTAT_NR_write:
	case KSTAT_NR_writev:
	case KSTAT_NR_pwrite64:
	case KSTAT_NR_pwritev:
	case KSTAT_NR_pwritev2:
		cs->syswrite++;
		if (ret > 0)
			cs->writech += ret;
		break;
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 now = bpf_ktime_get_ns(), d;
	struct sys_latency *l;
	struct sys_timer *tm;
	struct in_call *c;
	__u32 zero = 0, key, b;

	if (!wanted())
		return 0;
	c = bpf_task_storage_get(&in_call, t, 0, 0);
	/* no start: the call began before this provider was attached */
	if (!c || !c->since)
		return 0;
	d = now > c->since ? now - c->since : 0;
	key = c->key;
	tm = kstat_lookup_or_init(&syscall, &key, &zero_timer);
	if (tm) {
		/* kstat_timer_stop(), on this CPU's copy */
		if (!tm->num_events || d < tm->min_time)
			tm->min_time = d;
		if (d > tm->max_time)
			tm->max_time = d;
		tm->elapsed_time += d;
		tm->num_events++;
		tm->start_time = c->since;
		tm->stop_time = now;
	}
	c->since = 0;
	l = bpf_map_lookup_elem(&latency, &zero);
	if (l) {
		b = log2_slot(d, LAT_SLOTS);
		l->lat[b]++;
		l->lat_sum += d;
	}
	count_rw(key, ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
