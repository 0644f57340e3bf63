// A real snet-whisk from the build folder ($SNET_BUILD_DIR, default build/) on a port the kernel
// chose, and Apache OpenWhisk's own npm client (`openwhisk`, pinned in package.json) pointed at
// it. Every wait is bounded; stop() (and the test process's exit) ends the child.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import openwhisk from "openwhisk";
import { eventually } from "../browser/stack.mjs";

export { eventually };

export const SOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BUILD_DIR = path.resolve(process.env.SNET_BUILD_DIR ?? path.join(SOURCE_DIR, "build"));

// Not OpenWhisk's published guest key: each test server has a key of its own.
export const AUTH = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d:" + "k".repeat(64);
export const NAMESPACE = "contract";

const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Starts snet-whisk (extra flags appended) and resolves once it has said where it listens.
 * Returns { apihost, ow (the npm client), log(), stop() }.
 */
export async function startWhisk(extra = []) {
  const binary = path.join(BUILD_DIR, "snet-whisk");
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: build it or set SNET_BUILD_DIR`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "snet-whisk-client-"));
  const child = spawn(binary, ["--http-port", "0", "--auth", AUTH, "--namespace", NAMESPACE,
                               "--log-level", "debug", ...extra],
                      { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`snet-whisk did not start within 15 s:\n${output}`)), 15_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`snet-whisk exited with ${code} before listening:\n${output}`));
    });
  });
  const apihost = `http://127.0.0.1:${port}`;
  const ow = openwhisk({ apihost, api_key: AUTH, namespace: NAMESPACE });
  return {
    apihost,
    port,
    dataDir,
    ow,
    log: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      live.delete(child);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The error a client call rejects with (fails when it resolves). */
export async function rejection(promise) {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (err) {
    if (err.message?.startsWith("expected a rejection")) throw err;
    return err;
  }
}

/** Waits until the activation `id` has a record, and returns it. */
export function activationRecord(ow, id, timeoutMs = 20_000) {
  return eventually(`activation ${id}`, () => ow.activations.get({ name: id }), { timeoutMs });
}

/**
 * For a describe(): a snet-whisk started before its tests and stopped after them. The returned
 * object's `whisk` and `ow` are set once the tests run.
 */
export function useWhisk(extra = []) {
  const server = {};
  before(async () => {
    server.whisk = await startWhisk(extra);
    server.ow = server.whisk.ow;
  });
  after(async () => server.whisk?.stop());
  return server;
}
