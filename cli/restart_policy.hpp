// When `snet up` restarts a service that exited on its own, and after how long: the policy of
// `--restart on-failure|always|no` (as Docker Compose's) with an exponential back-off. Pure: the
// time a process ran comes in as an argument, so it is tested without processes or clocks.
// Thread safety: one RestartPolicy per service, used by one thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace snet::cli {

enum class RestartMode {
  on_failure,  // restart after a non-zero exit or a death by signal (the default)
  always,      // restart after any exit, a clean one too
  no,          // never restart
};

/// "on-failure", "always" or "no"; throws std::invalid_argument naming the accepted values.
RestartMode parse_restart_mode(std::string_view text);
std::string_view to_string(RestartMode mode);

struct Backoff {
  std::chrono::milliseconds first{100};       // delay before the first restart
  std::chrono::milliseconds max{5000};        // doubling stops here
  std::chrono::milliseconds healthy{30'000};  // a run this long forgets earlier failures
};

class RestartPolicy {
 public:
  explicit RestartPolicy(RestartMode mode, Backoff backoff = {}) : mode_(mode), backoff_(backoff) {}

  struct Decision {
    bool restart = false;
    std::chrono::milliseconds delay{0};  // wait this long first
  };
  /// A process exited without being asked to: `clean` when it exited with status 0, after
  /// running for `uptime`. Each restart it decides doubles the next delay, up to the maximum;
  /// a run of at least `healthy` starts again from the first delay.
  Decision on_exit(bool clean, std::chrono::milliseconds uptime);
  /// Forgets earlier failures (a start by hand).
  void reset() { consecutive_ = 0; }
  RestartMode mode() const { return mode_; }

 private:
  RestartMode mode_;
  Backoff backoff_;
  int consecutive_ = 0;  // restarts since the last healthy run
};

}  // namespace snet::cli
