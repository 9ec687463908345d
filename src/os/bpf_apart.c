// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The child is a fork of kstatd, threads and all: it runs only libbpf and
 * the prep callback, which allocate (fork-safe in glibc) and log with
 * write(2), then leaves with _exit().  Its answer, on a stream socketpair:
 * a head (status, error text, counts), a byte per map and per program
 * (1: a descriptor follows), then the descriptors in chunks of at most
 * FDPASS_MAX_FDS, maps first, in libbpf's order.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>

#include "bpf_apart.h"
#include "fdpass.h"

/* a load that takes longer (the verifier on a huge program) is stuck */
#define LOAD_TIMEOUT_MS (120 * 1000)

struct apart_head {
	int32_t status;
	uint32_t nmaps;
	uint32_t nprogs;
	char err[256];
};

bool bpf_apart_attachable(const struct bpf_program *prog)
{
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_SYSCALL: /* run, never attached */
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_TRACEPOINT:
		return true;
	case BPF_PROG_TYPE_TRACING:
		switch (bpf_program__expected_attach_type(prog)) {
		case BPF_TRACE_RAW_TP:
		case BPF_TRACE_FENTRY:
		case BPF_TRACE_FEXIT:
		case BPF_MODIFY_RETURN:
		case BPF_TRACE_ITER:
			return true;
		default:
			return false;
		}
	default:
		return false;
	}
}

size_t bpf_apart_nprogs(const struct bpf_object *obj)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, obj)
		n++;
	return n;
}

int bpf_apart_prog_fd(const struct bpf_object *obj, const int *prog_fds,
		      const struct bpf_program *prog)
{
	struct bpf_program *at;
	size_t i = 0;

	bpf_object__for_each_program(at, obj) {
		if (at == prog)
			return prog_fds[i];
		i++;
	}
	return -1;
}

static size_t nmaps_of(const struct bpf_object *obj)
{
	struct bpf_map *map;
	size_t n = 0;

	bpf_object__for_each_map(map, obj)
		n++;
	return n;
}

/* n descriptors, in chunks that say how many they carry; 0 or -errno */
static int send_fds(int sock, const int *fds, size_t n)
{
	for (size_t at = 0; at < n; at += FDPASS_MAX_FDS) {
		uint32_t k = (uint32_t)(n - at < FDPASS_MAX_FDS ? n - at : FDPASS_MAX_FDS);
		int err = fdpass_send(sock, &k, sizeof(k), fds + at, k);

		if (err)
			return err;
	}
	return 0;
}

static void __attribute__((noreturn))
child_main(struct bpf_object *obj, int sock, bpf_apart_prep_fn *prep, void *arg)
{
	struct apart_head h = { .nmaps = (uint32_t)nmaps_of(obj),
				.nprogs = (uint32_t)bpf_apart_nprogs(obj) };
	size_t n = h.nmaps + h.nprogs, nfds = 0;
	unsigned char *have = calloc(n ? n : 1, 1);
	int *fds = calloc(n ? n : 1, sizeof(*fds));
	struct bpf_program *prog;
	struct bpf_map *map;
	size_t i = 0;

	if (!have || !fds) {
		h.status = -ENOMEM;
		snprintf(h.err, sizeof(h.err), "out of memory");
	}
	if (!h.status && prep)
		h.status = prep(obj, arg, h.err, sizeof(h.err));
	if (!h.status && (h.status = bpf_object__load(obj)))
		snprintf(h.err, sizeof(h.err), "load: %s", strerror(-h.status));
	if (!h.status) {
		bpf_object__for_each_map(map, obj) {
			int fd = bpf_map__fd(map);

			if ((have[i++] = fd >= 0))
				fds[nfds++] = fd;
		}
		bpf_object__for_each_program(prog, obj) {
			int fd = bpf_program__fd(prog);

			if ((have[i++] = fd >= 0))
				fds[nfds++] = fd;
		}
	}
	if (fdpass_io(sock, &h, sizeof(h), true) ||
	    (!h.status && (fdpass_io(sock, have, n, true) || send_fds(sock, fds, nfds))))
		_exit(1);
	_exit(0);
}

/* Wait at most timeout_ms for sock to have bytes */
static int wait_readable(int sock, int timeout_ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n == 0 ? -ETIMEDOUT : 0;
}

/* The child's answer: the head, then the descriptors into fds (n of them) */
static int recv_answer(int sock, struct apart_head *h, unsigned char *have, size_t n, int *fds,
		       size_t *nfds)
{
	size_t want = 0;
	int err;

	*nfds = 0;
	err = wait_readable(sock, LOAD_TIMEOUT_MS);
	if (!err)
		err = fdpass_io(sock, h, sizeof(*h), false);
	if (err || h->status)
		return err;
	if (h->nmaps + h->nprogs != n)
		return -EPROTO;
	err = fdpass_io(sock, have, n, false);
	for (size_t i = 0; !err && i < n; i++)
		want += have[i];
	while (!err && *nfds < want) {
		uint32_t k;
		size_t got;

		err = fdpass_recv(sock, &k, sizeof(k), fds + *nfds, want - *nfds, &got);
		*nfds += got;
		if (!err && (got != k || got == 0))
			err = -EPROTO;
	}
	return err;
}

