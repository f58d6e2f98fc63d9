"""ironbridge beside the Python ThingsBoard gateway, on loopback, in one run.

Started by benchmarks/compare.sh (which builds ironbridge in release mode and installs the Python
gateway from PyPI into a throwaway virtualenv). Everything runs on 127.0.0.1: one mosquitto with
TCP_NODELAY (as ThingsBoard's MQTT transport has), one Modbus TCP server answering every unit id
(`ironbridge simulate modbus`), and this process as the platform: it counts the points that
arrive on v1/gateway/telemetry and sends write RPCs on v1/gateway/rpc. Each scenario runs for
both gateways, one after the other, with the same connector file. Prints a Markdown table and
writes the figures as JSON (and a chart, when asked).
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IRONBRIDGE = os.environ["IRONBRIDGE_BIN"]
PEER_PYTHON = sys.executable
MQTT_PORT = int(os.environ.get("MQTT_PORT", "18840"))
MODBUS_PORT = int(os.environ.get("MODBUS_PORT", "15030"))
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "60"))
RPC_COUNT = int(os.environ.get("RPC_COUNT", "200"))
STORAGE = os.environ.get("STORAGE", "memory")
GATEWAYS = os.environ.get("GATEWAYS", "ironbridge,python").split(",")
SCENARIOS = os.environ.get("SCENARIOS", "idle,5k,100k,syscalls,callgrind,flood,gpio").split(",")
TICKS = os.sysconf("SC_CLK_TCK")

LOADS = {  # name: (devices, registers per device, poll period ms)
    "idle": (1, 10, 1000),
    "5k": (10, 50, 100),
    "100k": (100, 100, 100),
}
# More loads to find where delivery first falls short, e.g. RAMP="200k:200x100@100,500k:500x100@100"
# (then add their names to SCENARIOS).
for spec in filter(None, os.environ.get("RAMP", "").split(",")):
    name, shape = spec.split(":")
    count, rest = shape.split("x")
    registers, period = rest.split("@")
    LOADS[name] = (int(count), int(registers), int(period))


def log(line):
    print(f"compare: {line}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the platform side

class Platform:
    """Counts telemetry points per arrival and answers nothing; sends RPCs one at a time."""

    def __init__(self, port):
        self.lock = threading.Condition()
        self.arrivals = []   # (arrival monotonic, device, ts, points)
        self.replies = {}
        self.offset = time.time() - time.monotonic()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="compare-platform")
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", port)
        # Without TCP_NODELAY a request after our own PUBACK waits for the broker's delayed ACK (~40 ms).
        self.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.subscribe([("v1/gateway/telemetry", 1), ("v1/gateway/rpc", 1), ("v1/devices/me/rpc/request/+", 1)])
        self.client.loop_start()

    def on_message(self, _client, _userdata, message):
        now = time.monotonic()
        try:
            payload = json.loads(message.payload)
        except ValueError:
            return
        if message.topic.startswith("v1/devices/me/rpc/request/"):
            # The gateway's own client-side RPC: answered as ThingsBoard answers getSessionLimits, with
            # limits that never bind (both gateways wait for this answer before they send at full rate).
            if payload.get("method") == "getSessionLimits":
                unlimited = {"messages": "0:0,", "telemetryMessages": "0:0,", "telemetryDataPoints": "0:0,"}
                answer = {"maxPayloadSize": 65536, "maxInflightMessages": 1000,
                          "rateLimits": unlimited, "gatewayRateLimits": unlimited}
                self.client.publish(message.topic.replace("/request/", "/response/"), json.dumps(answer), qos=1)
            return
        if message.topic == "v1/gateway/rpc":
            if "method" in payload.get("data", {}):
                return  # our own request, echoed by the broker
            with self.lock:
                self.replies[payload.get("id")] = (now, payload.get("data"))
                self.lock.notify_all()
            return
        rows = []
        for device, records in payload.items():
            for record in records if isinstance(records, list) else [records]:
                values = record.get("values", record) if isinstance(record, dict) else {}
                rows.append((now, device, record.get("ts") if isinstance(record, dict) else None, len(values)))
        with self.lock:
            self.arrivals.extend(rows)

    def reset(self):
        with self.lock:
            self.arrivals = []
            self.replies = {}

    def window(self, start, end):
        with self.lock:
            rows = [row for row in self.arrivals if start <= row[0] < end]
        points = sum(row[3] for row in rows)
        polls = len({(row[1], row[2]) for row in rows})
        return points, polls, rows

    def rpc_round_trips(self, device, count, method="setValue", first_id=1):
        """Sends `count` RPCs one after the other; returns (round trips in ms, errors)."""
        rtts, errors = [], 0
        for request_id in range(first_id, first_id + count):
            request = {"device": device, "data": {"id": request_id, "method": method, "params": request_id % 1000}}
            sent = time.monotonic()
            self.client.publish("v1/gateway/rpc", json.dumps(request), qos=1)
            with self.lock:
                self.lock.wait_for(lambda: request_id in self.replies, timeout=5)
                reply = self.replies.get(request_id)
            if reply is None or "error" in json.dumps(reply[1]).lower():
                errors += 1
                continue
            rtts.append((reply[0] - sent) * 1000)
        return rtts, errors


# ---------------------------------------------------------------- the gateways

def modbus_connector(devices, registers, period_ms):
    """One connector file, read by both gateways."""
    slaves = []
    for d in range(devices):
        slaves.append({
            "name": f"Bench {d}", "deviceName": f"Bench {d}", "deviceType": "default",
            "type": "tcp", "method": "socket", "host": "127.0.0.1", "port": MODBUS_PORT,
            "unitId": 1 + d % 247, "pollPeriod": period_ms, "timeout": 1, "retries": True,
            "byteOrder": "BIG", "wordOrder": "BIG", "connectAttemptTimeMs": 500, "connectAttemptCount": 5,
            "waitAfterFailedAttemptsMs": 1000,
            "attributes": [], "attributeUpdates": [],
            "timeseries": [{"tag": f"r{r}", "type": "16uint", "functionCode": 3, "objectsCount": 1, "address": r}
                           for r in range(registers)],
            "rpc": [{"tag": "setValue", "type": "16uint", "functionCode": 6, "objectsCount": 1, "address": 0}],
        })
    return {"name": "Bench", "reportStrategy": {"type": "ON_RECEIVED"}, "master": {"slaves": slaves}}


def gpio_connector():
    return {"devices": [{
        "deviceName": "Edge Panel", "deviceType": "gpio", "chip": "gpiochip0", "backend": "simulated",
        "reportPeriodMs": 600000,
        "lines": [{"pin": 17, "key": "door", "direction": "input", "edge": "both", "debounceMs": 0,
                   "simulate": {"togglePeriodMs": 200}}]}]}


class Gateway:
    def __init__(self, kind, work, connectors):
        self.kind, self.work = kind, work
        os.makedirs(work, exist_ok=True)
        entries = []
        for name, kind_name, body in connectors:
            with open(os.path.join(work, f"{name}.json"), "w") as f:
                json.dump(body, f)
            entries.append({"type": kind_name, "name": name, "configuration": f"{name}.json"})
        if kind == "ironbridge":
            config = {"thingsboard": {"host": "127.0.0.1", "port": MQTT_PORT,
                                      "security": {"type": "accessToken", "accessToken": "bench-ironbridge"},
                                      "rateLimits": "0:0,", "dpRateLimits": "0:0,", "messagesRateLimits": "0:0,"},
                      "storage": {"type": STORAGE}, "logLevel": "warning",
                      "dataFolder": os.path.join(work, "data"), "connectors": entries}
            with open(os.path.join(work, "config.json"), "w") as f:
                json.dump(config, f)
            command, env, cwd = [IRONBRIDGE, "run", "--config", os.path.join(work, "config.json")], dict(os.environ), work
        else:
            peer_storage = {"type": "memory", "read_records_count": 100, "max_records_count": 1000000}
            if STORAGE != "memory":
                peer_storage = {"type": "sqlite", "data_file_path": os.path.join(work, "data", "data.db"),
                                "messages_ttl_check_in_hours": 1, "messages_ttl_in_days": 7, "max_read_records_count": 1000}
                os.makedirs(os.path.join(work, "data"), exist_ok=True)
            config = {"thingsboard": {
                "host": "127.0.0.1", "port": MQTT_PORT, "remoteShell": False, "remoteConfiguration": False,
                "statistics": {"enable": False, "statsSendPeriodInSeconds": 3600},
                "deviceFiltering": {"enable": False}, "maxPayloadSizeBytes": 8196, "minPackSendDelayMS": 50,
                "minPackSizeToSend": 500, "checkConnectorsConfigurationInSeconds": 60, "handleDeviceRenaming": True,
                "security": {"type": "accessToken", "accessToken": "bench-python"}, "qos": 1,
                "reportStrategy": {"type": "ON_RECEIVED"},
                "checkingDeviceActivity": {"checkDeviceInactivity": False},
                "rateLimits": "0:0,", "dpRateLimits": "0:0,", "messagesRateLimits": "0:0,",
                "deviceMessagesRateLimits": "0:0,", "deviceRateLimits": "0:0,", "deviceDpRateLimits": "0:0,"},
                "storage": peer_storage, "grpc": {"enabled": False}, "connectors": entries}
            with open(os.path.join(work, "tb_gateway.json"), "w") as f:
                json.dump(config, f)
            self.write_peer_logging(work)
            env = dict(os.environ, TB_GW_CONFIG_DIR=work + os.sep)
            command, cwd = [PEER_PYTHON, "-m", "thingsboard_gateway.tb_gateway"], work
        self.log = open(os.path.join(work, "gateway.log"), "w")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid

    @staticmethod
    def write_peer_logging(work):
        """The peer's own logging configuration, turned down to warnings and to one file."""
        import thingsboard_gateway
        shipped = os.path.join(os.path.dirname(thingsboard_gateway.__file__), "config", "logs.json")
        with open(shipped) as f:
            config = json.load(f)
        os.makedirs(os.path.join(work, "logs"), exist_ok=True)
        for handler in config.get("handlers", {}).values():
            if "filename" in handler:
                handler["filename"] = os.path.join(work, "logs", os.path.basename(handler["filename"]))
            handler["level"] = "WARNING"
        for logger in config.get("loggers", {}).values():
            logger["level"] = "WARNING"
        with open(os.path.join(work, "logs.json"), "w") as f:
            json.dump(config, f)

    def cpu_seconds(self):
        """CPU time of the live threads, in ns from the scheduler (ticks of 10 ms are too coarse here)."""
        total = 0
        for task in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass  # a thread that ended meanwhile
        return total / 1e9

    def memory_kb(self, key):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def wait_for_data(platform, seconds=60, points=1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got, _, _ = platform.window(0, float("inf"))
        if got >= points:
            return True
        time.sleep(0.2)
    return False


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]


