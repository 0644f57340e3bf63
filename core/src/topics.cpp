#include "snet/topics.hpp"

namespace snet::topics {

std::string_view name(Kind kind) {
  switch (kind) {
    case Kind::press:
      return "press";
    case Kind::trigger:
      return "trigger";
    case Kind::cmd:
      return "cmd";
    case Kind::state:
      return "state";
    case Kind::status:
      return "status";
    case Kind::event:
      return "event";
    case Kind::control:
      return "control";
    case Kind::presence:
      return "presence";
    case Kind::sync:
      return "sync";
    case Kind::reading:
      return "reading";
  }
  return "?";
}

std::string make(std::string_view topology, Kind kind, std::string_view device) {
  std::string topic;
  topic.reserve(kRoot.size() + topology.size() + device.size() + 10);
  topic.append(kRoot).append("/").append(topology).append("/").append(name(kind)).append("/");
  topic.append(device);
  return topic;
}

std::string all(std::string_view topology, Kind kind) {
  return make(topology, kind, kAnyLevel);
}

std::string control_topic(std::string_view topology) {
  return make(topology, Kind::control, "devices");
}

std::string link_control_topic(std::string_view topology, std::string_view link) {
  return make(topology, Kind::control, "links") + "/" + std::string(link);
}

std::string link_control_filter(std::string_view topology) {
  return link_control_topic(topology, kAnyLevel);
}

std::string link_report_topic(std::string_view topology, std::string_view reporter) {
  return make(topology, Kind::status, "links") + "/" + std::string(reporter);
}

std::string link_report_filter(std::string_view topology) {
  return link_report_topic(topology, kAnyLevel);
}

std::string scenario_topic(std::string_view topology) {
  return std::string(kRoot) + "/" + std::string(topology) + "/scenario";
}

std::optional<Parsed> parse(std::string_view topic) {
  // snet / topology / kind / device, with no further levels.
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    const auto slash = topic.find('/');
    if (i < 3) {
      if (slash == std::string_view::npos) return std::nullopt;
      parts[i] = topic.substr(0, slash);
      topic.remove_prefix(slash + 1);
    } else {
      if (slash != std::string_view::npos) return std::nullopt;
      parts[i] = topic;
    }
  }
  if (parts[0] != kRoot || parts[1].empty() || parts[3].empty()) return std::nullopt;
  for (Kind kind : {Kind::press, Kind::trigger, Kind::cmd, Kind::state, Kind::status, Kind::event,
                    Kind::control, Kind::presence, Kind::sync, Kind::reading}) {
    if (parts[2] == name(kind)) return Parsed{std::string(parts[1]), kind, std::string(parts[3])};
  }
  return std::nullopt;
}

}  // namespace snet::topics
