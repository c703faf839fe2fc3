# Shared by the benchmarks: sourced (. "$(dirname "$0")/lib.sh"), never
# run on its own (bench/run.sh skips it).

# ratios JSON TITLE BASE [BASE...]: one line a command of a hyperfine
# --export-json file: its median, the standard deviation, and for each
# BASE its median as a ratio to the median of the first command whose name
# starts with BASE (2.00x: twice as long; "-" when no command is BASE, e.g.
# a peer that could not run).
ratios() {
  python3 - "$@" <<'PY'
import json, statistics, sys
path, title, bases = sys.argv[1], sys.argv[2], sys.argv[3:]
res = json.load(open(path))["results"]
med = {r["command"]: statistics.median(r["times"]) for r in res}
sd = {r["command"]: statistics.stdev(r["times"]) if len(r["times"]) > 1 else 0.0 for r in res}
base = {b: next((v for k, v in med.items() if k.startswith(b)), None) for b in bases}
cw = {b: max(len(b) + 3, 8) for b in bases}
w = max([len(title)] + [len(k) for k in med])
print()
print(f"{title:{w}} {'median':>10} {'±':>9}" + "".join(f" {'vs ' + b:>{cw[b]}}" for b in bases))
for k, v in med.items():
    cols = "".join(f" {(f'{v / base[b]:.2f}x' if base[b] else '-'):>{cw[b]}}" for b in bases)
    print(f"{k:{w}} {v * 1000:8.2f}ms {sd[k] * 1000:7.2f}ms{cols}")
PY
}

# rounds JSON BASE FOR: for a file of interleaved runs (each command in
# turn) that says how many "rounds" they fall into, one after the other:
# in each round, the median of each command whose name starts with FOR as
# a ratio to the median of the first whose name starts with BASE, then the
# lowest and highest of those ratios.
rounds() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, statistics, sys
path, base_name, for_name = sys.argv[1:4]
doc = json.load(open(path))
res = doc["results"]
n = doc.get("rounds", 1)
base = next(r for r in res if r["command"].startswith(base_name))
for r in res:
    if r is base or not r["command"].startswith(for_name):
        continue
    size = len(r["times"]) // n
    rs = [statistics.median(r["times"][i * size:(i + 1) * size]) / statistics.median(base["times"][i * size:(i + 1) * size])
          for i in range(n)]
    print(f"  {r['command'].split(' (')[0]} vs {base_name}, {n} rounds of {size} runs: "
          + " ".join(f"{x:.2f}x" for x in rs) + f" (from {min(rs):.2f}x to {max(rs):.2f}x)")
PY
}

# bench_workdir NAME BUILD_DIR: the set-up the container benchmarks share.
# Sets build (the absolute BUILD_DIR), bin (a copy of the build's bin dir
# in work, see below), work (a new
# /tmp/rt-bench-NAME.XXXXXX, removed on exit: a caller with more to undo
# sets its own trap after, removing it too) and rootfs (a copy of the
# build's busybox rootfs in work), and exports RT_STATE and RT_ROOT below
# work, so nothing of the host's stores is touched.
# The binaries run from a copy: a file just written by the linker execs
# slower than the same bytes written by cp (measured on the test VM, kernel
# 6.18, ext4: byte-identical copies of a release build's tools made each
# rt-run 7-12% faster, ~2 ms of CPU, in runs interleaved old/new; page
# faults counted the same). An installed rt (make install copies, and a
# reboot reads files back from disk) and the peers compared with (crun,
# runc, bwrap: installed) run as the copy does; two builds compared with
# each other must both be copies, or both not.
bench_workdir() {
  build=$(realpath "$2")
  work=$(mktemp -d "/tmp/rt-bench-$1.XXXXXX")
  trap 'rm -rf "$work"' EXIT INT TERM
  bin=$work/bin
  cp -a "$build/bin" "$bin"
  export RT_STATE="$work/run/rt" RT_ROOT="$work/store"
  rootfs=$work/rootfs
  cp -a "$build/rootfs" "$rootfs"
}

# bench_user_add USER FIRST: a throwaway normal user for the rootless
# benchmarks, with subordinate uids and gids FIRST..FIRST+65535 (unless it
# has some). bench_user_remove USER: what it left running (by pid), then it.
bench_user_add() {
  useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$1"
  grep -q "^$1:" /etc/subuid || usermod --add-subuids "$2-$(($2 + 65535))" "$1"
  grep -q "^$1:" /etc/subgid || usermod --add-subgids "$2-$(($2 + 65535))" "$1"
}
bench_user_remove() {
  for p in $(ps -o pid= -u "$1" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  userdel "$1" 2>/dev/null || true
}
