#include "rabbitmq_accounts.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "snet/atomic_file.hpp"
#include "snet/routing.hpp"
#include "snet/topics.hpp"

namespace snet::cli {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using topics::Kind;

// Erlang's re (PCRE) sees the name literally.
std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Anchored: RabbitMQ matches permissions unanchored.
std::string any_of(const std::vector<std::string>& alternatives) {
  std::string out = "^(";
  for (std::size_t i = 0; i < alternatives.size(); ++i) out += (i ? "|" : "") + alternatives[i];
  return out + ")$";
}

// An MQTT topic filter as a regex over the routing keys it matches ('+' one level, '#' any).
std::string filter_regex(const std::string& filter) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto end = filter.find('/', start);
    const std::string level = filter.substr(start, end == std::string::npos ? end : end - start);
    if (start != 0) out += "\\.";
    out += level == "+" ? "[^.]+" : level == "#" ? ".*" : escaped(level);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// The exact binding key an AMQP bus or the MQTT plugin binds for `filter` (amqp_topics.cpp).
std::string binding_key(const std::string& filter) {
  std::string key = filter;
  for (char& c : key) {
    if (c == '/') c = '.';
    if (c == '+') c = '*';
  }
  return escaped(key);
}

std::string key_of(const std::string& t, Kind kind, const std::string& id) {
  return filter_regex(topics::make(t, kind, id));
}

json permission(const std::string& user, const std::string& configure, const std::string& write,
                const std::string& read) {
  return {{"user", user},
          {"vhost", kRabbitMqVhost},
          {"configure", configure},
          {"write", write},
          {"read", read}};
}

json topic_permission(const std::string& user, const std::string& write, const std::string& read) {
  return {{"user", user},
          {"vhost", kRabbitMqVhost},
          {"exchange", "amq.topic"},
          {"write", write},
          {"read", read}};
}

// Unique per user and password, yet the same each run: an unchanged definitions file lets a
// restarted node skip importing it (definitions.skip_if_unchanged).
std::array<unsigned char, 4> salt_of(const std::string& user, const std::string& password) {
  const std::string text = "snet-salt:" + user + ":" + password;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return {digest[0], digest[1], digest[2], digest[3]};
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out.push_back(hex[byte >> 4]);
    out.push_back(hex[byte & 15]);
  }
  return out;
}

}  // namespace

