#include "amqp_message.hpp"

#include "amqp_topics.hpp"

namespace snet::detail {
namespace {

std::string as_string(amqp_bytes_t bytes) {
  return bytes.len == 0 ? std::string()
                        : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

std::optional<std::string> header_text(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
      return as_string(v.value.bytes);
    case AMQP_FIELD_KIND_BOOLEAN:
      return v.value.boolean ? "true" : "false";
    case AMQP_FIELD_KIND_I8:
      return std::to_string(v.value.i8);
    case AMQP_FIELD_KIND_U8:
      return std::to_string(v.value.u8);
    case AMQP_FIELD_KIND_I16:
      return std::to_string(v.value.i16);
    case AMQP_FIELD_KIND_U16:
      return std::to_string(v.value.u16);
    case AMQP_FIELD_KIND_I32:
      return std::to_string(v.value.i32);
    case AMQP_FIELD_KIND_U32:
      return std::to_string(v.value.u32);
    case AMQP_FIELD_KIND_I64:
      return std::to_string(v.value.i64);
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP:
      return std::to_string(v.value.u64);
    case AMQP_FIELD_KIND_F32:
      return std::to_string(v.value.f32);
    case AMQP_FIELD_KIND_F64:
      return std::to_string(v.value.f64);
    case AMQP_FIELD_KIND_VOID:
      return std::string();
    default:
      return std::nullopt;  // decimal, array, table
  }
}

}  // namespace

std::map<std::string, std::string> header_texts(const amqp_table_t& table) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < table.num_entries; ++i) {
    if (auto text = header_text(table.entries[i].value)) {
      out.emplace(as_string(table.entries[i].key), std::move(*text));
    }
  }
  return out;
}

std::optional<Message> delivered_message(std::string_view exchange, std::string_view routing_key,
                                         std::string body,
                                         std::map<std::string, std::string> headers) {
  if (exchange.empty() || routing_key.empty()) return std::nullopt;
  Message message;
  message.topic = topic_for_routing_key(routing_key);
  message.payload = std::move(body);
  message.headers = std::move(headers);
  return message;
}

std::optional<std::string> message_problem(const Message& message) {
  if (auto problem = publish_topic_problem(message.topic)) return problem;
  if (message.payload.size() > kMaxAmqpPayload) {
    return "payload of " + std::to_string(message.payload.size()) + " bytes exceeds " +
           std::to_string(kMaxAmqpPayload);
  }
  std::size_t header_bytes = 0;
  for (const auto& [key, value] : message.headers) {
    if (key.empty() || key.size() > kMaxRoutingKey) {
      return "header name '" + key.substr(0, 40) + "' must be 1-255 bytes";
    }
    header_bytes += key.size() + value.size() + 6;
  }
  if (header_bytes > kMaxAmqpHeaderBytes) {
    return "headers of " + std::to_string(header_bytes) + " bytes exceed " +
           std::to_string(kMaxAmqpHeaderBytes);
  }
  return std::nullopt;
}

}  // namespace snet::detail
