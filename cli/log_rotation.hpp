// Size-capped logs for the services `snet up` runs (<data-dir>/logs/*.log, the broker's).
// The children write their log files themselves, opened O_APPEND, so a log cannot be renamed
// under them: when one has grown past the cap, its content is copied to <log>.1 (replacing the
// older copy) and the log is truncated in place (logrotate's "copytruncate"). An O_APPEND
// writer's next line then lands at the new end, without a hole. Lines a child writes between
// the last read of the copy and the truncation are lost; the copy reads until the end twice to
// make that window a few microseconds.
// Thread safety: one LogRotator per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace snet::cli {

/// Rotates `path` once it is larger than `max_bytes` (0: never); returns whether it did.
/// Errors (a vanished file, a full disk) leave the log as it is and return false.
bool rotate_log_if_larger(const std::string& path, std::uintmax_t max_bytes);

class LogRotator {
 public:
  LogRotator(std::vector<std::string> paths, std::uintmax_t max_bytes,
             std::chrono::milliseconds interval = std::chrono::seconds(1));
  /// Checks the logs when `interval` has passed since the last check; call it often.
  void tick();
  /// How many rotations were done.
  int rotations() const { return rotations_; }

 private:
  std::vector<std::string> paths_;
  std::uintmax_t max_bytes_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_{};
  int rotations_ = 0;
};

}  // namespace snet::cli
