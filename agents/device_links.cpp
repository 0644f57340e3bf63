#include "device_links.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "snet/bus.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/net.hpp"
#include "snet/topics.hpp"

namespace snet::agents {
namespace {

using boost::asio::ip::tcp;

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Every host of the URL (a cluster's nodes), in its order.
std::vector<tcp::endpoint> resolve(const std::string& url) {
  const HostPort where = parse_url(url, default_broker_port(url));
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  std::vector<tcp::endpoint> out;
  for (const auto& node : where.endpoints) {
    boost::system::error_code ec;
    auto results = resolver.resolve(node.host, std::to_string(node.port), ec);
    if (ec || results.empty()) {
      throw std::invalid_argument("broker URL '" + redacted_url(url) + "': cannot resolve host '" +
                                  node.host + "'");
    }
    out.push_back(results.begin()->endpoint());
  }
  return out;
}

// scheme://[user[:password]@]
std::string scheme_and_login(const HostPort& parts) {
  std::string out = parts.scheme + "://";
  if (!parts.user.empty() || !parts.password.empty()) {
    out += parts.user + (parts.password.empty() ? "" : ":" + parts.password) + "@";
  }
  return out;
}

}  // namespace

std::vector<std::string> parse_link_properties(std::string_view list) {
  std::vector<std::string> out;
  std::stringstream items{std::string(list)};
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    const bool known = item != "seed" && std::any_of(std::begin(kLinkFields), std::end(kLinkFields),
                                                     [&](std::string_view f) { return f == item; });
    if (!known) {
      throw UsageError("--link-properties: '" + item + "' is not one of " +
                       std::string(kAllLinkProperties));
    }
    if (!has(out, item)) out.push_back(item);
  }
  return out;
}

LinkSpec restrict_to(const LinkSpec& spec, const std::vector<std::string>& properties) {
  LinkSpec out;
  if (has(properties, "latency_ms")) out.latency_ms = spec.latency_ms;
  if (has(properties, "jitter_ms")) out.jitter_ms = spec.jitter_ms;
  if (has(properties, "loss_pct")) out.loss_pct = spec.loss_pct;
  if (has(properties, "rate_kbit")) out.rate_kbit = spec.rate_kbit;
  if (has(properties, "up")) out.up = spec.up;
  out.seed = spec.seed;
  return out;
}

std::string with_host_port(const std::string& url, const std::string& host, int port) {
  const HostPort parts = parse_url(url, 0);
  return scheme_and_login(parts) + host + ":" + std::to_string(port) + parts.path;
}

std::string with_host(const std::string& url, const std::string& host) {
  const HostPort parts = parse_url(url, default_broker_port(url));
  std::string out = scheme_and_login(parts);
  for (std::size_t i = 0; i < parts.endpoints.size(); ++i) {
    out += (i == 0 ? "" : ",") + host + ":" + std::to_string(parts.endpoints[i].port);
  }
  return out + parts.path;
}

network::UpstreamSocketFactory placed_upstream_sockets(DevicePlacements placements) {
  return [placements = std::move(placements)](
             boost::asio::io_context& io, const std::string& device, const tcp::endpoint& broker) {
    tcp::socket socket(io);
    const auto placed = placements.devices.find(device);
    if (placed == placements.devices.end()) {
      socket.open(broker.protocol());
    } else {
      socket.assign(broker.protocol(),
                    open_placed_socket(placed->second, broker.address().is_v6()));
    }
    return socket;
  };
}

DeviceLinks::DeviceLinks(const Topology& topology, const std::vector<const Device*>& devices,
                         const DeviceUrls& urls, std::vector<std::string> properties,
                         network::RelayOptions relay_options)
    : topology_(topology.name), properties_(std::move(properties)) {
  const auto specs = topology.links();
  links_.reserve(specs.size());
  for (const auto& [id, spec] : specs) links_.push_back(id);  // sorted, as the map is
  if (!topology.emulates_network() || properties_.empty() || devices.empty()) return;
  // The relay gets only the links its devices cross: an agent hosting a shard of a large
  // topology would otherwise hold, shape and count every other agent's links too (campus:
  // 15,004 links, ~9 MB, in each of its 4 agents).
  std::vector<std::vector<std::string>> paths;
  paths.reserve(devices.size());
  std::set<std::string> crossed;
  for (const Device* device : devices) {
    paths.push_back(topology.link_path(*device));
    crossed.insert(paths.back().begin(), paths.back().end());
  }
  crossed_.assign(crossed.begin(), crossed.end());
  std::map<std::string, LinkSpec> applied;
  for (const auto& id : crossed_) applied.emplace(id, restrict_to(specs.at(id), properties_));
  const auto relay_options_first = relay_options.listen_from;
  relay_ = std::make_unique<network::ShapingRelay>(applied, std::move(relay_options));
  std::map<std::string, std::vector<tcp::endpoint>> brokers;  // by URL: resolved once
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const Device& device = *devices[i];
    const std::string& url = urls.of(device.protocol);
    auto broker = brokers.find(url);
    if (broker == brokers.end()) broker = brokers.emplace(url, resolve(url)).first;
    const tcp::endpoint listening = relay_->add_path(device.id, paths[i], broker->second);
    device_urls_.emplace(device.id,
                         with_host_port(url, listening.address().to_string(), listening.port()));
  }
  const std::string first_listen = network::relay_address(relay_options_first, 0).to_string();
  const std::size_t ports = relay_->listen_ports();
  std::string applies;
  for (const auto& p : properties_) applies += (applies.empty() ? "" : ",") + p;
  log::info("links: process engine applies ", applies, " to ", crossed_.size(), " links of ",
            devices.size(), " devices (a loopback relay listener each, from ", first_listen,
            ", on ", ports, " port", ports == 1 ? "" : "s", ")");
}

