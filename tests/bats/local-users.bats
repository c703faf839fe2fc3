#!/usr/bin/env bats
# What another local user can learn or change. A container's environment (-e,
# --env-file, the image's Env) must not show in any argv (ps,
# /proc/PID/cmdline), and the state store is root's alone.

load helpers

CRAFT="$BATS_TEST_DIRNAME/../fixtures/registry/craft.py"

as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }

setup() {
  rt_setup
  # Stores in a directory everyone may enter, as /run and /var/lib are
  # (the per-test temporary directory is root's alone, which would hide
  # everything from nobody whatever rt does).
  PUB=$(mktemp -d /tmp/rt-secrets.XXXXXX)
  chmod 755 "$PUB"
  export RT_STATE="$PUB/state" RT_ROOT="$PUB/store"
}

teardown() {
  rt_stop_leftovers
  rm -rf "$PUB"
  rt_teardown
}

@test "secrets: -e, --env-file, image Env and exec -e values are shown to no other user" {
  # Values no other process on this machine has.
  tag=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
  v_arg="arg-$tag" v_file="file-$tag" v_img="image-$tag" v_exec="exec-$tag"
  tar -C "$RT_ROOTFS" -cf "$BATS_TEST_TMPDIR/rootfs.tar" .
  python3 "$CRAFT" layout "$BATS_TEST_TMPDIR/L" sec --env "IMG_SECRET=$v_img" "$BATS_TEST_TMPDIR/rootfs.tar"
  rt-pull -q --import "oci:$BATS_TEST_TMPDIR/L:sec" --tag test/secret >/dev/null
  printf 'FILE_SECRET=%s\n' "$v_file" > "$BATS_TEST_TMPDIR/env"
  id=$(rt-run -d --name sec -e "ARG_SECRET=$v_arg" --env-file "$BATS_TEST_TMPDIR/env" test/secret sleep 600)
  rt-repl exec -d -e "EXEC_SECRET=$v_exec" sec sleep 601
  # The container has them all (so the checks below can fail).
  run rt-repl exec sec env
  assert_success
  assert_line "ARG_SECRET=$v_arg"
  assert_line "FILE_SECRET=$v_file"
  assert_line "IMG_SECRET=$v_img"
  wait_until 100 sh -c "ps -eo args | grep -q '^sleep 601'"
  run sh -c "tr '\\0' '\\n' < /proc/$(pgrep -f -x 'sleep 601' | head -1)/environ"
  assert_line "EXEC_SECRET=$v_exec"

  # nobody reads every argv, every environ it may, the stores, the log;
  # the lines that give a value away are shown.
  as_nobody sh -c '
    ps -eww -o args
    for p in /proc/[0-9]*; do cat "$p/cmdline" "$p/environ"; echo; done
    ls -laR "$RT_STATE" "$RT_ROOT"
    find "$RT_STATE" "$RT_ROOT" -type f -exec cat {} +
    rt-repl ps -a; rt-repl inspect sec; rt-repl logs sec' > "$BATS_TEST_TMPDIR/seen" 2>&1 || true
  [ -s "$BATS_TEST_TMPDIR/seen" ]
  run grep -a -F -e "$v_arg" -e "$v_file" -e "$v_img" -e "$v_exec" "$BATS_TEST_TMPDIR/seen"
  assert_output ""

  # The state store: directories 0700, files 0600, root's alone (but the
  # container's hosts, hostname and resolv.conf, 0644 for its users, in
  # its 0700 directory); root's ps and inspect (with the environment, as
  # docker's) still work.
  run find "$RT_STATE" -mindepth 1 \( -type d ! -perm 0700 -o ! -type d ! -perm 0600 \) \
    ! \( -regex '.*/containers/[0-9a-f]*/\(hosts\|hostname\|resolv.conf\)' -perm 0644 \) -printf '%m %p\n'
  assert_output ""
  run rt-repl ps
  assert_output --partial sec
  run rt-repl inspect sec
  assert_output --partial "ARG_SECRET=$v_arg"
  rt-repl rm -f sec >/dev/null
}

