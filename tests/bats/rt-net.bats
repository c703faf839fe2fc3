#!/usr/bin/env bats
# rt-net: network namespaces through the CNI plugins. Each test has its own
# network (own name, own bridge) and removes its bridge, leases and
# namespaces; traffic stays on loopback and on the test's bridge.

bats_require_minimum_version 1.5.0
load helpers

setup() {
  rt_setup
  export RT_CONFIG="$BATS_TEST_TMPDIR/config"
  [ -x /usr/lib/cni/bridge ] || skip "no CNI plugins in /usr/lib/cni (Debian package containernetworking-plugins)"
  NET="rtt$$n$BATS_TEST_NUMBER"
  BR="rtt$$b$BATS_TEST_NUMBER"
  BG=()
}

teardown() {
  local p f
  for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for f in "$RT_STATE"/netns/*.json; do
    [ -f "$f" ] && rt-net down "$(basename "$f" .json)"
  done
  ip link del "$BR" 2>/dev/null || true
  rm -rf "$RT_STATE/cni-ipam/$NET"
  rt_teardown
}

bg() {
  "$@" 3>&- &
  BG+=($!)
}

# A network of the test's own on a free subnet.
make_net() {
  run rt-net create "$NET" --bridge "$BR" --disable-dns "$@"
  assert_success
  SUBNET=$(jq -r '.plugins[0].ipam.ranges[0][0].subnet' "$RT_CONFIG/networks/$NET.conflist")
  GW=$(jq -r '.plugins[0].ipam.ranges[0][0].gateway' "$RT_CONFIG/networks/$NET.conflist")
}

@test "rt-net up: a namespace held open with lo and eth0 on the bridge; a server on the bridge's host side answers; down leaves nothing" {
  make_net
  run rt-net up --network "$NET" c1
  assert_success
  ip=$(echo "$output" | jq -r '.ips[0]')
  [[ "$ip" == "${SUBNET%.*/*}."*/24 ]]
  assert_equal "$(echo "$output" | jq -r .netns)" "$RT_STATE/netns/c1"
  grep -q " $RT_STATE/netns/c1 " /proc/self/mountinfo
  run rt-unshare --join "net=$RT_STATE/netns/c1" -- ip -o -4 addr
  assert_success
  assert_line --regexp "^1: lo +inet 127\.0\.0\.1/8"
  assert_line --regexp "^[0-9]+: eth0 +inet ${ip%/*}/24"
  # one veth on the bridge, a lease named after the id
  run ls "/sys/class/net/$BR/brif"
  assert_equal "${#lines[@]}" 1
  grep -rq "^c1.\?\$" "$RT_STATE/cni-ipam/$NET"
  # a server on the host's side of the bridge, reached from inside
  mkdir -p "$BATS_TEST_TMPDIR/www" && echo hello-from-host > "$BATS_TEST_TMPDIR/www/index.html"
  bg busybox httpd -f -p "$GW:18080" -h "$BATS_TEST_TMPDIR/www"
  wait_until 30 sh -c "busybox wget -qO- http://$GW:18080/ >/dev/null"
  run rt-unshare --join "net=$RT_STATE/netns/c1" -- busybox wget -qO- "http://$GW:18080/"
  assert_success
  assert_output hello-from-host
  run rt-net show c1
  assert_success
  assert_equal "$(echo "$output" | jq -r .network)" "$NET"
  run rt-net down c1
  assert_success
  assert_net_gone c1 "$NET"
  # down again: nothing to do, no error
  run rt-net down c1
  assert_success
}

