// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bcrypt basic auth, the exporter-toolkit way: every user name is
 * compared (no early exit), an unknown user is checked against a dummy
 * hash of the highest cost, hashes are compared in constant time, and
 * bcrypt runs one at a time so that a password guesser cannot take more
 * than one CPU.  A password found right is remembered as
 * SHA-256(random salt, user, password), so that later scrapes with it
 * cost a digest, not a bcrypt.
 *
 * The HTTP threads never wait for bcrypt: a request that needs one is
 * queued to the auth thread (at most AUTH_QUEUE_MAX at once, or it is
 * turned away at once) and its connection suspended until the answer, so
 * a flood of wrong passwords cannot hold up scrapes whose password is
 * remembered.  A refusal takes as long as the costliest hash of the
 * config, so that a user whose hash is cheaper does not stand out from
 * unknown ones.
 */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "http_auth.h"
#include "web_config.h"

#define DIGEST_LEN 32
#define SALT_LEN 32
/* bcrypts waiting for the auth thread, beyond which a request is turned away */
#define AUTH_QUEUE_MAX 16

struct auth_job {
	char *cred; /* "user\0password": what http_auth_parse_basic made */
	size_t pass_len;
	http_auth_done_fn *done;
	void *ctx;
	struct auth_job *next;
};

struct auth_user {
	char *name;
	char *hash;
	unsigned char ok[DIGEST_LEN]; /* digest of the password last found right */
	bool ok_valid;
};

struct http_auth {
	struct auth_user *users;
	size_t n;
	char dummy[CRYPT_OUTPUT_SIZE];
	unsigned char salt[SALT_LEN];
	pthread_mutex_t cache_lock;  /* users[].ok, ok_valid */
	pthread_mutex_t bcrypt_lock; /* cd, and one bcrypt at a time */
	struct crypt_data cd;
	int max_cost;              /* the costliest hash of the config */
	_Atomic int64_t refuse_ns; /* what a bcrypt of max_cost takes: a refusal lasts this long */
	pthread_mutex_t q_lock;    /* the queue and the thread's state */
	pthread_cond_t q_cond;
	struct auth_job *head, **tail;
	size_t queued;
	pthread_t tid;
	bool started;
	atomic_bool stopping; /* also read by the auth thread outside q_lock */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool http_auth_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char *x = a, *y = b;
	size_t n = alen < blen ? alen : blen;
	unsigned char d = alen != blen;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode n characters of base64 into out (room for n * 3 / 4); -1 if bad */
static ssize_t b64_decode(const char *in, size_t n, unsigned char *out)
{
	unsigned int acc = 0, bits = 0;
	size_t len = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (ssize_t)len;
}

bool http_auth_parse_basic(const char *value, char **user, const char **pass, size_t *pass_len)
{
	size_t n, pad = 0, rest;
	unsigned char *buf;
	ssize_t len;
	char *colon;

	*user = NULL;
	if (!value || strncasecmp(value, "Basic", 5) || (value[5] != ' ' && value[5] != '\t'))
		return false;
	value += 5;
	value += strspn(value, " \t");
	n = strcspn(value, "= \t");
	while (value[n + pad] == '=' && pad < 2)
		pad++;
	rest = strspn(value + n + pad, " \t");
	if (value[n + pad + rest] != '\0' || (pad && (n + pad) % 4))
		return false;
	buf = malloc(n / 4 * 3 + 3);
	if (!buf)
		return false;
	len = b64_decode(value, n, buf);
	if (len < 0 || memchr(buf, '\0', (size_t)len) || !(colon = memchr(buf, ':', (size_t)len))) {
		explicit_bzero(buf, n / 4 * 3 + 3);
		free(buf);
		return false;
	}
	buf[len] = '\0';
	*colon = '\0';
	*user = (char *)buf;
	*pass = colon + 1;
	*pass_len = (size_t)len - (size_t)(colon + 1 - (char *)buf);
	return true;
}

void http_auth_forget(char *user)
{
	char *pass;

	if (!user)
		return;
	pass = user + strlen(user) + 1;
	explicit_bzero(user, (size_t)(pass - user) + strlen(pass) + 1);
	free(user);
}

static int hash_cost(const char *h)
{
	return (h[4] - '0') * 10 + (h[5] - '0');
}

struct http_auth *http_auth_new(const struct web_user *users, size_t n)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct http_auth *a = calloc(1, sizeof(*a));
	int cost = 4, err = ENOMEM;

