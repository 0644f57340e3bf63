// snet-relayer: presses in, commands out (see relayer.hpp).
#include <iostream>

#include "backends.hpp"
#include "relayer.hpp"
#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"
#include "snet/shutdown.hpp"
#include "snet/status.hpp"
#include "snet/topology.hpp"

using namespace snet;

int main(int argc, char** argv) {
  ShutdownSignal shutdown;
  Flags flags("snet-relayer", "Subscribes to presses, asks the compute, commands the actuators.");
  flags.add("broker-url", "SNET_BROKER_URL", "mqtt://127.0.0.1:1883", "broker to connect to")
      .add("topology", "SNET_TOPOLOGY", "topology/single.json", "topology file")
      .add("name", "SNET_RELAYER_NAME", "relayer",
           "service name: status topic and client id (relayer-1, relayer-2... when several run)")
      .add("share-group", "SNET_SHARE_GROUP", "relayers",
           "relayers of a topology with the same group share the presses (MQTT $share, AMQP one "
           "queue); 'none': every relayer gets every press (RabbitMQ's MQTT plugin has no $share)")
      .add("compute", "SNET_RELAYER_COMPUTE", "",
           "take only the presses of buttons that use this compute of the topology's "
           "\"computes\" ('default': buttons without \"use\"); empty: every press")
      .add("dedupe-window", "SNET_DEDUPE_WINDOW", "100000", "press ids remembered for dedupe")
      .add("status-interval-ms", "SNET_STATUS_INTERVAL_MS", "2000",
           "how often the status and metrics are published");
  log::add_flags(flags);
  relayer::add_backend_flags(flags);
  Metrics metrics;  // first: the backends count into it
  Topology topology;
  relayer::ComputeBackends backends;
  relayer::RelayerOptions options;
  std::chrono::milliseconds status_interval{};
  try {
    if (!flags.parse(argc, argv)) return 0;
    log::apply_flags(flags);
    options.share_group = flags.str("share-group");
    if (options.share_group.find_first_of("/+#$") != std::string::npos) {
      throw UsageError("--share-group: '" + options.share_group +
                       "' must not contain '/', '+', '#' or '$'");
    }
    options.dedupe_capacity =
        static_cast<std::size_t>(flags.integer("dedupe-window", 1, 100'000'000));
    status_interval = std::chrono::milliseconds(flags.integer("status-interval-ms", 10, 3'600'000));
    backends = relayer::make_backends(flags, metrics);
  } catch (const std::exception& e) {
    std::cerr << "snet-relayer: " << e.what() << "\n";
    return 2;
  }
  const std::string name = flags.str("name");
  log::set_component(name);
  try {
    topology = load_topology(flags.str("topology"));
  } catch (const TopologyError& e) {
    log::error(e.what());
    return 1;
  }
  options.compute = flags.str("compute");
  if (const auto problem = relayer::compute_problem(topology, options.compute)) {
    std::cerr << "snet-relayer: --compute: " << *problem << "\n";
    return 2;
  }
  if (topology.routing != Routing::topic && flags.str("broker-url").rfind("amqp://", 0) != 0 &&
      topology.broker == BrokerKind::rabbitmq) {
    // Over RabbitMQ's MQTT plugin the relayer could reach amq.topic only, not the group or
    // headers exchanges: AMQP members would silently miss every command.
    std::cerr << "snet-relayer: " << to_string(topology.routing)
              << " routing on RabbitMQ publishes to exchanges: give the AMQP URL "
                 "(--broker-url amqp://user:pass@host:5672/vhost), not '"
              << flags.str("broker-url") << "'\n";
    return 2;
  }
  if (options.share_group != "none" && flags.str("broker-url").rfind("amqp://", 0) != 0 &&
      topology.broker == BrokerKind::rabbitmq) {
    // RabbitMQ 3.10's MQTT plugin has no shared subscriptions: $share/... would match nothing
    // and the relayer would never see a press.
    std::cerr << "snet-relayer: RabbitMQ's MQTT plugin has no shared subscriptions: give the "
                 "AMQP URL (--broker-url amqp://user:pass@host:5672/vhost), or --share-group "
                 "none to take every press over '"
              << flags.str("broker-url") << "'\n";
    return 2;
  }

  BusOptions bus_options;
  bus_options.url = flags.str("broker-url");
  bus_options.client_id = "snet-" + topology.name + "-" + name;
  bus_options.will = status_will(topology.name, name);
  bus_options.report_unroutable = true;  // AMQP: a command no actuator's queue takes is an error
  // A press is acknowledged only once its commands are confirmed, and the broker keeps what we
  // have not acknowledged while we are away: a relayer's death loses no press.
  bus_options.persistent_session = true;
  bus_options.manual_ack = true;
  bus_options.metrics = &metrics;  // the bus's own counters (AMQP) in our status
  if (options.share_group == "none") {
    options.share_group.clear();
  } else {
    options.share_group = "snet-" + topology.name + "-" + options.share_group;
  }
  BusLoop loop;  // carries the bus's connection; outlives it
  std::unique_ptr<Bus> bus;
  try {
    bus = loop.make_bus(bus_options);
  } catch (const std::exception& e) {
    log::error(e.what());
    return 2;
  }
  relayer::Relayer relayer(*bus, topology, std::move(backends), metrics, options);
  bus->start();
  log::info("topology '", topology.name, "' (", topology.buttons().size(), " buttons), broker ",
            bus_options.url, ": connecting");
  // Online only once connected and subscribed; a signal meanwhile still ends us promptly.
  while (!bus->wait_connected(std::chrono::milliseconds(200))) {
    if (shutdown.wait_for(std::chrono::milliseconds(0)) != 0) return 0;
  }
  log::info("connected and subscribed");
  {
    StatusReporter status(*bus, topology.name, name, metrics, status_interval);
    const int sig = shutdown.wait();
    log::info("signal ", sig, ": shutting down (", relayer.in_flight(), " invocations in flight)");
  }
  bus->stop();
  return 0;
}
