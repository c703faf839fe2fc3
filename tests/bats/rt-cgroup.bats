#!/usr/bin/env bats
# rt-cgroup: limits enforced by the real kernel (this machine: cgroup v1
# controllers plus a v2 hierarchy with no controllers, "hybrid"), the v2
# code paths against a fake tree, and the life cycle of groups.

load helpers
bats_require_minimum_version 1.5.0

PFX="cgt$$"  # every group of this file is rt-$PFX-*

setup() {
  rt_setup
  N="$PFX-$BATS_TEST_NUMBER"
  BG_PIDS=""
}

# Every directory of a group of this file, on any hierarchy.
our_groups() { find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name "rt-$PFX-*" 2>/dev/null | sort -r; }

teardown() {
  # Supervisors a failed test left running: SIGTERM lets them clean up.
  local p n
  for p in $BG_PIDS; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $BG_PIDS; do
    n=50
    while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
  done
  local left; left=$(our_groups)
  if [ -n "$left" ]; then
    echo "rt groups left behind:" >&2
    echo "$left" >&2
    for d in $left; do
      for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    done
    sleep 0.2
    for d in $left; do rmdir "$d" 2>/dev/null || true; done
    return 1
  fi
  rt_teardown
}

# The directory of group NAME in the v1 hierarchy of CONTROLLER, below the
# caller's own cgroup there (this machine mounts each at /sys/fs/cgroup/C).
cgdir() {
  local path
  path=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup)
  echo "/sys/fs/cgroup/$1${path%/}/rt-$2"
}

need_v1() {
  local c
  for c in "$@"; do
    [ -d "/sys/fs/cgroup/$c" ] && grep -q ":$c:" /proc/self/cgroup ||
      skip "needs the cgroup v1 $c controller mounted at /sys/fs/cgroup/$c"
  done
}

need_unified() {
  grep -q ' - cgroup2 ' /proc/self/mountinfo && [ -d /sys/fs/cgroup/unified ] ||
    skip "needs a cgroup v2 hierarchy at /sys/fs/cgroup/unified (a hybrid host)"
}

# rt-cgroup ARGS in the background; its pid in $SUP. Bash starts
# background jobs with SIGINT and SIGQUIT ignored, and the payload would
# inherit that: start it as an interactive shell would.
start_bg() {
  env --default-signal=INT,QUIT rt-cgroup "$@" >"$BATS_TEST_TMPDIR/bg.out" 2>"$BATS_TEST_TMPDIR/bg.err" 3>&- &
  SUP=$!
  BG_PIDS="$BG_PIDS $SUP"
}

# (cgroupfs files have st_size 0: read them, never test -s.)
populated() { [ -n "$(cat "$(cgdir pids "$1")/cgroup.procs" 2>/dev/null)" ]; }

# PID has ended (no such process, or a zombie its new parent has not reaped).
gone() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
  [ -z "$state" ] || [ "$state" = Z ]
}

# wait for a background PID; its exit status in $status.
wait_for() {
  status=0
  wait "$1" || status=$?
}

# A copy of a fake tree, and the fake /proc/self/cgroup.
fake_tree() {
  FAKE="$BATS_TEST_TMPDIR/fs"
  cp -a "$BATS_TEST_DIRNAME/../fixtures/$1" "$FAKE"
  echo "$2" > "$BATS_TEST_TMPDIR/self"
  export RT_CGROUP_FS="$FAKE" RT_CGROUP_SELF="$BATS_TEST_TMPDIR/self"
}

@test "every option of --help is in the man page; --version" {
  check_help_matches_man rt-cgroup "$BATS_TEST_DIRNAME/../../man/rt-cgroup.1"
  run rt-cgroup --version
  assert_success
  assert_output --regexp '^rt-cgroup [0-9]'
}

@test "runs the program in its group on every hierarchy it needs, then removes the group" {
  need_v1 memory pids cpuacct freezer
  run rt-cgroup --name "$N" -- sh -c 'cat /proc/self/cgroup; exit 7'
  assert_equal "$status" 7
  local c
  for c in memory pids cpuacct freezer; do
    assert_line --regexp "^[0-9]+:$c:.*/rt-$N\$"
  done
  # Only the hierarchies a limit needs besides those: no cpu, cpuset, blkio, devices.
  refute_line --regexp ":(cpu|cpuset|blkio|devices):.*rt-$N"
  [ -z "$(our_groups)" ]
}

@test "--no-wait: nothing resident, the program is in the group, which stays until --remove" {
  need_v1 memory pids
  local out="$BATS_TEST_TMPDIR/out"
  rt-cgroup --no-wait --name "$N" --memory 64M -- sh -c 'echo $$; cat /proc/self/cgroup; exec sleep 1000' >"$out" 3>&- &
  local pid=$!
  wait_until 50 grep -q "rt-$N" "$out"
  # The program is the process started here: rt-cgroup stayed nowhere.
  assert_equal "$(head -1 "$out")" "$pid"
  wait_until 50 grep -qx sleep "/proc/$pid/comm"
  assert_equal "$(cat "$(cgdir memory "$N")/memory.limit_in_bytes")" $((64 * 1024 * 1024))
  grep -qx "$pid" "$(cgdir pids "$N")/cgroup.procs"
  kill -9 "$pid"
  wait "$pid" || true
  # The program ended; its group did not go with it.
  [ -d "$(cgdir pids "$N")" ]
  run rt-cgroup --remove "$N"
  assert_success
  [ -z "$(our_groups)" ]
  run rt-cgroup --no-wait -- true
  assert_equal "$status" 125
  assert_output "rt-cgroup: --no-wait needs --name or --path (the group outlives this process: name it to remove it)"
  run rt-cgroup --no-wait --stats "$N"
  assert_equal "$status" 125
}

