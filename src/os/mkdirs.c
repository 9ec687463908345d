// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "mkdirs.h"

static int mkdir_mode(const char *dir, mode_t mode)
{
	if (mkdir(dir, mode))
		return errno == EEXIST ? 0 : -errno;
	return chmod(dir, mode) ? -errno : 0;
}

int mkdirs(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);
	int err;

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		err = mkdir_mode(buf, mode);
		if (err)
			return err;
		*p = '/';
	}
	return mkdir_mode(buf, mode);
}
