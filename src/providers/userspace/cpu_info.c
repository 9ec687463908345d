// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpu_info:N:cpu_infoN as illumos has it (the statistics node_exporter's
 * cpu and cpufreq collectors and psrinfo read), from what Linux says of
 * each CPU: /proc/cpuinfo (brand, vendor, family, model, stepping, clock),
 * the CPU's topology (chip and core) and cpufreq (clocks) in sysfs.  What
 * does not change is read once; the state and clock on each read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/libbpf.h>

#include "cpu_info.h"
#include "os/cpus.h"
#include "engine/snapshot.h"

#define CPU_DIR "/sys/devices/system/cpu"

enum ci_stat {
	CI_STATE,
	CI_STATE_BEGIN,
	CI_CPU_TYPE,
	CI_FPU_TYPE,
	CI_CLOCK_MHZ,
	CI_CHIP_ID,
	CI_CORE_ID,
	CI_IMPLEMENTATION,
	CI_BRAND,
	CI_VENDOR_ID,
	CI_FAMILY,
	CI_MODEL,
	CI_STEPPING,
	CI_SUPPORTED_FREQUENCIES_HZ,
	CI_CURRENT_CLOCK_HZ,
	CI_NSTATS,
};

static const struct {
	const char *name;
	uchar_t type;
	struct snap_stat_meta meta;
} ci_stats[CI_NSTATS] = {
	{ "state", KSTAT_DATA_STRING, { SNAP_UNTYPED, NULL, "on-line or off-line", NULL, 0 } },
	{ "state_begin",
	  KSTAT_DATA_INT64,
	  { SNAP_GAUGE, "s", "When the CPU came to its state, seconds since the epoch", NULL, 0 } },
	{ "cpu_type", KSTAT_DATA_STRING, { SNAP_UNTYPED, NULL, "Architecture", NULL, 0 } },
	{ "fpu_type", KSTAT_DATA_STRING, { SNAP_UNTYPED, NULL, "Floating-point unit", NULL, 0 } },
	{ "clock_MHz",
	  KSTAT_DATA_INT64,
	  { SNAP_GAUGE, "MHz", "Rated clock in MHz (cpufreq's maximum, or /proc/cpuinfo's)", NULL,
	    0 } },
	{ "chip_id",
	  KSTAT_DATA_INT64,
	  { SNAP_GAUGE, "count", "Physical package (socket)", NULL, 0 } },
	{ "core_id",
	  KSTAT_DATA_INT64,
	  { SNAP_GAUGE, "count", "Core within its package", NULL, 0 } },
	{ "implementation", KSTAT_DATA_STRING, { SNAP_UNTYPED, NULL, "Implementation", NULL, 0 } },
	{ "brand", KSTAT_DATA_STRING, { SNAP_UNTYPED, NULL, "Brand string", NULL, 0 } },
	{ "vendor_id", KSTAT_DATA_STRING, { SNAP_UNTYPED, NULL, "Vendor", NULL, 0 } },
	{ "family", KSTAT_DATA_INT32, { SNAP_GAUGE, "count", "CPU family", NULL, 0 } },
	{ "model", KSTAT_DATA_INT32, { SNAP_GAUGE, "count", "CPU model", NULL, 0 } },
	{ "stepping", KSTAT_DATA_INT32, { SNAP_GAUGE, "count", "CPU stepping", NULL, 0 } },
	{ "supported_frequencies_Hz",
	  KSTAT_DATA_STRING,
	  { SNAP_UNTYPED, NULL, "Clocks the CPU can run at, in Hz, ':' between", NULL, 0 } },
	{ "current_clock_Hz",
	  KSTAT_DATA_UINT64,
	  { SNAP_GAUGE, "Hz", "Current clock in Hz", NULL, 0 } },
};

struct ci_cpu {
	struct cpu_info *ci;
	int cpu;
	kstat_t *ksp;
	kstat_named_t data[CI_NSTATS];
	char state[16], cpu_type[32], fpu_type[32], impl[200], brand[128], vendor[48];
	char freqs[1024];
	uint64_t mhz_hz; /* /proc/cpuinfo's clock at start, Hz */
	int family, model, stepping;
};

struct cpu_info {
	struct snap *snap;
	struct snap_stat_meta meta[CI_NSTATS];
	struct ci_cpu *cpus;
	int ncpus;
	int64_t boot;
};

/* One line of a sysfs file, without its newline; false if there is none */
static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static bool cpu_file(int cpu, const char *rel, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), CPU_DIR "/cpu%d/%s", cpu, rel);
	return read_line(path, buf, len);
}

