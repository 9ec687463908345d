// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * --web.config.file: the exporter-toolkit format parsed and checked at
 * start (every mistake one line naming file, line and column), and basic
 * auth against its bcrypt hashes.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "http_auth.h"
#include "web_config.h"

/* "s3cret" at cost 6, as htpasswd -nBC 6 writes it */
#define ALICE_HASH "$2y$06$fZ6JWXZg5Z2BLTgbo796HuC0Jzyh2sCjdALFYHx/tamYKrUpU79rC"

static char dir[] = "/tmp/kstatd-webcfg-XXXXXX";
static char path[256];
static char err[512];

static void setup(void)
{
	char cmd[512];

	cr_assert(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "tests/make_certs.sh %s", dir);
	cr_assert_eq(system(cmd), 0, "make_certs.sh failed (openssl missing?)");
	snprintf(path, sizeof(path), "%s/web.yml", dir);
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

TestSuite(webcfg, .init = setup, .fini = teardown, .timeout = 30);

static struct web_config *load(const char *yaml)
{
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(yaml, f);
	fclose(f);
	err[0] = '\0';
	return web_config_load(path, err, sizeof(err));
}

/* The config fails with one line that starts with file:line:col and says why */
static void refused(const char *yaml, int line, int col, const char *why)
{
	struct web_config *wc = load(yaml);
	char where[300];

	cr_expect_null(wc, "accepted:\n%s", yaml);
	web_config_free(wc);
	if (line)
		snprintf(where, sizeof(where), "%s:%d:%d: ", path, line, col);
	else
		snprintf(where, sizeof(where), "%s", path);
	cr_expect_eq(strncmp(err, where, strlen(where)), 0, "'%s' does not start with '%s'", err,
		     where);
	cr_expect(strstr(err, why), "'%s' does not say '%s'", err, why);
	cr_expect_null(strchr(err, '\n'), "one line: '%s'", err);
}

Test(webcfg, full_config_loads_with_relative_paths)
{
	struct web_config *wc = load("# kstatd\n"
				     "tls_server_config:\n"
				     "  cert_file: server.crt\n"
				     "  key_file: server.key\n"
				     "  client_ca_file: ca.crt\n"
				     "  client_auth_type: RequireAndVerifyClientCert\n"
				     "  min_version: TLS12\n"
				     "  max_version: TLS13\n"
				     "http_server_config:\n"
				     "  http2: false\n"
				     "  headers:\n"
				     "    X-Frame-Options: deny\n"
				     "basic_auth_users:\n"
				     "  alice: " ALICE_HASH "\n"
				     "  bob: '" ALICE_HASH "'\n");

	cr_assert(wc, "%s", err);
	cr_expect(wc->cert_pem && strstr(wc->cert_pem, "BEGIN CERTIFICATE"));
	cr_expect(wc->key_pem && strstr(wc->key_pem, "PRIVATE KEY"));
	cr_expect(wc->ca_pem && strstr(wc->ca_pem, "BEGIN CERTIFICATE"));
	cr_expect_eq(wc->client_auth, WEB_REQUIRE_AND_VERIFY_CLIENT_CERT);
	cr_expect_str_eq(wc->priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	cr_expect_eq(wc->nusers, 2);
	cr_expect_str_eq(wc->users[0].name, "alice");
	cr_expect_str_eq(wc->users[1].hash, ALICE_HASH);
	cr_expect_eq(wc->nheaders, 1);
	cr_expect_str_eq(wc->headers[0].name, "X-Frame-Options");
	web_config_free(wc);
}

Test(webcfg, empty_file_means_plain_http_without_auth)
{
	struct web_config *wc = load("# nothing\n");

	cr_assert(wc, "%s", err);
	cr_expect_null(wc->cert_pem);
	cr_expect_eq(wc->nusers, 0);
	web_config_free(wc);
	wc = load("basic_auth_users:\n");
	cr_assert(wc, "%s", err);
	cr_expect_eq(wc->nusers, 0);
	web_config_free(wc);
}

Test(webcfg, unknown_keys_are_errors_with_their_place)
{
	refused("tls_config:\n  cert_file: x\n", 1, 1, "unknown key 'tls_config'");
	refused("tls_server_config:\n  cert_file: server.crt\n  certfile: x\n", 3, 3,
		"unknown key 'certfile' in tls_server_config");
	refused("http_server_config:\n  http3: true\n", 2, 3,
		"unknown key 'http3' in http_server_config");
}

Test(webcfg, unimplemented_toolkit_keys_are_refused_by_name)
{
	refused("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", 2, 3,
		"tls_server_config.cipher_suites is not supported by kstatd");
	refused("rate_limit:\n  interval: 1s\n", 1, 1, "rate_limit is not supported");
}

Test(webcfg, bad_values_are_errors)
{
	refused("basic_auth_users:\n  alice: s3cret\n", 2, 10, "must be a bcrypt hash");
	refused("basic_auth_users:\n  'al:ice': " ALICE_HASH "\n", 2, 3, "cannot be sent");
	refused("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		"  client_auth_type: RequireClientCertPlease\n",
		4, 21, "client_auth_type must be");
	refused("tls_server_config:\n  min_version: TLS14\n", 2, 16, "min_version must be TLS10");
	refused("http_server_config:\n  http2: maybe\n", 2, 10, "must be true or false");
	refused("http_server_config:\n  headers:\n    Set-Cookie: x\n", 3, 5,
		"header 'Set-Cookie' cannot be set");
	refused("tls_server_config: [a, b]\n", 1, 20, "must be a mapping");
	refused("basic_auth_users:\n  alice: " ALICE_HASH "\n  alice: " ALICE_HASH "\n", 3, 3,
		"'alice' appears twice");
}

Test(webcfg, tls_mistakes_are_errors)
{
	char yaml[512];

	refused("tls_server_config:\n  cert_file: server.crt\n", 2, 14, "needs both cert_file");
	refused("tls_server_config:\n  cert_file: nosuch.crt\n  key_file: server.key\n", 2, 14,
		"No such file or directory");
	refused("tls_server_config:\n  cert_file: server.crt\n  key_file: rogue.key\n", 2, 14,
		"with key_file");
	refused("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		"  client_ca_file: ca.crt\n",
		4, 19, "client_auth_type is NoClientCert");
	refused("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		"  client_auth_type: RequireAndVerifyClientCert\n",
		2, 14, "needs client_ca_file");
	refused("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		"  client_ca_file: server.key\n  client_auth_type: VerifyClientCertIfGiven\n",
		4, 19, "client_ca_file");
	snprintf(yaml, sizeof(yaml),
		 "tls_server_config:\n  cert_file: %s/server.crt\n  key_file: %s/server.key\n"
		 "  min_version: TLS13\n  max_version: TLS12\n",
		 dir, dir);
	refused(yaml, 2, 14, "min_version is above max_version");
}

Test(webcfg, broken_files_are_errors)
{
	char missing[300];

	refused("tls_server_config:\n  cert_file: [\n", 3, 1, "YAML:");
	refused("a: b: c\n", 1, 5, "YAML:");
	snprintf(missing, sizeof(missing), "%s/nosuch.yml", dir);
	cr_expect_null(web_config_load(missing, err, sizeof(err)));
	cr_expect(strstr(err, "nosuch.yml: No such file or directory"), "%s", err);
}

static char *hash_of(const char *pass)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd = { 0 };
	const char *h;

	cr_assert(crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof(setting)));
	h = crypt_rn(pass, setting, &cd, sizeof(cd));
	cr_assert(h && h[0] == '$');
	return strdup(h);
}

