// The Bus: the one seam between our services and a message broker. Implementations: MQTT (Paho,
// for Mosquitto or RabbitMQ's MQTT plugin) and AMQP 0-9-1 (rabbitmq-c). Topics are always written
// MQTT-style ('/'-separated, '+' and '#' wildcards); an AMQP bus maps them to routing keys.
//
// Routing beyond topics (the fanout and headers modes, docs/protocol.md) is AMQP-only and
// additive: declare_exchange(), bind() and publish_to() have MQTT meanings that need no broker
// support (nothing, subscribe(filter), publish()), so MQTT buses need not override them.
//
// Thread safety: publish(), publish_to(), subscribe(), bind() and declare_exchange() may be
// called from any thread, including from inside a message handler. Handlers run on the bus's own
// network thread: they must not block (hand long work to a queue or an executor). A Bus keeps its
// subscriptions across reconnects.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace snet {

enum class Qos { at_most_once = 0, at_least_once = 1 };

struct Message {
  std::string topic;
  std::string payload;
  bool retained = false;
  std::map<std::string, std::string> headers;  // AMQP headers routing only; MQTT ignores them
};

using MessageHandler = std::function<void(const Message&)>;

enum class ExchangeType { fanout, headers };

/// An AMQP exchange besides amq.topic (declared durable, kept by the broker).
struct Exchange {
  std::string name;
  ExchangeType type = ExchangeType::fanout;
  /// Also bound to amq.topic, so whatever is published here reaches topic subscribers too (MQTT
  /// plugin clients) under the message's routing key.
  bool forward_to_topics = false;
};

/// Where bind() attaches an AMQP subscription instead of amq.topic.
struct Binding {
  std::string exchange;                          // declared first with declare_exchange()
  std::map<std::string, std::string> arguments;  // headers exchange: "x-match" and the values
};
/// Called once per publish when the broker acknowledged it (ok) or it failed (error text).
using PublishDone = std::function<void(bool ok, const std::string& error)>;

class Bus {
 public:
  virtual ~Bus() = default;

  /// Must be set before start(); runs on the network thread for every message received.
  virtual void on_message(MessageHandler handler) = 0;
  /// Optional: told `true` on every (re)connect after subscriptions are re-made, `false` on loss.
  virtual void on_connection_change(std::function<void(bool connected)> handler) = 0;

  /// Adds a subscription (kept and re-made after every reconnect).
  virtual void subscribe(const std::string& filter, Qos qos) = 0;
  /// Queues a message; never blocks on the network. Messages published while disconnected are
  /// buffered and sent after reconnecting.
  virtual void publish(Message message, Qos qos, PublishDone done = {}) = 0;

  /// AMQP: declares `exchange` (again after every reconnect, before bindings and publishes).
  /// MQTT: nothing.
  virtual void declare_exchange(const Exchange& /*exchange*/) {}
  /// AMQP: binds this client's queue to `binding.exchange` (kept across reconnects); the filter
  /// names the subscription and is otherwise unused. MQTT: subscribe(filter, qos).
  virtual void bind(const std::string& filter, Qos qos, const Binding& /*binding*/) {
    subscribe(filter, qos);
  }
  /// AMQP: publishes to `exchange` (one declared on this bus) with the topic as routing key.
  /// MQTT: publish(message).
  virtual void publish_to(const std::string& /*exchange*/, Message message, Qos qos,
                          PublishDone done = {}) {
    publish(std::move(message), qos, std::move(done));
  }

  /// Starts connecting (and reconnecting, with back-off, for as long as the bus lives).
  virtual void start() = 0;
  /// Waits until connected and subscribed, at most `timeout`. Returns whether it is.
  virtual bool wait_connected(std::chrono::milliseconds timeout) = 0;
  virtual bool connected() const = 0;
  /// Disconnects cleanly, sending what is queued first (bounded by a short timeout).
  virtual void stop() = 0;
};

struct BusOptions {
  /// mqtt://host:port (tcp:// also accepted) or amqp://user:pass@host:port/vhost
  std::string url = "mqtt://127.0.0.1:1883";
  std::string client_id;        // unique per broker; generated when empty
  std::optional<Message> will;  // published by the broker if we vanish (MQTT only)
  std::chrono::seconds keepalive{20};
  /// Upper bound of messages queued while disconnected or in flight.
  int max_buffered = 1'000'000;
  /// AMQP: publish mandatory, so a message no queue takes fails its PublishDone with an error
  /// starting "unroutable" instead of vanishing. MQTT has no such signal: ignored.
  bool report_unroutable = false;
};

/// Creates the bus the URL's scheme names. Throws std::invalid_argument on a bad URL.
std::unique_ptr<Bus> make_bus(const BusOptions& options);

}  // namespace snet
