#!/bin/sh
# Rootless start-up: start-to-exit time of /bin/true from the busybox rootfs
# as an unprivileged user (made here with subordinate ids, removed after):
# rt-run (user namespace mapped through newuidmap/newgidmap, no network and
# with a user-mode one where usable) next to bubblewrap with a user
# namespace and rootless podman (where it runs here), in one hyperfine run,
# as ratios to bwrap, and rt-run with a single-id map (as bwrap's) beside
# it. Goal: rootless rt-run within 2x bwrap.
# Usage: bench/rootless.sh BUILD_DIR   (a release build; make bench does it)
set -eu
. "$(dirname "$0")/lib.sh"
build=$(realpath "$1")
bin=$build/bin
runs=${BENCH_RUNS:-100}
user="rtbench$$"
work=$(mktemp -d /tmp/rt-bench-rootless.XXXXXX)
cleanup() {
  bench_user_remove "$user"
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
bench_user_add "$user" 500000
chmod 755 "$work"
mkdir -p "$work/home" "$work/run"
cp -a "$build/rootfs" "$work/rootfs"
chown -R "$user:" "$work/home" "$work/run" "$work/rootfs"
chmod 700 "$work/run"
rootfs=$work/rootfs
# pasta and slirp4netns need /dev/net/tun open to the user (0666, as
# distributions make it). Where this host's is not, the user's commands run
# in a private mount namespace where a 0666 node of the same device covers
# it; the host's stays as it is.
tun=""
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  mknod -m 666 "$work/tun" c "$((0x$(stat -c %t /dev/net/tun)))" "$((0x$(stat -c %T /dev/net/tun)))"
  tun=$work/tun
fi
as_user() {
  if [ -n "$tun" ]; then
    set -- unshare --mount --propagation private sh -c 'mount --bind "$1" /dev/net/tun && shift && exec "$@"' sh "$tun" \
      setpriv --reuid "$user" --regid "$(id -g "$user")" --clear-groups \
      env -i PATH="$bin:/usr/bin:/bin" HOME="$work/home" XDG_RUNTIME_DIR="$work/run" "$@"
  else
    set -- setpriv --reuid "$user" --regid "$(id -g "$user")" --clear-groups \
      env -i PATH="$bin:/usr/bin:/bin" HOME="$work/home" XDG_RUNTIME_DIR="$work/run" "$@"
  fi
  "$@"
}

# The single-id line is rt-run as bwrap maps: root inside to the user, no
# subordinate ids (newuidmap and newgidmap out of PATH, as where uidmap is
# not installed); the difference to the first line is what the two setuid
# programs cost.
set -- \
  -n "rt-run rootless (6 ns, overlay, --network none)" "$bin/rt-run --rm --network none --rootfs $rootfs /bin/true" \
  -n "rt-run rootless, single-id map (no newuidmap)" "env PATH=/nonexistent $bin/rt-run --rm --network none --rootfs $rootfs /bin/true" \
  -n "bwrap --unshare-user (6 ns)" "bwrap --unshare-user --uid 0 --gid 0 --unshare-pid --unshare-ipc --unshare-uts --unshare-net --unshare-cgroup --bind $rootfs / --proc /proc --dev /dev /bin/true"
why=$(as_user sh -c 'rt-run --rm --network pasta --rootfs "$1" /bin/true 2>&1 >/dev/null' sh "$rootfs") &&
  set -- "$@" -n "rt-run rootless (pasta)" "$bin/rt-run --rm --network pasta --rootfs $rootfs /bin/true" \
    -n "rt-run rootless (slirp4netns)" "$bin/rt-run --rm --network slirp4netns --rootfs $rootfs /bin/true" ||
  echo "bench: rt-run with pasta left out: $why" >&2
if command -v podman >/dev/null && why=$(as_user podman run --rm --network none --rootfs "$rootfs" /bin/true 2>&1); then
  set -- "$@" -n "podman rootless (--network none)" "podman run --rm --network none --rootfs $rootfs /bin/true"
else
  echo "bench: rootless podman left out: $(printf '%s' "${why:-not installed}" | tail -1)" >&2
fi
chown "$user:" "$work"
as_user hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/rootless.json" "$@"
ratios "$work/rootless.json" rootless bwrap
