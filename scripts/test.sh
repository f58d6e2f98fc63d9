#!/usr/bin/env bash
# Sets up the machine and runs every test: unit tests, and the integration tests that talk to a
# real mosquitto on loopback, to Modbus servers over TCP and over socat pseudo-terminals, and to
# mocked libgpiod chips. Usage: scripts/test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build --build-tests

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# One test at a time: the integration tests start brokers, Modbus servers and gateways, and on a
# small, busy machine running them all at once makes their deadlines a test of the scheduler.
swift test --skip-build --disable-xctest --no-parallel "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line with the Swift Testing counts.
summary=$(grep -aE 'Test run with [0-9]+ tests?' "$log" | tail -n 1 || true)
total=$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$summary")
failed=$(grep -acE '✘ Test .* failed after' "$log" || true)
if [ -n "$total" ]; then
  echo "swift-testing: $((total - failed)) passed, $failed failed"
fi
exit "$status"
