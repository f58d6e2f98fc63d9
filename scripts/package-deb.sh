#!/usr/bin/env bash
# Builds the Debian package of ironbridge for this machine's architecture (amd64 here, arm64 on
# a 64-bit Raspberry Pi) and prints the .deb's path on its last line.
#
#   scripts/package-deb.sh [OUTPUT-DIR]   (default: dist/)
#
# The binary is a release build with the Swift runtime linked in (--static-swift-stdlib), so the
# target needs no Swift toolchain. Depends lists the Debian packages that own the shared
# libraries the binary links (found with ldd and dpkg -S), so it names this release's libgpiod
# package: libgpiod2 when built on Debian 12 / Raspberry Pi OS 12, libgpiod3 on 13. Build on the
# release you install on. IRONBRIDGE_SCRATCH names the build folder (default .build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
scratch=${IRONBRIDGE_SCRATCH:-.build-release}
started=$(date +%s)

for tool in dpkg-deb dpkg ldd readelf; do
  command -v "$tool" >/dev/null || { echo "package-deb: $tool is missing (Debian's dpkg and libc-bin)" >&2; exit 1; }
done

swift build -c release --static-swift-stdlib --product ironbridge --scratch-path "$scratch" >&2
binary=$(swift build -c release --static-swift-stdlib --product ironbridge --scratch-path "$scratch" --show-bin-path)/ironbridge
version=$(sed -nE 's/.*static let current = "([^"]+)".*/\1/p' Sources/IronbridgeCore/Gateway/GatewaySetup.swift)
[ -n "$version" ] || { echo "package-deb: no version found in Sources/IronbridgeCore/Gateway/GatewaySetup.swift" >&2; exit 1; }
arch=$(dpkg --print-architecture)

# The package owning each shared library the binary loads; libc6 at least at the build's version.
owner() { # owner LIBRARY-PATH -> package name, tried under /lib and /usr/lib (merged /usr)
  local path=$1 real candidates
  real=$(readlink -f "$path")
  candidates=("$path" "$real" "${path#/usr}" "/usr${path#/usr}" "${real#/usr}" "/usr${real#/usr}")
  for candidate in "${candidates[@]}"; do
    if found=$(dpkg -S "$candidate" 2>/dev/null | head -n 1); then
      echo "${found%%:*}" | cut -d, -f1 | sed 's/:.*//'
      return 0
    fi
  done
  echo "package-deb: no Debian package owns $path (linked by the binary)" >&2
  return 1
}
# Only the libraries the binary names itself (NEEDED), as dpkg-shlibdeps would; ldd gives their paths.
needed=$(readelf -d "$binary" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p')
libraries=$(for name in $needed; do ldd "$binary" | awk -v name="$name" '$1 == name && $3 ~ /^\// { print $3 }'; done)
if ldd "$binary" | grep -q 'not found'; then
  echo "package-deb: the binary links libraries that are not installed:" >&2
  ldd "$binary" | grep 'not found' >&2
  exit 1
fi
if ldd "$binary" | grep -qi 'libswift\|libFoundation\|libdispatch'; then
  echo "package-deb: the binary still links the Swift runtime dynamically:" >&2
  ldd "$binary" | grep -i 'libswift\|libFoundation\|libdispatch' >&2
  exit 1
fi
packages=()
for library in $libraries; do
  packages+=("$(owner "$library")")
done
libc_version=$(dpkg-query -W -f='${Version}' libc6 | sed -E 's/-[^-]*$//')
depends=$(printf '%s\n' "${packages[@]}" | sort -u | grep -vx libc6 | sed -E 's/:[a-z0-9]+$//' | paste -sd, - | sed 's/,/, /g')
depends="libc6 (>= $libc_version)${depends:+, $depends}"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/ironbridge_${version}_$arch"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/etc/ironbridge/connectors" \
  "$root/usr/share/doc/ironbridge"
install -m 0755 "$binary" "$root/usr/bin/ironbridge"
strip --strip-unneeded "$root/usr/bin/ironbridge" 2>/dev/null || true
install -m 0644 packaging/ironbridge.service "$root/usr/lib/systemd/system/ironbridge.service"
install -m 0644 packaging/config.json "$root/etc/ironbridge/config.json"
install -m 0644 connectors/modbus.json connectors/gpio.json "$root/etc/ironbridge/connectors/"
install -m 0644 README.md "$root/usr/share/doc/ironbridge/README.md"
install -m 0644 docs/modbus-connector.md docs/gpio-connector.md "$root/usr/share/doc/ironbridge/"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
# Conffiles: an upgrade never overwrites what the user edited (dpkg asks instead).
(cd "$root" && find etc -type f | sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: ironbridge
Version: $version
Architecture: $arch
Maintainer: ironbridge developers <ironbridge@localhost>
Section: net
Priority: optional
Installed-Size: $installed_size
Depends: $depends, passwd
Recommends: systemd
Description: edge gateway bridging Modbus devices and GPIO lines to ThingsBoard
 Polls Modbus TCP and RTU slaves and watches GPIO lines, and sends their data to
 ThingsBoard over MQTT as sub-devices of one gateway device, buffering on disk
 while the platform is unreachable. Runs as the systemd service ironbridge
 (Type=notify, with a watchdog); 'ironbridge status' shows what it is doing.
CONTROL

mkdir -p "$out"
out=$(cd "$out" && pwd)
deb="$out/ironbridge_${version}_$arch.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >&2
echo "package-deb: $deb ($(du -h "$deb" | cut -f1), Depends: $depends, passwd) in $(( $(date +%s) - started )) s" >&2
echo "$deb"
