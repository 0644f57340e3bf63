#include "asio_mqtt_bus.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "mqtt_packets.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/log.hpp"

namespace snet::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxIncoming = 1 << 20;  // a broker packet beyond this is a protocol error
constexpr std::size_t kFirstReadChunk = 512;
constexpr std::size_t kMaxReadChunk = 64 * 1024;
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::seconds(2);
// After DISCONNECT, how long we wait for the broker to close its side (it does at once).
constexpr auto kDisconnectLinger = std::chrono::milliseconds(500);

// One client's connection. Everything but the atomics and the wait runs on the loop thread;
// async completions hold a shared_ptr, and carry the generation they belong to so that
// completions of a dropped connection are ignored.
//
// Emulated faults (control()): `away_` keeps the client disconnected (offline, crash) until
// `online`; `frozen_` parks reads and writes on an open connection (the broker's keepalive
// timeout ends it; the client notices only when it thaws).
//
// Transport: PlainTransport or TlsTransport (mqtt_transport.hpp).
template <typename Transport>
class Connection : public std::enable_shared_from_this<Connection<Transport>> {
 public:
  Connection(asio::io_context& io, std::vector<tcp::endpoint> brokers, const BusOptions& options,
             std::shared_ptr<TlsClient> tls, const std::vector<std::string>& hosts)
      : io_(io),
        brokers_(std::move(brokers)),
        // Clients of a cluster start spread over its nodes (the same client at the same one).
        broker_index_(std::hash<std::string>{}(options.client_id) % brokers_.size()),
        transport_(io, std::move(tls), hosts),
        retry_timer_(io),
        ping_timer_(io),
        client_id_(options.client_id),
        login_(bus_login(options)),
        keepalive_(static_cast<std::uint16_t>(options.keepalive.count())),
        connect_timeout_(options.connect_timeout),
        max_buffered_(static_cast<std::size_t>(std::max(options.max_buffered, 1))),
        clean_session_(!options.persistent_session),
        manual_ack_(options.manual_ack),
        log_changes_(options.log_connection_changes),
        placement_(options.placement) {
    if (options.will)
      will_ = mqtt::Will{options.will->topic, options.will->payload, options.will->retained};
    // A client id, will or login past MQTT's limits is a configuration error: said once, here,
    // rather than thrown on the loop thread at every connect.
    try {
      (void)mqtt::encode_connect(client_id_, keepalive_, will_, clean_session_, login_.user,
                                 login_.password);
    } catch (const mqtt::TooLarge& e) {
      throw std::invalid_argument(std::string("mqtt ") + e.what());
    }
  }

  MessageHandler handler;
  std::function<void(bool)> connection_handler;

  void subscribe(std::string filter, int qos) {
    std::erase(unsubscribed_, filter);
    subscriptions_.emplace_back(std::move(filter), qos);
    if (session_up_) write(mqtt::encode_subscribe(next_id(), {subscriptions_.back()}));
  }

  void unsubscribe(const std::string& filter) {
    std::erase_if(subscriptions_, [&](const auto& s) { return s.first == filter; });
    if (session_up_) {
      write(mqtt::encode_unsubscribe(next_id(), {filter}));
    } else if (!clean_session_) {
      unsubscribed_.push_back(filter);  // the broker's session still has it
    }
  }

  void publish(Message m, int qos, PublishDone done) {
    if (stopped_) return finish(done, false, "bus stopped");
    if (inflight_.size() + held_.size() >= max_buffered_) {
      log::warn("mqtt ", client_id_, ": ", max_buffered_, " messages buffered; dropped one for ",
                m.topic);
      return finish(done, false, "buffer full");
    }
    std::string packet;
    const std::uint16_t id = qos > 0 ? next_id() : 0;
    try {
      packet = mqtt::encode_publish(m.topic, m.payload, qos, m.retained, id);
    } catch (const mqtt::TooLarge& e) {
      log::warn("mqtt ", client_id_, ": not published: ", e.what());
      return finish(done, false, e.what());
    }
    if (qos > 0) {
      if (session_up_) write(packet);
      inflight_.emplace(id, Outgoing{std::move(packet), std::move(done)});
    } else if (session_up_) {
      write(std::move(packet));
      finish(done, true, "");
    } else {
      held_.push_back(std::move(packet));
      finish(done, true, "");
    }
  }

