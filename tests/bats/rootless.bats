#!/usr/bin/env bats
# Rootless: a normal user (rootless.bash) runs containers with rt-run and
# manages them with rt-repl.

load helpers
load registry
load rootless

teardown() {
  [ -z "${HOST_SERVER:-}" ] || { kill "$HOST_SERVER" 2>/dev/null; wait "$HOST_SERVER" 2>/dev/null || true; }
  rootless_teardown
  deleg_cleanup
}

@test "rootless rt-run from a directory: root inside, the user's subordinate ids for the rest, stores in the user's dirs" {
  run --separate-stderr as_user rt-run --name c1 --rootfs "$RL/rootfs" -- sh -c '
    id -u; cat /proc/self/uid_map /proc/self/gid_map; touch /owned; chown 5:7 /owned; stat -c "%u:%g" /owned /bin/sh'
  assert_success
  [ "$stderr" = "" ]
  assert_line --index 0 "0"
  assert_line --regexp "^ +0 +$RL_UID +1\$"
  assert_line --regexp "^ +1 +$RL_SUBUID +65536\$"
  assert_line --regexp "^ +0 +$RL_GID +1\$"
  assert_line --regexp "^ +1 +$RL_SUBGID +65536\$"
  assert_line "5:7"
  assert_line "0:0"  # the user's own files are root's inside
  # state under XDG_RUNTIME_DIR/rt, the writable layer under ~/.local/share/rt,
  # the file chowned inside is the user's subordinate id outside
  id=$(as_user rt-repl ps -aq --no-trunc)
  [ -f "$RL/run/rt/containers/$id/state.json" ]
  [ "$(stat -c %u:%g "$RL/home/.local/share/rt/containers/$id/owned")" = "$((RL_SUBUID + 4)):$((RL_SUBGID + 6))" ]
  run as_user rt-repl rm c1
  assert_success
  [ ! -e "$RL/home/.local/share/rt/containers/$id" ] && [ ! -e "$RL/home/.local/share/rt/containers/$id.work" ]
  [ ! -e "$RL/run/rt/containers/$id" ]
}

@test "rootless rt-run: the user namespace is made and mapped ahead, joined by the chain through an fd not passed on; a map writer that fails is one line of rt-run's, and nothing is left" {
  run as_user rt-run -d --network none --name ahead --rootfs "$RL/rootfs" -- sleep 60
  assert_success
  pid=$(jq -r .pid "$RL/run/rt/containers/$output/state.json")
  parent=$(cut -d' ' -f4 "/proc/$pid/stat")
  # rt-unshare joined the namespace rt-run made (fd 8), and kept no fd of it
  [[ "$(tr '\0' ' ' < "/proc/$parent/cmdline")" == *"/rt-unshare --join user=/proc/self/fd/8 --pid "* ]]
  [ -z "$(find "/proc/$parent/fd" "/proc/$pid/fd" -lname 'user:*')" ]
  [ "$(readlink "/proc/$parent/ns/user")" = "$(readlink "/proc/$pid/ns/user")" ]
  [[ "$(cat "/proc/$pid/uid_map")" =~ \ +1\ +$RL_SUBUID\ +65536 ]]
  [[ "$(cat "/proc/$pid/gid_map")" =~ \ +1\ +$RL_SUBGID\ +65536 ]]
  run as_user rt-repl rm -f ahead
  assert_success
  nothing_left
  end_userns_cache  # (else the next run joins its namespace)
  # newuidmap and newgidmap without their setuid bit (copies) cannot map
  # the subordinate ids: the container does not start, in one line of
  # rt-run's after theirs, and neither a process nor a record is left
  mkdir "$RL/bin"
  cp /usr/bin/newuidmap /usr/bin/newgidmap "$RL/bin/"
  chmod 0755 "$RL/bin/newuidmap" "$RL/bin/newgidmap"
  run --separate-stderr as_user env PATH="$RL/bin:$RT_BIN:/usr/bin:/bin" rt-run --rm --network none --rootfs "$RL/rootfs" -- true
  assert_failure 125
  [[ "$stderr" == *"newuidmap: write to uid_map failed: Operation not permitted"* ]]
  [ "$(printf '%s\n' "$stderr" | grep -c '^rt-')" -eq 1 ]
  [[ "$(printf '%s\n' "$stderr" | tail -1)" =~ ^rt-run:\ newuidmap\ failed\ for\ pid\ [0-9]+\ \(check\ /etc/subuid\ and\ /etc/subgid\)$ ]]
  nothing_left
  [ -z "$(ls "$RL/run/rt/containers" 2>/dev/null)" ]
}

# newuidmap and newgidmap through wrappers in $RL/bin that count their
# calls in $RL/calls (the real, setuid, programs do the work).
count_map_tools() {
  mkdir -p "$RL/bin"
  local t
  for t in newuidmap newgidmap; do
    printf '#!/bin/sh\necho %s >> %s/calls\nexec /usr/bin/%s "$@"\n' "$t" "$RL" "$t" > "$RL/bin/$t"
    chmod 755 "$RL/bin/$t"
  done
  : > "$RL/calls"
  chown "$RL_UID" "$RL/calls"
}
as_user_counted() { as_user env PATH="$RL/bin:$RT_BIN:/usr/bin:/bin" "$@"; }
# PID has ended (init may not have reaped it yet).
process_gone() { ! ps -o stat= -p "$1" | grep -qv '^Z'; }

