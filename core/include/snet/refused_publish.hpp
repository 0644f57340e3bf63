// What a press source does with a QoS 1 publish the broker refused (a nack: a cluster's queue
// between two leaders, a full reject-publish queue): publish it again after a pause that grows,
// for about 20 s in all, which is longer than RabbitMQ takes to elect a queue's new leader.
// Shared by the relayer (commands) and the emulated buttons (presses). Pure.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

namespace snet::refused_publish {

inline constexpr int kAttempts = 20;

/// Whether a publish that failed on try `attempt` (1-based) with `error` goes out again. An
/// unroutable one does not: no queue wants it, and none will for trying again.
inline bool try_again(int attempt, const std::string& error) {
  return attempt < kAttempts && error.rfind("unroutable", 0) != 0;
}

/// The pause before try `attempt + 1`: 100 ms more per try, at most 2 s.
inline std::chrono::milliseconds pause_after(int attempt) {
  return std::chrono::milliseconds(std::min(100 * attempt, 2000));
}

}  // namespace snet::refused_publish
