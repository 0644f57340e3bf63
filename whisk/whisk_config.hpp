// snet-whisk's own flags (REST API, key, data, workers, sandbox...), read into WhiskOptions, and
// the deployment of an actions directory at start-up. The broker, topology, log level and status
// interval are the common flags of snet/service.hpp.
// Thread safety: call at start-up, from one thread.
#pragma once

#include <string>

#include "snet/flags.hpp"
#include "whisk_service.hpp"

namespace snet::whisk {

void add_whisk_flags(Flags& flags);

/// Throws snet::UsageError naming a bad value (also a worker runtime that cannot be found).
WhiskOptions whisk_options(const Flags& flags);

/// Deploys every *.js of `dir` into `service`, logging each (a file that fails is logged, and
/// the others are still deployed).
void deploy_directory(const std::string& dir, WhiskService& service);

}  // namespace snet::whisk
