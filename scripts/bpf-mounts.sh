#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Mount bpffs and tracefs where kstatd and its tests expect them, if they
# are not mounted yet.  Needs root; harmless when both are there.
set -e
fstype() { stat -f -c %T "$1" 2>/dev/null || echo none; }
if [ "$(fstype /sys/fs/bpf)" != "bpf_fs" ]; then
	mount -t bpf bpf /sys/fs/bpf
fi
if [ "$(fstype /sys/kernel/tracing)" != "tracefs" ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
		echo "bpf-mounts: tracefs not mounted (only classic tp/ programs need it)" >&2
fi