  void connect() {
    if (stopped_ || away_) return;
    const auto gen = ++generation_;
    if constexpr (Transport::tls) {
      close();  // the last attempt's stream lives on in its pending handlers, not here
      transport_.renew(broker_index_);
    }
    if (!placement_.empty()) {
      close();
      try {
        transport_.tcp().assign(broker().protocol(),
                                open_placed_socket(placement_, broker().address().is_v6()));
      } catch (const std::system_error& e) {
        return drop(std::string("placed socket: ") + e.what());
      }
    }
    // Until CONNACK the ping timer bounds the attempt (on_connack's first ping replaces it).
    ping_timer_.expires_after(connect_timeout_);
    ping_timer_.async_wait([self = this->shared_from_this(), gen](const error_code& ec) {
      if (ec || gen != self->generation_ || self->stopped_ || self->session_up_) return;
      if (self->frozen_) return;  // a hung device keeps whatever it had
      self->drop("no CONNACK within " + std::to_string(self->connect_timeout_.count()) + " ms");
    });
    transport_.tcp().async_connect(broker(), [self = this->shared_from_this(), gen,
                                              hold = transport_.hold()](const error_code& ec) {
      if (gen != self->generation_ || self->stopped_) return;
      if (ec) return self->drop("connect: " + ec.message());
      error_code ignored;
      self->transport_.tcp().set_option(tcp::no_delay(true), ignored);
      self->transport_.handshake([self, gen](const error_code& tls_error) {
        if (gen != self->generation_ || self->stopped_) return;
        if (tls_error) return self->tls_failed(tls_error);
        self->write(mqtt::encode_connect(self->client_id_, self->keepalive_, self->will_,
                                         self->clean_session_, self->login_.user,
                                         self->login_.password));
        self->read();
      });
    });
  }

  void stop(std::function<void()> stopped) {
    if (stopped_) return stopped();
    stopped_ = true;
    retry_timer_.cancel();
    ping_timer_.cancel();
    handler = nullptr;
    connection_handler = nullptr;
    set_connected(false);
    if (!transport_.tcp().is_open() || !session_up_ || frozen_) {
      close();
      return stopped();
    }
    // DISCONNECT goes after whatever is queued. Once it is written we half-close and read (and
    // discard) until the broker closes: closing with unread bytes in our receive buffer, e.g. our
    // own offline status echoed to a subscriber of it, makes the kernel send a reset, and a broker
    // that sees the reset before it read our DISCONNECT publishes our will (seen in CI).
    on_stopped_ = std::move(stopped);
    on_flushed_ = [self = this->shared_from_this()] {
      error_code ignored;
      self->transport_.tcp().shutdown(tcp::socket::shutdown_send, ignored);
      self->retry_timer_.expires_after(kDisconnectLinger);
      self->retry_timer_.async_wait([self](const error_code& ec) {
        if (!ec) self->drop("the broker kept the connection open after DISCONNECT");
      });
    };
    write(mqtt::encode_disconnect());
  }

  void control(ConnectionControl fault) {
    if (stopped_) return;
    switch (fault) {
      case ConnectionControl::online:
        away_ = false;
        if (frozen_) return thaw();
        if (!transport_.tcp().is_open()) {
          retry_timer_.cancel();
          connect();
        }
        return;
      case ConnectionControl::offline:
        away_ = true;
        frozen_ = false;
        if (!session_up_) return drop("taken offline");
        on_flushed_ = [self = this->shared_from_this()] { self->drop("taken offline"); };
        set_connected(false);
        write(mqtt::encode_disconnect());  // after what is queued; then the socket closes
        return;
      case ConnectionControl::crash:
        away_ = true;
        frozen_ = false;
        return abort_connection("crashed");
      case ConnectionControl::freeze:
        frozen_ = true;
        return;
      case ConnectionControl::reconnect:
        away_ = false;
        frozen_ = false;
        backoff_ = std::chrono::milliseconds(0);  // straight back, like every other member
        return abort_connection("reconnect storm");
    }
  }

