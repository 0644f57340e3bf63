// The kernel engine through the real stack: `snet up --links kernel|auto` with
// tests/topology/links-kernel.json (b1 on the core -> a1 in the field site; b2 -> a2 in a
// building behind the campus, a2's own link 50 ms), real Mosquitto, relayer, state and agent.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "links_fixture.hpp"
#include "namespace_builder.hpp"
#include "presser.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"
#include "tool.hpp"

using namespace snet;
using namespace snet::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTopology = "links-kernel";

// Device id -> its address, from the placement file snet up wrote; and the namespaces' prefix.
struct Placement {
  std::map<std::string, std::string> addresses;
  std::string netns_prefix;
  std::string broker_host;
  explicit Placement(const std::string& data_dir) {
    std::ifstream in(data_dir + "/links-placement.json");
    REQUIRE(in);
    const auto doc = nlohmann::json::parse(in);
    broker_host = doc.at("broker_host").get<std::string>();
    for (const auto& [id, entry] : doc.at("devices").items()) {
      addresses[id] = entry.at("address").get<std::string>();
      const std::string netns = entry.at("netns").get<std::string>();  // /run/netns/snet-h-n
      const std::string name = netns.substr(netns.rfind('/') + 1);
      netns_prefix = name.substr(0, name.rfind('-') + 1);
    }
  }
};

struct KernelStack {
  explicit KernelStack(const std::string& mode)
      : up(SnetUp::Options{"tests/topology/links-kernel.json",
                           kTopology,
                           {"--links", mode},
                           60s,
                           {{"SNET_STATUS_INTERVAL_MS", "200"}}}),
        placement(up.data_dir()),
        recorder(up.mqtt_url(), {topics::all(kTopology, topics::Kind::state),
                                 topics::link_report_filter(kTopology)}),
        presser(up.mqtt_url(), "links-kernel-test-presser") {
    REQUIRE(presser.wait_connected(5s));
  }

  void set_link(const std::string& link, const LinkSpec& spec) {
    publish_link_update(recorder.bus(), kTopology, link, spec);
  }
  void trigger(const std::string& button, const std::string& id) {
    presser.press(topics::make(kTopology, topics::Kind::trigger, button), id);
  }
  std::map<std::string, Arrival> states(const std::string& actuator, const std::string& prefix) {
    return states_in(recorder.arrivals(), actuator, prefix);
  }
  static std::map<std::string, Arrival> states_in(const std::vector<Arrival>& arrivals,
                                                  const std::string& actuator,
                                                  const std::string& prefix) {
    std::map<std::string, Arrival> out;
    const std::string topic = topics::make(kTopology, topics::Kind::state, actuator);
    for (const auto& a : arrivals) {
      if (a.message.topic != topic) continue;
      const StateReport state = parse_state(a.message.payload);
      if (state.press_id.rfind(prefix, 0) == 0) out.emplace(state.press_id, a);
    }
    return out;
  }
  bool wait_states(const std::string& actuator, const std::string& prefix, std::size_t count,
                   std::chrono::milliseconds timeout) {
    return recorder.wait(
        [&](const auto& arrivals) { return states_in(arrivals, actuator, prefix).size() >= count; },
        timeout);
  }
  // The latest kernel report satisfying `pred`, within `timeout`.
  bool wait_report(const std::function<bool(const LinkReport&)>& pred,
                   std::chrono::milliseconds timeout = 8s) {
    const std::string topic = topics::link_report_topic(kTopology, "kernel");
    return recorder.wait(
        [&](const auto& arrivals) {
          for (auto it = arrivals.rbegin(); it != arrivals.rend(); ++it) {
            if (it->message.topic == topic) return pred(parse_link_report(it->message.payload));
          }
          return false;
        },
        timeout);
  }

  SnetUp up;
  Placement placement;
  TimedRecorder recorder;
  Presser presser;
};

LinkSpec cut(bool up) {
  LinkSpec spec;
  spec.up = up;
  return spec;
}

// Peers of established TCP connections to `port` in the root namespace.
std::set<std::string> peers_of(int port) {
  const auto result = kernel::run_tool(
      {"ss", "-tnH", "state", "established", "( sport = :" + std::to_string(port) + " )"});
  std::set<std::string> peers;
  std::istringstream lines(result.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string recv_q, send_q, local, peer;
    fields >> recv_q >> send_q >> local >> peer;
    peers.insert(peer.substr(0, peer.rfind(':')));
  }
  return peers;
}

}  // namespace

