#include "syntax_checker.hpp"

namespace snet::whisk {

SyntaxChecker::SyntaxChecker(boost::asio::io_context& io, WorkerLaunch launch)
    : io_(io), launch_(std::move(launch)) {}

void SyntaxChecker::check(std::string name, std::string code, CheckDone done) {
  if (stopping_) return done("snet-whisk is shutting down");
  queued_.push_back({std::move(name), std::move(code), std::move(done)});
  flush();
}

void SyntaxChecker::flush() {
  if (queued_.empty()) return;
  if (worker_ == nullptr) {
    const std::uint64_t generation = ++generation_;
    // Ids of checker workers are kept apart from the pool's (which count up from 1).
    auto worker = std::make_shared<Worker>(io_, ~std::uint64_t{0} - generation);
    try {
      worker->start(
          launch_,
          [this, generation] {
            if (generation != generation_) return;
            ready_ = true;
            flush();
          },
          [this, generation](const std::string& why) {
            if (generation == generation_) on_exit(why);
          });
    } catch (const std::exception& e) {
      auto queued = std::move(queued_);
      queued_.clear();
      for (auto& c : queued)
        c.done("snet-whisk cannot start a Node.js worker: " + std::string(e.what()));
      return;
    }
    worker_ = std::move(worker);
    ready_ = false;
    return;
  }
  if (!ready_) return;
  while (!queued_.empty()) {
    Check c = std::move(queued_.front());
    queued_.pop_front();
    const std::uint64_t token = next_token_++;
    sent_[token] = std::move(c.done);
    worker_->check(c.name, c.code, [this, token](std::optional<std::string> error) {
      auto it = sent_.find(token);
      if (it == sent_.end()) return;
      CheckDone done = std::move(it->second);
      sent_.erase(it);
      done(std::move(error));
    });
  }
}

void SyntaxChecker::on_exit(const std::string& why) {
  const bool was_ready = ready_;
  worker_.reset();
  ready_ = false;
  // The worker dropped the handlers of the checks it had not answered: answer them here.
  auto sent = std::move(sent_);
  sent_.clear();
  for (auto& [token, done] : sent) done("the syntax check worker exited: " + why);
  if (!was_ready) {  // it died while starting: a new one would too
    auto queued = std::move(queued_);
    queued_.clear();
    for (auto& c : queued) c.done("the Node.js worker exited while starting: " + why);
  } else if (!stopping_) {
    flush();  // a new worker for what is still queued
  }
}

void SyntaxChecker::shutdown() {
  stopping_ = true;
  ++generation_;  // the exit that follows is expected
  if (worker_) worker_->close();
  worker_.reset();
  auto queued = std::move(queued_);
  queued_.clear();
  for (auto& c : queued) c.done("snet-whisk is shutting down");
  auto sent = std::move(sent_);
  sent_.clear();
  for (auto& [token, done] : sent) done("snet-whisk is shutting down");
}

}  // namespace snet::whisk
