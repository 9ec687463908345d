// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstatd: load the BPF providers, serve their maps as illumos kstats, and
 * keep the kstat chain in step with the kernel until SIGINT or SIGTERM.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/snapshot.h"
#include "os/log.h"
#include "os/nshelper.h"
#include "os/peercred.h"
#include "os/privs.h"
#include "os/tick.h"
#include "providers/books/netns.h"
#include "providers/loader/loader.h"
#include "providers/userspace/cpu_info.h"
#include "providers/userspace/sysmisc.h"
#include "providers/userspace/unix_kstats.h"
#include "providers/userspace/zfs_kstats.h"
#include "serve/http/http_export.h"
#include "serve/http/http_listen.h"
#include "serve/http/web_config.h"
#include "serve/ioctl/ioctl_compat.h"

#define DEFAULT_PIN_PATH "/sys/fs/bpf/kstatd"
#define DEFAULT_PROVIDER_DIR "/etc/kstatd/providers.d"
#define DEFAULT_SOCKET KSW_DEFAULT_SOCKET
#define DEFAULT_SYNC_MS 500
#define MAX_PROVIDER_FILES 64
#define BPFFS_ROOT "/sys/fs/bpf"
#define TRACEFS_ROOT "/sys/kernel/tracing"
#define MAX_WEB_REQUESTS 10000

enum {
	OPT_PIN_PATH = 0x100,
	OPT_RESET,
	OPT_PROVIDER,
	OPT_LOG_LEVEL,
	OPT_SYNC_INTERVAL,
	OPT_SYNC_CPU_MAX,
	OPT_NO_PIN,
	OPT_PROVIDER_DIR,
	OPT_ENABLE,
	OPT_DISABLE,
	OPT_SOCKET,
	OPT_WEB_LISTEN,
	OPT_WEB_PATH,
	OPT_WEB_CONFIG,
	OPT_WEB_MAX_REQUESTS,
	OPT_KEEP_CAPS,
	OPT_PROVIDER_MAX_KSTATS,
	OPT_SPL_KSTAT_DIR,
};

static struct env {
	const char *pin_path;
	const char *socket_path;
	bool no_pin;
	bool reset;
	const char *providers[MAX_PROVIDER_FILES];
	int nproviders;
	const char *provider_dir;
	bool provider_dir_set;
	const char *toggles[MAX_PROVIDER_FILES];
	bool toggle_on[MAX_PROVIDER_FILES];
	int ntoggles;
	int sync_ms;
	unsigned int sync_cpu_max; /* percent of a CPU one map's syncs may take; 100: any */
	unsigned int max_kstats;
	struct http_opts web;
	const char *web_config;
	bool keep_caps;
	const char *spl_kstat_dir;
} env = {
	.pin_path = DEFAULT_PIN_PATH,
	.spl_kstat_dir = ZFS_KSTATS_DIR,
	.provider_dir = DEFAULT_PROVIDER_DIR,
	.socket_path = DEFAULT_SOCKET,
	.sync_ms = DEFAULT_SYNC_MS,
	.sync_cpu_max = 1,
	.max_kstats = LOADER_MAX_KSTATS,
};

static volatile sig_atomic_t exiting;

