#!/usr/bin/env bats
# rt-unshare: new and joined namespaces, the resident parent (signals,
# orphans, rt-exec --init as PID 1), user namespaces, --pid-file, --pid-fd, --sync-fd. Real kernel, as
# root; unprivileged cases run as nobody through setpriv.

bats_require_minimum_version 1.5.0
load helpers

setup() {
  rt_setup
  NETNS=""
  BG=()
}

teardown() {
  local p
  for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$NETNS" ]; then
    ip netns delete "$NETNS" 2>/dev/null
    # ip netns add mounts /run/netns (once): undo it when it was this test's
    [ "$NETNS_MOUNTED_BEFORE" = no ] && mountpoint -q /run/netns && umount /run/netns
    [ "$NETNS_DIR_BEFORE" = no ] && rmdir /run/netns 2>/dev/null
  fi
  rt_teardown
}

# Run a command in the background (fd 3 closed so bats does not wait for
# it), remember its pid in $BGPID and for teardown.
bg() {
  "$@" 3>&- &
  BGPID=$!
  BG+=("$BGPID")
}

as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }

# The pid a --pid-file names, once it is written.
pid_from() {
  wait_until 50 test -s "$1"
  cat "$1"
}

# True when PID is gone or a zombie (its parent may reap it later).
dead() {
  [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# ------------------------------------------------------------------ basics

@test "--help lists every option the man page documents, and the man page is lint clean" {
  run rt-unshare --help
  assert_success
  assert_output --partial "Usage: rt-unshare"
  check_help_matches_man rt-unshare "$BATS_TEST_DIRNAME/../../man/rt-unshare.1"
  run mandoc -T lint -W warning "$BATS_TEST_DIRNAME/../../man/rt-unshare.1"
  assert_success
  assert_output ""
}

@test "exit status: passthrough with and without a fork, 127, 126, 128+N, 125" {
  run rt-unshare --uts -- sh -c 'exit 7'
  assert_equal "$status" 7
  run rt-unshare --pid -- sh -c 'exit 9'
  assert_equal "$status" 9
  run -127 rt-unshare --pid -- /no/such/program
  assert_output "rt-unshare: cannot execute /no/such/program: No such file or directory"
  printf 'data\n' > "$BATS_TEST_TMPDIR/data"
  chmod 0644 "$BATS_TEST_TMPDIR/data"
  run -126 rt-unshare --pid -- "$BATS_TEST_TMPDIR/data"
  # A payload killed by a signal: the parent reports 128+N.
  run rt-unshare --pid -- rt-exec --init -- sh -c 'kill -TERM $$'
  assert_equal "$status" 143
  run rt-unshare
  assert_equal "$status" 125
  assert_output --partial "no program given"
}

@test "--pid: the program is PID 1 of a new pid namespace" {
  run rt-unshare --pid -- sh -c 'echo $$; readlink /proc/self/ns/pid'
  assert_success
  assert_line -n 0 1
  refute_line -n 1 "$(readlink /proc/self/ns/pid)"
}

@test "--uts with --hostname and --domainname: set inside, the host's unchanged" {
  local host dom
  host=$(hostname)
  dom=$(cat /proc/sys/kernel/domainname)
  run rt-unshare --uts --hostname rt-test-box --domainname rt-test-dom -- sh -c 'hostname; cat /proc/sys/kernel/domainname'
  assert_success
  assert_output "$(printf 'rt-test-box\nrt-test-dom')"
  assert_equal "$(hostname)" "$host"
  assert_equal "$(cat /proc/sys/kernel/domainname)" "$dom"
}

@test "--hostname and --domainname are refused without --uts, and the host's names stay" {
  local host; host=$(hostname)
  run rt-unshare --hostname evil -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-unshare: --hostname and --domainname need --uts (they would change the host's names)"
  run rt-unshare --domainname evil -- true
  assert_equal "$status" 125
  run rt-unshare --uts --hostname "$(printf 'x%.0s' {1..65})" -- true
  assert_equal "$status" 125
  assert_output --partial "at most 64 characters"
  assert_equal "$(hostname)" "$host"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "every namespace flag gives a new namespace (compared by /proc/self/ns links)" {
  local ns
  for ns in ipc net cgroup uts mnt; do
    local opt=$ns; [ "$ns" = mnt ] && opt=mount
    run rt-unshare "--$opt" -- readlink "/proc/self/ns/$ns"
    assert_success
    assert_output --regexp "^$ns:\[[0-9]+\]$"
    [ "$output" != "$(readlink "/proc/self/ns/$ns")" ] || fail "--$opt did not give a new $ns namespace"
  done
  # time and pid apply to children: rt-unshare forks and the child is in them.
  for ns in time pid; do
    run rt-unshare "--$ns" -- readlink "/proc/self/ns/$ns"
    assert_success
    [ "$output" != "$(readlink "/proc/self/ns/$ns")" ] || fail "--$ns did not give a new $ns namespace"
  done
  # Without a flag for it, a namespace is shared.
  run rt-unshare --uts -- readlink /proc/self/ns/net
  assert_output "$(readlink /proc/self/ns/net)"
}

@test "--all: new pid, mount, uts, ipc, net and cgroup namespaces, user and time untouched" {
  run rt-unshare --all -- sh -c 'for n in pid mnt uts ipc net cgroup user time; do readlink /proc/self/ns/$n; done'
  assert_success
  local i=0 n
  for n in pid mnt uts ipc net cgroup; do
    refute_line -n $i "$(readlink /proc/self/ns/$n)"
    i=$((i + 1))
  done
  assert_line -n 6 "$(readlink /proc/self/ns/user)"
  assert_line -n 7 "$(readlink /proc/self/ns/time)"
}

@test "--net: only a loopback interface, up, with 127.0.0.1 and ::1" {
  run rt-unshare --net -- ip -o link
  assert_success
  assert_equal "${#lines[@]}" 1
  assert_output --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
  run rt-unshare --net -- ip -o addr
  assert_success
  assert_line --regexp '^1: lo +inet 127\.0\.0\.1/8 '
  assert_line --regexp '^1: lo +inet6 ::1/128 '
  assert_equal "${#lines[@]}" 2
}

@test "--mount: a mount made inside does not appear outside" {
  mkdir -p "$BATS_TEST_TMPDIR/mnt"
  run rt-unshare --mount -- sh -c "mount -t tmpfs rt-test-tmpfs '$BATS_TEST_TMPDIR/mnt' && grep -c rt-test-tmpfs /proc/self/mountinfo"
  assert_success
  assert_output 1
  run grep -c rt-test-tmpfs /proc/self/mountinfo
  assert_output 0
}

@test "--cgroup: the current cgroup is the root inside" {
  run rt-unshare --cgroup -- cat /proc/self/cgroup
  assert_success
  # Every hierarchy's path is / inside.
  refute_line --regexp ':/.+$'
}

# ------------------------------------------------------------------ joining

# net_from NS -- RT-UNSHARE-ARGS...: run rt-unshare with fd 9 one end of a
# unix socket; on the other, once rt-unshare waits in recvmsg (so that it
# is shown to wait for a late namespace), an fd of NS is sent (SCM_RIGHTS);
# NS "-" closes the socket without one.
net_from() {
  python3 - "$@" <<'PY'
import os, platform, socket, subprocess, sys, time
ns, argv = sys.argv[1], sys.argv[3:]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
os.dup2(b.fileno(), 9)
p = subprocess.Popen(argv, pass_fds=[9], stdin=subprocess.DEVNULL)
os.close(9)
b.close()
if ns != "-":
    # recvmsg is 47 on x86_64: wait until rt-unshare blocks in it
    if platform.machine() == "x86_64":
        for _ in range(1000):
            try:
                if open(f"/proc/{p.pid}/syscall").read().split()[0] == "47":
                    break
            except (OSError, IndexError):
                pass
            if p.poll() is not None:
                break
            time.sleep(0.01)
    fd = os.open(ns, os.O_RDONLY)
    try:
        socket.send_fds(a, [b"n"], [fd])
    except OSError:
        pass
    os.close(fd)
a.close()
rc = p.wait()
sys.exit(rc if rc >= 0 else 128 - rc)
PY
}

@test "--net-from: joins the network namespace sent on the socket (waiting for it), as it is there" {
  bg rt-unshare --net --uts --hostname rt-test-netfrom -- sleep 1000
  local pid=$BGPID
  wait_until 50 grep -qx sleep "/proc/$pid/comm"
  run net_from "/proc/$pid/ns/net" -- rt-unshare --pid --mount --net-from 9 -- sh -c 'readlink /proc/self/ns/net; ip -o link; ls /proc/self/fd'
  assert_success
  assert_line -n 0 "$(readlink "/proc/$pid/ns/net")"
  # its lo, up there already
  assert_line -n 1 --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
  # fd 9 is not passed on
  refute_line 9
}

@test "--net-from refuses a closed socket, the caller's own network, a namespace of another type, and --net with it" {
  run net_from - -- rt-unshare --pid --net-from 9 -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-unshare: --net-from 9: no network namespace arrived (the sender closed the socket)"
  run net_from /proc/self/ns/net -- rt-unshare --pid --net-from 9 -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-unshare: --net-from 9: the namespace received is this process's own network namespace"
  run net_from /proc/self/ns/uts -- rt-unshare --net-from 9 -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-unshare: --net-from 9: cannot join the namespace received: Invalid argument"
  run net_from - -- rt-unshare --net --net-from 9 -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-unshare: --net-from conflicts with --net and --join net=... (one network namespace)"
  run rt-unshare --net-from 9 -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-unshare: --net-from 9: not an open file descriptor"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--join net=: a namespace made by ip netns add" {
  NETNS="rt-test-$$-$BATS_TEST_NUMBER"
  NETNS_MOUNTED_BEFORE=no; mountpoint -q /run/netns && NETNS_MOUNTED_BEFORE=yes
  NETNS_DIR_BEFORE=no; [ -d /run/netns ] && NETNS_DIR_BEFORE=yes
  ip netns add "$NETNS" || skip "ip netns add failed (iproute2 cannot make namespaces here)"
  ip -n "$NETNS" link set lo up
  run rt-unshare --join "net=/run/netns/$NETNS" -- sh -c 'readlink /proc/self/ns/net; ip -o link'
  assert_success
  assert_line -n 0 "net:[$(stat -L -c %i "/run/netns/$NETNS")]"
  # Its loopback, which is up there (a new one would be down).
  assert_line -n 1 --regexp '^1: lo: .*state UNKNOWN'
  assert_equal "${#lines[@]}" 2
}

@test "--join the namespaces of a running process, pid included (forks into it)" {
  bg unshare --pid --fork --kill-child --uts --ipc sh -c 'hostname rt-test-joined; exec sleep 1000'
  local outer=$BGPID child
  wait_until 50 pgrep -P "$outer" -x sleep
  child=$(pgrep -P "$outer" -x sleep)
  BG+=("$child")
  wait_until 50 test "$(readlink /proc/$child/ns/uts)" != "$(readlink /proc/self/ns/uts)"
  run rt-unshare --join "uts=/proc/$child/ns/uts" --join "ipc=/proc/$child/ns/ipc" --join "pid=/proc/$child/ns/pid" -- \
    sh -c 'hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; echo $$'
  assert_success
  assert_line -n 0 rt-test-joined
  assert_line -n 1 "$(readlink /proc/$child/ns/ipc)"
  assert_line -n 2 "$(readlink /proc/$child/ns/pid)"
  # The namespace has its PID 1 already: the joiner is another pid in it.
  refute_line -n 3 1
}

@test "--join mount= is accepted as mnt=, and a user namespace is joined first" {
  bg rt-unshare --user --map-root-user --uts --hostname rt-test-userns -- sleep 1000
  local pid=$BGPID
  wait_until 50 grep -qx sleep "/proc/$pid/comm"
  run rt-unshare --join "uts=/proc/$pid/ns/uts" --join "user=/proc/$pid/ns/user" -- sh -c 'hostname; readlink /proc/self/ns/user'
  assert_success
  assert_line -n 0 rt-test-userns
  assert_line -n 1 "$(readlink /proc/$pid/ns/user)"
  run rt-unshare --join "mount=/proc/$pid/ns/mnt" -- readlink /proc/self/ns/mnt
  assert_success
  assert_output "$(readlink /proc/$pid/ns/mnt)"
}

@test "bad --join values are one-line errors" {
  run rt-unshare --join bogus=/proc/self/ns/net -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-unshare: unknown namespace type 'bogus' (expected user, cgroup, ipc, uts, net, mnt, pid or time)"
  run rt-unshare --join net -- true
  assert_equal "$status" 125
  assert_output --partial "expected KEY=VALUE"
  run rt-unshare --join net=/nonexistent -- true
  assert_equal "$status" 125
  assert_output "rt-unshare: cannot open namespace /nonexistent: No such file or directory"
  run rt-unshare --join net=/etc/hostname -- true
  assert_equal "$status" 125
  assert_output --partial "cannot join net namespace /etc/hostname: Invalid argument"
  run rt-unshare --join-root / -- true
  assert_equal "$status" 125
  assert_output "rt-unshare: --join-root needs --join mnt=PATH (the root is one of that mount namespace)"
  run rt-unshare --join mnt=/proc/self/ns/mnt --join-root /nonexistent -- true
  assert_equal "$status" 125
  assert_output "rt-unshare: cannot open --join-root /nonexistent: No such file or directory"
  run rt-unshare --net --join net=/proc/self/ns/net -- true
  assert_equal "$status" 125
  assert_output --partial "conflicts with a new net namespace"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

# ------------------------------------------------------------------ the resident parent

@test "signals sent to rt-unshare reach the payload (SIGUSR1, then SIGTERM)" {
  local out="$BATS_TEST_TMPDIR/out"
  bg rt-unshare --pid -- sh -c 'trap "echo got-usr1" USR1; trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done' >"$out" 2>&1
  local pid=$BGPID
  wait_until 50 grep -q ready "$out"
  kill -USR1 "$pid"
  wait_until 50 grep -q got-usr1 "$out"
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  assert_equal "$rc" 3
  run cat "$out"
  assert_output "$(printf 'ready\ngot-usr1\ngot-term')"
}

@test "orphans are impossible: kill -9 the parent and the payload dies too" {
  bg rt-unshare --pid --pid-file "$BATS_TEST_TMPDIR/pid" -- sleep 1000
  local parent=$BGPID child
  child=$(pid_from "$BATS_TEST_TMPDIR/pid")
  wait_until 50 grep -qx sleep "/proc/$child/comm"
  kill -KILL "$parent"
  wait_until 50 dead "$child"
}

@test "a PID 1 ignores a forwarded SIGTERM it has no handler for; under rt-exec --init SIGTERM ends it" {
  local out="$BATS_TEST_TMPDIR/out"
  # A PID 1 with a handler for SIGUSR1 only.
  bg rt-unshare --pid -- sh -c 'trap "echo usr1" USR1; echo ready; while :; do sleep 0.1; done' >"$out" 2>&1
  local pid=$BGPID
  wait_until 50 grep -q ready "$out"
  kill -TERM "$pid"
  kill -USR1 "$pid"
  wait_until 50 grep -q usr1 "$out"
  # A second round trip: the SIGTERM was forwarded before it started.
  kill -USR1 "$pid"
  wait_until 50 eval '[ "$(grep -c usr1 "$out")" -ge 2 ]'
  kill -0 "$pid" || fail "the payload died of a SIGTERM its PID 1 has no handler for"
  kill -KILL "$pid"
  local rc=0
  wait "$pid" || rc=$?
  assert_equal "$rc" 137
  # Under rt-exec --init the program is PID 2 and keeps the default action.
  rm -f "$BATS_TEST_TMPDIR/pid"
  bg rt-unshare --pid --pid-file "$BATS_TEST_TMPDIR/pid" -- rt-exec --init -- sleep 1000
  pid=$BGPID
  local init; init=$(pid_from "$BATS_TEST_TMPDIR/pid")
  wait_until 50 pgrep -P "$init" -x sleep
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  assert_equal "$rc" 143
}

# "PID STATE" of every child of $1.
children_of() {
  local s
  for s in /proc/[0-9]*/status; do
    awk -v p="$1" '/^Pid:/ {pid = $2} /^State:/ {st = $2} /^PPid:/ {pp = $2} END {if (pp == p) print pid, st}' "$s" 2>/dev/null
  done
}

@test "rt-exec --init as PID 1 reaps orphaned zombies; without it they stay" {
  local c mode
  for mode in "" "rt-exec --init --"; do
    rm -f "$BATS_TEST_TMPDIR/pid" "$BATS_TEST_TMPDIR/go" "$BATS_TEST_TMPDIR/done"
    # The subshell exits at once, so the inner sh is orphaned to PID 1. It
    # ends only once PID 1 is sleep (a shell as PID 1 could reap it while
    # waiting for its own children).
    bg rt-unshare --pid --pid-file "$BATS_TEST_TMPDIR/pid" -- $mode \
      sh -c "(sh -c 'while [ ! -e $BATS_TEST_TMPDIR/go ]; do sleep 0.05; done; echo > $BATS_TEST_TMPDIR/done' &); exec sleep 1000"
    c=$(pid_from "$BATS_TEST_TMPDIR/pid")
    if [ -z "$mode" ]; then
      wait_until 50 grep -qx sleep "/proc/$c/comm"
    else
      wait_until 50 pgrep -P "$c" -x sleep
    fi
    touch "$BATS_TEST_TMPDIR/go"
    wait_until 50 test -e "$BATS_TEST_TMPDIR/done"
    if [ -z "$mode" ]; then
      # The control: PID 1 is sleep, which never waits, so a zombie stays.
      run wait_until 50 eval 'children_of "$c" | grep -q " Z$"'
      assert_success
    else
      # Only the program is left under the init: the orphan was reaped.
      run wait_until 50 eval '[ "$(children_of "$c" | wc -l)" -eq 1 ]'
      assert_success
      run children_of "$c"
      refute_output --partial " Z"
    fi
    kill -KILL "$BGPID"
    wait "$BGPID" || true
  done
}

@test "rt-exec --init forwards SIGTERM to a payload that is PID 1's child, and passes its status on" {
  local out="$BATS_TEST_TMPDIR/out"
  bg rt-unshare --pid -- rt-exec --init -- sh -c 'trap "echo got-term; exit 4" TERM; echo "ready $$"; while :; do sleep 0.1; done' >"$out" 2>&1
  local pid=$BGPID
  wait_until 50 grep -q ready "$out"
  # The payload is PID 2: the init is PID 1.
  run cat "$out"
  assert_output "ready 2"
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  assert_equal "$rc" 4
  run cat "$out"
  assert_line got-term
}

@test "a SIGCHLD ignored by the caller hangs neither the resident parent nor the init" {
  # With SIGCHLD ignored the kernel reaps children itself and sends no
  # SIGCHLD; timeout only guards the suite against a regression (124).
  run timeout 20 perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV or exit 99' rt-unshare --pid -- sh -c 'exit 3'
  assert_equal "$status" 3
  run timeout 20 perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV or exit 99' rt-unshare --pid -- rt-exec --init -- sh -c 'exit 4'
  assert_equal "$status" 4
}

@test "--init is rt-exec's, not rt-unshare's: the init must carry the container's limits" {
  run rt-unshare --pid --init -- true
  assert_equal "$status" 125
  assert_output --partial "unrecognised option '--init'"
}

# ------------------------------------------------------------------ user namespaces

@test "--user --map-root-user as nobody: root inside, mapped to nobody, setgroups denied" {
  run as_nobody rt-unshare --user --map-root-user -- sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
  assert_success
  assert_line -n 0 0
  assert_line -n 1 0
  assert_line --regexp '^ +0 +65534 +1$'
  assert_line deny
}

@test "--user --map-root-user as nobody: the maps are written from inside the namespace, with no helper process forked" {
  command -v strace >/dev/null || skip "strace is not installed (Debian package strace)"
  # (no --pid: rt-unshare execs the program in place, so a fork or clone
  # could only be a map writer's)
  run --separate-stderr as_nobody strace -f -qq -e trace=clone,clone3,fork,vfork,execve -e signal=none \
    rt-unshare --user --map-root-user --net -- /bin/true
  assert_success
  [[ "$stderr" == *'execve("/bin/true", ["/bin/true"]'*') = 0'* ]]
  # (a syscall's name at a line's start, after strace -f's optional pid:
  # not a path that happens to contain "clone")
  ! grep -Eq '^(\[pid +[0-9]+\] )?(clone3?|v?fork)\(' <<<"$stderr"
}

@test "--user --map-root-user as nobody can make the other namespaces; without --user it cannot" {
  run as_nobody rt-unshare --user --map-root-user --net --uts --hostname rt-test-rootless -- sh -c 'hostname; ip -o link'
  assert_success
  assert_line -n 0 rt-test-rootless
  # lo is up in the user namespace's own network namespace too
  assert_line -n 1 --regexp '^1: lo: <LOOPBACK,UP,LOWER_UP>'
  run as_nobody rt-unshare --net -- true
  assert_equal "$status" 125
  assert_output "rt-unshare: cannot create new net namespaces (hint: add --user --map-root-user): Operation not permitted"
}

@test "--uid-map/--gid-map ranges as root: written as given, root inside with every capability, setgroups allowed" {
  run rt-unshare --user --uid-map 0:100000:1000 --uid-map 1000:1000:1 --gid-map 0:100000:65536 -- \
    sh -c 'cat /proc/self/uid_map; cat /proc/self/gid_map; cat /proc/self/setgroups; id -u; id -g; grep CapEff /proc/self/status'
  assert_success
  assert_line --regexp '^ +0 +100000 +1000$'
  assert_line --regexp '^ +1000 +1000 +1$'
  assert_line --regexp '^ +0 +100000 +65536$'
  assert_line allow
  assert_line -n 4 0
  assert_line -n 5 0
  # Every capability the kernel knows, in the new namespace.
  assert_line "CapEff:	$(printf '%016x' $(( (1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1 )))"
  # setgroups works inside (the maps were written by a privileged helper).
  run rt-unshare --user --uid-map 0:100000:65536 --gid-map 0:100000:65536 -- sh -c 'setpriv --groups 5,6 id -G'
  assert_success
  assert_output "0 5 6"
}

@test "--uid-map beyond one's own id as nobody needs newuidmap and /etc/subuid" {
  grep -q '^nobody:' /etc/subuid 2>/dev/null && skip "nobody has subordinate ids here"
  run as_nobody rt-unshare --user --uid-map 0:200000:10 --gid-map 0:65534:1 -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output --regexp "rt-unshare: newuidmap failed for pid [0-9]+ \(check /etc/subuid and /etc/subgid\)$"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "bad user namespace options are one-line errors" {
  run rt-unshare --map-root-user -- true
  assert_equal "$status" 125
  assert_output "rt-unshare: --map-root-user, --uid-map and --gid-map need --user"
  run rt-unshare --user --map-root-user --uid-map 0:0:1 -- true
  assert_equal "$status" 125
  assert_output --partial "cannot be combined"
  for bad in 0:1 a:b:c 0:0:0 0:0:1:2 -1:0:1 0:4294967296:1 ''; do
    run rt-unshare --user --uid-map "$bad" -- true
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
}

# ------------------------------------------------------------------ pid file, sync fd

@test "--pid-file holds the payload's pid as seen from outside (forked and in place)" {
  run rt-unshare --uts --pid-file "$BATS_TEST_TMPDIR/p1" -- sh -c 'echo $$'
  assert_success
  assert_equal "$(cat "$BATS_TEST_TMPDIR/p1")" "$output"
  bg rt-unshare --pid --pid-file "$BATS_TEST_TMPDIR/p2" -- sleep 1000
  local child; child=$(pid_from "$BATS_TEST_TMPDIR/p2")
  wait_until 50 grep -qx sleep "/proc/$child/comm"
  assert_equal "$(awk '/^NSpid/ {print $3}' "/proc/$child/status")" 1
  assert_equal "$(awk '/^PPid/ {print $2}' "/proc/$child/status")" "$BGPID"
}

@test "--pid-fd: the payload's pid as one line on the fd, which the payload does not get" {
  local f="$BATS_TEST_TMPDIR/pidfd"
  run rt-unshare --uts --pid-fd 5 -- sh -c 'echo $$; if [ -e /proc/self/fd/5 ]; then echo "fd 5 leaked"; fi' 5>"$f"
  assert_success
  assert_output "$(cat "$f")"
  rm -f "$f"
  bg rt-unshare --pid --pid-fd 5 -- sleep 1000 5>"$f"
  wait_until 50 test -s "$f"
  local child; child=$(cat "$f")
  assert_equal "$(wc -l <"$f")" 1
  wait_until 50 grep -qx sleep "/proc/$child/comm"
  assert_equal "$(awk '/^NSpid/ {print $3}' "/proc/$child/status")" 1
  assert_equal "$(awk '/^PPid/ {print $2}' "/proc/$child/status")" "$BGPID"
  # Written and closed: neither the resident parent nor the payload holds it.
  [ ! -e "/proc/$BGPID/fd/5" ] || fail "rt-unshare kept fd 5 open"
  [ ! -e "/proc/$child/fd/5" ] || fail "the payload got fd 5"
  run rt-unshare --pid-fd 57 -- true
  assert_equal "$status" 125
  assert_output "rt-unshare: --pid-fd 57: not an open file descriptor"
}

@test "--sync-fd: nothing runs before the byte arrives, then the program runs" {
  local fifo="$BATS_TEST_TMPDIR/fifo" mark="$BATS_TEST_TMPDIR/ran"
  for mode in "" --pid; do
    rm -f "$fifo" "$mark"
    mkfifo "$fifo"
    # Read-write open of a FIFO does not block: the writer end exists first.
    exec 6<>"$fifo"
    bg rt-unshare $mode --uts --sync-fd 5 -- touch "$mark" 5<"$fifo" 6>&-
    local pid=$BGPID
    # Wait until the waiting process is blocked reading the pipe (or, if
    # broken, has already run the program).
    wait_until 50 sh -c "[ -e '$mark' ] || grep -qs pipe_read /proc/$pid/wchan /proc/\$(pgrep -P $pid | head -1)/wchan"
    [ ! -e "$mark" ] || fail "the program ran before the go-ahead byte ($mode)"
    printf x >&6
    exec 6>&-
    local rc=0
    wait "$pid" || rc=$?
    assert_equal "$rc" 0
    [ -e "$mark" ]
  done
}

@test "--sync-fd: a closed pipe gives 125 and runs nothing; a bad fd is refused" {
  run rt-unshare --uts --sync-fd 5 -- touch "$BATS_TEST_TMPDIR/ran" 5</dev/null
  assert_equal "$status" 125
  assert_output "rt-unshare: sync fd 5 was closed before the go-ahead byte"
  run rt-unshare --pid --sync-fd 5 -- touch "$BATS_TEST_TMPDIR/ran" 5</dev/null
  assert_equal "$status" 125
  run rt-unshare --sync-fd 57 -- true
  assert_equal "$status" 125
  assert_output "rt-unshare: --sync-fd 57: not an open file descriptor"
  for bad in -1 abc ''; do
    run rt-unshare --sync-fd "$bad" -- true
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--hand-over: the parent exits 0 once the pid is written; the child runs on, no longer its child" {
  local f="$BATS_TEST_TMPDIR/pid" mark="$BATS_TEST_TMPDIR/ran"
  # Not through `run`: it would wait for the child, which holds its output.
  local rc=0
  rt-unshare --pid --hand-over --pid-file "$f" -- sh -c "sleep 0.5; touch '$mark'; exec sleep 1000" \
    >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- || rc=$?
  assert_equal "$rc" 0
  [ ! -e "$mark" ] || fail "rt-unshare waited for the child"
  local child; child=$(cat "$f")
  # Alive after the parent has gone, PID 1 of its namespace, and it ran on.
  wait_until 50 test -e "$mark"
  assert_equal "$(awk '/^NSpid/ {print $3}' "/proc/$child/status")" 1
  [ "$(awk '/^PPid/ {print $2}' "/proc/$child/status")" != "$$" ]
  kill -9 "$child"
  wait_until 50 dead "$child"
  run rt-unshare --uts --hand-over -- true
  assert_equal "$status" 125
  assert_output "rt-unshare: --hand-over needs --pid or --time (without them nothing forks: there is nothing to hand over)"
}

# The child of --pid runs on the parent's own stack until it execs (as
# vfork(2)): no stack of its own to map, fault in and unmap. It still hands
# its pid on and execs the program as PID 1.
@test "x86-64: --pid starts the program's process on rt-unshare's own stack, with no stack mapped for it" {
  [ "$(uname -m)" = x86_64 ] || skip "the child on the caller's stack is x86-64 only; this machine is $(uname -m)"
  command -v strace >/dev/null || skip "strace is not installed (Debian package strace)"
  local f="$BATS_TEST_TMPDIR/pid"
  run strace -qq -e trace=mmap,munmap,clone,clone3 -e signal=none -o "$BATS_TEST_TMPDIR/trace" \
    rt-unshare --pid --mount --pid-file "$f" -- sh -c 'echo $$'
  assert_success
  assert_output 1
  [ -s "$f" ] || fail "no pid file"
  grep -q '^clone3(.*CLONE_VM|CLONE_VFORK' "$BATS_TEST_TMPDIR/trace" || fail "no vfork-like clone: $(cat "$BATS_TEST_TMPDIR/trace")"
  ! grep -q 'MAP_STACK' "$BATS_TEST_TMPDIR/trace" || fail "a stack was mapped: $(cat "$BATS_TEST_TMPDIR/trace")"
}

@test "options stop at the program: its own options are passed on untouched" {
  run rt-unshare --uts echo --pid --net
  assert_success
  assert_output "--pid --net"
}

@test "unknown options and stray values are one-line errors" {
  for args in "--bogus" "--pid=yes" "--hostname" "--join"; do
    run rt-unshare $args -- true
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
}