@test "--path: the group exactly at an absolute path on every v1 hierarchy, processes in it; parents made are removed" {
  need_v1 memory pids cpuacct freezer cpu cpuset devices blkio
  local top="rt-$N-top" c
  run rt-cgroup --path "/$top/a/b" --memory 64M --pids 9 -- sh -c 'cat /proc/self/cgroup; exit 3'
  assert_equal "$status" 3
  # Every v1 controller hierarchy, as runc makes a cgroupsPath (named ones like name=systemd are left alone).
  for c in memory pids cpuacct freezer cpu cpuset devices blkio; do
    assert_line --regexp "^[0-9]+:$c:/$top/a/b\$"
  done
  refute_line --regexp "name=systemd:/$top"
  [ -z "$(our_groups)" ]
  # --no-wait at a path; --stats, --join and --remove address it by that path.
  local out="$BATS_TEST_TMPDIR/out"
  rt-cgroup --no-wait --path "/$top/c" --memory 64M -- sleep 1000 >"$out" 3>&- &
  local pid=$!
  wait_until 50 grep -qx "$pid" "/sys/fs/cgroup/memory/$top/c/cgroup.procs"
  assert_equal "$(cat "/sys/fs/cgroup/memory/$top/c/memory.limit_in_bytes")" $((64 * 1024 * 1024))
  run rt-cgroup --stats "/$top/c" --json
  assert_success
  echo "$output" | jq -e '.memory_limit_bytes == 67108864 and .pids_current == 1'
  run rt-cgroup --join "/$top/c" -- cat /proc/self/cgroup
  assert_success
  assert_line --regexp "^[0-9]+:pids:/$top/c\$"
  run rt-cgroup --remove "/$top/c"
  assert_success
  wait "$pid" || true
  [ ! -d "/sys/fs/cgroup/memory/$top/c" ]
  # The parent it made is the caller's to remove: --path named only the group.
  rmdir /sys/fs/cgroup/*/"$top"
  [ -z "$(our_groups)" ]
}

@test "--path: a relative path is below the caller's cgroup in each hierarchy; an empty existing group is taken over, a busy one is not" {
  need_v1 memory pids
  local top="rt-$N-rel" self
  self=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
  run rt-cgroup --path "$top/x" -- cat /proc/self/cgroup
  assert_success
  assert_line --regexp "^[0-9]+:memory:${self%/}/$top/x\$"
  [ -z "$(our_groups)" ]
  # An empty group that exists is used (runc joins an existing cgroupsPath) and removed after.
  mkdir -p "/sys/fs/cgroup/pids/$top"
  run rt-cgroup --path "/$top" --pids 4 -- cat "/sys/fs/cgroup/pids/$top/pids.max"
  assert_success
  assert_output 4
  [ ! -d "/sys/fs/cgroup/pids/$top" ]
  # One with a process in it is refused before anything is made or moved.
  rt-cgroup --no-wait --path "/$top" -- sleep 1000 3>&- &
  local pid=$!
  wait_until 50 grep -qx "$pid" "/sys/fs/cgroup/pids/$top/cgroup.procs"
  run rt-cgroup --path "/$top" -- true
  assert_equal "$status" 125
  assert_output --regexp "rt-cgroup: the cgroup /sys/fs/cgroup/[a-z]+/$top is in use \(1 processes\)"
  rt-cgroup --remove "/$top"
  wait "$pid" || true
  [ -z "$(our_groups)" ]
  # Bad paths and combinations: one line, exit 125.
  local bad
  for bad in "--path / -- true" "--path a/../b -- true" "--path /x --name y -- true" "--path /x --parent /y -- true" \
      "--stats /x --parent /y" "--path /x --stats y"; do
    run rt-cgroup $bad
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
  run rt-cgroup --stats "/$top"
  assert_equal "$status" 125
  assert_output "rt-cgroup: no group at /$top in any hierarchy"
}

@test "--cpu-quota, --cpu-period, --memory-swappiness, --oom-kill-disable, --kernel-memory-tcp, --device-*: the v1 files; --update changes a running group" {
  need_v1 memory pids cpu blkio
  local dev; dev=$(cat /sys/block/vda/dev 2>/dev/null || cat /sys/block/loop0/dev)
  local out="$BATS_TEST_TMPDIR/out"
  start_bg --name "$N" --memory 256M --pids 20 --cpu-quota 30000 --cpu-period 60000 --memory-swappiness 10 \
    --oom-kill-disable --kernel-memory-tcp 16M --device-read-bps "$dev=1048576" --device-write-iops "$dev=100" -- sleep 1000
  wait_until 50 populated "$N"
  run cat "$(cgdir cpu "$N")/cpu.cfs_quota_us" "$(cgdir cpu "$N")/cpu.cfs_period_us" "$(cgdir memory "$N")/memory.swappiness" \
    "$(cgdir memory "$N")/memory.kmem.tcp.limit_in_bytes" "$(cgdir blkio "$N")/blkio.throttle.read_bps_device" \
    "$(cgdir blkio "$N")/blkio.throttle.write_iops_device"
  assert_output "$(printf '30000\n60000\n10\n16777216\n%s 1048576\n%s 100' "$dev" "$dev")"
  grep -qx "oom_kill_disable 1" "$(cgdir memory "$N")/memory.oom_control"
  # --update: only what it gives changes; a lower memory limit keeps memory+swap.
  run rt-cgroup --update "$N" --memory 32M --pids 3 --cpu-quota -1
  assert_success
  run cat "$(cgdir memory "$N")/memory.limit_in_bytes" "$(cgdir pids "$N")/pids.max" "$(cgdir cpu "$N")/cpu.cfs_quota_us" \
    "$(cgdir cpu "$N")/cpu.cfs_period_us" "$(cgdir memory "$N")/memory.swappiness"
  assert_output "$(printf '33554432\n3\n-1\n60000\n10')"
  # Raising memory above memory+swap raises that first.
  if [ -e "$(cgdir memory "$N")/memory.memsw.limit_in_bytes" ]; then
    rt-cgroup --update "$N" --memory 64M --memory-swap 64M
    rt-cgroup --update "$N" --memory 128M
    assert_equal "$(cat "$(cgdir memory "$N")/memory.limit_in_bytes")" $((128 * 1024 * 1024))
    assert_equal "$(cat "$(cgdir memory "$N")/memory.memsw.limit_in_bytes")" $((128 * 1024 * 1024))
  fi
  run rt-cgroup --update "$N"
  assert_equal "$status" 125
  assert_output "rt-cgroup: --update needs at least one limit to change"
  run rt-cgroup --update "$N" --unified memory.high=1M
  assert_equal "$status" 125
  assert_output "rt-cgroup: cannot apply --unified memory.high to group $N: not a v2 group with that controller"
  run rt-cgroup --update "$N" --devices docker
  assert_equal "$status" 125
  run rt-cgroup --update "$N-none" --pids 3
  assert_equal "$status" 125
  kill -TERM "$SUP"
  wait_for "$SUP"
  [ -z "$(our_groups)" ]
  # On v1, --unified is refused before anything is made.
  run rt-cgroup --name "$N" --unified memory.high=1M -- true
  assert_equal "$status" 125
  assert_output --partial "it sets cgroup v2 files and this host's limits are on v1"
  for bad in "--cpu-quota 10" "--cpus 1 --cpu-quota 50000" "--cpu-period 99" "--memory-swappiness 101" \
      "--hugetlb 3XB=1M" "--unified x=1" "--unified cgroup.procs=1" "--device-read-bps 8:0" "--device-read-iops a:b=1"; do
    run rt-cgroup --name "$N" $bad -- true
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
  [ -z "$(our_groups)" ]
}

@test "exit status: 128+N for a signal, 126 and 127 for a program that cannot run" {
  run rt-cgroup --name "$N" -- sh -c 'kill -TERM $$'
  assert_equal "$status" 143
  run -127 rt-cgroup --name "$N" -- /nonexistent/program
  assert_output --partial "cannot execute /nonexistent/program"
  run -126 rt-cgroup --name "$N" -- "$BATS_TEST_DIRNAME"
  [ -z "$(our_groups)" ]
}

@test "--memory: a hog is OOM-killed (137), a small allocation under the same limit succeeds" {
  need_v1 memory
  # tail on /dev/zero keeps a line that never ends: anonymous memory grows.
  run rt-cgroup --name "$N" --memory 32M -- tail /dev/zero
  assert_equal "$status" 137
  # 8 MiB held by tail (no newline in it), then written out whole.
  run rt-cgroup --name "$N" --memory 32M -- sh -c 'head -c 8M /dev/zero | tail | wc -c'
  assert_success
  assert_output 8388608
  # The kill was the group's OOM killer: its own counter says so, read from
  # outside (on v1 the OOM killer may also take a shell in the group a few
  # ms after the hog: nothing of the test runs there). --no-wait leaves the
  # group to read after the hog is gone.
  run rt-cgroup --name "$N" --no-wait --memory 32M -- tail /dev/zero
  assert_equal "$status" 137
  local d; d=$(cgdir memory "$N")
  assert_equal "$(cat "$d/memory.limit_in_bytes")" 33554432
  run grep -x "oom_kill 1" "$d/memory.oom_control"
  assert_success
  rt-cgroup --remove "$N"
}

@test "--memory, --memory-swap, --memory-reservation land in the v1 files" {
  need_v1 memory
  local d; d=$(cgdir memory "$N")
  [ -e "$(dirname "$d")/memory.memsw.limit_in_bytes" ] || skip "needs swap accounting (memory.memsw.*)"
  run rt-cgroup --name "$N" --memory 64M -- cat "$d/memory.limit_in_bytes" "$d/memory.memsw.limit_in_bytes"
  assert_success
  assert_output "$(printf '67108864\n134217728')"  # Docker's default: as much swap as memory
  run rt-cgroup --name "$N" --memory 64M --memory-swap 96M --memory-reservation 32M -- \
    cat "$d/memory.memsw.limit_in_bytes" "$d/memory.soft_limit_in_bytes"
  assert_success
  assert_output "$(printf '100663296\n33554432')"
  run rt-cgroup --name "$N" --memory 64M --memory-swap -1 -- cat "$d/memory.memsw.limit_in_bytes"
  assert_success
  [ "$output" -gt $((1 << 62)) ]
}

@test "--pids 32: a fork bomb is contained, and nothing of it is left" {
  need_v1 pids
  local d; d=$(cgdir pids "$N")
  # The bomb forks in the background; the payload itself is a sleep, and
  # when it ends (SIGTERM) rt-cgroup must kill everything the bomb left.
  start_bg --name "$N" --pids 32 --cpus 1 -- sh -c 'f() { f | f & }; f; exec sleep 60'
  # The limit is hit: forks are refused.
  wait_until 200 sh -c "[ \"\$(awk '\$1 == \"max\" { print \$2 }' $d/pids.events 2>/dev/null)\" -gt 0 ]"
  assert_equal "$(cat "$d/pids.max")" 32
  local max=0 cur i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    cur=$(cat "$d/pids.current")
    [ "$cur" -gt "$max" ] && max=$cur
  done
  [ "$max" -le 32 ]
  [ "$max" -ge 2 ]
  kill -TERM "$SUP"
  wait_for "$SUP"
  assert_equal "$status" 143
  # rmdir of a cgroup only succeeds once no task is left in it.
  [ -z "$(our_groups)" ]
}

# The value of KEY in a cpu.stat file.
cpu_stat() { awk -v k="$2" '$1 == k { print $2 }' "$1/cpu.stat"; }

@test "--cpus 0.5 on a busy loop: the group's own counters show throttling" {
  need_v1 cpu cpuacct
  # Two loops, so that the group wants more than its half CPU; and the
  # largest --cpu-shares, so that it gets it however busy the machine is
  # with other work (its weight against theirs): it runs into its quota
  # in each period it runs, and only the quota holds it back.
  start_bg --name "$N" --cpus 0.5 --cpu-shares 262144 -- sh -c 'while :; do :; done & while :; do :; done'
  wait_until 50 populated "$N"
  local cpu acct; cpu=$(cgdir cpu "$N") acct=$(cgdir cpuacct "$N")
  run cat "$cpu/cpu.cfs_quota_us" "$cpu/cpu.cfs_period_us"
  assert_output "$(printf '50000\n100000')"
  # Judged by the kernel's counts of periods, not by the clock: once the
  # group has run through 20 periods it has been throttled (more than once,
  # so that throttled_time, added when a throttle ends, is counted too) ...
  wait_until 600 eval '[ "$(cpu_stat "$cpu" nr_periods)" -ge 20 ]'
  wait_until 600 eval '[ "$(cpu_stat "$cpu" nr_throttled)" -ge 2 ]'
  [ "$(cpu_stat "$cpu" throttled_time)" -gt 0 ]
  # ... and it used no more than its quota in each (usage read first: the
  # periods only grow), with a 5 ms slice of slack a period; unlimited,
  # two loops would use up to 200 ms of each.
  local usage periods
  usage=$(cat "$acct/cpuacct.usage")
  periods=$(cpu_stat "$cpu" nr_periods)
  echo "usage ${usage} ns in ${periods} periods" >&2
  [ "$usage" -le $(((periods + 1) * 55000000)) ]
  run rt-cgroup --stats "$N" --json
  assert_success
  echo "$output" | jq -e '.cpu_limit == 0.5 and .cpu_throttled_periods > 0 and .cpu_throttled_ns > 0 and .cpu_periods >= .cpu_throttled_periods and .cpu_usage_ns > 0'
  kill -TERM "$SUP"
  wait_for "$SUP"
  assert_equal "$status" 143
  [ -z "$(our_groups)" ]
}

@test "--cpuset-cpus pins the program (Cpus_allowed_list); the new cpuset group is initialised" {
  need_v1 cpuset
  [ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
  run rt-cgroup --name "$N" --cpuset-cpus 0 -- grep Cpus_allowed_list /proc/self/status
  assert_success
  assert_output --regexp $'Cpus_allowed_list:\t0$'
  run rt-cgroup --name "$N" --cpuset-cpus 1 -- grep Cpus_allowed_list /proc/self/status
  assert_output --regexp $'Cpus_allowed_list:\t1$'
  # Only mems given: cpus copied from the parent, so a task can join at all.
  run rt-cgroup --name "$N" --cpuset-mems 0 -- cat "$(cgdir cpuset "$N")/cpuset.cpus"
  assert_success
  assert_output "$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)"
}

@test "--cpu-shares, --cpu-weight (converted to shares on v1), --io-weight" {
  need_v1 cpu blkio
  run rt-cgroup --name "$N" --cpu-shares 512 -- cat "$(cgdir cpu "$N")/cpu.shares"
  assert_output 512
  # weight 100 is the v2 default, shares 1024 the v1 one.
  run rt-cgroup --name "$N" --cpu-weight 100 -- cat "$(cgdir cpu "$N")/cpu.shares"
  assert_output 1024
  run rt-cgroup --name "$N" --cpu-weight 10000 -- cat "$(cgdir cpu "$N")/cpu.shares"
  assert_output 262144
  local b; b=$(cgdir blkio "$N")
  # A proportional I/O scheduler (CFQ, BFQ) gives v1 blkio its weight file;
  # without one (none/mq-deadline on every disk) --io-weight is refused in
  # one line and nothing is made.
  if [ -e "${b%/*}/blkio.weight" ] || [ -e "${b%/*}/blkio.bfq.weight" ]; then
    run rt-cgroup --name "$N" --io-weight 500 -- sh -c "cat $b/blkio.weight 2>/dev/null || cat $b/blkio.bfq.weight"
    assert_success
    assert_output --regexp '(^| )500$'
  else
    run rt-cgroup --name "$N" --io-weight 500 -- echo ran
    assert_equal "$status" 125
    assert_output "rt-cgroup: cannot apply --io-weight: $b has neither blkio.weight nor blkio.bfq.weight (no proportional I/O scheduler)"
    assert [ ! -e "$b" ]
    assert [ ! -e "$(cgdir cpu "$N")" ]
  fi
}

@test "--devices docker (v1 devices controller): a node made with mknod cannot be opened" {
  need_v1 devices
  local t="$BATS_TEST_TMPDIR"
  # Control: without the rule, root opens a kmsg node it made.
  run sh -c "mknod $t/kmsg0 c 1 11 && : < $t/kmsg0 && echo opened"
  assert_output opened
  run rt-cgroup --name "$N" --devices docker -- sh -c \
    "mknod $t/kmsg c 1 11 && mknod $t/null c 1 3 && mknod $t/loop b 7 0 && echo made; echo x > $t/null && echo null-ok; : < $t/kmsg && echo kmsg-opened"
  assert_line made
  assert_line null-ok
  refute_line kmsg-opened
  assert_output --partial "Operation not permitted"
}

@test "--devices docker on the real v2 hierarchy (BPF_CGROUP_DEVICE program), killing with cgroup.kill" {
  need_unified
  need_v1 devices
  local t="$BATS_TEST_TMPDIR"
  run env RT_CGROUP_UNIFIED=1 rt-cgroup --name "$N" --devices docker -- sh -c \
    "grep '^0::' /proc/self/cgroup; grep ':devices:' /proc/self/cgroup; mknod $t/kmsg c 1 11 && mknod $t/zero c 1 5 && head -c 3 $t/zero | wc -c; : < $t/kmsg && echo kmsg-opened"
  assert_line "0::/rt-$N/payload"
  # The filter is the BPF program: the v1 devices group is not used.
  refute_line --regexp ":devices:.*rt-$N"
  assert_line 3
  refute_line kmsg-opened
  assert_output --partial "Operation not permitted"
  # What the payload leaves is killed through cgroup.kill.
  run env RT_CGROUP_UNIFIED=1 RT_LOG=debug rt-cgroup --name "$N" -- sh -c 'sleep 100 & echo $!'
  assert_success
  assert_output --partial "wrote cgroup.kill of /sys/fs/cgroup/unified/rt-$N"
  # The child was created in the v2 leaf (clone3 CLONE_INTO_CGROUP), not moved there.
  assert_output --regexp "started [0-9]+ in /sys/fs/cgroup/unified/rt-$N/payload"
  refute_output --regexp "moved [0-9]+ into /sys/fs/cgroup/unified"
  local left=${lines[0]}
  gone "$left"
  [ -z "$(our_groups)" ]
}

@test "--stats: plausible figures for a process holding 64 MiB; --watch ends with the group" {
  need_v1 memory pids cpuacct
  # tail holds 64 MiB (no newline yet) until sleep ends. Once head is done,
  # tail has read all of it but at most one pipe buffer (64 KiB).
  local done="$BATS_TEST_TMPDIR/written"
  start_bg --name "$N" -- sh -c "{ head -c 64M /dev/zero; touch $done; exec sleep 60; } | tail >/dev/null"
  wait_until 300 test -e "$done"
  run rt-cgroup --stats "$N" --json
  assert_success
  local j=$output
  echo "$j" | jq -e '.name == "'"$N"'"'
  echo "$j" | jq -e '.memory_anon_bytes >= 63*1048576 and .memory_anon_bytes < 80*1048576'
  echo "$j" | jq -e '.memory_usage_bytes >= .memory_anon_bytes and .memory_usage_bytes < 100*1048576'
  echo "$j" | jq -e '.memory_peak_bytes >= .memory_usage_bytes'
  echo "$j" | jq -e '.memory_limit_bytes == null and .oom_kills == 0'
  echo "$j" | jq -e '.pids_current >= 2 and .pids_current <= 4 and .pids_limit == null'
  echo "$j" | jq -e '.cpu_usage_ns > 0 and .cpu_percent >= 0 and .cpu_interval_ms == 100'
  # Every documented field is there.
  for f in memory_usage_bytes memory_limit_bytes memory_peak_bytes memory_anon_bytes oom_kills cpu_usage_ns \
    cpu_user_ns cpu_system_ns cpu_percent cpu_interval_ms cpu_limit cpu_periods cpu_throttled_periods \
    cpu_throttled_ns pids_current pids_limit io_read_bytes io_write_bytes; do
    echo "$j" | jq -e "has(\"$f\")" >/dev/null
    grep -q "$f" "$BATS_TEST_DIRNAME/../../man/rt-cgroup.1"
  done
  run rt-cgroup --stats "$N"
  assert_success
  assert_line --index 0 --regexp '^NAME +CPU %'
  assert_line --index 1 --regexp "^$N .*/ unlimited"
  # --watch: one object per interval, until the group goes away.
  rt-cgroup --stats "$N" --json --watch 0.1 >"$BATS_TEST_TMPDIR/watch" 3>&- &
  local w=$!
  wait_until 50 test -s "$BATS_TEST_TMPDIR/watch"
  kill -TERM "$SUP"
  wait "$SUP" || true
  wait_for "$w"
  assert_success
  [ "$(jq -s length "$BATS_TEST_TMPDIR/watch")" -ge 1 ]
  [ -z "$(our_groups)" ]
}

