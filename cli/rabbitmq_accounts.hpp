// Who may do what on the RabbitMQ that `snet up` starts: the same users and passwords as on
// Mosquitto (broker_accounts.hpp: one per service and per device, kept in <data-dir>/credentials/),
// given to the node as definitions it loads at boot (users with salted SHA-256 hashes, vhost
// permissions and topic permissions), so no password is ever in a process's arguments and
// thousands of users cost one file instead of thousands of rabbitmqctl calls.
//
// Vhost permissions (configure / write / read regexes on queue and exchange names):
//   snet.up (operator)    everything (no administrator tag: no one has one)
//   services (snet.NAME)  everything in the vhost
//   a device              its own session queues only (AMQP snet-bus-snet-<topology>-<id>, MQTT
//                         plugin mqtt-subscription-snet-<topology>-<id>qos0/1); publish to
//                         amq.topic; and the exchanges its own routing binds to (its groups'
//                         fanout exchanges, snet.headers), which its bus declares
//   snet.compute          its own temporary queues; publish to amq.topic
//   snet.anonymous        the MQTT plugin's anonymous clients (loopback listeners only): their
//                         own subscription queues, but no device's or service's (snet-...)
// Topic permissions on amq.topic (routing keys: the MQTT plugin maps '/' to '.'), as the
// Mosquitto ACL: a button publishes its own press and presence and reads its trigger; an
// actuator reads its own commands (and the pattern keys its routing binds), publishes its own
// state, sync and presence; services read everything and publish their own status and what
// their role needs; anonymous clients publish presses and read states. The `guest` user does
// not exist (the definitions replace the default user).
//
// Pure: rabbitmq_definitions(), rabbitmq_password_hash(). prepare_rabbitmq_accounts() writes.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker_accounts.hpp"
#include "snet/topology.hpp"

namespace snet::cli {

inline constexpr const char* kRabbitMqVhost = "snet";

/// RabbitMQ's rabbit_password_hashing_sha256: base64(salt + SHA-256(salt + password)).
std::string rabbitmq_password_hash(const std::string& password,
                                   const std::array<unsigned char, 4>& salt);

/// `base` (broker-config/rabbitmq/definitions.json: vhost, exchanges) with its users,
/// permissions and topic permissions replaced by those of `topology` and `services`; every
/// user of `passwords` that the rules name gets its hash (`hash` of its password). `anonymous`:
/// whether kAnonymousUser is defined (its password in `passwords`).
nlohmann::json rabbitmq_definitions(const nlohmann::json& base, const Topology& topology,
                                    const std::vector<ServiceAccount>& services,
                                    const std::map<std::string, std::string>& passwords,
                                    bool anonymous);

struct RabbitMqAccounts {
  BrokerAccounts accounts;         // the credentials files, as on Mosquitto
  std::string definitions_file;    // what the node loads (0600)
  std::string operator_password;   // for the launcher's amqp_url() (never shown)
  std::string anonymous_password;  // the MQTT plugin's default login ("": no anonymous)
  std::string logins_fingerprint;  // of the users and rules, not the passwords (hex)
};

/// Keeps (or generates) the passwords of this data dir and writes
/// `<rabbitmq_dir>/snet-definitions.json` from `base_definitions`. `anonymous`: whether MQTT
/// clients without a login may press and read states (every listener on loopback). Throws
/// std::runtime_error saying what failed.
RabbitMqAccounts prepare_rabbitmq_accounts(const Topology& topology,
                                           const std::vector<ServiceAccount>& services,
                                           const std::string& data_dir,
                                           const std::string& rabbitmq_dir,
                                           const std::string& base_definitions, bool anonymous);

}  // namespace snet::cli
