// Contract: OpenWhisk's programming model on snet-whisk, driven by OpenWhisk's npm client:
// exec.main, bound parameters merged under the invocation's, zipped Node.js actions (package.json
// `main`, bundled node_modules, "file.fn" mains), sequences (one activation per component plus
// the sequence's own) and limits (time, memory, logs) with OpenWhisk's statuses and texts.
// Sources: apache/openwhisk docs/actions.md, docs/actions-nodejs.md, docs/reference.md (limits),
// core/controller .../actions/SequenceActions.scala, common/scala .../http/ErrorResponse.scala,
// openwhisk-runtime-nodejs core/nodejsActionBase/runner.js.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { NAMESPACE, activationRecord, rejection, useWhisk } from "./whisk.mjs";

/** A zip (as a Buffer) of `files` {relative path: text}, made with the system's zip. */
function zipOf(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snet-zip-"));
  try {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    execFileSync("zip", ["-q", "-r", "action.zip", ...Object.keys(files)], { cwd: dir });
    return fs.readFileSync(path.join(dir, "action.zip"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const note = (record, key) => record.annotations.find((a) => a.key === key)?.value;

describe("OpenWhisk's programming model through the openwhisk npm client", () => {
  const server = useWhisk();

  test("exec.main names the entry function", async () => {
    const code = "function main() { return {which: 'main'}; }\n" +
                 "function greet(p) { return {which: 'greet', who: p.who}; }";
    const created = await server.ow.actions.create({ name: "entry", action: code, exec: { main: "greet" } });
    assert.equal(created.exec.main, "greet");
    const result = await server.ow.actions.invoke({ name: "entry", blocking: true, result: true, params: { who: "x" } });
    assert.deepEqual(result, { which: "greet", who: "x" });

    await server.ow.actions.update({ name: "entry", action: code, exec: { main: "absent" } });
    const failed = await rejection(server.ow.actions.invoke({ name: "entry", blocking: true }));
    assert.equal(failed.statusCode, 502);
    assert.equal(failed.error.response.status, "action developer error");
    assert.equal(failed.error.response.result.error,
                 "Initialization has failed due to: Action entrypoint 'absent' is not a function.");
  });

  test("bound parameters are merged under the invocation's, which win", async () => {
    await server.ow.actions.create({ name: "params", action: "function main(p) { return p; }",
                              params: { color: "red", size: 3 } });
    const result = await server.ow.actions.invoke({ name: "params", blocking: true, result: true,
                                             params: { color: "blue", extra: true } });
    assert.deepEqual(result, { color: "blue", size: 3, extra: true });
    // An update without parameters keeps them; one with parameters replaces them.
    await server.ow.actions.update({ name: "params", limits: { timeout: 3000 } });
    assert.deepEqual((await server.ow.actions.get({ name: "params" })).parameters,
                     [{ key: "color", value: "red" }, { key: "size", value: 3 }]);
    await server.ow.actions.update({ name: "params", params: { only: 1 } });
    assert.deepEqual(await server.ow.actions.invoke({ name: "params", blocking: true, result: true }), { only: 1 });
  });

  test("a zipped action: package.json main, bundled node_modules, file.fn mains", async () => {
    const zip = zipOf({
      "package.json": JSON.stringify({ name: "zipped", main: "lib/entry.js" }),
      "lib/entry.js": "const shout = require('shout');\n" +
                      "exports.main = (p) => ({ text: shout(p.text || 'hi') });\n" +
                      "exports.quiet = (p) => ({ text: String(p.text).toLowerCase() });",
      "node_modules/shout/index.js": "module.exports = (s) => s.toUpperCase() + '!';",
      "other.js": "exports.run = () => ({ file: 'other' });",
    });
    const created = await server.ow.actions.create({ name: "zipped", action: zip, kind: "nodejs:default" });
    assert.equal(created.exec.binary, true);
    assert.deepEqual(await server.ow.actions.invoke({ name: "zipped", blocking: true, result: true,
                                               params: { text: "hello" } }), { text: "HELLO!" });

    await server.ow.actions.update({ name: "zipped", action: zip, exec: { main: "quiet" } });
    assert.deepEqual(await server.ow.actions.invoke({ name: "zipped", blocking: true, result: true,
                                               params: { text: "LOUD" } }), { text: "loud" });
    await server.ow.actions.update({ name: "zipped", action: zip, exec: { main: "other.run" } });
    assert.deepEqual(await server.ow.actions.invoke({ name: "zipped", blocking: true, result: true }),
                     { file: "other" });

    const bare = zipOf({ "lib.js": "exports.main = () => ({})" });
    await server.ow.actions.create({ name: "bare-zip", action: bare });
    const failed = await rejection(server.ow.actions.invoke({ name: "bare-zip", blocking: true }));
    assert.equal(failed.statusCode, 502);
    assert.equal(failed.error.response.result.error, "Initialization has failed due to: " +
                 "Zipped actions must contain either package.json or index.js at the root.");

    const notZip = await rejection(server.ow.actions.create({ name: "not-zip", action: Buffer.from("plain text") }));
    assert.equal(notZip.statusCode, 400);
    assert.match(notZip.error.error, /uncompressing the action archive/);
  });

  test("a sequence: components in order, a record per component plus the sequence's own", async () => {
    await server.ow.actions.create({ name: "add-one", action: "function main(p) { return {n: p.n + 1}; }" });
    await server.ow.actions.create({ name: "double", action: "function main(p) { return {n: p.n * 2, by: p.by}; }",
                              params: { by: "double" } });
    const created = await server.ow.actions.create({ name: "calc", sequence: [`/_/add-one`, `/${NAMESPACE}/double`] });
    assert.equal(created.exec.kind, "sequence");
    assert.deepEqual(created.exec.components, [`/${NAMESPACE}/add-one`, `/${NAMESPACE}/double`]);
    assert.deepEqual(created.parameters,
                     [{ key: "_actions", value: [`/${NAMESPACE}/add-one`, `/${NAMESPACE}/double`] }]);

    const record = await server.ow.actions.invoke({ name: "calc", blocking: true, params: { n: 4 } });
    assert.deepEqual(record.response.result, { n: 10, by: "double" });
    assert.equal(record.response.status, "success");
    assert.equal(note(record, "kind"), "sequence");
    assert.equal(note(record, "topmost"), true);
    assert.equal(note(record, "path"), `${NAMESPACE}/calc`);
    assert.equal(record.logs.length, 2);  // the components' activation ids, in order
    const [first, second] = await Promise.all(record.logs.map((id) => server.ow.activations.get({ name: id })));
    assert.equal(first.name, "add-one");
    assert.equal(second.name, "double");
    for (const component of [first, second]) {
      assert.equal(component.cause, record.activationId);
      assert.equal(note(component, "causedBy"), "sequence");
    }
    assert.deepEqual(first.response.result, { n: 5 });
    assert.equal(record.duration, first.duration + second.duration);

    const accepted = await server.ow.actions.invoke({ name: "calc", params: { n: 0 } });
    const later = await activationRecord(server.ow, accepted.activationId);
    assert.deepEqual(later.response.result, { n: 2, by: "double" });
  });

  test("a sequence stops at a component's error; bad sequences are refused", async () => {
    await server.ow.actions.create({ name: "refuse", action: "function main() { return {error: 'refused'}; }" });
    await server.ow.actions.create({ name: "never", action: "function main() { return {reached: true}; }" });
    await server.ow.actions.create({ name: "stops", sequence: ["/_/refuse", "/_/never"] });
    const failed = await rejection(server.ow.actions.invoke({ name: "stops", blocking: true }));
    assert.equal(failed.statusCode, 502);
    assert.equal(failed.error.response.status, "application error");
    assert.deepEqual(failed.error.response.result, { error: "refused" });
    assert.equal(failed.error.logs.length, 1);

    const missing = await rejection(server.ow.actions.create({ name: "broken-seq", sequence: ["/_/no-such-action"] }));
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.error.error, "Sequence component does not exist.");
    await server.ow.actions.create({ name: "inner", sequence: ["/_/never"] });
    const cyclic = await rejection(server.ow.actions.update({ name: "inner", sequence: ["/_/never", "/_/inner"] }));
    assert.equal(cyclic.statusCode, 400);
    assert.equal(cyclic.error.error, "Sequence may not refer to itself.");

    await server.ow.actions.create({ name: "outer", sequence: ["/_/inner", "/_/never"] });
    const nested = await server.ow.actions.invoke({ name: "outer", blocking: true });
    assert.deepEqual(nested.response.result, { reached: true });
    const inner = await server.ow.activations.get({ name: nested.logs[0] });
    assert.equal(inner.name, "inner");
    assert.equal(note(inner, "topmost"), false);
    assert.equal(inner.cause, nested.activationId);
  });

  test("limits: past its time an action is stopped and its worker replaced", async () => {
    await server.ow.actions.create({ name: "sleepy", limits: { timeout: 300 },
                              action: "function main(p) { if (p.spin) for (;;) {} " +
                                      "return new Promise(r => setTimeout(() => r({late: true}), 5000)); }" });
    for (const spin of [false, true]) {
      const failed = await rejection(server.ow.actions.invoke({ name: "sleepy", blocking: true, params: { spin } }));
      assert.equal(failed.statusCode, 502);
      assert.equal(failed.error.response.status, "action developer error");
      assert.equal(failed.error.response.statusCode, 2);
      assert.deepEqual(failed.error.response.result,
                       { error: "The action exceeded its time limits of 300 milliseconds." });
    }
    await server.ow.actions.create({ name: "slow-init", limits: { timeout: 300 },
                              action: "for (;;) {}\nfunction main() { return {}; }" });
    const init = await rejection(server.ow.actions.invoke({ name: "slow-init", blocking: true }));
    assert.deepEqual(init.error.response.result,
                     { error: "The action exceeded its time limits of 300 milliseconds during initialization." });
    // A fresh worker serves the next activation.
    await server.ow.actions.update({ name: "sleepy", action: "function main() { return {ok: true}; }" });
    assert.deepEqual(await server.ow.actions.invoke({ name: "sleepy", blocking: true, result: true }), { ok: true });
  });

  test("limits: past its memory an action is stopped with OpenWhisk's message", async () => {
    await server.ow.actions.create({ name: "hungry", limits: { memory: 128, timeout: 20000 },
                              action: "const kept = [];\nfunction main() {\n" +
                                      "  return new Promise(() => { setInterval(() => kept.push(Buffer.alloc(16 << 20, 1)), 5); });\n}" });
    const failed = await rejection(server.ow.actions.invoke({ name: "hungry", blocking: true }));
    assert.equal(failed.statusCode, 502);
    assert.equal(failed.error.response.status, "action developer error");
    assert.deepEqual(failed.error.response.result, { error: "The action exhausted its memory and was aborted." });
    assert.ok(failed.error.duration < 15000, `stopped after ${failed.error.duration} ms`);
  });

  test("limits: logs beyond limits.logs are cut with OpenWhisk's note; logs are the console", async () => {
    await server.ow.actions.create({ name: "chatty", limits: { logs: 1 },
                              action: "function main() { for (let i = 0; i < 3000; i++) console.log('x'.repeat(1000)); " +
                                      "console.error('never seen'); return {}; }" });
    const record = await server.ow.actions.invoke({ name: "chatty", blocking: true });
    const logs = (await server.ow.activations.logs({ name: record.activationId })).logs;
    assert.ok(logs.length > 1000 && logs.length < 1100, `${logs.length} lines`);
    assert.match(logs.at(-1), /stderr: Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes\.$/);
    assert.ok(!logs.some((l) => l.includes("never seen")));
  });
});