std::string rabbitmq_password_hash(const std::string& password,
                                   const std::array<unsigned char, 4>& salt) {
  std::string salted(salt.begin(), salt.end());
  salted += password;
  unsigned char out[4 + SHA256_DIGEST_LENGTH];
  std::copy(salt.begin(), salt.end(), out);
  SHA256(reinterpret_cast<const unsigned char*>(salted.data()), salted.size(), out + 4);
  unsigned char encoded[4 * ((sizeof out + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(encoded, out, sizeof out);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length));
}

json rabbitmq_definitions(const json& base, const Topology& topology,
                          const std::vector<ServiceAccount>& services,
                          const std::map<std::string, std::string>& passwords, bool anonymous) {
  const std::string& t = topology.name;
  const std::string et = escaped(t);
  json users = json::array(), permissions = json::array(), topic_permissions = json::array();
  auto add_user = [&](const std::string& name) {
    users.push_back({{"name", name},
                     {"password_hash", rabbitmq_password_hash(passwords.at(name),
                                                              salt_of(name, passwords.at(name)))},
                     {"hashing_algorithm", "rabbit_password_hashing_sha256"},
                     {"tags", json::array()},
                     {"limits", json::object()}});
  };
  // The operator: anything (no topic permissions means every routing key).
  add_user(kOperatorUser);
  permissions.push_back(permission(kOperatorUser, ".*", ".*", ".*"));
  for (const auto& service : services) {
    const std::string user = service_user(service.name);
    add_user(user);
    permissions.push_back(permission(user, ".*", ".*", ".*"));
    std::vector<std::string> writes = {key_of(t, Kind::status, service.name)};
    for (const auto& filter : role_writes(t, service)) writes.push_back(filter_regex(filter));
    topic_permissions.push_back(topic_permission(user, any_of(writes), ".*"));
  }
  // A trigger compute's action publishes the commands (MQTT plugin or AMQP, temporary queues).
  add_user(kComputeUser);
  const std::string temporary = "amq\\.gen-.*|mqtt-subscription-.*";
  permissions.push_back(permission(kComputeUser, any_of({temporary}),
                                   any_of({"amq\\.topic", temporary}),
                                   any_of({"amq\\.topic", temporary})));
  std::vector<std::string> compute_writes;
  for (const auto& filter : role_writes(t, {"", ServiceRole::relayer})) {
    if (filter != topics::all(t, Kind::event)) compute_writes.push_back(filter_regex(filter));
  }
  topic_permissions.push_back(topic_permission(kComputeUser, any_of(compute_writes), "^$"));
  if (anonymous) {  // mosquitto_pub on loopback: press any button, read states and readings
    add_user(kAnonymousUser);
    // Its own subscription queues, never a device's or a service's session (client ids snet-...).
    const std::string own = "mqtt-subscription-(?!snet-).*";
    permissions.push_back(permission(kAnonymousUser, any_of({own}), any_of({"amq\\.topic", own}),
                                     any_of({"amq\\.topic", own})));
    topic_permissions.push_back(
        topic_permission(kAnonymousUser, "^snet\\." + et + "\\.press\\.[^.*#]+$",
                         "^snet\\." + et + "\\.(state|reading)\\.([^.*#]+|\\*|#)$"));
  }
  const routing::ActuatorSubscriptions subscriptions(topology);
  for (const Device& device : topology.devices) {
    const std::string& id = device.id;
    add_user(id);
    const std::string client = escaped("snet-" + t + "-" + id);
    const std::string queues = "snet-bus-" + client + "|mqtt-subscription-" + client + "qos[01]";
    std::vector<std::string> writes = {key_of(t, Kind::presence, id)}, reads;
    std::set<std::string> exchanges;  // what its routing binds to besides amq.topic
    if (device.kind == DeviceKind::button) {
      writes.push_back(key_of(t, Kind::press, id));
      reads.push_back(key_of(t, Kind::trigger, id));
    } else if (device.kind == DeviceKind::sensor) {
      writes.push_back(key_of(t, Kind::reading, id));  // and it reads nothing
    } else {
      for (Kind kind : {Kind::state, Kind::sync}) {
        writes.push_back(key_of(t, kind, id));
        reads.push_back(key_of(t, kind, id));
      }
      // A composite device is an actuator that also measures: its own readings.
      if (device.composite) writes.push_back(key_of(t, Kind::reading, id));
      // Its bindings' keys (an MQTT member of a group reads the group's key on amq.topic, where
      // the group's fanout exchange forwards), and the exchanges its AMQP bus declares and binds.
      for (const auto& subscription : subscriptions.of(device)) {
        reads.push_back(binding_key(subscription.filter));
        if (subscription.exchange) exchanges.insert(escaped(subscription.exchange->name));
      }
    }
    std::vector<std::string> configure = {queues}, write = {"amq\\.topic", queues},
                             read = {"amq\\.topic", queues};
    configure.insert(configure.end(), exchanges.begin(), exchanges.end());
    read.insert(read.end(), exchanges.begin(), exchanges.end());
    permissions.push_back(permission(id, any_of(configure), any_of(write), any_of(read)));
    topic_permissions.push_back(topic_permission(id, any_of(writes), any_of(reads)));
  }
  json out = base;
  out["users"] = std::move(users);
  out["permissions"] = std::move(permissions);
  out["topic_permissions"] = std::move(topic_permissions);
  return out;
}

RabbitMqAccounts prepare_rabbitmq_accounts(const Topology& topology,
                                           const std::vector<ServiceAccount>& services,
                                           const std::string& data_dir,
                                           const std::string& rabbitmq_dir,
                                           const std::string& base_definitions, bool anonymous) {
  RabbitMqAccounts out;
  std::map<std::string, std::string> passwords;
  out.accounts =
      keep_broker_passwords(topology, services, data_dir, passwords, {std::string(kAnonymousUser)});
  std::ifstream in(base_definitions);
  if (!in) throw std::runtime_error("cannot read RabbitMQ definitions " + base_definitions);
  const json base = json::parse(in, nullptr, false);
  if (base.is_discarded() || !base.is_object()) {
    throw std::runtime_error("RabbitMQ definitions " + base_definitions + " are not a JSON object");
  }
  fs::create_directories(rabbitmq_dir);
  out.definitions_file = rabbitmq_dir + "/snet-definitions.json";
  json definitions = rabbitmq_definitions(base, topology, services, passwords, anonymous);
  write_file_atomically(out.definitions_file, definitions.dump(1) + "\n", 0600);
  for (auto& user : definitions["users"]) user.erase("password_hash");
  out.logins_fingerprint =
      sha256_hex(definitions["users"].dump() + definitions["permissions"].dump() +
                 definitions["topic_permissions"].dump());
  out.operator_password = passwords.at(kOperatorUser);
  if (anonymous) out.anonymous_password = passwords.at(kAnonymousUser);
  return out;
}

}  // namespace snet::cli
