#!/usr/bin/env bash
# ironbridge beside the Python ThingsBoard gateway, measured side by side in one run on loopback:
# idle (1 x 10 @ 1 s), 10 x 50 @ 100 ms and 100 x 100 @ 100 ms (points/s delivered, CPU per point,
# RSS, RPC p50/p99 over RPC_COUNT write RPCs), system calls per poll (strace -c), instructions per
# poll (callgrind) and GPIO edge latency on the simulated chip. Prints a Markdown table.
#
# The Python gateway (thingsboard-gateway 3.8.5) and the platform-side client's MQTT library come
# from PyPI into a throwaway virtualenv (PEER_VENV, default /var/tmp/ironbridge-peer-venv); none of
# its code is in this repository.
#
# Usage: benchmarks/compare.sh
#   LOAD_SECONDS=30 IDLE_SECONDS=60 RPC_COUNT=200 STORAGE=memory|file GATEWAYS=ironbridge,python
#   SCENARIOS=idle,5k,100k,syscalls,callgrind,gpio RESULTS_JSON=out.json CHART=chart.png KEEP_WORK=1
set -euo pipefail
cd "$(dirname "$0")/.."

peer_version=3.8.5
venv=${PEER_VENV:-/var/tmp/ironbridge-peer-venv}

scripts/setup.sh >/dev/null
need=()
command -v strace >/dev/null || need+=(strace)
command -v valgrind >/dev/null || need+=(valgrind)
python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi

if ! "$venv/bin/python" -c "import thingsboard_gateway, pymodbus, matplotlib" 2>/dev/null; then
  echo "compare: installing thingsboard-gateway $peer_version from PyPI into $venv" >&2
  python3 -m venv "$venv"
  # pymodbus, pyserial and pyserial-asyncio are what its Modbus connector would pip-install on
  # first use; installed here so that the measured run does not install anything.
  "$venv/bin/pip" install --quiet --disable-pip-version-check "thingsboard-gateway==$peer_version" \
    "pymodbus==3.9.2" pyserial pyserial-asyncio matplotlib
fi

swift build -c release --product ironbridge >/dev/null
export IRONBRIDGE_BIN="$(swift build -c release --show-bin-path)/ironbridge"
export COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo "+changes")
export PEER_VERSION=$peer_version
export MACHINE="$(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
exec "$venv/bin/python" benchmarks/compare/run.py
