// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The client side of the socket ABI (lib/kstat_wire.h): a kstat_t and its
 * buffer go out as one request, the reply's header fields and data come
 * back into them, as the kernel's copyin and copyout would.  Built into
 * libkstat and kstat_preload.so, for LP64 and ILP32; the request says
 * which, so that kstatd shapes the data for this caller.
 *
 * On illumos /dev/kstat never goes away, so its programs never reopen it.
 * kstatd does go away (a restart, an upgrade): a call that finds the
 * connection gone connects again, onto the same descriptor number, and
 * asks once more.  Kids are never reused within a boot, even across
 * restarts (kstatd keeps its kid counter in its pin path), so a request
 * for a kstat the new daemon does not have fails with ENXIO, as a deleted
 * kstat's does.  Every exchange is bounded by a timeout: a stopped or hung
 * kstatd makes calls fail with ETIMEDOUT, never wait forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <sys/kstat.h>

#include "kstat_client.h"
#include "kstat_wire.h"

/* One exchange at a time per descriptor: a frame must not interleave */
#define NLOCKS 64
static pthread_mutex_t locks[NLOCKS] = {
	[0 ... NLOCKS - 1] = PTHREAD_MUTEX_INITIALIZER,
};

/* KSTAT_TIMEOUT_MS, or the default; 0 waits forever */
static long timeout_ms(void)
{
	const char *s = secure_getenv(KSW_TIMEOUT_ENV);
	char *end;
	long ms;

	if (!s || !*s)
		return KSW_DEFAULT_TIMEOUT_MS;
	errno = 0;
	ms = strtol(s, &end, 10);
	if (errno || *end || ms < 0 || ms > INT_MAX)
		return KSW_DEFAULT_TIMEOUT_MS;
	return ms;
}

/* Bounds connect(2) (a full backlog), and each send and receive */
static int set_timeouts(int fd)
{
	long ms = timeout_ms();
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

int kcl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = secure_getenv(KSW_SOCKET_ENV);
	int fd, err;

	if (!path || !*path)
		path = KSW_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (set_timeouts(fd))
		goto err_close;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			errno = ETIMEDOUT;
		goto err_close;
	}
	return fd;

err_close:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/*
 * A new connection in place of fd, which keeps its number and its
 * close-on-exec flag: the caller's descriptor (the shim's, the
 * program's) stays valid.
 */
static int reconnect(int fd)
{
	int flags = fcntl(fd, F_GETFD), nfd, err;

	if (flags < 0)
		return -1;
	nfd = kcl_connect();
	if (nfd < 0)
		return -1;
	if (dup3(nfd, fd, flags & FD_CLOEXEC ? O_CLOEXEC : 0) < 0) {
		err = errno;
		close(nfd);
		errno = err;
		return -1;
	}
	close(nfd);
	return 0;
}

