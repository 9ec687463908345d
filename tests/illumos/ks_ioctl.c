// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * An illumos program that talks to the kstat driver itself: open
 * /dev/kstat and ioctl().  Built 64-bit and 32-bit with no kstatd code at
 * all; run under LD_PRELOAD=kstat_preload.so.
 *   ks_ioctl walk             list kid 0, read every kstat
 *   ks_ioctl errno            every errno of the ioctls (as root)
 *   ks_ioctl unpriv           read everything, EPERM on every write
 *   ks_ioctl fixture KID      strings, longs and errors of tests/ksfixture;
 *                             KID is its INVALID kstat
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ks_common.h"

static int kd = -1;

/* kid 0, sized the way libkstat does it: ENOMEM tells the size */
static kstat_t *read_headers(unsigned int *n, kid_t *kcid)
{
	kstat_t k0;

	memset(&k0, 0, sizeof(k0));
	for (;;) {
		*kcid = ioctl(kd, KSTAT_IOC_READ, &k0);
		if (*kcid != -1)
			break;
		if (errno != ENOMEM)
			return NULL;
		free(k0.ks_data);
		k0.ks_data = calloc(1, k0.ks_data_size);
	}
	*n = k0.ks_ndata;
	return k0.ks_data;
}

static int read_ks(kstat_t *ksp)
{
	kid_t kcid;

	ksp->ks_data = calloc(1, ksp->ks_data_size + 1);
	while ((kcid = ioctl(kd, KSTAT_IOC_READ, ksp)) == -1 && errno == ENOMEM &&
	       (ksp->ks_flags & (KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS))) {
		free(ksp->ks_data);
		ksp->ks_data = calloc(1, ksp->ks_data_size + 1);
	}
	return kcid;
}

static kstat_t *find(kstat_t *h, unsigned int n, const char *module, int inst, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(h[i].ks_module, module) == 0 &&
		    (inst == -1 || h[i].ks_instance == inst) && strcmp(h[i].ks_name, name) == 0)
			return &h[i];
	return NULL;
}

static void walk(int print, int try_write)
{
	unsigned int n = 0, ok = 0, eperm = 0, gone = 0, wgone = 0;
	kid_t chain = ioctl(kd, KSTAT_IOC_CHAIN_ID, NULL), kcid;
	kstat_t *h = read_headers(&n, &kcid);

	ks_check(chain != -1 && h && kcid == chain, "KSTAT_IOC_CHAIN_ID, then kid 0",
		 "chain %d, read %d: %s", chain, kcid, ks_errname(errno));
	if (!h)
		return;
	for (unsigned int i = 0; i < n; i++) {
		kstat_t ks = h[i];

		kcid = read_ks(&ks);
		if (kcid == chain)
			ok++;
		else if (kcid != -1 || errno == ENXIO)
			gone++; /* the chain moved under the walk: judged below */
		else
			ks_check(0, "read every kstat", "%s:%d:%s: %s", ks.ks_module,
				 ks.ks_instance, ks.ks_name, ks_errname(errno));
		if (print) {
			ks_print_header(&ks);
			ks_print_data(&ks);
		}
		if (ks.ks_kid == 1)
			ks_check_types(&ks);
		if (try_write) {
			errno = 0;
			if (ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == EPERM)
				eperm++;
			else if (errno == ENXIO)
				wgone++;
			else
				fprintf(stderr, "  write %s:%d:%s: %s\n", ks.ks_module,
					ks.ks_instance, ks.ks_name, ks_errname(errno));
		}
		free(ks.ks_data);
	}
	/* other programs' devices come and go: then the chain id has moved */
	kcid = ok == n && !wgone ? chain : ioctl(kd, KSTAT_IOC_CHAIN_ID, NULL);
	/* a kstat whose device went while it was read goes at kstatd's next sync */
	for (int i = 0; i < 30 && kcid == chain && (ok != n || wgone); i++) {
		poll(NULL, 0, 100);
		kcid = ioctl(kd, KSTAT_IOC_CHAIN_ID, NULL);
	}
	ks_check(n > 3 && ok + gone == n && (ok == n || kcid > chain),
		 "every kstat reads and returns the chain id, or the chain moved",
		 "%u of %u, %u gone, chain %d then %d", ok, n, gone, chain, kcid);
	if (try_write)
		ks_check(eperm + wgone == n && (!wgone || kcid > chain),
			 "unprivileged: every write gets EPERM (ENXIO once deleted)",
			 "%u of %u, %u gone", eperm, n, wgone);
	free(h);
}

