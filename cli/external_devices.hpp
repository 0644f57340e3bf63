// The external devices of a topology ("kind": "external", docs/external-devices.md) as `snet up`
// runs them. One with a "command" is a supervised service, "external-<id>": started in the
// topology file's directory, its output in <log_dir>/external-<id>.log, restarted per --restart,
// stopped with the others (SIGTERM, then SIGKILL), and whatever it started itself (its process
// group) killed as soon as it has exited. Its environment tells it how to reach the broker: the
// URL with its user but no password, and the FILE of its password (never the password, never in
// argv). One without a command is the user's to run: `snet up` prints the same settings for it.
// Thread safety: pure functions; ExternalProgram as any Runnable (the supervisor's thread).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "broker_accounts.hpp"
#include "snet/process.hpp"
#include "snet/topology.hpp"
#include "supervisor.hpp"

namespace snet::cli {

/// Where `snet up`'s broker takes devices.
struct ExternalConnection {
  std::string mqtt_url;  // MQTT devices (mosquitto, or RabbitMQ's MQTT plugin); no login in it
  std::string amqp_url;  // "protocol": "amqp" devices (RabbitMQ)
  std::string ca_file;   // --tls: the CA that signed the broker's certificate ("": no TLS)
  /// The broker logins `snet up` made (null: a broker of the user's, whose login is theirs).
  const BrokerAccounts* accounts = nullptr;
  std::string topology_path;  // absolute
};

/// The topic filters `device` must subscribe to for its routing to reach it, space-separated:
/// an actuator's commands (cmd, and its pattern or group topics), a button's triggers.
std::string external_subscriptions(const Topology& topology, const Device& device);

/// "external-<id>": the supervisor's name (and log file) of an external device's command.
std::string external_service_name(const std::string& device_id);

/// `word` quoted for a POSIX shell when it needs to be (for the command lines snet up prints).
std::string shell_word(const std::string& word);

/// The environment of `device`'s program: SNET_BROKER_URL (with SNET_BROKER_USER, no
/// password), SNET_BROKER_USER, SNET_BROKER_PASSWORD_FILE (SNET_BROKER_PASSWORD emptied),
/// SNET_BROKER_CA_FILE (TLS), SNET_TOPOLOGY (the file), SNET_TOPOLOGY_NAME, SNET_DEVICE_ID,
/// SNET_DEVICE_ROLE, SNET_CLIENT_ID (snet-<topology>-<id>) and SNET_SUBSCRIBE (the topic
/// filters it must subscribe to, space-separated: its commands, or a button's triggers).
std::map<std::string, std::string> external_device_env(const Topology& topology,
                                                       const Device& device,
                                                       const ExternalConnection& connection);

/// What `snet up` prints, once up, about each external device: how to connect (its variables),
/// and for those it runs, the service and log that run it.
std::string external_devices_text(const Topology& topology, const ExternalConnection& connection,
                                  const std::string& log_dir);

/// An external device's command as a supervised service; ready as soon as it runs (the
/// dashboard shows the device offline until it publishes its presence).
class ExternalProgram : public Runnable {
 public:
  ExternalProgram(std::vector<std::string> argv, std::string cwd, std::string log_path,
                  std::map<std::string, std::string> env);
  ~ExternalProgram() override;
  ExternalProgram(const ExternalProgram&) = delete;
  ExternalProgram& operator=(const ExternalProgram&) = delete;
  void start() override;
  ChildProcess& process() override { return process_; }
  bool ready(Micros) override { return true; }
  std::string log_path() const override { return log_path_; }
  void exited() override { kill_leftovers(); }

 private:
  void kill_leftovers();

  std::vector<std::string> argv_;
  std::string cwd_, log_path_;
  std::map<std::string, std::string> env_;
  ChildProcess process_;
  pid_t group_ = 0;  // the process group of the last start (its leader's pid)
};

}  // namespace snet::cli
