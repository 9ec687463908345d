// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Which CPUs are online, as /sys/devices/system/cpu/online lists them ("0-3,5") */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpus.h"

static int online_fd = -1;
static pthread_mutex_t online_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Kept open once opened: each read is one pread, where an open, reads and
 * a close were four system calls.  -errno if it cannot be opened (yet).
 */
static int open_online(void)
{
	int fd;

	pthread_mutex_lock(&online_lock);
	if (online_fd < 0)
		online_fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	fd = online_fd < 0 ? -errno : online_fd;
	pthread_mutex_unlock(&online_lock);
	return fd;
}

int cpus_online(bool *online, int n)
{
	char line[4096], *p, *end;
	ssize_t len;
	int fd;

	memset(online, 0, (size_t)n * sizeof(*online));
	fd = open_online();
	if (fd < 0)
		return fd;
	len = pread(fd, line, sizeof(line) - 1, 0);
	if (len <= 0)
		return len < 0 ? -errno : -EIO;
	line[len] = '\0';
	for (p = line; *p && *p != '\n';) {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			return -EINVAL;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p)
				return -EINVAL;
		}
		for (long c = lo; c <= hi && c < n; c++)
			if (c >= 0)
				online[c] = true;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}
