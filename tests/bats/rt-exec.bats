#!/usr/bin/env bats
# rt-exec: the last link. Run on the real kernel, as root; names are
# resolved from a rootfs's own /etc/passwd by running the static binary
# inside it with chroot.

bats_require_minimum_version 1.5.0
load helpers

setup() {
  rt_setup
  ROOT=""
}
teardown() { rt_teardown; }

# A rootfs copy with the static rt-exec at /rt-exec.
in_rootfs() {
  ROOT=$(rootfs_copy)
  cp "$RT_BIN/rt-exec" "$ROOT/rt-exec"
}

# The hex value of a /proc/PID/status field in $output ("CapEff" -> 00000000a80425fb).
field() { printf '%s\n' "$output" | awk -v f="$1:" '$1 == f { print $2 }'; }

# A capability mask from capability numbers, as /proc prints it.
mask() {
  local m=0 c
  for c in "$@"; do m=$((m | (1 << c))); done
  printf '%016x' "$m"
}
# Docker's 14 default capabilities, by number (capabilities(7)):
# CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7,
# SETPCAP 8, NET_BIND_SERVICE 10, NET_RAW 13, SYS_CHROOT 18, MKNOD 27,
# AUDIT_WRITE 29, SETFCAP 31.
DOCKER_CAPS="0 1 3 4 5 6 7 8 10 13 18 27 29 31"

# Our own capability sets, to compare against.
own_field() { awk -v f="$1:" '$1 == f { print $2 }' /proc/self/status; }

# ------------------------------------------------------------------ basics

@test "--help lists every option the man page documents, and the man page is lint clean" {
  run rt-exec --help
  assert_success
  assert_output --partial "Usage: rt-exec"
  check_help_matches_man rt-exec "$BATS_TEST_DIRNAME/../../man/rt-exec.1"
  run mandoc -T lint -W warning "$BATS_TEST_DIRNAME/../../man/rt-exec.1"
  assert_success
  assert_output ""
  run rt-exec --version
  assert_success
  assert_output --regexp '^rt-exec [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "the binary is static (no dynamic loader on the hot path)" {
  run file -L "$RT_BIN/rt-exec"
  [ "$status" -ne 0 ] && skip "the file command is not installed"
  assert_output --partial "statically linked"
}

