#!/bin/sh
# Rootless start-up: start-to-exit time of /bin/true from the busybox rootfs
# as an unprivileged user (made here with subordinate ids, removed after):
# rt-run (user namespace mapped through newuidmap/newgidmap, no network and
# with a user-mode one where usable) next to bubblewrap with a user
# namespace and rootless podman (where it runs here), in one hyperfine run,
# as ratios to bwrap, and rt-run with a single-id map (as bwrap's) beside
# it. rt-run with subordinate ids twice: warm, joining the user namespace
# the user's cache keeps (rt(7) ROOTLESS), and cold, the first start, which
# makes it with newuidmap and newgidmap (the cache's holder is ended by its
# pid before each run, outside the timing). Goal: rootless rt-run within 2x
# bwrap.
# Usage: bench/rootless.sh BUILD_DIR   (a release build; make bench does it)
set -eu
. "$(dirname "$0")/lib.sh"
build=$(realpath "$1")
bin=$build/bin
runs=${BENCH_RUNS:-100}
user="rtbench$$"
work=$(mktemp -d /tmp/rt-bench-rootless.XXXXXX)
cleanup() {
  end_cache
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

# The user's user namespace cache, ended by its holder's pid (named by its
# socket's link; SIGTERM: it removes its socket and goes), waited for.
end_cache='p=$(readlink "$1/run/rt/userns/current") && p=${p%.sock} && kill "$p" && while kill -0 "$p" 2>/dev/null; do sleep 0.002; done; true'
end_cache() { as_user sh -c "$end_cache" sh "$work" 2>/dev/null || true; }

# The single-id line is rt-run as bwrap maps: root inside to the user, no
# subordinate ids (newuidmap and newgidmap out of PATH, as where uidmap is
# not installed); the difference to the first line is what the two setuid
# programs cost.
# Every command has a --prepare (hyperfine takes one for all or one each):
# the cold line's ends the cache, the others do nothing.
nop="true"
cold="sh -c '$end_cache' sh $work"
set -- \
  -n "rt-run rootless, warm (6 ns, overlay, --network none)" --prepare "$nop" "$bin/rt-run --rm --network none --rootfs $rootfs /bin/true" \
  -n "rt-run rootless, cold (first start: newuidmap, newgidmap)" --prepare "$cold" "$bin/rt-run --rm --network none --rootfs $rootfs /bin/true" \
  -n "rt-run rootless, single-id map (no newuidmap)" --prepare "$nop" "env PATH=/nonexistent $bin/rt-run --rm --network none --rootfs $rootfs /bin/true" \
  -n "bwrap --unshare-user (6 ns)" --prepare "$nop" "bwrap --unshare-user --uid 0 --gid 0 --unshare-pid --unshare-ipc --unshare-uts --unshare-net --unshare-cgroup --bind $rootfs / --proc /proc --dev /dev /bin/true"
why=$(as_user sh -c 'rt-run --rm --network pasta --rootfs "$1" /bin/true 2>&1 >/dev/null' sh "$rootfs") &&
  set -- "$@" -n "rt-run rootless, warm (pasta)" --prepare "$nop" "$bin/rt-run --rm --network pasta --rootfs $rootfs /bin/true" \
    -n "rt-run rootless, warm (slirp4netns)" --prepare "$nop" "$bin/rt-run --rm --network slirp4netns --rootfs $rootfs /bin/true" ||
  echo "bench: rt-run with pasta left out: $why" >&2
if command -v podman >/dev/null && why=$(as_user podman run --rm --network none --rootfs "$rootfs" /bin/true 2>&1); then
  set -- "$@" -n "podman rootless (--network none)" --prepare "$nop" "podman run --rm --network none --rootfs $rootfs /bin/true"
else
  echo "bench: rootless podman left out: $(printf '%s' "${why:-not installed}" | tail -1)" >&2
fi
chown "$user:" "$work"
as_user hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/rootless.json" "$@"
ratios "$work/rootless.json" rootless bwrap
