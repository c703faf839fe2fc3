#!/bin/sh
# Install what rt needs to build, test and benchmark (Debian packages only).
# Called by the Makefile when something is missing; safe to run again.
set -eu
PKGS="g++ make pkg-config
libboost-program-options-dev libboost-filesystem-dev libarchive-dev
libcurl4-openssl-dev nlohmann-json3-dev libssl-dev libseccomp-dev libedit-dev
libcap-dev libsystemd-dev systemd
containernetworking-plugins golang-github-containernetworking-plugin-dnsname dnsmasq-base iptables
bats bats-support bats-assert bats-file
busybox-static mandoc iproute2 util-linux procps psmisc tmux zsh fish
docker-registry skopeo umoci uidmap passt slirp4netns fuse-overlayfs curl jq python3 perl zstd openssl runc containerd
clang-format clang-tidy cppcheck doctest-dev"
BENCH_PKGS="hyperfine crun bubblewrap golang-go podman"
# make fuzz: libFuzzer comes with clang's runtime libraries
FUZZ_PKGS="clang-14 libclang-rt-14-dev"
# make deb / make deb-check: Debian's packaging tools (debian/)
DEB_PKGS="debhelper dpkg-dev fakeroot lintian"

want="$PKGS"
[ "${1:-}" = "--bench" ] && want="$PKGS $BENCH_PKGS"
[ "${1:-}" = "--fuzz" ] && want="$PKGS $FUZZ_PKGS"
[ "${1:-}" = "--deb" ] && want="$PKGS $DEB_PKGS"

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
  exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