  bool wait_connected(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return connected_.load(); });
  }
  bool connected() const { return connected_; }
  asio::io_context& io() { return io_; }

 private:
  struct Outgoing {
    std::string packet;
    PublishDone done;
  };

  static void finish(const PublishDone& done, bool ok, const std::string& error) {
    if (done) done(ok, error);
  }

  std::uint16_t next_id() {
    if (++last_id_ == 0) last_id_ = 1;
    return last_id_;
  }

  void set_connected(bool up) {
    {
      std::lock_guard lock(mutex_);
      if (connected_ == up) return;
      connected_ = up;
    }
    cv_.notify_all();
    if (connection_handler) connection_handler(up);
  }

  void write(std::string packet) {
    queued_.push_back(std::move(packet));
    if (!write_in_flight_ && !frozen_) flush();
  }

  // One write in flight, carrying everything queued so far; the batch lives in the handler, so
  // a dropped connection's aborted write never points at freed memory.
  void flush() {
    write_in_flight_ = true;
    auto batch = std::make_shared<std::vector<std::string>>(std::move(queued_));
    queued_.clear();
    if constexpr (Transport::tls) {
      // A TLS stream writes one record per buffer: one buffer, one record, one send.
      if (batch->size() > 1) {
        std::string joined;
        for (const auto& p : *batch) joined += p;
        batch->assign(1, std::move(joined));
      }
    }
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(batch->size());
    for (const auto& p : *batch) buffers.emplace_back(asio::buffer(p));
    const auto gen = generation_;
    asio::async_write(transport_.stream(), buffers,
                      [self = this->shared_from_this(), gen, batch, hold = transport_.hold()](
                          const error_code& ec, std::size_t) {
                        if (gen != self->generation_) return;
                        self->write_in_flight_ = false;
                        if (ec) return self->drop("write: " + ec.message());
                        self->last_sent_ = Clock::now();
                        if (!self->queued_.empty() && !self->frozen_) return self->flush();
                        if (self->queued_.empty() && self->on_flushed_) {
                          std::exchange(self->on_flushed_, nullptr)();
                        }
                      });
  }

  void read() {
    if (frozen_) {
      read_parked_ = true;  // thaw() reads again
      return;
    }
    const std::size_t used = inbox_used_;
    // Grown only: resizing to each read's size would zero-fill the whole chunk every read.
    if (inbox_.size() < used + read_chunk_) inbox_.resize(used + read_chunk_);
    const auto gen = generation_;
    transport_.stream().async_read_some(
        asio::buffer(inbox_.data() + used, read_chunk_),
        [self = this->shared_from_this(), gen, used, hold = transport_.hold()](const error_code& ec,
                                                                               std::size_t n) {
          if (gen != self->generation_) return;
          self->inbox_used_ = used + n;
          // A full read: more is waiting, so read more at once next time (one syscall and one
          // handler for many packets: a subscriber of thousands of messages a second). A quiet
          // connection (an agent's device) keeps the small buffer.
          if (n == self->read_chunk_)
            self->read_chunk_ = std::min(self->read_chunk_ * 2, kMaxReadChunk);
          if (ec) return self->drop("read: " + ec.message());
          self->consume();
        });
  }

  void consume() {
    std::size_t offset = 0;
    try {
      const std::string_view inbox(inbox_.data(), inbox_used_);
      while (auto next = mqtt::next_packet(inbox.substr(offset), kMaxIncoming)) {
        offset += next->second;
        const auto gen = generation_;
        if (stopped_) continue;  // draining after DISCONNECT (see stop()): read to the end
        handle(next->first);
        if (gen != generation_) return;  // the packet ended this connection
      }
    } catch (const mqtt::ProtocolError& e) {
      return drop(std::string("protocol error: ") + e.what());
    }
    std::copy(inbox_.begin() + static_cast<std::ptrdiff_t>(offset),
              inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_used_), inbox_.begin());
    inbox_used_ -= offset;
    read();
  }

  void handle(const mqtt::Packet& packet) {
    switch (packet.type) {
      case mqtt::Type::connack:
        return on_connack(mqtt::decode_connack(packet), mqtt::connack_session_present(packet));
      case mqtt::Type::suback:
        if (mqtt::decode_id(packet) != subscribe_id_) return;
        if (!mqtt::suback_granted(packet))
          log::error("mqtt ", client_id_, ": subscription refused");
        return set_connected(true);
      case mqtt::Type::unsuback:
        return;  // nothing waits for it: unsubscribe() does not block
      case mqtt::Type::publish:
        return on_publish(mqtt::decode_publish(packet));
      case mqtt::Type::puback: {
        auto it = inflight_.find(mqtt::decode_id(packet));
        if (it == inflight_.end()) return;
        PublishDone done = std::move(it->second.done);
        inflight_.erase(it);
        return finish(done, true, "");
      }
      case mqtt::Type::pingresp:
        ping_outstanding_ = false;
        return;
      default:
        return;  // nothing else is sent to a 3.1.1 client that only uses QoS 0/1
    }
  }

  void on_connack(int rc, bool session_present) {
    if (rc != 0)
      return drop("broker refused the connection (CONNACK code " + std::to_string(rc) + ")");
    session_up_ = true;
    backoff_ = kFirstBackoff;
    failed_in_round_ = 0;
    if (log_changes_ && ever_connected_) {
      log::info("mqtt ", client_id_, ": reconnected",
                clean_session_ ? "" : (session_present ? " (session resumed)" : " (new session)"));
    }
    ever_connected_ = true;
    if (!unsubscribed_.empty()) {
      write(mqtt::encode_unsubscribe(next_id(), unsubscribed_));
      unsubscribed_.clear();
    }
    if (subscriptions_.empty()) {
      set_connected(true);
    } else {
      subscribe_id_ = next_id();
      write(mqtt::encode_subscribe(subscribe_id_, subscriptions_));
    }
    for (auto& [id, out] : inflight_) {
      mqtt::mark_duplicate(out.packet);
      write(out.packet);
    }
    for (auto& packet : held_) write(std::move(packet));
    held_.clear();
    schedule_ping();
  }

  void on_publish(const mqtt::Publish& p) {
    Message message{std::string(p.topic), std::string(p.payload), p.retain, {}};
    if (manual_ack_) {
      message.ack = [] {};  // QoS 0: nothing to acknowledge
      if (p.qos == 1) message.ack = make_ack(p.id);
    }
    if (handler) handler(message);
    if (p.qos == 1 && !manual_ack_ && !stopped_) write(mqtt::encode_puback(p.id));
  }

  // A PUBACK for packet `id` of this connection, sent from the loop thread whenever it is called;
  // after a reconnect the broker delivers the message again instead.
  std::function<void()> make_ack(std::uint16_t id) {
    return [weak = this->weak_from_this(), gen = generation_, id,
            once = std::make_shared<std::atomic<bool>>(false)] {
      if (once->exchange(true)) return;
      auto self = weak.lock();
      if (!self) return;
      asio::post(self->io_, [self, gen, id] {
        if (gen == self->generation_ && self->session_up_ && !self->stopped_) {
          self->write(mqtt::encode_puback(id));
        }
      });
    };
  }

  void schedule_ping() {
    if (keepalive_ == 0) return;
    const auto half = std::chrono::milliseconds(keepalive_ * 500);
    ping_timer_.expires_after(half);
    const auto gen = generation_;
    ping_timer_.async_wait([self = this->shared_from_this(), gen, half](const error_code& ec) {
      if (ec || gen != self->generation_ || self->stopped_) return;
      if (self->frozen_) return self->schedule_ping();  // a hung device sends nothing
      if (self->ping_outstanding_) return self->drop("no answer to a ping: broker gone");
      if (Clock::now() - self->last_sent_ >= half) {
        self->ping_outstanding_ = true;
        self->write(mqtt::encode_pingreq());
      }
      self->schedule_ping();
    });
  }

  void close() {
    error_code ignored;
    transport_.tcp().shutdown(tcp::socket::shutdown_both, ignored);
    transport_.tcp().close(ignored);
  }

  // A refused TLS handshake (wrong CA, a certificate for another host, not a TLS port) is a
  // configuration error, logged as one (once per reason for all connections sharing the CA),
  // where an unreachable broker is only retried.
  void tls_failed(const error_code& ec) {
    if constexpr (Transport::tls) {
      transport_.client().report_failure(client_id_, transport_.host(), ec.message());
    }
    drop("TLS handshake: " + ec.message());
  }

  // Ends the connection without DISCONNECT, the way a crash or a pulled cable does: a reset, so
  // the broker publishes the last will at once.
  void abort_connection(const std::string& why) {
    if (transport_.tcp().is_open()) {
      error_code ignored;
      transport_.tcp().set_option(asio::socket_base::linger(true, 0), ignored);
    }
    drop(why);
  }

  void thaw() {
    frozen_ = false;
    if (read_parked_) {
      read_parked_ = false;
      read();
    }
    if (!queued_.empty() && !write_in_flight_) flush();
  }

  void drop(const std::string& why) {
    const bool was_up = session_up_;
    ++generation_;  // everything in flight for this connection is now stale
    close();
    ping_timer_.cancel();
    inbox_used_ = 0;
    queued_.clear();
    write_in_flight_ = false;
    read_parked_ = false;
    session_up_ = false;
    ping_outstanding_ = false;
    on_flushed_ = nullptr;
    if (stopped_) {
      retry_timer_.cancel();  // the linger after DISCONNECT
      if (on_stopped_) std::exchange(on_stopped_, nullptr)();
      return;
    }
    set_connected(false);
    if (away_) {
      if (log_changes_) log::info("mqtt ", client_id_, ": ", why, "; staying away until online");
      return;
    }
    if (brokers_.size() > 1 && fail_over(why)) return;
    if (log_changes_ && was_up) {
      // The broker closing a healthy connection is its way of saying another client took our
      // client id (or that it is shutting down): worth a warning, never silence.
      const bool closed_by_broker = why.find("End of file") != std::string::npos;
      log::warn("mqtt ", client_id_, ": connection lost (", why, ")",
                closed_by_broker ? ": the broker closed it (shutting down, or another client "
                                   "connected with our client id)"
                                 : "",
                "; reconnecting in ", backoff_.count(), " ms");
    } else {
      log::debug("mqtt ", client_id_, ": ", why, "; reconnecting in ", backoff_.count(), " ms");
    }
    retry_timer_.expires_after(backoff_);
    backoff_ = std::min<std::chrono::milliseconds>(
        std::max<std::chrono::milliseconds>(backoff_ * 2, kFirstBackoff), kMaxBackoff);
    retry_timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
      if (!ec) self->connect();
    });
  }

  // A cluster's next node at once (reconnecting where it failed could wait out a dead node);
  // returns false once every node failed in turn: then the caller backs off.
  bool fail_over(const std::string& why) {
    const tcp::endpoint from = broker();
    broker_index_ = (broker_index_ + 1) % brokers_.size();
    if (++failed_in_round_ >= brokers_.size()) {
      failed_in_round_ = 0;
      return false;
    }
    if (log_changes_) {
      log::info("mqtt ", client_id_, ": ", why, " at ", from, "; failing over to ", broker());
    }
    retry_timer_.expires_after(std::chrono::milliseconds(0));
    retry_timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
      if (!ec) self->connect();
    });
    return true;
  }

  const tcp::endpoint& broker() const { return brokers_[broker_index_]; }

  asio::io_context& io_;
  const std::vector<tcp::endpoint> brokers_;  // one, or a cluster's nodes in the URL's order
  std::size_t broker_index_;                  // the node this connection goes to
  std::size_t failed_in_round_ = 0;           // nodes failed since the last session or back-off
  Transport transport_;
  asio::steady_timer retry_timer_, ping_timer_;
  std::string client_id_;
  BusLogin login_;
  std::optional<mqtt::Will> will_;
  std::uint16_t keepalive_;
  std::chrono::milliseconds connect_timeout_;
  std::size_t max_buffered_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  std::vector<std::string> unsubscribed_;  // while disconnected: still in the broker's session
  std::string inbox_;                      // bytes read: the first inbox_used_ of it
  std::size_t inbox_used_ = 0;
  std::size_t read_chunk_ = kFirstReadChunk;    // bytes asked for by the next read
  std::vector<std::string> queued_;             // waiting for the write in flight to finish
  std::map<std::uint16_t, Outgoing> inflight_;  // QoS 1 awaiting PUBACK
  std::vector<std::string> held_;               // QoS 0 published while disconnected
  std::function<void()> on_flushed_;            // once everything queued is written
  std::function<void()> on_stopped_;            // stop()'s completion
  std::uint64_t generation_ = 0;
  std::uint16_t last_id_ = 0, subscribe_id_ = 0;
  bool session_up_ = false, ping_outstanding_ = false, stopped_ = false;
  bool write_in_flight_ = false;
  const bool clean_session_, manual_ack_, log_changes_;
  const SocketPlacement placement_;
  bool ever_connected_ = false;
  bool away_ = false;         // offline or crashed on purpose: no reconnect until online
  bool frozen_ = false;       // hung on purpose: no reads, no writes
  bool read_parked_ = false;  // a read was due while frozen
  std::chrono::milliseconds backoff_ = kFirstBackoff;
  Clock::time_point last_sent_ = Clock::now();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> connected_{false};
};