# common/prefault.cpp: on x86-64 the short-lived static links start by
# mapping their whole binary (text and read-only data: MADV_POPULATE_READ;
# data and bss: MADV_POPULATE_WRITE) before glibc's start-up, in place of
# one page fault at a time.
@test "x86-64: the binary is mapped whole before glibc's start-up, the heap before main (every page of them resident once running)" {
  [ "$(uname -m)" = x86_64 ] || skip "the start-up prefault is x86-64 only; this machine is $(uname -m)"
  # With --init rt-exec stays, as the program's parent: the program reads
  # rt-exec's mappings of its own binary and its heap. Without the
  # prefault the text, the read-only data and the heap are only partly
  # resident (what start-up touched).
  run rt-exec --init -- sh -c 'cat /proc/$PPID/smaps'
  assert_success
  local maps
  maps=$(awk -v bin="$(realpath "$RT_BIN/rt-exec")" '
    /^[0-9a-f]+-[0-9a-f]+ / { m = ($NF == bin || $NF == "[heap]"); r = $1 " " $2 " " $NF }
    m && /^Size:/ { s = $2 }
    m && /^Rss:/ { print r, "size", s, "rss", $2 }' <<<"$output")
  [ "$(grep -vc '\[heap\]' <<<"$maps")" -ge 3 ] || fail "rt-exec's mappings of its binary not found: $maps"
  grep -q '\[heap\]' <<<"$maps" || fail "rt-exec's heap not found: $maps"
  # The code's mapping runs on in zeros to its 2 MiB end (common/hugetext.ld):
  # the prefault maps it up to rt_text_end, the end of the code, and all of
  # it only where the page cache holds it in one 2 MiB folio.
  local code_kb=0 end
  end=$(nm "$RT_BIN/rt-exec" 2>/dev/null | awk '$3 == "rt_text_end" { print $1 }')
  [ -z "$end" ] || code_kb=$(( ((0x$end + 4095) / 4096 * 4096 - 0x400000) / 1024 ))
  awk -v code="$code_kb" '$2 ~ /^r-x/ && code > 0 ? $7 < code : $5 != $7 { bad = 1 } END { exit bad }' <<<"$maps" ||
    fail "pages of rt-exec not resident (code to rt_text_end: $code_kb kB): $maps"
}

# The links that start at common/prefault.cpp's entry point in this build:
# the sanitizer build links all but rt-exec dynamically (ASan cannot link
# static), and only a static tool starts there; rt-exec, static in every
# build, is always one.
prefault_tools() {
  local t
  for t in rt-cgroup rt-unshare rt-mount rt-exec; do
    if [ "$t" = rt-exec ] || file -L "$RT_BIN/$t" 2>/dev/null | grep -q "statically linked"; then echo "$t"; fi
  done
}

@test "x86-64: rt-cgroup, rt-unshare, rt-mount and rt-exec start with the three madvise calls; a refused madvise changes nothing" {
  [ "$(uname -m)" = x86_64 ] || skip "the start-up prefault is x86-64 only; this machine is $(uname -m)"
  command -v strace >/dev/null || skip "strace is not installed (Debian package strace)"
  local t
  for t in $(prefault_tools); do
    run strace -qq -e signal=none "$RT_BIN/$t" --version
    assert_success
    # execve, then the three populates before anything of glibc's (brk,
    # arch_prctl): headers and code, read-only data (common/hugetext.ld
    # puts them in two segments), data
    [[ "$(sed -n 2p <<<"$output")" == "madvise(0x400000, "*", MADV_POPULATE_READ) = 0" ]] || fail "$t: $output"
    [[ "$(sed -n 3p <<<"$output")" == "madvise("*", MADV_POPULATE_READ) = 0" ]] || fail "$t: $output"
    [[ "$(sed -n 4p <<<"$output")" == "madvise("*", MADV_POPULATE_WRITE) = 0" ]] || fail "$t: $output"
  done
  assert_runs_without_madvise rt-exec
}

# common/prefault.cpp: the same links answer glibc's start-up question
# for the binary's directory themselves (-Wl,--wrap=_dl_get_origin), in
# place of its readlink of /proc/self/exe (the first /proc/self lookup of
# a new process: 20-50 us on the test VM).
@test "x86-64: rt-cgroup, rt-unshare, rt-mount and rt-exec start without glibc's readlink of /proc/self/exe" {
  [ "$(uname -m)" = x86_64 ] || skip "the start-up prefault is x86-64 only; this machine is $(uname -m)"
  command -v strace >/dev/null || skip "strace is not installed (Debian package strace)"
  local t
  for t in $(prefault_tools); do
    run strace -qq -e trace=readlink,readlinkat -e signal=none "$RT_BIN/$t" --version
    assert_success
    assert_line --regexp "^$t [0-9]+\.[0-9]+\.[0-9]+\$"
    refute_output --partial /proc/self/exe
  done
}

@test "exit status: passthrough, 127 not found, 126 not executable, 128+N for a signal, 125 own failure" {
  run rt-exec -- sh -c 'exit 7'
  assert_equal "$status" 7
  run -127 rt-exec -- /nonexistent/program
  assert_equal "$status" 127
  assert_output "rt-exec: cannot execute /nonexistent/program: No such file or directory"
  printf 'not a program\n' > "$BATS_TEST_TMPDIR/data"
  chmod 0644 "$BATS_TEST_TMPDIR/data"
  run rt-exec -- "$BATS_TEST_TMPDIR/data"
  assert_equal "$status" 126
  assert_output --partial "Permission denied"
  run rt-exec -- sh -c 'kill -TERM $$'
  assert_equal "$status" 143
  run rt-exec
  assert_equal "$status" 125
  assert_output --partial "no program given"
  run rt-exec --no-such-option -- true
  assert_equal "$status" 125
  assert_equal "${#lines[@]}" 1
}

@test "--ready-fd then --sync-fd: ready is signalled once set up, the program runs only after the go-ahead" {
  local fifo="$BATS_TEST_TMPDIR/fifo" ready="$BATS_TEST_TMPDIR/ready" mark="$BATS_TEST_TMPDIR/ran"
  mkfifo "$fifo"
  exec 6<>"$fifo"
  rt-exec --ready-fd 7 --sync-fd 6 -- sh -c "touch '$mark'; ls /proc/self/fd" 7>"$ready" >"$BATS_TEST_TMPDIR/out" &
  local pid=$!
  wait_until 50 test -s "$ready"
  sleep 0.2
  [ ! -e "$mark" ] || fail "the program ran before the go-ahead byte"
  printf x >&6
  exec 6>&-
  wait "$pid"
  [ -e "$mark" ]
  # Neither fd reaches the program.
  run cat "$BATS_TEST_TMPDIR/out"
  refute_line 6
  refute_line 7
  # A sync fd closed without the byte: 125 and nothing runs.
  rm -f "$mark"
  run rt-exec --sync-fd 5 -- touch "$mark" 5</dev/null
  assert_equal "$status" 125
  assert_output "rt-exec: sync fd 5 was closed before the go-ahead byte"
  [ ! -e "$mark" ]
  run rt-exec --ready-fd 2 -- true
  assert_equal "$status" 125
  assert_output "rt-exec: --ready-fd 2: not an open file descriptor above 2"
}

@test "--cap-inheritable and --cap-ambient set those sets as given, within the bounding set" {
  run rt-exec --caps chown,kill,setuid --cap-inheritable chown,kill --cap-ambient kill -- grep -E '^Cap(Inh|Amb|Bnd)' /proc/self/status
  assert_success
  assert_line --regexp "^CapInh:[[:space:]]+$(mask 0 5)\$"
  assert_line --regexp "^CapAmb:[[:space:]]+$(mask 5)\$"
  assert_line --regexp "^CapBnd:[[:space:]]+$(mask 0 5 7)\$"
  # Without them root keeps an empty inheritable set.
  run rt-exec --caps chown,kill -- grep -E '^CapInh' /proc/self/status
  assert_line --regexp "^CapInh:[[:space:]]+0+\$"
  run rt-exec --caps chown --cap-ambient kill -- true
  assert_equal "$status" 125
  assert_output "rt-exec: invalid --cap-ambient 'kill': CAP_KILL not in the bounding set"
  run rt-exec --cap-ambient kill -- true
  assert_equal "$status" 125
  assert_output "rt-exec: --cap-inheritable and --cap-ambient need --caps, --cap-add or --cap-drop"
}

@test "--setsid: a session of its own; --umask; --oom-score-adj" {
  run rt-exec --setsid --umask 027 --oom-score-adj 300 -- sh -c 'echo "$$ $(cut -d" " -f6 /proc/self/stat)"; umask; cat /proc/self/oom_score_adj'
  assert_success
  local pid sid
  read -r pid sid <<<"${lines[0]}"
  assert_equal "$sid" "$pid"
  assert_line --index 1 0027
  assert_line --index 2 300
  run rt-exec -- sh -c 'echo "$$ $(cut -d" " -f6 /proc/self/stat)"'
  read -r pid sid <<<"${lines[0]}"
  [ "$sid" != "$pid" ]
  run rt-exec --umask 8 -- true
  assert_equal "$status" 125
  assert_output "rt-exec: invalid --umask '8': expected an octal mode, 0 to 777"
  run rt-exec --oom-score-adj 2000 -- true
  assert_equal "$status" 125
}

@test "arguments reach the program untouched, options stop at the first non-option" {
  run rt-exec printf '%s|' --env A=1 '' 'two words'
  assert_success
  assert_output "--env|A=1||two words|"
}

# ------------------------------------------------------------------ users

@test "--user NAME takes uid, gid, groups and HOME from the rootfs's /etc/passwd and /etc/group" {
  in_rootfs
  # The host's own passwd has no 'user' with uid 1000 in group audio (29):
  # only the rootfs's files give this answer.
  run chroot "$ROOT" /rt-exec --user user -- /bin/sh -c 'id -u; id -g; id -G | tr " " "\n" | sort -n | tr "\n" " "; echo; echo $HOME'
  assert_success
  assert_line -n 0 1000
  assert_line -n 1 1000
  assert_line -n 2 "29 100 1000 "
  assert_line -n 3 /home/user
}

@test "--user UID that passwd knows is that user; a UID it does not know gets gid 0 and HOME / as in docker" {
  in_rootfs
  run chroot "$ROOT" /rt-exec --clear-env --user 1 -- /bin/sh -c 'id -u; id -g; echo $HOME'
  assert_success
  assert_output "$(printf '1\n1\n/usr/sbin')"
  run chroot "$ROOT" /rt-exec --clear-env --user 4242 -- /bin/sh -c 'id -u; id -g; id -G; echo $HOME'
  assert_success
  assert_output "$(printf '4242\n0\n0\n/')"
}

@test "--user USER:GROUP and UID:GID: the group replaces the passwd gid and no groups come from /etc/group" {
  in_rootfs
  run chroot "$ROOT" /rt-exec --user user:audio -- /bin/sh -c 'id -u; id -g; id -G'
  assert_success
  assert_output "$(printf '1000\n29\n29')"
  run chroot "$ROOT" /rt-exec --user 1234:5678 -- /bin/sh -c 'id -u; id -g; id -G'
  assert_success
  assert_output "$(printf '1234\n5678\n5678')"
}

@test "--groups replaces the supplementary groups (names or numbers); --groups '' drops them all" {
  in_rootfs
  run chroot "$ROOT" /rt-exec --user user --groups tty,4321 -- /bin/sh -c 'id -G | tr " " "\n" | sort -n | tr "\n" " "'
  assert_success
  assert_output "5 1000 4321 "
  run chroot "$ROOT" /rt-exec --user user --groups '' -- id -G
  assert_success
  assert_output "1000"
  # Without --user, --groups changes only the groups.
  run chroot "$ROOT" /rt-exec --groups audio -- /bin/sh -c 'id -u; id -G'
  assert_success
  assert_output "$(printf '0\n0 29')"
}

@test "without --user the identity is left alone" {
  run rt-exec -- sh -c 'id -u; id -g'
  assert_success
  assert_output "$(printf '%s\n%s' "$(id -u)" "$(id -g)")"
}

@test "unknown users and groups, and malformed --user, are one-line errors that run nothing" {
  in_rootfs
  run chroot "$ROOT" /rt-exec --user nosuch -- /bin/touch /ran
  assert_equal "$status" 125
  assert_output "rt-exec: unknown user 'nosuch': no such entry in /etc/passwd"
  run chroot "$ROOT" /rt-exec --user user:nogroup2 -- /bin/touch /ran
  assert_equal "$status" 125
  assert_output "rt-exec: unknown group 'nogroup2': no such entry in /etc/group"
  run chroot "$ROOT" /rt-exec --user user --groups audio,nosuch -- /bin/touch /ran
  assert_equal "$status" 125
  assert_output --partial "unknown group 'nosuch'"
  for bad in '' ':' 'user:' ':audio' 'a:b:c' '99999999999' '2147483648'; do
    run chroot "$ROOT" /rt-exec --user "$bad" -- /bin/touch /ran
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
  [ ! -e "$ROOT/ran" ]
}

@test "a numeric user works without any /etc/passwd or /etc/group" {
  in_rootfs
  rm "$ROOT/etc/passwd" "$ROOT/etc/group"
  run chroot "$ROOT" /rt-exec --user 1000:1000 -- /bin/sh -c 'id -u; id -g'
  assert_success
  assert_output "$(printf '1000\n1000')"
  run chroot "$ROOT" /rt-exec --user user -- /bin/true
  assert_equal "$status" 125
  assert_output --partial "unknown user 'user'"
}

# ------------------------------------------------------------------ capabilities

@test "--caps docker: bounding, permitted and effective are docker's 14, inheritable and ambient empty" {
  run rt-exec --caps docker -- cat /proc/self/status
  assert_success
  local want; want=$(mask $DOCKER_CAPS)
  assert_equal "$(field CapBnd)" "$want"
  assert_equal "$(field CapPrm)" "$want"
  assert_equal "$(field CapEff)" "$want"
  assert_equal "$(field CapInh)" 0000000000000000
  assert_equal "$(field CapAmb)" 0000000000000000
}

@test "--cap-drop ALL --cap-add with every spelling of a name gives exactly those" {
  run rt-exec --cap-drop ALL --cap-add chown --cap-add CAP_KILL,Net_Raw -- cat /proc/self/status
  assert_success
  assert_equal "$(field CapBnd)" "$(mask 0 5 13)"
  assert_equal "$(field CapEff)" "$(mask 0 5 13)"
  run rt-exec --caps none -- cat /proc/self/status
  assert_success
  assert_equal "$(field CapBnd)" 0000000000000000
  assert_equal "$(field CapPrm)" 0000000000000000
}

@test "without --caps the base set is the current bounding set; drops apply to it" {
  local own; own=$(own_field CapBnd)
  run rt-exec -- cat /proc/self/status
  assert_equal "$(field CapBnd)" "$own"
  run rt-exec --cap-drop NET_RAW,sys_admin -- cat /proc/self/status
  assert_success
  assert_equal "$(field CapBnd)" "$(printf '%016x' $(( 0x$own & ~((1 << 13) | (1 << 21)) )))"
  assert_equal "$(field CapEff)" "$(field CapBnd)"
}

@test "docker's order: drops then adds; ALL added loses to a drop, ALL dropped keeps only adds" {
  run rt-exec --caps docker --cap-drop chown --cap-add chown -- cat /proc/self/status
  assert_equal "$(field CapBnd)" "$(mask $DOCKER_CAPS)"
  run rt-exec --cap-add ALL --cap-drop chown -- cat /proc/self/status
  local own; own=$(own_field CapBnd)
  assert_equal "$(field CapBnd)" "$(printf '%016x' $(( 0x$own & ~1 )))"
  run rt-exec --caps docker --cap-drop ALL --cap-add sys_admin -- cat /proc/self/status
  assert_equal "$(field CapBnd)" "$(mask 21)"
}

# The bounding set is read a capability at a time (a prctl each): with a
# base set, only the capabilities kept are read (and the two that find the
# kernel's last one); the others are dropped unread. Without CAP_SETPCAP a
# drop is refused even for a capability the set lacks: that one is
# skipped, so a set that is already the one asked for stays as it is.
@test "--caps docker reads the bounding set only for the capabilities it keeps, and drops every other" {
  command -v strace >/dev/null || skip "strace is not installed (Debian package strace)"
  run strace -qq -e trace=prctl -e signal=none -o "$BATS_TEST_TMPDIR/trace" rt-exec --caps docker -- cat /proc/self/status
  assert_success
  assert_equal "$(field CapBnd)" "$(mask $DOCKER_CAPS)"
  local reads; reads=$(grep -c PR_CAPBSET_READ "$BATS_TEST_TMPDIR/trace")
  [ "$reads" -le 16 ] || fail "$reads PR_CAPBSET_READ calls for 14 capabilities: $(cat "$BATS_TEST_TMPDIR/trace")"
  # without CAP_SETPCAP, a bounding set that is already docker's less SETPCAP
  run rt-exec --caps docker --cap-drop setpcap -- "$RT_BIN/rt-exec" --caps docker --cap-drop setpcap -- cat /proc/self/status
  assert_success
  assert_equal "$(field CapBnd)" "$(mask 0 1 3 4 5 6 7 10 13 18 27 29 31)"
  # and one that is not: the drop is refused, by name
  run rt-exec --caps docker --cap-drop setpcap -- "$RT_BIN/rt-exec" --caps none -- true
  assert_equal "$status" 125
  assert_output --partial "from the bounding set (needs CAP_SETPCAP)"
}

@test "--caps ALL is everything rt-exec holds (this machine's root lacks CAP_SYS_RESOURCE)" {
  run rt-exec --caps all -- cat /proc/self/status
  assert_success
  assert_equal "$(field CapBnd)" "$(own_field CapBnd)"
}

@test "a non-root user keeps only --cap-add capabilities, raised in the ambient set" {
  run rt-exec --user 1000 --caps docker --cap-add NET_BIND_SERVICE,net_admin -- cat /proc/self/status
  assert_success
  assert_equal "$(field CapBnd)" "$(mask $DOCKER_CAPS 12)"
  assert_equal "$(field CapAmb)" "$(mask 10 12)"
  assert_equal "$(field CapInh)" "$(mask 10 12)"
  assert_equal "$(field CapPrm)" "$(mask 10 12)"
  assert_equal "$(field CapEff)" "$(mask 10 12)"
  run rt-exec --user 1000 --caps docker -- cat /proc/self/status
  assert_equal "$(field CapPrm)" 0000000000000000
  assert_equal "$(field CapEff)" 0000000000000000
  assert_equal "$(field CapAmb)" 0000000000000000
  assert_equal "$(field CapBnd)" "$(mask $DOCKER_CAPS)"
}

@test "root keeps no ambient or inheritable capabilities even with --cap-add" {
  run rt-exec --caps none --cap-add net_admin -- cat /proc/self/status
  assert_equal "$(field CapEff)" "$(mask 12)"
  assert_equal "$(field CapAmb)" 0000000000000000
  assert_equal "$(field CapInh)" 0000000000000000
}

@test "--cap-drop ALL really takes root's power: chown fails, and works with the capability" {
  touch "$BATS_TEST_TMPDIR/f"
  run rt-exec --cap-drop ALL -- chown 1234 "$BATS_TEST_TMPDIR/f"
  assert_failure
  assert_output --partial "Operation not permitted"
  assert_equal "$(stat -c %u "$BATS_TEST_TMPDIR/f")" 0
  run rt-exec --cap-drop ALL --cap-add CHOWN -- chown 1234 "$BATS_TEST_TMPDIR/f"
  assert_success
  assert_equal "$(stat -c %u "$BATS_TEST_TMPDIR/f")" 1234
}

@test "capability errors: unknown names, and names rt-exec cannot grant" {
  run rt-exec --cap-add NOT_A_CAP -- true
  assert_equal "$status" 125
  assert_output "rt-exec: invalid --cap-add: unknown capability 'NOT_A_CAP' (names as in capabilities(7), e.g. NET_ADMIN or CAP_NET_ADMIN)"
  for bad in '--caps=' '--cap-drop=' '--cap-add=chown,,kill' '--caps=docker,chown'; do
    run rt-exec "$bad" -- true
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
  # An outer rt-exec drops NET_ADMIN; the inner one cannot give it back.
  run rt-exec --cap-drop net_admin -- rt-exec --cap-add net_admin -- true
  assert_equal "$status" 125
  assert_output "rt-exec: cannot grant CAP_NET_ADMIN: not in rt-exec's own bounding and permitted sets"
}

# ------------------------------------------------------------------ no_new_privs, seccomp

@test "--no-new-privs sets NoNewPrivs; without it the flag stays off" {
  run rt-exec --no-new-privs -- cat /proc/self/status
  assert_success
  assert_line "NoNewPrivs:	1"
  run rt-exec -- cat /proc/self/status
  assert_line "NoNewPrivs:	0"
}

@test "--seccomp default blocks unshare and mount with EPERM while a shell works" {
  run rt-exec --caps docker --no-new-privs --seccomp default -- sh -c 'echo hello; grep -E "^Seccomp:" /proc/self/status'
  assert_success
  assert_output "$(printf 'hello\nSeccomp:\t2')"
  run rt-exec --caps docker --no-new-privs --seccomp default -- unshare --user true
  assert_failure
  assert_output --partial "Operation not permitted"
  [ "$(uname -m)" = x86_64 ] || skip "the raw syscall numbers below are x86_64's"
  # mount(2) with bad pointers: the kernel answers EFAULT (it copies the
  # strings before checking privileges), the filter EPERM first.
  run rt-exec --caps docker --seccomp default -- perl -e 'syscall(165, 1, 1, 1, 0, 0); print "$!\n"'
  assert_output "Operation not permitted"
  run rt-exec --caps docker --seccomp unconfined -- perl -e 'syscall(165, 1, 1, 1, 0, 0); print "$!\n"'
  assert_output "Bad address"
  # The control: unconfined, unshare works.
  run rt-exec --caps docker --seccomp unconfined -- unshare --user true
  assert_success
}

@test "--seccomp default: clone with namespace flags is EPERM, plain clone works, clone3 is ENOSYS" {
  command -v perl >/dev/null || skip "perl is not installed (used to make raw clone/clone3 calls)"
  # x86_64 numbers: clone 56, clone3 435. CLONE_NEWUSER|SIGCHLD needs no
  # privilege from the kernel, so only the filter can refuse it.
  [ "$(uname -m)" = x86_64 ] || skip "syscall numbers in this test are x86_64's"
  local prog='my $r = syscall(56, $ARGV[0] + 0, 0, 0, 0, 0); if ($r == 0) { exit 0 } if ($r < 0) { print "$!\n"; exit 1 } waitpid($r, 0); print "ok\n"'
  run rt-exec --caps docker --no-new-privs --seccomp default -- perl -e "$prog" $((0x10000000 | 17))
  assert_output "Operation not permitted"
  run rt-exec --caps docker --no-new-privs --seccomp unconfined -- perl -e "$prog" $((0x10000000 | 17))
  assert_output "ok"
  run rt-exec --caps docker --no-new-privs --seccomp default -- perl -e "$prog" 17
  assert_output "ok"
  run rt-exec --caps docker --no-new-privs --seccomp default -- perl -e 'syscall(435, 0, 0); print "$!\n"'
  assert_output "Function not implemented"
  run rt-exec --caps docker --no-new-privs --seccomp unconfined -- perl -e 'syscall(435, 0, 0); print "$!\n"'
  refute_output "Function not implemented"
}

# abi int80|syscall NR [A B C]: one raw syscall, its errno or "ok"
build_abi_helper() {
  [ "$(uname -m)" = x86_64 ] || skip "the ABIs tested here are x86-64's"
  command -v cc >/dev/null || skip "no C compiler to build the raw-syscall helper"
  cat > "$BATS_TEST_TMPDIR/abi.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char** argv) {
  long nr = strtol(argv[2], 0, 0), a[3] = {0, 0, 0}, ret;
  for (int i = 0; i < 3 && i + 3 < argc; i++) a[i] = strtol(argv[i + 3], 0, 0);
  if (strcmp(argv[1], "int80") == 0)
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]) : "memory");
  else
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]) : "rcx", "r11", "memory");
  printf("%s\n", ret < 0 && ret > -4096 ? strerror(-ret) : "ok");
  return 0;
}
EOF
  cc -o "$BATS_TEST_TMPDIR/abi" "$BATS_TEST_TMPDIR/abi.c" || skip "the C compiler cannot build the helper"
  abi="$BATS_TEST_TMPDIR/abi"
}

