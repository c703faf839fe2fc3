#!/usr/bin/env bats
# make deb-check: the Debian package make deb built (in $RT_DEB_DIR) checked
# by lintian, installed on this machine with apt-get, used from /usr/bin
# (a container from a directory, a pull from a local registry, bash
# completion), removed and purged: nothing of it is left.
#
# Not part of make test: while it runs, rt is in /usr/bin and in dpkg's
# database. It refuses to start where a package rt is known to dpkg, an rt
# tool is in /usr/bin or /etc/rt exists (a purge would take them), and
# teardown_file purges what it installed whatever happened (also when a
# test failed or bats was interrupted).

bats_require_minimum_version 1.5.0
load ../bats/helpers
load ../bats/registry
load ../bats/shells

# --no-install-recommends: the check changes nothing on this machine but rt
# (scripts/deps.sh installs what rt recommends, for the test suite).
APT=(apt-get -y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
TOOLS=$(cd "$BATS_TEST_DIRNAME/../../tools" && ls -d rt-*)

# dpkg's state of the package rt: installed, config-files, ... or "" when
# dpkg does not know it.
deb_status() { dpkg-query -W -f='${db:Status-Status}' rt 2>/dev/null || true; }

setup_file() {
  : "${RT_DEB_DIR:?run make deb-check}"
  local st
  st=$(deb_status)
  if [ -n "$st" ] && [ "$st" != not-installed ]; then
    echo "deb-check: dpkg already knows a package rt ($st): purge it first; not touching it" >&2
    return 1
  fi
  if [ -e /etc/rt ] || compgen -G '/usr/bin/rt-*' >/dev/null; then
    echo "deb-check: /etc/rt or /usr/bin/rt-* exists (make install PREFIX=/usr?): the purge would remove it; not touching it" >&2
    return 1
  fi
  DEB=$(echo "$RT_DEB_DIR"/rt_*.deb)
  DBGSYM=$(echo "$RT_DEB_DIR"/rt-dbgsym_*.deb)
  CHANGES=$(echo "$RT_DEB_DIR"/rt_*.changes)
  for f in "$DEB" "$DBGSYM" "$CHANGES"; do
    [ -f "$f" ] || { echo "deb-check: no $f (make deb)" >&2; return 1; }
  done
  export DEB DBGSYM CHANGES
  registry_start
  registry_push_busybox busybox:1
}

teardown_file() {
  # only a package this file installed (the marker is made before apt-get)
  if [ -e "$BATS_FILE_TMPDIR/installed" ] && [ -n "$(deb_status)" ] && [ "$(deb_status)" != not-installed ]; then
    "${APT[@]}" purge rt >&2 || dpkg --purge rt >&2
  fi
  registry_stop
}

setup() {
  rt_setup
  # the installed tools, never the build's (helpers put $RT_BIN first)
  export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
}

teardown() {
  rt_teardown
}

@test "lintian: no error in the package" {
  run lintian --fail-on error --tag-display-limit 0 "$CHANGES"
  # what remains (warnings, infos) is printed with the test's result
  local line
  while IFS= read -r line; do [ -z "$line" ] || echo "# lintian: $line" >&3; done <<<"$output"
  assert_success
  refute_output --regexp '^E: '
}

@test "the package: Depends on what the tools link, Built-Using what they link statically, symbols in rt-dbgsym" {
  local d="$BATS_TEST_TMPDIR/deb" t id
  run dpkg-deb -f "$DEB" Package Version Architecture Depends Recommends Built-Using
  assert_success
  # rt-pull: curl, archive, crypto; rt-repl: libedit; rt-systemd: libsystemd; every tool: libc
  for t in libc6 libcurl4 libarchive13 libedit2 libssl3 libboost-program-options libsystemd0; do
    grep -qE "^Depends: (.*, )?$t" <<<"$output" || { echo "no $t in Depends" >&2; return 1; }
  done
  grep -qE '^Recommends: .*containernetworking-plugins' <<<"$output"
  grep -qE '^Recommends: .*uidmap' <<<"$output"
  grep -qE '^Built-Using: .*glibc \(= ' <<<"$output"
  grep -qE '^Built-Using: .*libseccomp \(= ' <<<"$output"
  # the version is the tools' own
  assert_output --partial "Version: $(sed -n 's/^VERSION *:= *//p' "$BATS_TEST_DIRNAME/../../Makefile")"
  dpkg-deb -x "$DEB" "$d"
  run dpkg-deb -c "$DBGSYM"
  assert_success
  local debug=$output
  for t in $TOOLS; do
    assert_file_executable "$d/usr/bin/$t"
    # stripped: no symbol table, no debug sections; the release build (-O2)
    run readelf -S --wide "$d/usr/bin/$t"
    refute_output --partial ".symtab"
    refute_output --partial ".debug_"
    run readelf -p .GCC.command.line "$d/usr/bin/$t"
    assert_output --partial " -O2 "
    refute_output --partial "-Og"
    # its symbols are in rt-dbgsym, found by its build id
    id=$(readelf -n "$d/usr/bin/$t" | sed -n 's/.*Build ID: *//p')
    [ -n "$id" ]
    grep -qF "./usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" <<<"$debug" ||
      { echo "no debug symbols for $t (build id $id) in $DBGSYM" >&2; return 1; }
  done
}

@test "apt-get install ./rt_*.deb: the tools on PATH, their man pages and completion" {
  touch "$BATS_FILE_TMPDIR/installed"
  cd "$RT_DEB_DIR"
  run "${APT[@]}" install "./${DEB##*/}"
  assert_success
  assert_equal "$(deb_status)" installed
  local t
  for t in $TOOLS; do
    assert_equal "$(command -v "$t")" "/usr/bin/$t"
    run man -w "$t"
    assert_output "/usr/share/man/man1/$t.1.gz"
    assert_exist "/usr/share/bash-completion/completions/$t"
    assert_exist "/usr/share/fish/vendor_completions.d/$t.fish"
  done
  assert_file_exists /usr/share/zsh/vendor-completions/_rt
  run man -w 7 rt
  assert_output /usr/share/man/man7/rt.7.gz
  assert_dir_exists /etc/rt/networks
  run rt-run --version
  assert_success
  assert_output --partial "$(dpkg-query -W -f='${Version}' rt)"
}

@test "installed package: a container from a directory, chained through /usr/bin" {
  run rt-run --rm -f "$RT_ROOTFS" /bin/sh -c 'echo hello $(cat /proc/1/comm)'
  assert_success
  assert_output "hello sh"
  run rt-run --explain -f "$RT_ROOTFS" /bin/true
  assert_success
  assert_output --partial /usr/bin/rt-cgroup
  assert_output --partial /usr/bin/rt-exec
  refute_output --partial "$RT_BIN/"
}

@test "installed package: rt-pull from the local registry, rt-run the image, rt-repl lists it" {
  run rt-pull -q "$REGISTRY/busybox:1"
  assert_success
  assert_output --regexp '^sha256:[0-9a-f]{64}$'
  run rt-run --rm "$REGISTRY/busybox:1" /bin/sh -c 'echo $RT_IMAGE'
  assert_success
  assert_output busybox
  run rt-repl images
  assert_success
  assert_output --partial "$REGISTRY/busybox"
}

@test "installed package: bash completion from /usr/share/bash-completion answers from the installed rt-repl" {
  run rt-pull -q "$REGISTRY/busybox:1"
  assert_success
  # as bash-completion loads it on the first Tab after rt-run
  run bash --norc --noprofile -c '
    source /usr/share/bash-completion/completions/rt-run
    COMP_WORDS=(rt-run --netw) COMP_CWORD=1 COMP_LINE="rt-run --netw" COMP_POINT=13
    _rt_complete
    printf "%s\n" "${COMPREPLY[@]}"'
  assert_success
  assert_output --network
  run bash --norc --noprofile -c '
    source /usr/share/bash-completion/completions/rt-run
    COMP_WORDS=(rt-run --rm 127) COMP_CWORD=2 COMP_LINE="rt-run --rm 127" COMP_POINT=15
    _rt_complete
    printf "%s\n" "${COMPREPLY[@]}"'
  assert_success
  assert_output --partial "$REGISTRY"
}

@test "installed package: zsh and fish completion load by themselves and answer from the installed rt-repl" {
  need_shell zsh
  need_shell fish
  # zsh's own fpath has vendor-completions; fish's own path vendor_completions.d
  run zsh_complete_at "" "rt-oci create --b"
  assert_output "rt-oci create --bundle "
  run fish_complete_at "rt-oci create --b" /usr/share
  assert_output "--bundle"
}

@test "apt-get remove keeps /etc/rt and a network made there; purge leaves nothing of the package" {
  local files f
  # a network in the default configuration directory, as root makes it
  run env -u RT_CONFIG rt-repl network create debcheck --disable-dns
  assert_success
  assert_file_exists /etc/rt/networks/debcheck.conflist
  files=$(dpkg -L rt)
  [ "$(grep -c '^/usr/bin/rt-' <<<"$files")" -ge 9 ]
  run "${APT[@]}" remove rt
  assert_success
  assert_equal "$(deb_status)" config-files
  assert_not_exist /usr/bin/rt-run
  assert_file_exists /etc/rt/networks/debcheck.conflist
  run "${APT[@]}" purge rt
  assert_success
  run deb_status
  [ -z "$output" ] || [ "$output" = not-installed ]
  run dpkg -L rt
  assert_failure
  # every file the package had is gone, and the directories only it had
  while IFS= read -r f; do
    [ -n "$f" ] && [ "$f" != /. ] || continue
    if [ -d "$f" ] && [ ! -L "$f" ]; then
      case "$f" in /etc/rt* | /usr/share/doc/rt) assert_not_exist "$f" ;; esac
    else
      assert_not_exist "$f"
    fi
  done <<<"$files"
  assert_not_exist /etc/rt
  rm "$BATS_FILE_TMPDIR/installed"
}
