# The unprivileged user of the rootless tests (rootless.bats, storage.bats):
# made with useradd in setup_file (with the subordinate id ranges useradd
# grants it) and removed in teardown_file; each test gives it a HOME and an
# XDG_RUNTIME_DIR of its own under $RL, which teardown removes.

# The frame of a file of rootless tests (it loads registry too): the local
# registry and the user for the whole file, the user's dirs for each test.
# A file that undoes more after a test defines its own teardown, which
# calls rootless_teardown.
setup_file() {
  registry_start
  rootless_setup_file
}

teardown_file() {
  registry_stop
  rootless_teardown_file
}

setup() { rootless_setup; }

teardown() { rootless_teardown; }

rootless_setup_file() {
  export RL_USER="rtrl$$"
  useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RL_USER"
  RL_UID=$(id -u "$RL_USER")
  RL_GID=$(id -g "$RL_USER")
  export RL_UID RL_GID
  # Debian's useradd grants 65536 subordinate ids (SUB_UID_COUNT): make
  # sure of it, whatever login.defs says.
  grep -q "^$RL_USER:" /etc/subuid || usermod --add-subuids 400000-465535 "$RL_USER"
  grep -q "^$RL_USER:" /etc/subgid || usermod --add-subgids 400000-465535 "$RL_USER"
  RL_SUBUID=$(awk -F: -v u="$RL_USER" '$1 == u {print $2; exit}' /etc/subuid)
  RL_SUBGID=$(awk -F: -v u="$RL_USER" '$1 == u {print $2; exit}' /etc/subgid)
  export RL_SUBUID RL_SUBGID
}

rootless_teardown_file() {
  # userdel also removes the user's /etc/subuid and /etc/subgid lines.
  userdel "$RL_USER"
  ! grep -q "^$RL_USER:" /etc/passwd /etc/subuid /etc/subgid
}

rootless_setup() {
  rt_setup
  [ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user namespaces are disabled (user.max_user_namespaces=0)"
  setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups test -x "$RT_BIN/rt-run" -a -r "$RT_ROOTFS/bin/sh" ||
    skip "$RT_BIN or $RT_ROOTFS is not reachable by a normal user"
  RL=$(mktemp -d /tmp/rt-rootless.XXXXXX)
  chmod 755 "$RL"
  mkdir -m 700 "$RL/home" "$RL/run"
  chown "$RL_UID:$RL_GID" "$RL/home" "$RL/run"
  # a rootfs of the user's own (as a user would have one)
  cp -a "$RT_ROOTFS" "$RL/rootfs"
  chown -R "$RL_UID:$RL_GID" "$RL/rootfs"
}

rootless_teardown() {
  # Whatever a failed test left running, by the pids its records name.
  local f pid
  for f in "$RL"/run/rt/containers/*/state.json; do
    [ -f "$f" ] || continue
    for pid in $(jq -r '.pid, .supervisor' "$f"); do
      [ "$pid" -gt 0 ] 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    done
  done
  # the network helpers their records name
  for f in "$RL"/run/rt/netns/*.json; do
    [ -f "$f" ] || continue
    pid=$(jq -r '.helper.pid // 0' "$f")
    [ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null || true
  done
  end_userns_cache
  [ -z "${RL:-}" ] || rm -rf "$RL"
  rt_teardown
}

# The user's user namespace cache (rt(7) ROOTLESS): the pids of its holders
# (rt-run's grandchildren named rt-userns-cache, not zombies that init has
# yet to reap; two after a race), and
# ending them by those pids (SIGTERM: each removes its socket and link),
# waiting until they are gone. A holder lives on after the containers (60 s
# idle): teardown and the delegated-cgroup tests end it.
userns_cache_pids() { ps -o pid=,stat=,comm= -u "$RL_UID" | awk '$2 !~ /^Z/ && $3 == "rt-userns-cache" {print $1}'; }
end_userns_cache() {
  local pid
  for pid in $(userns_cache_pids); do
    kill "$pid" 2>/dev/null || true
  done
  wait_until 100 userns_cache_gone
}
userns_cache_gone() { [ -z "$(userns_cache_pids)" ]; }

# Run as the user, with nothing of root's environment.
as_user() {
  setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups \
    env -i PATH="$RT_BIN:/usr/bin:/bin" HOME="$RL/home" XDG_RUNTIME_DIR="$RL/run" "$@"
}

# No process of the user's is left (no helper, no container) but the user
# namespace cache's holder, which outlives containers by design, nor a
# record of a network.
nothing_left() {
  # (a helper killed a moment ago may still be a zombie until init reaps it)
  [ -z "$(ps -o stat=,comm= -u "$RL_UID" | awk '$1 !~ /^Z/ && $2 != "rt-userns-cache"')" ] ||
    { ps -o pid,stat,args -u "$RL_UID" >&2; return 1; }
  [ -z "$(ls "$RL/run/rt/netns" 2>/dev/null)" ]
}

# An image whose files belong to root, uid 1000 and nobody, pushed to the
# local registry as $REGISTRY/$1.
push_owners_image() {
  local d="$BATS_TEST_TMPDIR/owners" r
  umoci init --layout "$d/L" >&2
  umoci new --image "$d/L:x" >&2
  umoci unpack --image "$d/L:x" "$d/W" >&2
  r="$d/W/rootfs"
  cp -a "$RT_ROOTFS/." "$r/"
  chown -R 0:0 "$r"
  mkdir -p "$r/data/udir"
  touch "$r/data/root" "$r/data/user" "$r/data/nobody" "$r/data/udir/f"
  chown 1000:1000 "$r/data/user" "$r/data/udir" "$r/data/udir/f"
  chown 65534:65534 "$r/data/nobody"
  chmod 700 "$r/data/udir"
  umoci repack --image "$d/L:x" "$d/W" >&2
  umoci config --image "$d/L:x" --config.cmd sh >&2
  registry_push_layout "$d/L:x" "$1"
}
