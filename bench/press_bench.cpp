// snet-bench: measures the press path against a real broker and real services, and prints
// numbers and ratios (never pass/fail). Sections:
//   (a) raw broker baseline: one hop publisher -> broker -> subscriber, QoS 0 and QoS 1
//   (b) press -> actuator state latency through relayer and agent, with the builtin compute and
//       with the OpenWhisk action flip_switch on a bundled snet-whisk (--compute)
//   (c) sustained presses/s at QoS 1, and how many were lost; with --neighbour cpu:N also beside N
//       CPU-bound threads of another program (this binary with --spin N, in its own session like
//       a parallel build), and the ratio loaded/quiet against the goal of >= 0.50
//   (d) N devices in one agent: time until all are connected, RSS per device
// By default it starts its own mosquitto on a free port (or uses --broker-url); with
// --broker rabbitmq its own RabbitMQ node, services and bench clients on AMQP, and the emulated
// devices on AMQP or (--device-protocol mqtt) on RabbitMQ's MQTT plugin.
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "process_stats.hpp"
#include "snet/broker_launcher.hpp"
#include "snet/bus.hpp"
#include "snet/clock.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"
#include "snet/process.hpp"
#include "snet/rabbitmq_launcher.hpp"
#include "snet/shutdown.hpp"
#include "snet/topics.hpp"
#include "stats.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using snet::bench::cpu_seconds;
using snet::bench::cpu_seconds_with_children;
using snet::bench::rss_kb;
using snet::bench::Summary;