static void check_errno(void)
{
	kstat_t k0, ks, *h, *cpu, *cfg;
	unsigned int n = 0;
	int fd2, devnull, direct;
	kid_t kcid;

	memset(&k0, 0, sizeof(k0));
	errno = 0;
	ks_check(ioctl(kd, KSTAT_IOC_READ, &k0) == -1 && errno == ENOMEM && k0.ks_ndata > 3 &&
			 k0.ks_data_size == k0.ks_ndata * LP64_KSTAT_SIZE &&
			 (k0.ks_flags & KSTAT_FLAG_VAR_SIZE) && k0.ks_snaptime > 0,
		 "kid 0 into no buffer: ENOMEM with ndata, size, flags and snaptime set",
		 "errno %s ndata %u size %lu flags 0x%x", ks_errname(errno), k0.ks_ndata,
		 (unsigned long)k0.ks_data_size, k0.ks_flags);
	h = read_headers(&n, &kcid);
	ks_check(h && h[0].ks_kid == 0 && strcmp(h[0].ks_name, "kstat_headers") == 0 &&
			 h[1].ks_kid == 1 && strcmp(h[n - 1].ks_module, "") != 0,
		 "kid 0 records are this model's kstat_t", "no");
	if (!h)
		return;

	ks = h[0];
	ks.ks_kid = 0x7fffff00;
	ks.ks_data = calloc(1, ks.ks_data_size);
	errno = 0;
	ks_check(ioctl(kd, KSTAT_IOC_READ, &ks) == -1 && errno == ENXIO,
		 "KSTAT_IOC_READ of an unknown kid: ENXIO", "errno %s", ks_errname(errno));
	errno = 0;
	ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == ENXIO,
		 "KSTAT_IOC_WRITE of an unknown kid: ENXIO", "errno %s", ks_errname(errno));
	free(ks.ks_data);
	ks.ks_data = NULL;
	errno = 0;
	ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == EFAULT,
		 "KSTAT_IOC_WRITE from a NULL buffer: EFAULT", "errno %s", ks_errname(errno));
	errno = 0;
	ks_check(ioctl(kd, KSTAT_IOC_READ, NULL) == -1 && errno == EFAULT,
		 "KSTAT_IOC_READ with no kstat_t: EFAULT", "errno %s", ks_errname(errno));
	errno = 0;
	ks_check(ioctl(kd, KSTAT_IOC_BASE | 0x7f, &ks) == -1 && errno == EINVAL,
		 "an unknown ioctl: EINVAL", "errno %s", ks_errname(errno));

	cpu = find(h, n, "cpu", -1, "sys");
	ks_check(cpu != NULL, "kid 0 lists cpu:N:sys", "no");
	if (cpu) {
		char small[8];

		ks = *cpu;
		ks.ks_data = small;
		ks.ks_data_size = sizeof(small);
		ks.ks_snaptime = 0;
		errno = 0;
		ks_check(ioctl(kd, KSTAT_IOC_READ, &ks) == -1 && errno == ENOMEM &&
				 ks.ks_data_size == cpu->ks_ndata * sizeof(kstat_named_t) &&
				 ks.ks_snaptime > 0,
			 "a fixed-size kstat into a short buffer: ENOMEM and the header",
			 "errno %s", ks_errname(errno));
		ks = *cpu;
		ks_check(read_ks(&ks) != -1, "read cpu:N:sys", "%s", ks_errname(errno));
		errno = 0;
		ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == EACCES,
			 "KSTAT_IOC_WRITE of a read-only kstat: EACCES", "errno %s",
			 ks_errname(errno));
		free(ks.ks_data);
	}

	cfg = find(h, n, "kstatd", 0, "config");
	if (cfg) {
		kstat_named_t *c;

		ks = *cfg;
		ks_check(read_ks(&ks) != -1, "read kstatd:0:config", "no");
		c = ks.ks_data;
		ks.ks_ndata++;
		errno = 0;
		ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == EINVAL,
			 "KSTAT_IOC_WRITE with another ks_ndata: EINVAL", "errno %s",
			 ks_errname(errno));
		ks.ks_ndata--;
		ks.ks_data_size--;
		errno = 0;
		ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == EINVAL,
			 "KSTAT_IOC_WRITE with another ks_data_size: EINVAL", "errno %s",
			 ks_errname(errno));
		ks.ks_data_size++;
		c[0].data_type = KSTAT_DATA_CHAR;
		errno = 0;
		ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == EINVAL,
			 "KSTAT_IOC_WRITE changing a data type: EINVAL", "errno %s",
			 ks_errname(errno));
		c[0].data_type = KSTAT_DATA_UINT64;
		kcid = ioctl(kd, KSTAT_IOC_WRITE, &ks);
		ks_check(kcid >= 0 && kcid <= ioctl(kd, KSTAT_IOC_CHAIN_ID, NULL),
			 "KSTAT_IOC_WRITE of kstatd:0:config as it is: the chain id", "%s",
			 ks_errname(errno));
		free(ks.ks_data);
	}
	free(h);

	/*
	 * The shim leaves every other descriptor alone: ioctl() does what the
	 * system call itself does (ENOTTY from Linux; qemu-user, which runs
	 * the 32-bit build where the kernel cannot, says ENOSYS).
	 */
	devnull = open("/dev/null", O_RDONLY);
	errno = 0;
	direct = syscall(SYS_ioctl, devnull, KSTAT_IOC_CHAIN_ID, NULL) == -1 ? errno : 0;
	errno = 0;
	ks_check(devnull >= 0 && direct != 0 && ioctl(devnull, KSTAT_IOC_CHAIN_ID, NULL) == -1 &&
			 errno == direct,
		 "ioctl on another descriptor reaches the kernel", "errno %s, direct %s",
		 ks_errname(errno), ks_errname(direct));
	close(devnull);
	fd2 = openat(AT_FDCWD, "/dev/kstat", O_RDONLY | O_CLOEXEC);
	ks_check(fd2 >= 0 && ioctl(fd2, KSTAT_IOC_CHAIN_ID, NULL) >= 0,
		 "openat(\"/dev/kstat\") works too", "%s", ks_errname(errno));
	ks_check(close(fd2) == 0, "close of a /dev/kstat descriptor", "%s", ks_errname(errno));
	errno = 0;
	ks_check(fcntl(fd2, F_GETFD) == -1 && errno == EBADF, "the descriptor is gone after close",
		 "errno %s", ks_errname(errno));
	errno = 0;
	ks_check(ioctl(fd2, KSTAT_IOC_CHAIN_ID, NULL) == -1 && errno != 0,
		 "and ioctl on it no longer reaches kstatd", "errno %s", ks_errname(errno));
}

