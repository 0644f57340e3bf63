// JSON views of the state service's records, shared by the REST API and the WebSocket feed so
// that a device looks the same in GET /api/devices, the snapshot and a delta (docs/api.md).
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "snet/topology.hpp"
#include "store.hpp"

namespace snet::state {

/// A device's latest reading per capability.
using LatestReadings = std::map<std::string, ReadingRecord>;

/// {"id", "kind", "on" (null until reported), "press_id", "button", "press_ts", "relay_ts",
///  "applied_ts", "stored_ts", "updated"} of an actuator; a button has
///  "targets" instead, a sensor neither; a device with readings
/// "readings": {capability: {"value", "unit", "seq", "ts"}}.
nlohmann::json device_view(const Device& device, const DeviceState* state,
                           const LatestReadings* readings = nullptr);
/// A reading in the live feed, compact: [device, capability, value, unit, seq, ts].
nlohmann::json reading_item(const ReadingRecord& reading);
/// A reading in GET /api/devices/{id}/readings: {"capability", "value", "unit", "seq", "ts",
/// "received_ts"}.
nlohmann::json reading_view(const ReadingRecord& reading);
/// One history record (every kind; a fault has its own fields: target, target_kind, action,
/// fault_id, detail, ts).
nlohmann::json event_view(const EventRecord& event);

}  // namespace snet::state
