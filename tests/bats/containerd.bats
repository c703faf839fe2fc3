#!/usr/bin/env bats
# rt-oci under containerd 1.6: this file starts its own containerd (own
# root, state and sockets under the test directory, CRI off), imports a
# busybox OCI archive made from the test rootfs, and runs it with
# `ctr run --runc-binary rt-oci`.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
  command -v containerd >/dev/null && command -v ctr >/dev/null ||
    skip "needs containerd and ctr (Debian package containerd)"
  local D="$BATS_FILE_TMPDIR/ctrd"
  mkdir -p "$D"
  # containerd 1.6's shims and ctr put sockets and fifos under
  # /run/containerd whatever the config says: teardown removes what was new.
  [ -e /run/containerd ] || touch "$D/run-was-absent"
  cat > "$D/config.toml" <<CONF
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$D/sock"
[ttrpc]
  address = "$D/sock.ttrpc"
[debug]
  address = "$D/debug.sock"
CONF
  containerd --config "$D/config.toml" > "$D/containerd.log" 2>&1 3>&- &
  echo $! > "$D/pid"
  local n=100
  while [ ! -S "$D/sock" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
  [ -S "$D/sock" ] || { cat "$D/containerd.log" >&2; return 1; }
  # A containerd namespace of this run: ctr gives a container the
  # cgroupsPath /NAMESPACE/ID, which rt-oci makes exactly there.
  echo "rt-ctrd$$" > "$D/ns"
  # A busybox image from the test rootfs, as an OCI archive.
  make_busybox_archive "$D"
  ctr -a "$D/sock" -n "rt-ctrd$$" images import --base-name docker.io/library/busybox "$D/busybox.tar" >&2
}

teardown_file() {
  local D="$BATS_FILE_TMPDIR/ctrd"
  [ -f "$D/pid" ] || return 0
  local c ns; ns=$(cat "$D/ns")
  for c in $(ctr -a "$D/sock" -n "$ns" tasks ls -q 2>/dev/null); do ctr -a "$D/sock" -n "$ns" tasks kill -s KILL "$c" 2>/dev/null || true; done
  sleep 0.3
  for c in $(ctr -a "$D/sock" -n "$ns" containers ls -q 2>/dev/null); do
    ctr -a "$D/sock" -n "$ns" tasks delete -f "$c" 2>/dev/null || true
    ctr -a "$D/sock" -n "$ns" containers delete "$c" 2>/dev/null || true
  done
  # The namespace's parent cgroup stays after its containers (as with runc).
  rmdir /sys/fs/cgroup/*/"$ns" /sys/fs/cgroup/"$ns" 2>/dev/null || true
  kill "$(cat "$D/pid")" 2>/dev/null || true
  local n=50
  while kill -0 "$(cat "$D/pid")" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
  if [ -e "$D/run-was-absent" ]; then
    rmdir /run/containerd/fifo /run/containerd/s /run/containerd 2>/dev/null || true
  fi
  # containerd's shims live on in their own mount namespaces' snapshots: gone with their tasks.
  umount -R "$D/root" 2>/dev/null || true
}

setup() {
  rt_setup
  D="$BATS_FILE_TMPDIR/ctrd"
  ID="ct$BATS_TEST_NUMBER"
}
teardown() { rt_teardown; }

ctr_() { ctr -a "$D/sock" -n "$(cat "$D/ns")" "$@"; }
crun_() { ctr_ run --runc-binary "$RT_BIN/rt-oci" --runc-root "$D/rt-oci" "$@"; }
IMG=docker.io/library/busybox:latest

@test "ctr run: output, exit status and env through rt-oci" {
  run crun_ --rm --env FOO=bar "$IMG" "$ID" sh -c 'echo hello $FOO; exit 3'
  assert_equal "$status" 3
  assert_output "hello bar"
  # The container ran under rt's chain, in exactly the cgroup containerd
  # asked for (cgroupsPath /NAMESPACE/ID).
  run crun_ --rm "$IMG" "$ID" cat /proc/self/cgroup
  assert_success
  assert_line --regexp "^[0-9]+:pids:/$(cat "$D/ns")/$ID\$"
}

@test "ctr run --memory-limit: a hog is OOM-killed" {
  # tail keeps the one endless line of /dev/zero in memory.
  run crun_ --rm --memory-limit 33554432 "$IMG" "$ID" tail /dev/zero
  assert_equal "$status" 137
  run crun_ --rm --memory-limit 33554432 "$IMG" "$ID" sh -c 'head -c 8m /dev/zero | tail -c1 | wc -c'
  assert_success
  assert_output 1
}

@test "ctr run -t: a terminal through --console-socket" {
  run_in_pty "ctr -a '$D/sock' -n $(cat "$D/ns") run --rm -t --runc-binary '$RT_BIN/rt-oci' --runc-root '$D/rt-oci' $IMG $ID sh -c 'tty; [ -t 0 ] && echo is-a-tty'"
  assert_success
  # A pty of the container's own devpts, as runc gives (rt-exec sends its master on the socket).
  assert_output --partial "/dev/pts/0"
  assert_output --partial "is-a-tty"
}

@test "a detached task: ps, exec, pause/resume, kill, delete" {
  crun_ -d "$IMG" "$ID" sh -c 'while :; do sleep 1; done' 3>&-
  wait_until 50 sh -c "ctr -a '$D/sock' -n $(cat "$D/ns") tasks ls | grep -q '$ID.*RUNNING'"
  run ctr_ tasks ps "$ID"
  assert_success
  assert_line --regexp '^[0-9]+ '
  run ctr_ tasks exec --exec-id e1 "$ID" sh -c 'echo from exec; hostname'
  assert_success
  assert_line "from exec"
  ctr_ tasks pause "$ID"
  run ctr_ tasks ls
  assert_output --regexp "$ID +[0-9]+ +PAUSED"
  ctr_ tasks resume "$ID"
  run ctr_ tasks ls
  assert_output --regexp "$ID +[0-9]+ +RUNNING"
  ctr_ tasks kill -s KILL "$ID"
  wait_until 50 sh -c "ctr -a '$D/sock' -n $(cat "$D/ns") tasks ls | grep -q '$ID.*STOPPED'"
  ctr_ tasks delete "$ID"
  ctr_ containers delete "$ID"
  [ ! -e "$D/rt-oci/$(cat "$D/ns")/$ID" ]
}
