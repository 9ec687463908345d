// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libmicrohttpd, one daemon per listening address (MHD binds one socket
 * per daemon), each with a small thread pool on epoll.  Idle and slow
 * clients cannot starve scrapes: connections are capped per daemon and
 * per client address, idle ones time out, and request bodies are never
 * read (every answer goes out when the headers are in).  Snapshots are
 * capped by --web.max-requests across all daemons: beyond it, 503.
 *
 * A request goes: client certificate (if required), basic auth (if
 * users are configured), method (GET and HEAD, else 405), path (else
 * 404), the snapshot slot (503), the query (400), then one snap_walk
 * rendered into one buffer that MHD frees when it has sent it.  Requests
 * with a body are refused before any of that.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <libdeflate.h>

#include "common/hugemem.h"
#include "common/outbuf.h"
#include "engine/snapshot.h"
#include "http_auth.h"
#include "http_export.h"
#include "http_listen.h"
#include "http_neg.h"
#include "json_render.h"
#include "landing.h"
#include "os/log.h"
#include "prom_render.h"
#include "web_config.h"

#define CONN_MEMORY_BYTES 32768
/* libdeflate's fastest: most of the size gain, a body compressed in one call */
#define GZIP_LEVEL 1
#define BPF_STATS_PATH "/proc/sys/kernel/bpf_stats_enabled"
#define REALM "kstatd"

struct listener {
	struct MHD_Daemon *d;
	int fd; /* bound and listening; MHD owns it once d runs */
	bool v6;
	char url[96];
};

struct http {
	struct snap *snap;
	struct http_opts o;
	char telemetry_path[HTTP_PATH_MAX];
	const struct web_config *wc;
	struct http_auth *auth;
	struct listener ls[HTTP_MAX_LISTEN];
	size_t nls;
	atomic_uint inflight;
	atomic_size_t size_hint; /* last scrape's size: the next starts with room for it */
	char limit_msg[96];
};

void http_opts_default(struct http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->telemetry_path = "/metrics";
	o->max_requests = 40;
	o->conn_limit = 256;
	o->per_ip_limit = 16;
	o->timeout_s = 60;
	o->threads = 2;
}

bool http_path_ok(const char *path)
{
	size_t n = strlen(path);

	if (n < 2 || n >= HTTP_PATH_MAX || path[0] != '/' || strcmp(path, "/kstat") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = path[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("/-._~", c)))
			return false;
	}
	return true;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* MHD's messages are about single connections (bad TLS, resets): debug */
	log_vmsg(LOG_LVL_DEBUG, fmt, ap);
}

static void add_headers(const struct http *h, struct MHD_Response *r, const char *ctype)
{
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; h->wc && i < h->wc->nheaders; i++)
		(void)MHD_add_response_header(r, h->wc->headers[i].name, h->wc->headers[i].value);
}

/* A short text answer; text must outlive the response (static) unless copy */
static enum MHD_Result answer_text(const struct http *h, struct MHD_Connection *c,
				   unsigned int status, const char *text, bool copy)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
					    copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	add_headers(h, r, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_body(const struct http *h, struct MHD_Connection *c, char *body,
				   size_t len, const char *ctype, bool gzipped, bool vary)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer_with_free_callback(len, body, hugemem_free);
	if (!r) {
		hugemem_free(body);
		return MHD_NO;
	}
	add_headers(h, r, ctype);
	if (gzipped)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (vary)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* gzip body into a new buffer; NULL if it cannot (the caller sends it plain) */
static char *gzip_body(const char *in, size_t len, size_t *outlen)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(GZIP_LEVEL);
	size_t cap, n = 0;
	char *out = NULL;

	if (!c)
		return NULL;
	cap = libdeflate_gzip_compress_bound(c, len);
	out = hugemem_realloc(NULL, cap);
	if (out)
		n = libdeflate_gzip_compress(c, in, len, out, cap);
	libdeflate_free_compressor(c);
	if (n == 0) {
		hugemem_free(out);
		return NULL;
	}
	*outlen = n;
	return out;
}

