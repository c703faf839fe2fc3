#!/usr/bin/env bats
# rt-pull against a real registry (Debian's docker-registry on 127.0.0.1),
# a Docker Hub stand-in (token service + CDN on 127.0.0.2/3), crafted
# hostile layers, imports, and the store API through --inspect/--list/--remove.

bats_require_minimum_version 1.5.0
load helpers
load registry

CRAFT="$BATS_TEST_DIRNAME/../fixtures/registry/craft.py"
PY=/usr/bin/python3

setup_file() {
  registry_start
  registry_push_busybox busybox:latest
  registry_push_busybox layers:latest layers
  registry_push_busybox multi:latest multiplatform
}

teardown_file() {
  registry_stop
}

setup() {
  rt_setup
}

teardown() {
  if [ -n "${ROOTLESS_DIR:-}" ]; then rm -rf "$ROOTLESS_DIR"; fi
  rt_teardown
}

# The config digest (image id) of NAME:TAG in the registry, for this host's platform.
config_digest() {
  local m
  m=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/$1/manifests/$2")
  echo "$m" | jq -r .config.digest
}

# A listing of the store that shows any change (locks aside).
store_listing() {
  (cd "$RT_ROOT" && find . -path ./locks -prune -o -printf '%p %y %s %m\n' | sort)
}

# No file left in the store's ingest/ and tmp/ (nor layers/ when asked).
no_leftovers() {
  local left
  left=$(find "$RT_ROOT/ingest" "$RT_ROOT/tmp" "$@" -mindepth 1 2>/dev/null)
  [ -z "$left" ] || { echo "left in the store: $left" >&2; return 1; }
}

blob_gets() {
  registry_requests "\"GET /v2/$1/blobs/sha256:"
}

@test "rt-pull --help matches the man page; --version" {
  check_help_matches_man rt-pull man/rt-pull.1
  run rt-pull --version
  assert_success
  assert_output --regexp '^rt-pull [0-9]'
  run mandoc -T lint -W warning man/rt-pull.1
  assert_success
}

@test "pull by tag: the id on stdout, an OCI layout skopeo reads, the layer equals the rootfs" {
  want=$(config_digest busybox latest)
  run --separate-stderr rt-pull "$REGISTRY/busybox:latest"
  assert_success
  assert_output "$want"
  assert_file_exists "$RT_ROOT/oci-layout"
  run jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$RT_ROOT/index.json"
  assert_output "$REGISTRY/busybox:latest"
  run skopeo inspect --config "oci:$RT_ROOT:$REGISTRY/busybox:latest"
  assert_success
  [ "$(echo "$output" | jq -r '.config.Cmd[0]')" = sh ]
  layer=$(rt-pull --inspect "$REGISTRY/busybox" | jq -r '.layers[0]')
  [ -d "$layer" ]
  diff -r --no-dereference "$layer" "$RT_ROOTFS"
  # skopeo copy reads (and verifies) every blob; umoci unpacks from the store
  run skopeo copy "oci:$RT_ROOT:$REGISTRY/busybox:latest" "dir:$BATS_TEST_TMPDIR/copy"
  assert_success
  run umoci unpack --image "$RT_ROOT:$REGISTRY/busybox:latest" "$BATS_TEST_TMPDIR/bundle"
  assert_success
  diff -r --no-dereference "$BATS_TEST_TMPDIR/bundle/rootfs" "$RT_ROOTFS"
}

@test "the short name resolves: --inspect by reference, full id and id prefix" {
  rt-pull -q "$REGISTRY/busybox"
  id=$(config_digest busybox latest)
  for name in "$REGISTRY/busybox" "$REGISTRY/busybox:latest" "$id" "${id#sha256:}" "${id:7:12}" "${id:7:4}"; do
    run rt-pull --inspect "$name"
    assert_success
    [ "$(echo "$output" | jq -r .id)" = "$id" ]
  done
  run rt-pull --inspect "$REGISTRY/busybox" 
  [ "$(echo "$output" | jq -r .reference)" = "$REGISTRY/busybox:latest" ]
  [ "$(echo "$output" | jq -c .config.cmd)" = '["sh"]' ]
  [ "$(echo "$output" | jq -r .config.workdir)" = /root ]
  [ "$(echo "$output" | jq -r '.config.labels["org.rt.test"]')" = busybox ]
  echo "$output" | jq -e '.config.env | index("RT_IMAGE=busybox")'
  run rt-pull --inspect nosuch
  assert_failure 125
  assert_output --partial "no such image: nosuch"
}

@test "pull by digest: stored under name@digest; pulling it again makes no request" {
  digest=$(registry_manifest_digest busybox:latest)
  [ -n "$digest" ]
  run --separate-stderr rt-pull "$REGISTRY/busybox@$digest"
  assert_success
  assert_output "$(config_digest busybox latest)"
  run jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$RT_ROOT/index.json"
  assert_output "$REGISTRY/busybox@$digest"
  before=$(registry_requests "/v2/busybox/")
  run --separate-stderr rt-pull "$REGISTRY/busybox@$digest"
  assert_success
  [ "$(registry_requests "/v2/busybox/")" -eq "$before" ]
  # a wrong digest is not found
  run rt-pull -q "$REGISTRY/busybox@sha256:$(printf '0%.0s' $(seq 64))"
  assert_failure 125
  assert_output --partial "not found"
}