static int64_t cpu_file_i64(int cpu, const char *rel, int64_t dflt)
{
	char buf[64], *end;
	long long v;

	if (!cpu_file(cpu, rel, buf, sizeof(buf)))
		return dflt;
	v = strtoll(buf, &end, 10);
	return end == buf ? dflt : v;
}

static int64_t boot_time(void)
{
	char line[256];
	long long bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

/* "key<tabs>: value" from a /proc/cpuinfo line, value copied into out */
static bool cpuinfo_field(const char *line, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *v;

	if (strncmp(line, key, klen) != 0 ||
	    (line[klen] != '\t' && line[klen] != ' ' && line[klen] != ':'))
		return false;
	v = strchr(line + klen, ':');
	if (!v)
		return false;
	for (v++; *v == ' '; v++)
		;
	snprintf(out, len, "%.*s", (int)strcspn(v, "\n"), v);
	return true;
}

/* What /proc/cpuinfo says of each CPU, for those in cpus */
static void read_cpuinfo(struct cpu_info *ci)
{
	char line[1024], val[256];
	struct ci_cpu *c = NULL;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (cpuinfo_field(line, "processor", val, sizeof(val))) {
			int n = atoi(val);

			c = NULL;
			for (int i = 0; i < ci->ncpus; i++)
				if (ci->cpus[i].cpu == n)
					c = &ci->cpus[i];
			continue;
		}
		if (!c)
			continue;
		if (cpuinfo_field(line, "vendor_id", val, sizeof(val)))
			snprintf(c->vendor, sizeof(c->vendor), "%.47s", val);
		else if (cpuinfo_field(line, "model name", val, sizeof(val)))
			snprintf(c->brand, sizeof(c->brand), "%.127s", val);
		else if (cpuinfo_field(line, "cpu family", val, sizeof(val)))
			c->family = atoi(val);
		else if (cpuinfo_field(line, "model", val, sizeof(val)))
			c->model = atoi(val);
		else if (cpuinfo_field(line, "stepping", val, sizeof(val)))
			c->stepping = atoi(val);
		else if (cpuinfo_field(line, "cpu MHz", val, sizeof(val)))
			c->mhz_hz = (uint64_t)(strtod(val, NULL) * 1e6 + 0.5);
	}
	fclose(f);
}

/* cpufreq's available frequencies (kHz) as illumos lists them: Hz, ':' between */
static void supported_frequencies(struct ci_cpu *c, int64_t clock_mhz)
{
	char list[512], *p, *end;
	size_t off = 0;

	c->freqs[0] = '\0';
	if (cpu_file(c->cpu, "cpufreq/scaling_available_frequencies", list, sizeof(list))) {
		for (p = list;; p = end) {
			unsigned long long khz = strtoull(p, &end, 10);

			if (end == p || off >= sizeof(c->freqs) - 24)
				break;
			off += (size_t)snprintf(c->freqs + off, sizeof(c->freqs) - off, "%s%llu",
						off ? ":" : "", khz * 1000);
		}
	}
	if (!off)
		snprintf(c->freqs, sizeof(c->freqs), "%lld", (long long)clock_mhz * 1000000);
}

static int ci_update(kstat_t *ksp, int rw)
{
	struct ci_cpu *c = ksp->ks_private;
	kstat_named_t *kn = c->data;
	size_t size = sizeof(c->data);
	int64_t khz;

	if (rw == KSTAT_WRITE)
		return EACCES;
	/* cpu0 often cannot go offline and has no online file */
	snprintf(c->state, sizeof(c->state), "%s",
		 cpu_file_i64(c->cpu, "online", 1) ? "on-line" : "off-line");
	khz = cpu_file_i64(c->cpu, "cpufreq/scaling_cur_freq", -1);
	kn[CI_CURRENT_CLOCK_HZ].value.ui64 = khz > 0 ? (uint64_t)khz * 1000 : c->mhz_hz;
	for (int i = 0; i < CI_NSTATS; i++)
		if (kn[i].data_type == KSTAT_DATA_STRING) {
			snap_named_setstr(&kn[i], KSTAT_NAMED_STR_PTR(&kn[i]));
			size += KSTAT_NAMED_STR_BUFLEN(&kn[i]);
		}
	ksp->ks_data_size = size;
	return 0;
}

