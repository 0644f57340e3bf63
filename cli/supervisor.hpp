// The supervisor of `snet up`: runs each service (the broker too) as a child process, restarts
// one that exits on its own per the restart policy (restart_policy.hpp), carries out control
// requests (stop, start, restart, kill, pause, resume) and stops everything in parallel.
//
// Each service is in one state: starting (its process runs, not ready yet), running (ready),
// paused (SIGSTOP), backoff (exited; restarted when its delay is over) or stopped (no process,
// and none coming: stopped on request, or exited and not restarted by the policy).
//
// Thread safety: one owner thread calls add(), start(), tick(), stop_all() and the accessors;
// submit() may be called from any thread (the control endpoint's): requests are carried out by
// the next tick(), which also gives their replies.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "restart_policy.hpp"
#include "snet/clock.hpp"
#include "snet/http_server.hpp"
#include "snet/metrics.hpp"
#include "snet/process.hpp"

namespace snet::cli {

/// One program the supervisor runs: how to start it and how to tell it is ready.
class Runnable {
 public:
  virtual ~Runnable() = default;
  /// Starts a new process (the previous one, if any, has exited); throws std::exception saying
  /// why it cannot.
  virtual void start() = 0;
  /// The process started last.
  virtual ChildProcess& process() = 0;
  /// Whether the process started last (at `started`) is ready; polled while it is starting.
  virtual bool ready(Micros started) = 0;
  /// Where its output goes.
  virtual std::string log_path() const = 0;
  /// Called once its process has exited and been reaped (e.g. to clean up what it left).
  virtual void exited() {}
};

enum class ServiceState { starting, running, stopped, paused, backoff };
std::string_view to_string(ServiceState state);

/// A service as the control endpoint shows it.
struct ServiceView {
  std::string name, kind;
  pid_t pid = 0;  // 0: no process
  ServiceState state = ServiceState::stopped;
  int restarts = 0;       // restarts by the policy (not by request)
  std::string last_exit;  // "killed by signal 9", "exited with status 1"; "" before any exit
  Micros since_us = 0;    // when it entered its state
};
nlohmann::json to_json(const ServiceView& view);

class Supervisor {
 public:
  struct Options {
    RestartMode restart = RestartMode::on_failure;
    Backoff backoff;
    /// How long a service asked to stop gets before SIGKILL.
    std::chrono::milliseconds stop_grace{5000};
    /// How often a starting service's readiness is probed.
    std::chrono::milliseconds ready_poll{100};
  };
  /// Counts restarts in `metrics` (snet_supervisor_restarts_total{service="..."}) and shows
  /// whether each service runs (snet_supervisor_service_up{service="..."}, a gauge).
  Supervisor(Options options, Metrics& metrics, std::ostream& out);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /// Registers a service (stopped until start()). `kind` is what it is: "broker", "relayer"...
  void add(std::string name, std::string kind, std::unique_ptr<Runnable> runnable);
  /// Starts a registered service; throws when it cannot be started.
  void start(const std::string& name);
  /// While true (start-up), a service that exits is not restarted but reported by
  /// startup_failure(): a misconfiguration then fails `snet up` at once, with the service's log.
  void set_fail_fast(bool on) { fail_fast_ = on; }
  /// "relayer exited with status 1" when a service exited while fail-fast was on.
  std::optional<std::string> startup_failure() const { return startup_failure_; }

  /// Reaps exited processes, applies the restart policy, starts what is due, probes readiness
  /// and carries out the requests submitted since the last call. Call it every few tens of ms.
  void tick();
  /// A control request: verb one of stop, start, restart, kill, pause, resume; or "" for "show
  /// it" (with name "" for every service). `reply` gets the HTTP answer (see up.cpp's routes).
  void submit(std::string name, std::string verb, http::Reply reply);

  /// Stops every service at once (SIGTERM, then SIGKILL at the deadline), then calls
  /// `before_broker` (if any), then stops the broker, printing who it still waits for.
  /// `wait_for_force(d)` waits up to `d` and returns true when the user asks to hurry (a second
  /// Ctrl-C): whatever still runs is then SIGKILLed. Returns how long it took.
  std::chrono::milliseconds stop_all(
      const std::function<bool(std::chrono::milliseconds)>& wait_for_force,
      const std::function<void()>& before_broker = {});

  std::vector<ServiceView> views() const;
  std::optional<ServiceView> view(const std::string& name) const;
  std::string log_path(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  struct Service;
  struct Request {
    std::string name, verb;
    http::Reply reply;
  };
  Service* find(const std::string& name);
  void spawn(Service& service);
  void set_state(Service& service, ServiceState state);
  void on_exit(Service& service);
  void request_stop(Service& service, bool start_again);
  void drain_requests();
  void carry_out(Request& request);
  void answer_waiting(Service& service);
  ServiceView view_of(const Service& service) const;

  Options options_;
  Metrics& metrics_;
  std::ostream& out_;
  std::vector<std::unique_ptr<Service>> services_;
  bool fail_fast_ = false;
  bool stopping_all_ = false;
  std::optional<std::string> startup_failure_;
  std::mutex requests_mutex_;
  std::deque<Request> requests_;
};

}  // namespace snet::cli
