// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * An illumos libkstat program, as it would be written on illumos: only
 * <kstat.h>.  Built 64-bit and 32-bit against build/libkstat.so.
 *   ks_lib walk         list the chain, read every kstat
 *   ks_lib errno        every errno of lookup, read and write (as root)
 *   ks_lib unpriv       read everything, EPERM on every write
 *   ks_lib fixture      strings, longs and errors of tests/ksfixture
 *   ks_lib cfg P V      write V to kstatd:0:config:P
 */
#include <kstat.h>

#include <poll.h>

#include "ks_common.h"

static int walk(kstat_ctl_t *kc, int print)
{
	int nread = 0, n = 0, gone = 0;
	kid_t moved;

	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next, n++) {
		kid_t kcid = kstat_read(kc, ksp, NULL);

		if (kcid == -1 && errno == ENXIO) {
			gone++; /* deleted since the chain was read: judged below */
			continue;
		}
		if (kcid == -1) {
			ks_check(0, "read every kstat", "%s:%d:%s: %s", ksp->ks_module,
				 ksp->ks_instance, ksp->ks_name, ks_errname(errno));
			continue;
		}
		nread += kcid == kc->kc_chain_id;
		if (print) {
			ks_print_header(ksp);
			ks_print_data(ksp);
		}
		if (ksp->ks_kid == 1)
			ks_check_types(ksp);
	}
	/*
	 * Other programs' devices come and go under the walk: a kstat deleted
	 * meanwhile fails with ENXIO and later reads return a newer chain id,
	 * as on illumos, and then the chain must have moved.
	 */
	moved = nread == n ? 0 : kstat_chain_update(kc);
	/* a kstat whose device went while it was read goes at kstatd's next sync */
	for (int i = 0; i < 30 && nread != n && moved == 0; i++) {
		poll(NULL, 0, 100);
		moved = kstat_chain_update(kc);
	}
	ks_check(n > 3 && (nread == n || moved > 0),
		 "every kstat reads and returns the chain id, or the chain moved",
		 "%d of %d, %d gone, chain update %d", nread, n, gone, (int)moved);
	return n;
}

