// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The key decoders: block devices from /sys/dev/block, IRQs from
 * /sys/kernel/irq, system calls from the build's own table.  Network
 * interfaces, which live in namespaces, are in keydec_net.c, packet drop
 * reasons in keydec_drop.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keydec.h"
#include "os/readall.h"
#include "bpf/syscall.h"
#include "syscall_names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct keydec_pass {
	const struct keydec_ops *ops;
	void *priv;
};

int keydec_push(uint64_t **keys, size_t *n, size_t *cap, uint64_t key)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		uint64_t *nk = realloc(*keys, nc * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		*keys = nk;
		*cap = nc;
	}
	(*keys)[(*n)++] = key;
	return 0;
}

/* A device name as ks_name, or false if it cannot be one unchanged */
static bool set_name(struct keydec_ent *out, const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= sizeof(out->name))
		return false;
	memcpy(out->name, name, len + 1);
	return true;
}

/*
 * blkdev: the low 32 bits are the disk's dev_t as the kernel encodes it
 * (major << 20 | minor), the high 32 bits its diskseq, which the kernel
 * bumps whenever the medium changes: a loop device detached, or attached
 * to another file, is another disk.
 */
#define BLK_MINORBITS 20

static int blk_diskseq(unsigned int major, unsigned int minor, uint32_t *seq)
{
	char path[64], buf[32];
	int err;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/diskseq", major, minor);
	err = readall_small(path, buf, sizeof(buf));
	*seq = 0; /* kernels before 5.15 have none: every key says 0 */
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	*seq = (uint32_t)strtoull(buf, NULL, 10);
	return 0;
}

static int blk_decode(void *pass, uint64_t key, struct keydec_ent *out)
{
	unsigned int major = (uint32_t)key >> BLK_MINORBITS;
	unsigned int minor = (uint32_t)key & ((1U << BLK_MINORBITS) - 1);
	char path[64], link[PATH_MAX];
	const char *base;
	uint32_t seq;
	ssize_t n;

	(void)pass;
	out->instance = (int)(uint32_t)key;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major, minor);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? KD_GONE : KD_UNKNOWN;
	link[n] = '\0';
	if (blk_diskseq(major, minor, &seq))
		return KD_UNKNOWN;
	if (seq != (uint32_t)(key >> 32))
		return KD_GONE;
	base = strrchr(link, '/');
	if (!set_name(out, base ? base + 1 : link))
		snprintf(out->name, sizeof(out->name), "dev%u_%u", major, minor);
	return KD_ALIVE;
}

/* Whole disks with a medium (a detached loop device has size 0) */
static int blk_enumerate(void *pass, uint64_t **keys)
{
	DIR *d = opendir("/sys/block");
	size_t n = 0, cap = 0;
	struct dirent *de;
	int err = 0;

	(void)pass;
	*keys = NULL;
	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		unsigned int major, minor;
		char path[300], buf[64];
		uint32_t seq;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/size", de->d_name);
		if (readall_small(path, buf, sizeof(buf)) || strtoull(buf, NULL, 10) == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dev", de->d_name);
		if (readall_small(path, buf, sizeof(buf)) ||
		    sscanf(buf, "%u:%u", &major, &minor) != 2 || blk_diskseq(major, minor, &seq))
			continue;
		err = keydec_push(keys, &n, &cap,
				  (uint64_t)seq << 32 | major << BLK_MINORBITS | minor);
	}
	closedir(d);
	if (err) {
		free(*keys);
		*keys = NULL;
		return err;
	}
	return (int)n;
}

static const struct keydec_ops keydec_blkdev = {
	.name = "blkdev",
	.key_size = 8,
	.decode = blk_decode,
	.enumerate = blk_enumerate,
};

/*
 * irq: the IRQ number.  An IRQ exists while /sys/kernel/irq/<n> lists a
 * handler; its kstat is named after the first (illumos names interrupt
 * kstats after their driver).  The directory is read once per pass.
 */
struct irq_pass {
	size_t n;
	struct {
		uint32_t irq;
		char name[KSTAT_STRLEN];
	} * v;
};

