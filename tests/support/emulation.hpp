// An emulation for a test: a real broker, snet-relayer and snet-agent on a topology, and a
// Recorder on everything under snet/<topology>/. Services publish their status every 100 ms so
// tests can read their counters from the retained status topics.
//
// Two ways to make one:
//   - from a topology file of the source tree, as it is, on a Mosquitto of its own;
//   - from a topology as JSON, renamed to a name no other test or run uses (so durable RabbitMQ
//     queues and bindings of earlier runs cannot interfere), on Mosquitto or on the process's
//     shared RabbitMQ node; its OpenWhisk computes run as their builtin twins (no OpenWhisk).
//
// "Exactly these actuators and no others" is shown without sleeping (expect_exactly): after the
// press under test has reached the expected actuators, a sentinel press on a button that reaches
// EVERY actuator follows. Each actuator receives both commands from the relayer's one connection
// in order, so once every actuator has reported the sentinel, any report of the press under test
// from an unexpected actuator would already have arrived.
#pragma once

#include <functional>
#include <map>
#include <optional>
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
/// A topology file of the source tree (e.g. "topology/mixed.json") as JSON, to edit and run.
nlohmann::json topology_json(const std::string& file);

class Emulation {
 public:
  /// `topology_file` relative to the source tree, `name` its "name" field.
  Emulation(const std::string& topology_file, std::string name);
  /// `topology` without (or with any) "name": it gets unique_name(prefix).
  Emulation(BrokerChoice broker, nlohmann::json topology, const std::string& prefix = "rt");
  ~Emulation();
  Emulation(const Emulation&) = delete;
  Emulation& operator=(const Emulation&) = delete;

  /// URLs of the broker: what services use (mqtt:// or amqp://) and its MQTT listener.
  std::string url() const;
  std::string mqtt_url() const;
  int mqtt_port() const;

  void start_relayer();
  void start_agent(std::vector<std::string> extra_args = {});
  /// Both, then waits until both are online with the relayer connected and (unless
  /// `agent_args` pick devices) every device connected.
  void start(std::vector<std::string> agent_args = {});
  /// Waits for an online status of `service` stamped at or after `since` whose metrics satisfy
  /// `pred`; returns the metrics or nullopt.
  std::optional<nlohmann::json> wait_status(
      const std::string& service, Micros since,
      const std::function<bool(const nlohmann::json&)>& pred = {},
      std::chrono::milliseconds timeout = 20s);

  std::string topic(const std::string& kind, const std::string& device) const;
  /// Publishes at QoS 1 through the recorder's bus.
  void publish(const std::string& topic, const std::string& payload);
  /// A press with id `id` of `button`.
  void press(const std::string& button, const std::string& id);

  /// Waits for the state report of `actuator` that carries `press_id`.
  std::optional<StateReport> wait_state(const std::string& actuator, const std::string& press_id,
                                        std::chrono::milliseconds timeout = 5s);
  /// The state `actuator` reported for press `press_id`, if it did already.
  std::optional<StateReport> state_of(const std::string& actuator, const std::string& press_id);
  /// Waits until every actuator of `actuators` has reported the state of press `id`.
  bool wait_states(const std::string& id, const std::vector<std::string>& actuators,
                   std::chrono::milliseconds timeout = 10s);
  /// The actuators that reported press `id`, and how often each did.
  std::map<std::string, int> reports_of(const std::string& id);
  /// How many state reports of `actuator` carried `press_id` so far.
  int count_states(const std::string& actuator, const std::string& press_id);
  /// Presses `button` and checks that exactly `expected` applied it, each once and to `on`
  /// (when given), using `sentinel` (a button reaching every actuator) as described above.
  void expect_exactly(const std::string& button, const std::vector<std::string>& expected,
                      std::optional<bool> on = std::nullopt,
                      const std::string& sentinel = "everyone");
  std::vector<std::string> actuators() const;
  /// Service logs, for failure messages.
  std::string logs();

  std::string name;
  nlohmann::json topology;  // as the services read it
  std::string topology_path;
  std::optional<Mosquitto> mosquitto;  // unless on the shared RabbitMQ node
  std::optional<Recorder> recorder;
  std::optional<Service> relayer;
  std::optional<Service> agent;

 private:
  BrokerChoice broker_;
  TempDir dir_{"snet-emulation"};
};

}  // namespace snet::test
