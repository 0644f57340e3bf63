// Starts a real broker as a child process for `snet up` and tests: a config derived from
// broker-config/, a given port on loopback, and a wait until it accepts connections.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "snet/process.hpp"

namespace snet {

struct MosquittoOptions {
  std::string config_template;  // broker-config/mosquitto.conf (listener lines are replaced)
  std::string bind_address = "127.0.0.1";
  /// More addresses it listens on, same port (e.g. the emulated network's core bridge).
  std::vector<std::string> extra_bind_addresses;
  int port = 1883;
  std::string data_dir;  // config, persistence and log go here
  std::string executable = "mosquitto";
  /// Logins (snet up's broker_accounts): with a password file Mosquitto checks a client that
  /// gives a user name against it and holds it to the ACL; clients without one are anonymous,
  /// allowed (as the ACL's anonymous lines say) only when every listener is on loopback.
  /// Empty: anyone may do anything (the template's).
  std::string password_file, acl_file;
  /// Started as root, mosquitto switches to this user (its data folder is given to it); empty:
  /// it stays root.
  std::string run_as;
  /// A TLS listener (mqtts://) on every bind address besides the plain one, when tls_port is not
  /// 0: the server certificate and key (snet/tls_files.hpp) and the CA that signed them.
  /// Clients need no certificate of their own (logins and the ACL apply as on the plain port).
  int tls_port = 0;
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  /// Appended to the configuration as written (a bridge section: cli/site_brokers.hpp). It may
  /// hold a password, so the configuration is then readable by its owner only.
  std::string extra_config;
};

class MosquittoServer {
 public:
  /// Starts mosquitto and waits until it accepts connections; throws std::runtime_error with
  /// the broker's own log when it does not within `timeout`.
  explicit MosquittoServer(MosquittoOptions options,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Writes its config but starts nothing: start() and accepting() drive it (for a supervisor
  /// that restarts it on the same port and persistence file).
  static std::unique_ptr<MosquittoServer> prepare(MosquittoOptions options);

  int port() const { return options_.port; }
  std::string url() const;
  /// mqtts://host:tls_port ("" without a TLS listener).
  std::string tls_url() const;
  const std::string& log_path() const { return log_path_; }
  ChildProcess& process() { return process_; }
  /// Starts a mosquitto process without waiting (the previous one must have exited); throws
  /// std::system_error when it cannot be started.
  void start();
  /// Whether it accepts connections now (one attempt).
  bool accepting() const;
  /// Stops and starts it again on the same port (for broker-restart tests).
  void restart(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void stop() { process_.stop(); }

 private:
  struct Prepared {};
  MosquittoServer(MosquittoOptions options, Prepared);
  void launch(std::chrono::milliseconds timeout);
  std::string client_host() const;
  MosquittoOptions options_;
  std::string config_path_, log_path_;
  ChildProcess process_;
};

/// The broker-config/ folder: $SNET_BROKER_CONFIG_DIR, else next to the installed binaries
/// (../share/serverlessnet/broker-config), else the source tree's.
std::string broker_config_dir();

}  // namespace snet