@test "secrets: rt-repl run -e (detached and foreground) and exec -e show no value to another user" {
  tag=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
  v_d="detached-$tag" v_f="foreground-$tag" v_x="exec-$tag"
  rt-repl run -d --name rd -f "$RT_ROOTFS" -e "D_SECRET=$v_d" sleep 600 > /dev/null
  # rt-repl itself lives as long as a foreground container, or an exec
  rt-repl run --name rf -f "$RT_ROOTFS" -e "F_SECRET=$v_f" sleep 600 &
  rt-repl exec -e "X_SECRET=$v_x" rd sleep 602 &
  wait_until 100 sh -c 'rt-repl ps | grep -q " rf$"'
  wait_until 100 sh -c "ps -eo args | grep -q '^sleep 602'"
  # the containers have them (so the check below can fail)
  run rt-repl exec rd env
  assert_line "D_SECRET=$v_d"
  run rt-repl exec rf env
  assert_line "F_SECRET=$v_f"
  as_nobody sh -c '
    ps -eww -o args
    for p in /proc/[0-9]*; do cat "$p/cmdline" "$p/environ"; echo; done
    find "$RT_STATE" "$RT_ROOT" -type f -exec cat {} +
    rt-repl ps -a; rt-repl inspect rd rf' > "$BATS_TEST_TMPDIR/seen" 2>&1 || true
  [ -s "$BATS_TEST_TMPDIR/seen" ]
  run grep -a -F -e "$v_d" -e "$v_f" -e "$v_x" "$BATS_TEST_TMPDIR/seen"
  assert_output ""
  # root still reads rt-repl's command line, values hidden
  run sh -c "ps -eww -o args | grep '^rt-repl run --name rf'"
  assert_output --partial "-e F_SECRET=***"
  rt-repl rm -f rd rf > /dev/null
  wait
}

@test "secrets: rt-run's own command line keeps no -e value; values with newlines and quotes arrive intact" {
  tag=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
  id=$(rt-run -d -f "$RT_ROOTFS" -e "A=one-$tag" --env="B=two-$tag" -e"C=three-$tag" -e 'NL=line1
line2' -e "Q=it's \"quoted\"" sleep 600)
  sup=$(jq -r .supervisor "$RT_STATE/containers/$id/state.json")
  run tr '\0' ' ' < "/proc/$sup/cmdline"
  assert_output --partial "-e A=***"
  refute_output --partial "$tag"
  run rt-repl exec "$id" sh -c 'echo "$A $B $C"; printf "%s|" "$NL" "$Q"'
  assert_output "one-$tag two-$tag three-$tag
line1
line2|it's \"quoted\"|"
  rt-repl rm -f "$id" >/dev/null
}

@test "secrets: --explain writes the environment to a 0600 file read through an fd, not into an argv" {
  run rt-run --explain -f "$RT_ROOTFS" -e 'S=a b' /bin/sh -c 'echo "$S"'
  assert_success
  assert_output --partial "--env-fd 6"
  refute_output --regexp "--env [^-]"
  assert_output --partial "printf '%s\\0'"
  cmd=$output
  run sh -c "$cmd"
  assert_success
  assert_output "a b"
  run sh -c "stat -c %a $RT_STATE/containers/*/env"
  assert_output 600
}

@test "rt-exec --env-fd: NUL-separated K=V from an fd, closed before the program; bad entries refused" {
  printf 'A=1\0B=two words\0' > "$BATS_TEST_TMPDIR/e"
  run rt-exec --clear-env --env-fd 7 -- /bin/sh -c 'echo "$A|$B"; ls /proc/self/fd' 7< "$BATS_TEST_TMPDIR/e"
  assert_success
  assert_line "1|two words"
  refute_line 7
  # --env wins over --env-fd, which wins over --env-file
  printf 'A=file\n' > "$BATS_TEST_TMPDIR/f"
  run rt-exec --env-file "$BATS_TEST_TMPDIR/f" --env-fd 7 --env B=arg -- /bin/sh -c 'echo "$A|$B"' 7< "$BATS_TEST_TMPDIR/e"
  assert_output "1|arg"
  printf 'A=1\0=secret\0' > "$BATS_TEST_TMPDIR/bad"
  run rt-exec --env-fd 7 -- true 7< "$BATS_TEST_TMPDIR/bad"
  assert_failure 125
  assert_output "rt-exec: invalid --env-fd 7 entry 2: expected K=V"
  run rt-exec --env-fd 9 -- true
  assert_failure 125
  assert_output --partial "cannot read --env-fd 9"
}

