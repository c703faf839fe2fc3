#!/bin/sh
# Container start-to-exit time of /bin/true from the busybox rootfs: rt-run,
# the hand-written rt chain, rt-oci, crun, runc (rt-oci, crun and runc on
# the same bundle), bubblewrap and util-linux unshare,
# side by side in one hyperfine run, as ratios to crun. Twice: back to back
# (hyperfine's default) and with 50 ms of quiet before each run, as
# containers usually start.
# Runtime state (RT_STATE, crun's and runc's --root) lives on a tmpfs, as
# /run does on a standard host (this VM's /run is on its ext4 disk); rt's
# writable layers stay on disk under RT_ROOT, as podman's do.
# Usage: bench/startup.sh BUILD_DIR   (a release build; make bench does it)
set -eu
. "$(dirname "$0")/lib.sh"
runs=${BENCH_RUNS:-200}
bench_workdir startup "$1"

# An OCI bundle for crun and runc: pid, net, ipc, uts, mount, cgroup namespaces and
# a 64 MiB memory limit in a cgroup nested below ours (relative path).
mkdir -p "$work/bundle"
(cd "$work/bundle" && crun spec)
python3 - "$work/bundle/config.json" "$rootfs" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["root"]["readonly"] = False
c["root"]["path"] = sys.argv[2]
c["linux"]["cgroupsPath"] = "bench-oci"
# a cgroup namespace too, as rt-run makes: the same six namespaces
if not any(n["type"] == "cgroup" for n in c["linux"]["namespaces"]):
    c["linux"]["namespaces"].append({"type": "cgroup"})
c["linux"].setdefault("resources", {})["memory"] = {"limit": 64 * 1024 * 1024}
json.dump(c, open(p, "w"))
PY

# Everything below runs in a private mount namespace: nothing the peers or
# rt mount can reach the host's table.
cat > "$work/run.sh" <<'RUN'
set -eu
mkdir -p "$work/run"
mount -t tmpfs -o mode=0755 rt-bench-run "$work/run"
# crun and runc refuse a hybrid host whose v2 tree holds a controller
# (hugetlb here): bind it to a v1 hierarchy for the run only. It returns to
# v2 when this namespace's mount goes away.
if grep -q . /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
  mkdir -p "$work/hugetlb"
  mount -t cgroup -o hugetlb rt-bench-hugetlb "$work/hugetlb" 2>/dev/null ||
    echo "bench: could not move hugetlb to a v1 hierarchy; crun and runc may refuse this host" >&2
fi
bench() {  # bench NAME [hyperfine options]: the seven commands side by side
  name=$1; shift
  hyperfine -N --warmup 10 --runs "$runs" "$@" --export-json "$work/$name.json" \
    -n "rt-run (cgroup+memory limit, overlay, 6 ns)" "$bin/rt-run --rm --network none -m 64m --rootfs $rootfs /bin/true" \
    -n "rt chain (5 ns, no cgroup)" "$bin/rt-unshare --pid --mount --uts --ipc --net -- $bin/rt-mount --rootfs $rootfs --defaults -- $bin/rt-exec -- /bin/true" \
    -n "rt-oci run (6 ns, cgroup+memory limit)" "$bin/rt-oci --root $work/run/rt-oci run -b $work/bundle bench-rt-oci" \
    -n "crun run (6 ns, cgroup+memory limit)" "crun --root $work/run/crun run -b $work/bundle bench-crun" \
    -n "runc run (6 ns, cgroup+memory limit)" "runc --root $work/run/runc run -b $work/bundle bench-runc" \
    -n "bwrap (4 ns)" "bwrap --unshare-pid --unshare-ipc --unshare-uts --unshare-net --bind $rootfs / --proc /proc --dev /dev /bin/true" \
    -n "unshare+chroot (4 ns)" "unshare --fork --pid --mount --uts --ipc --mount-proc=$rootfs/proc chroot $rootfs /bin/true"
}
bench back-to-back
# The kernel's RCU grace periods (cgroup moves, unmounts) are paid in full
# when nothing ran just before: the usual case for a container start.
bench isolated --prepare "sleep 0.05"
RUN
work=$work bin=$bin rootfs=$rootfs runs=$runs unshare --mount --propagation private sh "$work/run.sh"

for mode in back-to-back isolated; do ratios "$work/$mode.json" "$mode" crun; done