const char *argp_program_version = "kstatd " KSTATD_VERSION;
const char *argp_program_bug_address = "https://github.com/kstatd/kstatd/issues";
static const char doc[] =
	"kstatd -- illumos kstats for Linux, counted by eBPF.\n"
	"\n"
	"Loads the BPF providers, attaches the default ones and serves their\n"
	"maps as named kstats (module:instance:name:statistic) until SIGINT or\n"
	"SIGTERM.  Programs read them with the /dev/kstat ioctls over a unix\n"
	"socket (libkstat, or the kstat_preload.so shim).  Needs root, or\n"
	"CAP_BPF and CAP_PERFMON, a kernel with BTF, and bpffs (mounted at\n" BPFFS_ROOT
	" when it is not).\n"
	"\n"
	"Serves Prometheus metrics (text 0.0.4 or OpenMetrics 1.0.0) on\n"
	"http://ADDR:PORT/metrics, the kstats as kstat -j JSON on /kstat, and a\n"
	"landing page on /.\n"
	"\n"
	"Once it serves, kstatd keeps CAP_BPF and CAP_PERFMON (drop-in providers\n"
	"and kstatd:0:config attach programs later) and drops every other\n"
	"capability, also from its bounding set; --keep-caps keeps them all.\n"
	"Under systemd (Type=notify) it reports READY=1 on NOTIFY_SOCKET.\n"
	"\n"
	"USAGE: kstatd [--socket PATH] [--pin-path DIR] [--reset] [--provider FILE.bpf.o]...\n"
	"              [--provider-dir DIR] [--web.listen-address ADDR:PORT]...\n"
	"              [--web.config.file FILE] [--keep-caps]\n"
	"\n"
	"EXAMPLES:\n"
	"    kstatd                          # default providers, pins under " DEFAULT_PIN_PATH "\n"
	"    kstatd --socket /tmp/k.sock     # serve on another socket (KSTAT_SOCKET for clients)\n"
	"    kstatd --reset                  # forget pinned counters, start at 0\n"
	"    kstatd --provider tcp.bpf.o     # also serve a drop-in provider\n"
	"    kstatd --provider-dir /srv/prov # providers dropped in there, live\n"
	"    kstatd --disable cpu_sys        # start with cpu:N:sys detached\n"
	"    kstatd --spl-kstat-dir=''       # no OpenZFS kstats from /proc/spl/kstat\n"
	"    kstatd --log.level=debug        # libbpf and verifier messages too\n"
	"    kstatd --web.listen-address=127.0.0.1:8738 \\\n"
	"           --web.listen-address=[::1]:8738  # loopback only, IPv4 and IPv6\n"
	"    kstatd --web.config.file=web.yml  # TLS and basic auth\n"
	"    curl -s localhost:8738/metrics  # what Prometheus scrapes\n";