@test "--seccomp default covers the x32 ABI (syscall numbers with bit 30)" {
  build_abi_helper
  # x32 mount (bit 30 | 165): refused by the filter whether or not the
  # kernel has the x32 ABI on (the filter runs before the kernel looks).
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall $((0x40000000 | 165)) 1 1 1
  assert_output "Operation not permitted"
  # x32 getpid (bit 30 | 39) passes the filter: ENOSYS from a kernel
  # without x32, a pid from one with it.
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall $((0x40000000 | 39))
  assert_output --regexp '^(ok|Function not implemented)$'
}

@test "--seccomp default covers the i386 ABI (int \$0x80), where the kernel has it" {
  build_abi_helper
  # A kernel without IA32 emulation, or a VM that does not deliver the
  # interrupt (this PVM guest: #GP, "error:402" in dmesg), faults int $0x80
  # itself: the helper dies of SIGSEGV, even unconfined.
  run "$abi" int80 20
  [ "$status" -ne 139 ] ||
    skip "this kernel does not deliver int \$0x80, the i386 system call entry (it faults even unconfined: IA32 emulation off, or a VM such as a PVM guest without it)"
  assert_output ok
  # i386 mount (21) with bad pointers: EFAULT from the kernel, EPERM from the filter.
  run rt-exec --caps docker --no-new-privs --seccomp unconfined -- "$abi" int80 21 1 1 1
  assert_output "Bad address"
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" int80 21 1 1 1
  assert_output "Operation not permitted"
  # i386 getpid (20) still works through the filter.
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" int80 20
  assert_output ok
}

