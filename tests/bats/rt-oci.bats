#!/usr/bin/env bats
# rt-oci: runc's command line over an OCI bundle made from the test rootfs
# (config.json from `runc spec`), composing the rt chain.

load helpers
bats_require_minimum_version 1.5.0

setup() {
  rt_setup
  oci_bundle_setup oci
}

teardown() {
  local st
  for st in "$ROOTDIR"/*/state.json; do
    [ -f "$st" ] || continue
    rt-oci --root "$ROOTDIR" delete --force "$(jq -r .id "$st")" || true
  done
  if [ -n "${OPEN_TMP:-}" ]; then rm -rf "$OPEN_TMP"; fi
  # Processes a test started to hold a namespace open.
  if [ -n "${HOLDERS:-}" ]; then kill $HOLDERS 2>/dev/null; wait $HOLDERS 2>/dev/null || true; fi
  rt_teardown
}

oci() { rt-oci --root "$ROOTDIR" "$@"; }
# create: the container keeps create's stdio, so never through `run` (which
# would wait for it to close) and never with bats' fd 3.
create() { rt-oci --root "$ROOTDIR" create "$@" >>"$BATS_TEST_TMPDIR/ctr.out" 2>&1 3>&-; }
args() { spec ".process.args = $1"; }
status_of() { oci state "$1" | jq -r .status; }
# For wait_until, which runs its command again each time (a "$(...)" in its
# arguments would be expanded once, before the first try).
has_status() { [ "$(status_of "$1")" = "$2" ]; }
has_processes() { [ "$(oci ps --format json "$1" | jq length)" -ge "$2" ]; }
lines_in() { [ "$(grep -c "$1" "$2" 2>/dev/null)" = "$3" ]; }
# A mount namespace of its own, held open by a sleep once the sh commands
# SETUP (with ARGs as $1...) ran in it: NS_PID is the sleep (its ns/mnt is
# the namespace); release_mount_ns ends it (teardown does if a test fails).
hold_mount_ns() {
  unshare --mount --propagation private --fork sh -c "${1:-:} && exec sleep 1000" sh "${@:2}" 3>&- &
  NS_HOLDER=$!
  wait_until 50 pgrep -P "$NS_HOLDER" -x sleep
  NS_PID=$(pgrep -P "$NS_HOLDER" -x sleep)
  HOLDERS="${HOLDERS:-} $NS_PID"
}
release_mount_ns() {
  kill "$NS_PID"
  wait "$NS_HOLDER" || true
  HOLDERS=${HOLDERS/ $NS_PID/}
}

@test "--help names every command and global option the man page documents; --version" {
  run rt-oci --help
  assert_success
  local w
  for w in create start run state kill delete list ps update --root --log --log-format --debug --systemd-cgroup --explain; do
    assert_output --partial -- "$w"
    grep -qF -- "${w/#--/\\-\\-}" "$BATS_TEST_DIRNAME/../../man/rt-oci.1" || fail "$w missing from rt-oci.1"
  done
  mandoc -T lint -W warning "$BATS_TEST_DIRNAME/../../man/rt-oci.1"
  # Every option of every command (the table that parses them prints them).
  local cmd opts
  opts=$(rt-oci --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  [ "$(wc -l <<<"$opts")" -gt 40 ]
  for w in $opts; do
    grep -qF -- "${w/#--/\\-\\-}" "$BATS_TEST_DIRNAME/../../man/rt-oci.1" || fail "$w missing from rt-oci.1"
  done
  for cmd in create start run state kill delete list ps exec pause resume events update spec features; do
    run rt-oci "$cmd" --help
    assert_success
    assert_line --index 0 --partial "rt-oci [GLOBAL OPTIONS] $cmd"
    for w in $(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$output"); do
      grep -qF -- "$w" <<<"$opts" || fail "rt-oci $cmd --help: $w not in rt-oci --help"
    done
  done
  run rt-oci create --bundel x
  assert_failure 125
  assert_output "rt-oci: create: unknown option '--bundel' (see rt-oci create --help)"
  run rt-oci --version
  assert_success
  assert_line --index 0 --regexp '^rt-oci version '
}

@test "run: output, exit status, hostname, env, user, capabilities and no_new_privs from config.json" {
  args '["sh","-c","echo hello from $(hostname); echo FOO=$FOO; id -u; grep -E \"^(CapBnd|NoNewPrivs)\" /proc/self/status; exit 7"]'
  spec '.hostname = "box" | .process.env += ["FOO=bar"] | .process.user = {"uid": 1000, "gid": 1000}'
  run oci run --bundle "$B" "$ID"
  assert_equal "$status" 7
  assert_line "hello from box"
  assert_line "FOO=bar"
  assert_line 1000
  # runc spec's three capabilities: AUDIT_WRITE (29), KILL (5), NET_BIND_SERVICE (10).
  assert_line --regexp "^CapBnd:[[:space:]]+0000000020000420$"
  assert_line --regexp "^NoNewPrivs:[[:space:]]+1$"
  # run removes the container after it ends.
  run oci list --quiet
  assert_output ""
}

@test "create, start, state, kill, delete: the runtime-spec lifecycle, and no rt process in between" {
  args '["sh","-c","echo started > /tmp/mark; exec sleep 1000"]'
  spec '.root.readonly = false | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
  create --bundle "$B" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  local pid; pid=$(cat "$BATS_TEST_TMPDIR/pid")
  run oci state "$ID"
  assert_success
  assert_equal "$(jq -r .status <<<"$output")" created
  assert_equal "$(jq -r .pid <<<"$output")" "$pid"
  assert_equal "$(jq -r .bundle <<<"$output")" "$B"
  assert_equal "$(jq -r .ociVersion <<<"$output")" 1.0.2
  # The init waits in rt-exec: the payload has not run. Nothing of rt's is
  # its parent (it was handed over, here to PID 1 of the suite's namespace).
  grep -qx rt-exec "/proc/$pid/comm"
  local ppid; ppid=$(awk '/^PPid/ {print $2}' "/proc/$pid/status")
  run cat "/proc/$ppid/comm"
  refute_output --regexp '^rt-'
  oci start "$ID"
  wait_until 50 grep -qx sleep "/proc/$pid/comm"
  assert_equal "$(status_of "$ID")" running
  run oci start "$ID"
  assert_equal "$status" 125
  assert_output --partial "is running, not created"
  run oci delete "$ID"
  assert_equal "$status" 125
  assert_output --partial "is running"
  oci kill "$ID" KILL
  wait_until 50 has_status "$ID" stopped
  assert_equal "$(oci state "$ID" | jq .pid)" 0
  oci delete "$ID"
  [ ! -e "$ROOTDIR/$ID" ]
  run oci state "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: container $ID does not exist"
}

@test "the init dying on its own: stopped, and delete removes its cgroup and state" {
  args '["true"]'
  create --bundle "$B" "$ID"
  local cgdir; cgdir=$(awk -F: '$2 == "pids" {print $3}' "/proc/$(jq -r .pid "$ROOTDIR/$ID/state.json")/cgroup")
  [ -n "$cgdir" ] && [ -d "/sys/fs/cgroup/pids$cgdir" ]
  oci start "$ID"
  wait_until 50 has_status "$ID" stopped
  oci delete "$ID"
  [ ! -d "/sys/fs/cgroup/pids$cgdir" ]
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "kill: signal names and numbers reach the init; --all signals every process of the container" {
  args '["sh","-c","trap \"echo got USR1 >> /tmp/log\" USR1; sleep 1000 & while :; do wait; done"]'
  spec '.root.readonly = false'
  create --bundle "$B" "$ID"
  oci start "$ID"
  wait_until 50 has_processes "$ID" 2
  # One at a time: a second SIGUSR1 sent while one is pending merges with it.
  local n=0 sig
  for sig in SIGUSR1 usr1 10; do
    oci kill "$ID" "$sig"
    n=$((n + 1))
    wait_until 150 lines_in USR1 "$B/rootfs/tmp/log" "$n"
  done
  oci kill --all "$ID" KILL
  wait_until 50 has_status "$ID" stopped
  run oci kill "$ID" NOSUCH
  assert_equal "$status" 125
  assert_output "rt-oci: kill: unknown signal 'NOSUCH'"
}

@test "delete --force after a SIGKILLed create removes the container, its processes and its cgroup" {
  args '["sleep","1000"]'
  create --bundle "$B" "$ID"
  local pid; pid=$(jq -r .pid "$ROOTDIR/$ID/state.json")
  # A create killed before it finished: the record says creating, by a dead creator.
  jq '.pid = 0 | .creator = 999999999' "$ROOTDIR/$ID/state.json" > "$BATS_TEST_TMPDIR/s" && mv "$BATS_TEST_TMPDIR/s" "$ROOTDIR/$ID/state.json"
  assert_equal "$(status_of "$ID")" stopped
  oci delete --force "$ID"
  wait_until 50 test ! -e "/proc/$pid"
  [ ! -e "$ROOTDIR/$ID" ]
  # --force on nothing is not an error (runc's behaviour).
  oci delete --force "$ID"
}

@test "memory limit from config.json kills a hog; mounts, masked paths and the read-only root apply" {
  args '["sh","-c","cat /proc/kcore | head -c1 | wc -c; touch /x 2>&1 || echo ro-root; cat /data/f; head -c 100m /dev/zero | tail > /dev/null"]'
  mkdir -p "$BATS_TEST_TMPDIR/data"
  echo host-file > "$BATS_TEST_TMPDIR/data/f"
  spec ".linux.resources.memory = {\"limit\": 33554432} | .mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\", \"ro\"]}]"
  run oci run --bundle "$B" "$ID"
  assert_equal "$status" 137
  assert_line 0
  assert_line ro-root
  assert_line host-file
}

@test "--log --log-format json: errors as JSON lines with level, msg and time; a known setting rt cannot honour is refused" {
  spec '.linux.intelRdt = {"closID": "x"}'
  run oci --log "$BATS_TEST_TMPDIR/log.json" --log-format json create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.intelRdt: not supported by rt yet"
  run jq -r 'select(.level == "error") | .msg' "$BATS_TEST_TMPDIR/log.json"
  assert_output "config.json: linux.intelRdt: not supported by rt yet"
  jq -e '.time | test("^[0-9]{4}-")' "$BATS_TEST_TMPDIR/log.json"
  [ ! -e "$ROOTDIR/$ID" ]
  # An unknown field is ignored, as runc does.
  spec 'del(.linux.intelRdt) | .someFutureField = 1 | .process.args = ["true"]'
  run oci run --bundle "$B" "$ID"
  assert_success
  spec '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOTIFY"}'
  run oci create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.seccomp: SCMP_ACT_NOTIFY is not supported"
  # A capability the kernel has none of (runtime-tools'
  # process_capabilities_fail): refused before anything is made.
  spec 'del(.linux.seccomp) | .process.capabilities |= with_entries(.value += ["CAP_TEST"])'
  run oci create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: invalid process.capabilities.bounding: unknown capability 'CAP_TEST' (names as in capabilities(7), e.g. NET_ADMIN or CAP_NET_ADMIN)"
  [ ! -e "$ROOTDIR/$ID" ]
  # Likewise an rlimit the kernel has none of (process_rlimits_fail).
  spec 'del(.process.capabilities) | .process.rlimits += [{"type": "RLIMIT_TEST", "soft": 1, "hard": 2}]'
  run oci create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output --regexp "^rt-oci: config.json: invalid process.rlimits 'RLIMIT_TEST=1:2': unknown limit 'RLIMIT_TEST' \\(known: cpu, "
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "later runtime-spec settings rt cannot honour (ioPriority, scheduler, execCPUAffinity, timeOffsets, memoryPolicy, useHierarchy false) are one clear error each" {
  local t filter msg
  for t in \
    '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}|process.ioPriority: not supported by rt-exec' \
    '.process.scheduler = {"policy": "SCHED_IDLE"}|process.scheduler: not supported by rt-exec' \
    '.process.execCPUAffinity = {"initial": "0"}|process.execCPUAffinity: not supported by rt-exec' \
    '.linux.timeOffsets = {"monotonic": {"secs": 3600}}|linux.timeOffsets: not supported by rt-unshare (a time namespace starts at the host'"'"'s clocks)' \
    '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}|linux.memoryPolicy: not supported by rt-exec' \
    '.linux.resources.memory = {"useHierarchy": false}|linux.resources.memory.useHierarchy: false is not possible: the kernel always accounts hierarchically'; do
    filter=${t%%|*} msg=${t#*|}
    cp "$B/config.json" "$B/orig.json"
    spec "$filter"
    run oci create --bundle "$B" "$ID"
    assert_equal "$status" 125
    assert_output "rt-oci: config.json: $msg"
    [ ! -e "$ROOTDIR/$ID" ]
    mv "$B/orig.json" "$B/config.json"
  done
  # Their harmless values pass.
  spec '.linux.resources.memory = {"useHierarchy": true} | .process.args = ["true"]'
  run oci run --bundle "$B" "$ID"
  assert_success
}

@test "--explain create prints the chain and creates nothing" {
  run rt-oci --root "$ROOTDIR" --explain create --bundle "$B" "$ID"
  assert_success
  assert_output --regexp "rt-cgroup --no-wait --name $ID .* -- .*rt-unshare .*--pid .*--hand-over .* -- .*rt-mount --rootfs $B/rootfs .*--mount destination=/proc,type=proc,source=proc .* -- .*rt-exec .*--ready-fd 4 --sync-fd 5 -- sh"
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "a seccomp profile from config.json is enforced" {
  args '["sh","-c","mkdir /tmp/d 2>&1; echo rc=$?"]'
  spec '.root.readonly = false | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
  run oci run --bundle "$B" "$ID"
  assert_success
  assert_line --partial "Operation not permitted"
}

@test "exec: a process in the running container's namespaces and cgroup; pause and resume" {
  args '["sleep","1000"]'
  spec '.hostname = "box"'
  create --bundle "$B" "$ID"
  oci start "$ID"
  local pid; pid=$(jq -r .pid "$ROOTDIR/$ID/state.json")
  run oci exec --env X=1 "$ID" sh -c 'echo $(hostname) X=$X; cat /proc/self/cgroup | grep pids; ls /proc | grep -cx "[0-9]*"'
  assert_success
  assert_line "box X=1"
  # In the container's group: the root of its cgroup namespace (outside it, /..).
  assert_line --regexp "^[0-9]+:pids:/\$"
  echo '{"args": ["sh", "-c", "exit 5"], "cwd": "/", "env": ["PATH=/bin"]}' > "$BATS_TEST_TMPDIR/p.json"
  run oci exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
  assert_equal "$status" 5
  oci pause "$ID"
  assert_equal "$(status_of "$ID")" paused
  grep -q '^State:[[:space:]]*[SD]' "/proc/$pid/status"
  oci resume "$ID"
  assert_equal "$(status_of "$ID")" running
  run oci resume "$ID"
  assert_equal "$status" 125
  oci delete --force "$ID"
  wait_until 50 test ! -e "/proc/$pid"
}

@test "exec into a container that shares the host's pid namespace: the command runs, its status and --pid-file are its own" {
  args '["sleep","1000"]'
  spec '.linux.namespaces |= map(select(.type != "pid"))'
  create --bundle "$B" "$ID"
  oci start "$ID"
  run oci exec --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sh -c 'echo pid=$$; exit 4'
  assert_equal "$status" 4
  # The pid the caller was given is the command's, in the one pid namespace.
  assert_output "pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")"
  oci exec -d --pid-file "$BATS_TEST_TMPDIR/d.pid" "$ID" sleep 1000
  local d; d=$(cat "$BATS_TEST_TMPDIR/d.pid")
  grep -qx sleep "/proc/$d/comm"
  oci delete --force "$ID"
  wait_until 50 test ! -e "/proc/$d"
}

@test "run and exec: the init and exec'd processes start with no signal blocked (rt-oci blocks its own to forward them)" {
  args '["grep", "SigBlk", "/proc/self/status"]'
  run oci run --bundle "$B" "$ID" 3>&-
  assert_success
  assert_output --regexp "^SigBlk:[[:space:]]+0+\$"
  args '["sh","-c","trap \"exit 7\" TERM; while :; do sleep 0.1; done"]'
  create --bundle "$B" "$ID"
  oci start "$ID"
  run oci exec "$ID" grep SigBlk /proc/self/status /proc/1/status
  assert_success
  assert_line --regexp "^/proc/self/status:SigBlk:[[:space:]]+0+\$"
  assert_line --regexp "^/proc/1/status:SigBlk:[[:space:]]+0+\$"
  # A shell's wait sleeps until SIGCHLD: with it blocked, it never returned.
  run timeout 20 rt-oci --root "$ROOTDIR" exec "$ID" sh -c 'true & wait; echo waited'
  assert_success
  assert_output waited
  # SIGTERM to the init's trap: blocked, it stayed pending and the init lived on.
  oci kill "$ID" TERM
  wait_until 100 has_status "$ID" stopped
}

@test "cgroupsPath: the init, limits and exec'd processes exactly at the path; pause, ps, delete find it there; relative paths below the caller's" {
  args '["sleep","1000"]'
  # Not rt-NAME: a concurrent rt-cgroup --gc would take the empty parent for a stale group of rt.
  local top="ocipath$$-$BATS_TEST_NUMBER" c
  spec ".linux.cgroupsPath = \"/$top/ctr\" | .linux.resources.pids = {\"limit\": 20}"
  run rt-oci --root "$ROOTDIR" --explain create --bundle "$B" "$ID"
  assert_output --regexp "rt-cgroup --no-wait --path /$top/ctr --pids 20 .*-- "
  create --bundle "$B" "$ID"
  local pid; pid=$(jq -r .pid "$ROOTDIR/$ID/state.json")
  for c in pids memory cpu freezer; do
    grep -qx "[0-9]*:$c:/$top/ctr" "/proc/$pid/cgroup" || fail "init not at /$top/ctr in $c: $(cat /proc/$pid/cgroup)"
  done
  assert_equal "$(cat "/sys/fs/cgroup/pids/$top/ctr/pids.max")" 20
  oci start "$ID"
  oci exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sleep 1000
  grep -qx "[0-9]*:pids:/$top/ctr" "/proc/$(cat "$BATS_TEST_TMPDIR/exec.pid")/cgroup"
  assert_equal "$(oci ps --format json "$ID" | jq length)" 2
  oci pause "$ID"
  assert_equal "$(status_of "$ID")" paused
  grep -qx FROZEN "/sys/fs/cgroup/freezer/$top/ctr/freezer.state"
  oci resume "$ID"
  assert_equal "$(oci events --stats "$ID" | jq .data.pids.limit)" 20
  oci delete --force "$ID"
  wait_until 50 test ! -e "/proc/$pid"
  for c in pids memory cpu freezer; do [ ! -e "/sys/fs/cgroup/$c/$top/ctr" ]; done
  # The parent it needed stays, as with runc: it is the caller's.
  rmdir /sys/fs/cgroup/*/"$top"
  # Relative: below the caller's cgroup, hierarchy by hierarchy.
  local self; self=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
  args '["sh","-c","sleep 1000 & wait"]'
  spec ".linux.cgroupsPath = \"$top/rel\" | .linux.namespaces |= map(select(.type != \"cgroup\"))"
  create --bundle "$B" "$ID"
  pid=$(jq -r .pid "$ROOTDIR/$ID/state.json")
  grep -qx "[0-9]*:memory:${self%/}/$top/rel" "/proc/$pid/cgroup"
  oci start "$ID"
  oci kill "$ID" KILL
  wait_until 50 has_status "$ID" stopped
  oci delete "$ID"
  [ ! -e "/sys/fs/cgroup/memory${self%/}/$top/rel" ]
  # The parent stays here too: below the caller's group on each hierarchy.
  for c in memory pids cpu cpuacct cpuset freezer devices blkio; do
    self=$(awk -F: -v c="$c" '$2 == c {print $3}' /proc/self/cgroup)
    rmdir "/sys/fs/cgroup/$c${self%/}/$top"
  done
}