static int bpf_stats_enabled(void)
{
	char buf[8] = "";
	FILE *f = fopen(BPF_STATS_PATH, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = buf[0] == '1' ? 1 : buf[0] == '0' ? 0 : -1;
	fclose(f);
	return v;
}

struct metrics_query {
	struct prom_filter f;
	bool collect, exclude, bad_name, too_many;
};

static enum MHD_Result metrics_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct metrics_query *q = cls;
	bool collect = strcmp(key, "collect[]") == 0;

	(void)kind;
	if (!collect && strcmp(key, "exclude[]") != 0)
		return MHD_YES; /* other parameters: ignored, as node_exporter does */
	if (collect)
		q->collect = true;
	else
		q->exclude = true;
	if (!value || !value[0] || strlen(value) >= KSTAT_STRLEN || !json_pattern_ok(value)) {
		q->bad_name = true;
		return MHD_NO;
	}
	if (q->f.n == PROM_FILTER_MAX) {
		q->too_many = true;
		return MHD_NO;
	}
	q->f.modules[q->f.n++] = value;
	return MHD_YES;
}

/* What a request carries between MHD's calls for it (con_cls) */
enum req_state {
	REQ_HEADERS,   /* the headers are in */
	REQ_AUTH_WAIT, /* suspended until the auth thread answers */
	REQ_AUTH_DONE, /* it answered: auth_ok */
	REQ_AUTH_BUSY, /* the auth thread had too much to do */
};

struct req {
	struct MHD_Connection *conn;
	enum req_state st;
	bool auth_ok;
	bool slot; /* holds one of o.max_requests */
};

/* The in-flight slot a request holds, released when MHD completes it */
static bool take_slot(struct http *h, struct req *rq)
{
	unsigned int n;

	if (!h->o.max_requests)
		return true;
	n = atomic_fetch_add(&h->inflight, 1);
	if (n >= h->o.max_requests) {
		atomic_fetch_sub(&h->inflight, 1);
		return false;
	}
	rq->slot = true;
	return true;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct req *rq = *con_cls;

	(void)c;
	(void)toe;
	if (rq && rq->slot)
		atomic_fetch_sub(&h->inflight, 1);
	free(rq);
	*con_cls = NULL;
}

static enum MHD_Result serve_metrics(struct http *h, struct MHD_Connection *c)
{
	struct prom_self self = { .version = h->o.version };
	struct metrics_query q = { .f.n = 0 };
	enum prom_format fmt;
	const char *unknown;
	struct outbuf ob;
	char msg[160];
	char *body, *gz;
	size_t len, gzlen;
	bool gzip;
	int err;

	(void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, metrics_arg, &q);
	if (q.collect && q.exclude)
		return answer_text(h, c, MHD_HTTP_BAD_REQUEST,
				   "collect[] and exclude[] cannot be combined\n", false);
	if (q.bad_name)
		return answer_text(h, c, MHD_HTTP_BAD_REQUEST,
				   "collect[] and exclude[] take kstat module names\n", false);
	if (q.too_many)
		return answer_text(h, c, MHD_HTTP_BAD_REQUEST,
				   "too many modules in collect[] or exclude[]\n", false);
	q.f.exclude = q.exclude;
	fmt = http_neg_format(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
	gzip = http_neg_gzip(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
	self.bpf_stats_enabled = bpf_stats_enabled();

	outbuf_init(&ob, atomic_load(&h->size_hint) + 4096);
	err = prom_render(h->snap, fmt, &q.f, &self, &ob, &unknown);
	if (err == -ENOENT) {
		outbuf_free(&ob);
		snprintf(msg, sizeof(msg), "%s: no kstat module '%s'\n",
			 q.exclude ? "exclude[]" : "collect[]", unknown);
		return answer_text(h, c, MHD_HTTP_BAD_REQUEST, msg, true);
	}
	body = err ? NULL : outbuf_take(&ob, &len);
	if (!body) {
		outbuf_free(&ob);
		log_warn("http: scrape failed: %s", strerror(err ? -err : ENOMEM));
		return answer_text(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "scrape failed\n", false);
	}
	atomic_store(&h->size_hint, len);
	if (gzip) {
		gz = gzip_body(body, len, &gzlen);
		if (gz) {
			hugemem_free(body);
			body = gz;
			len = gzlen;
		} else {
			gzip = false;
		}
	}
	return answer_body(h, c, body, len,
			   fmt == PROM_FMT_OPENMETRICS ? PROM_CT_OPENMETRICS : PROM_CT_TEXT, gzip,
			   true);
}

struct kstat_query {
	struct json_query jq;
	const char *bad;
};

static enum MHD_Result kstat_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	static const char *const names[] = { "module", "instance", "name", "statistic", "class" };
	struct kstat_query *q = cls;
	const char **slot[] = { &q->jq.module, &q->jq.instance, &q->jq.name, &q->jq.statistic,
				&q->jq.ks_class };

	(void)kind;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(key, names[i]) != 0)
			continue;
		if (*slot[i]) {
			q->bad = "a selector is given twice\n";
			return MHD_NO;
		}
		if (!value || !json_pattern_ok(value) ||
		    (i == 1 && strspn(value, "-0123456789*?") != strlen(value))) {
			q->bad = "selectors are patterns of at most 64 characters with * and ? "
				 "(instance: digits)\n";
			return MHD_NO;
		}
		*slot[i] = value;
		return MHD_YES;
	}
	q->bad = "/kstat takes module, instance, name, statistic and class\n";
	return MHD_NO;
}

