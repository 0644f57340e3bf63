// all_off: every target of the press goes off, whatever its state ("leaving the house"), like
// the relayer's builtin action of the same name.
// Contract (docs/actions.md): params {button, press_id, press_ts, topology, targets, attrs};
// result {commands: {<target id>: {on: false}}}.
// Deploy: wsk action create all_off actions/all_off.js   (or: snet actions deploy)
// snet:limits {"timeout": 5000}

function main(params) {
  const commands = {};
  for (const target of params.targets || []) {
    commands[target.id] = { on: false };
  }
  return { commands };
}
