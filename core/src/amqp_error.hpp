// Private: one error type for everything rabbitmq-c can report (the three amqp_rpc_reply_t
// kinds, plain status codes, and close methods the broker sends on its own), each with text a
// person can act on. Only the AMQP bus's sources include this (it needs <amqp.h>).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <amqp.h>

namespace snet::detail {

class AmqpError : public std::runtime_error {
 public:
  /// library: rabbitmq-c itself (socket, timeout, heartbeat, protocol); connection_closed and
  /// channel_closed: the broker refused something (a server exception); no_reply: the library
  /// had no reply to give (AMQP_RESPONSE_NONE).
  enum class Origin { library, connection_closed, channel_closed, no_reply };

  AmqpError(Origin origin, int code, const std::string& message)
      : std::runtime_error(message), origin_(origin), code_(code) {}
  Origin origin() const { return origin_; }
  /// rabbitmq-c status (library), AMQP reply code (e.g. 403, 404, 406, 320), or 0.
  int code() const { return code_; }

 private:
  Origin origin_;
  int code_;
};

/// `doing` names the operation and starts the message ("queue.bind snet.t.#: ...").
AmqpError amqp_error(const amqp_rpc_reply_t& reply, std::string_view doing);
AmqpError amqp_status_error(int status, std::string_view doing);
/// From a connection.close or channel.close method the broker sent (outside an RPC, too).
AmqpError amqp_close_error(const amqp_method_t& method, std::string_view doing);

}  // namespace snet::detail
