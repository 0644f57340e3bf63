// snet_amqp_bus_bench: one-hop latency and confirmed throughput of a Bus against a real broker.
// Prints numbers, never pass/fail. Starts its own RabbitMQ (or mosquitto, for comparison) on
// free ports unless --url is given.
//   latency:    publish one message (QoS 1 unless --qos 0), wait until the subscriber has it,
//   repeat (p50/p99) throughput: publish a burst of messages; time until every PublishDone fired
//               (publisher confirms) and until the subscriber received all
//   --tls:      the broker it starts listens on TLS too (a CA of its own) and the buses use it
//   --loop:     MQTT buses are the BusLoop's Asio client (the agents', relayer's, state's), not
//   Paho
//   --ack-delay-us N: the subscriber uses manual_ack and acknowledges each message N us after it
//               arrived, from another thread (as a relayer acks once its commands are confirmed)
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "snet/broker_launcher.hpp"
#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"
#include "snet/clock.hpp"
#include "snet/flags.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"
#include "snet/rabbitmq_launcher.hpp"
#include "snet/tls_files.hpp"
#include "stats.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A temporary folder for a broker's data, removed at the end.
struct WorkDir {
  WorkDir() {
    std::string templ = (fs::temp_directory_path() / "snet-amqp-bench-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp " + templ);
    path = templ;
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

// Counts arrivals so the publisher can wait for one (latency) or for all (throughput).
class Arrivals {
 public:
  void add(std::int64_t latency_us) {
    {
      std::lock_guard lock(mutex_);
      ++count_;
      if (latency_us >= 0) samples_.push_back(latency_us);
    }
    cv_.notify_all();
  }
  bool wait(long count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= count; });
  }
  std::vector<std::int64_t> samples() {
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  long count_ = 0;
  std::vector<std::int64_t> samples_;
};

// Calls each message's ack a fixed delay after it arrived, on a thread of its own.
class DelayedAcker {
 public:
  explicit DelayedAcker(std::chrono::microseconds delay)
      : delay_(delay), thread_([this] { loop(); }) {}
  ~DelayedAcker() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void add(const snet::Message& m) {
    {
      std::lock_guard lock(mutex_);
      due_.emplace_back(std::chrono::steady_clock::now() + delay_, m.ack);
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!done_) {
      if (due_.empty()) {
        cv_.wait(lock);
      } else if (std::chrono::steady_clock::now() < due_.front().first) {
        cv_.wait_until(lock, due_.front().first);
      } else {
        const auto ack = std::move(due_.front().second);
        due_.pop_front();
        lock.unlock();
        if (ack) ack();
        lock.lock();
      }
    }
  }
  const std::chrono::microseconds delay_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> due_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

snet::BusLoop* g_loop = nullptr;  // --loop

std::unique_ptr<snet::Bus> bus_for(const std::string& url, const std::string& client_id,
                                   bool manual_ack = false) {
  snet::BusOptions opt;
  opt.url = url;
  opt.client_id = client_id;
  opt.manual_ack = manual_ack;
  return g_loop != nullptr ? g_loop->make_bus(opt) : snet::make_bus(opt);
}

void run(const std::string& url, long messages, long burst, bool durable, snet::Qos qos,
         long ack_delay_us) {
  const std::string topic = "snet/bench/cmd/" + snet::new_press_id().substr(0, 8);
  std::optional<DelayedAcker> acker;
  if (ack_delay_us >= 0) acker.emplace(std::chrono::microseconds(ack_delay_us));
  Arrivals arrivals;
  std::atomic<bool> timing{true};
  auto sub = bus_for(url, durable ? "bench-sub-" + snet::new_press_id().substr(0, 8) : "",
                     acker.has_value());
  auto pub = bus_for(url, "");
  sub->on_message([&](const snet::Message& m) {
    arrivals.add(timing ? snet::now_us() - std::stoll(m.payload) : -1);
    if (acker) acker->add(m);
  });
  sub->subscribe(topic, snet::Qos::at_least_once);
  sub->start();
  pub->start();
  if (!sub->wait_connected(10s) || !pub->wait_connected(10s)) {
    throw std::runtime_error("cannot connect to " + url);
  }

  for (long i = 0; i < messages; ++i) {
    pub->publish({topic, std::to_string(snet::now_us()), false, {}}, qos);
    if (!arrivals.wait(i + 1, 5s)) throw std::runtime_error("latency: message lost");
  }
  const auto s = snet::bench::summarize(arrivals.samples());
  std::printf("  one hop (QoS %d)          p50 %8.1f us   p99 %8.1f us   max %9.1f us   n=%zu\n",
              static_cast<int>(qos), s.p50_us, s.p99_us, s.max_us, s.count);

  timing = false;
  std::mutex mutex;
  std::condition_variable cv;
  long confirmed = 0, refused = 0;
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> all_confirmed;
  for (long i = 0; i < burst; ++i) {
    pub->publish({topic, "0", false, {}}, qos, [&](bool ok, const std::string&) {
      std::lock_guard lock(mutex);
      (ok ? confirmed : refused)++;
      if (confirmed + refused == burst) {
        all_confirmed = std::chrono::steady_clock::now();
        cv.notify_all();
      }
    });
  }
  {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, 60s, [&] { return confirmed + refused == burst; });
  }
  const bool all_received = arrivals.wait(messages + burst, 60s);
  const auto received_at = std::chrono::steady_clock::now();
  const auto secs = [&](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(t - start).count();
  };
  if (all_confirmed) {
    std::printf("  burst of %ld QoS %d      confirmed in %6.3f s = %8.0f msg/s (%ld refused)\n",
                burst, static_cast<int>(qos), secs(*all_confirmed),
                static_cast<double>(burst) / secs(*all_confirmed), refused);
  } else {
    std::printf("  burst of %ld QoS 1      NOT all confirmed within 60 s (%ld ok)\n", burst,
                confirmed);
  }
  std::printf("                           received in %6.3f s = %8.0f msg/s%s\n", secs(received_at),
              static_cast<double>(burst) / secs(received_at),
              all_received ? "" : " (NOT all received)");
  pub->stop();
  sub->stop();
}

}  // namespace

