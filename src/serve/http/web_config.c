// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The exporter-toolkit web configuration, parsed with libyaml's document
 * API so that every error can name its line and column:
 *
 *   tls_server_config:
 *     cert_file, key_file, client_ca_file, client_auth_type,
 *     min_version, max_version, prefer_server_cipher_suites
 *   http_server_config:
 *     http2 (accepted; kstatd speaks HTTP/1.1), headers
 *   basic_auth_users:
 *     <user>: <bcrypt hash>
 *
 * Keys of the toolkit that kstatd does not implement (cipher_suites,
 * rate_limit, ...) are refused by name rather than silently ignored, so
 * that nobody believes a restriction holds when it does not.  TLS
 * material is loaded and checked with GnuTLS here, at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <yaml.h>

#include "web_config.h"

#define WC_FILE_MAX (1024 * 1024)

enum tls_version {
	TLS_V10 = 0,
	TLS_V11,
	TLS_V12,
	TLS_V13,
};

static const char *const version_names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
static const char *const version_prio[] = { "+VERS-TLS1.0", "+VERS-TLS1.1", "+VERS-TLS1.2",
					    "+VERS-TLS1.3" };

static const char *const client_auth_names[] = {
	[WEB_NO_CLIENT_CERT] = "NoClientCert",
	[WEB_REQUEST_CLIENT_CERT] = "RequestClientCert",
	[WEB_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
	[WEB_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
	[WEB_REQUIRE_AND_VERIFY_CLIENT_CERT] = "RequireAndVerifyClientCert",
};

/* Response headers the toolkit lets a web config set */
static const char *const allowed_headers[] = {
	"Content-Security-Policy", "X-Frame-Options",           "X-Content-Type-Options",
	"X-XSS-Protection",        "Strict-Transport-Security",
};

/* exporter-toolkit keys kstatd refuses, with why */
static const struct {
	const char *section, *key, *why;
} unsupported[] = {
	{ "tls_server_config", "cert", "give the certificate in cert_file" },
	{ "tls_server_config", "key", "give the key in key_file" },
	{ "tls_server_config", "cipher_suites", "GnuTLS's defaults apply" },
	{ "tls_server_config", "curve_preferences", "GnuTLS's defaults apply" },
	{ "tls_server_config", "client_allowed_sans", "not implemented" },
	{ "", "rate_limit", "use --web.max-requests" },
};

struct wc_parse {
	const char *path;
	char dir[PATH_MAX];
	yaml_document_t doc;
	char *err;
	size_t errlen;
	struct web_config *wc;
	const yaml_node_t *cert_node, *ca_node;
	char *cert_file, *key_file, *ca_file;
	int min_v, max_v;
	bool prefer_server;
};

static int fail(struct wc_parse *p, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct wc_parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (n)
		off = snprintf(p->err, p->errlen, "%s:%zu:%zu: ", p->path, n->start_mark.line + 1,
			       n->start_mark.column + 1);
	else
		off = snprintf(p->err, p->errlen, "%s: ", p->path);
	if (off < 0 || (size_t)off >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static yaml_node_t *node(struct wc_parse *p, int id)
{
	return yaml_document_get_node(&p->doc, id);
}

static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	v = (const char *)n->data.scalar.value;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* A scalar's text; NULL (with the error set) for anything else or an embedded NUL */
static const char *scalar(struct wc_parse *p, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail(p, n, "%s must be a string", what);
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		fail(p, n, "%s contains a NUL byte", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int parse_bool(struct wc_parse *p, const yaml_node_t *n, const char *what, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no",
										  "off" };
	const char *v = scalar(p, n, what);

	if (!v)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(p, n, "%s must be true or false, not '%s'", what, v);
}

/* A file named in the config: relative to the config's directory */
static char *resolve(struct wc_parse *p, const yaml_node_t *n, const char *what)
{
	const char *v = scalar(p, n, what);
	char *out;

	if (!v)
		return NULL;
	if (!v[0]) {
		fail(p, n, "%s is empty", what);
		return NULL;
	}
	if (v[0] == '/' || !p->dir[0])
		out = strdup(v);
	else if (asprintf(&out, "%s/%s", p->dir, v) < 0)
		out = NULL;
	if (!out)
		fail(p, n, "out of memory");
	return out;
}

static char *read_file(struct wc_parse *p, const yaml_node_t *n, const char *what, const char *path,
		       size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail(p, n, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > WC_FILE_MAX) {
		fail(p, n, "%s %s: not a regular file of at most 1 MiB", what, path);
		goto close_fd;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fail(p, n, "out of memory");
		goto close_fd;
	}
	got = read(fd, buf, (size_t)st.st_size);
	if (got != st.st_size) {
		fail(p, n, "%s %s: short read", what, path);
		free(buf);
		buf = NULL;
		goto close_fd;
	}
	buf[got] = '\0';
	*len = (size_t)got;
close_fd:
	close(fd);
	return buf;
}

static int check_unsupported(struct wc_parse *p, const char *section, const yaml_node_t *k,
			     const char *key)
{
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strcmp(unsupported[i].section, section) == 0 &&
		    strcmp(unsupported[i].key, key) == 0)
			return fail(p, k, "%s%s%s is not supported by kstatd (%s)", section,
				    section[0] ? "." : "", key, unsupported[i].why);
	return fail(p, k, "unknown key '%s'%s%s", key, section[0] ? " in " : "", section);
}

/* Walk a mapping; each (key node, key text, value node) goes to fn */
typedef int (*pair_fn)(struct wc_parse *p, const yaml_node_t *k, const char *key,
		       const yaml_node_t *v);

static int each_pair(struct wc_parse *p, const yaml_node_t *map, const char *what, pair_fn fn)
{
	yaml_node_pair_t *pair;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "%s must be a mapping", what);
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
		const char *key;
		int err;

		if (!k || !v)
			return fail(p, map, "malformed %s", what);
		key = scalar(p, k, "a key");
		if (!key)
			return -EINVAL;
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
			const yaml_node_t *qk = node(p, q->key);

			if (qk && qk->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)qk->data.scalar.value, key) == 0)
				return fail(p, k, "'%s' appears twice in %s", key, what);
		}
		err = fn(p, k, key, v);
		if (err)
			return err;
	}
	return 0;
}