@test "cache hit: a present image downloads no blob, only a HEAD of the manifest" {
  rt-pull -q "$REGISTRY/busybox"
  blobs=$(blob_gets busybox)
  gets=$(registry_requests '"GET /v2/busybox/manifests/')
  heads=$(registry_requests '"HEAD /v2/busybox/manifests/')
  run rt-pull "$REGISTRY/busybox"
  assert_success
  assert_output --partial "up to date"
  [ "$(blob_gets busybox)" -eq "$blobs" ]
  [ "$(registry_requests '"GET /v2/busybox/manifests/')" -eq "$gets" ]
  [ "$(registry_requests '"HEAD /v2/busybox/manifests/')" -eq $((heads + 1)) ]
}

@test "multi-layer image with whiteouts: overlayfs of the layers hides deleted files" {
  run --separate-stderr rt-pull "$REGISTRY/layers"
  assert_success
  info=$(rt-pull --inspect "$REGISTRY/layers")
  [ "$(echo "$info" | jq '.layers | length')" -eq 3 ]
  top=$(echo "$info" | jq -r '.layers[0]')
  # the whiteouts are character devices 0/0 in the top layer
  [ "$(stat -c '%F %t %T' "$top/etc/motd")" = "character special file 0 0" ]
  [ "$(stat -c '%F %t %T' "$top/opt/dir/x")" = "character special file 0 0" ]
  # the base layer is shared with the single-layer busybox image
  rt-pull -q "$REGISTRY/busybox"
  [ "$(ls "$RT_ROOT/layers" | wc -l)" -eq 3 ]
  lower=$(echo "$info" | jq -r '.layers | join(":")')
  mnt="$BATS_TEST_TMPDIR/mnt"
  mkdir "$mnt"
  run unshare --mount --propagation private sh -c "mount -t overlay overlay -o lowerdir=$lower $mnt && ls $mnt/etc $mnt/opt/dir $mnt/opt && cat $mnt/opt/new"
  assert_success
  refute_line motd
  refute_line x
  assert_line y
  assert_line new
  assert_line passwd
}

@test "opaque directories and whiteouts of a crafted image work through overlayfs" {
  d=$BATS_TEST_TMPDIR
  $PY "$CRAFT" tar lower "$d/lower.tar"
  $PY "$CRAFT" tar upper "$d/upper.tar"
  $PY "$CRAFT" layout "$d/L" ovl "$d/lower.tar" "$d/upper.tar"
  rt-pull -q --import "oci:$d/L:ovl" --tag test/ovl
  top=$(rt-pull --inspect test/ovl | jq -r '.layers[0]')
  run $PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$top/opq"
  assert_output y
  lower=$(rt-pull --inspect test/ovl | jq -r '.layers | join(":")')
  mkdir "$d/mnt"
  run unshare --mount --propagation private sh -c "mount -t overlay overlay -o lowerdir=$lower $d/mnt && ls $d/mnt/etc $d/mnt/opq"
  assert_success
  assert_line kept
  refute_line hidden
  assert_line c
  refute_line a
  refute_line b
}

@test "platform choice from a multi-platform index" {
  [ "$(uname -m)" = x86_64 ] || skip "the default-platform check expects an x86_64 host (this is $(uname -m))"
  rt-pull -q "$REGISTRY/multi"
  cat "$(rt-pull --inspect "$REGISTRY/multi" | jq -r '.layers[0]')/etc/platform"
  [ "$(cat "$(rt-pull --inspect "$REGISTRY/multi" | jq -r '.layers[0]')/etc/platform")" = linux/amd64 ]
  run --separate-stderr rt-pull --platform linux/arm64 "$REGISTRY/multi"
  assert_success
  info=$(rt-pull --inspect "$REGISTRY/multi")
  [ "$(cat "$(echo "$info" | jq -r '.layers[0]')/etc/platform")" = linux/arm64 ]
  [ "$(echo "$info" | jq -r '"\(.os)/\(.architecture)"')" = linux/arm64 ]
  run jq -r --arg r "$REGISTRY/multi:latest" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .platform.architecture' "$RT_ROOT/index.json"
  assert_output arm64
  run rt-pull -q --platform linux/s390x "$REGISTRY/multi"
  assert_failure 125
  assert_output --partial "no image for platform linux/s390x"
  assert_output --partial "linux/amd64, linux/arm64"
  # a single-platform image asked for another platform
  run rt-pull -q --platform linux/arm64 "$REGISTRY/busybox"
  assert_failure 125
  assert_output --partial "not linux/arm64"
  run rt-pull -q --platform linux "$REGISTRY/multi"
  assert_failure 125
  assert_output --partial "invalid --platform"
}

@test "digest mismatch: a corrupted blob is rejected and the store is unchanged" {
  d=$BATS_TEST_TMPDIR
  head -c 300000 /dev/urandom > "$d/blob"
  tar -C "$d" -cf "$d/layer.tar" blob
  $PY "$CRAFT" layout "$d/L" corrupt "$d/layer.tar"
  registry_push_layout "$d/L:corrupt" corrupt:latest
  layer=$(jq -r .layers[0].digest "$(registry_blob_path "$(registry_manifest_digest corrupt:latest)")")
  file=$(registry_blob_path "$layer")
  size=$(stat -c %s "$file")
  # same size, different bytes in the middle
  printf 'garbage' | dd of="$file" bs=1 seek=$((size / 2)) conv=notrunc status=none
  rt-pull -q "$REGISTRY/busybox"
  before=$(store_listing)
  run rt-pull -q "$REGISTRY/corrupt"
  assert_failure 125
  assert_output --partial "digest mismatch"
  assert_output --partial "$layer"
  [ "$(store_listing)" = "$before" ]
  run rt-pull --inspect "$REGISTRY/corrupt"
  assert_failure 125
}

@test "registry down, unknown repository: clear errors, nothing left behind" {
  port=$(_registry_free_port)
  run rt-pull -q "127.0.0.1:$port/busybox"
  assert_failure 125
  assert_output --regexp "cannot reach registry 127.0.0.1:$port.*(refused|connect)"
  [ ! -e "$RT_ROOT" ]
  run rt-pull -q "$REGISTRY/nosuch/image:1.0"
  assert_failure 125
  assert_output --partial "not found"
  [ ! -e "$RT_ROOT" ]
}

@test "SIGKILL in the middle of a download: the store stays readable, the rerun resumes with Range" {
  fakehub_start --cdn-stall 200000
  d=$BATS_TEST_TMPDIR
  head -c 2000000 /dev/urandom > "$d/big"
  tar -C "$d" -cf "$d/layer.tar" big
  $PY "$CRAFT" layout "$d/L" big --compress none "$d/layer.tar"
  registry_push_layout "$d/L:big" big:latest
  rt-pull -q "$FAKEHUB/big" 3>&- &
  pid=$!
  wait_until 100 sh -c "[ \$(cat $RT_ROOT/ingest/*.partial 2>/dev/null | wc -c) -ge 200000 ]"
  kill -9 "$pid"
  wait "$pid" || true
  jq -e '.manifests | length == 0' "$RT_ROOT/index.json"
  run rt-pull --inspect "$FAKEHUB/big"
  assert_failure
  run --separate-stderr rt-pull "$FAKEHUB/big"
  assert_success
  grep -q 'range=bytes=200000-' "$FAKEHUB_LOG"
  layer=$(rt-pull --inspect "$FAKEHUB/big" | jq -r '.layers[0]')
  cmp "$layer/big" "$d/big"
  no_leftovers
}

@test "SIGKILL at any moment: the store stays consistent and a rerun completes it" {
  for delay in 0 0.01 0.03 0.06 0.1 0.2; do
    rm -rf "$RT_ROOT"
    rt-pull -q "$REGISTRY/layers" 3>&- &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" || true
    if [ -e "$RT_ROOT/index.json" ]; then
      jq -e . "$RT_ROOT/index.json" >/dev/null
      # what index.json names is complete
      if [ "$(jq '.manifests | length' "$RT_ROOT/index.json")" -gt 0 ]; then
        rt-pull --inspect "$REGISTRY/layers" >/dev/null
      fi
    fi
    run --separate-stderr rt-pull "$REGISTRY/layers"
    assert_success
    top=$(rt-pull --inspect "$REGISTRY/layers" | jq -r '.layers[0]')
    [ "$(cat "$top/opt/new")" = new ]
    no_leftovers
  done
}

@test "a connection dropped mid-blob is resumed with Range in the same run" {
  fakehub_start --cdn-drop 100000
  run --separate-stderr rt-pull "$FAKEHUB/busybox"
  assert_success
  assert_output "$(config_digest busybox latest)"
  grep -q 'CDN dropped after 100000' "$FAKEHUB_LOG"
  grep -q 'range=bytes=100000-' "$FAKEHUB_LOG"
  layer=$(rt-pull --inspect "$FAKEHUB/busybox" | jq -r '.layers[0]')
  diff -r --no-dereference "$layer" "$RT_ROOTFS"
}

@test "a registry that ignores Range: the resumed download starts over and still verifies" {
  fakehub_start --cdn-drop 100000 --cdn-no-range
  run --separate-stderr rt-pull "$FAKEHUB/busybox"
  assert_success
  grep -q 'range=bytes=100000-' "$FAKEHUB_LOG"
}

@test "concurrent pulls of the same image: all succeed, each blob is fetched once" {
  registry_push_busybox conc:latest layers
  for i in 1 2 3 4; do
    rt-pull -q "$REGISTRY/conc" > "$BATS_TEST_TMPDIR/out.$i" 2> "$BATS_TEST_TMPDIR/err.$i" 3>&- &
  done
  wait
  want=$(config_digest conc latest)
  for i in 1 2 3 4; do
    [ "$(cat "$BATS_TEST_TMPDIR/out.$i")" = "$want" ] || { cat "$BATS_TEST_TMPDIR/err.$i"; false; }
  done
  manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/conc/manifests/latest")
  for l in $(echo "$manifest" | jq -r '.layers[].digest'); do
    [ "$(registry_requests "\"GET /v2/conc/blobs/$l")" -eq 1 ]
  done
  [ "$(jq '.manifests | length' "$RT_ROOT/index.json")" -eq 1 ]
  [ "$(ls "$RT_ROOT/layers" | wc -l)" -eq 3 ]
}

@test "concurrent pulls of overlapping images: the shared base layer is fetched once" {
  registry_push_busybox ovla:latest
  registry_push_busybox ovlb:latest layers
  rt-pull -q "$REGISTRY/ovla" > "$BATS_TEST_TMPDIR/a" 3>&- &
  rt-pull -q "$REGISTRY/ovlb" > "$BATS_TEST_TMPDIR/b" 3>&- &
  wait
  [ "$(cat "$BATS_TEST_TMPDIR/a")" = "$(config_digest ovla latest)" ]
  [ "$(cat "$BATS_TEST_TMPDIR/b")" = "$(config_digest ovlb latest)" ]
  base=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/ovla/manifests/latest" | jq -r '.layers[0].digest')
  [ "$(registry_requests "\"GET /v2/ovl[ab]/blobs/$base")" -eq 1 ]
  [ "$(ls "$RT_ROOT/layers" | wc -l)" -eq 3 ]
}

@test "unprivileged: whiteouts are still 0/0 devices, opaque is user.overlay.opaque, overlayfs in a user namespace honours them" {
  d=$(mktemp -d /tmp/rt-pull-rootless.XXXXXX)
  ROOTLESS_DIR=$d
  chmod 755 "$d"
  $PY "$CRAFT" tar lower "$d/lower.tar"
  $PY "$CRAFT" tar upper "$d/upper.tar"
  $PY "$CRAFT" layout "$d/L" ovl "$d/lower.tar" "$d/upper.tar"
  chmod -R a+rX "$d/L"
  mkdir -m 777 "$d/home" "$d/mnt"
  as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$d/home" RT_ROOT="$d/home/store" "$@"; }
  run as_nobody "$RT_BIN/rt-pull" -q --import "oci:$d/L:ovl" --tag test/ovl
  assert_success
  top=$(as_nobody "$RT_BIN/rt-pull" --inspect test/ovl | jq -r '.layers[0]')
  [ "$(stat -c '%F %t %T %U' "$top/etc/hidden")" = "character special file 0 0 nobody" ]
  run $PY -c 'import os,sys; print(os.listxattr(sys.argv[1]))' "$top/opq"
  assert_output "['user.overlay.opaque']"
  lower=$(as_nobody "$RT_BIN/rt-pull" --inspect test/ovl | jq -r '.layers | join(":")')
  run as_nobody unshare --user --map-root-user --mount sh -c "mount -t overlay overlay -o lowerdir=$lower,userxattr $d/mnt && ls $d/mnt/etc $d/mnt/opq"
  if [ "$status" -ne 0 ] && [[ "$output" == *"ermission denied"* || "$output" == *"Operation not permitted"* ]]; then
    skip "unprivileged overlay mounts are not allowed here: $output"
  fi
  assert_success
  assert_line kept
  refute_line hidden
  assert_line c
  refute_line a
}

@test "Docker Hub's bearer flow: one anonymous token per repository, no credential to the CDN" {
  fakehub_start
  run --separate-stderr rt-pull "$FAKEHUB/layers"
  assert_success
  assert_output "$(config_digest layers latest)"
  [ "$(grep -c '^TOKEN ' "$FAKEHUB_LOG")" -eq 1 ]
  grep -q '^TOKEN scope=repository:layers:pull user=- service=fakehub' "$FAKEHUB_LOG"
  # manifests and blobs went to the registry with the token; blobs came from the CDN without it
  grep -q '^REG GET /v2/layers/manifests/latest auth=Bearer' "$FAKEHUB_LOG"
  # the config and the three layers
  [ "$(grep -c '^CDN GET .* auth=- ' "$FAKEHUB_LOG")" -eq 4 ]
  run grep -c 'LEAK' "$FAKEHUB_LOG"
  assert_output 0
}

@test "credentials from the docker config file: private repository, wrong password" {
  fakehub_start --private private/ --user alice:secret
  registry_push_busybox private/app:latest
  export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
  mkdir -p "$DOCKER_CONFIG"
  run rt-pull -q "$FAKEHUB/private/app"
  assert_failure 125
  assert_output --partial "unauthorized"
  printf '{"auths":{"http://%s":{"auth":"%s"}}}' "$FAKEHUB" "$(printf alice:wrong | base64)" > "$DOCKER_CONFIG/config.json"
  run rt-pull -q "$FAKEHUB/private/app"
  assert_failure 125
  assert_output --partial "refused the credentials of alice"
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$FAKEHUB" "$(printf alice:secret | base64)" > "$DOCKER_CONFIG/config.json"
  run --separate-stderr rt-pull "$FAKEHUB/private/app"
  assert_success
  grep -q '^TOKEN scope=repository:private/app:pull user=alice' "$FAKEHUB_LOG"
  run grep -c LEAK "$FAKEHUB_LOG"
  assert_output 0
}

@test "basic auth: credentials to the registry, never to the CDN" {
  fakehub_start --auth basic --user bob:pw
  export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
  mkdir -p "$DOCKER_CONFIG"
  run rt-pull -q "$FAKEHUB/busybox"
  assert_failure 125
  assert_output --partial "requires a user name and password"
  printf '{"auths":{"%s":{"username":"bob","password":"pw"}}}' "$FAKEHUB" > "$DOCKER_CONFIG/config.json"
  run --separate-stderr rt-pull "$FAKEHUB/busybox"
  assert_success
  grep -q '^REG GET /v2/busybox/blobs/.* auth=Basic' "$FAKEHUB_LOG"
  grep -q '^CDN GET .* auth=- ' "$FAKEHUB_LOG"
  run grep -c LEAK "$FAKEHUB_LOG"
  assert_output 0
}

@test "credentials never travel in clear to a token service off this host, unless --insecure" {
  name=$(hostname)
  addr=$(getent hosts "$name" | awk '{print $1; exit}')
  case "$addr" in 127.*) ;; *) skip "needs a host name other than localhost that resolves to 127.0.0.0/8 ($name is '$addr')" ;; esac
  # A loopback registry (plain http by design) whose challenge names a
  # plain-http realm under a name that is not loopback.
  fakehub_start --host "$addr" --private private/ --user alice:secret --realm "http://$name:{port}/token"
  reg="$addr:${FAKEHUB##*:}"
  registry_push_busybox private/app:latest
  export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
  mkdir -p "$DOCKER_CONFIG"
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$reg" "$(printf alice:secret | base64)" > "$DOCKER_CONFIG/config.json"
  run rt-pull -q "$reg/private/app"
  assert_failure 125
  assert_output "rt-pull: refusing to send the credentials of alice for $reg to the token service http://$name:${FAKEHUB##*:}: not https (name the registry with --insecure to allow it)"
  run grep -c 'auth=Basic' "$FAKEHUB_LOG"
  assert_output 0
  [ ! -e "$RT_ROOT/index.json" ] || [ "$(jq '.manifests | length' "$RT_ROOT/index.json")" -eq 0 ]
  # anonymous token requests still go (nothing to leak)
  run env DOCKER_CONFIG="$BATS_TEST_TMPDIR/none" rt-pull -q "$reg/busybox"
  assert_success
  # --insecure: the user said so
  run --separate-stderr rt-pull -q --insecure "$reg/private/app"
  assert_success
  grep -q "^TOKEN scope=repository:private/app:pull user=alice" "$FAKEHUB_LOG"
}

