#include "runner.hpp"

#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "live_status.hpp"
#include "snet/bus_loop.hpp"
#include "snet/http_client.hpp"
#include "snet/message.hpp"
#include "snet/net.hpp"
#include "snet/scenario_status.hpp"
#include "snet/topics.hpp"
#include "workload.hpp"

namespace snet::experiment {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// What the run has seen so far; the bus threads write, the run loop reads.
class Observations {
 public:
  explicit Observations(std::vector<PressRecord> presses) : presses_(std::move(presses)) {
    for (std::size_t i = 0; i < presses_.size(); ++i) index_.emplace(presses_[i].id, i);
  }

  void sent(std::size_t i, Micros at) {
    std::lock_guard lock(mutex_);
    presses_[i].sent = at;
    ++sent_;
  }
  void settled(std::size_t i, bool ok) {
    std::lock_guard lock(mutex_);
    ++settled_;
    if (!ok) return;
    presses_[i].acked = true;
    ++acked_;
  }
  void state(const StateReport& report) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(report.press_id);
    if (it == index_.end()) return;  // an earlier press (retained state) or someone else's
    PressRecord& p = presses_[it->second];
    if (++p.reports[report.device] == 1) {
      p.applied[report.device] = report.applied_ts != 0 ? report.applied_ts : now_us();
      if (report.relay_ts != 0) p.relayed[report.device] = report.relay_ts;
      ++applied_;
    }
  }
  std::size_t sent_count() {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  std::size_t applied_count() {
    std::lock_guard lock(mutex_);
    return applied_;
  }
  std::size_t acked_count() {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  /// Presses sent whose publish has not been acknowledged or failed yet.
  std::size_t unsettled() {
    std::lock_guard lock(mutex_);
    return sent_ - settled_;
  }
  /// Acknowledged pairs not applied yet (approximate while presses are being acknowledged).
  std::size_t outstanding() {
    std::lock_guard lock(mutex_);
    std::size_t missing = 0;
    for (const auto& p : presses_) {
      if (!p.acked) continue;
      for (const auto& t : p.targets) missing += p.applied.count(t) == 0;
    }
    return missing;
  }
  std::vector<PressRecord> take() {
    std::lock_guard lock(mutex_);
    return presses_;
  }

 private:
  std::mutex mutex_;
  std::vector<PressRecord> presses_;
  std::unordered_map<std::string, std::size_t> index_;
  std::size_t sent_ = 0, settled_ = 0, applied_ = 0, acked_ = 0;
};

std::string storm_body(const std::string& kind) {
  if (kind == "buttons") return R"({"kind": "button"})";
  if (kind == "actuators") return R"({"kind": "actuator"})";
  return R"({"devices": "*"})";
}

// One HTTP call of the timeline; returns "" or why it failed.
std::string call(const std::string& method, const std::string& url, const std::string& body) {
  const http::ClientReply reply = http::call(method, url, body, std::chrono::seconds(30));
  if (reply.status == 0) return method + " " + url + ": " + reply.error;
  if (reply.status >= 300)
    return method + " " + url + ": " + std::to_string(reply.status) + " " + reply.body;
  return "";
}

// The link's effective spec now, from GET /api/links (to put it back at `until_s`).
LinkSpec current_link(const std::string& base, const std::string& id) {
  const http::ClientReply reply =
      http::call("GET", base + "/api/links", {}, std::chrono::seconds(10));
  const json doc = json::parse(reply.body, nullptr, false);
  if (doc.is_object() && doc.contains("links") && doc["links"].is_array()) {
    for (const auto& link : doc["links"]) {
      if (link.value("id", "") != id || !link.contains("spec")) continue;
      std::vector<std::string> ignored;
      return parse_link_spec(link["spec"], "spec", ignored);
    }
  }
  return {};
}

// What undoes `set` on a link whose spec was `before`: each field set goes back to its value
// before, or to its default (null: ideal, e.g. no rate limit) when it had none.
json restore_of(const LinkSpec& set, const LinkSpec& before) {
  const json was = before.to_json();
  const json changed = set.to_json();
  json back = json::object();
  for (const auto& [field, value] : changed.items()) {
    (void)value;
    back[field] = was.contains(field) ? was[field] : json(nullptr);
  }
  return back;
}

// The agents' snet_agent_duplicates_total summed over services, from the state service's
// /metrics (each agent's counters as of its last status); -1 when it cannot be read.
std::int64_t agent_duplicates(const std::string& base) {
  const http::ClientReply reply =
      http::call("GET", base + "/metrics", {}, std::chrono::seconds(10));
  if (reply.status != 200) return -1;
  std::int64_t sum = 0;
  std::size_t at = 0;
  const std::string name = "snet_agent_duplicates_total";
  while ((at = reply.body.find(name, at)) != std::string::npos) {
    const std::size_t end = reply.body.find('\n', at);
    const std::string line = reply.body.substr(at, end - at);
    const bool line_start = at == 0 || reply.body[at - 1] == '\n';  // not a # HELP line
    at = end;
    if (!line_start || (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0)) continue;
    try {
      sum += static_cast<std::int64_t>(std::stod(line.substr(line.rfind(' ') + 1)));
    } catch (const std::exception&) {
      return -1;
    }
  }
  return sum;
}

// When the state service stored each pair, from its history (GET /api/events, the newest 1,000
// records per actuator): a second view of the run, besides the broker's.
void read_stored(const std::string& base, std::vector<PressRecord>& presses) {
  std::map<std::string, std::map<std::string, Micros>> stored;  // actuator -> press id -> ts
  std::set<std::string> actuators;
  for (const auto& p : presses) actuators.insert(p.targets.begin(), p.targets.end());
  for (const auto& actuator : actuators) {
    const http::ClientReply reply =
        http::call("GET", base + "/api/events?kind=state&limit=1000&device=" + actuator, {},
                   std::chrono::seconds(10));
    const json doc = json::parse(reply.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("events") || !doc["events"].is_array()) continue;
    for (const auto& event : doc["events"]) {
      if (event.value("device", "") != actuator || !event.contains("stored_ts")) continue;
      if (!event["stored_ts"].is_number_integer()) continue;
      stored[actuator][event.value("press_id", "")] = event["stored_ts"].get<Micros>();
    }
  }
  for (auto& p : presses) {
    for (const auto& target : p.targets) {
      auto a = stored.find(target);
      if (a == stored.end()) continue;
      if (auto it = a->second.find(p.id); it != a->second.end()) p.stored[target] = it->second;
    }
  }
}

struct Step {
  double at_s;
  const Action* action;
  bool undo;
};

}  // namespace

RunResult run_scenario(const Scenario& scenario, const Topology& topology,
                       const RunOptions& options, const std::atomic<bool>& cancelled) {
  std::vector<PressRecord> planned;
  // The run's id in every press id: base 36 of the start time in ms, short and unique enough.
  std::string run_id;
  for (auto ms = now_us() / 1000; ms > 0; ms /= 36)
    run_id.insert(run_id.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[ms % 36]);
  for (auto& p : plan_presses(scenario, topology, run_id)) {
    PressRecord record;
    record.id = std::move(p.id);
    record.button = std::move(p.button);
    record.planned = p.at_us;  // an offset until the start is known
    record.targets = topology.targets_of(record.button);
    planned.push_back(std::move(record));
  }
  const std::size_t planned_count = planned.size();
  Observations seen(std::move(planned));

  BusLoop loop;
  BusOptions watch_options;
  watch_options.url = options.broker_url;
  watch_options.client_id = "snet-" + topology.name + "-scenario-watch";
  watch_options.persistent_session = true;  // a broker restart or reconnect loses no report
  auto watch = loop.make_bus(watch_options);
  watch->on_message([&](const Message& m) {
    try {
      seen.state(parse_state(m.payload));
    } catch (const BadMessage&) {
      // not a state report of ours: the state service counts bad ones
    }
  });
  watch->subscribe(topics::all(topology.name, topics::Kind::state), Qos::at_least_once);
  BusOptions press_options;
  press_options.url = options.broker_url;
  press_options.client_id = "snet-" + topology.name + "-scenario-presser";
  press_options.persistent_session = true;
  auto presser = loop.make_bus(press_options);
  watch->start();
  presser->start();
  if (!watch->wait_connected(std::chrono::seconds(15)) ||
      !presser->wait_connected(std::chrono::seconds(15))) {
    throw std::runtime_error("cannot connect to the broker at " + redacted_url(options.broker_url));
  }

  std::vector<Step> steps;
  for (const auto& a : scenario.timeline) {
    steps.push_back({a.at_s, &a, false});
    if (a.until_s) steps.push_back({*a.until_s, &a, true});
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const Step& x, const Step& y) { return x.at_s < y.at_s; });

