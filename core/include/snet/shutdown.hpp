// Clean shutdown on SIGINT/SIGTERM/SIGHUP for a service's main(). Construct it first thing in
// main(), before any thread exists: it blocks the signals so every later thread inherits the mask,
// and wait() receives them synchronously (sigwait) instead of in an async signal handler.
#pragma once

#include <chrono>

namespace snet {

class ShutdownSignal {
 public:
  ShutdownSignal();
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  /// Blocks until SIGINT, SIGTERM or SIGHUP arrives; returns the signal number.
  int wait();
  /// As wait(), at most `timeout`; returns 0 when no signal came.
  int wait_for(std::chrono::milliseconds timeout);
};

}  // namespace snet
