// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Which CPUs are online, as /sys/devices/system/cpu/online lists them ("0-3,5") */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpus.h"

int cpus_online(bool *online, int n)
{
	char line[4096], *p, *end;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");

	memset(online, 0, (size_t)n * sizeof(*online));
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
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