@test "rootless rt-run: the next container joins the user namespace the first one's holder keeps (the cache), with no newuidmap or newgidmap; the holder holds nothing of rt-run's and rt-repl info names it" {
  count_map_tools
  run as_user_counted rt-run --rm --network none --rootfs "$RL/rootfs" -- readlink /proc/self/ns/user
  assert_success
  first=$output
  [ "$(sort "$RL/calls" | tr '\n' ' ')" = "newgidmap newuidmap " ]
  holder=$(userns_cache_pids)
  [ -n "$holder" ]
  [ "$(wc -w <<<"$holder")" -eq 1 ]
  [ "$(readlink "/proc/$holder/ns/user")" = "$first" ]
  # a detached one and a foreground one: the same namespace, no more calls
  run as_user_counted rt-run -d --name warm --network none --rootfs "$RL/rootfs" -- sleep 60
  assert_success
  pid=$(jq -r .pid "$RL/run/rt/containers/$output/state.json")
  [ "$(readlink "/proc/$pid/ns/user")" = "$first" ]
  # (mapped already: the chain joins it and waits for no go-ahead)
  args=$(tr '\0' ' ' < "/proc/$(cut -d' ' -f4 "/proc/$pid/stat")/cmdline")
  [[ "$args" == *"/rt-unshare --join user=/proc/self/fd/8 --pid "* ]]
  [[ "$args" != *"--sync-fd"* ]]
  [[ "$(cat "/proc/$pid/uid_map")" =~ \ +1\ +$RL_SUBUID\ +65536 ]]
  run as_user_counted rt-run --rm --network none --rootfs "$RL/rootfs" -- sh -c 'readlink /proc/self/ns/user; id -u'
  assert_success
  assert_output "$first
0"
  [ "$(wc -l < "$RL/calls")" -eq 2 ]
  # each container keeps its own pid namespace: the holder (in the
  # host's) is out of their sight
  [ "$(readlink "/proc/$holder/ns/pid")" = "$(readlink /proc/self/ns/pid)" ]
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
  # the holder: stdio on /dev/null, no fd but its socket, signalfd,
  # directory and namespace; its own session; cwd /; not rt-run's child
  for fd in 0 1 2; do [ "$(readlink "/proc/$holder/fd/$fd")" = /dev/null ]; done
  fds=$(for f in /proc/$holder/fd/*; do readlink "$f"; done | LC_ALL=C sort | tr '\n' ' ')
  [[ "$fds" =~ ^/dev/null\ /dev/null\ /dev/null\ $RL/run/rt/userns\ anon_inode:\[signalfd\]\ socket:\[[0-9]+\]\ user:\[[0-9]+\]\ $ ]]
  [ "$(ps -o sid= -p "$holder" | tr -d ' ')" = "$holder" ]
  [ "$(readlink "/proc/$holder/cwd")" = / ]
  [ "$(ps -o args= -p "$holder")" = "rt-run: user namespace cache" ]
  [ "$(stat -c %a "$RL/run/rt/userns")" = 700 ]
  [ "$(readlink "$RL/run/rt/userns/current")" = "$holder.sock" ]
  run as_user rt-repl info --json
  assert_success
  [ "$(jq -r .userns_cache.pid <<<"$output")" = "$holder" ]
  run as_user rt-repl info
  assert_line "  Userns cache:  pid $holder ($RL/run/rt/userns)"
  as_user rt-repl rm -f warm
  nothing_left
  # ended by SIGTERM, it removes its socket and link; info says none
  end_userns_cache
  [ -z "$(ls "$RL/run/rt/userns")" ]
  run as_user rt-repl info --json
  [ "$(jq -r .userns_cache.pid <<<"$output")" = null ]
}

@test "rootless rt-run: a holder killed (SIGKILL) is replaced by the next run; one whose maps are no longer the user's (/etc/subuid changed) is not joined and told to go" {
  count_map_tools
  as_user_counted rt-run --rm --network none --rootfs "$RL/rootfs" -- true
  old=$(userns_cache_pids)
  [ -n "$old" ]
  kill -9 "$old"
  wait_until 100 userns_cache_gone
  run as_user_counted rt-run --rm --network none --rootfs "$RL/rootfs" -- readlink /proc/self/ns/user
  assert_success
  [ "$(wc -l < "$RL/calls")" -eq 4 ]
  new=$(userns_cache_pids)
  [ -n "$new" ]
  [ "$new" != "$old" ]
  [ "$output" = "$(readlink "/proc/$new/ns/user")" ]
  [ ! -e "$RL/run/rt/userns/$old.sock" ]
  [ "$(readlink "$RL/run/rt/userns/current")" = "$new.sock" ]
  # another subordinate uid range (usermod refuses to change a user with
  # processes, the holder: an /etc/subuid of the test's own, bound over
  # the host's in a mount namespace of the command's): the next run makes
  # a namespace with it
  sed "s/^$RL_USER:.*/$RL_USER:3100000:65536/" /etc/subuid > "$RL/subuid"
  stale=$(readlink "/proc/$new/ns/user")
  run unshare --mount --propagation private sh -c 'mount --bind "$1" /etc/subuid && shift && exec "$@"' sh "$RL/subuid" \
    setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups \
    env -i PATH="$RL/bin:$RT_BIN:/usr/bin:/bin" HOME="$RL/home" XDG_RUNTIME_DIR="$RL/run" \
    rt-run --rm --network none --rootfs "$RL/rootfs" -- sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map'
  assert_success
  assert_line --regexp "^ +1 +3100000 +65536\$"
  [ "${lines[0]}" != "$stale" ]
  [ "$(wc -l < "$RL/calls")" -eq 6 ]
  # the stale holder went (SIGTERM), the new namespace's is the cache
  wait_until 100 process_gone "$new"
  [ ! -e "$RL/run/rt/userns/$new.sock" ]
  newest=$(userns_cache_pids)
  [ -n "$newest" ]
  [ "$newest" != "$new" ]
  [ "${lines[0]}" = "$(readlink "/proc/$newest/ns/user")" ]
}

@test "rootless rt-run: the holder ends by itself after its idle time (RT_USERNS_CACHE_IDLE, for tests) and leaves no file; a bad value is refused before anything is made" {
  run --separate-stderr as_user env RT_LOG=debug RT_USERNS_CACHE_IDLE=1 rt-run --rm --network none --rootfs "$RL/rootfs" -- true
  assert_success
  [[ "$stderr" =~ uid/gid\ maps\ written\;\ pid\ ([0-9]+)\ keeps\ the\ namespace\ as\ the\ cache ]]
  holder=${BASH_REMATCH[1]}
  # (no timed assertion: it goes a second after its last connection)
  wait_until 100 process_gone "$holder"
  [ -z "$(ls "$RL/run/rt/userns")" ]
  run as_user env RT_USERNS_CACHE_IDLE=0 rt-run --rm --network none --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: invalid RT_USERNS_CACHE_IDLE '0': seconds from 1 to 3600"
  [ -z "$(ls "$RL/run/rt/containers")" ]
  [ -z "$(userns_cache_pids)" ]
}

@test "rootless rt-repl info names the holder without keeping it: asked over and over, it still ends after its idle time" {
  run --separate-stderr as_user env RT_LOG=debug RT_USERNS_CACHE_IDLE=2 rt-run --rm --network none --rootfs "$RL/rootfs" -- true
  assert_success
  [[ "$stderr" =~ uid/gid\ maps\ written\;\ pid\ ([0-9]+)\ keeps\ the\ namespace\ as\ the\ cache ]]
  holder=${BASH_REMATCH[1]}
  # (no timed assertion: asked every 0.3 s, a holder whose idle time each
  # question restarted would never end; this one ends 2 s after the join)
  n=0
  while ! process_gone "$holder"; do
    [ "$((n += 1))" -le 100 ] || { echo "the holder did not end while asked"; false; }
    pid=$(as_user rt-repl info --json | jq -r .userns_cache.pid)
    [ "$pid" = "$holder" ] || [ "$pid" = null ]
    sleep 0.3
  done
  [ -z "$(ls "$RL/run/rt/userns")" ]
  run as_user rt-repl info --json
  [ "$(jq -r .userns_cache.pid <<<"$output")" = null ]
}

@test "rootless rt-run: two first starts at once both run; the next one joins a cached namespace" {
  count_map_tools
  as_user_counted rt-run --rm --network none --rootfs "$RL/rootfs" -- readlink /proc/self/ns/user > "$RL/a" 2>&1 &
  a=$!
  as_user_counted rt-run --rm --network none --rootfs "$RL/rootfs" -- readlink /proc/self/ns/user > "$RL/b" 2>&1 &
  b=$!
  wait "$a"
  wait "$b"
  [[ "$(cat "$RL/a")" =~ ^user:\[[0-9]+\]$ ]]
  [[ "$(cat "$RL/b")" =~ ^user:\[[0-9]+\]$ ]]
  n=$(wc -l < "$RL/calls")
  holders=$(userns_cache_pids)
  [ -n "$holders" ]
  run as_user_counted rt-run --rm --network none --rootfs "$RL/rootfs" -- readlink /proc/self/ns/user
  assert_success
  [ "$(wc -l < "$RL/calls")" -eq "$n" ]
  linked=$(readlink "$RL/run/rt/userns/current")
  [ "$output" = "$(readlink "/proc/${linked%.sock}/ns/user")" ]
}

@test "rootless rt-run --network none: only lo; a bridge is refused before anything is made" {
  run as_user rt-run --rm --network none --rootfs "$RL/rootfs" -- sh -c 'ls /sys/class/net; cat /sys/class/net/lo/flags'
  assert_success
  assert_output "lo
0x9"
  run as_user rt-run --rm --network bridge --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: --network bridge needs root (rt-net's bridges and firewall rules); without root use --network pasta or slirp4netns (user-mode networking, the default where installed), none or host"
  [ ! -e "$RL/run/rt/containers" ] || [ -z "$(ls "$RL/run/rt/containers")" ]
}

# pasta and slirp4netns open /dev/net/tun, which distributions make 0666
# (udev's rule). Where this host's is not, the user's command runs in a
# mount namespace of its own where a node of the same device with that mode
# covers it: the host's stays as it is.
as_user_net() {
  [ -c /dev/net/tun ] || skip "no /dev/net/tun (the tun module is not loaded)"
  if [ "$(stat -c %a /dev/net/tun)" = 666 ]; then
    as_user "$@"
    return
  fi
  [ -c "$RL/tun" ] || mknod -m 666 "$RL/tun" c "$((0x$(stat -c %t /dev/net/tun)))" "$((0x$(stat -c %T /dev/net/tun)))"
  unshare --mount --propagation private sh -c 'mount --bind "$1" /dev/net/tun && shift && exec "$@"' sh "$RL/tun" \
    setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups \
    env -i PATH="$RT_BIN:/usr/bin:/bin" HOME="$RL/home" XDG_RUNTIME_DIR="$RL/run" "$@"
}

need_tool() {
  command -v "$1" >/dev/null || skip "$1 is not installed (Debian package $2)"
}

# A server on the host's 127.0.0.1 (stopped by pid in teardown), serving
# $RL/www; its port in HOST_PORT.
start_host_server() {
  mkdir -p "$RL/www"
  echo "reached the host's loopback" > "$RL/www/marker"
  HOST_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$HOST_PORT" --bind 127.0.0.1 --directory "$RL/www" >/dev/null 2>&1 3>&- &
  HOST_SERVER=$!
  served() { curl -sf -o /dev/null "http://127.0.0.1:$HOST_PORT/marker"; }
  wait_until 50 served
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# One user-mode network, TOOL (PACKAGE), whose gateway address is the
# host's loopback with :host-loopback (GATEWAY: how to find it inside).
user_network_test() {
  local tool=$1 gateway=$2
  start_host_server
  # outbound: with host-loopback, the gateway is the host's 127.0.0.1
  run --separate-stderr as_user_net rt-run --rm --network "$tool:host-loopback" --rootfs "$RL/rootfs" -- sh -c "
    ls /sys/class/net | tr '\n' ' '; echo
    wget -q -O - http://$gateway:$HOST_PORT/marker"
  assert_success
  assert_line --index 0 "eth0 lo "
  assert_line --index 1 "reached the host's loopback"
  nothing_left
  # without it, neither the gateway nor the container's own 127.0.0.1 is
  # the host's loopback (pasta's default would forward the host's ports there)
  run --separate-stderr as_user_net rt-run --rm --network "$tool" --rootfs "$RL/rootfs" -- sh -c "
    wget -q -T 3 -O - http://127.0.0.1:$HOST_PORT/marker || echo refused
    [ $tool = pasta ] || wget -q -T 3 -O - http://10.0.2.2:$HOST_PORT/marker || echo refused"
  assert_success
  refute_output --partial "reached"
  nothing_left
  # -p: a server in a detached container, reached on the host's 127.0.0.1
  local port
  port=$(free_port)
  run --separate-stderr as_user_net rt-run -d --name web --network "$tool" -p "127.0.0.1:$port:80" --rootfs "$RL/rootfs" -- \
    sh -c 'mkdir /www && echo "served from the container" > /www/index.html && exec httpd -f -p 80 -h /www'
  assert_success
  id=$output
  reached() { [ "$(curl -sf "http://127.0.0.1:$port/")" = "served from the container" ]; }
  wait_until 50 reached
  [ "$(as_user rt-repl ps --json | jq -r '.[0].ports | join(" ")')" = "127.0.0.1:$port->80/tcp" ]
  helper=$(jq -r .helper.pid "$RL/run/rt/netns/$id.json")
  [ "$(tr '\0' '\n' < "/proc/$helper/cmdline" | head -1)" = "$(command -v "$tool")" ]
  [ "$(stat -c %u /proc/$helper)" = "$RL_UID" ]
  # rm -f: the container, its helper and its record go
  run as_user rt-repl rm -f web
  assert_success
  # gone (or a zombie until init reaps it)
  [ ! -e "/proc/$helper" ] || [ "$(cut -d' ' -f3 "/proc/$helper/stat")" = Z ]
  nothing_left
  ! curl -sf -m 2 -o /dev/null "http://127.0.0.1:$port/"
}

@test "rootless --network pasta: outbound to the host's loopback only with :host-loopback, -p reaches the container, nothing left after rm -f" {
  need_tool pasta passt
  user_network_test pasta '$(ip route | awk "/^default/ {print \$3}")'
}

@test "rootless --network slirp4netns: outbound to the host's loopback only with :host-loopback, -p reaches the container, nothing left after rm -f" {
  need_tool slirp4netns slirp4netns
  user_network_test slirp4netns 10.0.2.2
}

# --add-host NAME:host-gateway on TOOL's network: the address the host has
# there (GATEWAY), through which a server on the host's 127.0.0.1 answers
# with :host-loopback.
host_gateway_test() {
  local tool=$1 gateway=$2
  start_host_server
  run --separate-stderr as_user_net rt-run --rm --network "$tool:host-loopback" --add-host hostgw:host-gateway \
    --rootfs "$RL/rootfs" -- sh -c "
      grep -w hostgw /etc/hosts; ip route | awk '/^default/ {print \$3}'; wget -q -O - http://hostgw:$HOST_PORT/marker"
  assert_success
  assert_line --index 0 --regexp "^${gateway//./\\.}[[:space:]]+hostgw\$"
  assert_line --index 1 "$gateway"
  assert_line --index 2 "reached the host's loopback"
  nothing_left
}

@test "rootless --add-host NAME:host-gateway on pasta: the gateway pasta copies from the host, which reaches the host's 127.0.0.1 with :host-loopback" {
  need_tool pasta passt
  host_gateway_test pasta "$(ip -4 route show default | awk '{print $3; exit}')"
}

@test "rootless --add-host NAME:host-gateway on slirp4netns: 10.0.2.2, which reaches the host's 127.0.0.1 with :host-loopback" {
  need_tool slirp4netns slirp4netns
  host_gateway_test slirp4netns 10.0.2.2
}

@test "root asking for a user-mode network is refused with the reason, before anything is made" {
  for net in pasta slirp4netns pasta:host-loopback; do
    run rt-run --rm --network "$net" --rootfs "$RL/rootfs" -- true
    assert_failure 125
    assert_output "rt-run: --network ${net%%:*} is for users without root: run by root, ${net%%:*} would handle the container's traffic with root's privileges on the host (use the bridge, root's default)"
  done
  [ -z "$(ls "$RT_STATE/containers" 2>/dev/null)" ]
}

@test "rootless default network: pasta where usable, else slirp4netns, else none; a network asked for without them names the packages" {
  need_tool pasta passt
  run --separate-stderr as_user_net rt-run --rm --rootfs "$RL/rootfs" -- ls /sys/class/net
  assert_success
  assert_output "eth0
lo"
  nothing_left
  # neither on PATH: none by default, and a port or a network asked for is refused before anything is made
  mkdir "$RL/bin"
  for t in rt-run rt-unshare rt-mount rt-exec rt-net newuidmap newgidmap; do ln -s "$(command -v $t)" "$RL/bin/$t"; done
  nopath() { as_user_net env PATH="$RL/bin" "$@"; }
  run --separate-stderr nopath rt-run --rm --rootfs "$RL/rootfs" -- ls /sys/class/net
  assert_success
  assert_output "lo"
  run nopath rt-run --rm -p 8080:80 --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: --publish and --publish-all need a network, and without root that is pasta or slirp4netns: pasta is not installed (Debian package passt); slirp4netns is not installed (Debian package slirp4netns)"
  run nopath rt-run --rm --network pasta --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: --network pasta: pasta is not installed (Debian package passt)"
  run nopath rt-run --rm --network slirp4netns:loopback --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: invalid --network 'slirp4netns:loopback' (slirp4netns takes one option: host-loopback)"
  [ -z "$(ls "$RL/run/rt/containers" 2>/dev/null)" ]
  nothing_left
}

@test "rootless rt-run --explain with a user-mode network: the printed pipeline runs as it is, and rt-net down leaves nothing" {
  need_tool pasta passt
  start_host_server
  port=$(free_port)
  run --separate-stderr as_user_net rt-run --explain --network pasta:host-loopback -p "127.0.0.1:$port:80" --rootfs "$RL/rootfs" -- \
    sh -c "wget -q -O - http://\$(ip route | awk '/^default/ {print \$3}'):$HOST_PORT/marker"
  assert_success
  assert_output --regexp "rt-net up --network pasta --host-loopback --publish 127.0.0.1:$port:80 --id [0-9a-f]+ \"/proc/\\\$pid/ns/net\""
  assert_output --regexp "rt-unshare --user .* --net .* --pid-fd 5 --sync-fd 3 "
  echo "$output" > "$RL/pipeline.sh"
  run --separate-stderr as_user_net sh "$RL/pipeline.sh"
  assert_success
  assert_output "reached the host's loopback"
  nothing_left
}

@test "rootless rt-run: a limit without a delegated cgroup is refused in one line that says why and what to change" {
  local remedy="rootless limits need cgroup v2 with a subtree delegated to you, e.g. systemd-run --user --scope -p Delegate=yes rt-run ...; or run as root, or without the limit"
  local why self
  # v1 alone has nothing to delegate; a v2 hierarchy (pure v2 or hybrid)
  # might, and this test's cgroup there is root's
  if [ "$(rt-repl info --json | jq -r .cgroup.mode)" = v1 ]; then
    why="this host's cgroups are v1, which delegate nothing to uid $RL_UID ($remedy)"
  else
    self=$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
    why="your cgroup $self is not delegated to uid $RL_UID (it belongs to uid 0; $remedy)"
  fi
  for opt in "--memory 64m" "--pids-limit 10" "--cpus 1" "--cgroup-parent x"; do
    # shellcheck disable=SC2086
    run as_user rt-run --rm $opt --rootfs "$RL/rootfs" -- true
    assert_failure 125
    assert_output "rt-run: ${opt% *} needs a cgroup, and a rootless container gets none here: $why"
  done
  [ ! -e "$RL/run/rt/containers" ] || [ -z "$(ls "$RL/run/rt/containers")" ]
  # without a limit it runs, with no cgroup of its own
  run as_user rt-run --rm --rootfs "$RL/rootfs" -- cat /proc/self/cgroup
  assert_success
  refute_output --partial "rt-"
}

@test "rootless rt-run: a delegated v2 cgroup (fake tree owned by the user) heads the chain with rt-cgroup; one of root's does not" {
  cg="$RL/cg"
  mkdir -p "$cg/user/.template"
  echo "cpu memory pids" > "$cg/cgroup.controllers"
  for f in cgroup.controllers cgroup.subtree_control cgroup.procs; do echo "cpu memory pids" > "$cg/user/$f"; done
  : > "$cg/user/cgroup.procs"
  for f in cgroup.controllers cgroup.subtree_control cgroup.procs cgroup.events memory.max pids.max cpu.max; do
    : > "$cg/user/.template/$f"
  done
  echo "0::/user" > "$RL/self"
  chown -R "$RL_UID:$RL_GID" "$cg/user"
  run as_user env RT_CGROUP_FS="$cg" RT_CGROUP_SELF="$RL/self" rt-run --explain --memory 64m --rootfs "$RL/rootfs" -- true
  assert_success
  assert_line --regexp "^$RT_BIN/rt-cgroup --name [0-9a-f]+ --memory 64m -- "
  assert_line --regexp "^  $RT_BIN/rt-unshare --user "
  chown -R 0:0 "$cg/user"
  run as_user env RT_CGROUP_FS="$cg" RT_CGROUP_SELF="$RL/self" rt-run --explain --memory 64m --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output --partial "rt-run: --memory needs a cgroup, and a rootless container gets none here: your cgroup /user is not delegated to uid $RL_UID (it belongs to uid 0; "
}

# A group of rt's on the host's v2 hierarchy (made by root; RT_CGROUP_UNIFIED
# on a hybrid host), and DELEG below it, delegated to the user as systemd's
# Delegate=yes does: the directory and its files the user's. UNI is where
# the v2 hierarchy is mounted. deleg_cleanup (also run by teardown) waits
# until nothing of the user's is in DELEG and removes both.
make_delegated_cgroup() {
  UNI=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
  [ -n "$UNI" ] || skip "no cgroup v2 hierarchy is mounted"
  RT_CGROUP_UNIFIED=1 rt-cgroup --no-wait --name "rl$$" -- true
  DELEG_BASE=$(RT_CGROUP_UNIFIED=1 rt-cgroup --list --json | jq -r --arg n "rl$$" '.[] | select(.name == $n) | .dirs[]' | grep "^$UNI/")
  [ -d "$DELEG_BASE" ]
  # A process of the test's holds the group's lock, as a supervisor would:
  # no gc (this suite's, or another's on the machine) takes it for a stale
  # group of rt's and removes it, DELEG with it, while it is empty.
  (exec 9<"$DELEG_BASE" && flock -x 9 && exec sleep 100000) 3>&- &
  DELEG_HOLD=$!
  base_locked() { ! flock -n -x "$DELEG_BASE" true; }
  wait_until 100 base_locked
  DELEG="$DELEG_BASE/deleg"
  mkdir "$DELEG"
  chown -R "$RL_UID:$RL_GID" "$DELEG"
}

# rt-run's supervisor stays in the leaf of rt's processes (DELEG/rt.run)
# until the container has ended and its group is gone (the chain's
# rt-cgroup moves into the container's group and execs on); the last of
# rt's processes out removes the leaf. Nothing of rt's: no process in DELEG,
# no group below it.
deleg_emptied() { [ -z "$(cat "$DELEG/cgroup.procs")" ] && [ -z "$(find "$DELEG" -mindepth 1 -type d)" ]; }

deleg_cleanup() {
  [ -n "${DELEG:-}" ] || return 0
  end_userns_cache  # a holder forked by rt-run sits where rt-run sat
  wait_until 100 deleg_emptied || true
  rmdir "$DELEG" 2>/dev/null || true
  kill "$DELEG_HOLD" 2>/dev/null || true
  wait "$DELEG_HOLD" 2>/dev/null || true
  RT_CGROUP_UNIFIED=1 rt-cgroup --remove "rl$$" || true
  DELEG=""
}

# The user's command, started in DELEG: this shell moves itself there,
# then becomes the user.
in_deleg() {
  sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$DELEG" \
    setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups \
    env -i PATH="$RT_BIN:/usr/bin:/bin" HOME="$RL/home" XDG_RUNTIME_DIR="$RL/run" "$@"
}

@test "rootless rt-run in a delegated v2 cgroup (made below a group of rt's on the host's v2 hierarchy): the container gets a group of its own there, with no device filter, removed after" {
  make_delegated_cgroup
  # what rt-run runs: rt-cgroup without --devices heads the chain (printed
  # as run by hand: from the caller's cgroup, rt-cgroup waiting)
  run in_deleg rt-run --explain --network none --rootfs "$RL/rootfs" -- sleep 60
  assert_success
  assert_line --regexp "^$RT_BIN/rt-cgroup --name [0-9a-f]+ -- "
  run in_deleg rt-run -d --name cg --network none --rootfs "$RL/rootfs" -- sleep 60
  assert_success
  id=$output
  pid=$(jq -r .pid "$RL/run/rt/containers/$id/state.json")
  sup=$(jq -r .supervisor "$RL/run/rt/containers/$id/state.json")
  cgline=$(grep '^0::' "/proc/$pid/cgroup")
  parent=$(cut -d' ' -f4 "/proc/$pid/stat")
  args=$(tr '\0' ' ' < "/proc/$parent/cmdline")
  grandparent=$(cut -d' ' -f4 "/proc/$parent/stat")
  dirs=$(ls "$DELEG")
  # the record names the group on the v2 hierarchy alone (the v1 ones are root's)
  [ "$(jq -r '.cgroup_paths | join(" ")' "$RL/run/rt/containers/$id/state.json")" = "0::${DELEG#"$UNI"}/rt-$id" ]
  holder=$(userns_cache_pids)
  holder_cg=$(grep '^0::' "/proc/$holder/cgroup")
  as_user rt-repl rm -f cg
  end_userns_cache
  wait_until 100 deleg_emptied
  base=$DELEG_BASE
  deleg_cleanup
  # the container's group is below the delegated one (rt-ID, its leaf), the
  # user's own; the chain's rt-cgroup became rt-unshare (nothing of it
  # waits between the supervisor and rt-unshare); all gone after
  [[ "$cgline" == "0::${DELEG_BASE#"$UNI"}/deleg/rt-$id/"* ]]
  [[ "$args" == *"/rt-unshare --join user=/proc/self/fd/8 --pid "* ]]
  [ "$grandparent" = "$sup" ]
  [[ "$dirs" == *"rt-$id"* ]]
  # the user namespace cache's holder, forked by rt-run, sits where rt-run
  # sat (in the delegated group or below it), never in the container's group
  [[ "$holder_cg" == "0::${DELEG_BASE#"$UNI"}/deleg"* && "$holder_cg" != *"/rt-$id"* ]]
  [ ! -d "$base" ]
  nothing_left
}

@test "rootless rt-run in a delegated v2 cgroup: rt-run and its supervisor move into the leaf rt.run, the container's group beside it; nothing of rt's is left after the container ends (foreground, detached and rm, --rm, gc after a kill -9 of the supervisor)" {
  make_delegated_cgroup
  leaf="$DELEG/rt.run"
  procs() { cat "$1/cgroup.procs"; }
  running() { [ "$(as_user rt-repl ps --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .status')" = running ]; }
  # foreground: rt-run (it supervises: its pid is the record's) is in the
  # leaf, not in DELEG
  in_deleg rt-run --name fg --network none --rootfs "$RL/rootfs" -- sleep 1000 >/dev/null 2>&1 3>&- &
  fgjob=$!
  wait_until 100 running fg
  id=$(as_user rt-repl ps -q --no-trunc)
  fg=$(jq -r .supervisor "$RL/run/rt/containers/$id/state.json")
  [ "$(tr '\0' ' ' < "/proc/$fg/cmdline")" = "rt-run --name fg --network none --rootfs $RL/rootfs -- sleep 1000 " ]
  [ "$(procs "$leaf" | grep -cx "$fg")" -eq 1 ]
  [ -z "$(procs "$DELEG")" ]
  # the user namespace cache's holder (born of this first run) is in the
  # leaf with it (the chain's rt-cgroup moved into the container's group
  # and exec'd on); the container in its own group beside the leaf
  pid=$(jq -r .pid "$RL/run/rt/containers/$id/state.json")
  [ "$(grep '^0::' "/proc/$pid/cgroup")" = "0::${DELEG#"$UNI"}/rt-$id/payload" ]
  holder=$(userns_cache_pids)
  [ "$(procs "$leaf" | grep -cx "$holder")" -eq 1 ]
  [ "$(procs "$leaf" | wc -l)" -eq 2 ]
  [ "$(ls -d "$DELEG"/*/ | sort | tr '\n' ' ')" = "$DELEG/rt-$id/ $DELEG/rt.run/ " ]
  [ "$(jq -r '.cgroup_paths | join(" ")' "$RL/run/rt/containers/$id/state.json")" = "0::${DELEG#"$UNI"}/rt-$id" ]
  as_user rt-repl stop -t 0 fg
  wait "$fgjob" || true
  # rt-run has gone: it left the leaf before it exited; the holder, the
  # last of rt's there, removes the leaf as it ends
  [ -z "$(procs "$DELEG")" ]
  [ "$(procs "$leaf")" = "$holder" ]
  end_userns_cache
  [ -z "$(procs "$DELEG")" ]
  [ -z "$(find "$DELEG" -mindepth 1 -type d)" ]
  as_user rt-repl rm fg
  # foreground --rm: the same
  run in_deleg rt-run --rm --network none --rootfs "$RL/rootfs" -- true
  assert_success
  end_userns_cache
  [ -z "$(procs "$DELEG")" ]
  [ -z "$(find "$DELEG" -mindepth 1 -type d)" ]
  # detached: the supervisor in the leaf, rt-run (gone) left it; rm: nothing left
  run in_deleg rt-run -d --name d1 --network none --rootfs "$RL/rootfs" -- sleep 1000
  assert_success
  id=$output
  sup=$(jq -r .supervisor "$RL/run/rt/containers/$id/state.json")
  [ "$(procs "$leaf" | grep -cx "$sup")" -eq 1 ]
  [ -z "$(procs "$DELEG")" ]
  [ -d "$DELEG/rt-$id" ]
  run as_user rt-repl rm -f d1
  assert_success
  end_userns_cache
  wait_until 100 deleg_emptied
  # detached --rm: gone once the container ends
  run in_deleg rt-run -d --rm --network none --rootfs "$RL/rootfs" -- sh -c 'sleep 0.5'
  assert_success
  id=$output
  end_userns_cache
  wait_until 100 deleg_emptied
  [ ! -e "$RL/run/rt/containers/$id" ]
  # the supervisor killed: the container stays in its group (no rt-cgroup
  # waits to remove it) until gc stops it and removes the group, then the
  # last of rt's out removes the leaf
  run in_deleg rt-run -d --name k --network none --rootfs "$RL/rootfs" -- sleep 1000
  assert_success
  id=$output
  sup=$(jq -r .supervisor "$RL/run/rt/containers/$id/state.json")
  kill -9 "$sup"
  gone() { ! grep -qx "$sup" "$leaf/cgroup.procs"; }
  wait_until 100 gone
  [ -d "$DELEG/rt-$id" ]
  run as_user rt-repl gc
  assert_success
  end_userns_cache
  wait_until 100 deleg_emptied
  [ "$(as_user rt-repl ps -a --json | jq -r '.[] | .name + " " + .status')" = "k exited" ]
  as_user rt-repl rm k
  deleg_cleanup
  nothing_left
}

@test "rootless rt-run --memory in a delegated v2 cgroup: rt-run enables the memory controller there from its leaf, and the kernel kills a memory hog at the limit" {
  make_delegated_cgroup
  grep -qw memory "$DELEG/cgroup.controllers" ||
    skip "no memory controller in this host's cgroup v2 hierarchy (its root's cgroup.controllers: $(cat "$UNI/cgroup.controllers"); memory is bound to cgroup v1 here), and a controller the root's cgroup.subtree_control does not enable cannot be enabled below rt's group (not even hugetlb, which the root has): a pure v2 host runs this"
  run --separate-stderr in_deleg rt-run --rm --memory 32m --memory-swap 32m --network none --rootfs "$RL/rootfs" -- sh -c '
    cat /proc/self/cgroup; awk "BEGIN { s = sprintf(\"%134217728s\", \"\"); print \"survived\" }"'
  assert_failure 137
  assert_line --index 0 "0::/"
  refute_output --partial survived
  # DELEG gave the controller back once rt-run was done
  [ -z "$(cat "$DELEG/cgroup.subtree_control")" ]
  [ -z "$(find "$DELEG" -mindepth 1 -type d)" ]
  deleg_cleanup
  nothing_left
}

@test "rootless rt-repl stats of a container in a delegated v2 cgroup without memory and pids controllers: the memory and threads of the processes in its own group" {
  make_delegated_cgroup
  # on this hybrid host the v2 hierarchy has neither controller (both are v1's)
  ! grep -qw -e memory -e pids "$DELEG/cgroup.controllers" || skip "the delegated group has a memory or pids controller: stats reads them"
  run in_deleg rt-run -d --name st --network none --rootfs "$RL/rootfs" -- sh -c '
    mkfifo /tmp/go; echo idle; read x < /tmp/go
    exec awk "BEGIN { s = sprintf(\"%33554432s\", \"\"); print \"big\"; fflush(); system(\"sleep 1000\") }"'
  assert_success
  id=$output
  group="$DELEG/rt-$id"
  logged() { as_user rt-repl logs st | grep -qx "$1"; }
  # the threads of the group, as the kernel lists them
  tasks() { find "$group" -name cgroup.threads -exec cat {} + | wc -l; }
  wait_until 100 logged idle
  run --separate-stderr as_user rt-repl stats --no-stream --json st
  assert_success
  idle=$output
  idle_tasks=$(tasks)
  # exec from outside the delegated subtree (this test's cgroup is root's):
  # cgroup v2 lets the user move nothing into the container's group from
  # here, so the command runs in the caller's, and says so
  run --separate-stderr as_user rt-repl exec st sh -c 'echo > /tmp/go; echo sent'
  assert_success
  assert_output "sent"
  [[ "$stderr" == "rt-repl: warning: exec: the command runs in your own cgroup, not the container's (cannot move process "[0-9]*" into $group/payload: Permission denied: a user may move a process only within the cgroup subtree delegated to them, and rt-repl runs outside it; run it from there to join)" ]]
  wait_until 100 logged big
  run --separate-stderr as_user rt-repl stats --no-stream --json st
  assert_success
  big=$output
  big_tasks=$(tasks)
  run --separate-stderr as_user rt-repl stats --no-stream st
  table=$output
  as_user rt-repl rm -f st
  deleg_cleanup
  # pids: the group's tasks (sh; then awk and its sleep); memory: under
  # 16 MiB idle (128 MiB in the sanitizer build, whose rt processes in the
  # group carry ASan's shadow memory), at least the 32 MiB string once awk
  # holds it
  local idle_max=16777216
  [ -z "${RT_SANITIZER_LOGS:-}" ] || idle_max=134217728
  jq -e --argjson n "$idle_tasks" --argjson max "$idle_max" '.[0] | .pids == $n and .pids >= 1 and .memory_usage > 0 and .memory_usage < $max and .memory_limit == null and .no_cgroup == null' <<<"$idle"
  jq -e --argjson n "$big_tasks" --argjson i "$idle_tasks" '.[0] | .pids == $n and .pids > $i and .memory_usage >= 33554432 and .memory_usage < 1073741824' <<<"$big"
  [[ "$(printf '%s\n' "$table" | sed -n 2p)" =~ ^[0-9a-f]{12}\ +st\ +[0-9.]+%\ +[0-9.]+MiB\ /\ [0-9.]+GiB\ +[0-9.]+%\ +.*\ $big_tasks$ ]]
  nothing_left
}

@test "rootless rt-run in a delegated v2 cgroup without the controller a limit needs: one line of rt-run's that says which and why, before anything is made" {
  make_delegated_cgroup
  ! grep -qw memory "$DELEG/cgroup.controllers" || skip "the delegated group has a memory controller"
  local why have
  for opt in "--memory 64m:memory" "--pids-limit 10:pids" "--cpus 1:cpu"; do
    local flag=${opt%:*} controller=${opt#*:}
    grep -qw "$controller" "$DELEG/cgroup.controllers" && continue
    have=$(cat "$DELEG/cgroup.controllers")
    why="your cgroup ${DELEG#"$UNI"} has no $controller controller (its cgroup.controllers: ${have:-none})"
    [ "$(rt-repl info --json | jq -r .cgroup.mode)" != hybrid ] || ! [ -d "/sys/fs/cgroup/$controller" ] ||
      why+=": this hybrid host binds $controller to cgroup v1, which delegates nothing"
    # shellcheck disable=SC2086
    run in_deleg rt-run --rm $flag --network none --rootfs "$RL/rootfs" -- true
    assert_failure 125
    assert_output "rt-run: ${flag% *} needs the $controller controller for the container's cgroup: $why (run as root, or without the limit)"
  done
  [ -z "$(ls -d "$DELEG"/rt-* 2>/dev/null)" ]
  [ ! -e "$RL/run/rt/containers" ] || [ -z "$(ls "$RL/run/rt/containers")" ]
  deleg_cleanup
  nothing_left
}

@test "rootless rt-run with a limit whose controller the delegated group has but does not enable (fake tree): rt-run moves into the leaf, enables it, the container's group gets the limit, and the group is given back as it was; another process in the group refuses the limit in one line" {
  # A fake tree (RT_CGROUP_FS): this host's v2 hierarchy has no controller
  # to enable (see the memory hog test). Its pids are plain words in files.
  cg="$RL/cg"
  mkdir -p "$cg/user" "$cg/.template"
  echo "memory pids" > "$cg/cgroup.controllers"
  echo "memory pids" > "$cg/user/cgroup.controllers"
  : > "$cg/user/cgroup.subtree_control"
  : > "$cg/user/cgroup.procs"
  for f in cgroup.controllers cgroup.subtree_control cgroup.procs cgroup.events memory.max memory.swap.max pids.max; do
    : > "$cg/.template/$f"
  done
  echo "0::/user" > "$RL/self"
  chown -R "$RL_UID:$RL_GID" "$cg/user"
  # The chain goes as far as rt-mount, which cannot mount a fake tree as
  # the container's /sys/fs/cgroup (nor read its files from inside): the
  # container does not start, but all of rt-run's and rt-cgroup's work in
  # the tree is done by then.
  local unmountable="rt-run: the container did not start (exit status 125)"
  fake() { as_user env RT_CGROUP_FS="$cg" RT_CGROUP_SELF="$RL/self" RT_LOG=debug "$@"; }
  run --separate-stderr fake rt-run --rm --memory 64m --pids-limit 20 --network none --rootfs "$RL/rootfs" -- true
  assert_failure 125
  [[ "$stderr" == *"$unmountable"* ]]
  # the order: into the leaf, the controllers enabled, the container's group
  # made beside the leaf with the limits, then the controllers given back
  # and the leaf removed
  steps=$(printf '%s\n' "$stderr" | grep -oE "(moved into|enabled|created|disabled|moved back into|removed the leaf) .*|set (memory|pids)\.max=[0-9]+" |
    sed -e "s|$cg||g" -e 's/rt-[0-9a-f]\{64\}/rt-ID/g')
  [ "$steps" = "created /user/rt.run
moved into /user/rt.run
enabled memory pids in /user
created /user/rt-ID
set memory.max=67108864
set pids.max=20
created /user/rt-ID/payload
disabled memory pids in /user
moved back into /user
removed the leaf /user/rt.run" ]
  [ -z "$(cat "$cg/user/cgroup.subtree_control")" ]
  [ -z "$(find "$cg/user" -mindepth 1 -type d -not -name .template)" ]
  # a process that is not rt's in the group: the limit is refused, nothing is made
  echo 4242 > "$cg/user/cgroup.procs"
  run as_user env RT_CGROUP_FS="$cg" RT_CGROUP_SELF="$RL/self" rt-run --rm --memory 64m --network none --rootfs "$RL/rootfs" -- true
  assert_failure 125
  assert_output "rt-run: --memory needs the memory controller for the container's cgroup: your cgroup /user has processes other than rt-run's in it (pids 4242), and cgroup v2 enables a controller for the groups below a group only while no process is in it (run rt-run in a scope of its own: systemd-run --user --scope -p Delegate=yes rt-run ...)"
  [ -z "$(find "$cg/user" -mindepth 1 -type d -not -name .template)" ]
  [ -z "$(cat "$cg/user/cgroup.subtree_control")" ]
  # without a limit: into the leaf and out again all the same
  run --separate-stderr fake rt-run --rm --network none --rootfs "$RL/rootfs" -- true
  assert_failure 125
  [[ "$stderr" == *"$unmountable"* ]]
  [[ "$stderr" == *"removed the leaf $cg/user/rt.run"* ]]
  [ -z "$(find "$cg/user" -mindepth 1 -type d -not -name .template)" ]
  nothing_left
}

@test "rootless rt-run without subordinate ids: a single-id map and one line saying what that limits" {
  usermod --del-subuids "$RL_SUBUID-$((RL_SUBUID + 65535))" "$RL_USER"
  run --separate-stderr as_user rt-run --rm --rootfs "$RL/rootfs" -- sh -c 'cat /proc/self/uid_map; chown 5 /etc/passwd || echo refused'
  usermod --add-subuids "$RL_SUBUID-$((RL_SUBUID + 65535))" "$RL_USER"
  assert_success
  assert_line --regexp "^ +0 +$RL_UID +1\$"
  assert_line "refused"
  [ "$(printf '%s\n' "$stderr" | grep -cv "Invalid argument")" -eq 1 ]
  [[ "$stderr" == *"rt-run: warn: no subordinate uids for $RL_USER in /etc/subuid: only root inside the container is mapped (to you): files of other owners show as nobody, and a container cannot become another user (as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $RL_USER)"* ]]
}

@test "rootless rt-run with subordinate uids but no gids: a single-id map for both and one line naming /etc/subgid" {
  usermod --del-subgids "$RL_SUBGID-$((RL_SUBGID + 65535))" "$RL_USER"
  run --separate-stderr as_user rt-run --rm --rootfs "$RL/rootfs" -- sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
  usermod --add-subgids "$RL_SUBGID-$((RL_SUBGID + 65535))" "$RL_USER"
  assert_success
  assert_output --regexp "^ +0 +$RL_UID +1
 +0 +$RL_GID +1\$"
  [ "$stderr" = "rt-run: warn: no subordinate gids for $RL_USER in /etc/subgid: only root inside the container is mapped (to you): files of other owners show as nobody, and a container cannot become another user (as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $RL_USER)" ]
  nothing_left
}

@test "rootless rt-run without newuidmap: a single-id map and one line naming the package" {
  run --separate-stderr setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups \
    env -i PATH="$RT_BIN" HOME="$RL/home" XDG_RUNTIME_DIR="$RL/run" rt-run --rm --rootfs "$RL/rootfs" -- cat /proc/self/uid_map
  assert_success
  assert_output --regexp "^ +0 +$RL_UID +1\$"
  [ "$stderr" = "rt-run: warn: newuidmap and newgidmap are not installed: only root inside the container is mapped (to you): files of other owners show as nobody, and a container cannot become another user (install the uidmap package)" ]
}

@test "rootless: user namespaces disabled (user.max_user_namespaces=0) is named, with the remedy" {
  # In a user namespace of root's own, the sysctl is that namespace's: the
  # host's stays as it is.
  run rt-unshare --user --uid-map 0:0:1 --uid-map "$RL_UID:$RL_UID:1" --gid-map 0:0:1 --gid-map "$RL_GID:$RL_GID:1" -- sh -c '
    echo 0 > /proc/sys/user/max_user_namespaces &&
    setpriv --reuid "$1" --regid "$2" --clear-groups env -i PATH="$3:/usr/bin:/bin" HOME="$4/home" XDG_RUNTIME_DIR="$4/run" sh -c "
      rt-run --rm --rootfs $4/rootfs -- true; echo rc=\$?
      rt-unshare --user --map-root-user -- true; echo rc=\$?"' sh "$RL_UID" "$RL_GID" "$RT_BIN" "$RL"
  assert_success
  assert_line --index 0 "rt-run: cannot run a container without root: user namespaces are disabled on this host (user.max_user_namespaces=0; as root: sysctl -w user.max_user_namespaces=15000)"
  assert_line --index 1 "rc=125"
  assert_line --index 2 "rt-unshare: cannot create new user namespaces (user namespaces are disabled on this host (user.max_user_namespaces=0; as root: sysctl -w user.max_user_namespaces=15000)): No space left on device"
  assert_line --index 3 "rc=125"
}

@test "rootless rt-repl: ps, logs, exec, stop and rm of the user's own detached container; root's are not seen" {
  run as_user rt-run -d --name web --rootfs "$RL/rootfs" -- sh -c 'echo started; trap "exit 0" TERM; while :; do sleep 0.1; done'
  assert_success
  [ "$(as_user rt-repl ps --json | jq -r '.[] | .name + " " + .status')" = "web running" ]
  logged() { as_user rt-repl logs web | grep -qx started; }
  wait_until 50 logged
  run as_user rt-repl exec web sh -c 'id -u; cat /proc/1/cmdline | tr "\0" " "; echo; cat /proc/self/uid_map'
  assert_success
  assert_line --index 0 "0"
  assert_line --index 1 --partial "sh -c echo started"
  assert_line --regexp "^ +1 +$RL_SUBUID +65536\$"
  # no cgroup here: stats says so, and shows no figures that look real
  run --separate-stderr as_user rt-repl stats --no-stream web
  assert_success
  [ "$stderr" = "rt-repl: web: no cgroup: it runs without one (rootless, on a host that delegates no cgroup to you), so its CPU, memory, pids and block I/O are not measured" ]
  assert_line --index 1 --regexp "^[0-9a-f]{12} +web +-- +-- +-- +"
  as_user rt-repl stats --no-stream --json web | jq -e '.[0] | .pids == null and .memory_usage == null and (.no_cgroup | startswith("no cgroup: "))'
  # root's store is another: the user's container is not in it, nor root's in the user's
  run rt-repl ps -aq
  assert_output ""
  run as_user rt-repl stop web
  assert_success
  [[ "$(as_user rt-repl ps -a --json | jq -r '.[] | .name + " " + .status_text')" == "web Exited (0) "* ]]
  run as_user rt-repl rm web
  assert_success
  run as_user rt-repl ps -aq
  assert_output ""
}

@test "rootless rt-pull and rt-run IMAGE: files of uids 0, 1000 and 65534 keep their owners inside; rmi and gc remove them" {
  push_owners_image owners:latest
  run --separate-stderr as_user rt-pull -q "$REGISTRY/owners"
  assert_success
  id=$output
  # the store is the user's; the files of uid 1000 are the user's subordinate id 999 on the host
  [ -d "$RL/home/.local/share/rt/blobs/sha256" ]
  layer=$(as_user rt-pull --inspect "$REGISTRY/owners" | jq -r '.layers[0]')
  [[ "$layer" == "$RL/home/.local/share/rt/"* ]]
  [ "$(stat -c %u:%g "$layer/data/user")" = "$((RL_SUBUID + 999)):$((RL_SUBGID + 999))" ]
  [ "$(stat -c %u "$layer/data/root")" = "$RL_UID" ]
  run as_user rt-run --rm "$REGISTRY/owners" sh -c 'stat -c "%n %u:%g" /data/root /data/user /data/nobody /data/udir/f'
  assert_success
  assert_line "/data/root 0:0"
  assert_line "/data/user 1000:1000"
  assert_line "/data/nobody 65534:65534"
  assert_line "/data/udir/f 1000:1000"
  # again in the user namespace that run left cached: the same owners
  holder=$(userns_cache_pids)
  [ -n "$holder" ]
  run as_user rt-run --rm "$REGISTRY/owners" sh -c 'readlink /proc/self/ns/user; stat -c "%n %u:%g" /data/root /data/user /data/nobody /data/udir/f'
  assert_success
  [ "${lines[0]}" = "$(readlink "/proc/$holder/ns/user")" ]
  assert_line "/data/root 0:0"
  assert_line "/data/user 1000:1000"
  assert_line "/data/nobody 65534:65534"
  assert_line "/data/udir/f 1000:1000"
  # a container's write to a directory uid 1000 owns, and removal of it all
  run as_user rt-run --name w "$REGISTRY/owners" sh -c 'mkdir -p /data/udir/x/y && touch /data/udir/x/y/z && chown -R 1000:1000 /data/udir/x && chmod 700 /data/udir/x'
  assert_success
  run as_user rt-repl rm w
  assert_success
  run as_user rt-repl info --json
  assert_success
  [ "$(jq -r .storage.driver <<<"$output")" = overlay ]
  [ "$(jq -r '.storage.uid_map[1]' <<<"$output")" = "1:$RL_SUBUID:65536" ]
  run as_user rt-repl rmi "$REGISTRY/owners"
  assert_success
  assert_line "Deleted: $id"
  run as_user rt-repl gc
  assert_success
  [ -z "$(ls "$RL/home/.local/share/rt/layers")" ]
  [ -z "$(find "$RL/home" -not -user "$RL_UID")" ]
}

@test "rootless rt-run IMAGE: a layered image's whiteouts are honoured in the user namespace's overlay" {
  registry_push_busybox rlayers:latest layers
  run as_user rt-run --rm "$REGISTRY/rlayers" sh -c 'ls /etc/motd 2>&1; ls /opt/dir /opt/new'
  assert_success
  assert_line --partial "/etc/motd: No such file or directory"
  refute_line "x"
  assert_line "y"
}
