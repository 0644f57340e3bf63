// snet-agent: hosts a topology's emulated buttons and actuators (see agent.hpp).
#include <iostream>
#include <optional>
#include <set>

#include "agent.hpp"
#include "device_links.hpp"
#include "device_selection.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"
#include "snet/open_files.hpp"
#include "snet/shutdown.hpp"
#include "snet/status.hpp"
#include "snet/topics.hpp"
#include "snet/topology.hpp"

using namespace snet;

int main(int argc, char** argv) {
  ShutdownSignal shutdown;
  Flags flags("snet-agent",
              "Hosts a topology's emulated devices, each its own MQTT or AMQP client.");
  flags.add("broker-url", "SNET_BROKER_URL", "mqtt://127.0.0.1:1883", "broker to connect to")
      .add("mqtt-url", "SNET_MQTT_URL", "",
           "MQTT listener for \"protocol\": \"mqtt\" devices (default: --broker-url if it is "
           "mqtt://, else RabbitMQ's MQTT plugin on port 1883 of its host)")
      .add("topology", "SNET_TOPOLOGY", "topology/single.json", "topology file")
      .add("devices", "SNET_DEVICES", "all", "'all' or a comma-separated list of device ids")
      .add("kinds", "SNET_KINDS", "all", "all, buttons or actuators")
      .add("name", "SNET_AGENT_NAME", "agent", "service name for the status topic")
      .add("dedupe-window", "SNET_DEDUPE_WINDOW", "10000",
           "press ids each actuator remembers, to apply a redelivered command once")
      .add("connect-batch", "SNET_CONNECT_BATCH", "64",
           "devices connecting at once (mosquitto's listen backlog is 100)")
      .add("status-interval-ms", "SNET_STATUS_INTERVAL_MS", "2000",
           "how often the status, metrics and link report are published")
      .add("link-properties", "SNET_LINK_PROPERTIES", std::string(agents::kAllLinkProperties),
           "link properties this agent's process engine applies when the topology emulates the "
           "network (devices then connect through a loopback relay); empty: none")
      .add("link-placement", "SNET_LINK_PLACEMENT", "",
           "the kernel link engine's device placements (a file snet up writes): each device's "
           "socket is made in its site's network namespace, from its own address, and reaches "
           "the broker at the core bridge's address");
  agents::AgentOptions options;
  std::chrono::milliseconds status_interval{};
  std::vector<std::string> link_properties;
  std::optional<DevicePlacements> placements;
  log::add_flags(flags);
  try {
    if (!flags.parse(argc, argv)) return 0;
    log::apply_flags(flags);
    options.broker_url = flags.str("broker-url");
    options.mqtt_url = flags.str("mqtt-url");
    options.connect_batch = static_cast<std::size_t>(flags.integer("connect-batch", 1, 100'000));
    options.dedupe_capacity =
        static_cast<std::size_t>(flags.integer("dedupe-window", 1, 10'000'000));
    status_interval = std::chrono::milliseconds(flags.integer("status-interval-ms", 10, 3'600'000));
    link_properties = agents::parse_link_properties(flags.str("link-properties"));
    if (!flags.str("link-placement").empty()) {
      placements = read_device_placements(flags.str("link-placement"));
    }
  } catch (const std::exception& e) {
    std::cerr << "snet-agent: " << e.what() << "\n";
    return 2;
  }
  const std::string name = flags.str("name");
  log::set_component(name);
  Topology topology;
  std::vector<const Device*> devices;
  try {
    topology = load_topology(flags.str("topology"));
    devices = agents::select_devices(topology, flags.str("devices"), flags.str("kinds"));
  } catch (const TopologyError& e) {
    log::error(e.what());
    return 1;
  } catch (const UsageError& e) {
    std::cerr << "snet-agent: " << e.what() << "\n";
    return 2;
  }
  BusOptions bus_options;
  bus_options.url = options.broker_url;
  bus_options.client_id = "snet-" + topology.name + "-" + name;
  bus_options.will = status_will(topology.name, name);
  std::unique_ptr<Bus> status_bus;
  std::unique_ptr<agents::DeviceLinks> links;
  try {
    auto urls = agents::device_urls(options.broker_url, options.mqtt_url, devices);
    network::RelayOptions relay_options;
    if (placements) {  // devices live in the sites' namespaces: loopback is not theirs
      if (!urls.mqtt.empty()) urls.mqtt = agents::with_host(urls.mqtt, placements->broker_host);
      if (!urls.amqp.empty()) urls.amqp = agents::with_host(urls.amqp, placements->broker_host);
      relay_options.upstream_socket = agents::placed_upstream_sockets(*placements);
    }
    // The emulated network's relay, if any: its listeners take descriptors too (see below).
    links = std::make_unique<agents::DeviceLinks>(topology, devices, urls, link_properties,
                                                  std::move(relay_options));
    options.device_urls = links->device_urls();
    if (placements && !links->active()) {  // no relay: each device's own socket is placed
      for (const Device* device : devices) {
        options.device_urls[device->id] = urls.of(device->protocol);
      }
      options.device_placements = placements->devices;
    }
    status_bus = make_bus(bus_options);
  } catch (const UsageError& e) {
    std::cerr << "snet-agent: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    log::error(e.what());
    return 2;
  }
  // A device's own socket; through the relay also its listener and the relay's two sockets.
  const std::size_t per_device = links->active() ? 4 : 1;
  const long open_files = raise_open_file_limit();
  if (open_files >= 0 && static_cast<std::size_t>(open_files) < devices.size() * per_device + 64) {
    log::warn("open-file limit ", open_files, " is below the ", devices.size() * per_device,
              " descriptors needed; raise the hard limit (ulimit -Hn)");
  }
  Metrics metrics;
  agents::AgentMetrics agent_metrics(metrics);
  agents::Agent agent(topology, devices, options, agent_metrics);  // outlives the status bus
  // Fault injection (snet ctl, the dashboard, scenarios) arrives on the control topic.
  const std::string link_control_prefix = topics::link_control_topic(topology.name, "");
  status_bus->on_message([&](const Message& message) {
    try {
      if (message.topic.rfind(link_control_prefix, 0) == 0) {
        if (links->apply(message)) agent_metrics.link_updates.add();
      } else {
        agent.apply(parse_device_control(message.payload));
      }
    } catch (const BadMessage& bad) {
      agent_metrics.rejected(bad.reason).add();
      log::warn("rejected control message on ", message.topic, ": ", bad.reason, ": ", bad.what());
    }
  });
  status_bus->subscribe(topics::control_topic(topology.name), Qos::at_least_once);
  // Retained: the links' latest state arrives at once, also after a restart.
  if (links->active())
    status_bus->subscribe(topics::link_control_filter(topology.name), Qos::at_least_once);
  status_bus->start();
  log::info("topology '", topology.name, "': connecting ", agent.size(), " devices to ",
            options.broker_url);
  bool stop = false;
  agent.start([&] { return stop = stop || shutdown.wait_for(std::chrono::milliseconds(0)) != 0; });
  if (!stop) {
    // Online only after the devices are up: `snet up` waits for this.
    StatusReporter status(*status_bus, topology.name, name, metrics, status_interval);
    int sig = 0;
    std::set<std::string> reporters;  // every report topic this agent has published on
    while (sig == 0) {
      for (const LinkReport& report : links->reports(name)) {
        reporters.insert(report.reporter);
        status_bus->publish(Message{topics::link_report_topic(topology.name, report.reporter),
                                    to_json(report),
                                    true,
                                    {}},
                            Qos::at_least_once);
      }
      sig = shutdown.wait_for(status_interval);
    }
    // Stopped on purpose: its links are no longer shaped here, so no report stays behind.
    for (const auto& reporter : reporters) {
      status_bus->publish(Message{topics::link_report_topic(topology.name, reporter), "", true, {}},
                          Qos::at_least_once);
    }
    log::info("signal ", sig, ": shutting down");
  }
  status_bus->stop();
  return 0;
}
