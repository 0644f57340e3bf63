// Contract: triggers and rules on snet-whisk as OpenWhisk's controller has them, driven by
// OpenWhisk's npm client: create/get/list/delete; a rule links a trigger to an action and is
// active or inactive; firing invokes every active rule's action with the trigger's parameters
// under the payload (204 without an active rule), and records a trigger activation whose logs
// name each rule's outcome. Sources: apache/openwhisk docs/triggers_rules.md, docs/rest_api.md,
// core/controller .../Triggers.scala and Rules.scala.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NAMESPACE, activationRecord, eventually, rejection, startWhisk } from "./whisk.mjs";

describe("triggers and rules through the openwhisk npm client", () => {
  let whisk;
  let ow;
  before(async () => {
    whisk = await startWhisk();
    ow = whisk.ow;
    await ow.actions.create({ name: "echo", action: "function main(p) { console.log(JSON.stringify(p)); return p; }" });
    await ow.actions.create({ name: "tally", action: "function main(p) { return {tallied: p.n}; }" });
  });
  after(async () => whisk?.stop());

  test("triggers: create, get, list, update, delete", async () => {
    const created = await ow.triggers.create({ name: "doorbell", trigger: { parameters: [{ key: "where", value: "front" }] } });
    assert.equal(created.name, "doorbell");
    assert.equal(created.namespace, NAMESPACE);
    assert.equal(created.version, "0.0.1");
    assert.deepEqual(created.parameters, [{ key: "where", value: "front" }]);
    const conflict = await rejection(ow.triggers.create({ name: "doorbell" }));
    assert.equal(conflict.statusCode, 409);
    const updated = await ow.triggers.update({ name: "doorbell", trigger: { parameters: [{ key: "where", value: "back" }] } });
    assert.equal(updated.version, "0.0.2");
    assert.ok((await ow.triggers.list()).some((t) => t.name === "doorbell"));
    assert.equal((await ow.triggers.get({ name: "doorbell" })).parameters[0].value, "back");
    await ow.triggers.delete({ name: "doorbell" });
    assert.equal((await rejection(ow.triggers.get({ name: "doorbell" }))).statusCode, 404);
  });

  test("rules: a fired trigger invokes each active rule's action, records its activation", async () => {
    await ow.triggers.create({ name: "press", trigger: { parameters: [{ key: "source", value: "trigger" }, { key: "n", value: 0 }] } });
    const rule = await ow.rules.create({ name: "press-echo", trigger: "press", action: "echo" });
    assert.equal(rule.status, "active");
    assert.deepEqual(rule.trigger, { name: "press", path: NAMESPACE });
    assert.deepEqual(rule.action, { name: "echo", path: NAMESPACE });
    await ow.rules.create({ name: "press-tally", trigger: "press", action: "tally" });
    const trigger = await ow.triggers.get({ name: "press" });
    assert.equal(trigger.rules[`${NAMESPACE}/press-echo`].status, "active");
    assert.deepEqual(trigger.rules[`${NAMESPACE}/press-echo`].action, { name: "echo", path: NAMESPACE });

    const fired = await ow.triggers.invoke({ name: "press", params: { n: 7 } });
    assert.match(fired.activationId, /^[0-9a-f]{32}$/);
    const record = await activationRecord(ow, fired.activationId);
    assert.equal(record.name, "press");
    assert.deepEqual(record.response.result, { n: 7 });
    assert.equal(record.response.success, true);
    const outcomes = record.logs.map((line) => JSON.parse(line));
    assert.equal(outcomes.length, 2);
    const byRule = Object.fromEntries(outcomes.map((o) => [o.rule, o]));
    for (const [name, action] of [["press-echo", "echo"], ["press-tally", "tally"]]) {
      const outcome = byRule[`${NAMESPACE}/${name}`];
      assert.equal(outcome.action, `${NAMESPACE}/${action}`);
      assert.equal(outcome.statusCode, 0);
      assert.equal(outcome.success, true);
      assert.match(outcome.activationId, /^[0-9a-f]{32}$/);
    }
    const echoed = await activationRecord(ow, byRule[`${NAMESPACE}/press-echo`].activationId);
    assert.equal(echoed.name, "echo");
    assert.deepEqual(echoed.response.result, { source: "trigger", n: 7 });  // payload over parameters
    const tallied = await activationRecord(ow, byRule[`${NAMESPACE}/press-tally`].activationId);
    assert.deepEqual(tallied.response.result, { tallied: 7 });
  });

  test("rules: inactive rules do not fire; a trigger without active rules answers 204", async () => {
    await ow.triggers.create({ name: "quiet" });
    await ow.rules.create({ name: "quiet-echo", trigger: "quiet", action: "echo" });
    await ow.rules.create({ name: "quiet-tally", trigger: "quiet", action: "tally" });
    await ow.rules.disable({ name: "quiet-tally" });
    assert.equal((await ow.rules.get({ name: "quiet-tally" })).status, "inactive");

    const fired = await ow.triggers.invoke({ name: "quiet", params: { n: 1 } });
    const record = await activationRecord(ow, fired.activationId);
    const outcomes = Object.fromEntries(record.logs.map((l) => JSON.parse(l)).map((o) => [o.rule, o]));
    assert.equal(outcomes[`${NAMESPACE}/quiet-echo`].success, true);
    assert.deepEqual(outcomes[`${NAMESPACE}/quiet-tally`], {
      rule: `${NAMESPACE}/quiet-tally`, action: `${NAMESPACE}/tally`, statusCode: 1, success: false,
      error: `Rule '${NAMESPACE}/quiet-tally' is inactive, action '${NAMESPACE}/tally' was not activated.`,
    });

    // The rule's action runs after the fire is answered: wait for its record before counting.
    await activationRecord(ow, outcomes[`${NAMESPACE}/quiet-echo`].activationId);

    await ow.rules.disable({ name: "quiet-echo" });
    const before = (await ow.activations.list({ limit: 200 })).length;
    const nothing = await ow.triggers.invoke({ name: "quiet" });
    assert.equal(nothing, "");  // 204 No Content: no activation
    assert.equal((await ow.activations.list({ limit: 200 })).length, before);

    await ow.rules.enable({ name: "quiet-echo" });
    assert.equal((await ow.rules.get({ name: "quiet-echo" })).status, "active");
    const again = await ow.triggers.invoke({ name: "quiet" });
    assert.ok(again.activationId);
  });

  test("rules: list, refused rules, delete", async () => {
    const names = (await ow.rules.list()).map((r) => r.name);
    assert.ok(names.includes("press-echo"), JSON.stringify(names));
    const noTrigger = await rejection(ow.rules.create({ name: "orphan", trigger: "no-such-trigger", action: "echo" }));
    assert.equal(noTrigger.statusCode, 400);
    const noAction = await rejection(ow.rules.create({ name: "orphan", trigger: "press", action: "no-such-action" }));
    assert.equal(noAction.statusCode, 400);
    const conflict = await rejection(ow.rules.create({ name: "press-echo", trigger: "press", action: "echo" }));
    assert.equal(conflict.statusCode, 409);

    const removed = await ow.rules.delete({ name: "press-echo" });
    assert.equal(removed.name, "press-echo");
    assert.equal((await rejection(ow.rules.get({ name: "press-echo" }))).statusCode, 404);
    const trigger = await ow.triggers.get({ name: "press" });
    assert.equal(trigger.rules[`${NAMESPACE}/press-echo`], undefined);
    // The remaining rule still fires.
    const fired = await ow.triggers.invoke({ name: "press", params: { n: 2 } });
    const record = await activationRecord(ow, fired.activationId);
    assert.deepEqual(record.logs.map((l) => JSON.parse(l).rule), [`${NAMESPACE}/press-tally`]);
    await eventually("the tally activation", async () => {
      const list = await ow.activations.list({ name: "tally", limit: 1 });
      return list[0]?.response?.result?.tallied === 2;
    });
  });
});
