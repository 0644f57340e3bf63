#include "amqp_error.hpp"

#include <amqp_framing.h>

namespace snet::detail {
namespace {

std::string text_of(amqp_bytes_t bytes) {
  return bytes.len == 0 ? std::string()
                        : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

// "AMQP_QUEUE_DECLARE_METHOD" for the method a close blames, or its numbers if unknown.
std::string method_named(uint16_t class_id, uint16_t method_id) {
  if (class_id == 0 && method_id == 0) return {};
  const auto number = (static_cast<amqp_method_number_t>(class_id) << 16) | method_id;
  const char* name = amqp_method_name(number);
  return " (in " +
         (name != nullptr ? std::string(name)
                          : std::to_string(class_id) + "." + std::to_string(method_id)) +
         ")";
}

}  // namespace

AmqpError amqp_status_error(int status, std::string_view doing) {
  return AmqpError(AmqpError::Origin::library, status,
                   std::string(doing) + ": " + amqp_error_string2(status) + " (rabbitmq-c status " +
                       std::to_string(status) + ")");
}

AmqpError amqp_close_error(const amqp_method_t& method, std::string_view doing) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD && method.decoded != nullptr) {
    const auto* close = static_cast<const amqp_connection_close_t*>(method.decoded);
    return AmqpError(AmqpError::Origin::connection_closed, close->reply_code,
                     std::string(doing) + ": the broker closed the connection: " +
                         std::to_string(close->reply_code) + " " + text_of(close->reply_text) +
                         method_named(close->class_id, close->method_id));
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD && method.decoded != nullptr) {
    const auto* close = static_cast<const amqp_channel_close_t*>(method.decoded);
    return AmqpError(AmqpError::Origin::channel_closed, close->reply_code,
                     std::string(doing) + ": the broker closed the channel: " +
                         std::to_string(close->reply_code) + " " + text_of(close->reply_text) +
                         method_named(close->class_id, close->method_id));
  }
  const char* name = amqp_method_name(method.id);
  return AmqpError(AmqpError::Origin::connection_closed, 0,
                   std::string(doing) + ": unexpected reply from the broker: " +
                       (name != nullptr ? name : std::to_string(method.id)));
}

AmqpError amqp_error(const amqp_rpc_reply_t& reply, std::string_view doing) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_status_error(reply.library_error, doing);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      return amqp_close_error(reply.reply, doing);
    case AMQP_RESPONSE_NONE:
      return AmqpError(AmqpError::Origin::no_reply, 0,
                       std::string(doing) + ": no reply from rabbitmq-c (no RPC was in progress)");
    case AMQP_RESPONSE_NORMAL:
      break;
  }
  return AmqpError(AmqpError::Origin::no_reply, 0,
                   std::string(doing) + ": reported as an error although the reply was normal");
}

}  // namespace snet::detail