static enum MHD_Result serve_kstat(struct http *h, struct MHD_Connection *c)
{
	struct kstat_query q = { .bad = NULL };
	struct outbuf ob;
	char *body;
	size_t len;
	int err;

	(void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, kstat_arg, &q);
	if (q.bad)
		return answer_text(h, c, MHD_HTTP_BAD_REQUEST, q.bad, false);
	outbuf_init(&ob, 0);
	err = json_render(h->snap, &q.jq, &ob);
	body = err ? NULL : outbuf_take(&ob, &len);
	if (!body) {
		outbuf_free(&ob);
		return answer_text(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", false);
	}
	return answer_body(h, c, body, len, JSON_CT, false, false);
}

static enum MHD_Result serve_landing(struct http *h, struct MHD_Connection *c)
{
	struct landing_info li = { .telemetry_path = h->telemetry_path, .version = h->o.version };
	struct outbuf ob;
	char *body;
	size_t len;
	int err;

	outbuf_init(&ob, 0);
	err = landing_render(h->snap, &li, &ob);
	body = err ? NULL : outbuf_take(&ob, &len);
	if (!body) {
		outbuf_free(&ob);
		return answer_text(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", false);
	}
	return answer_body(h, c, body, len, LANDING_CT, false, false);
}

/* client_auth_type: is the peer's certificate (or its absence) acceptable? */
static bool client_cert_ok(const struct http *h, struct MHD_Connection *c)
{
	enum web_client_auth ca = h->wc ? h->wc->client_auth : WEB_NO_CLIENT_CERT;
	const union MHD_ConnectionInfo *ci;
	unsigned int n = 0, status = 0;
	gnutls_session_t sess;

	if (ca == WEB_NO_CLIENT_CERT || ca == WEB_REQUEST_CLIENT_CERT)
		return true;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	sess = ci ? ci->tls_session : NULL;
	if (!sess)
		return false;
	if (!gnutls_certificate_get_peers(sess, &n) || n == 0)
		return ca == WEB_VERIFY_CLIENT_CERT_IF_GIVEN;
	if (ca == WEB_REQUIRE_ANY_CLIENT_CERT)
		return true;
	return gnutls_certificate_verify_peers2(sess, &status) == 0 && status == 0;
}

/* On the auth thread: the answer, and the request goes on */
static void auth_done(void *ctx, bool ok)
{
	struct req *rq = ctx;

	rq->auth_ok = ok;
	rq->st = REQ_AUTH_DONE;
	MHD_resume_connection(rq->conn);
}

enum auth_now {
	AUTH_NOW_OK,      /* the request may go on */
	AUTH_NOW_REFUSED, /* its credentials do not even parse */
	AUTH_NOW_LATER,   /* MHD calls again once rq->st says the answer */
};

/*
 * A password remembered as right is checked here; any other goes to the
 * auth thread while the connection waits suspended, so that bcrypt never
 * holds up an HTTP thread.  Once the job is handed over, rq->st is the
 * auth thread's to set (it may answer before this returns): only the
 * return value says what to do now.
 */
static enum auth_now basic_auth_now(struct http *h, struct req *rq)
{
	const char *value = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_AUTHORIZATION);
	const char *pass;
	size_t pass_len;
	char *user;