@test "rt-net up -p: a published port reaches a server inside, on 127.0.0.1 and on the bridge address; a chosen host port is recorded" {
  make_net
  run rt-net up --network "$NET" -p 127.0.0.1:18081:80 -p 8080 c2
  assert_success
  assert_equal "$(echo "$output" | jq -c '.ports[0]')" '{"hostPort":18081,"containerPort":80,"protocol":"tcp","hostIP":"127.0.0.1"}'
  chosen=$(echo "$output" | jq -r '.ports[1].hostPort')
  [ "$chosen" -gt 0 ]
  mkdir -p "$BATS_TEST_TMPDIR/www" && echo hello-from-inside > "$BATS_TEST_TMPDIR/www/index.html"
  bg rt-unshare --join "net=$RT_STATE/netns/c2" -- busybox httpd -f -p 80 -h "$BATS_TEST_TMPDIR/www"
  bg rt-unshare --join "net=$RT_STATE/netns/c2" -- busybox httpd -f -p 8080 -h "$BATS_TEST_TMPDIR/www"
  wait_until 50 sh -c "curl -sf http://127.0.0.1:18081/ >/dev/null"
  run curl -sf http://127.0.0.1:18081/
  assert_output hello-from-inside
  run curl -sf "http://$GW:$chosen/"
  assert_output hello-from-inside
  run curl -sf "http://127.0.0.1:$chosen/"
  assert_output hello-from-inside
  for p in "${BG[@]}"; do kill "$p"; wait "$p" || true; done
  BG=()
  run rt-net down c2
  assert_success
  assert_net_gone c2 "$NET"
}

@test "rt-net up --ip: the address asked for; two attachments get different addresses" {
  make_net
  want="${SUBNET%.*/*}.77"
  run rt-net up --network "$NET" --ip "$want" a1
  assert_success
  assert_equal "$(echo "$output" | jq -r '.ips[0]')" "$want/24"
  rt-net up --network "$NET" a2 > "$BATS_TEST_TMPDIR/a2" &
  rt-net up --network "$NET" a3 > "$BATS_TEST_TMPDIR/a3" &
  wait %1 && wait %2
  ip2=$(jq -r '.ips[0]' "$BATS_TEST_TMPDIR/a2"); ip3=$(jq -r '.ips[0]' "$BATS_TEST_TMPDIR/a3")
  [ -n "$ip2" ] && [ "$ip2" != "$ip3" ] && [ "$ip2" != "$want/24" ] && [ "$ip3" != "$want/24" ]
  # a2 reaches a3 across the bridge
  run rt-unshare --join "net=$RT_STATE/netns/a2" -- busybox ping -c1 -W2 "${ip3%/*}"
  assert_success
  run rt-net ls --json
  assert_equal "$(echo "$output" | jq -r ".[] | select(.name == \"$NET\") | .attached")" 3
  run rt-net rm "$NET"
  assert_failure
  assert_output --partial "is in use"
  for i in a1 a2 a3; do rt-net down "$i"; done
  for i in a1 a2 a3; do assert_net_gone "$i" "$NET"; done
  run rt-net rm "$NET"
  assert_success
}

@test "rt-net up NSPATH: attaches a namespace it did not make, and leaves it on down" {
  make_net
  bg rt-unshare --net -- sleep 30
  wait_until 30 sh -c "[ \"\$(readlink /proc/${BG[0]}/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
  run rt-net up --network "$NET" --id p1 "/proc/${BG[0]}/ns/net"
  assert_success
  run nsenter --net="/proc/${BG[0]}/ns/net" ip -o -4 addr show eth0
  assert_success
  run rt-net down p1
  assert_success
  assert_net_gone p1 "$NET"
  run nsenter --net="/proc/${BG[0]}/ns/net" ip -o link
  assert_success
  refute_output --partial eth0
}

@test "rt-net: the default network is written on first use, on a subnet no route of the host uses" {
  # The first rtN no device on this host has (a machine where rt already
  # runs has its rt0).
  local n=0 first next
  while [ -e "/sys/class/net/rt$n" ]; do n=$((n + 1)); done
  first=rt$n
  n=$((n + 1))
  while [ -e "/sys/class/net/rt$n" ]; do n=$((n + 1)); done
  next=rt$n
  run rt-net inspect bridge
  assert_success
  assert_equal "$(echo "$output" | jq -r .bridge)" "$first"
  subnet=$(echo "$output" | jq -r .subnet)
  [[ "$subnet" == 10.87.*.0/24 ]]
  run ip route show to match "${subnet%/*}"
  refute_output --partial "${subnet%.*/*}"
  [ -f "$RT_CONFIG/networks/bridge.conflist" ]
  # no device is made by that
  [ ! -e "/sys/class/net/$first" ]
  # a second network gets a different subnet and bridge
  run rt-net create other
  assert_success
  run rt-net inspect other
  refute_output --partial "\"subnet\": \"$subnet\""
  assert_equal "$(echo "$output" | jq -r .bridge)" "$next"
}

