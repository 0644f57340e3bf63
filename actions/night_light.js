// night_light: a press flips the lamps at night, and by day only switches them off (a night
// light left on in the morning goes off at the next press; it never comes on in daylight).
//   - Night is from hour `night_from` to hour `night_to` (button attributes, else the action's
//     bound parameters, else 19 and 7), in the hour of the runtime's clock (UTC on most
//     OpenWhisk deployments) shifted by `utc_offset` hours.
//   - A parameter `hour` (0-23) replaces the clock, for tests and for simulating a time of day.
// snet:limits {"timeout": 5000}

function hourSetting(params, name, fallback) {
  const raw = (params.attrs || {})[name] !== undefined ? params.attrs[name] : params[name];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 23) {
    throw new Error(`${name} must be an hour from 0 to 23, not ${JSON.stringify(raw)}`);
  }
  return value;
}

function isNight(hour, from, to) {
  return from <= to ? hour >= from && hour < to : hour >= from || hour < to;
}

function main(params) {
  const from = hourSetting(params, 'night_from', 19);
  const to = hourSetting(params, 'night_to', 7);
  const offset = Number((params.attrs || {}).utc_offset || params.utc_offset || 0);
  const hour = params.hour !== undefined
    ? hourSetting(params, 'hour', 0)
    : (((new Date().getUTCHours() + offset) % 24) + 24) % 24;
  const night = isNight(hour, from, to);

  const commands = {};
  for (const target of params.targets || []) {
    commands[target.id] = { on: night ? target.on !== true : false };
  }
  console.log(`hour ${hour}: ${night ? 'night, flipping' : 'day, switching off'}`);
  return { commands };
}