int main(int argc, char** argv) {
  snet::Flags flags("snet_amqp_bus_bench", "One-hop latency and confirmed throughput of a Bus");
  flags.add("url", "", "", "broker URL; empty: start a broker (see --broker)")
      .add("broker", "", "rabbitmq", "rabbitmq | mosquitto (when --url is empty)")
      .add("protocol", "", "amqp", "amqp | mqtt: how to talk to the RabbitMQ it starts")
      .add("messages", "", "5000", "latency samples")
      .add("burst", "", "20000", "messages in the throughput burst")
      .add("qos", "", "1", "0 | 1 (on AMQP: 1 = persistent messages)")
      .add("amqp-options", "", "",
           "query added to the started node's AMQP URL, e.g. persistent=false")
      .add("ack-delay-us", "", "-1",
           "subscriber acks manually this long after each arrival (-1: automatic acks)")
      .add_switch("durable", "", "subscriber with a stable client id (durable queue on AMQP)")
      .add_switch("tls", "", "the started broker's TLS listener (mqtts://, amqps://)")
      .add_switch("loop", "", "MQTT over the BusLoop's Asio client instead of Paho");
  try {
    if (!flags.parse(argc, argv)) return 0;
    WorkDir dir;
    std::string url = flags.str("url");
    const bool tls = flags.on("tls");
    snet::TlsFiles files;
    if (tls) {
      files = snet::prepare_tls_files((dir.path / "tls").string(), {});
      ::setenv(snet::kBrokerCaFileEnv, files.ca_cert.c_str(), 1);
    }
    std::optional<snet::BusLoop> loop;
    if (flags.on("loop")) g_loop = &loop.emplace();
    std::unique_ptr<snet::RabbitMqServer> rabbit;
    std::unique_ptr<snet::MosquittoServer> mosquitto;
    if (url.empty() && flags.str("broker") == "mosquitto") {
      snet::MosquittoOptions opt;
      opt.port = snet::free_port();
      opt.data_dir = dir.path.string();
      if (tls) {
        opt.tls_port = snet::free_port();
        opt.tls_ca_file = files.ca_cert;
        opt.tls_cert_file = files.server_cert;
        opt.tls_key_file = files.server_key;
      }
      mosquitto = std::make_unique<snet::MosquittoServer>(opt);
      url = tls ? mosquitto->tls_url() : mosquitto->url();
    } else if (url.empty()) {
      snet::RabbitMqOptions opt;
      opt.amqp_port = snet::free_port();
      opt.mqtt_port = snet::free_port();
      opt.data_dir = dir.path.string();
      if (tls) {
        opt.amqps_port = snet::free_port();
        opt.mqtts_port = snet::free_port();
        opt.tls_ca_file = files.ca_cert;
        opt.tls_cert_file = files.server_cert;
        opt.tls_key_file = files.server_key;
      }
      rabbit = std::make_unique<snet::RabbitMqServer>(opt);
      std::printf("RabbitMQ node ready in %lld ms\n",
                  static_cast<long long>(rabbit->start_duration().count()));
      if (flags.str("protocol") == "mqtt") {
        url = tls ? rabbit->mqtts_url() : rabbit->mqtt_url();
      } else {
        url = tls ? rabbit->amqps_url() : rabbit->amqp_url();
      }
      if (url.rfind("amqp", 0) == 0 && !flags.str("amqp-options").empty()) {
        url += "?" + flags.str("amqp-options");
      }
    }
    const long ack_delay_us = flags.integer("ack-delay-us", -1, 10'000'000);
    std::printf("%s%s bus on %s, %s subscriber, %s\n", url.rfind("amqp", 0) == 0 ? "AMQP" : "MQTT",
                tls ? " (TLS)" : "", mosquitto ? "mosquitto" : "RabbitMQ",
                flags.on("durable") ? "durable" : "clean",
                ack_delay_us < 0
                    ? "automatic acks"
                    : ("manual acks " + std::to_string(ack_delay_us) + " us late").c_str());
    run(url, flags.integer("messages", 1, 10'000'000), flags.integer("burst", 1, 10'000'000),
        flags.on("durable"),
        flags.integer("qos", 0, 1) == 1 ? snet::Qos::at_least_once : snet::Qos::at_most_once,
        ack_delay_us);
    return 0;
  } catch (const snet::UsageError& e) {
    std::fprintf(stderr, "%s\n%s", e.what(), flags.help().c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "snet_amqp_bus_bench: %s\n", e.what());
    return 1;
  }
}
