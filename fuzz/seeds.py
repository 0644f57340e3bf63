#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (corpus/<target>/seed-*): small real inputs in
each target's input format (fuzz_<target>.cpp says it). Run it again after changing a format;
the fuzzer's own finds are not kept here (tools/fuzz.sh keeps them in build-fuzz/)."""
import glob
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(ROOT)


def write(target, name, data):
    folder = os.path.join(ROOT, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def reset(target):
    os.makedirs(os.path.join(ROOT, "corpus", target), exist_ok=True)
    for path in glob.glob(os.path.join(ROOT, "corpus", target, "seed-*")):
        os.remove(path)


# Topologies: the shipped examples and the tests' ones, plus a few small variants.
reset("topology")
for path in sorted(glob.glob(os.path.join(REPO, "topology", "*.json")) +
                   glob.glob(os.path.join(REPO, "tests", "topology", "*.json"))):
    name = os.path.relpath(path, REPO).replace("/", "-")
    shutil.copy(path, os.path.join(ROOT, "corpus", "topology", "seed-" + name))
write("topology", "comment.json", '// a comment\n{"name": "c", /* inline */ "devices": []}')
write("topology", "pairs.json",
      '{"name": "p", "pairs": {"count": 3, "button": "x", "actuator": "y", "start": 1}, "relayers": 2}')
write("topology", "bad.json", '{"name": 7, "devices": [{"id": "", "kind": "lamp"}]')

# Messages: the selector byte (fuzz_messages.cpp's switch), then a payload as services send it.
MESSAGES = [
    ('{"id":"abc","ts":1700000000000000}', ''),
    ('{"on":true,"press_id":"p-1","button":"b1","press_ts":10,"relay_ts":20}',
     '{"on":true,"press_id":"p-2","capability":"heater"}'),
    ('{"device":"a1","on":false,"press_id":"p-1","button":"b1","press_ts":10,"relay_ts":20,'
     '"applied_ts":30}', '{"device":"thermostat-1","on":true,"capability":"heater"}'),
    ('{"error":"compute timed out","press_id":"p-1","button":"b1","action":"flip","press_ts":1,'
     '"ts":2}',
     # A compute's long error text (a stack trace), not ASCII: the relayer passes it on.
     '{"error":"' + 'Zeitüberschreitung der Aktion flip_switch; ' * 26 + '","press_id":"p-2"}'),
    ('{"action":"crash","devices":["a1","a2"],"id":"f1","ts":5,"duration_ms":2000}',
     '{"action":"online","devices":["*"]}'),
    ('{"service":"relayer","online":true,"ts":5,"metrics":{"presses":3}}', '{"online":false}'),
    ('{"link":"field","spec":{"latency_ms":20,"jitter_ms":5,"loss_pct":1.5,"rate_kbit":256,'
     '"up":true,"seed":7},"id":"f-1","ts":100}',),
    ('{"reporter":"agent-1","engine":"process","ts":7,"links":{"b1":{"properties":["latency_ms"],'
     '"bytes_up":10,"bytes_down":20,"packets_up":1,"packets_down":2,"dropped":0,"connections":1}},'
     '"notes":["latency_ms by process"]}',),
    ('{"name":"site-partition","description":"cut building-b","run":"mjk3","duration_s":30,'
     '"elapsed_s":12.5,"started":1764240000000000,"ts":1764240012500000,"state":"running",'
     '"timeline":[{"label":"cut building-b","at_s":8,"until_s":18,"kind":"link",'
     '"state":"active"},{"label":"kill relayer-1","at_s":20,"kind":"service","state":"pending"}],'
     '"phase":"during cut building-b","planned":1200,"sent":500,"acked":498,"applied":400,'
     '"pending":98,"action_errors":0}',),
    ('{"device":"thermo-1","capability":"temperature","value":21.25,"unit":"C","seq":7,'
     '"ts":1700000000000000}', '{"device":"plug-1","capability":"power","value":0}'),
]
reset("messages")
for selector, payloads in enumerate(MESSAGES):
    for i, payload in enumerate(payloads):
        write("messages", f"{selector}-{i}", bytes([selector]) + payload.encode())

# MQTT: mode byte (even: a broker's byte stream; odd: a PUBLISH to encode), then the input.
def frame(first, body):
    out, n = bytearray([first]), len(body)
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out) + body


def mqtt_str(s):
    return struct.pack(">H", len(s)) + s


