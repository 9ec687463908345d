// SPDX-License-Identifier: GPL-2.0
/*
 * A provider whose maps follow the convention and whose program the
 * verifier refuses (a store past the end of a map value): refused at
 * load, after libbpf has made and pinned its maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kstat.bpf.h"

struct bad_prog_val {
	__u64 events KSTAT_COUNTER(count, "Events");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bad_prog_val);
} bad_prog SEC(".maps") KSTAT_MODULE("bad_prog");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec)
{
	__u32 zero = 0;
	struct bad_prog_val *v = bpf_map_lookup_elem(&bad_prog, &zero);

	if (v)
		(&v->events)[8] = 1; /* past the value: the verifier says no */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
