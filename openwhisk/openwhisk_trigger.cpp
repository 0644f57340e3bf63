#include "openwhisk_trigger.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "action_contract.hpp"
#include "curl_util.hpp"
#include "openwhisk_answer.hpp"
#include "snet/log.hpp"

namespace snet::openwhisk {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// Accepting a fire costs OpenWhisk little (the rules' actions run afterwards), so a few
// kept-alive connections carry many fires per second.
constexpr std::size_t kMaxFiringThreads = 4;

struct Fire {
  ComputeRequest request;
  ComputeDone done;
  std::string body;
  Clock::time_point deadline;
};

// libcurl's progress callback: a non-zero return aborts the transfer (on shutdown).
int abort_when_stopping(void* stopping, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(stopping)->load() ? 1 : 0;
}

}  // namespace

nlohmann::json to_trigger_params(const ComputeRequest& request) {
  nlohmann::json params = to_action_params(request);
  auto& targets = params["targets"];
  for (std::size_t i = 0; i < targets.size() && i < request.targets.size(); ++i) {
    targets[i]["topic"] = request.targets[i].topic;
  }
  params["qos"] = 1;
  params["trigger"] = request.trigger;
  return params;
}

class OpenWhiskTriggerCompute::Firer {
 public:
  Firer(OpenWhiskOptions options, Metrics& metrics)
      : options_(std::move(options)),
        fired_(metrics.counter("snet_openwhisk_triggers_fired_total",
                               "Triggers fired per press (trigger computes), by outcome",
                               "outcome=\"ok\"")),
        failed_(metrics.counter("snet_openwhisk_triggers_fired_total", "", "outcome=\"error\"")),
        rejected_(
            metrics.counter("snet_openwhisk_triggers_fired_total", "", "outcome=\"rejected\"")),
        retries_(metrics.counter("snet_openwhisk_trigger_retries_total",
                                 "Trigger fires repeated after 429/503 or no answer")) {
    openwhisk::ensure_curl_initialized();
    headers_ = openwhisk::json_headers();
    const std::size_t threads =
        std::clamp<std::size_t>(options_.max_in_flight, 1, kMaxFiringThreads);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }

