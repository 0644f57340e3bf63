// Test fixture for the state service: a real mosquitto and a real snet-state process on free
// ports, its database in a temporary directory that outlives restarts of the process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace snet::test {

class StateStack {
 public:
  explicit StateStack(std::string topology = source_path("tests/topology/single-builtin.json"),
                      std::vector<std::string> extra_args = {});
  ~StateStack();

  /// Starts snet-state and waits (bounded) until GET /healthz says 200.
  void start_state();
  void stop_state();
  /// The state service's log, for failure messages.
  std::string log() const;

  Mosquitto& broker() { return broker_; }
  int http_port() const { return http_port_; }
  const std::string& topology() const { return topology_; }
  const std::string& data_dir() const { return data_.path(); }

  HttpResult get(const std::string& target) const {
    return http_request("GET", http_port_, target);
  }
  HttpResult post(const std::string& target, const std::string& body = "") const {
    return http_request("POST", http_port_, target, body);
  }
  /// GET returning parsed JSON (null when the body is not JSON).
  nlohmann::json get_json(const std::string& target) const;
  /// The value of one sample of GET /metrics (e.g.
  /// `snet_state_rejected_total{reason="oversized"}`), -1 when absent.
  long long metric(const std::string& series) const;

  /// Publishes a state report for `device` with mosquitto_pub (QoS 1, not retained, so that
  /// what survives a restart comes from the database, not from the broker).
  void publish_state(const std::string& device, bool on, const std::string& press_id,
                     long long applied_ts = 0);

 private:
  Mosquitto broker_;
  TempDir data_{"snet-state-data"};
  std::string topology_;
  std::string topology_name_;
  std::vector<std::string> extra_args_;
  int http_port_;
  std::unique_ptr<Service> state_;
};

/// Publishes retained at QoS 1 with `client` and waits (5 s at most) for the broker's
/// acknowledgement; a failed or late one fails the test.
void publish_retained(Recorder& client, const std::string& topic, const std::string& payload);

}  // namespace snet::test
