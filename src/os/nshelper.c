// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The namespace helper (nshelper.h): a forked process with CAP_SYS_ADMIN
 * and CAP_SYS_PTRACE only, on one end of a stream socketpair.  A question
 * is {u32 op, u32 arg}; an answer {i32 status, u32 len} and len bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "nshelper.h"

#define HELPER_FD 3
#define MAX_PAYLOAD (4U << 20)
/* a helper that takes longer is stuck (or stopped): kstatd goes on without it */
#define ANSWER_TIMEOUT_S 5
#define MAX_OPS 8

struct nsh_question {
	uint32_t op;
	uint32_t arg;
};

struct nsh_answer {
	int32_t status;
	uint32_t len;
};

struct nsh_op {
	uint32_t op;
	nshelper_answer_fn *answer;
};

static struct nsh_op ops[MAX_OPS];
static size_t nops;
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
		a.status = -EINVAL;
		for (size_t i = 0; i < nops; i++)
			if (ops[i].op == q.op)
				a.status = ops[i].answer(q.arg, &payload, &len);
		a.len = payload && len <= MAX_PAYLOAD ? (uint32_t)len : 0;
		if (payload && !a.len)
			a.status = -E2BIG; /* not "found, and empty" */
		if (io_full(HELPER_FD, &a, sizeof(a), true) ||
		    (a.len && io_full(HELPER_FD, payload, a.len, true)))
			_exit(0);
		free(payload);
	}
}

/* A helper that answered wrongly, or late, may be stuck: it goes for good */
static void reap(void)
{
	close(helper_fd);
	helper_fd = -1;
	kill(helper_pid, SIGKILL);
	while (waitpid(helper_pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Every descriptor above HELPER_FD, also where close_range (5.9) is missing */
static int close_from(unsigned int first)
{
	struct rlimit rl;

	if (syscall(SYS_close_range, first, ~0U, 0) == 0)
		return 0;
	if (errno != ENOSYS || getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	for (rlim_t fd = first; fd < rl.rlim_cur && fd < (1U << 20); fd++)
		close((int)fd);
	return 0;
}

/* In the child: a clean slate of descriptors and signals, then its privileges */
static void __attribute__((noreturn)) helper_main(pid_t parent, int sock, int (*keep_privs)(void))
{
	sigset_t all;
	int null;
	char ready = 1;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	/* nothing of kstatd's: no listening socket, no map, no program */
	if (dup2(sock, HELPER_FD) < 0)
		_exit(1);
	/* opened after the dup2, so that it cannot be HELPER_FD itself */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || close_from(HELPER_FD + 1))
		_exit(1);
	/* stderr stays kstatd's log unless it was a descriptor kstatd reused */
	if (fcntl(2, F_GETFD) < 0 || fcntl(2, F_GETFL) < 0)
		(void)dup2(0, 2);
	/* kstatd blocks SIGINT and SIGTERM for its signal thread: not here */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	(void)prctl(PR_SET_NAME, "kstatd-nshelper");
	if (keep_privs() || io_full(HELPER_FD, &ready, 1, true))
		_exit(1);
	serve();
}

int nshelper_register(uint32_t op, nshelper_answer_fn *answer)
{
	int err = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nops; i++)
		if (ops[i].op == op)
			err = -EEXIST;
	if (!err && (op == 0 || !answer || helper_fd >= 0))
		err = -EINVAL;
	if (!err && nops == MAX_OPS)
		err = -ENOSPC;
	if (!err)
		ops[nops++] = (struct nsh_op){ .op = op, .answer = answer };
	pthread_mutex_unlock(&lock);
	return err;
}

int nshelper_start(int (*keep_privs)(void))
{
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	pid_t parent = getpid(), pid;
	int sv[2], err;
	char ready;

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
		close(sv[0]); /* kstatd's end: questions come only from kstatd */
		helper_main(parent, sv[1], keep_privs); /* kstatd is one thread: no lock held */
	}
	close(sv[1]);
	if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		err = -errno;
	else
		err = io_full(sv[0], &ready, 1, false); /* -EPIPE: it could not start */
	pthread_mutex_lock(&lock);
	helper_fd = sv[0];
	helper_pid = pid;
	if (err)
		reap();
	pthread_mutex_unlock(&lock);
	return err ? err : (int)pid;
}

void nshelper_stop(void)
{
	pthread_mutex_lock(&lock);
	if (helper_fd >= 0)
		reap();
	pthread_mutex_unlock(&lock);
}

int nshelper_call(uint32_t op, uint32_t arg, int32_t *status, void **payload, size_t *len)
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
