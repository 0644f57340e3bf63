#include "mqtt_bus.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include <mqtt/async_client.h>

#include "snet/log.hpp"
#include "snet/message.hpp"

namespace snet::detail {
namespace {

// Completion of one publish: Paho hands the token (and our context pointer) back to a listener.
class PublishListener final : public mqtt::iaction_listener {
 public:
  // The context is a PublishDone we allocated for this publish; we own it from here.
  static void finish(const mqtt::token& tok, bool ok) {
    std::unique_ptr<PublishDone> done(static_cast<PublishDone*>(tok.get_user_context()));
    if (done && *done) {
      (*done)(ok, ok ? std::string() : "publish failed (code " +
                                           std::to_string(tok.get_return_code()) + ")");
    }
  }
  void on_success(const mqtt::token& tok) override { finish(tok, true); }
  void on_failure(const mqtt::token& tok) override { finish(tok, false); }
};

class MqttBus final : public Bus, private mqtt::iaction_listener {
 public:
  MqttBus(const BusOptions& options, const std::string& server_uri)
      : client_(server_uri, options.client_id,
                make_create_options(options.max_buffered), nullptr) {
    connect_options_.set_clean_session(true);
    connect_options_.set_keep_alive_interval(options.keepalive);
    connect_options_.set_connect_timeout(std::chrono::seconds(5));
    connect_options_.set_automatic_reconnect(std::chrono::milliseconds(100),
                                             std::chrono::seconds(2));
    // A full in-flight window stalls Paho's sender until a timer fires (~1 s): keep it wide.
    connect_options_.set_max_inflight(65535);
    if (options.will) {
      connect_options_.set_will(mqtt::will_options(options.will->topic, options.will->payload, 1,
                                                   options.will->retained));
    }
    client_.set_connected_handler([this](const std::string&) { on_connected(); });
    client_.set_connection_lost_handler([this](const std::string& cause) {
      connected_ = false;
      log::debug("mqtt: connection lost (", cause, "), reconnecting");
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
  }

  ~MqttBus() override { stop(); }

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

  void publish(Message message, Qos qos, PublishDone done) override {
    try {
      if (done) {
        auto context = std::make_unique<PublishDone>(std::move(done));
        client_.publish(message.topic, message.payload.data(), message.payload.size(),
                        static_cast<int>(qos), message.retained, context.get(), publish_listener_);
        context.release();  // owned by PublishListener::finish from now on
      } else {
        client_.publish(message.topic, message.payload.data(), message.payload.size(),
                        static_cast<int>(qos), message.retained);
      }
    } catch (const mqtt::exception& e) {
      log::warn("mqtt: publish to ", message.topic, " failed: ", e.what());
      if (done) done(false, e.what());
    }
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
      if (client_.is_connected()) client_.disconnect(std::chrono::milliseconds(500))->wait_for(1000);
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

  void attempt_connect() {
    try {
      client_.connect(connect_options_, nullptr, *this);
    } catch (const mqtt::exception& e) {
      log::warn("mqtt: connect to ", client_.get_server_uri(), " failed: ", e.what());
    }
  }

  // With automatic reconnect Paho keeps retrying a failed first connect by itself (tested).
  void on_success(const mqtt::token&) override {}
  void on_failure(const mqtt::token&) override {
    if (!stopping_) log::debug("mqtt: cannot reach ", client_.get_server_uri(), " yet, retrying");
  }

  void on_connected() {
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
      log::error("mqtt: subscribe refused by the broker (code ", tok.get_return_code(), ")");
    }

   private:
    MqttBus& bus_;
  };

  mqtt::async_client client_;
  mqtt::connect_options connect_options_;
  MessageHandler handler_;
  std::function<void(bool)> connection_handler_;
  PublishListener publish_listener_;
  SubscribedListener subscribed_listener_{*this};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace

std::unique_ptr<Bus> make_mqtt_bus(const BusOptions& options, const std::string& server_uri) {
  return std::make_unique<MqttBus>(options, server_uri);
}

}  // namespace snet::detail
