#include "report.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace snet::experiment {
namespace {

double ms(Micros us) {
  return static_cast<double>(us) / 1000.0;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// One press x target pair of an acknowledged press.
struct Pair {
  Micros sent = 0;
  std::optional<Micros> applied;
  int reports = 0;
};

std::vector<Pair> pairs_of(const std::vector<PressRecord>& presses) {
  std::vector<Pair> out;
  for (const auto& p : presses) {
    if (!p.acked) continue;
    for (const auto& target : p.targets) {
      Pair pair{p.sent, std::nullopt, 0};
      if (auto it = p.applied.find(target); it != p.applied.end()) pair.applied = it->second;
      if (auto it = p.reports.find(target); it != p.reports.end()) pair.reports = it->second;
      out.push_back(pair);
    }
  }
  std::sort(out.begin(), out.end(), [](const Pair& a, const Pair& b) { return a.sent < b.sent; });
  return out;
}

PhaseStats phase(std::string name, Micros from, Micros to, const std::vector<Pair>& pairs) {
  PhaseStats stats{std::move(name), from, to, {}, 0};
  std::vector<double> latencies;
  for (const auto& p : pairs) {
    if (p.sent < from || p.sent >= to) continue;
    if (p.applied)
      latencies.push_back(ms(*p.applied - p.sent));
    else
      ++stats.lost;
  }
  stats.latency = latency_stats(std::move(latencies));
  return stats;
}

// Fault's end -> the applied time of the first press sent after the end from which the presses
// of the next second all arrive and their median is within 2x the baseline (at least 1 ms over
// it: sub-millisecond noise is not a fault's effect).
std::optional<double> recovery(const std::vector<Pair>& pairs, Micros end, double baseline_ms) {
  const double bound = std::max(2 * baseline_ms, baseline_ms + 1);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (pairs[i].sent < end || !pairs[i].applied) continue;
    std::vector<double> window;
    bool all_arrived = true;
    for (std::size_t j = i; j < pairs.size() && pairs[j].sent < pairs[i].sent + 1'000'000; ++j) {
      all_arrived = all_arrived && pairs[j].applied.has_value();
      if (pairs[j].applied) window.push_back(ms(*pairs[j].applied - pairs[j].sent));
    }
    if (all_arrived && latency_stats(std::move(window)).p50_ms <= bound) {
      return ms(*pairs[i].applied - end);
    }
  }
  return std::nullopt;
}

}  // namespace

LatencyStats latency_stats(std::vector<double> latencies) {
  std::sort(latencies.begin(), latencies.end());
  LatencyStats s;
  s.count = latencies.size();
  s.p50_ms = percentile(latencies, 50);
  s.p90_ms = percentile(latencies, 90);
  s.p99_ms = percentile(latencies, 99);
  s.max_ms = latencies.empty() ? 0 : latencies.back();
  return s;
}

