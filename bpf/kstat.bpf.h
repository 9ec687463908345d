/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kstat provider convention: BTF declaration tags that make a BPF map
 * self-describing, so that kstatd turns its entries into kstats and
 * Prometheus metrics with no userspace code.  See docs/providers.md.
 *
 * On the map (the variable in SEC(".maps")):
 *	KSTAT_MODULE("cpu") KSTAT_NAME("sys") KSTAT_CLASS("misc")
 *	KSTAT_TYPE(named|io|intr|timer)		default named
 *	KSTAT_INSTANCE(single|cpu|key)		default single
 *	KSTAT_NAME_FROM(field)			keyed maps: ks_name per entry
 *	KSTAT_KEY(blkdev|netdev|irq|syscall)	keyed maps: what a key is
 *	KSTAT_WRITABLE				plain ARRAY maps only
 *	KSTAT_SHARED("prov", "map")		this is that provider's map
 *	KSTAT_PINNED				no kstats of its own, but pinned
 *						(a built-in's own userspace reads it)
 *	KSTAT_TRACKED				hash maps: keys come and go only
 *						through kstat_lookup_or_init() and
 *						kstat_delete_key(), so a sync reads
 *						the keys only when they changed
 * On each member of the value struct that is a statistic:
 *	KSTAT_COUNTER(unit, "help")		only ever goes up
 *	KSTAT_GAUGE(unit, "help")		goes up and down
 *	KSTAT_MIN(unit, "help") / KSTAT_MAX	combined across CPUs by min/max
 *	KSTAT_HIST(unit, "help")		__u64 slots[N], log2 buckets
 *	KSTAT_OPEN(since, flag)			time still accruing (see docs)
 *	KSTAT_FROM("prov")			filled by that provider (of a
 *						shared map): absent from the
 *						metrics while it is detached
 *	KSTAT_NAME_FIELD			char[] member naming the entry
 * Members without a tag are the provider's private state.
 */
#ifndef __KSTAT_BPF_H
#define __KSTAT_BPF_H

#define __kstat_tag(s) __attribute__((btf_decl_tag(s)))

#define KSTAT_MODULE(m) __kstat_tag("kstat.module=" m)
#define KSTAT_NAME(n) __kstat_tag("kstat.name=" n)
#define KSTAT_CLASS(c) __kstat_tag("kstat.class=" c)
#define KSTAT_TYPE(t) __kstat_tag("kstat.type=" #t)
#define KSTAT_INSTANCE(p) __kstat_tag("kstat.instance=" #p)
#define KSTAT_NAME_FROM(r) __kstat_tag("kstat.name_from=" #r)
#define KSTAT_KEY(k) __kstat_tag("kstat.key=" #k)
#define KSTAT_WRITABLE __kstat_tag("kstat.writable")
#define KSTAT_SHARED(provider, map) __kstat_tag("kstat.shared=" provider "/" map)
#define KSTAT_PINNED __kstat_tag("kstat.pinned")
#define KSTAT_TRACKED __kstat_tag("kstat.tracked")

#define KSTAT_COUNTER(unit, help) __kstat_tag("kstat.stat=counter," #unit "," help)
#define KSTAT_GAUGE(unit, help) __kstat_tag("kstat.stat=gauge," #unit "," help)
#define KSTAT_MIN(unit, help) __kstat_tag("kstat.stat=min," #unit "," help)
#define KSTAT_MAX(unit, help) __kstat_tag("kstat.stat=max," #unit "," help)
#define KSTAT_HIST(unit, help) __kstat_tag("kstat.stat=hist," #unit "," help)
#define KSTAT_OPEN(since, flag) __kstat_tag("kstat.open=" #since "," #flag)
#define KSTAT_NAME_FIELD __kstat_tag("kstat.name")
#define KSTAT_FROM(provider) __kstat_tag("kstat.from=" provider)

/* Everything a NAMED kstat map needs on one line */
#define KSTAT_NAMED_MAP(module, name, class, inst) \
	KSTAT_MODULE(module) KSTAT_NAME(name) KSTAT_CLASS(class) KSTAT_INSTANCE(inst)

/*
 * Entries a provider could not insert because its map was full.  kstatd
 * reads this from the object's .bss and reports it per provider.
 */
__u64 kstat_map_drops SEC(".bss");

/*
 * Goes up after every insertion into and deletion from a keyed map made by
 * the helpers below.  kstatd reads it from the object's .bss: a
 * KSTAT_TRACKED map whose keys did not change is not read key by key at a
 * sync.  A userspace writer of such a map adds 1 after its change, with an
 * atomic add on the .bss mapped writable (docs/providers.md).
 */
__u64 kstat_keys_gen SEC(".bss");

/*
 * After the change: a fetching atomic is fully ordered under every JIT
 * (a plain atomic add is relaxed on arm64), so whoever sees the new count
 * sees the key.  The empty asm keeps clang from dropping the fetch.
 */
static __always_inline void kstat_keys_changed(void)
{
	__u64 old = __sync_fetch_and_add(&kstat_keys_gen, 1);

	asm volatile("" : : "r"(old));
}

/*
 * Look a key up, inserting init the first time it is seen; NULL (and a
 * counted drop) when the map is full.  Counters are then added in place.
 */
static __always_inline void *kstat_lookup_or_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: another CPU won the race */) {
		__sync_fetch_and_add(&kstat_map_drops, 1);
		return NULL;
	}
	if (!err)
		kstat_keys_changed();
	return bpf_map_lookup_elem(map, key);
}

/* Delete a key (its kstat goes at the next sync); 0 or the helper's -errno */
static __always_inline long kstat_delete_key(void *map, const void *key)
{
	long err = bpf_map_delete_elem(map, key);

	if (!err)
		kstat_keys_changed();
	return err;
}

/* log2 bucket of v: slot i counts values in [2^i, 2^(i+1)), slot 0 also 0 */
static __always_inline __u32 kstat_log2(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFF) << 5;
	v >>= shift;
	r = shift;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

#endif /* __KSTAT_BPF_H */
