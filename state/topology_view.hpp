// The topology as GET /api/topology and the live feed's first message show it (docs/api.md):
// name, broker, routing, compute(s), topic_key, groups, sites and devices; each button with its
// routes (kind, members, where its one command is published) and targets, each actuator with
// its sources. The model (snet/topology.hpp) knows nothing of this view.
// Thread safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>

#include "snet/topology.hpp"

namespace snet::state {

nlohmann::json topology_view(const Topology& topology);

}  // namespace snet::state
