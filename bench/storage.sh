#!/bin/sh
# Rootless start-up by storage driver: start-to-exit time of /bin/true as an
# unprivileged user (made here with subordinate ids, removed after), with
# rt-run --storage-driver overlay, fuse-overlayfs (where installed; /dev/fuse
# made usable to the user as distributions make it) and vfs, from the
# busybox rootfs and from a larger one (busybox plus BENCH_STORAGE_MB of
# files, default 64: what vfs copies grows with it), in one hyperfine run
# per rootfs, as ratios to overlay.
# Usage: bench/storage.sh BUILD_DIR   (a release build; make bench does it)
set -eu
. "$(dirname "$0")/lib.sh"
build=$(realpath "$1")
bin=$build/bin
runs=${BENCH_RUNS:-30}
mb=${BENCH_STORAGE_MB:-64}
user="rtbst$$"
work=$(mktemp -d /tmp/rt-bench-storage.XXXXXX)
cleanup() {
  bench_user_remove "$user"
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
bench_user_add "$user" 600000
chmod 755 "$work"
mkdir -p "$work/home" "$work/run"
cp -a "$build/rootfs" "$work/small"
cp -a "$build/rootfs" "$work/large"
# files of 1 MiB and of 16 KiB, half of the size each
mkdir "$work/large/data"
i=0
while [ $i -lt $((mb / 2)) ]; do head -c 1048576 /dev/urandom > "$work/large/data/big$i"; i=$((i + 1)); done
i=0
while [ $i -lt $((mb * 32)) ]; do head -c 16384 /dev/urandom > "$work/large/data/small$i"; i=$((i + 1)); done
chown -R "$user:" "$work/home" "$work/run" "$work/small" "$work/large"
chmod 700 "$work/run"
# /dev/fuse open to the user (0666, as distributions make it): where this
# host's is not, the user's commands run in a private mount namespace where
# a 0666 node of the same device covers it; the host's stays as it is.
fuse=""
if [ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" != 666 ]; then
  mknod -m 666 "$work/fuse" c "$((0x$(stat -c %t /dev/fuse)))" "$((0x$(stat -c %T /dev/fuse)))"
  fuse=$work/fuse
fi
as_user() {
  if [ -n "$fuse" ]; then
    set -- unshare --mount --propagation private sh -c 'mount --bind "$1" /dev/fuse && shift && exec "$@"' sh "$fuse" \
      setpriv --reuid "$user" --regid "$(id -g "$user")" --clear-groups \
      env -i PATH="$bin:/usr/bin:/bin" HOME="$work/home" XDG_RUNTIME_DIR="$work/run" "$@"
  else
    set -- setpriv --reuid "$user" --regid "$(id -g "$user")" --clear-groups \
      env -i PATH="$bin:/usr/bin:/bin" HOME="$work/home" XDG_RUNTIME_DIR="$work/run" "$@"
  fi
  "$@"
}
chown "$user:" "$work"
for size in small large; do
  rootfs=$work/$size
  set -- -n "overlay ($size)" "$bin/rt-run --rm --network none --storage-driver overlay --rootfs $rootfs /bin/true"
  if why=$(as_user rt-run --rm --network none --storage-driver fuse-overlayfs --rootfs "$rootfs" /bin/true 2>&1); then
    set -- "$@" -n "fuse-overlayfs ($size)" "$bin/rt-run --rm --network none --storage-driver fuse-overlayfs --rootfs $rootfs /bin/true"
  else
    echo "bench: fuse-overlayfs left out: $why" >&2
  fi
  set -- "$@" -n "vfs ($size)" "$bin/rt-run --rm --network none --storage-driver vfs --rootfs $rootfs /bin/true"
  as_user hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/$size.json" "$@"
  ratios "$work/$size.json" "storage, $size rootfs ($(du -sm "$rootfs" | cut -f1) MB)" overlay
done
