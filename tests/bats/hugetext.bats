#!/usr/bin/env bats
# The chain tools' code in 2 MiB pages (common/hugetext.ld, common/hugetext.cpp):
# rt-run loads the page cache of rt-cgroup, rt-unshare, rt-mount and rt-exec
# in 2 MiB folios once per boot and binary, so that every exec maps their
# code with one PMD.

load helpers

setup() {
  rt_setup
  [ "$(uname -m)" = x86_64 ] || skip "the 2 MiB text layout is x86-64 only; this machine is $(uname -m)"
  skip_unless_static "$RT_BIN/rt-mount"
  ! grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null ||
    skip "transparent huge pages are off here (/sys/kernel/mm/transparent_hugepage/enabled: never)"
  [ -e /sys/kernel/mm/transparent_hugepage/enabled ] || skip "this kernel has no transparent huge pages"
  # Copies, as the bench and an install have them (written by cp: small
  # folios); rt-run runs the chain from its own directory.
  B="$BATS_TEST_TMPDIR/bin"
  mkdir -p "$B"
  local t
  for t in rt-run rt-cgroup rt-unshare rt-mount rt-exec; do cp "$RT_BIN/$t" "$B/"; done
}

teardown() {
  [ -z "${INIT_PID:-}" ] || { kill "$INIT_PID" 2>/dev/null; wait "$INIT_PID" 2>/dev/null || true; }
  rt_stop_leftovers
  rt_teardown
}

run_container() {
  run env RT_LOG=debug "$B/rt-run" --rm --network none -m 64m --rootfs "$RT_ROOTFS" /bin/true
  assert_success
}

# A process running $B/rt-exec in INIT_PID (rt-exec --init stays while its
# child sleeps), once it has exec'd it.
start_resident_exec() {
  "$B/rt-exec" --init -- sleep 10 &
  INIT_PID=$!
  local i
  for i in $(seq 100); do
    [ "$(readlink "/proc/$INIT_PID/exe")" = "$B/rt-exec" ] && break
    sleep 0.05
  done
}

# FilePmdMapped (kB) of $B/rt-exec's code mapping in a process running it.
pmd_mapped_kb() {
  start_resident_exec
  awk -v p="$B/rt-exec" '/^[0-9a-f]+-[0-9a-f]+ / { m = ($2 ~ /x/ && $6 == p) } m && /^FilePmdMapped:/ { print $2 }' \
    "/proc/$INIT_PID/smaps"
  kill "$INIT_PID"
  wait "$INIT_PID" 2>/dev/null || true
  INIT_PID=
}

@test "hugetext: the prefault links' headers and code fill whole 2 MiB blocks from offset 0; the read-only data is not executable" {
  local t type off va pa fsz msz f1 f2 rest x_end next next_flags
  for t in rt-cgroup rt-unshare rt-mount rt-exec; do
    run readelf -lW "$RT_BIN/$t"
    assert_success
    x_end= next=
    while read -r type off va pa fsz msz f1 f2 rest; do
      [ "$type" = LOAD ] || continue
      if [ "$f2" = E ]; then
        # the first segment: offset, address and file contents in whole 2 MiB blocks
        ((off == 0 && va % 0x200000 == 0 && fsz % 0x200000 == 0)) || fail "$t: $off $va $fsz: $output"
        x_end=$((va + fsz))
      elif [ -n "$x_end" ] && [ -z "$next" ]; then
        next=$((va)) next_flags="$f1 $f2"
      fi
    done <<<"$output"
    [ -n "$x_end" ] || fail "$t: no executable segment: $output"
    # the read-only data one page after the code's blocks (not 2 MiB
    # further on), in a segment of its own that is not executable
    ((next == x_end + 4096)) || fail "$t: the next segment at $next, the code's blocks end at $x_end: $output"
    [[ "$next_flags" != *E* ]] || fail "$t: the read-only data is executable: $output"
    # The prefault maps the code up to its end, not the zeros after it.
    if command -v strace >/dev/null; then
      run strace -qq -e trace=madvise -e signal=none "$RT_BIN/$t" --version
      assert_success
      local len
      len=$(sed -n 's/^madvise(0x400000, \([0-9]*\), MADV_POPULATE_READ) = 0$/\1/p' <<<"$output")
      [ -n "$len" ] && ((len < x_end - 0x400000 && len > 0x100000)) || fail "$t: $output"
    fi
  done
}

@test "hugetext: after one rt-run the chain tools' code is in 2 MiB pages; a second run only reads the marker" {
  run_container
  assert_line --partial "code of rt-exec: loaded in 2 MiB pages"
  assert_line --partial "chain tools' code: recorded in $RT_STATE/.hugetext"
  local m="$RT_STATE/.hugetext"
  assert_equal "$(sed -n 1p "$m")" "boot $(cat /proc/sys/kernel/random/boot_id)"
  local t
  for t in rt-cgroup rt-unshare rt-mount rt-exec; do
    grep -qE "^$t [0-9]+ $(stat -c %i "$B/$t") $(stat -c %s "$B/$t") [0-9]+ [0-9]+ huge\$" "$m" ||
      fail "$t: $(cat "$m")"
  done
  assert_equal "$(pmd_mapped_kb)" 2048

  local ino
  ino=$(stat -c %i "$m")
  run_container
  assert_line --partial "chain tools' code: as recorded for this boot in $RT_STATE/.hugetext"
  refute_output --partial "code of rt-"
  assert_equal "$(stat -c %i "$m")" "$ino"
}

@test "hugetext: a touched or replaced tool is checked again and reloaded; one that cannot be loaded is not retried" {
  run_container
  assert_line --partial "code of rt-mount: loaded in 2 MiB pages"
  touch "$B/rt-mount"
  run_container
  assert_line --partial "code of rt-mount: already in 2 MiB pages"
  refute_output --partial "code of rt-exec"
  # cp writes the file anew (small folios): loaded again
  cp "$RT_BIN/rt-exec" "$B/rt-exec"
  run_container
  assert_line --partial "code of rt-exec: loaded in 2 MiB pages"
  assert_equal "$(pmd_mapped_kb)" 2048
  # A tool some process maps while the load runs stays in small folios; that
  # is recorded, and the next run does not try again.
  cp "$RT_BIN/rt-exec" "$B/rt-exec"
  start_resident_exec
  run_container
  assert_line --partial "code of rt-exec: stays in small pages"
  grep -qE "^rt-exec .* small\$" "$RT_STATE/.hugetext" || fail "$(cat "$RT_STATE/.hugetext")"
  run_container
  refute_output --partial "code of rt-exec"
}