static int parse_version(struct wc_parse *p, const yaml_node_t *v, const char *what, int *out)
{
	const char *s = scalar(p, v, what);

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, version_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return fail(p, v, "%s must be TLS10, TLS11, TLS12 or TLS13, not '%s'", what, s);
}

static int tls_pair(struct wc_parse *p, const yaml_node_t *k, const char *key, const yaml_node_t *v)
{
	const char *s;

	if (strcmp(key, "cert_file") == 0) {
		p->cert_node = v;
		p->cert_file = resolve(p, v, "cert_file");
		return p->cert_file ? 0 : -EINVAL;
	}
	if (strcmp(key, "key_file") == 0) {
		p->key_file = resolve(p, v, "key_file");
		return p->key_file ? 0 : -EINVAL;
	}
	if (strcmp(key, "client_ca_file") == 0) {
		p->ca_node = v;
		p->ca_file = resolve(p, v, "client_ca_file");
		return p->ca_file ? 0 : -EINVAL;
	}
	if (strcmp(key, "client_auth_type") == 0) {
		s = scalar(p, v, key);
		if (!s)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(client_auth_names) / sizeof(client_auth_names[0]);
		     i++) {
			if (strcmp(s, client_auth_names[i]) == 0) {
				p->wc->client_auth = (enum web_client_auth)i;
				return 0;
			}
		}
		/* the toolkit's old name for RequireAnyClientCert */
		if (strcmp(s, "RequireClientCert") == 0) {
			p->wc->client_auth = WEB_REQUIRE_ANY_CLIENT_CERT;
			return 0;
		}
		return fail(p, v,
			    "client_auth_type must be NoClientCert, RequestClientCert, "
			    "RequireAnyClientCert, VerifyClientCertIfGiven or "
			    "RequireAndVerifyClientCert, not '%s'",
			    s);
	}
	if (strcmp(key, "min_version") == 0)
		return parse_version(p, v, key, &p->min_v);
	if (strcmp(key, "max_version") == 0)
		return parse_version(p, v, key, &p->max_v);
	if (strcmp(key, "prefer_server_cipher_suites") == 0)
		return parse_bool(p, v, key, &p->prefer_server);
	return check_unsupported(p, "tls_server_config", k, key);
}