/* Reap the child; its end in words when it died of a signal or failed */
static void reap(pid_t pid, char *why, size_t len)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		snprintf(why, len, "the loading process died of signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else if (WIFEXITED(st) && WEXITSTATUS(st))
		snprintf(why, len, "the loading process exited with %d", WEXITSTATUS(st));
}

/* Take the descriptors: maps into obj, programs into prog_fds */
static int adopt(struct bpf_object *obj, const unsigned char *have, const int *fds, int *prog_fds)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	size_t i = 0, f = 0;
	int err = 0;

	bpf_object__for_each_map(map, obj) {
		if (!have[i++])
			continue;
		if (!err && bpf_map__reuse_fd(map, fds[f]))
			err = -errno;
		close(fds[f++]);
	}
	bpf_object__for_each_program(prog, obj)
		*prog_fds++ = have[i++] ? fds[f++] : -1;
	return err;
}

int bpf_apart_load(struct bpf_object *obj, bpf_apart_prep_fn *prep, void *arg, int *prog_fds,
		   char *err, size_t errlen)
{
	size_t nprogs = bpf_apart_nprogs(obj), n = nmaps_of(obj) + nprogs, nfds = 0;
	unsigned char *have = calloc(n ? n : 1, 1);
	int *fds = calloc(n ? n : 1, sizeof(*fds));
	struct apart_head h = { 0 };
	int sv[2] = { -1, -1 }, ret;
	char died[128] = "";
	pid_t pid;

	for (size_t i = 0; i < nprogs; i++)
		prog_fds[i] = -1;
	if (!have || !fds || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		ret = have && fds ? -errno : -ENOMEM;
		snprintf(err, errlen, "load: %s", strerror(-ret));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "load: fork: %s", strerror(-ret));
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child_main(obj, sv[1], prep, arg);
	}
	close(sv[1]);
	sv[1] = -1;
	ret = recv_answer(sv[0], &h, have, n, fds, &nfds);
	if (ret == -ETIMEDOUT)
		kill(pid, SIGKILL);
	reap(pid, died, sizeof(died));
	if (!ret && h.status) {
		ret = h.status < 0 ? h.status : -EINVAL;
		h.err[sizeof(h.err) - 1] = '\0';
		snprintf(err, errlen, "%s", h.err);
	} else if (ret) {
		snprintf(err, errlen, "load: %s",
			 died[0]             ? died
			 : ret == -ETIMEDOUT ? "timed out"
					     : strerror(-ret));
	} else {
		ret = adopt(obj, have, fds, prog_fds);
		nfds = 0;
		if (ret)
			snprintf(err, errlen, "load: taking the maps: %s", strerror(-ret));
	}
	if (ret)
		for (size_t i = 0; i < nprogs; i++)
			if (prog_fds[i] >= 0) {
				close(prog_fds[i]);
				prog_fds[i] = -1;
			}
out:
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(have);
	free(fds);
	return ret;
}

/* The id of tracepoint cat/name in tracefs; -errno */
static int tracepoint_id(const char *tp)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[320], buf[32];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "%s/events/%s/id", roots[i], tp);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		buf[n] = '\0';
		return atoi(buf);
	}
	return -ENOENT;
}

static int attach_tracepoint(const char *tp, int prog_fd)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT,
					.size = sizeof(attr),
					.sample_period = 1,
					.wakeup_events = 1 };
	int id = tracepoint_id(tp), pfd, link;

	if (id < 0)
		return id;
	attr.config = (__u64)id;
	pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	/* the link holds the event */
	link = bpf_link_create(prog_fd, pfd, BPF_PERF_EVENT, NULL);
	if (link < 0)
		link = -errno;
	close(pfd);
	return link;
}

int bpf_apart_attach(const struct bpf_program *prog, int prog_fd)
{
	const char *sec = bpf_program__section_name(prog), *slash = strchr(sec, '/');
	int fd;

	if (!bpf_apart_attachable(prog) || prog_fd < 0)
		return -EOPNOTSUPP;
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		fd = slash ? bpf_raw_tracepoint_open(slash + 1, prog_fd) : -EINVAL;
		break;
	case BPF_PROG_TYPE_TRACEPOINT:
		return slash ? attach_tracepoint(slash + 1, prog_fd) : -EINVAL;
	case BPF_PROG_TYPE_TRACING:
		if (bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER)
			fd = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, NULL);
		else
			fd = bpf_raw_tracepoint_open(NULL, prog_fd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return fd < 0 ? -errno : fd;
}
