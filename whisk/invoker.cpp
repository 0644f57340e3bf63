#include "invoker.hpp"

#include <deque>
#include <map>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "snet/clock.hpp"
#include "snet/log.hpp"
#include "syntax_checker.hpp"

namespace snet::whisk {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr int kMaxStartFailures = 3;

std::int64_t now_ms() {
  return now_us() / 1000;
}

std::int64_t ms_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count();
}

std::string log_line(const std::string& text) {
  // The shape of a runtime log line: "<ISO time> stderr: <text>".
  const auto us = now_us();
  const std::time_t secs = us / 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>((us / 1000) % 1000));
  return std::string(stamp) + millis + " stderr: " + text;
}

}  // namespace

struct Activation {
  Activation(asio::io_context& io) : wait_timer(io), run_timer(io) {}
  std::string id;
  std::shared_ptr<const Action> action;
  nlohmann::json params;
  Answer answer;
  asio::steady_timer wait_timer;
  asio::steady_timer run_timer;
  SteadyClock::time_point created = SteadyClock::now();
  std::int64_t wait_ms = 0;
  std::int64_t init_ms = -1;
  std::int64_t start_ms = 0;
  std::vector<std::string> logs;
  std::uint64_t worker = 0;
  bool done = false;
};
using ActivationPtr = std::shared_ptr<Activation>;

