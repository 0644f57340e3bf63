// A routed emulation for a test: a topology (given as JSON, renamed to a name no other test or
// run uses, so durable RabbitMQ queues and bindings of earlier runs cannot interfere), a real
// broker (a Mosquitto of its own, or the process's shared RabbitMQ node), snet-relayer and
// snet-agent on it, and a Recorder on everything under snet/<name>/.
//
// "Exactly these actuators and no others" is shown without sleeping: after the press under test
// has reached the expected actuators, a sentinel press on a button that reaches EVERY actuator
// follows. Each actuator receives both commands from the relayer's one connection in order, so
// once every actuator has reported the sentinel, any report of the press under test from an
// unexpected actuator would already have arrived.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "snet/clock.hpp"
#include "snet/message.hpp"

namespace snet::test {

enum class BrokerChoice { mosquitto, rabbitmq };

/// A name no other test (or run) uses, valid in topics: "<prefix>-<hex>-<n>".
std::string unique_name(const std::string& prefix);

class Emulation {
 public:
  /// `topology` without (or with any) "name": it gets unique_name(prefix).
  Emulation(BrokerChoice broker, nlohmann::json topology, const std::string& prefix = "rt");
  ~Emulation();

  /// URLs of the broker: what services use (mqtt:// or amqp://) and its MQTT listener.
  std::string url() const;
  std::string mqtt_url() const;
  int mqtt_port() const;

  void start_relayer();
  void start_agent(std::vector<std::string> extra_args = {});
  /// Both, then waits until both are online with every hosted device connected.
  void start(std::vector<std::string> agent_args = {});
  /// Waits for an online status of `service` stamped at or after `since` whose metrics satisfy
  /// `pred`; returns the metrics or nullopt.
  std::optional<nlohmann::json> wait_status(
      const std::string& service, Micros since,
      const std::function<bool(const nlohmann::json&)>& pred = {},
      std::chrono::milliseconds timeout = 20s);

  std::string topic(const std::string& kind, const std::string& device) const;
  /// A press with id `id` through the recorder's bus (QoS 1).
  void press(const std::string& button, const std::string& id);
  /// Waits until every actuator of `actuators` has reported the state of press `id`.
  bool wait_states(const std::string& id, const std::vector<std::string>& actuators,
                   std::chrono::milliseconds timeout = 10s);
  /// The last state `actuator` reported for press `id`.
  std::optional<StateReport> state_of(const std::string& actuator, const std::string& id);
  /// The actuators that reported press `id`, and how often each did.
  std::map<std::string, int> reports_of(const std::string& id);
  /// Presses `button` and checks that exactly `expected` applied it, each once and to `on`
  /// (when given), using `sentinel` (a button reaching every actuator) as described above.
  void expect_exactly(const std::string& button, const std::vector<std::string>& expected,
                      std::optional<bool> on = std::nullopt,
                      const std::string& sentinel = "everyone");
  std::vector<std::string> actuators() const;
  std::string logs();

  std::string name;
  nlohmann::json topology;
  std::string topology_path;
  std::optional<Mosquitto> mosquitto;
  std::optional<Service> relayer;
  std::optional<Service> agent;
  std::optional<Recorder> recorder;

 private:
  BrokerChoice broker_;
  TempDir dir_{"snet-routing"};
};

}  // namespace snet::test