  RunResult result;
  // The live status for the dashboard: retained on the scenario topic, once a second, on every
  // step and at the end.
  LiveStatus live(scenario, run_id, planned_count);
  const auto publish_status = [&](ScenarioState state, PublishDone done = {}) {
    const RunCounts counts{seen.sent_count(), seen.acked_count(), seen.applied_count(),
                           seen.outstanding(), result.action_errors.size()};
    presser->publish(Message{topics::scenario_topic(topology.name),
                             to_json(live.at(now_us(), counts, state)),
                             true,
                             {}},
                     Qos::at_least_once, std::move(done));
  };
  std::map<const Action*, LinkSpec> link_before;
  std::map<const Action*, std::size_t> window_of;
  std::string current_fault;
  const std::string& base = options.state_url;
  auto carry_out = [&](const Step& step) {
    const Action& a = *step.action;
    std::string error;
    if (a.kind == "service") {
      const std::string verb = !step.undo ? a.verb : a.verb == "stop" ? "start" : "resume";
      error = call("POST", base + "/api/services/" + a.targets.front() + "/" + verb, "");
    } else if (a.kind == "device") {
      for (const auto& id : a.targets) {
        const std::string verb = step.undo ? "online" : a.verb;
        if (auto e = call("POST", base + "/api/devices/" + id + "/" + verb, ""); !e.empty())
          error = e;
      }
    } else if (a.kind == "storm") {
      error = call("POST", base + "/api/faults/storm", storm_body(a.targets.front()));
    } else if (a.kind == "link") {
      const std::string& id = a.targets.front();
      if (!step.undo) link_before[&a] = current_link(base, id);
      const json body = step.undo ? restore_of(a.link, link_before[&a]) : a.link.to_json();
      error = call("PUT", base + "/api/links/" + id, body.dump());
    }
    const Micros now = now_us();
    if (!step.undo) {
      window_of[&a] = result.faults.size();
      result.faults.push_back({a.label, now, now});
      current_fault =
          a.until_s ? a.label : a.label + " at " + std::to_string(static_cast<long>(a.at_s)) + " s";
    } else {
      result.faults[window_of[&a]].end = now;
      current_fault.clear();
    }
    if (!error.empty()) result.action_errors.push_back(a.label + ": " + error);
    live.step(static_cast<std::size_t>(&a - scenario.timeline.data()), step.undo);
    publish_status(ScenarioState::running);
  };