@test "--join puts a program into a running group; the supervisor kills it with the rest" {
  need_v1 pids
  start_bg --name "$N" -- sleep 100
  wait_until 50 populated "$N"
  run rt-cgroup --join "$N" -- cat /proc/self/cgroup
  assert_success
  assert_line --regexp "^[0-9]+:pids:.*/rt-$N\$"
  rt-cgroup --join "$N" -- sleep 100 3>&- &
  local joined=$!
  wait_until 50 sh -c "grep -qx $joined $(cgdir pids "$N")/cgroup.procs"
  # Not resident: the joined program is the process we started.
  [ "$(cat /proc/$joined/comm)" = sleep ]
  kill -TERM "$SUP"
  wait_for "$SUP"
  assert_equal "$status" 143
  wait_for "$joined"
  assert_equal "$status" 137
  [ -z "$(our_groups)" ]
  run rt-cgroup --join "$N" -- true
  assert_equal "$status" 125
  assert_output --partial "no group named $N"
}

@test "--join with limits sets them on the group before moving in (a group rt-systemd's scope made)" {
  need_v1 pids
  start_bg --name "$N" -- sleep 100
  wait_until 50 populated "$N"
  run rt-cgroup --join "$N" --pids 7 -- cat "$(cgdir pids "$N")/pids.max"
  assert_success
  assert_output 7
  run rt-cgroup --join "$N" --pids 0 -- true
  assert_equal "$status" 125
  assert_output --partial "invalid --pids '0'"
  kill -TERM "$SUP"
  wait_for "$SUP"
  [ -z "$(our_groups)" ]
}

