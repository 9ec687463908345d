// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libkstat against a real kstatd with real BPF: the whole chain through
 * the illumos API, chain updates that keep unchanged entries, the ENOMEM
 * dance on kid 0, provider detach and re-attach through kstatd:0:config,
 * and an unprivileged client.  The suite "libkstat_engine" runs libkstat
 * against an in-process engine and server, for what the built-in
 * providers cannot show: EAGAIN back-off and LONGSTRINGS regrowth.
 */
#include <grp.h>
#include <pthread.h>
#include <sys/wait.h>

#include <kstat.h>

#include "daemon.h"
#include "ioctl_compat.h"

TestSuite(libkstat, .init = tdaemon_start, .fini = tdaemon_fini, .timeout = 60);

static int count_cpu_sys(kstat_ctl_t *kc)
{
	int n = 0;

	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next)
		n += strcmp(ksp->ks_module, "cpu") == 0 && strcmp(ksp->ks_name, "sys") == 0;
	return n;
}

Test(libkstat, walks_and_reads_every_kstat_of_the_chain)
{
	kstat_ctl_t *kc = kstat_open();
	kid_t last = -1, chain;
	int n = 0, gone = 0;

	cr_assert(kc, "kstat_open: %s", strerror(errno));
	cr_expect_gt(kc->kc_chain_id, 0);
	cr_expect_geq(kc->kc_kd, 0);
	chain = kc->kc_chain_id;
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next, n++) {
		kid_t kcid = kstat_read(kc, ksp, NULL);

		/* a device a suite running beside this one removed: its kstat went */
		if (kcid == -1 && errno == ENXIO) {
			gone++;
			continue;
		}
		/* a read after the chain moved returns the new chain id */
		cr_expect(kcid >= chain, "read %s:%d:%s: %s (chain %d)", ksp->ks_module,
			  ksp->ks_instance, ksp->ks_name, strerror(errno), (int)chain);
		cr_expect_gt(ksp->ks_kid, last, "kids in increasing order");
		cr_expect_gt(ksp->ks_snaptime, 0);
		last = ksp->ks_kid;
	}
	cr_expect_eq(kc->kc_chain->ks_kid, 0);
	cr_expect_eq(count_cpu_sys(kc), (int)sysconf(_SC_NPROCESSORS_ONLN),
		     "one cpu:N:sys per online CPU");
	if (gone) {
		/* a kstat whose device went while it was read goes at kstatd's next sync */
		kid_t moved = kstat_chain_update(kc);

		for (int i = 0; i < 30 && moved == 0; i++) {
			usleep(100000);
			moved = kstat_chain_update(kc);
		}
		cr_expect_gt(moved, chain, "%d kstats went: the chain moved", gone);
	}
	cr_expect_geq(n, 8);
	cr_expect_eq(kstat_close(kc), 0);
}

Test(libkstat, chain_update_returns_zero_when_unchanged_and_keeps_entries)
{
	kstat_ctl_t *kc = kstat_open();
	kstat_t *cpu, *saved[256];
	void *data;
	int n = 0;

	cr_assert(kc);
	cpu = kstat_lookup(kc, "cpu", 0, "sys");
	cr_assert(cpu);
	cr_assert_neq(kstat_read(kc, cpu, NULL), -1);
	data = cpu->ks_data;
	for (kstat_t *ksp = kc->kc_chain; ksp && n < 256; ksp = ksp->ks_next)
		saved[n++] = ksp;
	cr_expect_eq(kstat_chain_update(kc), 0);
	cr_expect_eq(kstat_chain_update(kc), 0);
	n = 0;
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next, n++)
		cr_expect_eq(ksp, saved[n], "entry %d is the same pointer", n);
	cr_expect_eq(cpu->ks_data, data, "cached data is kept");
	kstat_close(kc);
}

