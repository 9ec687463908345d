// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Capability dropping with the raw capget/capset system calls (libcap is
 * not worth a dependency for two calls), and sd_notify without libsystemd.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "privs.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
/* CAP_CHECKPOINT_RESTORE (5.9); the kernel's own number wins */
#define LAST_CAP_FALLBACK 40

static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = LAST_CAP_FALLBACK;

	if (f) {
		if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
			last = LAST_CAP_FALLBACK;
		fclose(f);
	}
	return last;
}

static bool has(uint64_t set, int cap)
{
	return set & (1ULL << cap);
}

static int get_caps(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	*eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	*prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	return 0;
}

static int set_caps(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	return syscall(SYS_capset, &hdr, d) ? -errno : 0;
}

bool privs_have(int cap)
{
	uint64_t eff, prm;

	return get_caps(&eff, &prm) == 0 && has(eff, cap);
}

int privs_keep(uint64_t want, char *kept, size_t len)
{
	uint64_t eff, prm, keep;
	int last = cap_last(), err;
	size_t off = 0;

	err = get_caps(&eff, &prm);
	if (err)
		return err;
	keep = want & prm;
	/* the bounding set first: dropping from it takes CAP_SETPCAP */
	if (has(eff, CAP_SETPCAP)) {
		for (int c = 0; c <= last; c++) {
			if (has(keep, c))
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL)
				return -errno;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	/* a setuid or file-capability exec gains nothing either */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	err = set_caps(keep);
	if (err)
		return err;
	err = get_caps(&eff, &prm);
	if (err)
		return err;
	if (eff != keep || prm != keep)
		return -EPERM;

	if (len)
		kept[0] = '\0';
	for (int c = 0; c < 64 && len; c++) {
		const char *name = c == CAP_BPF          ? "cap_bpf"
				   : c == CAP_PERFMON    ? "cap_perfmon"
				   : c == CAP_SYS_ADMIN  ? "cap_sys_admin"
				   : c == CAP_SYS_PTRACE ? "cap_sys_ptrace"
							 : NULL;
		int n;

		if (!has(keep, c) || !name)
			continue;
		n = snprintf(kept + off, len - off, "%s%s", off ? " " : "", name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (len && !off)
		snprintf(kept, len, "none");
	return 0;
}

int privs_drop(char *kept, size_t len)
{
	uint64_t eff, prm, want = 1ULL << CAP_BPF | 1ULL << CAP_PERFMON;
	int err = get_caps(&eff, &prm);

	if (err)
		return err;
	/* before 5.8 CAP_SYS_ADMIN is what loads and attaches programs */
	if ((!has(prm, CAP_BPF) || !has(prm, CAP_PERFMON)) && has(prm, CAP_SYS_ADMIN))
		want |= 1ULL << CAP_SYS_ADMIN;
	return privs_keep(want, kept, len);
}

int privs_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	size_t plen;
	ssize_t n;
	int fd;

	if (!path || !path[0])
		return 0;
	plen = strlen(path);
	/* a path, or an abstract address written with a leading '@' */
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do
		n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	while (n < 0 && errno == EINTR);
	close(fd);
	return n < 0 ? -errno : 0;
}
