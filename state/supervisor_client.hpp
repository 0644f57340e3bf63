// The state service's link to the supervisor of `snet up` (its URL comes from
// SNET_SUPERVISOR_URL / --supervisor-url). Calls run on the client's own worker threads with a
// bounded timeout, never on the HTTP server's I/O threads, so a hung supervisor (e.g. paused)
// cannot hang the API; at most `max_pending` calls wait, the rest are refused at once.
// Thread safety: submit() from any thread; jobs run on a worker thread; stop() from one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "snet/http_client.hpp"

namespace snet::state {

class SupervisorClient {
 public:
  /// An empty `url`: no supervisor (snet-state runs on its own); nothing is started.
  explicit SupervisorClient(std::string url,
                            std::chrono::milliseconds timeout = std::chrono::seconds(2),
                            std::size_t workers = 2, std::size_t max_pending = 32);
  ~SupervisorClient();
  SupervisorClient(const SupervisorClient&) = delete;
  SupervisorClient& operator=(const SupervisorClient&) = delete;

  bool configured() const { return !url_.empty(); }
  const std::string& url() const { return url_; }

  /// A blocking call to the supervisor: only from inside a job (a worker thread).
  http::ClientReply call(const std::string& method, const std::string& path) const;
  /// Runs `job` on a worker thread. Returns false (and drops it) when too many are waiting
  /// or the client is stopping.
  bool submit(std::function<void()> job);
  /// Finishes the calls in progress, drops the waiting ones, joins the workers. Idempotent.
  void stop();

 private:
  void run();

  std::string url_;  // without a trailing '/'
  const std::chrono::milliseconds timeout_;
  const std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace snet::state
