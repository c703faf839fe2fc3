#!/usr/bin/env bats
# Ways out of a container through rt's own processes, attacked from inside
# a real default container: the init of --init (issue 10, hole 2) and the
# host's rt binaries reachable through /proc/PID/exe (hole 1).

load helpers

setup() {
  rt_setup
  R="$RT_ROOTFS"
}

teardown() {
  touch "$BATS_TEST_TMPDIR/go"  # a hook holding the start-up window open lets go
  rt_stop_leftovers
  rt_teardown
}

# The limits a process carries, from a /proc/PID/status.
limits_of() { grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' "$1"; }

@test "--init: PID 1 carries the payload's limits (ids, every capability set, no_new_privs, seccomp)" {
  local probe="$(declare -f limits_of); limits_of /proc/1/status; echo ---; limits_of /proc/self/status"
  for user in "" "-u 1000:1000"; do
    run rt-run --rm -f "$R" --init $user /bin/sh -c "$probe"
    assert_success
    local init payload
    init=$(sed -n '1,/^---$/p' <<<"$output" | sed '$d')
    payload=$(sed -n '/^---$/,$p' <<<"$output" | sed 1d)
    [ -n "$payload" ] || fail "no status read: $output"
    assert_equal "$init" "$payload"
  done
  # And the payload's are the container's: not a host root's.
  assert_line "NoNewPrivs:	1"
  assert_line "Seccomp:	2"
  refute_line "$(grep ^CapBnd: /proc/self/status)"  # the host shell's
  assert_line --regexp '^Uid:[[:space:]]+1000[[:space:]]'
}

@test "--init: PID 1's working directory is inside the container's root, not the host directory rt-run started in" {
  # CAP_SYS_PTRACE lets the payload look at PID 1's cwd (a default
  # container cannot even do that: the next test).
  cd "$BATS_TEST_TMPDIR"
  touch host-only-file
  run rt-run --rm -f "$R" --init --cap-add SYS_PTRACE -w /tmp /bin/sh -c \
    'readlink /proc/1/cwd; ls /proc/1/cwd/ | grep -c host-only-file; [ "$(stat -c %d:%i /proc/1/cwd/)" = "$(stat -c %d:%i /tmp/)" ] && echo same-as-tmp'
  assert_line --index 0 /tmp
  assert_line --index 1 0
  assert_line --index 2 same-as-tmp
}

@test "--init: from a default container nothing of PID 1 can be opened (exe, cwd, root, fds, memory)" {
  run rt-run --rm -f "$R" --init /bin/sh -c \
    'for f in exe fd/0 mem environ; do (exec 3</proc/1/$f) 2>/dev/null && echo "open: $f"; done
     for d in cwd root; do ls /proc/1/$d/ >/dev/null 2>&1 && echo "open: $d"; done; echo checked'
  assert_success
  assert_output checked
}

# ------------------------------------------------------------------ hole 1
# The CVE-2019-5736 way in: the container makes rt-exec exec a script whose
# interpreter is /proc/self/exe, so the kernel runs rt-exec's own file again,
# now as the container's root; it execs the script again, and so on. A
# process in the container opens that file through /proc/PID/exe (at once
# without a fix; with non-dumpable rt, by winning the race between an exec
# and rt-exec's first instruction, or at once with CAP_SYS_PTRACE), swaps
# the trap for a harmless script so that nothing runs the file any more,
# and reopens its handle for writing (O_APPEND: nothing is ever written).
trap_rootfs() {
  ROOT=$(rootfs_copy)
  printf '#!/proc/self/exe --env=TRAPPED=1\n' > "$ROOT/trap"
  chmod 0755 "$ROOT/trap"
}

ATTACK='
[ -x /trap ] || { echo "not in the container"; exit 0; }
P=""
for i in $(seq 100); do
  for d in /proc/[0-9]*; do
    # (spelt so that the command line of this very shell does not match)
    case "$(tr "\0" " " < $d/cmdline 2>/dev/null)" in *--env=TRAP""PED=1*) P=${d#/proc/};; esac
  done
  [ -n "$P" ] && break; sleep 0.1
done
[ -n "$P" ] || { echo no-trapped-process; exit 0; }
echo "trapped $P"
for i in $(seq 500); do
  if ( exec 4>&2 2>/dev/null 3</proc/$P/exe; exec 2>&4 4>&-
       echo handle
       printf "#!/bin/sh\nexec sleep 300\n" > /trap.new; chmod 755 /trap.new; mv /trap.new /trap
       for i in $(seq 100); do [ "$(cat /proc/$P/comm)" = sleep ] && break; sleep 0.1; done
       if { :; } 5>>/proc/self/fd/3; then echo WRITABLE; else echo not-writable; fi ); then
    exit 0
  fi
done
echo no-handle
'

# Start the container named victim the way $1 says, with the trap as its
# command or exec'd into it; $2... are extra rt-run options.
set_trap() {
  local how=$1; shift
  trap_rootfs
  case $how in
    run) rt-run -d --name victim -f "$ROOT" "$@" /trap ;;
    init) rt-run -d --name victim -f "$ROOT" --init "$@" /trap ;;
    exec) rt-run -d --name victim -f "$ROOT" "$@" sleep 300; rt-repl exec -d victim /trap ;;
  esac
}

