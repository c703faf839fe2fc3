#!/usr/bin/env bats
# Storage drivers (rt-run --storage-driver, RT_STORAGE_DRIVER): the kernel's
# overlayfs, fuse-overlayfs and vfs (a copy), run by a normal user
# (rootless.bash) on an image whose files belong to several users.

load helpers
load registry
load rootless

teardown() {
  local m
  for m in "${SMALL_TMPFS[@]}"; do ! mountpoint -q "$m" || umount "$m"; done
  rootless_teardown
}

# A tmpfs of SIZE on DIR (made if missing), the user's, which fills up:
# unmounted by teardown.
SMALL_TMPFS=()
small_tmpfs() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2,mode=700,uid=$RL_UID,gid=$RL_GID" rt-test-small "$1"
  SMALL_TMPFS+=("$1")
}

need_fuse() {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed (Debian package fuse-overlayfs)"
  [ -c /dev/fuse ] || skip "no /dev/fuse (the fuse module is not loaded)"
}

# Run as the user with /dev/fuse readable and writable, as distributions
# make it (0666): where this host's is not, the user's command runs in a
# mount namespace of its own where a node of the same device with that mode
# covers it; the host's stays as it is.
as_user_fuse() {
  if [ "$(stat -c %a /dev/fuse)" = 666 ]; then
    as_user "$@"
    return
  fi
  [ -c "$RL/fuse" ] || mknod -m 666 "$RL/fuse" c "$((0x$(stat -c %t /dev/fuse)))" "$((0x$(stat -c %T /dev/fuse)))"
  unshare --mount --propagation private sh -c 'mount --bind "$1" /dev/fuse && shift && exec "$@"' sh "$RL/fuse" \
    setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups \
    env -i PATH="$RT_BIN:/usr/bin:/bin" HOME="$RL/home" XDG_RUNTIME_DIR="$RL/run" "$@"
}

# The FUSE connections of the user's (the kernel lists every one in
# fusectl, each owned by the uid that mounted it), seen from a mount
# namespace of the test's own.
fuse_connections() {
  unshare --mount --propagation private sh -c \
    'mount -t fusectl fusectl /sys/fs/fuse/connections && find /sys/fs/fuse/connections -mindepth 1 -maxdepth 1 -user "$1"' \
    sh "$RL_UID"
}

# What the image's unpacked layers hold (names, owners, modes, sizes, times).
layers_snapshot() { find "$RL/home/.local/share/rt/layers" -printf '%P %U:%G %m %s %T@\n' | sort; }

