// flip_publish: flip_switch for the trigger-per-press pattern (the way OpenWhisk's MQTT feed
// works; docs/actions.md, "Trigger per press"). The relayer fires a trigger per press instead of
// invoking this action; the trigger's rule runs it, and it publishes the commands to the broker
// itself, as docs/protocol.md's Command: desired state plus press id, QoS 1, not retained.
//   params: the press (button, press_id, press_ts, topology, attrs), targets [{id, on, attrs,
//           topic}] (topic: where that target's command goes), qos, trigger, and broker_url
//           (bound to the trigger by `snet up`, or given with the fire: mqtt://host:port)
//   result: {commands: {<target id>: {on}}, published: <count>} once the broker has
//           acknowledged every command (PUBACK); an error result when it cannot.
// The MQTT connection is kept while the worker stays warm, one per broker URL.
// Deploy: wsk action create flip_publish actions/flip_publish.js   (or: snet actions deploy)
// snet:limits {"timeout": 10000}

const mqtt = require('mqtt');

const PUBLISH_TIMEOUT_MS = 5000;
const clients = new Map();  // broker URL -> Promise of a connected client

// The URL as it may be shown: snet up's carries the action's broker password.
function redacted(url) {
  return String(url).replace(/^([a-z]+:\/\/[^:@\/]*):[^@\/]*@/i, '$1:***@');
}

function connect(url) {
  let client = clients.get(url);
  if (client) return client;
  client = new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      clientId: `snet-action-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      protocolVersion: 4,
      connectTimeout: PUBLISH_TIMEOUT_MS,
      reconnectPeriod: 1000,  // mqtt.js reconnects by itself; unacknowledged QoS 1 is resent
    });
    const fail = (why) => {
      clearTimeout(timer);
      c.end(true);
      reject(new Error(`cannot connect to the broker ${redacted(url)}: ${why}`));
    };
    // Refused connections are retried by mqtt.js without an 'error' event: bound the wait.
    const timer = setTimeout(() => fail(`no CONNACK within ${PUBLISH_TIMEOUT_MS} ms`),
                             PUBLISH_TIMEOUT_MS);
    c.once('connect', () => {
      clearTimeout(timer);
      resolve(c);
    });
    c.once('error', (err) => fail(err.message));
  });
  clients.set(url, client);
  client.catch(() => clients.delete(url));  // the next activation tries again
  return client;
}

function publish(client, topic, payload, qos) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the broker did not acknowledge ${topic} within ${PUBLISH_TIMEOUT_MS} ms`)),
      PUBLISH_TIMEOUT_MS);
    client.publish(topic, payload, { qos, retain: false }, (err) => {
      clearTimeout(timer);
      if (err) reject(new Error(`publish to ${topic} failed: ${err.message}`));
      else resolve();
    });
  });
}

async function main(params) {
  if (!params.broker_url) {
    return { error: 'no broker_url: bind it to the trigger or the action (snet up does)' };
  }
  const targets = params.targets || [];
  const missing = targets.filter((t) => !t.topic).map((t) => t.id);
  if (missing.length) {
    return { error: `targets without a topic: ${missing.join(', ')} (fire the trigger from a relayer)` };
  }
  const client = await connect(params.broker_url);
  const commands = {};
  await Promise.all(targets.map((target) => {
    const on = target.on !== true;
    commands[target.id] = { on };
    const command = {
      on,
      press_id: params.press_id,
      button: params.button,
      press_ts: params.press_ts,
      relay_ts: Date.now() * 1000,  // microseconds, like every time of the protocol
    };
    return publish(client, target.topic, JSON.stringify(command), params.qos === 0 ? 0 : 1);
  }));
  return { commands, published: targets.length };
}
