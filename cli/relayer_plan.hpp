// Which relayers `snet up` runs and what each compute's relayers are given. A topology without
// named computes gets what it always got: `relayers` relayers sharing every press. With
// "computes", each compute gets its own relayers (relayer-edge, relayer-cloud-1..N), started
// with --compute so that they take only its buttons' presses, and the default compute (buttons
// without "use") keeps relayer / relayer-1..N when any button uses it.
// Thread safety: pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "openwhisk_setup.hpp"
#include "snet/topology.hpp"

namespace snet::cli {

/// The relayers of one compute.
struct RelayerGroup {
  std::string compute;                   // their --compute; "": every press (no named computes)
  std::vector<std::string> names;        // service names
  std::string backend;                   // builtin or openwhisk (the default compute: either)
  openwhisk::OpenWhiskConfig openwhisk;  // the OpenWhisk they invoke (the key goes by environment)
  bool insecure = false;                 // accept its self-signed certificate
  bool bundled = true;                   // it is the bundled snet-whisk
  std::vector<std::string> actions;      // the OpenWhisk actions its buttons run, sorted, each once
};

struct RelayerDefaults {
  int relayers = 1;           // the default compute's (the topology's, or --relayers)
  OpenWhiskChoice openwhisk;  // snet up's own OpenWhisk (bundled or external)
  bool insecure = false;      // --openwhisk-insecure
  std::string bundled_apihost, bundled_auth;  // the bundled snet-whisk
  /// The key given to snet up (flag, OPENWHISK_AUTH, wsk properties), for a compute with an
  /// apihost but no auth_env.
  std::string given_auth;
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

/// Every relayer group, the default compute's first. Throws UsageError naming the compute when
/// its key cannot be found (auth_env unset) or two relayers would get the same name.
std::vector<RelayerGroup> plan_relayers(const Topology& topology, const RelayerDefaults& defaults);

/// relayer (one) or relayer-1..N; with a compute name: relayer-NAME or relayer-NAME-1..N.
std::vector<std::string> relayer_names(int count, const std::string& compute = "");

}  // namespace snet::cli
