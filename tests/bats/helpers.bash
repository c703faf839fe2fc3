# Shared by every test file: `load helpers` and call rt_setup / rt_teardown.
bats_load_library bats-support 2>/dev/null || load /usr/lib/bats/bats-support/load
bats_load_library bats-assert 2>/dev/null || load /usr/lib/bats/bats-assert/load
bats_load_library bats-file 2>/dev/null || load /usr/lib/bats/bats-file/load

bats_require_minimum_version 1.5.0

: "${RT_BIN:?run the suite with make test}"
: "${RT_ROOTFS:?run the suite with make test}"
export PATH="$RT_BIN:$PATH"

# Per test: fresh stores, and a snapshot of the host's mount table (PID 1's,
# outside the suite's private namespace) that must be byte-identical after.
rt_setup() {
  export RT_STATE="$BATS_TEST_TMPDIR/state" RT_ROOT="$BATS_TEST_TMPDIR/store" RT_CONFIG="$BATS_TEST_TMPDIR/config"
  # rt-run's default for root is a bridge (a veth, rules, a lease: ~0.7 s
  # per container here); tests that need no network keep to none, the
  # network tests (rt-run-net.bats) unset this.
  export RT_NETWORK=none
  HOST_MOUNTS_BEFORE="$BATS_TEST_TMPDIR/.host-mounts"
  cat /proc/1/mountinfo > "$HOST_MOUNTS_BEFORE"
}

rt_teardown() {
  rt_sanitizer_reports || return 1
  if ! cat /proc/1/mountinfo | cmp -s "$HOST_MOUNTS_BEFORE" -; then
    echo "the host's mount table changed during this test:" >&2
    diff "$HOST_MOUNTS_BEFORE" /proc/1/mountinfo >&2 || true
    return 1
  fi
}

# The sanitizer build (make asan): a report any process of rt wrote to
# $RT_SANITIZER_LOGS fails the test during which it appeared. It is shown,
# then moved to seen/ so that the next test starts clean.
rt_sanitizer_reports() {
  [ -n "${RT_SANITIZER_LOGS:-}" ] || return 0
  local f bad=0
  for f in "$RT_SANITIZER_LOGS"/*.[0-9]*; do
    [ -f "$f" ] || continue
    echo "sanitizer report $f:" >&2
    cat "$f" >&2
    mkdir -p "$RT_SANITIZER_LOGS/seen"
    mv "$f" "$RT_SANITIZER_LOGS/seen/"
    bad=1
  done
  return $bad
}

# A test that needs a chain tool other than rt-exec to be static (to run it
# after pivot_root): the sanitizer build links them dynamically.
skip_unless_static() {
  file -L "$1" 2>/dev/null | grep -q "statically linked" ||
    skip "$1 is dynamically linked (the sanitizer build: ASan cannot link static)"
}

# TOOL, whose entry point maps its binary with madvise before glibc's
# start-up (common/prefault.cpp, tools/rt-run/populate.cpp), still runs
# under a seccomp filter that refuses madvise: the pages fault in as before.
assert_runs_without_madvise() {
  local tool=$1 p=$BATS_TEST_TMPDIR/no-madvise.json
  printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["madvise"],"action":"SCMP_ACT_ERRNO"}]}' > "$p"
  run rt-exec --seccomp "$p" -- strace -qq -e trace=madvise -e signal=none "$RT_BIN/$tool" --version
  assert_success
  assert_line --regexp '^madvise\(0x400000, .*MADV_POPULATE_READ\) = -1 EPERM'
  assert_line --regexp "^$tool [0-9]+\.[0-9]+\.[0-9]+\$"
}

# Kill what a failed test left running, by the pids rt recorded (never by
# name), then let gc clean up records, cgroups and layers.
rt_stop_leftovers() {
  local f pid sup
  for f in "$RT_STATE"/containers/*/state.json; do
    [ -f "$f" ] || continue
    pid=$(jq -r .pid "$f"); sup=$(jq -r .supervisor "$f")
    [ "$pid" -gt 0 ] 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    [ "$sup" -gt 0 ] 2>/dev/null && kill -9 "$sup" 2>/dev/null || true
  done
  sleep 0.1
  rt-repl gc >/dev/null 2>&1 || true
}

# An OCI bundle for rt-oci at $B: a copy of the test rootfs and runc spec's
# config.json, without a terminal; rt-oci's --root at $ROOTDIR; a container
# id $1$$-N (N the test's number) in $ID. `spec FILTER` changes config.json.
oci_bundle_setup() {
  B="$BATS_TEST_TMPDIR/bundle"
  ROOTDIR="$BATS_TEST_TMPDIR/oci"
  mkdir -p "$B"
  cp -a "$RT_ROOTFS" "$B/rootfs"
  (cd "$B" && runc spec)
  spec '.process.terminal = false'
  ID="$1$$-$BATS_TEST_NUMBER"
}