# Run the attack in the victim. A victim that ended before the attack
# (seen once on a machine under heavy load: its pid was another process's
# by then) is set up once more, with what it printed on stderr.
attack() {
  run rt-repl exec victim sh -c "$ATTACK"
  if [[ "$output" == *"not in the container"* ]]; then
    echo "the victim ended before the attack: $(rt-repl ps -a) $(rt-repl logs victim 2>&1 | tail -5)" >&2
    rt-repl rm -f victim
    set_trap "$@"
    run rt-repl exec victim sh -c "$ATTACK"
  fi
}

@test "hole 1: the host's rt-exec cannot be written from a default container (start-up, --init, exec)" {
  for how in run init exec; do
    set_trap $how
    attack $how
    assert_line --regexp '^trapped [0-9]+$'
    refute_line WRITABLE
    assert_line --regexp '^(no-handle|not-writable)$'
    # A handle, if the race was won, is on a read-only mount (under --init,
    # PID 1 runs the same file: "Text file busy" comes first).
    if [ "$how" != init ] && [[ "$output" == *handle* ]]; then assert_output --partial "Read-only file system"; fi
    rt-repl rm -f victim
  done
}

@test "hole 1: with CAP_SYS_PTRACE the handle is there, but on a read-only mount (start-up, --init, exec)" {
  for how in run init exec; do
    set_trap $how --cap-add SYS_PTRACE
    attack $how --cap-add SYS_PTRACE
    assert_line --regexp '^trapped [0-9]+$'
    assert_line handle
    refute_line WRITABLE
    assert_line not-writable
    [ "$how" = init ] || assert_output --partial "Read-only file system"
    rt-repl rm -f victim
  done
}

# rt-mount attaches the read-only clone it execs rt-exec from over the
# host's file, in its own mount namespace, so that the old root's detach
# after pivot_root takes it along (one grace period of the kernel's instead
# of two). Nothing of it may be left in the container's mount table: only
# the container's mounts, one of them on /, none of the host's binaries.
@test "hole 1: the clone rt-exec runs from goes with the old root: no host mount in the container's table (start-up, --init)" {
  local look='n=0; while read -r id parent dev root point rest; do [ "$point" = / ] && n=$((n + 1)); done < /proc/self/mountinfo
    echo "mounts on /: $n"; grep -c /rt-exec /proc/self/mountinfo || true'
  for init in "" --init; do
    RT_LOG=debug run rt-run --rm $init -f "$R" sh -c "$look"
    assert_success
    assert_output --regexp "attached the clone of /.*/rt-exec below the old root"
    assert_line "mounts on /: 1"
    assert_line 0
  done
}