# ---------------------------------------------------------------- scenarios

def run_load(platform, base, kind, load_name):
    devices, registers, period = LOADS[load_name]
    idle = load_name == "idle"
    target = devices * registers * 1000 / period
    platform.reset()
    gateway = Gateway(kind, os.path.join(base, f"{kind}-{load_name}"),
                      [("modbus", "modbus", modbus_connector(devices, registers, period))])
    result = {"gateway": kind, "load": load_name, "devices": devices, "registers": registers,
              "period_ms": period, "target_points_per_s": target}
    try:
        if not wait_for_data(platform, 90, points=1):
            result["error"] = "no telemetry within 90 s (see gateway.log in the work folder)"
            return result
        time.sleep(5)  # warm-up after the first data
        seconds = IDLE_SECONDS if idle else LOAD_SECONDS
        rpc = {}
        if not idle:
            worker = threading.Thread(target=lambda: rpc.update(zip(("rtts", "errors"), platform.rpc_round_trips("Bench 0", RPC_COUNT))))
        start, cpu0 = time.monotonic(), gateway.cpu_seconds()
        if not idle:
            worker.start()
        time.sleep(seconds)
        end, cpu1 = time.monotonic(), gateway.cpu_seconds()
        if not idle:
            worker.join(timeout=RPC_COUNT * 5 + 10)
        points, polls, _ = platform.window(start, end)
        # Delivery by timestamp: every point polled between 1 s after the start and 1 s before the end
        # should have arrived 3 s after the end (arrivals near the window's edges belong to the next batch).
        time.sleep(3)
        first_ms, last_ms = (start + 1 + platform.offset) * 1000, (end - 1 + platform.offset) * 1000
        _, _, everything = platform.window(0, float("inf"))
        stamped = sum(row[3] for row in everything if isinstance(row[2], (int, float)) and first_ms <= row[2] < last_ms)
        cpu = cpu1 - cpu0
        result.update({
            "seconds": round(end - start, 2), "points_per_s": points / (end - start), "polls": polls,
            "delivered_pct": 100 * stamped / ((last_ms - first_ms) / 1000 * target), "cpu_pct": 100 * cpu / (end - start),
            "cpu_us_per_point": 1e6 * cpu / points if points else None,
            "rss_mb": gateway.memory_kb("VmRSS") / 1024, "peak_rss_mb": gateway.memory_kb("VmHWM") / 1024})
        if idle:
            rtts, errors = platform.rpc_round_trips("Bench 0", RPC_COUNT, first_id=100000)
            rpc = {"rtts": rtts, "errors": errors}
        rtts = rpc.get("rtts", [])
        result.update({"rpc_count": len(rtts), "rpc_errors": rpc.get("errors"),
                       "rpc_p50_ms": statistics.median(rtts) if rtts else None, "rpc_p99_ms": percentile(rtts, 0.99)})
    finally:
        gateway.stop()
    return result


