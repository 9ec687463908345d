/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * --web.config.file: the Prometheus exporter-toolkit web configuration
 * (TLS and basic auth), the subset kstatd implements, read once at start.
 * Unknown keys, keys kstatd does not implement and bad values are errors
 * that name the file, line and column.
 */
#ifndef __KSTATD_WEB_CONFIG_H
#define __KSTATD_WEB_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum web_client_auth {
	WEB_NO_CLIENT_CERT,
	WEB_REQUEST_CLIENT_CERT,
	WEB_REQUIRE_ANY_CLIENT_CERT,
	WEB_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEB_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

struct web_user {
	char *name;
	char *hash; /* bcrypt, $2a$, $2b$ or $2y$ */
};

struct web_header {
	char *name;
	char *value;
};

struct web_config {
	/* TLS, PEM text; cert_pem NULL means plain HTTP */
	char *cert_pem;
	char *key_pem;
	char *ca_pem; /* client CAs, or NULL */
	enum web_client_auth client_auth;
	char *priorities; /* GnuTLS priority string (min_version, max_version, ...) */
	struct web_user *users;
	size_t nusers;
	struct web_header *headers; /* added to every response */
	size_t nheaders;
};

/*
 * Read and check path.  Relative file names in it are relative to its
 * directory, as the exporter toolkit has them.  NULL with a one-line
 * reason in err ("web.yml:4:3: unknown key 'cert' in tls_server_config").
 */
struct web_config *web_config_load(const char *path, char *err, size_t errlen);
/* The same from an open stream; path names the file in errors and gives the directory */
struct web_config *web_config_read(FILE *f, const char *path, char *err, size_t errlen);
/* NULL is accepted */
void web_config_free(struct web_config *wc);

#endif /* __KSTATD_WEB_CONFIG_H */