static void check_errno(kstat_ctl_t *kc)
{
	kstat_t *ksp, *cpu, *cfg, fake, k0, *saved[4096];
	kstat_named_t *kn;
	size_t nsaved = 0;
	kid_t kcid;
	int same;

	errno = 0;
	ks_check(!kstat_lookup(kc, "nosuch", -1, NULL) && errno == ENOENT,
		 "kstat_lookup of nothing: NULL, ENOENT", "errno %s", ks_errname(errno));
	ks_check(kstat_lookup(kc, NULL, -1, NULL) == kc->kc_chain,
		 "kstat_lookup(NULL, -1, NULL) is the first kstat", "no");
	ksp = kstat_lookup(kc, "unix", 0, "kstat_types");
	ks_check(ksp && ksp->ks_kid == 1, "kstat_lookup of unix:0:kstat_types is kid 1", "no");
	cpu = kstat_lookup(kc, NULL, -1, "sys");
	ks_check(cpu && strcmp(cpu->ks_module, "cpu") == 0 &&
			 cpu == kstat_lookup(kc, "cpu", -1, "sys"),
		 "kstat_lookup(NULL, -1, \"sys\") is the first cpu:*:sys", "no");
	ks_check(!kstat_lookup(kc, "cpu", 99999, "sys") && errno == ENOENT,
		 "kstat_lookup with an absent instance: ENOENT", "no");

	errno = 0;
	ks_check(!kstat_data_lookup(kc->kc_chain, "x") && errno == EINVAL,
		 "kstat_data_lookup on a RAW kstat: EINVAL", "errno %s", ks_errname(errno));
	if (!cpu)
		return;
	ks_check(kstat_read(kc, cpu, NULL) != -1, "kstat_read cpu:N:sys", "%s", ks_errname(errno));
	kn = kstat_data_lookup(cpu, "pswitch");
	ks_check(kn && kn->data_type == KSTAT_DATA_UINT64 && kn->value.ui64 > 0,
		 "kstat_data_lookup finds pswitch, a non-zero UINT64", "no");
	errno = 0;
	ks_check(!kstat_data_lookup(cpu, "nosuch") && errno == ENOENT,
		 "kstat_data_lookup of an absent statistic: ENOENT", "errno %s", ks_errname(errno));

	fake = *cpu;
	fake.ks_kid = 0x7fffff00;
	fake.ks_data = NULL;
	errno = 0;
	ks_check(kstat_read(kc, &fake, NULL) == -1 && errno == ENXIO,
		 "kstat_read of an unknown kid: ENXIO", "errno %s", ks_errname(errno));
	errno = 0;
	ks_check(kstat_write(kc, &fake, NULL) == -1 && errno == ENXIO,
		 "kstat_write of an unknown kid: ENXIO", "errno %s", ks_errname(errno));
	free(fake.ks_data);

	fake = *cpu;
	fake.ks_data = malloc(8);
	fake.ks_data_size = 8;
	errno = 0;
	ks_check(kstat_read(kc, &fake, NULL) == -1 && errno == ENOMEM &&
			 fake.ks_data_size == cpu->ks_ndata * sizeof(kstat_named_t),
		 "a fixed-size kstat into a short buffer: ENOMEM and the size it needs",
		 "errno %s, size %lu", ks_errname(errno), (unsigned long)fake.ks_data_size);
	free(fake.ks_data);

	memset(&k0, 0, sizeof(k0));
	k0.ks_data = malloc(1);
	k0.ks_data_size = 1;
	kcid = kstat_read(kc, &k0, NULL);
	ks_check(kcid != -1 && k0.ks_ndata > 3 && k0.ks_data_size == k0.ks_ndata * LP64_KSTAT_SIZE,
		 "kid 0 into a 1-byte buffer: regrown on ENOMEM, headers read",
		 "kcid %d errno %s ndata %u size %lu", kcid, ks_errname(errno), k0.ks_ndata,
		 (unsigned long)k0.ks_data_size);
	if (kcid != -1)
		ks_check(((kstat_t *)k0.ks_data)[1].ks_kid == 1 &&
				 strcmp(((kstat_t *)k0.ks_data)[1].ks_name, "kstat_types") == 0,
			 "kid 0 records are this model's kstat_t", "no");
	free(k0.ks_data);

	errno = 0;
	ks_check(kstat_write(kc, cpu, NULL) == -1 && errno == EACCES,
		 "kstat_write of a read-only kstat: EACCES", "errno %s", ks_errname(errno));

	cfg = kstat_lookup(kc, "kstatd", 0, "config");
	ks_check(cfg && kstat_read(kc, cfg, NULL) != -1, "read kstatd:0:config", "no");
	if (cfg) {
		kstat_named_t *c = cfg->ks_data;

		cfg->ks_ndata++;
		errno = 0;
		ks_check(kstat_write(kc, cfg, NULL) == -1 && errno == EINVAL,
			 "kstat_write with another ks_ndata: EINVAL", "errno %s",
			 ks_errname(errno));
		cfg->ks_ndata--;
		cfg->ks_data_size -= 1;
		errno = 0;
		ks_check(kstat_write(kc, cfg, NULL) == -1 && errno == EINVAL,
			 "kstat_write with another ks_data_size: EINVAL", "errno %s",
			 ks_errname(errno));
		cfg->ks_data_size += 1;
		c[0].data_type = KSTAT_DATA_INT32;
		errno = 0;
		ks_check(kstat_write(kc, cfg, NULL) == -1 && errno == EINVAL,
			 "kstat_write changing a data type: EINVAL", "errno %s", ks_errname(errno));
		c[0].data_type = KSTAT_DATA_UINT64;
		c[0].value.ui64 += 2;
		errno = 0;
		ks_check(kstat_write(kc, cfg, NULL) == -1 && errno == EINVAL,
			 "kstat_write of a value the provider refuses: EINVAL", "errno %s",
			 ks_errname(errno));
		c[0].value.ui64 -= 2;
		ks_check(kstat_write(kc, cfg, NULL) != -1,
			 "kstat_write of kstatd:0:config as it is: the chain id", "errno %s",
			 ks_errname(errno));
	}

	for (ksp = kc->kc_chain; ksp && nsaved < 4096; ksp = ksp->ks_next)
		saved[nsaved++] = ksp;
	kcid = kstat_chain_update(kc);
	same = 1;
	ksp = kc->kc_chain;
	for (size_t i = 0; i < nsaved; i++, ksp = ksp ? ksp->ks_next : NULL)
		same &= ksp == saved[i];
	ks_check(kcid == 0 && same && !ksp,
		 "kstat_chain_update with nothing changed: 0, same entries", "returned %d", kcid);
}

static void check_unpriv(kstat_ctl_t *kc)
{
	int n = 0, eperm = 0;

	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next, n++) {
		errno = 0;
		if (kstat_read(kc, ksp, NULL) != -1 && kstat_write(kc, ksp, NULL) == -1 &&
		    errno == EPERM)
			eperm++;
		else
			fprintf(stderr, "  %s:%d:%s: %s\n", ksp->ks_module, ksp->ks_instance,
				ksp->ks_name, ks_errname(errno));
	}
	ks_check(n > 3 && eperm == n, "unprivileged: every kstat reads, every write gets EPERM",
		 "%d of %d", eperm, n);
}

