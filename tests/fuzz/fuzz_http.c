// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target for whole HTTP requests: the input's bytes go, as a
 * client would send them, down a socketpair into libmicrohttpd and the
 * kstatd handler (method, path, query, Accept, Accept-Encoding,
 * Authorization, bodies), against an engine holding NAMED kstats with
 * metadata, strings, a histogram and an IO kstat.  The first byte picks
 * the server: bit 0 turns on basic auth (user "prometheus", password
 * "secret", bcrypt cost 4), bit 1 sets --web.max-requests to 1.
 *
 * http_export.c is included so that its static handler serves the
 * requests; MHD runs without threads or listening socket, driven here.
 * A password check goes to the auth thread while MHD holds the connection
 * suspended: the driver waits a little between turns for its answer.
 */
#include "../../src/serve/http/http_export.c"

#include <crypt.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define MAX_TURNS 64

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static struct http *servers[4];
static struct MHD_Daemon *daemons[4];
static struct web_config wc;
static struct web_user user;

static const char *const cpu_names[] = { "pswitch", "cpu_nsec_idle", "lat_1", "lat_2" };
static struct snap_stat_meta cpu_meta[] = {
	{ .kind = SNAP_COUNTER, .unit = "count", .help = "Context switches" },
	{ .kind = SNAP_COUNTER, .unit = "ns", .help = "Idle \"time\"\n\\" },
	{ .kind = SNAP_HIST, .unit = "ns", .help = "Latency", .hist = "lat", .le = 2 },
	{ .kind = SNAP_HIST, .unit = "ns", .help = "Latency", .hist = "lat", .le = 4 },
};
static kstat_named_t strs[2];

static void fixture_named(struct snap *s, const char *module, int inst, const char *name)
{
	kstat_t *ksp = snap_create(s, module, inst, name, "misc", KSTAT_TYPE_NAMED, 4, 0);
	kstat_named_t *kn = ksp->ks_data;

	for (uint_t i = 0; i < 4; i++) {
		snap_named_init(&kn[i], cpu_names[i], KSTAT_DATA_UINT64);
		kn[i].value.ui64 = 1000 * (i + 1) + (uint64_t)inst;
	}
	snap_set_meta(ksp, cpu_meta);
	snap_install(s, ksp);
}

static struct snap *fixture_snap(void)
{
	struct snap *s = snap_new();
	kstat_t *ksp;

	fixture_named(s, "cpu", 0, "sys");
	fixture_named(s, "cpu", 1, "sys");
	fixture_named(s, "ktest", 7, "weird \"name\"");
	snap_named_init(&strs[0], "label", KSTAT_DATA_STRING);
	snap_named_setstr(&strs[0], "x\xff\"\\\n");
	snap_named_init(&strs[1], "l", KSTAT_DATA_INT64);
	strs[1].value.i64 = -3;
	ksp = snap_create(s, "unix", 0, "strings", "misc", KSTAT_TYPE_NAMED, 2,
			  KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS);
	ksp->ks_data = strs;
	snap_install(s, ksp);
	ksp = snap_create(s, "disk", 0, "loop0", "disk", KSTAT_TYPE_IO, 1, 0);
	snap_install(s, ksp);
	ksp = snap_create(s, "unix", 0, "raw", "misc", KSTAT_TYPE_RAW, 16, 0);
	snap_install(s, ksp);
	return s;
}

static struct http *fixture_http(struct snap *s, bool auth, unsigned int max_requests)
{
	struct http *h = calloc(1, sizeof(*h));

	h->snap = s;
	http_opts_default(&h->o);
	h->o.version = "fuzz";
	h->o.max_requests = max_requests;
	snprintf(h->telemetry_path, sizeof(h->telemetry_path), "/metrics");
	snprintf(h->limit_msg, sizeof(h->limit_msg), "limit\n");
	atomic_init(&h->inflight, 0);
	atomic_init(&h->size_hint, 0);
	if (auth) {
		h->wc = &wc;
		h->auth = http_auth_new(&user, 1);
		if (!h->auth)
			abort();
	}
	return h;
}

