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

#include "amqp_connection.hpp"
#include "amqp_endpoint.hpp"
#include "amqp_error.hpp"
#include "amqp_topics.hpp"
#include "snet/log.hpp"

namespace snet::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kExchange = "amq.topic";          // where RabbitMQ's MQTT plugin publishes, too
constexpr std::size_t kMaxPayload = 1 << 20;        // = max_message_size in broker-config/rabbitmq
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;  // the header frame must fit a 128 KiB frame
constexpr std::uint16_t kPrefetch = 1000;
constexpr int kSendBatch = 256;  // then read, so acks and deliveries keep flowing under load
constexpr int kReadBatch = 256;
constexpr auto kConnectTimeout = 5s;
constexpr auto kStopFlushTimeout = 2s;
constexpr auto kMinBackoff = 100ms;
constexpr auto kMaxBackoff = 2s;
constexpr auto kDurableQueueExpiry = std::chrono::hours(24);

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

std::optional<std::string> message_problem(const Message& message) {
  if (auto problem = publish_topic_problem(message.topic)) return problem;
  if (message.payload.size() > kMaxPayload) {
    return "payload of " + std::to_string(message.payload.size()) + " bytes exceeds " +
           std::to_string(kMaxPayload);
  }
  std::size_t header_bytes = 0;
  for (const auto& [key, value] : message.headers) {
    if (key.empty() || key.size() > kMaxRoutingKey) {
      return "header name '" + key.substr(0, 40) + "' must be 1-255 bytes";
    }
    header_bytes += key.size() + value.size() + 6;
  }
  if (header_bytes > kMaxHeaderBytes) {
    return "headers of " + std::to_string(header_bytes) + " bytes exceed " +
           std::to_string(kMaxHeaderBytes);
  }
  return std::nullopt;
}

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

struct Outgoing {
  Message message;
  Qos qos;
  PublishDone done;
  std::string exchange;  // empty: amq.topic
};

// One binding of our queue, re-made after every reconnect.
struct QueueBinding {
  std::string exchange;
  std::string key;
  std::map<std::string, std::string> arguments;
  bool operator==(const QueueBinding&) const = default;
};

class AmqpBus final : public Bus {
 public:
  AmqpBus(AmqpEndpoint endpoint, std::string client_id, std::string durable_queue, int max_buffered,
          bool report_unroutable)
      : endpoint_(std::move(endpoint)),
        client_id_(std::move(client_id)),
        durable_queue_(std::move(durable_queue)),
        max_buffered_(static_cast<std::size_t>(std::max(1, max_buffered))),
        report_unroutable_(report_unroutable),
        where_(endpoint_.host + ":" + std::to_string(endpoint_.port)) {}

  ~AmqpBus() override { stop(); }

  void on_message(MessageHandler handler) override { handler_ = std::move(handler); }
  void on_connection_change(std::function<void(bool)> handler) override {
    connection_handler_ = std::move(handler);
  }

  // AMQP has no per-subscription QoS: every delivery is acknowledged after its handler.
  void subscribe(const std::string& filter, Qos) override {
    if (auto problem = filter_problem(filter)) {
      log::error("amqp: not subscribing: ", *problem);
      return;
    }
    add_binding(QueueBinding{kExchange, binding_key_for_filter(filter), {}});
  }

  // TODO(shared queue): one durable queue per group; until then every member gets every message.
  void subscribe_shared(const std::string& /*group*/, const std::string& filter, Qos qos) override {
    subscribe(filter, qos);
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
    add_binding(QueueBinding{binding.exchange, binding_key_for_filter(filter), binding.arguments});
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

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      stop_requested_ = true;
    }
    stopped_ = true;
    wake_.notify();
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

  bool exchange_known(const std::string& name) {
    if (is_builtin_exchange(name)) return true;
    std::lock_guard lock(mutex_);
    return std::any_of(exchanges_.begin(), exchanges_.end(),
                       [&](const Exchange& e) { return e.name == name; });
  }

