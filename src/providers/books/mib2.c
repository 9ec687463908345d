// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * illumos's MIB-II statistics and the Linux SNMP counters that are the
 * same number (mib2.h).  /proc/net/snmp and /proc/net/netstat are pairs
 * of lines, "Tcp: RtoAlgorithm RtoMin ..." then "Tcp: 1 200 ...".
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mib2.h"

#define C(n, sec, f, help)                                   \
	{                                                    \
		n, sec, f, KSTAT_DATA_UINT64,                \
		{                                            \
			SNAP_COUNTER, "count", help, NULL, 0 \
		}                                            \
	}
#define G(n, sec, f, unit, help)                        \
	{                                               \
		n, sec, f, KSTAT_DATA_INT32,            \
		{                                       \
			SNAP_GAUGE, unit, help, NULL, 0 \
		}                                       \
	}

static const struct mib2_stat ip_stats[] = {
	G("forwarding", "Ip", "Forwarding", "count",
	  "1 when forwarding IPv4 datagrams, 2 when not"),
	G("defaultTTL", "Ip", "DefaultTTL", "count", "TTL of datagrams this host originates"),
	C("inReceives", "Ip", "InReceives", "Datagrams received, in error or not"),
	C("inHdrErrors", "Ip", "InHdrErrors", "Datagrams discarded for a bad header"),
	C("inAddrErrors", "Ip", "InAddrErrors", "Datagrams discarded for a destination not here"),
	C("forwDatagrams", "Ip", "ForwDatagrams", "Datagrams forwarded"),
	C("inUnknownProtos", "Ip", "InUnknownProtos", "Datagrams for a protocol not supported"),
	C("inDiscards", "Ip", "InDiscards", "Datagrams discarded without an error (no buffer)"),
	C("inDelivers", "Ip", "InDelivers", "Datagrams delivered to a protocol"),
	C("outRequests", "Ip", "OutRequests", "Datagrams local protocols asked to send"),
	C("outDiscards", "Ip", "OutDiscards", "Datagrams to send discarded without an error"),
	C("outNoRoutes", "Ip", "OutNoRoutes", "Datagrams discarded for want of a route"),
	G("reasmTimeout", "Ip", "ReasmTimeout", "s", "Longest time fragments wait for reassembly"),
	C("reasmReqds", "Ip", "ReasmReqds", "Fragments received that needed reassembly"),
	C("reasmOKs", "Ip", "ReasmOKs", "Datagrams reassembled"),
	C("reasmFails", "Ip", "ReasmFails", "Reassembly failures"),
	C("fragOKs", "Ip", "FragOKs", "Datagrams fragmented"),
	C("fragFails", "Ip", "FragFails",
	  "Datagrams discarded that needed fragmenting and could not be"),
	C("fragCreates", "Ip", "FragCreates", "Fragments made"),
	C("inErrs", "Tcp", "InErrs", "TCP segments received in error (MIB-II tcpInErrs)"),
	C("noPorts", "Udp", "NoPorts",
	  "UDP datagrams received for a port no socket listens on (MIB-II udpNoPorts)"),
	C("inCksumErrs", "IpExt", "InCsumErrors", "Datagrams with a bad header checksum"),
	C("udpInCksumErrs", "Udp", "InCsumErrors", "UDP datagrams with a bad checksum"),
	C("udpInOverflows", "Udp", "RcvbufErrors",
	  "UDP datagrams dropped for a full receive buffer"),
	C("inOctets", "IpExt", "InOctets", "Bytes of datagrams received (IP-MIB HCInOctets)"),
	C("outOctets", "IpExt", "OutOctets", "Bytes of datagrams sent (IP-MIB HCOutOctets)"),
};

