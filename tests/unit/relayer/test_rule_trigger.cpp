// RuleTrigger: when a rule fires on a sensor's readings (edge-triggered, duplicates ignored).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "rule_trigger.hpp"

using namespace snet;
using snet::relayer::RuleTrigger;
using Verdict = RuleTrigger::Verdict;

namespace {

Reading reading(const std::string& device, std::uint64_t seq, double value) {
  return Reading{device, "temperature", value, "C", seq, static_cast<Micros>(seq) * 1000};
}

// The verdicts of `values` fed in order to one device, seq from 1.
std::vector<Verdict> run(RuleTrigger& trigger, const std::vector<double>& values) {
  std::vector<Verdict> out;
  std::uint64_t seq = 0;
  for (double v : values) out.push_back(trigger.observe(reading("s", ++seq, v)));
  return out;
}

}  // namespace

TEST_CASE("a rule fires when a reading crosses its threshold and re-arms when it leaves") {
  RuleTrigger above(true, 25);
  CHECK(run(above, {20, 24, 26, 27, 25, 30, 30}) ==
        std::vector<Verdict>{Verdict::quiet, Verdict::quiet, Verdict::fire, Verdict::quiet,
                             Verdict::quiet, Verdict::fire, Verdict::quiet});
  RuleTrigger below(false, 18);
  CHECK(run(below, {20, 17.9, 17, 18, 10}) == std::vector<Verdict>{Verdict::quiet, Verdict::fire,
                                                                   Verdict::quiet, Verdict::quiet,
                                                                   Verdict::fire});
}

TEST_CASE("the first reading seen fires when it already meets the condition") {
  RuleTrigger trigger(true, 25);
  CHECK(trigger.observe(reading("s", 7, 30)) == Verdict::fire);
  CHECK(trigger.observe(reading("s", 8, 30)) == Verdict::quiet);
}

TEST_CASE("a redelivered or older reading changes nothing, a restarted sensor is followed") {
  RuleTrigger trigger(true, 25);
  CHECK(trigger.observe(reading("s", 1, 20)) == Verdict::quiet);
  CHECK(trigger.observe(reading("s", 2, 30)) == Verdict::fire);
  CHECK(trigger.observe(reading("s", 2, 30)) == Verdict::stale);  // the same, again
  CHECK(trigger.observe(reading("s", 1, 20)) == Verdict::stale);  // an older one
  CHECK(trigger.observe(reading("s", 3, 31)) == Verdict::quiet);  // still above: no re-fire
  // Restarted: seq from 1 again, but measured later.
  Reading restarted{"s", "temperature", 20, "C", 1, 10'000'000};
  CHECK(trigger.observe(restarted) == Verdict::quiet);
  restarted.seq = 2;
  restarted.ts += 1000;
  restarted.value = 26;
  CHECK(trigger.observe(restarted) == Verdict::fire);
}

TEST_CASE("each device of a rule has its own edge") {
  RuleTrigger trigger(true, 25);
  CHECK(trigger.observe(reading("a", 1, 30)) == Verdict::fire);
  CHECK(trigger.observe(reading("b", 1, 30)) == Verdict::fire);
  CHECK(trigger.observe(reading("a", 2, 30)) == Verdict::quiet);
}
