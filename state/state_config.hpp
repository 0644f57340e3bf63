// snet-state's own flags (HTTP, data and dashboard directories, feed rate, supervisor, history
// retention), read
// with the common ones (snet/service.hpp) into StateOptions.
// Thread safety: call at start-up, from one thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "snet/service.hpp"
#include "state_service.hpp"

namespace snet::state {

void add_state_flags(Flags& flags);

/// Throws snet::UsageError naming a bad value.
StateOptions state_options(Service& service);

/// "90s", "30m", "12h", "7d" or a number of seconds ("0": no limit); nullopt when it is none
/// of these or longer than 100 years.
std::optional<std::chrono::seconds> parse_max_age(std::string_view text);

}  // namespace snet::state
