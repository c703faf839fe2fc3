#!/bin/sh
# Container start-to-exit time of /bin/true from the busybox rootfs: rt-run,
# the hand-written rt chain, rt-oci, crun, runc (rt-oci, crun and runc on
# the same bundle), bubblewrap and util-linux unshare,
# side by side in one hyperfine run, as ratios to crun. Twice: back to back
# (hyperfine's default) and with 50 ms of quiet before each run, as
# containers usually start. Then rt-run, crun and crun + layer once
# more, interleaved in both modes (crun's own time drifts between
# hyperfine's blocks), with the ratio of each of 4 rounds.
# The root is not the same work everywhere, and each line says which:
# rt-run makes an overlay with a writable layer on disk (made before, and
# removed after, each run: --rm); rt-run --read-only an overlay whose layer
# (only the mount points the rootfs lacks) is a tmpfs, nothing on disk;
# crun, runc and rt-oci use the bundle's rootfs directory in place,
# writable (no layer: the container's writes would change it), and crun
# once more with the bundle's root.readonly (a read-only bind of it).
# "crun + layer" is crun on rt-run's work: bench/crun-layer.c makes a new
# upper and work directory on disk, mounts the same overlay (volatile) on
# the bundle's root, runs crun, then unmounts and removes them, as a
# caller such as podman does around its runtime. Every table gives each
# line's ratio to crun and to crun + layer.
# Runtime state (RT_STATE, crun's and runc's --root) lives on a tmpfs, as
# /run does on a standard host (this VM's /run is on its ext4 disk); rt's
# writable layers stay on disk under RT_ROOT, as podman's do. An extra
# table runs rt-run once more with RT_ROOT on a standard ext4 (a loop
# image), beside crun: how much of rt-run's time is this machine's disk.
# Usage: bench/startup.sh BUILD_DIR   (a release build; make bench does it)
set -eu
. "$(dirname "$0")/lib.sh"
runs=${BENCH_RUNS:-200}
bench_workdir startup "$1"