connack = frame(0x20, b"\x00\x00")
suback = frame(0x90, b"\x00\x01\x01\x80")
publish0 = frame(0x31, mqtt_str(b"snet/t/cmd/a1") + b'{"on":true,"press_id":"p"}')
publish1 = frame(0x32, mqtt_str(b"snet/t/state/a1") + b"\x00\x07" + b'{"device":"a1","on":true}')
puback = frame(0x40, b"\x00\x07")
pingresp = frame(0xD0, b"")
reset("mqtt_packets")
write("mqtt_packets", "session", b"\x02" + connack + suback + publish0 + publish1 + puback +
      pingresp)
write("mqtt_packets", "limit", b"\x40" + publish0)
write("mqtt_packets", "split", b"\x02" + publish1[:5])
write("mqtt_packets", "publish-qos1", b"\x03\x00\x07" + mqtt_str(b"snet/t/press/b1") + b"{}")
write("mqtt_packets", "publish-retain", b"\x05\x00\x00" + mqtt_str(b"snet/t/state/a1") +
      b'{"device":"a1","on":false}')

# AMQP: [u8 n][exchange][u8 n][routing key][u16 n][basic properties][body].
def shortstr(s):
    return bytes([len(s)]) + s


def table(entries):
    body = b"".join(shortstr(k) + v for k, v in entries)
    return struct.pack(">I", len(body)) + body


def properties(entries):
    # Basic properties: the flag word (bit 13: headers), then the headers table.
    return struct.pack(">H", 1 << 13) + table(entries) if entries is not None else b"\x00\x00"


def delivery(exchange, key, props, body):
    return shortstr(exchange) + shortstr(key) + struct.pack(">H", len(props)) + props + body


headers = [(b"kind", b"S" + struct.pack(">I", 4) + b"lamp"), (b"floor", b"I" + struct.pack(">i", 2)),
           (b"on", b"t\x01"), (b"big", b"l" + struct.pack(">q", -5)), (b"none", b"V"),
           (b"nested", b"F" + table([(b"x", b"b\x01")]))]
reset("amqp_message")
write("amqp_message", "press", delivery(b"amq.topic", b"snet.t.press.b1", properties(None),
                                        b'{"id":"p-1"}'))
write("amqp_message", "cmd-headers", delivery(b"snet.t.headers", b"snet.t.cmd.a1",
                                              properties(headers), b'{"on":true,"press_id":"p"}'))
write("amqp_message", "state", delivery(b"amq.topic", b"snet.t.state.a1", properties([]),
                                        b'{"device":"a1","on":false}'))
write("amqp_message", "control", delivery(b"amq.topic", b"snet.t.control.devices",
                                          properties(None), b'{"action":"crash","devices":["*"]}'))
write("amqp_message", "queue", delivery(b"", b"some-queue", properties(None), b"x"))

# HTTP: requests as the dashboard, curl and `snet` send them (tests/topology/links.json's ids).
def request(method, target, body=b"", headers=()):
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1:8080"] + list(headers)
    if body or method in ("POST", "PUT"):
        # The token fuzz_http_request.cpp's guard expects, and the dashboard's own origin.
        lines += ["Authorization: Bearer fuzz-token", "Origin: http://127.0.0.1:8080",
                  "Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


reset("http_request")
write("http_request", "topology", request("GET", "/api/topology"))
write("http_request", "devices", request("GET", "/api/devices") + request("GET", "/api/devices/a1"))
write("http_request", "events", request("GET", "/api/events?device=a1&limit=5&kind=state"))
write("http_request", "press", request("POST", "/api/devices/b1/press"))
write("http_request", "device-fault",
      request("POST", "/api/devices/a1/offline", b'{"duration_ms": 2000}'))
write("http_request", "storm", request("POST", "/api/faults/storm",
                                       b'{"devices": ["a1", "b1"]}'))
write("http_request", "service", request("POST", "/api/services/relayer/restart"))
write("http_request", "links", request("GET", "/api/links") +
      request("PUT", "/api/links/field", b'{"latency_ms": 50, "up": true}'))
write("http_request", "health", request("GET", "/healthz") + request("GET", "/readyz") +
      request("GET", "/api/health") + request("HEAD", "/metrics"))
write("http_request", "scenario", request("GET", "/api/scenario"))
write("http_request", "static", request("GET", "/") + request("GET", "/%2e%2e/README.md"))
write("http_request", "chunked", b"POST /api/devices/b1/press HTTP/1.1\r\nHost: x\r\n"
      b"Authorization: Bearer fuzz-token\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
write("http_request", "refused", request("GET", "/api/devices", headers=["Host: evil.example"]) +
      b"POST /api/devices/b1/press HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
      b"Origin: https://evil.example\r\nContent-Length: 0\r\n\r\n")
write("http_request", "websocket", request("GET", "/ws", headers=["Origin: https://dash.example",
    "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]))
