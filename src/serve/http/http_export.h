/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The HTTP front end: libmicrohttpd with a thread pool on epoll per
 * listening address, serving the telemetry path (Prometheus text 0.0.4 or
 * OpenMetrics 1.0.0, gzip when asked), /kstat (kstat -j JSON) and / (a
 * landing page), GET and HEAD only, with TLS and basic auth from a web
 * config.  It reads kstats through snap_walk only.
 */
#ifndef __KSTATD_HTTP_EXPORT_H
#define __KSTATD_HTTP_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

struct snap;
struct web_config;
struct http;

/* Outside 9100-9999, which the Prometheus port allocations have filled */
#define HTTP_DEFAULT_PORT 8738
#define HTTP_DEFAULT_LISTEN ":8738"
#define HTTP_MAX_LISTEN 8
#define HTTP_PATH_MAX 128

struct http_opts {
	const char *listen[HTTP_MAX_LISTEN]; /* ADDR:PORT, [V6ADDR]:PORT or :PORT */
	size_t nlisten;
	const char *telemetry_path;  /* "/metrics" */
	unsigned int max_requests;   /* concurrent snapshots (scrapes, /kstat, /); 0: no limit */
	unsigned int conn_limit;     /* connections per listening address */
	unsigned int per_ip_limit;   /* connections from one client address */
	unsigned int timeout_s;      /* an idle connection is closed after this */
	unsigned int threads;        /* per listening address */
	const struct web_config *wc; /* TLS and basic auth; NULL for neither */
	const char *version;
};

/* The defaults: :8738, /metrics, 40 requests, 256 connections, 16 per client, 60 s, 2 threads */
void http_opts_default(struct http_opts *o);

/* Is path usable as the telemetry path?  /-rooted, URL-safe, not / or /kstat */
bool http_path_ok(const char *path);

/*
 * Bind every address and listen, but start no thread: connections wait in
 * the backlog until http_serve.  (kstatd drops its capabilities between
 * the two: a capability set is per thread.)  NULL with errno and a
 * one-line reason in err.
 */
struct http *http_new(struct snap *s, const struct http_opts *o, char *err, size_t errlen);
/* Start the threads that serve the listeners: 0, or -errno with err */
int http_serve(struct http *h, char *err, size_t errlen);
/* http_new and http_serve: on return each listener serves */
struct http *http_start(struct snap *s, const struct http_opts *o, char *err, size_t errlen);
/* Close the listeners and wait for the threads; NULL is accepted. */
void http_stop(struct http *h);

/* "http://127.0.0.1:8738" (https with TLS) for listener i, port resolved; NULL past the end */
const char *http_url(const struct http *h, size_t i);

#endif /* __KSTATD_HTTP_EXPORT_H */