@test "--systemd-cgroup: SLICE:PREFIX:NAME made where systemd puts the unit (slices expanded at dashes); a bad value, or a colon without it, is one line; where systemd runs, rt-systemd asks it for a scope" {
  args '["sleep","1000"]'
  local top="rtoci$$x$BATS_TEST_NUMBER" scope pid c
  spec ".linux.cgroupsPath = \"$top-sub.slice:pfx:$ID\" | .linux.resources.pids = {\"limit\": 20}"
  run rt-oci --root "$ROOTDIR" --explain create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.cgroupsPath: '$top-sub.slice:pfx:$ID': SLICE:PREFIX:NAME is systemd's form: give --systemd-cgroup"
  scope="/$top.slice/$top-sub.slice/pfx-$ID.scope"
  run rt-oci --root "$ROOTDIR" --systemd-cgroup --explain create --bundle "$B" "$ID"
  assert_success
  assert_output --regexp "rt-cgroup --no-wait --path $scope --pids 20 .*-- "
  rt-oci --root "$ROOTDIR" --systemd-cgroup create --bundle "$B" "$ID" >>"$BATS_TEST_TMPDIR/ctr.out" 2>&1 3>&-
  pid=$(jq -r .pid "$ROOTDIR/$ID/state.json")
  grep -qE "^[0-9]+:(pids|):$scope\$" "/proc/$pid/cgroup" || fail "init not at $scope: $(cat "/proc/$pid/cgroup")"
  assert_equal "$(cat /sys/fs/cgroup/pids"$scope"/pids.max 2>/dev/null || cat /sys/fs/cgroup"$scope"/pids.max)" 20
  # Later commands find the group from the state, with or without the option.
  oci start "$ID"
  assert_equal "$(oci events --stats "$ID" | jq .data.pids.limit)" 20
  oci delete --force "$ID"
  wait_until 50 test ! -e "/proc/$pid"
  for c in /sys/fs/cgroup/*/"$top.slice" /sys/fs/cgroup/"$top.slice"; do
    [ -e "$c" ] || continue
    [ ! -e "$c/$top-sub.slice/pfx-$ID.scope" ] || fail "$c/$top-sub.slice/pfx-$ID.scope left after delete"
    # The slices stay, as systemd's do.
    rmdir "$c/$top-sub.slice" "$c"
  done
  # No cgroupsPath: system.slice, prefix rt-oci.
  spec 'del(.linux.cgroupsPath)'
  run rt-oci --root "$ROOTDIR" --systemd-cgroup --explain create --bundle "$B" "$ID"
  assert_output --regexp "rt-cgroup --no-wait --path /system.slice/rt-oci-$ID.scope "
  spec '.linux.cgroupsPath = "a--b.slice:p:n"'
  run rt-oci --root "$ROOTDIR" --systemd-cgroup create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: invalid linux.cgroupsPath 'a--b.slice:p:n': 'a--b.slice' is not a slice name (A.slice, A-B.slice: no empty part between dashes)"
  spec '.linux.cgroupsPath = "/not/systemd"'
  run rt-oci --root "$ROOTDIR" --systemd-cgroup create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output --partial "expected SLICE:PREFIX:NAME (--systemd-cgroup)"
  [ ! -e "$ROOTDIR/$ID" ]
  # Where systemd runs (/run/systemd/system exists), rt-systemd registers
  # the scope (systemd.bats boots a real one); a /run of its own without a
  # systemd listening shows the chain, and a create that fails in one line
  # and leaves nothing.
  spec '.linux.cgroupsPath = "machine.slice:libpod:x" | .linux.resources.pids = {"limit": 20}'
  local fake_run='mount -t tmpfs rt-test-run /run && mkdir -p /run/systemd/system && exec "$@"'
  run unshare --mount --propagation private sh -c "$fake_run" sh rt-oci --root "$ROOTDIR" --systemd-cgroup --explain create --bundle "$B" "$ID"
  assert_success
  assert_output --regexp "^[^ ]*/rt-systemd --scope machine.slice:libpod:x --description 'rt-oci container $ID' --pids 20 -- [^ ]*/rt-cgroup --join /machine.slice/libpod-x.scope --device-rule "
  run unshare --mount --propagation private sh -c "$fake_run" sh rt-oci --root "$ROOTDIR" --systemd-cgroup create --bundle "$B" "$ID" 3>&-
  assert_equal "$status" 125
  assert_line "rt-systemd: cannot connect to systemd: /run/systemd/private: No such file or directory; the system bus: No such file or directory"
  [ ! -e "$ROOTDIR/$ID" ]
  spec '.linux.cgroupsPath = "machine.slice::machine-x.slice"'
  run unshare --mount --propagation private sh -c "$fake_run" sh rt-oci --root "$ROOTDIR" --systemd-cgroup create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.cgroupsPath: 'machine.slice::machine-x.slice': NAME ending in .slice asks for a slice, and systemd keeps no process in a slice (it refuses runc's too): give NAME without .slice and the slice as SLICE"
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "linux.namespaces: a mount namespace joined by path gets the container's root; without one the caller's is shared (chroot)" {
  skip_unless_static "$RT_BIN/rt-mount"  # it runs after pivot_root here
  echo in-the-bundle-root > "$B/rootfs/marker"
  args '["sh","-c","readlink /proc/self/ns/mnt; cat /marker"]'
  hold_mount_ns
  spec ".linux.namespaces |= map(if .type == \"mount\" then .path = \"/proc/$NS_PID/ns/mnt\" else . end)"
  run oci run --bundle "$B" "$ID"
  local ns; ns=$(readlink "/proc/$NS_PID/ns/mnt")
  release_mount_ns
  assert_success
  assert_output "$ns
in-the-bundle-root"
  # No mount namespace: rt-mount mounts in the caller's (a private one
  # here, never the host's: rt-mount refuses PID 1's) and chroots.
  spec '.linux.namespaces |= map(select(.type != "mount"))'
  run rt-oci --root "$ROOTDIR" --explain create --bundle "$B" "$ID"
  assert_output --regexp "rt-mount .*--chroot "
  run unshare --mount --propagation private sh -c 'readlink /proc/self/ns/mnt; exec "$@"' sh rt-oci --root "$ROOTDIR" run --bundle "$B" "$ID"
  assert_success
  assert_equal "${#lines[@]}" 3
  assert_equal "${lines[1]}" "${lines[0]}"
  assert_equal "${lines[2]}" in-the-bundle-root
}

@test "update on cgroup v1: a limit for a controller the container's group was made without is one clear error" {
  [ -d /sys/fs/cgroup/cpu ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ] || skip "needs cgroup v1 (cpu hierarchy at /sys/fs/cgroup/cpu)"
  args '["sleep","1000"]'
  create --bundle "$B" "$ID"
  oci start "$ID"
  run oci update --cpu-shares 512 "$ID"
  assert_equal "$status" 125
  assert_line --index 0 "rt-cgroup: cannot apply --cpu-* to group $ID: it has no cpu controller (on cgroup v1 a group is made only in the hierarchies of the limits it was made with)"
  assert_line --index 1 "rt-oci: update: rt-cgroup --update failed for container $ID (its message is above)"
  # The limit given at create is there to change.
  oci delete --force "$ID"
  spec '.linux.resources.cpu = {"shares": 1024}'
  create --bundle "$B" "$ID"
  oci update --cpu-shares 512 "$ID"
  local cg; cg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' "/proc/$(jq -r .pid "$ROOTDIR/$ID/state.json")/cgroup")
  assert_equal "$(cat "/sys/fs/cgroup/cpu$cg/cpu.shares")" 512
}

@test "update: a running container's memory limit lowered until a hog is OOM-killed; a lower pids limit stops forks; --resources; --explain" {
  args '["sleep","1000"]'
  spec '.linux.resources.memory = {"limit": 268435456} | .linux.resources.pids = {"limit": 20} | .linux.resources.cpu = {"shares": 1024}'
  create --bundle "$B" "$ID"
  oci start "$ID"
  # tail keeps the one 64 MiB line: fits in 256M.
  run oci exec "$ID" sh -c 'head -c 64m /dev/zero | tail >/dev/null'
  assert_success
  run rt-oci --root "$ROOTDIR" --explain update --memory 32M "$ID"
  assert_output --regexp "rt-cgroup --update $ID --memory 33554432\$"
  oci update --memory 32M "$ID"
  assert_equal "$(oci events --stats "$ID" | jq .data.memory.usage.limit)" 33554432
  run oci exec "$ID" sh -c 'head -c 64m /dev/zero | tail >/dev/null'
  assert_equal "$status" 137
  # On cgroup v1 the OOM killer may take the container's init too, a few ms
  # after the hog: the pids part gets a fresh container with the same limits.
  oci delete --force "$ID"
  create --bundle "$B" "$ID"
  oci start "$ID"
  # A fork fits under 20; not under 2 (the init and the exec'd shell take both).
  run oci exec "$ID" sh -c 'true & echo forked'
  assert_output forked
  echo '{"pids": {"limit": 2}}' | oci update --resources - "$ID"
  run oci exec "$ID" sh -c 'true & echo forked'
  refute_output forked
  assert_equal "$(oci events --stats "$ID" | jq .data.pids.limit)" 2
  echo '{"cpu": {"quota": 20000, "period": 50000}, "pids": {"limit": 10}}' > "$BATS_TEST_TMPDIR/r.json"
  oci update --resources "$BATS_TEST_TMPDIR/r.json" "$ID"
  local cg; cg=$(awk -F: '$2 == "cpu" {print $3}' "/proc/$(jq -r .pid "$ROOTDIR/$ID/state.json")/cgroup")
  assert_equal "$(cat "/sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us") $(cat "/sys/fs/cgroup/cpu$cg/cpu.cfs_period_us")" "20000 50000"
  run oci update "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: update: nothing to change (give --resources or a limit option)"
  # runc's flags for limits rt cannot set: one line, never dropped silently
  run oci update --cpu-rt-runtime 5000 "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: update: --cpu-rt-runtime: not supported (rt sets no real-time CPU limits)"
  run oci update --l3-cache-schema L3:0=f "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: update: --l3-cache-schema: not supported (rt has no Intel RDT support)"
  oci delete --force "$ID"
  run oci update --pids-limit 5 "$ID"
  assert_equal "$status" 125
}

@test "linux.sysctl: set in the container's own namespace; one without its namespace is refused" {
  args '["cat","/proc/sys/net/ipv4/ping_group_range"]'
  spec '.linux.sysctl = {"net.ipv4.ping_group_range": "0 0"}'
  run oci run --bundle "$B" "$ID"
  assert_success
  assert_output --regexp '^0[[:space:]]+0$'
  spec '.linux.namespaces |= map(select(.type != "network"))'
  run oci run --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.sysctl.net.ipv4.ping_group_range: needs a network namespace of the container's own"
}

@test "linux.devices, personality and rootfsPropagation: nodes made, LINUX32 for the init and exec, the root shared" {
  [ "$(uname -m)" = x86_64 ] || skip "LINUX32 is checked against x86_64's i686"
  cat > "$B/rootfs/probe.sh" <<'EOS'
stat -c "%n|%F|%t:%T|%a|%u:%g" /dev/test1 /dev/sub/test2 /dev/test3
uname -m
awk '$5 == "/" { print "root:", $7 }' /proc/self/mountinfo
EOS
  args '["sh","/probe.sh"]'
  spec '.linux.devices = [{"path": "/dev/test1", "type": "c", "major": 10, "minor": 666, "fileMode": 432, "uid": 1, "gid": 2},
      {"path": "/dev/sub/test2", "type": "b", "major": 8, "minor": 666}, {"path": "/dev/test3", "type": "p"}]
    | .linux.personality = {"domain": "LINUX32"} | .linux.rootfsPropagation = "shared"'
  run oci run --bundle "$B" "$ID"
  assert_success
  assert_line "/dev/test1|character special file|a:29a|660|1:2"
  assert_line "/dev/sub/test2|block special file|8:29a|666|0:0"
  assert_line "/dev/test3|fifo|0:0|666|0:0"
  assert_line i686
  assert_line --regexp '^root: shared:[0-9]+$'
  args '["sleep","1000"]'
  create --bundle "$B" "$ID"
  oci start "$ID"
  run oci exec "$ID" uname -m
  assert_success
  assert_output i686
  oci delete --force "$ID"
  spec '.linux.personality = {"domain": "BSD"}'
  run oci create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.personality.domain: 'BSD': expected LINUX or LINUX32"
  spec '.linux.personality = {"domain": "LINUX"} | .linux.devices = [{"path": "/dev/x", "type": "z"}]'
  run oci create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.devices.type: 'z': expected c, u, b or p"
}

@test "process.terminal: a pty of the container's own devpts, its master sent on --console-socket, bound on /dev/console" {
  local S="$BATS_TEST_TMPDIR/console.sock"
  console_socket_listen "$S"
  spec '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
  args '["sh","-c","tty; stty size; [ -t 0 ] && echo is-a-tty; ls -l /dev/console"]'
  run oci run --bundle "$B" --console-socket "$S" "$ID"
  assert_success
  console_socket_output
  assert_line --index 0 /dev/ptmx
  assert_line /dev/pts/0
  assert_line "30 100"
  assert_line is-a-tty
  assert_line --regexp "^crw.* 136, +0 .* /dev/console$"
  # exec -t: a pty of the same devpts, and no /dev/console of its own.
  console_socket_listen "$S"
  args '["sleep","1000"]'
  spec '.process.terminal = false'
  create --bundle "$B" "$ID"
  oci start "$ID"
  run oci exec -t --console-socket "$S" "$ID" sh -c 'tty; [ -t 0 ] && echo is-a-tty'
  assert_success
  console_socket_output
  assert_line /dev/pts/0
  assert_line is-a-tty
  oci delete --force "$ID"
}

@test "spec writes a config.json that runs; features and events --stats report JSON" {
  local S="$BATS_TEST_TMPDIR/spec"
  mkdir -p "$S"
  rt-oci spec --bundle "$S"
  run rt-oci spec --bundle "$S"
  assert_equal "$status" 125
  assert_output --partial "exists already"
  ln -s "$B/rootfs" "$S/rootfs"
  jq '.process.terminal = false | .process.args = ["echo", "spec-ok"]' "$S/config.json" > "$S/c" && mv "$S/c" "$S/config.json"
  run oci run --bundle "$S" "$ID"
  assert_success
  assert_output spec-ok
  run rt-oci spec --rootless --bundle "$BATS_TEST_TMPDIR"
  assert_success
  jq -e '.linux.namespaces | map(.type) | index("user")' "$BATS_TEST_TMPDIR/config.json"
  run rt-oci features
  assert_success
  jq -e '.ociVersionMax == "1.0.2" and .linux.cgroup.v1 and (.linux.namespaces | index("pid")) and (.mountOptions | index("rbind"))' <<<"$output"
  args '["sleep","1000"]'
  create --bundle "$B" "$ID"
  oci start "$ID"
  run oci events --stats "$ID"
  assert_success
  assert_equal "$(jq -r .type <<<"$output")" stats
  assert_equal "$(jq .data.pids.current <<<"$output")" 1
  jq -e '.data.memory.usage.usage > 0' <<<"$output"
}

@test "events: a stats event every --interval and an oom event when the OOM killer strikes, until the container stops" {
  args '["sh","-c","sleep 1; head -c 100m /dev/zero | tail > /dev/null; sleep 1"]'
  spec '.linux.resources.memory = {"limit": 33554432}'
  create --bundle "$B" "$ID"
  oci events --interval 200ms "$ID" > "$BATS_TEST_TMPDIR/events" 3>&- &
  local events=$!
  # Start only once events has its baseline: a kill before it is not news.
  wait_until 100 test -s "$BATS_TEST_TMPDIR/events"
  oci start "$ID"
  wait_until 150 test ! -e "/proc/$events"
  wait "$events"
  run jq -r '"\(.type) \(.id)"' "$BATS_TEST_TMPDIR/events"
  assert_line "oom $ID"
  [ "$(grep -c "^stats $ID\$" <<<"$output")" -ge 3 ]
  # The tail is killed; the shell may be killed milliseconds later, before
  # the tail's memory is freed, which ends the container at once (events
  # must still report it). Two kills are two events only across a check.
  local ooms
  ooms=$(grep -c "^oom " <<<"$output")
  [ "$ooms" -ge 1 ] && [ "$ooms" -le 2 ]
  run oci events --interval 0s "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: events: --interval must be positive"
}

@test "hooks: prestart, createRuntime, poststart, poststop get the state on stdin and their env; a failing prestart fails create; timeouts" {
  local H="$BATS_TEST_TMPDIR/hook.sh" L="$BATS_TEST_TMPDIR/hooks.log"
  cat > "$H" <<EOS
#!/bin/sh
read -r state
echo "\$1 \$X \$(echo "\$state" | jq -r '"\\(.id) \\(.status) \\(.pid > 0)"')" >> $L
EOS
  chmod +x "$H"
  args '["true"]'
  local stage hooks="{}"
  for stage in prestart createRuntime poststart poststop; do
    hooks=$(jq --arg s "$stage" --arg h "$H" '.[$s] = [{"path": $h, "args": ["hook", $s], "env": ["X=x", "PATH=/usr/bin:/bin"]}]' <<<"$hooks")
  done
  spec ".hooks = $hooks"
  run oci run --bundle "$B" "$ID"
  assert_success
  run cat "$L"
  # poststart: running (as crun) although the payload (true) may have ended.
  assert_output "prestart x $ID created true
createRuntime x $ID creating true
poststart x $ID running true
poststop x $ID stopped false"
  spec '.hooks = {"prestart": [{"path": "/bin/false"}]}'
  run oci run --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output --partial "hooks.prestart: /bin/false failed with status 1"
  [ ! -e "$ROOTDIR/$ID" ]
  # A state larger than a pipe holds, and a hook that never reads it: the
  # write fails with EPIPE, and rt-oci still cleans up (no SIGPIPE death
  # leaving the created init behind).
  spec ".annotations = {\"big\": \"$(head -c 70000 /dev/zero | tr '\0' x)\"}"
  run oci run --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output --partial "hooks.prestart: /bin/false failed with status 1"
  [ ! -e "$ROOTDIR/$ID" ]
  [ -z "$(find /sys/fs/cgroup/pids -name "rt-$ID" 2>/dev/null)" ]
  spec 'del(.annotations)'
  spec '.hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}]}'
  run oci run --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output --partial "hooks.createRuntime: /bin/sleep timed out after 1s"
}

@test "hooks: createContainer before pivot_root and startContainer before the payload, in the container's namespaces; a failing one fails create or start" {
  local O="$BATS_TEST_TMPDIR/out"
  mkdir -p "$O"
  # createRuntime from the host; createContainer from a host path, in the
  # container's namespaces (its hostname), with the root still at the
  # bundle's path; startContainer from a path inside the container.
  printf '#!/bin/sh\nread -r state\necho "$1 $(hostname) $X $(echo "$state" | jq -r .status) $(test -e %s/rootfs/sc.sh && echo root-at-bundle)" >> %s/log\n' "$B" "$O" > "$BATS_TEST_TMPDIR/h.sh"
  chmod +x "$BATS_TEST_TMPDIR/h.sh"
  cat > "$B/rootfs/sc.sh" <<'EOS'
#!/bin/sh
state=$(cat)
echo "startContainer $(hostname) $Y $(echo "$state" | tr , '\n' | grep status)" >> /out/log
EOS
  chmod +x "$B/rootfs/sc.sh"
  args '["sh","-c","echo payload >> /out/log"]'
  spec ".hostname = \"box\" | .mounts += [{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$O\", \"options\": [\"rbind\"]}]
    | .hooks = {\"createRuntime\": [{\"path\": \"$BATS_TEST_TMPDIR/h.sh\", \"args\": [\"h\", \"createRuntime\"], \"env\": [\"X=x\", \"PATH=/usr/bin:/bin\"]}],
      \"createContainer\": [{\"path\": \"$BATS_TEST_TMPDIR/h.sh\", \"args\": [\"h\", \"createContainer\"], \"env\": [\"X=x\", \"PATH=/usr/bin:/bin\"]}],
      \"startContainer\": [{\"path\": \"/sc.sh\", \"env\": [\"Y=y\", \"PATH=/bin\"]}]}"
  create --bundle "$B" "$ID"
  run cat "$O/log"
  assert_output "createRuntime $(hostname) x creating root-at-bundle
createContainer box x creating root-at-bundle"
  oci start "$ID"
  wait_until 50 grep -q payload "$O/log"
  run cat "$O/log"
  assert_line --index 2 --regexp '^startContainer box y "status":"created"'
  assert_line --index 3 payload
  oci delete --force "$ID"
  # A failing createContainer hook fails create and leaves nothing.
  spec '.hooks = {"createContainer": [{"path": "/bin/false"}]}'
  run oci create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output --partial "hooks.createContainer: /bin/false failed with status 1"
  [ ! -e "$ROOTDIR/$ID" ]
  # A failing startContainer hook fails start and stops the container; the payload never runs.
  : > "$O/log"
  spec '.hooks = {"startContainer": [{"path": "/nonexistent"}]}'
  create --bundle "$B" "$ID"
  local pid; pid=$(jq -r .pid "$ROOTDIR/$ID/state.json")
  run oci start "$ID"
  assert_equal "$status" 125
  assert_output --partial "start: hooks.startContainer: /nonexistent failed with status 127 (container $ID is stopped)"
  wait_until 50 test ! -e "/proc/$pid"
  assert_equal "$(status_of "$ID")" stopped
  [ ! -s "$O/log" ]
  oci delete "$ID"
  # A hook without a path is refused before anything happens.
  spec '.hooks = {"startContainer": [{"args": ["x"]}]}'
  run oci create --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: hooks.startContainer.path: expected a string"
}

@test "security: a startContainer hook the image provides runs with the container's limits, never as host root" {
  # The bundle's rootfs is hostile: it provides the hook binary, which
  # resolves in the container's root. It reports its identity and limits,
  # then tries what host root could do: make a read-only bind of a host
  # directory writable and write there, read a host file only root may read.
  local O="$BATS_TEST_TMPDIR/out" R="$BATS_TEST_TMPDIR/host-ro"
  mkdir -p "$O" "$R"
  chmod 0777 "$O"
  echo secret > "$R/secret"
  chmod 0600 "$R/secret"
  local report='grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; grep "Max open files" /proc/self/limits; cat /proc/self/cgroup'
  cat > "$B/rootfs/bin/hook-program" <<EOS
#!/bin/sh
cat > /dev/null
{ $report; } > /out/hook 2>&1
mount -o remount,bind,rw /ro 2>/dev/null && echo pwned > /ro/pwned
cat /ro/secret > /out/stolen 2>/dev/null
exit 0
EOS
  chmod 0755 "$B/rootfs/bin/hook-program"
  spec ".process.user = {\"uid\": 1000, \"gid\": 1000, \"additionalGids\": [1001]}
    | .process.noNewPrivileges = true
    | .linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"syslog\"], \"action\": \"SCMP_ACT_ERRNO\"}]}
    | .mounts += [{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$O\", \"options\": [\"rbind\"]},
                  {\"destination\": \"/ro\", \"type\": \"bind\", \"source\": \"$R\", \"options\": [\"rbind\", \"ro\"]}]
    | .hooks = {\"startContainer\": [{\"path\": \"/bin/hook-program\", \"env\": [\"PATH=/bin:/usr/bin\"]}]}"
  args "[\"sh\", \"-c\", $(jq -Rn --arg r "$report" '"{ " + $r + "; } > /out/payload 2>&1"')]"
  run oci run --bundle "$B" "$ID"
  assert_success
  # No host write, no host secret.
  [ ! -e "$R/pwned" ]
  [ ! -s "$O/stolen" ]
  # The hook had exactly the payload's user, groups, capabilities,
  # no_new_privs, seccomp mode, rlimits and cgroup.
  run cat "$O/hook"
  assert_line --regexp "^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$"
  assert_line --regexp "^CapEff:[[:space:]]+0000000020000420$"
  assert_line --regexp "^CapBnd:[[:space:]]+0000000020000420$"
  assert_line --regexp "^NoNewPrivs:[[:space:]]+1$"
  assert_line --regexp "^Seccomp:[[:space:]]+2$"
  diff -u "$O/payload" "$O/hook"
}

@test "linux.resources.devices: the config's rules in order (then Docker's allows, as runc), not Docker's list; a bad rule is one line" {
  # Minors of major 1 with no driver: a node the rules allow fails to open
  # with ENXIO, one they deny with EPERM; kmsg (1:11) opens for reading.
  cat > "$B/rootfs/probe.sh" <<'EOS'
#!/bin/sh
for n in allowed denied kmsg2 null zero; do
  err=$( (: < /dev/$n) 2>&1 ); case "$err" in *"not permitted"*) echo "$n r denied";; *) echo "$n r allowed";; esac
  err=$( (: > /dev/$n) 2>&1 ); case "$err" in *"not permitted"*) echo "$n w denied";; *) echo "$n w allowed";; esac
done
EOS
  chmod +x "$B/rootfs/probe.sh"
  args '["/probe.sh"]'
  spec '.linux.devices = [{"path": "/dev/allowed", "type": "c", "major": 1, "minor": 200},
                          {"path": "/dev/denied", "type": "c", "major": 1, "minor": 201},
                          {"path": "/dev/kmsg2", "type": "c", "major": 1, "minor": 11}]
    | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 200, "access": "rw"},
                                   {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "r"}]
    | .process.capabilities.bounding += ["CAP_SYSLOG"] | .process.capabilities.effective += ["CAP_SYSLOG"]
    | .process.capabilities.permitted += ["CAP_SYSLOG"]'
  [ "$(jq -c '.linux.resources.devices[0]' "$B/config.json")" = '{"allow":false,"access":"rwm"}' ]
  local cg ran=0
  for cg in v1 v2; do
    if [ $cg = v1 ]; then
      grep -q ':devices:' /proc/self/cgroup || continue
    else
      grep -q ' - cgroup2 ' /proc/self/mountinfo || continue
      [ -d /sys/fs/cgroup/unified ] || ! grep -q ':devices:' /proc/self/cgroup || continue
    fi
    ran=1
    run env $([ $cg = v2 ] && [ -d /sys/fs/cgroup/unified ] && echo RT_CGROUP_UNIFIED=1) \
      rt-oci --root "$ROOTDIR" run --bundle "$B" "$ID"
    assert_success
    assert_output "allowed r allowed
