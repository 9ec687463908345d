// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A file's ctime is wall-clock time; crtime is CLOCK_MONOTONIC.  The
 * file's age on the wall clock, taken back from the monotonic now,
 * converts one into the other (a clock step since then moves it).
 */
#include <sys/stat.h>
#include <time.h>

#include "since.h"

int64_t since_ctime(const char *path)
{
	struct timespec real, mono;
	int64_t age, now;
	struct stat st;

	if (!path || stat(path, &st) || clock_gettime(CLOCK_REALTIME, &real) ||
	    clock_gettime(CLOCK_MONOTONIC, &mono))
		return 0;
	age = (real.tv_sec - st.st_ctim.tv_sec) * 1000000000LL + real.tv_nsec - st.st_ctim.tv_nsec;
	now = mono.tv_sec * 1000000000LL + mono.tv_nsec;
	if (age < 0)
		age = 0;
	return age < now ? now - age : 1;
}
