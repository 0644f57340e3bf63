// Contract: snet-whisk answers Apache OpenWhisk's npm client (`openwhisk`) the way OpenWhisk does
// for actions and activations: statuses (200, 202, 404, 409, 401, 502), body shapes (the action,
// the activation record, {activationId}, {error, code}) and the activation's result and logs.
// Sources: apache/openwhisk docs/rest_api.md, core/controller Actions.scala / Activations.scala,
// common/scala http/ErrorResponse.scala (the texts), openwhisk-client-js lib/.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import openwhisk from "openwhisk";
import { AUTH, NAMESPACE, activationRecord, rejection, useWhisk } from "./whisk.mjs";

const HELLO = `
function main(params) {
  console.log('hello', params.name);
  return { greeting: 'Hello ' + (params.name || 'stranger') };
}`;

describe("actions and activations through the openwhisk npm client", () => {
  const server = useWhisk();

  test("create, get, list, update and delete an action", async () => {
    const created = await server.ow.actions.create({ name: "hello", action: HELLO });
    assert.equal(created.name, "hello");
    assert.equal(created.namespace, NAMESPACE);
    assert.equal(created.version, "0.0.1");
    assert.equal(created.exec.kind, "nodejs:20");  // nodejs:default resolved, as OpenWhisk does
    assert.equal(created.exec.binary, false);
    assert.deepEqual(created.limits, { timeout: 60000, memory: 256, logs: 10, concurrency: 1 });
    assert.ok(created.annotations.some((a) => a.key === "exec" && a.value === "nodejs:20"));

    const got = await server.ow.actions.get({ name: "hello" });
    assert.equal(got.exec.code, HELLO);
    const withoutCode = await server.ow.actions.get({ name: "hello", code: false });
    assert.equal(withoutCode.exec.code, undefined);

    const conflict = await rejection(server.ow.actions.create({ name: "hello", action: HELLO }));
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.error.error, "resource already exists");
    assert.match(conflict.error.code, /^\w+$/);

    const updated = await server.ow.actions.update({ name: "hello", action: HELLO, params: { name: "bound" },
                                              limits: { timeout: 5000 } });
    assert.equal(updated.version, "0.0.2");
    assert.equal(updated.limits.timeout, 5000);
    assert.deepEqual(updated.parameters, [{ key: "name", value: "bound" }]);

    const list = await server.ow.actions.list();
    const listed = list.find((a) => a.name === "hello");
    assert.ok(listed, JSON.stringify(list));
    assert.equal(listed.version, "0.0.2");
    assert.equal(listed.exec.code, undefined);
    assert.equal(listed.namespace, NAMESPACE);

    const removed = await server.ow.actions.delete({ name: "hello" });
    assert.equal(removed.name, "hello");
    const gone = await rejection(server.ow.actions.get({ name: "hello" }));
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.error.error, "The requested resource does not exist.");
    const goneAgain = await rejection(server.ow.actions.delete({ name: "hello" }));
    assert.equal(goneAgain.statusCode, 404);
  });

  test("invoke: blocking gives the record, result-only the result, non-blocking an id", async () => {
    await server.ow.actions.update({ name: "greet", action: HELLO });

    const record = await server.ow.actions.invoke({ name: "greet", blocking: true, params: { name: "Ada" } });
    assert.match(record.activationId, /^[0-9a-f]{32}$/);
    assert.equal(record.name, "greet");
    assert.equal(record.namespace, NAMESPACE);
    assert.equal(record.version, "0.0.1");
    assert.deepEqual(record.response, { status: "success", statusCode: 0, success: true,
                                        result: { greeting: "Hello Ada" } });
    assert.equal(typeof record.start, "number");
    assert.equal(record.duration, record.end - record.start);
    const note = (key) => record.annotations.find((a) => a.key === key)?.value;
    assert.equal(note("path"), `${NAMESPACE}/greet`);
    assert.equal(note("kind"), "nodejs:20");
    assert.equal(typeof note("waitTime"), "number");
    assert.equal(note("limits").timeout, 60000);
    assert.ok(record.logs.some((l) => / stdout: hello Ada$/.test(l)), JSON.stringify(record.logs));

    const result = await server.ow.actions.invoke({ name: "greet", blocking: true, result: true,
                                             params: { name: "Grace" } });
    assert.deepEqual(result, { greeting: "Hello Grace" });

    const accepted = await server.ow.actions.invoke({ name: "greet", params: { name: "Alan" } });
    assert.deepEqual(Object.keys(accepted), ["activationId"]);
    const later = await activationRecord(server.ow, accepted.activationId);
    assert.deepEqual(later.response.result, { greeting: "Hello Alan" });

    const missing = await rejection(server.ow.actions.invoke({ name: "nothing-here", blocking: true }));
    assert.equal(missing.statusCode, 404);
  });

  test("a failed action is 502 carrying its record (or its {error} result)", async () => {
    await server.ow.actions.update({ name: "fails", action: "function main() { return {error: 'no luck'}; }" });
    const failed = await rejection(server.ow.actions.invoke({ name: "fails", blocking: true }));
    assert.equal(failed.statusCode, 502);
    assert.equal(failed.error.response.status, "application error");
    assert.equal(failed.error.response.statusCode, 1);
    assert.equal(failed.error.response.success, false);
    assert.deepEqual(failed.error.response.result, { error: "no luck" });

    await server.ow.actions.update({ name: "throws", action: "function main() { throw new Error('boom'); }" });
    const thrown = await rejection(server.ow.actions.invoke({ name: "throws", blocking: true }));
    assert.equal(thrown.statusCode, 502);
    assert.equal(thrown.error.response.status, "action developer error");
    assert.equal(thrown.error.response.statusCode, 2);
    assert.match(thrown.error.response.result.error, /boom/);

    const rejected = await rejection(server.ow.actions.invoke({
      name: "fails", blocking: true, result: true }));
    assert.equal(rejected.statusCode, 502);
  });

  test("activations: list (newest first, by name), get, result and logs", async () => {
    await server.ow.actions.update({ name: "count", action: "function main(p) { console.log('n=' + p.n); return {n: p.n}; }" });
    const ids = [];
    for (const n of [1, 2, 3]) {
      ids.push((await server.ow.actions.invoke({ name: "count", blocking: true, params: { n } })).activationId);
    }
    const listed = await server.ow.activations.list({ name: "count", limit: 2 });
    assert.deepEqual(listed.map((a) => a.activationId), [ids[2], ids[1]]);
    assert.ok(listed.every((a) => a.name === "count"));
    const skipped = await server.ow.activations.list({ name: "count", limit: 2, skip: 2 });
    assert.deepEqual(skipped.map((a) => a.activationId), [ids[0]]);
    assert.deepEqual(await server.ow.activations.list({ name: "count", count: true }), { activations: 3 });
    const actionCount = (await server.ow.actions.list()).length;
    assert.deepEqual(await server.ow.actions.list({ count: true }), { actions: actionCount });

    const record = await server.ow.activations.get({ name: ids[0] });
    assert.equal(record.activationId, ids[0]);
    assert.deepEqual(record.response.result, { n: 1 });

    const result = await server.ow.activations.result({ name: ids[1] });
    assert.deepEqual(result, { status: "success", statusCode: 0, success: true, result: { n: 2 } });

    const logs = await server.ow.activations.logs({ name: ids[2] });
    assert.equal(logs.logs.length, 1);
    assert.match(logs.logs[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z\s+stdout: n=3$/);

    const unknown = await rejection(server.ow.activations.get({ name: "0".repeat(32) }));
    assert.equal(unknown.statusCode, 404);
  });

  test("a wrong key is 401, another namespace 403", async () => {
    const stranger = openwhisk({ apihost: server.whisk.apihost, api_key: AUTH.replace(/k+$/, "x".repeat(64)),
                                 namespace: NAMESPACE });
    const refused = await rejection(stranger.actions.list());
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.error.error, "The supplied authentication is invalid");
    const elsewhere = await rejection(server.ow.actions.list({ namespace: "someone-else" }));
    assert.equal(elsewhere.statusCode, 403);
    const namespaces = await server.ow.namespaces.list();
    assert.deepEqual(namespaces, [NAMESPACE]);
  });
});
