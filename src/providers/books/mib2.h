/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * TCP/IP MIB-II kstats as illumos names them (ip:N:ip, icmp:N:icmp,
 * tcp:N:tcp, udp:N:udp), from the kernel's SNMP counters in
 * /proc/net/snmp and /proc/net/netstat: each illumos statistic that Linux
 * keeps, and which Linux counter it is.  docs/kstats.md lists them, and
 * those Linux does not keep.
 */
#ifndef __KSTATD_MIB2_H
#define __KSTATD_MIB2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/snapshot.h"

enum mib2_kstat {
	MIB2_IP,
	MIB2_ICMP,
	MIB2_TCP,
	MIB2_UDP,
	MIB2_NKSTATS,
};

#define MIB2_MAX_STATS 40

struct mib2_stat {
	const char *name;    /* illumos's */
	const char *section; /* the line's prefix in /proc/net/snmp or netstat: "Tcp", "TcpExt" */
	const char *field;   /* Linux's name there */
	uchar_t type;        /* KSTAT_DATA_INT32 or KSTAT_DATA_UINT64 */
	struct snap_stat_meta meta;
};

/* One kstat's statistics, in illumos's order */
struct mib2_table {
	const char *module; /* and ks_name: "tcp" for tcp:N:tcp */
	const struct mib2_stat *stats;
	uint32_t n;
};

extern const struct mib2_table mib2_tables[MIB2_NKSTATS];

/* The values of every statistic of every table; found[] says which the text had */
struct mib2_values {
	int64_t v[MIB2_NKSTATS][MIB2_MAX_STATS];
	bool found[MIB2_NKSTATS][MIB2_MAX_STATS];
};

/*
 * Add what one /proc/net/snmp or /proc/net/netstat text (len bytes, not
 * necessarily terminated) holds to out.  Untrusted text is safe here
 * (tests/fuzz).  Returns the number of values found.
 */
int mib2_parse(const char *text, size_t len, struct mib2_values *out);

#endif /* __KSTATD_MIB2_H */
