#!/usr/bin/env bats
# rt-run on a bridge network: the default for root, published ports,
# container:NAME, and teardown on every way a container ends. Each test's
# "bridge" network has a bridge of its own, removed after; traffic stays on
# loopback and on that bridge.

bats_require_minimum_version 1.5.0
load helpers

setup() {
  rt_setup
  unset RT_NETWORK
  [ -x /usr/lib/cni/bridge ] || skip "no CNI plugins in /usr/lib/cni (Debian package containernetworking-plugins)"
  R="$RT_ROOTFS"
  BR="rtt$$r$BATS_TEST_NUMBER"
  run rt-net create bridge --bridge "$BR"
  assert_success
  GW=$(jq -r '.plugins[0].ipam.ranges[0][0].gateway' "$RT_CONFIG/networks/bridge.conflist")
}

teardown() {
  rt_stop_leftovers
  local f
  for f in "$RT_STATE"/netns/*.json; do [ -f "$f" ] && rt-net down "$(basename "$f" .json)"; done
  ip link del "$BR" 2>/dev/null || true
  if [ -n "${NB:-}" ]; then
    for f in "$RT_STATE"/cni-dnsname/containers/cni/dnsname/*/pidfile; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    iptables -D INPUT -i "$NB" -p udp -m udp --dport 53 -j ACCEPT 2>/dev/null || true
    ip link del "$NB" 2>/dev/null || true
  fi
  rt_teardown
}

state() { jq -r "$2" "$RT_STATE/containers/$1/state.json"; }

@test "rt-run: root's default network is a bridge: eth0 with an address, a default route, the host side reachable" {
  mkdir -p "$BATS_TEST_TMPDIR/www" && echo hello-host > "$BATS_TEST_TMPDIR/www/index.html"
  # the bridge (and its address) exists once a container is on it: listen
  # on every address
  busybox httpd -f -p 18090 -h "$BATS_TEST_TMPDIR/www" 3>&- &
  srv=$!
  run rt-run --rm -f "$R" sh -c "ip -o -4 addr show eth0; ip route; wget -qO- http://$GW:18090/"
  kill "$srv"; wait "$srv" || true
  assert_success
  assert_line --regexp "^[0-9]+: eth0 +inet ${GW%.*}\.[0-9]+/24"
  assert_line "default via $GW dev eth0 "
  assert_line hello-host
  run sh -c "ls $RT_STATE/netns 2>/dev/null"
  assert_output ""
}

@test "rt-run -p: a server inside is reached on 127.0.0.1 and on the bridge address; ports in ps and inspect; rm -f leaves nothing" {
  id=$(rt-run -d -f "$R" -p 127.0.0.1:18091:80 -p 8080 httpd -f -p 80 -h /etc)
  wait_until 50 sh -c "curl -sf http://127.0.0.1:18091/hostname >/dev/null"
  # /etc/hostname is the container's (the image's says "rt")
  run curl -sf http://127.0.0.1:18091/hostname
  assert_output "${id:0:12}"
  assert_equal "$(state "$id" '.ports[0]')" "127.0.0.1:18091->80/tcp"
  chosen=$(state "$id" '.ports[1]' | sed -E 's/^0\.0\.0\.0:([0-9]+)->8080\/tcp$/\1/')
  [ "$chosen" -gt 0 ]
  [ "$(state "$id" .network)" = bridge ]
  run rt-repl inspect "$id"
  assert_output --partial "127.0.0.1:18091->80/tcp"
  run rt-repl ps
  assert_line --index 1 --partial "127.0.0.1:18091->80/tcp, 0.0.0.0:$chosen->8080/tcp"
  run rt-repl port "$id"
  assert_line --index 0 "80/tcp -> 127.0.0.1:18091"
  assert_line --index 1 "8080/tcp -> 0.0.0.0:$chosen"
  run rt-repl rm -f "$id"
  assert_success
  assert_net_gone "$id"
}

@test "rt-run --network container:NAME shares the namespace; ns:PATH joins one" {
  id=$(rt-run -d --name netowner -f "$R" sleep 30)
  ip=$(state "$id" '.ips[0]')
  run rt-run --rm --network container:netowner -f "$R" ip -o -4 addr show eth0
  assert_success
  assert_output --partial "inet $ip"
  run rt-run --rm --network "ns:$RT_STATE/netns/$id" -f "$R" ip -o -4 addr show eth0
  assert_success
  assert_output --partial "inet $ip"
  run rt-run --rm --network container:nosuch -f "$R" true
  assert_equal "$status" 125
  run rt-repl stop -t 1 "$id"
  assert_success
  assert_net_gone "$id"
}

