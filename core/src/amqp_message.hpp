// Private: an AMQP delivery <-> a Message, the pure part of the AMQP bus (no connection), so
// it can be tested and fuzzed alone: header tables as text, a delivery as a Message, and the
// checks a Message passes before it is published.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <amqp.h>

#include "snet/bus.hpp"

namespace snet::detail {

inline constexpr std::size_t kMaxAmqpPayload = 1 << 20;  // = max_message_size in broker-config
inline constexpr std::size_t kMaxAmqpHeaderBytes = 64 * 1024;  // fits a 128 KiB header frame

/// Every scalar entry of an AMQP field table as text (booleans "true"/"false", numbers in
/// decimal, void as ""); nested tables, arrays and decimals have no one-line form and are left
/// out. A repeated key keeps its first value.
std::map<std::string, std::string> header_texts(const amqp_table_t& table);

/// What a handler sees of a delivery, or nullopt when it was sent to no topic: published
/// straight into a queue (empty exchange) or with an empty routing key.
std::optional<Message> delivered_message(std::string_view exchange, std::string_view routing_key,
                                         std::string body,
                                         std::map<std::string, std::string> headers);

/// Why `message` cannot be published (its topic, payload size or headers), or nullopt.
std::optional<std::string> message_problem(const Message& message);

}  // namespace snet::detail