# Change the bundle's config.json with a jq filter.
spec() {
  jq "$1" "$B/config.json" > "$B/c.json"
  mv "$B/c.json" "$B/config.json"
}

# A private copy of the busybox rootfs for tests that write into it.
rootfs_copy() {
  local d="$BATS_TEST_TMPDIR/rootfs"
  [ -d "$d" ] || cp -a "$RT_ROOTFS" "$d"
  echo "$d"
}

# Wait until a command succeeds (up to $1 tenths of a second).
wait_until() {
  local n=$1; shift
  while [ "$n" -gt 0 ]; do
    "$@" && return 0
    sleep 0.1
    n=$((n - 1))
  done
  "$@"
}

# A console socket at PATH (tests/probes/console-socket.py, as containerd's
# shim holds one), receiving in the background what the terminal whose
# master is sent there shows; returns once it listens.
console_socket_listen() {
  rm -f "$1"
  python3 "$BATS_TEST_DIRNAME/../probes/console-socket.py" "$1" > "$BATS_TEST_TMPDIR/console.out" 3>&- &
  CONSOLE_RECEIVER=$!
  wait_until 50 test -S "$1"
}

# Wait for that receiver to finish (the terminal closed), then `run cat` what
# it got: the message sent with the master ("/dev/ptmx"), then the output.
console_socket_output() {
  wait "$CONSOLE_RECEIVER"
  run cat "$BATS_TEST_TMPDIR/console.out"
}

# True when process PID has a handler installed for signal number SIG
# (bit SIG-1 of SigCgt in /proc/PID/status).
catches_signal() {
  local mask
  mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null)
  [ -n "$mask" ] && (( (16#$mask >> ($2 - 1)) & 1 ))
}

# The long options a man page names, one a line: roff's "\-" read as "-",
# each name whole ("--memory-swap" does not document "--memory").
man_options() { sed 's/\\-/-/g' "$1" | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u; }

# Every long option in TOOL --help must appear in man/TOOL.1, by its whole name.
check_help_matches_man() {
  local tool=$1 man=$2 documented opt missing=""
  documented=$(man_options "$man")
  for opt in $("$tool" --help | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u); do
    grep -qxF -- "$opt" <<<"$documented" || missing="$missing $opt"
  done
  [ -z "$missing" ] || { echo "options in $tool --help missing from $man:$missing" >&2; return 1; }
}

# Nothing of network attachment $1 (on network $2, default "bridge", whose
# bridge is $BR) is left: no namespace mount or file, no record, no veth on
# the bridge, no iptables rule naming it, no host-local lease.
assert_net_gone() {
  local id=$1 net=${2:-bridge}
  refute [ -e "$RT_STATE/netns/$id" ]
  refute [ -e "$RT_STATE/netns/$id.json" ]
  run grep -c "netns/$id" /proc/self/mountinfo
  assert_output 0
  run ls "/sys/class/net/$BR/brif"
  assert_output ""
  run sh -c "iptables-save | grep -c -- '$id'"
  assert_output 0
  # host-local's lease files hold "ID\r\nIFNAME"
  run sh -c "grep -rl -- '^$id.\\?\$' '$RT_STATE/cni-ipam/$net' 2>/dev/null | wc -l"
  assert_output 0
}

# A busybox image made from the test rootfs, as an OCI archive at
# $1/busybox.tar named docker.io/library/busybox:latest (for engines that
# import images: containerd, podman).
make_busybox_archive() {
  local L="$1/layout" W="$1/work"
  umoci init --layout "$L" >&2
  umoci new --image "$L:empty" >&2
  umoci unpack --image "$L:empty" "$W" >&2
  cp -a "$RT_ROOTFS/." "$W/rootfs/"
  umoci repack --image "$L:busybox" "$W" >&2
  umoci config --image "$L:busybox" --config.cmd sh >&2
  skopeo copy --quiet "oci:$L:busybox" "oci-archive:$1/busybox.tar:docker.io/library/busybox:latest" >&2
}

# run "$1" under script(1) in a new pty, with a stdin that stays open: at
# EOF on its stdin script ends the pty's input, and an engine that forwards
# it (podman -i, ctr -t) may then detach before the container's output has
# arrived (podman does so with crun as well). CI's stdin is /dev/null.
run_in_pty() {
  local fd pid
  exec {fd}< <(exec sleep 300 3>&-)
  pid=$!
  run script -qec "$1" /dev/null <&"$fd"
  exec {fd}<&-
  kill "$pid" 2>/dev/null || true
}
