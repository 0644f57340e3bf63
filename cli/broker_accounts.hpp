// Who may do what on the Mosquitto that `snet up` starts: a user per service and per device, a
// password each (generated once per data dir, kept in <data-dir>/credentials/, mode 0700/0600),
// Mosquitto's hashed password file (mosquitto_passwd -H sha512 -U) and an ACL (acl_file):
//
//   anonymous (loopback listeners only)  publish presses, read actuator states; nothing else
//   a button (user = its id)             publish its own press and presence; read its trigger
//   an actuator (user = its id)          read its own commands (cmd, and the pattern, group and
//                                        match topics its routing subscribes to), state, sync;
//                                        publish its own state, sync and presence
//   a service (snet.<name>)              read everything (subscribe to #); publish what its job
//                                        needs and its own status topic only
//   snet.compute                         the commands a trigger compute's action publishes
//   snet.up                              everything: `snet up` itself and the operator's tools
//                                        (snet press, run, link, health find its password file
//                                        through <data-dir>/run.json)
//
// Pure: mosquitto_acl(). prepare_broker_accounts() writes files and runs mosquitto_passwd.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "site_brokers.hpp"
#include "snet/topology.hpp"

namespace snet::cli {

inline constexpr const char* kOperatorUser = "snet.up";
inline constexpr const char* kComputeUser = "snet.compute";
/// RabbitMQ only: who the MQTT plugin's clients without a login act as (press, read states).
inline constexpr const char* kAnonymousUser = "snet.anonymous";

/// The broker user of service `name` ("relayer-2" -> "snet.relayer-2"). Device ids cannot
/// contain '.', so no device is ever mistaken for a service.
std::string service_user(const std::string& name);

/// What a service publishes besides its status (the ACL's write lines for it).
enum class ServiceRole { relayer, state, agent, whisk };
struct ServiceAccount {
  std::string name;  // "relayer", "relayer-2", "state", "agent", "whisk"
  ServiceRole role;
};

/// The acl_file lines of these devices (each a "user <id>" section), for the core's ACL and a
/// site broker's (site_brokers.hpp).
std::string mosquitto_device_acl(const Topology& topology,
                                 const std::vector<const Device*>& devices);

/// The acl_file text for `topology` and these services (and the bridge login of each site with
/// a local broker: site_brokers.hpp).
std::string mosquitto_acl(const Topology& topology, const std::vector<ServiceAccount>& services);

struct BrokerAccounts {
  std::string credentials_dir;                              // <data-dir>/credentials (0700)
  std::map<std::string, std::string> password_files;        // user -> its password file (0600)
  std::string devices_file;                                 // device-id:password lines (0600)
  std::string mosquitto_password_file, mosquitto_acl_file;  // what mosquitto.conf names
  /// The password file of `user` (throws std::out_of_range for a user it has none for).
  const std::string& password_file(const std::string& user) const {
    return password_files.at(user);
  }
};

/// What the role's user publishes besides its status, as MQTT topic filters.
std::vector<std::string> role_writes(const std::string& topology, const ServiceAccount& service);

/// The passwords of every service, device, snet.compute, snet.up and `extra_users` of this
/// data dir: generated once, kept in <data-dir>/credentials/broker.credentials; the files of
/// BrokerAccounts written (the broker's own files are not). Throws std::runtime_error.
BrokerAccounts keep_broker_passwords(const Topology& topology,
                                     const std::vector<ServiceAccount>& services,
                                     const std::string& data_dir,
                                     std::map<std::string, std::string>& passwords,
                                     const std::vector<std::string>& extra_users = {});

/// The user a Mosquitto started by root should switch to: "mosquitto" when that user exists
/// and can reach `dir` (every folder above it searchable by others); "" otherwise (it stays
/// root, as before; a warning says why).
std::string broker_run_as(const std::string& dir);

/// Generates (or, from an earlier run of this data dir, keeps) the passwords of every service,
/// device, snet.compute and snet.up, writes the credentials files and, in `mosquitto_dir`, the
/// hashed password file and the ACL. `broker_user` (non-empty when Mosquitto drops root to
/// that user) is given those two files. Throws std::runtime_error saying what failed.
BrokerAccounts prepare_broker_accounts(const Topology& topology,
                                       const std::vector<ServiceAccount>& services,
                                       const std::string& data_dir,
                                       const std::string& mosquitto_dir,
                                       const std::string& broker_user = "");

/// A site broker's logins (site_brokers.hpp), written in `mosquitto_dir`: the hashed password
/// file of the site's devices, snet.up and the bridge, and site_acl(). The passwords are the
/// data dir's (prepare_broker_accounts ran first); the bridge's is returned for its config.
struct SiteBrokerFiles {
  std::string password_file, acl_file, bridge_password;
};
SiteBrokerFiles prepare_site_broker_accounts(const Topology& topology, const SiteBridge& bridge,
                                             const BrokerAccounts& accounts,
                                             const std::string& mosquitto_dir,
                                             const std::string& broker_user = "");

}  // namespace snet::cli
