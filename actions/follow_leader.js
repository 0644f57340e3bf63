// follow_leader: lamps that behave as one. The leader (the button's attribute `leader`, else
// its first target) flips, and every other target takes the leader's new state, whatever state
// each was in. Useful when one lamp of a group was switched by another button: the next press
// brings the whole group back in step, where flip_switch would keep them out of step.
// Returns commands as an array, the other result form the contract accepts.
// snet:limits {"timeout": 5000}

function main(params) {
  const targets = params.targets || [];
  if (targets.length === 0) return { commands: [] };
  const leaderId = (params.attrs || {}).leader || targets[0].id;
  const leader = targets.find((t) => t.id === leaderId);
  if (!leader) {
    return Promise.reject(new Error(`leader ${leaderId} is not a target of button ${params.button}`));
  }
  const next = leader.on !== true;
  return { commands: targets.map((t) => ({ target: t.id, on: next })) };
}