# One driver, forced with RT_STORAGE_DRIVER: a detached container of the
# owners image; owners inside, writes by root and by uid 1000 (and one
# refused to it), which land in the container's layer and not in the
# image's; then rm, and nothing is left.
driver_test() {
  local driver=$1 fstype=$2
  push_owners_image owners:latest
  as_user rt-pull -q "$REGISTRY/owners" >/dev/null
  before=$(layers_snapshot)
  run --separate-stderr as_user_fuse env RT_STORAGE_DRIVER="$driver" rt-run -d --name s --network none "$REGISTRY/owners" sleep 600
  assert_success
  [ "$stderr" = "" ]
  id=$output
  upper="$RL/home/.local/share/rt/containers/$id"
  run as_user rt-repl exec s sh -c '
    sed -n "s/^[0-9]* [0-9]* [0-9:]* [^ ]* \/ .* - \([^ ]*\) .*/\1/p" /proc/self/mountinfo
    stat -c "%n %u:%g" /data/root /data/user /data/nobody /data/udir/f
    echo changed > /data/udir/f && rm /data/nobody && touch /data/added && chown 1000:1000 /data/added && echo root wrote'
  assert_success
  assert_line --index 0 "$fstype"
  # the record says which driver it got
  [ "$(as_user rt-repl inspect s | jq -r '.[0].storage_driver')" = "$driver" ]
  [ "$(as_user rt-repl ps --json | jq -r '.[0].storage_driver')" = "$driver" ]
  assert_line "/data/root 0:0"
  assert_line "/data/user 1000:1000"
  assert_line "/data/nobody 65534:65534"
  assert_line "/data/udir/f 1000:1000"
  assert_line "root wrote"
  run as_user rt-repl exec -u 1000 s sh -c 'echo mine > /data/udir/g && cat /data/udir/f; echo x > /data/root || echo refused'
  assert_success
  assert_line --index 0 "changed"
  assert_line --index 1 --partial "Permission denied"
  assert_line --index 2 "refused"
  if [ "$driver" = fuse-overlayfs ]; then
    # the daemon: the user's, in the container's pid namespace, serving a
    # FUSE connection the user owns
    pid=$(jq -r .pid "$RL/run/rt/containers/$id/state.json")
    daemon=$(pgrep -u "$RL_UID" -x fuse-overlayfs)
    [ "$(readlink "/proc/$daemon/ns/pid")" = "$(readlink "/proc/$pid/ns/pid")" ]
    [ -n "$(fuse_connections)" ]
  fi
  # the writes are in the container's layer, owned by the user's
  # subordinate ids; the image's layers are as they were
  [ "$(stat -c %u:%g "$upper/data/added")" = "$((RL_SUBUID + 999)):$((RL_SUBGID + 999))" ]
  [ "$(cat "$upper/data/udir/g")" = mine ]
  [ "$(cat "$upper/data/udir/f")" = changed ]
  [ ! -f "$upper/data/nobody" ]
  [ "$(layers_snapshot)" = "$before" ]
  run as_user rt-repl rm -f s
  assert_success
  [ ! -e "$RL/home/.local/share/rt/containers/$id" ] && [ ! -e "$RL/home/.local/share/rt/containers/$id.work" ]
  nothing_left
  [ -z "$(fuse_connections)" ]
  # --rm: the same, in the foreground
  run --separate-stderr as_user_fuse env RT_STORAGE_DRIVER="$driver" rt-run --rm --network none "$REGISTRY/owners" sh -c \
    'echo x > /data/user && stat -c "%u:%g" /data/user'
  assert_success
  assert_output "1000:1000"
  [ -z "$(ls "$RL/home/.local/share/rt/containers")" ]
  [ "$(layers_snapshot)" = "$before" ]
  nothing_left
  [ -z "$(fuse_connections)" ]
}

@test "rootless storage overlay: owners inside, writes in the container's layer and not the image's, nothing left after rm" {
  driver_test overlay overlay
}

@test "rootless storage fuse-overlayfs: owners inside, writes in the container's layer and not the image's, no daemon or FUSE connection left after rm" {
  need_fuse
  driver_test fuse-overlayfs fuse.fuse-overlayfs
}

@test "rootless storage vfs: owners inside, writes in the container's copy and not the image's, no copy left after rm" {
  # the root is a bind of the copy: the file system of the user's home
  driver_test vfs "$(findmnt -n -o FSTYPE -T "$RL/home")"
}