	if (!a)
		return NULL;
	pthread_mutex_init(&a->cache_lock, NULL);
	pthread_mutex_init(&a->bcrypt_lock, NULL);
	pthread_mutex_init(&a->q_lock, NULL);
	pthread_cond_init(&a->q_cond, NULL);
	a->tail = &a->head;
	a->users = calloc(n ? n : 1, sizeof(*a->users));
	if (!a->users)
		goto err_free;
	for (size_t i = 0; i < n; i++) {
		a->users[i].name = strdup(users[i].name);
		a->users[i].hash = strdup(users[i].hash);
		a->n++;
		if (!a->users[i].name || !a->users[i].hash)
			goto err_free;
		if (hash_cost(users[i].hash) > cost)
			cost = hash_cost(users[i].hash);
	}
	if (getrandom(a->salt, sizeof(a->salt), 0) != (ssize_t)sizeof(a->salt)) {
		err = errno;
		goto err_free;
	}
	if (n) {
		const char *out;
		int64_t t0;

		err = EINVAL;
		a->max_cost = cost;
		if (!crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, setting,
				      sizeof(setting)))
			goto err_free;
		t0 = now_ns();
		out = crypt_rn("kstatd: no such user", setting, &a->cd, sizeof(a->cd));
		if (!out || out[0] == '*')
			goto err_free;
		a->refuse_ns = now_ns() - t0;
		strncpy(a->dummy, out, sizeof(a->dummy) - 1);
	}
	return a;

err_free:
	http_auth_free(a);
	errno = err;
	return NULL;
}

