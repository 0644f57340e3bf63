// Checks an incoming press before anything acts on it, cheapest test first: retained (a stale
// press replayed by the broker), oversized, unknown button, then the JSON itself. Fills in what
// a press may omit: a new id and the arrival time.
// Throws snet::BadMessage with the reason used as the `reason` label of
// snet_relayer_rejected_total: retained | oversized | unknown_device | malformed_json | wrong_type
// | bad_timestamp.
// Thread safety: pure function of its arguments.
#pragma once

#include <string_view>

#include "snet/bus.hpp"
#include "snet/message.hpp"
#include "snet/topology.hpp"

namespace snet::relayer {

struct AcceptedPress {
  const Device* button = nullptr;  // points into the topology
  Press press;                     // id and ts always set
};

AcceptedPress accept_press(const Topology& topology, std::string_view button,
                           const Message& message);

/// Every reason accept_press() may give, so metrics show them (at 0) from the start.
inline constexpr std::string_view kPressRejectReasons[] = {
    "retained", "oversized", "unknown_device", "malformed_json", "wrong_type", "bad_timestamp"};

}  // namespace snet::relayer
