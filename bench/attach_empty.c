// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Attach BPF programs for a benchmark and hold them until SIGINT or
 * SIGTERM: empty tp_btf programs made here on any tracepoint (the floor of
 * a hook: what attaching anything at all costs there), or the programs of
 * an object file, as a provider's own programs without kstatd around them.
 * Prints "prog ID HOOK NAME" for each program attached, then "attached N".
 *
 *	attach_empty [-s] HOOK...		an empty program on each HOOK
 *						(a hook named twice gets two)
 *	attach_empty [-s] -o OBJ [WHICH...]	OBJ's programs whose name or
 *						hook is a WHICH; all if none
 *	attach_empty -l -o OBJ [WHICH...]	only list them: "HOOK NAME"
 *
 * -s keeps the kernel's run-time statistics of BPF programs on while it
 * runs (BPF_ENABLE_STATS: run_cnt and run_time_ns of every program).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 64

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void print_prog(int fd, const char *hook)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		printf("prog %u %s %s\n", info.id, hook, info.name);
}

/* The tracepoint a program attaches to, from its section name */
static const char *hook_of(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog), *slash;
	static const char *const kinds[] = { "tp_btf/", "raw_tp/", "raw_tracepoint/", "tp/",
					     "tracepoint/" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strncmp(sec, kinds[i], strlen(kinds[i])) == 0) {
			slash = strrchr(sec, '/');
			return slash + 1;
		}
	}
	return NULL; /* not attached to a tracepoint: a refresh or iterator program */
}

/* An empty tp_btf program on hook: r0 = 0; exit */
static int empty_prog(const struct btf *vmlinux, const char *hook)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	char tname[128];
	int id;

	snprintf(tname, sizeof(tname), "btf_trace_%s", hook);
	id = btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF);
	if (id < 0) {
		fprintf(stderr, "attach_empty: no tracepoint %s in the kernel's BTF\n", hook);
		return -ENOENT;
	}
	opts.attach_btf_id = (__u32)id;
	return bpf_prog_load(BPF_PROG_TYPE_TRACING, "empty", "GPL", insns, 2, &opts);
}

static int attach_empties(int n, char **hooks, int *links, int *progs)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int i;

	if (!vmlinux) {
		fprintf(stderr, "attach_empty: kernel BTF: %s\n", strerror(errno));
		return -1;
	}
	for (i = 0; i < n && i < MAX_LINKS; i++) {
		progs[i] = empty_prog(vmlinux, hooks[i]);
		if (progs[i] < 0)
			break;
		links[i] = bpf_link_create(progs[i], 0, BPF_TRACE_RAW_TP, NULL);
		if (links[i] < 0) {
			fprintf(stderr, "attach_empty: attach %s: %s\n", hooks[i], strerror(errno));
			close(progs[i]);
			break;
		}
		print_prog(progs[i], hooks[i]);
	}
	btf__free(vmlinux);
	return i == n ? n : -1;
}

static bool wanted(const struct bpf_program *prog, int n, char **which)
{
	const char *hook = hook_of(prog);

	if (!hook)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(bpf_program__name(prog), which[i]) == 0 || strcmp(hook, which[i]) == 0)
			return true;
	return n == 0;
}

static void list_object(struct bpf_object *obj, int n, char **which)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		if (wanted(prog, n, which))
			printf("%s %s\n", hook_of(prog), bpf_program__name(prog));
}

static int attach_object(struct bpf_object *obj, int n, char **which, struct bpf_link **links)
{
	struct bpf_program *prog;
	int nlinks = 0;

	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, wanted(prog, n, which));
	if (bpf_object__load(obj)) {
		fprintf(stderr, "attach_empty: load failed\n");
		return -1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!wanted(prog, n, which) || nlinks == MAX_LINKS)
			continue;
		links[nlinks] = bpf_program__attach(prog);
		if (!links[nlinks]) {
			fprintf(stderr, "attach_empty: attach %s failed\n",
				bpf_program__name(prog));
			return -1;
		}
		print_prog(bpf_program__fd(prog), hook_of(prog));
		nlinks++;
	}
	return nlinks;
}

int main(int argc, char **argv)
{
	int links[MAX_LINKS], progs[MAX_LINKS], nlinks = 0, stats_fd = -1, err = 1, opt;
	struct bpf_link *olinks[MAX_LINKS];
	struct bpf_object *obj = NULL;
	const char *objpath = NULL;
	bool list = false;

	while ((opt = getopt(argc, argv, "lso:")) != -1) {
		if (opt == 'l')
			list = true;
		else if (opt == 's')
			stats_fd = 0;
		else if (opt == 'o')
			objpath = optarg;
		else
			goto usage;
	}
	if ((!objpath && optind >= argc) || (list && !objpath))
		goto usage;
	libbpf_set_print(quiet);
	if (stats_fd == 0 && (stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME)) < 0) {
		fprintf(stderr, "attach_empty: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	if (objpath) {
		obj = bpf_object__open_file(objpath, NULL);
		if (!obj) {
			fprintf(stderr, "attach_empty: open %s: %s\n", objpath, strerror(errno));
			goto cleanup;
		}
		if (list) {
			list_object(obj, argc - optind, argv + optind);
			err = 0;
			goto cleanup;
		}
		nlinks = attach_object(obj, argc - optind, argv + optind, olinks);
	} else {
		nlinks = attach_empties(argc - optind, argv + optind, links, progs);
	}
	if (nlinks < 0)
		goto cleanup;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached %d\n", nlinks);
	fflush(stdout);
	while (!exiting)
		pause();
	err = 0;
cleanup:
	if (obj) {
		while (nlinks > 0)
			bpf_link__destroy(olinks[--nlinks]);
		bpf_object__close(obj);
	} else {
		while (nlinks > 0) {
			nlinks--;
			close(links[nlinks]);
			close(progs[nlinks]);
		}
	}
	if (stats_fd > 0)
		close(stats_fd);
	return err;
usage:
	fprintf(stderr, "usage: attach_empty [-s] HOOK...\n"
			"       attach_empty [-s|-l] -o OBJ [PROG|HOOK...]\n");
	return 2;
}
