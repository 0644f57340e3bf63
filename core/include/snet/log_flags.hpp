// The logging flags every program declares the same way: --log-level and --log-format.
#pragma once

#include <string>

#include "snet/flags.hpp"

namespace snet::log {

/// Declares --log-level (SNET_LOG_LEVEL) and --log-format (SNET_LOG_FORMAT).
void add_flags(Flags& flags, const std::string& default_level = "info");
/// Applies them after flags.parse(); throws UsageError naming the flag on a bad value.
void apply_flags(const Flags& flags);

}  // namespace snet::log
