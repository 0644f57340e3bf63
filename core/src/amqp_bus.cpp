#include "amqp_bus.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "amqp_acks.hpp"
#include "amqp_confirms.hpp"
#include "amqp_connection.hpp"
#include "amqp_endpoint.hpp"
#include "amqp_error.hpp"
#include "amqp_message.hpp"
#include "amqp_topics.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/log.hpp"
#include "snet/metrics.hpp"

namespace snet::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kExchange = "amq.topic";  // where RabbitMQ's MQTT plugin publishes, too
// Per consumer (own queue, each group queue): deliveries in hand before the broker waits for
// acks. At thousands of messages/s acked ~1-10 ms late only tens are in flight; the rest is room
// for handlers that ack after a slow round trip (a compute call), without stalling.
constexpr std::uint16_t kPrefetch = 1000;
constexpr int kSendBatch = 256;  // then read, so acks and deliveries keep flowing under load
constexpr int kReadBatch = 256;
constexpr auto kConnectTimeout = 5s;
constexpr auto kStopFlushTimeout = 2s;
constexpr auto kMinBackoff = 100ms;
constexpr auto kMaxBackoff = 2s;
// Durable queues (the bus's own with a stable client id, and group queues) are deleted after a
// day without a consumer: long enough to outlive any restart, short enough not to pile up.
constexpr auto kDurableQueueExpiry = std::chrono::hours(24);
const std::string kGroupQueuePrefix = "snet-group-";
constexpr std::size_t kMaxGroupName = 200;  // + prefix within a 255-byte queue name

// Wakes the network thread out of poll() when another thread queued work.
class WakeSignal {
 public:
  WakeSignal() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ~WakeSignal() { ::close(fd_); }
  WakeSignal(const WakeSignal&) = delete;
  WakeSignal& operator=(const WakeSignal&) = delete;
  int fd() const { return fd_; }
  void notify() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);  // full counter: still set
  }
  void clear() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(fd_, &count, sizeof count);
  }

 private:
  int fd_;
};

