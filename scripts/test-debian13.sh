#!/usr/bin/env bash
# Runs the whole test suite in a Debian 13 (trixie) root: the package set of current Raspberry
# Pi OS (libgpiod 2.x, libmosquitto 2.0.21, libmodbus 3.1.11), with the host's Swift toolchain
# and Swift package mirror mounted into it. The build inside uses its own scratch path
# (.build-debian13), so it never mixes with the host's build.
#
# Usage: scripts/test-debian13.sh [extra `swift test` arguments]. Needs root. The root is made
# by scripts/debian13-root.sh on first use and kept (in /var/tmp) for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$(date +%s)

root=$(scripts/debian13-root.sh | tail -n 1)
swift_root=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
packages=$(git config --system --get-regexp '^url\..*\.insteadof$' | sed -nE 's/^url\.([^ ]*)\.insteadof .*/\1/p' | head -n 1)
packages=${packages%/}

mounts=()
cleanup() {
  local status=$?
  for (( i=${#mounts[@]}-1; i>=0; i-- )); do
    umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" || true
  done
  exit "$status"
}
trap cleanup EXIT INT TERM

bind() { # bind SOURCE TARGET-INSIDE-ROOT [ro]
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
  mounts+=("$root$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$root$2"; fi
}

mkdir -p "$root/proc"
mount -t proc proc "$root/proc"
mounts+=("$root/proc")
bind /dev /dev
# socat's pseudo-terminals (the Modbus RTU tests) need devpts; POSIX semaphores need /dev/shm.
for sub in /dev/pts /dev/shm; do
  if mountpoint -q "$sub"; then bind "$sub" "$sub"; fi
done
bind "$swift_root" "$swift_root" ro
if [ -n "$packages" ] && [ -d "$packages" ]; then
  bind "$packages" "$packages" ro
  cp /etc/gitconfig "$root/etc/gitconfig"
fi
bind "$repo" /src/ironbridge
cp /etc/resolv.conf "$root/etc/resolv.conf"

echo "test-debian13: root $root (root ready after $(( $(date +%s) - started )) s), Swift $swift_root"
# A real chip for the GPIO hardware tests (README, Testing) is visible through the bound /dev.
passed=()
for name in IRONBRIDGE_GPIO_TEST_CHIP IRONBRIDGE_GPIO_TEST_OUT IRONBRIDGE_GPIO_TEST_IN; do
  if [ -n "${!name:-}" ]; then passed+=("$name=${!name}"); fi
done
status=0
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb "${passed[@]}" \
  PATH="$swift_root/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  IRONBRIDGE_SCRATCH=.build-debian13 CI="${CI:-}" \
  bash -c 'cd /src/ironbridge && scripts/test.sh "$@"' test-debian13 "$@" || status=$?
echo "test-debian13: finished in $(( $(date +%s) - started )) s with status $status"
exit "$status"
