# Suite-wide: remember what existed before, and after the whole suite make
# sure rt left nothing behind: no cgroup, no veth/bridge, no process, no mount
# in the host's table.

rt_cgroups() {
  find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d \( -name 'rt-*' -o -name 'rt' -o -name 'rt.*' \) 2>/dev/null | sort
}
rt_links() { ip -o link 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^(rt|veth)' | sort || true; }
rt_procs() {
  # processes running a binary from this build
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    case "$exe" in "$RT_BIN"/*) echo "${p#/proc/} $exe" ;; esac
  done
}

setup_suite() {
  : "${RT_BIN:?run the suite with make test}"
  export RT_SUITE_STATE="$BATS_SUITE_TMPDIR"
  rt_cgroups > "$BATS_SUITE_TMPDIR/cgroups.before"
  rt_links > "$BATS_SUITE_TMPDIR/links.before"
  cat /proc/1/mountinfo > "$BATS_SUITE_TMPDIR/host-mounts.before"
  awk '{print $5}' /proc/self/mountinfo | sort > "$BATS_SUITE_TMPDIR/suite-mounts.before"
}

teardown_suite() {
  local bad=0
  sleep 0.2
  rt_cgroups > "$BATS_SUITE_TMPDIR/cgroups.after"
  if ! diff "$BATS_SUITE_TMPDIR/cgroups.before" "$BATS_SUITE_TMPDIR/cgroups.after" >&2; then
    echo "leak: cgroups of rt left behind (above)" >&2; bad=1
  fi
  rt_links > "$BATS_SUITE_TMPDIR/links.after"
  if ! diff "$BATS_SUITE_TMPDIR/links.before" "$BATS_SUITE_TMPDIR/links.after" >&2; then
    echo "leak: network links of rt left behind (above)" >&2; bad=1
  fi
  local procs; procs=$(rt_procs)
  if [ -n "$procs" ]; then echo "leak: rt processes still running: $procs" >&2; bad=1; fi
  if ! cat /proc/1/mountinfo | cmp -s "$BATS_SUITE_TMPDIR/host-mounts.before" -; then
    echo "leak: the host's mount table changed during the suite" >&2; bad=1
  fi
  # and nothing left mounted in the suite's own namespace either
  awk '{print $5}' /proc/self/mountinfo | sort > "$BATS_SUITE_TMPDIR/suite-mounts.after"
  if ! diff "$BATS_SUITE_TMPDIR/suite-mounts.before" "$BATS_SUITE_TMPDIR/suite-mounts.after" >&2; then
    echo "leak: mounts left in the suite's namespace (above)" >&2; bad=1
  fi
  return $bad
}