def run_syscalls(platform, base, kind):
    """System calls per poll at 10 x 50 @ 100 ms: strace -c -f over a window, divided by the polls that arrived."""
    devices, registers, period = LOADS["5k"]
    platform.reset()
    gateway = Gateway(kind, os.path.join(base, f"{kind}-syscalls"),
                      [("modbus", "modbus", modbus_connector(devices, registers, period))])
    result = {"gateway": kind, "load": "syscalls"}
    try:
        if not wait_for_data(platform, 90):
            result["error"] = "no telemetry"
            return result
        time.sleep(5)
        out = os.path.join(base, f"{kind}-strace.txt")
        seconds = 10
        start = time.monotonic()
        trace = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(gateway.pid)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds)
        trace.send_signal(2)
        trace.wait(timeout=30)
        end = time.monotonic()
        _, polls, _ = platform.window(start, end)
        calls, top = parse_strace(out)
        result.update({"polls": polls, "syscalls": calls,
                       "syscalls_per_poll": calls / polls if polls else None,
                       "top": {name: round(count / polls, 2) for name, count in top[:8]} if polls else {}})
    finally:
        gateway.stop()
    return result


def parse_strace(path):
    calls, rows = 0, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0].replace(".", "").isdigit() and parts[-1] not in ("total",):
                count = int(parts[3])
                rows.append((parts[-1], count))
            if parts and parts[-1] == "total" and len(parts) >= 4:
                calls = int(parts[3])
    rows.sort(key=lambda row: -row[1])
    return calls, rows


