#!/usr/bin/env bats
# rt-run: containers from a rootfs, their state and their lifecycle.

load helpers

setup() {
  rt_setup
  R="$RT_ROOTFS"
}

teardown() {
  rt_stop_leftovers
  rt_teardown
}

state() { jq -r "$2" "$RT_STATE/containers/$1/state.json"; }
only_id() { ls "$RT_STATE/containers"; }

@test "rt-run: runs a command in a container and passes its exit status through" {
  run rt-run --rm -f "$R" -- /bin/sh -c 'echo hello; exit 3'
  assert_equal "$status" 3
  assert_output hello
  # A PID 1 ignores signals it has no handler for; under --init the
  # payload is not PID 1, and its death by signal N gives 128+N.
  run rt-run --rm -f "$R" --init /bin/sh -c 'kill -USR1 $$'
  assert_equal "$status" $((128 + 10))
}

@test "rt-run: the container is PID 1 with its own hostname, namespaces and /proc" {
  run rt-run --rm -f "$R" -h box /bin/sh -c 'echo $$ $(hostname); ls /proc | grep -c "^[0-9]"'
  assert_success
  assert_line --index 0 "1 box"
  [ "${lines[1]}" -le 3 ]
  run rt-run --rm -f "$R" /bin/sh -c 'for n in net ipc uts cgroup; do readlink /proc/self/ns/$n; done'
  assert_success
  for ns in net ipc uts cgroup; do
    refute_output --partial "$(readlink /proc/self/ns/$ns)"
  done
}

@test "rt-run --network none: lo is up; a server on 127.0.0.1 and on ::1 answers from inside" {
  run rt-run --rm -f "$R" --network none -h lo-test /bin/sh -c '
    ip -o link | wc -l; cat /sys/class/net/lo/flags
    httpd -p 127.0.0.1:8080 -h /etc && httpd -p "[::1]:8081" -h /etc &&
      wget -qO- http://127.0.0.1:8080/hostname && wget -qO- "http://[::1]:8081/hostname"'
  assert_success
  assert_line -n 0 1
  assert_line -n 1 0x9   # IFF_UP|IFF_LOOPBACK
  assert_line -n 2 lo-test
  assert_line -n 3 lo-test
}

@test "rt-run --network none (root): the network namespace is made ahead and joined by rt-unshare --net-from, never rt-run's own" {
  run --separate-stderr rt-run --rm -f "$R" --network none --log-level debug /bin/sh -c 'readlink /proc/self/ns/net; ls /sys/class/net'
  assert_success
  assert_line -n 0 --regexp '^net:\[[0-9]+\]$'
  refute_line -n 0 "$(readlink /proc/self/ns/net)"
  assert_line -n 1 lo
  assert_equal "${#lines[@]}" 2
  # rt-run made it (lo up) while the chain started; rt-unshare
  # received it on fd 9 instead of making one with --net.
  grep -q 'rt-run.*lo up (ahead)' <<<"$stderr"
  grep -q 'rt-unshare.*joined the network namespace received on fd 9' <<<"$stderr"
  run grep -c 'rt-unshare.*brought lo up' <<<"$stderr"
  assert_output 0
  # --explain prints --net (a shell cannot hand a namespace on a socket)
  # and says that rt-run makes it ahead.
  run rt-run --explain -f "$R" --network none true
  assert_line --partial "# rt-run itself makes this network namespace (lo up) ahead"
  assert_output --partial "rt-unshare --pid --mount --uts --ipc --cgroup --net "
  refute_output --partial -- "--net-from 9"
}

@test "rt-run --network none: when the network namespace made ahead fails, the container does not start and nothing is left" {
  # unshare(CLONE_NEWNET) alone, as rt-run's thread calls it, fails with
  # ENOSPC (a host at user.max_net_namespaces); the chain's own unshare of
  # its other namespaces (other flags) is allowed.
  cat > "$BATS_TEST_TMPDIR/no-netns.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28,
               "args": [{"index": 0, "value": 1073741824, "op": "SCMP_CMP_EQ"}]}]}
EOF
  run rt-exec --seccomp "$BATS_TEST_TMPDIR/no-netns.json" -- rt-run --rm -f "$R" --network none -- touch /ran
  assert_equal "$status" 125
  assert_line "rt-unshare: --net-from 9: no network namespace arrived (the sender closed the socket)"
  assert_line "rt-run: the container did not start: cannot create a network namespace: No space left on device"
  assert_equal "${#lines[@]}" 2
  [ ! -d "$RT_STATE/containers" ] || [ -z "$(ls "$RT_STATE/containers")" ]
  [ -z "$(ls "$RT_ROOT/containers" 2>/dev/null)" ]
  # Detached: the supervisor makes it; rt-run itself holds no end of the
  # socket that would keep rt-unshare waiting.
  run rt-exec --seccomp "$BATS_TEST_TMPDIR/no-netns.json" -- rt-run -d -f "$R" --network none -- touch /ran
  assert_equal "$status" 125
  assert_line "rt-run: the container did not start: cannot create a network namespace: No space left on device"
}

@test "rt-run --network none (root): the name, the /etc files, the layer's dirs and the record are written after the chain's fork, before rt-unshare goes on" {
  run --separate-stderr rt-run --rm -f "$R" --network none -m 64m --log-level debug true
  assert_success
  # rt-run's steps and rt-unshare's, in the order they were logged: rt-run
  # writes while rt-cgroup runs, and rt-unshare goes on (to mount the
  # layer, to start the payload) only once the namespace is sent after them.
  local steps
  steps=$(sed -nE 's/^(rt-run|rt-unshare): debug: [+][0-9]+us [(][0-9]+us[)] (started chain|claimed name|wrote hosts, hostname|made the layer dirs|container [0-9a-f]{12} recorded|network namespace sent|joined the network namespace).*/\1: \2/p' <<<"$stderr" |
    sed -E 's/[0-9a-f]{12}/ID/' | tr '\n' ';')
  # (rt-run logs "sent" after its sendmsg, rt-unshare "joined" after its
  # recvmsg: those two lines may come in either order, the rest may not)
  assert_equal "${steps/rt-unshare: joined the network namespace;/}" "rt-run: started chain;rt-run: claimed name;rt-run: wrote hosts, hostname;rt-run: made the layer dirs;rt-run: container ID recorded;rt-run: network namespace sent;"
  [[ "$steps" == *"rt-run: container ID recorded;"*"rt-unshare: joined the network namespace;"* ]] || fail "rt-unshare went on before rt-run's writes: $steps"
  # rt-cgroup made the group meanwhile
  grep -q '^rt-cgroup: debug: .* created /sys/fs/cgroup/' <<<"$stderr"
}