@test "credentials never follow a token service's redirect" {
  fakehub_start --private private/ --user alice:secret --token-redirect "http://127.0.0.2:{port}/token-final"
  registry_push_busybox private/app:latest
  export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
  mkdir -p "$DOCKER_CONFIG"
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$FAKEHUB" "$(printf alice:secret | base64)" > "$DOCKER_CONFIG/config.json"
  run rt-pull -q "$FAKEHUB/private/app"
  assert_failure 125
  assert_output --partial "cannot get a token"
  grep -q '^REG GET /token auth=Basic' "$FAKEHUB_LOG"
  run grep -c '^REG GET /token-final' "$FAKEHUB_LOG"
  assert_output 0
}

@test "retries: 503s and a short 429 are retried; a long rate limit says when it resets" {
  fakehub_start --fail 2
  run --separate-stderr rt-pull "$FAKEHUB/busybox"
  assert_success
  fakehub_start --ratelimit 1 --retry-after 1
  rm -rf "$RT_ROOT"
  run --separate-stderr rt-pull "$FAKEHUB/busybox"
  assert_success
  fakehub_start --ratelimit 100 --retry-after 3600
  rm -rf "$RT_ROOT"
  run rt-pull -q "$FAKEHUB/busybox"
  assert_failure 125
  assert_output --partial "rate limited by $FAKEHUB"
  assert_output --regexp "retry after [0-9]{4}-[0-9]{2}-[0-9]{2}"
}