@test "--remove kills everything in the group and removes it on every hierarchy" {
  need_v1 pids
  start_bg --name "$N" -- sh -c 'sleep 100 & sleep 100'
  wait_until 50 sh -c "[ \$(wc -l < $(cgdir pids "$N")/cgroup.procs) -ge 3 ]"
  run rt-cgroup --remove "$N"
  assert_success
  assert_output ""
  wait_for "$SUP"
  assert_equal "$status" 137
  [ -z "$(our_groups)" ]
  run rt-cgroup --remove "$N"
  assert_equal "$status" 125
  assert_output --partial "no group named $N"
}

@test "--gc: a SIGKILLed supervisor leaves a stale group, which --gc removes; live groups stay" {
  need_v1 pids
  start_bg --name "$N" -- sleep 100
  local stale=$SUP
  start_bg --name "$N-live" -- sleep 100
  wait_until 50 populated "$N"
  wait_until 50 populated "$N-live"
  kill -KILL "$stale"
  wait "$stale" || true
  # The payload dies with its supervisor; the group stays behind.
  wait_until 50 sh -c "[ -z \"\$(cat $(cgdir pids "$N")/cgroup.procs)\" ]"
  [ -d "$(cgdir pids "$N")" ]
  run rt-cgroup --list --json
  assert_success
  echo "$output" | jq -e --arg n "$N" '.[] | select(.name == $n) | .in_use == false and .processes == 0'
  echo "$output" | jq -e --arg n "$N-live" '.[] | select(.name == $n) | .in_use == true and .processes == 1'
  run rt-cgroup --gc
  assert_success
  assert_line --regexp "^removed rt-$N: "
  assert_line "kept rt-$N-live: in use (its supervisor is running)"
  [ ! -d "$(cgdir pids "$N")" ]
  [ ! -d "$(cgdir memory "$N")" ]
  [ -d "$(cgdir pids "$N-live")" ]
  # --gc --name: only that one, and it says why it stays.
  run rt-cgroup --gc --name "$N-live"
  assert_equal "$status" 1
  assert_output "kept rt-$N-live: in use (its supervisor is running)"
  kill -TERM "$SUP"
  wait "$SUP" || true
  [ -z "$(our_groups)" ]
}