@test "rt-run --network none (root): a name in use, claimed after the chain's fork, stops the chain and leaves nothing" {
  run rt-run --name same -f "$R" true
  assert_success
  local first
  first=$(id_of same)
  run --separate-stderr rt-run --rm --name same -f "$R" --network none -m 64m --log-level debug -- touch /ran
  assert_equal "$status" 125
  # the chain had started when the name was found taken
  grep -q '^rt-run: debug: .* started chain, pid [0-9]*$' <<<"$stderr"
  if grep -q '^rt-run: debug: .* claimed name' <<<"$stderr"; then fail "a name was claimed"; fi
  assert_equal "$(grep -v ': debug: ' <<<"$stderr")" \
    "rt-run: the container name 'same' is already in use (remove that container or choose another name)"
  # its group (if rt-cgroup got to make one before it was stopped)
  local id
  id=$(grep -oE '^rt-cgroup: debug: .* created /sys/fs/cgroup/.*rt-[0-9a-f]{64}$' <<<"$stderr" | grep -oE '[0-9a-f]{64}$' | head -n 1 || true)
  [ -z "$id" ] || assert_no_group "$id"
  # the first container's record, name and layer alone
  assert_equal "$(ls "$RT_STATE/containers")" "$first"
  assert_equal "$(cat "$RT_STATE/names/same")" "$first"
  assert_equal "$(ls "$RT_ROOT/containers" | tr '\n' ' ')" "$first $first.work "
  # no process of the chain (its rt-mount link names the test's layer dir) is left
  local left
  left=$(grep -l "[${RT_ROOT:0:1}]${RT_ROOT:1}/containers" /proc/[0-9]*/cmdline 2>/dev/null || true)
  [ -z "$left" ] || fail "process left: $left"
}

@test "rt-run --network none (root): a failure writing the container's files after the chain's fork stops the chain and leaves nothing" {
  # The layer's directory cannot be made (a read-only file system there,
  # in a mount namespace of the test's own): rt-cgroup runs meanwhile.
  mkdir -p "$RT_ROOT/containers"
  run unshare --mount --propagation private sh -c 'mount -t tmpfs -o ro rt-test-ro "$1" && shift && exec "$@"' sh \
    "$RT_ROOT/containers" rt-run --rm -f "$R" --network none -m 64m -- touch /ran
  assert_equal "$status" 125
  assert_output --regexp "^rt-run: cannot create $RT_ROOT/containers/[0-9a-f]{64}: Read-only file system\$"
  assert_equal "${#lines[@]}" 1
  local id
  id=$(grep -oE '[0-9a-f]{64}' <<<"$output")
  assert_no_group "$id"
  [ -z "$(ls "$RT_STATE/containers")" ] && [ -z "$(ls "$RT_STATE/names")" ]
  [ -z "$(ls "$RT_ROOT/containers")" ]
  # no process of the chain (its argv names the container's id) is left
  local left
  left=$(grep -l "[${id:0:1}]${id:1}" /proc/[0-9]*/cmdline 2>/dev/null || true)
  [ -z "$left" ] || fail "process left: $left"
}

@test "rt-run: /sys/fs/cgroup shows the container's own groups, read-only, with its limits" {
  # Known gap on a pure v2 host: the namespace's root is the leaf
  # rt-NAME/payload, and the limits sit on rt-NAME above it.
  if ! grep -qv '^0::' /proc/self/cgroup; then
    skip "pure cgroup v2: the container sees its leaf rt-NAME/payload, not the limits on rt-NAME (known gap, rt-mount(1))"
  fi
  run rt-run --rm -f "$R" -m 48m --pids-limit 40 /bin/sh -c '
    if [ -f /sys/fs/cgroup/memory.max ]; then cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cgroup.procs
    else cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids/cgroup.procs; fi
    echo 100 > /sys/fs/cgroup/pids/pids.max || echo 100 > /sys/fs/cgroup/pids.max'
  assert_failure
  assert_line --index 0 50331648
  assert_line --index 1 40
  assert_line --index 2 1   # only the container's own processes (sh is PID 1)
  assert_output --partial "Read-only file system"
}

@test "rt-run: the cgroup layout goes down the chain (RT_CGROUP_LAYOUT): rt-mount reads no mount table; the payload never sees it" {
  # rt-run drops one from its caller; rt-cgroup hands its own on to rt-mount.
  RT_CGROUP_LAYOUT="1 $$ 1 1 1;99 memory /tmp / /" \
    run --separate-stderr rt-run --rm -f "$R" -m 48m --log-level debug /bin/sh -c 'echo "${RT_CGROUP_LAYOUT-unset}"; ls /sys/fs/cgroup | wc -l'
  assert_success
  assert_line --index 0 unset
  [ "${lines[1]}" -gt 0 ]
  grep -qE '^rt-mount: debug: .* cgroup layout: (v1|v2|hybrid), [0-9]+ hierarchies \(handed down\)$' <<<"$stderr"
  ! grep -q 'RT_CGROUP_LAYOUT not taken' <<<"$stderr"
}

@test "rt-run: the default hostname is the short id; 127 and 126 for a bad command" {
  run rt-run -f "$R" hostname
  assert_success
  id=$(only_id)
  assert_output "${id:0:12}"
  run -127 rt-run --rm -f "$R" /nonexistent
  assert_output --partial "nonexistent"
  run rt-run --rm -f "$R" /etc/passwd
  assert_equal "$status" 126
}