static bool header_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int header_pair(struct wc_parse *p, const yaml_node_t *k, const char *key,
		       const yaml_node_t *v)
{
	struct web_config *wc = p->wc;
	struct web_header *nh;
	const char *val;
	size_t i;

	for (i = 0; i < sizeof(allowed_headers) / sizeof(allowed_headers[0]); i++)
		if (strcasecmp(key, allowed_headers[i]) == 0)
			break;
	if (i == sizeof(allowed_headers) / sizeof(allowed_headers[0]))
		return fail(p, k,
			    "header '%s' cannot be set: only Content-Security-Policy, "
			    "X-Frame-Options, X-Content-Type-Options, X-XSS-Protection and "
			    "Strict-Transport-Security can",
			    key);
	val = scalar(p, v, key);
	if (!val)
		return -EINVAL;
	if (!header_value_ok(val))
		return fail(p, v, "header %s: control characters in its value", key);
	nh = realloc(wc->headers, (wc->nheaders + 1) * sizeof(*nh));
	if (!nh)
		return fail(p, v, "out of memory");
	wc->headers = nh;
	nh[wc->nheaders].name = strdup(allowed_headers[i]);
	nh[wc->nheaders].value = strdup(val);
	wc->nheaders++;
	if (!nh[wc->nheaders - 1].name || !nh[wc->nheaders - 1].value)
		return fail(p, v, "out of memory");
	return 0;
}

static int http_pair(struct wc_parse *p, const yaml_node_t *k, const char *key,
		     const yaml_node_t *v)
{
	bool b;

	if (strcmp(key, "http2") == 0)
		return parse_bool(p, v, key, &b);
	if (strcmp(key, "headers") == 0)
		return each_pair(p, v, "http_server_config.headers", header_pair);
	return check_unsupported(p, "http_server_config", k, key);
}

/* $2a$, $2b$ or $2y$, a cost of 04 to 31, '$', 22 salt and 31 hash characters */
static bool bcrypt_ok(const char *h)
{
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	for (int i = 7; i < 60; i++)
		if (!strchr("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
			    h[i]))
			return false;
	return true;
}

static int user_pair(struct wc_parse *p, const yaml_node_t *k, const char *key,
		     const yaml_node_t *v)
{
	struct web_config *wc = p->wc;
	struct web_user *nu;
	const char *hash;

	if (!key[0] || strchr(key, ':') || !header_value_ok(key))
		return fail(p, k, "user name '%s' cannot be sent in basic auth", key);
	hash = scalar(p, v, "a password hash");
	if (!hash)
		return -EINVAL;
	if (!bcrypt_ok(hash))
		return fail(p, v,
			    "user %s: the password must be a bcrypt hash ($2y$10$ and 53 "
			    "characters, e.g. from htpasswd -nBC 10 \"\" | tr -d ':\\n')",
			    key);
	nu = realloc(wc->users, (wc->nusers + 1) * sizeof(*nu));
	if (!nu)
		return fail(p, v, "out of memory");
	wc->users = nu;
	nu[wc->nusers].name = strdup(key);
	nu[wc->nusers].hash = strdup(hash);
	wc->nusers++;
	if (!nu[wc->nusers - 1].name || !nu[wc->nusers - 1].hash)
		return fail(p, v, "out of memory");
	return 0;
}

static int top_pair(struct wc_parse *p, const yaml_node_t *k, const char *key, const yaml_node_t *v)
{
	if (strcmp(key, "tls_server_config") == 0)
		return each_pair(p, v, key, tls_pair);
	if (strcmp(key, "http_server_config") == 0)
		return each_pair(p, v, key, http_pair);
	if (strcmp(key, "basic_auth_users") == 0)
		return each_pair(p, v, key, user_pair);
	return check_unsupported(p, "", k, key);
}

