// Whether the actions a topology names exist on an OpenWhisk (real or snet-whisk), so that
// `snet up` fails at start with every missing one named instead of the first press failing
// with 404: GET {apihost}/api/v1/namespaces/{ns}/actions/{name} for each.
// Thread safety: reentrant; blocks while it talks to the server.
#pragma once

#include <string>
#include <vector>

#include "openwhisk_config.hpp"

namespace snet::openwhisk {

/// The names of `actions` that the server answers 404 for, in the given order. Throws
/// std::runtime_error naming the URL when the server cannot be asked (no answer, 401, 5xx...).
std::vector<std::string> missing_actions(const OpenWhiskConfig& server,
                                         const std::vector<std::string>& actions,
                                         bool insecure_tls = false);

}  // namespace snet::openwhisk