# Where no read-only clone of rt-exec's mount can be made (no CAP_SYS_ADMIN
# over the mount namespace, a kernel before 5.12; here mount_setattr fails
# with ENOSYS for the whole chain), rt-mount execs rt-exec from a sealed
# memfd copy: the init of --init runs from it, and a process of the
# container that can open it (CAP_SYS_PTRACE) finds every seal set.
@test "hole 1: the memfd fallback: rt-exec runs from a copy sealed against writing, never the host's file" {
  local root
  root=$(rootfs_copy)
  cc -O2 -static -o "$root/seal-probe" "$BATS_TEST_DIRNAME/../probes/seal-probe.c" ||
    skip "no static C compiler (cc -static)"
  echo '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount_setattr"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}' \
    > "$BATS_TEST_TMPDIR/no-setattr.json"
  local chain=(rt-unshare --pid --mount -- rt-mount --rootfs "$root" --proc --dev --
    rt-exec --caps docker --cap-add SYS_PTRACE --init -- /seal-probe)
  RT_LOG=debug run rt-exec --seccomp "$BATS_TEST_TMPDIR/no-setattr.json" -- "${chain[@]}"
  assert_success
  assert_output --partial "a sealed memfd copy"
  assert_line "seals: seal shrink grow write"
  refute_output --partial WRITABLE
  # the usual way: the file on a read-only clone of its mount, no memfd
  run "${chain[@]}"
  assert_success
  assert_line "seals: Invalid argument"
  refute_output --partial WRITABLE
}

# ------------------------------------------------------- start-up window
# Between PID 1's birth and rt-exec's last step the container's mount
# namespace is still a copy of the host's (rt-mount has not pivoted yet).
# A prestart hook holds that window open for as long as the test likes.
hold_hook() { echo "prestart=touch $T/in-hook; for i in \$(seq 300); do [ -e $T/go ] && break; sleep 0.1; done"; }

@test "start-up window: no exec, no 'running' and no return of rt-run -d before the container's root is in place" {
  T="$BATS_TEST_TMPDIR"
  rt-run -d --name w -f "$R" --hook "$(hold_hook)" sleep 300 > "$T/id" 2> "$T/err" &
  local runner=$!
  wait_until 100 test -e "$T/in-hook"
  # PID 1 exists (the hook has it), but the container has not started.
  run rt-repl exec w sh -c "test -e '$T/in-hook' && echo host-view; echo ran"
  refute_output --partial host-view
  refute_output --partial ran
  assert_failure 125
  assert_output "rt-repl: exec: container w is not running"
  run rt-repl inspect w
  assert_equal "$(jq -r '.[0].status' <<<"$output")" created
  [ "$(jq -r '.[0].pid' <<<"$output")" -gt 0 ]
  [ ! -s "$T/id" ]  # rt-run -d has not returned
  touch "$T/go"
  wait "$runner"
  [ -s "$T/id" ]
  # rt-run -d returned: the root is in place at once, the record says so.
  run rt-repl exec w sh -c "test -e '$T/in-hook' && echo host-view; echo ran"
  assert_success
  assert_output ran
  assert_equal "$(rt-repl inspect w | jq -r '.[0].status')" running
  rt-repl rm -f w
}

@test "start-up window: a signal rt-run gets before its --init container has started reaches the container once it has" {
  T="$BATS_TEST_TMPDIR"
  rt-run --rm --init -f "$R" --hook "$(hold_hook)" sleep 60 > /dev/null 2>&1 &
  local runner=$!
  wait_until 100 test -e "$T/in-hook"
  # PID 1 is rt-unshare's child, with no handler: a signal passed on now
  # would be dropped, and the container would sleep on. (SIGTERM: what a
  # Ctrl-C gives, SIGINT, is ignored by a background job of a script.)
  kill -TERM "$runner"
  touch "$T/go"
  wait_until 100 bash -c "! kill -0 $runner 2>/dev/null"
  local rc=0
  wait "$runner" || rc=$?
  assert_equal "$rc" 143
}
