// snet-readings-bench: how many sensor readings a second the state service stores, end to end.
// It starts a broker (a Mosquitto, or a RabbitMQ node with its MQTT plugin) and snet-state on free
// loopback ports with a topology of --sensors sensors, then floods readings (QoS 1, as the
// sensors' agents publish them) from --publishers connections, each with at most --window
// unacknowledged publishes, paced to --rate readings/s in total (0: as fast as the broker takes
// them). After --warmup s it measures for --seconds s, from the state service's own counters
// (GET /metrics):
//   stored/s    snet_state_readings_stored_total's rise over the window, and its ratio to the
//               20,000/s goal
//   published/s what the publishers got acknowledged by the broker in the same window
//   backlog     the state service's queue (snet_state_queue_depth) and the broker's undelivered
//               rest (published - received) at the end: sustained means it stays bounded
//   shed        snet_state_readings_shed_total (readings dropped past the state's queue bound)
//   CPU         of snet-state and of the broker, in % of one core over the window
// Then it stops publishing and waits for the last reading to be stored (drain).
// Numbers, not pass/fail. Reproduce: build/snet-readings-bench [--broker mosquitto|rabbitmq|both]
#include <atomic>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "process_stats.hpp"
#include "snet/bus_loop.hpp"
#include "snet/clock.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

constexpr double kGoal = 20'000;  // readings stored a second (issue 14)
const std::string kTopology = "readbench";

struct Options {
  int sensors = 5000;
  int publishers = 8;
  int window = 200;
  double rate = 0;
  double warmup = 3;
  double seconds = 10;
};

std::string write_topology(const std::string& dir, int sensors) {
  nlohmann::json devices = nlohmann::json::array();
  for (int i = 1; i <= sensors; ++i) {
    devices.push_back({{"id", "sensor-" + std::to_string(i)},
                       {"kind", "sensor"},
                       {"sensor",
                        {{"capability", "temperature"},
                         {"unit", "C"},
                         {"rate_hz", 1},
                         {"model", {{"type", "constant"}, {"value", 21}}}}}});
  }
  const nlohmann::json topology = {{"name", kTopology},
                                   {"broker", "mosquitto"},
                                   {"routing", "topic"},
                                   {"compute", {{"backend", "builtin"}, {"action", "flip_switch"}}},
                                   {"devices", devices}};
  const std::string path = dir + "/topology.json";
  std::ofstream(path) << topology.dump();
  return path;
}

// The value of `name` (no labels) in a Prometheus text; -1 when absent.
double metric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

struct Counters {
  double stored = 0, received = 0, shed = 0, depth = 0;
};

double load_average() {
  double one = 0;
  std::ifstream("/proc/loadavg") >> one;
  return one;
}

Counters read_counters(int http_port) {
  const auto r = http_request("GET", http_port, "/metrics");
  Counters c;
  if (r.status != 200) return c;
  c.stored = metric(r.body, "snet_state_readings_stored_total");
  c.received = metric(r.body, "snet_state_readings_received_total");
  c.shed = metric(r.body, "snet_state_readings_shed_total");
  c.depth = metric(r.body, "snet_state_queue_depth");
  return c;
}

// One sensor agent's connection: publishes readings of its share of the sensors in turn.
struct Publisher {
  std::unique_ptr<Bus> bus;
  std::atomic<long> in_flight{0};
  std::atomic<long> acked{0};
  std::atomic<long> failed{0};
  long sent = 0;
  std::vector<std::uint64_t> seq;  // per sensor of its share
  int first = 0, count = 0;        // its share: sensors first+1 .. first+count
};

