// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * link:<netns>:<ifname> against /sys/class/net/<if>/statistics, on a veth
 * pair of the test's own: one end here, the other in a network namespace
 * the test creates, both with the same ifindex.  IPv6 is off on both ends
 * so that nothing but the test's frames crosses the link (no router or
 * neighbour solicitations, no MLD reports); the frames are raw Ethernet
 * frames of a local experimental EtherType, so no ARP either.
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
#include "sysfs.h"

#define ETHERTYPE_TEST 0x88b5 /* IEEE 802 local experimental */
#define N 100
#define S 600

static struct snap *s;
static struct loader *ld;
static char ns[48], ifa[16], ifb[16];
static int ifindex;

static void setup(void)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .reset = true };
	int pid = (int)getpid();

	require_bpf();
	snprintf(ns, sizeof(ns), "kstatd-test-%d", pid);
	snprintf(ifa, sizeof(ifa), "ka%d", pid);
	snprintf(ifb, sizeof(ifb), "kb%d", pid);
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
	if (ifa[0])
		(void)sh(NULL, 0, "ip link del %s 2>/dev/null", ifa);
	if (ns[0])
		(void)sh(NULL, 0, "ip netns del %s 2>/dev/null", ns);
	remove_pin_path();
}

TestSuite(net, .init = setup, .fini = teardown, .timeout = 120);

struct ifstats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_dropped;
};

/* /sys/class/net/<if>/statistics, in namespace nsname ("" for this one) */
static struct ifstats ifstats(const char *nsname, const char *ifname)
{
	static const char *const names[] = { "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
					     "tx_dropped" };
	uint64_t v[5];

	for (int i = 0; i < 5; i++) {
		char out[64];

		cr_assert_eq(sh(out, sizeof(out), "%s%s cat /sys/class/net/%s/statistics/%s",
				nsname[0] ? "ip netns exec " : "", nsname, ifname, names[i]),
			     0);
		v[i] = strtoull(out, NULL, 10);
	}
	return (struct ifstats){ v[0], v[1], v[2], v[3], v[4] };
}

struct link {
	uint64_t ipackets64, rbytes64, brdcstrcv, multircv, opackets64, obytes64, oerrors, drops;
};

static struct link link_of_kid(kid_t kid, const char *ifname)
{
	static const char *const names[] = { "ipackets64", "rbytes64", "brdcstrcv", "multircv",
					     "opackets64", "obytes64", "oerrors",   "drops" };
	struct snap_rhdr hdr;
	uint64_t v[8];
	void *data;

	cr_assert_geq(kid, 0, "no link:*:%s", ifname);
	cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
	for (int i = 0; i < 8; i++) {
		const kstat_named_t *kn = named_find(data, hdr.ks_ndata, names[i]);

		cr_assert(kn, "link:*:%s has no %s", ifname, names[i]);
		v[i] = kn->value.ui64;
	}
	free(data);
	return (struct link){ v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] };
}

static struct link link_read(const char *ifname, int *instance)
{
	return link_of_kid(find_named(s, "link", ifname, instance), ifname);
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

/* The same, from inside namespace nsname: a child enters it */
static int send_frames_in(const char *nsname, const char *ifname, const unsigned char dst[6], int n,
			  int size)
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
			_exit(1);
		_exit(send_frames(ifname, dst, n, size) == n ? 0 : 2);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? n : -1;
}

/* Received frames are counted in softirq context: wait for the count to get there */
static struct link link_settled(const char *ifname, uint64_t min_ipackets)
{
	struct link l = link_read(ifname, NULL);

	for (int i = 0; i < 100 && l.ipackets64 < min_ipackets; i++) {
		usleep(20000);
		l = link_read(ifname, NULL);
	}
	return l;
}

/* The far end's namespace is known once traffic named it: its instance */
static int meet_far_end(void)
{
	unsigned char bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	int ib = -1;

	cr_assert_eq(send_frames(ifa, bcast, 1, 60), 1);
	cr_assert_geq(loader_sync(ld), 1);
	cr_assert_geq(find_named(s, "link", ifb, &ib), 0);
	return ib;
}

Test(net, each_end_has_a_link_kstat_per_namespace)
{
	int ia = -1, ib = -1;

	cr_assert_geq(find_named(s, "link", ifa, &ia), 0, "%s appears with no traffic", ifa);
	cr_expect_eq(ia, 0, "kstatd's own namespace is instance 0");
	cr_assert_geq(loader_sync(ld), 0);
	ib = meet_far_end();
	cr_expect_gt(ib, 0, "another namespace, another instance");
	cr_expect_geq(find_named(s, "link", "lo", NULL), 0);
	{
		uint_t n;
		kstat_t *h = read_headers(s, &n);

		for (uint_t i = 0; i < n; i++)
			if (strcmp(h[i].ks_module, "link") == 0 &&
			    (strcmp(h[i].ks_name, ifa) == 0 || strcmp(h[i].ks_name, ifb) == 0)) {
				cr_expect_str_eq(h[i].ks_class, "net");
				cr_expect_eq(h[i].ks_type, KSTAT_TYPE_NAMED);
			}
		free(h);
	}
}

