// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Entering a network namespace to open descriptors there (netns_enter.h).
 * Runs in the namespace helper, or in kstatd itself when it has no helper
 * (tests, a kstatd that keeps its capabilities).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns_enter.h"
#include "nl_link.h"

#define MOUNTINFO "/proc/self/mountinfo"

void netns_enter_close(int fds[NETNS_NFDS])
{
	for (int i = 0; i < NETNS_NFDS; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static int notify_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Open the descriptors where the calling thread is; proc is its /proc/.../net */
static int open_here(const char *proc, int fds[NETNS_NFDS])
{
	char path[64];
	int err;

	for (int i = 0; i < NETNS_NFDS; i++)
		fds[i] = -1;
	fds[NETNS_FD_RTNL] = nl_link_socket();
	fds[NETNS_FD_NOTIFY] = notify_socket();
	snprintf(path, sizeof(path), "%s/snmp", proc);
	fds[NETNS_FD_SNMP] = open(path, O_RDONLY | O_CLOEXEC);
	if (fds[NETNS_FD_SNMP] < 0)
		fds[NETNS_FD_SNMP] = -errno;
	snprintf(path, sizeof(path), "%s/netstat", proc);
	fds[NETNS_FD_NETSTAT] = open(path, O_RDONLY | O_CLOEXEC);
	if (fds[NETNS_FD_NETSTAT] < 0)
		fds[NETNS_FD_NETSTAT] = -errno;
	for (int i = 0; i < NETNS_NFDS; i++) {
		if (fds[i] < 0) {
			err = fds[i];
			fds[i] = -1;
			netns_enter_close(fds);
			return err;
		}
	}
	return 0;
}

int netns_enter_own(int fds[NETNS_NFDS])
{
	return open_here("/proc/thread-self/net", fds);
}

struct enter_job {
	int nsfd;
	int *fds;
	int err;
};

static void *enter_thread(void *arg)
{
	struct enter_job *j = arg;

	if (setns(j->nsfd, CLONE_NEWNET)) {
		j->err = -errno;
		return NULL;
	}
	/* /proc/thread-self/net: this thread's namespace, not the process's */
	j->err = open_here("/proc/thread-self/net", j->fds);
	return NULL;
}

static int path_ino(const char *path, uint32_t ino)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return (uint32_t)st.st_ino == ino ? 0 : -ESTALE;
}

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int netns_mountinfo_line(const char *line, uint32_t *ino, char *mnt, size_t mntlen)
{
	char root[64], point[4096], fstype[32];
	const char *sep = strstr(line, " - ");
	unsigned long long n;
	char tail;

	/* id parent maj:min root mountpoint options [optional fields] - fstype source opts */
	if (!sep || sscanf(line, "%*s %*s %*s %63s %4095s", root, point) != 2 ||
	    sscanf(sep + 3, "%31s", fstype) != 1 || strcmp(fstype, "nsfs") != 0)
		return 0;
	if (sscanf(root, "net:[%llu%c", &n, &tail) != 2 || tail != ']' || n == 0 || n > UINT32_MAX)
		return 0;
	unescape(point);
	if (strlen(point) >= mntlen)
		return 0;
	*ino = (uint32_t)n;
	strcpy(mnt, point);
	return 1;
}

static bool find_mount(uint32_t ino, char *path, size_t len)
{
	FILE *f = fopen(MOUNTINFO, "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		uint32_t i;

		found = netns_mountinfo_line(line, &i, path, len) && i == ino &&
			path_ino(path, ino) == 0;
	}
	free(line);
	fclose(f);
	return found;
}

static bool find_process(uint32_t ino, char *path, size_t len)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (snprintf(path, len, "/proc/%s/ns/net", de->d_name) >= (int)len)
			continue;
		found = path_ino(path, ino) == 0;
	}
	closedir(d);
	return found;
}

int netns_enter_open(uint32_t ino, uint32_t pid, int fds[NETNS_NFDS])
{
	struct enter_job j = { .fds = fds };
	char path[4096];
	struct stat st;
	pthread_t t;
	int err;

	for (int i = 0; i < NETNS_NFDS; i++)
		fds[i] = -1;
	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	if (!(pid && path_ino(path, ino) == 0) && !find_mount(ino, path, sizeof(path)) &&
	    !find_process(ino, path, sizeof(path)))
		return -ENOENT;
	j.nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (j.nsfd < 0)
		return -errno;
	/* the path was found a moment ago: it may lead elsewhere now */
	if (fstat(j.nsfd, &st) || (uint32_t)st.st_ino != ino) {
		close(j.nsfd);
		return -ESTALE;
	}
	err = pthread_create(&t, NULL, enter_thread, &j);
	if (err) {
		close(j.nsfd);
		return -err;
	}
	pthread_join(t, NULL);
	close(j.nsfd);
	return j.err;
}