Test(auth, only_a_known_user_with_its_password_passes)
{
	struct web_user users[2] = {
		{ "alice", (char *)ALICE_HASH },
		{ "bob", hash_of("hunter2") },
	};
	struct http_auth *a = http_auth_new(users, 2);

	cr_assert(a);
	cr_expect(http_auth_check(a, "alice", "s3cret", 6));
	cr_expect(http_auth_check(a, "alice", "s3cret", 6), "again, from the cache");
	cr_expect(http_auth_check(a, "bob", "hunter2", 7));
	cr_expect_not(http_auth_check(a, "alice", "wrong", 5));
	cr_expect_not(http_auth_check(a, "alice", "", 0));
	cr_expect_not(http_auth_check(a, "alice", "hunter2", 7), "bob's password");
	cr_expect_not(http_auth_check(a, "mallory", "s3cret", 6), "unknown user");
	cr_expect_not(http_auth_check(a, "alic", "s3cret", 6));
	cr_expect_not(http_auth_check(a, "alicex", "s3cret", 6));
	cr_expect_not(http_auth_check(a, "", "", 0));
	http_auth_free(a);
	free(users[1].hash);
}

Test(auth, comparison_sees_every_byte)
{
	cr_expect(http_auth_equal("abc", 3, "abc", 3));
	cr_expect_not(http_auth_equal("abc", 3, "abd", 3));
	cr_expect_not(http_auth_equal("abc", 3, "abcd", 4));
	cr_expect_not(http_auth_equal("", 0, "a", 1));
	cr_expect(http_auth_equal("", 0, "", 0));
}
