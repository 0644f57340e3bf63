#!/usr/bin/python3
"""A lamp played by Python (docs/external-devices.md): `snet up topology/external.json` runs it
with its login in the environment; apply each command's desired state once per press id and
report it, retained. Needs Debian's python3-paho-mqtt."""
import json, os, time
from urllib.parse import urlparse
import paho.mqtt.client as mqtt

env = os.environ
t, me, url = env["SNET_TOPOLOGY_NAME"], env["SNET_DEVICE_ID"], urlparse(env["SNET_BROKER_URL"])
state_topic, presence = f"snet/{t}/state/{me}", f"snet/{t}/presence/{me}"
state = {"device": me, "on": False, "applied_ts": time.time_ns() // 1000}
applied = set()  # press ids: a command delivered twice (QoS 1) is applied once

def on_connect(client, userdata, flags, rc):  # subscribed before it says it is online
    for topic in env.get("SNET_SUBSCRIBE", f"snet/{t}/cmd/{me}").split():
        client.subscribe(topic, qos=1)
    client.publish(state_topic, json.dumps(state), qos=1, retain=True)
    client.publish(presence, json.dumps({"online": True}), qos=1, retain=True)

def on_message(client, userdata, msg):
    try:
        cmd = json.loads(msg.payload)
        on, press_id = cmd["on"], cmd["press_id"]
        assert isinstance(on, bool) and isinstance(press_id, str) and press_id and not msg.retain
    except (ValueError, KeyError, TypeError, AssertionError):
        return print(f"rejected on {msg.topic}: {msg.payload[:100]!r}", flush=True)
    if press_id in applied:
        return
    applied.add(press_id)
    state.update({k: cmd[k] for k in ("button", "press_ts", "relay_ts") if k in cmd})
    state.update(on=on, press_id=press_id, applied_ts=time.time_ns() // 1000)
    client.publish(state_topic, json.dumps(state), qos=1, retain=True)
    print(f"{me}: {'on' if on else 'off'} (press {press_id})", flush=True)

v1 = {"callback_api_version": mqtt.CallbackAPIVersion.VERSION1} if hasattr(mqtt, "CallbackAPIVersion") else {}
client = mqtt.Client(client_id=env.get("SNET_CLIENT_ID", f"snet-{t}-{me}"), clean_session=False, **v1)
if "SNET_BROKER_PASSWORD_FILE" in env:
    client.username_pw_set(url.username, open(env["SNET_BROKER_PASSWORD_FILE"]).read().strip())
if env.get("SNET_BROKER_CA_FILE"):
    client.tls_set(ca_certs=env["SNET_BROKER_CA_FILE"])
client.will_set(presence, json.dumps({"online": False}), qos=1, retain=True)
client.on_connect, client.on_message = on_connect, on_message
client.connect(url.hostname, url.port or 1883)
client.loop_forever()
