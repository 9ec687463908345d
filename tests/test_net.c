// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The net provider against the kernel's own books, on a veth pair of the
 * test's own: one end here, the other in a network namespace the test
 * creates, both with the same ifindex.
 *
 *	link:<netns>:<if>	/sys/class/net/<if>/statistics deltas, both ends
 *	ip, icmp, tcp, udp	/proc/net/snmp and netstat deltas, here and there
 *	drops			the interfaces' own rx_dropped + tx_dropped, also
 *				while UDP goes to a closed port (the kernel frees
 *				those datagrams, which is not the interface's drop)
 *	identity		inode, cookie, ip netns name, as statistics and labels
 *
 * IPv6 is off on both ends so that nothing but the test's frames crosses
 * the link; the frames of the exact-count test are raw Ethernet frames of
 * a local experimental EtherType, so no ARP either.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "keydec.h"
#include "loader.h"
#include "mib2.h"
#include "netns.h"
#include "netns_enter.h"
#include "outbuf.h"
#include "prom_render.h"
#include "sysfs.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#define ETHERTYPE_TEST 0x88b5 /* IEEE 802 local experimental */
#define N 100
#define S 600

static struct snap *s;
static struct loader *ld;
static char ns[48], ifa[16], ifb[16], net[16];
static int ifindex;

static void setup(void)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .reset = true };
	int pid = (int)getpid();

	require_bpf();
	snprintf(ns, sizeof(ns), "kstatd-test-%d", pid);
	snprintf(ifa, sizeof(ifa), "ka%d", pid);
	snprintf(ifb, sizeof(ifb), "kb%d", pid);
	/* a /24 of the shared address space (RFC 6598) of this test's own */
	snprintf(net, sizeof(net), "100.100.%d", pid % 250 + 1);
	/*
	 * A run that died before its teardown left its namespace (and veth
	 * end) behind, and every kstatd on the host would serve them: go,
	 * where the process that named them is gone
	 */
	(void)sh(NULL, 0,
		 "for n in $(ip netns list | awk '$1 ~ /^kstatd-test-[0-9]+(-[0-9]+)?$/ { print $1 "
		 "}'); "
		 "do p=${n#kstatd-test-}; p=${p%%%%-*}; kill -0 $p 2>/dev/null || ip netns del $n; "
		 "done");
	cr_assert_eq(sh(NULL, 0, "ip netns add %s", ns), 0);
	cr_assert_eq(sh(NULL, 0,
			"ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
			"net.ipv6.conf.default.disable_ipv6=1",
			ns),
		     0);
	/* the same ifindex on both ends: one per namespace */
	for (ifindex = 20000 + pid % 20000; ifindex < 45000; ifindex += 997)
		if (sh(NULL, 0, "ip link add %s index %d type veth peer name %s netns %s index %d",
		       ifa, ifindex, ifb, ns, ifindex) == 0)
			break;
	cr_assert_lt(ifindex, 45000, "no free ifindex for the veth pair");
	cr_assert_eq(sh(NULL, 0, "sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", ifa), 0);
	cr_assert_eq(sh(NULL, 0, "ip link set %s up && ip -n %s link set %s up", ifa, ns, ifb), 0);
	s = snap_new();
	cr_assert(s);
	ld = loader_new(s, &o);
	cr_assert(ld, "loader_new: %s", strerror(errno));
	cr_assert_geq(loader_sync(ld), 0);
	cr_assert_eq(loader_attached(ld, "net"), 1, "net is on by default");
}

static void teardown(void)
{
	loader_free(ld);
	snap_free(s);
	ld = NULL;
	s = NULL;
	if (ifa[0])
		(void)sh(NULL, 0, "ip link del %s 2>/dev/null", ifa);
	if (ns[0])
		(void)sh(NULL, 0, "ip netns del %s 2>/dev/null", ns);
	ifa[0] = ns[0] = '\0';
	remove_pin_path();
}

TestSuite(net, .init = setup, .fini = teardown, .timeout = 120);

/* rtnl_link_stats64 as /sys/class/net/<if>/statistics shows it */
enum {
	SX_RXP,
	SX_RXB,
	SX_TXP,
	SX_TXB,
	SX_RXE,
	SX_TXE,
	SX_RXD,
	SX_TXD,
	SX_MC,
	SX_COLL,
	SX_MISS,
	SX_N
};
static const char *const sx_names[SX_N] = {
	"rx_packets", "rx_bytes",   "tx_packets", "tx_bytes",   "rx_errors",        "tx_errors",
	"rx_dropped", "tx_dropped", "multicast",  "collisions", "rx_missed_errors",
};

struct ifstats {
	uint64_t v[SX_N];
};

/* Every line of a command's output, or the test fails */
static char *sh_all(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);

	cr_assert(p && buf, "popen %s", cmd);
	while (len < cap - 1 && !feof(p)) {
		size_t n = fread(buf + len, 1, cap - 1 - len, p);

		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", cmd);
	return buf;
}

/* /sys/class/net/<if>/statistics, in namespace nsname ("" for this one) */
static struct ifstats ifstats(const char *nsname, const char *ifname)
{
	struct ifstats st;
	char cmd[512], *out, *p;
	int n;

	n = snprintf(cmd, sizeof(cmd), "%s%s sh -c 'cd /sys/class/net/%s/statistics && cat",
		     nsname[0] ? "ip netns exec " : "", nsname, ifname);
	for (int i = 0; i < SX_N; i++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %s", sx_names[i]);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, "'");
	out = sh_all(cmd);
	p = out;
	for (int i = 0; i < SX_N; i++)
		st.v[i] = strtoull(p, &p, 10);
	free(out);
	return st;
}

/* link kstat statistics, in the order of sx_names, then the 32-bit twins */
struct link {
	uint64_t v[SX_N];
	uint64_t drops, noxmtbuf, ipackets, rbytes, opackets, obytes;
};

static const char *const lk_names[SX_N] = {
	"ipackets64", "rbytes64", "opackets64", "obytes64",   "ierrors",  "oerrors",
	NULL,         NULL,       "multircv",   "collisions", "norcvbuf",
};

static uint64_t stat_of(const void *data, uint_t n, const char *name)
{
	const kstat_named_t *kn = named_find(data, n, name);

	cr_assert(kn, "no statistic %s", name);
	return kn->data_type == KSTAT_DATA_UINT32 ? kn->value.ui32 : kn->value.ui64;
}

static struct link link_of_kid(kid_t kid, const char *ifname)
{
	struct snap_rhdr hdr;
	struct link l = { 0 };
	void *data;

