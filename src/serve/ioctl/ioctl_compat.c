// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The socket server of the /dev/kstat ioctls: one thread, one poll loop,
 * a fixed table of connections, non-blocking I/O.  Requests are decoded
 * and run by ioc_request.c; this file moves bytes, keeps time and decides
 * who may write.
 *
 * Privilege is the peer's as the kernel recorded it when the peer
 * connected: uid 0 (SO_PEERCRED), or CAP_SYS_ADMIN in kstatd's user
 * namespace (what secpolicy_sys_config asks on illumos), through the
 * check ioc_set_cap_check() installs.  Never state read later: a peer
 * may exec a setuid program between its connect and its first write
 * while another process of its own holds the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/kstat.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine/snapshot.h"
#include "ioctl_compat.h"
#include "os/log.h"
#include "os/mkdirs.h"

#define LISTEN_BACKLOG 512
/*
 * Connections a non-root uid may hold, and slots only root may take, so
 * that no user, nor a few of them together, can lock anyone out.  A uid at
 * its limit (or non-root users at theirs together) gets its own oldest idle
 * connection closed for the new one, rather than a refusal: libkstat and
 * the shim connect again by themselves when that one is used again.
 */
#define MAX_CONNS_PER_UID 64
#define ROOT_RESERVED_CONNS 64
/* A reply buffer larger than this is not kept between requests */
#define KEEP_OUT_BYTES (64u * 1024)
/* After EMFILE, leave the listening socket alone for a moment */
#define ACCEPT_PAUSE_MS 100

enum conn_priv {
	PRIV_UNKNOWN, /* not asked: the connection has not written yet */
	PRIV_YES,
	PRIV_NO,
};

struct conn {
	int fd;
	uid_t uid;                /* SO_PEERCRED: the peer's euid at connect time */
	enum conn_priv may_write; /* asked at the first write, then kept */
	struct ksw_req req;
	size_t hdr_got;  /* bytes of req received */
	void *body;      /* req.body_len bytes */
	size_t body_got; /* bytes of body received */
	struct ioc_out out;
	size_t out_sent;
	bool close_after;            /* a framing error: close once the reply is out */
	int64_t deadline;            /* ms; 0 when idle between requests */
	int64_t last_ms;             /* last byte in or out */
	struct snap_session session; /* of its read batches */
};

