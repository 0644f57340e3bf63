// Contract: what an action's Node.js runtime gives it, as OpenWhisk's Node.js runtime does:
// require('openwhisk') (the npm client, pointed at this snet-whisk by __OW_API_HOST and, for
// actions annotated provide-api-key, __OW_API_KEY), so actions call other actions; and the
// isolation snet-whisk adds (Node's permission model: no file reads outside the runtime and the
// action, no writes, no child processes; workers as an unprivileged user when run as root).
// Also: without --auth, the key of --data-dir (generated once, kept in whisk.auth).
// Sources: apache/openwhisk docs/actions.md (environment), docs/annotations.md (provide-api-key),
// core/controller Actions.scala (amendAnnotations), openwhisk-runtime-nodejs.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import openwhisk from "openwhisk";
import { AUTH, NAMESPACE, rejection, startWhisk, useWhisk } from "./whisk.mjs";

describe("the actions' runtime", () => {
  const server = useWhisk();

  test("an action calls another through require('openwhisk') when it may have the key", async () => {
    await server.ow.actions.create({ name: "callee", action: "function main(p) { return {twice: p.x * 2}; }" });
    const caller = "const openwhisk = require('openwhisk');\n" +
                   "async function main(p) {\n" +
                   "  const result = await openwhisk().actions.invoke({name: 'callee', blocking: true, result: true, params: {x: p.x}});\n" +
                   "  return {called: result, host: process.env.__OW_API_HOST, ns: process.env.__OW_NAMESPACE};\n}";
    const created = await server.ow.actions.create({ name: "caller", action: caller,
                                              annotations: { "provide-api-key": true } });
    assert.ok(created.annotations.some((a) => a.key === "provide-api-key" && a.value === true));
    const result = await server.ow.actions.invoke({ name: "caller", blocking: true, result: true, params: { x: 21 } });
    assert.deepEqual(result, { called: { twice: 42 }, host: server.whisk.apihost, ns: NAMESPACE });
    const calls = await server.ow.activations.list({ name: "callee" });
    assert.equal(calls.length, 1);

    // OpenWhisk annotates new actions provide-api-key: false; they get no key.
    const keyless = await server.ow.actions.create({ name: "keyless", action: "function main() { return {key: process.env.__OW_API_KEY || null}; }" });
    assert.ok(keyless.annotations.some((a) => a.key === "provide-api-key" && a.value === false));
    assert.deepEqual(await server.ow.actions.invoke({ name: "keyless", blocking: true, result: true }), { key: null });
  });

  // Node's permission model came with Node.js 20; on an older one snet-whisk runs unsandboxed.
  const sandboxed = Number(process.versions.node.split(".")[0]) >= 20;
  test("actions read nothing outside their code, write nothing, start no process",
       { skip: sandboxed ? false : "Node.js < 20 has no permission model" }, async () => {
    const probe = "function main() {\n" +
                  "  const fs = require('fs');\n  const out = {};\n" +
                  "  try { fs.readFileSync('/etc/passwd'); out.read = 'allowed'; } catch (e) { out.read = e.code; }\n" +
                  "  try { fs.readFileSync('/etc/hostname'); out.readHost = 'allowed'; } catch (e) { out.readHost = e.code; }\n" +
                  "  try { fs.writeFileSync('/tmp/snet-whisk-probe', 'x'); out.write = 'allowed'; } catch (e) { out.write = e.code; }\n" +
                  "  try { require('child_process').execFileSync('true'); out.spawn = 'allowed'; } catch (e) { out.spawn = e.code; }\n" +
                  "  out.uid = process.getuid();\n  return out;\n}";
    await server.ow.actions.create({ name: "probe", action: probe });
    const result = await server.ow.actions.invoke({ name: "probe", blocking: true, result: true });
    assert.equal(result.read, "ERR_ACCESS_DENIED");
    assert.equal(result.readHost, "ERR_ACCESS_DENIED");
    assert.equal(result.write, "ERR_ACCESS_DENIED");
    assert.equal(result.spawn, "ERR_ACCESS_DENIED");
    if (process.getuid() === 0) assert.notEqual(result.uid, 0, "workers of a root snet-whisk run unprivileged");
  });
});

describe("the key of a data directory", () => {
  test("without --auth, snet-whisk generates a key once per data directory and keeps it", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "snet-whisk-key-"));
    try {
      const first = await startWhisk(["--auth", "", "--data-dir", dataDir]);
      const key = fs.readFileSync(path.join(dataDir, "whisk.auth"), "utf8").trim();
      assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}:[A-Za-z0-9]{64}$/);
      assert.equal(fs.statSync(path.join(dataDir, "whisk.auth")).mode & 0o777, 0o600);
      const guest = openwhisk({ apihost: first.apihost, namespace: NAMESPACE,
                                api_key: "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP" });
      assert.equal((await rejection(guest.actions.list())).statusCode, 401);
      const owner = openwhisk({ apihost: first.apihost, api_key: key, namespace: NAMESPACE });
      assert.deepEqual(await owner.actions.list(), []);
      await first.stop();
      const second = await startWhisk(["--auth", "", "--data-dir", dataDir]);
      const again = openwhisk({ apihost: second.apihost, api_key: key, namespace: NAMESPACE });
      assert.deepEqual(await again.actions.list(), []);
      assert.notEqual(key, AUTH);
      await second.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
