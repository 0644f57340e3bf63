// What RabbitMQ's durable queues and bindings depend on, reduced to a short stable text: `snet up`
// keeps it next to the node's database and starts the node afresh when it changes (the old
// bindings would misroute commands). Only the routing counts: names, kinds and protocols of the
// devices, the actuators' attrs, the buttons' routes and computes, the groups and topic key.
// Descriptions, sites, links, actions and the number of relayers do not.
// Thread safety: a pure function.
#pragma once

#include <string>

#include "snet/topology.hpp"

namespace snet::cli {

/// A hex hash (FNV-1a, stable across builds and runs) of the topology's routing.
std::string routing_fingerprint(const Topology& topology);

}  // namespace snet::cli