namespace {

struct Context {
  std::string broker_url;
  std::string mqtt_url;              // MQTT devices on RabbitMQ: its plugin; else = broker_url
  std::string broker = "mosquitto";  // as the topologies written here say
  std::string device_protocol;       // empty: the broker's own
  std::string bin_dir;
  fs::path work_dir;
  std::string compute = "builtin";  // or "openwhisk": flip_switch on snet-whisk at whisk_url
  std::string whisk_url;
  pid_t whisk_pid = -1;  // snet-whisk, whose children are its Node.js workers
  int relayers = 1;      // competing relayers (one share group) on the press path
};

void print_latency(const std::string& label, const Summary& s) {
  std::printf("  %-34s p50 %8.1f us   p99 %8.1f us   max %9.1f us   n=%zu   >40ms: %zu\n",
              label.c_str(), s.p50_us, s.p99_us, s.max_us, s.count, s.over_40ms);
}

std::unique_ptr<snet::Bus> connect(const std::string& url, const std::string& id) {
  snet::BusOptions opt;
  opt.url = url;
  opt.client_id = id;
  return snet::make_bus(opt);
}

// Waits for a sequence number to arrive: the ping-pong used by (a) and (b).
class Waiter {
 public:
  void arrived(long seq) {
    {
      std::lock_guard lock(mutex_);
      last_ = seq;
    }
    cv_.notify_one();
  }
  bool wait(long seq, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return last_ >= seq; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  long last_ = -1;
};

// (a) one hop: publish a sequence number, the subscriber (same process, same clock) receives it.
Summary raw_hop(const Context& ctx, snet::Qos qos, int count, double* rate) {
  auto sub = connect(ctx.broker_url, "bench-sub");
  auto pub = connect(ctx.broker_url, "bench-pub");
  const std::string topic = "bench/hop/" + std::to_string(static_cast<int>(qos));
  Waiter waiter;
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(count));
  std::atomic<long> received{0};
  std::atomic<bool> timing{true};
  sub->on_message([&](const snet::Message& m) {
    const long seq = std::stol(m.payload.substr(0, m.payload.find(' ')));
    if (timing) {
      const auto sent = std::stoll(m.payload.substr(m.payload.find(' ') + 1));
      samples.push_back(snet::now_us() - sent);
      waiter.arrived(seq);
    }
    ++received;
  });
  sub->subscribe(topic, qos);
  sub->start();
  pub->start();
  if (!sub->wait_connected(10s) || !pub->wait_connected(10s)) throw std::runtime_error("connect");
  for (long i = 0; i < count; ++i) {
    pub->publish({topic, std::to_string(i) + " " + std::to_string(snet::now_us()), false, {}}, qos);
    if (!waiter.wait(i, 5s)) throw std::runtime_error("raw hop: message lost");
  }
  // Rate: a burst of messages, time until the last arrives.
  timing = false;
  received = 0;
  const long burst = 50'000;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < burst; ++i) pub->publish({topic, std::to_string(i) + " 0", false, {}}, qos);
  const auto deadline = start + 30s;
  while (received < burst && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *rate = static_cast<double>(received.load()) / secs;
  pub->stop();
  sub->stop();
  return snet::bench::summarize(std::move(samples));
}

fs::path write_pairs_topology(const Context& ctx, const std::string& name, int pairs) {
  const fs::path path = ctx.work_dir / (name + ".json");
  nlohmann::json doc = {{"name", name}, {"broker", ctx.broker}, {"pairs", {{"count", pairs}}}};
  if (ctx.compute == "openwhisk") {
    doc["compute"] = {{"backend", "openwhisk"}, {"action", "flip_switch"}};
  }
  if (!ctx.device_protocol.empty()) doc["pairs"]["protocol"] = ctx.device_protocol;
  std::ofstream(path) << doc.dump(2);
  return path;
}

snet::ChildProcess start_service(const Context& ctx, const std::string& program,
                                 std::vector<std::string> args, const std::string& log_name) {
  return snet::bench::start_program(ctx.bin_dir, ctx.work_dir, program, std::move(args), log_name);
}

// Waits until a service's retained status reports a metric at least `want`.
bool wait_for_metric(const Context& ctx, const std::string& topology, const std::string& service,
                     const std::string& metric, long want, std::chrono::seconds timeout) {
  auto bus = connect(ctx.broker_url, "bench-status-" + std::to_string(snet::now_us()));
  std::mutex mutex;
  std::condition_variable cv;
  long seen = -1;
  bus->on_message([&](const snet::Message& m) {
    try {
      const auto status = snet::parse_status(m.payload);
      const auto metrics = nlohmann::json::parse(status.metrics_json);
      if (status.online && metrics.contains(metric)) {
        std::lock_guard lock(mutex);
        seen = metrics[metric].get<long>();
        cv.notify_all();
      }
    } catch (const std::exception&) {
      // A foreign payload on the status topic: ignore it.
    }
  });
  bus->subscribe(snet::topics::make(topology, snet::topics::Kind::status, service),
                 snet::Qos::at_least_once);
  bus->start();
  std::unique_lock lock(mutex);
  return cv.wait_for(lock, timeout, [&] { return seen >= want; });
}

struct PressPath {
  std::vector<snet::ChildProcess> relayers;
  snet::ChildProcess agent;
};

PressPath start_press_path(const Context& ctx, const std::string& name, int pairs) {
  const std::string topo = write_pairs_topology(ctx, name, pairs).string();
  PressPath path;
  std::vector<std::string> relayer_args = {"--broker-url", ctx.broker_url, "--topology", topo};
  if (ctx.compute == "openwhisk") {
    relayer_args.insert(relayer_args.end(), {"--openwhisk-apihost", ctx.whisk_url});
  }
  for (int i = 1; i <= ctx.relayers; ++i) {
    // Competing consumers: one share group, each its own service name.
    std::vector<std::string> args = relayer_args;
    const std::string service = ctx.relayers == 1 ? "relayer" : "relayer-" + std::to_string(i);
    args.insert(args.end(), {"--name", service});
    path.relayers.push_back(
        start_service(ctx, "snet-relayer", std::move(args), name + "-" + service));
  }
  path.agent = start_service(
      ctx, "snet-agent",
      {"--broker-url", ctx.broker_url, "--mqtt-url", ctx.mqtt_url, "--topology", topo},
      name + "-agent");
  if (!wait_for_metric(ctx, name, "agent", "snet_agent_devices_connected", 2L * pairs, 60s)) {
    throw std::runtime_error("agent devices did not all connect");
  }
  for (int i = 1; i <= ctx.relayers; ++i) {
    const std::string service = ctx.relayers == 1 ? "relayer" : "relayer-" + std::to_string(i);
    if (!wait_for_metric(ctx, name, service, "snet_relayer_presses_total", 0, 30s)) {
      throw std::runtime_error(service + " did not come up");
    }
  }
  return path;
}

// (b) one press at a time; the time from publishing the press to seeing the actuator's state.
Summary press_latency(const Context& ctx, int count) {
  const std::string name = "benchlat-" + ctx.compute;
  PressPath path = start_press_path(ctx, name, 1);
  auto bus = connect(ctx.broker_url, "bench-presser");
  Waiter waiter;
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(count));
  std::unordered_map<std::string, std::pair<long, snet::Micros>> pending;
  std::mutex mutex;
  bus->on_message([&](const snet::Message& m) {
    const auto state = snet::parse_state(m.payload);
    std::lock_guard lock(mutex);
    auto it = pending.find(state.press_id);
    if (it == pending.end()) return;
    samples.push_back(snet::now_us() - it->second.second);
    const long seq = it->second.first;
    pending.erase(it);
    waiter.arrived(seq);
  });
  bus->subscribe(snet::topics::all(name, snet::topics::Kind::state), snet::Qos::at_least_once);
  bus->start();
  if (!bus->wait_connected(10s)) throw std::runtime_error("connect");
  const std::string press_topic = snet::topics::make(name, snet::topics::Kind::press, "button-1");
  for (long i = 0; i < count; ++i) {
    snet::Press press{"lat-" + std::to_string(i), snet::now_us()};
    {
      std::lock_guard lock(mutex);
      pending[press.id] = {i, press.ts};
    }
    bus->publish({press_topic, snet::to_json(press), false, {}}, snet::Qos::at_least_once);
    if (!waiter.wait(i, 5s)) throw std::runtime_error("press " + press.id + " was not applied");
  }
  bus->stop();
  return snet::bench::summarize(std::move(samples));
}

struct Throughput {
  double per_second = 0;
  long lost = 0;
};

// (c) presses as fast as the window allows, spread over many buttons; count what was applied.
Throughput press_throughput(const Context& ctx, int presses, int pairs, long window) {
  const std::string name = "benchrate-" + ctx.compute;
  PressPath path = start_press_path(ctx, name, pairs);
  auto bus = connect(ctx.broker_url, "bench-blaster");
  std::atomic<long> applied{0};
  std::mutex mutex;
  std::set<std::string> outstanding;
  // Stalls: the longest time without any press applied, and how many gaps were >= 100 ms. A
  // steady slow-down and a fixed-length stall (a timer standing in for a lost wake-up) look the
  // same in presses/s; they do not here.
  snet::Micros last_applied = 0, longest_gap = 0;
  long gaps_100ms = 0;
  bus->on_message([&](const snet::Message& m) {
    const auto state = snet::parse_state(m.payload);
    std::lock_guard lock(mutex);
    if (outstanding.erase(state.press_id) == 0) return;
    ++applied;
    const snet::Micros now = snet::now_us();
    if (last_applied != 0) {
      longest_gap = std::max(longest_gap, now - last_applied);
      if (now - last_applied >= 100'000) ++gaps_100ms;
    }
    last_applied = now;
  });
  bus->subscribe(snet::topics::all(name, snet::topics::Kind::state), snet::Qos::at_least_once);
  bus->start();
  if (!bus->wait_connected(10s)) throw std::runtime_error("connect");
  // CPU time per press of each service: unlike presses/s it hardly depends on what else runs.
  const bool whisk = ctx.compute == "openwhisk" && ctx.whisk_pid > 0;
  auto whisk_cpu = [&] { return whisk ? cpu_seconds(ctx.whisk_pid) : 0.0; };
  auto workers_cpu = [&] {
    return whisk ? cpu_seconds_with_children(ctx.whisk_pid) - cpu_seconds(ctx.whisk_pid) : 0.0;
  };
  auto relayers_cpu = [&] {
    double sum = 0;
    for (auto& relayer : path.relayers) sum += cpu_seconds(relayer.pid());
    return sum;
  };
  const double relayer0 = relayers_cpu(), agent0 = cpu_seconds(path.agent.pid());
  const double whisk0 = whisk_cpu(), workers0 = workers_cpu();
  const auto start = std::chrono::steady_clock::now();
  // Press ids unique per run: a second run's actuators take the retained state's id as applied.
  static int runs = 0;
  const std::string prefix = "rate-" + std::to_string(++runs) + "-";
  for (long i = 0; i < presses; ++i) {
    const std::string id = prefix + std::to_string(i);
    {
      std::lock_guard lock(mutex);
      outstanding.insert(id);
    }
    const std::string button = "button-" + std::to_string(i % pairs + 1);
    bus->publish({snet::topics::make(name, snet::topics::Kind::press, button),
                  snet::to_json(snet::Press{id, snet::now_us()}),
                  false,
                  {}},
                 snet::Qos::at_least_once);
    while (i - applied.load() > window) std::this_thread::sleep_for(100us);
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (applied < presses && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  %ld presses over %d buttons in %.2f s: %.0f presses/s applied, %ld lost\n",
              applied.load(), pairs, secs, static_cast<double>(applied) / secs,
              presses - applied.load());
  {
    std::lock_guard lock(mutex);
    std::printf("  longest time without a press applied %.1f ms; gaps >= 100 ms: %ld\n",
                static_cast<double>(longest_gap) / 1e3, gaps_100ms);
  }
  const double per_press = applied > 0 ? 1e6 / static_cast<double>(applied) : 0;
  std::printf("  CPU per press: relayer%s %.1f us, agent %.1f us",
              path.relayers.size() > 1 ? "s (together)" : "",
              (relayers_cpu() - relayer0) * per_press,
              (cpu_seconds(path.agent.pid()) - agent0) * per_press);
  if (whisk) {
    std::printf(", snet-whisk %.1f us, its Node.js workers %.1f us",
                (whisk_cpu() - whisk0) * per_press, (workers_cpu() - workers0) * per_press);
  }
  std::printf("\n");
  bus->stop();
  return {static_cast<double>(applied) / secs, presses - applied.load()};
}

// (d) one agent hosting `devices` devices: connect time and memory per device.
void device_scale(const Context& ctx, int devices) {
  auto measure = [&](int n, double* seconds) {
    const std::string name = "benchscale" + std::to_string(n);
    const std::string topo = write_pairs_topology(ctx, name, n / 2).string();
    const auto start = std::chrono::steady_clock::now();
    auto agent = start_service(
        ctx, "snet-agent",
        {"--broker-url", ctx.broker_url, "--mqtt-url", ctx.mqtt_url, "--topology", topo}, name);
    if (!wait_for_metric(ctx, name, "agent", "snet_agent_devices_connected", n, 120s)) {
      throw std::runtime_error("not every device connected");
    }
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return rss_kb(agent.pid());
  };
  double small_secs = 0, secs = 0;
  const long base_kb = measure(2, &small_secs);
  const long total_kb = measure(devices, &secs);
  std::printf(
      "  %d devices connected in %.2f s; agent RSS %ld KB = %.1f KB/device "
      "(%.1f KB/device over a 2-device agent's %ld KB)\n",
      devices, secs, total_kb, static_cast<double>(total_kb) / devices,
      static_cast<double>(total_kb - base_kb) / devices, base_kb);
}

// --spin N: the neighbour's body, N threads that only burn CPU until the process is killed.
[[noreturn]] void spin(long threads) {
  // ShutdownSignal blocked SIGTERM for main's wait(): the owner's stop() must end us at once.
  sigset_t ending;
  sigemptyset(&ending);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    std::signal(sig, SIG_DFL);
    sigaddset(&ending, sig);
  }
  pthread_sigmask(SIG_UNBLOCK, &ending, nullptr);
  std::vector<std::thread> burners;
  for (long i = 0; i < threads; ++i) {
    burners.emplace_back([] {
      volatile unsigned long x = 0;
      for (;;) x = x + 1;
    });
  }
  for (auto& t : burners) t.join();
  std::abort();  // unreachable: the threads never end
}

// --neighbour cpu:N -> N (0 when empty); anything else is a usage error naming the value.
long parse_neighbour(const std::string& value) {
  if (value.empty()) return 0;
  try {
    std::size_t used = 0;
    if (value.rfind("cpu:", 0) == 0) {
      const long n = std::stol(value.substr(4), &used);
      if (used == value.size() - 4 && n >= 1 && n <= 64) return n;
    }
  } catch (const std::exception&) {
    // falls through to the error below
  }
  throw snet::UsageError("--neighbour: '" + value + "' is not cpu:N with N from 1 to 64");
}

// A busy neighbour owned by the bench: another program (so, by default, another session and
// autogroup, as a parallel build or a Docker build beside us would be) with `threads` CPU-bound
// threads; killed with its owner, however the bench ends.
snet::ChildProcess start_neighbour(const Context& ctx, long threads) {
  return snet::ChildProcess({ctx.bin_dir + "/snet-bench", "--spin", std::to_string(threads)},
                            {{}, (ctx.work_dir / "neighbour.log").string(), "=stdout", true});
}

}  // namespace

int main(int argc, char** argv) {
  snet::ShutdownSignal signals;
  snet::Flags flags("snet-bench", "Measures the press path; prints numbers and ratios.");
  flags.add("broker-url", "SNET_BROKER_URL", "", "use this broker instead of starting one")
      .add("broker", "", "mosquitto",
           "broker to start (and topology broker): mosquitto or rabbitmq")
      .add("mqtt-url", "", "", "with --broker-url amqp://: RabbitMQ's MQTT listener")
      .add("device-protocol", "", "",
           "rabbitmq: amqp (default) or mqtt (devices on RabbitMQ's MQTT plugin)")
      .add("amqp-options", "", "",
           "query appended to the AMQP URL, e.g. persistent=false (transient QoS 1 messages)")
      .add("sections", "", "abcd", "which sections to run (a, b, c, d)")
      .add("compute", "", "both",
           "compute of (b) and (c): builtin, openwhisk (flip_switch on a bundled snet-whisk) or "
           "both")
      .add("hops", "", "5000", "messages timed one by one in (a)")
      .add("presses", "", "10000", "presses timed one by one in (b)")
      .add("rate-presses", "", "50000", "presses sent in (c)")
      .add("rate-window", "", "500",
           "presses in flight at most in (c): Paho scans its queues linearly, so a deep window "
           "costs more than it gains")
      .add("rate-buttons", "", "100", "buttons the presses of (c) are spread over")
      .add("relayers", "", "1", "competing relayers (one share group) on the press path")
      .add("devices", "", "10000", "devices hosted by one agent in (d)")
      .add("neighbour", "", "",
           "cpu:N: (c) runs again beside N CPU-bound threads of another process and prints "
           "loaded/quiet (goal >= 0.50)")
      .add("spin", "", "0", "internal: burn N threads of CPU until killed (the neighbour)");
  snet::log::add_flags(flags, "warn");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (const long threads = flags.integer("spin", 0, 64); threads > 0) spin(threads);
    snet::log::apply_flags(flags);
    snet::log::set_component("bench");
    Context ctx;
    ctx.relayers = static_cast<int>(flags.integer("relayers", 1, 8));
    ctx.bin_dir = snet::self_dir();
    ctx.work_dir = fs::temp_directory_path() / ("snet-bench-" + std::to_string(::getpid()));
    fs::create_directories(ctx.work_dir);
    ctx.broker = flags.str("broker");
    if (ctx.broker != "mosquitto" && ctx.broker != "rabbitmq") {
      throw snet::UsageError("--broker: '" + ctx.broker + "' is not mosquitto or rabbitmq");
    }
    ctx.device_protocol = flags.str("device-protocol");
    if (!ctx.device_protocol.empty() && ctx.device_protocol != "amqp" &&
        ctx.device_protocol != "mqtt") {
      throw snet::UsageError("--device-protocol: '" + ctx.device_protocol +
                             "' is not amqp or mqtt");
    }
    std::unique_ptr<snet::MosquittoServer> broker;
    std::unique_ptr<snet::RabbitMqServer> rabbitmq;
    if (!flags.str("broker-url").empty()) {
      ctx.broker_url = flags.str("broker-url");
      ctx.mqtt_url = flags.str("mqtt-url");
    } else if (ctx.broker == "rabbitmq") {
      snet::RabbitMqOptions ro;
      ro.amqp_port = snet::free_port();
      ro.mqtt_port = snet::free_port();
      ro.data_dir = (ctx.work_dir / "rabbitmq").string();
      rabbitmq = std::make_unique<snet::RabbitMqServer>(ro);
      ctx.broker_url = rabbitmq->amqp_url();
      ctx.mqtt_url = rabbitmq->mqtt_url();
    } else {
      snet::MosquittoOptions mo;
      mo.port = snet::free_port();
      mo.data_dir = (ctx.work_dir / "mosquitto").string();
      broker = std::make_unique<snet::MosquittoServer>(mo);
      ctx.broker_url = broker->url();
    }
    if (ctx.mqtt_url.empty()) ctx.mqtt_url = ctx.broker_url;
    if (!flags.str("amqp-options").empty() && ctx.broker_url.rfind("amqp://", 0) == 0) {
      ctx.broker_url +=
          (ctx.broker_url.find('?') == std::string::npos ? "?" : "&") + flags.str("amqp-options");
    }
    const std::string sections = flags.str("sections");
    const long neighbour = parse_neighbour(flags.str("neighbour"));
    const std::string compute = flags.str("compute");
    std::vector<std::string> computes;
    if (compute == "builtin" || compute == "both") computes.push_back("builtin");
    if (compute == "openwhisk" || compute == "both") computes.push_back("openwhisk");
    if (computes.empty()) {
      throw snet::UsageError("--compute: '" + compute + "' is not builtin, openwhisk or both");
    }
    snet::ChildProcess whisk;
    const bool press_sections =
        sections.find('b') != std::string::npos || sections.find('c') != std::string::npos;
    if (press_sections && computes.back() == "openwhisk") {
      const int port = snet::free_port();
      ctx.whisk_url = "http://127.0.0.1:" + std::to_string(port);
      whisk = start_service(ctx, "snet-whisk",
                            {"--http-port", std::to_string(port), "--actions-dir",
                             SNET_SOURCE_DIR "/actions", "--log-level", "warn"},
                            "whisk");
      ctx.whisk_pid = whisk.pid();
      if (!snet::wait_for_port("127.0.0.1", port, 30s)) {
        throw std::runtime_error("snet-whisk did not come up (log in " + ctx.work_dir.string() +
                                 ")");
      }
    }
    std::string devices;
    if (ctx.broker == "rabbitmq") {
      devices = ctx.device_protocol == "mqtt" ? ", devices on the MQTT plugin " + ctx.mqtt_url
                                              : std::string(", AMQP devices");
    }
    std::printf("snet-bench against %s (%u cores)%s\n", ctx.broker_url.c_str(),
                std::thread::hardware_concurrency(), devices.c_str());
    Summary qos1;
    if (sections.find('a') != std::string::npos) {
      std::printf("(a) raw broker baseline, one hop publisher -> broker -> subscriber\n");
      double rate0 = 0, rate1 = 0;
      const int hops = static_cast<int>(flags.integer("hops", 10, 1'000'000));
      print_latency("QoS 0", raw_hop(ctx, snet::Qos::at_most_once, hops, &rate0));
      qos1 = raw_hop(ctx, snet::Qos::at_least_once, hops, &rate1);
      print_latency("QoS 1", qos1);
      std::printf("  rate: QoS 0 %.0f msg/s, QoS 1 %.0f msg/s\n", rate0, rate1);
    }
    std::map<std::string, Summary> latency;
    std::map<std::string, Throughput> rate;
    for (const auto& c : computes) {
      ctx.compute = c;
      const std::string how =
          c == "builtin" ? "builtin flip_switch" : "OpenWhisk action flip_switch on snet-whisk";
      if (sections.find('b') != std::string::npos) {
        std::printf("(b) press -> actuator state, %s (3 broker hops)\n", how.c_str());
        const Summary s =
            press_latency(ctx, static_cast<int>(flags.integer("presses", 10, 1'000'000)));
        latency[c] = s;
        print_latency("press -> state", s);
        if (qos1.count > 0) {
          std::printf("  ratio to one raw QoS 1 hop: p50 %.2fx, p99 %.2fx (target p50 <= 4x)\n",
                      s.p50_us / qos1.p50_us, s.p99_us / qos1.p99_us);
        }
      }
      if (sections.find('c') != std::string::npos) {
        std::printf("(c) sustained presses at QoS 1, %s\n", how.c_str());
        auto run = [&] {
          return press_throughput(ctx,
                                  static_cast<int>(flags.integer("rate-presses", 1, 10'000'000)),
                                  static_cast<int>(flags.integer("rate-buttons", 1, 50'000)),
                                  flags.integer("rate-window", 1, 1'000'000));
        };
        rate[c] = run();
        if (neighbour > 0) {
          // Back to back with the quiet run: the machine's other load changes by the minute.
          std::printf("  ... again beside a neighbour with %ld CPU-bound threads\n", neighbour);
          snet::ChildProcess busy = start_neighbour(ctx, neighbour);
          const Throughput loaded = run();
          busy.stop(std::chrono::seconds(2));
          const double ratio = rate[c].per_second > 0 ? loaded.per_second / rate[c].per_second : 0;
          std::printf(
              "  beside %ld CPU-bound threads: %.0f presses/s = %.2fx quiet (%.0f/s), goal "
              ">= 0.50: %s; lost %ld\n",
              neighbour, loaded.per_second, ratio, rate[c].per_second,
              ratio >= 0.5 ? "met" : "MISSED", loaded.lost);
        }
      }
    }
    // Both computes measured in the same run, so the ratios hold even on a busy machine.
    if (latency.size() == 2) {
      std::printf(
          "  openwhisk/builtin, press -> state: p50 %.2fx (+%.1f us), p99 %.2fx (+%.1f us)\n",
          latency["openwhisk"].p50_us / latency["builtin"].p50_us,
          latency["openwhisk"].p50_us - latency["builtin"].p50_us,
          latency["openwhisk"].p99_us / latency["builtin"].p99_us,
          latency["openwhisk"].p99_us - latency["builtin"].p99_us);
    }
    if (rate.size() == 2 && rate["builtin"].per_second > 0) {
      std::printf(
          "  openwhisk/builtin, sustained presses/s: %.2fx (%.0f vs %.0f; lost %ld vs %ld)\n",
          rate["openwhisk"].per_second / rate["builtin"].per_second, rate["openwhisk"].per_second,
          rate["builtin"].per_second, rate["openwhisk"].lost, rate["builtin"].lost);
    }
    if (sections.find('d') != std::string::npos) {
      std::printf("(d) devices in one agent\n");
      device_scale(ctx, static_cast<int>(flags.integer("devices", 2, 19'000)));
    }
    std::error_code ec;
    fs::remove_all(ctx.work_dir, ec);
    return 0;
  } catch (const snet::UsageError& e) {
    std::cerr << "snet-bench: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "snet-bench: " << e.what() << "\n";
    return 1;
  }
}
