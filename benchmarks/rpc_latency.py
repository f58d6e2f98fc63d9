"""Round trips of Modbus `get` RPCs through the gateway, measured from the platform's side.

Sends COUNT RPCs one after another to v1/gateway/rpc and waits for each reply; prints the
median, 90th percentile and maximum. Used by modbus-throughput.sh while telemetry flows.
Needs paho-mqtt (pip install paho-mqtt).
"""
import json
import socket
import statistics
import sys
import threading
import time

import paho.mqtt.client as mqtt

port, device, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
method = sys.argv[4] if len(sys.argv) > 4 else "get"
params = json.loads(sys.argv[5]) if len(sys.argv) > 5 else "type=16uint;functionCode=3;objectsCount=1;address=0;"
replies = {}
arrived = threading.Condition()


def on_message(_client, _userdata, message):
    payload = json.loads(message.payload)
    if "method" in payload.get("data", {}):
        return  # our own request, echoed by the broker
    with arrived:
        replies[payload.get("id")] = (time.perf_counter(), payload.get("data"))
        arrived.notify_all()


client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="rpc-latency")
client.on_message = on_message
client.connect("127.0.0.1", port)
# Without this, our PUBACK and the next request leave back to back and Nagle holds the second
# until the broker's delayed ACK (40 ms): a client artefact, not the gateway's latency.
client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
client.subscribe("v1/gateway/rpc", qos=1)
client.loop_start()
time.sleep(0.5)

rtts, errors = [], 0
for request_id in range(1, count + 1):
    request = {"device": device, "data": {"id": request_id, "method": method, "params": params}}
    sent = time.perf_counter()
    client.publish("v1/gateway/rpc", json.dumps(request), qos=1)
    with arrived:
        arrived.wait_for(lambda: request_id in replies, timeout=5)
    if request_id not in replies or "error" in json.dumps(replies[request_id][1]):
        errors += 1
        continue
    rtts.append((replies[request_id][0] - sent) * 1000)

client.loop_stop()
rtts.sort()
if rtts:
    p90 = rtts[int(len(rtts) * 0.9) - 1]
    print(f"RPC round trip ({len(rtts)} {method} RPCs, one at a time): median {statistics.median(rtts):.2f} ms, "
          f"p90 {p90:.2f} ms, max {rtts[-1]:.2f} ms, errors {errors}")
else:
    print(f"RPC round trip: no replies ({errors} errors)")
