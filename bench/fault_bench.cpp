// snet-fault-bench: what each fault costs the application, on each broker. It runs `snet up`
// (two relayers) as a person would, streams presses at a steady rate from a client with a
// persistent session, injects one fault after another (kill -9 of a relayer, of the state
// service, of the agent, of the broker; an actuator offline, another crashed), and then reads the
// state service's database (state/state.db: the actuators' applied history) to print, per fault:
//   presses   sent in the fault's window (from the fault to the next one)
//   lost      press x target pairs never applied (the broker had acknowledged every press)
//   twice     pairs applied twice (should be 0: actuators apply a press id once)
//   dup       duplicates the services saw and dropped (delivered twice, applied once): the
//             rise of snet_relayer_duplicates_total + snet_agent_duplicates_total in the window
//             (a killed service's own counters restart at 0, so this is a lower bound)
//   first     fault -> first press sent after it applied by an affected target (ms)
//   steady    fault -> from this press sent on, 20 in a row applied within 2x the p50 before (ms)
// Numbers, not pass/fail. Reproduce: build/snet-fault-bench [--broker mosquitto|rabbitmq|both]
#include <sqlite3.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "presser.hpp"
#include "snet/clock.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet_up.hpp"
#include "stats.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

struct Fault {
  std::string name;
  std::function<void(SnetUp&, Presser&, std::vector<std::jthread>&)> inject;  // may leave work
  std::set<std::string> affected;  // targets whose presses it delays; empty: all
};

struct Window {
  const Fault* fault = nullptr;  // nullptr: the warm-up before any fault
  Micros start = 0;
  int first_press = 0;
  long long duplicates_before = 0, duplicates_after = 0;
};

struct Applied {
  int count = 0;
  Micros press_ts = 0, applied_ts = 0;
};

// (press id, target) -> what the history says.
using History = std::map<std::pair<std::string, std::string>, Applied>;

History read_history(const std::string& db_path) {
  History out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::cerr << "cannot open " << db_path << "\n";
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  const char* sql =
      "SELECT press_id, device, press_ts, applied_ts FROM events WHERE kind = 'state' AND "
      "press_id LIKE 'b-%'";
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const std::string id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      const std::string device = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
      Applied& a = out[{id, device}];
      ++a.count;
      a.press_ts = sqlite3_column_int64(stmt, 2);
      if (a.count == 1) a.applied_ts = sqlite3_column_int64(stmt, 3);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Sum of the duplicate counters every service reports (relayed by GET /metrics).
long long duplicates_seen(SnetUp& stack) {
  const auto res = http_request("GET", stack.http_port(), "/metrics");
  long long total = 0;
  std::istringstream lines(res.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("snet_relayer_duplicates_total", 0) != 0 &&
        line.rfind("snet_agent_duplicates_total", 0) != 0) {
      continue;
    }
    const auto space = line.rfind(' ');
    if (space != std::string::npos) total += std::atoll(line.c_str() + space + 1);
  }
  return total;
}

void kill_service(SnetUp& stack, const std::string& name) {
  const pid_t pid = stack.pid_of(name);
  if (pid > 0) ::kill(pid, SIGKILL);
}

struct Press {
  std::string id;
  std::vector<std::string> targets;
  Micros sent = 0;
};

struct Plan {
  std::string topology;
  std::function<Press(int n)> press;  // the n-th press: its button topic is in targets[0]...
  std::function<std::string(int n)> topic;
  std::vector<Fault> faults;
  bool amqp = false;
};

Plan mosquitto_plan() {
  Plan plan;
  plan.topology = "tests/topology/single-builtin.json";  // the press path itself: builtin
  plan.topic = [](int n) { return "snet/single/press/button-" + std::to_string(n % 3 + 1); };
  plan.press = [](int n) {
    return Press{"b-" + std::to_string(n), {"actuator-" + std::to_string(n % 3 + 1)}, 0};
  };
  return plan;
}

Plan rabbitmq_plan() {
  Plan plan;
  plan.topology = "tests/topology/mixed-builtin.json";  // the press path itself: builtin
  plan.amqp = true;
  plan.topic = [](int n) {
    return n % 2 == 0 ? std::string("snet/mixed/press/mqtt-switch")
                      : std::string("snet/mixed/press/amqp-switch");
  };
  plan.press = [](int n) {
    return n % 2 == 0 ? Press{"b-" + std::to_string(n), {"amqp-lamp", "mqtt-lamp"}, 0}
                      : Press{"b-" + std::to_string(n), {"mqtt-fan"}, 0};
  };
  return plan;
}