@test "TLS: an untrusted certificate is refused; --insecure skips verification, or falls back to http" {
  name=$(hostname)
  addr=$(getent hosts "$name" | awk '{print $1; exit}')
  case "$addr" in 127.*) ;; *) skip "needs a host name other than localhost that resolves to 127.0.0.0/8 ($name is '$addr')" ;; esac
  command -v openssl >/dev/null || skip "openssl(1) is needed for a test certificate"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_TEST_TMPDIR/key.pem" -out "$BATS_TEST_TMPDIR/cert.pem" \
    -days 1 -subj "/CN=$name" 2>/dev/null
  fakehub_start --host 127.0.0.1 --tls-cert "$BATS_TEST_TMPDIR/cert.pem" --tls-key "$BATS_TEST_TMPDIR/key.pem"
  port=${FAKEHUB##*:}
  run rt-pull -q "$name:$port/busybox"
  assert_failure 125
  assert_output --partial "TLS certificate of $name:$port is not trusted"
  assert_output --partial "--insecure"
  run --separate-stderr rt-pull --insecure "$name:$port/busybox"
  assert_success
  [[ "$stderr" == *"from https://$name:$port"* ]]
  # a plain-http registry under a non-loopback name: https first, then http
  rm -rf "$RT_ROOT"
  run rt-pull -q "$name:${REGISTRY##*:}/busybox"
  assert_failure 125
  run --separate-stderr rt-pull --insecure "$name:${REGISTRY##*:}/busybox"
  assert_success
  assert_output "$(config_digest busybox latest)"
}

