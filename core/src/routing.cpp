#include "snet/routing.hpp"

#include "snet/topics.hpp"

namespace snet::routing {
namespace {

std::string prefix(std::string_view topology) {
  std::string out(topics::kRoot);
  return out.append("/").append(topology).append("/");
}

std::string group_topic(std::string_view topology, const std::string& group) {
  return prefix(topology) + "group/" + group;
}

Exchange group_exchange(std::string_view topology, const std::string& group) {
  // Fanout to the members' queues, and on to amq.topic for MQTT-plugin members.
  return Exchange{std::string(topics::kRoot) + "." + std::string(topology) + ".group." + group,
                  ExchangeType::fanout, /*forward_to_topics=*/true};
}

Exchange headers_exchange() {
  return Exchange{std::string(kHeadersExchange), ExchangeType::headers, false};
}

std::string pattern_topic(std::string_view topology, const std::vector<std::string>& levels) {
  std::string topic = prefix(topology) + "pattern";
  for (const auto& level : levels) {
    topic += "/";
    topic += level == topics::kAnyLevel ? std::string(kWildcardLevel) : level;
  }
  return topic;
}

std::string joined_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& key : keys) out += (out.empty() ? "" : ",") + key;
  return out;
}

// The snet-match header value of an x-match all match over `keys` (sorted).
std::string all_tag(const std::vector<std::string>& keys) {
  return "all:" + joined_keys(keys);
}

std::map<std::string, std::string> base_headers(std::string_view topology, std::string match_tag) {
  return {{std::string(kTopologyHeader), std::string(topology)},
          {std::string(kMatchHeader), std::move(match_tag)}};
}

}  // namespace

Address address_of(const Topology& topology, const Route& route) {
  switch (route.kind) {
    case RouteKind::actuator:
      return Address{topics::make(topology.name, topics::Kind::cmd, route.name), {}, {}};
    case RouteKind::pattern:
      return Address{pattern_topic(topology.name, route.levels), {}, {}};
    case RouteKind::group:
      return Address{group_topic(topology.name, route.name),
                     group_exchange(topology.name, route.name).name,
                     {}};
    case RouteKind::match: {
      // x-match all over keys K reaches the actuators bound for K with their own values (see
      // ActuatorSubscriptions); x-match any reaches those bound with one equal attr.
      std::vector<std::string> keys;
      for (const auto& [key, value] : route.match.attrs) keys.push_back(key);
      Address address{prefix(topology.name) + "match/" + route.name, std::string(kHeadersExchange),
                      base_headers(topology.name, route.match.all ? all_tag(keys) : "any")};
      for (const auto& [key, value] : route.match.attrs) address.headers[key] = value;
      return address;
    }
  }
  return {};
}

std::vector<Exchange> exchanges_of(const Topology& topology) {
  std::vector<Exchange> out;
  if (topology.routing == Routing::fanout) {
    for (const auto& [group, members] : topology.groups) {
      out.push_back(group_exchange(topology.name, group));
    }
  } else if (topology.routing == Routing::headers) {
    out.push_back(headers_exchange());
  }
  return out;
}

void subscribe(Bus& bus, const Subscription& subscription, Qos qos) {
  if (!subscription.exchange) return bus.subscribe(subscription.filter, qos);
  bus.declare_exchange(*subscription.exchange);
  bus.bind(subscription.filter, qos, Binding{subscription.exchange->name, subscription.arguments});
}

ActuatorSubscriptions::ActuatorSubscriptions(const Topology& topology) : topology_(topology) {
  for (const Device* button : topology.buttons()) {
    for (const auto& route : button->routes) {
      if (route.kind == RouteKind::pattern) {
        std::vector<bool> shape;
        for (const auto& level : route.levels) shape.push_back(level != topics::kAnyLevel);
        pattern_shapes_.insert(std::move(shape));
      } else if (route.kind == RouteKind::match) {
        std::vector<std::string> keys;
        for (const auto& [key, value] : route.match.attrs) keys.push_back(key);
        if (route.match.all) {
          all_key_sets_.insert(std::move(keys));
        } else {
          any_keys_.insert(keys.begin(), keys.end());
        }
      }
    }
  }
  for (const auto& [group, members] : topology.groups) {
    for (const auto& member : members) groups_of_[member].push_back(group);
  }
}

std::vector<Subscription> ActuatorSubscriptions::of(const Device& actuator) const {
  const std::string& t = topology_.name;
  std::vector<Subscription> out;
  out.push_back({topics::make(t, topics::Kind::cmd, actuator.id), std::nullopt, {}});
  // Topic: its key, once per wildcard shape in use; the broker matches the published pattern.
  if (!pattern_shapes_.empty()) {
    const auto key = topology_.key_of(actuator);
    for (const auto& shape : pattern_shapes_) {
      std::vector<std::string> levels;
      for (std::size_t i = 0; i < shape.size() && i < key.size(); ++i) {
        levels.push_back(shape[i] ? key[i] : std::string(topics::kAnyLevel));
      }
      out.push_back({pattern_topic(t, levels), std::nullopt, {}});
    }
  }
  // Fanout: every group it is a member of.
  if (auto it = groups_of_.find(actuator.id); it != groups_of_.end()) {
    for (const auto& group : it->second) {
      out.push_back({group_topic(t, group), group_exchange(t, group), {}});
    }
  }
  // Headers: for x-match any, one binding per attr (any one equal header delivers); for x-match
  // all over keys K, one binding with its own values for K tagged "all:K": a command matching
  // exactly K (snet-match "all:K") whose values all equal ours is delivered, nothing else.
  const std::string match_filter = prefix(t) + "match/+";
  for (const auto& [key, value] : actuator.attrs) {
    if (any_keys_.count(key) == 0) continue;
    auto args = base_headers(t, "any");
    args["x-match"] = "all";
    args[key] = value;
    out.push_back({match_filter, headers_exchange(), std::move(args)});
  }
  for (const auto& keys : all_key_sets_) {
    auto args = base_headers(t, all_tag(keys));
    args["x-match"] = "all";
    bool has_all = true;
    for (const auto& key : keys) {
      auto it = actuator.attrs.find(key);
      if (it == actuator.attrs.end()) {
        has_all = false;
        break;
      }
      args[key] = it->second;
    }
    if (has_all) out.push_back({match_filter, headers_exchange(), std::move(args)});
  }
  return out;
}

bool is_command_topic(std::string_view topology, std::string_view topic) {
  const std::string head = prefix(topology);
  if (topic.substr(0, head.size()) != head) return false;
  const std::string_view rest = topic.substr(head.size());
  for (std::string_view kind : {"cmd/", "pattern/", "group/", "match/"}) {
    if (rest.size() > kind.size() && rest.substr(0, kind.size()) == kind) return true;
  }
  return false;
}

}  // namespace snet::routing
