#include "supervisor_client.hpp"

#include "snet/log.hpp"

namespace snet::state {

SupervisorClient::SupervisorClient(std::string url, std::chrono::milliseconds timeout,
                                   std::size_t workers, std::size_t max_pending)
    : url_(std::move(url)), timeout_(timeout), max_pending_(max_pending) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  if (url_.empty()) return;
  for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
}

SupervisorClient::~SupervisorClient() {
  stop();
}

void SupervisorClient::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

http::ClientReply SupervisorClient::call(const std::string& method, const std::string& path) const {
  return http::call(method, url_ + path, method == "POST" ? "{}" : "", timeout_);
}

bool SupervisorClient::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || threads_.empty() || jobs_.size() >= max_pending_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void SupervisorClient::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      log::error("supervisor call failed: ", e.what());
    }
  }
}

}  // namespace snet::state
