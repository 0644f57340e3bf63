// JSON views of the state service's records, shared by the REST API and the WebSocket feed so
// that a device looks the same in GET /api/devices, the snapshot and a delta (docs/api.md).
#pragma once

#include <nlohmann/json.hpp>

#include "snet/topology.hpp"
#include "store.hpp"

namespace snet::state {

/// {"id", "kind", "on" (null until reported), "press_id", "button", "press_ts", "relay_ts",
///  "applied_ts", "stored_ts", "updated"}; buttons also carry "targets".
nlohmann::json device_view(const Device& device, const DeviceState* state);
/// One history record (every kind; a fault has its own fields: target, target_kind, action,
/// fault_id, detail, ts).
nlohmann::json event_view(const EventRecord& event);

}  // namespace snet::state