static const struct argp_option opts[] = {
	{ "pin-path", OPT_PIN_PATH, "DIR", 0,
	  "bpffs directory where maps are pinned (default " DEFAULT_PIN_PATH ")", 0 },
	{ "socket", OPT_SOCKET, "PATH", 0,
	  "Unix socket serving the /dev/kstat ioctls (default " DEFAULT_SOCKET ")", 0 },
	{ "no-pin", OPT_NO_PIN, NULL, 0, "Do not pin maps: counters restart with kstatd", 0 },
	{ "reset", OPT_RESET, NULL, 0, "Remove the pinned maps first, so counters start at 0", 0 },
	{ "provider", OPT_PROVIDER, "FILE", 0, "Also load this provider object (repeatable)", 0 },
	{ "provider-dir", OPT_PROVIDER_DIR, "DIR", 0,
	  "Load the *.bpf.o providers in DIR and follow changes live (default " DEFAULT_PROVIDER_DIR
	  "; empty: none)",
	  0 },
	{ "enable", OPT_ENABLE, "PROVIDER", 0,
	  "Attach this provider at start even if it is off by default (repeatable)", 0 },
	{ "disable", OPT_DISABLE, "PROVIDER", 0,
	  "Do not attach this provider at start (repeatable; kstatd:0:config can later)", 0 },
	{ "provider-max-kstats", OPT_PROVIDER_MAX_KSTATS, "N", 0,
	  "kstats one map of a provider may have (default 131072); a map declaring more is "
	  "refused",
	  0 },
	{ "spl-kstat-dir", OPT_SPL_KSTAT_DIR, "DIR", 0,
	  "Serve the OpenZFS (SPL) kstats under DIR (default " ZFS_KSTATS_DIR "; empty: none)", 0 },
	{ "log.level", OPT_LOG_LEVEL, "LEVEL", 0, "error, warn, info (default) or debug", 0 },
	{ "sync-interval", OPT_SYNC_INTERVAL, "MS", 0,
	  "How often new and vanished map entries become kstats (default 500)", 0 },
	{ "sync-cpu-max", OPT_SYNC_CPU_MAX, "PCT", 0,
	  "The share of a CPU the syncs of one map may take, 1..100 (default 1): a map whose "
	  "sync takes longer is synced less often than --sync-interval",
	  0 },
	{ "web.listen-address", OPT_WEB_LISTEN, "ADDR:PORT", 0,
	  "Serve HTTP here: ADDR:PORT, [IPV6]:PORT or :PORT for every address; repeatable "
	  "(default " HTTP_DEFAULT_LISTEN ")",
	  0 },
	{ "web.telemetry-path", OPT_WEB_PATH, "PATH", 0,
	  "Path of the Prometheus metrics (default /metrics)", 0 },
	{ "web.config.file", OPT_WEB_CONFIG, "FILE", 0,
	  "TLS and basic auth, in the Prometheus exporter-toolkit web config format", 0 },
	{ "web.max-requests", OPT_WEB_MAX_REQUESTS, "N", 0,
	  "Concurrent scrapes before 503 (default 40, 0 for no limit)", 0 },
	{ "keep-caps", OPT_KEEP_CAPS, NULL, 0,
	  "Keep every capability kstatd started with (default: only CAP_BPF and CAP_PERFMON once "
	  "it serves)",
	  0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;
	long v;

	switch (key) {
	case OPT_PIN_PATH:
		if (arg[0] != '/' || strlen(arg) >= PATH_MAX - 64)
			argp_error(state, "--pin-path must be an absolute path: '%s'", arg);
		env.pin_path = arg;
		break;
	case OPT_SOCKET:
		if (!arg[0] || strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			argp_error(state, "--socket: '%s' is empty or longer than %zu bytes", arg,
				   sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		env.socket_path = arg;
		break;
	case OPT_NO_PIN:
		env.no_pin = true;
		break;
	case OPT_RESET:
		env.reset = true;
		break;
	case OPT_PROVIDER:
		if (env.nproviders == MAX_PROVIDER_FILES)
			argp_error(state, "at most %d --provider files", MAX_PROVIDER_FILES);
		env.providers[env.nproviders++] = arg;
		break;
	case OPT_PROVIDER_DIR:
		env.provider_dir = arg[0] ? arg : NULL;
		env.provider_dir_set = true;
		break;
	case OPT_ENABLE:
	case OPT_DISABLE:
		if (env.ntoggles == MAX_PROVIDER_FILES || strlen(arg) >= 64)
			argp_error(state, "too many --enable/--disable, or too long a name");
		env.toggles[env.ntoggles++] = arg;
		env.toggle_on[env.ntoggles - 1] = key == OPT_ENABLE;
		break;
	case OPT_LOG_LEVEL:
		v = log_parse_level(arg);
		if (v < 0)
			argp_error(state, "--log.level: '%s' is not error, warn, info or debug",
				   arg);
		log_set_level((enum log_level)v);
		break;
	case OPT_PROVIDER_MAX_KSTATS:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 1 || v > 16777216)
			argp_error(state,
				   "--provider-max-kstats: '%s' is not a number in 1..16777216",
				   arg);
		env.max_kstats = (unsigned int)v;
		break;
	case OPT_SYNC_INTERVAL:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 10 || v > 60000)
			argp_error(state,
				   "--sync-interval: '%s' is not a number of ms in 10..60000", arg);
		env.sync_ms = (int)v;
		break;
	case OPT_SYNC_CPU_MAX:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 1 || v > 100)
			argp_error(state, "--sync-cpu-max: '%s' is not a percentage in 1..100",
				   arg);
		env.sync_cpu_max = (unsigned int)v;
		break;
	case OPT_WEB_LISTEN: {
		struct sockaddr_storage ss;
		char why[256];
		socklen_t len;
		bool any;

		if (env.web.nlisten == HTTP_MAX_LISTEN)
			argp_error(state, "at most %d --web.listen-address", HTTP_MAX_LISTEN);
		if (http_listen_parse(arg, &ss, &len, &any, why, sizeof(why)))
			argp_error(state, "--web.listen-address %s", why);
		env.web.listen[env.web.nlisten++] = arg;
		break;
	}
	case OPT_WEB_PATH:
		if (!http_path_ok(arg))
			argp_error(
				state,
				"--web.telemetry-path '%s' must start with '/', use only letters, "
				"digits and -._~/, and not be / or /kstat",
				arg);
		env.web.telemetry_path = arg;
		break;
	case OPT_WEB_CONFIG:
		env.web_config = arg;
		break;
	case OPT_KEEP_CAPS:
		env.keep_caps = true;
		break;
	case OPT_SPL_KSTAT_DIR:
		if (arg[0] && (arg[0] != '/' || strlen(arg) >= PATH_MAX - 256))
			argp_error(state, "--spl-kstat-dir must be an absolute path: '%s'", arg);
		env.spl_kstat_dir = arg[0] ? arg : NULL;
		break;
	case OPT_WEB_MAX_REQUESTS:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 0 || v > MAX_WEB_REQUESTS)
			argp_error(state, "--web.max-requests: '%s' is not a number in 0..%d", arg,
				   MAX_WEB_REQUESTS);
		env.web.max_requests = (unsigned int)v;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

/* One clear line for each thing missing, and how to fix it */
static int check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data)) {
		log_err("capget: %s", strerror(errno));
		return -errno;
	}
	if (has_cap(data, CAP_SYS_ADMIN) || (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)))
		return 0;
	log_err("missing privileges: kstatd needs CAP_BPF and CAP_PERFMON (or root): run it as "
		"root, or grant them with 'setcap cap_bpf,cap_perfmon+ep kstatd'");
	return -EPERM;
}

