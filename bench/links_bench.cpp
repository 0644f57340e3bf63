// snet-links-bench: what the emulated network's engines cost at scale. One agent hosts
// --devices devices (button/actuator pairs) in a site whose links are all ideal (0 ms), with a
// real Mosquitto and relayer; for each engine it prints the time to connect every device, the
// agent's CPU time (connecting, idle, under a press load), its RSS and the press -> state latency,
// and the ratios to no emulation. Numbers, never pass/fail.
//   none:    the same devices without sites or links (every device straight to the broker)
//   process: the agent's relay (network/shaping_relay), the default when links are emulated
//   kernel:  the kernel engine (network/kernel): the site is a network namespace, each device
//            has its own address there and the agent carries no property (--link-properties
//            ""); its set-up time and one counter read (what snet up does every 2 s) are
//            printed apart: the shaping itself costs kernel time, not the agent's.
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "address_plan.hpp"
#include "kernel_shaper.hpp"
#include "namespace_builder.hpp"
#include "process_stats.hpp"
#include "snet/broker_launcher.hpp"
#include "snet/bus_loop.hpp"
#include "snet/clock.hpp"
#include "snet/flags.hpp"
#include "snet/log.hpp"
#include "snet/log_flags.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"
#include "snet/process.hpp"
#include "snet/socket_placement.hpp"
#include "snet/topics.hpp"
#include "snet/topology.hpp"
#include "stats.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using snet::bench::cpu_seconds;
using snet::bench::rss_kb;

namespace {

// The kernel engine's namespaces for the "kernel" run, built before the broker starts (it must
// listen on the core bridge) and removed when the bench ends.
struct KernelSetup {
  snet::kernel::AddressPlan plan;
  std::unique_ptr<snet::kernel::KernelShaper> shaper;
  std::string placement_path;
  double build_s = 0, apply_s = 0, report_s = 0;
  ~KernelSetup() {
    if (!plan.netns_prefix.empty()) {
      snet::kernel::teardown_namespaces(plan.netns_prefix, plan.link_prefix);
    }
  }
};

struct Context {
  std::string broker_url;
  KernelSetup* kernel = nullptr;
  std::string bin_dir;
  fs::path work_dir;
  int pairs = 500;
  int presses = 1000;
  int per_second = 200;
};

struct Result {
  std::string engine;
  double connect_s = 0;
  double cpu_connect_s = 0, cpu_idle_s = 0, cpu_load_s = 0;
  long rss_kb = 0;
  snet::bench::Summary latency;
};

fs::path write_topology(const Context& ctx, const std::string& name, bool emulated) {
  nlohmann::json doc = {{"name", name}, {"broker", "mosquitto"}};
  doc["pairs"] = {{"count", ctx.pairs}};
  if (emulated) {
    // Every device behind a site uplink: a chain of two links, both ideal (0 ms).
    doc["sites"] = nlohmann::json::array({{{"id", "bench-site"}, {"link", {{"latency_ms", 0}}}}});
    doc["pairs"]["site"] = "bench-site";
  }
  const fs::path path = ctx.work_dir / (name + ".json");
  std::ofstream(path) << doc.dump(2);
  return path;
}

snet::ChildProcess start_service(const Context& ctx, const std::string& program,
                                 std::vector<std::string> args, const std::string& log_name) {
  return snet::bench::start_program(ctx.bin_dir, ctx.work_dir, program, std::move(args), log_name);
}

// Receives every status and state of a topology; lets the bench wait on them.
class Observer {
 public:
  Observer(const std::string& url, const std::string& topology) {
    snet::BusOptions options;
    options.url = url;
    options.client_id = "links-bench-" + topology;
    bus_ = loop_.make_bus(options);
    bus_->on_message([this](const snet::Message& m) { on_message(m); });
    bus_->subscribe(snet::topics::all(topology, snet::topics::Kind::status),
                    snet::Qos::at_least_once);
    bus_->subscribe(snet::topics::all(topology, snet::topics::Kind::state),
                    snet::Qos::at_least_once);
    bus_->start();
    if (!bus_->wait_connected(10s)) throw std::runtime_error("observer could not connect");
  }
  ~Observer() { bus_->stop(); }
  snet::Bus& bus() { return *bus_; }

  bool wait_metric(const std::string& service, const std::string& metric, double want,
                   std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      auto it = metrics_.find(service);
      return it != metrics_.end() && it->second.is_object() &&
             it->second.value(metric, -1.0) >= want;
    });
  }
  void expect(const std::string& press_id, snet::Micros sent) {
    std::lock_guard lock(mutex_);
    sent_[press_id] = sent;
  }
  bool wait_applied(std::size_t count, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return samples_.size() >= count; });
  }
  std::vector<std::int64_t> samples() {
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  void on_message(const snet::Message& m) {
    const snet::Micros now = snet::now_us();
    try {
      std::lock_guard lock(mutex_);
      if (m.topic.find("/state/") != std::string::npos) {
        const auto state = snet::parse_state(m.payload);
        auto it = sent_.find(state.press_id);
        if (it == sent_.end()) return;
        samples_.push_back(now - it->second);
        sent_.erase(it);
      } else {
        const auto status = snet::parse_status(m.payload);
        metrics_[status.service] = nlohmann::json::parse(status.metrics_json);
      }
    } catch (const std::exception&) {
      return;  // not ours
    }
    cv_.notify_all();
  }

  snet::BusLoop loop_;
  std::unique_ptr<snet::Bus> bus_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, nlohmann::json> metrics_;
  std::unordered_map<std::string, snet::Micros> sent_;
  std::vector<std::int64_t> samples_;
};