def run_callgrind(platform, base):
    """Instructions per poll (ironbridge only): callgrind counts only between two marks, at 10 x 50 @ 100 ms."""
    devices, registers, period = LOADS["5k"]
    platform.reset()
    work = os.path.join(base, "ironbridge-callgrind")
    gateway = Gateway("ironbridge", work, [("modbus", "modbus", modbus_connector(devices, registers, period))])
    gateway.stop()  # only for the files; started again under valgrind
    out = os.path.join(work, "callgrind.out")
    log_file = open(os.path.join(work, "valgrind.log"), "w")
    process = subprocess.Popen(["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out}",
                                IRONBRIDGE, "run", "--config", os.path.join(work, "config.json")],
                               cwd=work, stdout=log_file, stderr=subprocess.STDOUT)
    result = {"gateway": "ironbridge", "load": "callgrind"}
    try:
        if not wait_for_data(platform, 120):
            with open(os.path.join(work, "valgrind.log")) as f:
                crashed = "INTERNAL ERROR" in f.read()
            result["error"] = ("valgrind crashed on the binary (internal error; see valgrind.log)" if crashed
                               else "no telemetry under valgrind within 120 s")
            return result
        time.sleep(5)
        start = time.monotonic()
        subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True, capture_output=True)
        time.sleep(20)
        subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], check=True, capture_output=True)
        end = time.monotonic()
        subprocess.run(["callgrind_control", "-d", str(process.pid)], check=True, capture_output=True)
        _, polls, _ = platform.window(start, end)
        instructions = 0
        for name in os.listdir(work):
            if name.startswith("callgrind.out"):
                with open(os.path.join(work, name)) as f:
                    for line in f:
                        if line.startswith("summary:") or line.startswith("totals:"):
                            instructions = max(instructions, int(line.split()[1]))
        result.update({"polls": polls, "instructions": instructions,
                       "instructions_per_poll": instructions / polls if polls else None})
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()
    return result


