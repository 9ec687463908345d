// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A libkstat reader for the churn test: for SECONDS, follow the chain and
 * read every kstat, again and again, while disks and NICs come and go.
 *   kstat_reader SECONDS
 * Fails (exit 1, a line saying why) on an error other than ENXIO (the
 * kstat went) or EAGAIN (it is being made), or on an inconsistent read:
 * a header that does not fit its data, a name without its NUL, a
 * snaptime or a counter of disk, disk_lat or link kstats that goes back
 * for the same kid.  Prints one line of counts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kstat.h>

#define SLOTS 65536 /* kids remembered; far more than a test makes */
#define MAX_VALS 64

struct seen {
	kid_t kid; /* 0: free */
	hrtime_t snaptime;
	size_t n;
	uint64_t val[MAX_VALS];
};

static struct seen seen[SLOTS];
static unsigned long reads, enxio, eagain, updates, checked, kids;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct seen *slot(kid_t kid)
{
	for (size_t i = 0; i < SLOTS; i++) {
		struct seen *s = &seen[((size_t)kid * 2654435761u + i) % SLOTS];

		if (s->kid == kid)
			return s;
		if (s->kid == 0) {
			s->kid = kid;
			kids++;
			return s;
		}
	}
	return NULL;
}

static int bad(const kstat_t *ksp, const char *why)
{
	fprintf(stderr, "kstat_reader: %s:%d:%s (kid %d): %s\n", ksp->ks_module, ksp->ks_instance,
		ksp->ks_name, (int)ksp->ks_kid, why);
	return -1;
}

/* The counters of a kstat whose every counter only goes up, or 0 */
static size_t counters(const kstat_t *ksp, uint64_t *v)
{
	size_t n = 0;

	if (ksp->ks_type == KSTAT_TYPE_IO &&
	    (!strcmp(ksp->ks_class, "disk") || !strcmp(ksp->ks_class, "partition") ||
	     !strcmp(ksp->ks_class, "stacked"))) {
		const kstat_io_t *io = ksp->ks_data;

		v[n++] = io->nread;
		v[n++] = io->nwritten;
		v[n++] = io->reads;
		v[n++] = io->writes;
		v[n++] = (uint64_t)io->wtime;
		v[n++] = (uint64_t)io->wlentime;
		v[n++] = (uint64_t)io->rtime;
		v[n++] = (uint64_t)io->rlentime;
		return n;
	}
	if (ksp->ks_type == KSTAT_TYPE_NAMED &&
	    (strcmp(ksp->ks_module, "link") == 0 || strcmp(ksp->ks_class, "disk_info") == 0)) {
		const kstat_named_t *kn = ksp->ks_data;

		for (uint_t i = 0; i < ksp->ks_ndata && n < MAX_VALS; i++)
			if (kn[i].data_type == KSTAT_DATA_UINT64)
				v[n++] = kn[i].value.ui64;
	}
	return n;
}

static int check(const kstat_t *ksp)
{
	uint64_t v[MAX_VALS];
	struct seen *s;
	size_t n;

	if (!memchr(ksp->ks_module, '\0', KSTAT_STRLEN) ||
	    !memchr(ksp->ks_name, '\0', KSTAT_STRLEN))
		return bad(ksp, "a name without its NUL");
	if (ksp->ks_type == KSTAT_TYPE_NAMED) {
		const kstat_named_t *kn = ksp->ks_data;

		if (ksp->ks_ndata * sizeof(*kn) > ksp->ks_data_size)
			return bad(ksp, "more records than data");
		for (uint_t i = 0; i < ksp->ks_ndata; i++)
			if (!memchr(kn[i].name, '\0', KSTAT_STRLEN) ||
			    kn[i].data_type > KSTAT_DATA_STRING)
				return bad(ksp, "a broken record");
	} else if (ksp->ks_type == KSTAT_TYPE_IO && ksp->ks_data_size < sizeof(kstat_io_t)) {
		return bad(ksp, "an IO kstat smaller than kstat_io_t");
	}
	s = slot(ksp->ks_kid);
	if (!s)
		return 0;
	if (ksp->ks_snaptime < s->snaptime)
		return bad(ksp, "snaptime went back");
	s->snaptime = ksp->ks_snaptime;
	n = counters(ksp, v);
	if (n && s->n == n) {
		for (size_t i = 0; i < n; i++) {
			if (v[i] < s->val[i]) {
				char why[96];

				snprintf(why, sizeof(why),
					 "counter %zu went back from %llu to %llu", i,
					 (unsigned long long)s->val[i], (unsigned long long)v[i]);
				return bad(ksp, why);
			}
		}
		checked++;
	}
	s->n = n;
	memcpy(s->val, v, n * sizeof(v[0]));
	return 0;
}

int main(int argc, char **argv)
{
	double end = now_s() + (argc > 1 ? atof(argv[1]) : 10);
	kstat_ctl_t *kc = kstat_open();
	int rc = 0;

	if (!kc) {
		perror("kstat_reader: kstat_open");
		return 1;
	}
	while (!rc && now_s() < end) {
		kid_t id = kstat_chain_update(kc);

		if (id == -1) {
			perror("kstat_reader: kstat_chain_update");
			rc = 1;
			break;
		}
		updates += id > 0;
		for (kstat_t *ksp = kc->kc_chain; ksp && !rc; ksp = ksp->ks_next) {
			if (kstat_read(kc, ksp, NULL) == -1) {
				if (errno == ENXIO) {
					enxio++;
					break; /* the chain changed: follow it again */
				}
				if (errno == EAGAIN) {
					eagain++;
					continue;
				}
				fprintf(stderr, "kstat_reader: read %s:%d:%s: %s\n", ksp->ks_module,
					ksp->ks_instance, ksp->ks_name, strerror(errno));
				rc = 1;
				break;
			}
			reads++;
			if (check(ksp))
				rc = 1;
		}
	}
	printf("reads %lu checked %lu kids %lu chain_updates %lu enxio %lu eagain %lu%s\n", reads,
	       checked, kids, updates, enxio, eagain, rc ? " FAILED" : "");
	kstat_close(kc);
	return rc;
}
