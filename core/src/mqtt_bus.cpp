#include "mqtt_bus.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <mqtt/async_client.h>

#include "snet/broker_credentials.hpp"
#include "snet/log.hpp"
#include "snet/message.hpp"

namespace snet::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Why a watchdog: Paho C 1.3.12 runs ONE send thread per process for all clients. It sleeps
// without a predicate (MQTTAsyncUtils.c, MQTTAsync_sendThread):
//     command_count = MQTTAsync_commands->count;   // 0: nothing to send
//     ...
//     Thread_wait_cond(send_cond, timeout);         // timeout = 1000 ms
// and Thread_wait_cond (Thread.c) is a bare pthread_cond_timedwait. MQTTAsync_addCommand (every
// publish) signals send_cond once, so a publish queued between that count and the wait loses its
// wake-up and sits for a whole second (eclipse-paho/paho.mqtt.c#1039; seen as ~1 in 10,000
// sequential QoS 0 and QoS 1 hops taking 1.1 s). Any later command signals the thread again, so
// only a bus that has gone quiet can be stuck: publishes unanswered, and neither a new publish
// nor an answer for a while. The watchdog then has that bus queue a harmless command, an
// UNSUBSCRIBE of a filter nothing ever subscribes to (the broker answers UNSUBACK and changes
// nothing). A stuck publish goes out 3-6 ms late instead of 1 s. A publishing burst never
// triggers it; each publish costs two atomic increments.
constexpr auto kQuietLimit = 3ms;      // > a loopback QoS 1 round trip, << 1 s
constexpr auto kMaxWakeInterval = 1s;  // back-off cap while a bus stays stuck (a dead link)
constexpr const char* kWakeFilter = "snet/$paho-send-thread-wake";  // never subscribed

// What one bus shares with the watchdog. Counters are bumped by the publishing thread and by
// Paho's threads (answers); the rest as commented.
struct PublishProgress {
  std::atomic<unsigned long> sent{0};      // publishes handed to Paho
  std::atomic<unsigned long> answered{0};  // of those: acked, failed, or refused at once
  std::atomic<bool> watched{false};        // on the watchdog's list
  std::mutex wake_mutex;                   // guards wake
  std::function<void()> wake;              // emptied by the bus before it goes away
  // Guarded by the watchdog's mutex.
  unsigned long seen_activity = 0;  // activity() at the last look
  SteadyClock::duration patience{};
  SteadyClock::time_point next_look{};

  // Reads `answered` first: an answer always follows its publish, so this never undercounts.
  long unanswered() const {
    const auto answers = answered.load();
    return static_cast<long>(sent.load() - answers);
  }
  unsigned long activity() const { return answered.load() + sent.load(); }
};

// One per process, like the Paho send thread it watches. Only buses with unanswered publishes
// are on its list; it sleeps until the next one is due (every kQuietLimit at most, while any is
// busy) and indefinitely while the list is empty, so 10,000 idle clients cost nothing.
// Thread safety: watch() may be called from any thread, also from inside Paho callbacks (it
// never calls Paho while holding its mutex).
class SendThreadWatchdog {
 public:
  // Shared by every MqttBus alive; a new one starts when the last one has gone.
  static std::shared_ptr<SendThreadWatchdog> shared() {
    static std::mutex mutex;
    static std::weak_ptr<SendThreadWatchdog> current;
    std::lock_guard lock(mutex);
    auto watchdog = current.lock();
    if (!watchdog) {
      watchdog = std::make_shared<SendThreadWatchdog>();
      current = watchdog;
    }
    return watchdog;
  }

  SendThreadWatchdog() : thread_([this] { run(); }) {}
  ~SendThreadWatchdog() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  SendThreadWatchdog(const SendThreadWatchdog&) = delete;
  SendThreadWatchdog& operator=(const SendThreadWatchdog&) = delete;

  /// Call after counting a publish in progress->sent: keeps an eye on the bus until all its
  /// publishes are answered.
  void watch(const std::shared_ptr<PublishProgress>& progress) {
    if (progress->watched.load() || progress->watched.exchange(true)) return;
    bool sooner = false;
    {
      std::lock_guard lock(mutex_);
      restart_patience(*progress, SteadyClock::now());
      sooner = watched_.empty() || progress->next_look < next_run_;
      watched_.push_back(progress);
    }
    if (sooner) cv_.notify_one();
  }

 private:
  static void restart_patience(PublishProgress& p, SteadyClock::time_point now) {
    p.seen_activity = p.activity();
    p.patience = kQuietLimit;
    p.next_look = now + p.patience;
  }