static void expect_eq_u64(uint64_t got, uint64_t want, const char *what)
{
	fprintf(stderr, "%s: kstat %llu, kernel %llu\n", what, (unsigned long long)got,
		(unsigned long long)want);
	cr_expect_eq(got, want, "%s: kstat %llu, kernel %llu", what, (unsigned long long)got,
		     (unsigned long long)want);
}

Test(net, frames_each_way_match_sys_class_net_statistics_exactly)
{
	unsigned char mac_a[6], mac_b[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct ifstats sa0, sb0, sa1, sb1;
	struct link a0, b0, a1, b1;

	mac_of("", ifa, mac_a);
	mac_of(ns, ifb, mac_b);
	/* one frame makes the far end's kstat */
	cr_assert_eq(send_frames(ifa, bcast, 1, 60), 1);
	cr_assert_geq(loader_sync(ld), 1);

	a0 = link_read(ifa, NULL);
	b0 = link_read(ifb, NULL);
	sa0 = ifstats("", ifa);
	sb0 = ifstats(ns, ifb);
	cr_assert_eq(send_frames(ifa, mac_b, N, S), N);
	cr_assert_eq(send_frames(ifa, bcast, 10, 64), 10);
	cr_assert_eq(send_frames_in(ns, ifb, mac_a, N / 2, S / 2), N / 2);
	b1 = link_settled(ifb, b0.ipackets64 + N + 10);
	a1 = link_settled(ifa, a0.ipackets64 + N / 2);
	sa1 = ifstats("", ifa);
	sb1 = ifstats(ns, ifb);

	expect_eq_u64(a1.opackets64 - a0.opackets64, sa1.tx_packets - sa0.tx_packets,
		      "a opackets64");
	expect_eq_u64(a1.obytes64 - a0.obytes64, sa1.tx_bytes - sa0.tx_bytes, "a obytes64");
	expect_eq_u64(b1.ipackets64 - b0.ipackets64, sb1.rx_packets - sb0.rx_packets,
		      "b ipackets64");
	expect_eq_u64(b1.rbytes64 - b0.rbytes64, sb1.rx_bytes - sb0.rx_bytes, "b rbytes64");
	expect_eq_u64(b1.opackets64 - b0.opackets64, sb1.tx_packets - sb0.tx_packets,
		      "b opackets64");
	expect_eq_u64(b1.obytes64 - b0.obytes64, sb1.tx_bytes - sb0.tx_bytes, "b obytes64");
	expect_eq_u64(a1.ipackets64 - a0.ipackets64, sa1.rx_packets - sa0.rx_packets,
		      "a ipackets64");
	expect_eq_u64(a1.rbytes64 - a0.rbytes64, sa1.rx_bytes - sa0.rx_bytes, "a rbytes64");
	/* and nothing else crossed */
	cr_expect_eq(a1.opackets64 - a0.opackets64, N + 10);
	cr_expect_eq(a1.obytes64 - a0.obytes64, (uint64_t)N * S + 10 * 64);
	cr_expect_eq(b1.ipackets64 - b0.ipackets64, N + 10);
	cr_expect_eq(b1.rbytes64 - b0.rbytes64, (uint64_t)N * S + 10 * 64);
	cr_expect_eq(b1.opackets64 - b0.opackets64, N / 2);
	cr_expect_eq(a1.ipackets64 - a0.ipackets64, N / 2);
	cr_expect_eq(a1.rbytes64 - a0.rbytes64, (uint64_t)(N / 2) * (S / 2));
	expect_eq_u64(b1.brdcstrcv - b0.brdcstrcv, 10, "b brdcstrcv");
	cr_expect_eq(b1.multircv - b0.multircv, 0);
	cr_expect_eq(a1.oerrors - a0.oerrors, 0);
}

Test(net, frames_to_a_peer_that_is_down_are_counted_as_the_driver_drops_them)
{
	unsigned char bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct ifstats s0, s1;
	struct link a0, a1;

	a0 = link_read(ifa, NULL);
	s0 = ifstats("", ifa);
	cr_assert_eq(sh(NULL, 0, "ip -n %s link set %s down", ns, ifb), 0);
	(void)send_frames(ifa, bcast, 20, 100);
	a1 = link_read(ifa, NULL);
	s1 = ifstats("", ifa);
	fprintf(stderr, "peer down: oerrors %llu, drops %llu, opackets %llu; tx_dropped %llu\n",
		(unsigned long long)(a1.oerrors - a0.oerrors),
		(unsigned long long)(a1.drops - a0.drops),
		(unsigned long long)(a1.opackets64 - a0.opackets64),
		(unsigned long long)(s1.tx_dropped - s0.tx_dropped));
	cr_expect_eq(s1.tx_dropped - s0.tx_dropped, 20);
	expect_eq_u64(a1.oerrors - a0.oerrors, s1.tx_dropped - s0.tx_dropped, "a oerrors");
	expect_eq_u64(a1.opackets64 - a0.opackets64, s1.tx_packets - s0.tx_packets, "a opackets64");
	cr_expect_geq(a1.drops - a0.drops, 20, "the dropped frames were freed as drops");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint32_t netns_ino(const char *nsname)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", nsname);
	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

Test(net, a_deleted_interface_vanishes_with_its_peer_and_the_chain_id_moves)
{
	uint32_t ino = netns_ino(ns);
	unsigned char bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	kid_t chain;
	int ib = -1;

	cr_assert_eq(send_frames(ifa, bcast, 1, 60), 1);
	cr_assert_geq(loader_sync(ld), 1);
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
	/* the namespace going takes its loopback's kstat */
	cr_assert_eq(sh(NULL, 0, "ip netns del %s", ns), 0);
	ns[0] = '\0';
	for (int i = 0; i < 50 && find_kid(s, "link", ib, "lo") >= 0; i++) {
		usleep(100000); /* the kernel frees a namespace in the background */
		cr_assert_geq(loader_sync(ld), 0);
	}
	cr_expect_eq(find_kid(s, "link", ib, "lo"), -1);
	cr_expect_eq(keydec_net_state(ino), -1, "the namespace is known gone");
}

/*
 * The kernel gives a freed namespace inode to the next namespace made, and
 * every namespace's loopback is ifindex 1: the new loopback has the old
 * one's key, and must not inherit its instance or its counters.
 */
Test(net, a_namespace_that_takes_a_freed_inode_is_a_new_instance)
{
	unsigned char zero[6] = { 0 };
	char ns2[sizeof(ns)] = "", mark[IF_NAMESIZE];
	uint32_t ino = netns_ino(ns), got = 0;
	uint64_t t0;
	int ib = -1, i2 = -1;
	kid_t kid;
	struct link l;

	snprintf(mark, sizeof(mark), "km%d", (int)getpid()); /* names the new namespace */
	ib = meet_far_end();
	cr_assert_geq(find_kid(s, "link", ib, "lo"), 0);

	/* the namespace goes (its veth pair with it), another takes its inode */
	cr_assert_eq(sh(NULL, 0, "ip netns del %s", ns), 0);
	ns[0] = ifa[0] = '\0';
	t0 = now_ns();
	/*
	 * Inodes are handed out lowest first, once the kernel has freed the
	 * namespace in the background.  A try that got a lower one (another
	 * namespace freed earlier) keeps it; a higher one means not yet.
	 */
	for (int i = 0; i < 100 && got != ino; i++) {
		snprintf(ns2, sizeof(ns2), "kstatd-test-%d-%d", (int)getpid(), i);
		cr_assert_eq(sh(NULL, 0, "ip netns add %s", ns2), 0);
		got = netns_ino(ns2);
		if (got > ino)
			(void)sh(NULL, 0, "ip netns del %s", ns2);
		if (got != ino)
			usleep(50000);
	}
	fprintf(stderr, "inode %u %s after %.1f s\n", ino, got == ino ? "reused" : "not reused",
		(double)(now_ns() - t0) / 1e9);
	memcpy(ns, ns2, sizeof(ns)); /* for the teardown */
	(void)sh(NULL, 0,
		 "for n in $(ip netns list | awk '/^kstatd-test-%d-[0-9]/ { print $1 }'); do "
		 "[ $n = %s ] || ip netns del $n; done",
		 (int)getpid(), ns2);
	/*
	 * Here the kernel either frees a deleted namespace within a second or
	 * holds it for more than 40 s (in about half the runs of this suite,
	 * for a reason not found): then what is tested cannot happen yet
	 */
	if (got != ino)
		cr_skip_test("no new namespace got inode %u within 5 s", ino);
	cr_assert_eq(sh(NULL, 0,
			"ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
			"net.ipv6.conf.default.disable_ipv6=1 && ip -n %s link set lo up && "
			"ip -n %s link add %s type veth peer name kn%d",
			ns2, ns2, ns2, mark, (int)getpid()),
		     0);

	/* at the next pass, the old namespace's kstats go */
	cr_assert_geq(loader_sync(ld), 1);
	cr_expect_eq(find_kid(s, "link", ib, "lo"), -1, "link:%d:lo outlived its namespace", ib);

	/* the new one is met at its first packet, and counts only its own */
	cr_assert_eq(send_frames_in(ns2, "lo", zero, 7, 60), 7);
	cr_assert_geq(loader_sync(ld), 1);
	cr_assert_geq(find_named(s, "link", mark, &i2), 0, "the new namespace is met");
	cr_expect_gt(i2, ib, "the new namespace is a new instance");
	kid = find_kid(s, "link", i2, "lo");
	cr_assert_geq(kid, 0, "the new namespace's lo has a kstat");
	l = link_of_kid(kid, "lo");
	expect_eq_u64(l.ipackets64, ifstats(ns2, "lo").rx_packets, "new lo ipackets64");
	cr_expect_eq(l.ipackets64, 7);
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
	cr_expect_geq(after.opackets64, before.opackets64, "counters continue");
}
