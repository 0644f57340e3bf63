// scene: puts a whole group of lamps into one state with one press ("all off when leaving").
//   - The state: the button's attribute `state` ("on" or "off"), else the action's bound
//     parameter `state` (wsk action update scene --param state false), else on.
//   - The group: the button's targets, narrowed by the button's attribute `only`, e.g.
//     "floor=1", to targets whose attributes match.
// A state that is neither on/off nor a boolean is an error naming the button, so a typo in a
// topology shows up on the dashboard instead of switching the wrong way.
// snet:limits {"timeout": 5000}

function parseState(value, where) {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'on' || value === 'true') return true;
  if (value === false || value === 'off' || value === 'false') return false;
  throw new Error(`${where} must be "on" or "off", not ${JSON.stringify(value)}`);
}

function main(params) {
  const attrs = params.attrs || {};
  let state = parseState(attrs.state, `attribute "state" of button ${params.button}`);
  if (state === undefined) state = parseState(params.state, 'parameter "state"');
  if (state === undefined) state = true;

  let filter = null;
  if (attrs.only) {
    const eq = attrs.only.indexOf('=');
    if (eq <= 0) throw new Error(`attribute "only" of button ${params.button} must be key=value`);
    filter = { key: attrs.only.slice(0, eq), value: attrs.only.slice(eq + 1) };
  }

  const commands = {};
  for (const target of params.targets || []) {
    if (filter && (target.attrs || {})[filter.key] !== filter.value) continue;
    commands[target.id] = { on: state };
  }
  return { commands };
}
