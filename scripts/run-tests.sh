#!/bin/sh
# Run the Bats suite inside a private mount namespace of its own, so that
# no mount made by a test (or by a bug in rt-mount) can reach the host's
# mount table. Usage: run-tests.sh BUILD_DIR [BATS_FILES...]
set -eu
build=$1; shift
[ "$(id -u)" -eq 0 ] || { echo "run-tests: the suite needs root (namespaces, cgroups, mounts)" >&2; exit 1; }
export RT_BIN="$build/bin" RT_ROOTFS="$build/rootfs" RT_BUILD="$build"
# The sanitizer build (make asan) writes its reports here; each test checks
# it (tests/bats/helpers.bash). Open to all: tests run tools as nobody too.
if [ -n "${RT_SANITIZER_LOGS:-}" ]; then
  rm -rf "$RT_SANITIZER_LOGS"
  mkdir -p "$RT_SANITIZER_LOGS"
  chmod 1777 "$RT_SANITIZER_LOGS"
fi
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then set -- tests/bats; fi
exec unshare --mount --propagation private -- \
  bats --print-output-on-failure ${BATS_FLAGS:-} "$@"
