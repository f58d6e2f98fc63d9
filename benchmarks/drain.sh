#!/usr/bin/env bash
# Measures the drain after an outage, end to end: the gateway (release build, durable store)
# polls DEVICES x REGISTERS Modbus registers every PERIOD_MS from `ironbridge simulate modbus`
# while its broker is down for OUTAGE seconds (default 10: about 1M points at 100k points/s),
# then a local mosquitto (with TCP_NODELAY, as ThingsBoard's transport) comes up and a
# subscriber counts what arrives. Prints the backlog, the gateway's own drain report (points,
# seconds, points/s, live data included) and the bytes on disk.
# Usage: benchmarks/drain.sh [outage seconds]
set -euo pipefail
cd "$(dirname "$0")/.."

outage=${1:-10}
devices=${DEVICES:-100}
registers=${REGISTERS:-100}
period=${PERIOD_MS:-100}
mqtt_port=${MQTT_PORT:-18831}
modbus_port=${MODBUS_PORT:-15021}

swift build -c release --product ironbridge >/dev/null
bin="$(swift build -c release --show-bin-path)/ironbridge"
work=$(mktemp -d /var/tmp/ironbridge-drain.XXXXXX)
pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

python3 - "$work" "$devices" "$registers" "$period" "$mqtt_port" "$modbus_port" <<'PY'
import json, sys
work, devices, registers, period, mqtt, modbus = sys.argv[1], *map(int, sys.argv[2:])
slaves = [{"deviceName": f"Bench {d}", "host": "127.0.0.1", "port": modbus, "unitId": 1 + d % 247,
           "pollPeriod": period, "timeout": 1, "byteOrder": "BIG", "wordOrder": "BIG",
           "timeseries": [{"tag": f"r{r}", "type": "16uint", "functionCode": 3, "objectsCount": 1, "address": r}
                          for r in range(registers)]} for d in range(devices)]
json.dump({"reportStrategy": {"type": "ON_RECEIVED"}, "master": {"slaves": slaves}}, open(f"{work}/modbus.json", "w"))
json.dump({"thingsboard": {"host": "127.0.0.1", "port": mqtt, "security": {"type": "accessToken", "accessToken": "bench"},
                           "sessionLimitsTimeoutMs": 100, "reconnectMaxSeconds": 1},
           "storage": {"type": "file", "max_records_count": 10000000}, "logLevel": "info", "dataFolder": f"{work}/data",
           "connectors": [{"type": "modbus", "name": "Bench", "configuration": "modbus.json"}]}, open(f"{work}/config.json", "w"))
PY

"$bin" simulate modbus --port "$modbus_port" --period-ms 50 >/dev/null 2>&1 & pids+=($!)
sleep 1
"$bin" run --config "$work/config.json" > "$work/gateway.log" 2>&1 & gateway=$!; pids+=($gateway)
sleep "$outage"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_queued_messages 1000000\n' "$mqtt_port" > "$work/mosquitto.conf"
"$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$work/mosquitto.conf" >/dev/null 2>&1 & pids+=($!)
sleep 0.3
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -t v1/gateway/telemetry > "$work/telemetry.jsonl" & pids+=($!)
for _ in $(seq 1 600); do
  grep -q "the stored backlog is delivered" "$work/gateway.log" && break
  sleep 0.5
done
disk=$(du -sb "$work/data/storage" | cut -f1)
echo "load: $devices devices x $registers registers every $period ms; broker down for $outage s"
grep -o "storage holds [0-9]* records.*" "$work/gateway.log" | head -n 1 || true
grep -o "the stored backlog is delivered.*" "$work/gateway.log" | head -n 1 || echo "the backlog was not delivered within 300 s"
sleep 1
received=$(python3 -c "
import json, sys
points = 0
for line in open(sys.argv[1]):
    for records in json.loads(line).values():
        for record in records: points += len(record['values'])
print(points)" "$work/telemetry.jsonl")
echo "received by a subscriber: $received points (backlog and live)"
echo "journal on disk after the drain: $disk bytes"