@test "--seccomp default is an allow-list: unknown and newer syscalls get EPERM, personality only its safe values" {
  build_abi_helper
  # A number past the table: ENOSYS from the kernel, EPERM from the filter.
  run rt-exec --caps docker --no-new-privs --seccomp unconfined -- "$abi" syscall 1000
  assert_output "Function not implemented"
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall 1000
  assert_output "Operation not permitted"
  # file_getattr (468, Linux 6.17), newer than the profile, with a bad fd:
  # EBADF (or ENOSYS on an older kernel) unconfined, EPERM from the filter.
  run rt-exec --caps docker --no-new-privs --seccomp unconfined -- "$abi" syscall 468 -1 0 0
  refute_output "Operation not permitted"
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall 468 -1 0 0
  assert_output "Operation not permitted"
  # personality (135): PER_LINUX works (it returns the old persona), and a
  # query (0xffffffff); ADDR_NO_RANDOMIZE (0x40000) is refused by the
  # filter, though the kernel takes it.
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall 135 0
  assert_output ok
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall 135 0xffffffff
  assert_output ok
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall 135 0x40000
  assert_output "Operation not permitted"
  run rt-exec --caps docker --no-new-privs --seccomp unconfined -- "$abi" syscall 135 0x40000
  assert_output ok
  # socket(AF_VSOCK) with garbage in the high 32 bits: the kernel reads an
  # int (family 40), so the filter must judge the low word (libseccomp,
  # comparing 64 bits, lets it through docker's own profile).
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall 41 $((0x100000028)) 1 0
  assert_output "Operation not permitted"
  run rt-exec --caps docker --no-new-privs --seccomp default -- "$abi" syscall 41 $((0x100000002)) 1 0
  assert_output ok
  # So setarch -R (no address randomisation) fails in a default container, as in docker.
  if command -v setarch >/dev/null; then
    run rt-exec --caps docker --no-new-privs --seccomp default -- setarch "$(uname -m)" -R true
    assert_failure
    assert_output --partial "Operation not permitted"
  fi
}

