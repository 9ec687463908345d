// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * skb_drop_reason: the kernel's reasons for dropping a packet (enum
 * skb_drop_reason, from the running kernel's BTF), keys of a dense array.
 * Key N is reason N, named as the kernel names it without its
 * SKB_DROP_REASON_ prefix, in lower case (no_socket, tcp_csum); the key
 * SKB_DROP_REASON_MAX (or 255, if that is sooner) is "other": the
 * subsystems' reasons and any past the table.  Every reason is listed, so
 * each has its kstat before its first drop; instance 0 for all.  Keys
 * that stand for no reason (SKB_NOT_DROPPED_YET, SKB_CONSUMED, gaps) are
 * gone.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "keydec.h"

#define DROP_SLOTS 256
#define PREFIX "SKB_DROP_REASON_"

static char (*names)[KSTAT_STRLEN]; /* by key; "" stands for nothing */
static uint32_t other = DROP_SLOTS - 1;
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void load_names(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	int id;

	names = calloc(DROP_SLOTS, sizeof(*names));
	if (!btf || !names)
		goto out;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0)
		goto out;
	t = btf__type_by_id(btf, (__u32)id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++)
		if (strcmp(btf__name_by_offset(btf, e->name_off), PREFIX "MAX") == 0 &&
		    e->val < DROP_SLOTS - 1)
			other = (uint32_t)e->val;
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);
		size_t pl = strlen(PREFIX);

		if (e->val < 0 || (uint32_t)e->val >= other || strncmp(n, PREFIX, pl) != 0 ||
		    strlen(n + pl) >= KSTAT_STRLEN)
			continue;
		for (size_t j = 0; n[pl + j]; j++)
			names[e->val][j] = (char)tolower((unsigned char)n[pl + j]);
	}
	snprintf(names[other], KSTAT_STRLEN, "other");
out:
	btf__free(btf);
}

static int drop_decode(void *pass, uint64_t key, struct keydec_ent *out)
{
	(void)pass;
	pthread_once(&names_once, load_names);
	out->instance = 0;
	if (!names || key >= DROP_SLOTS || !names[key][0])
		return KD_GONE;
	memcpy(out->name, names[key], sizeof(out->name));
	return KD_ALIVE;
}

static int drop_enumerate(void *pass, uint64_t **keys)
{
	size_t n = 0, cap = 0;

	(void)pass;
	pthread_once(&names_once, load_names);
	*keys = NULL;
	for (uint64_t k = 0; names && k < DROP_SLOTS; k++) {
		if (names[k][0] && keydec_push(keys, &n, &cap, k)) {
			free(*keys);
			*keys = NULL;
			return -ENOMEM;
		}
	}
	return (int)n;
}

const struct keydec_ops keydec_skb_drop = {
	.name = "skb_drop_reason",
	.key_size = 4,
	.decode = drop_decode,
	.enumerate = drop_enumerate,
};