template <typename Transport>
class AsioMqttBus final : public Bus {
  using Connection = detail::Connection<Transport>;

 public:
  AsioMqttBus(asio::io_context& io, std::vector<tcp::endpoint> brokers, const BusOptions& options,
              std::shared_ptr<TlsClient> tls, const std::vector<std::string>& hosts)
      : connection_(
            std::make_shared<Connection>(io, std::move(brokers), options, std::move(tls), hosts)) {}
  ~AsioMqttBus() override { stop(); }

  void on_message(MessageHandler handler) override { connection_->handler = std::move(handler); }
  void on_connection_change(std::function<void(bool)> handler) override {
    connection_->connection_handler = std::move(handler);
  }
  void subscribe(const std::string& filter, Qos qos) override {
    check_filter(filter);
    run([filter, qos](Connection& c) { c.subscribe(filter, static_cast<int>(qos)); });
  }
  void subscribe_shared(const std::string& group, const std::string& filter, Qos qos) override {
    subscribe("$share/" + group + "/" + filter, qos);
  }
  void unsubscribe(const std::string& filter) override {
    check_filter(filter);
    run([filter](Connection& c) { c.unsubscribe(filter); });
  }
  void publish(Message message, Qos qos, PublishDone done) override {
    run([m = std::move(message), qos, d = std::move(done)](Connection& c) mutable {
      c.publish(std::move(m), static_cast<int>(qos), std::move(d));
    });
  }
  void start() override {
    started_ = true;
    run([](Connection& c) { c.connect(); });
  }
  bool wait_connected(std::chrono::milliseconds timeout) override {
    return connection_->wait_connected(timeout);
  }
  bool connected() const override { return connection_->connected(); }
  bool control(ConnectionControl fault) override {
    run([fault](Connection& c) { c.control(fault); });
    return true;
  }

