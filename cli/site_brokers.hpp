// Sites with "broker": "local" (topology/README.md, "Site brokers"): Mosquitto has no
// clustering, so such a site gets a Mosquitto of its own that its devices connect to, bridged
// to the core broker. This file says what crosses each bridge, which login the bridge uses on
// both brokers, and writes the site broker's configuration: pure text generators (tested in
// tests/unit/cli/test_site_brokers.cpp); `snet up` (up.cpp) starts the brokers.
//
// What crosses, per device of the site, each QoS 1:
//   out (site -> core)  presses and presence of buttons; state, presence (and a composite's
//                       readings) of actuators; readings and presence of sensors
//   in  (core -> site)  a button's trigger; an actuator's commands (cmd and the pattern, group
//                       and match topics its routing subscribes to)
// An actuator's sync topic stays at the site: it is the actuator's barrier with its own broker
// (its retained state, which it restores from, is kept there too).
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "snet/topology.hpp"

namespace snet::cli {

/// One site's bridge.
struct SiteBridge {
  std::string site;                    // the site id
  std::vector<const Device*> devices;  // those connecting to its broker (Topology::broker_site)
  std::vector<std::string> out, in;    // topic filters, in topology order
};

/// The bridge's login, on the core and on the site broker: "snet.bridge-<site>".
std::string bridge_user(const std::string& site);

/// The bridge of every site with a local broker, in file order.
std::vector<SiteBridge> site_bridges(const Topology& topology);

/// The core ACL's sections for the bridges' logins: write the out topics, read the in topics.
std::string bridges_acl(const Topology& topology);

/// How the bridge reaches the core and logs in (the same password on both ends).
struct BridgeLogin {
  std::string core_host = "127.0.0.1";
  int core_port = 1883;
  std::string password;
};

/// mosquitto.conf lines of the bridge (a "connection" section): appended to the site broker's
/// configuration. Holds the password: the file must not be readable by others.
std::string bridge_config(const std::string& topology, const SiteBridge& bridge,
                          const BridgeLogin& login);

/// The site broker's acl_file: the anonymous and operator lines of the core's, its devices'
/// sections and the bridge's local side (read the out topics, write the in topics).
std::string site_acl(const Topology& topology, const SiteBridge& bridge);

}  // namespace snet::cli
