#!/bin/sh
# Start-to-exit time of /bin/true on a bridge network: rt-run --network
# bridge (rt-net: CNI bridge, host-local, portmap, firewall) next to podman
# run --rm on podman's default network (CNI here), both from the busybox
# rootfs, and rt-run --network none for the network's own cost. Ratios to
# podman; the goal is rt-run with a bridge at 0.5x podman's or less.
# Then rt-net up and down alone, phase by phase (the namespace, each
# plugin's exec), from rt-net's RT_LOG=debug timeline: medians of N runs.
# Each side has a bridge and subnet of its own (rt: rtb0 on a free
# 10.87.N.0/24 in a private RT_CONFIG; podman: cni-podman0 on 10.88.0.0/16
# with its own root, runroot and tmpdir), removed after with what podman
# made under /var/lib/cni when this run made it.
# podman here: cgroupfs (no systemd), and --ulimit nofile/nproc 4096, as
# CAP_SYS_RESOURCE is withheld and the hard nofile limit is below podman's
# default (see tests/bats/podman.bats).
# Usage: bench/network.sh BUILD_DIR   (a release build; make bench does it)
set -eu
. "$(dirname "$0")/lib.sh"
runs=${BENCH_RUNS:-30}
command -v podman >/dev/null || { echo "bench network: podman is not installed (apt-get install podman)" >&2; exit 1; }
bench_workdir network "$1"
export RT_CONFIG=$work/config
had_podman_bridge=$(ip link show cni-podman0 >/dev/null 2>&1 && echo yes || true)
# podman's CNI state (its leases and result cache) goes under /var/lib/cni:
# what did not exist before goes after.
cni_made=""
for d in /var/lib/cni /var/lib/cni/networks /var/lib/cni/networks/podman /var/lib/cni/results; do
  [ -e "$d" ] || cni_made="$d $cni_made"
done
cleanup() {
  ip link del rtb0 2>/dev/null || true
  [ -n "$had_podman_bridge" ] || ip link del cni-podman0 2>/dev/null || true
  for d in $cni_made; do rm -rf "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
"$bin/rt-net" create bridge --bridge rtb0 >/dev/null

cat > "$work/run.sh" <<'RUN'
set -eu
pod="podman --root $work/pod/root --runroot $work/pod/run --tmpdir $work/pod/tmp --cgroup-manager cgroupfs --events-backend file"
peer="$pod run --rm --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --rootfs $rootfs /bin/true"
if ! err=$($peer 2>&1); then
  echo "bench network: podman cannot start a container here ($err); rt alone" >&2
  peer=""
fi
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/network.json" \
  -n "rt-run --network bridge" "$bin/rt-run --rm --network bridge --rootfs $rootfs /bin/true" \
  ${peer:+-n "podman run --rm (CNI)" "$peer"} \
  -n "rt-run --network none" "$bin/rt-run --rm --network none --rootfs $rootfs /bin/true"
# rt-net alone, with its timeline
i=0
while [ $i -lt "$runs" ]; do
  RT_LOG=debug "$bin/rt-net" up "b$i" 2>>"$work/up.log" >/dev/null
  RT_LOG=debug "$bin/rt-net" down "b$i" 2>>"$work/down.log"
  i=$((i + 1))
done
RUN
work=$work bin=$bin rootfs=$rootfs runs=$runs unshare --mount --propagation private sh "$work/run.sh"

ratios "$work/network.json" network podman

# "rt-net: debug: +T (DELTAus) WHAT": the time since the step before
python3 - "$work" <<'PY'
import re, sys, statistics
work = sys.argv[1]
for verb in ("up", "down"):
    steps = {}
    for line in open(f"{work}/{verb}.log"):
        m = re.match(r"rt-net: debug: \+\d+us \((\d+)us\) (.*)$", line)
        if not m:
            continue
        what = re.sub(r" (for|at) \S+$", "", m.group(2))
        what = re.sub(r"network namespace held", "namespace made", what)
        steps.setdefault(what, []).append(int(m.group(1)) / 1000)
    total = sum(statistics.median(v) for v in steps.values())
    print()
    print(f"rt-net {verb}: phase (each ends at the step named)  median")
    for what, v in steps.items():
        print(f"  {what:44} {statistics.median(v):7.2f}ms")
    print(f"  {'sum of medians':44} {total:7.2f}ms")
PY
