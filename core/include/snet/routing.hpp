// Routing on the wire: where the relayer publishes the ONE command of a route (topology.hpp's
// Route) and what each actuator subscribes to, so that the broker, not our code, decides who
// gets it. The relayer and the agents both use this, so they cannot disagree.
//
//   exact actuator  snet/<t>/cmd/<actuator>                 each actuator subscribes to its own
//   topic pattern   snet/<t>/pattern/<l1>/.../<ln>          '+' levels published as "_"; every
//                   actuator subscribes, for each wildcard shape the topology's patterns use, to
//                   its own key with those levels as "_" (e.g. key 1/kitchen/lamp, pattern
//                   1/+/lamp: both sides are snet/<t>/pattern/1/_/lamp)
//   fanout group    snet/<t>/group/<g>; on RabbitMQ published to the fanout exchange
//                   snet.<t>.group.<g>, which AMQP members bind their queues to and which is
//                   bound to amq.topic, so MQTT-plugin members (subscribed to the topic) get it
//   headers match   snet/<t>/match/<button> to the headers exchange snet.headers, with the
//                   match's attrs plus snet-topology and snet-match as headers; see
//                   topology/README.md for the bindings that make x-match all/any exact
//
// Thread safety: pure functions; ActuatorSubscriptions is immutable after construction.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "snet/bus.hpp"
#include "snet/topology.hpp"

namespace snet::routing {

/// The headers exchange of the headers mode (broker-config/rabbitmq/definitions.json).
inline constexpr std::string_view kHeadersExchange = "snet.headers";
/// Headers every headers-routed command carries besides the match's attrs.
inline constexpr std::string_view kTopologyHeader = "snet-topology";
inline constexpr std::string_view kMatchHeader = "snet-match";  // "any" or "all:<keys,...>"
/// A pattern's '+' level as published (never a key value: validation forbids it).
inline constexpr std::string_view kWildcardLevel = "_";

/// Where the one command of a route is published.
struct Address {
  std::string topic;     // MQTT topic; on RabbitMQ the routing key (mapped '/' -> '.')
  std::string exchange;  // empty: by topic alone (amq.topic); else Bus::publish_to() it
  std::map<std::string, std::string> headers;  // headers routing
};
Address address_of(const Topology& topology, const Route& route);

/// Every exchange a topology's commands use (the relayer declares them before publishing).
std::vector<Exchange> exchanges_of(const Topology& topology);

/// One subscription of an actuator.
struct Subscription {
  std::string filter;
  std::optional<Exchange> exchange;              // AMQP: bind to this instead of amq.topic
  std::map<std::string, std::string> arguments;  // the binding's arguments (headers match)
};

/// Makes `subscription` on `bus`: declares its exchange and binds (a no-op and a plain
/// subscribe on MQTT buses).
void subscribe(Bus& bus, const Subscription& subscription, Qos qos);

/// What every actuator of a topology subscribes to, computed once (the wildcard shapes and
/// header keys the buttons use), then per actuator from its own id, key, groups and attrs.
class ActuatorSubscriptions {
 public:
  /// `topology` must outlive this object.
  explicit ActuatorSubscriptions(const Topology& topology);
  std::vector<Subscription> of(const Device& actuator) const;

 private:
  const Topology& topology_;
  std::set<std::vector<bool>> pattern_shapes_;       // per level: fixed (true) or wildcard
  std::set<std::string> any_keys_;                   // attrs used by x-match any matches
  std::set<std::vector<std::string>> all_key_sets_;  // attr sets of x-match all matches
  std::map<std::string, std::vector<std::string>> groups_of_;  // actuator -> its groups
};

/// Whether `topic` carries a command of topology `topology` (cmd, pattern, group or match).
bool is_command_topic(std::string_view topology, std::string_view topic);

}  // namespace snet::routing
