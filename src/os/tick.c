// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One thread, one absolute deadline a second on CLOCK_MONOTONIC: a late
 * wakeup does not push the next one back, and after a long stall (a
 * suspended VM) the schedule restarts from now rather than firing the
 * missed seconds in a burst.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "tick.h"

#define NSEC_PER_SEC 1000000000LL

struct tick_cb {
	tick_fn *fn;
	void *arg;
	struct tick_cb *next;
};

static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER; /* the list and the calls */
static pthread_mutex_t tick_run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tick_cond;
static struct tick_cb *tick_cbs;
static pthread_t tick_tid;
static bool tick_running, tick_stopping;

int tick_add(tick_fn *fn, void *arg)
{
	struct tick_cb *cb = malloc(sizeof(*cb));

	if (!cb)
		return -ENOMEM;
	cb->fn = fn;
	cb->arg = arg;
	pthread_mutex_lock(&tick_lock);
	cb->next = tick_cbs;
	tick_cbs = cb;
	pthread_mutex_unlock(&tick_lock);
	return 0;
}

void tick_remove(tick_fn *fn, void *arg)
{
	pthread_mutex_lock(&tick_lock);
	for (struct tick_cb **pp = &tick_cbs; *pp; pp = &(*pp)->next) {
		struct tick_cb *cb = *pp;

		if (cb->fn == fn && cb->arg == arg) {
			*pp = cb->next;
			free(cb);
			break;
		}
	}
	pthread_mutex_unlock(&tick_lock);
}

static void run_all(void)
{
	pthread_mutex_lock(&tick_lock);
	for (struct tick_cb *cb = tick_cbs; cb; cb = cb->next)
		cb->fn(cb->arg);
	pthread_mutex_unlock(&tick_lock);
}

static void *tick_thread(void *unused)
{
	struct timespec next, now;

	(void)unused;
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&tick_run_lock);
	while (!tick_stopping) {
		long long due, late;

		next.tv_sec++;
		while (!tick_stopping &&
		       pthread_cond_timedwait(&tick_cond, &tick_run_lock, &next) != ETIMEDOUT)
			;
		if (tick_stopping)
			break;
		pthread_mutex_unlock(&tick_run_lock);
		run_all();
		clock_gettime(CLOCK_MONOTONIC, &now);
		due = (long long)next.tv_sec * NSEC_PER_SEC + next.tv_nsec;
		late = (long long)now.tv_sec * NSEC_PER_SEC + now.tv_nsec - due;
		if (late > NSEC_PER_SEC)
			next = now;
		pthread_mutex_lock(&tick_run_lock);
	}
	pthread_mutex_unlock(&tick_run_lock);
	return NULL;
}

int tick_start(void)
{
	pthread_condattr_t ca;
	int err;

	pthread_mutex_lock(&tick_run_lock);
	if (tick_running) {
		pthread_mutex_unlock(&tick_run_lock);
		return 0;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tick_cond, &ca);
	pthread_condattr_destroy(&ca);
	tick_stopping = false;
	err = pthread_create(&tick_tid, NULL, tick_thread, NULL);
	tick_running = err == 0;
	if (err)
		pthread_cond_destroy(&tick_cond);
	pthread_mutex_unlock(&tick_run_lock);
	return -err;
}

void tick_stop(void)
{
	pthread_mutex_lock(&tick_run_lock);
	if (!tick_running) {
		pthread_mutex_unlock(&tick_run_lock);
		return;
	}
	tick_stopping = true;
	pthread_cond_signal(&tick_cond);
	pthread_mutex_unlock(&tick_run_lock);
	pthread_join(tick_tid, NULL);
	pthread_mutex_lock(&tick_run_lock);
	tick_running = false;
	pthread_cond_destroy(&tick_cond);
	pthread_mutex_unlock(&tick_run_lock);
}
