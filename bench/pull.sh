#!/bin/bash
# Benchmark: pull and unpack a multi-layer image from a local registry.
#
#   bench/pull.sh BUILD_DIR        (binaries in BUILD_DIR/bin; run as root)
#
# The image (about 90 MB compressed, 170 MB and 10,000+ files unpacked,
# five layers, the last one whiteouts and an opaque directory) is generated
# here from files of /usr and a deterministic pseudo-random stream, pushed
# to a docker-registry started here on 127.0.0.1, and pulled by:
#
#   rt-pull          rt-pull --root STORE REF
#   skopeo+umoci     skopeo copy docker://REF oci:DIR && umoci unpack
#   curl|tar floor   for each layer in turn: curl BLOB | tar -xz (ignores
#                    whiteouts, verifies nothing: a floor, not a peer)
#
# side by side with hyperfine, the store on a tmpfs (mounted only inside
# `unshare --mount`) and once on disk, then the time of re-pulling the image
# when it is present. Medians and ratios to rt-pull are printed (bench/lib.sh). Everything it starts or creates is
# gone when it exits.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi  # bench/run.sh runs us with sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build=${1:?usage: bench/pull.sh BUILD_DIR}
build=$(cd "$build" && pwd)
BIN="$build/bin"
[ -x "$BIN/rt-pull" ] || { echo "pull.sh: $BIN/rt-pull not found (make release)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "pull.sh: run as root (tmpfs mount, umoci unpack)" >&2; exit 1; }
for t in hyperfine docker-registry skopeo umoci curl jq gzip openssl unshare; do
  command -v "$t" >/dev/null || { echo "pull.sh: $t is missing (scripts/deps.sh --bench)" >&2; exit 1; }
done
RUNS=${PULL_BENCH_RUNS:-10}
DISK_RUNS=${PULL_BENCH_DISK_RUNS:-3}

work=$(mktemp -d /var/tmp/rt-bench-pull.XXXXXX)
reg_pid=""
cleanup() {
  if [ -n "$reg_pid" ]; then
    kill "$reg_pid" 2>/dev/null || true
    wait "$reg_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "pull.sh: $*" >&2; }

# ---- the image ----
say "generating the image in $work"
img="$work/img"
mkdir -p "$img/lists" "$img/tars"
# 1: shared libraries (about 60 MB), 2: headers, 3: small files of /usr/share,
# 4: 55 MB of incompressible data, 5: whiteouts, an opaque directory, new files.
set +o pipefail  # head and awk stop reading early
find /usr/lib/x86_64-linux-gnu -maxdepth 1 \( -type f -o -type l \) -name '*.so*' -size -8M -printf '%s %p\n' |
  sort -k2 | awk '{ s += $1; if (s > 60e6) exit; print $2 }' | sed 's|^/||' > "$img/lists/1"
find /usr/include \( -type f -o -type l \) | sort | head -4500 | sed 's|^/||' > "$img/lists/2"
find /usr/share \( -type f -o -type l \) -size -200k | sort | head -5000 | sed 's|^/||' > "$img/lists/3"
set -o pipefail
for i in 1 2 3; do
  tar -C / --no-recursion --owner=0 --group=0 -cf "$img/tars/$i.tar" -T "$img/lists/$i"
done
mkdir -p "$img/s4/var/lib/data"
{ openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 0 -nosalt < /dev/zero 2>/dev/null || true; } |
  head -c 55000000 > "$img/rnd"
for i in $(seq 0 10); do
  dd if="$img/rnd" of="$img/s4/var/lib/data/blob$i" bs=5000000 skip="$i" count=1 status=none
done
rm "$img/rnd"
tar -C "$img/s4" --owner=0 --group=0 -cf "$img/tars/4.tar" .
s5="$img/s5"
mkdir -p "$s5/opt/new"
# delete every 8th header, make the first directory of layer 3 opaque
awk 'NR % 8 == 0' "$img/lists/2" | while read -r p; do
  mkdir -p "$s5/$(dirname "$p")"
  : > "$s5/$(dirname "$p")/.wh.$(basename "$p")"
done
opq=$(head -1 "$img/lists/3" | cut -d/ -f1-3)
mkdir -p "$s5/$opq"
: > "$s5/$opq/.wh..wh..opq"
echo replaced > "$s5/$opq/only-file"
for i in $(seq 1 300); do echo "new file $i" > "$s5/opt/new/f$i"; done
tar -C "$s5" --owner=0 --group=0 -cf "$img/tars/5.tar" .
rm -rf "$img/s4" "$s5"

layout="$img/layout"
mkdir -p "$layout/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
layers="[]" diffs="[]" files=0 unpacked=0 compressed=0
for i in 1 2 3 4 5; do
  t="$img/tars/$i.tar"
  diff=$(sha256sum "$t" | cut -d' ' -f1)
  files=$((files + $(tar -tf "$t" | grep -vc '/$' || true)))
  unpacked=$((unpacked + $(stat -c %s "$t")))
  gzip -6 -n -c "$t" > "$img/l.gz"
  dg=$(sha256sum "$img/l.gz" | cut -d' ' -f1)
  size=$(stat -c %s "$img/l.gz")
  compressed=$((compressed + size))
  mv "$img/l.gz" "$layout/blobs/sha256/$dg"
  rm "$t"
  layers=$(jq -c --arg d "sha256:$dg" --argjson s "$size" \
    '. + [{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":$d,"size":$s}]' <<< "$layers")
  diffs=$(jq -c --arg d "sha256:$diff" '. + [$d]' <<< "$diffs")
done
config=$(jq -cn --argjson diffs "$diffs" \
  '{architecture:"amd64",os:"linux",created:"2024-01-01T00:00:00Z",config:{Cmd:["sh"]},rootfs:{type:"layers",diff_ids:$diffs}}')
cdg=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
printf '%s' "$config" > "$layout/blobs/sha256/$cdg"
manifest=$(jq -cn --arg c "sha256:$cdg" --argjson cs "${#config}" --argjson layers "$layers" \
  '{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},layers:$layers}')
mdg=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)
printf '%s' "$manifest" > "$layout/blobs/sha256/$mdg"
jq -n --arg d "sha256:$mdg" --argjson s "${#manifest}" \
  '{schemaVersion:2,manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,annotations:{"org.opencontainers.image.ref.name":"bench"}}]}' \
  > "$layout/index.json"

# ---- the registry ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break
  sleep 0.1
done
REF="127.0.0.1:$port/bench:latest"
skopeo copy --quiet --dest-tls-verify=false "oci:$layout:bench" "docker://$REF"
rm -rf "$img"
say "image: $REF, 5 layers, $files files, $((compressed / 1000000)) MB compressed, $((unpacked / 1000000)) MB unpacked"

# The floor: each layer in turn, straight from the registry into tar.
cat > "$work/floor.sh" <<EOF
#!/bin/sh
set -e
dir=\$1
i=0
for d in $(jq -r '.[].digest' <<< "$layers" | tr '\n' ' '); do
  i=\$((i + 1))
  mkdir -p "\$dir/\$i"
  curl -sf "http://127.0.0.1:$port/v2/bench/blobs/\$d" | tar -xzf - -C "\$dir/\$i"
done
EOF
chmod +x "$work/floor.sh"

# Run the three side by side with the store in $1; results in $2.json.
# Between runs the previous output is moved aside, not deleted: on ext4,
# creating files right after deleting thousands costs far more kernel time
# (recently freed inodes are skipped), which would blur the comparison.
# (On tmpfs, where that does not matter and space is short, they are deleted.)
measure() {
  local dir=$1 out=$2 runs=$3 how=$4
  mkdir -p "$dir/trash"
  local aside="mkdir -p $dir/trash/\$\$; for d in $dir/rt $dir/oci $dir/bundle $dir/seq; do [ ! -e \$d ] || mv \$d $dir/trash/\$\$/; done"
  [ "$how" = delete ] && aside="rm -rf $dir/rt $dir/oci $dir/bundle $dir/seq"
  hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$out.json" \
    -n rt-pull --prepare "$aside" "$BIN/rt-pull -q --root $dir/rt $REF" \
    -n skopeo+umoci --prepare "$aside" \
    "skopeo copy --quiet --src-tls-verify=false docker://$REF oci:$dir/oci:bench && umoci unpack --image $dir/oci:bench $dir/bundle >/dev/null" \
    -n 'curl|tar' --prepare "$aside" "$work/floor.sh $dir/seq" >&2
  rm -rf "$dir/oci" "$dir/bundle" "$dir/seq" "$dir/trash" "$dir/rt"
  # the image is present: re-pull
  "$BIN/rt-pull" -q --root "$dir/rt" "$REF" >/dev/null
  hyperfine --style basic --runs 30 --warmup 3 --export-json "$out-repull.json" \
    -n re-pull "$BIN/rt-pull -q --root $dir/rt $REF" >&2
  rm -rf "$dir/rt"
}
export -f measure
export BIN REF work

say "store on tmpfs"
mkdir -p "$work/tmpfs"
unshare --mount --propagation private -- bash -c "
  set -e
  mount -t tmpfs -o size=4g,mode=0700 rt-bench '$work/tmpfs'
  measure '$work/tmpfs' '$work/tmpfs-result' $RUNS delete
  umount '$work/tmpfs'
"
say "store on disk ($(df --output=fstype "$work" | tail -1 | tr -d ' '))"
mkdir -p "$work/disk"
measure "$work/disk" "$work/disk-result" "$DISK_RUNS" aside

echo
echo "rt-pull benchmark: $files files, $((compressed / 1000000)) MB compressed, $((unpacked / 1000000)) MB unpacked, 5 layers (whiteouts in the last)"
for where in tmpfs disk; do
  ratios "$work/$where-result.json" "store on $where" rt-pull
  ratios "$work/$where-result-repull.json" "image present, store on $where" re-pull
done
