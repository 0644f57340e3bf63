#include "snet/service.hpp"

#include <unistd.h>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "snet/broker_credentials.hpp"
#include "snet/bus_loop.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"
#include "snet/net.hpp"

namespace snet {

Service::Service(ServiceInfo info) : info_(std::move(info)), flags_(info_.program, info_.summary) {
  flags_
      .add("broker-url", "SNET_BROKER_URL", "mqtt://127.0.0.1:1883",
           info_.broker_optional
               ? "publish status \"" + info_.name + "\" on this broker (only when given)"
               : "broker to connect to")
      .add("broker-password-file", kBrokerPasswordFileEnv, "",
           "file (mode 0600) holding the password of --broker-url's user; or give the password "
           "in $" +
               std::string(kBrokerPasswordEnv) + ", never on the command line")
      .add("broker-ca-file", kBrokerCaFileEnv, "",
           "mqtts:// and amqps:// --broker-url: CA certificate (PEM) the broker's certificate must "
           "chain to (default: the system's trust store)")
      .add("topology", "SNET_TOPOLOGY", "topology/single.json",
           info_.broker_optional ? "topology whose status topic is used (only with --broker-url)"
                                 : "topology file")
      .add("status-interval-ms", "SNET_STATUS_INTERVAL_MS", "2000",
           "how often the status and metrics are published");
  log::add_flags(flags_);
  if (!info_.name_env.empty()) {
    flags_.add("name", info_.name_env, info_.name,
               "service name: status topic, client id and log component (e.g. " + info_.name +
                   "-1, " + info_.name + "-2... when several run)");
  }
}

void Service::configure() {
  log::apply_flags(flags_);
  status_interval_ = std::chrono::milliseconds(flags_.integer("status-interval-ms", 10, 3'600'000));
  name_ = info_.name_env.empty() ? info_.name : flags_.str("name");
  if (name_.empty() || name_.find_first_of("/+#$ ") != std::string::npos) {
    throw UsageError("--name: '" + name_ +
                     "' must be non-empty, without '/', '+', '#', '$' or spaces");
  }
  broker_url_ = flags_.str("broker-url");
  uses_broker_ = !info_.broker_optional || flags_.given("broker-url");
  if (uses_broker_) {
    try {
      check_broker_url(broker_url_);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--broker-url: ") + e.what());
    }
    const char* env_password = std::getenv(kBrokerPasswordEnv);
    try {
      broker_password_ = snet::broker_password(flags_.str("broker-password-file"),
                                               env_password == nullptr ? "" : env_password);
      (void)bus_login(broker_url_, broker_password_, nullptr);  // a password needs a user
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    // Every bus of this process (the agent's devices included) verifies the broker with it.
    if (const std::string ca = flags_.str("broker-ca-file"); !ca.empty()) {
      if (::access(ca.c_str(), R_OK) != 0) {
        throw UsageError("--broker-ca-file: cannot read '" + ca + "'");
      }
      ::setenv(kBrokerCaFileEnv, ca.c_str(), 1);  // before any thread starts
    }
    if (!parse_url(broker_url_, 0).password.empty()) {
      log::warn("--broker-url ", redacted_url(broker_url_),
                " carries a password, which process listings show: give it in $",
                kBrokerPasswordEnv, " or a file (--broker-password-file)");
    }
  }
  log::set_component(name_);
  // Every configuration error before the service starts anything.
  if (uses_broker_) (void)topology();
}

int Service::run(int argc, char** argv, const std::function<int()>& body) {
  try {
    if (!flags_.parse(argc, argv)) return kExitClean;
    configure();
    return body();
  } catch (const UsageError& e) {
    std::cerr << info_.program << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const TopologyError& e) {
    std::cerr << info_.program << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    log::error(e.what());
    return kExitFailure;
  }
}

const Topology& Service::topology() {
  if (topology_taken_) throw std::logic_error("the service's topology was taken (take_topology)");
  if (!topology_) {
    topology_ = load_topology(flags_.str("topology"));
    topology_name_ = topology_->name;
  }
  return *topology_;
}

const std::string& Service::topology_name() {
  if (!topology_taken_) (void)topology();
  return topology_name_;
}

Topology Service::take_topology() {
  (void)topology();  // loaded
  Topology whole = std::move(*topology_);
  topology_.reset();
  topology_taken_ = true;
  return whole;
}

BusOptions Service::bus_options() {
  BusOptions options;
  options.url = broker_url_;
  options.password = broker_password_;
  options.client_id = "snet-" + topology_name() + "-" + name_;
  options.will = status_will(topology_name(), name_);
  return options;
}

std::unique_ptr<Bus> Service::make_bus(const BusOptions& options, BusLoop* loop) {
  try {
    return loop != nullptr ? loop->make_bus(options) : snet::make_bus(options);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--broker-url: ") + e.what());
  }
}

std::unique_ptr<StatusReporter> Service::report_status(Bus& bus, const Metrics& metrics) {
  return std::make_unique<StatusReporter>(bus, topology_name(), name_, metrics, status_interval_);
}

bool Service::wait_connected(Bus& bus) {
  while (!bus.wait_connected(std::chrono::milliseconds(200))) {
    if (stop_requested()) return false;
  }
  return true;
}

bool Service::stop_requested() {
  return wait_for_shutdown(std::chrono::milliseconds(0)) != 0;
}

int Service::wait_for_shutdown() {
  if (signal_ == 0) {
    signal_ = shutdown_.wait();
    log::info("signal ", signal_, ": shutting down");
  }
  return signal_;
}

int Service::wait_for_shutdown(std::chrono::milliseconds timeout) {
  if (signal_ == 0) {
    signal_ = shutdown_.wait_for(timeout);
    if (signal_ != 0) log::info("signal ", signal_, ": shutting down");
  }
  return signal_;
}

}  // namespace snet