	cr_assert_geq(kid, 0, "no link:*:%s", ifname);
	cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
	for (int i = 0; i < SX_N; i++)
		if (lk_names[i])
			l.v[i] = stat_of(data, hdr.ks_ndata, lk_names[i]);
	l.drops = stat_of(data, hdr.ks_ndata, "drops");
	l.noxmtbuf = stat_of(data, hdr.ks_ndata, "noxmtbuf");
	l.ipackets = stat_of(data, hdr.ks_ndata, "ipackets");
	l.rbytes = stat_of(data, hdr.ks_ndata, "rbytes");
	l.opackets = stat_of(data, hdr.ks_ndata, "opackets");
	l.obytes = stat_of(data, hdr.ks_ndata, "obytes");
	free(data);
	return l;
}

static struct link link_read(const char *ifname, int *instance)
{
	return link_of_kid(find_named(s, "link", ifname, instance), ifname);
}

/*
 * The kstat and the interface's own counters at one moment: the counters
 * read before and after the kstat, until they are the same
 */
static void read_both(const char *nsname, const char *ifname, struct link *l, struct ifstats *st)
{
	for (int i = 0; i < 50; i++) {
		struct ifstats before = ifstats(nsname, ifname);

		*l = link_read(ifname, NULL);
		*st = ifstats(nsname, ifname);
		if (memcmp(&before, st, sizeof(before)) == 0)
			return;
		usleep(20000);
	}
	cr_assert_fail("%s's counters never stood still", ifname);
}

static void expect_eq_u64(uint64_t got, uint64_t want, const char *what)
{
	fprintf(stderr, "%s: kstat %llu, kernel %llu\n", what, (unsigned long long)got,
		(unsigned long long)want);
	cr_expect_eq(got, want, "%s: kstat %llu, kernel %llu", what, (unsigned long long)got,
		     (unsigned long long)want);
}

/* Every link statistic against the interface's own counters read at the same moment */
static void expect_link_is_books(const char *nsname, const char *ifname)
{
	struct ifstats st;
	struct link l;
	char what[64];

	read_both(nsname, ifname, &l, &st);
	for (int i = 0; i < SX_N; i++) {
		if (!lk_names[i])
			continue;
		snprintf(what, sizeof(what), "%s %s", ifname, lk_names[i]);
		expect_eq_u64(l.v[i], st.v[i], what);
	}
	snprintf(what, sizeof(what), "%s drops", ifname);
	expect_eq_u64(l.drops, st.v[SX_RXD] + st.v[SX_TXD], what);
	expect_eq_u64(l.noxmtbuf, st.v[SX_TXD], "noxmtbuf");
	cr_expect_eq(l.ipackets, (uint32_t)st.v[SX_RXP], "ipackets: low 32 bits");
	cr_expect_eq(l.rbytes, (uint32_t)st.v[SX_RXB]);
	cr_expect_eq(l.opackets, (uint32_t)st.v[SX_TXP]);
	cr_expect_eq(l.obytes, (uint32_t)st.v[SX_TXB]);
}

static void mac_of(const char *nsname, const char *ifname, unsigned char mac[6])
{
	char out[64];

	cr_assert_eq(sh(out, sizeof(out), "ip %s%s -br link show %s | awk '{ print $3 }'",
			nsname[0] ? "-n " : "", nsname, ifname),
		     0);
	cr_assert_eq(sscanf(out, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
			    &mac[3], &mac[4], &mac[5]),
		     6, "mac of %s: '%s'", ifname, out);
}

/* n frames of size bytes (Ethernet header included) from ifname to dst */
static int send_frames(const char *ifname, const unsigned char dst[6], int n, int size)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_halen = 6 };
	unsigned char frame[1514] = { 0 };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETHERTYPE_TEST)), sent = 0;

	if (fd < 0)
		return -1;
	sa.sll_ifindex = (int)if_nametoindex(ifname);
	sa.sll_protocol = htons(ETHERTYPE_TEST);
	memcpy(sa.sll_addr, dst, 6);
	memcpy(frame, dst, 6);
	frame[12] = ETHERTYPE_TEST >> 8;
	frame[13] = ETHERTYPE_TEST & 0xff;
	for (int i = 0; i < n; i++)
		if (sendto(fd, frame, (size_t)size, 0, (struct sockaddr *)&sa, sizeof(sa)) == size)
			sent++;
	close(fd);
	return sent;
}

/* Enter namespace nsname in a child; the child runs fn and exits with its result */
static int in_ns(const char *nsname, int (*fn)(void *), void *arg)
{
	char path[128];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "/run/netns/%s", nsname);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(99);
		_exit(fn(arg));
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

struct frames_job {
	const char *ifname;
	const unsigned char *dst;
	int n, size;
};

static int frames_fn(void *arg)
{
	struct frames_job *j = arg;

	return send_frames(j->ifname, j->dst, j->n, j->size) == j->n ? 0 : 1;
}

Test(net, each_end_has_a_link_kstat_per_namespace_before_any_traffic)
{
	int ia = -1, ib = -1;
	uint_t n;
	kstat_t *h;

	cr_assert_geq(find_named(s, "link", ifa, &ia), 0, "%s appears with no traffic", ifa);
	cr_expect_eq(ia, 0, "kstatd's own namespace is instance 0");
	cr_assert_geq(find_named(s, "link", ifb, &ib), 0, "%s appears with no traffic", ifb);
	cr_expect_gt(ib, 0, "another namespace, another instance");
	cr_expect_geq(find_kid(s, "link", ib, "lo"), 0, "the far namespace's loopback too");
	cr_expect_geq(find_kid(s, "tcp", ib, "tcp"), 0, "and its MIB-II kstats");
	cr_expect_geq(find_kid(s, "udp", 0, "udp"), 0);
	h = read_headers(s, &n);
	for (uint_t i = 0; i < n; i++) {
		if (strcmp(h[i].ks_module, "link") == 0 &&
		    (strcmp(h[i].ks_name, ifa) == 0 || strcmp(h[i].ks_name, ifb) == 0)) {
			cr_expect_str_eq(h[i].ks_class, "net");
			cr_expect_eq(h[i].ks_type, KSTAT_TYPE_NAMED);
		}
		if (strcmp(h[i].ks_module, "tcp") == 0)
			cr_expect_str_eq(h[i].ks_class, "mib2");
	}
	free(h);
}

