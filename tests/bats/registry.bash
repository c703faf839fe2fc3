# A local registry for tests that need images: `load registry` after
# `load helpers`, then
#
#   setup_file()    { registry_start; }     # one registry per test file
#   teardown_file() { registry_stop; }      # kills only the pid it started
#
#   registry_push_busybox NAME:TAG [VARIANT]   push an image built from the
#       busybox rootfs ($RT_ROOTFS) with umoci to $REGISTRY/NAME:TAG:
#         single        one layer (default); Cmd ["sh"], Env RT_IMAGE=busybox,
#                       WorkingDir /root, label org.rt.test=busybox
#         layers        three layers: busybox; + /etc/motd, /opt/dir/{x,y};
#                       then /etc/motd and /opt/dir/x deleted (whiteouts), + /opt/new
#         multiplatform an index of linux/amd64 and linux/arm64 images whose
#                       /etc/platform says which they are
#   registry_push_layout DIR[:TAG] NAME:TAG     push any OCI layout (indexes too)
#   registry_layout VARIANT                     the OCI layout dir holding VARIANT
#   registry_blob_path DIGEST                   the blob's file in the registry's storage
#   registry_requests REGEX                     how many requests matched (access log)
#   registry_manifest_digest NAME:TAG           what the registry serves for it
#
# and a stand-in for Docker Hub (token service + blob CDN on other loopback
# addresses) in front of it, see tests/fixtures/registry/fakehub.py:
#
#   fakehub_start [OPTIONS]   exports FAKEHUB (127.0.0.2:PORT) and FAKEHUB_LOG
#   fakehub_stop
#
# Exports: REGISTRY (127.0.0.1:PORT), REGISTRY_DIR, REGISTRY_LOG.

REGISTRY_FIXTURES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/registry" && pwd)"
REGISTRY_PY=/usr/bin/python3

_registry_free_port() {
  "$REGISTRY_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

registry_start() {
  local dir="$BATS_FILE_TMPDIR/registry" port try n
  command -v docker-registry >/dev/null || { echo "registry_start: docker-registry is not installed (scripts/deps.sh)" >&2; return 1; }
  mkdir -p "$dir/data"
  for try in 1 2 3 4 5; do
    port=$(_registry_free_port)
    cat > "$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
    docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 3>&- &
    echo $! > "$dir/pid"
    for n in $(seq 100); do
      if curl -sf -o /dev/null "http://127.0.0.1:$port/v2/"; then
        export REGISTRY="127.0.0.1:$port" REGISTRY_DIR="$dir" REGISTRY_LOG="$dir/log"
        return 0
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
      sleep 0.1
    done
    _registry_kill "$dir/pid"
  done
  echo "registry_start: docker-registry did not start; its log:" >&2
  cat "$dir/log" >&2
  return 1
}

_registry_kill() {
  local pidfile=$1 pid n
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for n in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

registry_stop() {
  fakehub_stop
  _registry_kill "$BATS_FILE_TMPDIR/registry/pid"
}

registry_blob_path() {
  local hex=${1#sha256:}
  echo "$REGISTRY_DIR/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

registry_requests() {
  grep -E '^127\.0\.0\.1 - - ' "$REGISTRY_LOG" | grep -cE "$1" || true
}

registry_manifest_digest() {
  local name=${1%:*} tag=${1##*:}
  curl -sfI -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$REGISTRY/v2/$name/manifests/$tag" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}'
}

# Build the busybox images once per test file, in one OCI layout.
registry_layout() {
  local variant=$1 L="$BATS_FILE_TMPDIR/images/layout" W="$BATS_FILE_TMPDIR/images/work"
  if ! grep -q "\"$variant\"" "$L/index.json" 2>/dev/null; then
    mkdir -p "$W"
    [ -d "$L" ] || umoci init --layout "$L" >&2
    if ! grep -q '"busybox"' "$L/index.json"; then
      umoci new --image "$L:empty" >&2
      rm -rf "$W/b"
      umoci unpack --image "$L:empty" "$W/b" >&2
      cp -a "$RT_ROOTFS/." "$W/b/rootfs/"
      umoci repack --image "$L:busybox" "$W/b" >&2
      umoci config --image "$L:busybox" --config.cmd sh --config.env RT_IMAGE=busybox \
        --config.workingdir /root --config.label org.rt.test=busybox >&2
    fi
    case "$variant" in
      single|busybox) ;;
      layers)
        rm -rf "$W/l1" "$W/l2"
        umoci unpack --image "$L:busybox" "$W/l1" >&2
        echo "message of the day" > "$W/l1/rootfs/etc/motd"
        mkdir -p "$W/l1/rootfs/opt/dir"
        echo x > "$W/l1/rootfs/opt/dir/x"
        echo y > "$W/l1/rootfs/opt/dir/y"
        umoci repack --image "$L:layers-2" "$W/l1" >&2
        umoci unpack --image "$L:layers-2" "$W/l2" >&2
        rm "$W/l2/rootfs/etc/motd" "$W/l2/rootfs/opt/dir/x"
        echo new > "$W/l2/rootfs/opt/new"
        umoci repack --image "$L:layers" "$W/l2" >&2
        ;;
      multiplatform)
        local arch
        for arch in amd64 arm64; do
          rm -rf "$W/p-$arch"
          umoci unpack --image "$L:busybox" "$W/p-$arch" >&2
          echo "linux/$arch" > "$W/p-$arch/rootfs/etc/platform"
          umoci repack --image "$L:plat-$arch" "$W/p-$arch" >&2
          umoci config --image "$L:plat-$arch" --architecture "$arch" >&2
        done
        "$REGISTRY_PY" "$REGISTRY_FIXTURES/craft.py" index "$L" multiplatform plat-amd64 plat-arm64
        ;;
      *) echo "registry_layout: unknown variant $variant" >&2; return 1 ;;
    esac
  fi
  echo "$L"
}

registry_push_layout() {
  local src=$1 dst=$2
  skopeo copy --all --quiet --dest-tls-verify=false "oci:$src" "docker://$REGISTRY/$dst" >&2
}

registry_push_busybox() {
  local dst=$1 variant=${2:-single} L tag
  L=$(registry_layout "$variant") || return 1
  tag=$variant
  [ "$variant" = single ] && tag=busybox
  registry_push_layout "$L:$tag" "$dst"
}

fakehub_start() {
  local dir="$BATS_FILE_TMPDIR/fakehub" n
  fakehub_stop
  mkdir -p "$dir"
  rm -f "$dir/ports" "$dir/log"
  : > "$dir/log"
  "$REGISTRY_PY" "$REGISTRY_FIXTURES/fakehub.py" --upstream "$REGISTRY" --portfile "$dir/ports" \
    --log "$dir/log" "$@" > "$dir/out" 2>&1 3>&- &
  echo $! > "$dir/pid"
  for n in $(seq 100); do
    [ -s "$dir/ports" ] && break
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -s "$dir/ports" ]; then
    echo "fakehub_start: did not start:" >&2
    cat "$dir/out" >&2
    return 1
  fi
  export FAKEHUB="127.0.0.2:$(cut -d' ' -f1 "$dir/ports")" FAKEHUB_LOG="$dir/log"
}

fakehub_stop() {
  _registry_kill "$BATS_FILE_TMPDIR/fakehub/pid"
}