static void check_fixture(kid_t invalid)
{
	kstat_t ks, *h, *k;
	unsigned int n = 0;
	kstat_named_t *kn;
	kid_t kcid;

	h = read_headers(&n, &kcid);
	if (!h)
		return;
	memset(&ks, 0, sizeof(ks));
	ks.ks_kid = invalid;
	ks.ks_data_size = 0;
	errno = 0;
	ks_check(ioctl(kd, KSTAT_IOC_READ, &ks) == -1 && errno == EAGAIN,
		 "KSTAT_IOC_READ of an INVALID kstat: EAGAIN", "errno %s", ks_errname(errno));
	errno = 0;
	ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == EAGAIN,
		 "KSTAT_IOC_WRITE of an INVALID kstat: EAGAIN", "errno %s", ks_errname(errno));

	k = find(h, n, "test", 0, "strings");
	if (k) {
		ks = *k;
		ks_check(read_ks(&ks) != -1, "read test:0:strings", "%s", ks_errname(errno));
		ks_check_strings(&ks, ks.ks_data, "ioctl");
		free(ks.ks_data);
	}
	k = find(h, n, "test", 0, "broken");
	if (k) {
		ks = *k;
		ks.ks_data = calloc(1, ks.ks_data_size);
		ks.ks_snaptime = 0;
		errno = 0;
		ks_check(ioctl(kd, KSTAT_IOC_READ, &ks) == -1 && errno == EIO &&
				 ks.ks_snaptime == 0,
			 "a provider's update error: EIO, header untouched", "errno %s",
			 ks_errname(errno));
		free(ks.ks_data);
	}
	k = find(h, n, "test", 0, "rw");
	if (k) {
		ks = *k;
		ks_check(read_ks(&ks) != -1, "read test:0:rw", "%s", ks_errname(errno));
		kn = ks.ks_data;
		for (unsigned int i = 0; i < ks.ks_ndata; i++) {
			if (strcmp(kn[i].name, "value") == 0)
				kn[i].value.ui64 = 43;
			if (strcmp(kn[i].name, "lval") == 0)
				kn[i].value.l = -8;
		}
		ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) >= 0, "write test:0:rw", "%s",
			 ks_errname(errno));
		for (unsigned int i = 0; i < ks.ks_ndata; i++)
			if (strcmp(kn[i].name, "label") == 0)
				KSTAT_NAMED_STR_PTR(&kn[i]) = (char *)ks.ks_data - 100;
		errno = 0;
		ks_check(ioctl(kd, KSTAT_IOC_WRITE, &ks) == -1 && errno == EINVAL,
			 "a string pointer before the buffer: EINVAL", "errno %s",
			 ks_errname(errno));
		free(ks.ks_data);
		ks = *k;
		ks_check(read_ks(&ks) != -1 && ks_named(&ks, "value")->value.ui64 == 43 &&
				 ks_named(&ks, "lval")->value.l == -8,
			 "test:0:rw reads back what was written", "no");
		free(ks.ks_data);
	}
	free(h);
}