Test(libkstat, kid0_into_a_short_buffer_is_regrown)
{
	kstat_ctl_t *kc = kstat_open();
	kstat_t k0 = {};
	kid_t kcid;

	cr_assert(kc);
	k0.ks_data = malloc(1);
	k0.ks_data_size = 1;
	kcid = kstat_read(kc, &k0, NULL);
	cr_expect_eq(kcid, kc->kc_chain_id, "read kid 0: %s", strerror(errno));
	cr_expect(k0.ks_flags & KSTAT_FLAG_VAR_SIZE);
	cr_expect_eq(k0.ks_data_size, k0.ks_ndata * sizeof(kstat_t));
	cr_expect_eq(((kstat_t *)k0.ks_data)[0].ks_kid, 0);
	cr_expect_str_eq(((kstat_t *)k0.ks_data)[1].ks_name, "kstat_types");
	free(k0.ks_data);
	kstat_close(kc);
}

static int write_config(kstat_ctl_t *kc, const char *prov, uint64_t v)
{
	kstat_t *cfg = kstat_lookup(kc, "kstatd", 0, "config");
	kstat_named_t *kn;

	cr_assert(cfg);
	cr_assert_neq(kstat_read(kc, cfg, NULL), -1);
	kn = kstat_data_lookup(cfg, prov);
	cr_assert(kn, "kstatd:0:config has no %s", prov);
	kn->value.ui64 = v;
	return kstat_write(kc, cfg, NULL);
}

/* Update the chain until it has want cpu:N:sys kstats; ms taken, or -1 */
static long long wait_cpu_sys(kstat_ctl_t *kc, int want, long long limit_ms)
{
	long long t0 = mono_ms();

	do {
		cr_assert_neq(kstat_chain_update(kc), -1);
		if (count_cpu_sys(kc) == want)
			return mono_ms() - t0;
		usleep(10 * 1000);
	} while (mono_ms() - t0 < limit_ms);
	return -1;
}

static uint64_t sum_stat(kstat_ctl_t *kc, const char *stat, kstat_t *hdrs, int *n)
{
	uint64_t sum = 0;

	*n = 0;
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		kstat_named_t *kn;

		if (strcmp(ksp->ks_module, "cpu") || strcmp(ksp->ks_name, "sys"))
			continue;
		cr_assert_neq(kstat_read(kc, ksp, NULL), -1);
		kn = kstat_data_lookup(ksp, stat);
		cr_assert(kn);
		sum += kn->value.ui64;
		if (hdrs) {
			hdrs[*n] = *ksp;
			hdrs[*n].ks_data = NULL;
		}
		(*n)++;
	}
	return sum;
}

Test(libkstat, config_detaches_and_reattaches_a_provider)
{
	kstat_ctl_t *kc = kstat_open();
	kstat_t old[64], gone;
	uint64_t before, after;
	int ncpu, n;
	kid_t id0, id1, id2;
	long long ms;

	cr_assert(kc);
	ncpu = count_cpu_sys(kc);
	cr_assert_gt(ncpu, 0);
	before = sum_stat(kc, "pswitch", old, &n);
	cr_assert_gt(before, 0);
	id0 = kc->kc_chain_id;

	cr_assert_neq(write_config(kc, "cpu_sys", 0), -1, "detach: %s", strerror(errno));
	ms = wait_cpu_sys(kc, 0, 1000);
	cr_expect_geq(ms, 0, "cpu:N:sys still there a second after the detach");
	id1 = kc->kc_chain_id;
	cr_expect_neq(id1, id0, "the chain id moves");
	gone = old[0];
	errno = 0;
	cr_expect_eq(kstat_read(kc, &gone, NULL), -1);
	cr_expect_eq(errno, ENXIO, "a deleted kstat reads ENXIO, got %s", strerror(errno));
	free(gone.ks_data);
	cr_expect(kstat_lookup(kc, "kstatd", 0, "cpu_sys"));
	{
		kstat_t *self = kstat_lookup(kc, "kstatd", 0, "cpu_sys");

		cr_assert_neq(kstat_read(kc, self, NULL), -1);
		cr_expect_eq(((kstat_named_t *)kstat_data_lookup(self, "attached"))->value.ui64, 0);
	}

	cr_assert_neq(write_config(kc, "cpu_sys", 1), -1, "attach: %s", strerror(errno));
	ms = wait_cpu_sys(kc, ncpu, 1000);
	cr_expect_geq(ms, 0, "cpu:N:sys not back a second after the attach");
	id2 = kc->kc_chain_id;
	cr_expect_neq(id2, id1, "the chain id moves again");
	after = sum_stat(kc, "pswitch", NULL, &n);
	cr_expect_eq(n, ncpu);
	cr_expect_geq(after, before, "counters continue (%llu before, %llu after)",
		      (unsigned long long)before, (unsigned long long)after);
	cr_expect_gt(kstat_lookup(kc, "cpu", 0, "sys")->ks_kid, old[0].ks_kid,
		     "recreated kstats get new kids");
	kstat_close(kc);
}

