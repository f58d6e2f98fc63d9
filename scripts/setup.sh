#!/usr/bin/env bash
# Installs what ironbridge needs to build, test and run its demo on Debian 12 or 13 / Raspberry Pi OS 12 or 13:
# the C libraries (libssl for Modbus over TLS), mosquitto (the demo's and the tests' broker) and socat (RTU tests over ptys).
# Needs root (or sudo). Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(pkg-config libmosquitto-dev libmodbus-dev libgpiod-dev libssl-dev mosquitto mosquitto-clients socat openssl)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.1 or later) is not on PATH" >&2; exit 1; }
echo "setup: system packages present; $(swift --version 2>/dev/null | head -n 1)"
