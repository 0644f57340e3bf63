#include "device_selection.hpp"

#include <set>
#include <sstream>

#include "snet/bus.hpp"
#include "snet/flags.hpp"
#include "snet/net.hpp"

namespace snet::agents {
namespace {

bool kind_wanted(const std::string& kinds, DeviceKind kind) {
  if (kinds == "all") return true;
  if (kinds == "buttons") return kind == DeviceKind::button;
  if (kinds == "actuators") return kind == DeviceKind::actuator;
  if (kinds == "sensors") return kind == DeviceKind::sensor;
  throw UsageError("--kinds: '" + kinds + "' is not all, buttons, actuators or sensors");
}

}  // namespace

std::vector<const Device*> select_devices(const Topology& topology, const std::string& devices,
                                          const std::string& kinds) {
  std::set<std::string> named;
  if (devices != "all") {
    std::stringstream list(devices);
    std::string id;
    while (std::getline(list, id, ',')) {
      if (id.empty()) continue;
      if (topology.find(id) == nullptr) {
        throw UsageError("--devices: no device '" + id + "' in topology '" + topology.name + "'");
      }
      if (topology.find(id)->external) {
        throw UsageError("--devices: '" + id +
                         "' is an external device: another program plays it, not an agent");
      }
      named.insert(id);
    }
    if (named.empty()) throw UsageError("--devices: give 'all' or a comma-separated list of ids");
  }
  std::vector<const Device*> out;
  for (const auto& device : topology.devices) {
    if (!named.empty() && named.count(device.id) == 0) continue;
    if (device.external) continue;  // played by its own program (docs/external-devices.md)
    if (kind_wanted(kinds, device.kind)) out.push_back(&device);
  }
  return out;
}

Shard parse_shard(const std::string& text) {
  if (text.empty()) return {};
  const auto bad = [&](const std::string& why) {
    return UsageError("--shard: '" + text + "' " + why +
                      " (give i/N, e.g. 0/2: the first of 2; or slot:K/N, e.g. slot:1/2)");
  };
  // A Docker Swarm task's slot counts from 1 and its template has no arithmetic: slot:K/N is
  // shard K-1 of N.
  const bool slot = text.rfind("slot:", 0) == 0;
  const std::string body = slot ? text.substr(5) : text;
  const auto slash = body.find('/');
  if (slash == std::string::npos) throw bad("has no '/'");
  const auto number = [&](const std::string& part) {
    if (part.empty() || part.size() > 6 || part.find_first_not_of("0123456789") != part.npos) {
      throw bad("is not two whole numbers");
    }
    return std::stoi(part);
  };
  Shard shard{number(body.substr(0, slash)), number(body.substr(slash + 1))};
  if (shard.count < 1) throw bad("has no shards");
  if (slot) {
    if (shard.index < 1) throw bad("names slot 0 (task slots count from 1)");
    if (shard.index > shard.count) throw bad("names a slot past the last");
    --shard.index;
  } else if (shard.index >= shard.count) {
    throw bad("names a shard past the last (they count from 0)");
  }
  return shard;
}

std::vector<const Device*> shard_of(const std::vector<const Device*>& devices, Shard shard) {
  std::vector<const Device*> out;
  out.reserve(devices.size() / static_cast<std::size_t>(shard.count) + 1);
  for (std::size_t i = static_cast<std::size_t>(shard.index); i < devices.size();
       i += static_cast<std::size_t>(shard.count)) {
    out.push_back(devices[i]);
  }
  return out;
}

DeviceUrls device_urls(const std::string& broker_url, const std::string& mqtt_url,
                       const std::vector<const Device*>& devices) {
  const bool amqp_broker = is_amqp_url(broker_url);
  DeviceUrls urls{amqp_broker ? broker_url : std::string(), mqtt_url};
  if (urls.mqtt.empty() && !amqp_broker) urls.mqtt = broker_url;
  if (urls.mqtt.empty()) {
    // RabbitMQ's MQTT plugin on every node of the AMQP URL (a cluster: the devices fail over
    // as the AMQP ones do), on its default port.
    urls.mqtt = "mqtt://";
    const HostPort parsed = parse_url(broker_url, default_broker_port(broker_url));
    for (const HostPort::Endpoint& node : parsed.endpoints) {
      if (urls.mqtt.size() > 7) urls.mqtt += ',';
      urls.mqtt += node.host + ":1883";
    }
  }
  for (const Device* device : devices) {
    if (device->protocol == Protocol::amqp && !amqp_broker) {
      throw UsageError("device '" + device->id + "' speaks amqp, but --broker-url '" + broker_url +
                       "' is not an amqp:// URL (give RabbitMQ's AMQP URL)");
    }
  }
  return urls;
}

std::vector<const Device*> of_broker_site(const Topology& topology,
                                          const std::vector<const Device*>& devices,
                                          const std::string& site) {
  if (site.empty() || site == "any") return devices;
  std::string wanted;  // "": the core
  if (site != "core") {
    const Site* found = topology.find_site(site);
    if (found == nullptr || found->broker != Site::Broker::local) {
      throw UsageError("--broker-site '" + site +
                       "': not a site with \"broker\": \"local\" of this topology (give any, "
                       "core or such a site)");
    }
    wanted = site;
  }
  std::vector<const Device*> out;
  for (const Device* device : devices)
    if (topology.broker_site(*device) == wanted) out.push_back(device);
  return out;
}

}  // namespace snet::agents