/* ':' separates the parts of a kstat's address: "ACPI:Ged" becomes ACPI_Ged */
static void irq_name(uint32_t irq, const char *actions, char *name)
{
	size_t len = strcspn(actions, ",");

	if (len == 0 || len >= KSTAT_STRLEN) {
		snprintf(name, KSTAT_STRLEN, "irq%u", irq);
		return;
	}
	for (size_t i = 0; i < len; i++)
		name[i] = actions[i] == ':' || actions[i] == ' ' ? '_' : actions[i];
	name[len] = '\0';
}

/*
 * What each IRQ's actions file said when last read, sorted by IRQ.  A
 * file is read again after IRQ_REREAD_NS: an IRQ that comes or goes
 * shows at the next pass (the directory is listed every pass), a handler
 * added to or freed from an IRQ that stays, within that time.  Reading
 * every IRQ's file on every pass was most of an idle kstatd's system
 * calls, and hosts have hundreds of IRQs.
 */
#define IRQ_REREAD_NS (10ull * 1000000000ull)

struct irq_seen {
	uint32_t irq;
	bool handled; /* its actions list a handler */
	char name[KSTAT_STRLEN];
	unsigned long long read_ns;
};

static pthread_mutex_t irq_seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct irq_seen *irq_seen;
static size_t irq_nseen;

static int cmp_seen(const void *a, const void *b)
{
	uint32_t x = ((const struct irq_seen *)a)->irq, y = ((const struct irq_seen *)b)->irq;

	return x < y ? -1 : x > y;
}

static unsigned long long coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* IRQ irq as listed now: from what was seen, or its actions file read again */
static struct irq_seen see_irq(uint32_t irq, const char *dname, unsigned long long now)
{
	struct irq_seen key = { .irq = irq }, e = key, *old;
	char path[300], buf[512];

	old = irq_seen ? bsearch(&key, irq_seen, irq_nseen, sizeof(key), cmp_seen) : NULL;
	if (old && now - old->read_ns < IRQ_REREAD_NS)
		return *old;
	snprintf(path, sizeof(path), "/sys/kernel/irq/%s/actions", dname);
	e.handled = readall_small(path, buf, sizeof(buf)) == 0 && buf[0];
	if (e.handled)
		irq_name(irq, buf, e.name);
	e.read_ns = now;
	return e;
}

static void *irq_begin(void)
{
	struct irq_pass *p = calloc(1, sizeof(*p));
	DIR *d = opendir("/sys/kernel/irq");
	unsigned long long now;
	struct irq_seen *seen = NULL;
	size_t nseen = 0, cap = 0, pcap = 0;
	struct dirent *de;

	if (!p || !d) {
		if (d)
			closedir(d);
		return p; /* no sparse IRQs: every key is unknown */
	}
	pthread_mutex_lock(&irq_seen_lock);
	now = coarse_ns();
	while ((de = readdir(d))) {
		char *end;
		unsigned long irq = strtoul(de->d_name, &end, 10);
		struct irq_seen e;

		if (end == de->d_name || *end)
			continue;
		e = see_irq((uint32_t)irq, de->d_name, now);
		if (nseen == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *nv = realloc(seen, nc * sizeof(*seen));

			if (!nv)
				break;
			seen = nv;
			cap = nc;
		}
		seen[nseen++] = e;
		if (!e.handled)
			continue;
		if (p->n == pcap) {
			size_t nc = pcap ? pcap * 2 : 64;
			void *nv = realloc(p->v, nc * sizeof(*p->v));

			if (!nv)
				break;
			p->v = nv;
			pcap = nc;
		}
		p->v[p->n].irq = e.irq;
		memcpy(p->v[p->n].name, e.name, sizeof(e.name));
		p->n++;
	}
	closedir(d);
	/* what this pass listed, and only that, is what was seen */
	if (nseen)
		qsort(seen, nseen, sizeof(*seen), cmp_seen);
	free(irq_seen);
	irq_seen = seen;
	irq_nseen = nseen;
	pthread_mutex_unlock(&irq_seen_lock);
	return p;
}

static int irq_decode(void *pass, uint64_t key, struct keydec_ent *out)
{
	const struct irq_pass *p = pass;

	out->instance = (int)(uint32_t)key;
	if (!p->v)
		return KD_UNKNOWN;
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].irq == (uint32_t)key) {
			memcpy(out->name, p->v[i].name, sizeof(out->name));
			return KD_ALIVE;
		}
	}
	return KD_GONE;
}

