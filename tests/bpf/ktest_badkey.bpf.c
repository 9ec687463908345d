// SPDX-License-Identifier: GPL-2.0
/* A provider whose keyed map names a key decoder kstatd does not have */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct badkey_val {
	__u64 events KSTAT_COUNTER(count, "Events");
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u64);
	__type(value, struct badkey_val);
} badkey SEC(".maps") KSTAT_MODULE("badkey") KSTAT_INSTANCE(key) KSTAT_KEY(pcidev);

char LICENSE[] SEC("license") = "GPL";