static void check_fixture(kstat_ctl_t *kc)
{
	kstat_t *ksp, fixed;
	kstat_named_t *kn;
	char *buf;

	ksp = kstat_lookup(kc, "test", 0, "strings");
	ks_check(ksp && kstat_read(kc, ksp, NULL) != -1, "read test:0:strings", "%s",
		 ks_errname(errno));
	if (ksp) {
		ks_check_strings(ksp, ksp->ks_data, "libkstat ks_data");
		buf = malloc(ksp->ks_data_size);
		ks_check(kstat_read(kc, ksp, buf) != -1, "kstat_read into a buffer", "%s",
			 ks_errname(errno));
		ks_check_strings(ksp, buf, "libkstat buf");
		free(buf);
	}

	ksp = kstat_lookup(kc, "test", 0, "broken");
	errno = 0;
	ks_check(ksp && kstat_read(kc, ksp, NULL) == -1 && errno == EIO,
		 "a provider's update error reaches the reader (EIO)", "errno %s",
		 ks_errname(errno));

	ksp = kstat_lookup(kc, "test", 0, "fixed");
	if (ksp) {
		fixed = *ksp;
		fixed.ks_data = malloc(10);
		fixed.ks_data_size = 10;
		errno = 0;
		ks_check(kstat_read(kc, &fixed, NULL) == -1 && errno == ENOMEM &&
				 fixed.ks_data_size == ksp->ks_data_size,
			 "a fixed RAW kstat into a short buffer: ENOMEM, not regrown", "errno %s",
			 ks_errname(errno));
		free(fixed.ks_data);
	}

	ksp = kstat_lookup(kc, "test", 0, "rw");
	ks_check(ksp && kstat_read(kc, ksp, NULL) != -1, "read test:0:rw", "no");
	if (!ksp)
		return;
	kn = kstat_data_lookup(ksp, "value");
	kn->value.ui64 = 42;
	kn = kstat_data_lookup(ksp, "lval");
	kn->value.l = -7;
	ks_check(kstat_write(kc, ksp, NULL) != -1, "write test:0:rw: a UINT64 and a LONG", "%s",
		 ks_errname(errno));
	memset(ksp->ks_data, 0, ksp->ks_data_size);
	ks_check(kstat_read(kc, ksp, NULL) != -1 &&
			 ((kstat_named_t *)kstat_data_lookup(ksp, "value"))->value.ui64 == 42 &&
			 ((kstat_named_t *)kstat_data_lookup(ksp, "lval"))->value.l == -7,
		 "test:0:rw reads back what was written", "no");
	kn = kstat_data_lookup(ksp, "label");
	KSTAT_NAMED_STR_PTR(kn) = (char *)ksp->ks_data + ksp->ks_data_size + 64;
	errno = 0;
	ks_check(kstat_write(kc, ksp, NULL) == -1 && errno == EINVAL,
		 "a string pointer beyond the buffer: EINVAL", "errno %s", ks_errname(errno));
	KSTAT_NAMED_STR_PTR(kn) = (char *)ksp->ks_data + 8;
	errno = 0;
	ks_check(kstat_write(kc, ksp, NULL) == -1 && errno == EINVAL,
		 "a string pointer into the record array: EINVAL", "errno %s", ks_errname(errno));
}

static int write_cfg(kstat_ctl_t *kc, const char *prov, const char *val)
{
	kstat_t *cfg = kstat_lookup(kc, "kstatd", 0, "config");
	kstat_named_t *kn;

	if (!cfg || kstat_read(kc, cfg, NULL) == -1 || !(kn = kstat_data_lookup(cfg, prov))) {
		perror("kstatd:0:config");
		return 1;
	}
	kn->value.ui64 = strtoull(val, NULL, 10);
	if (kstat_write(kc, cfg, NULL) == -1) {
		printf("write: %s\n", ks_errname(errno));
		return 1;
	}
	printf("write: ok\n");
	return 0;
}

/*
 * An interval loop written for illumos, where /dev/kstat never goes away:
 * chain update, look up unix:0:system_misc, read it; n times, every
 * 100 ms.  One line a pass: "ok KCID LBOLT" or "err WHERE ERRNO".
 */
static int follow(kstat_ctl_t *kc, int n)
{
	kstat_named_t *kn;
	kstat_t *ksp;
	int ok = 0;

	/* whole lines only, whenever the test stops us */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n; i++, (void)poll(NULL, 0, 100)) {
		if (kstat_chain_update(kc) == -1) {
			printf("err chain %s\n", ks_errname(errno));
			continue;
		}
		ksp = kstat_lookup(kc, "unix", 0, "system_misc");
		if (!ksp || kstat_read(kc, ksp, NULL) == -1 ||
		    !(kn = kstat_data_lookup(ksp, "lbolt"))) {
			printf("err read %s\n", ks_errname(errno));
			continue;
		}
		printf("ok %d %llu\n", (int)kc->kc_chain_id, (unsigned long long)kn->value.ui64);
		ok++;
	}
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "walk";
	kstat_ctl_t *kc = kstat_open();

	if (!kc) {
		perror("kstat_open");
		return 100;
	}
	if (strcmp(mode, "walk") == 0)
		walk(kc, 1);
	else if (strcmp(mode, "errno") == 0)
		check_errno(kc);
	else if (strcmp(mode, "unpriv") == 0)
		check_unpriv(kc);
	else if (strcmp(mode, "fixture") == 0)
		check_fixture(kc);
	else if (strcmp(mode, "cfg") == 0 && argc == 4)
		return write_cfg(kc, argv[2], argv[3]);
	else if (strcmp(mode, "follow") == 0 && argc == 3)
		return follow(kc, atoi(argv[2]));
	else
		return 99;
	ks_check(kstat_close(kc) == 0, "kstat_close", "%s", ks_errname(errno));
	return ks_fails;
}