void run(const std::string& broker, const Options& o) {
  std::cout << "\n== readings bench on " << broker << ": " << o.sensors << " sensors, "
            << o.publishers << " publishers (QoS 1, window " << o.window << "), rate "
            << (o.rate > 0 ? std::to_string(static_cast<long>(o.rate)) + "/s" : "unpaced") << "; "
            << o.warmup << " s warm-up + " << o.seconds << " s measured\n";
  TempDir dir("snet-readings-bench");
  std::unique_ptr<Mosquitto> mosquitto;
  std::unique_ptr<RabbitMq> rabbit;
  std::string url;
  pid_t broker_pid = 0;
  if (broker == "rabbitmq") {
    rabbit = std::make_unique<RabbitMq>();
    url = rabbit->mqtt_url();
    broker_pid = rabbit->server().process().pid();
  } else {
    mosquitto = std::make_unique<Mosquitto>();
    url = mosquitto->url();
    broker_pid = mosquitto->server().process().pid();
  }
  const std::string topology = write_topology(dir.path(), o.sensors);
  const int http_port = free_port();
  Service state("snet-state",
                {"--broker-url", url, "--topology", topology, "--data-dir", dir.path() + "/data",
                 "--http-port", std::to_string(http_port), "--log-level", "warn"});
  if (!eventually([&] { return http_request("GET", http_port, "/healthz").status == 200; }, 60s)) {
    std::cout << "  snet-state did not become healthy:\n" << state.log() << "\n";
    return;
  }

  BusLoop loops[2];
  std::vector<std::unique_ptr<Publisher>> publishers;
  const int share = (o.sensors + o.publishers - 1) / o.publishers;
  for (int p = 0; p < o.publishers; ++p) {
    auto pub = std::make_unique<Publisher>();
    pub->first = p * share;
    pub->count = std::max(0, std::min(share, o.sensors - pub->first));
    pub->seq.assign(static_cast<std::size_t>(pub->count), 0);
    BusOptions bus;
    bus.url = url;
    bus.client_id = "readbench-" + std::to_string(p);
    pub->bus = loops[p % 2].make_bus(bus);
    pub->bus->start();
    if (!pub->bus->wait_connected(10s)) {
      std::cout << "  publisher " << p << " could not connect\n";
      return;
    }
    publishers.push_back(std::move(pub));
  }

  std::atomic<bool> publishing{true};
  const auto start = std::chrono::steady_clock::now();
  std::thread driver([&] {
    const double per_publisher = o.rate / o.publishers;
    while (publishing) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (auto& pub : publishers) {
        if (pub->count == 0) continue;
        const long due = o.rate > 0 ? static_cast<long>(elapsed * per_publisher) : LONG_MAX;
        while (pub->sent < due && pub->in_flight < o.window) {
          const int i = static_cast<int>(pub->sent % pub->count);
          const std::string device = "sensor-" + std::to_string(pub->first + i + 1);
          // The reading contract (docs/protocol.md) written by hand: to_json() costs the bench
          // CPU that the state service and the broker need.
          char payload[200];
          const int n = std::snprintf(
              payload, sizeof payload,
              R"({"device":"%s","capability":"temperature","value":%.1f,"unit":"C","seq":%llu,"ts":%lld})",
              device.c_str(), 20 + static_cast<double>(pub->sent % 100) / 10,
              static_cast<unsigned long long>(++pub->seq[static_cast<std::size_t>(i)]),
              static_cast<long long>(now_us()));
          ++pub->in_flight;
          ++pub->sent;
          Publisher* self = pub.get();
          Message m;
          m.topic = "snet/" + kTopology + "/reading/" + device;
          m.payload.assign(payload, static_cast<std::size_t>(n));
          pub->bus->publish(std::move(m), Qos::at_least_once, [self](bool ok, const std::string&) {
            --self->in_flight;
            (ok ? self->acked : self->failed)++;
          });
        }
      }
      std::this_thread::sleep_for(1ms);
    }
  });
  auto acked = [&] {
    long n = 0;
    for (auto& pub : publishers) n += pub->acked;
    return n;
  };
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  const Counters before = read_counters(http_port);
  const long acked_before = acked();
  const double cpu_state_before = bench::cpu_seconds(state.process().pid());
  const double cpu_broker_before = bench::cpu_seconds(broker_pid);
  const double cpu_self_before = bench::cpu_seconds(::getpid());
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  const Counters after = read_counters(http_port);
  const long acked_after = acked();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu_state = bench::cpu_seconds(state.process().pid()) - cpu_state_before;
  const double cpu_broker = bench::cpu_seconds(broker_pid) - cpu_broker_before;
  const double cpu_self = bench::cpu_seconds(::getpid()) - cpu_self_before;
  publishing = false;
  driver.join();

  const double stored_rate = (after.stored - before.stored) / wall;
  const double published_rate = static_cast<double>(acked_after - acked_before) / wall;
  long sent = 0, failed = 0;
  for (auto& pub : publishers) {
    sent += pub->sent;
    failed += pub->failed;
  }
  std::printf("  stored      %8.0f readings/s = %.2fx the %.0f/s goal\n", stored_rate,
              stored_rate / kGoal, kGoal);
  std::printf("  published   %8.0f readings/s acknowledged by the broker\n", published_rate);
  std::printf("  backlog at the end: state queue %.0f, at the broker ~%.0f; shed %.0f\n",
              after.depth, static_cast<double>(acked_after) - after.received, after.shed);
  std::printf(
      "  CPU over the window: snet-state %.0f%%, %s %.0f%%, the publishers (this bench) %.0f%% of "
      "one core; machine load average %.1f on %u cores\n",
      cpu_state / wall * 100, broker.c_str(), cpu_broker / wall * 100, cpu_self / wall * 100,
      load_average(), std::thread::hardware_concurrency());
  if (stored_rate > 0) {
    std::printf("  snet-state CPU per reading stored: %.1f us\n",
                cpu_state / (after.stored - before.stored) * 1e6);
  }
  // Drain: everything acknowledged by the broker must end up stored (or counted as shed).
  const auto drain_start = std::chrono::steady_clock::now();
  const long total = acked();
  Counters last;
  const bool drained = eventually(
      [&] {
        last = read_counters(http_port);
        return last.stored + last.shed >= static_cast<double>(total);
      },
      120s);
  const double drain_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - drain_start).count();
  std::printf("  %s: %ld published (%ld failed), %.0f stored, %.0f shed, after %.1f s of drain\n",
              drained ? "drained" : "NOT drained", total, failed, last.stored, last.shed, drain_s);
  for (auto& pub : publishers) pub->bus->stop();
  state.stop();
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags("snet-readings-bench", "Sensor readings stored a second by snet-state, end to end.");
  flags.add("broker", "", "mosquitto", "mosquitto, rabbitmq or both")
      .add("sensors", "", "5000", "sensors in the topology")
      .add("publishers", "", "8", "MQTT connections publishing readings")
      .add("window", "", "200", "unacknowledged publishes per connection at most")
      .add("rate", "", "0", "readings/s in total (0: as fast as the broker takes them)")
      .add("warmup", "", "3", "seconds before measuring")
      .add("seconds", "", "10", "seconds measured");
  try {
    if (!flags.parse(argc, argv)) return 0;
    log::set_level(log::Level::warn);
    Options o;
    o.sensors = static_cast<int>(flags.integer("sensors", 1, 1'000'000));
    o.publishers = static_cast<int>(flags.integer("publishers", 1, 1000));
    o.window = static_cast<int>(flags.integer("window", 1, 60'000));
    o.rate = static_cast<double>(flags.integer("rate", 0, 10'000'000));
    o.warmup = static_cast<double>(flags.integer("warmup", 0, 3600));
    o.seconds = static_cast<double>(flags.integer("seconds", 1, 3600));
    const std::string broker = flags.str("broker");
    if (broker != "mosquitto" && broker != "rabbitmq" && broker != "both") {
      std::cerr << "--broker: '" << broker << "' is not mosquitto, rabbitmq or both\n";
      return 2;
    }
    if (broker != "rabbitmq") run("mosquitto", o);
    if (broker != "mosquitto") run("rabbitmq", o);
  } catch (const std::exception& e) {
    std::cerr << "readings bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
