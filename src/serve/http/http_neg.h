/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Content negotiation for the telemetry path: Accept and Accept-Encoding. */
#ifndef __KSTATD_HTTP_NEG_H
#define __KSTATD_HTTP_NEG_H

#include <stdbool.h>

#include "prom_render.h"

/*
 * The format an Accept header asks for: OpenMetrics 1.0.0 when
 * application/openmetrics-text (version 1.0.0 or none) has the highest
 * q of the types kstatd serves, text 0.0.4 otherwise, and also for a
 * missing or malformed header.  Equal q: the first listed wins.
 */
enum prom_format http_neg_format(const char *accept);

/* Does Accept-Encoding allow gzip (listed with q > 0)? */
bool http_neg_gzip(const char *accept_encoding);

#endif /* __KSTATD_HTTP_NEG_H */
