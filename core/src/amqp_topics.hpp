// Private: MQTT-style topics <-> AMQP routing keys on amq.topic, exactly as RabbitMQ's MQTT
// plugin maps them ('/' <-> '.', filter '+' -> '*', '#' stays '#'), so that devices on the
// plugin and AMQP devices see each other's messages. A '.' inside an MQTT topic therefore
// becomes a level separator (the plugin does the same); our device names never contain one.
// Pure functions: safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace snet::detail {

/// AMQP short strings (routing and binding keys) hold at most 255 bytes.
inline constexpr std::size_t kMaxRoutingKey = 255;

std::string routing_key_for_topic(std::string_view topic);
std::string binding_key_for_filter(std::string_view filter);
std::string topic_for_routing_key(std::string_view routing_key);

/// Why `topic` cannot be published to (empty, wildcard, too long for a routing key), or nullopt.
std::optional<std::string> publish_topic_problem(std::string_view topic);
/// Why `filter` is not a valid MQTT filter ('#' not last or not alone in its level, '+' not
/// alone in its level, empty, too long), or nullopt.
std::optional<std::string> filter_problem(std::string_view filter);

}  // namespace snet::detail