void http_auth_free(struct http_auth *a)
{
	if (!a)
		return;
	http_auth_stop(a);
	pthread_mutex_destroy(&a->q_lock);
	pthread_cond_destroy(&a->q_cond);
	for (size_t i = 0; i < a->n; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	pthread_mutex_destroy(&a->cache_lock);
	pthread_mutex_destroy(&a->bcrypt_lock);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

static bool digest(const struct http_auth *a, const char *user, const char *pass, size_t pass_len,
		   unsigned char *out)
{
	size_t ul = strlen(user), len = SALT_LEN + ul + 1 + pass_len;
	unsigned char *buf = malloc(len);
	bool ok;

	if (!buf)
		return false;
	memcpy(buf, a->salt, SALT_LEN);
	memcpy(buf + SALT_LEN, user, ul + 1);
	memcpy(buf + SALT_LEN + ul + 1, pass, pass_len);
	ok = gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, out) == 0;
	explicit_bzero(buf, len);
	free(buf);
	return ok;
}

/* The user's index, comparing every name (no early exit); -1 when unknown */
static long find_user(const struct http_auth *a, const char *user)
{
	size_t ul = strlen(user);
	long idx = -1;

	for (size_t i = 0; i < a->n; i++) {
		bool eq = http_auth_equal(a->users[i].name, strlen(a->users[i].name), user, ul);

		if (eq && idx < 0)
			idx = (long)i;
	}
	return idx;
}

bool http_auth_cached(struct http_auth *a, const char *user, const char *pass, size_t pass_len)
{
	unsigned char d[DIGEST_LEN];
	long idx = find_user(a, user);
	bool ok = false;

	if (idx >= 0 && digest(a, user, pass, pass_len, d)) {
		pthread_mutex_lock(&a->cache_lock);
		ok = a->users[idx].ok_valid &&
		     http_auth_equal(a->users[idx].ok, DIGEST_LEN, d, DIGEST_LEN);
		pthread_mutex_unlock(&a->cache_lock);
	}
	explicit_bzero(d, sizeof(d));
	return ok;
}

bool http_auth_check(struct http_auth *a, const char *user, const char *pass, size_t pass_len)
{
	unsigned char d[DIGEST_LEN];
	bool have_digest, match, ok;
	const char *hash, *out;
	int64_t t0;
	long idx;

	if (!a->n)
		return false;
	if (http_auth_cached(a, user, pass, pass_len))
		return true;
	idx = find_user(a, user);
	hash = idx >= 0 ? a->users[idx].hash : a->dummy;
	pthread_mutex_lock(&a->bcrypt_lock);
	t0 = now_ns();
	out = crypt_rn(pass, hash, &a->cd, sizeof(a->cd));
	match = out && http_auth_equal(out, strlen(out), hash, strlen(hash));
	explicit_bzero(&a->cd, sizeof(a->cd));
	/* the refusal time follows what the costliest hash takes now (load varies) */
	if (hash_cost(hash) == a->max_cost)
		a->refuse_ns = (3 * a->refuse_ns + (now_ns() - t0)) / 4;
	pthread_mutex_unlock(&a->bcrypt_lock);

	ok = match && idx >= 0;
	have_digest = ok && digest(a, user, pass, pass_len, d);
	if (have_digest) {
		pthread_mutex_lock(&a->cache_lock);
		memcpy(a->users[idx].ok, d, DIGEST_LEN);
		a->users[idx].ok_valid = true;
		pthread_mutex_unlock(&a->cache_lock);
	}
	explicit_bzero(d, sizeof(d));
	return ok;
}

static void sleep_until(int64_t t)
{
	int64_t left = t - now_ns();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)(left / 1000000000);
	ts.tv_nsec = (long)(left % 1000000000);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *auth_thread(void *arg)
{
	struct http_auth *a = arg;

	pthread_mutex_lock(&a->q_lock);
	for (;;) {
		struct auth_job *j;
		int64_t t0;
		bool ok;

		while (!a->head && !a->stopping)
			pthread_cond_wait(&a->q_cond, &a->q_lock);
		j = a->head;
		if (!j)
			break;
		a->head = j->next;
		if (!a->head)
			a->tail = &a->head;
		pthread_mutex_unlock(&a->q_lock);
		t0 = now_ns();
		ok = !a->stopping &&
		     http_auth_check(a, j->cred, j->cred + strlen(j->cred) + 1, j->pass_len);
		if (!ok && !a->stopping)
			sleep_until(t0 + a->refuse_ns);
		http_auth_forget(j->cred);
		j->done(j->ctx, ok);
		free(j);
		pthread_mutex_lock(&a->q_lock);
		a->queued--;
	}
	pthread_mutex_unlock(&a->q_lock);
	return NULL;
}

int http_auth_start(struct http_auth *a, char *cred, size_t pass_len, http_auth_done_fn *done,
		    void *ctx)
{
	struct auth_job *j;
	int err = 0;

	pthread_mutex_lock(&a->q_lock);
	if (a->stopping || a->queued >= AUTH_QUEUE_MAX) {
		err = -EBUSY;
		goto out_unlock;
	}
	if (!a->started) {
		err = -pthread_create(&a->tid, NULL, auth_thread, a);
		if (err)
			goto out_unlock;
		a->started = true;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		err = -ENOMEM;
		goto out_unlock;
	}
	j->cred = cred;
	j->pass_len = pass_len;
	j->done = done;
	j->ctx = ctx;
	*a->tail = j;
	a->tail = &j->next;
	a->queued++;
	pthread_cond_signal(&a->q_cond);
out_unlock:
	pthread_mutex_unlock(&a->q_lock);
	return err;
}

void http_auth_stop(struct http_auth *a)
{
	pthread_mutex_lock(&a->q_lock);
	a->stopping = true;
	pthread_cond_broadcast(&a->q_cond);
	pthread_mutex_unlock(&a->q_lock);
	if (a->started)
		pthread_join(a->tid, NULL);
	a->started = false;
}