class Invoker::Pool {
 public:
  Pool(const InvokerOptions& options, std::atomic<std::size_t>& in_flight, ActivationStore& store,
       Metrics& metrics)
      : options_(options),
        in_flight_(in_flight),
        store_(store),
        work_(asio::make_work_guard(io_)),
        cold_starts_(metrics.counter("snet_whisk_cold_starts_total",
                                     "Activations that had to initialize a worker")),
        timeouts_(metrics.counter("snet_whisk_timeouts_total",
                                  "Activations killed for exceeding their time limit")),
        crashes_(
            metrics.counter("snet_whisk_worker_exits_total", "Workers that exited unexpectedly")),
        workers_gauge_(
            metrics.counter("snet_whisk_workers", "Node.js worker processes", "", "gauge")),
        queued_gauge_(
            metrics.counter("snet_whisk_queued", "Activations waiting for a worker", "", "gauge")),
        in_flight_gauge_(
            metrics.counter("snet_whisk_in_flight", "Activations queued or running", "", "gauge")),
        prewarmed_gauge_(metrics.counter("snet_whisk_workers_prewarmed",
                                         "Started workers not yet bound to an action", "",
                                         "gauge")),
        checker_(io_, options.launch) {
    for (const char* status : {kSuccess, kApplicationError, kDeveloperError, kInternalError}) {
      by_status_[status] = &metrics.counter("snet_whisk_activations_total",
                                            "Finished activations by response.status",
                                            std::string("status=\"") + status + "\"");
    }
    asio::post(io_, [this] { maintain_pool(); });
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Pool() {
    asio::post(io_, [this] { shutdown(); });
    thread_.join();
  }

  template <typename Fn>
  void post(Fn&& fn) {
    asio::post(io_, std::forward<Fn>(fn));
  }

  void submit(std::shared_ptr<const Action> action, nlohmann::json params, std::string id,
              std::chrono::milliseconds wait, Answer answer) {
    post([this, action = std::move(action), params = std::move(params), id = std::move(id), wait,
          answer = std::move(answer)]() mutable {
      in_flight_gauge_.set(static_cast<std::int64_t>(in_flight_.load()));
      auto a = std::make_shared<Activation>(io_);
      a->id = std::move(id);
      a->action = std::move(action);
      a->params = std::move(params);
      a->answer = std::move(answer);
      if (stopping_) {
        finish(a, kInternalError, {{"error", "snet-whisk is shutting down"}});
        return;
      }
      if (wait.count() <= 0) {
        answer_once(*a, nullptr);
      } else {
        a->wait_timer.expires_after(wait);
        a->wait_timer.async_wait([this, a](const boost::system::error_code& ec) {
          if (!ec) answer_once(*a, nullptr);
        });
      }
      pending_.push_back(std::move(a));
      if (start_failures_ >= kMaxStartFailures) start_failures_ = kMaxStartFailures - 1;  // retry
      schedule();
    });
  }

  void check(std::string name, std::string code, CheckDone done) {
    post([this, name = std::move(name), code = std::move(code), done = std::move(done)]() mutable {
      checker_.check(std::move(name), std::move(code), std::move(done));
    });
  }

  void retire(const std::string& name) {
    post([this, name] {
      for (auto& [id, slot] : slots_) {
        if (slot.action && slot.action->name == name) retire_slot(slot);
      }
      schedule();
    });
  }

  std::size_t workers() const { return worker_count_.load(); }

 private:
  enum class State { starting, fresh, initializing, ready };
  struct Slot {
    std::shared_ptr<Worker> worker;
    State state = State::starting;
    std::shared_ptr<const Action> action;
    std::vector<ActivationPtr> assigned;  // running, or waiting for the init to end
    SteadyClock::time_point init_started;
    SteadyClock::time_point last_used = SteadyClock::now();
    bool retiring = false;  // no new activations; exits once idle
  };

  // ---- Scheduling --------------------------------------------------------------------------

  void schedule() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      it = place(*it) ? pending_.erase(it) : std::next(it);
    }
    grow_for_pending();
    maintain_pool();
    queued_gauge_.set(static_cast<std::int64_t>(pending_.size()));
    std::int64_t prewarmed = 0;
    for (const auto& [id, slot] : slots_) prewarmed += slot.state == State::fresh ? 1 : 0;
    prewarmed_gauge_.set(prewarmed);
  }

  bool place(const ActivationPtr& a) {
    for (auto& [id, slot] : slots_) {  // a warm worker of this very code with a free slot
      if ((slot.state == State::ready || slot.state == State::initializing) && !slot.retiring &&
          slot.action->revision == a->action->revision &&
          static_cast<long>(slot.assigned.size()) < a->action->limits.concurrency) {
        assign(id, slot, a);
        return true;
      }
    }
    for (auto& [id, slot] : slots_) {  // a prewarmed worker: initialize it for this action
      if (slot.state == State::fresh && !slot.retiring) {
        bind(id, slot, a->action);
        assign(id, slot, a);
        return true;
      }
    }
    return false;
  }

  // Starts enough workers for what is queued, replacing idle workers of other actions when the
  // pool is full.
  void grow_for_pending() {
    std::map<std::uint64_t, std::pair<long, long>> per_revision;  // revision -> (count, limit)
    for (const auto& a : pending_) {
      auto& entry = per_revision[a->action->revision];
      ++entry.first;
      entry.second = a->action->limits.concurrency;
    }
    long needed = 0;
    for (const auto& [revision, entry] : per_revision) {
      needed += (entry.first + entry.second - 1) / entry.second;
    }
    long starting = 0;
    for (const auto& [id, slot] : slots_) starting += slot.state == State::starting ? 1 : 0;
    for (long i = starting; i < needed; ++i) {
      if (live_workers() >= options_.max_workers && !evict_idle()) break;
      if (!spawn()) return;
    }
  }

  void maintain_pool() {
    if (stopping_) return;
    std::size_t ready = 0;
    for (const auto& [id, slot] : slots_) {
      ready += (slot.state == State::starting || slot.state == State::fresh) ? 1 : 0;
    }
    while (ready < options_.prewarm && live_workers() < options_.max_workers) {
      if (!spawn()) return;
      ++ready;
    }
  }

  std::size_t live_workers() const {
    std::size_t n = 0;
    for (const auto& [id, slot] : slots_) n += slot.retiring ? 0 : 1;
    return n;
  }

  // Retires the least recently used idle worker; false when every worker is busy.
  bool evict_idle() {
    Slot* victim = nullptr;
    for (auto& [id, slot] : slots_) {
      if (slot.state == State::ready && slot.assigned.empty() && !slot.retiring &&
          (victim == nullptr || slot.last_used < victim->last_used)) {
        victim = &slot;
      }
    }
    if (victim == nullptr) return false;
    retire_slot(*victim);
    return true;
  }

  void retire_slot(Slot& slot) {
    slot.retiring = true;
    if (slot.assigned.empty()) slot.worker->kill("retired");
  }

  bool spawn() {
    if (start_failures_ >= kMaxStartFailures) return false;  // broken set-up: do not spin
    const std::uint64_t id = next_worker_++;
    auto worker = std::make_shared<Worker>(io_, id);
    try {
      worker->start(
          options_.launch, [this, id] { on_ready(id); },
          [this, id](const std::string& why) { on_exit(id, why); });
    } catch (const std::exception& e) {
      log::error("cannot start a Node.js worker (", options_.launch.node, " ",
                 options_.launch.script, "): ", e.what());
      fail_pending("snet-whisk cannot start a Node.js worker: " + std::string(e.what()));
      return false;
    }
    slots_[id].worker = std::move(worker);
    worker_count_.store(slots_.size());
    workers_gauge_.set(static_cast<std::int64_t>(slots_.size()));
    return true;
  }

  void fail_pending(const std::string& why) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& a : pending) finish(a, kInternalError, {{"error", why}});
  }

  // ---- Worker life cycle -------------------------------------------------------------------

  void on_ready(std::uint64_t id) {
    start_failures_ = 0;
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    it->second.state = State::fresh;
    schedule();
  }

  void bind(std::uint64_t id, Slot& slot, std::shared_ptr<const Action> action) {
    slot.state = State::initializing;
    slot.action = std::move(action);
    slot.init_started = SteadyClock::now();
    slot.worker->init(slot.action->name, slot.action->code,
                      [this, id](std::optional<std::string> error, std::vector<std::string> logs) {
                        on_init_done(id, std::move(error), std::move(logs));
                      });
  }

  void assign(std::uint64_t id, Slot& slot, const ActivationPtr& a) {
    slot.assigned.push_back(a);
    a->worker = id;
    a->wait_ms = ms_since(a->created);
    if (slot.state == State::ready) start_run(slot, a);
  }

  void on_init_done(std::uint64_t id, std::optional<std::string> error,
                    std::vector<std::string> logs) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    Slot& slot = it->second;
    const std::int64_t init_ms = ms_since(slot.init_started);
    auto assigned = slot.assigned;
    if (error) {
      // As OpenWhisk destroys a container whose init failed, the worker goes.
      slot.assigned.clear();
      retire_slot(slot);
      for (auto& a : assigned) {
        a->init_ms = init_ms;
        a->logs = logs;
        a->logs.push_back(log_line(*error));
        finish(a, kDeveloperError, {{"error", *error}});
      }
      schedule();
      return;
    }
    slot.state = State::ready;
    bool first = true;
    for (auto& a : assigned) {
      cold_starts_.add();
      a->init_ms = init_ms;
      if (first) a->logs = std::move(logs);  // init output belongs to the first activation
      first = false;
      start_run(slot, a);
    }
  }

  void start_run(Slot& slot, const ActivationPtr& a) {
    const auto timeout = std::chrono::milliseconds(a->action->limits.timeout_ms);
    a->start_ms = now_ms();
    a->run_timer.expires_after(timeout);
    a->run_timer.async_wait([this, a](const boost::system::error_code& ec) {
      if (!ec) on_timeout(a);
    });
    const nlohmann::json env = {
        {"__OW_ACTIVATION_ID", a->id},
        {"__OW_ACTION_NAME", "/" + a->action->ns + "/" + a->action->name},
        {"__OW_NAMESPACE", a->action->ns},
        {"__OW_ACTION_VERSION", a->action->version},
        {"__OW_DEADLINE", a->start_ms + a->action->limits.timeout_ms},
        {"__OW_API_HOST", options_.api_host},
    };
    const std::uint64_t id = a->worker;
    slot.worker->run(a->id, a->params, env,
                     [this, id, a](RunOutcome outcome) { on_run_done(id, a, std::move(outcome)); });
  }

  void on_run_done(std::uint64_t id, const ActivationPtr& a, RunOutcome outcome) {
    if (auto it = slots_.find(id); it != slots_.end()) {
      Slot& slot = it->second;
      std::erase(slot.assigned, a);
      slot.last_used = SteadyClock::now();
      if (slot.retiring && slot.assigned.empty()) slot.worker->kill("retired");
    }
    if (!a->done) {
      a->logs.insert(a->logs.end(), outcome.logs.begin(), outcome.logs.end());
      finish(a, outcome.status, std::move(outcome.result));
    }
    schedule();
  }

  void on_timeout(const ActivationPtr& a) {
    if (a->done) return;
    timeouts_.add();
    const std::string text = "The action exceeded its time limits of " +
                             std::to_string(a->action->limits.timeout_ms) + " milliseconds.";
    a->logs.push_back(log_line(text));
    finish(a, kDeveloperError, {{"error", text}});
    // The worker may be stuck in a loop: replace it. Its other activations fail in on_exit.
    if (auto it = slots_.find(a->worker); it != slots_.end()) {
      std::erase(it->second.assigned, a);
      it->second.retiring = true;
      it->second.worker->kill("killed after the time limit");
    }
    schedule();
  }

  void on_exit(std::uint64_t id, const std::string& why) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    Slot slot = std::move(it->second);
    slots_.erase(it);
    worker_count_.store(slots_.size());
    workers_gauge_.set(static_cast<std::int64_t>(slots_.size()));
    if (!slot.retiring && !stopping_) {
      crashes_.add();
      log::warn("worker ", id, (slot.action ? " of action " + slot.action->name : std::string()),
                " exited: ", why);
    }
    for (auto& a : slot.assigned) {
      if (a->done) continue;
      a->logs.push_back(log_line(why));
      finish(a, kDeveloperError,
             {{"error",
               "The action did not produce a valid response and exited unexpectedly: " + why}});
    }
    if (slot.state == State::starting && !stopping_ && ++start_failures_ >= kMaxStartFailures) {
      fail_pending("Node.js workers exit while starting: " + why);
    }
    if (!stopping_) schedule();
  }

  // ---- Completion --------------------------------------------------------------------------

  void answer_once(Activation& a, std::shared_ptr<const ActivationRecord> record) {
    if (auto answer = std::exchange(a.answer, nullptr)) answer(std::move(record));
  }

  void finish(const ActivationPtr& a, const std::string& status, nlohmann::json result) {
    if (a->done) return;
    a->done = true;
    a->wait_timer.cancel();
    a->run_timer.cancel();
    auto record = std::make_shared<ActivationRecord>();
    record->id = a->id;
    record->ns = a->action->ns;
    record->name = a->action->name;
    record->version = a->action->version;
    record->kind = a->action->kind;
    record->start_ms = a->start_ms != 0 ? a->start_ms : now_ms();
    record->end_ms = now_ms();
    record->wait_ms = a->start_ms != 0 ? a->wait_ms : ms_since(a->created);
    record->init_ms = a->init_ms;
    record->status = status;
    record->result = result.is_object() ? std::move(result) : nlohmann::json::object();
    record->logs = std::move(a->logs);
    record->limits = {{"timeout", a->action->limits.timeout_ms},
                      {"memory", a->action->limits.memory_mb},
                      {"logs", a->action->limits.logs_mb},
                      {"concurrency", a->action->limits.concurrency}};
    if (auto it = by_status_.find(status); it != by_status_.end()) it->second->add();
    store_.put(record);
    in_flight_.fetch_sub(1);
    in_flight_gauge_.set(static_cast<std::int64_t>(in_flight_.load()));
    answer_once(*a, std::move(record));
  }

  void shutdown() {
    stopping_ = true;
    fail_pending("snet-whisk is shutting down");
    for (auto& [id, slot] : slots_) {
      for (auto& a : slot.assigned)
        finish(a, kInternalError, {{"error", "snet-whisk is shutting down"}});
      slot.assigned.clear();
      slot.retiring = true;
      slot.worker->close();
    }
    checker_.shutdown();
    work_.reset();  // run() returns once the aborted operations have completed
  }

  const InvokerOptions& options_;
  std::atomic<std::size_t>& in_flight_;
  ActivationStore& store_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  Counter& cold_starts_;
  Counter& timeouts_;
  Counter& crashes_;
  Counter& workers_gauge_;
  Counter& queued_gauge_;
  Counter& in_flight_gauge_;
  Counter& prewarmed_gauge_;
  std::map<std::string, Counter*> by_status_;

  // Owned by the invoker thread:
  std::map<std::uint64_t, Slot> slots_;
  std::deque<ActivationPtr> pending_;
  std::uint64_t next_worker_ = 1;
  bool stopping_ = false;
  int start_failures_ = 0;  // workers in a row that died before saying "ready"
  SyntaxChecker checker_;

  std::atomic<std::size_t> worker_count_{0};
  std::thread thread_;  // last: starts once everything above exists
};

Invoker::Invoker(InvokerOptions options, ActivationStore& store, Metrics& metrics)
    : options_(std::move(options)),
      pool_(std::make_unique<Pool>(options_, in_flight_, store, metrics)) {}

Invoker::~Invoker() = default;

bool Invoker::invoke(std::shared_ptr<const Action> action, nlohmann::json params, std::string id,
                     std::chrono::milliseconds wait, Answer answer) {
  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1);
    return false;
  }
  pool_->submit(std::move(action), std::move(params), std::move(id), wait, std::move(answer));
  return true;
}

void Invoker::check(std::string name, std::string code, CheckDone done) {
  pool_->check(std::move(name), std::move(code), std::move(done));
}

void Invoker::retire(const std::string& action_name) {
  pool_->retire(action_name);
}

std::size_t Invoker::workers() const {
  return pool_->workers();
}

}  // namespace snet::whisk
