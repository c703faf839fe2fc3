#!/usr/bin/env bats
# rt-mount: the container's root, its filesystems, pivot_root, and the
# safety model (never the host's mount namespace, never out of the root).
# Every container here runs as `rt-unshare --pid --mount -- rt-mount ...`.

load helpers
bats_require_minimum_version 1.5.0

setup() {
  rt_setup
  T=$BATS_TEST_TMPDIR
}
teardown() {
  # A broken symlink-escape defence would create these on the host.
  rm -rf /rt-mount-escape-* 2>/dev/null || true
  rt_teardown
}

ctr() { rt-unshare --pid --mount -- rt-mount "$@"; }

# An overlay over the busybox rootfs: writes land in $T/upper.
overlay_args() {
  mkdir -p "$T/upper" "$T/work" "$T/merged"
  OVL=(--lower "$RT_ROOTFS" --upper "$T/upper" --work "$T/work" --rootfs "$T/merged")
}

# A listing (names, types, modes, sizes, link targets) of a tree, to prove
# it unchanged.
tree_sum() { (cd "$1" && find . -printf '%p %y %m %s %l\n' | sort | md5sum); }

# The host's mount namespace, to enter it. PID 1 may forbid looking at it
# (as on this project's VMs); kthreadd (PID 2 of the initial pid namespace)
# lives in the initial mount namespace, which is PID 1's when both list the
# same mounts (mount ids are unique across namespaces).
host_mnt_ns() {
  if readlink /proc/1/ns/mnt >/dev/null 2>&1; then echo /proc/1/ns/mnt; return; fi
  if grep -q '^2 (kthreadd) ' /proc/2/stat 2>/dev/null && cmp -s /proc/1/mountinfo /proc/2/mountinfo; then
    echo /proc/2/ns/mnt
    return
  fi
  return 1
}

# ---- safety -------------------------------------------------------------------

@test "refuses to run in the host's mount namespace" {
  ns=$(host_mnt_ns) || skip "cannot enter the host's mount namespace: /proc/1/ns/mnt is unreadable and PID 2 is not kthreadd"
  # Arguments that would fail validation anyway: a second safety net.
  run nsenter --mount="$ns" -- "$RT_BIN/rt-mount" --rootfs /nonexistent/rootfs --bind /nonexistent:/x -- /bin/true
  assert_failure 125
  assert_output "rt-mount: refusing to run in the host's mount namespace: every mount would change the host's mount table (run it under rt-unshare --mount)"
  # --help as the value of an option does not slip through.
  run nsenter --mount="$ns" -- "$RT_BIN/rt-mount" --workdir --help --rootfs /nonexistent -- /bin/true
  assert_failure 125
  assert_output --partial "refusing to run in the host's mount namespace"
  # --help itself mounts nothing and works anywhere.
  run nsenter --mount="$ns" -- "$RT_BIN/rt-mount" --help
  assert_success
  assert_output --partial "Usage: rt-mount"
}

@test "refuses the host's mount namespace for an unprivileged caller too" {
  ns=$(host_mnt_ns) || skip "cannot enter the host's mount namespace: /proc/1/ns/mnt is unreadable and PID 2 is not kthreadd"
  run nsenter --mount="$ns" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$RT_BIN/rt-mount" --rootfs /nonexistent -- /bin/true
  assert_failure 125
  assert_output --partial "refusing to run in the host's mount namespace"
}

@test "makes / private first: nothing propagates back to a shared parent" {
  # The parent namespace is made rshared, so a mount rt-mount made without
  # making / private would show up in it. (Shown to happen with a plain
  # `mount --bind` in the same setup.)
  run rt-unshare --mount -- sh -c '
    mount --make-rshared /
    rt-unshare --mount -- mount --bind "$1" "$1"
    echo "control: $(grep -c " $1 " /proc/self/mountinfo)"
    umount "$1"
    rt-unshare --pid --mount -- rt-mount --rootfs "$1" --proc --dev -- sh -c "echo shared-inside: \$(grep -c shared: /proc/self/mountinfo)"
    echo "leaked: $(grep -c " $1" /proc/self/mountinfo)"' sh "$RT_ROOTFS"
  assert_success
  assert_line "control: 1"
  assert_line "shared-inside: 0"
  assert_line "leaked: 0"
}

@test "bad input: one line, status 125, nothing mounted" {
  mkdir -p "$T/d"
  local R=$RT_ROOTFS
  local cases=(
    "--rootfs /nonexistent"
    "--proc"
    "--lower /nonexistent"
    "--lower $R::$R"
    "--lower $R --upper $T/d"
    "--upper $T/d --work $T/d --rootfs $R"
    "--rootfs $R/etc/passwd"
    "--rootfs $R --bind /nonexistent:/x"
    "--rootfs $R --bind $T/d:relative"
    "--rootfs $R --bind $T/d:/x:rx"
    "--rootfs $R --bind $T/d"
    "--rootfs $R --bind $T/d:/"
    "--rootfs $R --bind $T/d:/x --tmpfs /x"
    "--rootfs $R --tmpfs /x:size=12q"
    "--rootfs $R --tmpfs /x:mode=9999"
    "--rootfs $R --tmpfs /x:bogus"
    "--rootfs $R --tmpfs /x:uid=-1"
    "--rootfs $R --tmpfs relative"
    "--rootfs $R --mask relative"
    "--rootfs $R --readonly-path /"
    "--rootfs $R --workdir relative"
    "--rootfs $R --frobnicate"
    "--rootfs"
  )
  for c in "${cases[@]}"; do
    # shellcheck disable=SC2086
    run rt-unshare --mount -- sh -c '
      before=$(cat /proc/self/mountinfo)
      rt-mount "$@" -- /bin/true; rc=$?
      [ "$before" = "$(cat /proc/self/mountinfo)" ] || echo "MOUNTED SOMETHING"
      exit $rc' sh $c
    echo "case: $c -> $status: $output"
    assert_failure 125
    assert_equal "${#lines[@]}" 1
    assert_output --regexp '^rt-mount: '
    refute_output --partial "MOUNTED"
  done
}

