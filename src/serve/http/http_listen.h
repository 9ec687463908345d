/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* --web.listen-address: parsing, and the listening sockets handed to libmicrohttpd. */
#ifndef __KSTATD_HTTP_LISTEN_H
#define __KSTATD_HTTP_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * Parse a listen address into ss: ADDR:PORT (a name resolves to its first
 * address), [IPV6]:PORT, or :PORT for every address (*any set: IPv6 with
 * IPv4 mapped, or IPv4 alone where IPv6 is off).  Port 0 takes a free
 * one.  0, or -EINVAL with a reason in err.
 */
int http_listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen, bool *any,
		      char *err, size_t errlen);

/*
 * Bind and listen (non-blocking, close-on-exec; IPV6_V6ONLY as v6only
 * says).  Writes the URL with the port it got ("https://[::1]:8738" when
 * tls) into url.  The socket, or -errno with the reason in err.
 */
int http_listen_open(const struct sockaddr *sa, socklen_t len, bool v6only, char *url,
		     size_t urllen, bool tls, char *err, size_t errlen);

/*
 * Both of the above for one --web.listen-address; :PORT falls back to
 * IPv4 where IPv6 is off.  *v6 says which family the socket is.  The
 * socket, or -errno with "listen on SPEC: reason" in err.
 */
int http_listen_spec(const char *spec, bool tls, char *url, size_t urllen, bool *v6, char *err,
		     size_t errlen);

#endif /* __KSTATD_HTTP_LISTEN_H */
