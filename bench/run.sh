#!/bin/sh
# make bench: run every benchmark in bench/ (or those named) against the
# release build. Usage: bench/run.sh BUILD_DIR [NAME...]   (NAME: startup, pull)
set -eu
build=$1; shift
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (namespaces, cgroups, mounts)" >&2; exit 1; }
cd "$(dirname "$0")"
if [ $# -eq 0 ]; then set -- $(ls *.sh | grep -v '^run.sh$' | sed 's/\.sh$//'); fi
rc=0
for b in "$@"; do
  [ -f "$b.sh" ] || { echo "bench: no benchmark '$b' (have: $(ls *.sh | grep -v run.sh | sed 's/\.sh$//' | tr '\n' ' '))" >&2; exit 1; }
  echo "=== $b ==="
  sh "./$b.sh" "$build" || rc=$?
done
exit $rc
