#include "amqp_topics.hpp"

#include "snet/topics.hpp"

namespace snet::detail {
namespace {

std::string replaced(std::string_view text, char from, char to) {
  std::string out(text);
  for (char& c : out) {
    if (c == from) c = to;
  }
  return out;
}

}  // namespace

std::string routing_key_for_topic(std::string_view topic) {
  return replaced(topic, '/', '.');
}

std::string binding_key_for_filter(std::string_view filter) {
  return replaced(replaced(filter, '/', '.'), '+', '*');
}

std::string topic_for_routing_key(std::string_view routing_key) {
  return replaced(routing_key, '.', '/');
}

std::optional<std::string> publish_topic_problem(std::string_view topic) {
  if (topic.empty()) return "the topic is empty";
  if (topic.find_first_of("+#") != std::string_view::npos) {
    return "topic '" + std::string(topic) + "' contains a wildcard ('+' or '#')";
  }
  if (topic.size() > kMaxRoutingKey) {
    return "topic of " + std::to_string(topic.size()) + " bytes exceeds the " +
           std::to_string(kMaxRoutingKey) + " bytes of an AMQP routing key";
  }
  return std::nullopt;
}

std::optional<std::string> filter_problem(std::string_view filter) {
  if (filter.empty()) return "the topic filter is empty";
  if (filter.size() > kMaxRoutingKey) {
    return "filter of " + std::to_string(filter.size()) + " bytes exceeds the " +
           std::to_string(kMaxRoutingKey) + " bytes of an AMQP binding key";
  }
  std::size_t start = 0;
  while (true) {
    const auto end = filter.find('/', start);
    const auto level = filter.substr(start, end == std::string_view::npos ? end : end - start);
    const bool has_wildcard = level.find_first_of("+#") != std::string_view::npos;
    if (has_wildcard && level.size() != 1) {
      return "filter '" + std::string(filter) + "': a wildcard must fill a whole level";
    }
    if (level == topics::kAllLevels && end != std::string_view::npos) {
      return "filter '" + std::string(filter) + "': '#' must be the last level";
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace snet::detail