static int irq_enumerate(void *pass, uint64_t **keys)
{
	const struct irq_pass *p = pass;
	size_t n = 0, cap = 0;

	*keys = NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (keydec_push(keys, &n, &cap, p->v[i].irq)) {
			free(*keys);
			*keys = NULL;
			return -ENOMEM;
		}
	}
	return (int)n;
}

static void irq_end(void *pass)
{
	struct irq_pass *p = pass;

	if (p)
		free(p->v);
	free(p);
}

static const struct keydec_ops keydec_irq = {
	.name = "irq",
	.key_size = 4,
	.begin = irq_begin,
	.decode = irq_decode,
	.enumerate = irq_enumerate,
	.end = irq_end,
};

/*
 * syscall: the number the task passed, as the kernel's syscall tracepoints
 * report it; bit 16 set for a 32-bit (ia32) task on x86_64, whose numbers
 * are another table's.  x32 numbers keep their own bit 30.
 */
#define SYSCALL_IA32 0x10000U
#define SYSCALL_X32 0x40000000U

static int sys_decode(void *pass, uint64_t key, struct keydec_ent *out)
{
	uint32_t k = (uint32_t)key, nr = k & ~(SYSCALL_IA32 | SYSCALL_X32);
	const char *prefix = "", *name = NULL;

	(void)pass;
	out->instance = (int)k;
	if (k & SYSCALL_IA32) {
		prefix = "ia32_";
		if (nr < ARRAY_SIZE(syscall_names_ia32))
			name = syscall_names_ia32[nr];
	} else {
		if (k & SYSCALL_X32)
			prefix = "x32_";
		if (nr < ARRAY_SIZE(syscall_names_native))
			name = syscall_names_native[nr];
	}
	if (!name ||
	    snprintf(out->name, sizeof(out->name), "%s%s", prefix, name) >= (int)sizeof(out->name))
		snprintf(out->name, sizeof(out->name), "%ssys_%u", prefix, nr);
	return KD_ALIVE; /* system calls do not go away */
}

static const struct keydec_ops keydec_syscall = {
	.name = "syscall",
	.key_size = 4,
	.decode = sys_decode,
};

/*
 * syscall_slot: a slot of a dense per-system-call array (bpf/syscall.h),
 * named and numbered as the syscall key of the same call.
 */
static int slot_decode(void *pass, uint64_t key, struct keydec_ent *out)
{
	uint32_t slot = (uint32_t)key;

	if (slot >= SYSCALL_NATIVE_SLOTS)
		slot = (slot - SYSCALL_NATIVE_SLOTS) | SYSCALL_IA32;
	return sys_decode(pass, slot, out);
}

static const struct keydec_ops keydec_syscall_slot = {
	.name = "syscall_slot",
	.key_size = 4,
	.decode = slot_decode,
};

static const struct keydec_ops *const decoders[] = {
	&keydec_blkdev,  &keydec_netdev,       &keydec_irq,
	&keydec_syscall, &keydec_syscall_slot, &keydec_skb_drop,
};

const struct keydec_ops *keydec_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(decoders); i++)
		if (strcmp(decoders[i]->name, name) == 0)
			return decoders[i];
	return NULL;
}

const char *keydec_names(void)
{
	return "blkdev, netdev, irq, syscall, syscall_slot, skb_drop_reason";
}

const char *keydec_name(const struct keydec_ops *ops)
{
	return ops->name;
}

uint32_t keydec_key_size(const struct keydec_ops *ops)
{
	return ops->key_size;
}

struct keydec_pass *keydec_begin(const struct keydec_ops *ops)
{
	struct keydec_pass *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->ops = ops;
	if (ops->begin) {
		p->priv = ops->begin();
		if (!p->priv) {
			free(p);
			errno = ENOMEM;
			return NULL;
		}
	}
	return p;
}

int keydec_decode(struct keydec_pass *p, uint64_t key, struct keydec_ent *out)
{
	memset(out, 0, sizeof(*out));
	return p->ops->decode(p->priv, key, out);
}

int keydec_enumerate(struct keydec_pass *p, uint64_t **keys)
{
	*keys = NULL;
	return p->ops->enumerate ? p->ops->enumerate(p->priv, keys) : 0;
}

void keydec_end(struct keydec_pass *p)
{
	if (!p)
		return;
	if (p->ops->end)
		p->ops->end(p->priv);
	free(p);
}
