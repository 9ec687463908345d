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
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>

#include "bpf_apart.h"
#include "fdpass.h"
#include "readall.h"

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
	for (size_t i = 0; !err && i < n; i++) {
		if (have[i] > 1)
			err = -EPROTO;
		want += have[i];
	}
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
	char died[128] = "";
	int sock = -1, ret;
	pid_t pid;

	for (size_t i = 0; i < nprogs; i++)
		prog_fds[i] = -1;
	if (!have || !fds) {
		ret = -ENOMEM;
		snprintf(err, errlen, "load: %s", strerror(-ret));
		goto out;
	}
	pid = fdpass_fork(&sock);
	if (pid < 0) {
		snprintf(err, errlen, "cannot start the loading process: %s", strerror((int)-pid));
		ret = -ECHILD;
		goto out;
	}
	if (pid == 0)
		child_main(obj, sock, prep, arg);
	ret = recv_answer(sock, &h, have, n, fds, &nfds);
	close(sock);
	sock = -1;
	if (ret)
		kill(pid, SIGKILL);
	reap(pid, died, sizeof(died));
	if (!ret && h.status) {
		ret = h.status < 0 ? h.status : -EINVAL;
		h.err[sizeof(h.err) - 1] = '\0';
		snprintf(err, errlen, "%s", h.err);
	} else if (ret) {
		snprintf(err, errlen, "load: %s",
			 ret == -ETIMEDOUT ? "timed out"
			 : died[0]         ? died
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
	if (sock >= 0)
		close(sock);
	free(have);
	free(fds);
	return ret;
}

/*
 * A prepared object, as the child sends it: the head, a byte per program
 * (it loads), then per internal map its size and initial value.
 */
struct prep_head {
	int32_t status;
	uint32_t nprogs;
	char err[BPF_APART_ERRLEN];
};

static void send_prepared(int sock, struct bpf_object *obj, int status, const char *err)
{
	struct prep_head h = { .status = status, .nprogs = (uint32_t)bpf_apart_nprogs(obj) };
	struct bpf_program *prog;
	struct bpf_map *map;

	snprintf(h.err, sizeof(h.err), "%s", err);
	if (fdpass_io(sock, &h, sizeof(h), true))
		_exit(1);
	bpf_object__for_each_program(prog, obj) {
		unsigned char on = bpf_program__autoload(prog);

		if (fdpass_io(sock, &on, 1, true))
			_exit(1);
	}
	bpf_object__for_each_map(map, obj) {
		size_t size = 0;
		const void *init =
			bpf_map__is_internal(map) ? bpf_map__initial_value(map, &size) : NULL;
		uint64_t n = init ? size : 0;

		if (fdpass_io(sock, &n, sizeof(n), true) ||
		    (n && fdpass_io(sock, (void *)init, n, true)))
			_exit(1);
	}
}

/* Take what the child left in obj; 0 or -errno */
static int recv_prepared(int sock, struct bpf_object *obj, int *status, char *err)
{
	struct bpf_program *prog;
	struct prep_head h;
	struct bpf_map *map;
	int ret;

	ret = fdpass_io(sock, &h, sizeof(h), false);
	if (!ret && h.nprogs != bpf_apart_nprogs(obj))
		ret = -EPROTO;
	if (ret)
		return ret;
	*status = h.status;
	h.err[sizeof(h.err) - 1] = '\0';
	snprintf(err, BPF_APART_ERRLEN, "%s", h.err);
	bpf_object__for_each_program(prog, obj) {
		unsigned char on;

		if ((ret = fdpass_io(sock, &on, 1, false)))
			return ret;
		if (!h.status && !on)
			bpf_program__set_autoload(prog, false);
	}
	bpf_object__for_each_map(map, obj) {
		size_t size = 0;
		const void *ours =
			bpf_map__is_internal(map) ? bpf_map__initial_value(map, &size) : NULL;
		uint64_t n;
		void *buf;

		if ((ret = fdpass_io(sock, &n, sizeof(n), false)))
			return ret;
		if (!n)
			continue;
		if (n != size || !ours || !(buf = malloc(n)))
			return n != size || !ours ? -EPROTO : -ENOMEM;
		ret = fdpass_io(sock, buf, n, false);
		/* .kconfig, which only the load fills, never differs */
		if (!ret && !h.status && memcmp(buf, ours, n) != 0 &&
		    bpf_map__set_initial_value(map, buf, n))
			ret = -errno;
		free(buf);
		if (ret)
			return ret;
	}
	return 0;
}

int bpf_apart_prepare(struct bpf_object *const *objs, void *const *args, size_t n,
		      bpf_apart_prep_fn *prep, int *rets, char (*errs)[BPF_APART_ERRLEN])
{
	char died[128] = "";
	int sock = -1, ret = 0;
	size_t done = 0;
	pid_t pid;

	pid = fdpass_fork(&sock);
	if (pid == 0) {
		for (size_t k = 0; k < n; k++) {
			char why[BPF_APART_ERRLEN] = "";

			send_prepared(sock, objs[k], prep(objs[k], args[k], why, sizeof(why)), why);
		}
		_exit(0);
	}
	if (pid < 0) {
		snprintf(died, sizeof(died), "cannot start the preparing process: %s",
			 strerror((int)-pid));
		ret = -ECHILD;
	}
	while (!ret && done < n) {
		ret = wait_readable(sock, LOAD_TIMEOUT_MS);
		if (!ret)
			ret = recv_prepared(sock, objs[done], &rets[done], errs[done]);
		done += !ret;
	}
	if (pid > 0) {
		close(sock);
		if (ret)
			kill(pid, SIGKILL);
		reap(pid, died, sizeof(died));
	}
	for (size_t k = done; k < n; k++) {
		rets[k] = ret;
		snprintf(errs[k], BPF_APART_ERRLEN, "prepare: %s",
			 ret == -ETIMEDOUT ? "timed out"
			 : died[0]         ? died
					   : strerror(-ret));
	}
	return (int)done;
}

/* The id of tracepoint cat/name in tracefs; -errno */
static int tracepoint_id(const char *tp)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[320], buf[32];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/id", roots[i], tp);
		if (readall_small(path, buf, sizeof(buf)) == 0)
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
	if (link >= 0) {
		close(pfd);
		return link;
	}
	/* before 5.15, no such link: the event itself holds the program */
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) == 0 &&
	    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) == 0)
		return pfd;
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
