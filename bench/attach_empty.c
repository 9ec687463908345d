// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The floor of per-event overhead: attach empty BPF programs (from
 * bench/bpf/empty.bpf.c) to the hooks a kstatd provider uses, print
 * "attached", and hold them until SIGINT or SIGTERM.  A program named
 * twice is attached twice (two links on one hook, as two providers).
 *
 *	attach_empty OBJ PROG...
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[32];
	struct bpf_program *prog;
	struct bpf_object *obj;
	int nlinks = 0, err = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: attach_empty OBJ PROG...\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "attach_empty: open %s failed\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		bool want = false;

		for (int i = 2; i < argc; i++)
			want |= strcmp(bpf_program__name(prog), argv[i]) == 0;
		bpf_program__set_autoload(prog, want);
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "attach_empty: load failed\n");
		goto cleanup;
	}
	for (int i = 2; i < argc && nlinks < 32; i++) {
		prog = bpf_object__find_program_by_name(obj, argv[i]);
		links[nlinks] = prog ? bpf_program__attach(prog) : NULL;
		if (!links[nlinks]) {
			fprintf(stderr, "attach_empty: attach %s failed\n", argv[i]);
			goto cleanup;
		}
		nlinks++;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached %d\n", nlinks);
	fflush(stdout);
	while (!exiting)
		pause();
	err = 0;
cleanup:
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	bpf_object__close(obj);
	return err;
}
