#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Make a throwaway PKI for the TLS tests in DIR: a CA, a server
# certificate for localhost, 127.0.0.1 and ::1, a client certificate from
# that CA, and a self-signed "rogue" client certificate from no known CA.
#   tests/make_certs.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -out ca.crt -days 2 -subj /CN=kstatd-test-ca 2>/dev/null
key server.key
openssl req -new -key server.key -out server.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
	-days 2 -extfile server.ext 2>/dev/null
key client.key
openssl req -new -key client.key -out client.csr -subj /CN=scraper 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt \
	-days 2 2>/dev/null
key rogue.key
openssl req -x509 -new -key rogue.key -out rogue.crt -days 2 -subj /CN=rogue 2>/dev/null
rm -f server.csr client.csr server.ext ca.srl
