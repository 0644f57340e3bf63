// Compute requests as a relayer makes them, for tests of computes and of the action contract.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "snet/clock.hpp"
#include "snet/compute.hpp"
#include "snet/message.hpp"

namespace snet::test {

/// A target `id`, last reported `on` (nullopt: never reported).
inline TargetInfo target(const std::string& id, std::optional<bool> on = std::nullopt) {
  TargetInfo t;
  t.id = id;
  t.on = on;
  return t;
}

/// A press of `button` on `targets` (all last reported off unless given), running `action`.
inline ComputeRequest press(const std::string& action, std::vector<TargetInfo> targets,
                            const std::string& button = "button-1") {
  ComputeRequest r;
  r.topology = "whisk-test";
  r.button = button;
  r.action = action;
  r.press_id = new_press_id();
  r.press_ts = now_us();
  r.targets = std::move(targets);
  return r;
}

}  // namespace snet::test