allowed w allowed
denied r denied
denied w denied
kmsg2 r allowed
kmsg2 w denied
null r allowed
null w allowed
zero r allowed
zero w allowed"
  done
  [ $ran = 1 ] || skip "needs the v1 devices controller or a cgroup v2 hierarchy"
  # A bad rule: one line, nothing made.
  spec '.linux.resources.devices += [{"allow": true, "type": "x"}]'
  run oci run --bundle "$B" "$ID"
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.resources.devices: {\"allow\":true,\"type\":\"x\"}: invalid --device-rule 'allow x *:* rwm': type 'x' is not a, c or b (as 'allow c 1:3 rwm' or 'deny a')"
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "security: after create --no-pivot (a chroot), exec and the startContainer hooks see the container's root, never the host's" {
  echo inside > "$B/rootfs/marker"
  cat > "$B/rootfs/sc.sh" <<'EOS'
#!/bin/sh
cat > /dev/null
test -e /marker && echo hook-in-rootfs
EOS
  chmod +x "$B/rootfs/sc.sh"
  args '["sleep", "100"]'
  spec '.hooks = {"startContainer": [{"path": "/sc.sh", "env": ["PATH=/bin"]}]}'
  create --bundle "$B" --no-pivot "$ID"
  run oci exec "$ID" sh -c 'test -e /marker && echo exec-in-rootfs; test -e "'"$BATS_TEST_TMPDIR"'" && echo host-tree-visible; true'
  assert_success
  assert_output exec-in-rootfs
  run oci start "$ID"
  assert_success
  assert_output hook-in-rootfs
  oci delete --force "$ID"
  # No mount namespace at all: the container is a chroot in the caller's
  # (a private one here: its mounts stay there).
  spec '.linux.namespaces |= map(select(.type != "mount"))'
  run unshare --mount --propagation private sh -c '
    rt-oci --root "$1" create --bundle "$2" "$3" >/dev/null 2>&1 3>&- || exit 9
    rt-oci --root "$1" exec "$3" sh -c "test -e /marker && echo exec-in-rootfs; test -e \"$4\" && echo host-tree-visible; true"
    rt-oci --root "$1" start "$3"
    rt-oci --root "$1" delete --force "$3"' sh "$ROOTDIR" "$B" "$ID" "$BATS_TEST_TMPDIR"
  assert_success
  assert_output "exec-in-rootfs
hook-in-rootfs"
}

@test "security: a container joining another's user namespace runs as that namespace's root; its createContainer hook traced from there has no host root's rights" {
  [ "$(uname -m)" = x86_64 ] || skip "the ptrace probe injects x86_64 system calls"
  [ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user namespaces are disabled (user.max_user_namespaces=0)"
  [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -le 1 ] || skip "Yama ptrace_scope > 1 forbids the attach"
  command -v cc >/dev/null || skip "no C compiler (cc) to build tests/probes/ptrace-inject.c"
  # The bundles where the namespace's root (host uid 100000) may enter.
  OPEN_TMP=$(mktemp -d /tmp/rt-oci-userns.XXXXXX)
  chmod 0755 "$OPEN_TMP"
  mkdir "$OPEN_TMP/b"
  mv "$B/rootfs" "$B/config.json" "$OPEN_TMP/b/"
  B="$OPEN_TMP/b"
  # The attacker: container A, its own user namespace (root is host uid
  # 100000) and CAP_SYS_PTRACE there, as a pod's sandbox could be.
  local A="$OPEN_TMP/a" IDA="${ID}a"
  mkdir -p "$A"
  cp -a "$RT_ROOTFS" "$A/rootfs"
  cc -O2 -static -o "$A/rootfs/bin/ptrace-inject" "$BATS_TEST_DIRNAME/../probes/ptrace-inject.c" ||
    skip "no static C compiler (cc -static)"
  local caps='["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SYS_PTRACE"]'
  jq ".process.args = [\"sleep\", \"1000\"]
    | .process.capabilities.bounding = $caps | .process.capabilities.effective = $caps | .process.capabilities.permitted = $caps
    | .linux.namespaces += [{\"type\": \"user\"}]
    | .linux.uidMappings = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]
    | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]
    | .mounts |= map(select(.type != \"cgroup\"))" "$B/config.json" > "$A/config.json"
  create --bundle "$A" "$IDA"
  oci start "$IDA"
  local apid; apid=$(jq -r .pid "$ROOTDIR/$IDA/state.json")
  # exec into it: the chain joins its user namespace as its root (as host
  # root it had no capability left there to give the process).
  run oci exec "$IDA" sh -c 'id -u; grep CapEff /proc/self/status'
  assert_success
  assert_output "0
CapEff:	0000000020080420"
  # The victim: container B joins A's user and pid namespaces (a pod) and
  # has a createContainer hook, which runs from the host's path before
  # pivot_root, where the whole host tree is still in view. A host file
  # only root may write, in a directory anyone may enter.
  local T="$OPEN_TMP/host"
  mkdir -m 0755 "$T"
  echo original > "$T/target"
  chmod 0644 "$T/target"
  args '["sleep", "1000"]'
  spec ".linux.namespaces |= (map(select(.type != \"pid\"))
      + [{\"type\": \"user\", \"path\": \"/proc/$apid/ns/user\"}, {\"type\": \"pid\", \"path\": \"/proc/$apid/ns/pid\"}])
    | .mounts |= map(select(.type != \"cgroup\"))
    | .hooks = {\"createContainer\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo hook-pid \$\$ >&2; exec sleep 30\"], \"timeout\": 40}]}"
  create --bundle "$B" "$ID" &
  local cpid=$!
  wait_until 150 grep -q hook-pid "$BATS_TEST_TMPDIR/ctr.out" || { kill "$cpid"; wait "$cpid"; fail "no hook: $(cat "$BATS_TEST_TMPDIR/ctr.out")"; }
  local hp; hp=$(sed -n 's/^hook-pid \([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/ctr.out")
  # From inside A: the hook is A's root, not an unmapped uid (host root).
  run oci exec "$IDA" grep ^Uid: "/proc/$hp/status"
  assert_output --regexp "^Uid:[[:space:]]+0[[:space:]]+0[[:space:]]+0[[:space:]]+0$"
  # The attack: trace the hook, make it open the host file for writing.
  run oci exec "$IDA" /bin/ptrace-inject "$hp" "$T/target" pwned
  local probe=$output
  wait "$cpid"
  local created=$?
  assert_equal "$(cat "$T/target")" original
  [[ "$probe" == *"openat: -13"* ]] || fail "the traced hook: $probe"
  assert_equal "$created" 0
  assert_equal "$(status_of "$ID")" created
}

@test "security: joining a user namespace by path that maps the host's uid 0 or gid 0 is refused unless --allow-host-root-userns; one that does not is joined" {
  args '["cat", "/proc/self/uid_map"]'
  spec '.mounts |= map(select(.type != "cgroup"))'
  # The bundle where host uid 100000 may enter.
  OPEN_TMP=$(mktemp -d /tmp/rt-oci-userns.XXXXXX)
  chmod 0755 "$OPEN_TMP"
  mv "$B" "$OPEN_TMP/b"
  B="$OPEN_TMP/b"
  # Two user namespaces held open: one whose root is the host's (made by
  # root, 0 mapped to 0, as unshare --map-root-user does) and one mapped to
  # 100000 and up.
  rt-unshare --user --uid-map 0:0:65536 --gid-map 0:0:65536 -- sleep 1000 3>&- &
  local bad=$!
  rt-unshare --user --uid-map 0:100000:65536 --gid-map 0:100000:65536 -- sleep 1000 3>&- &
  local good=$!
  # And one whose uids are safe but whose gid 0 is the host's root group.
  rt-unshare --user --uid-map 0:100000:65536 --gid-map 0:0:65536 -- sleep 1000 3>&- &
  local badgid=$!
  HOLDERS="$bad $good $badgid"
  wait_until 50 grep -qE '^ +0 +0 +65536$' "/proc/$bad/uid_map"
  wait_until 50 grep -qE '^ +0 +100000 +65536$' "/proc/$good/uid_map"
  wait_until 50 grep -qE '^ +0 +0 +65536$' "/proc/$badgid/gid_map"
  local p
  p="/proc/$badgid/ns/user"
  spec ".linux.namespaces |= map(select(.type != \"user\")) + [{\"type\": \"user\", \"path\": \"$p\"}]"
  run oci run --bundle "$B" "$ID" 3>&-
  assert_equal "$status" 125
  assert_output "rt-oci: config.json: linux.namespaces: the user namespace $p maps the host's gid 0 (as gid 0 inside): the container's processes would hold the host's root group and what it may write; give --allow-host-root-userns to run it so"
  [ ! -e "$ROOTDIR/$ID" ]
  for p in "/proc/$bad/ns/user" "/proc/$$/ns/user"; do
    spec ".linux.namespaces |= map(select(.type != \"user\")) + [{\"type\": \"user\", \"path\": \"$p\"}]"
    run oci run --bundle "$B" "$ID" 3>&-
    assert_equal "$status" 125
    assert_output "rt-oci: config.json: linux.namespaces: the user namespace $p maps the host's uid 0 (as uid 0 inside): the container's root would be the host's root, its user namespace no protection; give --allow-host-root-userns to run it so"
    [ ! -e "$ROOTDIR/$ID" ]
  done
  # Allowed, it runs with the host's root as its own.
  run oci run --allow-host-root-userns --bundle "$B" "$ID" 3>&-
  assert_success
  assert_output --regexp '^ +0 +0 +4294967295$'
  spec ".linux.namespaces |= map(select(.type != \"user\")) + [{\"type\": \"user\", \"path\": \"/proc/$bad/ns/user\"}]"
  run oci run --allow-host-root-userns --bundle "$B" "$ID" 3>&-
  assert_success
  assert_output --regexp '^ +0 +0 +65536$'
  # A namespace that maps no host root is joined as before.
  spec ".linux.namespaces |= map(select(.type != \"user\")) + [{\"type\": \"user\", \"path\": \"/proc/$good/ns/user\"}]"
  run oci run --bundle "$B" "$ID" 3>&-
  assert_success
  assert_output --regexp '^ +0 +100000 +65536$'
  # A path that is no namespace is one line too.
  spec ".linux.namespaces |= map(select(.type != \"user\")) + [{\"type\": \"user\", \"path\": \"$B/config.json\"}]"
  run oci run --bundle "$B" "$ID" 3>&-
  assert_equal "$status" 125
  assert_output --partial "cannot join the user namespace $B/config.json"
  [ ! -e "$ROOTDIR/$ID" ]
}

@test "security: in a joined mount namespace, the tools' directory must be the very one rt-mount came from (a hard link of it next to a foreign rt-exec is refused)" {
  skip_unless_static "$RT_BIN/rt-mount"  # it runs after pivot_root here
  # The tools' directory as the chain names it, and a planted one on the
  # same mount: a hard link of rt-mount (a backup made with cp -al would
  # do) next to a foreign static "rt-exec" (busybox: it says "applet not
  # found" when it runs under that name).
  local bin; bin=$(dirname "$(readlink -f "$(command -v rt-oci)")")
  OPEN_TMP=$(mktemp -d "$bin/../planted.XXXXXX")
  ln "$bin/rt-mount" "$OPEN_TMP/rt-mount" 2>/dev/null || skip "cannot hard-link $bin/rt-mount next to it"
  cp "$RT_ROOTFS/bin/busybox" "$OPEN_TMP/rt-exec"
  # Someone else's mount namespace (SRC bound over DST there), which the
  # container joins by path; create runs, then the namespace ends.
  create_in_bound_ns() {
    hold_mount_ns 'mount --bind "$1" "$2"' "$1" "$2"
    spec ".linux.namespaces |= map(if .type == \"mount\" then .path = \"/proc/$NS_PID/ns/mnt\" else . end)"
    run oci create --bundle "$B" "$ID"
    release_mount_ns
  }
  args '["true"]'
  # The path leads to the planted directory.
  create_in_bound_ns "$OPEN_TMP" "$bin"
  refute_output --partial "applet not found"
  assert_equal "$status" 125
  assert_output --partial "rt-mount: cannot run $bin/rt-exec: $bin in this mount namespace is not the directory rt-mount was started from"
  [ ! -e "$ROOTDIR/$ID" ]
  # The very directory, with a foreign file mounted over its rt-exec.
  create_in_bound_ns "$OPEN_TMP/rt-exec" "$bin/rt-exec"
  refute_output --partial "applet not found"
  assert_equal "$status" 125
  assert_output --partial "rt-mount: cannot run $bin/rt-exec: it is not a file of $bin (a mount over it?)"
  [ ! -e "$ROOTDIR/$ID" ]
}
