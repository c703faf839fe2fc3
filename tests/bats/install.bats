#!/usr/bin/env bats
# make install / make uninstall into a temporary DESTDIR: the release build,
# stripped, the man pages, bash completion and /etc/rt; the installed tools run a container
# and pull from a local registry; uninstall removes every file it installed.

bats_require_minimum_version 1.5.0
load helpers
load registry
load shells

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

# make install into DESTDIR $1. Its release build is $RT_BUILD/release (the
# one make release and make bench use: built once); BUILD is a directory of
# its own, so that the suite's build and its recorded flags stay as they are.
install_into() {
  make -C "$REPO" --no-print-directory BUILD="$RT_BUILD/install-test" REL_BUILD="$RT_BUILD/release" PREFIX=/usr/local DESTDIR="$1" install >&2
}

setup_file() {
  registry_start
  registry_push_busybox busybox:1
  export DEST="$BATS_FILE_TMPDIR/dest"
  install_into "$DEST"
}

teardown_file() { registry_stop; }

setup() {
  rt_setup
  BINDIR="$DEST/usr/local/bin"
}

teardown() {
  rt_teardown
}

@test "make install: every tool, man page, completion and /etc/rt/networks, nothing else" {
  local tools=() t
  for t in "$REPO"/tools/rt-*; do
    tools+=("usr/local/bin/${t##*/}" "usr/local/share/bash-completion/completions/${t##*/}"
      "usr/local/share/fish/vendor_completions.d/${t##*/}.fish")
  done
  tools+=(usr/local/share/zsh/site-functions/_rt)
  run sh -c "cd '$DEST' && find . ! -type d | sed 's|^\./||' | sort"
  assert_success
  expected=$(printf '%s\n' "${tools[@]}" \
    $(cd "$REPO/man" && ls *.1 | sed 's|^|usr/local/share/man/man1/|') \
    $(cd "$REPO/man" && ls *.7 | sed 's|^|usr/local/share/man/man7/|') | sort)
  assert_output "$expected"
  [ "${#tools[@]}" -ge 28 ]
  # one completion file, the other tools' names link to it
  assert_file_exists "$DEST/usr/local/share/bash-completion/completions/rt-repl"
  assert_link_exists "$DEST/usr/local/share/bash-completion/completions/rt-run"
  assert_link_exists "$DEST/usr/local/share/fish/vendor_completions.d/rt-oci.fish"
  assert_dir_exists "$DEST/etc/rt/networks"
  run man -l "$DEST/usr/local/share/man/man1/rt-run.1"
  assert_success
  assert_output --partial "rt-run"
}

@test "make install: the tools are the release build (-O2, no -Og), stripped, no debug info" {
  local f
  for f in "$BINDIR"/rt-*; do
    # no symbol table and no .debug_* section
    run readelf -S --wide "$f"
    assert_success
    refute_output --partial ".symtab"
    refute_output --partial ".debug_"
    # how it was compiled (-frecord-gcc-switches, kept by strip)
    run readelf -p .GCC.command.line "$f"
    assert_success
    assert_output --partial " -O2 "
    refute_output --partial "-Og"
    refute_output --regexp ' -g( |$)'
  done
  # not the debug build the suite runs (which has both)
  run readelf -S --wide "$RT_BIN/rt-run"
  assert_output --partial ".debug_info"
}

@test "installed tools: a container from a directory, chained through the installed links" {
  run "$BINDIR/rt-run" --rm -f "$RT_ROOTFS" /bin/sh -c 'echo hello $(cat /proc/1/comm)'
  assert_success
  assert_output "hello sh"
  # the chain is made of the installed tools, not of another rt on PATH
  run "$BINDIR/rt-run" --explain -f "$RT_ROOTFS" /bin/true
  assert_success
  assert_output --partial "$BINDIR/rt-cgroup"
  assert_output --partial "$BINDIR/rt-exec"
  refute_output --partial "$RT_BIN/"
  run "$BINDIR/rt-run" --version
  assert_success
}

@test "installed tools: rt-pull from the local registry, rt-run the image, rt-repl lists it" {
  run "$BINDIR/rt-pull" -q "$REGISTRY/busybox:1"
  assert_success
  assert_output --regexp '^sha256:[0-9a-f]{64}$'
  run "$BINDIR/rt-run" --rm "$REGISTRY/busybox:1" /bin/sh -c 'echo $RT_IMAGE'
  assert_success
  assert_output busybox
  run "$BINDIR/rt-repl" images
  assert_success
  assert_output --partial "$REGISTRY/busybox"
}

@test "installed zsh and fish completion: found where each shell looks, answered by the installed rt-repl" {
  need_shell zsh
  need_shell fish
  # (the installed rt-oci, found on PATH: its rt-repl answers)
  PATH="$BINDIR:$PATH" run zsh_complete_at "$DEST/usr/local/share/zsh/site-functions" "rt-oci create --b" "rt-run --netw"
  assert_output "$(printf '%s\n' "rt-oci create --bundle " "rt-run --network ")"
  # fish loads rt-oci.fish (a link to rt-repl.fish) by the command's name
  PATH="$BINDIR:$PATH" run fish_complete_at "rt-oci create --b" "$DEST/usr/local/share"
  assert_output "--bundle"
}

@test "make uninstall removes every file make install put there; a user's network stays" {
  local d="$BATS_TEST_TMPDIR/dest2"
  install_into "$d"
  run sh -c "find '$d' ! -type d | wc -l"
  [ "$output" -gt 9 ]
  make -C "$REPO" --no-print-directory BUILD="$RT_BUILD/install-test" REL_BUILD="$RT_BUILD/release" PREFIX=/usr/local DESTDIR="$d" uninstall >&2
  run find "$d" ! -type d
  assert_output ""
  assert_not_exist "$d/etc/rt"
  # networks written under /etc/rt are the user's: uninstall leaves them
  install_into "$d"
  echo '{}' > "$d/etc/rt/networks/mine.conflist"
  make -C "$REPO" --no-print-directory BUILD="$RT_BUILD/install-test" REL_BUILD="$RT_BUILD/release" PREFIX=/usr/local DESTDIR="$d" uninstall >&2
  run sh -c "cd '$d' && find . ! -type d"
  assert_output "./etc/rt/networks/mine.conflist"
}
