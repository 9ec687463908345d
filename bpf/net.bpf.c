// SPDX-License-Identifier: GPL-2.0
/*
 * The net provider's one program, on no packet path: a task iterator
 * that tells kstatd which network namespaces have processes.  The link
 * and MIB-II statistics themselves are the kernel's own books, read
 * through netlink and /proc/net from inside each namespace
 * (src/providers/builtin/net_kstats.c): nothing is counted here.
 *
 * kstatd reads the iterator once per sync.  It writes one record per
 * process whose network namespace is not its parent's: every namespace
 * with a process has one (follow any process's parents up to init: the
 * last one inside the namespace is such a process), so a host of many
 * processes gives few records, about one per container.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "net.h"

#define MAX_PID_LEVEL 32

static __always_inline struct net *net_of(struct task_struct *task)
{
	struct nsproxy *nsp = task->nsproxy;

	/* an exiting task has none any more */
	return nsp ? nsp->net_ns : NULL;
}

/* The cookie of a namespace: a u64 since 5.14 (an atomic64_t before): 8 bytes either way */
static __always_inline __u64 net_cookie(struct net *net)
{
	__u64 cookie = 0;

	if (bpf_core_field_exists(net->net_cookie))
		bpf_core_read(&cookie, sizeof(cookie), &net->net_cookie);
	return cookie;
}

/*
 * The pid of task in the pid namespace of the process reading the
 * iterator (the iterator walks that namespace's tasks, but tgid is the
 * global pid): the helper finds the process under /proc by it.
 */
static __always_inline __u32 pid_for_reader(struct task_struct *task)
{
	struct task_struct *me = bpf_get_current_task_btf();
	struct pid *mine = me->thread_pid, *its = task->thread_pid;
	unsigned long at;
	struct upid u = {};
	unsigned int lvl;

	if (!mine || !its)
		return 0;
	lvl = mine->level;
	if (lvl >= MAX_PID_LEVEL || its->level < lvl)
		return 0;
	at = (unsigned long)its + bpf_core_field_offset(struct pid, numbers) +
	     lvl * sizeof(struct upid);
	if (bpf_probe_read_kernel(&u, sizeof(u), (void *)at))
		return 0;
	return u.nr > 0 ? (__u32)u.nr : 0;
}

SEC("iter/task")
int netns_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task, *parent;
	struct netns_rec r = {};
	struct net *net, *pnet;

	/* one thread per process: the namespace is per thread, but threads rarely differ */
	if (!task || task->pid != task->tgid)
		return 0;
	net = net_of(task);
	if (!net)
		return 0;
	r.ino = net->ns.inum;
	parent = task->real_parent;
	pnet = parent && parent->pid ? net_of(parent) : NULL;
	if (pnet && pnet->ns.inum == r.ino)
		return 0;
	r.cookie = net_cookie(net);
	r.pid = pid_for_reader(task);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
