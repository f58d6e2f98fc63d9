#!/usr/bin/env bash
# Measures the gateway end to end on this machine: DEVICES Modbus slaves x REGISTERS registers
# polled every PERIOD_MS (ON_RECEIVED), from `ironbridge simulate modbus` over loopback TCP to a
# local mosquitto. Prints the points/s that reached the platform side, and the gateway's CPU time
# per point, peak RSS and bytes written to disk per point. STORAGE=memory|file picks the store
# (default memory). Usage: [STORAGE=file] benchmarks/modbus-throughput.sh [seconds]   (release build)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
devices=${DEVICES:-100}
registers=${REGISTERS:-100}
period=${PERIOD_MS:-100}
mqtt_port=${MQTT_PORT:-18830}
modbus_port=${MODBUS_PORT:-15020}
storage=${STORAGE:-memory}

swift build -c release --product ironbridge >/dev/null
bin="$(swift build -c release --show-bin-path)/ironbridge"
work=$(mktemp -d)
pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

python3 - "$work" "$storage" "$devices" "$registers" "$period" "$mqtt_port" "$modbus_port" <<'PY'
import json, sys
work, storage, (devices, registers, period, mqtt, modbus) = sys.argv[1], sys.argv[2], map(int, sys.argv[3:])
slaves = [{"deviceName": f"Bench {d}", "host": "127.0.0.1", "port": modbus, "unitId": 1 + d % 247,
           "pollPeriod": period, "timeout": 1, "byteOrder": "BIG", "wordOrder": "BIG",
           "timeseries": [{"tag": f"r{r}", "type": "16uint", "functionCode": 3, "objectsCount": 1, "address": r}
                          for r in range(registers)]} for d in range(devices)]
json.dump({"reportStrategy": {"type": "ON_RECEIVED"}, "master": {"slaves": slaves}}, open(f"{work}/modbus.json", "w"))
json.dump({"thingsboard": {"host": "127.0.0.1", "port": mqtt, "security": {"type": "accessToken", "accessToken": "bench"},
                           "sessionLimitsTimeoutMs": 100},
           "storage": {"type": storage}, "logLevel": "warning", "dataFolder": f"{work}/data",
           "connectors": [{"type": "modbus", "name": "Bench", "configuration": "modbus.json"}]}, open(f"{work}/config.json", "w"))
PY

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_queued_messages 100000\n' "$mqtt_port" > "$work/mosquitto.conf"
"$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$work/mosquitto.conf" >/dev/null 2>&1 & pids+=($!)
"$bin" simulate modbus --port "$modbus_port" --period-ms 50 >/dev/null 2>&1 & pids+=($!)
sleep 1
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -t v1/gateway/telemetry > "$work/telemetry.jsonl" & pids+=($!)
sleep 0.5
"$bin" run --config "$work/config.json" 2> "$work/gateway.log" & gateway=$!; pids+=($gateway)
sleep 3   # warm-up: connect, first polls
start_lines=$(wc -l < "$work/telemetry.jsonl")
read -r utime0 stime0 < <(awk '{print $14, $15}' "/proc/$gateway/stat")
written0=$(awk '/^write_bytes/ {print $2}' "/proc/$gateway/io")
if python3 -c "import paho.mqtt" 2>/dev/null; then
  # RPCs during the measured window, while telemetry flows; counted in the CPU figure too.
  python3 benchmarks/rpc_latency.py "$mqtt_port" "Bench 0" 200 > "$work/rpc.txt" 2>&1 &
  rpc=$!
else
  echo "rpc: skipped (pip install paho-mqtt to measure RPC round trips)" > "$work/rpc.txt"
  rpc=
fi
sleep "$seconds"
[ -n "$rpc" ] && wait "$rpc" 2>/dev/null || true
read -r utime1 stime1 < <(awk '{print $14, $15}' "/proc/$gateway/stat")
written1=$(awk '/^write_bytes/ {print $2}' "/proc/$gateway/io")
end_lines=$(wc -l < "$work/telemetry.jsonl")
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$gateway/status")
ticks=$(getconf CLK_TCK)

python3 - "$work/telemetry.jsonl" "$start_lines" "$end_lines" "$seconds" "$((utime1 + stime1 - utime0 - stime0))" "$ticks" "$rss_kb" \
  "$devices" "$registers" "$period" "$storage" "$((written1 - written0))" <<'PY'
import json, sys
path, first, last, seconds, cpu_ticks, hz, rss, devices, registers, period, storage, written = sys.argv[1:]
first, last, seconds, cpu_ticks, hz = int(first), int(last), float(seconds), int(cpu_ticks), int(hz)
points = messages = 0
with open(path) as f:
    for n, line in enumerate(f):
        if n < first: continue
        if n >= last: break
        messages += 1
        for records in json.loads(line).values():
            for record in records: points += len(record["values"])
cpu = cpu_ticks / hz
target = int(devices) * int(registers) * 1000 / int(period)
print(f"load: {devices} devices x {registers} registers every {period} ms (target {target:,.0f} points/s)")
print(f"delivered: {points / seconds:,.0f} points/s in {messages / seconds:,.1f} messages/s over {seconds:.0f} s")
print(f"gateway CPU: {cpu / seconds * 100:.1f} % of one core, {cpu / max(points, 1) * 1e6:.2f} us per point")
print(f"gateway peak RSS: {int(rss) / 1024:.1f} MiB")
print(f"storage: {storage}; written to disk: {int(written) / max(points, 1):.1f} bytes per point ({int(written) / seconds / 1e6:.2f} MB/s, /proc/PID/io write_bytes)")
PY
cat "$work/rpc.txt"
