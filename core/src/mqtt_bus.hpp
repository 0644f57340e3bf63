// Private: the Paho-backed Bus. Only make_bus() constructs it; no Paho type leaks out.
#pragma once

#include <memory>

#include "snet/bus.hpp"

namespace snet::detail {

std::unique_ptr<Bus> make_mqtt_bus(const BusOptions& options, const std::string& server_uri);

}  // namespace snet::detail
