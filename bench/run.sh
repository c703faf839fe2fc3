#!/bin/sh
# make bench: run every benchmark in bench/ (or those named) against the
# release build. Usage: bench/run.sh BUILD_DIR [NAME...]   (NAME: startup, pull, network)
set -eu
build=$1; shift
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (namespaces, cgroups, mounts)" >&2; exit 1; }
cd "$(dirname "$0")"
# every NAME.sh but this one and lib.sh (sourced by the others)
benches=$(ls *.sh | grep -v '^run\.sh$' | grep -v '^lib\.sh$' | sed 's/\.sh$//' | tr '\n' ' ')
if [ $# -eq 0 ]; then set -- $benches; fi
rc=0
for b in "$@"; do
  case " $benches" in *" $b "*) ;; *) echo "bench: no benchmark '$b' (have: $benches)" >&2; exit 1 ;; esac
  echo "=== $b ==="
  sh "./$b.sh" "$build" || rc=$?
done
exit $rc
