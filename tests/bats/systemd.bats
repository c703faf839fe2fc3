#!/usr/bin/env bats
# rt-oci --systemd-cgroup where systemd runs: a real systemd (Debian's) is
# booted as PID 1 of namespaces of its own (pid, mount, cgroup, net, uts,
# ipc) with its own /run and a cgroup2 tree rooted in a group this file
# makes below its own v2 cgroup, and only a target of its own (no service
# starts). rt-oci runs inside it, talks to it over /run/systemd/private
# (rt-systemd, sd-bus) and is checked with systemctl. The systemd is killed
# by its pid after the file; its group goes with it.

load helpers
bats_require_minimum_version 1.5.0

SYSTEMD=/lib/systemd/systemd

# What the tests that need the booted systemd skip with ("" when it runs).
export SD_MISSING=""
need_systemd() { [ -z "$SD_MISSING" ] || skip "$SD_MISSING"; }

setup_file() {
  [ -x "$SYSTEMD" ] || { export SD_MISSING="no $SYSTEMD (Debian package systemd)"; return 0; }
  command -v systemctl >/dev/null || { export SD_MISSING="no systemctl (Debian package systemd)"; return 0; }
  # A cgroup2 hierarchy to give it: /sys/fs/cgroup on a v2 host, the
  # unified one on a hybrid host.
  local v2 self
  v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
  [ -n "$v2" ] || { export SD_MISSING="no cgroup v2 hierarchy mounted (the test's systemd needs one to own)"; return 0; }
  self=$(sed -n 's/^0:://p' /proc/self/cgroup)
  export SD_CG="$v2${self%/}/rt-systemd-test-$$"
  export SD_DIR="$BATS_FILE_TMPDIR/systemd"
  mkdir -p "$SD_DIR/units"
  printf '[Unit]\nDescription=rt test target\n' >"$SD_DIR/units/rt-test.target"
  : >"$SD_DIR/console"
  # Inside: a /run and a cgroup2 of its own (the host's cgroup mounts
  # unmounted first: inside, the host is pure v2), /proc/sys read-only
  # (systemd must not raise the host's fs.nr_open), its console a file.
  cat >"$SD_DIR/boot" <<EOF
#!/bin/sh
set -e
mount -t tmpfs -o mode=755 rt-test-run /run
umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup 2>/dev/null || true
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount --bind "$SD_DIR/console" /dev/console
export container=rt-test SYSTEMD_UNIT_PATH="$SD_DIR/units"
exec $SYSTEMD --unit=rt-test.target --log-target=console --log-level=info --show-status=no
EOF
  chmod +x "$SD_DIR/boot"
  mkdir "$SD_CG"
  (echo "$BASHPID" >"$SD_CG/cgroup.procs" &&
    exec unshare --cgroup --pid --mount --net --uts --ipc --fork --mount-proc "$SD_DIR/boot") \
    </dev/null >"$SD_DIR/unshare.log" 2>&1 3>&- &
  export SD_UNSHARE=$!
  local i
  for i in $(seq 100); do
    SD_PID=$(cat "/proc/$SD_UNSHARE/task/$SD_UNSHARE/children" 2>/dev/null | awk '{print $1}')
    [ -n "$SD_PID" ] && nsenter -t "$SD_PID" -m test -S /run/systemd/private 2>/dev/null && break
    sleep 0.1
  done
  export SD_PID
  # The callers' group: a process must be in the systemd's cgroup tree for
  # it to move it into a scope.
  mkdir -p "$SD_CG/rt-test-callers"
  for i in $(seq 100); do
    in_systemd systemctl is-system-running 2>/dev/null | grep -qE '^(running|degraded)$' && return 0
    sleep 0.1
  done
  echo "the test's systemd did not come up:" >&2
  cat "$SD_DIR/unshare.log" "$SD_DIR/console" >&2
  return 1
}

teardown_file() {
  [ -n "${SD_CG:-}" ] || return 0
  [ -n "${SD_PID:-}" ] && kill -KILL "$SD_PID" 2>/dev/null
  local i
  for i in $(seq 100); do
    [ -e "/proc/$SD_UNSHARE" ] || break
    sleep 0.1
  done
  # Every group it made, deepest first (they are empty once it is dead).
  for i in $(seq 50); do
    find "$SD_CG" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -e "$SD_CG" ] || break
    sleep 0.1
  done
  [ ! -e "$SD_CG" ] || { echo "left: $SD_CG" >&2; return 1; }
}

