// snet-whisk's Node.js action worker: one warm process that snet-whisk starts, initializes with
// one action's code and then runs activations of that action, following OpenWhisk's
// action-runtime contract (docs/actions-new.md in apache/openwhisk and its Node.js runtime):
//   - init: the code is compiled once; `main` (or exports.main) must be a function;
//   - run: main(params) returns an object or a Promise of one; undefined becomes {};
//     a rejected Promise is an "application error" with result {error: <serialized error>};
//     a synchronous throw is an "action developer error" ("An error has occurred: ...");
//     a result with an "error" field is an "application error";
//   - console output during an activation is that activation's logs.
//
// Transport: line-delimited JSON over a Unix socket that snet-whisk hands over as file
// descriptor $SNET_WHISK_FD (one end of a socketpair). Requests:
//   {"op":"check","name","code"}            -> {"op":"check","ok",("error")}   (syntax only)
//   {"op":"init","name","code"|"dir","main"} -> {"op":"init","ok",("error"),"logs"}
//       "dir": a zipped action, unpacked there by snet-whisk: its package.json `main` or
//       index.js is required ("file.fn" as main names the file), as OpenWhisk's runtime does
//   {"op":"run","id","value","env":{...},"log_limit"} -> {"op":"run","id","status","result","logs"}
//       log_limit: the action's limits.logs in bytes; later output is dropped with OpenWhisk's note
// The worker exits when snet-whisk closes its end.
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const vm = require('vm');
const util = require('util');
const { AsyncLocalStorage } = require('async_hooks');

const DEFAULT_LOG_LIMIT = 10 * 1024 * 1024;  // OpenWhisk's default limits.logs, 10 MB

const fd = Number(process.env.SNET_WHISK_FD);
if (!Number.isInteger(fd) || fd < 0) {
  process.stderr.write('snet-whisk worker: SNET_WHISK_FD is not set; this file is run by snet-whisk\n');
  process.exit(2);
}
const channel = new net.Socket({ fd, readable: true, writable: true });

// Answers made while the microtask queue drains leave in one write (one syscall and one wake-up
// of snet-whisk for a whole batch of concurrent activations, instead of one per answer).
// process.nextTick runs once the queue is empty, before the event loop goes on: batching without
// delay (setImmediate measured ~200 us slower for a lone activation).
let outgoing = [];
let flushQueued = false;

function sendLine(line) {
  outgoing.push(line);
  if (!flushQueued) {
    flushQueued = true;
    process.nextTick(flush);
  }
}

function flush() {
  flushQueued = false;
  if (outgoing.length === 0) return;
  const data = outgoing.join('\n') + '\n';
  outgoing = [];
  channel.write(data);
}

function send(message) {
  sendLine(JSON.stringify(message));
}

// ---- Logs: console output is attributed to the activation whose async context produced it --
const activationContext = new AsyncLocalStorage();
let initLogs = null;  // console output of the init phase, reported with the init answer

function newLogs(limit = DEFAULT_LOG_LIMIT) {
  return { lines: [], bytes: 0, limit, truncated: false };
}

function appendLog(logs, stream, text) {
  for (const line of text.split('\n')) {
    if (logs.truncated) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (logs.bytes + bytes > logs.limit) {
      logs.truncated = true;
      logs.lines.push(`${new Date().toISOString()} stderr: Logs were truncated because the total ` +
                      `bytes size exceeds the limit of ${logs.limit} bytes.`);
      return;
    }
    logs.bytes += bytes;
    logs.lines.push(`${new Date().toISOString()} ${stream}: ${line}`);
  }
}

function capture(stream) {
  return (...args) => {
    const logs = activationContext.getStore() || initLogs;
    if (logs) appendLog(logs, stream, withoutRuntimeFrames(util.format(...args)));
  };
}
console.log = capture('stdout');
console.info = capture('stdout');
console.debug = capture('stdout');
console.warn = capture('stderr');
console.error = capture('stderr');

// ---- Code loading ---------------------------------------------------------------------------
// Wrapped like a CommonJS module, so actions may use require() and exports.main.
// The wrapper's first line is outside the file: lineOffset -1 keeps line numbers the file's own.
function compile(name, code) {
  const wrapper = '(function (exports, require, module, __filename, __dirname) {\n' + code + '\n})';
  return new vm.Script(wrapper, { filename: `${name}.js`, lineOffset: -1 });
}