std::vector<Fault> faults_for(const std::string& topology, const std::string& offline_device,
                              const std::string& crash_device) {
  return {
      {"kill -9 relayer-1", [](SnetUp& s, Presser&, auto&) { kill_service(s, "relayer-1"); }, {}},
      {"kill -9 state", [](SnetUp& s, Presser&, auto&) { kill_service(s, "state"); }, {}},
      {"kill -9 agent", [](SnetUp& s, Presser&, auto&) { kill_service(s, "agent"); }, {}},
      {"offline " + offline_device + " 2 s",
       [=](SnetUp&, Presser& p, auto&) { p.control(topology, "offline", offline_device, 2000); },
       {offline_device}},
      {"crash " + crash_device + " 2 s",
       [=](SnetUp&, Presser& p, auto&) { p.control(topology, "crash", crash_device, 2000); },
       {crash_device}},
      {"kill -9 broker", [](SnetUp& s, Presser&, auto&) { kill_service(s, "broker"); }, {}},
      // What the broker held for a device that is away when it dies: Mosquitto saves it only
      // every autosave_interval; RabbitMQ's durable queue keeps it.
      {"kill -9 broker, " + offline_device + " away",
       [=](SnetUp& s, Presser& p, std::vector<std::jthread>& background) {
         p.control(topology, "offline", offline_device, 4000);
         background.emplace_back([&s] {
           std::this_thread::sleep_for(1500ms);  // commands queue for the device meanwhile
           kill_service(s, "broker");
         });
       },
       {}},
  };
}

void print_row(const std::string& name, int presses, int lost, int twice, long long dup,
               double first_ms, double steady_ms) {
  auto ms = [](double v) {
    char buf[32];
    if (v < 0) return std::string("-");
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return std::string(buf);
  };
  std::printf("  %-26s %8d %6d %6d %6lld %9s %9s\n", name.c_str(), presses, lost, twice, dup,
              ms(first_ms).c_str(), ms(steady_ms).c_str());
}

