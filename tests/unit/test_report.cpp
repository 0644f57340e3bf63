// A run's report from its observations: counts, latency per phase, recovery per fault.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "report.hpp"
#include "report_files.hpp"

using namespace snet;
using namespace snet::experiment;

namespace {
constexpr Micros kSecond = 1'000'000;
constexpr Micros kT0 = 1'700'000'000 * kSecond;  // wall clock

// A press every 100 ms for 10 s on one target; latency 2 ms, except 500 ms during [4 s, 6 s)
// (a partition that delays), and the presses in [5 s, 5.5 s) lost; one duplicate at 8 s.
std::vector<PressRecord> presses() {
  std::vector<PressRecord> out;
  for (int i = 0; i < 100; ++i) {
    PressRecord p;
    p.id = "p" + std::to_string(i);
    p.button = "b";
    p.sent = p.planned = kT0 + i * kSecond / 10;
    p.acked = true;
    p.targets = {"l"};
    const Micros t = p.sent - kT0;
    const bool partitioned = t >= 4 * kSecond && t < 6 * kSecond;
    const bool lost = t >= 5 * kSecond && t < 5 * kSecond + kSecond / 2;
    if (!lost) {
      p.applied["l"] = p.sent + (partitioned ? 500'000 : 2'000);
      p.relayed["l"] = p.sent + 1'000;
      p.reports["l"] = t == 8 * kSecond ? 2 : 1;
    }
    out.push_back(std::move(p));
  }
  PressRecord unsent;
  unsent.id = "late";
  unsent.targets = {"l"};
  out.push_back(unsent);
  return out;
}
}  // namespace

TEST_CASE("counts, latency and the phases around a fault") {
  Scenario s;
  s.name = "r";
  s.expect.lost = 0;
  s.expect.recovery_ms = 100;
  const Report r =
      compute_report(s, presses(), {{"cut site", kT0 + 4 * kSecond, kT0 + 6 * kSecond}}, kT0,
                     kT0 + 10 * kSecond, 100);
  CHECK(r.planned == 101);
  CHECK(r.sent == 100);
  CHECK(r.pairs == 100);
  CHECK(r.lost == 5);
  CHECK(r.applied == 95);
  CHECK(r.duplicated == 1);
  CHECK(r.late == 15);  // the 500 ms ones
  CHECK(r.latency.p50_ms == doctest::Approx(2));
  CHECK(r.latency.max_ms == doctest::Approx(500));
  REQUIRE(r.phases.size() == 3);
  CHECK(r.phases[0].name == "before cut site");
  CHECK(r.phases[0].latency.count == 40);
  CHECK(r.phases[1].latency.p50_ms == doctest::Approx(500));
  CHECK(r.phases[1].lost == 5);
  CHECK(r.phases[2].latency.p99_ms == doctest::Approx(2));
  REQUIRE(r.faults.size() == 1);
  CHECK(r.faults[0].sent_during == 21);
  CHECK(r.faults[0].lost == 5);
  // The first delayed press still waiting (sent 5.5 s) applies the instant the cut ends; the
  // first one sent after it, 2 ms after the end, is back to normal.
  CHECK(*r.faults[0].first_applied_ms == doctest::Approx(0));
  CHECK(*r.faults[0].recovery_ms == doctest::Approx(2));
  CHECK(r.throughput.size() == 10);
  CHECK(r.failed_expectations == std::vector<std::string>{"lost: 5 > 0"});
  const auto json = to_json(r);
  CHECK(json["pairs"]["lost"] == 5);
  CHECK(json["faults"][0]["label"] == "cut site");
  CHECK(json["expectations"]["passed"] == false);
}

TEST_CASE("a fault that never recovers fails its recovery expectation") {
  Scenario s;
  s.name = "r";
  s.expect.recovery_ms = 100;
  auto all = presses();
  for (auto& p : all) {
    if (p.sent >= kT0 + 6 * kSecond) p.applied.clear();
  }
  const Report r = compute_report(s, all, {{"kill broker", kT0 + 6 * kSecond, kT0 + 6 * kSecond}},
                                  kT0, kT0 + 10 * kSecond);
  REQUIRE(r.faults.size() == 1);
  CHECK_FALSE(r.faults[0].recovery_ms.has_value());
  CHECK(r.failed_expectations ==
        std::vector<std::string>{"recovery_ms: 'kill broker' never recovered"});
}

TEST_CASE("the report's files: one CSV row per press and target, a page with both plots") {
  Scenario s;
  s.name = "files";
  s.topology = "single";
  const auto all = presses();
  const Report r = compute_report(s, all, {{"cut <site>", kT0 + 4 * kSecond, kT0 + 6 * kSecond}},
                                  kT0, kT0 + 10 * kSecond);
  const std::string table = presses_csv(r, all);
  CHECK(table.rfind("press_id,button,target,planned_s,sent_s,acked,relayed_s,applied_s,latency_ms,"
                    "reports,stored_s,outcome\n",
                    0) == 0);
  CHECK(table.find("p0,b,l,0.000000,0.000000,true,0.001000,0.002000,2.000,1,,applied\n") !=
        std::string::npos);
  CHECK(table.find("p50,b,l,5.000000,5.000000,true,,,,0,,lost\n") != std::string::npos);
  CHECK(table.find(",duplicated\n") != std::string::npos);
  CHECK(table.find("late,,l,") != std::string::npos);  // never sent
  const std::string page = report_html(r, s, all);
  CHECK(page.find("<svg id=\"latency\"") != std::string::npos);
  CHECK(page.find("<svg id=\"throughput\"") != std::string::npos);
  CHECK(page.find("<title>cut &lt;site&gt;</title>") != std::string::npos);  // escaped
  CHECK(page.find("<script") == std::string::npos);  // self-contained, nothing to run
}