// Stack frames of this runtime and of Node's internals say nothing to the action's author.
function withoutRuntimeFrames(text) {
  return text.split('\n')
    .filter((l) => !(/^\s+at /.test(l) && (l.includes(__filename) || /\(?node:/.test(l))))
    .join('\n');
}

// The text of a compile error: the code frame and message, without Node's internal frames.
function errorText(error) {
  const text = error && error.stack ? String(error.stack) : String(error);
  return text.split('\n').filter((l) => !/^\s+at /.test(l)).join('\n').trim();
}

let actionMain = null;

// "fn" or "file.fn" (OpenWhisk's runtime: the part before the first dot names a file of a zip).
function splitMainHandler(handler) {
  const matches = /^([^.]+)$|^([^.]+)\.(.+)$/.exec(handler);
  return matches ? [matches[2], matches[3] || matches[1]] : undefined;
}

// A zipped action: the module in `dir` (package.json `main`, else index.js), or `file` of it.
function loadArchive(dir, mainName) {
  const parts = splitMainHandler(mainName);
  if (parts === undefined) throw 'Name of main function is not valid.';
  const [file, fn] = parts;
  process.chdir(dir);
  if (file === undefined && !fs.existsSync(path.join(dir, 'package.json')) &&
      !fs.existsSync(path.join(dir, 'index.js'))) {
    throw 'Zipped actions must contain either package.json or index.js at the root.';
  }
  return require(file === undefined ? dir : path.join(dir, file))[fn];
}

function loadSource(name, code, mainName) {
  const module = { exports: {} };
  const body = compile(name, code + `\n;module.exports.__snet_main = ` +
                       `typeof ${mainName} === 'function' ? ${mainName} : undefined;`);
  body.runInThisContext()(module.exports, require, module, `${name}.js`, process.cwd());
  return module.exports.__snet_main || module.exports[mainName];
}

function init(message) {
  initLogs = newLogs();
  try {
    const mainName = message.main || 'main';
    const main = message.dir ? loadArchive(message.dir, mainName)
                             : loadSource(message.name, message.code, mainName);
    if (typeof main !== 'function') throw `Action entrypoint '${mainName}' is not a function.`;
    actionMain = main;
    return { op: 'init', ok: true, logs: initLogs.lines };
  } catch (error) {
    return { op: 'init', ok: false, error: 'Initialization has failed due to: ' + errorText(error),
             logs: initLogs.lines };
  } finally {
    initLogs = null;
  }
}

// JSON-safe copy of a rejection value (serialize-error's shape: name, message, stack...).
function serializeError(error) {
  if (error instanceof Error) {
    const out = { name: error.name, message: error.message, stack: withoutRuntimeFrames(String(error.stack)) };
    for (const key of Object.keys(error)) out[key] = error[key];
    return out;
  }
  return error === undefined ? {} : error;
}

async function run(message) {
  const logs = newLogs(Number.isInteger(message.log_limit) ? message.log_limit : DEFAULT_LOG_LIMIT);
  // Each assignment to process.env is a setenv() in Node: skip the values that did not change.
  for (const [key, value] of Object.entries(message.env || {})) {
    const text = String(value);
    if (process.env[key] !== text) process.env[key] = text;
  }
  let status = 'success';
  let result;
  await activationContext.run(logs, async () => {
    let pending;
    try {
      pending = actionMain(message.value || {});
    } catch (error) {
      console.error(error);
      status = 'action developer error';
      result = { error: 'An error has occurred: ' + String(error) };
      return;
    }
    try {
      result = await pending;
    } catch (error) {
      status = 'application error';
      result = { error: serializeError(error) };
      return;
    }
    if (result === undefined) result = {};
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      console.error('Result must be of type object but has type "' + typeof result + '":', result);
      status = 'action developer error';
      result = { error: 'The action did not return a dictionary.' };
    } else if (Object.prototype.hasOwnProperty.call(result, 'error')) {
      status = 'application error';
    }
  });
  let line;
  try {
    line = JSON.stringify({ op: 'run', id: message.id, status, result, logs: logs.lines });
  } catch (error) {
    line = JSON.stringify({ op: 'run', id: message.id, status: 'action developer error',
                            result: { error: 'The action did not produce a valid JSON response: ' +
                                             String(error) },
                            logs: logs.lines });
  }
  sendLine(line);
}

function check(message) {
  try {
    compile(message.name, message.code);
    return { op: 'check', ok: true };
  } catch (error) {
    return { op: 'check', ok: false, error: errorText(error) };
  }
}

function handle(message) {
  switch (message.op) {
    case 'check': send(check(message)); break;
    case 'init': send(init(message)); break;
    case 'run': run(message); break;
    default: send({ op: 'error', error: `unknown op ${message.op}` });
  }
}

// An exception outside any await chain (e.g. thrown in a timer) kills the process, as it kills an
// OpenWhisk container; snet-whisk then fails the worker's activations with the text sent here.
function crash(error) {
  try {
    flush();  // answers already made still reach snet-whisk
    channel.write(JSON.stringify({ op: 'crash', error: errorText(error) }) + '\n', () => process.exit(1));
  } catch (_) {
    process.exit(1);
  }
  setTimeout(() => process.exit(1), 200).unref();
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

let buffered = '';
channel.setEncoding('utf8');
channel.on('data', (chunk) => {
  if (chunk.indexOf('\n') < 0) {  // a part of a long line (an init with large code)
    buffered += chunk;
    return;
  }
  // Under load a chunk holds many requests: split it once.
  const lines = (buffered + chunk).split('\n');
  buffered = lines.pop();
  for (const line of lines) {
    if (line.length === 0) continue;
    let message;
    try {
      message = JSON.parse(line);
    } catch (error) {
      send({ op: 'error', error: 'malformed request: ' + String(error) });
      continue;
    }
    handle(message);
  }
});
channel.on('end', () => process.exit(0));
channel.on('close', () => process.exit(0));
channel.on('error', () => process.exit(0));
send({ op: 'ready', pid: process.pid, node: process.version });