void run(const std::string& broker, int rate, int window_s) {
  Plan plan = broker == "rabbitmq" ? rabbitmq_plan() : mosquitto_plan();
  const std::string topology_name = broker == "rabbitmq" ? "mixed" : "single";
  plan.faults = broker == "rabbitmq" ? faults_for(topology_name, "mqtt-lamp", "mqtt-fan")
                                     : faults_for(topology_name, "actuator-2", "actuator-3");
  std::printf("\n%s: snet up %s --relayers 2, %d presses/s, a fault every %d s\n", broker.c_str(),
              plan.topology.c_str(), rate, window_s);
  std::fflush(stdout);
  SnetUp stack({plan.topology, topology_name, {"--relayers", "2"}, 150s});  // throws if not up
  if (!eventually([&] { return http_request("GET", stack.http_port(), "/readyz").status == 200; },
                  60s)) {
    std::printf("  not ready (GET /readyz):\n%s\n", stack.output().c_str());
    return;
  }
  Presser presser(plan.amqp ? stack.amqp_url() : stack.mqtt_url(), "fault-bench-presser");
  presser.wait_connected(10s);

  std::vector<Press> presses;
  std::vector<Window> windows;
  std::vector<std::jthread> background;  // faults that unfold over time
  const int per_window = rate * window_s;
  const int total = per_window * static_cast<int>(plan.faults.size() + 1);
  windows.push_back(Window{nullptr, now_us(), 0, duplicates_seen(stack), 0});
  pace(total, rate, [&](int n) {
    if (n > 0 && n % per_window == 0) {
      const std::size_t index = static_cast<std::size_t>(n / per_window) - 1;
      windows.back().duplicates_after = duplicates_seen(stack);
      Window w{&plan.faults[index], now_us(), n, 0, 0};
      plan.faults[index].inject(stack, presser, background);
      w.duplicates_before = windows.back().duplicates_after;
      windows.push_back(w);
      std::printf("  %s at press %d\n", plan.faults[index].name.c_str(), n);
      std::fflush(stdout);
    }
    Press p = plan.press(n);
    p.sent = now_us();
    presser.press(plan.topic(n), p.id);
    presses.push_back(std::move(p));
  });
  if (!presser.wait_acked(total, 120s)) {
    std::printf("  only %d of %d presses acknowledged by the broker\n", presser.acked(), total);
  }
  // Settled: the history stops growing (bounded).
  const std::string db = stack.data_dir() + "/state/state.db";
  std::size_t expected_pairs = 0;
  for (const auto& p : presses) expected_pairs += p.targets.size();
  History history;
  std::size_t last = 0;
  auto progressed = std::chrono::steady_clock::now();
  const auto deadline = progressed + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    history = read_history(db);
    if (history.size() >= expected_pairs) break;
    if (history.size() != last) progressed = std::chrono::steady_clock::now();
    if (std::chrono::steady_clock::now() - progressed > 15s) break;  // what is missing is lost
    last = history.size();
    std::this_thread::sleep_for(500ms);  // polling a file another process writes
  }
  windows.back().duplicates_after = duplicates_seen(stack);

  // Baseline: p50 press -> applied before any fault.
  std::vector<std::int64_t> before;
  for (int n = 0; n < per_window; ++n) {
    for (const auto& t : presses[static_cast<std::size_t>(n)].targets) {
      auto it = history.find({presses[static_cast<std::size_t>(n)].id, t});
      if (it != history.end()) before.push_back(it->second.applied_ts - it->second.press_ts);
    }
  }
  const auto base = bench::summarize(before);
  std::printf("  baseline press -> applied: p50 %.2f ms, p99 %.2f ms (%zu samples)\n",
              base.p50_us / 1000, base.p99_us / 1000, base.count);
  std::printf("  %-26s %8s %6s %6s %6s %9s %9s\n", "fault", "presses", "lost", "twice", "dup",
              "first ms", "steady ms");
  int all_lost = 0, all_twice = 0;
  for (std::size_t w = 0; w < windows.size(); ++w) {
    const int first = windows[w].first_press;
    const int end = w + 1 < windows.size() ? windows[w + 1].first_press : total;
    int lost = 0, twice = 0;
    std::map<std::string, int> lost_by_target;
    double first_ms = -1, steady_ms = -1;
    int run_ok = 0;
    const Fault* fault = windows[w].fault;
    for (int n = first; n < end; ++n) {
      const Press& p = presses[static_cast<std::size_t>(n)];
      for (const auto& t : p.targets) {
        const bool affected = !fault || fault->affected.empty() || fault->affected.count(t) != 0;
        auto it = history.find({p.id, t});
        if (it == history.end()) {
          ++lost;
          ++lost_by_target[t];
          if (affected) run_ok = 0;
          continue;
        }
        if (it->second.count > 1) ++twice;
        if (!fault || !affected) continue;
        const double since_fault_ms =
            static_cast<double>(it->second.applied_ts - windows[w].start) / 1000;
        if (first_ms < 0) first_ms = since_fault_ms;
        const auto latency = it->second.applied_ts - it->second.press_ts;
        if (steady_ms < 0) {
          if (static_cast<double>(latency) <= 2 * base.p50_us + 1000) {
            if (++run_ok == 20) {
              steady_ms = static_cast<double>(p.sent - windows[w].start) / 1000;
              steady_ms = std::max(steady_ms, 0.0);
            }
          } else {
            run_ok = 0;
          }
        }
      }
    }
    all_lost += lost;
    all_twice += twice;
    print_row(fault ? fault->name : "(no fault: warm-up)", end - first, lost, twice,
              windows[w].duplicates_after - windows[w].duplicates_before, first_ms, steady_ms);
    for (const auto& [target, count] : lost_by_target) {
      std::printf("      lost for %s: %d\n", target.c_str(), count);
    }
  }
  std::printf("  total: %d presses, %zu press x target pairs, %d lost, %d applied twice\n", total,
              expected_pairs, all_lost, all_twice);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags("snet-fault-bench",
              "What each fault costs: presses lost, applied twice, deduplicated, recovery time.");
  flags.add("broker", "SNET_BENCH_BROKER", "both", "mosquitto, rabbitmq or both")
      .add("rate", "SNET_BENCH_RATE", "200", "presses per second")
      .add("window-s", "SNET_BENCH_WINDOW_S", "6", "seconds between faults");
  try {
    if (!flags.parse(argc, argv)) return 0;
    const std::string broker = flags.str("broker");
    if (broker != "mosquitto" && broker != "rabbitmq" && broker != "both") {
      throw UsageError("--broker: mosquitto, rabbitmq or both, not '" + broker + "'");
    }
    const int rate = static_cast<int>(flags.integer("rate", 1, 5000));
    const int window = static_cast<int>(flags.integer("window-s", 2, 120));
    log::set_level(log::Level::warn);
    if (broker != "rabbitmq") run("mosquitto", rate, window);
    if (broker != "mosquitto") run("rabbitmq", rate, window);
  } catch (const std::exception& e) {
    std::cerr << "snet-fault-bench: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
