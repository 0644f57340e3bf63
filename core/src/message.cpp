#include "snet/message.hpp"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>

#include <unistd.h>
#include <nlohmann/json.hpp>

namespace snet {
namespace {

using nlohmann::json;

// Checks size and shape before anything else looks at the payload.
json parse_object(std::string_view payload, bool empty_is_object) {
  if (payload.size() > kMaxPayloadBytes) {
    throw BadMessage("oversized", "payload of " + std::to_string(payload.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxPayloadBytes));
  }
  if (payload.empty() && empty_is_object) return json::object();
  json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw BadMessage("malformed_json", "payload is not valid JSON");
  if (!doc.is_object()) throw BadMessage("wrong_type", "payload must be a JSON object");
  return doc;
}

std::string get_string(const json& doc, const char* key, bool required) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    if (required) throw BadMessage("missing_field", std::string("field '") + key + "' is missing");
    return {};
  }
  if (!it->is_string()) {
    throw BadMessage("wrong_type", std::string("field '") + key + "' must be a string");
  }
  std::string value = it->get<std::string>();
  if (value.size() > 128) {
    throw BadMessage("wrong_type", std::string("field '") + key + "' is longer than 128 chars");
  }
  return value;
}

std::int64_t get_integer(const json& doc, const char* key, const char* unit) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) {
    throw BadMessage("wrong_type",
                     std::string("field '") + key + "' must be an integer (" + unit + ")");
  }
  // Above INT64_MAX, get<int64_t>() would wrap to a negative number.
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t{INT64_MAX}) {
    return -1;
  }
  return it->get<std::int64_t>();
}

// A time stamp from the wire: 0 (absent) or microseconds since 1970 up to a day past this
// host's clock. Anything else would be stored and skew every latency computed from it.
Micros get_timestamp(const json& doc, const char* key) {
  const Micros value = get_integer(doc, key, "microseconds");
  if (value < 0 || value > now_us() + kMaxTimestampSkewUs) {
    throw BadMessage("bad_timestamp",
                     std::string("field '") + key +
                         "' must be microseconds since 1970 and at most a day ahead of this "
                         "host's clock, not " +
                         (value < 0 ? std::string("negative") : std::to_string(value)));
  }
  return value;
}

bool get_bool(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end())
    throw BadMessage("missing_field", std::string("field '") + key + "' is missing");
  if (!it->is_boolean()) {
    throw BadMessage("wrong_type", std::string("field '") + key + "' must be true or false");
  }
  return it->get<bool>();
}

// At most `max` bytes of valid UTF-8 `text`, cut before a character, never inside one (a cut
// character would make the text invalid UTF-8, which JSON cannot carry).
std::string utf8_prefix(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

void put_if(json& doc, const char* key, const std::string& value) {
  if (!value.empty()) doc[key] = value;
}
void put_if(json& doc, const char* key, Micros value) {
  if (value != 0) doc[key] = value;
}

}  // namespace

Press parse_press(std::string_view payload) {
  const json doc = parse_object(payload, /*empty_is_object=*/true);
  return Press{get_string(doc, "id", false), get_timestamp(doc, "ts")};
}

std::string to_json(const Press& press) {
  json doc = json::object();
  put_if(doc, "id", press.id);
  put_if(doc, "ts", press.ts);
  return doc.dump();
}

Command parse_command(std::string_view payload) {
  const json doc = parse_object(payload, false);
  Command cmd;
  cmd.on = get_bool(doc, "on");
  cmd.press_id = get_string(doc, "press_id", true);
  cmd.button = get_string(doc, "button", false);
  cmd.press_ts = get_timestamp(doc, "press_ts");
  cmd.relay_ts = get_timestamp(doc, "relay_ts");
  cmd.capability = get_string(doc, "capability", false);
  return cmd;
}

std::string to_json(const Command& cmd) {
  json doc = {{"on", cmd.on}, {"press_id", cmd.press_id}};
  put_if(doc, "button", cmd.button);
  put_if(doc, "press_ts", cmd.press_ts);
  put_if(doc, "relay_ts", cmd.relay_ts);
  put_if(doc, "capability", cmd.capability);
  return doc.dump();
}

StateReport parse_state(std::string_view payload) {
  const json doc = parse_object(payload, false);
  StateReport state;
  state.device = get_string(doc, "device", true);
  state.on = get_bool(doc, "on");
  state.press_id = get_string(doc, "press_id", false);
  state.button = get_string(doc, "button", false);
  state.press_ts = get_timestamp(doc, "press_ts");
  state.relay_ts = get_timestamp(doc, "relay_ts");
  state.applied_ts = get_timestamp(doc, "applied_ts");
  state.capability = get_string(doc, "capability", false);
  return state;
}

std::string to_json(const StateReport& state) {
  json doc = {{"device", state.device}, {"on", state.on}};
  put_if(doc, "press_id", state.press_id);
  put_if(doc, "button", state.button);
  put_if(doc, "press_ts", state.press_ts);
  put_if(doc, "relay_ts", state.relay_ts);
  put_if(doc, "applied_ts", state.applied_ts);
  put_if(doc, "capability", state.capability);
  return doc.dump();
}

