#include "press_path_fixture.hpp"

#include "snet/topics.hpp"

namespace snet::test {

PressPath::PressPath(const std::string& topology, std::string topology_name)
    : topology_path(source_path(topology)),
      name(std::move(topology_name)),
      recorder(broker.url(), {"snet/" + name + "/#"}) {}

void PressPath::start_relayer() {
  relayer.emplace("snet-relayer",
                  std::vector<std::string>{"--broker-url", broker.url(), "--topology",
                                           topology_path, "--status-interval-ms", "100"});
}

void PressPath::start_agent(std::vector<std::string> extra_args) {
  std::vector<std::string> args = {"--broker-url", broker.url(),           "--topology",
                                   topology_path,  "--status-interval-ms", "100"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  agent.emplace("snet-agent", std::move(args));
}

std::optional<nlohmann::json> PressPath::wait_status(
    const std::string& service, Micros since,
    const std::function<bool(const nlohmann::json&)>& pred, std::chrono::milliseconds timeout) {
  const std::string status_topic = topic("status", service);
  std::optional<nlohmann::json> found;
  recorder.wait(
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

void PressPath::start_all() {
  const Micros since = now_us();
  start_relayer();
  start_agent();
  if (!wait_status("relayer", since) || !wait_status("agent", since)) {
    throw std::runtime_error("services did not come online; logs:\n" + logs());
  }
}

std::string PressPath::topic(const std::string& kind, const std::string& device) const {
  return "snet/" + name + "/" + kind + "/" + device;
}

std::optional<StateReport> PressPath::wait_state(const std::string& actuator,
                                                 const std::string& press_id,
                                                 std::chrono::milliseconds timeout) {
  auto message =
      recorder.wait_for(topic("state", actuator), "\"press_id\":\"" + press_id + "\"", timeout);
  if (!message) return std::nullopt;
  return parse_state(message->payload);
}

int PressPath::count_states(const std::string& actuator, const std::string& press_id) {
  int n = 0;
  for (const auto& m : recorder.messages()) {
    if (m.topic == topic("state", actuator) &&
        m.payload.find("\"press_id\":\"" + press_id + "\"") != std::string::npos) {
      ++n;
    }
  }
  return n;
}

void PressPath::publish(const std::string& topic_name, const std::string& payload) {
  recorder.bus().publish(Message{topic_name, payload, false, {}}, Qos::at_least_once);
}

std::string PressPath::logs() {
  std::string out;
  if (relayer) out += "--- relayer ---\n" + relayer->log();
  if (agent) out += "--- agent ---\n" + agent->log();
  return out;
}

}  // namespace snet::test
