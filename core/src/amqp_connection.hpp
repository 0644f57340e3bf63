// Private: one AMQP 0-9-1 connection with one channel, as thin RAII over rabbitmq-c's
// amqp_connection_state_t. Every failure throws AmqpError with readable text.
//
// Thread safety: none. rabbitmq-c is not thread-safe per connection, so exactly one thread (the
// AMQP bus's network thread) creates, uses and destroys an AmqpConnection.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <amqp.h>

#include "amqp_endpoint.hpp"

namespace snet::detail {

/// A message's content as read after basic.deliver / basic.return.
struct AmqpContent {
  std::string body;
  std::map<std::string, std::string> headers;  // every scalar header, as text
  std::string message_id;                      // the message-id property (empty when absent)
};

class AmqpConnection {
 public:
  static constexpr amqp_channel_t kChannel = 1;

  /// Opens the socket, logs in (showing `name` as the connection's name in RabbitMQ's tools) and
  /// opens the channel; every step bounded by `timeout`, and so is every later RPC.
  AmqpConnection(const AmqpEndpoint& endpoint, const std::string& name,
                 std::chrono::milliseconds timeout);
  /// Closes channel and connection politely (bounded) unless it is broken, then frees it.
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  int socket_fd() const { return amqp_get_sockfd(state_); }
  /// Negotiated heartbeat interval (0: off).
  std::chrono::seconds heartbeat() const {
    return std::chrono::seconds(amqp_get_heartbeat(state_));
  }
  /// Frames already inside rabbitmq-c (read ahead, or queued during an RPC): poll() on the socket
  /// would not show them, so they must be taken before waiting.
  bool has_buffered_input() const {
    return amqp_data_in_buffer(state_) != 0 || amqp_frames_enqueued(state_) != 0;
  }

  void enable_publisher_confirms();
  void set_prefetch(std::uint16_t count);
  /// Empty `durable_name`: a server-named, exclusive, auto-delete queue; otherwise that durable,
  /// shareable queue (not exclusive, not auto-deleted), kept by the broker while nobody consumes
  /// it and deleted after `expires` without a consumer; `quorum`: a quorum queue (replicated).
  /// Returns the queue's name.
  std::string declare_queue(const std::string& durable_name, std::chrono::milliseconds expires,
                            bool quorum = false);
  /// A durable, not auto-deleted exchange of `type` ("fanout", "headers"); idempotent.
  void declare_exchange(const std::string& name, const std::string& type);
  /// Binds `queue` to `exchange`; `arguments` (string values) are a headers exchange's match.
  void bind(const std::string& queue, const std::string& exchange, const std::string& key,
            const std::map<std::string, std::string>& arguments = {});
  /// Removes what bind() made; idempotent (RabbitMQ answers unbind-ok for a missing binding).
  void unbind(const std::string& queue, const std::string& exchange, const std::string& key,
              const std::map<std::string, std::string>& arguments = {});
  /// Exchange-to-exchange: whatever reaches `source` is also routed by `destination`.
  void bind_exchange(const std::string& destination, const std::string& source,
                     const std::string& key);
  /// Starts a consumer on `queue` and returns its consumer tag (one channel may carry several).
  std::string consume(const std::string& queue);
  /// Writes one message (headers as AMQP longstr values). `mandatory`: the broker returns it
  /// (basic.return, carrying `message_id`) when no queue takes it. Throws on a socket error.
  void publish(const std::string& exchange, const std::string& routing_key, const std::string& body,
               bool persistent, const std::map<std::string, std::string>& headers,
               bool mandatory = false, const std::string& message_id = {});
  /// The next frame if one has arrived, without blocking. Sends a heartbeat when one is due and
  /// throws when the broker's heartbeats stopped or the socket failed.
  std::optional<amqp_frame_t> next_frame();
  /// The header and body frames that follow a basic.deliver or basic.return.
  AmqpContent read_content();
  void ack(std::uint64_t delivery_tag, bool multiple);
  /// Drops a delivery (no requeue: a message that breaks its handler would break it again).
  void reject(std::uint64_t delivery_tag);
  /// Answers a connection.close / channel.close the broker sent; the connection is unusable after.
  void acknowledge_close(const amqp_method_t& close);
  /// Frees rabbitmq-c's per-frame memory once no decoded frame is referenced any more.
  void release_buffers() { amqp_maybe_release_buffers(state_); }

 private:
  void check(const amqp_rpc_reply_t& reply, std::string_view doing);
  void check_status(int status, std::string_view doing);

  amqp_connection_state_t state_;
  bool usable_ = false;  // logged in and not failed: worth a polite close
};

}  // namespace snet::detail