@test "rt-run: writes go to the container's own layer; the rootfs is never modified" {
  r=$(rootfs_copy)
  before=$(find "$r" -printf '%p %s %T@\n' | sort | md5sum)
  run rt-run --name w1 -f "$r" /bin/sh -c 'echo data > /etc/newfile; rm /etc/group; echo x >> /etc/passwd'
  assert_success
  after=$(find "$r" -printf '%p %s %T@\n' | sort | md5sum)
  assert_equal "$before" "$after"
  id=$(only_id)
  bundle=$(state "$id" .bundle)
  # the layer: its upper dir and the overlay's work dir beside it, on disk
  # under RT_ROOT, and nothing else there
  assert_equal "$bundle" "$RT_ROOT/containers/$id"
  assert_file_exists "$bundle/etc/newfile"
  assert_dir_exists "$bundle.work/work"
  assert_equal "$(ls -A "$RT_ROOT/containers" | tr '\n' ' ')" "$id $id.work "
  # Another container on the same rootfs sees the original files.
  run rt-run --rm -f "$r" cat /etc/group
  assert_success
  assert_output "$(cat "$r/etc/group")"
  # rm removes the layer and the record.
  run rt-repl rm w1
  assert_success
  assert_dir_not_exists "$bundle"
  assert_dir_not_exists "$bundle.work"
  assert_dir_not_exists "$RT_STATE/containers/$id"
}

@test "rt-run: --rm removes the record and the layer when the container exits" {
  run rt-run --rm -f "$R" true
  assert_success
  [ -z "$(ls "$RT_STATE/containers")" ]
  [ -z "$(ls "$RT_ROOT/containers" 2>/dev/null)" ]
}

@test "rt-run: state.json records id, name, status, exit code, times, command, cgroup" {
  run rt-run --name st -f "$R" /bin/sh -c 'exit 5'
  assert_equal "$status" 5
  id=$(only_id)
  [[ "$id" =~ ^[0-9a-f]{64}$ ]]
  assert_equal "$(state "$id" .name)" st
  assert_equal "$(state "$id" .status)" exited
  assert_equal "$(state "$id" .exit_code)" 5
  assert_equal "$(state "$id" '.command|join(" ")')" "/bin/sh -c exit 5"
  assert_equal "$(state "$id" .rootfs)" "$R"
  [[ "$(state "$id" .created)" =~ ^20[0-9-]+T[0-9:.]+Z$ ]]
  [[ "$(state "$id" .started)" =~ ^20[0-9-]+T[0-9:.]+Z$ ]]
  [[ "$(state "$id" .finished)" =~ ^20[0-9-]+T[0-9:.]+Z$ ]]
  [ "$(state "$id" .pid)" -gt 1 ]
  [ -n "$(state "$id" '.cgroup_paths[0]')" ]
  # unique prefixes and names resolve
  run rt-repl inspect "${id:0:5}"
  assert_success
  assert_output --partial "\"id\": \"$id\""
  run rt-repl inspect st
  assert_success
}

@test "rt-run: names are unique; bad names are refused" {
  run rt-run --name same -f "$R" true
  assert_success
  run rt-run --name same -f "$R" true
  assert_equal "$status" 125
  assert_output --partial "already in use"
  run rt-run --name 'bad/name' -f "$R" true
  assert_equal "$status" 125
  assert_output --partial "invalid container name"
  [ "$(ls "$RT_STATE/containers" | wc -l)" -eq 1 ]
}

@test "rt-run: -e, --env-file, -w, -u set the process environment" {
  printf 'A=from_file\n# comment\n\nB=2\n' > "$BATS_TEST_TMPDIR/env"
  export PASSED=through
  run rt-run --rm -f "$R" -e X=1 -e PASSED --env-file "$BATS_TEST_TMPDIR/env" -w /work -u user \
    /bin/sh -c 'echo $X $A $B $PASSED; pwd; id -u; id -g; echo $HOME; echo $PATH'
  assert_success
  assert_line --index 0 "1 from_file 2 through"
  assert_line --index 1 /work
  assert_line --index 2 1000
  assert_line --index 3 1000
  assert_line --index 4 /home/user
  assert_line --index 5 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  # a non-root user can use the container's root (the writable layer's
  # mode), and read its /etc/hostname (rt-run's, bind-mounted)
  run rt-run --rm -f "$R" -u 1000 -h box cat /etc/hostname /etc/group
  assert_success
  assert_line --index 0 box
  assert_line --index 1 --partial root
  run rt-run --rm -f "$R" -u 1234:5678 /bin/sh -c 'id -u; id -g'
  assert_success
  assert_output $'1234\n5678'
}

@test "rt-run: -v binds host paths read-write and read-only; --tmpfs; --read-only" {
  mkdir -p "$BATS_TEST_TMPDIR/vol"
  echo host > "$BATS_TEST_TMPDIR/vol/in"
  run rt-run --rm -f "$R" -v "$BATS_TEST_TMPDIR/vol:/data" /bin/sh -c 'cat /data/in; echo c > /data/out'
  assert_success
  assert_output host
  assert_file_exists "$BATS_TEST_TMPDIR/vol/out"
  run rt-run --rm -f "$R" -v "$BATS_TEST_TMPDIR/vol:/data:ro" /bin/sh -c 'echo c > /data/out2'
  assert_failure
  assert_file_not_exists "$BATS_TEST_TMPDIR/vol/out2"
  run rt-run --rm -f "$R" --tmpfs /scratch:size=1m /bin/sh -c 'grep " /scratch " /proc/mounts'
  assert_success
  assert_output --partial tmpfs
  assert_output --partial size=1024k
  run rt-run --rm -f "$R" --read-only /bin/sh -c 'touch /x'
  assert_failure
  assert_output --partial "Read-only file system"
  run rt-run --rm -f "$R" --read-only /bin/sh -c 'touch /tmp/x /dev/shm/x && echo ok'
  assert_success
  assert_output ok
}

