// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target for kstat(1M)'s command line: the input is argv, its
 * arguments separated by NUL bytes.  Whatever parses is compiled into
 * selectors and matched against a few kstat names, and every -w
 * assignment is checked, as kstat does before it connects.  Messages for
 * bad command lines go to /dev/null.  The heap one input holds at its
 * peak must stay under HEAP_LIMIT.
 */
#include <sanitizer/allocator_interface.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ks.h"

#define MAX_ARGS 32

/*
 * kstat bounds what its patterns cost regcomp, about 25 MB each and 50 MB
 * together (cmd/ks_select.c): an input past this found a pattern the
 * bound misses.  Without the check it only shows as RSS that grows until
 * -rss_limit_mb, and the input that did it may not be the one saved.
 */
#define HEAP_LIMIT (256LL << 20)

static long long heap, heap_peak; /* bytes allocated since the hooks went in */

static void on_malloc(const volatile void *p, size_t size)
{
	long long now = __atomic_add_fetch(&heap, (long long)size, __ATOMIC_RELAXED);

	(void)p;
	if (now > __atomic_load_n(&heap_peak, __ATOMIC_RELAXED))
		__atomic_store_n(&heap_peak, now, __ATOMIC_RELAXED);
}

static void on_free(const volatile void *p)
{
	__atomic_sub_fetch(&heap, (long long)__sanitizer_get_allocated_size((const void *)p),
			   __ATOMIC_RELAXED);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const struct ks_instance names[] = {
	{ .module = "cpu", .name = "sys", .class = "misc", .number = "0" },
	{ .module = "unix", .name = "kstat_headers", .class = "kstat", .number = "0" },
	{ .module = "disk", .name = "loop12", .class = "disk", .number = "12" },
	{ .module = "", .name = "", .class = "", .number = "-1" },
};

/* An assignment kstat accepted: its value into a statistic of every type */
static void write_value(const char *assignment)
{
	static const uchar_t types[] = { KSTAT_DATA_CHAR,      KSTAT_DATA_INT32,  KSTAT_DATA_UINT32,
					 KSTAT_DATA_INT64,     KSTAT_DATA_UINT64, KSTAT_DATA_STRING,
					 KSTAT_DATA_STRING + 7 };
	const char *value = strchr(assignment, '=');
	kstat_named_t kn;

	if (ks_write_check(assignment) || !value)
		abort(); /* checked once already while parsing */
	for (size_t t = 0; t < sizeof(types); t++) {
		memset(&kn, 0, sizeof(kn));
		kn.data_type = types[t];
		(void)ks_set_value(&kn, value + 1, assignment);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static bool quiet, hooked;
	char *argv[MAX_ARGS + 2], *buf;
	struct ks_cfg cfg;
	struct ks_args a;
	bool help = false;
	int argc = 1;
	long long base;

	/* libFuzzer and the sanitizers keep the real stderr; kstat's messages go */
	if (!quiet && !getenv("FUZZ_VERBOSE")) {
		stderr = fopen("/dev/null", "w");
		if (!stderr)
			abort();
		quiet = true;
	}
	if (!hooked) {
		if (!__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free))
			abort(); /* the heap would go unchecked */
		hooked = true;
	}
	base = __atomic_load_n(&heap, __ATOMIC_RELAXED);
	__atomic_store_n(&heap_peak, base, __ATOMIC_RELAXED);
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "kstat";
	for (char *p = buf; p < buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	optind = 0; /* glibc: start getopt over */
	if (ks_args_init(&a, &cfg, argc))
		abort();
	if (ks_args_parse(argc, argv, &a, &cfg, &help) && !help) {
		for (size_t i = 0; i < cfg.nsel; i++)
			for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				if (ks_selector_kstat(&cfg.sel[i], &cfg.class, &names[k]))
					(void)ks_match(&cfg.sel[i].statistic, "snaptime");
		for (size_t i = 0; i < a.nwrites; i++)
			write_value(a.writes[i]);
	}
	ks_args_free(&a, &cfg);
	free(buf);
	if (__atomic_load_n(&heap_peak, __ATOMIC_RELAXED) - base > HEAP_LIMIT) {
		static const char msg[] = "fuzz_kstat_args: an input held more than 256 MB\n";

		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		abort();
	}
	return 0;
}
