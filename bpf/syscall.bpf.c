// SPDX-License-Identifier: GPL-2.0
/*
 * System calls counted, not timed: syscall:<nr>:<name>, one NAMED kstat
 * per system call used (calls entered; bytes of the read and write
 * calls), and the system-call statistics of cpu:N:sys in cpu_sys's own
 * map (syscall, sysread, syswrite: sums of the calls, made by a refresh
 * program before it is read; readch, writech at return).  No clock, no
 * task storage, no hash: each hook's program looks up this CPU's slot
 * and adds.  Timing is the syscall_time provider's.
 *
 * The system-call tracepoints cost every system call of every process as
 * soon as any program is attached to them, so this provider is detached
 * by default: attach it with kstat -w kstatd:0:config:syscall=1.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "kstat_refresh.bpf.h"
#include "cpu_sys.h"
#include "syscall.bpf.h"
#include "syscall_nrs.h"

struct sys_calls {
	__u64 calls KSTAT_COUNTER(count, "Calls entered");
	__u64 bytes KSTAT_COUNTER(bytes, "Bytes read or written: the read and write calls of "
					 "cpu:N:sys sysread and syswrite, 0 for others");
};

/* An array cannot lose an entry: a slot no call has used yet has no kstat */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYSCALL_SLOTS);
	__type(key, __u32);
	__type(value, struct sys_calls);
} calls SEC(".maps") KSTAT_MODULE("syscall") KSTAT_NAME("syscall") KSTAT_INSTANCE(key)
	KSTAT_KEY(syscall_slot);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_sys);
} cpu_sys SEC(".maps") KSTAT_SHARED("cpu_sys", "cpu_sys");

enum rw { RW_NONE, RW_READ, RW_WRITE };

static __always_inline enum rw rw_of(__u32 slot)
{
	switch (slot) {
	case KSTAT_NR_read:
	case KSTAT_NR_readv:
	case KSTAT_NR_pread64:
	case KSTAT_NR_preadv:
	case KSTAT_NR_preadv2:
#ifdef KSTAT_NR32_read
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_read:
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_readv:
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_pread64:
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_preadv:
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_preadv2:
#endif
		return RW_READ;
	case KSTAT_NR_write:
	case KSTAT_NR_writev:
	case KSTAT_NR_pwrite64:
	case KSTAT_NR_pwritev:
	case KSTAT_NR_pwritev2:
#ifdef KSTAT_NR32_write
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_write:
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_writev:
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_pwrite64:
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_pwritev:
	case SYSCALL_NATIVE_SLOTS + KSTAT_NR32_pwritev2:
#endif
		return RW_WRITE;
	}
	return RW_NONE;
}

/* One lookup and an add: cpu:N:sys's syscall, sysread and syswrite are these summed */
SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	__u32 slot = syscall_slot(id);
	struct sys_calls *c = bpf_map_lookup_elem(&calls, &slot);

	if (c)
		c->calls++;
	else
		__sync_fetch_and_add(&kstat_map_drops, 1); /* no slot: x32, or a newer table */
	return 0;
}

/* Only a read or write that moved bytes touches a map here */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct sys_calls *c;
	struct cpu_sys *cs;
	__u32 zero = 0, slot;
	enum rw rw;

	if (ret <= 0)
		return 0;
	slot = syscall_slot(syscall_exit_nr(regs));
	rw = rw_of(slot);
	if (rw == RW_NONE)
		return 0;
	c = bpf_map_lookup_elem(&calls, &slot);
	if (c)
		c->bytes += ret;
	cs = bpf_map_lookup_elem(&cpu_sys, &zero);
	if (!cs)
		return 0;
	if (rw == RW_READ)
		cs->readch += ret;
	else
		cs->writech += ret;
	return 0;
}

/*
 * Each CPU's sums of calls when the refresh last ran.  cpu:N:sys gets
 * what they grew by since, so that it never goes back: not when calls is
 * replaced by a newer layout (its sums restart below these), nor when
 * cpu_sys's map outlives this one.  Pinned, as calls is.
 */
struct summed {
	__u64 calls, reads, writes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct summed);
} summed SEC(".maps") KSTAT_PINNED;

/* One CPU's calls, summed over the slots */
struct cpu_calls {
	__u32 cpu;
	struct summed now;
};

static int add_slot(__u32 slot, struct cpu_calls *c)
{
	struct sys_calls *v = bpf_map_lookup_percpu_elem(&calls, &slot, c->cpu);

	if (!v)
		return 1;
	c->now.calls += v->calls;
	switch (rw_of(slot)) {
	case RW_READ:
		c->now.reads += v->calls;
		break;
	case RW_WRITE:
		c->now.writes += v->calls;
		break;
	default:
		break;
	}
	return 0;
}

/* What a sum grew by since it was last; all of it if it restarted from 0 */
static __always_inline __u64 grown(__u64 now, __u64 *last)
{
	__u64 d = now >= *last ? now - *last : now;

	*last = now;
	return d;
}

static int sum_cpu(__u32 cpu, void *unused)
{
	struct cpu_calls c = { .cpu = cpu };
	struct summed *last;
	struct cpu_sys *cs;
	__u32 zero = 0;

	bpf_loop(SYSCALL_SLOTS, add_slot, &c, 0);
	cs = bpf_map_lookup_percpu_elem(&cpu_sys, &zero, cpu);
	last = bpf_map_lookup_percpu_elem(&summed, &zero, cpu);
	if (!cs || !last)
		return 1;
	cs->syscall += grown(c.now.calls, &last->calls);
	cs->sysread += grown(c.now.reads, &last->reads);
	cs->syswrite += grown(c.now.writes, &last->writes);
	return 0;
}

/*
 * Before cpu:N:sys is read (this provider shares cpu_sys's map), while
 * this provider is attached: its system-call counts grow by what this
 * provider's own counts of each CPU grew by.  Counting them again at every
 * system call would touch a second map there.
 */
SEC("syscall")
KSTAT_REFRESH_SHARED int refresh_cpu_sys(void *ctx)
{
	bpf_loop(kstat_nr_cpus, sum_cpu, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
