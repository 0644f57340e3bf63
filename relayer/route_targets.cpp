#include "route_targets.hpp"

#include "snet/routing.hpp"
#include "snet/topics.hpp"

namespace snet::relayer {

bool majority_on(const std::vector<std::string>& members, const StateTracker& states) {
  std::size_t on = 0;
  for (const auto& member : members) {
    if (states.get(member).value_or(false)) ++on;
  }
  return 2 * on > members.size();
}

std::string command_topic(const Topology& topology, const Route& route) {
  return routing::address_of(topology, route).topic;
}

TargetInfo target_for(const Topology& topology, const Route& route, const StateTracker& states) {
  TargetInfo info;
  info.id = route.id;
  switch (route.kind) {
    case RouteKind::actuator:
      info.on = states.get(route.name);
      if (const Device* actuator = topology.find(route.name)) info.attrs = actuator->attrs;
      break;
    case RouteKind::pattern:
      info.on = majority_on(route.members, states);
      for (std::size_t i = 0; i < route.levels.size() && i < topology.topic_key.size(); ++i) {
        if (route.levels[i] != topics::kAnyLevel)
          info.attrs[topology.topic_key[i]] = route.levels[i];
      }
      break;
    case RouteKind::group:
      info.on = majority_on(route.members, states);
      break;
    case RouteKind::match:
      info.on = majority_on(route.members, states);
      info.attrs = route.match.attrs;
      break;
  }
  return info;
}

}  // namespace snet::relayer