static int send_all(int fd, const void *hdr, size_t hlen, const void *body, size_t blen)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = hlen },
		{ .iov_base = (void *)body, .iov_len = blen },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = blen ? 2 : 1 };

	while (msg.msg_iovlen) {
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (msg.msg_iovlen && (size_t)n >= msg.msg_iov->iov_len) {
			n -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			return -1;
		buf = (char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The connection is gone, timed out or out of step: shut it down, so
 * that nothing is misread from it, and let the caller connect again.
 */
static int broken(int fd, bool *lost)
{
	int err = errno == EAGAIN ? ETIMEDOUT : EIO;

	(void)shutdown(fd, SHUT_RDWR);
	*lost = true;
	errno = err;
	return -1;
}

static int exchange(int fd, unsigned long cmd, kstat_t *ksp, bool *lost)
{
	struct ksw_req req = {
		.magic = KSW_REQ_MAGIC,
		.version = KSW_VERSION,
		.hdr_len = sizeof(req),
		.cmd = (uint32_t)cmd,
		.model = sizeof(void *) == 8 ? KSW_MODEL_LP64 : KSW_MODEL_ILP32,
	};
	const void *body = NULL;
	struct ksw_rep rep;
	size_t ubufsize = 0;

	if (cmd != (uint32_t)cmd) {
		errno = EINVAL;
		return -1;
	}
	if (cmd == KSTAT_IOC_READ || cmd == KSTAT_IOC_WRITE) {
		if (!ksp) {
			errno = EFAULT;
			return -1;
		}
		req.ks_kid = ksp->ks_kid;
		req.ks_data = (uint64_t)(uintptr_t)ksp->ks_data;
		req.ks_data_size = ksp->ks_data_size;
		ubufsize = ksp->ks_data_size;
	}
	if (cmd == KSTAT_IOC_WRITE) {
		if (!ksp->ks_data && ksp->ks_data_size) {
			errno = EFAULT;
			return -1;
		}
		req.ks_ndata = ksp->ks_ndata;
		/*
		 * No writable kstat is larger than a request may be: without its
		 * data, kstatd still answers EPERM first, as the driver would,
		 * and then EINVAL.
		 */
		if (ksp->ks_data_size <= KSW_MAX_WRITE) {
			req.body_len = ksp->ks_data_size;
			body = ksp->ks_data;
		}
	}
	if (send_all(fd, &req, sizeof(req), body, (size_t)req.body_len))
		return errno == EBADF || errno == ENOTSOCK ? -1 : broken(fd, lost);
	if (recv_all(fd, &rep, sizeof(rep)))
		return broken(fd, lost);
	errno = EPROTO;
	if (rep.magic != KSW_REP_MAGIC || rep.version != KSW_VERSION ||
	    rep.hdr_len != sizeof(rep) || rep.body_len > ubufsize ||
	    (rep.body_len && (cmd != KSTAT_IOC_READ || !ksp->ks_data)))
		return broken(fd, lost);
	if (rep.body_len && recv_all(fd, ksp->ks_data, (size_t)rep.body_len))
		return broken(fd, lost);
	if (cmd == KSTAT_IOC_READ && (rep.flags & KSW_REP_HDR)) {
		errno = EPROTO;
		if (rep.ks_data_size > SIZE_MAX)
			return broken(fd, lost);
		ksp->ks_ndata = rep.ks_ndata;
		ksp->ks_data_size = (size_t)rep.ks_data_size;
		ksp->ks_flags = (uchar_t)rep.ks_flags;
		ksp->ks_snaptime = rep.ks_snaptime;
	}
	if (rep.rval == -1) {
		errno = rep.error > 0 ? rep.error : EIO;
		return -1;
	}
	return rep.rval;
}

int kcl_ioctl(int fd, unsigned long cmd, void *arg)
{
	pthread_mutex_t *lock;
	bool lost = false;
	int ret, err;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	lock = &locks[(unsigned int)fd % NLOCKS];
	pthread_mutex_lock(lock);
	ret = exchange(fd, cmd, arg, &lost);
	/*
	 * Asked once more on a new connection, unless kstatd timed out: a
	 * hung daemon would only be waited for twice.  Every request is
	 * idempotent (a write sets values), so asking again is safe.
	 */
	if (ret == -1 && lost && errno != ETIMEDOUT) {
		lost = false;
		if (reconnect(fd) == 0)
			ret = exchange(fd, cmd, arg, &lost);
		else
			errno = errno == ETIMEDOUT ? ETIMEDOUT : EIO;
	}
	err = errno;
	pthread_mutex_unlock(lock);
	errno = err;
	return ret;
}

/* The pieces the batch client (kstat_batch.c) shares with the one above */
pthread_mutex_t *kcl_lock_of(int fd)
{
	return &locks[(unsigned int)fd % NLOCKS];
}

int kcl_send(int fd, const void *hdr, size_t hlen, const void *body, size_t blen)
{
	return send_all(fd, hdr, hlen, body, blen);
}

int kcl_recv(int fd, void *buf, size_t len)
{
	return recv_all(fd, buf, len);
}

int kcl_broken(int fd, bool *lost)
{
	return broken(fd, lost);
}

int kcl_reconnect(int fd)
{
	return reconnect(fd);
}
