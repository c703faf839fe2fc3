#!/usr/bin/env bats
# rt-oci under podman 4.3 (podman --runtime rt-oci, through conmon), with
# its own root, runroot and tmpdir under the test directory, rt-oci's state
# there too (--runtime-flag root=), cgroupfs, no network.
# The busybox image is an OCI archive made from the test rootfs.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
  command -v podman >/dev/null || skip "needs podman (Debian package podman)"
  # A short path: conmon's sockets live below it (sun_path holds 108 bytes).
  local D
  D=$(mktemp -d /tmp/rt-pod.XXXXXX)
  echo "$D" > "$BATS_FILE_TMPDIR/pod-dir"
  make_busybox_archive "$D"
  pod load -q -i "$D/busybox.tar" >&2
  # podman (cgroupfs) puts conmon in /libpod_parent/conmon: made by this
  # file unless it was there before, so removed by it.
  compgen -G "/sys/fs/cgroup/*libpod_parent" >/dev/null || compgen -G "/sys/fs/cgroup/*/libpod_parent" >/dev/null ||
    touch "$BATS_FILE_TMPDIR/libpod-ours"
}

teardown_file() {
  [ -f "$BATS_FILE_TMPDIR/pod-dir" ] || return 0
  pod rm -a -f -t 0 >/dev/null 2>&1 || true
  pod system reset -f >/dev/null 2>&1 || true
  rm -rf "$(cat "$BATS_FILE_TMPDIR/pod-dir")"
  if [ -f "$BATS_FILE_TMPDIR/libpod-ours" ]; then
    rmdir /sys/fs/cgroup/libpod_parent/* /sys/fs/cgroup/*/libpod_parent/* 2>/dev/null || true
    rmdir /sys/fs/cgroup/libpod_parent /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true
  fi
}

# This machine's hard nofile limit is below podman's default (1048576) and
# CAP_SYS_RESOURCE is withheld: runc or crun would fail there the same way.
U=(--network none --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
IMG=docker.io/library/busybox:latest

# podman's command line, every store below the pod dir, rt-oci's --root
# too (never the host's /run/rt-oci), as one shell-quoted line; it runs
# from the pod dir: conmon flags an OOM kill with a file "oom" in its
# working directory, which would otherwise be the source tree.
pod_line() {
  local D; D=$(cat "$BATS_FILE_TMPDIR/pod-dir")
  printf 'cd %q && exec podman --root %q --runroot %q --tmpdir %q --cgroup-manager cgroupfs --events-backend file' \
    "$D" "$D/root" "$D/runroot" "$D/tmp"
  printf ' --runtime %q --runtime-flag %q' "$RT_BIN/rt-oci" "root=$D/rt-oci"
}
pod() { (eval "$(pod_line) \"\$@\""); }

setup() { rt_setup; }
teardown() { rt_teardown; }

@test "podman run: output and exit status" {
  run pod run --rm "${U[@]}" "$IMG" sh -c 'echo hello from podman; exit 4'
  assert_equal "$status" 4
  assert_output "hello from podman"
}

@test "podman run -d, ps, exec, logs, stop, rm" {
  pod run -d --name "p$BATS_TEST_NUMBER" "${U[@]}" "$IMG" sh -c 'echo started; while :; do sleep 1; done' 3>&-
  run pod ps --format '{{.Names}} {{.Status}}'
  assert_output --regexp "^p$BATS_TEST_NUMBER Up "
  run pod exec "p$BATS_TEST_NUMBER" sh -c 'echo in-exec'
  assert_success
  assert_output in-exec
  run pod logs "p$BATS_TEST_NUMBER"
  assert_output started
  pod stop -t 1 "p$BATS_TEST_NUMBER"
  run pod ps -a --format '{{.Names}} {{.Status}}'
  assert_output --regexp "^p$BATS_TEST_NUMBER Exited \\(137\\)"
  pod rm "p$BATS_TEST_NUMBER"
  run pod ps -a -q
  assert_output ""
}

@test "podman run --memory: a hog is OOM-killed; conmon's oom flag stays out of the caller's directory" {
  local D; D=$(cat "$BATS_FILE_TMPDIR/pod-dir")
  rm -f "$D/oom"
  run pod run --rm "${U[@]}" --memory 32m "$IMG" tail /dev/zero
  assert_equal "$status" 137
  [ -e "$D/oom" ]
}

@test "podman run -it: a terminal through conmon's console socket" {
  run_in_pty "$(pod_line) run --rm -it ${U[*]} $IMG sh -c 'tty; [ -t 0 ] && echo is-a-tty'"
  assert_success
  assert_output --partial is-a-tty
  # A pty of the container's own devpts, as with runc and crun.
  assert_output --partial /dev/pts/0
}