  // Returns whether the bus stays on the list; adds it to `to_wake` when it is stuck: publishes
  // unanswered and no activity at all since the last look, one patience ago.
  static bool look(const std::shared_ptr<PublishProgress>& p, SteadyClock::time_point now,
                   std::vector<std::shared_ptr<PublishProgress>>& to_wake) {
    if (p->unanswered() <= 0) {
      p->watched.store(false);
      // A publish racing with the store above either sees `false` and re-adds the bus itself, or
      // left its count for this second look: then we keep the bus, unless it re-added itself.
      if (p->unanswered() <= 0 || p->watched.exchange(true)) return false;
    }
    if (now < p->next_look) return true;
    if (p->activity() != p->seen_activity) {
      restart_patience(*p, now);
      return true;
    }
    to_wake.push_back(p);
    p->patience = std::min<SteadyClock::duration>(p->patience * 2, kMaxWakeInterval);
    p->next_look = now + p->patience;
    return true;
  }

  SteadyClock::time_point earliest_look() const {
    auto due = watched_.front()->next_look;
    for (const auto& p : watched_) due = std::min(due, p->next_look);
    return due;
  }

  void run() {
    std::vector<std::shared_ptr<PublishProgress>> to_wake;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (watched_.empty()) {
        cv_.wait(lock, [this] { return stopping_ || !watched_.empty(); });
        continue;
      }
      next_run_ = earliest_look();
      cv_.wait_until(lock, next_run_);  // earlier when watch() adds a bus due sooner
      if (stopping_) break;
      const auto now = SteadyClock::now();
      std::erase_if(watched_, [&](const auto& p) { return !look(p, now, to_wake); });
      if (to_wake.empty()) continue;
      lock.unlock();  // waking calls into Paho: never under our mutex
      for (const auto& p : to_wake) {
        std::lock_guard wake_lock(p->wake_mutex);
        if (p->wake) p->wake();
      }
      to_wake.clear();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<PublishProgress>> watched_;
  SteadyClock::time_point next_run_{};  // when run() looks next (valid while watched_ is not empty)
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

// Completion of one publish: Paho hands the token (and our context pointer) back to a listener.
class PublishListener final : public mqtt::iaction_listener {
 public:
  explicit PublishListener(PublishProgress& progress) : progress_(progress) {}
  void on_success(const mqtt::token& tok) override { finish(tok, true); }
  void on_failure(const mqtt::token& tok) override { finish(tok, false); }

 private:
  // The context, when set, is a PublishDone we allocated for this publish; we own it from here.
  void finish(const mqtt::token& tok, bool ok) {
    progress_.answered.fetch_add(1);
    std::unique_ptr<PublishDone> done(static_cast<PublishDone*>(tok.get_user_context()));
    if (done && *done) {
      (*done)(ok, ok ? std::string()
                     : "publish failed (code " + std::to_string(tok.get_return_code()) + ")");
    }
  }

  PublishProgress& progress_;
};

class MqttBus final : public Bus, private mqtt::iaction_listener {
 public:
  MqttBus(const BusOptions& options, const std::vector<std::string>& server_uris)
      : client_id_(options.client_id),
        client_(server_uris.at(0), options.client_id, make_create_options(options.max_buffered),
                nullptr) {
    if (server_uris.size() > 1) {
      connect_options_.set_servers(std::make_shared<mqtt::string_collection>(server_uris));
    }
    connect_options_.set_clean_session(!options.persistent_session);
    log_changes_ = options.log_connection_changes;
    if (options.manual_ack) {
      throw std::invalid_argument(
          "manual_ack needs a BusLoop bus: Paho acknowledges a message before handling it");
    }
    connect_options_.set_keep_alive_interval(options.keepalive);
    if (const BusLogin login = bus_login(options); !login.user.empty()) {
      connect_options_.set_user_name(login.user);
      if (!login.password.empty()) connect_options_.set_password(login.password);
    }
    connect_options_.set_connect_timeout(std::chrono::seconds(5));
    connect_options_.set_automatic_reconnect(std::chrono::milliseconds(100),
                                             std::chrono::seconds(2));
    // A full in-flight window stalls Paho's sender until a timer fires (~1 s): keep it wide.
    connect_options_.set_max_inflight(65535);
    tls_ = server_uris.front().rfind("ssl://", 0) == 0;
    if (tls_) connect_options_.set_ssl(tls_options(options));
    if (options.will) {
      connect_options_.set_will(mqtt::will_options(options.will->topic, options.will->payload, 1,
                                                   options.will->retained));
    }
    client_.set_connected_handler([this](const std::string&) { on_connected(); });
    client_.set_connection_lost_handler([this](const std::string& cause) {
      connected_ = false;
      if (log_changes_) {
        log::warn(
            "mqtt ", client_id_, ": connection lost (",
            cause.empty() ? "the broker closed it, or another client took our client id" : cause,
            "); reconnecting");
      }
      notify_connection(false);
    });
    client_.set_message_callback([this](mqtt::const_message_ptr msg) {
      if (!handler_) return;
      Message message;
      message.topic = msg->get_topic();
      message.payload = msg->get_payload_str();
      message.retained = msg->is_retained();
      handler_(message);
    });
    progress_->wake = [this] { wake_send_thread(); };
  }

  ~MqttBus() override {
    {
      std::lock_guard lock(progress_->wake_mutex);
      progress_->wake = nullptr;
    }
    stop();
  }

  void on_message(MessageHandler handler) override { handler_ = std::move(handler); }
  void on_connection_change(std::function<void(bool)> handler) override {
    connection_handler_ = std::move(handler);
  }

  void subscribe(const std::string& filter, Qos qos) override {
    {
      std::lock_guard lock(mutex_);
      subscriptions_.emplace_back(filter, static_cast<int>(qos));
    }
    if (client_.is_connected()) {
      try {
        client_.subscribe(filter, static_cast<int>(qos));
      } catch (const mqtt::exception& e) {
        // Not fatal: the connected handler re-makes every subscription.
        log::warn("mqtt: subscribe ", filter, " failed now (", e.what(), "); retried on reconnect");
      }
    }
  }

  void subscribe_shared(const std::string& group, const std::string& filter, Qos qos) override {
    subscribe("$share/" + group + "/" + filter, qos);
  }

  void publish(Message message, Qos qos, PublishDone done) override {
    std::unique_ptr<PublishDone> context;
    if (done) context = std::make_unique<PublishDone>(std::move(done));
    progress_->sent.fetch_add(1);  // before Paho can answer it
    try {
      client_.publish(message.topic, message.payload.data(), message.payload.size(),
                      static_cast<int>(qos), message.retained, context.get(), publish_listener_);
      context.release();  // owned by PublishListener::finish from now on
    } catch (const mqtt::exception& e) {
      progress_->answered.fetch_add(1);  // never queued: Paho will not answer it
      log::warn("mqtt: publish to ", message.topic, " failed: ", e.what());
      if (context) (*context)(false, e.what());
      return;
    }
    watchdog_->watch(progress_);
  }

  void start() override {
    stopping_ = false;
    attempt_connect();
  }

  bool wait_connected(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return connected_.load(); });
  }