@test "rt-run: the network is torn down on exit, stop, kill, a SIGKILLed supervisor with gc, and a failed start" {
  # exit (foreground, no --rm)
  run rt-run -f "$R" true
  assert_success
  assert_net_gone "$(ls "$RT_STATE/containers")"
  # kill
  id=$(rt-run -d -f "$R" sleep 30)
  rt-repl kill "$id"
  wait_until 50 sh -c "[ \"\$(jq -r .status $RT_STATE/containers/$id/state.json)\" = exited ]"
  assert_net_gone "$id"
  # a SIGKILLed supervisor, then gc
  id=$(rt-run -d -f "$R" sleep 30)
  [ -e "$RT_STATE/netns/$id" ]
  kill -9 "$(state "$id" .supervisor)"
  sleep 0.2
  run rt-repl gc
  assert_success
  assert_net_gone "$id"
  # a command that cannot run
  run -127 rt-run -f "$R" /nonexistent
  assert_equal "$status" 127
  for c in "$RT_STATE"/containers/*; do assert_net_gone "$(basename "$c")"; done
  # a network that does not exist: refused, nothing recorded
  run rt-run --rm --network nosuch -f "$R" true
  assert_equal "$status" 125
  assert_output --partial "no network nosuch"
  run sh -c "ls $RT_STATE/netns 2>/dev/null"
  assert_output ""
}

@test "rt-run: two containers started at once get different addresses; --ip asks for one" {
  want="${GW%.*}.99"
  rt-run --rm -f "$R" ip -o -4 addr show eth0 > "$BATS_TEST_TMPDIR/1" &
  rt-run --rm -f "$R" ip -o -4 addr show eth0 > "$BATS_TEST_TMPDIR/2" &
  run rt-run --rm --ip "$want" -f "$R" ip -o -4 addr show eth0
  wait %1 && wait %2
  assert_output --partial "inet $want/24"
  a=$(grep -o 'inet [0-9.]*' "$BATS_TEST_TMPDIR/1"); b=$(grep -o 'inet [0-9.]*' "$BATS_TEST_TMPDIR/2")
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]
}

@test "rt-run: --ip and -p need a bridge network; none keeps lo only" {
  run rt-run --rm --network none -p 80 -f "$R" true
  assert_equal "$status" 125
  assert_output --partial "need a bridge network"
  run rt-run --rm --network none -f "$R" ip -o link
  assert_success
  assert_equal "${#lines[@]}" 1
  run rt-run --rm -p 99999 -f "$R" true
  assert_equal "$status" 125
  run sh -c "ls $RT_STATE/netns 2>/dev/null"
  assert_output ""
}

@test "rt-run --explain: rt-net up, the chain joining its namespace, rt-net down" {
  run rt-run --explain -p 8080:80 -f "$R" true
  assert_success
  # lines 0 and 1 are the notes on rt-cgroup --no-wait and rt-unshare
  # --hand-over, 2 the mkdir
  assert_line --index 3 --regexp "rt-net up --network bridge --publish 8080:80 --etc-dir $RT_STATE/containers/([0-9a-f]{64}) --hostname [0-9a-f]{12} [0-9a-f]{64} >/dev/null && "
  assert_output --regexp "rt-mount .*--bind $RT_STATE/containers/[0-9a-f]{64}/hosts:/etc/hosts --bind [^ ]*/hostname:/etc/hostname --bind [^ ]*/resolv.conf:/etc/resolv.conf"
  assert_output --regexp "rt-unshare .*--join net=$RT_STATE/netns/[0-9a-f]{64}"
  assert_output --regexp "rt-net down [0-9a-f]{64}"
}

