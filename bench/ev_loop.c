// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Workloads for per-event overhead: each rep runs N operations on one CPU
 * and prints the nanoseconds one operation took, by the wall clock and in
 * CPU time (the workload's own processes: what others running on the
 * machine meanwhile do not add to), so a hook's cost is the difference
 * between runs with and without it.
 *
 *	ev_loop getppid N REPS		one syscall per op (sys_enter + sys_exit)
 *	ev_loop pingpong N REPS		a pipe round trip between two processes
 *					on one CPU: two context switches per op
 *	ev_loop blkio N REPS DEV	one 4 KiB O_DIRECT read of DEV per op
 *
 * Each rep prints "WALL_NS CPU_NS" per operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of this process and of the children it waited for */
static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID) +
	       ((double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3);
}

/* BENCH_CPU picks the CPU (default 0) */
static void pin_cpu(void)
{
	const char *env = getenv("BENCH_CPU");
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(env ? atoi(env) : 0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

static double run_getppid(long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now_ns() - t0) / (double)n;
}

static double run_pingpong(long n)
{
	int a[2], b[2];
	double t0, t;
	pid_t pid;
	char c = 0;

	if (pipe(a) || pipe(b))
		exit(1);
	pid = fork();
	if (pid == 0) {
		/* only the parent may hold the write end, or read never sees EOF */
		close(a[1]);
		close(b[0]);
		for (;;)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(0);
	}
	close(a[0]);
	close(b[1]);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			exit(1);
	t = (now_ns() - t0) / (double)n;
	close(a[1]);
	close(b[0]);
	waitpid(pid, NULL, 0);
	return t;
}

static double run_blkio(long n, const char *dev)
{
	int fd = open(dev, O_RDONLY | O_DIRECT);
	void *buf;
	double t0;

	if (fd < 0 || posix_memalign(&buf, 4096, 4096)) {
		fprintf(stderr, "ev_loop: %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (pread(fd, buf, 4096, (off_t)(i % 1024) * 4096) != 4096)
			exit(1);
	close(fd);
	free(buf);
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	long n, reps;

	if (argc < 4 || (strcmp(argv[1], "blkio") == 0 && argc < 5)) {
		fprintf(stderr, "usage: ev_loop getppid|pingpong|blkio N REPS [DEV]\n");
		return 2;
	}
	n = atol(argv[2]);
	reps = atol(argv[3]);
	if (n <= 0 || reps <= 0) {
		fprintf(stderr, "ev_loop: N and REPS must be positive\n");
		return 2;
	}
	pin_cpu();
	for (long r = 0; r < reps; r++) {
		double ns, cpu = cpu_ns();

		if (strcmp(argv[1], "getppid") == 0)
			ns = run_getppid(n);
		else if (strcmp(argv[1], "pingpong") == 0)
			ns = run_pingpong(n);
		else if (strcmp(argv[1], "blkio") == 0)
			ns = run_blkio(n, argv[4]);
		else {
			fprintf(stderr, "ev_loop: unknown workload %s\n", argv[1]);
			return 2;
		}
		printf("%.2f %.2f\n", ns, (cpu_ns() - cpu) / (double)n);
		fflush(stdout);
	}
	return 0;
}