Reading parse_reading(std::string_view payload) {
  const json doc = parse_object(payload, false);
  Reading reading;
  reading.device = get_string(doc, "device", true);
  reading.capability = get_string(doc, "capability", true);
  if (reading.capability.empty()) {
    throw BadMessage("missing_field", "field 'capability' is empty");
  }
  const auto value = doc.find("value");
  if (value == doc.end() || value->is_null()) {
    throw BadMessage("missing_field", "field 'value' is missing");
  }
  // JSON has no NaN or infinity, but a number may still be out of a double's range.
  if (!value->is_number() || !std::isfinite(value->get<double>())) {
    throw BadMessage("wrong_type", "field 'value' must be a finite number");
  }
  reading.value = value->get<double>();
  reading.unit = get_string(doc, "unit", false);
  const std::int64_t seq = get_integer(doc, "seq", "a count");
  if (seq < 0) throw BadMessage("wrong_type", "field 'seq' must not be negative");
  reading.seq = static_cast<std::uint64_t>(seq);
  reading.ts = get_timestamp(doc, "ts");
  return reading;
}

std::string to_json(const Reading& reading) {
  json doc = {
      {"device", reading.device}, {"capability", reading.capability}, {"value", reading.value}};
  put_if(doc, "unit", reading.unit);
  if (reading.seq != 0) doc["seq"] = reading.seq;
  put_if(doc, "ts", reading.ts);
  return doc.dump();
}

PressError parse_press_error(std::string_view payload) {
  const json doc = parse_object(payload, false);
  PressError e;
  e.press_id = get_string(doc, "press_id", false);
  e.button = get_string(doc, "button", false);
  e.action = get_string(doc, "action", false);
  auto it = doc.find("error");
  if (it == doc.end() || !it->is_string()) {
    throw BadMessage("missing_field", "field 'error' must be a string");
  }
  e.error = utf8_prefix(it->get<std::string>(), kMaxErrorTextBytes);
  e.press_ts = get_timestamp(doc, "press_ts");
  e.ts = get_timestamp(doc, "ts");
  return e;
}

std::string to_json(const PressError& e) {
  json doc = {{"error", e.error}};
  put_if(doc, "press_id", e.press_id);
  put_if(doc, "button", e.button);
  put_if(doc, "action", e.action);
  put_if(doc, "press_ts", e.press_ts);
  put_if(doc, "ts", e.ts);
  return doc.dump();
}

DeviceControl parse_device_control(std::string_view payload) {
  // Control messages may list many devices: their own size limit, still bounded.
  constexpr std::size_t kMaxControlBytes = 4 << 20;
  if (payload.size() > kMaxControlBytes) {
    throw BadMessage("oversized", "control payload of " + std::to_string(payload.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxControlBytes));
  }
  const json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw BadMessage("malformed_json", "payload is not valid JSON");
  if (!doc.is_object()) throw BadMessage("wrong_type", "payload must be a JSON object");
  DeviceControl c;
  c.action = get_string(doc, "action", true);
  bool known = false;
  for (auto action : kDeviceControlActions) known = known || c.action == action;
  if (!known) {
    throw BadMessage("unknown_action", "action '" + c.action +
                                           "' is not one of online, offline, crash, freeze, "
                                           "reconnect");
  }
  auto devices = doc.find("devices");
  if (devices == doc.end() || !devices->is_array() || devices->empty() ||
      devices->size() > 100'000) {
    throw BadMessage("wrong_type", "field 'devices' must be a list of 1 to 100,000 device ids");
  }
  for (const auto& d : *devices) {
    if (!d.is_string() || d.get<std::string>().empty() || d.get<std::string>().size() > 128) {
      throw BadMessage("wrong_type", "field 'devices' must hold device ids (strings)");
    }
    c.devices.push_back(d.get<std::string>());
  }
  c.id = get_string(doc, "id", false);
  c.ts = get_timestamp(doc, "ts");
  c.duration_ms = get_integer(doc, "duration_ms", "milliseconds");
  if (c.duration_ms < 0 || c.duration_ms > 86'400'000) {
    throw BadMessage("wrong_type", "field 'duration_ms' must be from 0 to 86400000");
  }
  return c;
}

std::string to_json(const DeviceControl& c) {
  json doc = {{"action", c.action}, {"devices", c.devices}};
  put_if(doc, "id", c.id);
  put_if(doc, "ts", c.ts);
  if (c.duration_ms > 0) doc["duration_ms"] = c.duration_ms;
  return doc.dump();
}

ServiceStatus parse_status(std::string_view payload) {
  const json doc = parse_object(payload, false);
  ServiceStatus s;
  s.service = get_string(doc, "service", false);
  s.online = get_bool(doc, "online");
  s.ts = get_timestamp(doc, "ts");
  if (auto it = doc.find("metrics"); it != doc.end() && it->is_object()) {
    s.metrics_json = it->dump();
  }
  return s;
}

std::string to_json(const ServiceStatus& s) {
  json doc = {{"service", s.service}, {"online", s.online}};
  put_if(doc, "ts", s.ts);
  json metrics = json::parse(s.metrics_json, nullptr, false);
  if (metrics.is_object()) doc["metrics"] = std::move(metrics);
  return doc.dump();
}

std::string new_press_id() {
  // A per-process random prefix (differs across restarts and hosts) and a counter.
  static const std::string prefix = [] {
    std::random_device rd;
    std::ostringstream out;
    out << std::hex << (static_cast<unsigned long long>(rd()) << 16 ^ rd() ^ ::getpid());
    return out.str();
  }();
  static std::atomic<unsigned long long> counter{0};
  return prefix + "-" + std::to_string(++counter);
}

}  // namespace snet
