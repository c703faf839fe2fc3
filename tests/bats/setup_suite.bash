# Suite-wide: remember what existed before, and after the whole suite make
# sure rt left nothing behind: no cgroup, no veth/bridge, no process, no mount
# in the host's table.

# Another suite's groups (rt-suite-PID, scripts/run-tests.sh) and what is
# below them are its own business.
rt_cgroups() {
  find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d \( -name 'rt-*' -o -name 'rt' -o -name 'rt.*' \) 2>/dev/null |
    awk -v own="${RT_SUITE_CGROUP:-}" 'match($0, /\/rt-suite-[0-9]+(\/|$)/) {
        s = substr($0, RSTART + 1, RLENGTH - 1); sub(/\/$/, "", s); if (s != own) next
      } { print }' | sort
}
rt_links() { ip -o link 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^(rt|veth)' | sort || true; }
rt_procs() {
  # processes running a binary from this build
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    case "$exe" in "$RT_BIN"/*) echo "${p#/proc/} $exe" ;; esac
  done
}

# The host's own places of rt: rt-oci's default --root, the default
# RT_STATE, RT_ROOT and RT_CONFIG. Every test gives each of them its own
# (rt_setup, rt-oci --root): anything there after the suite that was not
# before, an empty directory too, is a test that did not. (Only what is
# left: rt-oci's default root is also the one `make oci-validate` uses,
# which may run beside the suite.)
rt_host_dirs() { find /run/rt-oci /run/rt /var/lib/rt /etc/rt 2>/dev/null | sort || true; }

# The CNI plugins' shared chains (portmap's CNI-HOSTPORT-*, firewall's
# CNI-FORWARD/CNI-ADMIN) outlive the containers by the plugins' design. The
# suite removes them after itself when they were not there before it and no
# per-container rule is left in them.
cni_chains() { iptables-save 2>/dev/null | grep -o '^:CNI-[A-Z-]*' | tr -d : | sort || true; }
remove_cni_chains() {
  local t c
  for t in filter nat; do
    iptables -t "$t" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j CNI-(FORWARD|HOSTPORT-DNAT|HOSTPORT-MASQ)$' |
      sed 's/^-A/-D/' | while read -r rule; do eval "iptables -t $t $rule" || true; done
    for c in CNI-FORWARD CNI-ADMIN CNI-HOSTPORT-DNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK; do
      iptables -t "$t" -F "$c" 2>/dev/null && iptables -t "$t" -X "$c" 2>/dev/null || true
    done
  done
}

setup_suite() {
  : "${RT_BIN:?run the suite with make test}"
  cni_chains > "$BATS_SUITE_TMPDIR/cni-chains.before"
  export RT_SUITE_STATE="$BATS_SUITE_TMPDIR"
  rt_cgroups > "$BATS_SUITE_TMPDIR/cgroups.before"
  rt_links > "$BATS_SUITE_TMPDIR/links.before"
  rt_host_dirs > "$BATS_SUITE_TMPDIR/host-dirs.before"
  cat /proc/1/mountinfo > "$BATS_SUITE_TMPDIR/host-mounts.before"
  awk '{print $5}' /proc/self/mountinfo | sort > "$BATS_SUITE_TMPDIR/suite-mounts.before"
}

teardown_suite() {
  local bad=0
  sleep 0.2
  # Only what the suite added counts: a group or link left by an earlier,
  # killed run may be collected by a test's gc, and that is no leak.
  local new
  rt_cgroups > "$BATS_SUITE_TMPDIR/cgroups.after"
  new=$(comm -13 "$BATS_SUITE_TMPDIR/cgroups.before" "$BATS_SUITE_TMPDIR/cgroups.after")
  # A container that another process on the host runs at that moment (a
  # bench, a second suite's --path or --parent test) has a group outside
  # this suite's too; such a group comes and goes, a leak stays: only what
  # is still there a second later, under the same name, counts.
  if [ -n "$new" ]; then
    sleep 1
    new=$(rt_cgroups | comm -12 <(printf '%s\n' "$new") -)
  fi
  if [ -n "$new" ]; then
    printf '%s\n' "$new" >&2; echo "leak: cgroups of rt left behind (above)" >&2; bad=1
  fi
  # Per-container rules name the container (portmap's CNI-DN-*, firewall's
  # per-id chains): any left is a leak; the shared chains are removed when
  # the suite made them.
  local extra
  extra=$(cni_chains | grep -vxE 'CNI-(FORWARD|ADMIN|HOSTPORT-DNAT|HOSTPORT-MASQ|HOSTPORT-SETMARK)' |
    comm -13 <(grep -vxE 'CNI-(FORWARD|ADMIN|HOSTPORT-DNAT|HOSTPORT-MASQ|HOSTPORT-SETMARK)' "$BATS_SUITE_TMPDIR/cni-chains.before") - || true)
  if [ -n "$extra" ]; then
    printf '%s\n' "$extra" >&2; echo "leak: per-container CNI firewall chains left behind (above)" >&2; bad=1
  elif [ ! -s "$BATS_SUITE_TMPDIR/cni-chains.before" ]; then
    remove_cni_chains
  fi
  rt_links > "$BATS_SUITE_TMPDIR/links.after"
  new=$(comm -13 "$BATS_SUITE_TMPDIR/links.before" "$BATS_SUITE_TMPDIR/links.after")
  if [ -n "$new" ]; then
    printf '%s\n' "$new" >&2; echo "leak: network links of rt left behind (above)" >&2; bad=1
  fi
  new=$(rt_host_dirs | comm -13 "$BATS_SUITE_TMPDIR/host-dirs.before" -)
  if [ -n "$new" ]; then
    printf '%s\n' "$new" >&2; echo "leak: left in the host's /run/rt-oci, /run/rt, /var/lib/rt or /etc/rt (above)" >&2; bad=1
  fi
  local procs; procs=$(rt_procs)
  if [ -n "$procs" ]; then echo "leak: rt processes still running: $procs" >&2; bad=1; fi
  if ! cat /proc/1/mountinfo | cmp -s "$BATS_SUITE_TMPDIR/host-mounts.before" -; then
    echo "leak: the host's mount table changed during the suite" >&2; bad=1
  fi
  # a sanitizer report from a process that outlived its test (make asan)
  if [ -n "${RT_SANITIZER_LOGS:-}" ] && ls "$RT_SANITIZER_LOGS"/*.[0-9]* >/dev/null 2>&1; then
    head -n 50 "$RT_SANITIZER_LOGS"/*.[0-9]* >&2
    echo "sanitizer reports after the last test (above, in $RT_SANITIZER_LOGS)" >&2; bad=1
  fi
  # and nothing left mounted in the suite's own namespace either
  awk '{print $5}' /proc/self/mountinfo | sort > "$BATS_SUITE_TMPDIR/suite-mounts.after"
  if ! diff "$BATS_SUITE_TMPDIR/suite-mounts.before" "$BATS_SUITE_TMPDIR/suite-mounts.after" >&2; then
    echo "leak: mounts left in the suite's namespace (above)" >&2; bad=1
  fi
  return $bad
}