@test "rootless storage driver, chosen: overlayfs tried once per boot and remembered; refused, fuse-overlayfs where usable, else vfs with one warning; rt-repl info says which and why" {
  need_fuse
  local probe="$RL/run/rt/storage-probe" data="$RL/home/.local/share/rt" fstype
  fstype='sed -n "s/^[0-9]* [0-9]* [0-9:]* [^ ]* \/ .* - \([^ ]*\) .*/\1/p" /proc/self/mountinfo'
  # the kernel's overlayfs works here: tried once, remembered for this boot
  # and this image root, and nothing of the try is left in the store
  run as_user rt-repl info --json
  assert_success
  [ "$(jq -r '.storage | .driver + " " + (.forced | tostring)' <<<"$output")" = "overlay false" ]
  [ "$(cat "$probe")" = "$(cat /proc/sys/kernel/random/boot_id)
$data
ok" ]
  [ -z "$(ls -A "$data/containers")" ]
  ino=$(stat -c %i "$probe")
  run --separate-stderr as_user rt-run --rm --rootfs "$RL/rootfs" -- sh -c "$fstype"
  assert_success
  assert_output overlay
  [ "$(stat -c %i "$probe")" = "$ino" ]
  run as_user rt-repl info
  assert_line "Storage:         overlay (the kernel's overlayfs in a user namespace, userxattr)"
  # a kernel that refuses it (its answer, as the probe records it):
  # fuse-overlayfs, with no word on stderr
  printf '%s\n%s\nno: cannot mount overlay: create: Operation not permitted\n' \
    "$(cat /proc/sys/kernel/random/boot_id)" "$data" > "$probe"
  chown "$RL_UID:$RL_GID" "$probe"
  run as_user_fuse rt-repl info --json
  assert_success
  [ "$(jq -r .storage.driver <<<"$output")" = fuse-overlayfs ]
  [ "$(jq -r .storage.fallback <<<"$output")" = "overlayfs cannot be mounted in a user namespace here (cannot mount overlay: create: Operation not permitted)" ]
  run --separate-stderr as_user_fuse rt-run --rm --rootfs "$RL/rootfs" -- sh -c "$fstype"
  assert_success
  assert_output fuse.fuse-overlayfs
  [ "$stderr" = "" ]
  run as_user_fuse rt-run --explain --rootfs "$RL/rootfs" -- true
  assert_line --regexp "^  $RT_BIN/rt-mount --lower $RL/rootfs --upper .* --storage-driver fuse-overlayfs "
  # without fuse-overlayfs on PATH: vfs, said once
  mkdir "$RL/bin"
  for t in rt-run rt-repl newuidmap newgidmap; do ln -s "$(command -v $t)" "$RL/bin/$t"; done
  local why="overlayfs cannot be mounted in a user namespace here (cannot mount overlay: create: Operation not permitted), nor fuse-overlayfs used: fuse-overlayfs is not installed (Debian package fuse-overlayfs)"
  run --separate-stderr as_user_fuse env PATH="$RL/bin" rt-run --rm --rootfs "$RL/rootfs" -- sh -c "$fstype; echo ran"
  assert_success
  assert_line --index 1 ran
  [ "$stderr" = "rt-run: warn: storage: copying the image's layers into the container (vfs: slow, and a copy per container): $why" ]
  run as_user_fuse env PATH="$RL/bin" rt-repl info
  assert_line "Storage:         vfs (a copy of the image's layers per container)"
  assert_line "  Why:           $why"
  # forced, it says so and needs no probe
  run as_user env RT_STORAGE_DRIVER=vfs rt-repl info --json
  [ "$(jq -r '.storage | .driver + " " + (.forced | tostring) + " " + (has("fallback") | tostring)' <<<"$output")" = "vfs true false" ]
  # another boot tries again
  sed -i 1s/.*/0/ "$probe"
  run as_user rt-repl info --json
  [ "$(jq -r .storage.driver <<<"$output")" = overlay ]
  [ "$(sed -n 3p "$probe")" = ok ]
  [ -z "$(ls -A "$data/containers")" ]
  nothing_left
}

@test "storage driver: a bad value, a fuse-overlayfs that cannot run, root asking for it, a copy without a layer to copy into: one line each, before anything is made" {
  run as_user rt-run --rm --storage-driver zfs --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: invalid --storage-driver 'zfs': expected overlay, fuse-overlayfs or vfs"
  run as_user env RT_STORAGE_DRIVER=btrfs rt-run --rm --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: invalid RT_STORAGE_DRIVER 'btrfs': expected overlay, fuse-overlayfs or vfs"
  run rt-run --rm --storage-driver fuse-overlayfs --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: --storage-driver fuse-overlayfs is for users without root (root's containers use overlay, or vfs)"
  mkdir "$RL/u" "$RL/w"
  chown "$RL_UID:$RL_GID" "$RL/u" "$RL/w"
  run rt-unshare --mount -- rt-mount --lower "$RL/rootfs" --storage-driver vfs -- true
  assert_failure 125
  assert_output "rt-mount: --storage-driver vfs needs --upper and --work"
  run rt-unshare --mount -- rt-mount --lower "$RL/rootfs" --upper "$RL/u" --work "$RL/w" --storage-driver fuse -- true
  assert_failure 125
  assert_output "rt-mount: invalid --storage-driver 'fuse': expected overlay, fuse-overlayfs or vfs"
  # a fuse-overlayfs that fails to start: its words in rt-mount's one line
  if [ -c /dev/fuse ]; then
    mkdir "$RL/fake"
    printf '#!/bin/sh\necho "fuse-overlayfs: cannot serve today" >&2\nexit 1\n' > "$RL/fake/fuse-overlayfs"
    chmod 755 "$RL/fake/fuse-overlayfs"
    run env PATH="$RL/fake:$PATH" rt-unshare --mount -- \
      rt-mount --lower "$RL/rootfs" --upper "$RL/u" --work "$RL/w" --storage-driver fuse-overlayfs -- true
    assert_failure 125
    assert_output "rt-mount: fuse-overlayfs does not serve the root (fuse-overlayfs: cannot serve today): Transport endpoint is not connected"
  fi
  if [ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" != 666 ]; then
    # this host's /dev/fuse is root's alone
    run as_user rt-run --rm --storage-driver fuse-overlayfs --rootfs "$RL/rootfs" -- true
    assert_failure 125
    assert_output "rt-run: --storage-driver fuse-overlayfs: /dev/fuse is not readable and writable by you (Permission denied; distributions make it 0666: as root, chmod 0666 /dev/fuse)"
    # and rt-mount in a chain written by hand says the same
    run as_user rt-unshare --user --map-root-user --mount -- \
      rt-mount --lower "$RL/rootfs" --upper "$RL/u" --work "$RL/w" --storage-driver fuse-overlayfs -- true
    assert_failure 125
    assert_output "rt-mount: --storage-driver fuse-overlayfs: cannot open /dev/fuse: Permission denied (distributions make it 0666: as root, chmod 0666 /dev/fuse)"
  fi
  [ -z "$(ls "$RL/run/rt/containers" 2>/dev/null)" ]
  [ -z "$(ls "$RT_STATE/containers" 2>/dev/null)" ]
  [ -z "$(ls -A "$RL/u")" ] && [ -z "$(ls -A "$RL/w")" ]
  nothing_left
}

@test "root with --storage-driver vfs: the rootfs copied into the container's layer, owners kept, the rootfs untouched, the copy removed with the container; the records say which driver" {
  run --separate-stderr rt-run --name rv --network none --storage-driver vfs --rootfs "$RL/rootfs" -- sh -c 'touch /new; stat -c %u /bin/sh'
  assert_success
  assert_output "$RL_UID"
  id=$(rt-repl ps -aq --no-trunc)
  run rt-run --name ro --network none --rootfs "$RL/rootfs" -- true
  assert_success
  [ "$(rt-repl inspect rv ro | jq -r 'map(.storage_driver) | join(" ")')" = "vfs overlay" ]
  [ "$(rt-repl ps -a --json | jq -r 'map(.name + "=" + .storage_driver) | sort | join(" ")')" = "ro=overlay rv=vfs" ]
  run rt-repl rm ro
  assert_success
  [ -f "$RT_ROOT/containers/$id/new" ]
  [ "$(stat -c %u "$RT_ROOT/containers/$id/bin/sh")" = "$RL_UID" ]
  [ ! -e "$RL/rootfs/new" ]
  run rt-repl rm rv
  assert_success
  [ ! -e "$RT_ROOT/containers/$id" ] && [ ! -e "$RT_ROOT/containers/$id.work" ]
}

@test "rootless fuse-overlayfs: a supervisor killed, the container and its daemon end with gc and rm; nothing is left" {
  need_fuse
  run as_user_fuse env RT_STORAGE_DRIVER=fuse-overlayfs rt-run -d --name crash --network none --rootfs "$RL/rootfs" -- sleep 600
  assert_success
  id=$output
  sup=$(jq -r .supervisor "$RL/run/rt/containers/$id/state.json")
  daemon=$(pgrep -u "$RL_UID" -x fuse-overlayfs)
  [ -n "$daemon" ]
  [ -n "$(fuse_connections)" ]
  kill -9 "$sup"
  run as_user rt-repl gc
  assert_success
  assert_line "stopped: crash (its supervisor was gone)"
  run as_user rt-repl rm crash
  assert_success
  gone() { [ ! -e "/proc/$daemon" ] || [ "$(cut -d' ' -f3 "/proc/$daemon/stat")" = Z ]; }
  wait_until 50 gone
  nothing_left
  [ -z "$(fuse_connections)" ]
  [ ! -e "$RL/home/.local/share/rt/containers/$id" ] && [ ! -e "$RL/home/.local/share/rt/containers/$id.work" ]
}

@test "vfs copy, all or nothing (rt-mount): a copy that fails (a full disk) leaves nothing in --upper or --work; one cut short is removed and made again, one finished but not renamed is renamed, into --upper's owner and mode; a non-empty --upper without a finished copy is refused" {
  local s="$BATS_TEST_TMPDIR/store"
  small_tmpfs "$s" 2m
  mkdir "$s/u" "$s/w"
  chown 123:456 "$s/u"
  chmod 751 "$s/u"
  head -c 3M /dev/urandom > "$RL/rootfs/big"
  sum="$(md5sum < "$RL/rootfs/big" | cut -d' ' -f1)  /big"
  chain() { rt-unshare --mount -- rt-mount --lower "$RL/rootfs" --upper "$s/u" --work "$s/w" --storage-driver vfs -- "$@"; }
  # the disk fills up half-way: one line, and the partial copy is gone
  run chain true
  assert_failure 125
  assert_output "rt-mount: cannot write big in the copy: No space left on device"
  [ -z "$(find "$s/u" "$s/w" -mindepth 1)" ]
  [ "$(df --output=used -B1 "$s" | tail -1)" -lt 1048576 ]
  # the cause gone, a copy a signal cut short (no mark) is removed and the
  # copy made again
  mount -o remount,size=64m "$s"
  mkdir -p "$s/w/rt-vfs-copy/bin"
  echo half > "$s/w/rt-vfs-copy/stale"
  run chain sh -c 'md5sum /big; ls /stale'
  assert_failure 1
  assert_line --index 0 "$sum"
  assert_line --index 1 --partial "/stale: No such file or directory"
  [ "$(ls -A "$s/w")" = rt-vfs-copied ]
  [ "$(stat -c '%u:%g %a' "$s/u")" = "123:456 751" ]
  [ -f "$s/u/big" ] && [ -x "$s/u/bin/sh" ]
  # later starts reuse the copy: what the container wrote stays
  run chain sh -c 'echo kept > /kept'
  assert_success
  run chain cat /kept
  assert_output kept
  # a copy finished and marked but cut short before its rename: renamed by
  # the next start
  mv "$s/u" "$s/w/rt-vfs-copy"
  mkdir -m 700 "$s/u"
  run chain sh -c 'md5sum /big; cat /kept'
  assert_success
  assert_output "$sum
kept"
  [ "$(ls -A "$s/w")" = rt-vfs-copied ]
  [ "$(stat -c '%u:%g %a' "$s/u")" = "123:456 751" ]
  # files in --upper and no finished copy: refused before anything is made
  rm "$s/w/rt-vfs-copied"
  run chain true
  assert_failure 125
  assert_output "rt-mount: --storage-driver vfs: --upper $s/u is not empty and --work $s/w has no finished copy of the layers (rt-vfs-copied): the copy goes into an empty directory"
  [ -z "$(ls -A "$s/w")" ]
}

@test "vfs copy (rt-mount): the copy is synced (syncfs of its file system) before it is marked done; --volatile leaves it unsynced" {
  command -v strace >/dev/null || skip "strace is not installed (Debian package strace)"
  local s="$BATS_TEST_TMPDIR/store" t="$BATS_TEST_TMPDIR/trace"
  mkdir -p "$s/u" "$s/w"
  traced() { strace -f -qq -e trace=syncfs,openat -e signal=none -o "$t" rt-unshare --mount -- rt-mount --lower "$RL/rootfs" --upper "$s/u" --work "$s/w" --storage-driver vfs "$@" -- true; }
  run traced
  assert_success
  # the calls in order: one syncfs, then the mark made
  run grep -E 'syncfs\(|"rt-vfs-copied", O_WRONLY\|O_CREAT' "$t"
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" =~ ^[0-9]+\ +syncfs\([0-9]+\)\ +=\ 0$ ]]
  [[ "${lines[1]}" == *'openat('*'"rt-vfs-copied", O_WRONLY|O_CREAT'* ]]
  [ -x "$s/u/bin/sh" ]
  # --volatile: copied and marked, never synced
  rm -rf "$s"
  mkdir -p "$s/u" "$s/w"
  run traced --volatile
  assert_success
  [ "$(grep -c 'syncfs(' "$t")" -eq 0 ]
  grep -q '"rt-vfs-copied", O_WRONLY|O_CREAT' "$t"
  [ -x "$s/u/bin/sh" ]
}

@test "rt-run --storage-driver vfs: the copy of a --rm container's layer is never synced (rt-mount --volatile); a kept container's is, once" {
  command -v strace >/dev/null || skip "strace is not installed (Debian package strace)"
  local t="$BATS_TEST_TMPDIR/trace"
  run strace -f -qq -e trace=syncfs -e signal=none -o "$t" rt-run --rm --storage-driver vfs --network none --rootfs "$RL/rootfs" -- true
  assert_success
  [ "$(grep -c 'syncfs(' "$t")" -eq 0 ]
  run strace -f -qq -e trace=syncfs -e signal=none -o "$t" rt-run --name kept --storage-driver vfs --network none --rootfs "$RL/rootfs" -- true
  assert_success
  [ "$(grep -c 'syncfs(' "$t")" -eq 1 ]
  run rt-repl rm kept
  assert_success
}

@test "rootless vfs: a container whose copy fills the disk fails with rt-mount's line in its log, and leaves nothing of the copy; after rm nothing at all; with room, the next one runs" {
  local data="$RL/home/.local/share"
  mkdir -p "$data"
  chown -R "$RL_UID:$RL_GID" "$RL/home/.local"
  small_tmpfs "$data/rt" 2m
  head -c 3M /dev/urandom > "$RL/rootfs/big"
  chown "$RL_UID:$RL_GID" "$RL/rootfs/big"
  run --separate-stderr as_user env RT_STORAGE_DRIVER=vfs rt-run -d --name full --network none --rootfs "$RL/rootfs" -- sleep 600
  assert_failure 125
  [ "$stderr" = "rt-run: the container did not start (exit status 125)" ]
  run as_user rt-repl logs full
  assert_output "rt-mount: cannot write big in the copy: No space left on device"
  id=$(as_user rt-repl ps -aq --no-trunc)
  [ -d "$data/rt/containers/$id" ]
  [ -z "$(find "$data/rt/containers/$id" "$data/rt/containers/$id.work" -mindepth 1)" ]
  run as_user rt-repl rm full
  assert_success
  [ -z "$(ls -A "$data/rt/containers")" ]
  nothing_left
  mount -o remount,size=64m "$data/rt"
  run --separate-stderr as_user env RT_STORAGE_DRIVER=vfs rt-run --rm --network none --rootfs "$RL/rootfs" -- sh -c 'wc -c < /big'
  assert_success
  assert_output 3145728
  [ -z "$(ls -A "$data/rt/containers")" ]
  nothing_left
}

@test "rootless fuse-overlayfs: what the daemon says once it serves is kept in fuse-overlayfs.log in the container's state directory (inspect names it), not in the container's output; removed with rm" {
  need_fuse
  # A fuse-overlayfs that says one thing as it starts and one more once it
  # serves, when the container asks (a file /say in its layer).
  local real; real=$(command -v fuse-overlayfs)
  mkdir "$RL/bin"
  cat > "$RL/bin/fuse-overlayfs" <<SH
#!/bin/sh
echo "fuse-overlayfs: starting" >&2
upper=\$(echo "\$3" | sed -n 's/.*upperdir=\([^,]*\).*/\1/p')
"$real" "\$@" &
while [ ! -e "\$upper/say" ]; do sleep 0.1; done
echo "fuse-overlayfs: a late word" >&2
wait
SH
  chmod 755 "$RL/bin/fuse-overlayfs"
  run --separate-stderr as_user_fuse env PATH="$RL/bin:$RT_BIN:/usr/bin:/bin" RT_STORAGE_DRIVER=fuse-overlayfs \
    rt-run -d --name talk --network none --rootfs "$RL/rootfs" -- sleep 600
  assert_success
  [ "$stderr" = "" ]
  id=$output
  log="$RL/run/rt/containers/$id/fuse-overlayfs.log"
  [ "$(as_user rt-repl inspect talk | jq -r '.[0].storage_log')" = "$log" ]
  grep -qx "fuse-overlayfs: starting" "$log"
  run as_user rt-repl exec talk touch /say
  assert_success
  wait_until 50 grep -qx "fuse-overlayfs: a late word" "$log"
  [ "$(stat -c '%u %a' "$log")" = "$RL_UID 600" ]
  run as_user rt-repl logs talk
  assert_success
  assert_output ""
  run as_user rt-repl rm -f talk
  assert_success
  [ ! -e "$RL/run/rt/containers/$id" ]
  nothing_left
  [ -z "$(fuse_connections)" ]
}
