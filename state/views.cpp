#include "views.hpp"

namespace snet::state {

nlohmann::json device_view(const Device& device, const DeviceState* state,
                           const LatestReadings* readings) {
  nlohmann::json v = {{"id", device.id}, {"kind", to_string(device.kind)}};
  if (readings != nullptr && !readings->empty()) {
    nlohmann::json& latest = v["readings"];
    for (const auto& [capability, r] : *readings) {
      latest[capability] = {{"value", r.value}, {"unit", r.unit}, {"seq", r.seq}, {"ts", r.ts}};
    }
  }
  if (device.kind != DeviceKind::actuator) {  // a button, a sensor: no on/off state
    if (device.kind == DeviceKind::button) v["targets"] = device.targets;
    return v;
  }
  v["updated"] = state != nullptr;
  if (state == nullptr) {
    v["on"] = nullptr;
    return v;
  }
  v["on"] = state->on;
  v["press_id"] = state->press_id;
  v["button"] = state->button;
  v["press_ts"] = state->press_ts;
  v["relay_ts"] = state->relay_ts;
  v["applied_ts"] = state->applied_ts;
  v["stored_ts"] = state->stored_ts;
  return v;
}

nlohmann::json reading_item(const ReadingRecord& r) {
  return nlohmann::json::array({r.device, r.capability, r.value, r.unit, r.seq, r.ts});
}

nlohmann::json reading_view(const ReadingRecord& r) {
  return {{"capability", r.capability},
          {"value", r.value},
          {"unit", r.unit},
          {"seq", r.seq},
          {"ts", r.ts},
          {"received_ts", r.received_ts}};
}

nlohmann::json event_view(const EventRecord& e) {
  if (e.kind == EventKind::fault) {
    // "device" too, so the event log can show every kind by the same field.
    return {{"seq", e.seq},
            {"kind", "fault"},
            {"target", e.device},
            {"device", e.device},
            {"target_kind", e.target_kind},
            {"action", e.action},
            {"fault_id", e.fault_id},
            {"detail", e.detail},
            {"ts", e.fault_ts},
            {"stored_ts", e.stored_ts}};
  }
  nlohmann::json v = {{"seq", e.seq},
                      {"kind", to_string(e.kind)},
                      {"device", e.device},
                      {"press_id", e.press_id},
                      {"button", e.button},
                      {"press_ts", e.press_ts},
                      {"stored_ts", e.stored_ts}};
  if (e.kind == EventKind::state) {
    v["on"] = e.on;
    v["relay_ts"] = e.relay_ts;
    v["applied_ts"] = e.applied_ts;
  } else {
    v["action"] = e.action;
    v["error"] = e.error;
    v["error_ts"] = e.error_ts;
  }
  return v;
}

}  // namespace snet::state
