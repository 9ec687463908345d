/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The HTML page at /: what kstatd serves, its providers and every kstat, with links. */
#ifndef __KSTATD_LANDING_H
#define __KSTATD_LANDING_H

struct snap;
struct outbuf;

#define LANDING_CT "text/html; charset=utf-8"

struct landing_info {
	const char *telemetry_path; /* "/metrics" */
	const char *version;
};

/* Render the page from one snapshot into ob; 0 or -ENOMEM. */
int landing_render(struct snap *s, const struct landing_info *li, struct outbuf *ob);

#endif /* __KSTATD_LANDING_H */
