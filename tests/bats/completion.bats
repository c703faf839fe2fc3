#!/usr/bin/env bats
# Bash completion (completion/rt.bash) driven as bash drives it: COMP_WORDS
# split at COMP_WORDBREAKS, COMP_CWORD, COMP_LINE, COMP_POINT, then the
# completion function; COMPREPLY is what the user would be offered. Then
# zsh's and fish's (completion/rt.zsh, rt.fish) through the real shells
# (shells.bash), on the same backend.

bats_require_minimum_version 1.5.0
load helpers
load registry
load shells

COMPLETION="$BATS_TEST_DIRNAME/../../completion/rt.bash"

setup_file() {
  registry_start
  registry_push_busybox busybox:1
}

teardown_file() { registry_stop; }

setup() {
  rt_setup
}

teardown() {
  local st
  for st in "$BATS_TEST_TMPDIR"/oci/*/state.json; do
    [ -f "$st" ] || continue
    rt-oci --root "$BATS_TEST_TMPDIR/oci" delete --force "$(jq -r .id "$st")" || true
  done
  rt_stop_leftovers
  rt_teardown
}

# complete_at LINE: COMPREPLY for the end of LINE, one a line, sorted, from a
# non-interactive bash that sourced only completion/rt.bash. Words are split
# as bash splits them: at spaces, and ':' and '=' words of their own.
complete_at() {
  bash --norc --noprofile -c '
    source "$1"
    line=$2
    COMP_LINE=$line COMP_POINT=${#line} COMP_WORDS=() w=""
    for ((i = 0; i < ${#line}; i++)); do
      ch=${line:i:1}
      case $ch in
        " ") [ -n "$w" ] && COMP_WORDS+=("$w"); w="" ;;
        [:=]) [ -n "$w" ] && COMP_WORDS+=("$w"); COMP_WORDS+=("$ch"); w="" ;;
        *) w+=$ch ;;
      esac
    done
    COMP_WORDS+=("$w")  # the word being completed (empty after a space)
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _rt_complete
    printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort -u
  ' complete_at "$COMPLETION" "$1"
}

@test "completion: options of rt-run, rt-cgroup and a link further down a chain" {
  run complete_at "rt-run --netw"
  assert_success
  assert_output "--network"
  run complete_at "rt-cgroup --cpuset-"
  assert_output "$(printf '%s\n' --cpuset-cpus --cpuset-mems)"
  run complete_at "rt-cgroup --memory 64M -- rt-unshare --host"
  assert_output "--hostname"
  run complete_at "rt-repl --kee"
  assert_output "--keep-going"
  run complete_at "rt-repl st"
  assert_output "$(printf '%s\n' stats stop)"
}

@test "completion: rt-net's commands are those its --help lists" {
  run complete_at "rt-net "
  assert_output "$(printf '%s\n' create down inspect ls rm show up)"
  run complete_at "rt-repl network s"
  assert_output "show"
  # Read from --help, not a list of its own: an rt-net with another
  # command beside this rt-repl has it offered.
  local d="$BATS_TEST_TMPDIR/tools"
  mkdir -p "$d"
  cp "$RT_BIN/rt-repl" "$d/"
  printf '#!/bin/sh\nprintf "Usage: rt-net zap ID\\nZap.\\n\\nCommands:\\n  zap     zap it\\n\\nOptions:\\n"\n' > "$d/rt-net"
  chmod +x "$d/rt-net"
  run "$d/rt-net" --help
  assert_line "  zap     zap it"
  run complete_at "$d/rt-net "
  assert_output "zap"
}

@test "completion: every option each tool's --help prints, nothing more" {
  local t opts
  for t in rt-run rt-pull rt-cgroup rt-unshare rt-mount rt-exec rt-net rt-systemd; do
    opts=$("$t" --help | grep -oE '^  (-[a-zA-Z] \[ )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+$' | LC_ALL=C sort)
    [ "$(echo "$opts" | wc -l)" -gt 3 ]
    run complete_at "$t --"
    assert_success
    assert_output "$opts"
  done
}

@test "completion: container names and ids where a command takes a container" {
  run rt-run -d --name comp-one -f "$RT_ROOTFS" sleep 1000
  assert_success
  id=${output:0:12}
  run complete_at "rt-repl stop comp"
  assert_output "comp-one"
  run complete_at "rt-repl exec ${id:0:5}"
  assert_output "$id"
  # after a ':' bash replaces only what follows it
  run complete_at "rt-run --network container:comp-"
  assert_output "comp-one"
  run complete_at "rt-repl rm comp-one"
  assert_output "comp-one"
  rt-repl rm -f comp-one
  run complete_at "rt-repl rm comp-one"
  assert_output ""
}

@test "completion: image references in the store (a registry's host:port too)" {
  run rt-pull -q "$REGISTRY/busybox:1"
  assert_success
  port=${REGISTRY#*:}
  # "127.0.0.1:PORT/busybox:1" is three words for bash: the reply is what
  # follows the last ':'
  run complete_at "rt-run ${REGISTRY}/bus"
  assert_output "$port/busybox:1"
  run complete_at "rt-repl rmi 127.0.0.1"
  assert_output "127.0.0.1:$port/busybox:1"
  run complete_at "rt-pull --inspect ${REGISTRY}/busybox:"
  assert_output "1"
}

@test "completion: signal, capability and network names, enumerations, files" {
  run complete_at "rt-repl kill -s TE"
  assert_output "TERM"
  run complete_at "rt-run --cap-add SYS_AD"
  assert_output "SYS_ADMIN"
  run complete_at "rt-exec --cap-drop=NET_"
  assert_output "$(printf '%s\n' NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW)"
  run rt-net create comp-net
  assert_success
  run complete_at "rt-run --network "
  assert_output "$(printf '%s\n' bridge comp-net container: host none ns: pasta slirp4netns)"
  run complete_at "rt-net rm comp"
  assert_output "comp-net"
  run complete_at "rt-repl network inspect comp"
  assert_output "comp-net"
  run complete_at "rt-run --pull n"
  assert_output "never"
  mkdir -p "$BATS_TEST_TMPDIR/rootfs-a" "$BATS_TEST_TMPDIR/rootfs-b"
  run complete_at "rt-run -f $BATS_TEST_TMPDIR/rootfs-"
  assert_output "$(printf '%s\n' "$BATS_TEST_TMPDIR/rootfs-a" "$BATS_TEST_TMPDIR/rootfs-b")"
  # a program as the payload of a chain tool
  run complete_at "rt-exec --no-new-privs rt-unsh"
  assert_output "rt-unshare"
}

@test "completion: rt-oci's commands and each command's options, from the table that parses them" {
  run complete_at "rt-oci cr"
  assert_output "create"
  run complete_at "rt-oci create --b"
  assert_output "--bundle"
  run complete_at "rt-oci --root /tmp/x run -"
  assert_output --partial "--detach"
  run complete_at "rt-oci exec --c"
  assert_output "$(printf '%s\n' --cap --console-socket --cwd)"
  run complete_at "rt-oci update --memory-"
  assert_output "$(printf '%s\n' --memory-reservation --memory-swap)"
  # the global options before the command, the command's after it
  run complete_at "rt-oci --sys"
  assert_output "--systemd-cgroup"
  run complete_at "rt-oci create --sys"
  assert_output ""
  # values
  run complete_at "rt-oci exec --cap CAP_SYS_AD"
  assert_output "CAP_SYS_ADMIN"
  run complete_at "rt-oci list --format "
  assert_output "$(printf '%s\n' json table)"
  run complete_at "rt-oci --log-format=j"
  assert_output "json"
  # every option each command's --help prints, nothing more
  local cmd opts
  for cmd in create run kill delete list ps exec events update spec; do
    opts=$(rt-oci "$cmd" --help | grep -oE '^  (-[a-zA-Z], )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+$' | LC_ALL=C sort)
    run complete_at "rt-oci $cmd --"
    assert_success
    assert_output "$opts"
  done
}

@test "completion: rt-oci's container ids from --root, kill's signal names" {
  oci_bundle_setup comp
  local root=$ROOTDIR id=$ID
  spec '.process.args = ["sleep", "1000"]'
  rt-oci --root "$root" create --bundle "$B" "$id" >/dev/null 2>&1 3>&-
  run complete_at "rt-oci --root $root delete co"
  assert_output "$id"
  run complete_at "rt-oci --root=$root kill -a co"
  assert_output "$id"
  run complete_at "rt-oci --root $root kill $id KI"
  assert_output "KILL"
  # create names a new container: no ids offered
  run complete_at "rt-oci --root $root create co"
  assert_output ""
  rt-oci --root "$root" delete --force "$id"
  run complete_at "rt-oci --root $root state co"
  assert_output ""
}

@test "completion: zsh, from the same backend (a real zsh's Tab on a pty)" {
  need_shell zsh
  local fp="$BATS_TEST_TMPDIR/zfunc"
  mkdir -p "$fp" "$BATS_TEST_TMPDIR/rootfs-a" "$BATS_TEST_TMPDIR/rootfs-b"
  cp "$BATS_TEST_DIRNAME/../../completion/rt.zsh" "$fp/_rt"
  run zsh_complete_at "$fp" "rt-oci create --b" "rt-run --netw" "rt-repl kill -s TE" "rt-oci --log-format=j" \
    "rt-exec --no-new-privs rt-unsh" "rt-oci exec --c" "rt-run --network container:" "rt-run -f $BATS_TEST_TMPDIR/rootfs-" \
    "rt-run -f $BATS_TEST_TMPDIR/rootfs-a" "rt-cgroup --memory 64M -- rt-unshare --host"
  assert_success
  assert_output "$(printf '%s\n' "rt-oci create --bundle " "rt-run --network " "rt-repl kill -s TERM " \
    "rt-oci --log-format=json " "rt-exec --no-new-privs rt-unshare " "rt-oci exec --c" "rt-run --network container:" \
    "rt-run -f $BATS_TEST_TMPDIR/rootfs-" "rt-run -f $BATS_TEST_TMPDIR/rootfs-a/" \
    "rt-cgroup --memory 64M -- rt-unshare --hostname ")"
}

@test "completion: fish, from the same backend (fish's own complete -C)" {
  need_shell fish
  run fish_complete_at "rt-oci create --b"
  assert_output "--bundle"
  run fish_complete_at "rt-oci exec --c"
  assert_output "$(printf '%s\n' --cap --console-socket --cwd)"
  run fish_complete_at "rt-run --netw"
  assert_output "--network"
  run fish_complete_at "rt-oci --log-format=j"
  assert_output "--log-format=json"
  run fish_complete_at "rt-repl kill -s TE"
  assert_output "TERM"
  run fish_complete_at "rt-exec --no-new-privs rt-unsh"
  assert_output "rt-unshare"
  mkdir -p "$BATS_TEST_TMPDIR/rootfs-a" "$BATS_TEST_TMPDIR/rootfs-b"
  run fish_complete_at "rt-run -f $BATS_TEST_TMPDIR/rootfs-"
  assert_output "$(printf '%s\n' "$BATS_TEST_TMPDIR/rootfs-a/" "$BATS_TEST_TMPDIR/rootfs-b/")"
  run rt-run -d --name comp-fish -f "$RT_ROOTFS" sleep 1000
  assert_success
  run fish_complete_at "rt-repl stop comp-f"
  assert_output "comp-fish"
  rt-repl rm -f comp-fish
}