@test "--pid-file: symlinks planted by another user are refused or replaced, never written through" {
  D="$PUB/tmp"
  mkdir -m 1777 "$D"   # as /tmp
  V="$PUB/victim"
  echo original > "$V"
  # the pid file's own name is a symlink
  as_nobody ln -s "$V" "$D/pid"
  run rt-unshare --pid-file "$D/pid" true
  assert_failure 125
  assert_output "rt-unshare: refusing to write the pid file $D/pid: it is a symbolic link"
  rm "$D/pid"
  # the temporary name of the pid rt-unshare will have
  run sh -c 'setpriv --reuid 65534 --regid 65534 --clear-groups ln -s "$1" "$2.tmp.$$" &&
    exec rt-unshare --pid-file "$2" true' sh "$V" "$D/pid"
  assert_success
  [ "$(cat "$V")" = original ]
  [ ! -L "$D/pid" ] && [ "$(cat "$D/pid")" -gt 1 ]
  # directories another user controls
  mkdir -m 0777 "$PUB/open"
  run rt-unshare --pid-file "$PUB/open/pid" true
  assert_failure 125
  assert_output --partial "its directory $PUB/open is writable by others and not sticky"
  mkdir "$PUB/theirs"
  chown 65534 "$PUB/theirs"
  run rt-unshare --pid-file "$PUB/theirs/pid" true
  assert_failure 125
  assert_output --partial "belongs to uid 65534"
  [ ! -e "$PUB/theirs/pid" ] && [ ! -e "$PUB/open/pid" ]
  # what is expected still works: a file replaced
  old=$(cat "$D/pid")
  run rt-unshare --pid --pid-file "$D/pid" true
  assert_success
  [ "$(cat "$D/pid")" -gt 1 ] && [ "$(cat "$D/pid")" != "$old" ]
  [ -z "$(find "$D" "$PUB" -name '.*.tmp')" ]
}

@test "a non-root user's /tmp/rt-UID that another user made first is refused; its own is made private" {
  # A /tmp of this test's own (a tmpfs in a mount namespace), so that the
  # fixed name /tmp/rt-65534 is nobody else's business. A build below /tmp
  # (a clone there) is bound back to its place in it.
  run unshare --mount --propagation private sh -c '
    exec 9<"$RT_BIN"
    mount -t tmpfs tmpfs /tmp || exit 99
    case "$RT_BIN" in /tmp/*) { mkdir -p "$RT_BIN" && mount --no-canonicalize --bind /proc/self/fd/9 "$RT_BIN"; } || exit 98 ;; esac
    exec 9<&-
    as() { u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups env -u XDG_RUNTIME_DIR -u RT_STATE -u RT_ROOT -u HOME "$@"; }
    echo "== made by another user"
    as 1234 mkdir -m 0777 /tmp/rt-65534
    as 65534 rt-repl ps; echo "rc=$?"
    as 65534 rt-pull --list; echo "rc=$?"
    ls -A /tmp/rt-65534
    rm -rf /tmp/rt-65534
    echo "== a symlink"
    as 1234 mkdir -m 0777 /tmp/elsewhere
    as 1234 ln -s /tmp/elsewhere /tmp/rt-65534
    as 65534 rt-repl ps; echo "rc=$?"
    ls -A /tmp/elsewhere
    rm -rf /tmp/rt-65534 /tmp/elsewhere
    echo "== its own, too open"
    as 65534 mkdir -m 0755 /tmp/rt-65534
    as 65534 rt-repl ps -q; echo "rc=$?"
    stat -c "%a %U" /tmp/rt-65534' 2>&1
  assert_success
  assert_output "== made by another user
rt-repl: refusing to keep rt's files in /tmp/rt-65534: it belongs to uid 1234, not to you (set XDG_RUNTIME_DIR, or RT_STATE and RT_ROOT)
rc=125
rt-pull: refusing to keep rt's files in /tmp/rt-65534: it belongs to uid 1234, not to you (set XDG_RUNTIME_DIR, or RT_STATE and RT_ROOT)
rc=125
== a symlink
rt-repl: refusing to keep rt's files in /tmp/rt-65534: it is a symbolic link (set XDG_RUNTIME_DIR, or RT_STATE and RT_ROOT)
rc=125
== its own, too open
rc=0
700 nobody"
}
