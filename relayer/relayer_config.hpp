// The relayer's own flags (share group, compute, dedupe window, and its backends'), read into
// RelayerOptions and checked against the topology and the broker before anything connects.
// Thread safety: call at start-up, from one thread.
#pragma once

#include <string>

#include "relayer.hpp"
#include "snet/flags.hpp"
#include "snet/topology.hpp"

namespace snet::relayer {

void add_relayer_flags(Flags& flags);

/// Throws snet::UsageError saying what to change: a bad value, a --compute the topology does
/// not have, or a broker URL over which the relayer could not do its work on RabbitMQ; and
/// TopologyError for a compute backend the relayer does not have.
RelayerOptions relayer_options(const Flags& flags, const Topology& topology,
                               const std::string& broker_url);

}  // namespace snet::relayer
