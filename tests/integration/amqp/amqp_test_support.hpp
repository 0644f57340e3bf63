// Helpers for the AMQP tests: names unique per test, a record of a bus's connection changes and
// publish outcomes with bounded waits, and a raw rabbitmq-c client that does what our bus never
// does (odd header types, queues with arguments), independent of the code under test.
#pragma once

#include <doctest/doctest.h>
#include <algorithm>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "snet/bus.hpp"
#include "snet/message.hpp"

namespace snet::test {

/// e.g. unique("hb") -> "hb-3f9a1c": topics and client ids no other test (or run) uses.
inline std::string unique(const std::string& prefix) {
  // The process's random part, shortened, and its counter: unique within one process too.
  const std::string id = new_press_id();  // <random hex>-<counter>
  const auto dash = id.rfind('-');
  return prefix + "-" + id.substr(0, std::min<std::size_t>(dash, 8)) + id.substr(dash);
}

/// Counts a bus's connection changes and publish outcomes; every wait is bounded.
class BusEvents {
 public:
  void watch(Bus& bus) {
    bus.on_connection_change([this](bool up) { bump(up ? ups_ : downs_); });
  }
  PublishDone on_done() {
    return [this](bool ok, const std::string& error) {
      std::lock_guard lock(mutex_);
      (ok ? acked_ : failed_)++;
      if (!ok) errors_.push_back(error);
      cv_.notify_all();
    };
  }
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, pred);
  }
  int ups() { return read(ups_); }
  int downs() { return read(downs_); }
  int acked() { return read(acked_); }
  int failed() { return read(failed_); }
  std::vector<std::string> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }
  // For predicates passed to wait() (the lock is held there).
  int ups_locked() const { return ups_; }
  int downs_locked() const { return downs_; }
  int acked_locked() const { return acked_; }
  int failed_locked() const { return failed_; }

 private:
  void bump(int& counter) {
    {
      std::lock_guard lock(mutex_);
      ++counter;
    }
    cv_.notify_all();
  }
  int read(const int& counter) {
    std::lock_guard lock(mutex_);
    return counter;
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  int ups_ = 0, downs_ = 0, acked_ = 0, failed_ = 0;
  std::vector<std::string> errors_;
};

/// A bare rabbitmq-c connection (vhost "snet", user "snet") for test set-up.
class RawAmqp {
 public:
  RawAmqp(int port) : conn_(amqp_new_connection()) {
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    REQUIRE(amqp_socket_open(socket, "127.0.0.1", port) == AMQP_STATUS_OK);
    require(amqp_login(conn_, "snet", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN, "snet",
                       "snet"),
            "login");
    amqp_channel_open(conn_, 1);
    require(amqp_get_rpc_reply(conn_), "channel.open");
  }
  ~RawAmqp() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  RawAmqp(const RawAmqp&) = delete;
  RawAmqp& operator=(const RawAmqp&) = delete;

  void declare_queue(const std::string& name, amqp_table_t arguments) {
    amqp_queue_declare(conn_, 1, amqp_cstring_bytes(name.c_str()), 0, 1, 0, 0, arguments);
    require(amqp_get_rpc_reply(conn_), "queue.declare");
  }
  /// A durable queue that holds `room` messages and makes the broker refuse (nack) publishes
  /// routed to it while it is full (x-overflow reject-publish).
  void declare_refusing_queue(const std::string& name, std::int64_t room) {
    amqp_table_entry_t args[2] = {};
    args[0].key = amqp_cstring_bytes("x-max-length");
    args[0].value.kind = AMQP_FIELD_KIND_I64;
    args[0].value.value.i64 = room;
    args[1].key = amqp_cstring_bytes("x-overflow");
    args[1].value.kind = AMQP_FIELD_KIND_UTF8;
    args[1].value.value.bytes = amqp_cstring_bytes("reject-publish");
    declare_queue(name, amqp_table_t{2, args});
  }
  void bind(const std::string& queue, const std::string& key) {
    amqp_queue_bind(conn_, 1, amqp_cstring_bytes(queue.c_str()), amqp_cstring_bytes("amq.topic"),
                    amqp_cstring_bytes(key.c_str()), amqp_empty_table);
    require(amqp_get_rpc_reply(conn_), "queue.bind");
  }
  void publish(const std::string& routing_key, const std::string& body,
               const amqp_basic_properties_t* props = nullptr) {
    publish_to("amq.topic", routing_key, body, props);
  }
  /// `exchange` "" is the default exchange: the routing key names the queue it goes straight to.
  void publish_to(const std::string& exchange, const std::string& routing_key,
                  const std::string& body, const amqp_basic_properties_t* props = nullptr) {
    const amqp_bytes_t bytes{body.size(), const_cast<char*>(body.data())};
    REQUIRE(amqp_basic_publish(conn_, 1, amqp_cstring_bytes(exchange.c_str()),
                               amqp_cstring_bytes(routing_key.c_str()), 0, 0, props,
                               bytes) == AMQP_STATUS_OK);
  }

  /// One message taken from `queue` (basic.get, no ack asked), or nullopt when it is empty.
  std::optional<std::string> get(const std::string& queue) {
    amqp_maybe_release_buffers(conn_);
    const amqp_rpc_reply_t reply =
        amqp_basic_get(conn_, 1, amqp_cstring_bytes(queue.c_str()), /*no_ack=*/1);
    require(reply, "basic.get");
    if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::nullopt;
    amqp_message_t message;
    require(amqp_read_message(conn_, 1, &message, 0), "basic.get's message");
    std::string body(static_cast<const char*>(message.body.bytes), message.body.len);
    amqp_destroy_message(&message);
    return body;
  }

 private:
  void require(const amqp_rpc_reply_t& reply, const char* what) {
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      throw std::runtime_error(std::string("raw AMQP client: ") + what + " failed");
    }
  }
  amqp_connection_state_t conn_;
};

}  // namespace snet::test
