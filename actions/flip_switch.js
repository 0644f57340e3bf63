// flip_switch: every target goes to the opposite of its last known state (never reported
// counts as off), like the relayer's builtin action of the same name.
// Contract (docs/actions.md): params {button, press_id, press_ts, topology, targets, attrs};
// result {commands: {<target id>: {on: true|false}}}.
// Deploy: wsk action create flip_switch actions/flip_switch.js   (or: snet actions deploy)
// concurrency: one warm worker runs many presses at once (the action keeps no state); an
// OpenWhisk that allows less gets it deployed with its default (docs/actions.md).
// snet:limits {"timeout": 5000, "concurrency": 200}

function main(params) {
  const commands = {};
  for (const target of params.targets || []) {
    commands[target.id] = { on: target.on !== true };
  }
  return { commands };
}