static const struct mib2_stat icmp_stats[] = {
	C("inMsgs", "Icmp", "InMsgs", "ICMP messages received"),
	C("inErrors", "Icmp", "InErrors", "ICMP messages received in error"),
	C("inDestUnreachs", "Icmp", "InDestUnreachs", "Destination unreachable messages received"),
	C("inTimeExcds", "Icmp", "InTimeExcds", "Time exceeded messages received"),
	C("inParmProbs", "Icmp", "InParmProbs", "Parameter problem messages received"),
	C("inSrcQuenchs", "Icmp", "InSrcQuenchs", "Source quench messages received"),
	C("inRedirects", "Icmp", "InRedirects", "Redirects received"),
	C("inEchos", "Icmp", "InEchos", "Echo requests received"),
	C("inEchoReps", "Icmp", "InEchoReps", "Echo replies received"),
	C("inTimestamps", "Icmp", "InTimestamps", "Timestamp requests received"),
	C("inTimestampReps", "Icmp", "InTimestampReps", "Timestamp replies received"),
	C("inAddrMasks", "Icmp", "InAddrMasks", "Address mask requests received"),
	C("inAddrMaskReps", "Icmp", "InAddrMaskReps", "Address mask replies received"),
	C("outMsgs", "Icmp", "OutMsgs", "ICMP messages sent"),
	C("outErrors", "Icmp", "OutErrors", "ICMP messages not sent for an error"),
	C("outDestUnreachs", "Icmp", "OutDestUnreachs", "Destination unreachable messages sent"),
	C("outTimeExcds", "Icmp", "OutTimeExcds", "Time exceeded messages sent"),
	C("outParmProbs", "Icmp", "OutParmProbs", "Parameter problem messages sent"),
	C("outSrcQuenchs", "Icmp", "OutSrcQuenchs", "Source quench messages sent"),
	C("outRedirects", "Icmp", "OutRedirects", "Redirects sent"),
	C("outEchos", "Icmp", "OutEchos", "Echo requests sent"),
	C("outEchoReps", "Icmp", "OutEchoReps", "Echo replies sent"),
	C("outTimestamps", "Icmp", "OutTimestamps", "Timestamp requests sent"),
	C("outTimestampReps", "Icmp", "OutTimestampReps", "Timestamp replies sent"),
	C("outAddrMasks", "Icmp", "OutAddrMasks", "Address mask requests sent"),
	C("outAddrMaskReps", "Icmp", "OutAddrMaskReps", "Address mask replies sent"),
	C("inCksumErrs", "Icmp", "InCsumErrors", "ICMP messages with a bad checksum"),
};

static const struct mib2_stat tcp_stats[] = {
	G("rtoAlgorithm", "Tcp", "RtoAlgorithm", "count",
	  "Retransmission timeout algorithm (MIB-II: 1 other)"),
	G("rtoMin", "Tcp", "RtoMin", "ms", "Shortest retransmission timeout"),
	G("rtoMax", "Tcp", "RtoMax", "ms", "Longest retransmission timeout"),
	G("maxConn", "Tcp", "MaxConn", "count", "Most connections possible, -1 for no limit"),
	C("activeOpens", "Tcp", "ActiveOpens", "Connections opened from this side (to SYN-SENT)"),
	C("passiveOpens", "Tcp", "PassiveOpens", "Connections accepted (LISTEN to SYN-RCVD)"),
	C("attemptFails", "Tcp", "AttemptFails", "Connection attempts that failed"),
	C("estabResets", "Tcp", "EstabResets", "Established connections reset"),
	{ "currEstab",
	  "Tcp",
	  "CurrEstab",
	  KSTAT_DATA_UINT64,
	  { SNAP_GAUGE, "count", "Connections ESTABLISHED or CLOSE-WAIT now", NULL, 0 } },
	C("inSegs", "Tcp", "InSegs", "Segments received, errors included"),
	C("outSegs", "Tcp", "OutSegs", "Segments sent, retransmissions excluded"),
	C("retransSegs", "Tcp", "RetransSegs", "Segments retransmitted"),
	C("outRsts", "Tcp", "OutRsts", "Segments sent with RST"),
	C("outDataSegs", "TcpExt", "TCPOrigDataSent", "Segments sent with new data"),
	C("outAckDelayed", "TcpExt", "DelayedACKs", "Delayed acknowledgements sent"),
	C("outWinProbe", "TcpExt", "TCPWinProbe", "Zero window probes sent"),
	C("outFastRetrans", "TcpExt", "TCPFastRetrans", "Fast retransmissions"),
	C("timRetrans", "TcpExt", "TCPTimeouts", "Retransmission timeouts"),
	C("timRetransDrop", "TcpExt", "TCPAbortOnTimeout", "Connections dropped after timeouts"),
	C("timKeepaliveProbe", "TcpExt", "TCPKeepAlive", "Keepalive probes sent"),
	C("listenDrop", "TcpExt", "ListenOverflows", "Connections refused for a full accept queue"),
	C("listenDropQ0", "TcpExt", "TCPReqQFullDrop", "SYNs dropped for a full SYN queue"),
	C("inErrs", "Tcp", "InErrs", "Segments received in error (MIB-II tcpInErrs)"),
};

