// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * LD_PRELOAD=kstat_preload.so: open("/dev/kstat") connects to kstatd
 * instead, and ioctl() and close() on that descriptor go through the
 * socket; every other path, descriptor and call goes to libc untouched.
 * glibc reaches open through several names (open64 for large files,
 * __open_2 and friends under _FORTIFY_SOURCE), so each is covered.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kstat_client.h"

#define KSTAT_DEV "/dev/kstat"
/* Descriptors above this cannot be tracked, so /dev/kstat never gets one */
#define MAX_TRACKED_FD 65536

#define SHIM_EXPORT __attribute__((visibility("default")))

static unsigned char tracked[MAX_TRACKED_FD];

static bool is_kstat_fd(int fd)
{
	return fd >= 0 && fd < MAX_TRACKED_FD && __atomic_load_n(&tracked[fd], __ATOMIC_ACQUIRE);
}

static void *next_sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* O_CREAT or O_TMPFILE: only then does open take a mode */
static bool wants_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int open_kstat(int flags)
{
	int fd = kcl_connect(), err;

	if (fd < 0)
		return -1;
	if (fd >= MAX_TRACKED_FD) {
		err = EMFILE;
		close(fd);
		errno = err;
		return -1;
	}
	/* illumos's descriptor survives exec; ours is close-on-exec unless asked */
	if (!(flags & O_CLOEXEC))
		(void)fcntl(fd, F_SETFD, 0);
	__atomic_store_n(&tracked[fd], 1, __ATOMIC_RELEASE);
	return fd;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);

static int call_open(const char *name, const char *path, int flags, mode_t mode)
{
	open_fn fn = (open_fn)next_sym(name);

	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(path, flags, mode);
}

static int call_openat(const char *name, int dirfd, const char *path, int flags, mode_t mode)
{
	openat_fn fn = (openat_fn)next_sym(name);

	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(dirfd, path, flags, mode);
}

static bool is_kstat_path(const char *path)
{
	return path && strcmp(path, KSTAT_DEV) == 0;
}

#define OPEN_WRAPPER(fname)                                     \
	SHIM_EXPORT int fname(const char *path, int flags, ...) \
	{                                                       \
		mode_t mode = 0;                                \
		va_list ap;                                     \
                                                                \
		if (wants_mode(flags)) {                        \
			va_start(ap, flags);                    \
			mode = va_arg(ap, mode_t);              \
			va_end(ap);                             \
		}                                               \
		if (is_kstat_path(path))                        \
			return open_kstat(flags);               \
		return call_open(#fname, path, flags, mode);    \
	}

#define OPENAT_WRAPPER(fname)                                              \
	SHIM_EXPORT int fname(int dirfd, const char *path, int flags, ...) \
	{                                                                  \
		mode_t mode = 0;                                           \
		va_list ap;                                                \
                                                                           \
		if (wants_mode(flags)) {                                   \
			va_start(ap, flags);                               \
			mode = va_arg(ap, mode_t);                         \
			va_end(ap);                                        \
		}                                                          \
		if (is_kstat_path(path))                                   \
			return open_kstat(flags);                          \
		return call_openat(#fname, dirfd, path, flags, mode);      \
	}

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

/* The _FORTIFY_SOURCE entry points: no mode argument */
#define OPEN2_WRAPPER(fname)                               \
	SHIM_EXPORT int fname(const char *path, int flags) \
	{                                                  \
		open2_fn fn;                               \
                                                           \
		if (is_kstat_path(path))                   \
			return open_kstat(flags);          \
		fn = (open2_fn)next_sym(#fname);           \
		if (!fn) {                                 \
			errno = ENOSYS;                    \
			return -1;                         \
		}                                          \
		return fn(path, flags);                    \
	}

#define OPENAT2_WRAPPER(fname)                                        \
	SHIM_EXPORT int fname(int dirfd, const char *path, int flags) \
	{                                                             \
		openat2_fn fn;                                        \
                                                                      \
		if (is_kstat_path(path))                              \
			return open_kstat(flags);                     \
		fn = (openat2_fn)next_sym(#fname);                    \
		if (!fn) {                                            \
			errno = ENOSYS;                               \
			return -1;                                    \
		}                                                     \
		return fn(dirfd, path, flags);                        \
	}

OPEN2_WRAPPER(__open_2)
OPEN2_WRAPPER(__open64_2)
OPENAT2_WRAPPER(__openat_2)
OPENAT2_WRAPPER(__openat64_2)

typedef int (*ioctl_fn)(int, unsigned long, ...);

static int shim_ioctl(const char *name, int fd, unsigned long request, void *arg)
{
	ioctl_fn fn;

	if (is_kstat_fd(fd))
		return kcl_ioctl(fd, request, arg);
	fn = (ioctl_fn)next_sym(name);
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(fd, request, arg);
}

SHIM_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return shim_ioctl("ioctl", fd, request, arg);
}

#if !defined(__LP64__)
/* what 32-bit programs built with _TIME_BITS=64 call */
SHIM_EXPORT int __ioctl_time64(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return shim_ioctl("__ioctl_time64", fd, request, arg);
}
#endif

SHIM_EXPORT int close(int fd)
{
	int (*fn)(int) = (int (*)(int))next_sym("close");

	if (fd >= 0 && fd < MAX_TRACKED_FD)
		__atomic_store_n(&tracked[fd], 0, __ATOMIC_RELEASE);
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(fd);
}
