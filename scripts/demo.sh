#!/usr/bin/env bash
# The whole gateway on a laptop, no hardware needed:
#   - a local mosquitto on 127.0.0.1:1884 stands in for ThingsBoard,
#   - `ironbridge simulate modbus` serves two Modbus slaves on 127.0.0.1:5020,
#   - the GPIO connector uses a simulated chip whose "door" input toggles,
#   - `ironbridge run --config config.json` bridges them,
# and this script prints what the platform receives, then sends a setGpio RPC and shows the reply.
# Stops on Ctrl-C, or after DEMO_SECONDS seconds when that is set.
set -euo pipefail
cd "$(dirname "$0")/.."

mqtt_port=1884
modbus_port=5020
scripts/setup.sh
swift build --product ironbridge
bin="$(swift build --show-bin-path)/ironbridge"

run_dir=$(mktemp -d)
pids=()
cleanup() {
  # Newest first: the gateway stops (and disconnects) before its broker goes away.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$run_dir"
}
trap cleanup EXIT INT TERM

for port in $mqtt_port $modbus_port; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "demo: port $port on 127.0.0.1 is already in use; stop what listens there first" >&2
    exit 1
  fi
done

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n' "$mqtt_port" > "$run_dir/mosquitto.conf"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)   # /usr/sbin is not on every user's PATH
"$mosquitto_bin" -c "$run_dir/mosquitto.conf" > "$run_dir/mosquitto.log" 2>&1 &
pids+=($!)
"$bin" simulate modbus --port "$modbus_port" > "$run_dir/simulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$mqtt_port") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$modbus_port") 2>/dev/null && break
  sleep 0.1
done

echo "demo: the platform side (mosquitto_sub on v1/gateway/#) prints what the gateway sends:"
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -F '[platform] %t %p' -t 'v1/gateway/#' &
pids+=($!)
"$bin" run --config config.json &
pids+=($!)

sleep 4
echo "demo: sending setGpio {\"pin\": 23, \"value\": 1} to 'Pump Panel'"
mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -t v1/gateway/rpc \
  -m '{"device": "Pump Panel", "data": {"id": 1, "method": "setGpio", "params": {"pin": 23, "value": 1}}}'
sleep 1
echo "demo: reading a Modbus register over RPC (get)"
mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -t v1/gateway/rpc \
  -m '{"device": "Meter 1", "data": {"id": 2, "method": "get", "params": "type=16int;functionCode=3;objectsCount=1;address=0;"}}'

if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  echo "demo: running; Ctrl-C stops everything"
  wait
fi