# Run a command in the systemd's namespaces, from a group in its tree.
in_systemd() {
  (echo "$BASHPID" >"$SD_CG/rt-test-callers/cgroup.procs" && exec nsenter -t "$SD_PID" -a "$@")
}

setup() {
  rt_setup
  oci_bundle_setup sd
}

teardown() {
  local st
  [ -n "${SD_PID:-}" ] && for st in "$ROOTDIR"/*/state.json; do
    [ -f "$st" ] || continue
    in_systemd rt-oci --root "$ROOTDIR" delete --force "$(jq -r .id "$st")" || true
  done
  rt_teardown
}

oci() { in_systemd rt-oci --root "$ROOTDIR" --systemd-cgroup "$@"; }
prop() { in_systemd systemctl show "$1" -p "$2" --value; }
is_active() { [ "$(prop "$1" ActiveState 2>/dev/null)" = active ]; }
has_status() { [ "$(in_systemd rt-oci --root "$ROOTDIR" state "$1" | jq -r .status)" = "$2" ]; }

@test "--systemd-cgroup: the container is a transient scope of systemd's with its limits; exec joins it; delete stops it" {
  need_systemd
  spec ".process.args = [\"sleep\", \"1000\"] | .linux.cgroupsPath = \"system.slice:rt-test:$ID\"
        | .linux.resources.memory = {\"limit\": 67108864} | .linux.resources.pids = {\"limit\": 30}
        | .linux.resources.cpu = {\"quota\": 50000, \"period\": 100000}"
  local unit="rt-test-$ID.scope" pid
  oci run -d --bundle "$B" "$ID" </dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>&1 3>&-
  assert_equal "$(prop "$unit" ActiveState)" active
  assert_equal "$(prop "$unit" ControlGroup)" "/system.slice/$unit"
  assert_equal "$(prop "$unit" Delegate)" yes
  assert_equal "$(prop "$unit" Description)" "rt-oci container $ID"
  assert_equal "$(prop "$unit" MemoryMax)" 67108864
  assert_equal "$(prop "$unit" TasksMax)" 30
  assert_equal "$(prop "$unit" CPUQuotaPerSecUSec)" 500ms
  # The init is in the scope's group, as systemd shows it.
  pid=$(in_systemd rt-oci --root "$ROOTDIR" state "$ID" | jq -r .pid)
  in_systemd systemctl status "$unit" --no-pager | grep -qE "[^0-9]$pid sleep 1000" ||
    fail "init $pid not in $unit: $(in_systemd systemctl status "$unit" --no-pager)"
  # (not through `run`: the detached sleep would hold its output open)
  in_systemd rt-oci --root "$ROOTDIR" exec --detach "$ID" sleep 1001 </dev/null >/dev/null 2>&1 3>&-
  in_systemd systemctl status "$unit" --no-pager | grep -qE "[^0-9][0-9]+ sleep 1001" ||
    fail "exec not in $unit: $(in_systemd systemctl status "$unit" --no-pager)"
  run in_systemd rt-oci --root "$ROOTDIR" ps "$ID"
  assert_line "$pid"
  assert_equal "${#lines[@]}" 3
  # update: systemd gets the limits it has properties for and writes them.
  run oci --explain update --pids-limit 40 --memory 128M "$ID"
  assert_success
  assert_line --regexp "^[^ ]*/rt-systemd --update $unit --memory 134217728 --pids 40\$"
  run oci update --pids-limit 40 --memory 128M "$ID"
  assert_success
  assert_equal "$(prop "$unit" TasksMax)" 40
  assert_equal "$(prop "$unit" MemoryMax)" 134217728
  assert_equal "$(prop "$unit" MemorySwapMax)" 67108864
  run in_systemd rt-oci --root "$ROOTDIR" delete --force "$ID"
  assert_success
  assert_equal "$(prop "$unit" LoadState)" not-found
  [ ! -e "$SD_CG/system.slice/$unit" ]
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "--systemd-cgroup: pause and resume are systemd's FreezeUnit and ThawUnit: systemd knows the scope is frozen" {
  need_systemd
  spec ".process.args = [\"sleep\", \"1000\"] | .linux.cgroupsPath = \"system.slice:rt-test:$ID\""
  local unit="rt-test-$ID.scope"
  oci run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
  assert_equal "$(prop "$unit" CanFreeze)" yes
  assert_equal "$(prop "$unit" FreezerState)" running
  run oci pause "$ID"
  assert_success
  # systemd froze it (not a write behind its back): its own state says so,
  # and the kernel's.
  assert_equal "$(prop "$unit" FreezerState)" frozen
  grep -qx 'frozen 1' "$SD_CG/system.slice/$unit/cgroup.events"
  has_status "$ID" paused
  run oci pause "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: pause: container $ID is paused"
  run oci resume "$ID"
  assert_success
  assert_equal "$(prop "$unit" FreezerState)" running
  grep -qx 'frozen 0' "$SD_CG/system.slice/$unit/cgroup.events"
  has_status "$ID" running
  # A frozen scope is deleted as well.
  oci pause "$ID"
  run in_systemd rt-oci --root "$ROOTDIR" delete --force "$ID"
  assert_success
  assert_equal "$(prop "$unit" LoadState)" not-found
  [ ! -e "$SD_CG/system.slice/$unit" ]
}

@test "--systemd-cgroup: default rt-oci-ID.scope in system.slice; the scope goes when the container ends" {
  need_systemd
  # No cgroup namespace (and no cgroupfs mount, for which rt-oci makes one):
  # the container sees where its group is.
  spec '.process.args = ["cat", "/proc/self/cgroup"] | .linux.namespaces |= map(select(.type != "cgroup"))
        | .mounts |= map(select(.type != "cgroup" and .type != "cgroup2"))'
  run oci run --bundle "$B" "$ID" 3>&-
  assert_success
  assert_line "0::/system.slice/rt-oci-$ID.scope"
  assert_equal "$(prop "rt-oci-$ID.scope" LoadState)" not-found
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "--systemd-cgroup: a NAME ending in .slice is one line before systemd is asked (systemd keeps no process in a slice); the slice as SLICE is made" {
  need_systemd
  local n="x${ID//-/_}"  # one slice below system.slice: no dash
  spec ".process.args = [\"cat\", \"/proc/self/cgroup\"] | .linux.cgroupsPath = \"system.slice:rt-test:system-$n.slice\"
        | .linux.namespaces |= map(select(.type != \"cgroup\"))
        | .mounts |= map(select(.type != \"cgroup\" and .type != \"cgroup2\"))"
  run oci create --bundle "$B" "$ID" 3>&-
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.cgroupsPath: 'system.slice:rt-test:system-$n.slice': NAME ending in .slice asks for a slice, and systemd keeps no process in a slice (it refuses runc's too): give NAME without .slice and the slice as SLICE"
  # (systemctl show loads any slice it is asked of: it never ran)
  assert_equal "$(prop "system-$n.slice" ActiveState)" inactive
  [ ! -e "$SD_CG/system.slice/system-$n.slice" ]
  [ ! -e "$ROOTDIR/$ID" ]
  # What the user meant: a slice of their own, given as SLICE, which
  # systemd makes (nested at its dashes) for the scope.
  spec ".linux.cgroupsPath = \"system-$n.slice:rt-test:$ID\""
  run oci run --bundle "$B" "$ID" 3>&-
  assert_success
  assert_line "0::/system.slice/system-$n.slice/rt-test-$ID.scope"
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "--systemd-cgroup: a unit of that name exists already: one clear line, the other unit untouched, nothing left" {
  need_systemd
  in_systemd systemd-run --quiet --scope --unit "rt-test-$ID.scope" sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
  local other=$!
  wait_until 100 is_active "rt-test-$ID.scope" ||
    { in_systemd systemctl status "rt-test-$ID.scope" --no-pager; false; }
  spec ".linux.cgroupsPath = \":rt-test:$ID\""
  run oci create --bundle "$B" "$ID" 3>&-
  assert_equal "$status" 125
  assert_line "rt-systemd: cannot start systemd scope rt-test-$ID.scope: it exists already (a container of that name? systemctl stop rt-test-$ID.scope)"
  [ ! -e "$ROOTDIR/$ID" ]
  assert_equal "$(prop "rt-test-$ID.scope" ActiveState)" active
  run in_systemd rt-systemd --stop "rt-test-$ID.scope" --only-description "rt-oci container $ID"
  assert_success
  assert_equal "$(prop "rt-test-$ID.scope" ActiveState)" active
  run in_systemd rt-systemd --stop "rt-test-$ID.scope"
  assert_success
  wait "$other" || true
  assert_equal "$(prop "rt-test-$ID.scope" LoadState)" not-found
}

@test "rt-systemd: --scope puts the program in a new scope with its limits; --update; --stop" {
  need_systemd
  run in_systemd rt-systemd --scope "system.slice:rt-test:$ID" --pids 5 --memory 32M -- sh -c 'cat /proc/self/cgroup; systemctl show -p TasksMax -p MemoryMax "rt-test-'"$ID"'.scope"'
  assert_success
  assert_line "0::/system.slice/rt-test-$ID.scope"
  assert_line TasksMax=5
  assert_line MemoryMax=33554432
  in_systemd rt-systemd --scope "system.slice:rt-test:$ID" -- sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
  wait_until 100 is_active "rt-test-$ID.scope"
  run in_systemd rt-systemd --update "rt-test-$ID.scope" --pids 9 --cpus 0.25
  assert_success
  assert_equal "$(prop "rt-test-$ID.scope" TasksMax)" 9
  assert_equal "$(prop "rt-test-$ID.scope" CPUQuotaPerSecUSec)" 250ms
  run in_systemd rt-systemd --stop "rt-test-$ID.scope"
  assert_success
  assert_equal "$(prop "rt-test-$ID.scope" LoadState)" not-found
}

@test "rt-systemd: bad input is one line and exit 125 before systemd is asked; every option of --help is in the man page" {
  check_help_matches_man rt-systemd "$BATS_TEST_DIRNAME/../../man/rt-systemd.1"
  run rt-systemd --scope nonsense -- true
  assert_equal "$status" 125
  assert_output "rt-systemd: invalid --scope 'nonsense': expected SLICE:PREFIX:NAME (--systemd-cgroup)"
  run rt-systemd --scope a.slice::a-b.slice -- true
  assert_equal "$status" 125
  assert_output "rt-systemd: invalid --scope 'a.slice::a-b.slice': NAME makes a slice, not a scope"
  run rt-systemd --scope a.slice:p:n --pids 0 -- true
  assert_equal "$status" 125
  assert_output "rt-systemd: invalid --pids '0': at least 1 (-1 or max: no limit)"
  run rt-systemd --stop ../x
  assert_equal "$status" 125
  assert_output "rt-systemd: invalid --stop '../x': expected a scope unit name (NAME.scope)"
  run rt-systemd --stop x.scope --pids 3
  assert_equal "$status" 125
  assert_output "rt-systemd: --pids only applies with --scope or --update"
  run rt-systemd --update x.scope
  assert_equal "$status" 125
  assert_output "rt-systemd: --update needs at least one limit to change"
  run rt-systemd --update x.scope --pids 3 -- true
  assert_equal "$status" 125
  assert_output "rt-systemd: unexpected program 'true' with --update"
  run rt-systemd --scope a.slice:p:n --only-description x -- true
  assert_equal "$status" 125
  assert_output "rt-systemd: --only-description only applies with --stop"
  run rt-systemd --scope a.slice:p:n
  assert_equal "$status" 125
  run rt-systemd --freeze ../x
  assert_equal "$status" 125
  assert_output "rt-systemd: invalid --freeze '../x': expected a scope unit name (NAME.scope)"
  run rt-systemd --thaw x.scope --pids 3
  assert_equal "$status" 125
  assert_output "rt-systemd: --pids only applies with --scope or --update"
  run rt-systemd --freeze x.scope -- true
  assert_equal "$status" 125
  assert_output "rt-systemd: unexpected program 'true' with --freeze"
  run rt-systemd --freeze x.scope --thaw x.scope
  assert_equal "$status" 125
  assert_output "rt-systemd: give one of --scope, --update, --stop, --freeze and --thaw"
}