  void enqueue(std::string exchange, Message message, Qos qos, PublishDone done) {
    std::optional<std::string> refusal = message_problem(message);
    if (!refusal && stopped_) refusal = "the bus is stopped";
    if (!refusal && buffered_.load() >= max_buffered_) {
      refusal = "buffer full (" + std::to_string(max_buffered_) + " messages not yet confirmed)";
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
    if (!wake_pending_.exchange(true)) wake_.notify();
  }

  bool stop_requested() {
    std::lock_guard lock(mutex_);
    return stop_requested_;
  }

  // --- network thread ----------------------------------------------------------------------
  void run() {
    auto backoff = std::chrono::milliseconds(kMinBackoff);
    bool failure_reported = false;
    while (!stop_requested()) {
      try {
        connect();
        backoff = kMinBackoff;
        failure_reported = false;
        set_connected(true);
        serve();
        return;
      } catch (const std::exception& e) {
        const bool was_connected = connected_.load();
        conn_.reset();  // a broken connection is freed without a polite close
        requeue_unconfirmed();
        if (was_connected) {
          set_connected(false);
          log::warn("amqp: connection to ", where_, " lost: ", e.what(), "; reconnecting");
        } else if (!failure_reported) {
          log::warn("amqp: cannot connect to ", where_, ": ", e.what(), "; retrying");
        } else {
          log::debug("amqp: still cannot connect to ", where_, ": ", e.what());
        }
        failure_reported = true;
        pause(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
      }
    }
  }

  void connect() {
    conn_ = std::make_unique<AmqpConnection>(endpoint_, client_id_, kConnectTimeout);
    conn_->enable_publisher_confirms();
    conn_->set_prefetch(kPrefetch);
    queue_ = conn_->declare_queue(durable_queue_, kDurableQueueExpiry);
    std::vector<Exchange> exchanges;
    std::vector<QueueBinding> bindings;
    {
      std::lock_guard lock(mutex_);
      exchanges = exchanges_;
      bindings = bindings_;
      undeclared_.clear();
      unbound_.clear();
    }
    // Exchanges first: bindings and publishes may name them.
    for (const auto& exchange : exchanges) declare(exchange);
    for (const auto& binding : bindings) bind_queue(binding);
    conn_->consume(queue_);
    next_publish_tag_ = 1;
    handled_up_to_ = acked_up_to_ = 0;
    const auto heartbeat = conn_->heartbeat();
    // Wake often enough that rabbitmq-c sends its heartbeat at most a quarter late.
    idle_wait_ms_ =
        heartbeat.count() > 0 ? std::max(100, static_cast<int>(heartbeat.count() * 1000 / 4)) : -1;
    log::debug("amqp: connected to ", where_, " vhost '", endpoint_.vhost, "' as ", client_id_,
               ", queue ", queue_, ", heartbeat ", heartbeat.count(), " s");
  }

  void serve() {
    while (true) {
      bool stopping = false;
      std::vector<Exchange> new_exchanges;
      std::vector<QueueBinding> new_bindings;
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
      }
      for (const auto& exchange : new_exchanges) declare(exchange);
      for (const auto& binding : new_bindings) bind_queue(binding);
      send_pending(stopping ? pending_.size() : kSendBatch);
      read_frames(kReadBatch);
      ack_handled();
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
    while (!unconfirmed_.empty() && Clock::now() < deadline) {
      read_frames(kReadBatch);
      ack_handled();
      if (unconfirmed_.empty() || conn_->has_buffered_input()) continue;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_for_io(static_cast<int>(std::max<std::int64_t>(1, left.count())));
    }
    conn_.reset();
    set_connected(false);
  }

  void wait_for_io(int timeout_ms) {
    pollfd fds[2] = {{conn_->socket_fd(), POLLIN, 0}, {wake_.fd(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if ((fds[1].revents & POLLIN) != 0) wake_.clear();
  }

  // Back-off between connection attempts; a stop request cuts it short.
  void pause(std::chrono::milliseconds duration) {
    const auto deadline = Clock::now() + duration;
    while (!stop_requested()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return;
      pollfd fd{wake_.fd(), POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) > 0) wake_.clear();
    }
  }

  void declare(const Exchange& exchange) {
    conn_->declare_exchange(exchange.name, std::string(type_name(exchange.type)));
    if (exchange.forward_to_topics) conn_->bind_exchange(kExchange, exchange.name, "");
  }

  void bind_queue(const QueueBinding& binding) {
    conn_->bind(queue_, binding.exchange, binding.key, binding.arguments);
  }

  void send_pending(std::size_t limit) {
    for (std::size_t n = 0; n < limit && !pending_.empty(); ++n) {
      Outgoing& next = pending_.front();
      const std::uint64_t tag = next_publish_tag_++;
      // With report_unroutable the tag travels as message-id, so a basic.return names its publish.
      conn_->publish(next.exchange.empty() ? kExchange : next.exchange,
                     routing_key_for_topic(next.message.topic), next.message.payload,
                     next.qos == Qos::at_least_once && endpoint_.persistent, next.message.headers,
                     report_unroutable_, report_unroutable_ ? std::to_string(tag) : std::string());
      unconfirmed_.emplace(tag, std::move(next));
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
      case AMQP_BASIC_CANCEL_METHOD:
        throw AmqpError(AmqpError::Origin::channel_closed, 0,
                        "the broker cancelled our consumer (queue " + queue_ + " deleted?)");
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
    Message message;
    message.topic = topic_for_routing_key(as_string(delivery.routing_key));
    AmqpContent content = conn_->read_content();
    message.payload = std::move(content.body);
    message.headers = std::move(content.headers);
    try {
      if (handler_) handler_(message);
      handled_up_to_ = tag;  // acknowledged in batches (multiple) by ack_handled()
    } catch (const std::exception& e) {
      log::error("amqp: handler failed on '", message.topic, "': ", e.what(), "; message dropped");
      conn_->reject(tag);
    } catch (...) {
      log::error("amqp: handler failed on '", message.topic, "'; message dropped");
      conn_->reject(tag);
    }
  }

  // A mandatory publish no queue took. Its basic.ack follows; confirm() then reports it failed.
  void returned(const amqp_basic_return_t& ret) {
    const std::string why = "unroutable: no queue is bound for it (exchange '" +
                            as_string(ret.exchange) + "', routing key '" +
                            as_string(ret.routing_key) + "', " + as_string(ret.reply_text) + ")";
    const AmqpContent content = conn_->read_content();
    try {
      const std::uint64_t tag = std::stoull(content.message_id);
      if (unconfirmed_.count(tag) != 0) returned_.emplace(tag, why);
    } catch (const std::exception&) {
      log::debug("amqp: a returned message without our message id: ", why);
    }
  }

  void ack_handled() {
    if (handled_up_to_ <= acked_up_to_) return;
    conn_->ack(handled_up_to_, true);
    acked_up_to_ = handled_up_to_;
  }

  void confirm(std::uint64_t tag, bool multiple, const std::string& error) {
    const auto first = multiple ? unconfirmed_.begin() : unconfirmed_.find(tag);
    const auto last = multiple ? unconfirmed_.upper_bound(tag)
                               : (first == unconfirmed_.end() ? first : std::next(first));
    for (auto it = first; it != last; ++it) {
      const auto ret = returned_.find(it->first);
      if (ret != returned_.end() && error.empty()) {
        complete(it->second, false, ret->second);
      } else {
        complete(it->second, error.empty(), error);
      }
      if (ret != returned_.end()) returned_.erase(ret);
    }
    unconfirmed_.erase(first, last);
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
    for (auto& [tag, out] : unconfirmed_) {
      if (out.qos == Qos::at_least_once) {
        resend.push_back(std::move(out));
      } else {
        complete(out, false, "connection lost before the broker confirmed it");
      }
    }
    unconfirmed_.clear();
    returned_.clear();
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
    for (auto& [tag, out] : unconfirmed_) complete(out, false, why);
    unconfirmed_.clear();
    for (auto& out : pending_) complete(out, false, why);
    pending_.clear();
    for (auto& out : outbox) complete(out, false, why);
  }

  const AmqpEndpoint endpoint_;
  const std::string client_id_, durable_queue_;
  const std::size_t max_buffered_;
  const bool report_unroutable_;
  const std::string where_;
  MessageHandler handler_;
  std::function<void(bool)> connection_handler_;

  std::mutex mutex_;  // guards the members up to cv_
  std::deque<Outgoing> outbox_;
  std::vector<Exchange> exchanges_;     // every exchange, re-declared after each reconnect
  std::vector<Exchange> undeclared_;    // added since the network thread last looked
  std::vector<QueueBinding> bindings_;  // every binding, re-made after each reconnect
  std::vector<QueueBinding> unbound_;   // added since the network thread last looked
  bool stop_requested_ = false;
  std::condition_variable cv_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<std::size_t> buffered_{0};  // queued + in flight, bounded by max_buffered_
  WakeSignal wake_;

  // Network thread only (and stop() after joining it).
  std::unique_ptr<AmqpConnection> conn_;
  std::string queue_;
  std::deque<Outgoing> pending_;                   // taken from outbox_, not yet sent
  std::map<std::uint64_t, Outgoing> unconfirmed_;  // publish sequence number -> message
  std::map<std::uint64_t, std::string> returned_;  // unconfirmed but returned: why
  std::uint64_t next_publish_tag_ = 1;
  std::uint64_t handled_up_to_ = 0, acked_up_to_ = 0;  // delivery tags
  int idle_wait_ms_ = -1;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Bus> make_amqp_bus(const BusOptions& options, bool stable_client_id) {
  AmqpEndpoint endpoint = parse_amqp_url(options.url, options.keepalive);
  if (options.will) log::debug("amqp: a last will is an MQTT feature; ignored over AMQP");
  std::string durable_queue = stable_client_id ? "snet-bus-" + options.client_id : std::string();
  return std::make_unique<AmqpBus>(std::move(endpoint), options.client_id, std::move(durable_queue),
                                   options.max_buffered, options.report_unroutable);
}

}  // namespace snet::detail