@test "rt-run --read-only: no writable layer on disk; the mount points the rootfs lacks are made in memory" {
  # The busybox rootfs has no /etc/hosts: its mount point goes to the
  # container's layer, which for a read-only root is a tmpfs of rt-mount's.
  [ ! -e "$R/etc/hosts" ]
  before=$(cd "$R" && find . -printf '%p %y %m %s\n' | sort | md5sum)
  id=$(rt-run -d -f "$R" --read-only -w /made/here /bin/sh -c 'sleep 60')
  [ -z "$(ls "$RT_ROOT/containers" 2>/dev/null)" ]
  assert_equal "$(state "$id" .bundle)" ""
  run rt-repl exec "$id" /bin/sh -c 'pwd; grep -c localhost /etc/hosts; touch /x; grep " / " /proc/mounts'
  assert_line "/made/here"
  assert_line "2"
  assert_line --partial "Read-only file system"
  assert_output --regexp ' / overlay ro,'
  rt-repl rm -f "$id" >/dev/null
  assert_dir_not_exists "$RT_STATE/containers/$id"
  assert_equal "$(cd "$R" && find . -printf '%p %y %m %s\n' | sort | md5sum)" "$before"
}

@test "rt-run: -v refuses named volumes and relative container paths" {
  run rt-run --rm -f "$R" -v data:/data true
  assert_equal "$status" 125
  assert_output --partial "named volumes are not supported"
  run rt-run --rm -f "$R" -v /tmp:data true
  assert_equal "$status" 125
  assert_output --partial "must be absolute"
}

@test "rt-run: -m limits memory: a hog is OOM-killed (137), a small allocation succeeds" {
  run rt-run --rm -f "$R" -m 32m /bin/sh -c 'head -c 8m /dev/zero | tail >/dev/null && echo small-ok'
  assert_success
  assert_output small-ok
  run rt-run --rm -f "$R" -m 32m --memory-swap 32m /bin/sh -c 'tail /dev/zero'
  assert_equal "$status" 137
}

@test "rt-run: --pids-limit contains a fork bomb" {
  # The bomb forks until the limit stops it, then the container lives on.
  id=$(rt-run -d -f "$R" --pids-limit 20 /bin/sh -c \
    'sh -c "while :; do sleep 60 & done" 2>/dev/null; exec sleep 60')
  pids=$(state "$id" '.cgroup_paths[]' | awk -F: '$2 == "pids" {print $3}')
  d=/sys/fs/cgroup/pids$pids
  wait_until 100 sh -c "[ \$(cut -d' ' -f2 $d/pids.events) -gt 0 ]"
  [ "$(cat "$d/pids.current")" -le 20 ]
  assert_equal "$(cat "$d/pids.max")" 20
  rt-repl rm -f "$id"
}

@test "rt-run: --cpuset-cpus pins and --cpus/--cpu-shares reach the cgroup" {
  run rt-run --rm -f "$R" --cpuset-cpus 0 /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
  assert_success
  assert_output --regexp 'Cpus_allowed_list:[[:space:]]+0$'
  rt-run -d --name cpu -f "$R" --cpus 0.5 --cpu-shares 512 sleep 30 >/dev/null
  id=$(only_id)
  cpu=$(state "$id" '.cgroup_paths[]' | awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}')
  [ -n "$cpu" ]
  d=/sys/fs/cgroup/cpu$cpu
  [ -d "$d" ] || d=$(ls -d /sys/fs/cgroup/cpu,cpuacct$cpu 2>/dev/null)
  assert_equal "$(cat "$d/cpu.cfs_quota_us")" 50000
  assert_equal "$(cat "$d/cpu.shares")" 512
  rt-repl rm -f cpu
}

@test "rt-run: --cgroup-parent puts the group below PATH on every hierarchy and removes what it made" {
  # PATH below our own memory cgroup (v2: our cgroup), so the test makes
  # nothing beside a cgroup that is not rt's.
  local own p h made=""
  own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
  [ -n "$own" ] || own=$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
  p="${own%/}/rt-tp-$$"
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [ -f "$h/cgroup.procs" ] && [ ! -d "$h$own" ] && made="$made $h$own"
  done
  rt-run -d --name cp -f "$R" --cgroup-parent "$p" -m 32m --pids-limit 20 sleep 30 >/dev/null
  id=$(only_id)
  run state "$id" '.cgroup_paths[]'
  assert_line --regexp "^[0-9]+:([^:]*,)?memory(,[^:]*)?:$p/rt-$id\$"
  local mem pids
  mem=$(state "$id" '.cgroup_paths[]' | awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}')
  pids=$(state "$id" '.cgroup_paths[]' | awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}')
  if [ -d /sys/fs/cgroup/memory ]; then
    assert_equal "$(cat "/sys/fs/cgroup/memory$mem/memory.limit_in_bytes")" 33554432
    assert_equal "$(cat "/sys/fs/cgroup/pids$pids/pids.max")" 20
  else
    assert_equal "$(cat "/sys/fs/cgroup$mem/memory.max")" 33554432
    assert_equal "$(cat "/sys/fs/cgroup$mem/pids.max")" 20
  fi
  rt-repl rm -f cp
  # Gone on every hierarchy, with the parents rt made for it.
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [ ! -e "$h$p" ] || fail "left behind: $h$p"
  done
  for h in $made; do
    [ ! -e "$h" ] || fail "a parent rt made is left behind: $h"
  done
}

@test "rt-run: capabilities: docker's default set, --cap-drop and --cap-add" {
  run rt-run --rm -f "$R" /bin/sh -c 'grep CapEff /proc/self/status'
  assert_success
  assert_output --regexp 'CapEff:[[:space:]]+00000000a80425fb'
  run rt-run --rm -f "$R" --cap-drop ALL /bin/sh -c 'grep CapEff /proc/self/status; chown 1 /tmp'
  assert_failure
  assert_output --regexp 'CapEff:[[:space:]]+0000000000000000'
  run rt-run --rm -f "$R" --cap-drop ALL --cap-add CHOWN /bin/sh -c 'grep CapEff /proc/self/status'
  assert_output --regexp 'CapEff:[[:space:]]+0000000000000001'
  run rt-run --rm -f "$R" /bin/sh -c 'grep NoNewPrivs /proc/self/status; grep Seccomp: /proc/self/status'
  assert_output --regexp 'NoNewPrivs:[[:space:]]+1'
  assert_output --regexp 'Seccomp:[[:space:]]+2'
  run rt-run --rm -f "$R" --security-opt seccomp=unconfined --security-opt no-new-privileges=false \
    /bin/sh -c 'grep NoNewPrivs /proc/self/status; grep Seccomp: /proc/self/status'
  assert_output --regexp 'NoNewPrivs:[[:space:]]+0'
  assert_output --regexp 'Seccomp:[[:space:]]+0'
}