static const struct mib2_stat udp_stats[] = {
	C("inDatagrams", "Udp", "InDatagrams", "Datagrams delivered to sockets"),
	C("inErrors", "Udp", "InErrors", "Datagrams received that could not be delivered"),
	C("outDatagrams", "Udp", "OutDatagrams", "Datagrams sent"),
	C("outErrors", "Udp", "SndbufErrors", "Datagrams not sent for want of buffer space"),
	C("noPorts", "Udp", "NoPorts", "Datagrams received for a port no socket listens on"),
};

#define TABLE(m, s)                            \
	{                                      \
		m, s, sizeof(s) / sizeof(s[0]) \
	}

const struct mib2_table mib2_tables[MIB2_NKSTATS] = {
	[MIB2_IP] = TABLE("ip", ip_stats),
	[MIB2_ICMP] = TABLE("icmp", icmp_stats),
	[MIB2_TCP] = TABLE("tcp", tcp_stats),
	[MIB2_UDP] = TABLE("udp", udp_stats),
};

_Static_assert(sizeof(icmp_stats) / sizeof(icmp_stats[0]) <= MIB2_MAX_STATS, "icmp table");
_Static_assert(sizeof(ip_stats) / sizeof(ip_stats[0]) <= MIB2_MAX_STATS, "ip table");
_Static_assert(sizeof(tcp_stats) / sizeof(tcp_stats[0]) <= MIB2_MAX_STATS, "tcp table");

/* Every (section, field) wanted, sorted, and where its value goes */
struct wanted {
	const char *section, *field;
	uint8_t k, i;
};

static struct wanted *index_v;
static size_t index_n;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static int cmp_wanted(const void *a, const void *b)
{
	const struct wanted *x = a, *y = b;
	int c = strcmp(x->section, y->section);

	return c ? c : strcmp(x->field, y->field);
}

static void index_build(void)
{
	size_t n = 0;

	for (int k = 0; k < MIB2_NKSTATS; k++)
		n += mib2_tables[k].n;
	index_v = calloc(n, sizeof(*index_v));
	if (!index_v)
		return;
	for (int k = 0; k < MIB2_NKSTATS; k++)
		for (uint32_t i = 0; i < mib2_tables[k].n; i++)
			index_v[index_n++] = (struct wanted){ mib2_tables[k].stats[i].section,
							      mib2_tables[k].stats[i].field,
							      (uint8_t)k, (uint8_t)i };
	qsort(index_v, index_n, sizeof(*index_v), cmp_wanted);
}

/* strncmp against a terminated string, the token being exactly len bytes */
static int cmp_tok(const char *tok, size_t len, const char *s)
{
	int c = strncmp(tok, s, len);

	return c ? c : s[len] ? -1 : 0;
}

/* The first wanted entry of (section, field), or NULL; entries of a pair are adjacent */
static const struct wanted *lookup(const char *sec, size_t slen, const char *f, size_t flen)
{
	size_t lo = 0, hi = index_n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_tok(sec, slen, index_v[mid].section);

		if (!c)
			c = cmp_tok(f, flen, index_v[mid].field);
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < index_n && !cmp_tok(sec, slen, index_v[lo].section) &&
	    !cmp_tok(f, flen, index_v[lo].field))
		return &index_v[lo];
	return NULL;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

/* The next space-separated token of [*p, end): its start, with its length in *len */
static const char *token(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *e;

	while (s < end && *s == ' ')
		s++;
	e = s;
	while (e < end && *e != ' ')
		e++;
	*p = e;
	*len = (size_t)(e - s);
	return *len ? s : NULL;
}

static bool to_i64(const char *s, size_t len, int64_t *v)
{
	bool neg = len && *s == '-';
	uint64_t u = 0;

	if (neg) {
		s++;
		len--;
	}
	if (!len || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || u > (UINT64_MAX - 9) / 10)
			return false;
		u = u * 10 + (uint64_t)(s[i] - '0');
	}
	*v = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

/* Store x for w and the entries after it of the same (section, field); how many */
static int set_wanted(const struct wanted *w, const char *sec, size_t slen, int64_t x,
		      struct mib2_values *out)
{
	const char *field = w->field;
	int n = 0;

	for (; w < index_v + index_n && !cmp_tok(sec, slen, w->section) && !strcmp(w->field, field);
	     w++, n++) {
		out->v[w->k][w->i] = x;
		out->found[w->k][w->i] = true;
	}
	return n;
}