  ~Firer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_) t.join();
    for (auto& fire : queue_) finish(fire, shutdown_result(fire.request));
  }

  void submit(ComputeRequest request, ComputeDone done) {
    Fire fire{std::move(request), std::move(done), "", Clock::now() + options_.deadline};
    fire.body = to_trigger_params(fire.request).dump();
    ComputeResult refused;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        refused = shutdown_result(fire.request);
      } else if (queue_.size() >= options_.max_queued + threads_.size()) {
        refused.error = "trigger '" + fire.request.trigger +
                        "' not fired: " + std::to_string(queue_.size()) + " fires already waiting";
      } else {
        queue_.push_back(std::move(fire));
        changed_.notify_one();
        return;
      }
    }
    rejected_.add();
    fire.done(std::move(refused));
  }

 private:
  static ComputeResult shutdown_result(const ComputeRequest& request) {
    ComputeResult r;
    r.error = "trigger '" + request.trigger + "' was not fired: the relayer is shutting down";
    return r;
  }

  std::string where(const Fire& fire) const {
    return "trigger '" + fire.request.trigger + "' at " + options_.server.apihost +
           " (namespace '" + options_.server.ns + "')";
  }

  void run() {
    openwhisk::CurlEasy easy(curl_easy_init());
    while (true) {
      Fire fire;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;  // the destructor fails what is queued
        fire = std::move(queue_.front());
        queue_.pop_front();
      }
      finish(fire, fire_with_retries(easy.get(), fire));
    }
  }

  ComputeResult fire_with_retries(CURL* easy, const Fire& fire) {
    ComputeResult result;
    auto backoff = options_.backoff;
    for (int attempt = 1;; ++attempt) {
      std::string retry_reason;
      result = fire_once(easy, fire, retry_reason);
      if (retry_reason.empty()) return result;
      const bool last = attempt >= options_.max_attempts || Clock::now() + backoff >= fire.deadline;
      if (last) {
        result.error = retry_reason + " after " + std::to_string(attempt) + " attempt(s)";
        return result;
      }
      retries_.add();
      std::unique_lock lock(mutex_);
      if (changed_.wait_for(lock, backoff, [&] { return stopping_.load(); })) {
        return shutdown_result(fire.request);
      }
      backoff = std::min(backoff * 2, milliseconds(2000));
    }
  }

  // One POST. Sets `retry_reason` (and returns nothing useful) when it may be repeated.
  ComputeResult fire_once(CURL* easy, const Fire& fire, std::string& retry_reason) {
    ComputeResult result;
    const auto remaining = std::chrono::duration_cast<milliseconds>(fire.deadline - Clock::now());
    if (remaining.count() <= 0) {
      result.error = where(fire) + " was not accepted within " +
                     std::to_string(options_.deadline.count()) + " ms";
      return result;
    }
    std::string body;
    curl_easy_reset(easy);
    openwhisk::configure_request(easy, options_.server.auth, body, headers_.get(), remaining,
                                 std::min(remaining, options_.connect_timeout),
                                 options_.insecure_tls);
    const std::string url = openwhisk::entity_url(options_.server.apihost, options_.server.ns,
                                                  "triggers", fire.request.trigger);
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, fire.body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(fire.body.size()));
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, abort_when_stopping);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &stopping_);
    const CURLcode code = curl_easy_perform(easy);
    if (code == CURLE_ABORTED_BY_CALLBACK) return shutdown_result(fire.request);
    if (code != CURLE_OK) {
      retry_reason =
          "cannot reach OpenWhisk to fire " + where(fire) + ": " + curl_easy_strerror(code);
      return result;
    }
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    switch (status) {
      case 200:
      case 202: {
        const auto json = nlohmann::json::parse(body, nullptr, false);
        if (json.is_discarded() || !json.is_object() || !json.contains("activationId")) {
          result.error = where(fire) + " answered HTTP " + std::to_string(status) +
                         " without an activationId: " + body.substr(0, 200);
        } else {
          result.delegated = true;
          log::debug("fired ", where(fire), " for press ", fire.request.press_id, ": activation ",
                     json["activationId"].dump());
        }
        return result;
      }
      case 204:
        result.error = where(fire) +
                       " has no active rule: no action ran for the press (make a rule to the "
                       "action '" +
                       fire.request.action + "', or activate it)";
        return result;
      case 404:
        result.error = "no such " + where(fire) + " (" + answer_text(status, body) +
                       "); snet up creates it with its rule to action '" + fire.request.action +
                       "'";
        return result;
      case 401:
      case 403:
        result.error = "OpenWhisk refused the credentials to fire " + where(fire) + " (" +
                       answer_text(status, body) + ")";
        return result;
      case 429:
      case 503:
        retry_reason = "OpenWhisk kept refusing to fire " + where(fire) + " (" +
                       answer_text(status, body) + ")";
        return result;
      default:
        result.error =
            "OpenWhisk failed to fire " + where(fire) + " (" + answer_text(status, body) + ")";
        return result;
    }
  }

  void finish(Fire& fire, ComputeResult result) {
    (result.error.empty() ? fired_ : failed_).add();
    try {
      fire.done(std::move(result));
    } catch (const std::exception& e) {
      log::error("openwhisk trigger: a completion handler threw: ", e.what());
    }
  }

  const OpenWhiskOptions options_;
  Counter& fired_;
  Counter& failed_;
  Counter& rejected_;
  Counter& retries_;
  openwhisk::CurlList headers_;
  std::mutex mutex_;  // guards queue_; stopping_ changes under it too (for the waits)
  std::condition_variable changed_;
  std::deque<Fire> queue_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;  // last: started once everything above exists
};

OpenWhiskTriggerCompute::OpenWhiskTriggerCompute(OpenWhiskOptions options, Metrics& metrics,
                                                 std::unique_ptr<Compute> actions)
    : actions_(std::move(actions)), firer_(std::make_unique<Firer>(std::move(options), metrics)) {}

OpenWhiskTriggerCompute::~OpenWhiskTriggerCompute() = default;

void OpenWhiskTriggerCompute::invoke(ComputeRequest request, ComputeDone done) {
  if (request.trigger.empty()) return actions_->invoke(std::move(request), std::move(done));
  firer_->submit(std::move(request), std::move(done));
}

}  // namespace snet::openwhisk