DeviceLinks::~DeviceLinks() = default;

bool DeviceLinks::apply(const Message& message) {
  if (message.payload.empty()) return false;  // a retained update cleared: nothing to apply
  const LinkUpdate update = parse_link_update(message.payload);
  if (message.topic != topics::link_control_topic(topology_, update.link)) {
    throw BadMessage("bad-link-update", "update for link '" + update.link +
                                            "' arrived on another link's topic " + message.topic);
  }
  if (!std::binary_search(links_.begin(), links_.end(), update.link)) {
    throw BadMessage("unknown-link",
                     "topology '" + topology_ + "' has no site or device '" + update.link + "'");
  }
  if (!relay_) return false;  // the network is not emulated here
  const LinkSpec applied = restrict_to(update.spec, properties_);
  if (!relay_->set_link(update.link, applied)) return false;  // no hosted device crosses it
  log::info("link ", update.link, update.id.empty() ? "" : " (" + update.id + ")", ": ",
            applied.to_json().dump());
  return true;
}

std::vector<LinkReport> DeviceLinks::reports(const std::string& reporter) const {
  if (!relay_) return {};
  const auto counters = relay_->counters();
  LinkReport whole;
  whole.reporter = reporter;
  whole.engine = "process";
  whole.ts = now_us();
  for (const auto& link : crossed_) {
    auto it = counters.find(link);
    if (it == counters.end()) continue;
    const network::LinkCounters& c = it->second;
    LinkTraffic traffic;
    traffic.properties = properties_;
    traffic.bytes_up = c.bytes[0];
    traffic.bytes_down = c.bytes[1];
    traffic.packets_up = c.packets[0];
    traffic.packets_down = c.packets[1];
    traffic.dropped = c.lost;
    traffic.connections = c.connections;
    whole.links.emplace(link, std::move(traffic));
  }
  if (whole.links.empty()) return {};
  return split_link_report(std::move(whole));
}

}  // namespace snet::agents