@test "rt-run: --security-opt seccomp=FILE applies a profile read from the host" {
  cat > "$BATS_TEST_TMPDIR/prof.json" <<'J'
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}
J
  run rt-run --rm -f "$R" --security-opt "seccomp=$BATS_TEST_TMPDIR/prof.json" /bin/sh -c 'mkdir /tmp/d'
  assert_failure
  assert_output --partial "Operation not permitted"
  # and the explained pipeline does the same when pasted into sh
  cmd=$(rt-run --explain -f "$R" --security-opt "seccomp=$BATS_TEST_TMPDIR/prof.json" /bin/sh -c 'mkdir /tmp/d')
  run sh -c "$cmd"
  assert_failure
  assert_output --partial "Operation not permitted"
}

@test "rt-run: --init gives a PID 1 that reaps zombies" {
  run rt-run --rm -f "$R" --init /bin/sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
  assert_success
  refute_line --index 1 1
  # an orphaned child whose parent exits becomes a zombie unless reaped
  run rt-run --rm -f "$R" --init /bin/sh -c '(sleep 0.2 &) ; sleep 1; ps -o stat,args | grep -c "^Z" || true'
  assert_success
  assert_output 0
}

@test "rt-run: -i passes stdin; without -i stdin is empty" {
  run sh -c "echo hi | rt-run --rm -i -f '$R' cat"
  assert_success
  assert_output hi
  run sh -c "echo hi | rt-run --rm -f '$R' cat"
  assert_success
  assert_output ""
}

@test "rt-run: SIGTERM and SIGUSR1 sent to a foreground rt-run reach the container" {
  rt-run --rm -f "$R" /bin/sh -c 'trap "echo got-usr1" USR1; trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' > "$BATS_TEST_TMPDIR/out" &
  pid=$!
  wait_until 50 grep -q ready "$BATS_TEST_TMPDIR/out"
  kill -USR1 $pid
  wait_until 50 grep -q got-usr1 "$BATS_TEST_TMPDIR/out"
  kill -TERM $pid
  st=0; wait $pid || st=$?
  assert_equal "$st" 7
  run cat "$BATS_TEST_TMPDIR/out"
  assert_line got-term
}

@test "rt-run: --explain prints a pipeline that does what rt-run does when pasted into sh" {
  run rt-run --explain -f "$R" -h explained -e V=1 -m 64m /bin/sh -c 'echo $(hostname) $V $$'
  assert_success
  assert_output --partial "rt-cgroup"
  assert_output --partial "rt-unshare"
  assert_output --partial "rt-mount"
  assert_output --partial "rt-exec"
  [ ! -d "$RT_STATE/containers" ] || [ -z "$(ls "$RT_STATE/containers")" ]
  refute_output --partial -- "--volatile"
  # rt-run runs rt-cgroup --no-wait and removes the group itself; printed,
  # rt-cgroup waits and removes it, and the output says so
  assert_line --index 0 --partial "# rt-run runs rt-cgroup --no-wait"
  refute_output --partial -- "--no-wait --name"
  # and rt-unshare --hand-over, adopting PID 1; printed, rt-unshare waits
  assert_line --index 1 --partial "# rt-run runs rt-unshare --hand-over and waits for PID 1 itself"
  refute_output --partial -- "--hand-over --"
  cmd=$output
  gid=$(sed -n 's/.*rt-cgroup --name \([0-9a-f]*\) .*/\1/p' <<<"$output")
  run sh -c "$cmd"
  assert_success
  assert_output "explained 1 1"
  assert_no_group "$gid"
  # --rm: the layer is thrown away, so it is never synced to disk.
  run rt-run --explain --rm -f "$R" true
  assert_output --partial "--upper"
  assert_output --partial -- "--volatile"
}

@test "rt-run: hooks run with the state on stdin; a failing prestart aborts and cleans up" {
  log="$BATS_TEST_TMPDIR/hooks"
  run rt-run --rm -f "$R" --hook "prestart=cat >> $log; echo >> $log" --hook "poststart=echo poststart >> $log" \
    --hook "poststop=echo poststop >> $log" /bin/sh -c 'echo body'
  assert_success
  assert_output body
  run cat "$log"
  # prestart: PID 1 exists, the container has not started yet
  assert_line --index 0 --regexp '^\{.*"status":"created".*\}$'
  assert_line --index 0 --partial '"pid":'
  assert_line --index 1 poststart
  assert_line --index 2 poststop
  run rt-run --name hk -f "$R" --hook 'prestart=exit 3' /bin/sh -c 'echo should-not-run'
  assert_equal "$status" 125
  refute_output --partial should-not-run
  assert_output --partial "prestart hook"
  id=$(only_id)
  assert_equal "$(state "$id" .status)" exited
  run rt-repl rm hk
  assert_success
}

@test "rt-run: -d prints the id, records the output, and stop/logs/wait/rm work" {
  run rt-run -d --name bg -f "$R" /bin/sh -c 'echo out; echo err >&2; trap "echo bye; exit 0" TERM; while :; do sleep 0.1; done'
  assert_success
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  id=$output
  assert_equal "$(state "$id" .status)" running
  wait_until 50 sh -c "rt-repl logs bg | grep -q out"
  run rt-repl logs bg
  assert_line out
  assert_line err
  run rt-repl ps
  assert_output --partial bg
  run rt-repl stop bg
  assert_success
  assert_equal "$(state "$id" .status)" exited
  assert_equal "$(state "$id" .exit_code)" 0
  run rt-repl logs --tail 1 bg
  assert_output bye
  run rt-repl rm bg
  assert_success
  assert_dir_not_exists "$RT_STATE/containers/$id"
}

