// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The HTTP front end in-process, over real sockets on loopback with a raw
 * client: paths and methods (404, 405, 400), keep-alive, content
 * negotiation, gzip, 503 beyond --web.max-requests, basic auth, and idle
 * or slow clients that must not keep a scrape out.  The kstats are made
 * in-process, so this needs no BPF and no root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <criterion/criterion.h>

#include "http_export.h"
#include "http_listen.h"
#include "prom_fx.h"
#include "web_config.h"

#define ALICE_HASH "$2y$06$fZ6JWXZg5Z2BLTgbo796HuC0Jzyh2sCjdALFYHx/tamYKrUpU79rC"
#define PROM2_ACCEPT                                                                             \
	"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;" \
	"q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
#define PROM3_ACCEPT                                                                          \
	"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/"  \
	"openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;" \
	"q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"

static struct snap *s;
static struct http *h;
static int port;
static unsigned int conn_limit = 256;

struct resp {
	int status;
	char head[4096];
	char *body;
	size_t len;
};

static const char *const names[] = { "busy", "ops", "level", "lat_2", "lat_inf", "lat_sum" };
static const struct snap_stat_meta meta[] = {
	{ SNAP_COUNTER, "ns", "Time busy", NULL, 0 },
	{ SNAP_COUNTER, "count", "Operations", NULL, 0 },
	{ SNAP_GAUGE, "bytes", "A level", NULL, 0 },
	{ SNAP_HIST, "ns", "Latency", "lat", 2 },
	{ SNAP_HIST, "ns", "Latency", "lat", UINT64_MAX },
	{ SNAP_COUNTER, "ns", "Latency sum", NULL, 0 },
};

/* nkstats NAMED kstats in module "fx" (and one in "fy") */
static void make_kstats(int nkstats)
{
	const uint64_t vals[] = { 1500000000ULL, 7, 4096, 3, 4, 9000 };

	for (int i = 0; i < nkstats; i++) {
		char name[KSTAT_STRLEN];

		snprintf(name, sizeof(name), "k%d", i);
		fx_named(s, "fx", i, name, "misc", 6, names, meta, vals);
	}
	fx_named(s, "fy", 0, "other", "misc", 6, names, meta, vals);
}

static void start(unsigned int max_requests, unsigned int per_ip, unsigned int timeout_s,
		  const struct web_config *wc)
{
	struct http_opts o;
	char err[256];
	const char *url;

	http_opts_default(&o);
	o.listen[0] = "127.0.0.1:0";
	o.nlisten = 1;
	o.max_requests = max_requests;
	o.per_ip_limit = per_ip;
	o.timeout_s = timeout_s;
	o.conn_limit = conn_limit;
	o.wc = wc;
	o.version = "test";
	h = http_start(s, &o, err, sizeof(err));
	cr_assert(h, "http_start: %s", err);
	url = http_url(h, 0);
	cr_assert(url);
	port = atoi(strrchr(url, ':') + 1);
	cr_assert_gt(port, 0);
}

static void setup(void)
{
	s = snap_new();
	cr_assert(s);
}

static void teardown(void)
{
	http_stop(h);
	h = NULL;
	snap_free(s);
	s = NULL;
}

TestSuite(http, .init = setup, .fini = teardown, .timeout = 60);

/* A connection to the server from source address src (127.0.0.x), or -1 */
static int connect_from(const char *src, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (src) {
		struct sockaddr_in me = { .sin_family = AF_INET };

		inet_pton(AF_INET, src, &me.sin_addr);
		cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0, "bind %s", src);
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *req)
{
	size_t n = strlen(req);

	cr_assert_eq(send(fd, req, n, MSG_NOSIGNAL), (ssize_t)n, "send: %s", strerror(errno));
}

/* Read one response; false if the connection closed or failed first */
static bool read_resp(int fd, struct resp *r, bool head)
{
	size_t hl = 0, want;
	char *end = NULL, *cl;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	while (!end) {
		if (hl + 1 >= sizeof(r->head))
			return false;
		n = recv(fd, r->head + hl, 1, 0);
		if (n <= 0)
			return false;
		hl += (size_t)n;
		r->head[hl] = '\0';
		end = strstr(r->head, "\r\n\r\n");
	}
	if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1)
		return false;
	cl = strcasestr(r->head, "\r\nContent-Length: ");
	want = head || !cl ? 0 : strtoull(cl + 18, NULL, 10);
	r->body = calloc(1, want + 1);
	cr_assert(r->body);
	while (r->len < want) {
		n = recv(fd, r->body + r->len, want - r->len, 0);
		if (n <= 0)
			return false;
		r->len += (size_t)n;
	}
	return true;
}

