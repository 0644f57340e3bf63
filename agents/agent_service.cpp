#include "agent_service.hpp"

#include <malloc.h>

#include "device_selection.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/log.hpp"
#include "snet/open_files.hpp"
#include "snet/topics.hpp"

namespace snet::agents {

void add_agent_flags(Flags& flags) {
  flags
      .add("mqtt-url", "SNET_MQTT_URL", "",
           "MQTT listener for \"protocol\": \"mqtt\" devices (default: --broker-url if it is "
           "mqtt://, else RabbitMQ's MQTT plugin on port 1883 of each of its hosts)")
      .add("device-credentials-file", "SNET_DEVICE_CREDENTIALS_FILE", "",
           "file (mode 0600) of device-id:password lines: each device logs in to the broker as "
           "its id with its own password (snet up writes one per data dir); every hosted device "
           "needs a line")
      .add("devices", "SNET_DEVICES", "all", "'all' or a comma-separated list of device ids")
      .add("kinds", "SNET_KINDS", "all", "all, buttons, actuators or sensors")
      .add("broker-site", "SNET_BROKER_SITE", "any",
           "host only the devices of this broker: any, core (devices of no site with \"broker\": "
           "\"local\"), or such a site's id (its devices; --mqtt-url is then its broker)")
      .add("shard", "SNET_AGENT_SHARD", "",
           "i/N: host only shard i (from 0) of N of the selected devices, every N-th from the "
           "i-th (snet up runs N agents past the open-file limit); slot:K/N: shard K-1 of N (a "
           "swarm task's slot, from 1); empty: all of them")
      .add("dedupe-window", "SNET_DEDUPE_WINDOW", "10000",
           "press ids each actuator remembers, to apply a redelivered command once")
      .add("connect-batch", "SNET_CONNECT_BATCH", "64",
           "devices connecting at once (mosquitto's listen backlog is 100)")
      .add("link-properties", "SNET_LINK_PROPERTIES", std::string(kAllLinkProperties),
           "link properties this agent's process engine applies when the topology emulates the "
           "network (devices then connect through a loopback relay); empty: none")
      .add("link-placement", "SNET_LINK_PLACEMENT", "",
           "the kernel link engine's device placements (a file snet up writes): each device's "
           "socket is made in its site's network namespace, from its own address, and reaches "
           "the broker at the core bridge's address");
}

AgentSetup set_up_agent(const Flags& flags, const Topology& topology,
                        const std::string& broker_url) {
  AgentSetup setup;
  AgentOptions& options = setup.options;
  options.broker_url = broker_url;
  options.mqtt_url = flags.str("mqtt-url");
  options.connect_batch = static_cast<std::size_t>(flags.integer("connect-batch", 1, 100'000));
  options.dedupe_capacity = static_cast<std::size_t>(flags.integer("dedupe-window", 1, 10'000'000));
  const auto properties = parse_link_properties(flags.str("link-properties"));
  std::optional<DevicePlacements> placements;
  if (!flags.str("link-placement").empty()) {
    try {
      placements = read_device_placements(flags.str("link-placement"));
    } catch (const std::runtime_error& e) {
      throw UsageError(std::string("--link-placement: ") + e.what());
    }
  }
  const Shard shard = parse_shard(flags.str("shard"));
  setup.devices = shard_of(
      of_broker_site(topology, select_devices(topology, flags.str("devices"), flags.str("kinds")),
                     flags.str("broker-site")),
      shard);
  if (placements) {  // the file places every device of the topology: keep the hosted ones'
    decltype(placements->devices) hosted;
    for (const Device* device : setup.devices) {
      if (auto node = placements->devices.extract(device->id)) hosted.insert(std::move(node));
    }
    placements->devices = std::move(hosted);
  }
  if (const std::string file = flags.str("device-credentials-file"); !file.empty()) {
    try {
      auto passwords = read_credentials_file(file);
      for (const Device* device : setup.devices) {
        const auto it = passwords.find(device->id);
        if (it == passwords.end()) {
          throw std::invalid_argument(file + ": no credentials for device '" + device->id + "'");
        }
        options.device_passwords.emplace(it->first, std::move(it->second));
      }
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--device-credentials-file: ") + e.what());
    }
  }
  auto urls = device_urls(options.broker_url, options.mqtt_url, setup.devices);
  network::RelayOptions relay_options;
  // Each shard's relay listens on addresses of its own (relay_addresses.hpp).
  relay_options.listen_from = network::relay_first_address(shard.index % network::kRelayShards);
  if (placements) {  // devices live in the sites' namespaces: loopback is not theirs
    if (!urls.mqtt.empty()) urls.mqtt = with_host(urls.mqtt, placements->broker_host);
    if (!urls.amqp.empty()) urls.amqp = with_host(urls.amqp, placements->broker_host);
    relay_options.upstream_socket = placed_upstream_sockets(*placements);
  }
  try {
    // The emulated network's relay, if any: its listeners take descriptors too.
    setup.links = std::make_unique<DeviceLinks>(topology, setup.devices, urls, properties,
                                                std::move(relay_options));
  } catch (const std::invalid_argument& e) {  // a broker host that does not resolve
    throw UsageError(e.what());
  }
  options.device_urls = setup.links->take_device_urls();
  if (placements && !setup.links->active()) {  // no relay: each device's own socket is placed
    for (const Device* device : setup.devices) {
      options.device_urls[device->id] = urls.of(device->protocol);
    }
    options.device_placements = placements->devices;
  }
  return setup;
}

void check_open_files(const AgentSetup& setup) {
  // A device's own socket; through the relay also its listener and the relay's two sockets.
  const std::size_t needed = setup.devices.size() * (setup.links->active() ? 4 : 1);
  const long open_files = raise_open_file_limit();
  if (open_files >= 0 && static_cast<std::size_t>(open_files) < needed + 64) {
    log::warn("open-file limit ", open_files, " is below the ", needed,
              " descriptors needed; raise the hard limit (ulimit -Hn)");
  }
}

std::unique_ptr<Agent> make_agent(const Flags& flags, Topology whole, const std::string& broker_url,
                                  AgentSetup& setup, AgentMetrics& metrics) {
  setup = set_up_agent(flags, whole, broker_url);
  check_open_files(setup);
  auto agent = std::make_unique<Agent>(whole, setup.devices, setup.options, metrics);
  setup.devices.clear();
  setup.options.forget_devices();  // the agent's copy made its devices
  whole = Topology{};
  malloc_trim(0);  // glibc keeps what a process frees; the pages go back to the system here
  return agent;
}

void serve_control(Bus& bus, const std::string& topology_name, Agent& agent, AgentSetup& setup,
                   AgentMetrics& metrics) {
  // Fault injection (snet ctl, the dashboard, scenarios) arrives on the control topic.
  const std::string link_control_prefix = topics::link_control_topic(topology_name, "");
  DeviceLinks* links = setup.links.get();
  bus.on_message([&agent, &metrics, links, link_control_prefix](const Message& message) {
    try {
      if (message.topic.rfind(link_control_prefix, 0) == 0) {
        if (links->apply(message)) metrics.link_updates.add();
      } else {
        agent.apply(parse_device_control(message.payload));
      }
    } catch (const BadMessage& bad) {
      metrics.rejected(bad.reason).add();
      log::warn("rejected control message on ", message.topic, ": ", bad.reason, ": ", bad.what());
    }
  });
  bus.subscribe(topics::control_topic(topology_name), Qos::at_least_once);
  // Retained: the links' latest state arrives at once, also after a restart.
  if (links->active()) {
    bus.subscribe(topics::link_control_filter(topology_name), Qos::at_least_once);
  }
}

void LinkReports::publish() {
  publisher_.publish(links_.reports(reporter_));
}

LinkReports::~LinkReports() {
  publisher_.clear();
}

}  // namespace snet::agents