static bool fs_is(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == magic;
}

/* The pin path must be on bpffs; mount it at the usual place if we can */
static int check_bpffs(const char *pin_path)
{
	char dir[PATH_MAX];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", pin_path);
	/* the deepest existing ancestor tells the filesystem */
	while (stat(dir, &st) != 0) {
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir) {
			strcpy(dir, "/");
			break;
		}
		*slash = '\0';
	}
	if (fs_is(dir, BPF_FS_MAGIC))
		return 0;
	if (strncmp(pin_path, BPFFS_ROOT "/", strlen(BPFFS_ROOT) + 1) == 0 &&
	    mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700") == 0) {
		log_info("mounted bpffs at " BPFFS_ROOT);
		return 0;
	}
	log_err("%s is not on a bpffs: mount one with 'mount -t bpf bpf " BPFFS_ROOT
		"', or give --pin-path a directory on bpffs (or --no-pin)",
		pin_path);
	return -ENOENT;
}

static int check_kernel(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	log_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux): kstatd needs a kernel built "
		"with CONFIG_DEBUG_INFO_BTF=y");
	return -ENOENT;
}

/* tp_btf programs need no tracefs; classic tracepoints of drop-ins do */
static void mount_tracefs(void)
{
	if (fs_is(TRACEFS_ROOT, TRACEFS_MAGIC))
		return;
	if (mount("tracefs", TRACEFS_ROOT, "tracefs", 0, NULL) == 0)
		log_info("mounted tracefs at " TRACEFS_ROOT);
	else
		log_dbg("tracefs is not mounted at " TRACEFS_ROOT
			" (%s): providers with tp/ programs will not attach",
			strerror(errno));
}

static void *signal_thread(void *arg)
{
	struct loader *ld = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigwait(&set, &sig) == 0) {
		exiting = 1;
		log_info("%s: shutting down", strsignal(sig));
		loader_kick(ld);
	}
	return NULL;
}

static void log_ready(struct loader *ld, struct snap *s)
{
	struct snap_stats st;
	char names[512] = "";
	size_t off = 0;

	for (size_t i = 0; i < loader_count(ld); i++) {
		const char *name = loader_name(ld, i);
		int n;

		if (loader_attached(ld, name) != 1)
			continue;
		n = snprintf(names + off, sizeof(names) - off, "%s%s", off ? " " : "", name);
		if (n < 0 || (size_t)n >= sizeof(names) - off)
			break;
		off += (size_t)n;
	}
	snap_get_stats(s, &st);
	printf("kstatd ready: %llu kstats, chain id %d, providers attached: %s, socket %s\n",
	       (unsigned long long)st.kstats, snap_chain_id(s), off ? names : "none",
	       env.socket_path);
	fflush(stdout);
}

/* The web config is read before anything starts: a mistake there stops kstatd at once */
static struct web_config *load_web_config(void)
{
	struct web_config *wc;
	char why[512];

	if (!env.web_config)
		return NULL;
	wc = web_config_load(env.web_config, why, sizeof(why));
	if (!wc) {
		log_err("--web.config.file %s", why);
		return NULL;
	}
	if (wc->nusers && !wc->cert_pem)
		log_warn(
			"--web.config.file %s: basic auth without TLS sends passwords in the clear",
			env.web_config);
	return wc;
}

/* Bind and listen on every address; the threads start after the privileges drop */
static struct http *bind_http(struct snap *s, const struct web_config *wc)
{
	struct http *h;
	char why[512];

	if (!env.web.nlisten)
		env.web.listen[env.web.nlisten++] = HTTP_DEFAULT_LISTEN;
	env.web.wc = wc;
	env.web.version = KSTATD_VERSION;
	h = http_new(s, &env.web, why, sizeof(why));
	if (!h)
		log_err("http: %s", why);
	return h;
}