@test "rt-run: stop escalates to SIGKILL after the timeout; kill sends a signal" {
  # Each payload says when its trap is set: a signal sent before that
  # would meet the default action.
  id=$(rt-run -d -f "$R" /bin/sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done')
  wait_until 50 sh -c "rt-repl logs $id | grep -q ready"
  run rt-repl stop -t 1 "$id"
  assert_success
  assert_equal "$(state "$id" .exit_code)" 137
  id2=$(rt-run -d -f "$R" /bin/sh -c 'trap "exit 9" USR1; echo ready; while :; do sleep 0.1; done')
  wait_until 50 sh -c "rt-repl logs $id2 | grep -q ready"
  run rt-repl kill -s USR1 "${id2:0:12}"
  assert_success
  wait_until 50 sh -c "[ \"\$(jq -r .status $RT_STATE/containers/$id2/state.json)\" = exited ]"
  assert_equal "$(state "$id2" .exit_code)" 9
}

@test "rt-run: wait blocks until the container exits and prints its exit code" {
  id=$(rt-run -d -f "$R" /bin/sh -c 'sleep 1; exit 6')
  assert_equal "$(state "$id" .status)" running
  run rt-repl wait "${id:0:8}"
  assert_success
  assert_output 6
  assert_equal "$(state "$id" .status)" exited
  run rt-repl wait nosuch
  assert_failure
  assert_output --partial "no such container"
}

@test "rt-run: rm refuses a running container without -f" {
  id=$(rt-run -d -f "$R" sleep 30)
  run rt-repl rm "$id"
  assert_failure
  assert_output --partial "is running"
  run rt-repl rm -f "$id"
  assert_success
  assert_dir_not_exists "$RT_STATE/containers/$id"
}

@test "rt-run: -d --rm removes the container after it exits" {
  id=$(rt-run -d --rm -f "$R" true)
  wait_until 50 test ! -e "$RT_STATE/containers/$id"
}

@test "rt-run: gc removes what an rt-run killed before its first save left; a young one is left alone" {
  local id young
  id=$(printf 'a%.0s' $(seq 64)); young=$(printf 'b%.0s' $(seq 64))
  mkdir -p "$RT_STATE/containers/$id" "$RT_STATE/containers/$young" "$RT_STATE/names" "$RT_ROOT/containers/$id/etc" \
    "$RT_ROOT/containers/$id.work/work"
  printf %s "$id" > "$RT_STATE/names/halfmade"
  touch -d '2 minutes ago' "$RT_STATE/containers/$id" "$RT_STATE/names/halfmade"
  run rt-run --name halfmade -f "$R" true
  assert_failure 125
  assert_output --partial "already in use"
  run rt-repl gc
  assert_success
  [ ! -e "$RT_STATE/containers/$id" ] && [ ! -e "$RT_STATE/names/halfmade" ] && [ ! -e "$RT_ROOT/containers/$id" ]
  [ ! -e "$RT_ROOT/containers/$id.work" ]
  [ -d "$RT_STATE/containers/$young" ]   # may be starting right now
  rmdir "$RT_STATE/containers/$young"
  run rt-run --rm --name halfmade -f "$R" true
  assert_success
}

@test "rt-run: kill -9 of the supervisor, then gc marks it exited and cleans its processes and cgroup" {
  id=$(rt-run -d --name orphan -f "$R" -m 64m sleep 300)
  sup=$(state "$id" .supervisor)
  pid=$(state "$id" .pid)
  kill -9 "$sup"
  # the container is still there: gc must find and clean it
  kill -0 "$pid"
  cg=$(state "$id" '.cgroup_paths[]' | awk -F: '$2 == "memory" {print $3}')
  run rt-repl gc
  assert_success
  assert_equal "$(state "$id" .status)" exited
  wait_until 50 sh -c "! kill -0 $pid 2>/dev/null"
  wait_until 50 test ! -d "/sys/fs/cgroup/memory$cg"
  run rt-repl rm orphan
  assert_success
}

# No directory of group rt-ID on any hierarchy (by its id: beside other
# runs, other containers' groups come and go where ours are made).
assert_no_group() {
  local left
  [ -n "$1" ] || fail "no container id"
  # (find fails on a directory of another run's that goes while it looks)
  left=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "rt-$1" 2>/dev/null || true)
  [ -z "$left" ] || fail "group left behind: $left"
}
id_of() { jq -r --arg n "$1" 'select(.name == $n) | .id' "$RT_STATE"/containers/*/state.json; }

# Every directory a container's record names for its group is gone.
assert_group_gone() {
  local line path h
  for line in $(state "$1" '.cgroup_paths[]'); do
    path=${line#*:*:}
    for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
      [ -f "$h/cgroup.procs" ] || continue
      [ ! -d "${h%/}$path" ] || fail "group left behind: ${h%/}$path"
    done
  done
}

@test "rt-run: no rt-cgroup or rt-unshare waits: rt-run's one child is the container's PID 1, in the group rt-run holds and removes as the container ends" {
  rt-run --name nw -f "$R" -m 64m /bin/sh -c 'echo ready; exec sleep 300' >"$BATS_TEST_TMPDIR/out" &
  local run_pid=$!
  wait_until 100 grep -q ready "$BATS_TEST_TMPDIR/out"
  id=$(only_id)
  # rt-cgroup became rt-unshare by exec, which handed PID 1 over and exited:
  # rt-run's one child is PID 1
  run pgrep -P "$run_pid"
  assert_success
  [ "${#lines[@]}" -eq 1 ]
  assert_equal "${lines[0]}" "$(state "$id" .pid)"
  assert_equal "$(cat "/proc/${lines[0]}/comm")" sleep
  local mem
  mem=$(state "$id" '.cgroup_paths[]' | awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}')
  grep -q "memory:$mem\$" "/proc/${lines[0]}/cgroup" || grep -q "^0::$mem/" "/proc/${lines[0]}/cgroup"
  # its supervisor holds it: listed as running, and gc keeps it
  run rt-cgroup --list
  assert_line --regexp "^$id +running "
  run rt-repl gc
  assert_success
  run rt-cgroup --list
  assert_line --regexp "^$id +running "
  rt-repl stop -t 1 nw >/dev/null
  wait "$run_pid" || true
  assert_group_gone "$id"
  assert_no_group "$id"
}

@test "rt-run holds the container's network and IPC namespaces while PID 1 runs, so that PID 1's exit does not tear them down" {
  # (their teardown asks for RCU grace periods, which the overlay's unmount
  # in that exit then queued behind: supervise.cpp, Session::held_ns)
  rt-run --name held -f "$R" /bin/sh -c 'echo ready; exec sleep 300' >"$BATS_TEST_TMPDIR/out" &
  local run_pid=$! pid ns held
  wait_until 100 grep -q ready "$BATS_TEST_TMPDIR/out"
  pid=$(state "$(id_of held)" .pid)
  held=$(find "/proc/$run_pid/fd" -type l -exec readlink {} + 2>/dev/null)
  for ns in net ipc; do
    [ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/$run_pid/ns/$ns")" ] || fail "$ns: the container shares rt-run's"
    grep -qxF "$(readlink "/proc/$pid/ns/$ns")" <<<"$held" || fail "rt-run holds no fd of the container's $ns namespace"
  done
  rt-repl stop -t 1 held >/dev/null
  wait "$run_pid" || true
  assert_no_group "$(id_of held)"
  rt-repl rm held >/dev/null
}

@test "rt-run adopts PID 1 from rt-unshare --hand-over: its parent is rt-run (foreground) or the supervisor (detached); status, signals and --rm's clean-up as ever" {
  # foreground: PID 1 is rt-run's child, no rt-unshare stays, and a signal
  # to rt-run reaches PID 1 (sent to it directly now)
  env --default-signal=INT rt-run --name fg -f "$R" /bin/sh -c 'trap "exit 5" TERM; echo ready; while :; do sleep 0.1; done' \
    >"$BATS_TEST_TMPDIR/fg" &
  local run_pid=$! st pid
  wait_until 100 grep -q ready "$BATS_TEST_TMPDIR/fg"
  pid=$(state "$(id_of fg)" .pid)
  assert_equal "$(cut -d' ' -f4 "/proc/$pid/stat")" "$run_pid"
  run pgrep -P "$run_pid"
  assert_output "$pid"
  kill -TERM "$run_pid"
  st=0; wait "$run_pid" || st=$?
  assert_equal "$st" 5
  # detached: the supervisor is PID 1's parent
  id=$(rt-run -d -f "$R" sleep 300)
  pid=$(state "$id" .pid)
  assert_equal "$(cut -d' ' -f4 "/proc/$pid/stat")" "$(state "$id" .supervisor)"
  rt-repl rm -f "$id" >/dev/null
  rt-repl rm fg >/dev/null
  # the exit status of a PID 1 that ends after rt-unshare has gone passes
  # through; its group goes, and --rm leaves no record or layer
  run rt-run --name late -f "$R" /bin/sh -c 'sleep 0.3; exit 3'
  assert_equal "$status" 3
  assert_no_group "$(id_of late)"
  rt-repl rm late >/dev/null
  run rt-run --rm -f "$R" /bin/sh -c 'sleep 0.3; exit 4'
  assert_equal "$status" 4
  [ -z "$(ls "$RT_STATE/containers" 2>/dev/null)" ]
  [ -z "$(ls "$RT_ROOT/containers" 2>/dev/null)" ]
}

@test "rt-run: the group goes with the container on every way out: a failing link, the payload's end, SIGTERM, SIGINT, an OOM kill" {
  # a link fails (rt-exec: no such user; the command not found)
  run rt-run --name l1 -f "$R" -u nosuchuser true
  assert_failure 125
  assert_no_group "$(id_of l1)"
  run -127 rt-run --name l2 -f "$R" /nonexistent
  assert_no_group "$(id_of l2)"
  # rt-unshare fails (a file that is no network namespace to join), before
  # it says the container's pid
  : >"$BATS_TEST_TMPDIR/notns"
  run rt-run --name l3 --network "ns:$BATS_TEST_TMPDIR/notns" -f "$R" true
  assert_failure 125
  assert_output --partial "rt-unshare: cannot join net namespace"
  assert_no_group "$(id_of l3)"
  run rt-run --name oom -f "$R" -m 32m --memory-swap 32m /bin/sh -c 'tail /dev/zero'
  assert_equal "$status" 137
  assert_no_group "$(id_of oom)"
  local sig pid st
  for sig in TERM INT; do
    # (PID 1 gets only the signals it has a handler for; a background job
    # starts with SIGINT ignored, which rt-run keeps)
    env --default-signal=INT rt-run --name "s$sig" -f "$R" /bin/sh -c 'trap "exit 3" TERM INT; echo ready; while :; do sleep 0.1; done' \
      >"$BATS_TEST_TMPDIR/$sig" &
    pid=$!
    wait_until 100 grep -q ready "$BATS_TEST_TMPDIR/$sig"
    kill -"$sig" "$pid"
    st=0; wait "$pid" || st=$?
    assert_equal "$st" 3
    assert_no_group "$(id_of "s$sig")"
  done
  # detached, with and without --rm
  id=$(rt-run -d -f "$R" sleep 300)
  rt-repl rm -f "$id"
  assert_no_group "$id"
  id=$(rt-run -d --rm -f "$R" /bin/sh -c 'exit 0')
  wait_until 100 test ! -e "$RT_STATE/containers/$id"
  assert_no_group "$id"
}

@test "rt-run: kill -9 of a foreground rt-run leaves the container's group to gc, which removes it on every hierarchy" {
  rt-run -f "$R" -m 64m /bin/sh -c 'echo ready; exec sleep 300' >"$BATS_TEST_TMPDIR/out" &
  local run_pid=$!
  wait_until 100 grep -q ready "$BATS_TEST_TMPDIR/out"
  id=$(only_id)
  pid=$(state "$id" .pid)
  kill -9 "$run_pid"
  wait "$run_pid" || true
  kill -0 "$pid"
  run rt-repl gc
  assert_success
  assert_equal "$(state "$id" .status)" exited
  wait_until 50 sh -c "! kill -0 $pid 2>/dev/null"
  assert_group_gone "$id"
  assert_no_group "$id"
  rt-repl rm "$id"
}

@test "rt-run: 20 containers started at once all succeed with unique names and ids" {
  for i in $(seq 20); do
    rt-run -f "$R" /bin/sh -c 'exit 0' > "$BATS_TEST_TMPDIR/c$i.out" 2>&1 &
  done
  wait
  [ "$(ls "$RT_STATE/containers" | wc -l)" -eq 20 ]
  for f in "$RT_STATE"/containers/*/state.json; do
    jq -e '.status == "exited" and .exit_code == 0' "$f" >/dev/null
  done
  [ "$(jq -r .name "$RT_STATE"/containers/*/state.json | sort -u | wc -l)" -eq 20 ]
}