	if (!http_auth_parse_basic(value, &user, &pass, &pass_len))
		return AUTH_NOW_REFUSED;
	if (http_auth_cached(h->auth, user, pass, pass_len)) {
		http_auth_forget(user);
		return AUTH_NOW_OK;
	}
	rq->st = REQ_AUTH_WAIT;
	MHD_suspend_connection(rq->conn);
	if (http_auth_start(h->auth, user, pass_len, auth_done, rq)) {
		http_auth_forget(user);
		rq->st = REQ_AUTH_BUSY;
		MHD_resume_connection(rq->conn);
	}
	return AUTH_NOW_LATER;
}

static enum MHD_Result answer_unauthorized(const struct http *h, struct MHD_Connection *c)
{
	static const char text[] = "401 Unauthorized\n";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	add_headers(h, r, "text/plain; charset=utf-8");
	ret = MHD_queue_basic_auth_fail_response(c, REALM, r);
	MHD_destroy_response(r);
	return ret;
}

static bool has_body(struct MHD_Connection *c)
{
	const char *cl =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl && strcmp(cl, "0") != 0) ||
	       MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct req *rq = *con_cls;
	bool metrics, kstat, landing;

	(void)version;
	(void)upload_data;
	/*
	 * The first call comes with the headers.  Answering then would make
	 * MHD close the connection (it cannot know the body is empty), so
	 * requests without a body are answered at the second call and keep
	 * their connection alive.  A body is never read: such a request gets
	 * its error now, and the connection closes.
	 */
	if (!rq) {
		if (has_body(c))
			return strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
					       strcmp(method, MHD_HTTP_METHOD_HEAD) == 0
				       ? answer_text(h, c, MHD_HTTP_BAD_REQUEST,
						     "requests with a body are not served\n", false)
				       : answer_text(h, c, MHD_HTTP_METHOD_NOT_ALLOWED,
						     "only GET and HEAD\n", false);
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		rq->conn = c;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size || rq->st == REQ_AUTH_WAIT)
		return MHD_NO;

	if (rq->st == REQ_HEADERS) {
		if (!client_cert_ok(h, c))
			return answer_text(h, c, MHD_HTTP_FORBIDDEN,
					   "a valid client certificate is required\n", false);
		switch (h->auth ? basic_auth_now(h, rq) : AUTH_NOW_OK) {
		case AUTH_NOW_OK:
			break;
		case AUTH_NOW_REFUSED:
			return answer_unauthorized(h, c);
		case AUTH_NOW_LATER:
			return MHD_YES;
		}
	} else if (rq->st == REQ_AUTH_BUSY) {
		return answer_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "too many password checks at once: try again\n", false);
	} else if (!rq->auth_ok) {
		return answer_unauthorized(h, c);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", false);

	metrics = strcmp(url, h->telemetry_path) == 0;
	kstat = strcmp(url, "/kstat") == 0;
	landing = strcmp(url, "/") == 0;
	if (!metrics && !kstat && !landing)
		return answer_text(h, c, MHD_HTTP_NOT_FOUND, "404 page not found\n", false);
	if (!take_slot(h, rq))
		return answer_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, h->limit_msg, false);
	if (metrics)
		return serve_metrics(h, c);
	if (kstat)
		return serve_kstat(h, c);
	return serve_landing(h, c);
}

/* Bind one address: no thread yet, so kstatd may still drop privileges */
static int bind_one(struct http *h, const char *spec, char *err, size_t errlen)
{
	bool tls = h->wc && h->wc->cert_pem;
	struct listener *l = &h->ls[h->nls];
	int fd;

	fd = http_listen_spec(spec, tls, l->url, sizeof(l->url), &l->v6, err, errlen);
	if (fd < 0)
		return fd;
	l->fd = fd;
	l->d = NULL;
	h->nls++;
	return 0;
}

