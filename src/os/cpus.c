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
static pthread_once_t online_once = PTHREAD_ONCE_INIT;

/* Kept open: each read is one pread, where an open, reads and a close were four system calls */
static void open_online(void)
{
	online_fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
}

int cpus_online(bool *online, int n)
{
	char line[4096], *p, *end;
	ssize_t len;

	memset(online, 0, (size_t)n * sizeof(*online));
	pthread_once(&online_once, open_online);
	if (online_fd < 0)
		return -ENOENT;
	len = pread(online_fd, line, sizeof(line) - 1, 0);
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