/* In a child with another uid: every kstat reads, every write gets EPERM */
static int unprivileged_child(void)
{
	int n = 0, gone = 0, bad = 0;
	kstat_ctl_t *kc;

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534) || geteuid() != 65534)
		return 100;
	kc = kstat_open();
	if (!kc)
		return 101;
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next, n++) {
		/* a device a suite running beside this one removed: its kstat went (ENXIO) */
		if (kstat_read(kc, ksp, NULL) == -1) {
			if (errno == ENXIO)
				gone++;
			else
				bad++;
			continue;
		}
		errno = 0;
		if (kstat_write(kc, ksp, NULL) != -1 || (errno != EPERM && errno != ENXIO))
			bad++;
	}
	kstat_close(kc);
	return n - gone < 8 ? 102 : bad;
}

Test(libkstat, another_uid_reads_everything_and_gets_eperm_on_writes)
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(unprivileged_child());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status));
	cr_expect_eq(WEXITSTATUS(status), 0, "child failed with %d", WEXITSTATUS(status));
}

Test(libkstat, kstat_open_fails_when_kstatd_is_not_there)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/absent.sock", td.dir);
	setenv("KSTAT_SOCKET", path, 1);
	errno = 0;
	cr_expect_null(kstat_open());
	cr_expect_eq(errno, ENOENT);
}

Test(libkstat, stops_cleanly_on_sigterm_and_removes_its_socket)
{
	struct stat st;

	cr_assert_eq(stat(td.sock, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode));
	cr_expect_eq(st.st_mode & 0777, 0666, "world-connectable like /dev/kstat");
	cr_expect_eq(tdaemon_stop(), 0);
	cr_expect_neq(stat(td.sock, &st), 0, "socket removed");
}

/* ---- against an in-process engine and server: no BPF needed ---- */

static struct snap *es;
static struct ioc_server *esrv;
static char esock[64];

static void engine_init(void)
{
	snprintf(esock, sizeof(esock), "/tmp/kstatd-lib-%d.sock", (int)getpid());
	es = snap_new();
	cr_assert(es);
	esrv = ioc_new(es, esock);
	cr_assert(esrv, "ioc_new: %s", strerror(errno));
	cr_assert_eq(ioc_start(esrv), 0);
	setenv("KSTAT_SOCKET", esock, 1);
}

static void engine_fini(void)
{
	ioc_free(esrv);
	snap_free(es);
}

TestSuite(libkstat_engine, .init = engine_init, .fini = engine_fini, .timeout = 30);

static void *install_later(void *arg)
{
	usleep(300 * 1000);
	snap_install(es, arg);
	return NULL;
}

Test(libkstat_engine, read_of_an_invalid_kstat_is_retried_until_it_is_installed)
{
	kstat_t *ksp = snap_create(es, "test", 0, "late", "test", KSTAT_TYPE_RAW, 16, 0);
	kstat_ctl_t *kc = kstat_open();
	kstat_t k = {};
	long long t0, ms;
	pthread_t tid;

	cr_assert(ksp && kc);
	memset(ksp->ks_data, 7, 16);
	k.ks_kid = ksp->ks_kid;
	k.ks_data_size = 16;
	pthread_create(&tid, NULL, install_later, ksp);
	t0 = mono_ms();
	cr_expect_neq(kstat_read(kc, &k, NULL), -1, "%s", strerror(errno));
	ms = mono_ms() - t0;
	pthread_join(tid, NULL);
	cr_expect_geq(ms, 250, "EAGAIN retried with a back-off (%lld ms)", ms);
	cr_expect_lt(ms, 1000);
	cr_expect_eq(((unsigned char *)k.ks_data)[15], 7);
	free(k.ks_data);
	kstat_close(kc);
}

