// SPDX-License-Identifier: GPL-2.0
/*
 * Who connected to kstatd's socket, as the kernel recorded it at connect
 * time.  unix_stream_connect() hands the server's end of a new connection
 * the connecting task's credentials (sk_peer_cred), and nothing changes
 * them afterwards: what that task execs later, setuid or not, does not
 * reach them.  SO_PEERCRED tells only the uid; this tells the
 * capabilities and the user namespace they hold in.
 *
 * Not a provider: an iterator over the unix sockets of kstatd's network
 * namespace, run on demand, that reports the socket whose inode is
 * target_ino and nothing else.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "peercred_rec.h"

/* set by kstatd before each run; runs are serialised (src/os/peercred.c) */
__u64 target_ino;

SEC("iter/unix")
int handle_unix(struct bpf_iter__unix *ctx)
{
	struct unix_sock *u = ctx->unix_sk;
	struct peercred_rec rec = {};
	const struct cred *cred;
	struct socket *sock;

	if (!u)
		return 0;
	sock = BPF_CORE_READ(u, sk.sk_socket);
	if (!sock || BPF_CORE_READ(sock, file, f_inode, i_ino) != target_ino)
		return 0;
	cred = BPF_CORE_READ(u, sk.sk_peer_cred);
	if (!cred)
		return 0;
	/*
	 * kernel_cap_t is one u64 since 6.3 (commit f122a08b197d,
	 * "capability: just use a 'u64' instead of a 'u32[2]' array"), two
	 * u32s before: the same 8 bytes in the same order either way.
	 */
	bpf_core_read(&rec.cap_effective, sizeof(rec.cap_effective), &cred->cap_effective);
	rec.euid = BPF_CORE_READ(cred, euid.val);
	rec.userns_ino = BPF_CORE_READ(cred, user_ns, ns.inum);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