static int serve_http(struct http *h)
{
	char why[512];
	int err;

	err = http_serve(h, why, sizeof(why));
	if (err) {
		log_err("http: %s", why);
		return err;
	}
	for (size_t i = 0; http_url(h, i); i++)
		log_info("http: serving %s%s", http_url(h, i), env.web.telemetry_path);
	return 0;
}

/* In the namespace helper: only what entering and looking at namespaces takes */
static int nshelper_privs(void)
{
	return privs_keep(1ULL << CAP_SYS_ADMIN | 1ULL << CAP_SYS_PTRACE, NULL, 0);
}

/*
 * What looking into other namespaces takes stays with a helper
 * (nshelper.h), forked first thing: its copy of kstatd's memory then holds
 * no web config secret and no BPF map mapping.
 */
static void start_nshelper(void)
{
	int pid;

	if (env.keep_caps || !(privs_have(CAP_SYS_ADMIN) || privs_have(CAP_SYS_PTRACE)))
		return;
	/* the questions it answers, asked by the namespace registry */
	pid = netns_helper_register();
	if (pid == 0)
		pid = nshelper_start(nshelper_privs);
	if (pid < 0)
		log_warn("namespace helper: %s: other network namespaces will not be read (no "
			 "link or MIB-II kstats of theirs)",
			 strerror(-pid));
	else
		log_dbg("namespace helper: pid %d keeps cap_sys_admin and cap_sys_ptrace", pid);
}

static int peer_sys_admin(void *pc, int fd)
{
	return peercred_sys_admin(pc, fd);
}

/*
 * Socket peers other than root write with CAP_SYS_ADMIN as the kernel
 * recorded it at their connect; without the iterator that reads it, only
 * root writes.
 */
static struct peercred *open_peercred(struct ioc_server *srv)
{
	struct peercred *pc = peercred_open();

	if (!pc) {
		log_warn("socket: cannot read peers' capabilities (%s): only root may write kstats",
			 strerror(errno));
		return NULL;
	}
	ioc_set_cap_check(srv, peer_sys_admin, pc);
	return pc;
}

/*
 * Everything that needs more than CAP_BPF and CAP_PERFMON is done: mounts,
 * the pin path, binding sockets (a port below 1024 too).  No thread runs
 * yet, and a capability set is per thread, so this covers them all.
 */
static int drop_privileges(void)
{
	char kept[64];
	int err;

	if (env.keep_caps) {
		log_info("capabilities: --keep-caps: keeping all");
		return 0;
	}
	err = privs_drop(kept, sizeof(kept));
	if (err) {
		log_err("capabilities: cannot drop them: %s (--keep-caps runs without dropping)",
			strerror(-err));
		return err;
	}
	log_info("capabilities: kept %s, dropped the rest", kept);
	return 0;
}

/*
 * Descriptors 0 to 2 held open (on /dev/null if kstatd was started
 * without them): a socket or map opened later must not become stderr,
 * where log lines would go into it.
 */
