// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs on the hooks kstatd's providers use: what attaching
 * anything at all costs there, the floor a provider is measured against.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(empty_sched_switch)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
