// The relayer's view of each actuator's state, which `flip_switch` needs. It starts from the
// actuators' retained state reports and then follows the relayer's own commands: a report that
// arrives while a command of ours is still unconfirmed is older news and is ignored, so two
// quick presses flip twice instead of both reading the same stale state.
// Thread safety: every method may be called from any thread.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace snet::relayer {

class StateTracker {
 public:
  /// Last known state (nullopt: never reported nor commanded).
  std::optional<bool> get(const std::string& actuator) const;
  /// We just commanded `actuator` to `on` for `press_id`.
  void commanded(const std::string& actuator, bool on, const std::string& press_id);
  /// The actuator reported `on` after applying `press_id` (empty for its initial report).
  void reported(const std::string& actuator, bool on, const std::string& press_id);

 private:
  struct Entry {
    bool on = false;
    std::string awaited_press;  // our last command not yet confirmed by a report
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> states_;
};

}  // namespace snet::relayer
