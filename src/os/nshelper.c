// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The namespace helper (nshelper.h): a forked process with CAP_SYS_ADMIN
 * and CAP_SYS_PTRACE only, on one end of a stream socketpair.  A question
 * is {u32 op, u32 arg, u32 arg2}; an answer {i32 status, u32 nfds}, with
 * nfds descriptors passed alongside (SCM_RIGHTS), which the helper then
 * closes: it keeps none.
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

#include "fdpass.h"
#include "log.h"
#include "nshelper.h"

#define HELPER_FD 3
/* a helper that takes longer is stuck (or stopped): kstatd goes on without it */
#define ANSWER_TIMEOUT_S 5
#define MAX_OPS 8

struct nsh_question {
	uint32_t op;
	uint32_t arg;
	uint32_t arg2;
};

struct nsh_answer {
	int32_t status;
	uint32_t nfds;
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

/* In the helper: one answer per question, until kstatd closes its end */
static void __attribute__((noreturn)) serve(void)
{
	for (;;) {
		struct nsh_question q;
		struct nsh_answer a = {};
		int fds[NSH_MAX_FDS];
		int err;

		if (fdpass_io(HELPER_FD, &q, sizeof(q), false))
			_exit(0);
		a.status = -EINVAL;
		for (size_t i = 0; i < nops; i++)
			if (ops[i].op == q.op)
				a.status = ops[i].answer(q.arg, q.arg2, fds, &a.nfds);
		if (a.status || a.nfds > NSH_MAX_FDS)
			a.nfds = 0;
		err = fdpass_send(HELPER_FD, &a, sizeof(a), fds, a.nfds);
		for (uint32_t i = 0; i < a.nfds; i++)
			close(fds[i]);
		if (err)
			_exit(0);
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

/* In the child (fdpass_fork() saw to signals): a clean slate of descriptors, then its privileges */
static void __attribute__((noreturn)) helper_main(int sock, int (*keep_privs)(void))
{
	int null;
	char ready = 1;

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
	(void)prctl(PR_SET_NAME, "kstatd-nshelper");
	if (keep_privs() || fdpass_io(HELPER_FD, &ready, 1, true))
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
	int sock, err;
	char ready;
	pid_t pid;

	pid = fdpass_fork(&sock);
	if (pid < 0)
		return pid;
	if (pid == 0)
		helper_main(sock, keep_privs); /* kstatd is one thread: no lock held */
	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		err = -errno;
	else
		err = fdpass_io(sock, &ready, 1, false); /* -EPIPE: it could not start */
	pthread_mutex_lock(&lock);
	helper_fd = sock;
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

int nshelper_call(uint32_t op, uint32_t arg, uint32_t arg2, int32_t *status, int *fds,
		  size_t maxfds, size_t *nfds)
{
	struct nsh_question q = { .op = op, .arg = arg, .arg2 = arg2 };
	struct nsh_answer a;
	int err = -ENOSYS;

	*nfds = 0;
	pthread_mutex_lock(&lock);
	if (helper_fd < 0)
		goto out;
	err = fdpass_io(helper_fd, &q, sizeof(q), true);
	if (!err)
		err = fdpass_recv(helper_fd, &a, sizeof(a), fds, maxfds, nfds);
	if (!err && a.nfds != *nfds)
		err = -EPROTO;
	if (err) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		log_warn("namespace helper (pid %d): %s: from now on, network namespaces "
			 "kstatd has not entered yet are not read",
			 (int)helper_pid, strerror(-err));
		reap();
		err = -EPIPE;
		goto out;
	}
	*status = a.status;
out:
	pthread_mutex_unlock(&lock);
	return err;
}
