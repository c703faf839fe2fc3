#!/bin/sh
# What each way of protecting rt's binaries inside a container costs
# (rt(7), "Host binaries"), as ratios to an unprotected exec: rt-exec
# --version exec'd as is, from a read-only clone of its mount (what rt
# does), and from a sealed memfd copy (runc's and crun's way, rt's
# fallback). As root, in a private mount namespace.
# Usage: bench/exe-protect.sh BUILD_DIR   (a release build)
set -eu
build=$(realpath "$1")
work=$(mktemp -d /tmp/rt-bench-exe.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
cc -O2 -o "$work/exe-protect" "$(dirname "$0")/exe-protect.c"
ls -l "$build/bin/rt-exec"
exec unshare --mount --propagation private -- \
  hyperfine -N --warmup 20 --runs "${BENCH_RUNS:-300}" \
    "$work/exe-protect plain $build/bin/rt-exec --version" \
    "$work/exe-protect clone $build/bin/rt-exec --version" \
    "$work/exe-protect memfd $build/bin/rt-exec --version"