static void hold_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd < 3)
		;
	if (fd >= 3)
		close(fd);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct loader_opts lopts = {};
	struct ioc_server *srv = NULL;
	struct peercred *pc = NULL;
	struct web_config *wc = NULL;
	struct sysmisc *sm = NULL;
	struct cpu_info *ci = NULL;
	struct unix_kstats *uk = NULL;
	struct zfs_kstats *zk = NULL;
	struct loader *ld = NULL;
	struct http *http = NULL;
	struct snap *s = NULL;
	pthread_t sig_tid;
	bool sig_started = false;
	sigset_t set;
	int err;

	http_opts_default(&env.web);
	argp_err_exit_status = 2;
	hold_std_fds();
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;

	start_nshelper();
	if (env.web_config) {
		wc = load_web_config();
		if (!wc)
			return 1;
	}
	err = check_privileges();
	if (!err)
		err = check_kernel();
	if (!err && !env.no_pin)
		err = check_bpffs(env.pin_path);
	if (err) {
		web_config_free(wc);
		return 1;
	}
	mount_tracefs();

	/* every thread inherits this; only the signal thread takes them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	s = snap_new();
	if (!s) {
		log_err("cannot create the kstat engine: %s", strerror(errno));
		err = -errno;
		goto cleanup;
	}
	lopts.pin_path = env.no_pin ? NULL : env.pin_path;
	lopts.reset = env.reset;
	lopts.max_kstats = env.max_kstats;
	/* a sync of t ms, then none for t * pace ms: t / (t + t * pace) of a CPU */
	lopts.sync_pace = env.sync_cpu_max < 100 ? 100 / env.sync_cpu_max - 1 : 0;
	ld = loader_new(s, &lopts);
	if (!ld) {
		err = -errno;
		goto cleanup;
	}
	for (int i = 0; i < env.nproviders; i++) {
		char msg[512];

		err = loader_add_file(ld, env.providers[i], true, msg, sizeof(msg));
		if (err) {
			log_err("provider %s refused: %s", env.providers[i], msg);
			goto cleanup;
		}
	}
	if (env.provider_dir) {
		err = loader_watch_dir(ld, env.provider_dir);
		if (err && env.provider_dir_set) {
			log_err("--provider-dir %s: %s", env.provider_dir, strerror(-err));
			goto cleanup;
		}
		if (err)
			log_info("no provider directory %s: create it to drop providers in",
				 env.provider_dir);
		err = 0;
	}
	for (int i = 0; i < env.ntoggles; i++) {
		err = loader_prefer(ld, env.toggles[i], env.toggle_on[i]);
		if (err) {
			log_err("--%s %s: %s", env.toggle_on[i] ? "enable" : "disable",
				env.toggles[i], strerror(-err));
			goto cleanup;
		}
	}
	sm = sysmisc_new(s, ld);
	if (!sm) {
		err = -errno;
		log_err("cannot create unix:0:system_misc: %s", strerror(errno));
		goto cleanup;
	}
	ci = cpu_info_new(s);
	if (!ci)
		log_warn("cannot create cpu_info:N:cpu_infoN: %s", strerror(errno));
	uk = unix_kstats_new(s);
	if (!uk)
		log_warn("cannot create unix:0:system_pages and vminfo: %s", strerror(errno));
	if (env.spl_kstat_dir) {
		zk = zfs_kstats_new(s, env.spl_kstat_dir);
		if (!zk || zfs_kstats_sync(zk) < 0)
			log_warn("%s: cannot serve its kstats: %s", env.spl_kstat_dir,
				 strerror(errno));
	}
	err = loader_sync(ld);
	if (err < 0) {
		log_err("cannot create the providers' kstats: %s", strerror(-err));
		goto cleanup;
	}
	/* providers from the directory exist only now */
	for (int i = 0; i < env.ntoggles; i++) {
		if (loader_attached(ld, env.toggles[i]) == -ENOENT) {
			log_err("--%s %s: no such provider",
				env.toggle_on[i] ? "enable" : "disable", env.toggles[i]);
			err = -ENOENT;
			goto cleanup;
		}
	}
	srv = ioc_new(s, env.socket_path);
	if (!srv) {
		err = -errno;
		goto cleanup;
	}
	pc = open_peercred(srv);
	http = bind_http(s, wc);
	if (!http) {
		err = -EIO;
		goto cleanup;
	}
	err = drop_privileges();
	if (err)
		goto cleanup;
	/* the first thread: it must not keep what was just dropped */
	err = tick_start();
	if (err) {
		log_err("cannot start the 1 Hz tick: %s", strerror(-err));
		goto cleanup;
	}
	err = ioc_start(srv);
	if (err)
		goto cleanup;
	err = serve_http(http);
	if (err)
		goto cleanup;
	err = pthread_create(&sig_tid, NULL, signal_thread, ld);
	if (err) {
		log_err("cannot start the signal thread: %s", strerror(err));
		err = -err;
		goto cleanup;
	}
	sig_started = true;
	/* what starting took and freed goes back, as kstatd serves for months */
	(void)malloc_trim(0);
	log_ready(ld, s);
	(void)privs_notify("READY=1\nSTATUS=serving kstats");

	while (!exiting) {
		loader_wait(ld, env.sync_ms);
		if (exiting)
			break;
		(void)loader_sync(ld);
		if (zk)
			(void)zfs_kstats_sync(zk);
	}
	err = 0;
	(void)privs_notify("STOPPING=1");

cleanup:
	if (sig_started) {
		pthread_cancel(sig_tid);
		pthread_join(sig_tid, NULL);
	}
	/* clients go first: nothing may read a kstat while its provider is freed */
	ioc_free(srv);
	peercred_free(pc);
	http_stop(http);
	tick_stop();
	zfs_kstats_free(zk);
	unix_kstats_free(uk);
	cpu_info_free(ci);
	sysmisc_free(sm);
	loader_free(ld);
	nshelper_stop();
	snap_free(s);
	web_config_free(wc);
	return err ? 1 : 0;
}
