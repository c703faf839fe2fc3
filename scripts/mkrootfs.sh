#!/bin/sh
# Build a small rootfs from busybox-static: the demo's and the tests' image.
# Usage: mkrootfs.sh DIR
set -eu
dir=$(realpath -m "$1")
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkrootfs: $bb not found (apt-get install busybox-static)" >&2; exit 1; }
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
cd "$dir.tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home/user var/tmp run
chmod 1777 tmp var/tmp
cp "$bb" bin/busybox
for app in $(bin/busybox --list-full); do
  [ "$app" = bin/busybox ] && continue
  mkdir -p "$(dirname "$app")"
  ln -sf /bin/busybox "$app"
done
cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > etc/group <<'G'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:user
user:x:1000:
audio:x:29:user
nogroup:x:65534:
G
echo rt > etc/hostname
chown 1000:1000 home/user
cd ..
rm -rf "$dir"
mv "$dir.tmp" "$dir"