def run_flood(platform, base):
    """Memory under an RPC flood (ironbridge): FLOOD RPCs published at once while 100 x 100 @ 100 ms runs."""
    devices, registers, period = LOADS["100k"]
    count = int(os.environ.get("FLOOD", "20000"))
    platform.reset()
    gateway = Gateway("ironbridge", os.path.join(base, "ironbridge-flood"),
                      [("modbus", "modbus", modbus_connector(devices, registers, period))])
    result = {"gateway": "ironbridge", "load": "flood"}
    try:
        if not wait_for_data(platform, 60):
            result["error"] = "no telemetry"
            return result
        time.sleep(5)
        before = gateway.memory_kb("VmRSS") / 1024
        peak = before
        for request_id in range(1, count + 1):
            device = f"Bench {request_id % devices}"
            platform.client.publish("v1/gateway/rpc", json.dumps(
                {"device": device, "data": {"id": request_id, "method": "setValue", "params": request_id % 1000}}), qos=1)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            peak = max(peak, gateway.memory_kb("VmRSS") / 1024)
            with platform.lock:
                if len(platform.replies) >= count:
                    break
            time.sleep(0.2)
        time.sleep(35)  # past one period of the gateway's memory trim (30 s)
        with platform.lock:
            replies = list(platform.replies.values())
        busy = sum(1 for _, data in replies if "busy" in json.dumps(data).lower())
        errors = sum(1 for _, data in replies if "error" in json.dumps(data).lower())
        result.update({"rpcs": count, "replies": len(replies), "busy": busy, "errors": errors,
                       "rss_before_mb": before, "rss_peak_mb": max(peak, gateway.memory_kb("VmHWM") / 1024),
                       "rss_after_mb": gateway.memory_kb("VmRSS") / 1024})
    finally:
        gateway.stop()
    return result