  void begin_stop() override {
    if (stopping_.exchange(true)) return;
    auto done = std::make_shared<std::promise<void>>();
    stop_done_ = done->get_future();
    stop_deadline_ = std::chrono::steady_clock::now() + kStopTimeout;
    run([done](Connection& c) { c.stop([done] { done->set_value(); }); });
  }

  void stop() override {
    begin_stop();
    // Handlers run on the loop thread; waiting there would wait for ourselves.
    if (stop_done_.valid() && !connection_->io().get_executor().running_in_this_thread()) {
      stop_done_.wait_until(stop_deadline_);
      stop_done_ = {};
    }
  }

 private:
  // On the caller's thread: the loop thread could only fail with it.
  static void check_filter(const std::string& filter) {
    if (filter.size() > 0xFFFF) {
      throw std::invalid_argument("an MQTT topic filter of " + std::to_string(filter.size()) +
                                  " bytes (at most 65,535)");
    }
  }

  // Runs `fn` on the loop thread, in call order.
  template <typename Fn>
  void run(Fn&& fn) {
    asio::post(connection_->io(),
               [c = connection_, fn = std::forward<Fn>(fn)]() mutable { fn(*c); });
  }

  static constexpr auto kStopTimeout = std::chrono::seconds(1);

  std::shared_ptr<Connection> connection_;
  std::atomic<bool> started_{false}, stopping_{false};
  // begin_stop()'s completion and how long stop() waits for it (the owner's thread only).
  std::future<void> stop_done_;
  std::chrono::steady_clock::time_point stop_deadline_;
};

}  // namespace

std::unique_ptr<Bus> make_asio_mqtt_bus(asio::io_context& io, std::vector<tcp::endpoint> brokers,
                                        const BusOptions& options, std::shared_ptr<TlsClient> tls,
                                        const std::vector<std::string>& hosts) {
  if (brokers.empty()) throw std::invalid_argument("mqtt: no broker endpoint");
  if (tls) {
    if (hosts.size() != brokers.size()) {
      throw std::invalid_argument("mqtts: one host name per broker node needed");
    }
    return std::make_unique<AsioMqttBus<TlsTransport>>(io, std::move(brokers), options,
                                                       std::move(tls), hosts);
  }
  return std::make_unique<AsioMqttBus<PlainTransport>>(io, std::move(brokers), options, nullptr,
                                                       hosts);
}

}  // namespace snet::detail
