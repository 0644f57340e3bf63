// Starts a real broker as a child process for `snet up` and tests: a config derived from
// broker-config/, a given port on loopback, and a wait until it accepts connections.
#pragma once

#include <chrono>
#include <string>

#include "snet/process.hpp"

namespace snet {

struct MosquittoOptions {
  std::string config_template;  // broker-config/mosquitto.conf (listener lines are replaced)
  std::string bind_address = "127.0.0.1";
  int port = 1883;
  std::string data_dir;  // config, persistence and log go here
  std::string executable = "mosquitto";
};

class MosquittoServer {
 public:
  /// Starts mosquitto and waits until it accepts connections; throws std::runtime_error with
  /// the broker's own log when it does not within `timeout`.
  explicit MosquittoServer(MosquittoOptions options,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  int port() const { return options_.port; }
  std::string url() const;
  ChildProcess& process() { return process_; }
  /// Stops and starts it again on the same port (for broker-restart tests).
  void restart(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void stop() { process_.stop(); }

 private:
  void launch(std::chrono::milliseconds timeout);
  MosquittoOptions options_;
  std::string config_path_, log_path_;
  ChildProcess process_;
};

/// The broker-config/ folder: $SNET_BROKER_CONFIG_DIR, else next to the installed binaries
/// (../share/serverlessnet/broker-config), else the source tree's.
std::string broker_config_dir();

}  // namespace snet
