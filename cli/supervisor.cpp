#include "supervisor.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <ostream>

#include <nlohmann/json.hpp>

#include "snet/file_modes.hpp"
#include "snet/log.hpp"
#include "stack.hpp"

namespace snet::cli {
namespace {
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const char* const kVerbs = "stop, start, restart, kill, pause, resume";

// "0.1", "1.6", "5": seconds as people read them.
std::string seconds_text(milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(ms.count()) / 1000.0);
  std::string out = text;
  if (out.size() > 2 && out.compare(out.size() - 2, 2, ".0") == 0) out.resize(out.size() - 2);
  return out;
}

milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Appends a line to a service's log, so its own output shows where a restart happened. Opened
// close-on-exec: a child started meanwhile by another thread must not inherit it.
void append_line(const std::string& path, const std::string& line) {
  const int fd = open_append(path.c_str(), kLogFileMode);
  if (fd < 0) return;
  const std::string text = line + "\n";
  [[maybe_unused]] const ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

std::string_view to_string(ServiceState state) {
  switch (state) {
    case ServiceState::starting:
      return "starting";
    case ServiceState::running:
      return "running";
    case ServiceState::stopped:
      return "stopped";
    case ServiceState::paused:
      return "paused";
    case ServiceState::backoff:
      return "backoff";
  }
  return "?";
}

nlohmann::json to_json(const ServiceView& view) {
  return {{"name", view.name},         {"kind", view.kind},
          {"pid", view.pid},           {"state", to_string(view.state)},
          {"restarts", view.restarts}, {"last_exit", view.last_exit},
          {"since_us", view.since_us}};
}

struct Supervisor::Service {
  std::string name, kind;
  std::unique_ptr<Runnable> runnable;
  RestartPolicy policy;
  ServiceState state = ServiceState::stopped;
  Micros since_us = now_us();
  bool live = false;   // a process was started and is not reaped yet
  bool ready = false;  // that process reported ready (what resume returns to)
  int restarts = 0;
  std::string last_exit;
  Micros started_us = 0;
  Clock::time_point started_at{}, next_probe{}, restart_at{};
  // A stop on request in progress: SIGKILL at the deadline; start again after it (restart).
  bool stop_requested = false, start_after_stop = false, killed = false;
  Clock::time_point stop_deadline{};
  std::vector<http::Reply> waiting;  // answered when the stop or kill under way completes
  Counter* restarts_total = nullptr;
  Gauge* up = nullptr;

  Service(std::string n, std::string k, std::unique_ptr<Runnable> r, RestartPolicy p)
      : name(std::move(n)), kind(std::move(k)), runnable(std::move(r)), policy(p) {}
};

Supervisor::Supervisor(Options options, Metrics& metrics, std::ostream& out)
    : options_(options), metrics_(metrics), out_(out) {}

Supervisor::~Supervisor() = default;  // each Runnable stops its own process

void Supervisor::add(std::string name, std::string kind, std::unique_ptr<Runnable> runnable) {
  auto service = std::make_unique<Service>(std::move(name), std::move(kind), std::move(runnable),
                                           RestartPolicy(options_.restart, options_.backoff));
  const std::string label = "service=\"" + service->name + "\"";
  service->restarts_total =
      &metrics_.counter("snet_supervisor_restarts_total",
                        "Restarts of a service by snet up after it exited on its own", label);
  service->up = &metrics_.gauge("snet_supervisor_service_up",
                                "1 while the service runs and is ready, else 0", label);
  services_.push_back(std::move(service));
}

void Supervisor::start(const std::string& name) {
  Service* service = find(name);
  if (service == nullptr) throw std::invalid_argument("no service '" + name + "'");
  spawn(*service);
}

Supervisor::Service* Supervisor::find(const std::string& name) {
  for (auto& service : services_) {
    if (service->name == name) return service.get();
  }
  return nullptr;
}

void Supervisor::set_state(Service& service, ServiceState state) {
  service.state = state;
  service.since_us = now_us();
  service.up->set(state == ServiceState::running ? 1 : 0);
}

void Supervisor::spawn(Service& service) {
  service.runnable->start();
  service.live = true;
  service.ready = false;
  service.killed = false;
  service.started_at = Clock::now();
  service.started_us = now_us();
  service.next_probe = service.started_at;
  set_state(service, ServiceState::starting);
  log::at(fail_fast_ ? log::Level::debug : log::Level::info, service.name, " started (pid ",
          service.runnable->process().pid(), ")");
}

void Supervisor::request_stop(Service& service, bool start_again) {
  service.stop_requested = true;
  service.start_after_stop = start_again;
  service.stop_deadline = Clock::now() + options_.stop_grace;
  service.runnable->process().signal(SIGTERM);
  service.runnable->process().signal(SIGCONT);  // a paused process handles SIGTERM once continued
}

void Supervisor::answer_waiting(Service& service) {
  auto waiting = std::move(service.waiting);
  service.waiting.clear();
  const auto body = nlohmann::json{{"service", to_json(view_of(service))}};
  for (auto& reply : waiting) reply(http::json_response(200, body));
}

void Supervisor::on_exit(Service& service) {
  const auto status = service.runnable->process().exit_status();
  const std::string how = status ? describe_exit(*status) : "exited";
  service.runnable->exited();
  const auto uptime = since(service.started_at);
  service.live = false;
  service.ready = false;
  service.last_exit = how;
  if (service.stop_requested || stopping_all_) {
    service.stop_requested = false;
    log::info(service.name, " stopped (", how, ")");
    if (service.start_after_stop && !stopping_all_) {
      service.start_after_stop = false;
      service.policy.reset();
      try {
        spawn(service);
      } catch (const std::exception& e) {
        service.last_exit = std::string("could not start: ") + e.what();
        log::error("cannot start ", service.name, ": ", e.what());
        set_state(service, ServiceState::stopped);
      }
    } else {
      set_state(service, ServiceState::stopped);
    }
    answer_waiting(service);
    return;
  }
  if (fail_fast_) {
    if (!startup_failure_) startup_failure_ = service.name + " " + how;
    set_state(service, ServiceState::stopped);
    answer_waiting(service);
    return;
  }
  const bool clean = status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  const auto decision = service.policy.on_exit(clean, uptime);
  if (decision.restart) {
    service.restart_at = Clock::now() + decision.delay;
    set_state(service, ServiceState::backoff);
    log::warn(service.name, " ", how, "; restarting in ", seconds_text(decision.delay),
              " s (restart ", service.restarts + 1, ")");
  } else {
    set_state(service, ServiceState::stopped);
    log::warn(service.name, " ", how, "; not restarted (--restart ",
              to_string(service.policy.mode()), ")");
  }
  answer_waiting(service);
}

void Supervisor::drain_requests() {
  std::deque<Request> requests;
  {
    std::lock_guard lock(requests_mutex_);
    requests.swap(requests_);
  }
  for (auto& request : requests) carry_out(request);
}

void Supervisor::tick() {
  drain_requests();

  const auto now = Clock::now();
  for (auto& owned : services_) {
    Service& service = *owned;
    if (service.live && !service.runnable->process().running()) on_exit(service);
    if (service.live && service.stop_requested && !service.killed &&
        Clock::now() >= service.stop_deadline) {
      log::warn(service.name, " did not stop within ", seconds_text(options_.stop_grace),
                " s; killing it");
      service.runnable->process().signal(SIGKILL);
      service.killed = true;
    }
    if (service.state == ServiceState::backoff && now >= service.restart_at) {
      ++service.restarts;
      service.restarts_total->add();
      append_line(service.runnable->log_path(),
                  "---- snet up: restart " + std::to_string(service.restarts) + " of " +
                      service.name + " after it " + service.last_exit + " ----");
      try {
        spawn(service);
      } catch (const std::exception& e) {
        service.last_exit = std::string("could not start: ") + e.what();
        const auto decision = service.policy.on_exit(false, milliseconds(0));
        service.restart_at = Clock::now() + decision.delay;
        log::warn("cannot start ", service.name, ": ", e.what(), "; trying again in ",
                  seconds_text(decision.delay), " s");
        if (!decision.restart) set_state(service, ServiceState::stopped);
      }
    }
    if (service.state == ServiceState::starting && !service.stop_requested &&
        now >= service.next_probe) {
      service.next_probe = now + options_.ready_poll;
      if (service.runnable->ready(service.started_us)) {
        service.ready = true;
        set_state(service, ServiceState::running);
        log::at(fail_fast_ ? log::Level::debug : log::Level::info, service.name, " is ready (pid ",
                service.runnable->process().pid(), ", ", since(service.started_at).count(), " ms)");
      }
    }
  }
}

void Supervisor::submit(std::string name, std::string verb, http::Reply reply) {
  std::lock_guard lock(requests_mutex_);
  requests_.push_back({std::move(name), std::move(verb), std::move(reply)});
}

void Supervisor::carry_out(Request& request) {
  auto conflict = [&](const std::string& why) { request.reply(http::error_response(409, why)); };
  if (request.name.empty() && request.verb.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& view : views()) list.push_back(to_json(view));
    request.reply(http::json_response(200, {{"services", std::move(list)}}));
    return;
  }
  Service* found = find(request.name);
  if (found == nullptr) {
    request.reply(http::error_response(
        404, "unknown service '" + request.name + "' (services: " + join(names()) + ")"));
    return;
  }
  Service& service = *found;
  const std::string& verb = request.verb;
  const std::string quoted = "'" + service.name + "'";
  const std::string state(to_string(service.state));
  auto ok = [&] {
    request.reply(http::json_response(200, {{"service", to_json(view_of(service))}}));
  };
  if (verb.empty()) return ok();
  const bool known = verb == "stop" || verb == "start" || verb == "restart" || verb == "kill" ||
                     verb == "pause" || verb == "resume";
  if (!known) {
    request.reply(http::error_response(400, "unknown verb '" + verb + "' (verbs: " + kVerbs + ")"));
    return;
  }
  if (stopping_all_) return conflict("snet up is stopping");
  if (service.stop_requested && verb != "kill") {
    return conflict(quoted + " is being stopped; try again when it is stopped");
  }
  log::info("control: ", verb, " ", service.name);
  if (verb == "stop") {
    if (service.state == ServiceState::stopped) return conflict(quoted + " is already stopped");
    if (!service.live) {  // backoff: cancel the restart
      set_state(service, ServiceState::stopped);
      return ok();
    }
    request_stop(service, false);
    service.waiting.push_back(std::move(request.reply));
  } else if (verb == "start" || (verb == "restart" && !service.live)) {
    if (verb == "start" && service.state != ServiceState::stopped) {
      return conflict(quoted + " is " + state + "; stop it first, or use restart");
    }
    service.policy.reset();
    try {
      spawn(service);
    } catch (const std::exception& e) {
      service.last_exit = std::string("could not start: ") + e.what();
      set_state(service, ServiceState::stopped);
      request.reply(http::error_response(500, "cannot start " + service.name + ": " + e.what()));
      return;
    }
    ok();
  } else if (verb == "restart") {
    request_stop(service, true);
    service.waiting.push_back(std::move(request.reply));
  } else if (verb == "kill") {
    if (!service.live) return conflict(quoted + " has no process to kill (it is " + state + ")");
    service.runnable->process().signal(SIGKILL);
    service.waiting.push_back(std::move(request.reply));  // answered once reaped
  } else if (verb == "pause") {
    if (service.state == ServiceState::paused) return conflict(quoted + " is already paused");
    if (!service.live) return conflict(quoted + " is not running (it is " + state + ")");
    service.runnable->process().signal(SIGSTOP);
    set_state(service, ServiceState::paused);
    ok();
  } else {  // resume
    if (service.state != ServiceState::paused) {
      return conflict(quoted + " is not paused (it is " + state + ")");
    }
    service.runnable->process().signal(SIGCONT);
    set_state(service, service.ready ? ServiceState::running : ServiceState::starting);
    ok();
  }
}

std::chrono::milliseconds Supervisor::stop_all(
    const std::function<bool(std::chrono::milliseconds)>& wait_for_force,
    const std::function<void()>& before_broker) {
  const auto started = Clock::now();
  stopping_all_ = true;
  drain_requests();  // from now on verbs are refused (409), reads still answered
  for (auto& service : services_) {
    if (service->state == ServiceState::backoff) set_state(*service, ServiceState::stopped);
  }
  bool forced = false;
  // The services at once, then the broker: they disconnect cleanly from a live broker.
  auto stop_group = [&](const std::vector<Service*>& group) {
    auto still_running = [&] {
      std::vector<std::string> names;
      for (Service* s : group) {
        if (s->live && s->runnable->process().running()) {
          names.push_back(s->name);
        } else if (s->live) {
          on_exit(*s);
        }
      }
      return names;
    };
    auto kill_all = [&] {
      for (Service* s : group) {
        if (s->live) s->runnable->process().signal(SIGKILL);
      }
    };
    for (Service* s : group) {
      if (!s->live) continue;
      s->stop_requested = true;
      s->runnable->process().signal(SIGTERM);
      s->runnable->process().signal(SIGCONT);
    }
    if (forced) kill_all();
    auto waiting = still_running();
    if (waiting.empty()) return;
    out_ << "stopping: waiting for " << join(waiting) << "..." << std::endl;
    const auto deadline = Clock::now() + options_.stop_grace;
    auto next_report = Clock::now() + milliseconds(500);
    bool killed = forced;
    while (!(waiting = still_running()).empty()) {
      drain_requests();
      if (wait_for_force(milliseconds(10)) && !forced) {
        forced = killed = true;
        out_ << "forced: killing " << join(waiting) << std::endl;
        kill_all();
      }
      if (!killed && Clock::now() >= deadline) {
        killed = true;
        out_ << join(waiting) << " did not stop within " << seconds_text(options_.stop_grace)
             << " s: killing" << std::endl;
        kill_all();
      }
      if (Clock::now() >= next_report) {
        next_report += milliseconds(500);
        out_ << "stopping: still waiting for " << join(waiting) << " ("
             << seconds_text(since(started)) << " s)" << std::endl;
      }
    }
  };
  std::vector<Service*> services, brokers;
  for (auto& service : services_) {
    (service->kind == "broker" ? brokers : services).push_back(service.get());
  }
  stop_group(services);
  if (before_broker) before_broker();
  stop_group(brokers);
  return since(started);
}

ServiceView Supervisor::view_of(const Service& service) const {
  ServiceView view;
  view.name = service.name;
  view.kind = service.kind;
  view.pid = service.live ? service.runnable->process().pid() : 0;
  view.state = service.state;
  view.restarts = service.restarts;
  view.last_exit = service.last_exit;
  view.since_us = service.since_us;
  return view;
}

std::vector<ServiceView> Supervisor::views() const {
  std::vector<ServiceView> out;
  for (const auto& service : services_) out.push_back(view_of(*service));
  return out;
}

std::optional<ServiceView> Supervisor::view(const std::string& name) const {
  for (const auto& service : services_) {
    if (service->name == name) return view_of(*service);
  }
  return std::nullopt;
}

std::string Supervisor::log_path(const std::string& name) const {
  for (const auto& service : services_) {
    if (service->name == name) return service->runnable->log_path();
  }
  return {};
}

std::vector<std::string> Supervisor::names() const {
  std::vector<std::string> out;
  for (const auto& service : services_) out.push_back(service->name);
  return out;
}

}  // namespace snet::cli
