// The relayer's public word on compute backends: which names a topology's "backend" may say. The
// topology loader checks only that a backend is a name; the relayer (at start-up), `snet
// validate` and `snet up` check it against this list, so a new backend is added here and in
// make_backends() (relayer/backends.hpp), never in core.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "snet/topology.hpp"

namespace snet::relayer {

inline constexpr std::string_view kBuiltinBackend = "builtin";
inline constexpr std::string_view kOpenWhiskBackend = "openwhisk";

/// Every backend a relayer has, in order.
const std::vector<std::string>& backend_names();

/// Each "backend" of `topology` that names none of backend_names(), where the file says it
/// ("topology.compute", "devices[2] 'b'.compute", "computes.cloud.backend"), as the loader
/// reports its own errors. Empty when the relayer can run every button's compute.
std::vector<std::string> backend_problems(const Topology& topology);

/// Throws TopologyError with backend_problems(), each prefixed with `path` as load_topology()
/// prefixes its errors.
void check_backends(const Topology& topology, const std::string& path);

}  // namespace snet::relayer