# Each hostile layer: refused with the entry named, nothing outside touched,
# the layer discarded.
hostile() {
  local kind=$1 d=$BATS_TEST_TMPDIR
  mkdir -p "$d/outside"
  echo original > "$d/outside/victim"
  $PY "$CRAFT" tar "$kind" "$d/evil.tar" "$d/outside/victim"
  $PY "$CRAFT" layout "$d/L" evil "$d/evil.tar"
  run rt-pull -q --import "oci:$d/L:evil" --tag "evil/$kind"
  assert_failure 125
  assert_output --partial "refusing entry '"
  [ "$(cat "$d/outside/victim")" = original ]
  [ "$(ls "$d/outside")" = victim ]
  no_leftovers "$RT_ROOT/layers"
  [ "$(jq '.manifests | length' "$RT_ROOT/index.json")" -eq 0 ]
  [ ! -e "$RT_ROOT/blobs/sha256/$(jq -r .layers[0].digest "$d/L/blobs/sha256/$(jq -r .manifests[0].digest "$d/L/index.json" | cut -d: -f2)" | cut -d: -f2)" ]
}

@test "hostile layer: ../ in a name" { hostile dotdot; assert_output --partial "path contains '..'"; }
@test "hostile layer: ../ inside a path" { hostile dotdot-inner; assert_output --partial "a/../../victim"; }
@test "hostile layer: absolute name" { hostile absolute; assert_output --partial "absolute path"; }
@test "hostile layer: a file written through a symlink to a directory outside" { hostile symlink-parent; assert_output --partial "symbolic link"; }
@test "hostile layer: a file written through a relative symlink that climbs out" { hostile symlink-relative; assert_output --partial "symbolic link"; }
@test "hostile layer: hard link with ../ in its target" { hostile hardlink-dotdot; assert_output --partial "path contains '..'"; }
@test "hostile layer: hard link to an absolute path" { hostile hardlink-absolute; assert_output --partial "absolute path"; }
@test "hostile layer: hard link through a symlink" { hostile hardlink-through-symlink; assert_output --partial "not a file in this layer"; }
@test "hostile layer: whiteout of '..'" { hostile whiteout-dotdot; assert_output --partial "whiteout of an invalid name"; }
@test "hostile layer: whiteout through a symlink" { hostile whiteout-through-symlink; assert_output --partial "symbolic link"; }
@test "hostile layer: opaque marker through a symlink" { hostile opaque-through-symlink; assert_output --partial "symbolic link"; }
@test "hostile layer: whiteout with an absolute path" { hostile whiteout-absolute; assert_output --partial "absolute path"; }

