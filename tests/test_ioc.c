// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The socket ABI under hostile clients, against a real kstatd: bad magic
 * or version, bad lengths, short and truncated frames, garbage, silent
 * clients, hundreds of clients at once.  Each gets an errno or a closed
 * connection, and the daemon keeps serving everyone else.  The suite
 * "ioc_socket" checks the socket's setup (stale, live, too long).
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <kstat.h>

#include "daemon.h"
#include "ioctl_compat.h"

TestSuite(ioc, .init = tdaemon_start, .fini = tdaemon_fini, .timeout = 60);

static int sock_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s: %s", path,
		     strerror(errno));
	return fd;
}

static struct ksw_req req_of(uint32_t cmd, kid_t kid, uint64_t size)
{
	struct ksw_req r = {
		.magic = KSW_REQ_MAGIC,
		.version = KSW_VERSION,
		.hdr_len = sizeof(r),
		.cmd = cmd,
		.model = KSW_MODEL_LP64,
		.ks_kid = kid,
		.ks_data = 0x10000,
		.ks_data_size = size,
	};
	return r;
}

static void send_bytes(int fd, const void *buf, size_t len)
{
	cr_assert_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len, "send: %s", strerror(errno));
}

/* Wait for up to ms for bytes or EOF: the bytes read, 0 at EOF, -1 on timeout */
static ssize_t recv_within(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (poll(&p, 1, ms) != 1)
			return got ? (ssize_t)got : -1;
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n <= 0)
			return got ? (ssize_t)got : (n == 0 || errno == ECONNRESET ? 0 : -1);
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* A reply header, and its body skipped */
static struct ksw_rep get_reply(int fd)
{
	struct ksw_rep rep = {};
	char sink[4096];

	cr_assert_eq(recv_within(fd, &rep, sizeof(rep), 3000), (ssize_t)sizeof(rep), "no reply");
	cr_assert_eq(rep.magic, KSW_REP_MAGIC);
	cr_assert_eq(rep.version, KSW_VERSION);
	cr_assert_eq(rep.hdr_len, sizeof(rep));
	for (uint64_t left = rep.body_len; left;) {
		size_t n = left < sizeof(sink) ? (size_t)left : sizeof(sink);

		cr_assert_eq(recv_within(fd, sink, n, 3000), (ssize_t)n);
		left -= n;
	}
	return rep;
}

/* Another client is served right now: kid 0 through libkstat, quickly */
static void others_are_served(void)
{
	long long t0 = mono_ms();
	kstat_ctl_t *kc = kstat_open();

	cr_assert(kc, "kstat_open: %s", strerror(errno));
	cr_expect_neq(kstat_read(kc, kstat_lookup(kc, "cpu", 0, "sys"), NULL), -1);
	kstat_close(kc);
	cr_expect_lt(mono_ms() - t0, 1000, "another client waited %lld ms", mono_ms() - t0);
}

/* The kid of kstatd:0:config, a writable kstat: it moves with the providers built in */
static kid_t config_kid(void)
{
	kstat_ctl_t *kc = kstat_open();
	kstat_t *ksp;
	kid_t kid;

	cr_assert(kc, "kstat_open: %s", strerror(errno));
	ksp = kstat_lookup(kc, "kstatd", 0, "config");
	cr_assert(ksp, "no kstatd:0:config");
	kid = ksp->ks_kid;
	kstat_close(kc);
	return kid;
}

static void expect_closed(int fd)
{
	char c;

	cr_expect_eq(recv_within(fd, &c, 1, 3000), 0, "the connection is closed");
}

Test(ioc, bad_magic_closes_the_connection)
{
	int fd = sock_connect(td.sock);
	struct ksw_req r = req_of(KSTAT_IOC_CHAIN_ID, 0, 0);

	r.magic = 0xdeadbeef;
	send_bytes(fd, &r, sizeof(r));
	expect_closed(fd);
	close(fd);
	others_are_served();
}

Test(ioc, another_version_gets_eprotonosupport_then_close)
{
	int fd = sock_connect(td.sock);
	struct ksw_req r = req_of(KSTAT_IOC_CHAIN_ID, 0, 0);
	struct ksw_rep rep;

	r.version = 2;
	send_bytes(fd, &r, sizeof(r));
	rep = get_reply(fd);
	cr_expect_eq(rep.rval, -1);
	cr_expect_eq(rep.error, EPROTONOSUPPORT);
	expect_closed(fd);
	close(fd);
	others_are_served();
}

