// The skeleton every service's main() shares (snet-relayer, snet-agent, snet-state, snet-whisk):
// the shutdown signals, the flags they all take (--broker-url, --broker-password-file,
// --broker-ca-file,
// --topology, --log-level, --log-format, --status-interval-ms, and --name where several may run),
// the broker password (never from argv: snet/broker_credentials.hpp), the status bus's client id
// and last will, the status reporter, and one exit-code policy:
//
//   0  a clean stop: SIGTERM, SIGINT or SIGHUP (also --help and --version)
//   2  a usage or configuration error, found before the service runs: an unknown flag, a bad
//      value, a broker URL no bus accepts, a topology that does not load, a flag that contradicts
//      the topology. It says what to change; restarting it unchanged cannot help.
//   1  a runtime failure: the configuration was fine but something failed (a port taken, a
//      store that cannot be opened, a worker that cannot start).
//
// run() applies the policy to whatever escapes the service's body: snet::UsageError and
// snet::TopologyError exit 2, any other exception 1. The body throws UsageError for its own
// configuration errors; make_bus() turns a bus's std::invalid_argument (a bad URL) into one.
// Thread safety: construct first thing in main(), before any thread exists (see ShutdownSignal);
// use from the main thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "snet/bus.hpp"
#include "snet/flags.hpp"
#include "snet/metrics.hpp"
#include "snet/shutdown.hpp"
#include "snet/status.hpp"
#include "snet/topology.hpp"

namespace snet {

class BusLoop;

enum ExitCode : int { kExitClean = 0, kExitFailure = 1, kExitUsage = 2 };

struct ServiceInfo {
  std::string program;  // "snet-relayer": --help, --version and error messages
  std::string summary;  // one line for --help
  /// The service's name: status topic, client id (snet-<topology>-<name>) and log component.
  std::string name;
  /// When not empty, --name (with this environment variable) overrides `name`: for services of
  /// which several run (relayer-1, relayer-2...).
  std::string name_env = {};
  /// The broker is optional (snet-whisk): used, and its URL checked, only when given.
  bool broker_optional = false;
};

class Service {
 public:
  /// Blocks the shutdown signals and declares the common flags.
  explicit Service(ServiceInfo info);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// Where the service declares its own flags, before run().
  Flags& flags() { return flags_; }

  /// Parses argv (--help, --version: prints and returns 0), checks the common flags, sets the
  /// log level and component, then runs `body` and returns its exit code; an exception escaping
  /// either is mapped to 2 or 1 as the policy above says, and reported on stderr.
  int run(int argc, char** argv, const std::function<int()>& body);

  const std::string& name() const { return name_; }
  /// The URL as given: it may name a user (mqtt://relayer@host:port), and should carry no
  /// password. Show it through redacted_url() all the same.
  const std::string& broker_url() const { return broker_url_; }
  /// The password for the URL's user: from --broker-password-file / SNET_BROKER_PASSWORD_FILE
  /// or SNET_BROKER_PASSWORD; empty when none. Every bus of the service passes it in
  /// BusOptions::password (bus_options() does).
  const std::string& broker_password() const { return broker_password_; }
  /// False only for a service whose broker is optional and was not given.
  bool uses_broker() const { return uses_broker_; }
  std::chrono::milliseconds status_interval() const { return status_interval_; }

  /// The --topology file. run() loads it before the body when the service uses a broker (a
  /// topology that does not load is a configuration error); otherwise on first use. Throws
  /// TopologyError.
  const Topology& topology();
  /// The topology's name (loading it first if need be), also after take_topology().
  const std::string& topology_name();
  /// Moves the topology out (loading it first if need be), for a service that needs the whole
  /// of it only to start: an agent hosting a shard of a large topology frees the rest. Only
  /// its name stays (topology_name()); topology() then throws std::logic_error.
  Topology take_topology();
  /// For the service's own bus: the broker URL, client id snet-<topology>-<name>, and the last
  /// will that marks the service offline should it vanish.
  BusOptions bus_options();
  /// make_bus() (or `loop`'s, when given), a bad URL thrown as UsageError.
  std::unique_ptr<Bus> make_bus(const BusOptions& options, BusLoop* loop = nullptr);
  /// Publishes this service's status on `bus` every status_interval() until destroyed (then
  /// "offline"): create it once the service is up.
  std::unique_ptr<StatusReporter> report_status(Bus& bus, const Metrics& metrics);

  /// Waits until `bus` is connected and subscribed; false when a shutdown signal came first.
  bool wait_connected(Bus& bus);
  /// True once a shutdown signal came (does not block).
  bool stop_requested();
  /// Blocks until a shutdown signal (returns at once if one came already); logs it and returns
  /// its number.
  int wait_for_shutdown();
  /// As wait_for_shutdown(), at most `timeout`; 0 when no signal came.
  int wait_for_shutdown(std::chrono::milliseconds timeout);

 private:
  void configure();

  ShutdownSignal shutdown_;  // first: blocks the signals before anything else runs
  ServiceInfo info_;
  Flags flags_;
  std::string name_, broker_url_, broker_password_;
  bool uses_broker_ = true;
  int signal_ = 0;  // the shutdown signal once it came
  std::chrono::milliseconds status_interval_{2000};
  std::optional<Topology> topology_;
  std::string topology_name_;
  bool topology_taken_ = false;
};

}  // namespace snet