# An OCI bundle for crun and runc: pid, net, ipc, uts, mount, cgroup namespaces and
# a 64 MiB memory limit in a cgroup nested below ours (relative path).
mkdir -p "$work/bundle"
(cd "$work/bundle" && crun spec)
python3 - "$work/bundle/config.json" "$rootfs" "$work/bundle-ro" "$work/bundle-layer" "$work/layer-root" <<'PY'
import json, os, sys
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
# The same bundle with a read-only root (crun spec's default), in a
# cgroup of its own.
os.makedirs(sys.argv[3], exist_ok=True)
c["root"]["readonly"] = True
c["linux"]["cgroupsPath"] = "bench-oci-ro"
json.dump(c, open(sys.argv[3] + "/config.json", "w"))
# And one whose root is the overlay bench/crun-layer.c mounts for each
# run (writable, in a cgroup of its own).
os.makedirs(sys.argv[4], exist_ok=True)
c["root"]["readonly"] = False
c["root"]["path"] = sys.argv[5]
c["linux"]["cgroupsPath"] = "bench-oci-layer"
json.dump(c, open(sys.argv[4] + "/config.json", "w"))
PY
# crun on rt-run's work: a writable layer on disk, made and removed around
# each run by a small static program (bench/crun-layer.c) as a caller such
# as podman makes one.
mkdir -p "$work/crun-layers" "$work/layer-root"
cc -O2 -static -o "$work/crun-layer" "$(dirname "$0")/crun-layer.c" 2>/dev/null ||
  cc -O2 -o "$work/crun-layer" "$(dirname "$0")/crun-layer.c"

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
bench() {  # bench NAME [hyperfine options]: the ten commands side by side
  name=$1; shift
  hyperfine -N --warmup 10 --runs "$runs" "$@" --export-json "$work/$name.json" \
    -n "rt-run (6 ns, cgroup+memory limit; overlay, writable layer on disk)" "$bin/rt-run --rm --network none -m 64m --rootfs $rootfs /bin/true" \
    -n "rt-run --read-only (6 ns, cgroup+memory limit; overlay, layer in memory)" "$bin/rt-run --rm --read-only --network none -m 64m --rootfs $rootfs /bin/true" \
    -n "rt chain (5 ns, no cgroup; bind of the rootfs)" "$bin/rt-unshare --pid --mount --uts --ipc --net -- $bin/rt-mount --rootfs $rootfs --defaults -- $bin/rt-exec -- /bin/true" \
    -n "rt-oci run (6 ns, cgroup+memory limit; rootfs dir, writable)" "$bin/rt-oci --root $work/run/rt-oci run -b $work/bundle bench-rt-oci" \
    -n "crun run (6 ns, cgroup+memory limit; rootfs dir, writable)" "crun --root $work/run/crun run -b $work/bundle bench-crun" \
    -n "crun + layer (6 ns, cgroup+memory limit; overlay, writable layer on disk: crun-layer.c)" "$work/crun-layer $work/crun-layers $rootfs $work/layer-root crun --root $work/run/crun run -b $work/bundle-layer bench-crun-layer" \
    -n "crun run, read-only root (6 ns, cgroup+memory limit; rootfs dir)" "crun --root $work/run/crun run -b $work/bundle-ro bench-crun-ro" \
    -n "runc run (6 ns, cgroup+memory limit; rootfs dir, writable)" "runc --root $work/run/runc run -b $work/bundle bench-runc" \
    -n "bwrap (4 ns)" "bwrap --unshare-pid --unshare-ipc --unshare-uts --unshare-net --bind $rootfs / --proc /proc --dev /dev /bin/true" \
    -n "unshare+chroot (4 ns)" "unshare --fork --pid --mount --uts --ipc --mount-proc=$rootfs/proc chroot $rootfs /bin/true"
}
bench back-to-back
# The kernel's RCU grace periods (cgroup moves, unmounts) are paid in full
# when nothing ran just before: the usual case for a container start.
bench isolated --prepare "sleep 0.05"
# hyperfine runs each command's runs in one block, and crun's own median
# moves by 15-40% between blocks minutes apart on the test VM: the default
# rt-run, crun and crun + layer once more, interleaved so that all see the
# same moments of the machine. Back to back in short blocks (each round one block of
# each, in a random order): an untimed run, then 5 timed ones, so that
# every timed run follows a run of its own kind, as in a batch of them
# (run by run, each would pay for the other's leftovers: crun's teardown
# slowed the rt-run after it more than rt-run's slowed crun, 0.73x against
# hyperfine's 0.68x in the same benchmark run). Isolated run by run, with
# the same 50 ms of quiet before each start. The runs fall into 4 rounds,
# one after the other, and each round's ratio is printed too: how far the
# ratio itself moves within one benchmark run. Timed from Python's spawn
# to the exit: the same spawn cost for each (it pulls the ratios slightly
# towards 1.00x).
python3 - "$work" "$bin" "$rootfs" "$runs" <<'PY'
import json, random, subprocess, sys, time
work, bin, rootfs, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cmds = {
    "rt-run (6 ns, cgroup+memory limit; overlay, writable layer on disk)":
        [f"{bin}/rt-run", "--rm", "--network", "none", "-m", "64m", "--rootfs", rootfs, "/bin/true"],
    "crun run (6 ns, cgroup+memory limit; rootfs dir, writable)":
        ["crun", "--root", f"{work}/run/crun", "run", "-b", f"{work}/bundle", "bench-crun"],
    "crun + layer (6 ns, cgroup+memory limit; overlay, writable layer on disk: crun-layer.c)":
        [f"{work}/crun-layer", f"{work}/crun-layers", rootfs, f"{work}/layer-root",
         "crun", "--root", f"{work}/run/crun", "run", "-b", f"{work}/bundle-layer", "bench-crun-layer"],
}
def timed(k, pause):
    if pause:
        time.sleep(pause)
    t0 = time.monotonic()
    rc = subprocess.call(cmds[k], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.monotonic()
    if rc != 0:
        sys.exit(f"bench: {k} exited {rc}")
    return t1 - t0
for name, pause, block in (("interleaved", 0.0, 5), ("interleaved-isolated", 0.05, 1)):
    times = {k: [] for k in cmds}
    warm = 10 // block  # warm-up rounds: 10 runs of each
    for i in range(warm + runs // block):
        order = list(cmds)
        random.shuffle(order)
        for k in order:
            if block > 1:
                timed(k, pause)  # the block's first run follows another kind: not timed
            for _ in range(block):
                t = timed(k, pause)
                if i >= warm:
                    times[k].append(t)
    json.dump({"rounds": 4, "results": [{"command": k, "times": v} for k, v in times.items()]},
              open(f"{work}/{name}.json", "w"))
PY
# An extra line, not in place of the above: rt-run with its writable layers
# on a standard ext4 (a new loop image, mkfs.ext4's and mount's defaults:
# a journal, no discard), beside crun for the ratio. The test VMs' root file
# system (the RT_ROOT above) has no journal and is mounted with discard:
# each directory a removal frees waits for the disk. The difference between
# this line and the first is that disk.
truncate -s 256M "$work/ext4.img"
if mkfs.ext4 -q -F "$work/ext4.img" 2>/dev/null && mkdir -p "$work/ext4" && mount -o loop "$work/ext4.img" "$work/ext4"; then
  RT_ROOT=$work/ext4/store hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/ext4-layer.json" \
    -n "rt-run, RT_ROOT on a standard ext4 (loop image: journal, no discard)" "$bin/rt-run --rm --network none -m 64m --rootfs $rootfs /bin/true" \
    -n "crun run (6 ns, cgroup+memory limit; rootfs dir, writable)" "crun --root $work/run/crun run -b $work/bundle bench-crun"
  umount "$work/ext4"
else
  echo "bench: no loop-mounted ext4 here; the standard-ext4 line is left out" >&2
fi
rm -f "$work/ext4.img"
RUN
work=$work bin=$bin rootfs=$rootfs runs=$runs unshare --mount --propagation private sh "$work/run.sh"

for mode in back-to-back isolated; do ratios "$work/$mode.json" "$mode" crun "crun + layer"; done
ratios "$work/interleaved.json" "back-to-back, interleaved in blocks of 5 runs" crun "crun + layer"
rounds "$work/interleaved.json" crun rt-run
rounds "$work/interleaved.json" "crun + layer" rt-run
ratios "$work/interleaved-isolated.json" "isolated, interleaved run by run" crun "crun + layer"
rounds "$work/interleaved-isolated.json" crun rt-run
rounds "$work/interleaved-isolated.json" "crun + layer" rt-run
[ ! -f "$work/ext4-layer.json" ] || ratios "$work/ext4-layer.json" "back-to-back, layer on a standard ext4" crun