/*
 * An interval loop on the raw ioctls, as an illumos program that never
 * reopens /dev/kstat: when the chain id moves, read kid 0 again and find
 * unix:0:system_misc; read it; n times, every 100 ms.  One line a pass:
 * "ok KCID LBOLT" or "err WHERE ERRNO".
 */
static int follow(int n)
{
	kid_t kcid, seen = -1;
	kstat_t *h = NULL, ks;
	unsigned int nh = 0;
	kstat_t *sm = NULL;
	int ok = 0;

	/* whole lines only, whenever the test stops us */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n; i++, usleep(100000)) {
		kcid = ioctl(kd, KSTAT_IOC_CHAIN_ID, NULL);
		if (kcid == -1) {
			printf("err chain %s\n", ks_errname(errno));
			continue;
		}
		if (kcid != seen) {
			free(h);
			h = read_headers(&nh, &seen);
			sm = h ? find(h, nh, "unix", 0, "system_misc") : NULL;
			if (!sm) {
				printf("err headers %s\n", ks_errname(errno));
				seen = -1;
				continue;
			}
		}
		ks = *sm;
		if (read_ks(&ks) == -1 || !ks_named(&ks, "lbolt")) {
			printf("err read %s\n", ks_errname(errno));
			free(ks.ks_data);
			seen = -1; /* a deleted kstat: the chain has moved */
			continue;
		}
		printf("ok %d %llu\n", (int)seen,
		       (unsigned long long)ks_named(&ks, "lbolt")->value.ui64);
		free(ks.ks_data);
		ok++;
	}
	free(h);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "walk";

	kd = open("/dev/kstat", O_RDONLY);
	if (kd < 0) {
		perror("/dev/kstat");
		return 100;
	}
	if (strcmp(mode, "walk") == 0)
		walk(1, 0);
	else if (strcmp(mode, "errno") == 0)
		check_errno();
	else if (strcmp(mode, "unpriv") == 0)
		walk(0, 1);
	else if (strcmp(mode, "fixture") == 0 && argc == 3)
		check_fixture(atoi(argv[2]));
	else if (strcmp(mode, "follow") == 0 && argc == 3)
		return follow(atoi(argv[2]));
	else
		return 99;
	ks_check(close(kd) == 0, "close", "%s", ks_errname(errno));
	return ks_fails;
}
