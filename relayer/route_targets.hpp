// What the compute sees of a button's routes: one TargetInfo per route, because the relayer
// publishes one command per route. An exact actuator is itself; a pattern, group or match is
// one target whose id is the route's id ("group:hall"), whose state is its members' majority
// (on only when more than half of them are known to be on: a tie or unknown counts as off, so
// flip_switch turns a half-lit group on), and whose attrs are what the route selects by (a
// pattern's fixed key levels, a match's attrs; none for a group).
// Thread safety: pure functions (the tracker is thread-safe).
#pragma once

#include <optional>
#include <vector>

#include "snet/compute.hpp"
#include "snet/topology.hpp"
#include "state_tracker.hpp"

namespace snet::relayer {

/// The state of a set of actuators as one: on when a strict majority is known to be on.
bool majority_on(const std::vector<std::string>& members, const StateTracker& states);

/// Where a route's one command is published, as an MQTT topic (for actions that publish it).
std::string command_topic(const Topology& topology, const Route& route);

TargetInfo target_for(const Topology& topology, const Route& route, const StateTracker& states);

}  // namespace snet::relayer
