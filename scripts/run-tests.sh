#!/bin/sh
# Run the Bats suite inside a private mount namespace of its own, so that
# no mount made by a test (or by a bug in rt-mount) can reach the host's
# mount table, and a network namespace of its own, so that the suite's
# bridges, veths, firewall rules and servers are its own: two runs side by
# side do not see each other's (the leak checks compare before and after),
# and no test can reach beyond the machine.
# Usage: run-tests.sh BUILD_DIR [BATS_FILES...]
set -eu
build=$1; shift
if [ "${RT_SUITE_NAMESPACES:-}" != "$$" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "run-tests: the suite needs root (namespaces, cgroups, mounts)" >&2; exit 1; }
  # The sanitizer build (make asan) writes its reports here; each test checks
  # it (tests/bats/helpers.bash). Open to all: tests run tools as nobody too.
  if [ -n "${RT_SANITIZER_LOGS:-}" ]; then
    rm -rf "$RT_SANITIZER_LOGS"
    mkdir -p "$RT_SANITIZER_LOGS"
    chmod 1777 "$RT_SANITIZER_LOGS"
  fi
  # unshare execs this script again (the same pid), now inside.
  export RT_SUITE_NAMESPACES=$$
  exec unshare --mount --net --propagation private -- "$(realpath "$0")" "$build" "$@"
fi
unset RT_SUITE_NAMESPACES

# The network namespace: lo up, and a link holding default routes
# (documentation addresses, RFC 5737 and 3849) as a host's uplink would
# (pasta copies them): one end of a veth pair (the kernel may have no dummy
# driver) whose other end has no address, so what is sent there goes
# nowhere.
ip link set lo up
ip link add suite0 type veth peer name suite1
ip link set suite1 up
ip link set suite0 up
ip addr add 198.51.100.2/24 dev suite0
ip route add default via 198.51.100.1
ip addr add 2001:db8::2/64 dev suite0 nodad
ip -6 route add default via 2001:db8::1
# sysfs shows the network devices of the namespace that mounted it: a
# fresh one over /sys, with what was mounted on the old one (cgroups,
# tracing, ...) bound into it again.
sys=$(mktemp -d /tmp/rt-suite-sys.XXXXXX)
mount -t sysfs rt-suite-sysfs "$sys"
sys_id=$(awk '$5 == "/sys" {id = $1} END {print id}' /proc/self/mountinfo)
for m in $(awk -v p="$sys_id" '$2 == p {print $5}' /proc/self/mountinfo); do
  mount --rbind "$m" "$sys${m#/sys}"
done
# The old one goes (not left below: its cgroup mounts would still be in
# mountinfo, where rt-cgroup and systemd look).
umount -l /sys
mount --move "$sys" /sys
rmdir "$sys"

export RT_BIN="$build/bin" RT_ROOTFS="$build/rootfs" RT_BUILD="$build"
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then set -- tests/bats; fi
# And in a cgroup of its own, rt-suite-PID below ours on each hierarchy
# rt-cgroup uses by default (on a hybrid host the v1 ones: tests of the v2
# hierarchy expect the suite at its root), made by this build's rt-cgroup:
# the containers' groups and what a test's gc collects are below it, so a
# run beside this one neither sees nor collects them (setup_suite.bash's
# leak check skips other suites' groups). This shell stays outside to
# remove it after (a remove from inside would kill itself).
# Where a v1 devices hierarchy holds this shell, the suite's group is made
# there too (allowing what its parent allows), or the containers' device
# groups would sit beside every other run's.
export RT_SUITE_CGROUP="rt-suite-$$"
# A run ended by SIGKILL cannot remove its group (any other signal is
# trapped below): an rt-suite-PID whose run is gone is removed here, deepest
# first, if nothing runs in it any more (rmdir refuses a group that holds a
# process, and what holds one is left as it is).
for g in $(find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name 'rt-suite-[0-9]*' 2>/dev/null); do
  [ ! -e "/proc/${g##*/rt-suite-}" ] || continue
  find "$g" -depth -type d -exec rmdir {} + 2>/dev/null || true
done
status=0
# Interrupted (Ctrl-C, a TERM or HUP to the run), this shell still removes
# the suite's group once bats has ended: the signal sets the status instead
# of ending the shell before the remove below.
trap 'status=130' INT
trap 'status=143' TERM
trap 'status=129' HUP
devices=
if grep -q '^[0-9]*:devices:' /proc/self/cgroup; then devices=yes; fi
"$RT_BIN/rt-cgroup" --no-wait --name "suite-$$" ${devices:+--device-rule "allow a"} -- \
  bats --print-output-on-failure ${BATS_FLAGS:-} "$@" || { rc=$?; [ "$status" -ne 0 ] || status=$rc; }
"$RT_BIN/rt-cgroup" --remove "suite-$$" >/dev/null || status=1
exit "$status"