/* One walk dumps each namespace's links and reads its MIBs once (net_collect): one snaptime */
Test(net, a_walk_reads_every_link_and_mib_kstat_at_once)
{
	struct one_read links = walk_one_read(s, "link"), tcp = walk_one_read(s, "tcp");

	cr_expect_geq(links.n, 2, "both ends' links");
	cr_expect_eq(links.other, 0, "%d of %d link kstats read apart", links.other, links.n);
	cr_expect_geq(tcp.n, 1);
	cr_expect_eq(tcp.other, 0, "%d of %d tcp kstats read apart", tcp.other, tcp.n);
}

Test(net, frames_each_way_match_sys_class_net_statistics_exactly)
{
	unsigned char mac_a[6], mac_b[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct frames_job back;
	struct ifstats sa0, sb0, sa1, sb1;
	struct link a0, b0, a1, b1;

	mac_of("", ifa, mac_a);
	mac_of(ns, ifb, mac_b);
	read_both("", ifa, &a0, &sa0);
	read_both(ns, ifb, &b0, &sb0);
	cr_assert_eq(send_frames(ifa, mac_b, N, S), N);
	cr_assert_eq(send_frames(ifa, bcast, 10, 64), 10);
	back = (struct frames_job){ ifb, mac_a, N / 2, S / 2 };
	cr_assert_eq(in_ns(ns, frames_fn, &back), 0);
	read_both("", ifa, &a1, &sa1);
	read_both(ns, ifb, &b1, &sb1);
	for (int i = 0; i < SX_N; i++) {
		char what[64];

		if (!lk_names[i])
			continue;
		snprintf(what, sizeof(what), "a %s", lk_names[i]);
		expect_eq_u64(a1.v[i] - a0.v[i], sa1.v[i] - sa0.v[i], what);
		snprintf(what, sizeof(what), "b %s", lk_names[i]);
		expect_eq_u64(b1.v[i] - b0.v[i], sb1.v[i] - sb0.v[i], what);
	}
	/* and nothing else crossed */
	cr_expect_eq(a1.v[SX_TXP] - a0.v[SX_TXP], N + 10);
	cr_expect_eq(a1.v[SX_TXB] - a0.v[SX_TXB], (uint64_t)N * S + 10 * 64);
	cr_expect_eq(b1.v[SX_RXP] - b0.v[SX_RXP], N + 10);
	cr_expect_eq(b1.v[SX_TXP] - b0.v[SX_TXP], N / 2);
	cr_expect_eq(a1.v[SX_RXB] - a0.v[SX_RXB], (uint64_t)(N / 2) * (S / 2));
	expect_link_is_books("", ifa);
	expect_link_is_books(ns, ifb);
}

/* A link statistic that Linux does not keep is absent, not zero */
Test(net, statistics_linux_does_not_keep_are_absent)
{
	kid_t kid = find_named(s, "link", ifa, NULL);
	struct snap_rhdr hdr;
	void *data;

	cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
	cr_expect_null(named_find(data, hdr.ks_ndata, "brdcstrcv"));
	cr_expect_null(named_find(data, hdr.ks_ndata, "brdcstxmt"));
	cr_expect_null(named_find(data, hdr.ks_ndata, "multixmt"));
	cr_expect_not_null(named_find(data, hdr.ks_ndata, "multircv"));
	free(data);
}

Test(net, frames_to_a_peer_that_is_down_are_the_interfaces_own_drops)
{
	unsigned char bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct ifstats s0, s1;
	struct link a0, a1;

	read_both("", ifa, &a0, &s0);
	cr_assert_eq(sh(NULL, 0, "ip -n %s link set %s down", ns, ifb), 0);
	(void)send_frames(ifa, bcast, 20, 100);
	read_both("", ifa, &a1, &s1);
	fprintf(stderr, "peer down: drops %llu, oerrors %llu; tx_dropped %llu, tx_errors %llu\n",
		(unsigned long long)(a1.drops - a0.drops),
		(unsigned long long)(a1.v[SX_TXE] - a0.v[SX_TXE]),
		(unsigned long long)(s1.v[SX_TXD] - s0.v[SX_TXD]),
		(unsigned long long)(s1.v[SX_TXE] - s0.v[SX_TXE]));
	cr_expect_eq(s1.v[SX_TXD] - s0.v[SX_TXD], 20, "veth drops what its down peer cannot take");
	expect_eq_u64(a1.drops - a0.drops,
		      s1.v[SX_RXD] + s1.v[SX_TXD] - s0.v[SX_RXD] - s0.v[SX_TXD], "a drops");
	expect_eq_u64(a1.v[SX_TXE] - a0.v[SX_TXE], s1.v[SX_TXE] - s0.v[SX_TXE], "a oerrors");
	expect_eq_u64(a1.v[SX_TXP] - a0.v[SX_TXP], s1.v[SX_TXP] - s0.v[SX_TXP], "a opackets64");
}

/* Give both ends an address of the test's /24 */
static void addresses(void)
{
	cr_assert_eq(sh(NULL, 0,
			"ip addr add %s.1/24 dev %s && ip -n %s addr add %s.2/24 dev %s && "
			"ip -n %s link set lo up",
			net, ifa, ns, net, ifb, ns),
		     0);
}

/* The SNMP counter section:field of /proc/net/snmp or netstat text, or NO_FIELD */
#define NO_FIELD INT64_MIN

static int64_t snmp_field(const char *text, const char *section, const char *field)
{
	size_t sl = strlen(section);

	for (const char *h = text; h && *h; h = strchr(h, '\n'), h = h ? h + 1 : NULL) {
		const char *v = strchr(h, '\n'), *hp, *vp;

		if (!v || strncmp(h, section, sl) != 0 || h[sl] != ':' || strncmp(v + 1, h, sl + 1))
			continue;
		hp = h + sl + 1;
		vp = v + 1 + sl + 1;
		while (hp < v) {
			char name[64];
			long long val;
			int hn, vn;

			if (sscanf(hp, "%63s%n", name, &hn) != 1 ||
			    sscanf(vp, "%lld%n", &val, &vn) != 1)
				break;
			if (strcmp(name, field) == 0)
				return val;
			hp += hn;
			vp += vn;
		}
	}
	return NO_FIELD;
}

/* /proc/net/snmp and netstat of a namespace ("" for this one), in one text */
static char *snmp_text(const char *nsname)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%s%s cat /proc/net/snmp /proc/net/netstat",
		 nsname[0] ? "ip netns exec " : "", nsname);
	return sh_all(cmd);
}

