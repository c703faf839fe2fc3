#!/bin/sh
# make demo: a container from the embedded busybox rootfs, through rt-run.
# Usage: demo.sh BUILD_DIR
set -eu
build=$1
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }
echo "\$ rt-run --rm --hostname demo -f $build/rootfs -- /bin/sh -c '...'"
exec "$build/bin/rt-run" --rm --hostname demo -m 64m --pids-limit 64 -f "$build/rootfs" -- /bin/sh -c '
echo "hello from $(hostname), running as PID $$ in my own pid namespace"
echo "my /proc sees these processes:"; ps -o pid,user,args
echo "my root:"; ls /
echo "my capabilities: $(grep CapEff /proc/self/status)"
'
