// snet-state-flood: the dashboard bench's load (bench/dashboard_bench.mjs starts it). It plays
// the devices of a button -> actuator pairs topology at a steady rate over one MQTT connection
// (QoS 1, our asio client, as an agent publishes):
//   --source states   actuator-<k>'s state report after applying press bench-<n> (retained,
//                     on snet/<t>/state/actuator-<k>, applied_ts = the publish time)
//   --source presses  press bench-<n> of button-<k> (on snet/<t>/press/button-<k>)
// k walks over all pairs evenly (a prime stride). It publishes until --seconds pass or SIGTERM,
// waits (at most 5 s) for the broker to acknowledge what is in flight, and prints one JSON line:
// {"sent": n, "acked": n, "failed": n}.
// In C++ rather than in the bench's node process: mqtt.js took ~16 % of one core at 5,000
// publishes/s, CPU that the measured stack shares on 2 cores and the agents it stands in for
// do not spend (2026-12-06).
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "snet/bus_loop.hpp"
#include "snet/clock.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/shutdown.hpp"

using namespace snet;
using namespace std::chrono_literals;

namespace {

constexpr long kStride = 7919;  // a prime: consecutive publishes go to distant pairs
constexpr long kWindow = 2000;  // unacknowledged publishes at most

struct Counts {
  std::atomic<long> in_flight{0};
  std::atomic<long> acked{0};
  std::atomic<long> failed{0};
};

Message next_message(const std::string& topology, bool states, long n, long pairs) {
  const long pair = (n * kStride) % pairs + 1;
  const long long ts = now_us();
  char payload[256];
  Message m;
  int size = 0;
  if (states) {
    // The state report contract (docs/protocol.md), written by hand: to_json() would cost CPU
    // the measured stack needs.
    size =
        std::snprintf(payload, sizeof payload,
                      R"({"device":"actuator-%ld","on":%s,"press_id":"bench-%ld",)"
                      R"("button":"button-%ld","press_ts":%lld,"relay_ts":%lld,"applied_ts":%lld})",
                      pair, n % 2 == 0 ? "true" : "false", n, pair, ts, ts, ts);
    m.topic = "snet/" + topology + "/state/actuator-" + std::to_string(pair);
    m.retained = true;
  } else {
    size = std::snprintf(payload, sizeof payload, R"({"id":"bench-%ld","ts":%lld})", n, ts);
    m.topic = "snet/" + topology + "/press/button-" + std::to_string(pair);
  }
  m.payload.assign(payload, static_cast<std::size_t>(std::clamp(size, 0, int{sizeof payload})));
  return m;
}

int run(const Flags& flags, ShutdownSignal& shutdown) {
  const std::string source = flags.str("source");
  if (source != "states" && source != "presses") {
    throw UsageError("--source: '" + source + "' is not states or presses");
  }
  const std::string topology = flags.str("topology");
  const long pairs = flags.integer("pairs", 1, 1'000'000);
  const long rate = flags.integer("rate", 1, 1'000'000);
  const auto duration = std::chrono::seconds(flags.integer("seconds", 1, 86'400));

  Counts counts;  // before the loop: a late acknowledgement may still arrive while it stops
  BusLoop loop;
  BusOptions options;
  options.url = flags.str("broker-url");
  options.client_id = "state-flood-" + std::to_string(::getpid());
  auto bus = loop.make_bus(options);
  bus->start();
  if (!bus->wait_connected(10s)) {
    std::cerr << "snet-state-flood: no connection to " << options.url << " within 10 s\n";
    return 1;
  }

  long sent = 0;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed >= duration || shutdown.wait_for(2ms) != 0) break;
    const long due = static_cast<long>(std::chrono::duration<double>(elapsed).count() * rate);
    for (; sent < due && counts.in_flight < kWindow; ++sent) {
      ++counts.in_flight;
      bus->publish(next_message(topology, source == "states", sent, pairs), Qos::at_least_once,
                   [&counts](bool ok, const std::string&) {
                     --counts.in_flight;
                     (ok ? counts.acked : counts.failed)++;
                   });
    }
  }
  const auto drain_until = std::chrono::steady_clock::now() + 5s;
  while (counts.in_flight > 0 && std::chrono::steady_clock::now() < drain_until) {
    std::this_thread::sleep_for(5ms);
  }
  std::cout << R"({"sent": )" << sent << R"(, "acked": )" << counts.acked << R"(, "failed": )"
            << counts.failed << "}" << std::endl;
  bus->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ShutdownSignal shutdown;  // first: every later thread inherits the blocked signals
  // The bench that started it may die without stopping it: it stops (cleanly) with its parent.
  const pid_t parent = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) return 1;  // the parent is gone already
  Flags flags("snet-state-flood",
              "publish a pairs topology's state reports or presses at a steady rate (the "
              "dashboard bench's load)");
  flags.add("broker-url", "", "mqtt://127.0.0.1:1883", "the broker")
      .add("topology", "", "dashbench", "the topology's name (in the topics)")
      .add("pairs", "", "5000", "button -> actuator pairs: button-1..N, actuator-1..N")
      .add("rate", "", "1000", "publishes a second")
      .add("seconds", "", "60", "how long to publish (SIGTERM stops it sooner)")
      .add("source", "", "states", "states (actuators' reports) or presses");
  try {
    if (!flags.parse(argc, argv)) return 0;
    log::set_level(log::Level::warn);
    return run(flags, shutdown);
  } catch (const UsageError& e) {
    std::cerr << "snet-state-flood: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {  // e.g. a broker URL it cannot use
    std::cerr << "snet-state-flood: " << e.what() << "\n";
    return 1;
  }
}