@test "--print-default-seccomp prints the built-in profile as docker JSON, which loads as a profile file" {
  run rt-exec --print-default-seccomp
  assert_success
  echo "$output" > "$BATS_TEST_TMPDIR/default.json"
  assert_equal "$(jq -r '.defaultAction + " " + (.defaultErrnoRet|tostring)' "$BATS_TEST_TMPDIR/default.json")" "SCMP_ACT_ERRNO 1"
  # the capability groups as docker writes them
  run jq -c '.syscalls[] | select(.names | index("mount")) | .includes' "$BATS_TEST_TMPDIR/default.json"
  assert_output '{"caps":["CAP_SYS_ADMIN"]}'
  run jq -c '.syscalls[] | select(.names == ["clone3"]) | [.action, .errnoRet, .excludes]' "$BATS_TEST_TMPDIR/default.json"
  assert_output '["SCMP_ACT_ERRNO",38,{"caps":["CAP_SYS_ADMIN"]}]'
  # Compiled by libseccomp through --seccomp FILE it works as a profile;
  # the names libseccomp skips can only be calls newer than it (rt has its
  # own numbers for them) and other architectures' calls: anything else
  # would be a typo in rt's table.
  run env RT_LOG=debug rt-exec --caps docker --no-new-privs --seccomp "$BATS_TEST_TMPDIR/default.json" -- sh -c 'echo hi; unshare --user true'
  assert_failure
  assert_line hi
  assert_line --partial "Operation not permitted"
  local known=" cachestat fchmodat2 map_shadow_stack futex_wake futex_wait futex_requeue statmount listmount
    lsm_get_self_attr lsm_set_self_attr lsm_list_modules mseal setxattrat getxattrat listxattrat removexattrat
    uretprobe arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls swapcontext
    s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr riscv_flush_icache riscv_hwprobe " name
  known=$(echo $known)
  for name in $(grep -o 'skipping unknown syscall [a-z0-9_]*' <<< "$output" | awk '{print $4}' | sort -u); do
    [[ " $known " == *" $name "* ]] || { echo "libseccomp does not know $name: a typo in the table?"; return 1; }
  done
  # no program needed, and nothing else happens
  run rt-exec --print-default-seccomp -- touch "$BATS_TEST_TMPDIR/ran"
  assert_success
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--seccomp default lifts a block when the container keeps the gating capability, as docker" {
  # CAP_SYS_ADMIN kept: unshare is allowed by the filter (and works).
  run rt-exec --caps docker --cap-add sys_admin --no-new-privs --seccomp default -- unshare --user true
  assert_success
  # keyctl (250 on x86_64) has no such exemption: still refused.
  [ "$(uname -m)" = x86_64 ] || skip "the raw syscall number below is x86_64's"
  local prog='my $r = syscall(250, 0, 0, 0); print $r < 0 ? "$!\n" : "ok\n"'
  run rt-exec --no-new-privs --seccomp default -- perl -e "$prog"
  assert_output "Operation not permitted"
  run rt-exec --no-new-privs --seccomp unconfined -- perl -e "$prog"
  refute_output "Operation not permitted"
  # io_uring_setup (425) with a null params pointer: EFAULT from the kernel,
  # EPERM from the filter (blocked as docker does since version 25).
  prog='syscall(425, 1, 0); print "$!\n"'
  run rt-exec --cap-add ALL --no-new-privs --seccomp default -- perl -e "$prog"
  assert_output "Operation not permitted"
  run rt-exec --no-new-privs --seccomp unconfined -- perl -e "$prog"
  assert_output "Bad address"
}