  bool connected() const override { return connected_; }

  void stop() override {
    if (stopping_.exchange(true)) return;
    connected_ = false;
    try {
      if (client_.is_connected())
        client_.disconnect(std::chrono::milliseconds(500))->wait_for(1000);
    } catch (const mqtt::exception&) {
      // Already gone: nothing left to flush.
    }
  }

 private:
  static mqtt::create_options make_create_options(int max_buffered) {
    // Paho's default buffer (100) rejects publishes (-12) under load even while connected.
    mqtt::create_options opts(MQTTVERSION_3_1_1, max_buffered);
    opts.set_send_while_disconnected(true, true);
    return opts;
  }

  // mqtts://: the broker's certificate must chain to the CA file (or the system's trust store)
  // and name the host. Paho retries a failed handshake silently: its OpenSSL errors are logged
  // here, once per distinct reason, so a wrong CA is never a quiet retry loop.
  mqtt::ssl_options tls_options(const BusOptions& options) {
    mqtt::ssl_options tls;
    ca_file_ = broker_ca_file(options);
    if (!ca_file_.empty()) tls.set_trust_store(ca_file_);
    tls.set_enable_server_cert_auth(true);
    tls.set_verify(true);  // the certificate must name the host we connect to
    tls.set_error_handler([this](const std::string& error) {
      {
        std::lock_guard lock(mutex_);
        if (error == last_tls_error_) return;
        last_tls_error_ = error;
      }
      log::error("mqtt ", client_id_, ": TLS handshake with ", client_.get_server_uri(),
                 " failed (server verified with ",
                 ca_file_.empty() ? std::string("the system's trust store") : ca_file_,
                 "): ", error, "; retrying");
    });
    return tls;
  }