@test "SIGTERM or SIGINT to rt-cgroup: the payload gets it, and nothing is left" {
  need_v1 pids
  local sig
  for sig in TERM INT; do
    # (exec: a shell would wait for its foreground sleep before acting on SIGINT.)
    start_bg --name "$N" -- sh -c 'sleep 100 & echo $! > '"$BATS_TEST_TMPDIR/bgpid"'; exec sleep 100'
    wait_until 50 test -s "$BATS_TEST_TMPDIR/bgpid"
    kill -"$sig" "$SUP"
    wait_for "$SUP"
    [ "$status" -eq $((128 + $(kill -l "$sig"))) ]
    # The sleep in the background got no signal: rt-cgroup killed it.
    local p; p=$(cat "$BATS_TEST_TMPDIR/bgpid")
    gone "$p"
    [ -z "$(our_groups)" ]
    rm -f "$BATS_TEST_TMPDIR/bgpid"
  done
}

@test "a group name in use: exit 125, the running group untouched" {
  need_v1 pids
  start_bg --name "$N" -- sleep 100
  wait_until 50 populated "$N"
  run rt-cgroup --name "$N" -- true
  assert_equal "$status" 125
  assert_output --partial "a group named $N exists already"
  populated "$N"
  kill -TERM "$SUP"
  wait "$SUP" || true
  [ -z "$(our_groups)" ]
}

@test "bad values: one line, exit 125, no group created" {
  local args
  while IFS= read -r args; do
    # shellcheck disable=SC2086
    run rt-cgroup --name "$N" $args -- true
    [ "$status" -eq 125 ] || { echo "rt-cgroup $args: status $status" >&2; return 1; }
    [ "${#lines[@]}" -eq 1 ] || { echo "rt-cgroup $args: $output" >&2; return 1; }
    [[ "$output" == rt-cgroup:* ]]
    [ -z "$(our_groups)" ] || { echo "rt-cgroup $args left a group" >&2; return 1; }
  done <<'EOF'
--memory foo
--memory 1k
--memory 12Q
--memory-swap 64M
--memory 64M --memory-swap 32M
--memory 64M --memory-reservation 128M
--cpus 0
--cpus -1
--cpus abc
--cpus 4096
--cpu-shares 1
--cpu-shares 300000
--cpu-weight 0
--cpu-shares 512 --cpu-weight 50
--cpuset-cpus 1-0
--cpuset-cpus x
--cpuset-cpus 4000
--cpuset-mems 9
--pids 0
--pids abc
--io-weight 5
--io-weight 2000
--devices all
--parent ../etc
--memory
EOF
  run rt-cgroup --name 'a/b' -- true
  assert_equal "$status" 125
  assert_output --partial "invalid name 'a/b'"
  run rt-cgroup --stats "$N" -- true
  assert_equal "$status" 125
  run rt-cgroup --stats "$N" --memory 64M
  assert_equal "$status" 125
  run rt-cgroup --watch 1 -- true
  assert_equal "$status" 125
  run rt-cgroup
  assert_equal "$status" 125
  [ -z "$(our_groups)" ]
}

@test "RT_LOG=debug: each step with its time" {
  need_v1 memory
  run env RT_LOG=debug rt-cgroup --name "$N" --memory 64M -- true
  assert_success
  assert_line --regexp "^rt-cgroup: debug: \+[0-9]+us \([0-9]+us\) created .*/rt-$N\$"
  assert_line --regexp "set memory.limit_in_bytes=67108864\$"
  assert_line --regexp "moved [0-9]+ into "
  assert_line --regexp "removed group rt-$N\$"
}

