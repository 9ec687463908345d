// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The privilege race of a socket server that judges a peer by what /proc
 * says of it after the connect: run as an unprivileged user, each try
 * connects to kstatd, forks a process that keeps the connection, and
 * execs a setuid-root program (su, waiting for a password that never
 * comes) in the process that connected.  Once the exec is done, the
 * process holding the connection sends a KSTAT_IOC_WRITE of
 * kstatd:0:config with the values it already has: a write that changes
 * nothing, but that kstatd must refuse with EPERM.  Meanwhile another
 * instance keeps BUSY connections asking (as root: an unprivileged uid may
 * not hold that many), so that accepting a connection lags behind the
 * connect.
 *
 *	peer_race TRIES SETUID-PROGRAM [ARG...]
 *	peer_race --busy BUSY
 *
 * Prints "accepted A, refused R (EPERM), other O, of N tries" and exits 0
 * when every try was refused with EPERM, 1 otherwise, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <kstat.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kstat_wire.h"

enum outcome {
	ACCEPTED = 0,
	REFUSED = 1,
	OTHER = 2,
};

/* What the write sends: kstatd:0:config as it was read */
struct write_req {
	struct ksw_req hdr;
	void *body;
};

static int connect_kstatd(void)
{
	const char *path = getenv(KSW_SOCKET_ENV);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!path)
		path = KSW_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int io_full(int fd, void *buf, size_t len, bool out)
{
	char *b = buf;

	while (len) {
		ssize_t n = out ? send(fd, b, len, MSG_NOSIGNAL) : recv(fd, b, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static void req_init(struct ksw_req *r, uint32_t cmd)
{
	memset(r, 0, sizeof(*r));
	r->magic = KSW_REQ_MAGIC;
	r->version = KSW_VERSION;
	r->hdr_len = sizeof(*r);
	r->cmd = cmd;
	r->model = sizeof(long) == 8 ? KSW_MODEL_LP64 : KSW_MODEL_ILP32;
}

/* One request and its reply; the reply's body is read and dropped */
static int roundtrip(int fd, const struct ksw_req *req, const void *body, struct ksw_rep *rep)
{
	char sink[4096];
	uint64_t left;

	if (io_full(fd, (void *)req, sizeof(*req), true) ||
	    (req->body_len && io_full(fd, (void *)body, req->body_len, true)) ||
	    io_full(fd, rep, sizeof(*rep), false))
		return -1;
	for (left = rep->body_len; left;) {
		size_t n = left < sizeof(sink) ? left : sizeof(sink);

		if (io_full(fd, sink, n, false))
			return -1;
		left -= n;
	}
	return 0;
}

static int prepare_write(struct write_req *w)
{
	kstat_ctl_t *kc = kstat_open();
	kstat_t *ksp;

	if (!kc) {
		perror("peer_race: kstat_open");
		return -1;
	}
	ksp = kstat_lookup(kc, "kstatd", 0, "config");
	if (!ksp || kstat_read(kc, ksp, NULL) == -1) {
		perror("peer_race: kstatd:0:config");
		kstat_close(kc);
		return -1;
	}
	req_init(&w->hdr, KSTAT_IOC_WRITE);
	w->hdr.ks_kid = (int32_t)ksp->ks_kid;
	w->hdr.ks_ndata = ksp->ks_ndata;
	w->hdr.ks_data_size = ksp->ks_data_size;
	w->hdr.body_len = ksp->ks_data_size;
	w->body = malloc(ksp->ks_data_size);
	if (!w->body) {
		kstat_close(kc);
		return -1;
	}
	memcpy(w->body, ksp->ks_data, ksp->ks_data_size);
	w->hdr.ks_data = (uint64_t)(uintptr_t)w->body;
	kstat_close(kc);
	return 0;
}

/* Keep n connections asking for the chain id, until killed */
static int __attribute__((noreturn)) busy(int n)
{
	struct ksw_req req;
	struct ksw_rep rep;
	int *fds;

	fds = calloc((size_t)n, sizeof(*fds));
	if (!fds)
		_exit(1);
	for (int i = 0; i < n; i++)
		if ((fds[i] = connect_kstatd()) < 0)
			_exit(1);
	printf("busy %d\n", n);
	fflush(stdout);
	req_init(&req, KSTAT_IOC_CHAIN_ID);
	for (;;) {
		for (int i = 0; i < n; i++)
			if (io_full(fds[i], &req, sizeof(req), true))
				_exit(1);
		for (int i = 0; i < n; i++)
			if (io_full(fds[i], &rep, sizeof(rep), false))
				_exit(1);
	}
}

/* euid of pid from /proc, or -1 */
static long euid_of(pid_t pid)
{
	long ruid, euid = -1;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld %ld", &ruid, &euid) == 2)
			break;
	fclose(f);
	return euid;
}

/*
 * In the process holding the connection: once the connecting process runs
 * the setuid program, write; the outcome goes to the driver through out.
 */
static void __attribute__((noreturn))
holder(int fd, pid_t connector, const struct write_req *w, int out)
{
	struct timespec nap = { 0, 200000 };
	struct ksw_rep rep;
	char result = OTHER;

	for (int i = 0; i < 15000 && euid_of(connector) != 0; i++)
		nanosleep(&nap, NULL);
	if (euid_of(connector) != 0)
		fprintf(stderr, "peer_race: %s did not run setuid\n", "the connecting process");
	else if (roundtrip(fd, &w->hdr, w->body, &rep))
		fprintf(stderr, "peer_race: write: the connection broke\n");
	else if (rep.rval != -1)
		result = ACCEPTED;
	else if (rep.error == EPERM)
		result = REFUSED;
	else
		fprintf(stderr, "peer_race: write: %s\n", strerror(rep.error));
	(void)!write(out, &result, 1);
	_exit(0);
}

/* One try: connect, fork the holder, exec the setuid program */
static enum outcome one_try(const struct write_req *w, char **prog)
{
	int fd, in[2], res[2];
	pid_t connector;
	char result = OTHER;

	if (pipe2(in, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		return OTHER;
	connector = fork();
	if (connector == 0) {
		int quiet = open("/dev/null", O_WRONLY);
		pid_t self = getpid();

		fd = connect_kstatd();
		if (fd < 0)
			_exit(1);
		if (fork() == 0)
			holder(fd, self, w, res[1]);
		/* su waits for a password on the pipe that never brings one */
		dup2(in[0], 0);
		dup2(quiet, 1);
		dup2(quiet, 2);
		execv(prog[0], prog);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	if (connector > 0) {
		struct pollfd p = { .fd = res[0], .events = POLLIN };

		if (poll(&p, 1, 10000) == 1)
			(void)!read(res[0], &result, 1);
		kill(connector, SIGKILL);
		while (waitpid(connector, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(in[1]);
	close(res[0]);
	/* the holder, orphaned to us as subreaper */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return (enum outcome)result;
}

int main(int argc, char **argv)
{
	int tries, n[3] = { 0, 0, 0 };
	struct write_req w;

	if (argc == 3 && strcmp(argv[1], "--busy") == 0 && atoi(argv[2]) > 0)
		busy(atoi(argv[2]));
	if (argc < 3 || (tries = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: peer_race TRIES SETUID-PROGRAM [ARG...]\n"
				"       peer_race --busy BUSY\n");
		return 2;
	}
	if (prepare_write(&w))
		return 1;
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (int i = 0; i < tries; i++)
		n[one_try(&w, argv + 2)]++;
	printf("accepted %d, refused %d (EPERM), other %d, of %d tries\n", n[ACCEPTED], n[REFUSED],
	       n[OTHER], tries);
	free(w.body);
	return n[REFUSED] == tries ? 0 : 1;
}