Test(ioc, bad_lengths_get_eproto_or_e2big_then_close)
{
	struct {
		uint16_t hdr_len;
		uint32_t cmd;
		uint64_t body_len;
		int err;
	} cases[] = {
		{ sizeof(struct ksw_req) + 8, KSTAT_IOC_CHAIN_ID, 0, EPROTO },
		{ 8, KSTAT_IOC_READ, 0, EPROTO },
		{ sizeof(struct ksw_req), KSTAT_IOC_READ, 16, EPROTO },
		{ sizeof(struct ksw_req), KSTAT_IOC_WRITE, KSW_MAX_WRITE + 1, E2BIG },
		{ sizeof(struct ksw_req), KSTAT_IOC_WRITE, UINT64_MAX, E2BIG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = sock_connect(td.sock);
		struct ksw_req r = req_of(cases[i].cmd, 5, 48);
		struct ksw_rep rep;

		r.hdr_len = cases[i].hdr_len;
		r.body_len = cases[i].body_len;
		send_bytes(fd, &r, sizeof(r));
		rep = get_reply(fd);
		cr_expect_eq(rep.error, cases[i].err, "case %zu: errno %d", i, rep.error);
		cr_expect_eq(rep.rval, -1);
		expect_closed(fd);
		close(fd);
	}
	others_are_served();
}

Test(ioc, semantic_errors_keep_the_connection)
{
	int fd = sock_connect(td.sock);
	struct ksw_req r;
	struct ksw_rep rep;

	r = req_of(KSTAT_IOC_CHAIN_ID, 0, 0);
	r.model = 7;
	send_bytes(fd, &r, sizeof(r));
	cr_expect_eq(get_reply(fd).error, EINVAL, "unknown data model");

	r = req_of(0x4b7f, 0, 0);
	send_bytes(fd, &r, sizeof(r));
	cr_expect_eq(get_reply(fd).error, EINVAL, "unknown command");

	r = req_of(KSTAT_IOC_READ, 1, UINT64_MAX / 2);
	send_bytes(fd, &r, sizeof(r));
	rep = get_reply(fd);
	cr_expect_eq(rep.error, 0, "a huge ks_data_size is only a limit");
	cr_expect_eq(rep.body_len, 5 * sizeof(kstat_named_t));

	r = req_of(KSTAT_IOC_READ, 1, UINT64_MAX);
	send_bytes(fd, &r, sizeof(r));
	cr_expect_eq(get_reply(fd).error, EFAULT, "a buffer that wraps the address space");

	r = req_of(KSTAT_IOC_READ, 1, 1ULL << 33);
	r.model = KSW_MODEL_ILP32;
	send_bytes(fd, &r, sizeof(r));
	cr_expect_eq(get_reply(fd).error, EINVAL, "a 64-bit size from a 32-bit caller");

	r = req_of(KSTAT_IOC_READ, 1, 4096);
	r.model = KSW_MODEL_ILP32;
	r.ks_data = 1ULL << 40;
	send_bytes(fd, &r, sizeof(r));
	cr_expect_eq(get_reply(fd).error, EFAULT, "a 64-bit address from a 32-bit caller");

	r = req_of(KSTAT_IOC_READ, 1, 4096);
	r.ks_data = 0;
	send_bytes(fd, &r, sizeof(r));
	rep = get_reply(fd);
	cr_expect_eq(rep.error, EFAULT, "a NULL buffer");
	cr_expect(rep.flags & KSW_REP_HDR, "the header still comes back");

	r = req_of(KSTAT_IOC_READ, 0x7ffffff0, 4096);
	send_bytes(fd, &r, sizeof(r));
	cr_expect_eq(get_reply(fd).error, ENXIO);

	r = req_of(KSTAT_IOC_READ, -5, 4096);
	send_bytes(fd, &r, sizeof(r));
	cr_expect_eq(get_reply(fd).error, ENXIO, "a negative kid");

	r = req_of(KSTAT_IOC_READ, 0, 8);
	send_bytes(fd, &r, sizeof(r));
	rep = get_reply(fd);
	cr_expect_eq(rep.error, ENOMEM);
	cr_expect_eq(rep.body_len, 0);
	cr_expect(rep.flags & KSW_REP_HDR);
	cr_expect_eq(rep.ks_data_size, rep.ks_ndata * sizeof(kstat_t));

	{
		char body[96] = { 0 };

		/* huge ks_ndata and a ks_data_size that is not the body's */
		r = req_of(KSTAT_IOC_WRITE, config_kid(), sizeof(body));
		r.ks_ndata = UINT32_MAX;
		r.body_len = sizeof(body);
		send_bytes(fd, &r, sizeof(r));
		send_bytes(fd, body, sizeof(body));
		cr_expect_eq(get_reply(fd).error, EINVAL, "ks_ndata beyond the kstat's");
		r.ks_ndata = 1;
		r.ks_data_size = 1ULL << 40;
		send_bytes(fd, &r, sizeof(r));
		send_bytes(fd, body, sizeof(body));
		cr_expect_eq(get_reply(fd).error, EINVAL, "ks_data_size not the body's");
	}

	r = req_of(KSTAT_IOC_CHAIN_ID, 0, 0);
	send_bytes(fd, &r, sizeof(r));
	rep = get_reply(fd);
	cr_expect_eq(rep.error, 0, "still served after all that");
	cr_expect_gt(rep.rval, 0);
	close(fd);
}

Test(ioc, short_garbage_and_abandoned_frames_do_not_hurt_others)
{
	unsigned char junk[65536];
	struct ksw_req r = req_of(KSTAT_IOC_READ, 0, 1 << 20);
	int fd;

	/* half a header, then gone */
	fd = sock_connect(td.sock);
	send_bytes(fd, &r, 10);
	close(fd);
	/* a write header promising a body that never comes, then gone */
	fd = sock_connect(td.sock);
	r = req_of(KSTAT_IOC_WRITE, config_kid(), 48);
	r.body_len = 48;
	send_bytes(fd, &r, sizeof(r));
	send_bytes(fd, junk, 20);
	close(fd);
	/* garbage */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 2654435761u >> 13);
	fd = sock_connect(td.sock);
	(void)send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
	expect_closed(fd);
	close(fd);
	/* a reply nobody reads: the client asks for kid 0 and goes */
	fd = sock_connect(td.sock);
	r = req_of(KSTAT_IOC_READ, 0, 1 << 20);
	send_bytes(fd, &r, sizeof(r));
	close(fd);
	others_are_served();
}

