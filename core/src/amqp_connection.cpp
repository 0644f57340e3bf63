#include "amqp_connection.hpp"

#include <array>
#include <vector>

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>

#include "amqp_error.hpp"
#include "amqp_message.hpp"

namespace snet::detail {
namespace {

amqp_bytes_t as_bytes(const std::string& text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

std::string as_string(amqp_bytes_t bytes) {
  return bytes.len == 0 ? std::string()
                        : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

timeval as_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

amqp_table_entry_t bool_entry(const char* key, bool value) {
  amqp_table_entry_t e{};
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  e.value.value.boolean = value ? 1 : 0;
  return e;
}

amqp_table_entry_t text_entry(const char* key, const std::string& value) {
  amqp_table_entry_t e{};
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_UTF8;
  e.value.value.bytes = as_bytes(value);
  return e;
}

// A table of longstr entries pointing into `values` (which must outlive the table's use).
amqp_table_t text_table(const std::map<std::string, std::string>& values,
                        std::vector<amqp_table_entry_t>& entries) {
  entries.clear();
  entries.reserve(values.size());
  for (const auto& [key, value] : values) {
    amqp_table_entry_t e{};
    e.key = as_bytes(key);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = as_bytes(value);
    entries.push_back(e);
  }
  return entries.empty() ? amqp_empty_table
                         : amqp_table_t{static_cast<int>(entries.size()), entries.data()};
}

}  // namespace

AmqpConnection::AmqpConnection(const AmqpEndpoint& endpoint, const std::string& name,
                               std::chrono::milliseconds timeout)
    : state_(amqp_new_connection()) {
  const std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  if (state_ == nullptr) throw amqp_status_error(AMQP_STATUS_NO_MEMORY, "connect to " + where);
  // Owned by state_.
  amqp_socket_t* socket = endpoint.tls ? amqp_ssl_socket_new(state_) : amqp_tcp_socket_new(state_);
  if (socket == nullptr) {
    amqp_destroy_connection(state_);
    throw amqp_status_error(AMQP_STATUS_NO_MEMORY, "connect to " + where);
  }
  try {
    timeval limit = as_timeval(timeout);
    std::string connecting = "connect to " + where;
    if (endpoint.tls) {
      // The broker's certificate must chain to the CA and name the host we asked for.
      const std::string ca =
          endpoint.ca_file.empty() ? "the system's trust store" : endpoint.ca_file;
      connecting = "TLS connect to " + where + " (server verified with " + ca + ")";
      amqp_ssl_socket_set_verify_peer(socket, 1);
      amqp_ssl_socket_set_verify_hostname(socket, 1);
      if (!endpoint.ca_file.empty()) {
        check_status(amqp_ssl_socket_set_cacert(socket, endpoint.ca_file.c_str()),
                     "TLS: load CA file " + endpoint.ca_file);
      }
    }
    check_status(amqp_socket_open_noblock(socket, endpoint.host.c_str(), endpoint.port, &limit),
                 connecting);
    check_status(amqp_set_handshake_timeout(state_, &limit), "set handshake timeout");
    check_status(amqp_set_rpc_timeout(state_, &limit), "set RPC timeout");

    // Consumer cancel: the broker tells us if our queue disappears instead of going quiet.
    amqp_table_entry_t capabilities[] = {bool_entry("consumer_cancel_notify", true),
                                         bool_entry("connection.blocked", true)};
    const std::string product = "serverlessnet";  // entries point into it: keep it alive
    amqp_table_entry_t properties[3] = {text_entry("connection_name", name),
                                        text_entry("product", product), amqp_table_entry_t{}};
    properties[2].key = amqp_cstring_bytes("capabilities");
    properties[2].value.kind = AMQP_FIELD_KIND_TABLE;
    properties[2].value.value.table = amqp_table_t{2, capabilities};
    const amqp_table_t client_properties{3, properties};
    check(amqp_login_with_properties(state_, endpoint.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE,
                                     static_cast<int>(endpoint.heartbeat.count()),
                                     &client_properties, AMQP_SASL_METHOD_PLAIN,
                                     endpoint.user.c_str(), endpoint.password.c_str()),
          "log in to " + where + " vhost '" + endpoint.vhost + "' as '" + endpoint.user + "'");
    usable_ = true;
    amqp_channel_open(state_, kChannel);
    check(amqp_get_rpc_reply(state_), "open channel");
  } catch (...) {
    if (usable_) amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(state_);
    throw;
  }
}

AmqpConnection::~AmqpConnection() {
  if (usable_) {
    amqp_channel_close(state_, kChannel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

void AmqpConnection::check(const amqp_rpc_reply_t& reply, std::string_view doing) {
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) acknowledge_close(reply.reply);
  usable_ = false;
  throw amqp_error(reply, doing);
}

void AmqpConnection::check_status(int status, std::string_view doing) {
  if (status == AMQP_STATUS_OK) return;
  usable_ = false;
  throw amqp_status_error(status, doing);
}

void AmqpConnection::acknowledge_close(const amqp_method_t& close) {
  // Best effort: the peer is going away either way, and we reconnect from scratch.
  if (close.id == AMQP_CONNECTION_CLOSE_METHOD) {
    amqp_connection_close_ok_t ok{};
    amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
  } else if (close.id == AMQP_CHANNEL_CLOSE_METHOD) {
    amqp_channel_close_ok_t ok{};
    amqp_send_method(state_, kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
  }
  usable_ = false;
}

void AmqpConnection::enable_publisher_confirms() {
  amqp_confirm_select(state_, kChannel);
  check(amqp_get_rpc_reply(state_), "confirm.select");
}

void AmqpConnection::set_prefetch(std::uint16_t count) {
  amqp_basic_qos(state_, kChannel, 0, count, 0);
  check(amqp_get_rpc_reply(state_), "basic.qos");
}

std::string AmqpConnection::declare_queue(const std::string& durable_name,
                                          std::chrono::milliseconds expires, bool quorum) {
  const bool durable = !durable_name.empty();
  std::array<amqp_table_entry_t, 2> entries{};
  entries[0].key = amqp_cstring_bytes("x-expires");
  entries[0].value.kind = AMQP_FIELD_KIND_I64;
  entries[0].value.value.i64 = expires.count();
  // Only durable named queues can be quorum ones; the temporary queue stays classic.
  entries[1].key = amqp_cstring_bytes("x-queue-type");
  entries[1].value.kind = AMQP_FIELD_KIND_UTF8;
  entries[1].value.value.bytes = amqp_cstring_bytes("quorum");
  const amqp_table_t arguments =
      durable ? amqp_table_t{quorum ? 2 : 1, entries.data()} : amqp_empty_table;
  const auto* ok = amqp_queue_declare(state_, kChannel, as_bytes(durable_name), 0, durable ? 1 : 0,
                                      durable ? 0 : 1, durable ? 0 : 1, arguments);
  check(amqp_get_rpc_reply(state_), "queue.declare '" + durable_name + "'");
  return as_string(ok->queue);
}

void AmqpConnection::declare_exchange(const std::string& name, const std::string& type) {
  amqp_exchange_declare(state_, kChannel, as_bytes(name), as_bytes(type), /*passive=*/0,
                        /*durable=*/1, /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  check(amqp_get_rpc_reply(state_), "exchange.declare '" + name + "' (" + type + ")");
}

void AmqpConnection::bind(const std::string& queue, const std::string& exchange,
                          const std::string& key,
                          const std::map<std::string, std::string>& arguments) {
  std::vector<amqp_table_entry_t> entries;
  amqp_queue_bind(state_, kChannel, as_bytes(queue), as_bytes(exchange), as_bytes(key),
                  text_table(arguments, entries));
  check(amqp_get_rpc_reply(state_), "queue.bind '" + key + "' on " + exchange);
}

void AmqpConnection::unbind(const std::string& queue, const std::string& exchange,
                            const std::string& key,
                            const std::map<std::string, std::string>& arguments) {
  std::vector<amqp_table_entry_t> entries;
  amqp_queue_unbind(state_, kChannel, as_bytes(queue), as_bytes(exchange), as_bytes(key),
                    text_table(arguments, entries));
  check(amqp_get_rpc_reply(state_), "queue.unbind '" + key + "' from " + exchange);
}

void AmqpConnection::bind_exchange(const std::string& destination, const std::string& source,
                                   const std::string& key) {
  amqp_exchange_bind(state_, kChannel, as_bytes(destination), as_bytes(source), as_bytes(key),
                     amqp_empty_table);
  check(amqp_get_rpc_reply(state_), "exchange.bind " + source + " -> " + destination);
}

std::string AmqpConnection::consume(const std::string& queue) {
  const auto* ok = amqp_basic_consume(state_, kChannel, as_bytes(queue), amqp_empty_bytes, 0, 0, 0,
                                      amqp_empty_table);
  check(amqp_get_rpc_reply(state_), "basic.consume '" + queue + "'");
  return as_string(ok->consumer_tag);
}

void AmqpConnection::publish(const std::string& exchange, const std::string& routing_key,
                             const std::string& body, bool persistent,
                             const std::map<std::string, std::string>& headers, bool mandatory,
                             const std::string& message_id) {
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = persistent ? 2 : 1;
  std::vector<amqp_table_entry_t> entries;
  if (!headers.empty()) {
    props._flags |= AMQP_BASIC_HEADERS_FLAG;
    props.headers = text_table(headers, entries);
  }
  if (!message_id.empty()) {
    props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
    props.message_id = as_bytes(message_id);
  }
  check_status(amqp_basic_publish(state_, kChannel, as_bytes(exchange), as_bytes(routing_key),
                                  mandatory ? 1 : 0, 0, &props, as_bytes(body)),
               "basic.publish '" + routing_key + "'");
}

std::optional<amqp_frame_t> AmqpConnection::next_frame() {
  amqp_frame_t frame;
  // 1 us, not 0: with a zero timeout rabbitmq-c never notices that the broker's heartbeats
  // stopped (an "immediate" deadline always wins over the heartbeat deadline).
  timeval almost_now{0, 1};
  const int status = amqp_simple_wait_frame_noblock(state_, &frame, &almost_now);
  if (status == AMQP_STATUS_TIMEOUT) return std::nullopt;
  check_status(status, "read from the broker");
  return frame;
}

AmqpContent AmqpConnection::read_content() {
  amqp_message_t message;
  check(amqp_read_message(state_, kChannel, &message, 0), "read message content");
  AmqpContent out;
  out.body = as_string(message.body);
  if ((message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) != 0) {
    out.message_id = as_string(message.properties.message_id);
  }
  if ((message.properties._flags & AMQP_BASIC_HEADERS_FLAG) != 0) {
    out.headers = header_texts(message.properties.headers);
  }
  amqp_destroy_message(&message);
  return out;
}

void AmqpConnection::ack(std::uint64_t delivery_tag, bool multiple) {
  check_status(amqp_basic_ack(state_, kChannel, delivery_tag, multiple ? 1 : 0), "basic.ack");
}

void AmqpConnection::reject(std::uint64_t delivery_tag) {
  check_status(amqp_basic_reject(state_, kChannel, delivery_tag, 0), "basic.reject");
}

}  // namespace snet::detail
