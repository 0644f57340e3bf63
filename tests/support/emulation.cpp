#include "emulation.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>

#include "snet/topology.hpp"

namespace snet::test {

std::string unique_name(const std::string& prefix) {
  std::string id = new_press_id();  // "<hex>-<n>": letters, digits and '-'
  return prefix + "-" + id;
}

nlohmann::json topology_json(const std::string& file) {
  return nlohmann::json::parse(read_text(source_path(file)), nullptr, true,
                               /*ignore_comments=*/true);
}

namespace {

// The JSON-made emulations are about the press path and the broker's routing, and start no
// OpenWhisk: the examples' OpenWhisk actions (flip_switch, all_off) run as their builtin twins,
// which decide the same.
void use_builtin_compute(nlohmann::json& compute) {
  if (compute.is_object() && compute.value("backend", "") == "openwhisk") {
    compute["backend"] = "builtin";
  }
}

}  // namespace

Emulation::Emulation(const std::string& topology_file, std::string topology_name)
    : name(std::move(topology_name)),
      topology(topology_json(topology_file)),
      topology_path(source_path(topology_file)),
      broker_(BrokerChoice::mosquitto) {
  mosquitto.emplace();
  recorder.emplace(url(), std::vector<std::string>{"snet/" + name + "/#"});
}

Emulation::Emulation(BrokerChoice broker, nlohmann::json topo, const std::string& prefix)
    : name(unique_name(prefix)), topology(std::move(topo)), broker_(broker) {
  if (topology.contains("compute")) use_builtin_compute(topology["compute"]);
  if (topology.contains("devices")) {
    for (auto& device : topology["devices"]) {
      if (device.contains("compute")) use_builtin_compute(device["compute"]);
    }
  }
  topology["name"] = name;
  topology["broker"] = broker == BrokerChoice::rabbitmq ? "rabbitmq" : "mosquitto";
  topology_path = dir_.path() + "/topology.json";
  std::ofstream(topology_path) << topology.dump(2);
  if (broker == BrokerChoice::mosquitto) mosquitto.emplace();
  recorder.emplace(url(), std::vector<std::string>{"snet/" + name + "/#"});
}

Emulation::~Emulation() {
  // The agent before the relayer, as snet up stops them.
  if (agent) agent->stop();
  if (relayer) relayer->stop();
}

std::string Emulation::url() const {
  return broker_ == BrokerChoice::rabbitmq ? shared_rabbitmq().amqp_url() : mosquitto->url();
}

std::string Emulation::mqtt_url() const {
  return broker_ == BrokerChoice::rabbitmq ? shared_rabbitmq().mqtt_url() : mosquitto->url();
}

int Emulation::mqtt_port() const {
  return broker_ == BrokerChoice::rabbitmq ? shared_rabbitmq().mqtt_port() : mosquitto->port();
}

void Emulation::start_relayer() {
  relayer.emplace("snet-relayer",
                  std::vector<std::string>{"--broker-url", url(), "--topology", topology_path,
                                           "--status-interval-ms", "100"});
}

void Emulation::start_agent(std::vector<std::string> extra_args) {
  std::vector<std::string> args = {
      "--broker-url", url(),         "--mqtt-url",           mqtt_url(),
      "--topology",   topology_path, "--status-interval-ms", "100"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  agent.emplace("snet-agent", std::move(args));
}

void Emulation::start(std::vector<std::string> agent_args) {
  const Micros since = now_us();
  // Counted from the model: "pairs" make devices the JSON does not list.
  const auto devices = static_cast<long>(parse_topology(topology).devices.size());
  const bool every_device = agent_args.empty();  // else --devices may leave some out
  start_relayer();
  start_agent(std::move(agent_args));
  if (!wait_status("relayer", since,
                   [](const auto& m) { return m.value("snet_relayer_connected", 0) == 1; }) ||
      !wait_status("agent", since, [&](const auto& m) {
        return !every_device || m.value("snet_agent_devices_connected", 0L) == devices;
      })) {
    throw std::runtime_error("services did not come online; logs:\n" + logs());
  }
}

std::optional<nlohmann::json> Emulation::wait_status(
    const std::string& service, Micros since,
    const std::function<bool(const nlohmann::json&)>& pred, std::chrono::milliseconds timeout) {
  const std::string status_topic = topic("status", service);
  std::optional<nlohmann::json> found;
  recorder->wait(
      [&](const std::vector<Message>& all) {
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
          if (it->topic != status_topic) continue;
          const ServiceStatus status = parse_status(it->payload);
          if (!status.online || status.ts < since) return false;
          auto metrics = nlohmann::json::parse(status.metrics_json);
          if (pred && !pred(metrics)) return false;
          found = std::move(metrics);
          return true;
        }
        return false;
      },
      timeout);
  return found;
}

std::string Emulation::topic(const std::string& kind, const std::string& device) const {
  return "snet/" + name + "/" + kind + "/" + device;
}

void Emulation::publish(const std::string& topic_name, const std::string& payload) {
  recorder->bus().publish(Message{topic_name, payload, false, {}}, Qos::at_least_once);
}

void Emulation::press(const std::string& button, const std::string& id) {
  publish(topic("press", button), "{\"id\":\"" + id + "\"}");
}

std::optional<StateReport> Emulation::wait_state(const std::string& actuator,
                                                 const std::string& press_id,
                                                 std::chrono::milliseconds timeout) {
  auto message =
      recorder->wait_for(topic("state", actuator), "\"press_id\":\"" + press_id + "\"", timeout);
  if (!message) return std::nullopt;
  return parse_state(message->payload);
}

std::optional<StateReport> Emulation::state_of(const std::string& actuator,
                                               const std::string& press_id) {
  return wait_state(actuator, press_id, 0s);
}

std::map<std::string, int> Emulation::reports_of(const std::string& id) {
  std::map<std::string, int> out;
  const std::string state_prefix = "snet/" + name + "/state/";
  const std::string needle = "\"press_id\":\"" + id + "\"";
  for (const auto& m : recorder->messages()) {
    if (m.topic.rfind(state_prefix, 0) == 0 && m.payload.find(needle) != std::string::npos) {
      ++out[m.topic.substr(state_prefix.size())];
    }
  }
  return out;
}

int Emulation::count_states(const std::string& actuator, const std::string& press_id) {
  const auto reports = reports_of(press_id);
  const auto it = reports.find(actuator);
  return it == reports.end() ? 0 : it->second;
}

bool Emulation::wait_states(const std::string& id, const std::vector<std::string>& actuators,
                            std::chrono::milliseconds timeout) {
  const std::string state_prefix = "snet/" + name + "/state/";
  const std::string needle = "\"press_id\":\"" + id + "\"";
  return recorder->wait(
      [&](const std::vector<Message>& all) {
        std::set<std::string> seen;
        for (const auto& m : all) {
          if (m.topic.rfind(state_prefix, 0) == 0 && m.payload.find(needle) != std::string::npos) {
            seen.insert(m.topic.substr(state_prefix.size()));
          }
        }
        return std::all_of(actuators.begin(), actuators.end(),
                           [&](const std::string& a) { return seen.count(a) != 0; });
      },
      timeout);
}

std::vector<std::string> Emulation::actuators() const {
  const Topology model = parse_topology(topology);  // outlives the pointers into it
  std::vector<std::string> out;
  for (const Device* d : model.actuators()) out.push_back(d->id);
  return out;
}

void Emulation::expect_exactly(const std::string& button, const std::vector<std::string>& expected,
                               std::optional<bool> on, const std::string& sentinel) {
  CAPTURE(button);
  const std::string id = unique_name("press");
  press(button, id);
  REQUIRE_MESSAGE(wait_states(id, expected), "not every expected actuator applied ", id, "\n",
                  logs());
  const std::string sentinel_id = unique_name("sentinel");
  press(sentinel, sentinel_id);
  const auto everyone = actuators();
  REQUIRE_MESSAGE(wait_states(sentinel_id, everyone),
                  "the sentinel press did not reach every actuator\n", logs());
  const auto reports = reports_of(id);
  for (const auto& actuator : everyone) {
    CAPTURE(actuator);
    const bool wanted = std::find(expected.begin(), expected.end(), actuator) != expected.end();
    const auto it = reports.find(actuator);
    CHECK((it == reports.end() ? 0 : it->second) == (wanted ? 1 : 0));
    if (wanted && on) CHECK(state_of(actuator, id)->on == *on);
  }
}

std::string Emulation::logs() {
  std::string out;
  if (relayer) out += "--- relayer ---\n" + relayer->log();
  if (agent) out += "--- agent ---\n" + agent->log();
  return out;
}

}  // namespace snet::test