# A layer over a limit: refused with one line, nothing of it left in the
# store (no layer, no blob, no image), the store still usable.
over_limit() {
  local d=$BATS_TEST_TMPDIR
  $PY "$CRAFT" layout "$d/L" big "$d/big.tar"
  run rt-pull -q "$@" --import "oci:$d/L:big" --tag test/big
  assert_failure 125
  [ "${#lines[@]}" -eq 1 ]
  no_leftovers "$RT_ROOT/layers"
  [ "$(jq '.manifests | length' "$RT_ROOT/index.json")" -eq 0 ]
  [ ! -e "$RT_ROOT/blobs/sha256/$(jq -r .layers[0].digest "$d/L/blobs/sha256/$(jq -r .manifests[0].digest "$d/L/index.json" | cut -d: -f2)" | cut -d: -f2)" ]
}

@test "layer limits: more entries than --max-layer-entries (or RT_MAX_LAYER_ENTRIES) is refused" {
  mkdir -p "$BATS_TEST_TMPDIR/t/d"
  for i in $(seq 20); do echo $i > "$BATS_TEST_TMPDIR/t/d/f$i"; done
  tar -C "$BATS_TEST_TMPDIR/t" -cf "$BATS_TEST_TMPDIR/big.tar" d
  over_limit --max-layer-entries 10
  assert_output --regexp "^rt-pull: layer sha256:[0-9a-f]+: it has more than 10 entries \(the limit: rt-pull --max-layer-entries, RT_MAX_LAYER_ENTRIES\)$"
  RT_MAX_LAYER_ENTRIES=10 over_limit
  assert_output --partial "more than 10 entries"
  # within the limit it goes in
  run rt-pull -q --max-layer-entries 21 --import "oci:$BATS_TEST_TMPDIR/L:big" --tag test/big
  assert_success
}

@test "layer limits: a file or a decompression bomb over --max-layer-size (or RT_MAX_LAYER_SIZE) is refused" {
  mkdir -p "$BATS_TEST_TMPDIR/t"
  # 64 MiB of zeros: a 64 KiB gzip blob
  head -c 64M /dev/zero > "$BATS_TEST_TMPDIR/t/zeros"
  tar -C "$BATS_TEST_TMPDIR/t" -cf "$BATS_TEST_TMPDIR/big.tar" zeros
  rm "$BATS_TEST_TMPDIR/t/zeros"
  over_limit --max-layer-size 1M
  assert_output --regexp "^rt-pull: layer sha256:[0-9a-f]+: it unpacks to more than 1MiB \(the limit: rt-pull --max-layer-size, RT_MAX_LAYER_SIZE\)$"
  RT_MAX_LAYER_SIZE=32M over_limit
  assert_output --partial "it unpacks to more than 32"
  run env RT_MAX_LAYER_SIZE=lots rt-pull -q --import "oci:$BATS_TEST_TMPDIR/L:big"
  assert_failure 125
  assert_output --partial "RT_MAX_LAYER_SIZE"
  # the whole stream counts, not only the files: a tar of 8 MiB of padding
  # after its end is bounded too
  : > "$BATS_TEST_TMPDIR/t/small"
  tar -C "$BATS_TEST_TMPDIR/t" -cf "$BATS_TEST_TMPDIR/big.tar" small
  head -c 8M /dev/zero >> "$BATS_TEST_TMPDIR/big.tar"
  rm -rf "$BATS_TEST_TMPDIR/L"
  over_limit --max-layer-size 4M
  assert_output --partial "it unpacks to more than 4"
}

@test "a directory entry replaces a symlink of the same name: the file stays inside" {
  d=$BATS_TEST_TMPDIR
  mkdir -p "$d/outside"
  $PY "$CRAFT" tar safe-symlink-replaced "$d/t.tar" "$d/outside/victim"
  $PY "$CRAFT" layout "$d/L" t "$d/t.tar"
  run --separate-stderr rt-pull --import "oci:$d/L:t" --tag test/safe
  assert_success
  [ -z "$(ls "$d/outside")" ]
  layer=$(rt-pull --inspect test/safe | jq -r '.layers[0]')
  [ -d "$layer/etc" ] && [ ! -L "$layer/etc" ]
  [ "$(cat "$layer/etc/victim")" = inside ]
}

@test "unpacking keeps owners, modes, links, devices, fifos, times and xattrs; drops overlay xattrs" {
  d=$BATS_TEST_TMPDIR
  $PY "$CRAFT" tar kinds "$d/k.tar"
  $PY "$CRAFT" layout "$d/L" kinds "$d/k.tar"
  rt-pull -q --import "oci:$d/L:kinds" --tag test/kinds
  l=$(rt-pull --inspect test/kinds | jq -r '.layers[0]')
  [ "$(stat -c '%u:%g %a %Y' "$l/dir")" = "1000:1000 750 1699999900" ]
  [ "$(stat -c '%u:%g %a %Y' "$l/dir/file")" = "1000:1000 640 1699999800" ]
  [ "$(stat -c '%a' "$l/dir/setuid")" = 4755 ]
  [ "$(stat -c %i "$l/dir/file")" = "$(stat -c %i "$l/dir/hardlink")" ]
  [ "$(readlink "$l/dir/symlink")" = /etc/passwd ]
  [ "$(readlink "$l/dir/rel")" = file ]
  [ "$(stat -c %F "$l/dir/fifo")" = fifo ]
  [ "$(stat -c '%F %t %T' "$l/dir/null")" = "character special file 1 3" ]
  [ "$(cat "$l/dir/été.txt")" = "unicode name" ]
  [ "$(cat "$l/implicit/parent/file")" = "parents not in the tar" ]
  [ "$(cat "$l/dotslash")" = "leading ./" ]
  [ "$(cat "$l/replaced")" = second ]
  run $PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.rt").decode())' "$l/dir/xattr"
  assert_output yes
  run $PY -c 'import os,sys; print(os.listxattr(sys.argv[1]))' "$l/dir/overlay-xattr"
  assert_output "[]"
}