static int serve_one(struct http *h, struct listener *l, char *err, size_t errlen)
{
	const struct web_config *wc = h->wc;
	bool tls = wc && wc->cert_pem;
	struct MHD_OptionItem tls_opts[5];
	unsigned int flags;
	size_t nt = 0;

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC |
		MHD_ALLOW_SUSPEND_RESUME;
	if (l->v6)
		flags |= MHD_USE_IPv6;
	if (tls) {
		flags |= MHD_USE_TLS;
		tls_opts[nt++] =
			(struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, wc->key_pem };
		tls_opts[nt++] =
			(struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, wc->cert_pem };
		tls_opts[nt++] =
			(struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, wc->priorities };
		if (wc->ca_pem && wc->client_auth != WEB_NO_CLIENT_CERT)
			tls_opts[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
								  wc->ca_pem };
	}
	tls_opts[nt] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	l->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)l->fd,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)h->o.threads,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)h->o.conn_limit,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)h->o.per_ip_limit,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)h->o.timeout_s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_BYTES,
				MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_ARRAY,
				tls_opts, MHD_OPTION_END);
	if (!l->d) {
		snprintf(err, errlen,
			 "listen on %s: libmicrohttpd refused to start (run with "
			 "--log.level=debug for its reason)",
			 l->url);
		return -EIO;
	}
	return 0;
}

struct http *http_new(struct snap *s, const struct http_opts *o, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));
	int ret = -ENOMEM;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	h->snap = s;
	h->o = *o;
	h->wc = o->wc;
	atomic_init(&h->inflight, 0);
	atomic_init(&h->size_hint, 0);
	snprintf(h->telemetry_path, sizeof(h->telemetry_path), "%s",
		 o->telemetry_path ? o->telemetry_path : "/metrics");
	snprintf(h->limit_msg, sizeof(h->limit_msg),
		 "Limit of concurrent requests reached (%u), try again later.\n", o->max_requests);
	if (!http_path_ok(h->telemetry_path)) {
		snprintf(err, errlen, "--web.telemetry-path '%s' is not a usable path",
			 h->telemetry_path);
		ret = -EINVAL;
		goto err_stop;
	}
	if (h->wc && h->wc->cert_pem && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		snprintf(err, errlen, "this libmicrohttpd was built without TLS");
		ret = -ENOTSUP;
		goto err_stop;
	}
	if (h->wc && h->wc->nusers) {
		h->auth = http_auth_new(h->wc->users, h->wc->nusers);
		if (!h->auth) {
			ret = -errno;
			snprintf(err, errlen, "basic auth: %s", strerror(errno));
			goto err_stop;
		}
	}
	for (size_t i = 0; i < o->nlisten; i++) {
		ret = bind_one(h, o->listen[i], err, errlen);
		if (ret)
			goto err_stop;
	}
	return h;

err_stop:
	http_stop(h);
	errno = -ret;
	return NULL;
}

int http_serve(struct http *h, char *err, size_t errlen)
{
	for (size_t i = 0; i < h->nls; i++) {
		int ret;

		if (h->ls[i].d)
			continue;
		ret = serve_one(h, &h->ls[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

struct http *http_start(struct snap *s, const struct http_opts *o, char *err, size_t errlen)
{
	struct http *h = http_new(s, o, err, errlen);
	int ret;

	if (!h)
		return NULL;
	ret = http_serve(h, err, errlen);
	if (ret) {
		http_stop(h);
		errno = -ret;
		return NULL;
	}
	return h;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	/* suspended requests get their answer (a refusal) before MHD stops */
	if (h->auth)
		http_auth_stop(h->auth);
	for (size_t i = 0; i < h->nls; i++) {
		if (h->ls[i].d)
			MHD_stop_daemon(h->ls[i].d);
		else
			close(h->ls[i].fd);
	}
	http_auth_free(h->auth);
	free(h);
}

const char *http_url(const struct http *h, size_t i)
{
	return i < h->nls ? h->ls[i].url : NULL;
}