Test(ioc, stalled_and_silent_clients_do_not_delay_others, .timeout = 30)
{
	struct ksw_req r = req_of(KSTAT_IOC_READ, 0, 1 << 20);
	int silent = sock_connect(td.sock), half = sock_connect(td.sock);
	long long t0 = mono_ms();
	char c;

	send_bytes(half, &r, sizeof(r) / 2);
	others_are_served();
	others_are_served();
	/* half a request is dropped after the I/O timeout; a silent client is not */
	cr_expect_eq(recv_within(half, &c, 1, IOC_IO_TIMEOUT_MS + 3000), 0,
		     "a stalled request is dropped");
	cr_expect_geq(mono_ms() - t0, IOC_IO_TIMEOUT_MS - 500);
	cr_expect_eq(recv_within(silent, &c, 1, 10), -1, "a silent client keeps its connection");
	r = req_of(KSTAT_IOC_CHAIN_ID, 0, 0);
	send_bytes(silent, &r, sizeof(r));
	cr_expect_eq(get_reply(silent).error, 0, "and is served when it speaks");
	close(silent);
	close(half);
}

Test(ioc, hundreds_of_clients_at_once_are_all_served)
{
	enum { NCLIENTS = 400 };
	static int fds[NCLIENTS];
	struct ksw_req r = req_of(KSTAT_IOC_READ, 0, 1 << 20);
	int served = 0;

	for (int i = 0; i < NCLIENTS; i++)
		fds[i] = sock_connect(td.sock);
	for (int i = 0; i < NCLIENTS; i++)
		send_bytes(fds[i], &r, sizeof(r));
	for (int i = 0; i < NCLIENTS; i++) {
		struct ksw_rep rep = get_reply(fds[i]);

		served += rep.error == 0 && rep.rval > 0 && rep.body_len == rep.ks_data_size &&
			  rep.ks_ndata >= 8;
	}
	cr_expect_eq(served, NCLIENTS);
	for (int i = 0; i < NCLIENTS; i++)
		close(fds[i]);
	others_are_served();
}

/* ---- the socket's setup, on an in-process engine ---- */

TestSuite(ioc_socket, .timeout = 30);

Test(ioc_socket, a_path_too_long_for_sun_path_is_refused)
{
	char path[200];
	struct snap *s = snap_new();

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	errno = 0;
	cr_expect_null(ioc_new(s, path));
	cr_expect_eq(errno, ENAMETOOLONG);
	snap_free(s);
}

Test(ioc_socket, a_stale_socket_is_replaced_and_a_live_one_refused)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ioc_server *a, *b;
	struct snap *s = snap_new();
	char dir[] = "/tmp/kstatd-sock-XXXXXX";
	int fd;

	cr_assert(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sub/dir/k.sock", dir);
	/* the directory is created */
	a = ioc_new(s, sa.sun_path);
	cr_assert(a, "ioc_new: %s", strerror(errno));
	ioc_free(a);
	/* a dead daemon's socket: bound, then closed without unlinking */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	a = ioc_new(s, sa.sun_path);
	cr_expect(a, "a stale socket is replaced: %s", strerror(errno));
	cr_assert_eq(ioc_start(a), 0);
	errno = 0;
	b = ioc_new(s, sa.sun_path);
	cr_expect_null(b, "a live socket is refused");
	cr_expect_eq(errno, EADDRINUSE);
	fd = sock_connect(sa.sun_path);
	close(fd);
	ioc_free(a);
	cr_expect_neq(access(sa.sun_path, F_OK), 0, "removed on the way out");
	fd = open(sa.sun_path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	errno = 0;
	cr_expect_null(ioc_new(s, sa.sun_path), "a file that is not a socket is left alone");
	cr_expect_eq(errno, EEXIST);
	snap_free(s);
	{
		char rm[160];

		snprintf(rm, sizeof(rm), "rm -rf %s", dir);
		cr_expect_eq(system(rm), 0);
	}
}
