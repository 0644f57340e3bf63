#include "rule_trigger.hpp"

namespace snet::relayer {

RuleTrigger::Verdict RuleTrigger::observe(const Reading& reading) {
  const bool met = meets(reading.value);
  const auto [it, first] = last_.try_emplace(reading.device);
  Last& last = it->second;
  if (!first && reading.seq <= last.seq && reading.ts <= last.ts) return Verdict::stale;
  const bool fires = met && (first || !last.met);
  last = Last{reading.seq, reading.ts, met};
  return fires ? Verdict::fire : Verdict::quiet;
}

}  // namespace snet::relayer