/*
 * The kernel writes the same header lines on every read: what each field
 * of a header is to us (the index of its first wanted entry, or -1) is
 * worked out once per distinct header, not by a search per field per
 * read.  Layouts are added and never changed, so a reader keeps its
 * pointer after the lock; when the table is full (IcmpMsg's header grows
 * with the message types seen) a layout is made for one read and freed.
 */
#define MIB2_LAYOUTS 32

struct layout {
	char *header; /* the whole header line, without its newline */
	size_t hlen;
	size_t nfields;
	int32_t first[]; /* per field */
};

static struct layout *layouts[MIB2_LAYOUTS];
static size_t nlayouts;
static pthread_mutex_t layouts_lock = PTHREAD_MUTEX_INITIALIZER;

static struct layout *layout_build(const char *h, const char *he, const char *sec, size_t slen)
{
	const char *hp = h + slen + 1;
	size_t n = 0, flen;
	struct layout *l;

	while (token(&hp, he, &flen))
		n++;
	l = malloc(sizeof(*l) + n * sizeof(l->first[0]));
	if (!l || !(l->header = malloc((size_t)(he - h)))) {
		free(l);
		return NULL;
	}
	memcpy(l->header, h, (size_t)(he - h));
	l->hlen = (size_t)(he - h);
	l->nfields = n;
	hp = h + slen + 1;
	for (size_t i = 0; i < n; i++) {
		const char *f = token(&hp, he, &flen);
		const struct wanted *w = lookup(sec, slen, f, flen);

		l->first[i] = w ? (int32_t)(w - index_v) : -1;
	}
	return l;
}

/*
 * The layout of header line [h, he): kept if new and there is room, else
 * made for this read alone (*temp set: the caller frees it).  NULL if
 * memory ran out.
 */
static struct layout *layout_of(const char *h, const char *he, const char *sec, size_t slen,
				bool *temp)
{
	struct layout *found = NULL;

	*temp = false;
	pthread_mutex_lock(&layouts_lock);
	for (size_t i = 0; i < nlayouts && !found; i++)
		if (layouts[i]->hlen == (size_t)(he - h) &&
		    !memcmp(layouts[i]->header, h, layouts[i]->hlen))
			found = layouts[i];
	if (!found && nlayouts < MIB2_LAYOUTS &&
	    (layouts[nlayouts] = layout_build(h, he, sec, slen)))
		found = layouts[nlayouts++];
	pthread_mutex_unlock(&layouts_lock);
	if (!found) {
		found = layout_build(h, he, sec, slen);
		*temp = true;
	}
	return found;
}

static void layout_free(struct layout *l)
{
	if (l)
		free(l->header);
	free(l);
}

/* One header line and its values line, both starting with section ':' */
static int parse_pair(const char *h, const char *he, const char *v, const char *ve, const char *sec,
		      size_t slen, struct mib2_values *out)
{
	bool temp;
	struct layout *l = layout_of(h, he, sec, slen, &temp);
	const char *vp = v + slen + 1;
	int found = 0;

	for (size_t i = 0; l && i < l->nfields; i++) {
		size_t vlen;
		const char *val = token(&vp, ve, &vlen);
		int64_t x;

		if (!val)
			break;
		if (l->first[i] >= 0 && to_i64(val, vlen, &x))
			found += set_wanted(&index_v[l->first[i]], sec, slen, x, out);
	}
	if (temp)
		layout_free(l);
	return found;
}

int mib2_parse(const char *text, size_t len, struct mib2_values *out)
{
	const char *p = text, *end = text + len;
	int found = 0;

	pthread_once(&index_once, index_build);
	if (!index_v)
		return 0;
	while (p < end) {
		const char *he = line_end(p, end), *v, *ve, *colon;
		size_t slen;

		if (he >= end)
			break;
		v = he + 1;
		ve = line_end(v, end);
		colon = memchr(p, ':', (size_t)(he - p));
		slen = colon ? (size_t)(colon - p) : 0;
		/* a values line has the header's prefix; else p was not a header */
		if (!colon || slen == 0 || (size_t)(ve - v) <= slen ||
		    memcmp(v, p, slen + 1) != 0) {
			p = v;
			continue;
		}
		found += parse_pair(p, he, v, ve, p, slen, out);
		p = ve < end ? ve + 1 : end;
	}
	return found;
}
