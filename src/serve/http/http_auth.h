/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Basic auth against the bcrypt hashes of a web config: unknown users and
 * wrong passwords cost the same bcrypt and get the same answer; a
 * password that was right once is remembered as a salted digest, so that
 * a scraper pays for bcrypt once, not at every scrape.
 */
#ifndef __KSTATD_HTTP_AUTH_H
#define __KSTATD_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct web_user;
struct http_auth;

/*
 * Take copies of n users.  Makes a dummy hash at the highest cost among
 * them, for unknown users (one bcrypt at start).  NULL with errno.
 */
struct http_auth *http_auth_new(const struct web_user *users, size_t n);
/* NULL is accepted */
void http_auth_free(struct http_auth *a);

/* Are user and pass (pass_len bytes) a configured user and its password? */
bool http_auth_check(struct http_auth *a, const char *user, const char *pass, size_t pass_len);
/* The same, but only from remembered passwords: a digest, never a bcrypt */
bool http_auth_cached(struct http_auth *a, const char *user, const char *pass, size_t pass_len);

/*
 * Check credentials on the auth thread: cred is what http_auth_parse_basic
 * returned (taken over and wiped), done(ctx, ok) is called from that
 * thread, after at least the time the costliest hash takes when ok is
 * false.  0, or -EBUSY when AUTH_QUEUE_MAX checks already wait (cred stays
 * the caller's), -ENOMEM, -errno of pthread_create.
 */
typedef void http_auth_done_fn(void *ctx, bool ok);
int http_auth_start(struct http_auth *a, char *cred, size_t pass_len, http_auth_done_fn *done,
		    void *ctx);
/*
 * Stop the auth thread: checks still queued are answered false at once.
 * Later http_auth_start calls get -EBUSY.  http_auth_free calls it.
 */
void http_auth_stop(struct http_auth *a);

/*
 * Parse an Authorization header value of the Basic scheme (RFC 7617): the
 * scheme in any case, spaces, then base64 of "user:password" (padding
 * optional).  On success *user is one allocation holding both strings,
 * *pass points into it; free it with http_auth_forget.  false for another
 * scheme, bad base64, no colon, or a NUL byte in the credentials (which a
 * C string would silently cut short).
 */
bool http_auth_parse_basic(const char *value, char **user, const char **pass, size_t *pass_len);
/* Wipe and free what http_auth_parse_basic returned (NULL is accepted) */
void http_auth_forget(char *user);

/* Compare two byte strings in time that depends only on their lengths */
bool http_auth_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif /* __KSTATD_HTTP_AUTH_H */