static void fill_static(struct cpu_info *ci, struct ci_cpu *c, const struct utsname *u)
{
	kstat_named_t *kn = c->data;
	bool x86 = strcmp(u->machine, "x86_64") == 0 || strcmp(u->machine, "i686") == 0;
	int64_t mhz;

	for (int i = 0; i < CI_NSTATS; i++)
		snap_named_init(&kn[i], ci_stats[i].name, ci_stats[i].type);
	/* illumos calls every x86 CPU i386, 64-bit ones too */
	snprintf(c->cpu_type, sizeof(c->cpu_type), "%.31s", x86 ? "i386" : u->machine);
	snprintf(c->fpu_type, sizeof(c->fpu_type), "%s", x86 ? "i387 compatible" : "");
	kn[CI_STATE_BEGIN].value.i64 = ci->boot;
	kn[CI_FAMILY].value.i32 = c->family;
	kn[CI_MODEL].value.i32 = c->model;
	kn[CI_STEPPING].value.i32 = c->stepping;
	kn[CI_CHIP_ID].value.i64 = cpu_file_i64(c->cpu, "topology/physical_package_id", -1);
	kn[CI_CORE_ID].value.i64 = cpu_file_i64(c->cpu, "topology/core_id", -1);
	mhz = cpu_file_i64(c->cpu, "cpufreq/cpuinfo_max_freq", -1);
	mhz = mhz > 0 ? mhz / 1000 : (int64_t)((c->mhz_hz + 500000) / 1000000);
	kn[CI_CLOCK_MHZ].value.i64 = mhz;
	snprintf(c->impl, sizeof(c->impl),
		 "%.31s (%.47s family %d model %d step %d clock %lld MHz)",
		 x86 ? "x86" : u->machine, c->vendor, c->family, c->model, c->stepping,
		 (long long)mhz);
	supported_frequencies(c, mhz);
	snap_named_setstr(&kn[CI_STATE], c->state);
	snap_named_setstr(&kn[CI_CPU_TYPE], c->cpu_type);
	snap_named_setstr(&kn[CI_FPU_TYPE], c->fpu_type);
	snap_named_setstr(&kn[CI_IMPLEMENTATION], c->impl);
	snap_named_setstr(&kn[CI_BRAND], c->brand);
	snap_named_setstr(&kn[CI_VENDOR_ID], c->vendor);
	snap_named_setstr(&kn[CI_SUPPORTED_FREQUENCIES_HZ], c->freqs);
}

struct cpu_info *cpu_info_new(struct snap *s)
{
	struct cpu_info *ci = calloc(1, sizeof(*ci));
	int possible = libbpf_num_possible_cpus();
	struct utsname u;
	bool *online;

	if (!ci)
		return NULL;
	ci->snap = s;
	ci->boot = boot_time();
	for (int i = 0; i < CI_NSTATS; i++)
		ci->meta[i] = ci_stats[i].meta;
	online = calloc((size_t)possible, sizeof(*online));
	ci->cpus = calloc((size_t)possible, sizeof(*ci->cpus));
	if (possible <= 0 || !online || !ci->cpus || uname(&u)) {
		free(online);
		cpu_info_free(ci);
		errno = ENOMEM;
		return NULL;
	}
	if (cpus_online(online, possible) < 0)
		memset(online, 1, (size_t)possible * sizeof(*online));
	for (int cpu = 0; cpu < possible; cpu++)
		if (online[cpu])
			ci->cpus[ci->ncpus++].cpu = cpu;
	free(online);
	read_cpuinfo(ci);
	for (int i = 0; i < ci->ncpus; i++) {
		struct ci_cpu *c = &ci->cpus[i];
		char name[KSTAT_STRLEN];

		c->ci = ci;
		fill_static(ci, c, &u);
		snprintf(name, sizeof(name), "cpu_info%d", c->cpu);
		c->ksp = snap_create(s, "cpu_info", c->cpu, name, "misc", KSTAT_TYPE_NAMED,
				     CI_NSTATS, KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE);
		if (!c->ksp) {
			int err = errno;

			cpu_info_free(ci);
			errno = err;
			return NULL;
		}
		c->ksp->ks_data = c->data;
		c->ksp->ks_private = c;
		c->ksp->ks_update = ci_update;
		(void)ci_update(c->ksp, KSTAT_READ);
		snap_set_meta(c->ksp, ci->meta);
		snap_install(s, c->ksp);
	}
	return ci;
}

void cpu_info_free(struct cpu_info *ci)
{
	if (!ci)
		return;
	for (int i = 0; ci->cpus && i < ci->ncpus; i++)
		if (ci->cpus[i].ksp)
			snap_delete(ci->snap, ci->cpus[i].ksp);
	free(ci->cpus);
	free(ci);
}
