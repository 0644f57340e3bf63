#include "fake_supervisor.hpp"

#include "snet/clock.hpp"

namespace snet::test {

FakeSupervisor::FakeSupervisor() {
  for (const char* name : {"broker", "state", "whisk", "relayer", "agent"}) {
    services_[name] = {{"name", name},        {"kind", name},  {"pid", 1000},
                       {"state", "running"},  {"restarts", 0}, {"last_exit", nullptr},
                       {"since_us", now_us()}};
  }
  http::Router router;
  router.fallback([this](http::Request req, http::Reply reply) {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(req.method + " " + req.path);
    }
    if (hang_) return;  // never answered: the server's handler timeout is far away
    reply(handle(req));
  });
  http::ServerOptions options;
  options.handler_timeout = std::chrono::seconds(60);
  server_ = std::make_unique<http::Server>(options, std::move(router));
  server_->start();
}

FakeSupervisor::~FakeSupervisor() {
  server_->stop(std::chrono::milliseconds(200));
}

std::string FakeSupervisor::url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

std::vector<std::string> FakeSupervisor::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

nlohmann::json FakeSupervisor::service(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return services_.at(name);
}

http::Response FakeSupervisor::handle(const http::Request& req) {
  std::lock_guard lock(mutex_);
  if (req.method == "GET" && req.path == "/services") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [name, s] : services_) list.push_back(s);
    return http::json_response(200, {{"services", list}});
  }
  const std::string prefix = "/services/";
  if (req.method != "POST" || req.path.rfind(prefix, 0) != 0) {
    return http::error_response(404, "no such resource: " + req.path);
  }
  const std::string rest = req.path.substr(prefix.size());
  const auto slash = rest.find('/');
  const std::string name = rest.substr(0, slash);
  const std::string verb = slash == std::string::npos ? "" : rest.substr(slash + 1);
  auto it = services_.find(name);
  if (it == services_.end()) return http::error_response(404, "unknown service '" + name + "'");
  nlohmann::json& s = it->second;
  if (verb == "kill" || verb == "restart") {
    s["restarts"] = s["restarts"].get<int>() + 1;
    s["state"] = "running";
    if (verb == "kill") s["last_exit"] = "killed by signal 9";
  } else if (verb == "stop") {
    s["state"] = "stopped";
  } else if (verb == "start" || verb == "resume") {
    s["state"] = "running";
  } else if (verb == "pause") {
    s["state"] = "paused";
  } else {
    return http::error_response(400, "unknown verb '" + verb + "'");
  }
  return http::json_response(200, {{"service", s}});
}

}  // namespace snet::test