struct udp_job {
	const char *dst;
	int n;
};

static int udp_fn(void *arg)
{
	struct udp_job *j = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), sent = 0;

	if (fd < 0 || inet_pton(AF_INET, j->dst, &sa.sin_addr) != 1)
		return 1;
	for (int i = 0; i < j->n; i++)
		sent += sendto(fd, "kstatd", 6, 0, (struct sockaddr *)&sa, sizeof(sa)) == 6;
	close(fd);
	return sent == j->n ? 0 : 2;
}

Test(net, udp_to_a_closed_port_is_no_drop_of_the_interfaces)
{
	struct ifstats sa0, sb0, sa1, sb1;
	struct link a0, b0, a1, b1;
	char dst[24], *t0, *t1;
	struct udp_job j = { dst, 3000 };
	int ib = -1;

	addresses();
	snprintf(dst, sizeof(dst), "%s.2", net);
	cr_assert_geq(find_named(s, "link", ifb, &ib), 0);
	/* ARP settles with a first datagram */
	j.n = 1;
	cr_assert_eq(udp_fn(&j), 0);
	usleep(200000);
	j.n = 3000;
	read_both("", ifa, &a0, &sa0);
	read_both(ns, ifb, &b0, &sb0);
	t0 = snmp_text(ns);
	cr_assert_eq(udp_fn(&j), 0);
	usleep(200000);
	read_both("", ifa, &a1, &sa1);
	read_both(ns, ifb, &b1, &sb1);
	t1 = snmp_text(ns);
	expect_eq_u64(a1.drops - a0.drops,
		      sa1.v[SX_RXD] + sa1.v[SX_TXD] - sa0.v[SX_RXD] - sa0.v[SX_TXD], "a drops");
	expect_eq_u64(b1.drops - b0.drops,
		      sb1.v[SX_RXD] + sb1.v[SX_TXD] - sb0.v[SX_RXD] - sb0.v[SX_TXD], "b drops");
	cr_expect_eq(b1.drops - b0.drops, 0, "the interfaces dropped none of the 3000");
	cr_expect_geq(b1.v[SX_RXP] - b0.v[SX_RXP], 3000, "every datagram crossed");
	/* the namespace's UDP refused them: its own MIB, as udp:N:udp reads it */
	cr_expect_eq(snmp_field(t1, "Udp", "NoPorts") - snmp_field(t0, "Udp", "NoPorts"), 3000);
	expect_eq_u64(read_u64(s, "udp", ib, "udp", "noPorts"),
		      (uint64_t)snmp_field(t1, "Udp", "NoPorts"), "udp noPorts");
	expect_eq_u64(read_u64(s, "ip", ib, "ip", "noPorts"),
		      (uint64_t)snmp_field(t1, "Udp", "NoPorts"), "ip noPorts (illumos's place)");
	expect_eq_u64(read_u64(s, "udp", ib, "udp", "inDatagrams"),
		      (uint64_t)snmp_field(t1, "Udp", "InDatagrams"), "udp inDatagrams");
	expect_eq_u64(read_u64(s, "ip", ib, "ip", "inReceives"),
		      (uint64_t)snmp_field(t1, "Ip", "InReceives"), "ip inReceives");
	expect_eq_u64(read_u64(s, "icmp", ib, "icmp", "outDestUnreachs"),
		      (uint64_t)snmp_field(t1, "Icmp", "OutDestUnreachs"), "icmp outDestUnreachs");
	free(t0);
	free(t1);
}

struct tcp_job {
	const char *dst;
	int wait_ms;
};

/* A connection attempt left to retransmit its SYN, then given up */
static int tcp_fn(void *arg)
{
	struct tcp_job *j = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, j->dst, &sa.sin_addr) != 1)
		return 1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != EINPROGRESS)
		return 2;
	usleep((useconds_t)j->wait_ms * 1000);
	close(fd);
	return 0;
}

/*
 * Segments to a gateway whose MAC is nobody's vanish on the wire: the
 * namespace's TCP retransmits, and counts it in its own MIB
 */
Test(net, tcp_retransmissions_in_a_namespace_match_its_snmp_counters)
{
	static const char *const stats[][3] = {
		{ "retransSegs", "Tcp", "RetransSegs" },   { "activeOpens", "Tcp", "ActiveOpens" },
		{ "attemptFails", "Tcp", "AttemptFails" }, { "outSegs", "Tcp", "OutSegs" },
		{ "outRsts", "Tcp", "OutRsts" },           { "currEstab", "Tcp", "CurrEstab" },
		{ "timRetrans", "TcpExt", "TCPTimeouts" },
	};
	struct tcp_job j = { "203.0.113.7", 3500 };
	char *t0, *t1, *t2;
	uint64_t k[sizeof(stats) / sizeof(stats[0])];
	int ib = -1;

	addresses();
	cr_assert_eq(sh(NULL, 0,
			"ip -n %s neigh replace %s.3 lladdr 02:00:5e:00:53:01 dev %s nud permanent "
			"&& ip -n %s route add 203.0.113.0/24 via %s.3",
			ns, net, ifb, ns, net),
		     0);
	cr_assert_geq(find_named(s, "link", ifb, &ib), 0);
	t0 = snmp_text(ns);
	cr_assert_eq(in_ns(ns, tcp_fn, &j), 0);
	/* nothing moves in the namespace now: its counters and the kstats agree */
	t1 = snmp_text(ns);
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		k[i] = read_u64(s, "tcp", ib, "tcp", stats[i][0]);
	t2 = snmp_text(ns);
	cr_assert_str_eq(t1, t2, "the namespace's counters stood still");
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		expect_eq_u64(k[i], (uint64_t)snmp_field(t1, stats[i][1], stats[i][2]),
			      stats[i][0]);
	cr_expect_geq(snmp_field(t1, "Tcp", "RetransSegs") - snmp_field(t0, "Tcp", "RetransSegs"),
		      2, "the SYN went out again at 1 s and 3 s");
	cr_expect_eq(snmp_field(t1, "Tcp", "ActiveOpens") - snmp_field(t0, "Tcp", "ActiveOpens"),
		     1);
	free(t0);
	free(t1);
	free(t2);
}