std::string as_string(amqp_bytes_t bytes) {
  return bytes.len == 0 ? std::string()
                        : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

bool is_builtin_exchange(const std::string& name) {
  return name.rfind("amq.", 0) == 0;
}

std::string_view type_name(ExchangeType type) {
  return type == ExchangeType::headers ? "headers" : "fanout";
}

std::optional<std::string> group_problem(const std::string& group) {
  if (group.empty() || group.size() > kMaxGroupName) {
    return "group name must be 1-" + std::to_string(kMaxGroupName) + " bytes";
  }
  // The same names as MQTT shared subscriptions ($share/<group>/...), so a group means one thing.
  if (group.find_first_of("/+#") != std::string::npos) {
    return "group name '" + group + "' must not contain '/', '+' or '#'";
  }
  return std::nullopt;
}

// The snet_bus_* counters (in the caller's registry, or in the bus's own when none is given).
struct BusCounters {
  explicit BusCounters(Metrics& metrics)
      : connection_lost(metrics.counter("snet_bus_connection_lost_total",
                                        "Broker connections lost (the bus reconnects)")),
        reconnects(metrics.counter("snet_bus_reconnects_total",
                                   "Connections to the broker made again after a loss")),
        failovers(metrics.counter("snet_bus_failovers_total",
                                  "Moves to another node of a cluster after a connection to one "
                                  "failed or was lost")),
        broker_node(metrics.gauge("snet_bus_broker_node",
                                  "Which node of the broker URL's list the bus last connected to "
                                  "(0-based; set only for URLs naming several nodes)")),
        consumer_cancelled(metrics.counter(
            "snet_bus_consumer_cancelled_total",
            "Consumers the broker cancelled (queue deleted); the bus reconnects and re-consumes")),
        handler_failed(dropped(metrics, "handler_failed")),
        not_a_topic(dropped(metrics, "not_a_topic")),
        buffer_full(dropped(metrics, "buffer_full")),
        invalid(dropped(metrics, "invalid")) {}

  static Counter& dropped(Metrics& metrics, const std::string& reason) {
    return metrics.counter("snet_bus_messages_dropped_total",
                           "Messages the bus dropped (received or to be published), by reason",
                           "reason=\"" + reason + "\"");
  }

  Counter &connection_lost, &reconnects, &failovers;
  Gauge& broker_node;
  Counter& consumer_cancelled;
  // Dropped: a delivery whose handler threw; a delivery not sent to a topic (published straight
  // into a queue, or an empty routing key); a publish refused because the buffer is full; a
  // publish refused as invalid (topic, size, headers) or after stop().
  Counter &handler_failed, &not_a_topic, &buffer_full, &invalid;
};

struct Outgoing {
  Message message;
  Qos qos;
  PublishDone done;
  std::string exchange;  // empty: amq.topic
};

// One binding of our queue (or of a group's queue), re-made after every reconnect.
struct QueueBinding {
  std::string queue;  // empty: the bus's own queue
  std::string exchange;
  std::string key;
  std::map<std::string, std::string> arguments;
  bool operator==(const QueueBinding&) const = default;
};

struct AmqpBusSettings {
  AmqpEndpoint endpoint;
  std::string client_id;
  std::string durable_queue;  // empty: a temporary (exclusive) queue
  int max_buffered = 1;
  bool report_unroutable = false;
  bool manual_ack = false;
  Metrics* metrics = nullptr;
  std::string netns;  // the network thread enters it (BusOptions::placement)
};

class AmqpBus final : public Bus {
 public:
  explicit AmqpBus(AmqpBusSettings settings)
      : endpoint_(std::move(settings.endpoint)),
        client_id_(std::move(settings.client_id)),
        durable_queue_(std::move(settings.durable_queue)),
        max_buffered_(static_cast<std::size_t>(std::max(1, settings.max_buffered))),
        report_unroutable_(settings.report_unroutable),
        manual_ack_(settings.manual_ack),
        // Clients of a cluster start spread over its nodes (the same client at the same one).
        host_index_(endpoint_.hosts.empty()
                        ? 0
                        : std::hash<std::string>{}(client_id_) % endpoint_.hosts.size()),
        netns_(std::move(settings.netns)),
        counters_(settings.metrics != nullptr ? *settings.metrics : own_metrics_) {}

  ~AmqpBus() override { stop(); }

  void on_message(MessageHandler handler) override { handler_ = std::move(handler); }
  void on_connection_change(std::function<void(bool)> handler) override {
    connection_handler_ = std::move(handler);
  }

  // AMQP has no per-subscription QoS: every delivery is acknowledged after its handler (or by
  // Message::ack with manual_ack).
  void subscribe(const std::string& filter, Qos) override {
    if (auto problem = filter_problem(filter)) {
      log::error("amqp: not subscribing: ", *problem);
      return;
    }
    add_binding(QueueBinding{{}, kExchange, binding_key_for_filter(filter), {}});
  }

  // Competing consumers: every member consumes the group's one durable queue, so the broker
  // hands each message to one of them and gives what a vanished member had not acknowledged to
  // another. All filters of a group bind that one queue.
  void subscribe_shared(const std::string& group, const std::string& filter, Qos) override {
    if (auto problem = filter_problem(filter)) {
      log::error("amqp: not subscribing (shared, group '", group, "'): ", *problem);
      return;
    }
    if (auto problem = group_problem(group)) {
      log::error("amqp: not subscribing '", filter, "' (shared): ", *problem);
      return;
    }
    const std::string queue = kGroupQueuePrefix + group;
    {
      std::lock_guard lock(mutex_);
      if (std::find(groups_.begin(), groups_.end(), queue) == groups_.end()) {
        groups_.push_back(queue);
        unconsumed_groups_.push_back(queue);
      }
    }
    add_binding(QueueBinding{queue, kExchange, binding_key_for_filter(filter), {}});
  }

  // The durable queue of a stable client id keeps its bindings while the client is away: the
  // unbind is then made at the next connect, before the bindings still wanted.
  void unsubscribe(const std::string& filter) override {
    if (auto problem = filter_problem(filter)) {
      log::error("amqp: not unsubscribing: ", *problem);
      return;
    }
    remove_binding(QueueBinding{{}, kExchange, binding_key_for_filter(filter), {}});
  }

  void bind(const std::string& filter, Qos, const Binding& binding) override {
    if (auto problem = filter_problem(filter)) {
      log::error("amqp: not binding: ", *problem);
      return;
    }
    if (!exchange_known(binding.exchange)) {
      log::error("amqp: not binding '", filter, "' to exchange '", binding.exchange,
                 "': declare_exchange() it first");
      return;
    }
    add_binding(
        QueueBinding{{}, binding.exchange, binding_key_for_filter(filter), binding.arguments});
  }

  void declare_exchange(const Exchange& exchange) override {
    if (exchange.name.empty() || is_builtin_exchange(exchange.name)) {
      log::error("amqp: not declaring exchange '", exchange.name, "': reserved or empty name");
      return;
    }
    {
      std::lock_guard lock(mutex_);
      for (const auto& known : exchanges_) {
        if (known.name == exchange.name) return;
      }
      exchanges_.push_back(exchange);
      undeclared_.push_back(exchange);
    }
    wake();
  }

  void publish(Message message, Qos qos, PublishDone done) override {
    enqueue(std::string(), std::move(message), qos, std::move(done));
  }

  void publish_to(const std::string& exchange, Message message, Qos qos,
                  PublishDone done) override {
    if (!exchange_known(exchange)) {
      // Publishing to an exchange the broker may not have would close our channel (404).
      const std::string refusal = "exchange '" + exchange + "' was not declared on this bus";
      log::warn("amqp: not publishing to '", message.topic.substr(0, 80), "': ", refusal);
      if (done) done(false, refusal);
      return;
    }
    enqueue(exchange, std::move(message), qos, std::move(done));
  }

  void start() override {
    if (started_.exchange(true)) return;
    thread_ = std::thread([this] { run(); });
  }

  bool wait_connected(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return connected_.load(); });
  }

  bool connected() const override { return connected_; }

  void begin_stop() override {
    {
      std::lock_guard lock(mutex_);
      stop_requested_ = true;
    }
    stopped_ = true;
    wake_->notify();
  }

  void stop() override {
    begin_stop();
    if (!thread_.joinable()) {
      if (!started_) fail_all("the bus was stopped before it started");
      return;
    }
    if (thread_.get_id() == std::this_thread::get_id()) return;  // from a handler: ends after it
    thread_.join();
    fail_all("the bus stopped before the broker confirmed it");
  }

 private:
  // --- any thread ------------------------------------------------------------------------
  void add_binding(QueueBinding binding) {
    {
      std::lock_guard lock(mutex_);
      if (std::find(bindings_.begin(), bindings_.end(), binding) != bindings_.end()) return;
      bindings_.push_back(binding);
      unbound_.push_back(std::move(binding));
    }
    wake();
  }

  void remove_binding(const QueueBinding& binding) {
    {
      std::lock_guard lock(mutex_);
      const auto kept = std::find(bindings_.begin(), bindings_.end(), binding);
      if (kept == bindings_.end()) return;
      bindings_.erase(kept);
      unbound_.erase(std::remove(unbound_.begin(), unbound_.end(), binding), unbound_.end());
      // Also after a subscribe again: unbinds go first, so the binding is made once more.
      to_unbind_.push_back(binding);
    }
    wake();
  }

  bool exchange_known(const std::string& name) {
    if (is_builtin_exchange(name)) return true;
    std::lock_guard lock(mutex_);
    return std::any_of(exchanges_.begin(), exchanges_.end(),
                       [&](const Exchange& e) { return e.name == name; });
  }

  void enqueue(std::string exchange, Message message, Qos qos, PublishDone done) {
    std::optional<std::string> refusal = message_problem(message);
    if (!refusal && stopped_) refusal = "the bus is stopped";
    if (refusal) {
      counters_.invalid.add();
    } else if (buffered_.load() >= max_buffered_) {
      refusal = "buffer full (" + std::to_string(max_buffered_) + " messages not yet confirmed)";
      counters_.buffer_full.add();
    }
    if (refusal) {
      log::warn("amqp: not publishing to '", message.topic.substr(0, 80), "': ", *refusal);
      if (done) done(false, *refusal);
      return;
    }
    ++buffered_;
    {
      std::lock_guard lock(mutex_);
      outbox_.push_back(Outgoing{std::move(message), qos, std::move(done), std::move(exchange)});
    }
    wake();
  }

  void wake() {
    if (!wake_pending_.exchange(true)) wake_->notify();
  }

  bool stop_requested() {
    std::lock_guard lock(mutex_);
    return stop_requested_;
  }

  // --- network thread ----------------------------------------------------------------------
  void run() {
    acks_->set_network_thread(std::this_thread::get_id());
    if (!netns_.empty()) {
      try {
        enter_network_namespace(netns_);  // every connection of this thread is made there
      } catch (const std::system_error& e) {
        log::error("amqp ", client_id_, ": ", e.what(), "; not connecting");
        return;
      }
    }
    auto backoff = std::chrono::milliseconds(kMinBackoff);
    bool failure_reported = false;
    bool ever_connected = false;
    std::size_t failed_in_round = 0;  // hosts tried since the last connection or pause
    while (!stop_requested()) {
      aim_at_current_host();
      try {
        connect();
        failed_in_round = 0;
        backoff = kMinBackoff;
        failure_reported = false;
        if (ever_connected) {
          counters_.reconnects.add();
          log::info("amqp: reconnected to ", where_, " as ", client_id_, " (queue ", queue_, ")");
        } else {
          log::info("amqp: connected to ", where_, " as ", client_id_, " (queue ", queue_, ")");
        }
        ever_connected = true;
        if (endpoint_.hosts.size() > 1)
          counters_.broker_node.set(static_cast<std::int64_t>(host_index_));
        set_connected(true);
        serve();
        return;
      } catch (const std::exception& e) {
        const bool was_connected = connected_.load();
        conn_.reset();  // a broken connection is freed without a polite close
        requeue_unconfirmed();
        if (was_connected) {
          counters_.connection_lost.add();
          set_connected(false);
          log::warn("amqp: connection to ", where_, " lost: ", e.what(), "; reconnecting");
        } else if (!failure_reported) {
          log::warn("amqp: cannot connect to ", where_, ": ", e.what(), "; retrying");
        } else {
          log::debug("amqp: still cannot connect to ", where_, ": ", e.what());
        }
        failure_reported = true;
        // The next node at once; the back-off only once every node has failed in turn.
        const std::size_t nodes = std::max<std::size_t>(1, endpoint_.hosts.size());
        host_index_ = (host_index_ + 1) % nodes;
        if (nodes > 1) counters_.failovers.add();
        if (nodes > 1 && ++failed_in_round < nodes) {
          log::info("amqp ", client_id_, ": failing over from ", where_, " to the next node");
          continue;
        }
        failed_in_round = 0;
        pause(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
      }
    }
  }

  // The endpoint of the node this attempt goes to (the URL's only host when there is one).
  void aim_at_current_host() {
    if (!endpoint_.hosts.empty()) {
      const auto& node = endpoint_.hosts[host_index_ % endpoint_.hosts.size()];
      target_.host = node.host;
      target_.port = node.port;
    }
    where_ = target_.host + ":" + std::to_string(target_.port);
  }

  void connect() {
    // Delivery tags restart with every channel: acks still in flight for the old one are void.
    generation_ = acks_->next_generation();
    ledger_.clear();
    handled_.clear();
    consumers_.clear();
    conn_ = std::make_unique<AmqpConnection>(target_, client_id_, kConnectTimeout);
    conn_->enable_publisher_confirms();
    conn_->set_prefetch(kPrefetch);
    queue_ = conn_->declare_queue(durable_queue_, kDurableQueueExpiry, endpoint_.quorum_queues);
    std::vector<Exchange> exchanges;
    std::vector<QueueBinding> bindings;
    std::vector<std::string> groups;
    {
      std::lock_guard lock(mutex_);
      exchanges = exchanges_;
      bindings = bindings_;
      groups = groups_;
      undeclared_.clear();
      unbound_.clear();
      unconsumed_groups_.clear();
    }
    // Exchanges and queues first: bindings and publishes name them.
    for (const auto& exchange : exchanges) declare(exchange);
    for (const auto& group : groups)
      conn_->declare_queue(group, kDurableQueueExpiry, endpoint_.quorum_queues);
    apply_unbinds();
    for (const auto& binding : bindings) bind_queue(binding);
    consumers_.emplace(conn_->consume(queue_), queue_);
    for (const auto& group : groups) consumers_.emplace(conn_->consume(group), group);
    confirms_.restart();
    const auto heartbeat = conn_->heartbeat();
    // Wake often enough that rabbitmq-c sends its heartbeat at most a quarter late.
    idle_wait_ms_ =
        heartbeat.count() > 0 ? std::max(100, static_cast<int>(heartbeat.count() * 1000 / 4)) : -1;
    log::debug("amqp: connected to ", where_, " vhost '", endpoint_.vhost, "' as ", client_id_,
               ", queue ", queue_, ", ", groups.size(), " group queue(s), heartbeat ",
               heartbeat.count(), " s");
  }

  void serve() {
    while (true) {
      bool stopping = false, unbinds = false;
      std::vector<Exchange> new_exchanges;
      std::vector<QueueBinding> new_bindings;
      std::vector<std::string> new_groups;
      {
        std::lock_guard lock(mutex_);
        stopping = stop_requested_;
        wake_pending_ = false;  // before taking: whatever is queued after this wakes us again
        while (!outbox_.empty()) {
          pending_.push_back(std::move(outbox_.front()));
          outbox_.pop_front();
        }
        new_exchanges.swap(undeclared_);
        new_bindings.swap(unbound_);
        new_groups.swap(unconsumed_groups_);
        unbinds = !to_unbind_.empty();
      }
      for (const auto& exchange : new_exchanges) declare(exchange);
      for (const auto& group : new_groups)
        conn_->declare_queue(group, kDurableQueueExpiry, endpoint_.quorum_queues);
      // Before the publishes queued after them (send_pending below): a message published
      // after unsubscribe() is routed without the binding.
      if (unbinds) apply_unbinds();
      for (const auto& binding : new_bindings) bind_queue(binding);
      for (const auto& group : new_groups) consumers_.emplace(conn_->consume(group), group);
      send_pending(stopping ? pending_.size() : kSendBatch);
      read_frames(kReadBatch);
      ack_handled();  // also what handlers and PublishDone acked during read_frames (no wake)
      conn_->release_buffers();
      if (stopping) {
        finish();
        return;
      }
      if (!pending_.empty() || conn_->has_buffered_input()) continue;
      wait_for_io(idle_wait_ms_);
    }
  }

  // Stop: everything queued is sent, confirms are awaited briefly, then a polite close.
  void finish() {
    const auto deadline = Clock::now() + kStopFlushTimeout;
    while (!confirms_.empty() && Clock::now() < deadline) {
      read_frames(kReadBatch);
      ack_handled();
      if (confirms_.empty() || conn_->has_buffered_input()) continue;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_for_io(static_cast<int>(std::max<std::int64_t>(1, left.count())));
    }
    conn_.reset();
    set_connected(false);
  }

  void wait_for_io(int timeout_ms) {
    pollfd fds[2] = {{conn_->socket_fd(), POLLIN, 0}, {wake_->fd(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if ((fds[1].revents & POLLIN) != 0) wake_->clear();
  }

  // Back-off between connection attempts; a stop request cuts it short.
  void pause(std::chrono::milliseconds duration) {
    const auto deadline = Clock::now() + duration;
    while (!stop_requested()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return;
      pollfd fd{wake_->fd(), POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) > 0) wake_->clear();
    }
  }

  void declare(const Exchange& exchange) {
    conn_->declare_exchange(exchange.name, std::string(type_name(exchange.type)));
    if (exchange.forward_to_topics) conn_->bind_exchange(kExchange, exchange.name, "");
  }

  void bind_queue(const QueueBinding& binding) {
    conn_->bind(binding.queue.empty() ? queue_ : binding.queue, binding.exchange, binding.key,
                binding.arguments);
  }

  // What unsubscribe() removed: kept until unbound, so that a connection lost meanwhile leaves
  // them to the next connect.
  void apply_unbinds() {
    std::vector<QueueBinding> unbinds;
    {
      std::lock_guard lock(mutex_);
      if (to_unbind_.empty()) return;
      unbinds = to_unbind_;
    }
    for (const auto& binding : unbinds) {
      conn_->unbind(binding.queue.empty() ? queue_ : binding.queue, binding.exchange, binding.key,
                    binding.arguments);
    }
    std::lock_guard lock(mutex_);  // only appended to meanwhile
    to_unbind_.erase(to_unbind_.begin(),
                     to_unbind_.begin() + static_cast<std::ptrdiff_t>(unbinds.size()));
  }

  void send_pending(std::size_t limit) {
    for (std::size_t n = 0; n < limit && !pending_.empty(); ++n) {
      Outgoing& next = pending_.front();
      const std::uint64_t tag = confirms_.next_tag();
      // With report_unroutable the tag travels as message-id, so a basic.return names its publish.
      conn_->publish(next.exchange.empty() ? kExchange : next.exchange,
                     routing_key_for_topic(next.message.topic), next.message.payload,
                     next.qos == Qos::at_least_once && endpoint_.persistent, next.message.headers,
                     report_unroutable_, report_unroutable_ ? std::to_string(tag) : std::string());
      confirms_.sent(std::move(next));
      pending_.pop_front();
    }
  }

  void read_frames(int limit) {
    for (int n = 0; n < limit; ++n) {
      const auto frame = conn_->next_frame();
      if (!frame) return;
      if (frame->frame_type == AMQP_FRAME_METHOD) on_method(frame->payload.method);
    }
  }

  void on_method(const amqp_method_t& method) {
    switch (method.id) {
      case AMQP_BASIC_DELIVER_METHOD:
        deliver(*static_cast<const amqp_basic_deliver_t*>(method.decoded));
        break;
      case AMQP_BASIC_ACK_METHOD: {
        const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
        confirm(ack->delivery_tag, ack->multiple != 0, {});
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
        confirm(nack->delivery_tag, nack->multiple != 0, "the broker refused it (basic.nack)");
        break;
      }
      case AMQP_BASIC_RETURN_METHOD:
        returned(*static_cast<const amqp_basic_return_t*>(method.decoded));
        break;
      case AMQP_BASIC_CANCEL_METHOD: {
        // Our queue was deleted (or its node went away): start afresh, which declares it again.
        const auto* cancel = static_cast<const amqp_basic_cancel_t*>(method.decoded);
        const auto consumer = consumers_.find(as_string(cancel->consumer_tag));
        const std::string queue = consumer != consumers_.end() ? consumer->second : "?";
        counters_.consumer_cancelled.add();
        log::warn("amqp: the broker cancelled our consumer of queue ", queue,
                  " (deleted?); reconnecting to declare it again");
        throw AmqpError(AmqpError::Origin::channel_closed, 0,
                        "the broker cancelled our consumer (queue " + queue + " deleted?)");
      }
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD:
        conn_->acknowledge_close(method);
        throw amqp_close_error(method, "while connected");
      case AMQP_CONNECTION_BLOCKED_METHOD:
        log::warn("amqp: the broker blocks our publishing (a resource alarm: memory or disk)");
        break;
      case AMQP_CONNECTION_UNBLOCKED_METHOD:
        log::info("amqp: the broker accepts our publishing again");
        break;
      default: {
        const char* name = amqp_method_name(method.id);
        log::debug("amqp: ignoring method ", name != nullptr ? name : std::to_string(method.id));
      }
    }
  }

  void deliver(const amqp_basic_deliver_t& delivery) {
    const std::uint64_t tag = delivery.delivery_tag;
    const std::string exchange = as_string(delivery.exchange);
    const std::string routing_key = as_string(delivery.routing_key);
    AmqpContent content = conn_->read_content();
    std::optional<Message> delivered = delivered_message(
        exchange, routing_key, std::move(content.body), std::move(content.headers));
    if (!delivered) {
      // Published straight into a queue (the default exchange: the routing key is the queue's
      // name) or with no routing key: no topic says what it is, so no handler can use it.
      counters_.not_a_topic.add();
      log::warn(
          "amqp: dropped a message ",
          exchange.empty() ? "published straight into queue '" : "with an empty routing key on '",
          exchange.empty() ? routing_key : exchange,
          "': only messages sent to a topic (routing key on amq.topic or a bound exchange) "
          "are handled");
      conn_->reject(tag);
      return;
    }
    Message& message = *delivered;
    ledger_.delivered(tag);
    const bool handler_acks = manual_ack_ && handler_;
    if (handler_acks) message.ack = AckInbox::ack_function(acks_, generation_, tag);
    try {
      if (handler_) handler_(message);
      if (!handler_acks) handled_.push_back(tag);  // acknowledged in batches by ack_handled()
      return;
    } catch (const std::exception& e) {
      log::error("amqp: handler failed on '", message.topic, "': ", e.what(), "; message dropped");
    } catch (...) {
      log::error("amqp: handler failed on '", message.topic, "'; message dropped");
    }
    counters_.handler_failed.add();
    ledger_.forget(tag);  // an ack the handler may have given before throwing is void
    conn_->reject(tag);
  }

  // A mandatory publish no queue took. Its basic.ack follows; confirm() then reports it failed.
  void returned(const amqp_basic_return_t& ret) {
    const std::string why = "unroutable: no queue is bound for it (exchange '" +
                            as_string(ret.exchange) + "', routing key '" +
                            as_string(ret.routing_key) + "', " + as_string(ret.reply_text) + ")";
    const AmqpContent content = conn_->read_content();
    try {
      confirms_.returned(std::stoull(content.message_id), why);
    } catch (const std::exception&) {
      log::debug("amqp: a returned message without our message id: ", why);
    }
  }

  // Sends the acks of handled deliveries (automatic) and of Message::ack calls (manual_ack).
  void ack_handled() {
    std::vector<std::uint64_t> ready;
    ready.swap(handled_);
    if (manual_ack_) {
      auto posted = acks_->take();
      ready.insert(ready.end(), posted.begin(), posted.end());
    }
    if (ready.empty()) return;
    const AckPlan plan = ledger_.plan(std::move(ready));
    if (plan.multiple_up_to != 0) conn_->ack(plan.multiple_up_to, true);
    for (const auto tag : plan.singles) conn_->ack(tag, false);
  }

  void confirm(std::uint64_t tag, bool multiple, const std::string& refusal) {
    confirms_.confirm(
        tag, multiple, refusal,
        [this](Outgoing& out, bool ok, const std::string& error) { complete(out, ok, error); });
  }

  void complete(Outgoing& out, bool ok, const std::string& error) {
    --buffered_;
    if (!out.done) return;
    try {
      out.done(ok, error);
    } catch (const std::exception& e) {
      log::error("amqp: publish callback threw: ", e.what());
    }
  }

  // After a lost connection: QoS 1 goes out again (before anything newer), QoS 0 is reported.
  void requeue_unconfirmed() {
    std::vector<Outgoing> resend;
    for (auto& out : confirms_.take_unconfirmed()) {
      if (out.qos == Qos::at_least_once) {
        resend.push_back(std::move(out));
      } else {
        complete(out, false, "connection lost before the broker confirmed it");
      }
    }
    for (auto it = resend.rbegin(); it != resend.rend(); ++it) pending_.push_front(std::move(*it));
  }

  void set_connected(bool up) {
    {
      std::lock_guard lock(mutex_);
      if (connected_ == up) return;
      connected_ = up;
    }
    cv_.notify_all();
    if (!connection_handler_) return;
    try {
      connection_handler_(up);
    } catch (const std::exception& e) {
      log::error("amqp: connection handler threw: ", e.what());
    }
  }

  // --- after the thread ended (stop) ---------------------------------------------------------
  void fail_all(const std::string& why) {
    std::deque<Outgoing> outbox;
    {
      std::lock_guard lock(mutex_);
      outbox.swap(outbox_);
    }
    for (auto& out : confirms_.take_unconfirmed()) complete(out, false, why);
    for (auto& out : pending_) complete(out, false, why);
    pending_.clear();
    for (auto& out : outbox) complete(out, false, why);
  }

  const AmqpEndpoint endpoint_;
  const std::string client_id_, durable_queue_;
  const std::size_t max_buffered_;
  const bool report_unroutable_;
  const bool manual_ack_;
  std::size_t host_index_;           // network thread only
  AmqpEndpoint target_ = endpoint_;  // endpoint_ aimed at the current node; network thread only
  std::string where_;                // target_'s host:port, for logs; network thread only
  const std::string netns_;
  Metrics own_metrics_;  // counted here when the caller gave no registry
  BusCounters counters_;
  MessageHandler handler_;
  std::function<void(bool)> connection_handler_;

  std::mutex mutex_;  // guards the members up to cv_
  std::deque<Outgoing> outbox_;
  std::vector<Exchange> exchanges_;      // every exchange, re-declared after each reconnect
  std::vector<Exchange> undeclared_;     // added since the network thread last looked
  std::vector<QueueBinding> bindings_;   // every binding, re-made after each reconnect
  std::vector<QueueBinding> unbound_;    // added since the network thread last looked
  std::vector<QueueBinding> to_unbind_;  // removed since then (unsubscribe)
  std::vector<std::string> groups_;      // every group queue, declared and consumed after each
  std::vector<std::string> unconsumed_groups_;  // reconnect / added since the thread last looked
  bool stop_requested_ = false;
  std::condition_variable cv_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<std::size_t> buffered_{0};  // queued + in flight, bounded by max_buffered_
  // Shared with the ack functions handed out in Message::ack, which may outlive the bus.
  std::shared_ptr<WakeSignal> wake_ = std::make_shared<WakeSignal>();
  std::shared_ptr<AckInbox> acks_ =
      std::make_shared<AckInbox>([wake = std::weak_ptr<WakeSignal>(wake_)] {
        if (auto alive = wake.lock()) alive->notify();
      });

  // Network thread only (and stop() after joining it).
  std::unique_ptr<AmqpConnection> conn_;
  std::string queue_;
  std::deque<Outgoing> pending_;        // taken from outbox_, not yet sent
  ConfirmLedger<Outgoing> confirms_;    // sent, awaiting the broker's ack or nack
  std::uint64_t generation_ = 0;        // of the connection: see AckInbox
  DeliveryLedger ledger_;               // deliveries not yet acknowledged
  std::vector<std::uint64_t> handled_;  // automatic acks: handlers returned, not yet acked
  std::map<std::string, std::string> consumers_;  // consumer tag -> queue
  int idle_wait_ms_ = -1;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Bus> make_amqp_bus(const BusOptions& options, bool stable_client_id) {
  AmqpBusSettings settings;
  settings.endpoint = parse_amqp_url(options.url, options.keepalive);
  if (settings.endpoint.tls) settings.endpoint.ca_file = broker_ca_file(options);
  // The password by BusOptions or environment when the URL names a user without one.
  if (const BusLogin login = bus_login(options); !login.user.empty()) {
    settings.endpoint.password = login.password;
  }
  if (options.will) log::debug("amqp: a last will is an MQTT feature; ignored over AMQP");
  if (options.persistent_session && !stable_client_id) {
    log::warn("amqp: a persistent session needs a client id of your choosing (none given): ",
              options.client_id, " gets a temporary queue");
  }
  // A stable client id always had a durable queue; persistent_session asks for exactly that.
  settings.durable_queue = stable_client_id ? "snet-bus-" + options.client_id : std::string();
  settings.client_id = options.client_id;
  settings.max_buffered = options.max_buffered;
  settings.report_unroutable = options.report_unroutable;
  settings.manual_ack = options.manual_ack;
  settings.metrics = options.metrics;
  settings.netns = options.placement.netns;
  return std::make_unique<AmqpBus>(std::move(settings));
}

}  // namespace snet::detail
