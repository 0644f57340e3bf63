// What fault tests and the fault bench drive: `snet up` as a child on free ports (UpStack), a presser with a
// persistent session that counts what the broker acknowledged (Presser), and a paced loop.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"
#include "snet/process.hpp"

namespace snet::test {

class UpStack {
 public:
  /// Starts `snet up TOPOLOGY` (a path relative to the source tree) with `extra` flags.
  UpStack(const std::string& topology, std::vector<std::string> extra = {});
  ~UpStack();
  UpStack(const UpStack&) = delete;
  UpStack& operator=(const UpStack&) = delete;

  /// Waits for "Serverlessnet is up" in its output.
  bool wait_up(std::chrono::milliseconds timeout);
  int http_port() const { return http_port_; }
  int control_port() const { return control_port_; }
  std::string mqtt_url() const { return "mqtt://127.0.0.1:" + std::to_string(mqtt_port_); }
  std::string amqp_url() const {
    return "amqp://snet:snet@127.0.0.1:" + std::to_string(amqp_port_) + "/snet";
  }
  /// From the supervisor's GET /services: a service's pid (0 when unknown) and restarts (-1).
  pid_t pid_of(const std::string& service) const;
  int restarts_of(const std::string& service) const;
  std::string log_tail(std::size_t lines) const;
  /// snet up's --data-dir (the state service's database is state/state.db in it).
  std::string data_dir() const { return data_.path() + "/data"; }
  ChildProcess& process() { return up_; }

 private:
  TempDir data_{"snet-faults"};
  int mqtt_port_, amqp_port_, http_port_, whisk_port_, control_port_;
  std::string log_path_;
  ChildProcess up_;
};

class Presser {
 public:
  /// A client with a persistent session (as the issue asks of a press source) on `url`.
  Presser(const std::string& url, const std::string& client_id);
  ~Presser();
  bool wait_connected(std::chrono::milliseconds timeout) { return bus_->wait_connected(timeout); }
  /// Publishes {"id": id, "ts": now} at QoS 1 on `topic`; counted when the broker acknowledges
  /// it.
  void press(const std::string& topic, const std::string& id);
  /// Publishes a DeviceControl for one device straight to the broker (as the state API does).
  void control(const std::string& topology, const std::string& action, const std::string& device,
               std::int64_t duration_ms);
  int acked() const { return acked_.load(); }
  bool wait_acked(int count, std::chrono::milliseconds timeout);

 private:
  BusLoop loop_;  // MQTT on the project's own client; AMQP through make_bus()
  std::unique_ptr<Bus> bus_;
  std::atomic<int> acked_{0}, failed_{0};
};

/// Calls step(0..count-1) at `per_second` steps a second (a workload's pace, not a wait).
void pace(int count, int per_second, const std::function<void(int)>& step);

}  // namespace snet::test
