// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/types.h>

#include "peercred.h"
#include "peercred.skel.h"
#include "peercred_rec.h"

#define CAP_SYS_ADMIN_BIT 21

struct peercred {
	struct peercred_bpf *skel;
	struct bpf_link *link;
	pthread_mutex_t lock; /* target_ino is one global of the program */
	uint64_t userns_ino;  /* kstatd's own */
};

struct peercred *peercred_open(void)
{
	struct peercred *pc;
	struct stat st;
	int err;

	if (stat("/proc/self/ns/user", &st))
		return NULL;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->userns_ino = st.st_ino;
	pthread_mutex_init(&pc->lock, NULL);
	pc->skel = peercred_bpf__open_and_load();
	if (!pc->skel) {
		err = errno == ENOENT || errno == EINVAL ? EOPNOTSUPP : errno;
		goto err_free;
	}
	pc->link = bpf_program__attach_iter(pc->skel->progs.handle_unix, NULL);
	if (!pc->link) {
		err = errno;
		goto err_destroy_skel;
	}
	return pc;

err_destroy_skel:
	peercred_bpf__destroy(pc->skel);
err_free:
	pthread_mutex_destroy(&pc->lock);
	free(pc);
	errno = err;
	return NULL;
}

/* One run of the iterator; 0 with *rec filled, or -errno */
static int run_iter(struct peercred *pc, uint64_t ino, struct peercred_rec *rec)
{
	size_t got = 0;
	int fd, err = 0;
	ssize_t n;

	pc->skel->bss->target_ino = ino;
	fd = bpf_iter_create(bpf_link__fd(pc->link));
	if (fd < 0)
		return -errno;
	while (got < sizeof(*rec)) {
		n = read(fd, (char *)rec + got, sizeof(*rec) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -ENOENT;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	return err;
}

int peercred_sys_admin(struct peercred *pc, int fd)
{
	struct peercred_rec rec;
	struct stat st;
	int err;

	if (fstat(fd, &st))
		return -errno;
	pthread_mutex_lock(&pc->lock);
	err = run_iter(pc, st.st_ino, &rec);
	pthread_mutex_unlock(&pc->lock);
	if (err)
		return err;
	return rec.userns_ino == pc->userns_ino && (rec.cap_effective >> CAP_SYS_ADMIN_BIT & 1);
}

void peercred_free(struct peercred *pc)
{
	if (!pc)
		return;
	bpf_link__destroy(pc->link);
	peercred_bpf__destroy(pc->skel);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}