@test "no program: status 125 and the usage" {
  run ctr --rootfs "$RT_ROOTFS"
  assert_failure 125
  assert_output "rt-mount: no program given (usage: rt-mount [OPTIONS] [--] PROGRAM [ARGS...])"
}

# ---- the root -------------------------------------------------------------------

@test "--rootfs: the directory is the root, and is never modified" {
  local before; before=$(tree_sum "$RT_ROOTFS")
  run ctr --rootfs "$RT_ROOTFS" --defaults -- sh -c 'cat /etc/hostname; ls /'
  assert_success
  assert_line "rt"
  assert_line "linuxrc"
  assert_equal "$(tree_sum "$RT_ROOTFS")" "$before"
}

@test "--rootfs: a missing mount point is an error, not a change to the directory" {
  local before; before=$(tree_sum "$RT_ROOTFS")
  mkdir -p "$T/src"
  run ctr --rootfs "$RT_ROOTFS" --bind "$T/src:/data" -- true
  assert_failure 125
  assert_output --partial "rt-mount: cannot create /data for --bind $T/src:/data: it is missing in --rootfs $RT_ROOTFS, which rt-mount never modifies"
  run ctr --rootfs "$RT_ROOTFS" --workdir /new/dir -- true
  assert_failure 125
  assert_output --partial "cannot create /new/dir for --workdir"
  assert_equal "$(tree_sum "$RT_ROOTFS")" "$before"
}

@test "overlay: writes land in --upper, the lower layer is untouched" {
  overlay_args
  local before; before=$(tree_sum "$RT_ROOTFS")
  run ctr "${OVL[@]}" --defaults -- sh -c 'echo new > /newfile && echo changed > /etc/hostname && rm /bin/ls && grep " / " /proc/self/mountinfo'
  assert_success
  assert_output --regexp ' / / rw.* - overlay '
  assert_equal "$(cat "$T/upper/newfile")" "new"
  assert_equal "$(cat "$T/upper/etc/hostname")" "changed"
  [ -c "$T/upper/bin/ls" ]                  # a whiteout
  assert_equal "$(cat "$RT_ROOTFS/etc/hostname")" "rt"
  assert_equal "$(tree_sum "$RT_ROOTFS")" "$before"
  # The overlay was mounted on --rootfs in rt-mount's namespace only.
  run ls -A "$T/merged"
  assert_output ""
}

@test "overlay: --volatile mounts the writable layer without sync; it needs --upper" {
  overlay_args
  run ctr "${OVL[@]}" --volatile --proc -- sh -c 'echo x > /f && grep " / / " /proc/self/mountinfo'
  assert_success
  assert_output --regexp ' - overlay .*(,volatile|fsync=volatile)'
  assert_equal "$(cat "$T/upper/f")" x
  # overlayfs marks the work directory; a later mount of it is refused
  # until that mark is removed (rt-run removes the whole layer).
  [ -d "$T/work/work/incompat/volatile" ]
  run ctr "${OVL[@]}" --proc -- grep " / / " /proc/self/mountinfo
  assert_failure 125
  rm -rf "$T/work/work/incompat"
  run ctr "${OVL[@]}" --proc -- grep " / / " /proc/self/mountinfo
  assert_success
  refute_output --partial volatile
  run ctr --lower "$RT_ROOTFS" --volatile -- true
  assert_failure 125
  assert_output "rt-mount: --volatile needs --upper and --work"
}

@test "overlay: --lower A:B stacks A on top of B" {
  overlay_args
  mkdir -p "$T/top/etc"
  echo top > "$T/top/etc/hostname"
  run ctr --lower "$T/top:$RT_ROOTFS" --upper "$T/upper" --work "$T/work" --rootfs "$T/merged" -- cat /etc/hostname
  assert_success
  assert_output "top"
  run ctr --lower "$RT_ROOTFS" --lower "$T/top" --upper "$T/upper" --work "$T/work" --rootfs "$T/merged" -- cat /etc/hostname
  assert_success
  assert_output "rt"
}

@test "overlay: --lower without --upper is read-only" {
  mkdir -p "$T/top"
  echo layer > "$T/top/extra"
  run ctr --lower "$T/top:$RT_ROOTFS" -- sh -c 'cat /extra; touch /x'
  assert_failure
  assert_line "layer"
  assert_line --partial "Read-only file system"
  # One layer alone: a read-only bind of it.
  run ctr --lower "$RT_ROOTFS" -- sh -c 'touch /x'
  assert_failure
  assert_output --partial "Read-only file system"
  [ ! -e "$RT_ROOTFS/x" ]
}

