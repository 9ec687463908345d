// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Listening sockets for the HTTP front end, opened by kstatd rather than
 * by libmicrohttpd: a bind error then names the address and the errno,
 * and port 0 (a free port, for tests) reports the port it got.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_listen.h"

/*
 * Room for a burst of connections as large as the connection limit and
 * then some: a SYN the full queue drops is retried by the client only
 * after 1 s, which a scrape with a short timeout does not survive.
 */
#define LISTEN_BACKLOG 1024

int http_listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen, bool *any,
		      char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG };
	char host[256] = "";
	const char *port, *colon;
	struct addrinfo *res;
	char *end;
	long p;
	int rc;

	*any = false;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof(host)) {
			snprintf(err, errlen, "'%s' is not [IPV6]:PORT", spec);
			return -EINVAL;
		}
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		port = close + 2;
		hints.ai_flags |= AI_NUMERICHOST;
		hints.ai_family = AF_INET6;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host) ||
		    memchr(spec, ':', (size_t)(colon - spec))) {
			snprintf(err, errlen,
				 "'%s' is not ADDR:PORT, [IPV6]:PORT or :PORT (IPv6 addresses go "
				 "in brackets)",
				 spec);
			return -EINVAL;
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (!*port || *end || errno || p < 0 || p > 65535 || (port[0] == '0' && port[1])) {
		snprintf(err, errlen, "'%s': the port must be a number in 0..65535", spec);
		return -EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	if (!host[0]) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		*any = true;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*s6);
		return 0;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "'%s': %s", spec, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int http_listen_open(const struct sockaddr *sa, socklen_t len, bool v6only, char *url,
		     size_t urllen, bool tls, char *err, size_t errlen)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	char addr[INET6_ADDRSTRLEN];
	int one = 1, v6 = v6only, fd;
	uint16_t port;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6));
	if (bind(fd, sa, len) || listen(fd, LISTEN_BACKLOG) ||
	    getsockname(fd, (struct sockaddr *)&bound, &blen)) {
		int e = errno;

		close(fd);
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	if (bound.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&bound;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		port = ntohs(s6->sin6_port);
		snprintf(url, urllen, "%s://[%s]:%u", tls ? "https" : "http", addr, port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&bound;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		port = ntohs(s4->sin_port);
		snprintf(url, urllen, "%s://%s:%u", tls ? "https" : "http", addr, port);
	}
	return fd;
}

int http_listen_spec(const char *spec, bool tls, char *url, size_t urllen, bool *v6, char *err,
		     size_t errlen)
{
	struct sockaddr_in any4 = { .sin_family = AF_INET };
	struct sockaddr_storage ss;
	socklen_t len;
	char why[160];
	bool any;
	int fd;

	if (http_listen_parse(spec, &ss, &len, &any, why, sizeof(why))) {
		snprintf(err, errlen, "--web.listen-address %s", why);
		return -EINVAL;
	}
	fd = http_listen_open((struct sockaddr *)&ss, len, !any, url, urllen, tls, why,
			      sizeof(why));
	if (fd == -EAFNOSUPPORT && any) {
		/* IPv6 is off on this host: every IPv4 address then */
		any4.sin_port = ((struct sockaddr_in6 *)&ss)->sin6_port;
		memcpy(&ss, &any4, sizeof(any4));
		len = sizeof(any4);
		fd = http_listen_open((struct sockaddr *)&ss, len, false, url, urllen, tls, why,
				      sizeof(why));
	}
	if (fd < 0) {
		snprintf(err, errlen, "listen on %s: %s", spec, why);
		return fd;
	}
	*v6 = ss.ss_family == AF_INET6;
	return fd;
}
