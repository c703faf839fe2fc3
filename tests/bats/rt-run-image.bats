#!/usr/bin/env bats
# rt-run IMAGE: pulled when missing (from a real local registry), run on an
# overlay of the image's layers, with the image's config applied as docker
# applies it.

load helpers
load registry

setup_file() {
  registry_start
  registry_push_busybox busybox:1
  registry_push_busybox layered:1 layers
}

teardown_file() { registry_stop; }

setup() {
  rt_setup
  # one store for the whole file: pulled once, reused
  export RT_ROOT="$BATS_FILE_TMPDIR/store"
  IMG="$REGISTRY/busybox:1"
}

teardown() {
  for f in "$RT_STATE"/containers/*/state.json; do
    [ -f "$f" ] || continue
    rt-repl rm -f "$(jq -r .id "$f")" >/dev/null 2>&1 || true
  done
  rt_teardown
}

@test "rt-run IMAGE: pulls a missing image, then runs from the store without pulling" {
  run rt-run --rm "$IMG" echo hi
  assert_success
  assert_line hi
  [ -s "$RT_ROOT/index.json" ]
  before=$(registry_requests 'GET /v2/busybox/blobs/')
  run rt-run --rm "$IMG" echo again
  assert_success
  assert_output again
  assert_equal "$(registry_requests 'GET /v2/busybox/blobs/')" "$before"
}

@test "rt-run IMAGE: the image's Cmd, Env and WorkingDir apply; -e and -w override" {
  run sh -c "echo 'echo \$RT_IMAGE \$(pwd)' | rt-run -i --rm '$IMG'"
  assert_success
  assert_output "busybox /root"
  run rt-run --rm -e RT_IMAGE=mine -w /tmp "$IMG" /bin/sh -c 'echo $RT_IMAGE $(pwd)'
  assert_success
  assert_output "mine /tmp"
}

@test "rt-run IMAGE: --entrypoint replaces the entrypoint and drops the image's Cmd" {
  run rt-run --rm --entrypoint /bin/echo "$IMG" a b
  assert_success
  assert_output "a b"
  run rt-run --rm --entrypoint /bin/pwd "$IMG"
  assert_success
  assert_output /root
}

@test "rt-run IMAGE: layers are stacked with whiteouts honoured; the layers stay untouched" {
  run rt-run --rm "$REGISTRY/layered:1" /bin/sh -c 'ls /opt/dir; cat /opt/new; test -e /etc/motd && echo motd-present; echo x > /opt/dir/y'
  assert_success
  assert_line y
  refute_line x
  assert_line new
  refute_line motd-present
  run rt-run --rm "$REGISTRY/layered:1" cat /opt/dir/y
  assert_output y
}

@test "rt-run IMAGE: the record names the image; rmi refuses an image a container uses" {
  run rt-run --name user1 "$IMG" true
  assert_success
  id=$(ls "$RT_STATE/containers")
  assert_equal "$(jq -r .image.ref "$RT_STATE/containers/$id/state.json")" "$IMG"
  [[ "$(jq -r .image.id "$RT_STATE/containers/$id/state.json")" =~ ^sha256:[0-9a-f]{64}$ ]]
  run rt-repl rmi "$IMG"
  assert_failure
  assert_output --partial "user1"
  rt-repl rm user1
  run rt-repl rmi "$IMG"
  assert_success
  run rt-run --rm --pull never "$IMG" true
  assert_equal "$status" 125
  assert_output --partial "--pull never"
}

@test "rt-run IMAGE: --pull always fetches the manifest again; a missing image is a clear error" {
  rt-run --rm "$IMG" true
  before=$(registry_requests '(GET|HEAD) /v2/busybox/manifests/')
  run rt-run --rm --pull always "$IMG" true
  assert_success
  [ "$(registry_requests '(GET|HEAD) /v2/busybox/manifests/')" -gt "$before" ]
  run rt-run --rm "$REGISTRY/nosuch:1" true
  assert_equal "$status" 125
  assert_output --partial "nosuch"
  run rt-run --rm 'Bad Reference!' true
  assert_equal "$status" 125
  assert_output --partial "invalid reference"
  [ -z "$(ls "$RT_STATE/containers" 2>/dev/null)" ]
}

@test "rt-run IMAGE: --explain shows the image's layers as the overlay's lower dirs" {
  rt-run --rm "$IMG" true
  run rt-run --explain "$IMG" echo hi
  assert_success
  assert_output --partial "--lower $RT_ROOT/layers/"
  cmd=$output
  run sh -c "$cmd"
  assert_success
  assert_output hi
}