def run_gpio(platform, base):
    """Edge -> telemetry latency on the simulated chip: arrival time minus the edge's timestamp (ms resolution)."""
    platform.reset()
    gateway = Gateway("ironbridge", os.path.join(base, "ironbridge-gpio"), [("gpio", "gpio", gpio_connector())])
    result = {"gateway": "ironbridge", "load": "gpio"}
    try:
        if not wait_for_data(platform, 30):
            result["error"] = "no telemetry"
            return result
        time.sleep(2)
        start = time.monotonic()
        time.sleep(20)
        _, _, rows = platform.window(start, time.monotonic())
        latencies = [(arrival + platform.offset) * 1000 - ts for arrival, device, ts, _ in rows
                     if device == "Edge Panel" and isinstance(ts, (int, float))]
        result.update({"edges": len(latencies), "latency_p50_ms": statistics.median(latencies) if latencies else None,
                       "latency_p99_ms": percentile(latencies, 0.99), "latency_max_ms": max(latencies) if latencies else None})
    finally:
        gateway.stop()
    return result


# ---------------------------------------------------------------- report

def fmt(value, digits=1, suffix=""):
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def ratio(a, b, digits=1):
    if a is None or b is None or a == 0:
        return "-"
    return f"{b / a:,.{digits}f}x"


def report(results, meta):
    lines = [f"Run {meta['date']} on {meta['machine']}, ironbridge {meta['commit']}, "
             f"Python gateway {meta['peer']}, storage {STORAGE}; loads {LOAD_SECONDS:.0f} s each, idle {IDLE_SECONDS:.0f} s.", ""]
    lines.append("| load | gateway | delivered | points/s | CPU | CPU per point | RSS | peak RSS | RPC p50 / p99 (n) |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    by = {(r["gateway"], r["load"]): r for r in results}
    for load in LOADS:
        for kind in GATEWAYS:
            r = by.get((kind, load))
            if not r:
                continue
            d, n, p = LOADS[load]
            if "error" in r:
                lines.append(f"| {d} x {n} @ {p} ms | {kind} | {r['error']} | | | | | | |")
                continue
            lines.append(f"| {d} x {n} @ {p} ms | {kind} | {fmt(r['delivered_pct'], 1, ' %')} | {fmt(r['points_per_s'], 0)} | "
                         f"{fmt(r['cpu_pct'], 1, ' %')} | {fmt(r['cpu_us_per_point'], 2, ' us')} | {fmt(r['rss_mb'], 1, ' MB')} | "
                         f"{fmt(r['peak_rss_mb'], 1, ' MB')} | {fmt(r['rpc_p50_ms'], 2)} / {fmt(r['rpc_p99_ms'], 2)} ms ({r['rpc_count']}) |")
        a, b = by.get(("ironbridge", load)), by.get(("python", load))
        if a and b and "error" not in a and "error" not in b:
            lines.append(f"| | **Python / ironbridge** | | | {ratio(a['cpu_pct'], b['cpu_pct'])} | "
                         f"{ratio(a['cpu_us_per_point'], b['cpu_us_per_point'])} | {ratio(a['rss_mb'], b['rss_mb'])} | "
                         f"{ratio(a['peak_rss_mb'], b['peak_rss_mb'])} | {ratio(a['rpc_p50_ms'], b['rpc_p50_ms'], 0)} / "
                         f"{ratio(a['rpc_p99_ms'], b['rpc_p99_ms'], 0)} |")
    lines.append("")
    for kind in GATEWAYS:
        r = by.get((kind, "syscalls"))
        if r and "error" not in r:
            top = ", ".join(f"{name} {count}" for name, count in r["top"].items())
            lines.append(f"- System calls per poll ({kind}, 10 x 50 @ 100 ms, strace -c -f over 10 s, "
                         f"{r['polls']} polls): **{fmt(r['syscalls_per_poll'], 1)}** ({top})")
    r = by.get(("ironbridge", "callgrind"))
    if r and "error" in r:
        lines.append(f"- Instructions per poll (callgrind): not measured: {r['error']}")
    if r and "error" not in r:
        lines.append(f"- Instructions per poll (ironbridge, 10 x 50 @ 100 ms, callgrind over 20 s, {r['polls']} polls): "
                     f"**{fmt(r['instructions_per_poll'], 0)}**")
    r = by.get(("ironbridge", "flood"))
    if r and "error" not in r:
        lines.append(f"- RPC flood (ironbridge, {r['rpcs']} write RPCs published at once during 100 x 100 @ 100 ms): "
                     f"{r['replies']} replies ({r['errors']} errors, {r['busy']} of them `busy`); RSS {fmt(r['rss_before_mb'], 1)} MB before, "
                     f"peak {fmt(r['rss_peak_mb'], 1)} MB, {fmt(r['rss_after_mb'], 1)} MB 35 s after")
    r = by.get(("ironbridge", "gpio"))
    if r and "error" not in r:
        lines.append(f"- GPIO edge -> telemetry at the platform (simulated chip, {r['edges']} edges, ms timestamps): "
                     f"p50 {fmt(r['latency_p50_ms'], 1)} ms, p99 {fmt(r['latency_p99_ms'], 1)} ms, max {fmt(r['latency_max_ms'], 1)} ms")
    return "\n".join(lines)


def chart(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=80)
    for kind, style in (("ironbridge", "o-"), ("python", "s--")):
        rows = [r for r in results if r["gateway"] == kind and r["load"] in LOADS and "error" not in r and r.get("points_per_s")]
        rows.sort(key=lambda r: r["target_points_per_s"])
        if not rows:
            continue
        loads = [r["target_points_per_s"] for r in rows]
        left.plot(loads, [r["cpu_us_per_point"] for r in rows], style, label=kind)
        right.plot(loads, [r["peak_rss_mb"] for r in rows], style, label=kind)
    for axis, title in ((left, "CPU per point (us)"), (right, "peak RSS (MB)")):
        axis.set_xscale("log")
        axis.set_yscale("log" if axis is left else "linear")
        axis.set_xlabel("load (points/s polled)")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path)


