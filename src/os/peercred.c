// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/types.h>

#include "bpf_apart.h"
#include "log.h"
#include "peercred.h"
#include "peercred.skel.h"
#include "peercred_rec.h"

#define CAP_SYS_ADMIN_BIT 21

struct peercred {
	struct peercred_bpf *skel; /* opened, loaded apart (bpf_apart.h) */
	int prog_fd;
	int link_fd;
	struct peercred_bpf__bss *bss; /* mapped from the loaded .bss */
	pthread_mutex_t lock;          /* target_ino is one global of the program */
	uint64_t userns_ino;           /* kstatd's own */
};

struct peercred *peercred_open(void)
{
	struct peercred *pc;
	char why[256] = "not one program";
	struct stat st;
	int err;

	if (stat("/proc/self/ns/user", &st))
		return NULL;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->userns_ino = st.st_ino;
	pthread_mutex_init(&pc->lock, NULL);
	pc->prog_fd = pc->link_fd = -1;
	pc->skel = peercred_bpf__open();
	if (!pc->skel) {
		err = errno;
		goto err_free;
	}
	/* one program: prog_fd is its array of descriptors */
	err = bpf_apart_nprogs(pc->skel->obj) == 1
		      ? -bpf_apart_load(pc->skel->obj, NULL, NULL, &pc->prog_fd, why, sizeof(why))
		      : EINVAL;
	if (err == ECHILD) {
		/* no child to load it in: here, then, the program libbpf's */
		log_dbg("peercred: %s", why);
		err = peercred_bpf__load(pc->skel) ? errno : 0;
		snprintf(why, sizeof(why), "load: %s", strerror(err));
		pc->prog_fd = err ? -1
				  : fcntl(bpf_program__fd(pc->skel->progs.handle_unix),
					  F_DUPFD_CLOEXEC, 0);
		if (!err && pc->prog_fd < 0)
			err = errno;
	}
	if (err) {
		log_dbg("peercred: %s", why);
		err = err == ENOENT || err == EINVAL ? EOPNOTSUPP : err;
		goto err_destroy_skel;
	}
	pc->bss = mmap(NULL, sizeof(*pc->bss), PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(pc->skel->maps.bss), 0);
	if (pc->bss == MAP_FAILED) {
		err = errno;
		goto err_close_prog;
	}
	pc->link_fd = bpf_apart_attach(pc->skel->progs.handle_unix, pc->prog_fd);
	if (pc->link_fd < 0) {
		err = -pc->link_fd;
		goto err_unmap;
	}
	return pc;

err_unmap:
	munmap(pc->bss, sizeof(*pc->bss));
err_close_prog:
	close(pc->prog_fd);
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

	pc->bss->target_ino = ino;
	fd = bpf_iter_create(pc->link_fd);
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
	close(pc->link_fd);
	munmap(pc->bss, sizeof(*pc->bss));
	close(pc->prog_fd);
	peercred_bpf__destroy(pc->skel);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}
