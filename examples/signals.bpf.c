// SPDX-License-Identifier: GPL-2.0
/*
 * signal:<number>:sig<number>, one NAMED kstat per signal number seen:
 * how many were generated and what became of them.  A drop-in provider:
 * this file is all there is.
 *
 *	make build/examples/signals.bpf.o
 *	kstatd --provider build/examples/signals.bpf.o
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kstat.bpf.h"

#define MAX_SIGNALS 65

/* The result argument of signal_generate (include/trace/events/signal.h) */
enum {
	SIG_DELIVERED,
	SIG_IGNORED,
	SIG_ALREADY_PENDING,
	SIG_OVERFLOW_FAIL,
	SIG_LOSE_INFO,
};

struct signal_stats {
	__u64 generated KSTAT_COUNTER(count, "Signals generated");
	__u64 delivered KSTAT_COUNTER(count, "Signals queued to their target");
	__u64 ignored KSTAT_COUNTER(count, "Signals dropped because the target ignores them");
	__u64 already_pending KSTAT_COUNTER(count, "Standard signals merged into a pending one");
	__u64 lost KSTAT_COUNTER(count, "Real-time signals or their data lost to a full queue");
	char name[8] KSTAT_NAME_FIELD;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_SIGNALS);
	__type(key, __u32);
	__type(value, struct signal_stats);
} signals SEC(".maps") KSTAT_MODULE("signal") KSTAT_CLASS("misc") KSTAT_INSTANCE(key)
	KSTAT_NAME_FROM(field) KSTAT_TRACKED;

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct signal_stats *ss, init = { .name = "sig" };
	__u32 key = (__u32)sig;

	if (sig <= 0 || sig >= MAX_SIGNALS)
		return 0;
	ss = bpf_map_lookup_elem(&signals, &key);
	if (!ss) {
		if (sig >= 10) {
			init.name[3] = '0' + sig / 10;
			init.name[4] = '0' + sig % 10;
		} else {
			init.name[3] = '0' + sig;
		}
		ss = kstat_lookup_or_init(&signals, &key, &init);
		if (!ss)
			return 0;
	}
	ss->generated++;
	switch (result) {
	case SIG_DELIVERED:
		ss->delivered++;
		break;
	case SIG_IGNORED:
		ss->ignored++;
		break;
	case SIG_ALREADY_PENDING:
		ss->already_pending++;
		break;
	default:
		ss->lost++;
		break;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