@test "--upper-tmpfs: the writable layer in memory; mount points the layers lack; read-only with --read-only" {
  mkdir -p "$T/top" "$T/src"
  echo layer > "$T/top/extra"
  echo vol > "$T/src/f"
  before=$(tree_sum "$RT_ROOTFS")
  run ctr --lower "$T/top:$RT_ROOTFS" --upper-tmpfs --proc --bind "$T/src/f:/new/dir/f" --workdir /w -- sh -c '
    cat /extra /new/dir/f; pwd; echo x > /written && cat /written
    grep " / " /proc/self/mountinfo'
  assert_success
  assert_line "layer"
  assert_line "vol"
  assert_line "/w"
  assert_line "x"
  assert_output --regexp ' / rw,.* - overlay .*upperdir='
  run ctr --lower "$RT_ROOTFS" --upper-tmpfs --proc --tmp --bind "$T/src/f:/etc/made" --read-only -- sh -c '
    cat /etc/made; touch /x 2>&1; echo t > /tmp/t && echo tmp-ok'
  assert_success
  assert_line "vol"
  assert_line "touch: /x: Read-only file system"
  assert_line "tmp-ok"
  # Nothing reached the layers or the disk.
  assert_equal "$(tree_sum "$RT_ROOTFS")" "$before"
  assert_equal "$(ls "$T/top")" "extra"
  [ ! -e "$T/src/made" ]
}

@test "--upper-tmpfs: refused without --lower, with --upper/--work or --volatile, with another storage driver" {
  mkdir -p "$T/u" "$T/w"
  run ctr --rootfs "$RT_ROOTFS" --upper-tmpfs -- true
  assert_failure 125
  assert_output "rt-mount: --upper-tmpfs needs --lower"
  run ctr --lower "$RT_ROOTFS" --upper-tmpfs --upper "$T/u" --work "$T/w" -- true
  assert_failure 125
  assert_output "rt-mount: --upper-tmpfs replaces --upper and --work"
  run ctr --lower "$RT_ROOTFS" --upper-tmpfs --volatile -- true
  assert_failure 125
  assert_output --partial "--volatile needs --upper and --work"
  run ctr --lower "$RT_ROOTFS" --upper-tmpfs --storage-driver vfs -- true
  assert_failure 125
  assert_output "rt-mount: --upper-tmpfs works with the overlay storage driver only, not vfs"
}

