// Which of a topology's devices an agent hosts: `--devices all|id,id,...` and
// `--kinds all|buttons|actuators`. Throws snet::UsageError naming an unknown id or kind.
// Thread safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "snet/topology.hpp"

namespace snet::agents {

std::vector<const Device*> select_devices(const Topology& topology, const std::string& devices,
                                          const std::string& kinds);

}  // namespace snet::agents
