#!/bin/sh
# The opencontainers/runtime-tools validation suite against rt-oci, runc
# and crun, side by side: pass, fail and skip counts of its TAP output.
# Usage: scripts/oci-validate.sh RUNTIME_TOOLS_SOURCE BUILD_DIR [TEST...]
# The source is a checkout of github.com/opencontainers/runtime-tools
# (260e151 is the newest that builds offline with Debian's Go 1.19 from its
# vendored modules); it is built there, never copied into rt.
set -eu
src=$(realpath "$1"); build=$(realpath "$2"); shift 2
[ "$(id -u)" -eq 0 ] || { echo "oci-validate: run as root" >&2; exit 1; }
command -v go >/dev/null || { echo "oci-validate: needs go (Debian package golang-go)" >&2; exit 1; }
cd "$src"
GOFLAGS=-mod=vendor GOPROXY=off make runtimetest validation-executables >/dev/null
if [ $# -eq 0 ]; then set -- $(ls validation/*/*.t | sort); fi
out=$(mktemp -d /tmp/rt-oci-validate.XXXXXX)
trap 'rm -rf "$out"' EXIT INT TERM
# rt-oci with a --root of its own below $out, never the host's /run/rt-oci
# (the test suite fails when anything is left there).
printf "#!/bin/sh\nexec '%s' --root '%s' \"\$@\"\n" "$build/bin/rt-oci" "$out/rt-oci-root" > "$out/rt-oci"
chmod +x "$out/rt-oci"
printf '%-40s %8s %8s %8s\n' TEST rt-oci runc crun
[ -n "${KEEP_TAP:-}" ] && trap - EXIT && echo "TAP output in $out"
for t in "$@"; do
  name=$(basename "$t" .t)
  line=$(printf '%-40s' "$name")
  for rt in "$out/rt-oci" runc crun; do
    r=$(basename "$rt")
    # Each test in a private mount namespace, from the source directory
    # (the tests unpack its rootfs-ARCH.tar.gz into their bundles).
    # crun refuses a hybrid host whose v2 tree holds a controller (hugetlb
    # on this VM): for its runs, bind it to a v1 hierarchy mounted in that
    # namespace; it returns to v2 when the namespace goes away (as bench/startup.sh).
    move=
    if [ "$r" = crun ] && grep -q . /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
      move="mkdir -p $out/hugetlb && mount -t cgroup -o hugetlb rt-oci-validate-hugetlb $out/hugetlb;"
    fi
    rc=0
    (RUNTIME=$rt timeout 120 unshare --mount --propagation private sh -c "$move exec \"\$0\"" "$src/$t" \
      >"$out/$name.$r.tap" 2>&1) || rc=$?
    p=$(grep -c '^ok ' "$out/$name.$r.tap" || true)
    f=$(grep -c '^not ok ' "$out/$name.$r.tap" || true)
    # A test that fails without a "not ok" line (util.Fatal: e.g.
    # process_capabilities_fail, when the runtime ran a config it must
    # refuse, after the TAP of runtimetest inside) still failed: one more.
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    # One that exits 0 without any TAP (not even a plan) passed: the *_fail
    # tests (process_capabilities_fail, process_rlimits_fail) print nothing
    # when the runtime refused the config, as it must.
    if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && ! grep -q '^1\.\.' "$out/$name.$r.tap"; then p=1; fi
    echo "$name $r $p $f" >> "$out/counts"
    line="$line $(printf '%8s' "$p/$((p + f))")"
  done
  echo "$line"
done
echo
awk '{ p[$2] += $3; t[$2] += $3 + $4 } END { printf "%-40s %8s %8s %8s\n", "TOTAL (passed/run)", p["rt-oci"] "/" t["rt-oci"], p["runc"] "/" t["runc"], p["crun"] "/" t["crun"] }' "$out/counts"
