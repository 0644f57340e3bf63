// Topic names of the press path: snet/<topology>/<kind>/<device>. One place builds and parses
// them so that agents, relayer and state service cannot disagree.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace snet::topics {

inline constexpr std::string_view kRoot = "snet";
/// MQTT's wildcards: one topic level, and every level from here on (AMQP's "*" and "#" after
/// amqp_topics' translation). A pattern's levels (Route::levels) use kAnyLevel too.
inline constexpr std::string_view kAnyLevel = "+";
inline constexpr std::string_view kAllLevels = "#";

// press: a button was pressed (anyone may publish one, e.g. mosquitto_pub)
// trigger: asks the emulated button device to press itself (dashboard, `snet press`)
// cmd: relayer -> actuator; state: actuator's reported state (retained)
// status: a service's health and counters (retained, with a last will); event: press errors
// control: fault injection for the agents' devices (control_topic()); presence: a device's
// connection, retained, {"online": false} as its last will; sync: an actuator's own restore
// marker (it publishes one to itself after subscribing: docs/protocol.md); reading: a sensor's
// measurement (not retained: a time series, stored by the state service)
enum class Kind { press, trigger, cmd, state, status, event, control, presence, sync, reading };

std::string_view name(Kind kind);
/// snet/<topology>/<kind>/<device>
std::string make(std::string_view topology, Kind kind, std::string_view device);
/// snet/<topology>/<kind>/+  (subscription filter for every device)
std::string all(std::string_view topology, Kind kind);
/// snet/<topology>/control/devices: where DeviceControl messages go (every agent listens).
std::string control_topic(std::string_view topology);
/// snet/<topology>/control/links/<link>: a link's LinkUpdate (retained; snet/link.hpp).
std::string link_control_topic(std::string_view topology, std::string_view link);
/// snet/<topology>/control/links/+
std::string link_control_filter(std::string_view topology);
/// snet/<topology>/status/links/<reporter>: an engine's LinkReport (retained).
std::string link_report_topic(std::string_view topology, std::string_view reporter);
/// snet/<topology>/status/links/+
std::string link_report_filter(std::string_view topology);
/// snet/<topology>/scenario: the running scenario's ScenarioStatus (retained;
/// snet/scenario_status.hpp).
std::string scenario_topic(std::string_view topology);

struct Parsed {
  std::string topology;
  Kind kind;
  std::string device;
};
/// Parses a topic of the form above; nullopt when it is not one of ours.
std::optional<Parsed> parse(std::string_view topic);

}  // namespace snet::topics
