#!/usr/bin/env bash
# CI's packaging check: builds the .deb (scripts/package-deb.sh) inside the Debian 13 root of
# scripts/debian13-root.sh, installs it with `apt install ./file.deb` into an overlay of that root
# (so the root used for the test suite stays as it was), checks files, user, groups, permissions
# and the unit (`systemd-analyze verify`), runs the installed gateway as its user and asks it
# `ironbridge status`, then removes and purges the package and checks what is left.
#
# Usage: scripts/check-package.sh. Needs root. Prints the time each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$(date +%s)
step_started=$started
step() { local now; now=$(date +%s); echo "check-package: $1 ($(( now - step_started )) s)"; step_started=$now; }
fail() { echo "check-package: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (chroot, mount)"
root=$(scripts/debian13-root.sh | tail -n 1)
swift_root=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
mirror=$(git config --system --get-regexp '^url\..*\.insteadof$' | sed -nE 's/^url\.([^ ]*)\.insteadof .*/\1/p' | head -n 1)
mirror=${mirror%/}
work=$(mktemp -d /var/tmp/ironbridge-package-check.XXXXXX)

mounts=()
unmount_all() {
  for (( i=${#mounts[@]}-1; i>=0; i-- )); do
    umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" || true
  done
  mounts=()
}
cleanup() {
  local status=$?
  unmount_all
  rm -rf "$work"
  echo "check-package: finished in $(( $(date +%s) - started )) s with status $status"
  exit "$status"
}
trap cleanup EXIT INT TERM
bind() { # bind SOURCE TARGET [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}
mount_proc() { mkdir -p "$1/proc"; mount -t proc proc "$1/proc"; mounts+=("$1/proc"); }

# 1. The .deb, built where it will be installed: Debian 13 (libgpiod 2.x, libgpiod3).
mount_proc "$root"
bind /dev "$root/dev"
bind "$swift_root" "$root$swift_root" ro
if [ -n "$mirror" ] && [ -d "$mirror" ]; then
  bind "$mirror" "$root$mirror" ro
  cp /etc/gitconfig "$root/etc/gitconfig"
fi
# Not /src/ironbridge, where scripts/test-debian13.sh mounts the checkout: a second run on the
# machine (another checkout's suite) must not see this one's files, nor this one its.
inside=/src/ironbridge-package
bind "$repo" "$root$inside"
cp /etc/resolv.conf "$root/etc/resolv.conf"
deb=$(chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH="$swift_root/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  IRONBRIDGE_SCRATCH=.build-release-debian13 \
  bash -c 'cd "$1" && scripts/package-deb.sh .build-release-debian13/dist' check-package "$inside" | tail -n 1)
unmount_all
deb=$repo/${deb#"$inside"/}
[ -f "$deb" ] || fail "no package at $deb"
step "built $(basename "$deb") in the Debian 13 root"

# 2. An overlay of the root: the installs land in $work/upper.
box=$work/root
mkdir -p "$work/upper" "$work/overlay-work" "$box"
mount -t overlay overlay -o "lowerdir=$root,upperdir=$work/upper,workdir=$work/overlay-work" "$box"
mounts+=("$box")
mount_proc "$box"
bind /dev "$box/dev"
in_box() { chroot "$box" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
apt_quiet() { in_box apt-get -y -qq -o Dpkg::Use-Pty=0 "$@" >"$work/apt.log" 2>&1 || { tail -n 40 "$work/apt.log" >&2; fail "apt-get $*"; }; }

cp "$deb" "$box/tmp/"
# The C libraries go, so that installing the package has to bring them back through Depends;
# systemd comes first, as on a real box; a "gpio" group as on Raspberry Pi OS.
apt_quiet update
apt_quiet purge --auto-remove libgpiod3 libmosquitto1 libmodbus5
apt_quiet install --no-install-recommends systemd
in_box groupadd --system gpio
step "overlay ready (C libraries removed; systemd $(in_box dpkg-query -W -f='${Version}' systemd) installed)"

apt_quiet install "./tmp/$(basename "$deb")"
step "apt install ./$(basename "$deb"): set up $(grep -oE '^Setting up [^ ]+' "$work/apt.log" | awk '{print $3}' | paste -sd' ')"

for package in ironbridge libgpiod3 libmosquitto1 libmodbus5; do
  [ "$(in_box dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || fail "$package is not installed"
done
version=$(sed -nE 's/.*static let current = "([^"]+)".*/\1/p' Sources/IronbridgeCore/Gateway/GatewaySetup.swift)
[ "$(in_box /usr/bin/ironbridge --version)" = "$version" ] || fail "the installed binary does not run (no Swift toolchain in the root)"
conffiles=$(in_box dpkg-query -W -f='${Conffiles}' ironbridge | awk '{print $1}' | sort | paste -sd' ')
[ "$conffiles" = "/etc/ironbridge/config.json /etc/ironbridge/connectors/gpio.json /etc/ironbridge/connectors/modbus.json" ] \
  || fail "conffiles: $conffiles"
[ -f "$box/usr/lib/systemd/system/ironbridge.service" ] || fail "no unit file"

# The user: a system user without a login, in its own group and in gpio and dialout.
IFS=: read -r _ _ uid _ _ home shell < <(in_box getent passwd ironbridge) || fail "no user ironbridge"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/ironbridge ] && [ "$shell" = /usr/sbin/nologin ] \
  || fail "user ironbridge: uid $uid, home $home, shell $shell"
groups=$(in_box id -nG ironbridge)
for group in ironbridge gpio dialout; do
  [[ " $groups " == *" $group "* ]] || fail "ironbridge is not in group $group (groups: $groups)"
done
[ "$(in_box stat -c '%U:%G %a' "/var/lib/ironbridge")" = "ironbridge:ironbridge 750" ] \
  || fail "/var/lib/ironbridge is $(in_box stat -c '%U:%G %a' "/var/lib/ironbridge")"
[ "$(in_box stat -c '%U:%G %a' "/etc/ironbridge/config.json")" = "root:ironbridge 640" ] \
  || fail "/etc/ironbridge/config.json is $(in_box stat -c '%U:%G %a' "/etc/ironbridge/config.json")"
[ -L "$box/etc/systemd/system/multi-user.target.wants/ironbridge.service" ] || fail "the unit is not enabled"
step "files, conffiles, user, groups, permissions and enablement checked"

verify=$(in_box systemd-analyze verify /usr/lib/systemd/system/ironbridge.service 2>&1) || fail "systemd-analyze verify: $verify"
if grep -i 'ironbridge' <<<"$verify"; then fail "systemd-analyze verify complained about the unit: $verify"; fi
step "systemd-analyze verify: no complaint about ironbridge.service${verify:+ (other units: $(wc -l <<<"$verify") line(s))}"

# The installed gateway as its user, with the packaged config: it starts and answers status.
as_user() { in_box setpriv --reuid=ironbridge --regid=ironbridge --init-groups "$@"; }
as_user /usr/bin/ironbridge check --config /etc/ironbridge/config.json >"$work/check.log" 2>&1 \
  || { cat "$work/check.log" >&2; fail "ironbridge check of the packaged config"; }
# The gateway's own pid (chroot shares the host's pid namespace), written before it starts.
in_box sh -c 'echo $$ >/tmp/ironbridge.pid; exec timeout 60 setpriv --reuid=ironbridge --regid=ironbridge --init-groups \
  /usr/bin/ironbridge run --config /etc/ironbridge/config.json' >"$work/run.log" 2>&1 &
runner=$!
answered=""
for _ in $(seq 1 100); do
  if answered=$(as_user /usr/bin/ironbridge status 2>&1); then break; fi
  answered=""
  sleep 0.2
done
gateway=$(cat "$box/tmp/ironbridge.pid" 2>/dev/null || true)
# timeout(1) passes SIGTERM on to the gateway, which stops within its 5 s drain.
[ -n "$gateway" ] && kill -TERM "$gateway" 2>/dev/null || true
wait "$runner" || true
[ -n "$answered" ] || { cat "$work/run.log" >&2; fail "the installed gateway did not answer 'ironbridge status'"; }
grep -q 'stopped' "$work/run.log" || { cat "$work/run.log" >&2; fail "the installed gateway did not stop cleanly on SIGTERM"; }
grep -q 'platform: localhost:1883' <<<"$answered" || fail "unexpected status: $answered"
[ "$(in_box stat -c '%a' "/var/lib/ironbridge/storage")" = 750 ] || fail "storage folder mode $(in_box stat -c '%a' "/var/lib/ironbridge/storage")"
step "the installed gateway ran as ironbridge and answered 'ironbridge status'"

apt_quiet remove ironbridge
[ ! -e "$box/usr/bin/ironbridge" ] || fail "the binary is still there after remove"
[ -d "$box/var/lib/ironbridge/storage" ] || fail "remove deleted the data in /var/lib/ironbridge"
[ -f "$box/etc/ironbridge/config.json" ] || fail "remove deleted the conffiles"
[ "$(in_box dpkg-query -W -f='${Status}' ironbridge)" = "deinstall ok config-files" ] || fail "state after remove"
apt_quiet purge ironbridge
[ ! -e "$box/etc/ironbridge" ] || fail "/etc/ironbridge is still there after purge: $(ls -R "$box/etc/ironbridge")"
[ ! -e "$box/var/lib/ironbridge" ] || fail "/var/lib/ironbridge is still there after purge"
[ ! -e "$box/etc/systemd/system/multi-user.target.wants/ironbridge.service" ] || fail "the unit is still enabled after purge"
if in_box dpkg-query -W -f='${Status}' ironbridge 2>/dev/null | grep -q 'installed\|config-files'; then fail "dpkg still lists ironbridge after purge"; fi
step "removed (data and conffiles kept) and purged (both gone)"