  void attempt_connect() {
    try {
      client_.connect(connect_options_, nullptr, *this);
    } catch (const mqtt::exception& e) {
      log::warn("mqtt: connect to ", client_.get_server_uri(), " failed: ", e.what());
    }
  }

  // Runs on the watchdog thread when our publishes have gone unanswered too long (see above).
  void wake_send_thread() {
    // Offline, publishes wait in Paho's buffer for the reconnect: nothing to wake.
    if (!client_.is_connected()) return;
    try {
      client_.unsubscribe(kWakeFilter);  // queuing any command signals Paho's send thread
      log::debug("mqtt: publishes unanswered, woke Paho's send thread");
    } catch (const mqtt::exception& e) {
      log::debug("mqtt: could not wake Paho's send thread: ", e.what());
    }
  }

  // With automatic reconnect Paho keeps retrying a failed first connect by itself (tested).
  void on_success(const mqtt::token&) override {}
  void on_failure(const mqtt::token& tok) override {
    if (stopping_) return;
    if (tls_ && !tls_failure_logged_.exchange(true)) {
      // Paho C gives no reason for a refused handshake: say what to check, once per bus.
      log::error("mqtt ", client_id_, ": TLS connect to ", client_.get_server_uri(),
                 " failed (Paho code ", tok.get_return_code(), "; server verified with ",
                 ca_file_.empty() ? std::string("the system's trust store") : ca_file_,
                 "): certificate verify failed, a certificate not naming the host, or a port "
                 "without TLS; retrying");
      return;
    }
    log::debug("mqtt: cannot reach ", client_.get_server_uri(), " yet, retrying");
  }

  void on_connected() {
    if (log_changes_ && ever_connected_.exchange(true))
      log::info("mqtt ", client_id_, ": reconnected");
    std::vector<std::pair<std::string, int>> subs;
    {
      std::lock_guard lock(mutex_);
      subs = subscriptions_;
    }
    if (subs.empty()) {
      mark_connected();
      return;
    }
    auto filters = std::make_shared<mqtt::string_collection>();
    mqtt::iasync_client::qos_collection qos;
    for (const auto& [filter, q] : subs) {
      filters->push_back(filter);
      qos.push_back(q);
    }
    try {
      client_.subscribe(filters, qos, nullptr, subscribed_listener_);
    } catch (const mqtt::exception& e) {
      log::warn("mqtt: re-subscribe failed: ", e.what());
    }
  }

  void mark_connected() {
    {
      std::lock_guard lock(mutex_);
      connected_ = true;
    }
    cv_.notify_all();
    notify_connection(true);
  }

  void notify_connection(bool up) {
    if (connection_handler_) connection_handler_(up);
  }

  class SubscribedListener final : public mqtt::iaction_listener {
   public:
    explicit SubscribedListener(MqttBus& bus) : bus_(bus) {}
    void on_success(const mqtt::token&) override { bus_.mark_connected(); }
    void on_failure(const mqtt::token& tok) override {
      if (tok.get_return_code() == MQTTASYNC_OPERATION_INCOMPLETE) {
        // Not the broker's answer: the connection closed first; the next connection
        // subscribes again (on_connected). Logged as the connection's changes are.
        if (bus_.log_changes_) {
          log::warn("mqtt ", bus_.client_id_,
                    ": subscribe not answered: the connection closed before the broker did");
        }
        return;
      }
      log::error("mqtt ", bus_.client_id_, ": subscribe refused by the broker (code ",
                 tok.get_return_code(), ")");
    }

   private:
    MqttBus& bus_;
  };

  // Everything Paho's callbacks touch is declared before client_, so it outlives the client
  // (destroying the client fails outstanding publishes through the listeners).
  std::shared_ptr<PublishProgress> progress_ = std::make_shared<PublishProgress>();
  std::shared_ptr<SendThreadWatchdog> watchdog_ = SendThreadWatchdog::shared();
  mqtt::connect_options connect_options_;
  std::string ca_file_, last_tls_error_;  // last_tls_error_ under mutex_
  bool tls_ = false;
  std::atomic<bool> tls_failure_logged_{false};
  MessageHandler handler_;
  std::function<void(bool)> connection_handler_;
  PublishListener publish_listener_{*progress_};
  SubscribedListener subscribed_listener_{*this};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ever_connected_{false};
  bool log_changes_ = true;
  std::string client_id_;
  mqtt::async_client client_;
};

}  // namespace

std::unique_ptr<Bus> make_mqtt_bus(const BusOptions& options,
                                   const std::vector<std::string>& server_uris) {
  return std::make_unique<MqttBus>(options, server_uris);
}

}  // namespace snet::detail
