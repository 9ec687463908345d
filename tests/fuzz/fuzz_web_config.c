// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target for --web.config.file: the input is the YAML, read
 * from memory as if it were web.yml in a directory that also holds
 * server.crt, server.key and ca.crt (a self-signed P-256 certificate made
 * at start), so that relative file names in it reach the TLS checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "web_config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char config_path[64];

static void put_file(const char *dir, const char *name, const gnutls_datum_t *d)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(d->data, 1, d->size, f) != d->size || fclose(f))
		abort();
}

/* A throwaway self-signed certificate and its key, as PEM files in dir */
static void make_certs(const char *dir)
{
	gnutls_x509_privkey_t key;
	gnutls_datum_t kp, cp;
	gnutls_x509_crt_t crt;
	time_t now = time(NULL);
	unsigned char serial = 1;

	if (gnutls_x509_privkey_init(&key) ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) ||
	    gnutls_x509_crt_init(&crt) || gnutls_x509_crt_set_version(crt, 3) ||
	    gnutls_x509_crt_set_serial(crt, &serial, 1) ||
	    gnutls_x509_crt_set_activation_time(crt, now - 60) ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 86400) ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9) ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, -1) ||
	    gnutls_x509_crt_set_key(crt, key) ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) ||
	    gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kp) ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cp))
		abort();
	put_file(dir, "server.key", &kp);
	put_file(dir, "server.crt", &cp);
	put_file(dir, "ca.crt", &cp);
	gnutls_free(kp.data);
	gnutls_free(cp.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static void cleanup(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(config_path, '/') - config_path),
		 config_path);
	if (system(cmd))
		fprintf(stderr, "cannot remove the certificates in %s\n", config_path);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct web_config *wc;
	char err[512];
	FILE *f;

	if (!config_path[0]) {
		char dir[] = "/tmp/kstatd-fuzz-wc-XXXXXX";

		if (!mkdtemp(dir))
			abort();
		make_certs(dir);
		snprintf(config_path, sizeof(config_path), "%s/web.yml", dir);
		atexit(cleanup);
	}
	f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (!f)
		abort();
	err[0] = '\0';
	wc = web_config_read(f, config_path, err, sizeof(err));
	fclose(f);
	/* every refusal names the file and says why */
	if (!wc && (strncmp(err, config_path, strlen(config_path)) != 0 ||
		    strlen(err) <= strlen(config_path) + 2))
		abort();
	web_config_free(wc);
	return 0;
}
