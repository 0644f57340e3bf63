// The real Serverlessnet stack for the browser tests and the dashboard bench: mosquitto (from
// broker-config/mosquitto.conf on a free port), snet-state, snet-relayer and snet-agent from the
// build folder, each a child process logging to the temp folder. Started here rather than by
// `snet up` so that one service (the state service) can be stopped and started on its own.
// Every wait is bounded; stop() (and process exit) ends every child.
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BUILD_DIR = path.resolve(process.env.SNET_BUILD_DIR ?? path.join(SOURCE_DIR, "build"));

const live = new Set();  // children not yet reaped, killed if this process exits early
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    for (const child of live) child.kill("SIGKILL");
    process.exit(130);
  });
}

/** A TCP port nobody listens on right now (the kernel's choice). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` (async, truthy when done) every `everyMs` until `timeoutMs`; throws naming `what`. */
export async function eventually(what, probe, { timeoutMs = 10_000, everyMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

/** A built program, or a clear error naming the build folder. */
export function program(name) {
  const file = path.join(BUILD_DIR, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: build it (cmake --build ${BUILD_DIR} --target ${name}) or set SNET_BUILD_DIR`);
  }
  return file;
}

/** Runs mosquitto_pub once (QoS 1) and resolves when it exits 0. */
export function mosquittoPub(port, topic, message) {
  return new Promise((resolve, reject) => {
    execFile("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", topic, "-m", message],
             { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`mosquitto_pub: ${err.message} ${stderr}`)) : resolve()));
  });
}

class Child {
  constructor(name, argv, logFile, env = {}) {
    this.name = name;
    this.logFile = logFile;
    const fd = fs.openSync(logFile, "a");
    this.process = spawn(argv[0], argv.slice(1), { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
    fs.closeSync(fd);
    live.add(this.process);
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => {
        live.delete(this.process);
        this.status = signal ? `killed by ${signal}` : `exited with ${code}`;
        resolve(this.status);
      });
      this.process.once("error", (err) => {
        live.delete(this.process);
        this.status = `could not start: ${err.message}`;
        resolve(this.status);
      });
    });
  }

  get running() {
    return this.status === undefined;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000) {
    this.stoppedOnPurpose = true;
    if (!this.running) return this.status;
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  tail(lines = 20) {
    try {
      return fs.readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }
}

export class Stack {
  /** topology: a topology object (written to the temp folder) or a path; stateArgs: extra
      flags for snet-state (e.g. --supervisor-url). */
  constructor(topology, { logLevel = "warn", label = "browser", stateArgs = [] } = {}) {
    this.stateArgs = stateArgs;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `snet-${label}-`));
    if (typeof topology === "string") {
      this.topologyFile = topology;
      this.topology = JSON.parse(fs.readFileSync(topology, "utf8"));
    } else {
      this.topologyFile = path.join(this.dir, "topology.json");
      fs.writeFileSync(this.topologyFile, JSON.stringify(topology, null, 2));
      this.topology = topology;
    }
    this.name = this.topology.name;
    this.logLevel = logLevel;
    this.children = new Map();
  }

  get url() {
    return `http://127.0.0.1:${this.httpPort}/`;
  }

  get brokerUrl() {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  async start({ deviceCount, timeoutMs = 60_000 } = {}) {
    this.mqttPort = await freePort();
    this.httpPort = await freePort();
    await this.#startBroker();
    await this.startState();
    const common = ["--broker-url", this.brokerUrl, "--topology", this.topologyFile, "--log-level", this.logLevel];
    this.#spawn("relayer", [program("snet-relayer"), ...common]);
    this.#spawn("agent", [program("snet-agent"), ...common]);
    // Ready when both report online and the agent has every device connected.
    await this.#waitFor("the relayer and every device of the agent online", async () => {
      this.#checkAlive();
      const health = await this.api("/api/health");
      const agent = health.services?.agent;
      const connected = agent?.metrics?.snet_agent_devices_connected;
      return health.services?.relayer?.online && agent?.online &&
             (deviceCount === undefined || connected === deviceCount);
    }, timeoutMs);
  }

  async startState() {
    this.#spawn("state", [program("snet-state"), "--broker-url", this.brokerUrl, "--topology", this.topologyFile,
                          "--log-level", this.logLevel, "--http-port", String(this.httpPort),
                          "--data-dir", path.join(this.dir, "state"),
                          "--dashboard-dir", path.join(SOURCE_DIR, "dashboard"), ...this.stateArgs]);
    await this.#waitFor("snet-state to answer GET /healthz", async () => {
      this.#checkAlive();
      const res = await fetch(`${this.url}healthz`);
      return res.status === 200;
    }, 20_000);
  }

  async stopState() {
    return this.children.get("state").stop();
  }

  /** GET a JSON resource of the state service. */
  async api(pathname) {
    const res = await fetch(new URL(pathname, this.url), { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`GET ${pathname}: HTTP ${res.status}`);
    return res.json();
  }

  /** Presses a button by publishing on its press topic with mosquitto_pub, as a user would. */
  pressWithMosquittoPub(button, pressId) {
    return mosquittoPub(this.mqttPort, `snet/${this.name}/press/${button}`, JSON.stringify({ id: pressId }));
  }

  pids() {
    return [...this.children.values()].filter((c) => c.running).map((c) => c.process.pid);
  }

  /** Stops everything, last started first; returns how each child ended. */
  async stop() {
    const order = ["agent", "relayer", "state", "mosquitto"];
    const statuses = {};
    for (const name of order) {
      const child = this.children.get(name);
      if (child) statuses[name] = await child.stop();
    }
    return statuses;
  }

  /** Removes the temp folder (logs included); call after a successful run. */
  cleanUp() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async #startBroker() {
    const dataDir = path.join(this.dir, "mosquitto");
    fs.mkdirSync(dataDir, { recursive: true });
    const template = fs.readFileSync(path.join(SOURCE_DIR, "broker-config", "mosquitto.conf"), "utf8");
    const kept = template.split("\n").filter((line) => !/^\s*(listener|port|persistence_location|log_dest|pid_file)\b/.test(line));
    kept.push(`listener ${this.mqttPort} 127.0.0.1`, `persistence_location ${dataDir}/`, `log_dest file ${dataDir}/mosquitto.log`);
    // As root, mosquitto drops to user 'mosquitto', who cannot write our temp folder.
    if (process.getuid?.() === 0) kept.push("user root");
    const config = path.join(dataDir, "mosquitto.conf");
    fs.writeFileSync(config, `${kept.join("\n")}\n`);
    this.#spawn("mosquitto", [process.env.SNET_MOSQUITTO ?? "mosquitto", "-c", config]);
    await this.#waitFor(`mosquitto on port ${this.mqttPort}`, async () => {
      this.#checkAlive();
      return canConnect(this.mqttPort);
    }, 10_000);
  }

  #spawn(name, argv) {
    const child = new Child(name, argv, path.join(this.dir, `${name}.log`));
    this.children.set(name, child);
    return child;
  }

  #checkAlive() {
    for (const child of this.children.values()) {
      if (!child.running && !child.stoppedOnPurpose) {
        const err = new Error(`${child.name} ${child.status}; end of ${child.logFile}:\n${child.tail()}`);
        err.fatal = true;
        throw err;
      }
    }
  }

  async #waitFor(what, probe, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        if (await probe()) return;
      } catch (err) {
        if (err.fatal) throw err;
        last = err;
      }
      if (Date.now() >= deadline) {
        const logs = [...this.children.values()].map((c) => `--- ${c.name}:\n${c.tail(8)}`).join("\n");
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last.message})` : ""}\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