static void fixture(void)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd = { 0 };
	struct snap *s;

	log_set_level(LOG_LVL_ERR);
	if (!crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof(setting)))
		abort();
	user.name = "prometheus";
	user.hash = strdup(crypt_rn("secret", setting, &cd, sizeof(cd)));
	wc.users = &user;
	wc.nusers = 1;
	s = fixture_snap();
	for (int i = 0; i < 4; i++) {
		servers[i] = fixture_http(s, i & 1, i & 2 ? 1 : 40);
		daemons[i] = MHD_start_daemon(
			MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0,
			NULL, NULL, handle, servers[i], MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_BYTES,
			MHD_OPTION_NOTIFY_COMPLETED, completed, servers[i], MHD_OPTION_END);
		if (!daemons[i])
			abort();
	}
}

static unsigned long long connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return di ? di->num_connections : 0;
}

/*
 * Whether the request carries the password's base64.  "prometheus:secret"
 * is 17 bytes: the 23rd character holds its last 4 bits and 2 unused ones,
 * which decoders ignore (kstatd's, like Go's exporter-toolkit), so Q, R,
 * S and T all end the same credentials.
 */
static bool carries_password(const unsigned char *req, size_t len)
{
	static const char b64[] = "cHJvbWV0aGV1czpzZWNyZX"; /* prometheus:secre */
	const unsigned char *p = req, *end = req + len;

	while ((p = memmem(p, (size_t)(end - p), b64, sizeof(b64) - 1))) {
		p += sizeof(b64) - 1;
		if (p < end && *p && strchr("QRST", *p))
			return true;
	}
	return false;
}

/* With auth on, only the password gets a 200, 404 or 503 (bodies are refused before auth) */
static bool auth_held(const char *reply, const unsigned char *req, size_t len)
{
	if (strncmp(reply + 9, "200", 3) && strncmp(reply + 9, "404", 3) &&
	    strncmp(reply + 9, "503", 3))
		return true;
	return carries_password(req, len);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct sockaddr_in peer = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char reply[1 << 16], drop[1 << 16];
	struct MHD_Daemon *d;
	size_t got = 0;
	int sv[2];

	if (!daemons[0])
		fixture();
	if (size < 1)
		return 0;
	d = daemons[data[0] & 3];
	data++;
	size--;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (MHD_add_connection(d, sv[1], (struct sockaddr *)&peer, sizeof(peer)) != MHD_YES)
		abort();
	/* inputs are at most -max_len bytes, well below the socket's buffer */
	if (size && write(sv[0], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[0], SHUT_WR);
	for (int turn = 0; turn < MAX_TURNS; turn++) {
		ssize_t n;

		(void)MHD_run(d);
		/* only the start of the replies is checked: the rest is read and dropped */
		if (got < sizeof(reply) - 1)
			n = read(sv[0], reply + got, sizeof(reply) - 1 - got);
		else
			n = read(sv[0], drop, sizeof(drop));
		if (n == 0)
			break;
		if (n > 0 && got < sizeof(reply) - 1)
			got += (size_t)n;
		if (n < 0 && !got) /* nothing yet: the auth thread may still be at it */
			(void)poll(&(struct pollfd){ .fd = sv[0], .events = POLLIN }, 1,
				   turn < 8 ? 0 : 2);
	}
	close(sv[0]);
	/* a connection suspended for the auth thread goes once it answers */
	for (int turn = 0; turn < MAX_TURNS && connections(d); turn++) {
		(void)MHD_run(d);
		if (connections(d))
			(void)poll(NULL, 0, turn < 8 ? 0 : 2);
	}
	if (connections(d))
		abort(); /* a connection MHD never lets go of */
	reply[got] = '\0';
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "--- reply:\n%.400s\n", reply);
	if (got > 12 && strncmp(reply, "HTTP/1.", 7) != 0)
		abort();
	if ((data[-1] & 1) && got > 12 && !auth_held(reply, data, size))
		abort();
	return 0;
}
