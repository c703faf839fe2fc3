#!/usr/bin/env bats
# The default seccomp profile, attacked from inside a default container:
# a probe calls every system call number (without running any, see
# tests/probes/seccomp-probe.c) and each verdict of the filter must match
# the profile's table (rt-exec --print-default-seccomp), whose names come
# from the kernel's headers, not from rt or libseccomp.

load helpers

setup() {
  rt_setup
  PROBES="$BATS_TEST_DIRNAME/../probes"
  HEADERS=/usr/include/x86_64-linux-gnu/asm
}

teardown() {
  rt_stop_leftovers
  rt_teardown
}

# A rootfs with the probe in it, built static by this machine's compiler.
probe_rootfs() {
  [ "$(uname -m)" = x86_64 ] || skip "the probe makes x86-64 system calls"
  command -v cc >/dev/null || skip "no C compiler to build the probe"
  perl -MJSON::PP -e1 2>/dev/null || skip "perl with JSON::PP is needed to compute the expectation"
  [ -f "$HEADERS/unistd_64.h" ] || skip "no kernel headers at $HEADERS (linux-libc-dev)"
  ROOT=$(rootfs_copy)
  cc -O2 -static -pthread -o "$ROOT/probe" "$PROBES/seccomp-probe.c" ||
    skip "the C compiler cannot build a static program (libc6-dev's static libc missing)"
  rt-exec --print-default-seccomp > "$BATS_TEST_TMPDIR/profile.json"
}

# Every number of the x86-64 and x32 tables and well beyond, the top of the
# range below x32's bit, and the calls with conditions on their first
# argument, with allowed and refused values (some with garbage in the high
# 32 bits, which the kernel ignores for these arguments).
probe_specs() {
  local s="x86_64:0-1023 x32:0-1023 x86_64:0x3ffffff0-0x3fffffff" v
  for v in 0 1 8 9 0x20000 0x20001 0x20008 0x40000 0x400000 0xffffffff 0xfffffffe 0x100000000 0x100000001; do
    s="$s x86_64:135:$v x32:135:$v"  # personality
  done
  for v in $(seq 0 45) 0x100000026 0x100000028 0x100000002 0xffffffff; do
    s="$s x86_64:41:$v x32:41:$v"  # socket
  done
  for v in 17 0x3d0f00 0x20000 0x2000000 0x4000000 0x8000000 0x10000000 0x20000000 0x40000000 \
    0x10000011 0x100000011 0x110000011 0x80000000; do
    s="$s x86_64:56:$v x32:56:$v"  # clone
  done
  echo "$s"
}

check_probe() {
  echo "$output" > "$BATS_TEST_TMPDIR/probe.out"
  run perl "$PROBES/seccomp-expect.pl" "$BATS_TEST_TMPDIR/profile.json" "$HEADERS" < "$BATS_TEST_TMPDIR/probe.out"
  echo "$output"
  assert_success
}

@test "seccomp default: every x86-64 and x32 syscall number, probed in a default container, gets the profile's verdict" {
  probe_rootfs
  run rt-run --rm -f "$ROOT" /probe $(probe_specs)
  assert_success
  assert_line --regexp '^capbnd 0+a80425fb$'
  # spot checks of what the table says (the full comparison follows)
  assert_line "x86_64 135 0x40000 errno 1"    # personality(ADDR_NO_RANDOMIZE), setarch -R
  assert_line "x86_64 135 0 allow"            # personality(PER_LINUX)
  assert_line "x86_64 41 0x28 errno 1"        # socket(AF_VSOCK)
  assert_line "x86_64 41 0x26 errno 1"        # socket(AF_ALG)
  assert_line "x86_64 41 0x100000026 errno 1" # AF_ALG with high garbage: the kernel reads an int
  assert_line "x86_64 56 0x10000011 errno 1"  # clone(CLONE_NEWUSER)
  assert_line "x86_64 435 0 errno 38"         # clone3: ENOSYS, so that libc falls back to clone
  assert_line "x86_64 425 0 errno 1"          # io_uring_setup
  assert_line "x86_64 467 0 errno 1"          # open_tree_attr, newer than the profile
  assert_line "x86_64 1000 0 errno 1"         # no such call
  refute_line --regexp ' ran '
  check_probe
  assert_output --regexp '^[0-9]+ calls, 0 mismatches'
}

@test "seccomp default: with every capability, the capability-gated calls open up (probed, entry by entry)" {
  probe_rootfs
  run rt-run --rm -f "$ROOT" --cap-add ALL /probe $(probe_specs)
  assert_success
  assert_line "x86_64 165 0 allow"          # mount (CAP_SYS_ADMIN)
  assert_line "x86_64 56 0x10000011 allow"  # clone(CLONE_NEWUSER)
  assert_line "x86_64 435 0 allow"          # clone3
  assert_line "x86_64 425 0 errno 1"        # io_uring stays refused
  assert_line "x86_64 250 0 errno 1"        # keyctl stays refused
  check_probe
  assert_output --regexp '^[0-9]+ calls, 0 mismatches'
}

@test "seccomp: the probe's control: unconfined, every call reaches the probe and none runs" {
  probe_rootfs
  run rt-run --rm -f "$ROOT" --security-opt seccomp=unconfined /probe $(probe_specs)
  assert_success
  # Everything is allowed but x86-64's uretprobe and uprobe, which the
  # kernel never shows a filter.
  [ "$(grep -c ' allow$' <<< "$output")" -eq $(($(wc -l <<< "$output") - 3)) ]
  assert_line "x86_64 335 0 exempt"
  assert_line "x86_64 336 0 exempt"
}

@test "seccomp default: the i386 (int \$0x80) ABI, probed number by number, where the kernel has it" {
  probe_rootfs
  run rt-run --rm -f "$ROOT" --security-opt seccomp=unconfined /probe i386:20
  if [ "$status" -eq 2 ]; then skip "$output"; fi
  run rt-run --rm -f "$ROOT" /probe i386:0-1023 i386:136:0 i386:136:0x40000 i386:359:2 i386:359:40 i386:120:17 \
    i386:120:0x10000011
  assert_success
  assert_line "i386 136 0x40000 errno 1"  # personality
  assert_line "i386 359 0x28 errno 1"     # socket(AF_VSOCK), the direct call
  assert_line "i386 102 0 allow"          # socketcall: its arguments are out of a filter's reach
  assert_line "i386 21 0 errno 1"         # mount
  check_probe
  assert_output --regexp '^[0-9]+ calls, 0 mismatches'
}
