#!/bin/sh
# Where an rt-run start goes, phase by phase: the RT_LOG=debug JSON
# timeline every tool of the chain writes (common/log.hpp), over N runs of
# the container startup.sh measures (rt-run --rm --network none -m 64m
# --rootfs, /bin/true), back to back. The clock starts when the driver
# spawns rt-run (RT_CHAIN_T0 is set to that moment) and stops when rt-run
# has exited, so the phases add up to the whole start-to-exit time.
# Each step is the time since the step before it, in any process of the
# chain ("ends at the step named"); steps are medians over the runs, and
# a step that repeats (one per cgroup hierarchy, per device rule) is one
# line with its count. Then the same per link: rt-run's own preparation
# up to the chain's fork, each link from its exec to the next, the
# payload, and rt-run's end after the chain has exited.
# Logging is not free: measured at about 8 ms of a 36 ms start (JSON lines
# from every link), so compare phases with each other, not with startup.sh.
# BENCH_PHASE_ARGS adds rt-run options (e.g. --read-only: the root without
# a layer on disk, as startup.sh's rt-run --read-only line).
# BENCH_PHASE_SLEEP=SECONDS sleeps that long before each run, as
# startup.sh's "isolated" table does (0.05 there): which phase grows when
# the machine was idle before a start.
# Usage: bench/phases.sh BUILD_DIR   (a release build; make bench does it)
set -eu
. "$(dirname "$0")/lib.sh"
runs=${BENCH_PHASE_RUNS:-60}
bench_workdir phases "$1"

# As in startup.sh: state on a tmpfs as /run is, in a private mount
# namespace; the runs write their timelines to $work/log.N.
cat > "$work/run.sh" <<'RUN'
set -eu
mkdir -p "$work/run"
mount -t tmpfs -o mode=0755 rt-bench-phases "$work/run"
python3 - "$work" "$bin" "$rootfs" "$runs" "$args" "$pause" <<'PY'
import os, subprocess, sys, time
work, bin, rootfs, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
pause = float(sys.argv[6])
argv = [f"{bin}/rt-run", "--rm", *sys.argv[5].split(), "--network", "none", "-m", "64m", "--rootfs", rootfs, "/bin/true"]
env = dict(os.environ, RT_LOG="debug", RT_LOG_FORMAT="json")
for i in range(-5, runs):  # 5 warm-up runs
    with open(f"{work}/log.{max(i, 0)}", "wb") as err:
        if pause > 0:
            time.sleep(pause)
        t0 = time.monotonic_ns() // 1000
        env["RT_CHAIN_T0"] = str(t0)
        rc = subprocess.call(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        t1 = time.monotonic_ns() // 1000
        err.write(f'{{"tool":"rt-run","t_us":{t1 - t0},"msg":"(exited)","end":1}}\n'.encode())
    if rc != 0:
        sys.exit(f"bench phases: rt-run exited {rc}; its log: {work}/log.{max(i, 0)}")
PY
RUN
work=$work bin=$bin rootfs=$rootfs runs=$runs args=${BENCH_PHASE_ARGS:-} pause=${BENCH_PHASE_SLEEP:-0} unshare --mount --propagation private sh "$work/run.sh"

python3 - "$work" "$runs" "${BENCH_PHASE_ARGS:-}" "${BENCH_PHASE_SLEEP:-0}" <<'PY'
import json, re, statistics, sys
work, runs, args, pause = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])

def label(tool, msg):
    msg = re.sub(re.escape(work), "WORK", msg)
    msg = re.sub(r"[0-9a-f]{64}", "ID", msg)
    msg = re.sub(r"\b[0-9a-f]{12}\b", "ID", msg)
    msg = re.sub(r"/process_api/[0-9a-f]+", "", msg)
    msg = re.sub(r"\b\d+\b", "N", msg)
    return f"{tool}: {msg}"

steps, links, totals, order = {}, {}, [], {}
for i in range(runs):
    ev = []
    for line in open(f"{work}/log.{i}"):
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if "t_us" in j:
            ev.append((j["t_us"], j["tool"], j["msg"]))
    ev.sort(key=lambda e: e[0])
    # steps: time since the step before; a run of equal labels is one step
    prev, seen, merged = 0, {}, []
    for t, tool, msg in ev:
        l = label(tool, msg)
        if merged and merged[-1][0] == l:
            merged[-1][1] += t - prev
            merged[-1][2] += 1
        else:
            merged.append([l, t - prev, 1, tool, msg])
        prev = t
    for l, d, n, tool, msg in merged:
        k = seen.get(l, 0)
        seen[l] = k + 1
        key = (l if n == 1 else f"{l} (x{n})") + (f" #{k + 1}" if k else "")
        steps.setdefault(key, []).append(d / 1000)
        order.setdefault(key, len(order))
    # links: rt-run until it forks the chain, each link until it execs the
    # next (its last "exec ..." step: rt-mount also logs one when it opens
    # rt-exec as a read-only clone, before it mounts anything), the payload
    # until the chain has exited, rt-run after that
    last_exec = {tool: i for i, (t, tool, msg) in enumerate(ev) if msg.startswith("exec ")}
    execs = lambda name: lambda i, tool, m: tool == name and i == last_exec.get(name)
    bounds = [("rt-run: spawn, options, record, layer dirs, fork", lambda i, tool, m: tool == "rt-run" and m.startswith("started chain")),
              ("rt-cgroup: cgroup made, joined", execs("rt-cgroup")),
              ("rt-unshare: namespaces, fork", execs("rt-unshare")),
              ("rt-mount: the root", execs("rt-mount")),
              ("rt-exec: privileges, ready", execs("rt-exec")),
              ("payload, then the chain's exit (namespaces, cgroup)", lambda i, tool, m: tool == "rt-run" and m.startswith("container exited")),
              ("rt-run: after the chain (clean-up, exit)", lambda i, tool, m: m == "(exited)")]
    prev, b = 0, 0
    for i, (t, tool, msg) in enumerate(ev):
        if b < len(bounds) and bounds[b][1](i, tool, msg):
            links.setdefault(bounds[b][0], []).append((t - prev) / 1000)
            prev, b = t, b + 1
    totals.append(ev[-1][0] / 1000)

med = statistics.median
print()
how = f"each after {pause:g} s of sleep" if pause > 0 else "back to back"
print(f"rt-run --rm {args + ' ' if args else ''}--network none -m 64m --rootfs, /bin/true: {runs} runs {how}, medians")
print(f"  {'link':70} {'median':>8}")
for k, v in links.items():
    print(f"  {k:70} {med(v):6.2f}ms")
q = statistics.quantiles(totals, n=4)
print(f"  {'start to exit (quartiles ' + f'{q[0]:.2f}-{q[2]:.2f}ms)':70} {med(totals):6.2f}ms")
print()
print(f"  {'step (time since the step before, in any process)':86} {'median':>8}")
w = 86
for k in sorted(steps, key=order.get):
    v = steps[k]
    if len(v) < runs / 2:
        continue  # an occasional step (a retry): not a phase
    name = k if len(k) <= w else k[: w - 3] + "..."
    print(f"  {name:{w}} {med(v):6.2f}ms")
PY