double seconds_since(std::chrono::steady_clock::time_point began) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
}

// Builds the kernel engine for the "kernel" run's topology: namespaces, the (ideal) links'
// rules, the agent's placement file.
void set_up_kernel(const Context& ctx, KernelSetup& setup) {
  const std::string name = "linksbench-kernel";
  const snet::Topology topology = snet::load_topology(write_topology(ctx, name, true).string());
  snet::kernel::Ipv4Net pool;
  for (int second = 213; second <= 250; ++second) {
    pool = snet::kernel::parse_ipv4_net("10." + std::to_string(second) + ".0.0/16");
    if (snet::kernel::routes_overlapping(pool).empty()) break;
  }
  setup.plan = snet::kernel::plan_addresses(topology, ctx.work_dir.string(), pool);
  auto began = std::chrono::steady_clock::now();
  snet::kernel::build_namespaces(setup.plan);
  setup.build_s = seconds_since(began);
  setup.shaper = std::make_unique<snet::kernel::KernelShaper>(
      setup.plan, std::vector<std::string>{"loss_pct", "rate_kbit", "up"});
  began = std::chrono::steady_clock::now();
  for (const auto& error : setup.shaper->apply_all(topology.links())) {
    throw std::runtime_error("kernel engine: " + error);
  }
  setup.apply_s = seconds_since(began);
  snet::DevicePlacements placements;
  placements.broker_host = setup.plan.core_address.str();
  for (const auto& [id, device] : setup.plan.devices) {
    placements.devices[id] = {snet::kernel::AddressPlan::netns_path(
                                  setup.plan.sites[static_cast<std::size_t>(device.site)].netns),
                              device.address.str()};
  }
  setup.placement_path = (ctx.work_dir / "placement.json").string();
  snet::write_device_placements(setup.placement_path, placements);
}

Result run_engine(const Context& ctx, const std::string& engine) {
  if (engine != "none" && engine != "process" && engine != "kernel") {
    throw snet::UsageError("--engine: '" + engine + "' is not none, process or kernel");
  }
  const std::string name = "linksbench-" + engine;
  const std::string topology = write_topology(ctx, name, engine != "none").string();
  Observer observer(ctx.broker_url, name);
  const std::vector<std::string> common = {
      "--broker-url", ctx.broker_url, "--topology",           topology,
      "--log-level",  "warn",         "--status-interval-ms", "1000"};
  auto relayer = start_service(ctx, "snet-relayer", common, name + "-relayer");
  Result result;
  result.engine = engine;
  std::vector<std::string> agent_args = common;
  if (engine == "kernel") {
    agent_args.insert(agent_args.end(),
                      {"--link-properties", "", "--link-placement", ctx.kernel->placement_path});
  }
  const auto began = std::chrono::steady_clock::now();
  auto agent = start_service(ctx, "snet-agent", agent_args, name + "-agent");
  const int devices = 2 * ctx.pairs;
  if (!observer.wait_metric("agent", "snet_agent_devices_connected", devices, 120s) ||
      !observer.wait_metric("relayer", "snet_relayer_presses_total", 0, 30s)) {
    throw std::runtime_error(engine + ": the devices did not all connect (logs in " +
                             ctx.work_dir.string() + ")");
  }
  result.connect_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  result.cpu_connect_s = cpu_seconds(agent.pid());
  std::this_thread::sleep_for(3s);  // an idle window: keep-alives only (a measurement, not a wait)
  result.cpu_idle_s = cpu_seconds(agent.pid()) - result.cpu_connect_s;

  const double before_load = cpu_seconds(agent.pid());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < ctx.presses; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::microseconds(1'000'000LL * i / ctx.per_second));
    const std::string id = "lb-" + std::to_string(i);
    const snet::Micros now = snet::now_us();
    observer.expect(id, now);
    const std::string button = "button-" + std::to_string(i % ctx.pairs + 1);
    observer.bus().publish({snet::topics::make(name, snet::topics::Kind::press, button),
                            snet::to_json(snet::Press{id, now}),
                            false,
                            {}},
                           snet::Qos::at_least_once);
  }
  if (!observer.wait_applied(static_cast<std::size_t>(ctx.presses), 30s)) {
    std::printf("  %s: only %zu of %d presses applied\n", engine.c_str(), observer.samples().size(),
                ctx.presses);
  }
  result.cpu_load_s = cpu_seconds(agent.pid()) - before_load;
  result.rss_kb = rss_kb(agent.pid());
  result.latency = snet::bench::summarize(observer.samples());
  if (engine == "kernel") {
    const auto read_began = std::chrono::steady_clock::now();
    const auto traffic = ctx.kernel->shaper->traffic();
    ctx.kernel->report_s = seconds_since(read_began);
    std::printf(
        "  kernel engine: %zu namespaces built in %.2f s, links applied in %.2f s, one "
        "counter read of %zu links %.3f s (snet up: every 2 s)\n",
        ctx.kernel->plan.sites.size(), ctx.kernel->build_s, ctx.kernel->apply_s, traffic.size(),
        ctx.kernel->report_s);
  }
  return result;
}