/* kstatd's own namespace moves on meanwhile: each kstat lies between two reads of the books */
Test(net, mib2_kstats_of_this_namespace_lie_between_two_reads_of_the_books)
{
	char *t0, *t1;
	int checked = 0;

	t0 = snmp_text("");
	cr_assert_eq(loader_sync(ld) >= 0, 1);
	{
		uint64_t v[MIB2_NKSTATS][MIB2_MAX_STATS] = { { 0 } };
		bool have[MIB2_NKSTATS][MIB2_MAX_STATS] = { { false } };

		for (int k = 0; k < MIB2_NKSTATS; k++) {
			const struct mib2_table *t = &mib2_tables[k];
			kid_t kid = find_kid(s, t->module, 0, t->module);
			struct snap_rhdr hdr;
			void *data;

			cr_assert_geq(kid, 0, "%s:0:%s", t->module, t->module);
			cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
			for (uint32_t i = 0; i < t->n; i++) {
				const kstat_named_t *kn =
					named_find(data, hdr.ks_ndata, t->stats[i].name);

				if (!kn)
					continue;
				have[k][i] = true;
				v[k][i] = kn->data_type == KSTAT_DATA_INT32
						  ? (uint64_t)(int64_t)kn->value.i32
						  : kn->value.ui64;
			}
			free(data);
		}
		t1 = snmp_text("");
		for (int k = 0; k < MIB2_NKSTATS; k++) {
			const struct mib2_table *t = &mib2_tables[k];

			for (uint32_t i = 0; i < t->n; i++) {
				const struct mib2_stat *st = &t->stats[i];
				int64_t lo = snmp_field(t0, st->section, st->field),
					hi = snmp_field(t1, st->section, st->field);

				cr_expect_eq(have[k][i], lo != NO_FIELD,
					     "%s:0:%s:%s present as the kernel keeps %s %s",
					     t->module, t->module, st->name, st->section,
					     st->field);
				if (!have[k][i] || st->meta.kind != SNAP_COUNTER)
					continue;
				cr_expect((int64_t)v[k][i] >= lo && (int64_t)v[k][i] <= hi,
					  "%s:0:%s:%s = %llu, not within %s %s %lld..%lld",
					  t->module, t->module, st->name,
					  (unsigned long long)v[k][i], st->section, st->field,
					  (long long)lo, (long long)hi);
				checked++;
			}
		}
	}
	fprintf(stderr, "%d MIB-II counters checked\n", checked);
	cr_expect_gt(checked, 60);
	free(t0);
	free(t1);
}

static uint32_t netns_ino_of(const char *nsname)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", nsname);
	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

static int cookie_fn(void *arg)
{
	int *pipefd = arg, fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	socklen_t len = sizeof(uint64_t);
	uint64_t cookie = 0;

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		return 1;
	return write(pipefd[1], &cookie, sizeof(cookie)) == sizeof(cookie) ? 0 : 2;
}

static char *scrape(void)
{
	struct prom_self self = { .version = "test", .bpf_stats_enabled = -1 };
	const char *unknown;
	struct outbuf ob;
	char *text;

	outbuf_init(&ob, 0);
	cr_assert_eq(prom_render(s, PROM_FMT_TEXT, NULL, &self, &ob, &unknown), 0);
	outbuf_putc(&ob, '\0');
	text = strdup(ob.buf);
	outbuf_free(&ob);
	cr_assert(text);
	return text;
}

Test(net, a_namespace_is_known_by_inode_cookie_and_name_in_kstats_and_labels)
{
	uint32_t ino = netns_ino_of(ns);
	uint64_t cookie = 0;
	struct snap_rhdr hdr;
	const kstat_named_t *kn;
	int pipefd[2], ib = -1;
	char want[256], *metrics;
	kid_t kid;
	void *data;

	cr_assert_neq(ino, 0);
	cr_assert_eq(pipe(pipefd), 0);
	cr_assert_eq(in_ns(ns, cookie_fn, pipefd), 0);
	cr_assert_eq(read(pipefd[0], &cookie, sizeof(cookie)), sizeof(cookie));
	close(pipefd[0]);
	close(pipefd[1]);
	kid = find_named(s, "link", ifb, &ib);
	cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
	expect_eq_u64(stat_of(data, hdr.ks_ndata, "netns"), ino, "netns");
	expect_eq_u64(stat_of(data, hdr.ks_ndata, "netns_cookie"), cookie, "netns_cookie");
	kn = named_find(data, hdr.ks_ndata, "netns_name");
	cr_assert(kn && kn->data_type == KSTAT_DATA_STRING);
	cr_expect_str_eq(KSTAT_NAMED_STR_PTR(kn), ns);
	kn = named_find(data, hdr.ks_ndata, "kind");
	cr_assert(kn && kn->data_type == KSTAT_DATA_STRING);
	cr_expect_str_eq(KSTAT_NAMED_STR_PTR(kn), "veth");
	free(data);
	expect_eq_u64(read_u64(s, "tcp", ib, "tcp", "netns"), ino, "tcp:N:tcp netns");
	expect_eq_u64(read_u64(s, "link", 0, "lo", "netns"), netns_own_ino(), "link:0:lo netns");

	metrics = scrape();
	snprintf(want, sizeof(want),
		 "kstat_link_rbytes_total{ks_instance=\"%d\",ks_name=\"%s\",ks_netns=\"%u\","
		 "ks_netns_name=\"%s\",kind=\"veth\"} ",
		 ib, ifb, ino, ns);
	cr_expect(strstr(metrics, want), "no %s in the scrape", want);
	snprintf(want, sizeof(want),
		 "kstat_tcp_active_opens_total{ks_instance=\"%d\",ks_name=\"tcp\",ks_netns=\"%u\","
		 "ks_netns_name=\"%s\"} ",
		 ib, ino, ns);
	cr_expect(strstr(metrics, want), "no %s in the scrape", want);
	cr_expect_null(strstr(metrics, "kstat_link_netns"), "the inode is a label, not a series");
	cr_expect_null(strstr(metrics, "netns_cookie"));
	free(metrics);
}

