// Private: the Paho-backed Bus. Only make_bus() constructs it; no Paho type leaks out.
#pragma once

#include <memory>

#include <string>
#include <vector>

#include "snet/bus.hpp"

namespace snet::detail {

/// `server_uris`: "tcp://h:p" or "ssl://h:p", at least one; several are a cluster's nodes, which
/// Paho tries in turn (MQTTAsync serverURIs).
std::unique_ptr<Bus> make_mqtt_bus(const BusOptions& options,
                                   const std::vector<std::string>& server_uris);

}  // namespace snet::detail
