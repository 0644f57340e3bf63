#!/usr/bin/env bash
# A press storm through the real services of a sanitizer build: Mosquitto, snet-relayer,
# snet-agent and (when built) snet-state on free ports; 5 buttons press 150 times each at once
# over QoS 1 while the REST API is read; then every service gets SIGTERM and must exit 0.
# The sanitizers' reports (ASAN/TSAN/UBSAN_OPTIONS set by tools/sanitize.sh) are checked there.
# usage: press_storm.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d -t snet-press-storm.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "press storm: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; tail -n 20 "$f"; done >&2; exit 1; }

free_port() {  # a port nothing listens on (the services bind it right after)
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}
mqtt_port=$(free_port)
http_port=$(free_port)
name=storm
cat > "$work/topology.json" <<JSON
{"name": "$name", "broker": "mosquitto", "routing": "topic",
 "compute": {"backend": "builtin", "action": "flip_switch"},
 "devices": [{"id": "hall", "kind": "button", "targets": ["lamp-1", "lamp-2", "lamp-3"]},
             {"id": "lamp-1", "kind": "actuator"}, {"id": "lamp-2", "kind": "actuator"},
             {"id": "lamp-3", "kind": "actuator"}],
 "pairs": {"count": 4, "button": "button-", "actuator": "actuator-"}}
JSON

mosquitto -p "$mqtt_port" > "$work/mosquitto.log" 2>&1 &
pids+=($!)
timeout 10 bash -c "until mosquitto_pub -p $mqtt_port -t probe -n 2>/dev/null; do sleep 0.1; done" ||
  fail "mosquitto did not start"
url="mqtt://127.0.0.1:$mqtt_port"
common=(--broker-url "$url" --topology "$work/topology.json" --status-interval-ms 100)
services=(relayer agent)
[ -x "$build/snet-state" ] && services+=(state)
# Watch the status topics before starting, so no "online" is missed.
timeout 60 mosquitto_sub -p "$mqtt_port" -t "snet/$name/status/+" -v > "$work/status.out" &
watcher=$!
declare -A service_pid
for s in "${services[@]}"; do
  args=("${common[@]}")
  [ "$s" = state ] && args+=(--http-port "$http_port" --data-dir "$work/data")
  "$build/snet-$s" "${args[@]}" > "$work/$s.log" 2>&1 &
  service_pid[$s]=$!
  pids+=($!)
done
for s in "${services[@]}"; do
  timeout 60 bash -c "until grep -q 'status/$s .*\"online\":true' $work/status.out; do sleep 0.1; done" ||
    fail "snet-$s did not come online"
done
kill "$watcher" 2>/dev/null || true

# The last press of each button carries a known id: the storm is over when all 7 targets show it.
# The subscriber is in place once it has seen anything (statuses come every 100 ms).
timeout 180 mosquitto_sub -p "$mqtt_port" -t "snet/$name/#" -v > "$work/all.out" &
pids+=($!)
timeout 30 bash -c "until [ -s $work/all.out ]; do sleep 0.05; done" || fail "no message from the services"
presses=()
for b in hall button-1 button-2 button-3 button-4; do
  { for i in $(seq 1 149); do echo "{\"id\":\"$b-$i\"}"; done; echo "{\"id\":\"last-$b\"}"; } |
    mosquitto_pub -p "$mqtt_port" -q 1 -t "snet/$name/press/$b" -l &
  presses+=($!)
done
if [ -n "${service_pid[state]:-}" ]; then
  for i in $(seq 1 20); do
    curl -fsS "http://127.0.0.1:$http_port/api/devices" > /dev/null || fail "GET /api/devices failed"
    curl -fsS "http://127.0.0.1:$http_port/api/events?limit=50" > /dev/null || fail "GET /api/events failed"
  done
fi
wait "${presses[@]}"
seen() { grep -c '/state/.*"press_id":"last-' "$work/all.out" || true; }
timeout 120 bash -c "until [ \$(grep -c '/state/.*\"press_id\":\"last-' $work/all.out) -ge 7 ]; do sleep 0.1; done" ||
  fail "the last presses reached $(seen) of 7 targets"

status=0
for s in "${services[@]}"; do kill -TERM "${service_pid[$s]}"; done
for s in "${services[@]}"; do
  rc=0; timeout 30 tail --pid="${service_pid[$s]}" -f /dev/null || rc=124
  wait "${service_pid[$s]}" || rc=$?
  [ "$rc" -eq 0 ] || { echo "press storm: snet-$s exited with $rc" >&2; tail -n 20 "$work/$s.log" >&2; status=1; }
done
echo "press storm: ${services[*]} under $(basename "$build"): 750 presses applied, exits checked"
exit $status