Test(libkstat_engine, write_to_an_invalid_kstat_is_retried_until_it_is_installed)
{
	kstat_t *ksp = snap_create(es, "test", 0, "latew", "test", KSTAT_TYPE_RAW, 16,
				   KSTAT_FLAG_WRITABLE);
	kstat_ctl_t *kc = kstat_open();
	unsigned char data[16];
	kstat_t k = {};
	long long t0, ms;
	pthread_t tid;

	cr_assert(ksp && kc);
	memset(data, 9, sizeof(data));
	k.ks_kid = ksp->ks_kid;
	k.ks_ndata = sizeof(data);
	k.ks_data_size = sizeof(data);
	pthread_create(&tid, NULL, install_later, ksp);
	t0 = mono_ms();
	cr_expect_neq(kstat_write(kc, &k, data), -1, "%s", strerror(errno));
	ms = mono_ms() - t0;
	pthread_join(tid, NULL);
	cr_expect_geq(ms, 250, "EAGAIN retried with a back-off (%lld ms)", ms);
	cr_expect_eq(((unsigned char *)ksp->ks_data)[15], 9, "the write landed");
	free(k.ks_data);
	kstat_close(kc);
}

static char grown[200] = "short";

static int strings_update(kstat_t *ksp, int rw)
{
	kstat_named_t *kn = ksp->ks_data;

	(void)rw;
	snap_named_setstr(kn, grown);
	ksp->ks_data_size = sizeof(*kn) + KSTAT_NAMED_STR_BUFLEN(kn);
	return 0;
}

Test(libkstat_engine, longstrings_kstat_is_regrown_but_a_fixed_one_is_not)
{
	static kstat_named_t kn[1];
	kstat_t *ksp, *k, *fixed;
	kstat_ctl_t *kc;
	char *buf;

	snap_named_init(&kn[0], "s", KSTAT_DATA_STRING);
	ksp = snap_create(es, "test", 0, "grows", "test", KSTAT_TYPE_NAMED, 1,
			  KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_LONGSTRINGS);
	cr_assert(ksp);
	ksp->ks_data = kn;
	ksp->ks_update = strings_update;
	snap_install(es, ksp);
	fixed = snap_create(es, "test", 0, "fixed", "test", KSTAT_TYPE_RAW, 64, 0);
	snap_install(es, fixed);

	kc = kstat_open();
	cr_assert(kc);
	k = kstat_lookup(kc, "test", 0, "grows");
	cr_assert(k);
	cr_assert_neq(kstat_read(kc, k, NULL), -1);
	cr_expect_str_eq(KSTAT_NAMED_STR_PTR((kstat_named_t *)k->ks_data), "short");

	memset(grown, 'x', sizeof(grown) - 1);
	cr_expect_neq(kstat_read(kc, k, NULL), -1, "regrown: %s", strerror(errno));
	cr_expect_eq(k->ks_data_size, sizeof(kstat_named_t) + sizeof(grown));
	cr_expect_eq(strlen(KSTAT_NAMED_STR_PTR((kstat_named_t *)k->ks_data)), sizeof(grown) - 1);
	buf = malloc(k->ks_data_size);
	cr_expect_neq(kstat_read(kc, k, buf), -1);
	cr_expect_eq(KSTAT_NAMED_STR_PTR((kstat_named_t *)buf), buf + sizeof(kstat_named_t),
		     "the string points into the caller's buf");
	free(buf);

	k = kstat_lookup(kc, "test", 0, "fixed");
	cr_assert(k);
	k->ks_data_size = 32;
	errno = 0;
	cr_expect_eq(kstat_read(kc, k, NULL), -1);
	cr_expect_eq(errno, ENOMEM);
	cr_expect_eq(k->ks_data_size, 64, "the size it needs");
	kstat_close(kc);
}
