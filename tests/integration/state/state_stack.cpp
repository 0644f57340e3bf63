#include "state_stack.hpp"

#include <future>
#include <sstream>

#include <doctest/doctest.h>
#include <stdexcept>

#include "snet/clock.hpp"
#include "snet/net.hpp"
#include "snet/topics.hpp"
#include "snet/topology.hpp"

namespace snet::test {

StateStack::StateStack(std::string topology, std::vector<std::string> extra_args)
    : topology_(std::move(topology)),
      topology_name_(load_topology(topology_).name),
      extra_args_(std::move(extra_args)),
      http_port_(free_port()) {
  start_state();
}

StateStack::~StateStack() {
  stop_state();
}

void StateStack::start_state() {
  std::vector<std::string> args = {
      "--broker-url", broker_.url(),          "--topology",
      topology_,      "--http-port",          std::to_string(http_port_),
      "--data-dir",   data_.path(),           "--log-level",
      "debug",        "--status-interval-ms", "200"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  state_ = std::make_unique<Service>("snet-state", args);
  const bool healthy = eventually([&] { return get("/healthz").status == 200; }, 10s);
  if (!healthy) throw std::runtime_error("snet-state did not become healthy; its log:\n" + log());
}

void StateStack::stop_state() {
  if (state_) state_->stop();
}

std::string StateStack::log() const {
  return state_ ? state_->log() : std::string();
}

nlohmann::json StateStack::get_json(const std::string& target) const {
  return nlohmann::json::parse(get(target).body, nullptr, false);
}

long long StateStack::metric(const std::string& series) const {
  std::istringstream text(get("/metrics").body);
  std::string line;
  while (std::getline(text, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stoll(line.substr(series.size() + 1));
    }
  }
  return -1;
}

void StateStack::publish_state(const std::string& device, bool on, const std::string& press_id,
                               long long applied_ts) {
  nlohmann::json state = {{"device", device},
                          {"on", on},
                          {"press_id", press_id},
                          {"button", "button-1"},
                          {"applied_ts", applied_ts != 0 ? applied_ts : now_us()}};
  if (mosquitto_pub(broker_.port(), topics::make(topology_name_, topics::Kind::state, device),
                    state.dump()) != 0) {
    throw std::runtime_error("mosquitto_pub failed");
  }
}

void publish_retained(Recorder& client, const std::string& topic, const std::string& payload) {
  std::promise<bool> done;
  client.bus().publish(Message{topic, payload, true, {}}, Qos::at_least_once,
                       [&](bool ok, const std::string&) { done.set_value(ok); });
  auto result = done.get_future();
  REQUIRE(result.wait_for(5s) == std::future_status::ready);
  REQUIRE(result.get());
}

}  // namespace snet::test
