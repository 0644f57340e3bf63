#include "invoker.hpp"

#include <unistd.h>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "placement.hpp"
#include "snet/clock.hpp"
#include "snet/log.hpp"
#include "syntax_checker.hpp"

namespace snet::whisk {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr int kMaxStartFailures = 3;
// How often busy workers' memory is compared with their action's limits.memory.
constexpr auto kMemoryCheckEvery = std::chrono::milliseconds(50);
// OpenWhisk's texts (common/scala .../http/ErrorResponse.scala, Messages).
constexpr const char* kAbnormalInit = "The action did not initialize and exited unexpectedly.";
constexpr const char* kAbnormalRun =
    "The action did not produce a valid response and exited unexpectedly.";
constexpr const char* kMemoryExhausted = "The action exhausted its memory and was aborted.";

std::string timed_out(long timeout_ms, bool init) {
  return "The action exceeded its time limits of " + std::to_string(timeout_ms) + " milliseconds" +
         (init ? " during initialization." : ".");
}

// Resident memory of process `pid` in bytes (0 when it cannot be read).
std::int64_t resident_bytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::int64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * ::sysconf(_SC_PAGESIZE);
}

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
  std::string cause;  // the sequence this activation is a component of ("" : none)
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
        workers_gauge_(metrics.gauge("snet_whisk_workers", "Node.js worker processes")),
        queued_gauge_(metrics.gauge("snet_whisk_queued", "Activations waiting for a worker")),
        in_flight_gauge_(metrics.gauge("snet_whisk_in_flight", "Activations queued or running")),
        prewarmed_gauge_(metrics.gauge("snet_whisk_workers_prewarmed",
                                       "Started workers not yet bound to an action")),
        memory_kills_(metrics.counter("snet_whisk_memory_kills_total",
                                      "Workers killed for exceeding their action's memory limit")),
        memory_timer_(io_),
        checker_(io_, options.launch) {
    for (const char* status : {kSuccess, kApplicationError, kDeveloperError, kInternalError}) {
      by_status_[status] = &metrics.counter("snet_whisk_activations_total",
                                            "Finished activations by response.status",
                                            metric_label("status", status));
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
              std::chrono::milliseconds wait, Answer answer, std::string cause) {
    post([this, action = std::move(action), params = std::move(params), id = std::move(id), wait,
          answer = std::move(answer), cause = std::move(cause)]() mutable {
      in_flight_gauge_.set(static_cast<std::int64_t>(in_flight_.load()));
      auto a = std::make_shared<Activation>(io_);
      a->id = std::move(id);
      a->cause = std::move(cause);
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

  void post_after(std::function<void()> fn, std::chrono::milliseconds delay) {
    if (delay.count() <= 0) return post(std::move(fn));
    post([this, fn = std::move(fn), delay]() mutable {
      if (stopping_) return;
      auto timer = std::make_shared<asio::steady_timer>(io_, delay);
      delayed_.insert(timer);
      timer->async_wait([this, timer, fn = std::move(fn)](const boost::system::error_code& ec) {
        delayed_.erase(timer);
        if (!ec) fn();
      });
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

  void set_api_host(std::string url) {
    post([this, url = std::move(url)]() mutable { api_host_ = std::move(url); });
  }

 private:
  using State = placement::WorkerState;
  struct Slot {
    std::shared_ptr<Worker> worker;
    State state = State::starting;
    std::shared_ptr<const Action> action;
    std::vector<ActivationPtr> assigned;  // running, or waiting for the init to end
    SteadyClock::time_point init_started;
    std::shared_ptr<asio::steady_timer> init_timer;  // the time limit of the init
    SteadyClock::time_point last_used = SteadyClock::now();
    bool retiring = false;  // no new activations; exits once idle

    placement::WorkerView view() const {
      return {state, action ? action->revision : 0, assigned.size(), retiring, last_used};
    }
  };
  static placement::WorkerView view_of(const Slot& slot) { return slot.view(); }
  static placement::Demand demand_of(const ActivationPtr& a) {
    return {a->action->revision, a->action->limits.concurrency};
  }

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

  // Where the activation goes is placement's choice (placement.hpp); false: it waits.
  bool place(const ActivationPtr& a) {
    const auto choice = placement::choose_worker(slots_, demand_of(a), view_of);
    if (!choice) return false;
    Slot& slot = slots_.at(choice->worker);
    if (choice->initialize) bind(choice->worker, slot, a->action);
    assign(choice->worker, slot, a);
    return true;
  }

  // Starts enough workers for what is queued, replacing idle workers of other actions when the
  // pool is full.
  void grow_for_pending() {
    const auto growth = placement::plan_growth(
        slots_, placement::workers_needed(pending_, demand_of), options_.max_workers, view_of);
    const std::size_t without_room = growth.start - growth.retire.size();
    for (std::size_t i = 0; i < growth.start; ++i) {
      if (i >= without_room) retire_slot(slots_.at(growth.retire[i - without_room]));
      if (!spawn()) return;
    }
  }

  void maintain_pool() {
    if (stopping_) return;
    const std::size_t missing =
        placement::prewarm_shortfall(slots_, options_.prewarm, options_.max_workers, view_of);
    for (std::size_t i = 0; i < missing; ++i) {
      if (!spawn()) return;
    }
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
    slot.init_timer = std::make_shared<asio::steady_timer>(io_);
    slot.init_timer->expires_after(std::chrono::milliseconds(slot.action->limits.timeout_ms));
    slot.init_timer->async_wait([this, id](const boost::system::error_code& ec) {
      if (!ec) on_init_timeout(id);
    });
    slot.worker->init(*slot.action,
                      [this, id](std::optional<std::string> error, std::vector<std::string> logs) {
                        on_init_done(id, std::move(error), std::move(logs));
                      });
  }

  // The init outlasted the action's time limit: its activations fail and the worker goes.
  void on_init_timeout(std::uint64_t id) {
    auto it = slots_.find(id);
    if (it == slots_.end() || it->second.state != State::initializing) return;
    Slot& slot = it->second;
    timeouts_.add();
    const std::string text = timed_out(slot.action->limits.timeout_ms, true);
    auto assigned = std::move(slot.assigned);
    slot.assigned.clear();
    slot.retiring = true;
    slot.worker->kill("killed after the time limit of its init");
    for (auto& a : assigned) {
      a->init_ms = ms_since(slot.init_started);
      a->logs.push_back(log_line(text));
      finish(a, kDeveloperError, {{"error", text}});
    }
    schedule();
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
    if (slot.init_timer) slot.init_timer->cancel();
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
    nlohmann::json env = {
        {"__OW_ACTIVATION_ID", a->id},
        {"__OW_ACTION_NAME", "/" + a->action->ns + "/" + a->action->name},
        {"__OW_NAMESPACE", a->action->ns},
        {"__OW_ACTION_VERSION", a->action->version},
        {"__OW_DEADLINE", a->start_ms + a->action->limits.timeout_ms},
        {"__OW_API_HOST", api_host_},
    };
    // OpenWhisk hands the key over only to actions annotated provide-api-key (true when absent).
    const auto provide_key = a->action->annotation("provide-api-key");
    if (!options_.api_key.empty() && (provide_key.is_null() || provide_key == true)) {
      env["__OW_API_KEY"] = options_.api_key;
    }
    const std::uint64_t id = a->worker;
    slot.worker->run(a->id, a->params, env, a->action->limits.logs_mb * 1024 * 1024,
                     [this, id, a](RunOutcome outcome) { on_run_done(id, a, std::move(outcome)); });
    watch_memory();
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
    const std::string text = timed_out(a->action->limits.timeout_ms, false);
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
    const bool initializing = slot.state == State::initializing;
    if (slot.init_timer) slot.init_timer->cancel();
    for (auto& a : slot.assigned) {
      if (a->done) continue;
      a->logs.push_back(log_line(why));
      finish(a, kDeveloperError, {{"error", initializing ? kAbnormalInit : kAbnormalRun}});
    }
    if (slot.state == State::starting && !stopping_ && ++start_failures_ >= kMaxStartFailures) {
      fail_pending("Node.js workers exit while starting: " + why);
    }
    if (!stopping_) schedule();
  }

  // ---- Memory limit ------------------------------------------------------------------------

  // While activations run, each busy worker's resident memory is compared with its action's
  // limits.memory; one past it is killed, its activations fail as OpenWhisk's do.
  void watch_memory() {
    if (memory_watch_on_) return;
    memory_watch_on_ = true;
    memory_timer_.expires_after(kMemoryCheckEvery);
    memory_timer_.async_wait([this](const boost::system::error_code& ec) {
      memory_watch_on_ = false;
      if (!ec && !stopping_) check_memory();
    });
  }

  void check_memory() {
    bool busy = false;
    for (auto& [id, slot] : slots_) {
      if (slot.state != State::ready || slot.assigned.empty() || slot.worker->exited()) continue;
      busy = true;
      const std::int64_t limit = slot.action->limits.memory_mb * 1024 * 1024;
      if (resident_bytes(slot.worker->pid()) <= limit) continue;
      memory_kills_.add();
      auto assigned = std::move(slot.assigned);
      slot.assigned.clear();
      slot.retiring = true;
      slot.worker->kill("killed for exceeding its memory limit");
      for (auto& a : assigned) {
        a->logs.push_back(log_line(kMemoryExhausted));
        finish(a, kDeveloperError, {{"error", kMemoryExhausted}});
      }
    }
    if (busy) watch_memory();
    schedule();
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
    record->cause = a->cause;
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
    memory_timer_.cancel();
    for (const auto& timer : delayed_) timer->cancel();
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
  Gauge& workers_gauge_;
  Gauge& queued_gauge_;
  Gauge& in_flight_gauge_;
  Gauge& prewarmed_gauge_;
  Counter& memory_kills_;
  std::map<std::string, Counter*> by_status_;
  asio::steady_timer memory_timer_;
  bool memory_watch_on_ = false;
  std::set<std::shared_ptr<asio::steady_timer>> delayed_;  // post_after's, cancelled at shutdown
  std::string api_host_ = options_.api_host;

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
                     std::chrono::milliseconds wait, Answer answer, std::string cause) {
  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1);
    return false;
  }
  pool_->submit(std::move(action), std::move(params), std::move(id), wait, std::move(answer),
                std::move(cause));
  return true;
}

void Invoker::check(std::string name, std::string code, CheckDone done) {
  pool_->check(std::move(name), std::move(code), std::move(done));
}

void Invoker::set_api_host(std::string url) {
  pool_->set_api_host(std::move(url));
}

void Invoker::post(std::function<void()> fn, std::chrono::milliseconds delay) {
  pool_->post_after(std::move(fn), delay);
}

void Invoker::retire(const std::string& action_name) {
  pool_->retire(action_name);
}

std::size_t Invoker::workers() const {
  return pool_->workers();
}

}  // namespace snet::whisk