TEST_CASE(
    "snet up --links kernel: each device reaches the broker from its own address in its "
    "site's namespace and SIGTERM removes every namespace") {
  std::string prefix;
  {
    KernelStack stack("kernel");
    prefix = stack.placement.netns_prefix;
    CHECK(kernel::namespaces_with_prefix(prefix).size() ==
          4);  // core site, campus, building, field
    const auto peers = peers_of(stack.up.mqtt_port());
    for (const auto& [device, address] : stack.placement.addresses) {
      CAPTURE(device);
      CHECK(peers.count(address) == 1);
    }
    // Presses go through: b2 in the building (behind the campus) to a2 beside it.
    stack.trigger("b2", "own-1");
    CHECK(stack.wait_states("a2", "own-", 1, 10s));
    // The kernel engine's report names what it applies and why the rest falls back.
    CHECK(stack.wait_report([](const LinkReport& r) {
      return r.engine == "kernel" && r.links.count("building") == 1 &&
             r.links.at("building").packets_up > 0 && r.links.count("a2") == 1 &&
             r.links.at("a2").packets_down > 0 && !r.notes.empty() &&
             r.notes[0].find("latency_ms") != std::string::npos;
    }));
  }
  CHECK(kernel::namespaces_with_prefix(prefix).empty());
  CHECK(kernel::links_with_prefix("sn" + prefix.substr(5)).empty());
}

TEST_CASE("snet up --links kernel: a SIGKILLed run's namespaces are removed by the next start") {
  std::string killed_prefix;
  {
    SnetUp first(
        SnetUp::Options{"tests/topology/links-kernel.json", kTopology, {"--links", "kernel"}});
    killed_prefix = Placement(first.data_dir()).netns_prefix;
    first.process().signal(SIGKILL);
    REQUIRE(first.process().wait_for(5s));
  }
  CHECK(kernel::namespaces_with_prefix(killed_prefix).size() == 4);  // left behind
  SnetUp second(
      SnetUp::Options{"tests/topology/links-kernel.json", kTopology, {"--links", "kernel"}});
  CHECK(kernel::namespaces_with_prefix(killed_prefix).empty());
  CHECK(kernel::namespaces_with_prefix(Placement(second.data_dir()).netns_prefix).size() == 4);
}

TEST_CASE(
    "snet up --links kernel: a cut site delays presses until restore with none lost and "
    "loss on a site costs retransmissions but every press arrives") {
  KernelStack stack("kernel");
  stack.set_link("field", cut(false));  // a1's site: its veth goes down
  // The field is the topology's third site: its outer veth end is sn<hash>-3.
  const std::string field_veth =
      "/sys/class/net/sn" + stack.placement.netns_prefix.substr(5) + "3/operstate";
  auto field_state = [&] { return read_text(field_veth).substr(0, 4); };
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (field_state() != "down" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // polled: the engine applies it on its own thread
  }
  REQUIRE(field_state() == "down");
  for (int i = 0; i < 10; ++i) stack.trigger("b1", "cut-" + std::to_string(i));
  REQUIRE(stack.presser.wait_acked(10, 5s));
  CHECK_FALSE(stack.wait_states("a1", "cut-", 1, 1500ms));  // nothing gets through the cut
  stack.trigger("b2", "other-1");                           // another site is not affected
  CHECK(stack.wait_states("a2", "other-", 1, 5s));
  stack.set_link("field", cut(true));
  CHECK(stack.wait_states("a1", "cut-", 10, 15s));
  CHECK(stack.states("a1", "cut-").size() == 10);

  LinkSpec lossy;
  lossy.loss_pct = 25;
  stack.set_link("field", lossy);
  // Applied once the field's namespace (the third site: <prefix>3) has the loss rules.
  auto lossy_rules = [&] {
    return kernel::run_tool({"ip", "netns", "exec", stack.placement.netns_prefix + "3",
                             "iptables-save", "-t", "mangle"})
               .output.find("loss-up:") != std::string::npos;
  };
  const auto loss_deadline = std::chrono::steady_clock::now() + 5s;
  while (!lossy_rules() && std::chrono::steady_clock::now() < loss_deadline) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(lossy_rules());
  for (int i = 0; i < 20; ++i) stack.trigger("b1", "loss-" + std::to_string(i));
  CHECK(stack.wait_states("a1", "loss-", 20, 30s));
  CHECK(stack.wait_report([](const LinkReport& r) {
    return r.links.count("field") == 1 && r.links.at("field").dropped > 0;
  }));
}