@test "rt-run: bad options give one line, exit 125, and leave nothing behind" {
  for args in "-m lots" "--cpus -1" "--pids-limit many" "--cpu-shares x" "--hook bogus=x" "--pull sometimes" \
              "--network bad/name" "--network container:" "-p 80:80" "-p 99999" "--userns host" "--security-opt apparmor=x" "--nosuchflag" "--log-level loud"; do
    run rt-run $args -f "$R" true
    assert_equal "$status" 125
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == rt-run:* ]]
  done
  run rt-run -f /nonexistent true
  assert_equal "$status" 125
  assert_output --partial "not a directory"
  run rt-run
  assert_equal "$status" 125
  [ ! -d "$RT_STATE/containers" ] || [ -z "$(ls "$RT_STATE/containers")" ]
}

@test "rt-run: --help lists what the man page documents" {
  check_help_matches_man rt-run "$BATS_TEST_DIRNAME/../../man/rt-run.1"
  run mandoc -T lint -W warning "$BATS_TEST_DIRNAME/../../man/rt-run.1"
  assert_success
}

@test "rt-run: the container gets rt-run's CPU affinity, not the one CPU each link is started on" {
  # Each link of the chain is started on its parent's CPU (common/process.hpp,
  # detail::SameCpu): pinned for the clone, then given back before the
  # exec. What the payload may run on is what rt-run may.
  command -v taskset >/dev/null || skip "no taskset (util-linux)"
  local n
  n=$(nproc --all)
  [ "$n" -ge 2 ] || skip "one CPU only"
  run rt-run --rm -f "$R" --network none /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
  assert_success
  assert_output "Cpus_allowed_list:	$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)"
  run taskset -c 1 rt-run --rm -f "$R" --network none /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
  assert_success
  assert_output "Cpus_allowed_list:	1"
  run taskset -c 0,1 rt-run --rm -f "$R" --network none /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
  assert_success
  assert_output "Cpus_allowed_list:	0-1"
}