@test "--info and --list describe this host" {
  run rt-cgroup --info --json
  assert_success
  echo "$output" | jq -e '.mode == "v1" or .mode == "v2" or .mode == "hybrid"'
  echo "$output" | jq -e '.hierarchies | length > 0'
  run rt-cgroup --info
  assert_success
  assert_line --index 0 --regexp '^cgroup (v1|v2|hybrid)'
  run rt-cgroup --list --json
  assert_success
  echo "$output" | jq -e 'type == "array"'
}

# inner.sh, run as rt-cgroup's PROGRAM (exec'd in place: the process that
# set RT_CGROUP_LAYOUT, whose children may take it): the value, then
# --info as a child given it (each argument after the directory: "as is",
# or a sed script that spoils it), and --info reading the mount table.
layout_script() {
  cat >"$BATS_TEST_TMPDIR/inner.sh" <<'EOF'
D=$1; shift
printf '%s\n' "$RT_CGROUP_LAYOUT" >"$D/value"
for how in "$@"; do
  v=$RT_CGROUP_LAYOUT
  [ "$how" = "as is" ] || v=$(printf '%s' "$v" | sed "$how")
  RT_CGROUP_LAYOUT=$v RT_LOG=debug rt-cgroup --info --json >"$D/given.json" 2>"$D/given.err"
  env -u RT_CGROUP_LAYOUT rt-cgroup --info --json >"$D/read.json"
  cmp "$D/given.json" "$D/read.json" || exit 3
  echo "$how: $(grep -o 'cgroup layout: .*\|not taken (.*)' "$D/given.err" | head -n 1)"
done
exit 0
EOF
}

@test "the layout goes down the chain (RT_CGROUP_LAYOUT): taken from the parent that set it, the group as its cgroup" {
  layout_script
  run rt-cgroup --name "$N" --no-wait -- sh "$BATS_TEST_TMPDIR/inner.sh" "$BATS_TEST_TMPDIR" "as is"
  assert_success
  assert_line --regexp '^as is: cgroup layout: (v1|v2|hybrid), [0-9]+ hierarchies \(handed down\)$'
  # the program's cgroup in it is the group it was started in
  grep -q "/rt-$N" "$BATS_TEST_TMPDIR/value"
  rt-cgroup --remove "$N"
  # A program run by a waiting rt-cgroup is its child: it gets the layout
  # too, which its own children (not rt-cgroup's) do not take.
  run rt-cgroup --name "$N" -- sh "$BATS_TEST_TMPDIR/inner.sh" "$BATS_TEST_TMPDIR" "as is"
  assert_success
  assert_line --regexp '^as is: not taken \(set by process [0-9]+, not by this one.s parent [0-9]+\)$'
  grep -q "/rt-$N" "$BATS_TEST_TMPDIR/value"
  # rt-exec ends it: the payload never inherits it
  RT_CGROUP_LAYOUT=x run rt-exec -- sh -c 'echo "${RT_CGROUP_LAYOUT-unset}"'
  assert_output unset
}

@test "a handed-down layout that does not check out is not taken: the mount table is read, the same layout found" {
  layout_script
  # A hierarchy this process is not in; two left out; another writer; an
  # old value; another version; garbage.
  run rt-cgroup --name "$N" --no-wait -- sh "$BATS_TEST_TMPDIR/inner.sh" "$BATS_TEST_TMPDIR" \
    's/;[0-9]* /;99 /' 's/;[^;]*$//; s/;[^;]*$//' 's/^1 [0-9]* /1 1 /' 's/^\(1 [0-9]* [0-9]* [0-9]*\) [0-9]*/\1 1/' \
    's/^1 /2 /' 's/.*/garbage/'
  assert_success
  assert_line --index 0 --regexp ': not taken \(hierarchy .* \(99\) is not one of /proc/self/cgroup.s\)$'
  # a v1 hierarchy of this process's is missing, or on a pure v2 host
  # (one hierarchy) none is left
  assert_line --index 1 --regexp ': not taken \((it lacks hierarchy .*|it names no hierarchy)\)$'
  assert_line --index 2 --regexp ': not taken \(set by process 1, not by this one.s parent [0-9]+\)$'
  assert_line --index 3 --regexp ': not taken \(set [0-9.e+]+ s ago\)$'
  assert_line --index 4 --regexp ': not taken \(not a layout of this version\)$'
  assert_line --index 5 --regexp ': not taken \(not a layout of this version\)$'
  rt-cgroup --remove "$N"
}

# ---------------------------------------------------------------- fake v2 tree
# This machine's v2 hierarchy has no controllers: the v2 limit files are
# checked against a fake tree (RT_CGROUP_FS), which proves what rt-cgroup
# writes where, not that a v2 kernel enforces it.

@test "v2 (fake tree): limits on rt-NAME, controllers handed down, payload in the leaf, caller's group untouched" {
  fake_tree cgroup-v2 "0::/delegated"
  local g="$FAKE/delegated/rt-$N"
  run rt-cgroup --name "$N" --memory 64M --memory-swap 96M --memory-reservation 32M --cpus 0.5 --cpu-shares 1024 \
    --pids 10 --io-weight 500 --devices docker -- sh -c "cp -r $g $BATS_TEST_TMPDIR/snap"
  assert_success
  local s="$BATS_TEST_TMPDIR/snap"
  assert_equal "$(cat $s/memory.max)" 67108864
  assert_equal "$(cat $s/memory.swap.max)" 33554432    # memory+swap minus memory
  assert_equal "$(cat $s/memory.low)" 33554432
  assert_equal "$(cat $s/cpu.max)" "50000 100000"
  assert_equal "$(cat $s/cpu.weight)" 100              # shares 1024 -> weight 100
  assert_equal "$(cat $s/pids.max)" 10
  assert_equal "$(cat $s/io.weight)" "default 4950"    # 1 + (500-10)*9999/990
  # rt-NAME hands its controllers down; it has no process, the leaf has them.
  assert_equal "$(cat $s/cgroup.subtree_control)" "+memory +pids +cpu +io"
  [ ! -s "$s/cgroup.procs" ]
  [ -s "$s/payload/cgroup.procs" ]
  assert_equal "$(cat $s/payload/memory.max)" max
  # Nothing was written to the caller's group, and all is gone after.
  diff -r "$BATS_TEST_DIRNAME/../fixtures/cgroup-v2" "$FAKE"
}