static int load_tls(struct wc_parse *p)
{
	struct web_config *wc = p->wc;
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_priority_t prio = NULL;
	gnutls_datum_t cd, kd, ad;
	size_t clen = 0, klen = 0, alen = 0;
	const char *errpos = NULL;
	char buf[160];
	int ret = 0, off;

	if (!p->cert_file && !p->key_file) {
		if (p->ca_file || wc->client_auth != WEB_NO_CLIENT_CERT)
			return fail(p, p->ca_node,
				    "client certificates need TLS: set cert_file "
				    "and key_file in tls_server_config");
		return 0;
	}
	if (!p->cert_file || !p->key_file)
		return fail(p, p->cert_node, "tls_server_config needs both cert_file and key_file");
	if (p->ca_file && wc->client_auth == WEB_NO_CLIENT_CERT)
		return fail(p, p->ca_node,
			    "client_ca_file is set but client_auth_type is "
			    "NoClientCert: set a client_auth_type");
	if (wc->client_auth != WEB_NO_CLIENT_CERT && !p->ca_file)
		return fail(p, p->cert_node,
			    "client_auth_type %s needs client_ca_file (libmicrohttpd only asks "
			    "for client certificates when it has CAs to name)",
			    client_auth_names[wc->client_auth]);
	if (p->min_v > p->max_v)
		return fail(p, p->cert_node, "min_version is above max_version");

	wc->cert_pem = read_file(p, p->cert_node, "cert_file", p->cert_file, &clen);
	if (!wc->cert_pem)
		return -EINVAL;
	wc->key_pem = read_file(p, p->cert_node, "key_file", p->key_file, &klen);
	if (!wc->key_pem)
		return -EINVAL;
	if (p->ca_file) {
		wc->ca_pem = read_file(p, p->ca_node, "client_ca_file", p->ca_file, &alen);
		if (!wc->ca_pem)
			return -EINVAL;
	}

	off = snprintf(buf, sizeof(buf), "NORMAL:-VERS-ALL");
	for (int v = p->max_v; v >= p->min_v; v--)
		off += snprintf(buf + off, sizeof(buf) - (size_t)off, ":%s", version_prio[v]);
	if (p->prefer_server)
		snprintf(buf + off, sizeof(buf) - (size_t)off, ":%%SERVER_PRECEDENCE");
	wc->priorities = strdup(buf);
	if (!wc->priorities)
		return fail(p, NULL, "out of memory");

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return fail(p, NULL, "cannot allocate TLS credentials");
	cd.data = (unsigned char *)wc->cert_pem;
	cd.size = (unsigned int)clen;
	kd.data = (unsigned char *)wc->key_pem;
	kd.size = (unsigned int)klen;
	ret = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (ret < 0) {
		ret = fail(p, p->cert_node, "cert_file %s with key_file %s: %s", p->cert_file,
			   p->key_file, gnutls_strerror(ret));
		goto free_cred;
	}
	if (wc->ca_pem) {
		ad.data = (unsigned char *)wc->ca_pem;
		ad.size = (unsigned int)alen;
		ret = gnutls_certificate_set_x509_trust_mem(cred, &ad, GNUTLS_X509_FMT_PEM);
		if (ret <= 0) {
			ret = fail(p, p->ca_node, "client_ca_file %s: %s", p->ca_file,
				   ret < 0 ? gnutls_strerror(ret) : "no certificate in it");
			goto free_cred;
		}
	}
	ret = gnutls_priority_init(&prio, wc->priorities, &errpos);
	if (ret < 0) {
		ret = fail(p, p->cert_node, "TLS versions %s: %s", wc->priorities,
			   gnutls_strerror(ret));
		goto free_cred;
	}
	ret = 0;
free_cred:
	if (prio)
		gnutls_priority_deinit(prio);
	gnutls_certificate_free_credentials(cred);
	return ret;
}

static int parse_doc(struct wc_parse *p, FILE *f)
{
	yaml_parser_t parser;
	yaml_node_t *root;
	int ret;

	if (!yaml_parser_initialize(&parser))
		return fail(p, NULL, "cannot start the YAML parser");
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &p->doc)) {
		ret = snprintf(p->err, p->errlen, "%s:%zu:%zu: YAML: %s", p->path,
			       parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			       parser.problem ? parser.problem : "cannot parse");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&p->doc);
	ret = root ? each_pair(p, root, "the web config", top_pair) : 0;
	if (!ret)
		ret = load_tls(p);
	yaml_document_delete(&p->doc);
	return ret;
}

struct web_config *web_config_read(FILE *f, const char *path, char *err, size_t errlen)
{
	struct wc_parse p = { .path = path, .err = err, .errlen = errlen };
	const char *slash = strrchr(path, '/');
	int ret;

	p.min_v = TLS_V12;
	p.max_v = TLS_V13;
	if (slash)
		snprintf(p.dir, sizeof(p.dir), "%.*s", (int)(slash - path), path);
	if (slash == path)
		snprintf(p.dir, sizeof(p.dir), "/");
	p.wc = calloc(1, sizeof(*p.wc));
	if (!p.wc) {
		fail(&p, NULL, "out of memory");
		return NULL;
	}
	ret = parse_doc(&p, f);
	free(p.cert_file);
	free(p.key_file);
	free(p.ca_file);
	if (ret) {
		web_config_free(p.wc);
		errno = -ret;
		return NULL;
	}
	return p.wc;
}

struct web_config *web_config_load(const char *path, char *err, size_t errlen)
{
	struct web_config *wc;
	FILE *f;
	int e;

	f = fopen(path, "re");
	if (!f) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	wc = web_config_read(f, path, err, errlen);
	e = errno;
	fclose(f);
	errno = e;
	return wc;
}

void web_config_free(struct web_config *wc)
{
	if (!wc)
		return;
	free(wc->cert_pem);
	if (wc->key_pem)
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
	free(wc->key_pem);
	free(wc->ca_pem);
	free(wc->priorities);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	for (size_t i = 0; i < wc->nheaders; i++) {
		free(wc->headers[i].name);
		free(wc->headers[i].value);
	}
	free(wc->headers);
	free(wc);
}