  const std::int64_t duplicates_before = agent_duplicates(options.state_url);
  // The run: presses and steps in time order, against the steady clock.
  const auto t0 = Clock::now();
  result.started = now_us();
  live.start(result.started);
  std::vector<PressRecord> snapshot = seen.take();  // planned offsets, read-only from here
  std::size_t next_press = 0, next_step = 0;
  auto next_progress = t0;
  const auto due = [&](double s) {
    return t0 + std::chrono::microseconds(static_cast<std::int64_t>(s * 1e6));
  };
  const auto end = due(scenario.duration_s);
  while (!cancelled.load()) {
    const auto now = Clock::now();
    while (next_step < steps.size() && due(steps[next_step].at_s) <= now)
      carry_out(steps[next_step++]);
    while (next_press < snapshot.size() &&
           t0 + std::chrono::microseconds(snapshot[next_press].planned) <= now) {
      const PressRecord& p = snapshot[next_press];
      const Micros sent_at = now_us();
      seen.sent(next_press, sent_at);
      const std::size_t index = next_press;
      presser->publish(Message{topics::make(topology.name, topics::Kind::press, p.button),
                               to_json(Press{p.id, sent_at}),
                               false,
                               {}},
                       Qos::at_least_once,
                       [&seen, index](bool ok, const std::string&) { seen.settled(index, ok); });
      ++next_press;
    }
    if (now >= next_progress) {  // once a second: the progress line and the live status
      if (options.progress != nullptr) {
        *options.progress << "\r["
                          << std::chrono::duration_cast<std::chrono::seconds>(now - t0).count()
                          << "/" << static_cast<long>(scenario.duration_s) << " s] sent "
                          << seen.sent_count() << ", applied " << seen.applied_count()
                          << (current_fault.empty() ? "" : " | " + current_fault) << "   "
                          << std::flush;
      }
      publish_status(ScenarioState::running);
      next_progress += std::chrono::seconds(1);
    }
    if (now >= end) break;
    auto wake = std::min(end, next_progress);
    if (next_press < snapshot.size())
      wake = std::min(wake, t0 + std::chrono::microseconds(snapshot[next_press].planned));
    if (next_step < steps.size()) wake = std::min(wake, due(steps[next_step].at_s));
    std::this_thread::sleep_until(wake);  // pacing the workload, not waiting for an event
  }
  // Undo what is still in force (a window past the end), then let presses on their way arrive.
  for (; next_step < steps.size(); ++next_step) {
    if (steps[next_step].undo) carry_out(steps[next_step]);
  }
  const auto drain_until = Clock::now() + options.drain;
  while (!cancelled.load() && Clock::now() < drain_until &&
         (seen.unsettled() > 0 || seen.outstanding() > 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling our own counters
    if (Clock::now() >= next_progress) {
      publish_status(ScenarioState::running);
      next_progress += std::chrono::seconds(1);
    }
  }
  // The last status, retained: what a dashboard opened later shows. Waited for (bounded) so
  // that stopping the connection does not drop it.
  auto last_published = std::make_shared<std::promise<void>>();
  auto last_done = last_published->get_future();
  publish_status(cancelled.load() ? ScenarioState::cancelled : ScenarioState::finished,
                 [last_published](bool, const std::string&) { last_published->set_value(); });
  last_done.wait_for(std::chrono::seconds(2));
  if (options.progress != nullptr) {
    *options.progress << "\rdone: sent " << seen.sent_count() << ", applied "
                      << seen.applied_count() << "                    \n";
  }
  result.ended = now_us();
  const std::int64_t duplicates_after = agent_duplicates(options.state_url);
  if (duplicates_before >= 0 && duplicates_after >= 0)
    result.redelivered = duplicates_after - duplicates_before;
  presser->stop();
  watch->stop();
  result.presses = seen.take();
  for (auto& p : result.presses) p.planned += result.started;
  read_stored(options.state_url, result.presses);
  return result;
}

}  // namespace snet::experiment
