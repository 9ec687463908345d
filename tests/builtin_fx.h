/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The fixture of the suites that test one built-in provider: an engine
 * and a loader with every default provider, on a pin path of the test's
 * own, emptied first and removed after.
 */
#ifndef __KSTATD_TEST_BUILTIN_FX_H
#define __KSTATD_TEST_BUILTIN_FX_H

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "loader.h"
#include "snapshot.h"

static struct snap *s;
static struct loader *ld;
static int ncpus;

/* Start the engine; the provider under test, if named, must be on by default */
static inline void builtin_start(const char *provider)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .reset = true };

	require_bpf();
	s = snap_new();
	cr_assert(s);
	ld = loader_new(s, &o);
	cr_assert(ld, "loader_new: %s", strerror(errno));
	cr_assert_geq(loader_sync(ld), 0);
	if (provider)
		cr_assert_eq(loader_attached(ld, provider), 1, "%s is on by default", provider);
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static inline void builtin_stop(void)
{
	loader_free(ld);
	snap_free(s);
	ld = NULL;
	s = NULL;
	remove_pin_path();
}

#endif /* __KSTATD_TEST_BUILTIN_FX_H */