# tools/rt-run/populate.cpp: rt-run maps its binary whole as it starts, and
# a supervisor that has only waited for kSettleMs (1 s) gives the code's
# mappings back (MADV_DONTNEED): most of its code is then not resident, in
# the foreground and detached. Without the release all of it would be (or,
# without the start-up mapping, the 39 of 41 64 KiB windows a run touches).
# The end after that (the code mapped again) works as ever.
code_resident() {  # PID: "SIZE RSS" (kB) of the code's mapping of rt-run's binary
  awk -v bin="$(realpath "$RT_BIN/rt-run")" '
    /^[0-9a-f]+-[0-9a-f]+ / { m = ($2 ~ /^r-x/ && $NF == bin) }
    m && /^Size:/ { s = $2 }
    m && /^Rss:/ { print s, $2; exit }' "/proc/$1/smaps"
}
code_released() {  # PID: less than half of its code's mapping is resident
  local size rss
  read -r size rss <<<"$(code_resident "$1")"
  [ -n "$rss" ] && [ $((rss * 2)) -lt "$size" ]
}

@test "rt-run: a supervisor that has waited a second keeps little of its code resident (foreground and detached); its end after that as ever" {
  local id sup run_pid pid st
  id=$(rt-run -d -f "$R" -m 64m sleep 300)
  sup=$(state "$id" .supervisor)
  env --default-signal=TERM rt-run --name fg -f "$R" -m 64m /bin/sh -c 'trap "exit 5" TERM; echo ready; while :; do sleep 0.1; done' \
    >"$BATS_TEST_TMPDIR/fg" &
  run_pid=$!
  wait_until 100 grep -q ready "$BATS_TEST_TMPDIR/fg"
  wait_until 50 code_released "$sup" || fail "the detached supervisor's code still resident: $(code_resident "$sup")"
  wait_until 50 code_released "$run_pid" || fail "the foreground rt-run's code still resident: $(code_resident "$run_pid")"
  # the end: signal passed on, status through, group gone
  pid=$(state "$(id_of fg)" .pid)
  kill -TERM "$run_pid"
  st=0; wait "$run_pid" || st=$?
  assert_equal "$st" 5
  wait_until 50 sh -c "! kill -0 $pid 2>/dev/null"
  assert_no_group "$(id_of fg)"
  rt-repl rm fg >/dev/null
  run rt-repl rm -f "$id"
  assert_success
  assert_no_group "$id"
}

@test "x86-64: rt-run maps its binary before glibc's start-up (its own entry point); a refused madvise changes nothing" {
  [ "$(uname -m)" = x86_64 ] || skip "rt-run's start-up mapping is x86-64 only; this machine is $(uname -m)"
  file -L "$RT_BIN/rt-run" | grep -q "statically linked" ||
    skip "rt-run is linked dynamically in this build (make asan): it starts at the loader's entry point"
  command -v strace >/dev/null || skip "strace is not installed (Debian package strace)"
  # execve, then before anything of glibc's (brk, arch_prctl): headers,
  # code and read-only data in one call, data and bss in another
  run strace -qq -e signal=none "$RT_BIN/rt-run" --version
  assert_success
  [[ "$(sed -n 2p <<<"$output")" == "madvise(0x400000, "*", MADV_POPULATE_READ) = 0" ]] || fail "$output"
  [[ "$(sed -n 3p <<<"$output")" == "madvise("*", MADV_POPULATE_WRITE) = 0" ]] || fail "$output"
  assert_runs_without_madvise rt-run
}