@test "--seccomp default gates on what the program can hold: a non-root user with no_new_privs is blocked" {
  # nobody keeps a full bounding set but holds nothing: with no_new_privs it
  # can never gain CAP_SYS_ADMIN, so unshare stays blocked.
  run setpriv --reuid 65534 --regid 65534 --clear-groups rt-exec --no-new-privs --seccomp default -- unshare --user true
  assert_failure
  assert_output --partial "Operation not permitted"
  run setpriv --reuid 65534 --regid 65534 --clear-groups rt-exec --no-new-privs --seccomp unconfined -- unshare --user true
  assert_success
  run rt-exec --user 1000 --no-new-privs --seccomp default -- unshare --user true
  assert_failure
  # An unprivileged caller cannot load a filter without no_new_privs.
  run setpriv --reuid 65534 --regid 65534 --clear-groups rt-exec --seccomp default -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-exec: cannot load the seccomp filter (without --no-new-privs it needs CAP_SYS_ADMIN): Permission denied"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--seccomp without --no-new-privs loads while CAP_SYS_ADMIN is still there, even for a non-root user" {
  run rt-exec --user 1000 --caps docker --seccomp default -- sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; unshare --user true'
  assert_failure
  assert_line "Seccomp:	2"
  assert_line "NoNewPrivs:	0"
  assert_output --partial "Operation not permitted"
}

@test "a JSON profile file: errnoRet, args, docker's includes/excludes, unknown syscalls skipped" {
  local p="$BATS_TEST_TMPDIR/profile.json"
  cat > "$p" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
              {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
  "syscalls": [
    {"names": ["mkdir", "mkdirat", "no_such_syscall_at_all"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]},
    {"names": ["uname"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"name": "getppid", "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
  ]
}
EOF
  # mkdir: EACCES from errnoRet; kill with SIGUSR1 (10) refused, signal 0 fine.
  run rt-exec --caps docker --no-new-privs --seccomp "$p" -- sh -c "mkdir $BATS_TEST_TMPDIR/d; kill -USR1 \$\$ || echo refused; kill -0 \$\$ && echo alive; uname -s; perl -e 'print getppid(), qq(\\n)'"
  assert_line --partial "Permission denied"
  assert_line refused
  assert_line alive
  assert_line Linux
  assert_line -- -1
  [ ! -e "$BATS_TEST_TMPDIR/d" ]
  # With CAP_SYS_ADMIN kept, includes/excludes flip.
  run rt-exec --caps docker --cap-add sys_admin --no-new-privs --seccomp "$p" -- sh -c 'uname -s; perl -e "print getppid(), qq(\\n)"'
  refute_line Linux
  refute_line -- -1
  assert_line --regexp '^[0-9]+$'
}

@test "a JSON profile with a default deny works as an allow-list" {
  local p="$BATS_TEST_TMPDIR/deny.json"
  # Enough for rt-exec to report and exit, not enough to exec: execve is
  # refused and rt-exec says so.
  printf '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[{"names":["write","exit_group","exit","rt_sigreturn"],"action":"SCMP_ACT_ALLOW"}]}' > "$p"
  run rt-exec --no-new-privs --seccomp "$p" -- true
  assert_equal "$status" 126
  assert_output "rt-exec: cannot execute true: Operation not permitted"
}

@test "malformed or invalid seccomp profiles are one-line errors naming the file" {
  local p="$BATS_TEST_TMPDIR/bad.json"
  printf '{"defaultAction": SCMP_ACT_ALLOW}' > "$p"
  run rt-exec --seccomp "$p" -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_equal "${#lines[@]}" 1
  assert_output --regexp "^rt-exec: invalid seccomp profile $p: parse error at line 1, column [0-9]+"
  printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_MAYBE"}]}' > "$p"
  run rt-exec --seccomp "$p" -- true
  assert_equal "$status" 125
  assert_output "rt-exec: invalid seccomp profile $p: syscalls[0].action: unknown action 'SCMP_ACT_MAYBE'"
  printf '{"syscalls":[]}' > "$p"
  run rt-exec --seccomp "$p" -- true
  assert_output "rt-exec: invalid seccomp profile $p: defaultAction is required"
  printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["kill"],"action":"SCMP_ACT_ERRNO","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]}' > "$p"
  run rt-exec --seccomp "$p" -- true
  assert_output "rt-exec: invalid seccomp profile $p: syscalls[0].args[0]: index 9 is out of range (0-5)"
  printf '[1, 2' > "$p"
  run rt-exec --seccomp "$p" -- true
  assert_equal "$status" 125
  assert_equal "${#lines[@]}" 1
  run rt-exec --seccomp '' -- true
  assert_equal "$status" 125
  assert_output "rt-exec: invalid --seccomp '': expected a profile FILE, default or unconfined"
  run rt-exec --seccomp "$BATS_TEST_TMPDIR/missing.json" -- true
  assert_equal "$status" 125
  assert_output "rt-exec: cannot read seccomp profile $BATS_TEST_TMPDIR/missing.json: No such file or directory"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "the order of operations: with no_new_privs the filter comes after the user switch, without it before" {
  local p="$BATS_TEST_TMPDIR/nosetuid.json"
  printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["setresuid","setuid","setreuid"],"action":"SCMP_ACT_ERRNO"}]}' > "$p"
  run rt-exec --user 1000 --no-new-privs --seccomp "$p" -- id -u
  assert_success
  assert_output 1000
  run rt-exec --user 1000 --seccomp "$p" -- id -u
  assert_equal "$status" 125
  assert_output "rt-exec: cannot switch to uid 1000: Operation not permitted"
}

# ------------------------------------------------------------------ rlimits

@test "--rlimit sets soft and hard limits; HARD defaults to SOFT as in docker" {
  run rt-exec --rlimit nofile=256 -- sh -c 'ulimit -Sn; ulimit -Hn'
  assert_success
  assert_output "$(printf '256\n256')"
  run rt-exec --rlimit NOFILE=128:512 --rlimit RLIMIT_CORE=0 -- sh -c 'ulimit -Sn; ulimit -Hn; ulimit -c'
  assert_success
  assert_output "$(printf '128\n512\n0')"
}

@test "--rlimit NAME=unlimited where the hard limit allows it" {
  [ "$(ulimit -Hs)" = unlimited ] || skip "the stack hard limit here is $(ulimit -Hs), not unlimited"
  run rt-exec --rlimit stack=unlimited -- sh -c 'ulimit -s'
  assert_success
  assert_output unlimited
}

@test "raising a hard limit without CAP_SYS_RESOURCE is a clear error" {
  if (( 0x$(own_field CapEff) & (1 << 24) )); then skip "this process holds CAP_SYS_RESOURCE, so raising succeeds here"; fi
  local hard; hard=$(ulimit -Hn)
  [ "$hard" = unlimited ] && skip "the nofile hard limit is unlimited"
  run rt-exec --rlimit nofile=$((hard + 1)) -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-exec: cannot set the nofile limit to $((hard + 1)):$((hard + 1)): Operation not permitted (the hard limit is $hard; raising it needs CAP_SYS_RESOURCE and at most fs.nr_open)"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "raising a hard limit with CAP_SYS_RESOURCE" {
  (( 0x$(own_field CapEff) & (1 << 24) )) || skip "needs CAP_SYS_RESOURCE, which this machine's root lacks"
  local hard; hard=$(ulimit -Hn)
  run rt-exec --rlimit nofile=$((hard + 1)) -- sh -c 'ulimit -Hn'
  assert_success
  assert_output $((hard + 1))
}

@test "bad --rlimit values are one-line errors" {
  for bad in nofile nofile= =1 bogus=1 nofile=abc nofile=5:4 nofile=1:2:3 nofile=-2 nofile=99999999999999999999999; do
    run rt-exec --rlimit "$bad" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
  run rt-exec --rlimit bogus=1 -- true
  assert_output --partial "unknown limit 'bogus' (known: cpu, fsize, data, stack, core, rss, nproc, nofile"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

# ------------------------------------------------------------------ environment

@test "--env K=V sets, --env K copies from this environment (and drops it when unset)" {
  export RT_TEST_COPY=copied
  unset RT_TEST_UNSET
  run rt-exec --env A=1 --env 'B=two words=x' --env RT_TEST_COPY --env RT_TEST_UNSET -- env
  assert_success
  assert_line A=1
  assert_line "B=two words=x"
  assert_line RT_TEST_COPY=copied
  refute_line --partial RT_TEST_UNSET
  # Inherited by default.
  assert_line "RT_TEST_COPY=copied"
}

@test "--clear-env: only what is given, plus HOME from passwd and the default PATH" {
  export RT_TEST_LEAK=leak
  run rt-exec --clear-env --env A=1 -- /usr/bin/env
  assert_success
  refute_line --partial RT_TEST_LEAK
  assert_line A=1
  assert_line "HOME=$(getent passwd "$(id -u)" | cut -d: -f6)"
  assert_line "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  assert_equal "${#lines[@]}" 3
  run rt-exec --clear-env --env HOME=/elsewhere --env PATH=/bin -- /usr/bin/env
  assert_line HOME=/elsewhere
  assert_line PATH=/bin
}

@test "--env-file: docker's format; --env wins over the file" {
  local f="$BATS_TEST_TMPDIR/env"
  export RT_TEST_FROM_HOST=host
  printf '%s\n' '# a comment' '' '   A=1' 'B= spaced value ' 'C=x=y' 'RT_TEST_FROM_HOST' 'NOT_SET_ANYWHERE_X' 'D="quoted"' 'E=file' > "$f"
  run rt-exec --clear-env --env-file "$f" --env E=flag -- /usr/bin/env
  assert_success
  assert_line A=1
  assert_line "B= spaced value "
  assert_line C=x=y
  assert_line RT_TEST_FROM_HOST=host
  refute_line --partial NOT_SET_ANYWHERE_X
  assert_line 'D="quoted"'
  assert_line E=flag
  refute_line --partial "#"
}

@test "bad env input: a line without a name, a name with spaces, a missing file" {
  printf 'A=1\n=oops\n' > "$BATS_TEST_TMPDIR/env"
  run rt-exec --env-file "$BATS_TEST_TMPDIR/env" -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-exec: invalid env file $BATS_TEST_TMPDIR/env line 2: no variable name in '=oops'"
  printf 'BAD NAME=1\n' > "$BATS_TEST_TMPDIR/env"
  run rt-exec --env-file "$BATS_TEST_TMPDIR/env" -- true
  assert_equal "$status" 125
  assert_output --partial "contains whitespace"
  run rt-exec --env-file "$BATS_TEST_TMPDIR/nope" -- true
  assert_equal "$status" 125
  assert_output "rt-exec: cannot read env file $BATS_TEST_TMPDIR/nope: No such file or directory"
  run rt-exec --env =x -- true
  assert_equal "$status" 125
  assert_equal "${#lines[@]}" 1
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "env files and profiles from pipes work; endless or blocking files are refused, not waited for" {
  run rt-exec --clear-env --env-file <(printf 'A=1\nB=2\n') -- /bin/sh -c 'echo $A$B'
  assert_success
  assert_output 12
  # timeout only guards the suite against a hang (124 would fail the test).
  run timeout 20 rt-exec --env-file /dev/zero -- true
  assert_equal "$status" 125
  assert_output "rt-exec: cannot read env file /dev/zero: File too large"
  run timeout 20 rt-exec --seccomp /dev/zero -- true
  assert_equal "$status" 125
  assert_output "rt-exec: cannot read seccomp profile /dev/zero: File too large"
  # A FIFO planted as an image's /etc/passwd: refused at once.
  in_rootfs
  rm "$ROOT/etc/passwd"
  mkfifo "$ROOT/etc/passwd"
  run timeout 20 chroot "$ROOT" /rt-exec --user user -- /bin/true
  assert_equal "$status" 125
  assert_output "rt-exec: cannot read /etc/passwd: not a regular file"
}

@test "HOME comes from the target user's passwd entry unless given" {
  in_rootfs
  run chroot "$ROOT" /rt-exec --clear-env --user user -- /bin/sh -c 'echo $HOME'
  assert_output /home/user
  run chroot "$ROOT" /rt-exec --clear-env -- /bin/sh -c 'echo $HOME'
  assert_output /root
  run chroot "$ROOT" /rt-exec --clear-env --env HOME=/x --user user -- /bin/sh -c 'echo $HOME'
  assert_output /x
}

@test "the program is looked up in the new environment's PATH" {
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  printf '#!/bin/sh\necho found me\n' > "$BATS_TEST_TMPDIR/bin/rt-test-hello"
  chmod +x "$BATS_TEST_TMPDIR/bin/rt-test-hello"
  run rt-exec --env PATH="$BATS_TEST_TMPDIR/bin:/bin" -- rt-test-hello
  assert_success
  assert_output "found me"
  # In this PATH but not in the payload's: not found.
  PATH="$BATS_TEST_TMPDIR/bin:$PATH" run -127 rt-exec --clear-env -- rt-test-hello
  assert_equal "$status" 127
  assert_output "rt-exec: cannot execute rt-test-hello: No such file or directory"
}

# ------------------------------------------------------------------ workdir, fds

@test "--workdir changes directory; a missing one is an error naming it" {
  run rt-exec --workdir "$BATS_TEST_TMPDIR" -- pwd
  assert_success
  assert_output "$BATS_TEST_TMPDIR"
  run rt-exec --workdir "$BATS_TEST_TMPDIR/missing" -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-exec: cannot change to working directory $BATS_TEST_TMPDIR/missing: No such file or directory"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--workdir is entered as the target user: a directory it cannot enter fails" {
  mkdir -m 0700 "$BATS_TEST_TMPDIR/private"
  run rt-exec --user 1000 --workdir "$BATS_TEST_TMPDIR/private" -- true
  assert_equal "$status" 125
  assert_output --partial "Permission denied"
}

# True once PID sits in nanosleep or clock_nanosleep: sleep's start-up
# (ld.so opening the libraries, setlocale) is over, and with it the fds it
# holds for a moment at the lowest free number.
in_sleep_syscall() {
  local nr _
  read -r nr _ <"/proc/$1/syscall" 2>/dev/null || return 1
  [ "$nr" = 35 ] || [ "$nr" = 230 ]
}

# The fds of a payload, seen from outside while it sleeps (a shell listing
# its own fds would see the pipes it makes for itself).
payload_fds() {
  rt-exec "$@" -- sleep 60 </dev/null >/dev/null 2>&1 &
  local pid=$!
  wait_until 50 grep -qx sleep "/proc/$pid/comm"
  wait_until 50 in_sleep_syscall "$pid"
  ls "/proc/$pid/fd" | sort -n | tr '\n' ' '
  kill "$pid"
  wait "$pid" || true
}

@test "every fd above 2 is closed; --preserve-fds N keeps 3 to 2+N" {
  exec 4</dev/null 5</dev/null 9</dev/null
  run payload_fds
  assert_output "0 1 2 "
  run payload_fds --preserve-fds 3
  assert_output --regexp "^0 1 2 (3 )?4 5 $"
  exec 4<&- 5<&- 9<&-
}

@test "bad --preserve-fds and --workdir values are one-line errors" {
  for bad in -1 abc 1.5 '' 99999999999; do
    run rt-exec --preserve-fds "$bad" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
  done
  run rt-exec --workdir '' -- true
  assert_equal "$status" 125
  assert_output "rt-exec: invalid --workdir '': expected a directory"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--personality LINUX32: uname reports a 32-bit machine; LINUX leaves it; other domains are refused" {
  [ "$(uname -m)" = x86_64 ] || skip "LINUX32 is checked against x86_64's i686"
  run rt-exec --personality LINUX32 -- uname -m
  assert_success
  assert_output i686
  run rt-exec --personality LINUX -- uname -m
  assert_output x86_64
  run rt-exec --personality BSD -- touch "$BATS_TEST_TMPDIR/ran"
  assert_equal "$status" 125
  assert_output "rt-exec: invalid --personality 'BSD': expected LINUX or LINUX32"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--console-socket-fd: a pty of the root's devpts, its master sent on the socket, stdio and controlling terminal" {
  local S="$BATS_TEST_TMPDIR/c.sock"
  console_socket_listen "$S"
  # The socket connected on fd 5, as rt-oci hands it down.
  run python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
os.dup2(s.fileno(), 5)
os.set_inheritable(5, True)  # dup2 onto itself leaves it close-on-exec
os.execvp(sys.argv[2], sys.argv[2:])' "$S" rt-unshare --pid --mount -- rt-mount --rootfs "$RT_ROOTFS" --proc --dev -- \
    rt-exec --setsid --console-socket-fd 5 --console-size 100x30 --bind-console -- \
    sh -c 'tty; stty size; ls -l /dev/console; ls /proc/self/fd | tr "\n" " "; echo'
  assert_success
  console_socket_output
  assert_line --index 0 /dev/ptmx
  assert_line /dev/pts/0
  assert_line "30 100"
  assert_line --regexp "^crw.* 136, +0 .* /dev/console$"
  assert_line "0 1 2 3 "
  run rt-exec --console-size 80x24 -- true
  assert_equal "$status" 125
  assert_output "rt-exec: --console-size and --bind-console need --console-socket-fd"
}

# ------------------------------------------------------------------ logging, chain

@test "RT_LOG=debug prints the steps in order" {
  run env RT_LOG=debug rt-exec --rlimit core=0 --no-new-privs --caps docker --seccomp default --workdir / -- true
  assert_success
  local order; order=$(printf '%s\n' "$output" | sed -n 's/.*us) //p' | cut -d' ' -f1-2 | tr '\n' '|')
  assert_equal "$order" "checked options|rlimit core=0:0|no_new_privs set|capabilities CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_SETGID,CAP_SETUID,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_NET_RAW,CAP_SYS_CHROOT,CAP_MKNOD,CAP_AUDIT_WRITE,CAP_SETFCAP|seccomp filter|exec true|"
}

@test "in a user namespace made by rt-unshare: root inside switches to a mapped user" {
  run rt-unshare --user --uid-map 0:100000:65536 --gid-map 0:100000:65536 -- \
    rt-exec --user 1000:1000 --groups '' --caps docker -- sh -c 'id -u; id -g; grep CapEff /proc/self/status'
  assert_success
  assert_line -n 0 1000
  assert_line -n 1 1000
  assert_line -n 2 "CapEff:	0000000000000000"
  # An id the namespace does not map is a clear error.
  run rt-unshare --user --map-root-user -- rt-exec --user 1000 -- true
  assert_equal "$status" 125
  assert_output --partial "not mapped in this user namespace"
}

@test "the whole chain: after rt-mount's pivot_root, names come from the container's files" {
  command -v rt-mount >/dev/null || skip "rt-mount is not built"
  local root; root=$(rootfs_copy)
  run rt-unshare --pid --mount --uts --ipc --hostname box -- \
    rt-mount --rootfs "$root" --defaults -- \
      rt-exec --user user --caps docker --no-new-privs --seccomp default --clear-env -- \
        /bin/sh -c 'id -u; id -g; echo "$$ $HOME $(hostname)"; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; unshare -m true || echo refused'
  assert_success
  assert_line -n 0 1000
  assert_line -n 1 1000
  assert_line -n 2 "1 /home/user box"
  assert_line "CapEff:	0000000000000000"
  assert_line "NoNewPrivs:	1"
  assert_line "Seccomp:	2"
  assert_line refused
}

@test "--init outside a pid namespace: a subreaper; the program's orphans come to it; its status passes through" {
  # The program orphans a shell (its subshell exits), which waits until its
  # parent is the init (10 s at most: $PPID is fixed when a shell starts,
  # so it reads /proc), reports it, and lets the program exit.
  local d=$BATS_TEST_TMPDIR
  cat >"$d/orphan.sh" <<'EOF'
i=0
while read -r _ _ _ pp _ </proc/$$/stat && [ "$pp" != "$1" ] && [ $i -lt 1000 ]; do i=$((i + 1)); sleep 0.01; done
echo "orphan-parent $pp"
: >"$2"
EOF
  cat >"$d/program.sh" <<'EOF'
echo "init $PPID"
(sh "$1/orphan.sh" "$PPID" "$1/reported" &)
i=0
while [ ! -e "$1/reported" ] && [ $i -lt 1000 ]; do i=$((i + 1)); sleep 0.01; done
exit 5
EOF
  run rt-exec --init -- sh "$d/program.sh" "$d"
  assert_equal "$status" 5
  local init; init=$(sed -n 's/^init //p' <<<"$output")
  [ -n "$init" ] || fail "no init pid: $output"
  assert_line "orphan-parent $init"
  run rt-exec --init -- sh -c 'kill -TERM $$'
  assert_equal "$status" 143
}
