#!/usr/bin/env bash
# Builds (once) a Debian 13 (trixie) root: the package set of current Raspberry Pi OS, with
# libgpiod 2.x, libmosquitto 2.0.21, libmodbus 3.1.11, mosquitto, socat and what the host's
# Swift toolchain needs to run inside it. Prints the root's path on its last line.
#
# Usage: scripts/debian13-root.sh [DIR]   (default: $IRONBRIDGE_DEBIAN13_ROOT or
#        /var/tmp/ironbridge-debian13-root). Needs root. A finished root is reused: a re-run
#        costs nothing; delete the folder to build it anew.
set -euo pipefail

root=${1:-${IRONBRIDGE_DEBIAN13_ROOT:-/var/tmp/ironbridge-debian13-root}}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Bump when the package list changes, so that cached roots are completed.
stamp_version=4
packages=(
  # the C libraries (libssl for Modbus over TLS) and the test peers
  pkg-config libgpiod-dev libmosquitto-dev libmodbus-dev libssl-dev mosquitto mosquitto-clients socat openssl
  # compiling and linking with the host's Swift toolchain
  libc6-dev libstdc++-14-dev gcc binutils git ca-certificates
  # shared libraries the toolchain (swift-frontend, swift-build, lldb parts) loads
  libncurses6 libxml2 libcurl4 libedit2 libsqlite3-0 libz3-4 libpython3.13 tzdata
)

if [ "$(id -u)" -ne 0 ]; then
  echo "debian13-root: needs root (debootstrap and chroot)" >&2
  exit 1
fi

stamp="$root/.ironbridge-root-ready"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_version" ]; then
  echo "debian13-root: reusing $root" >&2
  echo "$root"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null; then
  echo "debian13-root: installing debootstrap" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "debian13-root: debootstrap --variant=minbase trixie $root" >&2
  rm -rf "$root"
  mkdir -p "$root"
  started=$(date +%s)
  debootstrap --variant=minbase trixie "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
    tail -n 30 "$root.debootstrap.log" >&2
    exit 1
  }
  echo "debian13-root: debootstrap took $(( $(date +%s) - started )) s" >&2
fi

# apt inside the root needs /proc and the host's resolver.
cp /etc/resolv.conf "$root/etc/resolv.conf"
mounted_proc=0
if ! mountpoint -q "$root/proc"; then
  mount -t proc proc "$root/proc"
  mounted_proc=1
fi
cleanup() { if [ "$mounted_proc" = 1 ]; then umount "$root/proc" || umount -l "$root/proc"; fi; }
trap cleanup EXIT

started=$(date +%s)
chroot "$root" apt-get update -qq
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${packages[@]}" >/dev/null
echo "debian13-root: packages installed in $(( $(date +%s) - started )) s:" \
  "libgpiod $(chroot "$root" pkg-config --modversion libgpiod)," \
  "libmosquitto $(chroot "$root" pkg-config --modversion libmosquitto)," \
  "libmodbus $(chroot "$root" pkg-config --modversion libmodbus)" >&2
chroot "$root" apt-get clean

echo "$stamp_version" >"$stamp"
echo "$root"