static struct resp get(const char *path, const char *extra_headers)
{
	char req[2048];
	struct resp r;
	int fd = connect_from(NULL, 0);

	cr_assert_geq(fd, 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n", path,
		 extra_headers ? extra_headers : "");
	send_all(fd, req);
	cr_assert(read_resp(fd, &r, false), "no response to GET %s", path);
	close(fd);
	return r;
}

static const char *header(const struct resp *r, const char *name)
{
	static char val[512];
	char key[128];
	const char *p;
	size_t n;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	p = strcasestr(r->head, key);
	if (!p)
		return NULL;
	p += strlen(key);
	n = strcspn(p, "\r");
	snprintf(val, sizeof(val), "%.*s", (int)n, p);
	return val;
}

Test(http, paths_and_methods)
{
	struct resp r;
	int fd;

	make_kstats(2);
	start(40, 16, 60, NULL);
	r = get("/", NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(header(&r, "Content-Type"), "text/html; charset=utf-8");
	cr_expect(strstr(r.body, "href=\"/kstat?module=fx&amp;instance=1&amp;name=k1\""), "%s",
		  r.body);
	cr_expect(strstr(r.body, "href=\"/metrics?collect%5B%5D=fy\""));
	free(r.body);

	r = get("/kstat?module=fy", NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(header(&r, "Content-Type"), "application/json; charset=utf-8");
	cr_expect_eq(strncmp(r.body, "[{\n\t\"module\": \"fy\",\n\t\"instance\": 0,\n", 36), 0,
		     "%s", r.body);
	free(r.body);

	r = get("/nope", NULL);
	cr_expect_eq(r.status, 404);
	free(r.body);
	r = get("/metrics/", NULL);
	cr_expect_eq(r.status, 404);
	free(r.body);

	fd = connect_from(NULL, 0);
	send_all(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
	cr_assert(read_resp(fd, &r, false));
	cr_expect_eq(r.status, 405);
	cr_expect_str_eq(header(&r, "Allow"), "GET, HEAD");
	free(r.body);
	send_all(fd, "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert(read_resp(fd, &r, false), "the connection stays open after a 405");
	cr_expect_eq(r.status, 405);
	free(r.body);
	close(fd);

	fd = connect_from(NULL, 0);
	send_all(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
	cr_assert(read_resp(fd, &r, false));
	cr_expect_eq(r.status, 405, "a body is never read");
	free(r.body);
	close(fd);
	fd = connect_from(NULL, 0);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
	cr_assert(read_resp(fd, &r, false));
	cr_expect_eq(r.status, 400);
	free(r.body);
	close(fd);
}

Test(http, head_and_keep_alive)
{
	struct resp r;
	int fd;

	make_kstats(2);
	start(40, 16, 60, NULL);
	fd = connect_from(NULL, 0);
	for (int i = 0; i < 3; i++) {
		send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
		cr_assert(read_resp(fd, &r, false), "request %d on one connection", i);
		cr_expect_eq(r.status, 200);
		cr_expect_null(header(&r, "Connection"), "%s", r.head);
		free(r.body);
	}
	send_all(fd, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert(read_resp(fd, &r, true));
	cr_expect_eq(r.status, 200);
	cr_expect_gt(atoi(header(&r, "Content-Length")), 1000);
	free(r.body);
	send_all(fd, "GET /kstat HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert(read_resp(fd, &r, false), "HEAD sent no body: the next response is in step");
	cr_expect_eq(r.status, 200);
	cr_expect_eq(r.body[0], '[');
	free(r.body);
	close(fd);
}

static void negotiated(const char *accept, bool om)
{
	char hdr[1024];
	struct resp r;

	snprintf(hdr, sizeof(hdr), "Accept: %s\r\n", accept);
	r = get("/metrics", accept ? hdr : NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(header(&r, "Content-Type"), om ? PROM_CT_OPENMETRICS : PROM_CT_TEXT,
			 "Accept: %s", accept ? accept : "(none)");
	cr_expect_eq(strcmp(r.body + r.len - 6, "# EOF\n") == 0, om, "Accept: %s",
		     accept ? accept : "(none)");
	cr_expect_str_eq(header(&r, "Vary"), "Accept, Accept-Encoding");
	free(r.body);
}

Test(http, content_negotiation)
{
	make_kstats(1);
	start(40, 16, 60, NULL);
	negotiated(NULL, false);
	negotiated(PROM2_ACCEPT, true);
	negotiated(PROM3_ACCEPT, true);
	negotiated("application/openmetrics-text", true);
	negotiated("text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5", false);
	negotiated("text/plain;q=0.5, application/openmetrics-text;version=1.0.0;q=0.5", false);
	negotiated("application/openmetrics-text;version=0.0.1", false);
	negotiated("application/openmetrics-text;version=1.0.0;q=0", false);
	negotiated("application/openmetrics-text;q=bogus", false);
	negotiated("*/*", false);
	negotiated("application/json", false);
}

static char *gunzip(const char *in, size_t len, size_t *outlen)
{
	size_t cap = len * 20 + 4096;
	char *out = malloc(cap);
	z_stream z = { 0 };

	cr_assert(out);
	cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap - 1;
	cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END, "not a gzip stream");
	*outlen = z.total_out;
	out[*outlen] = '\0';
	inflateEnd(&z);
	return out;
}

Test(http, gzip_when_asked)
{
	struct resp plain, gz;
	size_t n;
	char *text;

	make_kstats(50);
	start(40, 16, 60, NULL);
	gz = get("/metrics", "Accept-Encoding: deflate, gzip;q=0.8\r\n");
	cr_expect_eq(gz.status, 200);
	cr_expect_str_eq(header(&gz, "Content-Encoding"), "gzip");
	cr_expect_str_eq(header(&gz, "Vary"), "Accept, Accept-Encoding");
	text = gunzip(gz.body, gz.len, &n);
	plain = get("/metrics", NULL);
	cr_expect_null(header(&plain, "Content-Encoding"));
	cr_expect_lt(gz.len * 4, plain.len, "compressed %zu of %zu bytes", gz.len, plain.len);
	/* the same scrape but for its duration, the last line */
	cr_expect_eq(strncmp(text, plain.body, plain.len - 64), 0);
	cr_expect(fx_has_line(text, "kstat_fx_busy_seconds_total{ks_instance=\"3\",ks_name=\"k3\"} "
				    "1.5"));
	free(text);
	free(gz.body);
	free(plain.body);

	gz = get("/metrics", "Accept-Encoding: gzip;q=0, identity\r\n");
	cr_expect_null(header(&gz, "Content-Encoding"), "q=0 refuses gzip");
	free(gz.body);
}

static int status_of(const char *path)
{
	struct resp r = get(path, NULL);

	free(r.body);
	return r.status;
}

Test(http, bad_queries_are_400)
{
	struct resp r;

	make_kstats(1);
	start(40, 16, 60, NULL);
	cr_expect_eq(status_of("/metrics?collect[]=fx&exclude[]=fy"), 400);
	cr_expect_eq(status_of("/metrics?collect[]="), 400);
	cr_expect_eq(status_of("/metrics?exclude[]=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 400);
	r = get("/metrics?collect%5B%5D=fx&collect[]=nosuch", NULL);
	cr_expect_eq(r.status, 400);
	cr_expect_str_eq(r.body, "collect[]: no kstat module 'nosuch'\n");
	free(r.body);
	cr_expect_eq(status_of("/metrics?exclude[]=nosuch"), 400);
	cr_expect_eq(status_of("/kstat?bogus=1"), 400);
	cr_expect_eq(status_of("/kstat?module=fx&module=fy"), 400);
	cr_expect_eq(status_of("/kstat?instance=abc"), 400);
	cr_expect_eq(status_of("/kstat?name=%01"), 400);

	r = get("/metrics?collect%5B%5D=fy", NULL);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "ks_name=\"other\""));
	cr_expect_null(strstr(r.body, "ks_name=\"k0\""));
	free(r.body);
	r = get("/metrics?exclude[]=fy&unrelated=1", NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_null(strstr(r.body, "ks_name=\"other\""));
	cr_expect(strstr(r.body, "ks_name=\"k0\""));
	free(r.body);
	r = get("/kstat?module=f?&name=k*&statistic=lat*", NULL);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "\"lat_inf\": 4"), "%s", r.body);
	cr_expect_null(strstr(r.body, "\"busy\""));
	free(r.body);
}

static long tcp_wmem_max(void)
{
	long lo, def, max = 4194304;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "re");

	if (f) {
		if (fscanf(f, "%ld %ld %ld", &lo, &def, &max) != 3)
			max = 4194304;
		fclose(f);
	}
	return max;
}

Test(http, beyond_max_requests_is_503)
{
	struct resp r;
	char c;
	int slow;

	/*
	 * More text than the kernel can buffer (twice the largest send
	 * buffer), so that a reader with a small window holds its request open
	 */
	make_kstats((int)(2 * tcp_wmem_max() / 400));
	start(1, 16, 60, NULL);
	slow = connect_from(NULL, 4096);
	cr_assert_geq(slow, 0);
	send_all(slow, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert_eq(recv(slow, &c, 1, MSG_PEEK), 1, "the first scrape starts");

	r = get("/metrics", NULL);
	cr_expect_eq(r.status, 503);
	cr_expect_str_eq(r.body, "Limit of concurrent requests reached (1), try again later.\n");
	free(r.body);
	r = get("/kstat?module=fy", NULL);
	cr_expect_eq(r.status, 503, "snapshots of /kstat count too");
	free(r.body);
	r = get("/nope", NULL);
	cr_expect_eq(r.status, 404, "requests that take no snapshot are not limited");
	free(r.body);

	/* once the slow reader has its scrape, the slot is free again */
	cr_assert(read_resp(slow, &r, false));
	cr_expect_eq(r.status, 200);
	cr_expect_gt(r.len, (size_t)tcp_wmem_max(), "the slow reader got its megabytes");
	free(r.body);
	for (int i = 0; i < 50; i++) {
		if (status_of("/kstat?module=fy") == 200) {
			close(slow);
			return;
		}
		usleep(100 * 1000);
	}
	cr_expect_fail("the slot was never given back");
}

Test(http, basic_auth_needs_the_right_user_and_password)
{
	struct web_user users[] = { { (char *)"alice", (char *)ALICE_HASH } };
	struct web_config wc = { .users = users, .nusers = 1 };
	struct resp r;

	make_kstats(1);
	start(40, 16, 60, &wc);
	r = get("/metrics", NULL);
	cr_expect_eq(r.status, 401);
	cr_expect_str_eq(header(&r, "WWW-Authenticate"), "Basic realm=\"kstatd\"");
	free(r.body);
	/* alice:wrong, bob:s3cret, alice:s3cret */
	r = get("/metrics", "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n");
	cr_expect_eq(r.status, 401);
	free(r.body);
	r = get("/metrics", "Authorization: Basic Ym9iOnMzY3JldA==\r\n");
	cr_expect_eq(r.status, 401);
	free(r.body);
	r = get("/nope", NULL);
	cr_expect_eq(r.status, 401, "no path is revealed without credentials");
	free(r.body);
	r = get("/metrics", "Authorization: Basic YWxpY2U6czNjcmV0\r\n");
	cr_expect_eq(r.status, 200);
	free(r.body);
}

Test(http, basic_auth_takes_credentials_byte_for_byte)
{
	struct web_user users[] = { { (char *)"alice", (char *)ALICE_HASH } };
	struct web_config wc = { .users = users, .nusers = 1 };
	static const struct {
		const char *header;
		int status;
	} cases[] = {
		/* the scheme is case-insensitive, padding and spaces optional */
		{ "Authorization: basic   YWxpY2U6czNjcmV0  \r\n", 200 },
		/* "alice:s3cret\0x" and "alice\0:s3cret": a C string would stop at the NUL */
		{ "Authorization: Basic YWxpY2U6czNjcmV0AHg=\r\n", 401 },
		{ "Authorization: Basic YWxpY2UAOnMzY3JldA==\r\n", 401 },
		{ "Authorization: Basic YWxpY2U6czNjcmV0=x\r\n", 401 },
		{ "Authorization: Basic YWxpY2U6czNjcmV0A\r\n", 401 },
		{ "Authorization: Basic !WxpY2U6czNjcmV0\r\n", 401 },
		{ "Authorization: BasicYWxpY2U6czNjcmV0\r\n", 401 },
		{ "Authorization: Bearer YWxpY2U6czNjcmV0\r\n", 401 },
		{ "Authorization: Basic YWxpY2U=\r\n", 401 }, /* no colon */
	};
	struct resp r;

	make_kstats(1);
	start(40, 16, 60, &wc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = get("/metrics", cases[i].header);
		cr_expect_eq(r.status, cases[i].status, "%s: %d, not %d", cases[i].header, r.status,
			     cases[i].status);
		free(r.body);
	}
}

/* Is fd closed by the server within ms?  (recv sees EOF or a reset) */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];

	if (poll(&p, 1, ms) <= 0)
		return false;
	return recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0;
}

Test(http, idle_and_slow_clients_do_not_keep_scrapes_out)
{
	int hog[8], held = 8;
	struct resp r;
	int fd;

	make_kstats(10);
	/* room for 8 connections, at most 4 from one address, idle ones dropped after 4 s */
	conn_limit = 8;
	start(40, 4, 4, NULL);
	/* one client tries to take every connection: idle, or with half-sent headers */
	for (int i = 0; i < 8; i++) {
		hog[i] = connect_from("127.0.0.3", 0);
		cr_assert_geq(hog[i], 0);
		if (i % 2)
			send_all(hog[i], "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ");
	}
	/* the refused ones are closed at once; give a loaded machine 2 s to get there */
	for (int t = 0; t < 20 && held > 4; t++) {
		usleep(100 * 1000);
		for (int i = 0; i < 8; i++) {
			if (hog[i] >= 0 && closed_within(hog[i], 0)) {
				close(hog[i]);
				hog[i] = -1;
				held--;
			}
		}
	}
	cr_expect_eq(held, 4, "one address holds at most its 4 connections, holds %d", held);

	/* scrapes from another address are served at once */
	for (int i = 0; i < 3; i++) {
		fd = connect_from("127.0.0.2", 0);
		cr_assert_geq(fd, 0);
		send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
		cr_assert(read_resp(fd, &r, false), "scrape %d was not answered", i);
		cr_expect_eq(r.status, 200);
		free(r.body);
		close(fd);
	}

	/* idle and stalled clients are dropped after the timeout */
	for (int i = 0; i < 8; i++) {
		if (hog[i] < 0)
			continue;
		cr_expect(closed_within(hog[i], 8000), "connection %d outlived the timeout", i);
		close(hog[i]);
	}
}

Test(http, listen_addresses_are_checked)
{
	struct sockaddr_storage ss;
	char err[256];
	socklen_t len;
	bool any;

	cr_expect_eq(http_listen_parse("127.0.0.1:8738", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect_eq(ss.ss_family, AF_INET);
	cr_expect_eq(http_listen_parse("[::1]:0", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect_eq(ss.ss_family, AF_INET6);
	cr_expect_eq(http_listen_parse(":9000", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect(any);
	cr_expect_neq(http_listen_parse("::1:80", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect(strstr(err, "brackets"), "%s", err);
	cr_expect_neq(http_listen_parse("127.0.0.1:65536", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect_neq(http_listen_parse("127.0.0.1:", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect_neq(http_listen_parse("127.0.0.1:-1", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect_neq(http_listen_parse("127.0.0.1", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect_neq(http_listen_parse("[::1]80", &ss, &len, &any, err, sizeof(err)), 0);
	cr_expect(http_path_ok("/metrics"));
	cr_expect(http_path_ok("/a/b-c.d"));
	cr_expect_not(http_path_ok("/"));
	cr_expect_not(http_path_ok("/kstat"));
	cr_expect_not(http_path_ok("metrics"));
	cr_expect_not(http_path_ok("/m?x=1"));
}