@test "v2 (fake tree): a caller's cgroup that delegates nothing: clear error, nothing written" {
  fake_tree cgroup-v2 "0::/user.slice/session-1.scope"
  run rt-cgroup --name "$N" --memory 64M -- true
  assert_equal "$status" 125
  assert_output --partial "the memory controller is not delegated to /user.slice/session-1.scope"
  assert_output --partial "use --parent"
  # Without limits it still runs (no controller needed), writing only to its own group.
  run rt-cgroup --name "$N" -- sh -c "cat $FAKE/user.slice/session-1.scope/rt-$N/payload/cgroup.procs"
  assert_success
  [ -n "$output" ]
  diff -r "$BATS_TEST_DIRNAME/../fixtures/cgroup-v2" "$FAKE"
  # The parent of the scope delegates memory and pids, not cpu.
  run rt-cgroup --name "$N" --parent /user.slice --pids 5 -- cat "$FAKE/user.slice/rt-$N/pids.max"
  assert_success
  assert_output 5
  run rt-cgroup --name "$N" --parent /user.slice --cpus 1 -- true
  assert_equal "$status" 125
  assert_output --partial "the cpu controller is not delegated to /user.slice"
  diff -r "$BATS_TEST_DIRNAME/../fixtures/cgroup-v2" "$FAKE"
}

@test "v2 (fake tree): --parent makes the missing parents, enables controllers only there, removes them after" {
  fake_tree cgroup-v2 "0::/delegated"
  run rt-cgroup --name "$N" --parent /rt-p/sub --memory 64M -- sh -c \
    "awk 1 $FAKE/rt-p/cgroup.subtree_control $FAKE/rt-p/sub/cgroup.subtree_control $FAKE/rt-p/sub/rt-$N/memory.max $FAKE/cgroup.subtree_control"
  assert_success
  assert_line --index 0 "+memory +pids +cpu +io"
  assert_line --index 1 "+memory +pids +cpu +io"
  assert_line --index 2 67108864
  assert_line --index 3 "cpuset cpu io memory pids"  # the root's, untouched
  diff -r "$BATS_TEST_DIRNAME/../fixtures/cgroup-v2" "$FAKE"
}

@test "v2 (fake tree): --path holds the processes in the group itself (no payload leaf); a relative path is below the caller's parent" {
  fake_tree cgroup-v2 "0::/delegated/me"
  mkdir "$FAKE/delegated/me"
  local g="$FAKE/rt-$N"
  run rt-cgroup --path "/rt-$N" --memory 64M --pids 5 -- sh -c "cp -r $g $BATS_TEST_TMPDIR/snap"
  assert_success
  local s="$BATS_TEST_TMPDIR/snap"
  assert_equal "$(cat $s/memory.max)" 67108864
  assert_equal "$(cat $s/pids.max)" 5
  [ -s "$s/cgroup.procs" ]
  [ ! -e "$s/payload" ]
  # It hands nothing down: the processes are in it.
  assert_equal "$(cat $s/cgroup.subtree_control)" ""
  [ ! -e "$g" ]
  # Relative: below the caller's parent (/delegated), whose subtree_control delegates memory.
  run rt-cgroup --path "rt-$N/c" --memory 64M -- cat "$FAKE/delegated/rt-$N/c/memory.max"
  assert_success
  assert_output 67108864
  [ ! -e "$FAKE/delegated/rt-$N" ]
  rmdir "$FAKE/delegated/me"
  diff -r "$BATS_TEST_DIRNAME/../fixtures/cgroup-v2" "$FAKE"
}

@test "v2 (fake tree): --cpu-quota/--cpu-period in cpu.max, io.max, --hugetlb, --unified; --update keeps what it does not give; v1-only settings refused" {
  fake_tree cgroup-v2 "0::/delegated"
  printf 'cpuset cpu io memory pids hugetlb\n' > "$FAKE/delegated/cgroup.subtree_control"
  cp -a "$FAKE/delegated/cgroup.subtree_control" "$BATS_TEST_TMPDIR/sc"
  printf 'max\n' > "$FAKE/.template/hugetlb.2MB.max"
  printf 'cpuset cpu io memory pids hugetlb\n' > "$FAKE/.template/cgroup.controllers"
  : > "$FAKE/.template/io.max"
  : > "$FAKE/.template/memory.high"
  local g="$FAKE/delegated/rt-$N"
  run rt-cgroup --no-wait --name "$N" --cpu-quota 20000 --cpu-period 50000 --device-read-bps 8:0=1000 --device-write-iops 8:0=7 \
    --hugetlb 2MB=4M --unified memory.high=64M -- true
  assert_success
  run awk 1 "$g/cpu.max" "$g/io.max" "$g/hugetlb.2MB.max" "$g/memory.high"
  assert_output "$(printf '20000 50000\n8:0 rbps=1000 wiops=7\n4194304\n64M')"
  run rt-cgroup --update "$N" --cpu-quota 10000 --unified memory.high=32M
  assert_success
  assert_equal "$(cat "$g/cpu.max")" "10000 50000"
  assert_equal "$(cat "$g/memory.high")" 32M
  run rt-cgroup --update "$N" --memory-swappiness 10
  assert_equal "$status" 125
  assert_output --partial "cannot apply --memory-swappiness: cgroup v2 has no such setting"
  rt-cgroup --remove "$N"
  for o in "--memory-swappiness 10" "--oom-kill-disable" "--kernel-memory-tcp 1M"; do
    run rt-cgroup --name "$N" $o -- true
    assert_equal "$status" 125
    assert_output --partial "cgroup v2 has no such setting"
  done
  [ ! -e "$g" ]
}

@test "v2 (fake tree): shares to weight as runc 1.3.2 and crun 1.23; --cpu-weight as is; io.bfq.weight preferred" {
  fake_tree cgroup-v2 "0::/delegated"
  local shares weight g="$FAKE/delegated/rt-$N"
  while read -r shares weight; do
    run rt-cgroup --name "$N" --cpu-shares "$shares" -- cat "$g/cpu.weight"
    assert_output "$weight"
  done <<'EOF'
2 1
1024 100
262144 10000
512 59
2048 174
100 17
EOF
  run rt-cgroup --name "$N" --cpu-weight 250 -- cat "$g/cpu.weight"
  assert_output 250
  printf '100\n' > "$FAKE/.template/io.bfq.weight"
  run rt-cgroup --name "$N" --io-weight 300 -- awk 1 "$g/io.bfq.weight" "$g/io.weight"
  assert_output "$(printf '300\ndefault 100')"
  run rt-cgroup --name "$N" --cpuset-cpus 0 -- true
  assert_equal "$status" 125
  assert_output --partial "the cpuset controller is not delegated"
}