@test "rt-net up --etc-dir: hosts, hostname, resolv.conf from the result; host-gateway is the bridge's address; bad values refused first" {
  make_net
  mkdir "$BATS_TEST_TMPDIR/etc"
  run rt-net up --network "$NET" --etc-dir "$BATS_TEST_TMPDIR/etc" --hostname box --add-host gw:host-gateway --dns-search x.test e1
  assert_success
  ip=$(echo "$output" | jq -r '.ips[0]')
  run cat "$BATS_TEST_TMPDIR/etc/hosts"
  assert_line $'127.0.0.1\tlocalhost'
  assert_line "$GW"$'\tgw'
  assert_line --index $((${#lines[@]} - 1)) "${ip%/*}"$'\tbox'
  assert_equal "$(cat "$BATS_TEST_TMPDIR/etc/hostname")" box
  run cat "$BATS_TEST_TMPDIR/etc/resolv.conf"
  assert_line --index 0 "search x.test"
  assert_line --partial "nameserver "
  refute_line --partial "nameserver 127."
  run rt-net down e1
  assert_success
  assert_net_gone e1 "$NET"
  run rt-net up --network "$NET" --hostname box e2
  assert_equal "$status" 125
  assert_output --partial "go with --etc-dir"
  run rt-net up --network "$NET" --etc-dir "$BATS_TEST_TMPDIR/etc" --add-host "bad" e2
  assert_equal "$status" 125
  run rt-net up --network "$NET" --etc-dir "$BATS_TEST_TMPDIR/nosuch" e2
  assert_equal "$status" 125
  assert_output --partial "not a directory"
  refute [ -e "$RT_STATE/netns/e2" ]
}

@test "rt-net: a missing plugin, a bad option or an unknown network fail before anything is made" {
  make_net
  CNI_PATH="$BATS_TEST_TMPDIR/empty" run rt-net up --network "$NET" x1
  assert_equal "$status" 125
  assert_output "rt-net: CNI plugin 'bridge' not found in $BATS_TEST_TMPDIR/empty (install the Debian package containernetworking-plugins, or set CNI_PATH)"
  run rt-net up --network "$NET" -p 99999:80 x1
  assert_equal "$status" 125
  assert_output --partial "invalid --publish '99999:80'"
  run rt-net up --network nosuch x1
  assert_equal "$status" 125
  assert_output --partial "no network nosuch"
  run rt-net up --network "$NET" --ip 10.1.2 x1
  assert_equal "$status" 125
  run rt-net create "$NET"
  assert_equal "$status" 125
  assert_output --partial "exists already"
  # A subnet the machine routes already (the suite's uplink, run-tests.sh).
  local routed
  routed=$(ip -4 route show scope link | awk '{print $1; exit}')
  [ -n "$routed" ]
  run rt-net create n2 --subnet "$routed"
  assert_equal "$status" 125
  assert_output --partial "overlaps a route"
  run rt-net up --network "$NET" --subnet 10.0.0.0/24 x1
  assert_equal "$status" 125
  refute [ -e "$RT_STATE/netns/x1" ]
  refute [ -e "/sys/class/net/$BR" ]
}

@test "rt-net: a plugin failing in ADD is undone: no namespace, no lease" {
  make_net
  # an address outside the subnet: host-local refuses it after bridge made the veth
  run rt-net up --network "$NET" --ip 10.99.99.99 f1
  assert_equal "$status" 125
  assert_output --partial "CNI ADD of plugin bridge on network $NET"
  assert_net_gone f1 "$NET"
}

@test "rt-net --help lists what the man page documents" {
  check_help_matches_man rt-net "$BATS_TEST_DIRNAME/../../man/rt-net.1"
}