struct ioc_server {
	struct snap *snap;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t sock_dev;
	ino_t sock_ino;
	int listen_fd;
	int wake[2];
	pthread_t tid;
	bool started;
	size_t max_conns;
	struct conn *conns;
	size_t nconns;
	struct pollfd *pfds;
	int64_t accept_resume;
	uint64_t refused;
	ioc_cap_check_fn *cap_check;
	void *cap_check_ctx;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The socket's directory, 0755 whatever the umask: every user must reach it */
static int mkdir_parents(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return mkdirs(dir, 0755);
}

/* A socket file left by a dead daemon goes; a live one or another file stays */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(sa->sun_path, &st)) {
		if (errno == ENOENT)
			return 0;
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_err("socket %s: the path exists and is not a socket", sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;
	close(fd);
	if (err == 0) {
		log_err("socket %s: another kstatd is serving it: stop it, or give this one its "
			"own --socket",
			sa->sun_path);
		return -EADDRINUSE;
	}
	if (err != ECONNREFUSED) {
		log_err("socket %s: cannot tell whether it is in use: %s", sa->sun_path,
			strerror(err));
		return -err;
	}
	log_info("socket %s: replacing the stale socket of a kstatd that is gone", sa->sun_path);
	if (unlink(sa->sun_path) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Raise the soft fd limit so the connection table fits; shrink the table if not */
static size_t fit_fd_limit(void)
{
	size_t want = IOC_MAX_CONNS + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return IOC_MAX_CONNS;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return IOC_MAX_CONNS;
	log_warn("the fd limit is %llu: serving at most %llu socket clients",
		 (unsigned long long)rl.rlim_cur,
		 (unsigned long long)(rl.rlim_cur > 320 ? rl.rlim_cur - 256 : 64));
	return rl.rlim_cur > 320 ? rl.rlim_cur - 256 : 64;
}

struct ioc_server *ioc_new(struct snap *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ioc_server *srv;
	struct stat st;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket %s: the path is longer than a unix socket address allows (%zu "
			"bytes)",
			path, sizeof(sa.sun_path) - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->snap = s;
	srv->listen_fd = -1;
	srv->wake[0] = srv->wake[1] = -1;
	strcpy(srv->path, path);
	strcpy(sa.sun_path, path);
	srv->max_conns = fit_fd_limit();
	srv->conns = calloc(srv->max_conns, sizeof(*srv->conns));
	srv->pfds = calloc(srv->max_conns + 2, sizeof(*srv->pfds));
	if (!srv->conns || !srv->pfds) {
		err = -ENOMEM;
		goto err_free;
	}
	err = mkdir_parents(path);
	if (err) {
		log_err("socket %s: cannot create its directory: %s", path, strerror(-err));
		goto err_free;
	}
	err = clear_stale(&sa);
	if (err)
		goto err_free;
	if (pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK)) {
		err = -errno;
		goto err_free;
	}
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0) {
		err = -errno;
		log_err("socket: %s", strerror(errno));
		goto err_free;
	}
	if (bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		log_err("bind %s: %s", path, strerror(errno));
		goto err_free;
	}
	/* world-connectable, as /dev/kstat is world-readable; writes check the peer */
	if (chmod(path, 0666) || stat(path, &st)) {
		err = -errno;
		log_err("chmod %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	srv->sock_dev = st.st_dev;
	srv->sock_ino = st.st_ino;
	if (listen(srv->listen_fd, LISTEN_BACKLOG)) {
		err = -errno;
		log_err("listen %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	return srv;

err_unlink:
	unlink(path);
err_free:
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->wake[0] >= 0) {
		close(srv->wake[0]);
		close(srv->wake[1]);
	}
	free(srv->conns);
	free(srv->pfds);
	free(srv);
	errno = -err;
	return NULL;
}

void ioc_set_cap_check(struct ioc_server *srv, ioc_cap_check_fn *fn, void *ctx)
{
	srv->cap_check = fn;
	srv->cap_check_ctx = ctx;
}

/* The peer's euid when it connected, as SO_PEERCRED keeps it; -1 if unknown */
static uid_t peer_uid(int fd)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred uc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		return (uid_t)-1;
	return uc.uid;
}

/* uid 0, or CAP_SYS_ADMIN in kstatd's user namespace, both as of the connect */
static bool conn_may_write(struct ioc_server *srv, struct conn *c)
{
	int r;

	if (c->may_write != PRIV_UNKNOWN)
		return c->may_write == PRIV_YES;
	if (c->uid == 0) {
		c->may_write = PRIV_YES;
		return true;
	}
	r = srv->cap_check ? srv->cap_check(srv->cap_check_ctx, c->fd) : 0;
	if (r < 0)
		log_warn("socket client uid %u: cannot tell its capabilities: %s: treated as "
			 "unprivileged",
			 (unsigned int)c->uid, strerror(-r));
	c->may_write = r == 1 ? PRIV_YES : PRIV_NO;
	return r == 1;
}

static void conn_reset_request(struct conn *c)
{
	free(c->body);
	c->body = NULL;
	c->hdr_got = 0;
	c->body_got = 0;
	c->deadline = 0;
}

static void conn_close(struct ioc_server *srv, size_t i)
{
	struct conn *c = &srv->conns[i];

	close(c->fd);
	free(c->body);
	free(c->out.buf);
	srv->conns[i] = srv->conns[--srv->nconns];
	memset(&srv->conns[srv->nconns], 0, sizeof(srv->conns[0]));
}

static bool conn_idle(const struct conn *c)
{
	return !c->deadline && !c->out.len && !c->hdr_got;
}

/*
 * Make room for a connection of uid: 0 when there is, after closing the
 * oldest idle connection that stands in the way if need be; -1 when every
 * connection in the way is busy.
 */
static int make_room(struct ioc_server *srv, uid_t uid)
{
	size_t mine = 0, others = 0, victim = SIZE_MAX;
	bool full, uid_full;

	for (size_t i = 0; i < srv->nconns; i++) {
		mine += srv->conns[i].uid == uid;
		others += srv->conns[i].uid != 0;
	}
	full = srv->nconns == srv->max_conns ||
	       (uid != 0 && others >= srv->max_conns - ROOT_RESERVED_CONNS);
	uid_full = uid != 0 && mine >= MAX_CONNS_PER_UID;
	if (!full && !uid_full)
		return 0;
	for (size_t i = 0; i < srv->nconns; i++) {
		const struct conn *c = &srv->conns[i];

		if (!conn_idle(c) || c->uid == 0 || (uid_full && c->uid != uid))
			continue;
		if (victim == SIZE_MAX || c->last_ms < srv->conns[victim].last_ms)
			victim = i;
	}
	if (victim == SIZE_MAX)
		return -1;
	log_dbg("socket client uid %u: idle connection closed for a new one of uid %u",
		(unsigned int)srv->conns[victim].uid, (unsigned int)uid);
	conn_close(srv, victim);
	return 0;
}

static void accept_clients(struct ioc_server *srv)
{
	for (int burst = 0; burst < 64; burst++) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		uid_t uid;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				srv->accept_resume = now_ms() + ACCEPT_PAUSE_MS;
				log_warn("accept: %s", strerror(errno));
			}
			return;
		}
		uid = peer_uid(fd);
		if (make_room(srv, uid)) {
			/* closed at once: the client sees EOF rather than waiting */
			if (srv->refused++ % 1000 == 0)
				log_warn("socket: too many clients (uid %u): connection refused",
					 (unsigned int)uid);
			close(fd);
			continue;
		}
		c = &srv->conns[srv->nconns++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->uid = uid;
		c->last_ms = now_ms();
	}
}

/* Send what is pending; -1 when the connection must go */
static int conn_flush(struct conn *c)
{
	while (c->out_sent < c->out.len) {
		ssize_t n = send(c->fd, (char *)c->out.buf + c->out_sent, c->out.len - c->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		c->out_sent += (size_t)n;
		c->deadline = now_ms() + IOC_IO_TIMEOUT_MS;
	}
	c->out.len = 0;
	c->out_sent = 0;
	c->deadline = 0;
	if (c->out.cap > KEEP_OUT_BYTES) {
		free(c->out.buf);
		memset(&c->out, 0, sizeof(c->out));
	}
	return c->close_after ? -1 : 0;
}

static int conn_frame_error(struct conn *c, int err)
{
	log_dbg("socket client uid %u: bad request: %s", (unsigned int)c->uid, strerror(err));
	if (err == EBADMSG)
		return -1; /* not our protocol: nothing to say */
	c->close_after = true;
	conn_reset_request(c);
	if (ioc_reply_error(&c->out, err))
		return -1;
	return 1;
}

/*
 * Read at most one request; run it when complete.  Returns 1 when a reply
 * is ready, 0 when more bytes are needed, -1 when the connection must go.
 */
static int conn_read(struct ioc_server *srv, struct conn *c)
{
	ssize_t n;
	int err;

	if (c->hdr_got < sizeof(c->req)) {
		n = recv(c->fd, (char *)&c->req + c->hdr_got, sizeof(c->req) - c->hdr_got,
			 MSG_DONTWAIT);
		if (n <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->hdr_got += (size_t)n;
		c->deadline = now_ms() + IOC_IO_TIMEOUT_MS;
		if (c->hdr_got < sizeof(c->req))
			return 0;
		err = ioc_batch_req_check(&c->req);
		if (err)
			return conn_frame_error(c, err);
		if (c->req.body_len) {
			c->body = malloc(c->req.body_len);
			if (!c->body)
				return -1;
		}
	}
	if (c->body_got < c->req.body_len) {
		n = recv(c->fd, (char *)c->body + c->body_got, c->req.body_len - c->body_got,
			 MSG_DONTWAIT);
		if (n <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->body_got += (size_t)n;
		c->deadline = now_ms() + IOC_IO_TIMEOUT_MS;
		if (c->body_got < c->req.body_len)
			return 0;
	}
	err = ioc_batch_req_run(srv->snap, &c->session, &c->req, c->body,
				c->req.cmd == KSTAT_IOC_WRITE && conn_may_write(srv, c), &c->out);
	conn_reset_request(c);
	if (err)
		return -1;
	c->out_sent = 0;
	return 1;
}

static void serve_conn(struct ioc_server *srv, size_t i, short revents, int64_t now)
{
	struct conn *c = &srv->conns[i];
	int r = 0;

	if (c->out.len) {
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			r = conn_flush(c);
	} else if (revents & (POLLIN | POLLERR | POLLHUP)) {
		r = conn_read(srv, c);
		if (r == 1)
			r = conn_flush(c);
	}
	if (revents)
		c->last_ms = now;
	if (r >= 0 && c->deadline && now >= c->deadline) {
		log_dbg("socket client uid %u: stalled for %d ms: dropped", (unsigned int)c->uid,
			IOC_IO_TIMEOUT_MS);
		r = -1;
	}
	if (r >= 0 && conn_idle(c) && now - c->last_ms >= IOC_IDLE_TIMEOUT_MS) {
		log_dbg("socket client uid %u: idle for %d ms: closed", (unsigned int)c->uid,
			IOC_IDLE_TIMEOUT_MS);
		r = -1;
	}
	if (r < 0)
		conn_close(srv, i);
}

static int poll_timeout(const struct ioc_server *srv, int64_t now)
{
	int64_t next = now + 1000;

	for (size_t i = 0; i < srv->nconns; i++)
		if (srv->conns[i].deadline && srv->conns[i].deadline < next)
			next = srv->conns[i].deadline;
	if (srv->accept_resume && srv->accept_resume < next)
		next = srv->accept_resume;
	return next > now ? (int)(next - now) : 0;
}

static void *server_thread(void *arg)
{
	struct ioc_server *srv = arg;

	for (;;) {
		int64_t now = now_ms();
		size_t n = srv->nconns;
		bool listening;
		int ready;

		/* a full table still accepts, to refuse at once rather than leave clients hanging */
		listening = now >= srv->accept_resume;
		srv->pfds[0] = (struct pollfd){ .fd = srv->wake[0], .events = POLLIN };
		srv->pfds[1] =
			(struct pollfd){ .fd = listening ? srv->listen_fd : -1, .events = POLLIN };
		for (size_t i = 0; i < n; i++)
			srv->pfds[i + 2] = (struct pollfd){
				.fd = srv->conns[i].fd,
				.events = srv->conns[i].out.len ? POLLOUT : POLLIN,
			};
		ready = poll(srv->pfds, n + 2, poll_timeout(srv, now));
		if (ready < 0 && errno != EINTR) {
			log_err("socket: poll: %s", strerror(errno));
			break;
		}
		if (srv->pfds[0].revents)
			break;
		now = now_ms();
		/* backwards: closing i moves the last connection into slot i */
		for (size_t i = n; i-- > 0;)
			serve_conn(srv, i, ready > 0 ? srv->pfds[i + 2].revents : 0, now);
		if (srv->accept_resume && now >= srv->accept_resume)
			srv->accept_resume = 0;
		if (ready > 0 && (srv->pfds[1].revents & POLLIN))
			accept_clients(srv);
	}
	return NULL;
}

int ioc_start(struct ioc_server *srv)
{
	int err = pthread_create(&srv->tid, NULL, server_thread, srv);

	if (err) {
		log_err("cannot start the socket thread: %s", strerror(err));
		return -err;
	}
	srv->started = true;
	return 0;
}

void ioc_free(struct ioc_server *srv)
{
	struct stat st;

	if (!srv)
		return;
	if (srv->started) {
		(void)!write(srv->wake[1], "x", 1);
		pthread_join(srv->tid, NULL);
	}
	while (srv->nconns)
		conn_close(srv, srv->nconns - 1);
	close(srv->listen_fd);
	close(srv->wake[0]);
	close(srv->wake[1]);
	/* only our own socket: a successor may already have replaced it */
	if (stat(srv->path, &st) == 0 && st.st_dev == srv->sock_dev && st.st_ino == srv->sock_ino)
		unlink(srv->path);
	free(srv->conns);
	free(srv->pfds);
	free(srv);
}
