#include "delayed_calls.hpp"

#include "snet/log.hpp"

namespace snet::relayer {

DelayedCalls::DelayedCalls() : thread_([this] { run(); }) {}

DelayedCalls::~DelayedCalls() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DelayedCalls::after(std::chrono::milliseconds delay, std::function<void()> call) {
  {
    std::lock_guard lock(mutex_);
    due_.emplace(Clock::now() + delay, std::move(call));
  }
  cv_.notify_all();
}

void DelayedCalls::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto next = due_.begin()->first;
    if (Clock::now() < next) {
      cv_.wait_until(lock, next);
      continue;
    }
    auto call = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    lock.unlock();
    try {
      call();
    } catch (const std::exception& e) {
      log::error("relayer: a delayed call threw: ", e.what());
    }
    lock.lock();
  }
}

}  // namespace snet::relayer
