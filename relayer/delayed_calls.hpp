// Runs functions after a delay on one thread of its own (the relayer's retries of refused
// commands). Calls still waiting when it is destroyed are dropped, not run: a press whose
// command was never confirmed stays unacknowledged, and the broker delivers it again.
// Thread safety: after() may be called from any thread, also from a call it runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace snet::relayer {

class DelayedCalls {
 public:
  DelayedCalls();
  ~DelayedCalls();
  DelayedCalls(const DelayedCalls&) = delete;
  DelayedCalls& operator=(const DelayedCalls&) = delete;

  void after(std::chrono::milliseconds delay, std::function<void()> call);

 private:
  using Clock = std::chrono::steady_clock;
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::function<void()>> due_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace snet::relayer
