#include "up_stack.hpp"

#include <csignal>
#include <deque>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "snet/message.hpp"
#include "snet/net.hpp"
#include "snet/topics.hpp"

namespace snet::test {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

nlohmann::json service(int control_port, const std::string& name) {
  const auto res = http_request("GET", control_port, "/services");
  if (res.status != 200) return {};
  const auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (!body.contains("services")) return {};
  for (const auto& s : body["services"]) {
    if (s.value("name", "") == name) return s;
  }
  return {};
}

}  // namespace

UpStack::UpStack(const std::string& topology, std::vector<std::string> extra)
    : mqtt_port_(free_port()),
      amqp_port_(free_port()),
      http_port_(free_port()),
      whisk_port_(free_port()),
      control_port_(free_port()),
      log_path_(data_.path() + "/snet-up.out") {
  std::vector<std::string> args = {built_program("snet"),
                                   "up",
                                   source_path(topology),
                                   "--mqtt-port",
                                   std::to_string(mqtt_port_),
                                   "--amqp-port",
                                   std::to_string(amqp_port_),
                                   "--http-port",
                                   std::to_string(http_port_),
                                   "--whisk-port",
                                   std::to_string(whisk_port_),
                                   "--control-port",
                                   std::to_string(control_port_),
                                   "--data-dir",
                                   data_.path() + "/data"};
  args.insert(args.end(), extra.begin(), extra.end());
  up_ = ChildProcess(args, ChildProcess::Options{{}, log_path_, "=stdout", true});
}

UpStack::~UpStack() {
  up_.signal(SIGTERM);
  if (!up_.wait_for(30s)) up_.stop(0ms);
}

bool UpStack::wait_up(std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        return read_text(log_path_).find("Serverlessnet is up") != std::string::npos ||
               !up_.running();
      },
      timeout) &&
         up_.running();
}

pid_t UpStack::pid_of(const std::string& name) const {
  return service(control_port_, name).value("pid", 0);
}

int UpStack::restarts_of(const std::string& name) const {
  return service(control_port_, name).value("restarts", -1);
}

std::string UpStack::log_tail(std::size_t lines) const {
  std::deque<std::string> last;
  std::ifstream in(log_path_);
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += l + "\n";
  return out;
}

Presser::Presser(const std::string& url, const std::string& client_id) {
  BusOptions options;
  options.url = url;
  options.client_id = client_id;
  options.persistent_session = true;
  bus_ = loop_.make_bus(options);
  bus_->start();
}

Presser::~Presser() { bus_->stop(); }

void Presser::press(const std::string& topic, const std::string& id) {
  bus_->publish(Message{topic, nlohmann::json{{"id", id}, {"ts", now_us()}}.dump(), false, {}},
                Qos::at_least_once,
                [this](bool ok, const std::string&) { (ok ? acked_ : failed_).fetch_add(1); });
}

void Presser::control(const std::string& topology, const std::string& action,
                      const std::string& device, std::int64_t duration_ms) {
  DeviceControl control{action, {device}, "test-" + action + "-" + device, now_us(), duration_ms};
  bus_->publish(Message{topics::control_topic(topology), to_json(control), false, {}},
                Qos::at_least_once);
}

bool Presser::wait_acked(int count, std::chrono::milliseconds timeout) {
  return eventually([&] { return acked_.load() >= count; }, timeout);
}

void pace(int count, int per_second, const std::function<void(int)>& step) {
  const auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < count; ++n) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(1'000'000LL * n / per_second));
    step(n);
  }
}

}  // namespace snet::test