Test(net, speed_duplex_and_state_come_from_the_link)
{
	char speed[32];
	int ia = -1;

	cr_assert_eq(sh(speed, sizeof(speed), "cat /sys/class/net/%s/speed", ifa), 0);
	cr_assert_geq(find_named(s, "link", ifa, &ia), 0);
	expect_eq_u64(read_u64(s, "link", ia, ifa, "ifspeed"), strtoull(speed, NULL, 10) * 1000000,
		      "ifspeed: /sys/class/net speed in bits/s");
	cr_expect_eq(read_u64(s, "link", ia, ifa, "link_duplex"), 2, "veth says full duplex");
	cr_expect_eq(read_u64(s, "link", ia, ifa, "link_state"), 1);
	cr_expect_eq(read_u64(s, "link", ia, ifa, "link_up"), 1);
	cr_assert_eq(sh(NULL, 0, "ip link set %s down", ifa), 0);
	cr_expect_eq(read_u64(s, "link", ia, ifa, "link_state"), 0, "down at the next read");
	cr_expect_eq(read_u64(s, "link", ia, ifa, "link_up"), 0);
}

Test(net, a_deleted_interface_vanishes_with_its_peer_and_the_chain_id_moves)
{
	uint32_t ino = netns_ino_of(ns);
	kid_t chain;
	int ib = -1;

	cr_assert_geq(find_named(s, "link", ifa, NULL), 0);
	cr_assert_geq(find_named(s, "link", ifb, &ib), 0);
	cr_assert_geq(find_kid(s, "link", ib, "lo"), 0,
		      "the far namespace's loopback is listed too");
	chain = snap_chain_id(s);
	cr_assert_eq(sh(NULL, 0, "ip link del %s", ifa), 0);
	ifa[0] = '\0';
	cr_assert_geq(loader_sync(ld), 2);
	cr_expect_eq(find_named(s, "link", ifb, NULL), -1);
	cr_expect_gt(snap_chain_id(s), chain);
	cr_expect_geq(find_kid(s, "link", ib, "lo"), 0, "its namespace is still there");
	cr_expect_eq(keydec_net_state(ino), 1, "the namespace is known alive");
	/* the namespace going takes its kstats */
	cr_assert_eq(sh(NULL, 0, "ip netns del %s", ns), 0);
	ns[0] = '\0';
	cr_assert_geq(loader_sync(ld), 1);
	cr_expect_eq(find_kid(s, "link", ib, "lo"), -1);
	cr_expect_eq(find_kid(s, "tcp", ib, "tcp"), -1);
	cr_expect_eq(keydec_net_state(ino), -1, "the namespace is known gone");
}

/*
 * The kernel gives a freed namespace inode to the next namespace made, and
 * every namespace's loopback is ifindex 1: the new loopback must not
 * inherit the old one's instance or its counters.
 */
Test(net, a_namespace_that_takes_a_freed_inode_is_a_new_instance)
{
	char ns2[sizeof(ns)] = "", mark[IF_NAMESIZE];
	uint32_t ino = netns_ino_of(ns), got = 0;
	unsigned char zero[6] = { 0 };
	struct frames_job lo = { "lo", zero, 7, 60 };
	int ib = -1, i2 = -1;
	struct link l;

	snprintf(mark, sizeof(mark), "km%d", (int)getpid()); /* names the new namespace */
	cr_assert_geq(find_named(s, "link", ifb, &ib), 0);
	cr_assert_geq(find_kid(s, "link", ib, "lo"), 0);

	/* the namespace goes (its veth pair with it); kstatd lets go of it at its next sync */
	cr_assert_eq(sh(NULL, 0, "ip netns del %s", ns), 0);
	ns[0] = ifa[0] = '\0';
	cr_assert_geq(loader_sync(ld), 1);
	cr_expect_eq(find_kid(s, "link", ib, "lo"), -1, "link:%d:lo outlived its namespace", ib);
	/*
	 * Inodes are handed out lowest first, once the kernel has freed the
	 * namespace in the background.  A try that got a lower one (another
	 * namespace freed earlier) keeps it; a higher one means not yet.
	 */
	for (int i = 0; i < 100 && got != ino; i++) {
		snprintf(ns2, sizeof(ns2), "kstatd-test-%d-%d", (int)getpid(), i);
		cr_assert_eq(sh(NULL, 0, "ip netns add %s", ns2), 0);
		got = netns_ino_of(ns2);
		if (got > ino)
			(void)sh(NULL, 0, "ip netns del %s", ns2);
		if (got != ino)
			usleep(50000);
	}
	memcpy(ns, ns2, sizeof(ns)); /* for the teardown */
	(void)sh(NULL, 0,
		 "for n in $(ip netns list | awk '/^kstatd-test-%d-[0-9]/ { print $1 }'); do "
		 "[ $n = %s ] || ip netns del $n; done",
		 (int)getpid(), ns2);
	if (got != ino)
		skip_after(teardown, "no new namespace got inode %u within 5 s", ino);
	cr_assert_eq(sh(NULL, 0,
			"ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
			"net.ipv6.conf.default.disable_ipv6=1 && ip -n %s link set lo up && "
			"ip -n %s link add %s type veth peer name kn%d",
			ns2, ns2, ns2, mark, (int)getpid()),
		     0);
	cr_assert_eq(in_ns(ns2, frames_fn, &lo), 0);
	cr_assert_geq(loader_sync(ld), 1);
	cr_assert_geq(find_named(s, "link", mark, &i2), 0, "the new namespace is met");
	cr_expect_gt(i2, ib, "the new namespace is a new instance");
	l = link_of_kid(find_kid(s, "link", i2, "lo"), "lo");
	expect_eq_u64(l.v[SX_RXP], ifstats(ns2, "lo").v[SX_RXP], "new lo ipackets64");
	cr_expect_eq(l.v[SX_RXP], 7);
}

