#include "state_tracker.hpp"

namespace snet::relayer {

std::optional<bool> StateTracker::get(const std::string& actuator) const {
  std::lock_guard lock(mutex_);
  auto it = states_.find(actuator);
  if (it == states_.end()) return std::nullopt;
  return it->second.on;
}

void StateTracker::commanded(const std::string& actuator, bool on, const std::string& press_id) {
  std::lock_guard lock(mutex_);
  Entry& entry = states_[actuator];
  entry.on = on;
  entry.awaited_press = press_id;
}

void StateTracker::reported(const std::string& actuator, bool on, const std::string& press_id) {
  std::lock_guard lock(mutex_);
  Entry& entry = states_[actuator];
  if (!entry.awaited_press.empty()) {
    // Our own command is the newest word on this actuator until its report comes back.
    if (press_id != entry.awaited_press) return;
    entry.awaited_press.clear();
  }
  entry.on = on;
}

}  // namespace snet::relayer
