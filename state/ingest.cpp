#include "ingest.hpp"

#include "snet/clock.hpp"
#include "snet/log.hpp"
#include "snet/topics.hpp"

namespace snet::state {
namespace {
constexpr int kLogLinesPerSecond = 20;
constexpr std::size_t kMaxNameLength = 64;  // as topology ids
}  // namespace

Ingest::Ingest(const Topology& topology, StateMetrics& metrics)
    : topology_(topology), metrics_(metrics) {}

Classified Ingest::classify(const Message& message) {
  const auto topic = topics::parse(message.topic);
  if (!topic || topic->topology != topology_.name) {
    return reject(message, "bad_topic", "not a topic of topology '" + topology_.name + "'");
  }
  if (topic->device.size() > kMaxNameLength) {
    return reject(message, "bad_topic", "the device name is longer than 64 characters");
  }
  try {
    switch (topic->kind) {
      case topics::Kind::state:
        metrics_.states_received.add();
        return state_report(message, topic->device);
      case topics::Kind::event:
        metrics_.errors_received.add();
        return press_error(message, topic->device);
      case topics::Kind::status:
        metrics_.statuses_received.add();
        return service_status(message, topic->device);
      case topics::Kind::reading:
        metrics_.readings_received.add();
        return reading(message, topic->device);
      default:
        return reject(message, "bad_topic", "the state service does not handle this kind");
    }
  } catch (const BadMessage& bad) {
    return reject(message, bad.reason, bad.what());
  }
}

Classified Ingest::state_report(const Message& message, const std::string& device) {
  if (message.payload.empty()) return {};  // someone cleared the retained state
  const StateReport report = parse_state(message.payload);
  if (report.device != device) {
    return reject(message, "device_mismatch",
                  "payload device '" + report.device + "' differs from the topic's");
  }
  const Device* known = topology_.find(device);
  if (known == nullptr) {
    return reject(message, "unknown_device", "device '" + device + "' is not in the topology");
  }
  if (known->kind != DeviceKind::actuator) {
    return reject(message, "not_an_actuator", "device '" + device + "' is a button");
  }
  Classified out;
  out.type = Classified::Type::record;
  EventRecord& r = out.record;
  r.kind = EventKind::state;
  r.device = device;
  r.on = report.on;
  r.press_id = report.press_id;
  r.button = report.button;
  r.press_ts = report.press_ts;
  r.relay_ts = report.relay_ts;
  r.applied_ts = report.applied_ts;
  return out;
}

Classified Ingest::press_error(const Message& message, const std::string& device) {
  if (message.payload.empty()) return {};
  const PressError error = parse_press_error(message.payload);
  if (!error.button.empty() && error.button != device) {
    return reject(message, "device_mismatch",
                  "payload button '" + error.button + "' differs from the topic's");
  }
  // A press of a button that is not in the topology is exactly what the relayer reports
  // here, so the button is kept as named; only the topic must be well-formed.
  Classified out;
  out.type = Classified::Type::record;
  EventRecord& r = out.record;
  r.kind = EventKind::error;
  r.device = device;
  r.button = device;
  r.press_id = error.press_id;
  r.action = error.action;
  r.error = error.error;
  r.press_ts = error.press_ts;
  r.error_ts = error.ts;
  return out;
}

Classified Ingest::service_status(const Message& message, const std::string& service) {
  Classified out;
  out.service = service;
  if (message.payload.empty()) {
    out.type = Classified::Type::forget;
    return out;
  }
  out.status = parse_status(message.payload);
  if (out.status.service.empty()) out.status.service = service;
  if (out.status.service != service) {
    return reject(message, "device_mismatch",
                  "payload service '" + out.status.service + "' differs from the topic's");
  }
  out.type = Classified::Type::status;
  return out;
}

Classified Ingest::reading(const Message& message, const std::string& device) {
  const Reading reading = parse_reading(message.payload);
  if (reading.device != device) {
    return reject(message, "device_mismatch",
                  "payload device '" + reading.device + "' differs from the topic's");
  }
  if (topology_.find(device) == nullptr) {
    return reject(message, "unknown_device", "device '" + device + "' is not in the topology");
  }
  if (reading.capability.size() > kMaxNameLength) {
    return reject(message, "bad_capability", "field 'capability' is longer than 64 characters");
  }
  if (reading.unit.size() > kMaxNameLength) {
    return reject(message, "bad_unit", "field 'unit' is longer than 64 characters");
  }
  Classified out;
  out.type = Classified::Type::reading;
  ReadingRecord& r = out.reading;
  r.device = device;
  r.capability = reading.capability;
  r.value = reading.value;
  r.unit = reading.unit;
  // JSON integers beyond int64 are refused by the parser; a larger uint64 cannot arrive.
  r.seq = static_cast<std::int64_t>(reading.seq);
  r.received_ts = now_us();
  // Without its own time a reading is placed in the series when it arrived.
  r.ts = reading.ts > 0 ? reading.ts : r.received_ts;
  return out;
}

Classified Ingest::reject(const Message& message, const std::string& reason,
                          const std::string& why) {
  metrics_.rejected(reason).add();
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    if (suppressed_ > 0) {
      log::warn("rejected ", suppressed_, " more messages in the last second (not logged)");
    }
    window_start_ = now;
    logged_in_window_ = 0;
    suppressed_ = 0;
  }
  if (logged_in_window_ < kLogLinesPerSecond) {
    ++logged_in_window_;
    log::warn("rejected message on ", message.topic, ": ", reason, ": ", why);
  } else {
    ++suppressed_;
  }
  Classified out;
  out.type = Classified::Type::rejected;
  return out;
}

}  // namespace snet::state