Test(net, a_renamed_interface_gets_a_kstat_under_its_new_name)
{
	char newname[16];
	struct link before, after;

	snprintf(newname, sizeof(newname), "kr%d", (int)getpid());
	cr_assert_eq(send_frames(ifa,
				 (const unsigned char[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 5,
				 60),
		     5);
	before = link_read(ifa, NULL);
	cr_assert_eq(sh(NULL, 0,
			"ip link set %s down && ip link set %s name %s && ip link set %s up", ifa,
			ifa, newname, newname),
		     0);
	cr_assert_geq(loader_sync(ld), 2, "the old kstat deleted, the new one created");
	cr_expect_eq(find_named(s, "link", ifa, NULL), -1, "no kstat under the old name");
	snprintf(ifa, sizeof(ifa), "%s", newname);
	after = link_read(newname, NULL);
	cr_expect_geq(after.v[SX_TXP], before.v[SX_TXP], "counters continue");
}

/* A namespace with a process in it and no mount is found by the task iterator */
Test(net, a_namespace_with_only_a_process_is_found)
{
	char line[64];
	int before, found = -1;
	uint32_t ino = 0;
	pid_t pid;
	int pipefd[2];

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char c;

		close(pipefd[1]);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		(void)!read(pipefd[0], &c, 1); /* until the test is done */
		_exit(0);
	}
	close(pipefd[0]);
	for (int i = 0; i < 50 && !ino; i++) {
		struct stat st0, st1;
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		if (stat(path, &st1) == 0 && stat("/proc/self/ns/net", &st0) == 0 &&
		    st0.st_ino != st1.st_ino)
			ino = (uint32_t)st1.st_ino;
		else
			usleep(20000);
	}
	cr_assert_neq(ino, 0, "the child unshared its network namespace");
	before = keydec_net_state(ino);
	cr_assert_geq(loader_sync(ld), 1);
	snprintf(line, sizeof(line), "%u", ino);
	{
		uint_t n;
		kstat_t *h = read_headers(s, &n);

		for (uint_t i = 0; i < n; i++)
			if (strcmp(h[i].ks_module, "link") == 0 &&
			    strcmp(h[i].ks_name, "lo") == 0 &&
			    read_u64(s, "link", h[i].ks_instance, "lo", "netns") == ino)
				found = h[i].ks_instance;
		free(h);
	}
	cr_expect_eq(before, 0, "not known before");
	cr_expect_gt(found, 0, "link:N:lo of namespace %s", line);
	close(pipefd[1]);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_geq(loader_sync(ld), 1);
	cr_expect_eq(find_kid(s, "link", found, "lo"), -1, "gone with its last process");
}

/* A drop-in keyed by interface (KSTAT_KEY(netdev)) names them as link kstats are named */
Test(net, a_netdev_keyed_drop_in_shares_the_namespace_instances)
{
	unsigned char bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct frames_job j = { NULL, bcast, 3, 60 };
	char err[512];
	int ia = -1, ib = -1, ka = -1, kb = -1;

	j.ifname = ifb;
	cr_assert_eq(loader_add_file(ld, test_obj("knetdev.bpf.o"), true, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_geq(loader_sync(ld), 1);
	cr_assert_eq(send_frames(ifa, bcast, 3, 60), 3);
	cr_assert_eq(in_ns(ns, frames_fn, &j), 0);
	cr_assert_geq(loader_sync(ld), 0);
	cr_assert_geq(find_named(s, "link", ifa, &ia), 0);
	cr_assert_geq(find_named(s, "link", ifb, &ib), 0);
	cr_assert_geq(find_named(s, "knetdev", ifa, &ka), 0, "listed before its first frame");
	cr_assert_geq(find_named(s, "knetdev", ifb, &kb), 0);
	cr_expect_eq(ka, ia);
	cr_expect_eq(kb, ib, "the far end's namespace is one instance for both providers");
	cr_expect_eq(read_u64(s, "knetdev", kb, ifb, "sent"), 3);
}

/* Drops by reason: their own kstats, never a link's */
Test(net, drops_by_reason_count_the_closed_port_apart_from_the_links)
{
	char dst[24];
	struct udp_job j = { dst, 1 };
	uint64_t r0, r1;
	struct link b0, b1;
	struct ifstats sb0, sb1;

	cr_assert_eq(loader_attached(ld, "skb_drop"), 0, "skb_drop is off by default");
	cr_assert_eq(loader_set_enabled(ld, "skb_drop", true), 0);
	cr_assert_geq(loader_sync(ld), 1);
	cr_assert_eq(loader_attached(ld, "skb_drop"), 1);
	cr_assert_geq(find_kid(s, "skb_drop", 0, "other"), 0);
	cr_assert_geq(find_kid(s, "skb_drop", 0, "no_socket"), 0, "before the first drop");
	addresses();
	snprintf(dst, sizeof(dst), "%s.2", net);
	cr_assert_eq(udp_fn(&j), 0);
	usleep(200000);
	r0 = read_u64(s, "skb_drop", 0, "no_socket", "packets");
	read_both(ns, ifb, &b0, &sb0);
	j.n = 3000;
	cr_assert_eq(udp_fn(&j), 0);
	usleep(200000);
	r1 = read_u64(s, "skb_drop", 0, "no_socket", "packets");
	read_both(ns, ifb, &b1, &sb1);
	fprintf(stderr, "no_socket: +%llu, %s drops +%llu\n", (unsigned long long)(r1 - r0), ifb,
		(unsigned long long)(b1.drops - b0.drops));
	/* other processes of the host drop packets for want of a socket too */
	cr_expect_geq(r1 - r0, 3000, "every datagram to the closed port, by its reason");
	expect_eq_u64(b1.drops - b0.drops,
		      sb1.v[SX_RXD] + sb1.v[SX_TXD] - sb0.v[SX_RXD] - sb0.v[SX_TXD], "b drops");
}

/* The parsers, on texts of the kernels' formats and on hostile ones */
Test(netparse, container_and_pod_come_from_the_cgroup_path)
{
	static const char *const id =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const struct {
		const char *text, *container, *pod;
	} cases[] = {
		{ "0::/system.slice/docker-%s.scope\n", "id", "" },
		{ "0::/kubepods.slice/kubepods-besteffort.slice/"
		  "kubepods-besteffort-pod1f2e3d4c_5b6a_7980_a1b2_c3d4e5f6a7b8.slice/"
		  "cri-containerd-%s.scope\n",
		  "id", "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f6a7b8" },
		{ "12:cpu,cpuacct:/kubepods/burstable/pod1f2e3d4c-5b6a-7980-a1b2-c3d4e5f6a7b8/%s\n"
		  "0::/\n",
		  "", "" },
		{ "11:memory:/docker/%s\n", "id", "" },
		{ "0::/user.slice/user-1000.slice/session-3.scope\n", "", "" },
		{ "0::/machine.slice/libpod-%s.scope/container\n", "id", "" },
		{ "0::/crio-%sx.scope\n", "", "" },
		{ "garbage", "", "" },
		{ "", "", "" },
		{ "0::", "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], c[NETNS_ID_LEN], p[NETNS_ID_LEN];

		snprintf(text, sizeof(text), cases[i].text, id);
		netns_cgroup_ids(text, c, sizeof(c), p, sizeof(p));
		cr_expect_str_eq(c, strcmp(cases[i].container, "id") == 0 ? id : cases[i].container,
				 "case %zu: container '%s'", i, c);
		cr_expect_str_eq(p, cases[i].pod, "case %zu: pod '%s'", i, p);
	}
}

Test(netparse, mib2_text_gives_what_it_holds_and_no_more)
{
	static const char text[] =
		"Ip: Forwarding DefaultTTL InReceives\n"
		"Ip: 2 64 12345\n"
		"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens RetransSegs InErrs\n"
		"Tcp: 1 200 120000 -1 7 99 3\n"
		"Udp: InDatagrams NoPorts\n"
		"Udp: 5\n"
		"TcpExt: TCPOrigDataSent\n"
		"Bogus: 1 2 3\n"
		"TcpExt: 18446744073709551615999\n";
	struct mib2_values v = { 0 };
	int tcp_retrans = -1, tcp_maxconn = -1, udp_noports = -1;

	cr_expect_eq(mib2_parse(text, sizeof(text) - 1, &v), 12, "Tcp InErrs is ip's and tcp's");
	for (uint32_t i = 0; i < mib2_tables[MIB2_TCP].n; i++) {
		if (!strcmp(mib2_tables[MIB2_TCP].stats[i].name, "retransSegs"))
			tcp_retrans = (int)i;
		if (!strcmp(mib2_tables[MIB2_TCP].stats[i].name, "maxConn"))
			tcp_maxconn = (int)i;
	}
	for (uint32_t i = 0; i < mib2_tables[MIB2_UDP].n; i++)
		if (!strcmp(mib2_tables[MIB2_UDP].stats[i].name, "noPorts"))
			udp_noports = (int)i;
	cr_assert(tcp_retrans >= 0 && tcp_maxconn >= 0 && udp_noports >= 0);
	cr_expect_eq(v.v[MIB2_TCP][tcp_retrans], 99);
	cr_expect_eq(v.v[MIB2_TCP][tcp_maxconn], -1);
	cr_expect(v.found[MIB2_TCP][tcp_retrans]);
	cr_expect_not(v.found[MIB2_UDP][udp_noports], "a header without its value is no value");
	for (size_t cut = 0; cut < sizeof(text); cut++) {
		struct mib2_values w;

		memset(&w, 0, sizeof(w));
		(void)mib2_parse(text, cut, &w); /* any prefix parses, without reading past it */
	}
	/* the headers' layouts are kept: a second read of the same text gives the same */
	{
		struct mib2_values again = { 0 };

		cr_expect_eq(mib2_parse(text, sizeof(text) - 1, &again), 12);
		cr_expect_eq(memcmp(&again, &v, sizeof(v)), 0);
	}
	/* more distinct headers than layouts are kept: each still parses, from a layout made for that read */
	for (int i = 0; i < 80; i++) {
		char t[160];
		struct mib2_values w = { 0 };
		int n = snprintf(t, sizeof(t), "Tcp: Unknown%d RetransSegs\nTcp: 5 %d\n", i,
				 1000 + i);

		cr_expect_eq(mib2_parse(t, (size_t)n, &w), 1, "header %d", i);
		cr_expect_eq(w.v[MIB2_TCP][tcp_retrans], 1000 + i, "header %d", i);
	}
}

Test(netparse, an_nsfs_mount_line_gives_the_namespace_and_where)
{
	char mnt[256];
	uint32_t ino = 0;

	cr_expect_eq(netns_mountinfo_line("1017 28 0:4 net:[4026532305] /run/netns/a\\040b rw "
					  "shared:603 - nsfs nsfs rw\n",
					  &ino, mnt, sizeof(mnt)),
		     1);
	cr_expect_eq(ino, 4026532305U);
	cr_expect_str_eq(mnt, "/run/netns/a b");
	cr_expect_eq(netns_mountinfo_line("1 2 0:4 mnt:[4026531841] /x rw - nsfs nsfs rw\n", &ino,
					  mnt, sizeof(mnt)),
		     0, "a mount namespace");
	cr_expect_eq(netns_mountinfo_line("24 1 8:1 / / rw - ext4 /dev/vda1 rw\n", &ino, mnt,
					  sizeof(mnt)),
		     0);
	cr_expect_eq(netns_mountinfo_line("1 2 0:4 net:[99999999999] /x rw - nsfs nsfs rw\n", &ino,
					  mnt, sizeof(mnt)),
		     0, "past 32 bits");
	cr_expect_eq(netns_mountinfo_line("garbage", &ino, mnt, sizeof(mnt)), 0);
}