void print(const Result& r, const Context& ctx) {
  std::printf(
      "  %-8s connect %6.2f s   agent CPU: connect %5.2f s, idle 3 s %5.3f s, %d presses %5.2f s"
      "   RSS %7.1f MB   press->state p50 %7.1f us  p99 %8.1f us  (n=%zu)\n",
      r.engine.c_str(), r.connect_s, r.cpu_connect_s, r.cpu_idle_s, ctx.presses, r.cpu_load_s,
      static_cast<double>(r.rss_kb) / 1024.0, r.latency.p50_us, r.latency.p99_us, r.latency.count);
}

double ratio(double a, double b) {
  return b > 0 ? a / b : 0;
}

}  // namespace

int main(int argc, char** argv) {
  snet::Flags flags("snet-links-bench",
                    "What the emulated network's engines cost: one agent, N devices, all links at "
                    "0 ms; prints numbers and ratios to no emulation.");
  flags.add("devices", "", "1000", "devices in the agent (half buttons, half actuators)")
      .add("presses", "", "1000", "presses in the load window")
      .add("rate", "", "200", "presses per second in the load window")
      .add("engine", "", "all",
           "all, none, process or kernel (as root with network namespaces; all includes it then)");
  snet::log::add_flags(flags, "warn");
  try {
    if (!flags.parse(argc, argv)) return 0;
    snet::log::apply_flags(flags);
    snet::log::set_component("links-bench");
    Context ctx;
    ctx.pairs = static_cast<int>(flags.integer("devices", 2, 100'000) / 2);
    ctx.presses = static_cast<int>(flags.integer("presses", 1, 1'000'000));
    ctx.per_second = static_cast<int>(flags.integer("rate", 1, 100'000));
    ctx.bin_dir = snet::self_dir();
    ctx.work_dir = fs::temp_directory_path() / ("snet-links-bench-" + std::to_string(::getpid()));
    fs::create_directories(ctx.work_dir);
    const std::string engine = flags.str("engine");
    std::vector<std::string> engines =
        engine == "all" ? std::vector<std::string>{"none", "process"} : std::vector{engine};
    if (engine == "all" && ::geteuid() == 0) engines.push_back("kernel");
    KernelSetup kernel;
    snet::MosquittoOptions mo;
    if (std::find(engines.begin(), engines.end(), "kernel") != engines.end()) {
      set_up_kernel(ctx, kernel);
      ctx.kernel = &kernel;
      mo.extra_bind_addresses = {kernel.plan.core_address.str()};
    }
    mo.port = snet::free_port();
    mo.data_dir = (ctx.work_dir / "mosquitto").string();
    snet::MosquittoServer broker(mo);
    ctx.broker_url = broker.url();
    std::printf(
        "snet-links-bench: %d devices in one agent, links at 0 ms, %d presses at %d/s, "
        "%u cores\n",
        2 * ctx.pairs, ctx.presses, ctx.per_second, std::thread::hardware_concurrency());
    std::map<std::string, Result> results;
    for (const auto& e : engines) {
      results[e] = run_engine(ctx, e);
      print(results[e], ctx);
    }
    for (const std::string emulated : {"process", "kernel"}) {
      if (!results.count("none") || !results.count(emulated)) continue;
      const Result& a = results[emulated];
      const Result& b = results["none"];
      std::printf(
          "  %s/none: connect %.2fx, CPU connect %.2fx, idle %.2fx, load %.2fx, "
          "RSS %.2fx (+%.1f KB per device), added press->state p50 %+.1f us, p99 %+.1f us\n",
          emulated.c_str(), ratio(a.connect_s, b.connect_s),
          ratio(a.cpu_connect_s, b.cpu_connect_s), ratio(a.cpu_idle_s, b.cpu_idle_s),
          ratio(a.cpu_load_s, b.cpu_load_s),
          ratio(static_cast<double>(a.rss_kb), static_cast<double>(b.rss_kb)),
          static_cast<double>(a.rss_kb - b.rss_kb) / (2.0 * ctx.pairs),
          a.latency.p50_us - b.latency.p50_us, a.latency.p99_us - b.latency.p99_us);
    }
    std::error_code ignored;
    fs::remove_all(ctx.work_dir, ignored);
  } catch (const snet::UsageError& e) {
    std::fprintf(stderr, "snet-links-bench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "snet-links-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