TEST_CASE(
    "snet up --links auto: latency falls back to the process engine and a 50 ms device link "
    "still adds 50 ms per crossing") {
  KernelStack stack("auto");
  // b2 -> a2: the command crosses a2's link down and the state crosses it up: 2 x 50 ms.
  pace(60, 50, [&](int i) { stack.trigger("b2", "lat-" + std::to_string(i)); });
  REQUIRE(stack.wait_states("a2", "lat-", 60, 20s));
  std::vector<double> ms;
  for (const auto& [id, arrival] : stack.states("a2", "lat-")) {
    ms.push_back(static_cast<double>(arrival.at - parse_state(arrival.message.payload).press_ts) /
                 1000.0);
  }
  const double p50 = median(ms);
  MESSAGE("press -> state p50 across a 50 ms device link (auto: kernel + process): ", p50, " ms");
  CHECK(p50 > 100 * 0.9);
  CHECK(p50 < 100 * 1.1 + 15);  // plus the ideal path's own few ms
  CHECK(stack.up.output().find("process for latency_ms, jitter_ms") != std::string::npos);
}

TEST_CASE(
    "snet up --links kernel: the engine reports the links of 1800 devices in parts of under 64 KB "
    "each and clears them when it stops") {
  // One report of them all (~330 KB) is past the broker's packet size: Mosquitto closed the
  // engine's connection at every report, and no report arrived.
  const std::string name = "links-kernel-many";
  const std::string prefix = topics::link_report_topic(name, "kernel");
  auto kernel_parts = [&](const std::vector<Arrival>& arrivals) {
    std::map<std::string, LinkReport> latest;  // by topic
    for (const auto& a : arrivals) {
      if (a.message.topic.rfind(prefix, 0) != 0 || a.message.payload.empty()) continue;
      latest[a.message.topic] = parse_link_report(a.message.payload);
    }
    return latest;
  };
  TempDir data("snet-kernel-reports");
  {
    SnetUp up(SnetUp::Options{"tests/topology/links-kernel-many.json",
                              name,
                              {"--links", "kernel"},
                              90s,
                              {{"SNET_STATUS_INTERVAL_MS", "200"}},
                              true,
                              data.path()});
    TimedRecorder recorder(up.mqtt_url(), {topics::link_report_filter(name)});
    auto covered = [&](const std::vector<Arrival>& arrivals) {
      std::set<std::string> links;
      for (const auto& [topic, report] : kernel_parts(arrivals)) {
        for (const auto& [id, traffic] : report.links) links.insert(id);
      }
      return links.size() == 1801 && links.count("hall") == 1 && links.count("button-900") == 1;
    };
    REQUIRE(recorder.wait(covered, 20s));
    std::set<std::string> reporters;
    for (const auto& a : recorder.arrivals()) {
      if (a.message.topic.rfind(prefix, 0) != 0 || a.message.payload.empty()) continue;
      CHECK(a.message.payload.size() < 64 * 1024);
      reporters.insert(parse_link_report(a.message.payload).reporter);
    }
    CHECK(reporters.size() == 10);  // 1,801 links, 200 a part
    CHECK(reporters.count("kernel") == 1);
    CHECK(reporters.count("kernel.10") == 1);
  }
  // The next run on the same data (its broker keeps retained messages) without the engine: no
  // report of the last one's is left. A marker published after subscribing comes after every
  // retained message the subscription brought.
  SnetUp again(SnetUp::Options{"tests/topology/links-kernel-many.json",
                               name,
                               {"--links", "off"},
                               90s,
                               {},
                               true,
                               data.path()});
  TimedRecorder recorder(again.mqtt_url(), {topics::link_report_filter(name)});
  const std::string marker = topics::link_report_topic(name, "marker");
  recorder.bus().publish(Message{marker, "", false, {}}, Qos::at_least_once);
  REQUIRE(recorder.wait(
      [&](const auto& arrivals) {
        return std::any_of(arrivals.begin(), arrivals.end(),
                           [&](const Arrival& a) { return a.message.topic == marker; });
      },
      10s));
  CHECK(kernel_parts(recorder.arrivals()).empty());
}