Report compute_report(const Scenario& scenario, const std::vector<PressRecord>& presses,
                      const std::vector<FaultWindow>& faults, Micros started, Micros ended,
                      double late_ms) {
  Report r;
  r.scenario = scenario.name;
  r.started = started;
  r.ended = ended;
  r.late_ms = late_ms;
  r.planned = presses.size();
  for (const auto& p : presses) {
    r.sent += p.sent != 0;
    r.acked += p.acked;
  }
  const std::vector<Pair> pairs = pairs_of(presses);
  std::vector<double> latencies;
  std::map<std::int64_t, std::size_t> per_second;
  for (const auto& p : pairs) {
    ++r.pairs;
    r.duplicated += p.reports > 1;
    if (!p.applied) {
      ++r.lost;
      continue;
    }
    ++r.applied;
    const double latency = ms(*p.applied - p.sent);
    latencies.push_back(latency);
    r.late += latency > late_ms;
    ++per_second[(*p.applied - started) / 1'000'000];
  }
  r.latency = latency_stats(std::move(latencies));
  const auto seconds = static_cast<std::int64_t>(std::ceil(ms(ended - started) / 1000.0));
  for (std::int64_t s = 0; s < seconds; ++s) {
    auto it = per_second.find(s);
    r.throughput.emplace_back(static_cast<double>(s), it == per_second.end() ? 0 : it->second);
  }

  std::vector<FaultWindow> sorted = faults;
  std::sort(sorted.begin(), sorted.end(),
            [](const FaultWindow& a, const FaultWindow& b) { return a.start < b.start; });
  Micros previous_end = started;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const FaultWindow& f = sorted[i];
    const Micros next = i + 1 < sorted.size() ? sorted[i + 1].start : ended;
    const PhaseStats before = phase("before " + f.label, previous_end, f.start, pairs);
    const PhaseStats during =
        phase("during " + f.label, f.start, std::max(f.end, f.start + 1), pairs);
    const PhaseStats after = phase("after " + f.label, std::max(f.end, f.start + 1), next, pairs);
    r.phases.push_back(before);
    if (f.end > f.start) r.phases.push_back(during);
    r.phases.push_back(after);

    FaultStats stats;
    stats.label = f.label;
    stats.start = f.start;
    stats.end = f.end;
    stats.baseline_p50_ms = before.latency.p50_ms;
    for (const auto& p : pairs) {
      if (p.sent < f.start || p.sent > f.end) continue;
      ++stats.sent_during;
      stats.lost += !p.applied;
      stats.duplicated += p.reports > 1;
    }
    for (const auto& p : pairs) {
      if (!p.applied || *p.applied < f.end) continue;
      const double after_end = ms(*p.applied - f.end);
      if (!stats.first_applied_ms || after_end < *stats.first_applied_ms)
        stats.first_applied_ms = after_end;
    }
    stats.recovery_ms = recovery(pairs, f.end, before.latency.p50_ms);
    r.faults.push_back(std::move(stats));
    previous_end = std::max(f.end, f.start + 1);
  }

  const Expectations& e = scenario.expect;
  auto fail = [&](const std::string& text) { r.failed_expectations.push_back(text); };
  if (e.lost && static_cast<std::int64_t>(r.lost) > *e.lost)
    fail("lost: " + std::to_string(r.lost) + " > " + std::to_string(*e.lost));
  if (e.duplicated && static_cast<std::int64_t>(r.duplicated) > *e.duplicated)
    fail("duplicated: " + std::to_string(r.duplicated) + " > " + std::to_string(*e.duplicated));
  if (e.p50_ms && r.latency.p50_ms > *e.p50_ms)
    fail("p50_ms: " + nlohmann::json(r.latency.p50_ms).dump() + " > " +
         nlohmann::json(*e.p50_ms).dump());
  if (e.p99_ms && r.latency.p99_ms > *e.p99_ms)
    fail("p99_ms: " + nlohmann::json(r.latency.p99_ms).dump() + " > " +
         nlohmann::json(*e.p99_ms).dump());
  if (e.min_applied_pct && r.pairs > 0 &&
      100.0 * static_cast<double>(r.applied) / static_cast<double>(r.pairs) < *e.min_applied_pct)
    fail("min_applied_pct: " + std::to_string(r.applied) + " of " + std::to_string(r.pairs) +
         " applied");
  if (e.recovery_ms) {
    for (const auto& f : r.faults) {
      if (!f.recovery_ms) {
        fail("recovery_ms: '" + f.label + "' never recovered");
      } else if (*f.recovery_ms > *e.recovery_ms) {
        fail("recovery_ms: '" + f.label + "' took " + nlohmann::json(*f.recovery_ms).dump() +
             " > " + nlohmann::json(*e.recovery_ms).dump());
      }
    }
  }
  return r;
}

nlohmann::json to_json(const Report& r) {
  using nlohmann::json;
  auto stats = [](const LatencyStats& s) {
    return json{{"count", s.count},
                {"p50_ms", s.p50_ms},
                {"p90_ms", s.p90_ms},
                {"p99_ms", s.p99_ms},
                {"max_ms", s.max_ms}};
  };
  json phases = json::array();
  for (const auto& p : r.phases) {
    phases.push_back({{"name", p.name},
                      {"from_s", ms(p.from - r.started) / 1000},
                      {"to_s", ms(p.to - r.started) / 1000},
                      {"latency", stats(p.latency)},
                      {"lost", p.lost}});
  }
  json faults = json::array();
  for (const auto& f : r.faults) {
    json item = {{"label", f.label},
                 {"start_s", ms(f.start - r.started) / 1000},
                 {"end_s", ms(f.end - r.started) / 1000},
                 {"sent_during", f.sent_during},
                 {"lost", f.lost},
                 {"duplicated", f.duplicated},
                 {"baseline_p50_ms", f.baseline_p50_ms},
                 {"first_applied_ms", nullptr},
                 {"recovery_ms", nullptr}};
    if (f.first_applied_ms) item["first_applied_ms"] = *f.first_applied_ms;
    if (f.recovery_ms) item["recovery_ms"] = *f.recovery_ms;
    faults.push_back(std::move(item));
  }
  json throughput = json::array();
  for (const auto& [second, applied] : r.throughput) throughput.push_back({second, applied});
  return {{"scenario", r.scenario},
          {"duration_s", ms(r.ended - r.started) / 1000},
          {"presses", {{"planned", r.planned}, {"sent", r.sent}, {"acked", r.acked}}},
          {"pairs",
           {{"total", r.pairs},
            {"applied", r.applied},
            {"lost", r.lost},
            {"duplicated", r.duplicated},
            {"late", r.late},
            {"late_ms", r.late_ms},
            {"redelivered", r.redelivered < 0 ? json(nullptr) : json(r.redelivered)}}},
          {"latency", stats(r.latency)},
          {"phases", std::move(phases)},
          {"faults", std::move(faults)},
          {"throughput", std::move(throughput)},
          {"expectations",
           {{"passed", r.failed_expectations.empty()}, {"failed", r.failed_expectations}}}};
}

}  // namespace snet::experiment
