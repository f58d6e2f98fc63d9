#!/usr/bin/env bash
# Sets up the machine and runs every test: unit tests, and the integration tests that talk to a
# real mosquitto on loopback, to Modbus servers over TCP and over socat pseudo-terminals, and to
# mocked libgpiod chips. Usage: scripts/test.sh [extra `swift test` arguments]
# IRONBRIDGE_SCRATCH names the build folder (default .build; the Debian 13 run uses .build-debian13).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${IRONBRIDGE_SCRATCH:-.build}

scripts/setup.sh
# An independent Modbus ASCII slave for the ASCII tests (pymodbus, from PyPI); without it those
# tests are skipped, and this says so.
if command -v python3 >/dev/null; then
  if ! python3 -c "import pymodbus, serial" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check "pymodbus==3.9.2" pyserial >/dev/null 2>&1 \
      || echo "test: pymodbus could not be installed; the Modbus ASCII tests will be skipped"
  fi
else
  echo "test: no python3; the Modbus ASCII tests will be skipped"
fi
# The GPIO backend is chosen at build time from the libgpiod that pkg-config reports (Package.swift).
libgpiod=$(pkg-config --modversion libgpiod 2>/dev/null || echo "not found")
echo "test: libgpiod $libgpiod: GPIO backend libgpiod v${libgpiod%%.*}; $(. /etc/os-release && echo "$PRETTY_NAME")"
swift build --build-tests --scratch-path "$scratch"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# One test at a time: the integration tests start brokers, Modbus servers and gateways, and on a
# small, busy machine running them all at once makes their deadlines a test of the scheduler.
swift test --skip-build --scratch-path "$scratch" --disable-xctest --no-parallel "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line with the Swift Testing counts.
summary=$(grep -aE 'Test run with [0-9]+ tests?' "$log" | tail -n 1 || true)
total=$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$summary")
failed=$(grep -aE '✘ Test .* failed after' "$log" | grep -vc '✘ Test run with' || true)
if [ -n "$total" ]; then
  echo "swift-testing: $((total - failed)) passed, $failed failed"
fi
exit "$status"
