// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The namespace helper (nshelper.h): a forked process with CAP_SYS_ADMIN
 * and CAP_SYS_PTRACE only, on one end of a stream socketpair.  A question
 * is {u32 op, u32 arg}; an answer {i32 status, u32 len} and len bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "nshelper.h"

#define HELPER_FD 3
#define MAX_PAYLOAD (4U << 20)

struct nsh_question {
	uint32_t op;
	uint32_t arg;
};

struct nsh_answer {
	int32_t status;
	uint32_t len;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int helper_fd = -1;
static pid_t helper_pid;

static int io_full(int fd, void *buf, size_t len, bool out)
{
	char *b = buf;

	while (len) {
		ssize_t n = out ? send(fd, b, len, MSG_NOSIGNAL) : recv(fd, b, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* In the helper: one answer per question, until kstatd closes its end */
static void __attribute__((noreturn)) serve(void)
{
	for (;;) {
		struct nsh_question q;
		struct nsh_answer a = {};
		void *payload = NULL;
		size_t len = 0;

		if (io_full(HELPER_FD, &q, sizeof(q), false))
			_exit(0);
		switch (q.op) {
		case NSH_NETNS_LINKS:
			a.status = keydec_net_links(q.arg, &payload, &len);
			break;
		case NSH_SAME_USERNS:
			a.status = ioc_same_userns((long)q.arg);
			break;
		default:
			a.status = -EINVAL;
		}
		a.len = payload && len <= MAX_PAYLOAD ? (uint32_t)len : 0;
		if (io_full(HELPER_FD, &a, sizeof(a), true) ||
		    (a.len && io_full(HELPER_FD, payload, a.len, true)))
			_exit(0);
		free(payload);
	}
}

int nshelper_start(int (*keep_privs)(void))
{
	pid_t parent = getpid(), pid;
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0) {
		/* kstatd is one thread here: no lock can be held */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		/* nothing of kstatd's: no listening socket, no map, no program */
		if (dup2(sv[1], HELPER_FD) < 0 || syscall(SYS_close_range, HELPER_FD + 1, ~0U, 0))
			_exit(1);
		(void)prctl(PR_SET_NAME, "kstatd-nshelper");
		if (keep_privs())
			_exit(1);
		serve();
	}
	close(sv[1]);
	pthread_mutex_lock(&lock);
	helper_fd = sv[0];
	helper_pid = pid;
	pthread_mutex_unlock(&lock);
	return (int)pid;
}

static void reap(void)
{
	close(helper_fd);
	helper_fd = -1;
	while (waitpid(helper_pid, NULL, 0) < 0 && errno == EINTR)
		;
}

void nshelper_stop(void)
{
	pthread_mutex_lock(&lock);
	if (helper_fd >= 0)
		reap();
	pthread_mutex_unlock(&lock);
}

int nshelper_call(enum nsh_op op, uint32_t arg, int32_t *status, void **payload, size_t *len)
{
	struct nsh_question q = { .op = op, .arg = arg };
	struct nsh_answer a;
	void *p = NULL;
	int err = -ENOSYS;

	*payload = NULL;
	*len = 0;
	pthread_mutex_lock(&lock);
	if (helper_fd < 0)
		goto out;
	err = io_full(helper_fd, &q, sizeof(q), true);
	if (!err)
		err = io_full(helper_fd, &a, sizeof(a), false);
	if (!err && a.len > MAX_PAYLOAD)
		err = -EPROTO;
	if (!err && a.len) {
		p = malloc(a.len);
		err = p ? io_full(helper_fd, p, a.len, false) : -ENOMEM;
	}
	if (err) {
		free(p);
		log_warn("namespace helper (pid %d): %s: from now on, interfaces of other "
			 "network namespaces are named if<ifindex> and non-root writers refused",
			 (int)helper_pid, strerror(-err));
		reap();
		err = -EPIPE;
		goto out;
	}
	*status = a.status;
	*payload = p;
	*len = a.len;
out:
	pthread_mutex_unlock(&lock);
	return err;
}
