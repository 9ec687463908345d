/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A real build/kstatd for a test: its own socket in a fresh directory
 * (traversable by other uids, as /run/kstatd is) and its own pin path,
 * started before the test and stopped with SIGTERM after it.  KSTAT_SOCKET
 * points libkstat at it.
 */
#ifndef __KSTATD_TEST_DAEMON_H
#define __KSTATD_TEST_DAEMON_H

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"

struct tdaemon {
	pid_t pid;
	int status;     /* exit status once stopped */
	bool sanitizer; /* its log has an ASan or UBSan report */
	char dir[64];
	char sock[128];
	char log[128];
};

static struct tdaemon td;

static inline long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline bool file_has(const char *path, const char *needle)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static inline void tdaemon_start(void)
{
	/* named by this process, before the fork: the stop removes the same one */
	const char *pin = test_pin_path();
	const char *out = getenv("OUTPUT");
	char kstatd[256];

	require_bpf();
	snprintf(td.dir, sizeof(td.dir), "/tmp/kstatd-test-XXXXXX");
	cr_assert(mkdtemp(td.dir), "mkdtemp: %s", strerror(errno));
	chmod(td.dir, 0755);
	snprintf(td.sock, sizeof(td.sock), "%s/kstat.sock", td.dir);
	snprintf(td.log, sizeof(td.log), "%s/kstatd.log", td.dir);
	snprintf(kstatd, sizeof(kstatd), "%s/kstatd", out && *out ? out : OUTPUT_DIR);
	td.pid = fork();
	cr_assert_geq(td.pid, 0);
	if (td.pid == 0) {
		int fd = open(td.log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(kstatd, kstatd, "--socket", td.sock, "--pin-path", pin, "--reset",
		      "--web.listen-address", "127.0.0.1:0", "--provider-dir=", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !file_has(td.log, "ready"); i++) {
		if (waitpid(td.pid, NULL, WNOHANG) == td.pid) {
			td.pid = 0;
			break;
		}
		usleep(50 * 1000);
	}
	cr_assert(td.pid > 0 && file_has(td.log, "ready"), "kstatd did not get ready (log %s)",
		  td.log);
	setenv("KSTAT_SOCKET", td.sock, 1);
}

/* SIGTERM; returns the exit status (0 for a clean stop) */
static inline int tdaemon_stop(void)
{
	int status = -1;

	if (td.pid > 0) {
		td.status = -1;
		kill(td.pid, SIGTERM);
		for (int i = 0; i < 100; i++) {
			if (waitpid(td.pid, &status, WNOHANG) == td.pid)
				break;
			usleep(50 * 1000);
		}
		if (!WIFEXITED(status)) {
			kill(td.pid, SIGKILL);
			waitpid(td.pid, &status, 0);
		}
		td.pid = 0;
		td.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		td.sanitizer = file_has(td.log, "Sanitizer") || file_has(td.log, "runtime error:");
		if (td.status || td.sanitizer) {
			char cmd[160];

			fprintf(stderr, "kstatd exited %d; its log:\n", td.status);
			snprintf(cmd, sizeof(cmd), "cat '%s' >&2", td.log);
			(void)!system(cmd);
		}
	}
	remove_pin_path();
	if (td.dir[0]) {
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", td.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", td.dir);
		td.dir[0] = '\0';
	}
	return td.status;
}

/* Every test ends with a clean stop: exit 0, no sanitizer report */
static inline void tdaemon_fini(void)
{
	int status = tdaemon_stop();

	cr_expect_eq(status, 0, "kstatd exited %d", status);
	cr_expect(!td.sanitizer, "kstatd's log has a sanitizer report");
}

#endif /* __KSTATD_TEST_DAEMON_H */