@test "overlay without --rootfs: mounted in the private namespace, host paths under /tmp still reachable" {
  overlay_args
  mkdir -p "$T/src" && echo vol > "$T/src/f"
  case "$T" in /tmp/*) ;; *) skip "the test directory $T is not under /tmp" ;; esac
  run ctr --lower "$RT_ROOTFS" --upper "$T/upper" --work "$T/work" --bind "$T/src:/data" -- cat /data/f
  assert_success
  assert_output "vol"
}

# ---- filesystems ----------------------------------------------------------------

@test "--proc: only the container's processes" {
  run ctr --rootfs "$RT_ROOTFS" --proc -- sh -c 'echo /proc/[0-9]*; grep " /proc " /proc/self/mountinfo'
  assert_success
  assert_line "/proc/1"
  assert_output --regexp ' /proc rw,nosuid,nodev,noexec,.* - proc '
}

@test "--sys: sysfs, read-only" {
  run ctr --rootfs "$RT_ROOTFS" --proc --sys -- sh -c 'grep " /sys " /proc/self/mountinfo; ls /sys/kernel >/dev/null && echo listed; : > /sys/kernel/uevent_seqnum'
  assert_failure
  assert_output --regexp ' /sys ro,nosuid,nodev,noexec,.* - sysfs '
  assert_line "listed"
  assert_output --partial "Read-only file system"
}

@test "--cgroupfs: the group's own cgroups, read-only; never a hierarchy's root; needs a cgroup namespace" {
  local n="rt-mnt-cg-$$"
  # Known gap on a pure v2 host: the namespace's root is the leaf
  # rt-NAME/payload, and the limits sit on rt-NAME above it.
  if ! grep -qv '^0::' /proc/self/cgroup; then
    skip "pure cgroup v2: the container sees its leaf rt-NAME/payload, not the limits on rt-NAME (known gap, rt-mount(1))"
  fi
  # In a group of its own (rt-cgroup) and a cgroup namespace (rt-unshare --cgroup).
  run rt-cgroup --name "$n" --memory 40M --pids 30 -- rt-unshare --pid --mount --cgroup -- \
    rt-mount --rootfs "$RT_ROOTFS" --proc --sys --cgroupfs -- sh -c '
      if [ -f /sys/fs/cgroup/memory.max ]; then m=/sys/fs/cgroup/memory.max; p=/sys/fs/cgroup/pids.max
      else m=/sys/fs/cgroup/memory/memory.limit_in_bytes; p=/sys/fs/cgroup/pids/pids.max; fi
      echo "memory $(cat $m) pids $(cat $p)"
      echo "roots: $(find /sys/fs/cgroup -maxdepth 2 -name release_agent | wc -l)"
      grep " /sys/fs/cgroup" /proc/self/mountinfo | grep -vc " ro," ; mkdir /sys/fs/cgroup/x; echo 1 > $p'
  assert_failure
  assert_line "memory 41943040 pids 30"
  assert_line "roots: 0"
  assert_line 0   # no mount under /sys/fs/cgroup is writable
  assert_output --partial "Read-only file system"
  # --defaults without a cgroup namespace: /sys/fs/cgroup stays sysfs's empty directory.
  run ctr --rootfs "$RT_ROOTFS" --defaults -- sh -c 'ls -A /sys/fs/cgroup | wc -l; grep -c " /sys/fs/cgroup" /proc/self/mountinfo || true'
  assert_success
  assert_output "$(printf '0\n0')"
  run ctr --rootfs "$RT_ROOTFS" --proc --sys --cgroupfs -- true
  assert_failure 125
  assert_output --partial "rt-mount: --cgroupfs needs a cgroup namespace of its own (rt-unshare --cgroup)"
  run rt-unshare --mount --cgroup -- rt-mount --rootfs "$RT_ROOTFS" --cgroupfs -- true
  assert_failure 125
  assert_output "rt-mount: --cgroupfs needs --sys (it mounts on /sys/fs/cgroup)"
}

@test "--dev: the standard nodes work, symlinks, a devpts of its own" {
  run ctr --rootfs "$RT_ROOTFS" --proc --dev -- sh -c '
    echo x > /dev/null && echo null-ok
    [ "$(head -c 10 /dev/urandom | wc -c)" = 10 ] && echo urandom-ok
    [ "$(head -c 5 /dev/zero | od -An -tx1 | tr -d " ")" = 0000000000 ] && echo zero-ok
    echo x 2>/dev/null > /dev/full || echo full-ok
    ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | cut -c1
    for l in ptmx fd stdin stdout stderr core; do readlink /dev/$l; done
    ls /dev/pts
    stat -c "pts-dev %d" /dev/pts
    grep " /dev/pts " /proc/self/mountinfo
    grep " /dev " /proc/self/mountinfo'
  assert_success
  assert_line "null-ok"
  assert_line "urandom-ok"
  assert_line "zero-ok"
  assert_line "full-ok"
  assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^c$')" 6
  assert_line "pts/ptmx"
  assert_line "/proc/self/fd"
  assert_line "/proc/self/fd/0"
  assert_line "/proc/kcore"
  assert_line "ptmx"
  refute_line "pts-dev $(stat -c %d /dev/pts)"
  assert_output --regexp ' /dev/pts rw,nosuid,noexec,.* - devpts devpts rw,gid=5,mode=620,ptmxmode=666'
  assert_output --regexp ' /dev rw,nosuid.* - tmpfs tmpfs rw,size=65536k,mode=755'
}

@test "--dev: /dev/console is the terminal on stdin, and only with one" {
  command -v script >/dev/null || skip "script(1) from util-linux is not installed"
  run script -qec "rt-unshare --pid --mount -- rt-mount --rootfs $RT_ROOTFS --dev -- sh -c 'stat -c %t:%F /dev/console; echo hi > /dev/console'" /dev/null
  assert_success
  assert_line --regexp '^88:character special file'   # a pty (major 136 = 0x88)
  assert_line --partial "hi"
  run ctr --rootfs "$RT_ROOTFS" --dev -- sh -c 'test -e /dev/console || echo no-console' </dev/null
  assert_success
  assert_output "no-console"
}

@test "--shm, --mqueue, --tmp" {
  run ctr --rootfs "$RT_ROOTFS" --proc --dev --shm --mqueue --tmp -- sh -c '
    stat -c "%n %a" /dev/shm /dev/mqueue /tmp
    echo s > /dev/shm/f && echo t > /tmp/f && cat /dev/shm/f /tmp/f
    grep -E " /(dev/shm|dev/mqueue|tmp) " /proc/self/mountinfo'
  assert_success
  assert_line "/dev/shm 1777"
  assert_line "/tmp 1777"
  assert_line "s"
  assert_line "t"
  assert_output --regexp ' /dev/shm rw,nosuid,nodev,noexec,.* - tmpfs shm rw,size=65536k'
  assert_output --regexp ' /dev/mqueue rw,nosuid,nodev,noexec,.* - mqueue '
  assert_output --regexp ' /tmp rw,nosuid,nodev,.* - tmpfs '
  # /dev/shm and /dev/mqueue without --dev go into the rootfs's own /dev.
  run ctr --rootfs "$RT_ROOTFS" --shm -- sh -c 'echo s > /dev/shm/f && cat /dev/shm/f'
  assert_failure
  assert_output --partial "cannot create /dev/shm for --shm: it is missing in --rootfs"
}

@test "--defaults: masked and read-only paths" {
  [ -n "$(head -c1 /proc/interrupts)" ] || skip "/proc/interrupts is empty on this host"
  [ -n "$(ls /sys/firmware)" ] || skip "/sys/firmware is empty on this host"
  [ -d /proc/sys/kernel ] || skip "no /proc/sys/kernel"
  run rt-unshare --pid --mount --uts -- rt-mount --rootfs "$RT_ROOTFS" --defaults -- sh -c '
    echo "interrupts=$(wc -c < /proc/interrupts) keys=$(wc -c < /proc/keys)"
    echo "firmware=[$(ls /sys/firmware)] acpi=[$(ls /proc/acpi 2>&1)]"
    touch /sys/firmware/x 2>&1
    (: > /proc/sys/kernel/domainname) 2>&1
    (echo rt > /proc/sys/kernel/hostname) 2>&1
    cat /proc/sys/kernel/ostype
    true'
  assert_success
  assert_line "interrupts=0 keys=0"
  assert_line "firmware=[] acpi=[]"
  assert_line --partial "touch: /sys/firmware/x: Read-only file system"
  assert_line "sh: can't create /proc/sys/kernel/domainname: Read-only file system"
  assert_line "sh: can't create /proc/sys/kernel/hostname: Read-only file system"
  assert_line "Linux"
}

@test "--bind: rw writes through to the host, ro refuses writes, recursively" {
  mkdir -p "$T/rw" "$T/ro/sub" "$T/files"
  echo host > "$T/files/f"
  overlay_args
  # A mount inside the ro source: read-only must reach it too.
  run rt-unshare --mount -- sh -c '
    mount -t tmpfs tmpfs "$1/ro/sub"
    shift
    rt-unshare --pid --mount -- rt-mount "$@" -- sh -c "
      echo in > /data/rw/new && echo rw-ok
      cat /data/f
      touch /data/ro/x 2>&1
      touch /data/ro/sub/x 2>&1
      true"' sh "$T" "${OVL[@]}" --bind "$T/rw:/data/rw" --bind "$T/ro:/data/ro:ro" --bind "$T/files/f:/data/f"
  assert_success
  assert_line "rw-ok"
  assert_line "host"
  assert_line "touch: /data/ro/x: Read-only file system"
  assert_line "touch: /data/ro/sub/x: Read-only file system"
  assert_equal "$(cat "$T/rw/new")" "in"
  [ ! -e "$T/ro/x" ]
  # The mount points were created in the writable layer, not in the image.
  [ -d "$T/upper/data/rw" ] && [ -f "$T/upper/data/f" ]
}

@test "--mount: OCI mounts in the order given, bind flags (data ignored), tmpfs data, propagation; --dev-nodes" {
  mkdir -p "$T/src/sub"
  echo hi > "$T/src/file"
  R=$(rootfs_copy)
  run ctr --rootfs "$R" --rootfs-mkdir --proc \
    --mount type=tmpfs,source=tmpfs,destination=/dev,nosuid,strictatime,mode=755,size=65536k \
    --mount type=devpts,source=devpts,destination=/dev/pts,nosuid,noexec,newinstance,ptmxmode=0666,mode=0620 \
    --mount "type=bind,source=$T/src,destination=/data/ro,rbind,ro,nosuid,rprivate" \
    --mount "source=$T/src/file,destination=/data/file,bind,nosuid,strictatime,mode=755,size=1k" \
    --mount type=tmpfs,source=tmpfs,destination=/data/ro/sub,size=1m,mode=700 \
    --dev-nodes -- sh -c '
      cat /data/file; echo x > /dev/null && echo null-ok; ls -l /dev/ptmx
      touch /data/ro/x 2>&1 || echo ro-ok
      stat -c %a /data/ro/sub
      grep " /data/ro " /proc/self/mountinfo; grep " /data/ro/sub " /proc/self/mountinfo'
  assert_success
  assert_line hi
  assert_line null-ok
  assert_line --partial "/dev/ptmx -> pts/ptmx"
  assert_line ro-ok
  assert_line 700
  assert_line --regexp " /data/ro ro,nosuid,[a-z,]* - "
  assert_line --regexp " /data/ro/sub .*size=1024k,mode=700"
  # The mount point was made in the rootfs (as OCI runtimes do), only with --rootfs-mkdir.
  [ -d "$R/data/ro" ]
  run ctr --rootfs "$RT_ROOTFS" --mount "type=bind,source=$T/src,destination=/nope,bind" -- true
  assert_equal "$status" 125
  assert_output --partial "it is missing in --rootfs"
}

@test "--mknod: character, block and FIFO nodes with mode and owner, parents made; an existing node is kept" {
  R=$(rootfs_copy)
  run ctr --rootfs "$R" --rootfs-mkdir --proc --dev \
    --mknod type=c,major=1,minor=3,path=/dev/extra/mynull,mode=0620,uid=1000,gid=5 \
    --mknod type=b,major=7,minor=200,path=/dev/loopx,mode=0600 \
    --mknod type=p,path=/dev/fifo,mode=0640,uid=2,gid=3 \
    --mknod type=u,major=1,minor=3,path=/dev/null,mode=0600 \
    -- sh -c 'stat -c "%n|%F|%t:%T|%a|%u:%g" /dev/extra/mynull /dev/loopx /dev/fifo /dev/null
      echo x > /dev/extra/mynull && echo write-ok'
  assert_success
  assert_line "/dev/extra/mynull|character special file|1:3|620|1000:5"
  assert_line "/dev/loopx|block special file|7:c8|600|0:0"
  assert_line "/dev/fifo|fifo|0:0|640|2:3"
  assert_line "/dev/null|character special file|1:3|600|0:0"
  assert_line write-ok
  # Something else at the path is an error, not silently kept.
  run ctr --rootfs "$R" --proc --dev --mknod type=c,major=1,minor=5,path=/dev/null -- true
  assert_equal "$status" 125
  assert_output --partial "cannot make /dev/null for --mknod 'type=c,major=1,minor=5,path=/dev/null': something else is there"
  local bad
  for bad in "type=x,path=/dev/a" "type=c,path=/dev/a" "major=1,minor=1,path=/dev/a" "type=c,major=1,minor=1" \
    "type=c,major=1,minor=1,path=/dev/a,mode=9" "type=c,major=1,minor=1,path=/" "type=c,major=1,minor=1,path=/dev/a,x=1"; do
    run ctr --rootfs "$RT_ROOTFS" --mknod "$bad" -- true
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
    assert_output --partial "rt-mount: invalid --mknod"
  done
}

@test "--mknod in a user namespace: the host's node of that path is bound; none there is a named failure" {
  R=$(rootfs_copy)
  run rt-unshare --user --map-root-user --pid --mount -- rt-mount --rootfs "$R" --rootfs-mkdir --proc \
    --mount type=tmpfs,source=tmpfs,destination=/dev --mknod type=c,major=1,minor=5,path=/dev/zero -- sh -c '
      head -c 3 /dev/zero | wc -c; grep " /dev/zero " /proc/self/mountinfo'
  assert_success
  assert_line 3
  assert_output --regexp ' /dev/zero rw.* - devtmpfs '
  run rt-unshare --user --map-root-user --pid --mount -- rt-mount --rootfs "$R" --rootfs-mkdir --proc \
    --mount type=tmpfs,source=tmpfs,destination=/dev --mknod type=c,major=1,minor=5,path=/dev/nozero -- true
  assert_equal "$status" 125
  assert_output --partial "the host has no such node at that path to bind"
}

@test "--root-propagation: shared, private and unbindable as the container's root mount shows them" {
  R=$(rootfs_copy)
  mkdir -p "$R/t" "$R/m" "$R/src"
  touch "$R/src/f"
  local probe='awk "\$5 == \"/\" { print \"root:\", \$7 }" /proc/self/mountinfo; mount -o rbind / /t && mount -o bind /src /m && ls /t/m'
  run ctr --rootfs "$R" --proc --root-propagation shared -- sh -c "$probe"
  assert_success
  assert_line --regexp '^root: shared:[0-9]+$'
  assert_line f
  run ctr --rootfs "$R" --proc --root-propagation private -- sh -c "$probe"
  assert_success
  refute_line f
  assert_line 'root: -'
  run ctr --rootfs "$R" --proc --root-propagation rprivate -- sh -c "$probe"
  assert_success
  refute_line f
  run ctr --rootfs "$R" --proc --root-propagation unbindable -- sh -c "$probe"
  assert_failure
  assert_line 'root: unbindable'
  run ctr --rootfs "$RT_ROOTFS" --root-propagation sideways -- true
  assert_equal "$status" 125
  assert_output "rt-mount: invalid --root-propagation 'sideways': expected shared, slave, private or unbindable (each also with an r prefix)"
}

@test "--ready-fd, --sync-fd: a pause with the mounts made, before pivot_root (rt-oci's hooks)" {
  local d="$BATS_TEST_TMPDIR"
  mkfifo "$d/ready" "$d/go"
  exec 7<>"$d/ready" 8<>"$d/go"
  ctr --rootfs "$RT_ROOTFS" --proc --ready-fd 5 --sync-fd 6 -- echo payload 5>"$d/ready" 6<"$d/go" >"$d/out" 2>&1 3>&- &
  local pid=$!
  run dd bs=1 count=1 status=none <&7
  assert_output g
  local child; child=$(pgrep -P "$pid")
  grep -q " $RT_ROOTFS/proc " "/proc/$child/mountinfo"
  [ ! -s "$d/out" ]
  printf g >&8
  wait "$pid"
  exec 7>&- 8>&-
  assert_equal "$(cat "$d/out")" payload
  run ctr --rootfs "$RT_ROOTFS" --ready-fd 7 -- true 7>/dev/null
  assert_equal "$status" 125
  assert_output "rt-mount: --ready-fd and --sync-fd go together, as two different fds"
}

@test "--sysctl: a namespaced sysctl is set in the container's namespace only; others are refused" {
  local host; host=$(cat /proc/sys/net/ipv4/ping_group_range)
  run rt-unshare --pid --mount --net -- rt-mount --rootfs "$RT_ROOTFS" --proc --sysctl "net.ipv4.ping_group_range=0 0" \
    -- cat /proc/sys/net/ipv4/ping_group_range
  assert_success
  assert_output --regexp '^0[[:space:]]+0$'
  assert_equal "$(cat /proc/sys/net/ipv4/ping_group_range)" "$host"
  run ctr --rootfs "$RT_ROOTFS" --proc --sysctl kernel.panic=1 -- true
  assert_equal "$status" 125
  assert_output --partial "rt-mount: invalid --sysctl 'kernel.panic=1': kernel.panic is not a namespaced sysctl"
}

@test "--mount: bad specs are one-line errors before anything is mounted" {
  local bad
  for bad in "type=tmpfs,source=tmpfs" "type=bind,destination=/x" "destination=/x" \
    "type=bind,source=/tmp,destination=/x,idmap" "type=tmpfs,destination=/x,tmpcopyup" \
    "type=tmpfs,destination=/" "type=bind,source=/nonexistent,destination=/x" \
    "type=bind,source=/tmp,destination=/x,nosiud"; do
    run ctr --rootfs "$RT_ROOTFS" --mount "$bad" -- true
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
    assert_output --partial "rt-mount: invalid --mount '$bad'"
  done
}

@test "--tmpfs: docker's options, parents mounted before children" {
  overlay_args
  run ctr "${OVL[@]}" --proc --dev --tmpfs /scratch/inner:size=1m,mode=700,uid=1000 --tmpfs /scratch:exec -- sh -c '
    grep -E " /scratch(/inner)? " /proc/self/mountinfo
    stat -c "%a %u" /scratch/inner
    dd if=/dev/zero of=/scratch/inner/big bs=1k count=2048 2>&1 | grep -o "No space left on device"'
  assert_success
  assert_output --regexp ' /scratch rw,nosuid,nodev,relatime - tmpfs '
  assert_output --regexp ' /scratch/inner rw,nosuid,nodev,noexec,.* - tmpfs tmpfs rw,size=1024k,mode=700,uid=1000'
  assert_line "700 1000"
  assert_output --partial "No space left on device"
}

@test "--read-only: the root is read-only, its mounts are not" {
  run ctr --rootfs "$RT_ROOTFS" --proc --dev --tmp --read-only -- sh -c '
    touch /x 2>&1
    echo t > /tmp/f && echo tmp-ok
    echo d > /dev/shm-test 2>&1 && echo dev-ok
    grep -E " / (ro|rw)," /proc/self/mountinfo'
  assert_success
  assert_line "touch: /x: Read-only file system"
  assert_line "tmp-ok"
  assert_line "dev-ok"
  assert_output --regexp ' / ro,'
}

@test "--mask and --readonly-path" {
  overlay_args
  run ctr "${OVL[@]}" --mask /etc/passwd --mask /home --readonly-path /etc --readonly-path /nonexistent -- sh -c '
    echo "passwd=$(wc -c < /etc/passwd) home=[$(ls /home)]"
    cat /etc/hostname
    touch /etc/x 2>&1
    touch /home/x 2>&1
    true'
  assert_success
  assert_line "passwd=0 home=[]"
  assert_line "rt"
  assert_line "touch: /etc/x: Read-only file system"
  assert_line "touch: /home/x: Read-only file system"
}

# ---- pivot_root, chroot, workdir ---------------------------------------------------

# Start a container that sleeps, look into its mount namespace from outside
# (nsenter runs the /bin/sh it finds there).
peek_into() {
  rt-unshare --pid --mount -- rt-mount --rootfs "$RT_ROOTFS" --proc "$@" -- sleep 30 &
  local bg=$! pid=""
  wait_until 50 sh -c "[ -n \"\$(cat /proc/$bg/task/$bg/children)\" ]"
  pid=$(cat "/proc/$bg/task/$bg/children")
  pid=${pid%% *}
  wait_until 50 sh -c "readlink /proc/$pid/exe | grep -q busybox"
  nsenter --mount="/proc/$pid/ns/mnt" -- /bin/sh -c "test -e $T/host-marker && echo host-visible || echo host-gone; ls /"
  kill -KILL "$pid"
  wait "$bg" || true
}

@test "pivot_root: the old root is detached, the host is unreachable" {
  touch "$T/host-marker"
  run peek_into
  assert_line "host-gone"
  assert_line "linuxrc"
  run ctr --rootfs "$RT_ROOTFS" --proc -- sh -c 'cd /..; ls; test -e '"$T"' || echo no-host-path; cat /proc/self/mountinfo | wc -l'
  assert_success
  assert_line "linuxrc"
  assert_line "no-host-path"
  assert_line "2"
}

@test "--chroot: the host stays in the mount namespace (why it is weaker)" {
  touch "$T/host-marker"
  run peek_into --chroot
  assert_line "host-visible"
  run ctr --rootfs "$RT_ROOTFS" --chroot -- cat /etc/hostname
  assert_success
  assert_output "rt"
}

@test "--workdir: created in the writable layer if missing, then the cwd" {
  overlay_args
  run ctr "${OVL[@]}" --workdir /srv/app -- pwd
  assert_success
  assert_output "/srv/app"
  [ -d "$T/upper/srv/app" ]
  run ctr --rootfs "$RT_ROOTFS" --workdir /etc -- pwd
  assert_output "/etc"
  run ctr --rootfs "$RT_ROOTFS" --workdir /etc/passwd -- pwd
  assert_failure 125
  assert_output "rt-mount: invalid --workdir /etc/passwd: Not a directory"
}

# ---- symlinks in the image cannot lead out of the root ----------------------------

# A top layer with /evil -> / and /up -> ../../../../../.. (absolute and
# relative escapes) and /dangling -> /nonexistent/x.
evil_layer() {
  mkdir -p "$T/evil" "$T/src" "$T/upper" "$T/work" "$T/merged"
  ln -s / "$T/evil/evil"
  ln -s ../../../../../.. "$T/evil/up"
  ln -s /nonexistent/x "$T/evil/dangling"
  echo vol > "$T/src/f"
  EVIL=(--lower "$T/evil:$RT_ROOTFS" --upper "$T/upper" --work "$T/work" --rootfs "$T/merged")
}

@test "symlink escape: --bind target through /evil -> / and ../.." {
  evil_layer
  run ctr "${EVIL[@]}" --bind "$T/src:/evil/rt-mount-escape-bind" --bind "$T/src:/up/rt-mount-escape-up" -- \
    sh -c 'cat /rt-mount-escape-bind/f /rt-mount-escape-up/f'
  assert_success
  assert_output $'vol\nvol'
  [ ! -e /rt-mount-escape-bind ] && [ ! -e /rt-mount-escape-up ]
  [ -d "$T/upper/rt-mount-escape-bind" ] && [ -d "$T/upper/rt-mount-escape-up" ]
}

@test "symlink escape: --tmpfs target through /evil -> / and ../.." {
  evil_layer
  run ctr "${EVIL[@]}" --proc --tmpfs /evil/rt-mount-escape-tmpfs --tmpfs /up/rt-mount-escape-tmpfs2 -- \
    sh -c 'grep -c " /rt-mount-escape-tmpfs2\? " /proc/self/mountinfo'
  assert_success
  assert_output "2"
  [ ! -e /rt-mount-escape-tmpfs ] && [ ! -e /rt-mount-escape-tmpfs2 ]
}

@test "symlink escape: --workdir through /evil -> / and ../.., and a dangling link" {
  evil_layer
  run ctr "${EVIL[@]}" --workdir /evil/rt-mount-escape-wd/deep -- pwd
  assert_success
  assert_output "/rt-mount-escape-wd/deep"
  run ctr "${EVIL[@]}" --workdir /up/rt-mount-escape-wd2 -- pwd
  assert_success
  assert_output "/rt-mount-escape-wd2"
  [ ! -e /rt-mount-escape-wd ] && [ ! -e /rt-mount-escape-wd2 ]
  # A dangling symlink is never created through.
  run ctr "${EVIL[@]}" --workdir /dangling -- pwd
  assert_failure 125
  assert_output --partial "cannot create /dangling for --workdir in the root: No such file or directory"
  [ ! -e /nonexistent ]
}

@test "symlink escape: a literal /../.. in a destination stays in the root" {
  overlay_args
  mkdir -p "$T/src"
  run ctr "${OVL[@]}" --bind "$T/src:/../../rt-mount-escape-dots" --workdir /../rt-mount-escape-dots -- pwd
  assert_success
  assert_output "/rt-mount-escape-dots"
  [ ! -e /rt-mount-escape-dots ]
}

# ---- exit status, hygiene, user namespaces, timeline, docs ---------------------------

@test "the next rt tool of the chain runs from the host, never from the image" {
  # An image that ships its own rt-unshare must not get it run with the
  # host tool's privileges.
  skip_unless_static "$RT_BIN/rt-unshare"
  mkdir -p "$T/fake/bin"
  printf '#!/bin/sh\necho FAKE\n' > "$T/fake/bin/rt-unshare"
  chmod +x "$T/fake/bin/rt-unshare"
  run ctr --lower "$T/fake:$RT_ROOTFS" --proc -- rt-unshare --uts --hostname inner -- sh -c 'hostname; echo /proc/[0-9]*'
  assert_success
  assert_output $'inner\n/proc/1'
  run ctr --lower "$T/fake:$RT_ROOTFS" -- "$RT_BIN/rt-unshare" -- echo real
  assert_success
  assert_output "real"
  # A path elsewhere, or a program not named rt-*, is the image's.
  run ctr --lower "$T/fake:$RT_ROOTFS" -- /bin/rt-unshare
  assert_success
  assert_output "FAKE"
}

@test "a dynamically linked rt tool is refused before anything is mounted" {
  mkdir -p "$T/bin"
  cp "$RT_BIN/rt-mount" "$RT_BIN/rt-unshare" "$T/bin/"
  cp /bin/true "$T/bin/rt-dynamic"
  run rt-unshare --mount -- sh -c '
    before=$(cat /proc/self/mountinfo)
    "$1/rt-mount" --rootfs "$2" -- rt-dynamic; rc=$?
    [ "$before" = "$(cat /proc/self/mountinfo)" ] || echo "MOUNTED SOMETHING"
    exit $rc' sh "$T/bin" "$RT_ROOTFS"
  assert_failure 126
  assert_output "rt-mount: cannot run $T/bin/rt-dynamic after pivot_root: it is not a static executable (its loader and libraries would come from the container's root)"
}

@test "the program gets no fd of rt-mount's and the caller's umask" {
  # Start the chain with only 0, 1 and 2 open: anything more is a leak.
  run bash -c 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done
    exec rt-unshare --pid --mount -- rt-mount --lower "$1" --defaults --bind "$1/etc:/home:ro" -- \
      sh -c "for n in \$(seq 0 1023); do [ -e /proc/self/fd/\$n ] && echo fd \$n; done; umask"' bash "$RT_ROOTFS"
  assert_success
  assert_output "$(printf 'fd %s\n' 0 1 2; umask)"
}

@test "user namespace: host device nodes bound, sysfs bound read-only, devpts without gid 5" {
  run rt-unshare --user --map-root-user --pid --mount --ipc -- rt-mount --rootfs "$RT_ROOTFS" --defaults -- sh -c '
    echo x > /dev/null && head -c 10 /dev/urandom | wc -c
    grep -E " /dev/(null|pts) | /sys " /proc/self/mountinfo
    : > /sys/kernel/uevent_seqnum'
  assert_failure
  assert_line "10"
  assert_output --regexp ' /dev/null rw.* - devtmpfs '
  assert_output --regexp ' /sys ro,nosuid,nodev,noexec,.* - sysfs '
  assert_output --regexp ' /dev/pts .* - devpts devpts rw,mode=620,ptmxmode=666'
  assert_output --partial "Read-only file system"
}

@test "user namespace: mqueue without an IPC namespace of its own is a named failure" {
  run rt-unshare --user --map-root-user --pid --mount -- rt-mount --rootfs "$RT_ROOTFS" --mqueue --dev -- true
  assert_failure 125
  assert_output "rt-mount: cannot mount mqueue on /dev/mqueue (hint: in a user namespace, mqueue needs an IPC namespace of its own: rt-unshare --ipc): Operation not permitted"
}

@test "rootless: an unprivileged user builds a container in its own user namespace" {
  [ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user namespaces are disabled (user.max_user_namespaces=0)"
  setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$RT_BIN/rt-mount" ||
    skip "$RT_BIN is not reachable by uid 65534"
  run setpriv --reuid=65534 --regid=65534 --clear-groups \
    rt-unshare --user --map-root-user --pid --mount --ipc -- rt-mount --rootfs "$RT_ROOTFS" --defaults -- sh -c 'id -u; echo /proc/[0-9]*'
  assert_success
  assert_line "0"
  assert_line "/proc/1"
}

@test "RT_LOG=debug: one timeline step per mount" {
  RT_LOG=debug run ctr --rootfs "$RT_ROOTFS" --defaults --tmpfs /run -- true
  assert_success
  for step in "made / private (recursive)" "mounted the root (bind) on $RT_ROOTFS" "mounted proc on /proc" \
    "mounted sysfs on /sys (read-only)" "mounted tmpfs on /dev" "created /dev/{null,zero,full,random,urandom,tty}" \
    "mounted devpts on /dev/pts" "mounted tmpfs on /dev/shm" "mounted mqueue on /dev/mqueue" "mounted tmpfs on /tmp" \
    "mounted tmpfs on /run" "masked /proc/keys" "made /proc/sys read-only" "pivot_root into $RT_ROOTFS" \
    "detached the old root" "exec true"; do
    assert_output --regexp "rt-mount: debug: \+[0-9]+us \([0-9]+us\) $(printf '%s' "$step" | sed 's/[][(){}.*+?^$|\\/]/\\&/g')"
  done
}

@test "--help lists every option of the man page, which lints clean" {
  run rt-mount --help
  assert_success
  assert_output --partial "Usage: rt-mount [OPTIONS] [--] PROGRAM [ARGS...]"
  check_help_matches_man "$RT_BIN/rt-mount" man/rt-mount.1
  run mandoc -T lint -W warning man/rt-mount.1
  assert_success
  assert_output ""
  run rt-mount --version
  assert_success
  assert_output --regexp '^rt-mount [0-9]+\.[0-9]+\.[0-9]+$'
}
