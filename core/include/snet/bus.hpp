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

#include "snet/socket_placement.hpp"

namespace snet {

class Metrics;

enum class Qos { at_most_once = 0, at_least_once = 1 };

struct Message {
  std::string topic;
  std::string payload;
  bool retained = false;
  std::map<std::string, std::string> headers;  // AMQP headers routing only; MQTT ignores them
  /// Set only on messages received by a bus with BusOptions::manual_ack: tells the broker the
  /// message is handled, so it is not delivered again. Call it at most once, from any thread,
  /// when the work the message asked for is safe (published and confirmed, committed...). A
  /// message never acknowledged is delivered again after a reconnect, to this session or, for a
  /// shared subscription, to another member. Acknowledging after a reconnect does nothing.
  std::function<void()> ack = {};
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

/// Faults an emulated device's connection can be put in (agents; see Bus::control()).
enum class ConnectionControl {
  online,     // connect again (after offline/crash/freeze) and keep reconnecting
  offline,    // clean DISCONNECT, and stay away until `online`
  crash,      // drop the TCP connection without DISCONNECT (the broker publishes the last will),
              // and stay away until `online`
  freeze,     // stop reading and writing; the connection stays open (a hung device)
  reconnect,  // drop the connection without DISCONNECT and reconnect at once (a storm's member)
};

class Bus {
 public:
  virtual ~Bus() = default;

  /// Must be set before start(); runs on the network thread for every message received.
  virtual void on_message(MessageHandler handler) = 0;
  /// Optional: told `true` on every (re)connect after subscriptions are re-made, `false` on loss.
  virtual void on_connection_change(std::function<void(bool connected)> handler) = 0;

  /// Adds a subscription (kept and re-made after every reconnect).
  virtual void subscribe(const std::string& filter, Qos qos) = 0;
  /// Competing consumers: each message matching `filter` goes to ONE member of `group` (every
  /// bus that subscribed with the same group and filter, in any process). MQTT: the shared
  /// subscription $share/<group>/<filter> (Mosquitto 2; RabbitMQ 3.10's MQTT plugin has none);
  /// AMQP: one durable queue per group, bound like subscribe() and consumed by every member.
  virtual void subscribe_shared(const std::string& group, const std::string& filter, Qos qos) = 0;
  /// Stops what subscribe(filter) started, also in a persistent session at the broker (sent at
  /// the next connect when disconnected). Our own MQTT client (BusLoop) and the AMQP bus (an
  /// unbind, made before any publish queued after this call) do; the Paho bus keeps the
  /// subscription, so a handler must still tolerate what it brings.
  virtual void unsubscribe(const std::string& /*filter*/) {}
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
  /// Starts what stop() does without waiting for it; stop() then waits (within the same
  /// timeout, counted from here). An owner of many buses calls this on each before stop() on
  /// any, so their disconnects overlap instead of taking one round trip after another. Call
  /// begin_stop() and stop() from one thread (the owner's). The default does nothing: stop()
  /// does it all.
  virtual void begin_stop() {}

  /// Emulation: puts the connection in `fault` (or back online). Returns false where the
  /// implementation cannot emulate faults (only the agents' MQTT client can).
  virtual bool control(ConnectionControl /*fault*/) { return false; }
};

struct BusOptions {
  /// mqtt://[user@]host:port (tcp:// also accepted) or amqp://user@host:port/vhost; over TLS
  /// mqtts:// (port 8883 unless given) and amqps:// (5671).
  std::string url = "mqtt://127.0.0.1:1883";
  /// mqtts:// and amqps://: the CA certificate(s) (PEM file) that must have signed the broker's
  /// certificate, which must also name the URL's host. Empty: $SNET_BROKER_CA_FILE, else the
  /// system's trust store. The server is always verified; a failure is logged as a TLS error.
  std::string ca_file;
  /// The password of the URL's user. Empty: the URL's own, else the environment's
  /// (SNET_BROKER_PASSWORD_FILE, SNET_BROKER_PASSWORD; snet/broker_credentials.hpp).
  std::string password;
  std::string client_id;        // unique per broker; generated when empty
  std::optional<Message> will;  // published by the broker if we vanish (MQTT only)
  std::chrono::seconds keepalive{20};
  /// The BusLoop's MQTT client: how long one attempt (TCP, TLS, CONNECT until CONNACK) may take
  /// before it is dropped and retried, or the next broker tried: a node that swallows packets, or
  /// accepts and never answers. Generous, so that thousands of devices reconnecting to a busy
  /// broker at once are not dropped while it works through them. Paho and AMQP: 5 s.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Upper bound of messages queued while disconnected or in flight.
  int max_buffered = 1'000'000;
  /// AMQP: publish mandatory, so a message no queue takes fails its PublishDone with an error
  /// starting "unroutable" instead of vanishing. MQTT has no such signal: ignored.
  bool report_unroutable = false;
  /// Persistent session: the broker keeps our subscriptions and queues QoS 1 messages while we
  /// are away, and delivers them when we are back (MQTT clean session off; AMQP: a durable queue
  /// named after the client id). Needs a stable client_id.
  bool persistent_session = false;
  /// The handler acknowledges each message itself with Message::ack, instead of the bus doing it
  /// when the handler returns. Not available on the Paho MQTT bus (Paho acknowledges a QoS 1
  /// message before the handler sees it): use a BusLoop's bus.
  bool manual_ack = false;
  /// Log every connection loss (warn) and reconnect (info). The agents turn it off for their
  /// thousands of devices and log a summary instead.
  bool log_connection_changes = true;
  /// Optional, not owned, must outlive the bus: where the bus counts connection losses,
  /// reconnects, consumer cancels and dropped messages (snet_bus_* counters). The AMQP bus
  /// counts; the MQTT buses ignore it (their services count losses themselves).
  Metrics* metrics = nullptr;
  /// The emulated network's kernel engine: the connection's socket is made in this network
  /// namespace, bound to this source address (an emulated device's own). The BusLoop's MQTT
  /// client binds both; the AMQP bus's thread enters the namespace (rabbitmq-c makes its own
  /// socket, so the source is the namespace's route's). Paho's MQTT bus ignores it.
  SocketPlacement placement = {};
};

inline constexpr const char* kBrokerCaFileEnv = "SNET_BROKER_CA_FILE";

/// Whether `url` is AMQP (amqp:// or amqps://) rather than MQTT.
bool is_amqp_url(const std::string& url);
/// Whether `url` asks for TLS (mqtts:// or amqps://).
bool is_tls_url(const std::string& url);
/// The port a broker URL of this scheme means when it names none (mqtt 1883, mqtts 8883, amqp
/// 5672, amqps 5671).
int default_broker_port(const std::string& url);
/// The CA file a TLS bus of `options` verifies its broker with: BusOptions::ca_file, else
/// $SNET_BROKER_CA_FILE; empty: the system's trust store.
std::string broker_ca_file(const BusOptions& options);

/// Creates the bus the URL's scheme names. Throws std::invalid_argument on a bad URL.
std::unique_ptr<Bus> make_bus(const BusOptions& options);

/// Throws std::invalid_argument, saying what is wrong, when make_bus() would refuse `url`
/// (scheme, host, port, AMQP options). Neither resolves nor connects.
void check_broker_url(const std::string& url);

}  // namespace snet