@test "zstd and uncompressed layers" {
  d=$BATS_TEST_TMPDIR
  $PY "$CRAFT" tar lower "$d/a.tar"
  $PY "$CRAFT" tar upper "$d/b.tar"
  $PY "$CRAFT" layout "$d/Z" z --compress zstd "$d/a.tar" "$d/b.tar"
  $PY "$CRAFT" layout "$d/N" n --compress none "$d/a.tar"
  registry_push_layout "$d/Z:z" zstd:latest
  run --separate-stderr rt-pull --json "$REGISTRY/zstd"
  assert_success
  [ "$(echo "$output" | jq '.layers | length')" -eq 2 ]
  jq -r .compression "$RT_ROOT"/layers/*/info.json | sort -u | grep -qx zstd
  rt-pull -q --import "oci:$d/N:n" --tag test/n
  [ "$(cat "$(rt-pull --inspect test/n | jq -r '.layers[0]')/etc/kept")" = lower ]
}

@test "import a docker-archive (docker save) and an OCI archive" {
  d=$BATS_TEST_TMPDIR
  L=$(registry_layout layers)
  skopeo copy --quiet "oci:$L:layers" "docker-archive:$d/docker.tar:example.com/team/layers:v1"
  run --separate-stderr rt-pull --import "$d/docker.tar"
  assert_success
  id=$output
  info=$(rt-pull --inspect example.com/team/layers:v1)
  [ "$(echo "$info" | jq -r .id)" = "$id" ]
  [ "$(echo "$info" | jq '.layers | length')" -eq 3 ]
  [ "$(cat "$(echo "$info" | jq -r '.layers[0]')/opt/new")" = new ]
  skopeo inspect "oci:$RT_ROOT:example.com/team/layers:v1" >/dev/null
  # the same image as an OCI archive, renamed on the way in
  skopeo copy --quiet "oci:$L:layers" "oci-archive:$d/oci.tar:whatever"
  run --separate-stderr rt-pull --import "$d/oci.tar" --tag imported:2
  assert_success
  assert_output "$id"
  rt-pull --inspect docker.io/library/imported:2 >/dev/null
  run rt-pull -q --import "$d/nonexistent.tar"
  assert_failure 125
  echo "not a tar" > "$d/bad.tar"
  run rt-pull -q --import "$d/bad.tar"
  assert_failure 125
}

@test "import an OCI layout: by tag, a multi-platform index, a missing tag" {
  L=$(registry_layout multiplatform)
  run --separate-stderr rt-pull --import "oci:$L:multiplatform" --tag local/multi --platform linux/arm64
  assert_success
  [ "$(cat "$(rt-pull --inspect local/multi | jq -r '.layers[0]')/etc/platform")" = linux/arm64 ]
  run rt-pull -q --import "oci:$L:nosuchtag"
  assert_failure 125
  assert_output --partial "no image named 'nosuchtag'"
  assert_output --partial "multiplatform"
  run rt-pull -q --import "oci:$BATS_TEST_TMPDIR"
  assert_failure 125
  assert_output --partial "not an OCI layout"
}

@test "rmi: refused while a container uses the image, shared layers stay" {
  rt-pull -q "$REGISTRY/busybox"
  rt-pull -q "$REGISTRY/layers"
  id=$(config_digest layers latest)
  mkdir -p "$RT_STATE/containers/c0ffee"
  printf '{"id":"c0ffee","name":"web","status":"exited","image":{"ref":"%s","id":"%s"}}' "$REGISTRY/layers:latest" "$id" \
    > "$RT_STATE/containers/c0ffee/state.json"
  run rt-pull --remove "$REGISTRY/layers"
  assert_failure 125
  assert_output --partial "container c0ffee (web) uses it"
  rt-pull --inspect "$REGISTRY/layers" >/dev/null
  # forced: the name goes, the image (and its layers) stay for the container
  run rt-pull --remove "$REGISTRY/layers" --force
  assert_success
  assert_output "Untagged: $REGISTRY/layers:latest"
  rt-pull --inspect "$id" >/dev/null
  [ "$(ls "$RT_ROOT/layers" | wc -l)" -eq 3 ]
  run rt-pull --list
  assert_line --regexp "^<none> +<none> +${id:7:12}"
  # the container is gone: now the image goes, but not busybox's layer
  rm -r "$RT_STATE/containers/c0ffee"
  run rt-pull --remove "${id:7:12}"
  assert_success
  assert_line "Deleted: $id"
  [ "$(ls "$RT_ROOT/layers" | wc -l)" -eq 1 ]
  [ "$(jq '.manifests | length' "$RT_ROOT/index.json")" -eq 1 ]
  diff -r --no-dereference "$(rt-pull --inspect "$REGISTRY/busybox" | jq -r '.layers[0]')" "$RT_ROOTFS"
  skopeo copy --quiet "oci:$RT_ROOT:$REGISTRY/busybox:latest" "dir:$BATS_TEST_TMPDIR/copy"
  run rt-pull --remove "$REGISTRY/layers"
  assert_failure 125
  assert_output --partial "no such image"
}

@test "rmi: an image with two names, by name and by id" {
  rt-pull -q "$REGISTRY/busybox"
  rt-pull -q --import "oci:$(registry_layout single):busybox" --tag other/name:1
  id=$(config_digest busybox latest)
  run rt-pull --remove "$id"
  assert_failure 125
  assert_output --partial "referenced by 2 references"
  run rt-pull --remove other/name:1
  assert_success
  assert_output "Untagged: docker.io/other/name:1"
  rt-pull --inspect "$REGISTRY/busybox" >/dev/null
  rt-pull -q --import "oci:$(registry_layout single):busybox" --tag other/name:1
  run rt-pull --json --remove "$id" --force
  assert_success
  [ "$(echo "$output" | jq '.untagged | length')" -eq 2 ]
  [ "$(echo "$output" | jq -r '.deleted[0]')" = "$id" ]
  [ -z "$(ls "$RT_ROOT/layers")" ]
  [ "$(ls "$RT_ROOT/blobs/sha256" | wc -l)" -eq 0 ]
}

@test "--list and --json" {
  run rt-pull --list
  assert_success
  assert_output --regexp '^REPOSITORY +TAG +IMAGE ID'
  rt-pull -q "$REGISTRY/busybox"
  run rt-pull --list
  assert_line --regexp "^$REGISTRY/busybox +latest +[0-9a-f]{12} "
  run rt-pull --list --json
  [ "$(echo "$output" | jq -r '.[0].repository')" = "$REGISTRY/busybox" ]
  [ "$(echo "$output" | jq -r '.[0].complete')" = true ]
  # created is RFC 3339, as docker inspect prints it; rt-repl lists the same
  echo "$output" | jq -e '.[0].created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")'
  [ "$(echo "$output" | jq -S .)" = "$(rt-repl images --json | jq -S .)" ]
  rt-pull --inspect "$REGISTRY/busybox" | jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")'
  rm -rf "$RT_ROOT"
  run --separate-stderr rt-pull --json "$REGISTRY/layers"
  assert_success
  [ -z "$stderr" ]
  echo "$output" | jq -e '.id and (.layers | length == 3) and .up_to_date == false and .downloaded_bytes > 0'
  run --separate-stderr rt-pull --json "$REGISTRY/layers"
  echo "$output" | jq -e '.up_to_date == true'
}

@test "progress: plain lines off a terminal, bars on one, nothing with --quiet" {
  run --separate-stderr rt-pull "$REGISTRY/layers"
  assert_success
  [[ "$stderr" == *"downloading"* ]]
  [[ "$stderr" == *"done ("* ]]
  [[ "$stderr" != *$'\e['* ]]
  rm -rf "$RT_ROOT"
  run --separate-stderr rt-pull --quiet "$REGISTRY/layers"
  assert_success
  [ -z "$stderr" ]
  rm -rf "$RT_ROOT"
  command -v script >/dev/null || skip "script(1) is needed for a terminal"
  run script -qec "rt-pull $REGISTRY/layers" /dev/null
  assert_success
  [[ "$output" == *$'\e[2K'* ]]
}

@test "--gc frees what no image uses and what interrupted pulls left" {
  rt-pull -q "$REGISTRY/busybox"
  mkdir -p "$RT_ROOT/tmp/deadbeef.1.0/fs" "$RT_ROOT/layers/$(printf 'a%.0s' $(seq 64))/fs"
  echo partial > "$RT_ROOT/ingest/$(printf 'b%.0s' $(seq 64)).partial"
  echo orphan > "$RT_ROOT/blobs/sha256/$(printf 'c%.0s' $(seq 64))"
  run rt-pull --gc
  assert_success
  assert_output --partial "removed 0 dangling images; freed 1 blobs, 1 layers, 2 leftovers"
  no_leftovers
  [ "$(ls "$RT_ROOT/layers" | wc -l)" -eq 1 ]
  diff -r --no-dereference "$(rt-pull --inspect "$REGISTRY/busybox" | jq -r '.layers[0]')" "$RT_ROOTFS"
}

@test "a pull that moves a reference keeps the old image nameless; --gc removes it unless a container uses it" {
  [ "$(uname -m)" = x86_64 ] || skip "expects an x86_64 host (this is $(uname -m))"
  rt-pull -q "$REGISTRY/multi"
  old=$(rt-pull --inspect "$REGISTRY/multi" | jq -r .id)
  rt-pull -q --platform linux/arm64 "$REGISTRY/multi"
  new=$(rt-pull --inspect "$REGISTRY/multi" | jq -r .id)
  [ "$old" != "$new" ]
  run rt-pull --list
  assert_line --regexp "^<none> +<none> +${old:7:12}"
  rt-pull --inspect "$old" >/dev/null
  mkdir -p "$RT_STATE/containers/0ld"
  printf '{"id":"0ld","image":{"ref":"%s","id":"%s"}}' "$REGISTRY/multi:latest" "$old" > "$RT_STATE/containers/0ld/state.json"
  run rt-pull --gc
  assert_output --partial "removed 0 dangling images"
  rt-pull --inspect "$old" >/dev/null
  rm -r "$RT_STATE/containers/0ld"
  run rt-pull --gc
  assert_output --partial "removed 1 dangling images"
  run rt-pull --inspect "$old"
  assert_failure 125
  rt-pull --inspect "$REGISTRY/multi" >/dev/null
  [ "$(cat "$(rt-pull --inspect "$REGISTRY/multi" | jq -r '.layers[0]')/etc/platform")" = linux/arm64 ]
}

@test "bad references and options: one-line errors, exit 125, no store created" {
  for ref in 'UPPER/x' 'a b' 'x@sha256:123' ':tag' 'x:' 'a//b' 'x@md5:abc' '-x' "$(printf 'a%.0s' $(seq 300))"; do
    run rt-pull -q -- "$ref"
    assert_failure 125
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == "rt-pull: "* ]]
  done
  run rt-pull -q 'Upper/Case'
  assert_output --partial "must be lowercase"
  run rt-pull
  assert_failure 125
  assert_output --partial "no image named"
  run rt-pull a b
  assert_failure 125
  run rt-pull --max-concurrent 0 busybox
  assert_failure 125
  run rt-pull --platform a/b/c/d busybox
  assert_failure 125
  run rt-pull --tag x busybox
  assert_failure 125
  run rt-pull --bogus
  assert_failure 125
  [ ! -e "$RT_ROOT" ]
}

@test "options after the reference" {
  run --separate-stderr rt-pull "$REGISTRY/busybox" --quiet --json
  assert_success
  [ -z "$stderr" ]
  echo "$output" | jq -e .id
}
