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
  export RT_STATE="$BATS_TEST_TMPDIR/state" RT_ROOT="$BATS_TEST_TMPDIR/store"
  HOST_MOUNTS_BEFORE="$BATS_TEST_TMPDIR/.host-mounts"
  cat /proc/1/mountinfo > "$HOST_MOUNTS_BEFORE"
}

rt_teardown() {
  if ! cat /proc/1/mountinfo | cmp -s "$HOST_MOUNTS_BEFORE" -; then
    echo "the host's mount table changed during this test:" >&2
    diff "$HOST_MOUNTS_BEFORE" /proc/1/mountinfo >&2 || true
    return 1
  fi
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

# Every long option in TOOL --help must appear in man/TOOL.1.
check_help_matches_man() {
  local tool=$1 man=$2 opt missing=""
  for opt in $("$tool" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    grep -qE -- "\\\\-\\\\-${opt#--}|${opt}" "$man" || missing="$missing $opt"
  done
  [ -z "$missing" ] || { echo "options in $tool --help missing from $man:$missing" >&2; return 1; }
}
