// snet-state's own flags (HTTP, data and dashboard directories, feed rate, supervisor), read
// with the common ones (snet/service.hpp) into StateOptions.
// Thread safety: call at start-up, from one thread.
#pragma once

#include "snet/service.hpp"
#include "state_service.hpp"

namespace snet::state {

void add_state_flags(Flags& flags);

/// Throws snet::UsageError naming a bad value.
StateOptions state_options(Service& service);

}  // namespace snet::state