@test "v2 (fake tree): --stats, --list and --gc read the v2 files" {
  fake_tree cgroup-v2 "0::/delegated"
  local g="$FAKE/delegated/rt-$N"
  mkdir -p "$g/payload"
  printf '12345678\n' > "$g/memory.current"
  printf '67108864\n' > "$g/memory.max"
  printf '23456789\n' > "$g/memory.peak"
  printf 'anon 1000\nfile 2\n' > "$g/memory.stat"
  printf 'low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n' > "$g/memory.events"
  printf 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 4\nthrottled_usec 77\n' > "$g/cpu.stat"
  printf '50000 100000\n' > "$g/cpu.max"
  printf '3\n' > "$g/pids.current"
  printf 'max\n' > "$g/pids.max"
  printf '8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n' > "$g/io.stat"
  printf 'populated 0\nfrozen 0\n' > "$g/cgroup.events"
  : > "$g/cgroup.procs"
  run rt-cgroup --stats "$N" --json
  assert_success
  echo "$output" | jq -e '.memory_usage_bytes == 12345678 and .memory_limit_bytes == 67108864 and .memory_peak_bytes == 23456789'
  echo "$output" | jq -e '.memory_anon_bytes == 1000 and .oom_kills == 2'
  echo "$output" | jq -e '.cpu_usage_ns == 1500000 and .cpu_user_ns == 1000000 and .cpu_system_ns == 500000'
  echo "$output" | jq -e '.cpu_periods == 10 and .cpu_throttled_periods == 4 and .cpu_throttled_ns == 77000 and .cpu_limit == 0.5'
  echo "$output" | jq -e '.pids_current == 3 and .pids_limit == null and .io_read_bytes == 101 and .io_write_bytes == 202'
  run rt-cgroup --list --json
  echo "$output" | jq -e --arg n "$N" '.[0].name == $n and .[0].in_use == false'
  run rt-cgroup --gc
  assert_success
  assert_output "removed rt-$N: $g"
  [ ! -e "$g" ]
  diff -r "$BATS_TEST_DIRNAME/../fixtures/cgroup-v2" "$FAKE"
}

@test "v1 (fake tree) without swap accounting: --memory-swap is refused before anything is made" {
  fake_tree cgroup-v1-noswap "$(printf '4:memory:/\n3:pids:/\n2:cpuacct:/\n1:freezer:/\n5:cpu:/\n6:cpuset:/')"
  run rt-cgroup --name "$N" --memory 64M --memory-swap 128M -- true
  assert_equal "$status" 125
  assert_output --partial "swap accounting is off"
  diff -r "$BATS_TEST_DIRNAME/../fixtures/cgroup-v1-noswap" "$FAKE"
  # Unlimited swap needs no file; nor does --memory alone.
  run rt-cgroup --name "$N" --memory 64M --memory-swap -1 -- cat "$FAKE/memory/rt-$N/memory.limit_in_bytes"
  assert_success
  assert_output 67108864
  run rt-cgroup --name "$N" --cpuset-cpus 1 -- awk 1 "$FAKE/cpuset/rt-$N/cpuset.cpus" "$FAKE/cpuset/rt-$N/cpuset.mems"
  assert_success
  assert_output "$(printf '1\n0')"
  run rt-cgroup --name "$N" --cpuset-cpus 2 -- true
  assert_equal "$status" 125
  assert_output --partial "CPU 2 is not available here"
  diff -r "$BATS_TEST_DIRNAME/../fixtures/cgroup-v1-noswap" "$FAKE"
}

@test "--device-rule: rules in order, the last matching one deciding for each access (v1 lists, v2 BPF filter); what v1 cannot express is refused; a bad rule is one line" {
  local t="$BATS_TEST_TMPDIR"
  # Minors of major 1 with no driver: opening one the rules allow fails with
  # ENXIO, one they deny with EPERM.
  mknod "$t/a" c 1 200
  mknod "$t/b" c 1 201
  cat > "$t/probe" <<EOS
#!/bin/sh
for n in a b; do
  err=\$( (: < $t/\$n) 2>&1 ); case "\$err" in *"not permitted"*) echo "\$n r denied";; *) echo "\$n r allowed";; esac
  err=\$( (: > $t/\$n) 2>&1 ); case "\$err" in *"not permitted"*) echo "\$n w denied";; *) echo "\$n w allowed";; esac
done
EOS
  chmod +x "$t/probe"
  run "$t/probe"
  assert_output "a r allowed
a w allowed
b r allowed
b w allowed"
  local cg ran=0 envs
  for cg in v1 v2; do
    if [ $cg = v1 ]; then
      grep -q ':devices:' /proc/self/cgroup || continue
      envs=
    else
      # A hybrid host's v2 hierarchy (asked for), or a pure v2 host's.
      grep -q ' - cgroup2 ' /proc/self/mountinfo || continue
      if [ -d /sys/fs/cgroup/unified ]; then envs=RT_CGROUP_UNIFIED=1
      elif grep -q ':devices:' /proc/self/cgroup; then continue
      else envs=; fi
    fi
    ran=1
    run env $envs rt-cgroup --name "$N" --device-rule 'allow a' --device-rule 'deny c 1:201 rwm' -- "$t/probe"
    assert_success
    assert_output "a r allowed
a w allowed
b r denied
b w denied"
    run env $envs rt-cgroup --name "$N" --device-rule 'deny a' --device-rule 'allow c 1:* r' --device-rule 'allow c 1:201 w' -- "$t/probe"
    assert_output "a r allowed
a w denied
b r allowed
b w allowed"
    run env $envs rt-cgroup --name "$N" --devices docker --device-rule 'allow c 1:200 rw' -- "$t/probe"
    assert_output "a r allowed
a w allowed
b r denied
b w denied"
    # A deny cutting into an earlier, wider allow: the BPF filter takes it,
    # a v1 list cannot, and is refused before anything is made.
    run env $envs rt-cgroup --name "$N" --device-rule 'deny a' --device-rule 'allow c 1:* rw' --device-rule 'deny c 1:201 w' -- "$t/probe"
    if [ $cg = v2 ]; then
      assert_success
      assert_output "a r allowed
a w allowed
b r allowed
b w denied"
    else
      assert_equal "$status" 125
      assert_output "rt-cgroup: device rule 'deny c 1:201 w' cannot be applied on cgroup v1 after 'allow c 1:* rw': there a deny rule only undoes an identical earlier one (the v2 filter takes any order)"
    fi
    [ -z "$(our_groups)" ]
  done
  [ $ran = 1 ] || skip "needs the v1 devices controller or a cgroup v2 hierarchy"
  run rt-cgroup --name "$N" --device-rule 'allow x 1:3' -- true
  assert_equal "$status" 125
  assert_output "rt-cgroup: invalid --device-rule 'allow x 1:3': type 'x' is not a, c or b (as 'allow c 1:3 rwm' or 'deny a')"
  run rt-cgroup --name "$N" --device-rule 'allow c 1:3 rwx' -- true
  assert_equal "$status" 125
  assert_output "rt-cgroup: invalid --device-rule 'allow c 1:3 rwx': access 'rwx' has 'x': expected r, w and m (as 'allow c 1:3 rwm' or 'deny a')"
}