@test "rt-repl network create/ls/inspect/rm, and run --network NAME on it" {
  run rt-repl network create "tn$$" --bridge "${BR}n" --internal --disable-dns
  assert_success
  run rt-repl network ls
  assert_success
  assert_output --regexp "tn$$ +10\.87\.[0-9]+\.0/24 +${BR}n +0"
  run rt-run --rm --network "tn$$" -f "$R" ip route
  assert_success
  refute_output --partial default
  run rt-repl network inspect "tn$$"
  assert_success
  assert_equal "$(echo "$output" | jq -r .bridge)" "${BR}n"
  run rt-repl network up x
  assert_equal "$status" 125
  run rt-repl network rm "tn$$"
  assert_success
  ip link del "${BR}n"
}

# The rootfs with files of its own in /etc, to see they are covered, never
# changed.
etc_rootfs() {
  E=$(rootfs_copy)
  echo "image-hosts" > "$E/etc/hosts"
  echo "nameserver 192.0.2.99 # image" > "$E/etc/resolv.conf"
  sum=$(cat "$E/etc/hosts" "$E/etc/hostname" "$E/etc/resolv.conf" | md5sum)
}

@test "rt-run: /etc/hosts, /etc/hostname, /etc/resolv.conf of the container's own on a bridge; --add-host, host-gateway; the image's files unchanged" {
  etc_rootfs
  id=$(rt-run -d -h web --add-host db:192.0.2.7 --add-host gw:host-gateway --add-host v6:::1 -f "$E" sleep 30)
  ip=$(state "$id" '.ips[0]'); ip=${ip%/*}
  run rt-repl exec "$id" cat /etc/hosts
  assert_success
  assert_line --index 0 --regexp $'^127\\.0\\.0\\.1\tlocalhost$'
  assert_line --regexp $'^::1\tlocalhost'
  assert_line $'192.0.2.7\tdb'
  assert_line $'::1\tv6'
  assert_line "$GW"$'\tgw'
  assert_line --index $((${#lines[@]} - 1)) "$ip"$'\tweb'
  refute_output --partial image-hosts
  run rt-repl exec "$id" sh -c 'cat /etc/hostname; hostname; ping -c1 -W2 web >/dev/null && echo web-resolves; ping -c1 -W2 gw >/dev/null && echo gw-answers'
  assert_output $'web\nweb\nweb-resolves\ngw-answers'
  # the host's name servers (none on loopback here, or they would be dropped)
  run rt-repl exec "$id" cat /etc/resolv.conf
  for ns in $(awk '$1 == "nameserver" && $2 !~ /^127\.|:/ {print $2}' /etc/resolv.conf); do
    assert_line "nameserver $ns"
  done
  refute_output --regexp "nameserver (127\.|.*:)"
  # the files live in the container's state directory, and go with it
  [ -f "$RT_STATE/containers/$id/hosts" ]
  rt-repl rm -f "$id"
  assert_net_gone "$id"
  [ ! -e "$RT_STATE/containers/$id" ]
  [ "$(cat "$E/etc/hosts" "$E/etc/hostname" "$E/etc/resolv.conf" | md5sum)" = "$sum" ]
}

@test "rt-run --dns, --dns-search, --dns-option make resolv.conf; a host with only a loopback name server gets docker's fallback, said" {
  run rt-run --rm --dns 192.0.2.53 --dns 192.0.2.54 --dns-search a.test --dns-search b.test --dns-option ndots:3 -f "$R" cat /etc/resolv.conf
  assert_success
  assert_output $'search a.test b.test\nnameserver 192.0.2.53\nnameserver 192.0.2.54\noptions ndots:3'
  run rt-run --rm --dns nonsense -f "$R" true
  assert_equal "$status" 125
  assert_output --partial "invalid --dns 'nonsense'"
  run rt-run --rm --add-host nocolon -f "$R" true
  assert_equal "$status" 125
  # the host's resolver on loopback only (a stub as systemd-resolved's):
  # the suite's own mount namespace, so the host is not touched
  printf 'search lan.test\nnameserver 127.0.0.53\noptions edns0\n' > "$BATS_TEST_TMPDIR/resolv.conf"
  mount --bind "$BATS_TEST_TMPDIR/resolv.conf" /etc/resolv.conf
  run rt-run --rm -f "$R" cat /etc/resolv.conf
  umount /etc/resolv.conf
  assert_success
  assert_line --index 0 --partial "names no name server the container can reach (127.0.0.53): using 8.8.8.8 and 8.8.4.4"
  assert_line --index 1 --partial "# rt: the host's resolv.conf names no name server"
  assert_line "search lan.test"
  assert_line "nameserver 8.8.8.8"
  assert_line "nameserver 8.8.4.4"
  assert_line "options edns0"
  refute_line "nameserver 127.0.0.53"
}

@test "rt-run: --network none gets hosts and hostname only, host the host's files, container:NAME the other's" {
  etc_rootfs
  run rt-run --rm --network none -h solo --add-host db:192.0.2.7 -f "$E" sh -c 'cat /etc/hosts /etc/hostname /etc/resolv.conf'
  assert_success
  assert_line $'192.0.2.7\tdb'
  assert_line solo
  assert_line "nameserver 192.0.2.99 # image"
  refute_output --partial image-hosts
  # a --volume on one of them wins
  echo custom-hosts > "$BATS_TEST_TMPDIR/hosts"
  run rt-run --rm --network none -h solo -v "$BATS_TEST_TMPDIR/hosts:/etc/hosts:ro" -f "$E" cat /etc/hosts /etc/hostname
  assert_success
  assert_output $'custom-hosts\nsolo'
  run rt-run --rm --network none --dns 192.0.2.53 -f "$E" true
  assert_equal "$status" 125
  run rt-run --rm --network none --add-host gw:host-gateway -f "$E" true
  assert_equal "$status" 125
  assert_output "rt-run: --add-host NAME:host-gateway needs a bridge network, pasta, slirp4netns or host, not --network none"
  run rt-run --rm --network host --add-host gw:host-gateway -f "$E" sh -c 'cat /etc/hosts; echo ===; cat /etc/resolv.conf'
  assert_success
  assert_output "$(cat /etc/hosts; printf '127.0.0.1\tgw\n===\n'; cat /etc/resolv.conf)"
  id=$(rt-run -d --name etcowner -h owner --add-host db:192.0.2.7 -f "$E" sleep 30)
  run rt-run --rm --network container:etcowner -f "$E" sh -c 'cat /etc/hosts /etc/hostname; hostname'
  assert_success
  assert_output "$(cat "$RT_STATE/containers/$id/hosts"; printf 'owner\nowner\n')"
  run rt-run --rm --network container:etcowner --add-host x:192.0.2.1 -f "$E" true
  assert_equal "$status" 125
  assert_output --partial "conflict with --network container:etcowner"
  rt-repl rm -f "$id"
  assert_net_gone "$id"
  [ "$(cat "$E/etc/hosts" "$E/etc/hostname" "$E/etc/resolv.conf" | md5sum)" = "$sum" ]
}

@test "rt-run: containers on a user network resolve each other by name (dnsname); the default bridge has no names; a name goes with its container" {
  [ -x /usr/lib/cni/dnsname ] || skip "no dnsname CNI plugin (Debian package golang-github-containernetworking-plugin-dnsname)"
  command -v dnsmasq >/dev/null || skip "no dnsmasq in PATH (Debian package dnsmasq-base)"
  N="tdn$$"; NB="${BR}d"
  run rt-repl network create "$N" --bridge "$NB"
  assert_success
  [ "$(jq -r '.plugins[-1].type' "$RT_CONFIG/networks/$N.conflist")" = dnsname ]
  ngw=$(jq -r '.plugins[0].ipam.ranges[0][0].gateway' "$RT_CONFIG/networks/$N.conflist")
  a=$(rt-run -d --name "alpha$$" --network "$N" -f "$R" httpd -f -p 80 -h /etc)
  g=$(rt-run -d --name "gamma$$" --network "$N" -f "$R" sleep 60)
  # names only in dns.rt (dnsmasq answers them itself: nothing leaves the bridge)
  run rt-repl exec "$g" sh -c "cat /etc/resolv.conf; wget -qO- http://alpha$$/hostname; wget -qO- http://alpha$$.dns.rt/hostname"
  assert_success
  assert_line --index 0 --regexp "^search dns\.rt"
  assert_line --index 1 "nameserver $ngw"
  assert_line --index 2 "${a:0:12}"
  assert_line --index 3 "${a:0:12}"
  # the default bridge: no dnsname, the host's name servers
  refute grep -q dnsname "$RT_CONFIG/networks/bridge.conflist"
  run rt-run --rm -f "$R" cat /etc/resolv.conf
  refute_output --partial dns.rt
  # gone with its container (dnsmasq re-reads its hosts file on SIGHUP)
  rt-repl rm -f "$a"
  assert_net_gone "$a" "$N"
  wait_until 50 sh -c "! rt-repl exec $g ping -c1 -W1 alpha$$.dns.rt >/dev/null 2>&1"
  run rt-repl exec "$g" ping -c1 -W1 "alpha$$.dns.rt"
  assert_failure
  assert_output --partial "bad address"
  # after the last container, dnsmasq stops and its files go
  pid=$(cat "$RT_STATE/cni-dnsname/containers/cni/dnsname/$N/pidfile")
  rt-repl rm -f "$g"
  assert_net_gone "$g" "$N"
  refute [ -e "$RT_STATE/cni-dnsname/containers/cni/dnsname/$N" ]
  wait_until 30 sh -c "! kill -0 $pid 2>/dev/null"
  run rt-repl network rm "$N"
  assert_success
  # dnsname leaves an INPUT rule for DNS on the bridge (as the bridge stays)
  iptables -D INPUT -i "$NB" -p udp -m udp --dport 53 -j ACCEPT
  ip link del "$NB"
}

# Send $2 to UDP 127.0.0.1:$1 from a new socket; print the answer (1 s at
# most). One read(2) takes the whole datagram (bash's read would take one
# byte of it and lose the rest).
udp_ask() {
  local out rc
  exec 4<>"/dev/udp/127.0.0.1/$1" || return 1
  printf '%s\n' "$2" >&4
  out=$(timeout 1 dd bs=2048 count=1 status=none <&4)
  rc=$?
  exec 4>&-
  [ $rc -eq 0 ] && [ -n "$out" ] && printf '%s\n' "$out"
}

@test "rt-run -p HOST:CTR/udp: a UDP echo server inside answers on 127.0.0.1; the UDP rules go with the container" {
  command -v cc >/dev/null || skip "no C compiler (cc) to build tests/probes/udp-echo.c"
  E=$(rootfs_copy)
  cc -O2 -static -o "$E/udp-echo" "$BATS_TEST_DIRNAME/../probes/udp-echo.c"
  id=$(rt-run -d -f "$E" -p 127.0.0.1:18095:5353/udp /udp-echo 5353)
  assert_equal "$(state "$id" '.ports[0]')" "127.0.0.1:18095->5353/udp"
  # each try from a new socket (a new conntrack entry): the first may come
  # before the server is bound
  wait_until 30 udp_ask 18095 ping >/dev/null
  run udp_ask 18095 hello-udp
  assert_success
  assert_output "echo:hello-udp"
  # TCP on that port is not published
  run curl -s --max-time 2 http://127.0.0.1:18095/
  assert_failure
  rt-repl rm -f "$id"
  assert_net_gone "$id"
  run udp_ask 18095 again
  assert_failure
}

@test "rt-run: 50 containers started at once on one bridge: 50 distinct addresses, each reachable; nothing left after" {
  local i n=50
  for i in $(seq $n); do
    rt-run -d --name "par$i" -f "$R" sleep 120 > "$BATS_TEST_TMPDIR/id$i" 2> "$BATS_TEST_TMPDIR/err$i" &
  done
  wait
  for i in $(seq $n); do
    [ -s "$BATS_TEST_TMPDIR/id$i" ] || { cat "$BATS_TEST_TMPDIR/err$i" >&2; false; }
  done
  ids=$(cat "$BATS_TEST_TMPDIR"/id*)
  for id in $ids; do state "$id" '.ips[0]'; done | sed 's|/.*||' > "$BATS_TEST_TMPDIR/ips"
  assert_equal "$(sort -u "$BATS_TEST_TMPDIR/ips" | grep -c "^${GW%.*}\.")" "$n"
  run ls "/sys/class/net/$BR/brif"
  assert_equal "${#lines[@]}" "$n"
  # each answers from the host's side of the bridge
  for ip in $(cat "$BATS_TEST_TMPDIR/ips"); do
    busybox ping -c1 -W2 "$ip" >/dev/null || { echo "$ip does not answer" >&2; false; }
  done
  for id in $ids; do rt-repl rm -f "$id" >/dev/null & done
  wait
  for id in $ids; do assert_net_gone "$id"; done
  run ls "$RT_STATE/containers"
  assert_output ""
}