def main():
    base = tempfile.mkdtemp(prefix="ironbridge-compare-")
    processes = []
    try:
        with open(os.path.join(base, "mosquitto.conf"), "w") as f:
            f.write(f"listener {MQTT_PORT} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n"
                    "max_queued_messages 1000000\nmax_inflight_messages 0\n")
        broker = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        processes.append(subprocess.Popen([broker, "-c", os.path.join(base, "mosquitto.conf")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        processes.append(subprocess.Popen([IRONBRIDGE, "simulate", "modbus", "--port", str(MODBUS_PORT), "--period-ms", "50"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1)
        platform = Platform(MQTT_PORT)
        results = []
        for load in LOADS:
            if load not in SCENARIOS:
                continue
            for kind in GATEWAYS:
                log(f"{kind}: {load} ...")
                results.append(run_load(platform, base, kind, load))
                log(json.dumps(results[-1], default=str)[:400])
        if "syscalls" in SCENARIOS:
            for kind in GATEWAYS:
                log(f"{kind}: system calls per poll ...")
                results.append(run_syscalls(platform, base, kind))
        if "callgrind" in SCENARIOS and shutil.which("valgrind"):
            log("ironbridge: instructions per poll (callgrind) ...")
            results.append(run_callgrind(platform, base))
        if "flood" in SCENARIOS:
            log("ironbridge: RPC flood ...")
            results.append(run_flood(platform, base))
        if "gpio" in SCENARIOS:
            log("ironbridge: GPIO edge latency ...")
            results.append(run_gpio(platform, base))
        meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": os.environ.get("MACHINE", "?"),
                "commit": os.environ.get("COMMIT", "?"), "peer": os.environ.get("PEER_VERSION", "?")}
        print(report(results, meta))
        if os.environ.get("RESULTS_JSON"):
            with open(os.environ["RESULTS_JSON"], "w") as f:
                json.dump({"meta": meta, "results": results}, f, indent=1, default=str)
        if os.environ.get("CHART"):
            chart(results, os.environ["CHART"])
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if os.environ.get("KEEP_WORK"):
            log(f"work folder kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
